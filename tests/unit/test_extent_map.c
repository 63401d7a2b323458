/* Unit tests of the extent map: hand-checked cases for each operation and
 * allocation policy, then a randomized run against a per-block reference. */
#include "unit.h"

#include "models/extent_map.h"

#include <stdio.h>
#include <string.h>

#define BS UINT64_C(64)

/* Block I of a region based at BASE, as a DPA. */
#define AT(base, i) ((base) + (uint64_t)(i) * BS)

static struct extent_attr attr_make(enum extent_state state, int host, uint64_t group)
{
	struct extent_attr attr;

	extent_attr_init(&attr, state);
	attr.host = host;
	attr.group = group;
	return attr;
}

static void assert_consistent(const struct extent_map *map)
{
	GError *error = NULL;
	bool ok = extent_map_check(map, &error);

	if (!ok)
		fprintf(stderr, "%s\n", error->message);
	CU_ASSERT_TRUE(ok);
	g_clear_error(&error);
}

struct expect_entry {
	uint64_t start, len;	/* blocks */
	enum extent_state state;
};

struct walk {
	uint64_t base;
	const struct expect_entry *expect;
	size_t count, seen;
	bool ok;
};

static int walk_compare(const struct extent_entry *e, void *data)
{
	struct walk *w = data;
	const struct expect_entry *x = &w->expect[w->seen];

	if (w->seen >= w->count || e->start != AT(w->base, x->start) || e->len != x->len * BS ||
	    e->attr.state != x->state)
		w->ok = false;
	w->seen++;
	return 0;
}

/* The whole map is exactly EXPECT, in address order. */
static void assert_entries(struct extent_map *map, const struct expect_entry *expect,
			   size_t count)
{
	struct walk w = { extent_map_get_base(map), expect, count, 0, true };

	extent_map_foreach(map, 0, UINT64_MAX, walk_compare, &w);
	CU_ASSERT_TRUE(w.ok);
	CU_ASSERT_EQUAL(w.seen, count);
	assert_consistent(map);
}

/* OUT holds exactly EXPECT ({start, len} in blocks) from index FIRST on. */
static void assert_ranges(const GArray *out, guint first, uint64_t base,
			  const uint64_t (*expect)[2], guint count)
{
	CU_ASSERT_EQUAL_FATAL(out->len - first, count);
	for (guint i = 0; i < count; i++) {
		const struct extent_range *r = &g_array_index(out, struct extent_range, first + i);

		CU_ASSERT_EQUAL(r->start, AT(base, expect[i][0]));
		CU_ASSERT_EQUAL(r->len, expect[i][1] * BS);
	}
}

/* The allocation layout: 64 blocks, all accepted but these free holes,
 * 22 free blocks in all: lengths 2, 4, 3, 4, 6, 3. */
#define HOLES_BASE UINT64_C(0x1000)
static const uint64_t holes[][2] = { { 1, 2 }, { 5, 4 }, { 12, 3 }, { 20, 4 }, { 40, 6 }, { 50, 3 } };

static struct extent_map *holes_map(void)
{
	struct extent_map *map = extent_map_new(HOLES_BASE, 64 * BS, BS);
	struct extent_attr used = attr_make(EXTENT_ACCEPTED, 0, 1);
	struct extent_attr free_attr = attr_make(EXTENT_FREE, -1, 0);

	extent_map_set(map, HOLES_BASE, 64 * BS, &used);
	for (size_t i = 0; i < G_N_ELEMENTS(holes); i++)
		extent_map_set(map, AT(HOLES_BASE, holes[i][0]), holes[i][1] * BS, &free_attr);
	return map;
}

static GArray *ranges_new(void)
{
	return g_array_new(FALSE, FALSE, sizeof(struct extent_range));
}

static enum extent_map_status alloc_blocks(struct extent_map *map,
					   enum extent_alloc_policy policy, uint64_t blocks,
					   unsigned max_extents, uint64_t random_value, GArray *out)
{
	g_array_set_size(out, 0);
	return extent_map_alloc(map, policy, blocks * BS, max_extents, random_value, out);
}

static void test_names(void)
{
	enum extent_alloc_policy policy;
	static const char *const names[] = { "first-fit", "next-fit", "best-fit",
					     "worst-fit", "buddy",    "random" };

	CU_ASSERT_STRING_EQUAL(extent_state_name(EXTENT_FREE), "free");
	CU_ASSERT_STRING_EQUAL(extent_state_name(EXTENT_SANITIZING), "sanitizing");
	CU_ASSERT_STRING_EQUAL(extent_map_status_name(EXTENT_MAP_ERR_NO_CONTIGUOUS),
			       "no contiguous space");
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		CU_ASSERT_TRUE(extent_alloc_policy_from_name(names[i], &policy));
		CU_ASSERT_EQUAL(policy, (enum extent_alloc_policy)i);
		CU_ASSERT_STRING_EQUAL(extent_alloc_policy_name(policy), names[i]);
	}
	CU_ASSERT_FALSE(extent_alloc_policy_from_name("best_fit", &policy));
	CU_ASSERT_FALSE(extent_alloc_policy_from_name("", &policy));
}

static void test_geometry(void)
{
	g_autoptr(extent_map) map = NULL;
	struct extent_entry e;

	CU_ASSERT_TRUE(extent_map_geometry_valid(0, 64, 64));
	CU_ASSERT_FALSE(extent_map_geometry_valid(0, 64, 32));		/* block < 64 */
	CU_ASSERT_FALSE(extent_map_geometry_valid(0, 192, 96));		/* not a power of two */
	CU_ASSERT_FALSE(extent_map_geometry_valid(64, 0, 64));		/* empty */
	CU_ASSERT_FALSE(extent_map_geometry_valid(32, 64, 64));		/* base unaligned */
	CU_ASSERT_FALSE(extent_map_geometry_valid(0, 100, 64));		/* length unaligned */
	CU_ASSERT_FALSE(extent_map_geometry_valid(UINT64_MAX - 127, 256, 64)); /* wraps */

	map = extent_map_new(0x10000000, 1024 * BS, BS);
	CU_ASSERT_PTR_NOT_NULL_FATAL(map);
	CU_ASSERT_EQUAL(extent_map_get_base(map), 0x10000000);
	CU_ASSERT_EQUAL(extent_map_get_length(map), 1024 * BS);
	CU_ASSERT_EQUAL(extent_map_get_block_size(map), BS);
	CU_ASSERT_EQUAL(extent_map_get_bytes(map, EXTENT_FREE), 1024 * BS);
	CU_ASSERT_EQUAL(extent_map_get_bytes(map, EXTENT_PENDING), 0);
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), 0);
	CU_ASSERT_EQUAL(extent_map_get_free_count(map), 1);
	CU_ASSERT_EQUAL(extent_map_get_largest_free(map), 1024 * BS);
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), 0x10000000);
	CU_ASSERT_TRUE(extent_map_lookup(map, 0x10000000 + 100, &e));
	CU_ASSERT_EQUAL(e.start, 0x10000000);
	CU_ASSERT_EQUAL(e.len, 1024 * BS);
	CU_ASSERT_EQUAL(e.attr.state, EXTENT_FREE);
	CU_ASSERT_EQUAL(e.attr.host, -1);
	assert_consistent(map);
}

static void test_validate(void)
{
	g_autoptr(extent_map) map = extent_map_new(0x1000, 16 * BS, BS);
	struct extent_attr pending = attr_make(EXTENT_PENDING, 1, 7);
	struct extent_entry e;

	CU_ASSERT_EQUAL(extent_map_validate(map, 0x1000, 16 * BS), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(extent_map_validate(map, 0x1000, 0), EXTENT_MAP_ERR_EMPTY);
	CU_ASSERT_EQUAL(extent_map_validate(map, 0x1000 - BS, BS), EXTENT_MAP_ERR_OUTSIDE);
	CU_ASSERT_EQUAL(extent_map_validate(map, 0x1000, 17 * BS), EXTENT_MAP_ERR_OUTSIDE);
	CU_ASSERT_EQUAL(extent_map_validate(map, AT(0x1000, 16), BS), EXTENT_MAP_ERR_OUTSIDE);
	CU_ASSERT_EQUAL(extent_map_validate(map, AT(0x1000, 8), UINT64_MAX - 63),
			EXTENT_MAP_ERR_OUTSIDE);	/* start + len wraps */
	CU_ASSERT_EQUAL(extent_map_validate(map, 0x1000 + 8, BS), EXTENT_MAP_ERR_UNALIGNED);
	CU_ASSERT_EQUAL(extent_map_validate(map, 0x1000, BS + 1), EXTENT_MAP_ERR_UNALIGNED);

	/* Bad ranges leave the map alone. */
	CU_ASSERT_EQUAL(extent_map_set(map, 0x1000 + 8, BS, &pending), EXTENT_MAP_ERR_UNALIGNED);
	CU_ASSERT_EQUAL(extent_map_set(map, 0x1000, 0, &pending), EXTENT_MAP_ERR_EMPTY);
	CU_ASSERT_EQUAL(extent_map_set(map, AT(0x1000, 15), 2 * BS, &pending),
			EXTENT_MAP_ERR_OUTSIDE);
	CU_ASSERT_EQUAL(extent_map_get_free_count(map), 1);
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), 0);

	CU_ASSERT_TRUE(extent_map_range_is_free(map, AT(0x1000, 3), 4 * BS));
	extent_map_set(map, AT(0x1000, 5), BS, &pending);
	CU_ASSERT_FALSE(extent_map_range_is_free(map, AT(0x1000, 3), 4 * BS));
	CU_ASSERT_TRUE(extent_map_range_is_free(map, AT(0x1000, 3), 2 * BS));
	CU_ASSERT_FALSE(extent_map_range_is_free(map, AT(0x1000, 3), 2 * BS + 1));
	CU_ASSERT_FALSE(extent_map_range_is_free(map, AT(0x1000, 14), 4 * BS));

	CU_ASSERT_FALSE(extent_map_lookup(map, 0x1000 - 1, &e));
	CU_ASSERT_FALSE(extent_map_lookup(map, AT(0x1000, 16), &e));
	CU_ASSERT_TRUE(extent_map_lookup(map, AT(0x1000, 16) - 1, &e));
	CU_ASSERT_EQUAL(e.start, AT(0x1000, 6));
	CU_ASSERT_TRUE(extent_map_lookup(map, AT(0x1000, 5) + 63, &e));
	CU_ASSERT_EQUAL(e.start, AT(0x1000, 5));
	CU_ASSERT_EQUAL(e.attr.state, EXTENT_PENDING);
	CU_ASSERT_EQUAL(e.attr.host, 1);
	CU_ASSERT_EQUAL(e.attr.group, 7);
	assert_consistent(map);
}

static void test_set(void)
{
	g_autoptr(extent_map) map = extent_map_new(0, 32 * BS, BS);
	struct extent_attr pending = attr_make(EXTENT_PENDING, 2, 9);
	struct extent_attr accepted = attr_make(EXTENT_ACCEPTED, 2, 9);
	struct extent_attr releasing = attr_make(EXTENT_RELEASING, 3, 0);
	struct extent_entry e;

	memcpy(accepted.tag, "0123456789abcdef", 16);
	accepted.seq = 5;
	CU_ASSERT_EQUAL(extent_map_set(map, AT(0, 4), 8 * BS, &pending), EXTENT_MAP_OK);
	{
		static const struct expect_entry x[] = {
			{ 0, 4, EXTENT_FREE }, { 4, 8, EXTENT_PENDING }, { 12, 20, EXTENT_FREE } };
		assert_entries(map, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(extent_map_get_bytes(map, EXTENT_PENDING), 8 * BS);
	CU_ASSERT_EQUAL(extent_map_get_bytes(map, EXTENT_FREE), 24 * BS);
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), 1);
	CU_ASSERT_EQUAL(extent_map_get_free_count(map), 2);
	CU_ASSERT_EQUAL(extent_map_get_largest_free(map), 20 * BS);

	/* Across the end of an extent: the outer part keeps its attributes. */
	CU_ASSERT_EQUAL(extent_map_set(map, AT(0, 10), 4 * BS, &accepted), EXTENT_MAP_OK);
	{
		static const struct expect_entry x[] = {
			{ 0, 4, EXTENT_FREE },	      { 4, 6, EXTENT_PENDING },
			{ 10, 4, EXTENT_ACCEPTED }, { 14, 18, EXTENT_FREE } };
		assert_entries(map, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_TRUE(extent_map_lookup(map, AT(0, 4), &e));
	CU_ASSERT_EQUAL(e.attr.group, 9);
	CU_ASSERT_TRUE(extent_map_lookup(map, AT(0, 13), &e));
	CU_ASSERT_EQUAL(memcmp(e.attr.tag, "0123456789abcdef", 16), 0);
	CU_ASSERT_EQUAL(e.attr.seq, 5);

	/* Adjacent extents with equal attributes stay separate extents. */
	CU_ASSERT_EQUAL(extent_map_set(map, AT(0, 14), 2 * BS, &accepted), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), 3);

	/* Inside one extent: it becomes three. */
	CU_ASSERT_EQUAL(extent_map_set(map, AT(0, 6), BS, &releasing), EXTENT_MAP_OK);
	{
		static const struct expect_entry x[] = {
			{ 0, 4, EXTENT_FREE },	      { 4, 2, EXTENT_PENDING },
			{ 6, 1, EXTENT_RELEASING }, { 7, 3, EXTENT_PENDING },
			{ 10, 4, EXTENT_ACCEPTED }, { 14, 2, EXTENT_ACCEPTED },
			{ 16, 16, EXTENT_FREE } };
		assert_entries(map, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), 5);

	/* Over several entries, free ones included: one extent. */
	CU_ASSERT_EQUAL(extent_map_set(map, AT(0, 2), 16 * BS, &releasing), EXTENT_MAP_OK);
	{
		static const struct expect_entry x[] = {
			{ 0, 2, EXTENT_FREE }, { 2, 16, EXTENT_RELEASING }, { 18, 14, EXTENT_FREE } };
		assert_entries(map, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(extent_map_get_bytes(map, EXTENT_RELEASING), 16 * BS);
	CU_ASSERT_EQUAL(extent_map_get_bytes(map, EXTENT_PENDING), 0);
	CU_ASSERT_EQUAL(extent_map_get_bytes(map, EXTENT_ACCEPTED), 0);
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), 1);
}

static void test_set_free_coalesces(void)
{
	g_autoptr(extent_map) map = extent_map_new(0x40000, 32 * BS, BS);
	struct extent_attr used = attr_make(EXTENT_ACCEPTED, 0, 0);
	struct extent_attr free_attr = attr_make(EXTENT_FREE, 4, 4);	/* extra fields dropped */
	struct extent_entry e;

	for (unsigned i = 0; i < 8; i++)
		extent_map_set(map, AT(0x40000, 4 * i), 4 * BS, &used);
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), 8);
	CU_ASSERT_EQUAL(extent_map_get_free_count(map), 0);
	CU_ASSERT_EQUAL(extent_map_get_largest_free(map), 0);

	extent_map_set(map, AT(0x40000, 4), 4 * BS, &free_attr);
	extent_map_set(map, AT(0x40000, 12), 4 * BS, &free_attr);
	CU_ASSERT_EQUAL(extent_map_get_free_count(map), 2);
	/* Freeing between two free extents leaves one. */
	extent_map_set(map, AT(0x40000, 8), 4 * BS, &free_attr);
	CU_ASSERT_EQUAL(extent_map_get_free_count(map), 1);
	CU_ASSERT_EQUAL(extent_map_get_largest_free(map), 12 * BS);
	CU_ASSERT_TRUE(extent_map_lookup(map, AT(0x40000, 10), &e));
	CU_ASSERT_EQUAL(e.start, AT(0x40000, 4));
	CU_ASSERT_EQUAL(e.len, 12 * BS);
	CU_ASSERT_EQUAL(e.attr.host, -1);
	CU_ASSERT_EQUAL(e.attr.group, 0);

	/* Part of a free extent and part of an extent. */
	extent_map_set(map, AT(0x40000, 14), 4 * BS, &free_attr);
	{
		static const struct expect_entry x[] = {
			{ 0, 4, EXTENT_ACCEPTED }, { 4, 14, EXTENT_FREE }, { 18, 2, EXTENT_ACCEPTED },
			{ 20, 4, EXTENT_ACCEPTED }, { 24, 4, EXTENT_ACCEPTED },
			{ 28, 4, EXTENT_ACCEPTED } };
		assert_entries(map, x, G_N_ELEMENTS(x));
	}
	/* The region edges. */
	extent_map_set(map, AT(0x40000, 0), 2 * BS, &free_attr);
	extent_map_set(map, AT(0x40000, 30), 2 * BS, &free_attr);
	extent_map_set(map, AT(0x40000, 2), 2 * BS, &free_attr);
	{
		static const struct expect_entry x[] = {
			{ 0, 18, EXTENT_FREE }, { 18, 2, EXTENT_ACCEPTED }, { 20, 4, EXTENT_ACCEPTED },
			{ 24, 4, EXTENT_ACCEPTED }, { 28, 2, EXTENT_ACCEPTED }, { 30, 2, EXTENT_FREE } };
		assert_entries(map, x, G_N_ELEMENTS(x));
	}
	/* Everything: one free extent again. */
	extent_map_set(map, 0x40000, 32 * BS, &free_attr);
	CU_ASSERT_EQUAL(extent_map_get_free_count(map), 1);
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), 0);
	CU_ASSERT_EQUAL(extent_map_get_bytes(map, EXTENT_FREE), 32 * BS);
	CU_ASSERT_EQUAL(extent_map_get_bytes(map, EXTENT_ACCEPTED), 0);
	assert_consistent(map);
}

static void test_split(void)
{
	g_autoptr(extent_map) map = extent_map_new(0, 32 * BS, BS);
	struct extent_attr accepted = attr_make(EXTENT_ACCEPTED, 1, 3);
	struct extent_entry e;

	extent_map_set(map, AT(0, 8), 8 * BS, &accepted);
	CU_ASSERT_EQUAL(extent_map_split(map, AT(0, 12)), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), 2);
	CU_ASSERT_EQUAL(extent_map_get_bytes(map, EXTENT_ACCEPTED), 8 * BS);
	CU_ASSERT_TRUE(extent_map_lookup(map, AT(0, 12), &e));
	CU_ASSERT_EQUAL(e.start, AT(0, 12));
	CU_ASSERT_EQUAL(e.len, 4 * BS);
	CU_ASSERT_EQUAL(e.attr.host, 1);
	CU_ASSERT_EQUAL(e.attr.group, 3);
	CU_ASSERT_TRUE(extent_map_lookup(map, AT(0, 11), &e));
	CU_ASSERT_EQUAL(e.start, AT(0, 8));
	CU_ASSERT_EQUAL(e.len, 4 * BS);

	/* At an entry start: nothing to do. */
	CU_ASSERT_EQUAL(extent_map_split(map, AT(0, 12)), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(extent_map_split(map, AT(0, 8)), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), 2);

	CU_ASSERT_EQUAL(extent_map_split(map, AT(0, 2)), EXTENT_MAP_ERR_FREE);
	CU_ASSERT_EQUAL(extent_map_split(map, AT(0, 9) + 1), EXTENT_MAP_ERR_UNALIGNED);
	CU_ASSERT_EQUAL(extent_map_split(map, AT(0, 32)), EXTENT_MAP_ERR_OUTSIDE);
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), 2);
	{
		static const struct expect_entry x[] = {
			{ 0, 8, EXTENT_FREE }, { 8, 4, EXTENT_ACCEPTED }, { 12, 4, EXTENT_ACCEPTED },
			{ 16, 16, EXTENT_FREE } };
		assert_entries(map, x, G_N_ELEMENTS(x));
	}
}

static void test_modify(void)
{
	g_autoptr(extent_map) map = extent_map_new(0, 32 * BS, BS);
	struct extent_attr pending = attr_make(EXTENT_PENDING, 1, 3);
	struct extent_attr accepted = attr_make(EXTENT_ACCEPTED, 1, 3);
	struct extent_attr free_attr = attr_make(EXTENT_FREE, -1, 0);
	struct extent_entry e;

	extent_map_set(map, AT(0, 0), 4 * BS, &pending);
	extent_map_set(map, AT(0, 4), 4 * BS, &pending);
	accepted.tag[0] = 0xaa;
	CU_ASSERT_EQUAL(extent_map_modify(map, AT(0, 5) + 7, &accepted), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(extent_map_get_bytes(map, EXTENT_PENDING), 4 * BS);
	CU_ASSERT_EQUAL(extent_map_get_bytes(map, EXTENT_ACCEPTED), 4 * BS);
	CU_ASSERT_TRUE(extent_map_lookup(map, AT(0, 4), &e));
	CU_ASSERT_EQUAL(e.start, AT(0, 4));
	CU_ASSERT_EQUAL(e.len, 4 * BS);
	CU_ASSERT_EQUAL(e.attr.state, EXTENT_ACCEPTED);
	CU_ASSERT_EQUAL(e.attr.tag[0], 0xaa);
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), 2);

	CU_ASSERT_EQUAL(extent_map_modify(map, AT(0, 9), &accepted), EXTENT_MAP_ERR_FREE);
	CU_ASSERT_EQUAL(extent_map_modify(map, AT(0, 32), &accepted), EXTENT_MAP_ERR_OUTSIDE);

	/* Freeing through modify frees the whole extent and coalesces. */
	CU_ASSERT_EQUAL(extent_map_modify(map, AT(0, 6), &free_attr), EXTENT_MAP_OK);
	{
		static const struct expect_entry x[] = {
			{ 0, 4, EXTENT_PENDING }, { 4, 28, EXTENT_FREE } };
		assert_entries(map, x, G_N_ELEMENTS(x));
	}
}

struct collect {
	GArray *starts;
	struct extent_map *map;
	int stop_after;
};

static int collect_entry(const struct extent_entry *e, void *data)
{
	struct collect *c = data;

	g_array_append_val(c->starts, e->start);
	return (int)c->starts->len == c->stop_after ? 42 : 0;
}

static int free_extent(const struct extent_entry *e, void *data)
{
	struct collect *c = data;
	struct extent_attr free_attr = attr_make(EXTENT_FREE, -1, 0);

	g_array_append_val(c->starts, e->start);
	if (e->attr.state != EXTENT_FREE)
		extent_map_set(c->map, e->start, e->len, &free_attr);
	return 0;
}

static void test_foreach(void)
{
	g_autoptr(extent_map) map = holes_map();
	g_autoptr(GArray) starts = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	struct collect c = { starts, map, -1 };
	uint64_t b = HOLES_BASE;

	/* Entries: used 0, free 1, used 3, free 5, used 9, free 12, used 15 ... */
	CU_ASSERT_EQUAL(extent_map_foreach(map, AT(b, 2) + 5, 10 * BS - 5, collect_entry, &c), 0);
	CU_ASSERT_EQUAL_FATAL(starts->len, 4);
	CU_ASSERT_EQUAL(g_array_index(starts, uint64_t, 0), AT(b, 1));
	CU_ASSERT_EQUAL(g_array_index(starts, uint64_t, 1), AT(b, 3));
	CU_ASSERT_EQUAL(g_array_index(starts, uint64_t, 2), AT(b, 5));
	CU_ASSERT_EQUAL(g_array_index(starts, uint64_t, 3), AT(b, 9));

	/* Clipped to the region; an empty range visits nothing. */
	g_array_set_size(starts, 0);
	CU_ASSERT_EQUAL(extent_map_foreach(map, 0, AT(b, 2), collect_entry, &c), 0);
	CU_ASSERT_EQUAL(starts->len, 2);
	g_array_set_size(starts, 0);
	CU_ASSERT_EQUAL(extent_map_foreach(map, AT(b, 2), 0, collect_entry, &c), 0);
	CU_ASSERT_EQUAL(extent_map_foreach(map, AT(b, 64), 100, collect_entry, &c), 0);
	CU_ASSERT_EQUAL(starts->len, 0);

	/* A non-zero return stops the walk. */
	c.stop_after = 3;
	CU_ASSERT_EQUAL(extent_map_foreach_free(map, collect_entry, &c), 42);
	CU_ASSERT_EQUAL_FATAL(starts->len, 3);
	CU_ASSERT_EQUAL(g_array_index(starts, uint64_t, 2), AT(b, 12));
	g_array_set_size(starts, 0);
	c.stop_after = -1;
	CU_ASSERT_EQUAL(extent_map_foreach_free(map, collect_entry, &c), 0);
	CU_ASSERT_EQUAL_FATAL(starts->len, G_N_ELEMENTS(holes));
	for (guint i = 0; i < starts->len; i++)
		CU_ASSERT_EQUAL(g_array_index(starts, uint64_t, i), AT(b, holes[i][0]));

	/* The callback may change the map: free every extent of blocks 0..19.
	 * Each walk step resumes at the end of the entry visited, so the free
	 * entry grown by the last change is seen next. */
	g_array_set_size(starts, 0);
	CU_ASSERT_EQUAL(extent_map_foreach(map, b, 20 * BS, free_extent, &c), 0);
	{
		static const uint64_t seen[] = { 0, 0, 3, 0, 9, 0, 15 };

		CU_ASSERT_EQUAL_FATAL(starts->len, G_N_ELEMENTS(seen));
		for (guint i = 0; i < starts->len; i++)
			CU_ASSERT_EQUAL(g_array_index(starts, uint64_t, i), AT(b, seen[i]));
	}
	{
		static const struct expect_entry x[] = {
			{ 0, 24, EXTENT_FREE },	     { 24, 16, EXTENT_ACCEPTED },
			{ 40, 6, EXTENT_FREE },	     { 46, 4, EXTENT_ACCEPTED },
			{ 50, 3, EXTENT_FREE },	     { 53, 11, EXTENT_ACCEPTED } };
		assert_entries(map, x, G_N_ELEMENTS(x));
	}
}

static void test_alloc_errors(void)
{
	g_autoptr(extent_map) map = holes_map();
	g_autoptr(GArray) out = ranges_new();
	struct extent_range sentinel = { 1, 2 };

	g_array_append_val(out, sentinel);
	for (unsigned p = EXTENT_ALLOC_FIRST_FIT; p <= EXTENT_ALLOC_RANDOM; p++) {
		enum extent_alloc_policy policy = (enum extent_alloc_policy)p;

		CU_ASSERT_EQUAL(extent_map_alloc(map, policy, 0, 1, 0, out), EXTENT_MAP_ERR_EMPTY);
		CU_ASSERT_EQUAL(extent_map_alloc(map, policy, BS + 8, 1, 0, out),
				EXTENT_MAP_ERR_UNALIGNED);
		CU_ASSERT_EQUAL(extent_map_alloc(map, policy, BS, 0, 0, out),
				EXTENT_MAP_ERR_ARGUMENT);
		CU_ASSERT_EQUAL(extent_map_alloc(map, policy, 23 * BS, 8, 0, out),
				EXTENT_MAP_ERR_NO_SPACE);
		CU_ASSERT_EQUAL(extent_map_alloc(map, policy, 65 * BS, 8, 0, out),
				EXTENT_MAP_ERR_NO_SPACE);
		CU_ASSERT_EQUAL(extent_map_alloc(map, policy, 7 * BS, 1, 0, out),
				EXTENT_MAP_ERR_NO_CONTIGUOUS);
		/* The three largest hold 6 + 4 + 4 blocks (buddy: 16 wanted, the
		 * largest aligned blocks are 4, 4, 2). */
		CU_ASSERT_EQUAL(extent_map_alloc(map, policy, 15 * BS, 3, 0, out),
				EXTENT_MAP_ERR_NO_CONTIGUOUS);
		CU_ASSERT_EQUAL(out->len, 1);
		CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, 1);
	}
	/* Results are appended. */
	CU_ASSERT_EQUAL(extent_map_alloc(map, EXTENT_ALLOC_FIRST_FIT, 2 * BS, 1, 0, out),
			EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 1, 2 } };
		assert_ranges(out, 1, HOLES_BASE, x, 1);
	}
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), HOLES_BASE);	/* only next fit moves it */
	assert_consistent(map);
}

static void test_first_fit(void)
{
	g_autoptr(extent_map) map = holes_map();
	g_autoptr(GArray) out = ranges_new();
	enum extent_alloc_policy ff = EXTENT_ALLOC_FIRST_FIT;

	CU_ASSERT_EQUAL(alloc_blocks(map, ff, 3, 1, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 5, 3 } };
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(alloc_blocks(map, ff, 5, 1, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 40, 5 } };
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	/* Gathering: lowest addresses first, the last one in part. */
	CU_ASSERT_EQUAL(alloc_blocks(map, ff, 7, 3, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 1, 2 }, { 5, 4 }, { 12, 1 } };
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	/* 2 + 4 + 3 + 3 would take four: largest first does it in three. */
	CU_ASSERT_EQUAL(alloc_blocks(map, ff, 12, 3, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 5, 4 }, { 20, 2 }, { 40, 6 } };
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(alloc_blocks(map, ff, 22, 6, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(out->len, 6);
	CU_ASSERT_EQUAL(alloc_blocks(map, ff, 22, 5, 0, out), EXTENT_MAP_ERR_NO_CONTIGUOUS);
	CU_ASSERT_EQUAL(out->len, 0);
	assert_consistent(map);
}

static void test_best_fit(void)
{
	g_autoptr(extent_map) map = holes_map();
	g_autoptr(GArray) out = ranges_new();
	enum extent_alloc_policy bf = EXTENT_ALLOC_BEST_FIT;

	CU_ASSERT_EQUAL(alloc_blocks(map, bf, 3, 1, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 12, 3 } };	/* 3 at 12 and 50: lowest */
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(alloc_blocks(map, bf, 1, 1, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 1, 1 } };
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(alloc_blocks(map, bf, 5, 4, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 40, 5 } };	/* one fits: taken whole */
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	/* None fits: 6, then the smallest holding the last 2. */
	CU_ASSERT_EQUAL(alloc_blocks(map, bf, 8, 3, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 1, 2 }, { 40, 6 } };
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(alloc_blocks(map, bf, 13, 3, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 5, 4 }, { 12, 3 }, { 40, 6 } };
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	/* The smallest holding the last 4 is taken already: the next of its length. */
	CU_ASSERT_EQUAL(alloc_blocks(map, bf, 14, 3, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 5, 4 }, { 20, 4 }, { 40, 6 } };
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(alloc_blocks(map, bf, 15, 3, 0, out), EXTENT_MAP_ERR_NO_CONTIGUOUS);
	assert_consistent(map);
}

static void test_worst_fit(void)
{
	g_autoptr(extent_map) map = holes_map();
	g_autoptr(GArray) out = ranges_new();
	enum extent_alloc_policy wf = EXTENT_ALLOC_WORST_FIT;
	struct extent_attr used = attr_make(EXTENT_PENDING, 0, 0);

	CU_ASSERT_EQUAL(alloc_blocks(map, wf, 1, 1, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 40, 1 } };
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(alloc_blocks(map, wf, 9, 2, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 5, 3 }, { 40, 6 } };	/* ties: lowest */
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	/* With 40..45 gone the largest are 4 at 5 and 4 at 20. */
	extent_map_set(map, AT(HOLES_BASE, 40), 6 * BS, &used);
	CU_ASSERT_EQUAL(extent_map_get_largest_free(map), 4 * BS);
	CU_ASSERT_EQUAL(alloc_blocks(map, wf, 2, 1, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 5, 2 } };
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(alloc_blocks(map, wf, 13, 4, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 5, 4 }, { 12, 3 }, { 20, 4 }, { 50, 2 } };
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	assert_consistent(map);
}

static void test_next_fit(void)
{
	g_autoptr(extent_map) map = holes_map();
	g_autoptr(GArray) out = ranges_new();
	enum extent_alloc_policy nf = EXTENT_ALLOC_NEXT_FIT;
	struct extent_attr used = attr_make(EXTENT_PENDING, 0, 0);
	uint64_t b = HOLES_BASE;

	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 2, 1, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(b, 1));
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), AT(b, 3));
	extent_map_set(map, AT(b, 1), 2 * BS, &used);
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 3, 1, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(b, 5));
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), AT(b, 8));
	extent_map_set(map, AT(b, 5), 3 * BS, &used);
	/* 1 block left at 8: too small; on to 20. */
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 4, 1, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(b, 20));
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), AT(b, 24));
	extent_map_set(map, AT(b, 20), 4 * BS, &used);
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 3, 1, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(b, 40));
	/* Not assigned: the next search starts inside the free extent. */
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 3, 1, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(b, 43));
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), AT(b, 46));
	/* Nothing of 5 above 46: wrap to the lowest fitting. */
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 5, 1, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(b, 40));
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), AT(b, 45));
	/* Gathering from 45: 45, 50..52, wrap: 8, 12. */
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 6, 4, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 8, 1 }, { 12, 1 }, { 45, 1 }, { 50, 3 } };
		assert_ranges(out, 0, b, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), AT(b, 13));
	/* Too many ranges that way: largest first. */
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 10, 2, 0, out), EXTENT_MAP_ERR_NO_CONTIGUOUS);
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 9, 2, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 12, 3 }, { 40, 6 } };
		assert_ranges(out, 0, b, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), AT(b, 15));
	/* Moved by hand: a block of the region, else refused and unchanged. */
	CU_ASSERT_EQUAL(extent_map_set_cursor(map, AT(b, 40)), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), AT(b, 40));
	CU_ASSERT_EQUAL(extent_map_set_cursor(map, AT(b, 40) + 1), EXTENT_MAP_ERR_UNALIGNED);
	CU_ASSERT_EQUAL(extent_map_set_cursor(map, b - BS), EXTENT_MAP_ERR_OUTSIDE);
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), AT(b, 40));
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 1, 1, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(b, 40));
	assert_consistent(map);
}

static void test_next_fit_wrap(void)
{
	g_autoptr(extent_map) map = extent_map_new(0x2000, 16 * BS, BS);
	g_autoptr(GArray) out = ranges_new();
	enum extent_alloc_policy nf = EXTENT_ALLOC_NEXT_FIT;
	struct extent_attr used = attr_make(EXTENT_ACCEPTED, 0, 0);

	extent_map_set(map, AT(0x2000, 4), 4 * BS, &used);
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 2, 1, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), AT(0x2000, 2));
	/* The part of 0..3 above the cursor, then 8..15; ending at the region
	 * end puts the cursor back at the base. */
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 10, 3, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 2, 2 }, { 8, 8 } };
		assert_ranges(out, 0, 0x2000, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), 0x2000);
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 2, 1, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), AT(0x2000, 2));
	/* All the way round: the part below the cursor comes last and touches
	 * the part above it, so the two are one range. */
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 12, 3, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 0, 4 }, { 8, 8 } };
		assert_ranges(out, 0, 0x2000, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), AT(0x2000, 2));
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 4, 1, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(0x2000, 8));
	/* Contiguous: the free extent straddling the cursor counts whole after
	 * the wrap. */
	extent_map_set(map, AT(0x2000, 8), 8 * BS, &used);
	CU_ASSERT_EQUAL(alloc_blocks(map, nf, 4, 1, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, 0x2000);
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), AT(0x2000, 4));
	assert_consistent(map);
}

static void test_random(void)
{
	g_autoptr(extent_map) map = holes_map();
	g_autoptr(GArray) out = ranges_new();
	enum extent_alloc_policy rnd = EXTENT_ALLOC_RANDOM;

	/* Free block 7 (counting free blocks only) is block 13. */
	CU_ASSERT_EQUAL(alloc_blocks(map, rnd, 1, 1, 7, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 13, 1 } };
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(alloc_blocks(map, rnd, 1, 1, 22 + 7, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(HOLES_BASE, 13));
	CU_ASSERT_EQUAL(alloc_blocks(map, rnd, 1, 1, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(HOLES_BASE, 1));
	CU_ASSERT_EQUAL(alloc_blocks(map, rnd, 1, 1, 21, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(HOLES_BASE, 52));
	/* Slid down to fit in the chosen free extent. */
	CU_ASSERT_EQUAL(alloc_blocks(map, rnd, 3, 1, 7, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(HOLES_BASE, 12));
	/* Too small: the next fitting one above. */
	CU_ASSERT_EQUAL(alloc_blocks(map, rnd, 5, 1, 7, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(HOLES_BASE, 40));
	/* ... wrapping. */
	CU_ASSERT_EQUAL(alloc_blocks(map, rnd, 4, 1, 21, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(HOLES_BASE, 5));
	/* Gathering from the chosen block. */
	CU_ASSERT_EQUAL(alloc_blocks(map, rnd, 6, 3, 7, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 13, 2 }, { 20, 4 } };
		assert_ranges(out, 0, HOLES_BASE, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(extent_map_get_cursor(map), HOLES_BASE);
	assert_consistent(map);
}

static void test_buddy(void)
{
	/* A base at block 3: alignment is relative to the base. */
	const uint64_t b = 3 * BS;
	g_autoptr(extent_map) map = extent_map_new(b, 64 * BS, BS);
	g_autoptr(GArray) out = ranges_new();
	enum extent_alloc_policy bd = EXTENT_ALLOC_BUDDY;
	struct extent_attr used = attr_make(EXTENT_ACCEPTED, 0, 0);
	struct extent_attr free_attr = attr_make(EXTENT_FREE, -1, 0);

	/* 3 blocks round up to 4. */
	CU_ASSERT_EQUAL(alloc_blocks(map, bd, 3, 1, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 0, 4 } };
		assert_ranges(out, 0, b, x, G_N_ELEMENTS(x));
	}
	extent_map_set(map, b, 4 * BS, &used);
	/* Free: 4..7 (order 2), 8..15, 16..31, 32..63: the smallest block. */
	CU_ASSERT_EQUAL(alloc_blocks(map, bd, 1, 1, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 4, 1 } };
		assert_ranges(out, 0, b, x, G_N_ELEMENTS(x));
	}
	extent_map_set(map, AT(b, 4), BS, &used);
	/* Free 5 (order 0), 6..7 (order 1), ...: 2 blocks from 6. */
	CU_ASSERT_EQUAL(alloc_blocks(map, bd, 2, 1, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 6, 2 } };
		assert_ranges(out, 0, b, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(alloc_blocks(map, bd, 9, 1, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 16, 16 } };
		assert_ranges(out, 0, b, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(alloc_blocks(map, bd, 33, 1, 0, out), EXTENT_MAP_ERR_NO_SPACE);
	CU_ASSERT_EQUAL(alloc_blocks(map, bd, 32, 1, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(g_array_index(out, struct extent_range, 0).start, AT(b, 32));

	/* Free only 1..4 of a fresh region: 4 blocks but no aligned 4. */
	extent_map_set(map, b, 64 * BS, &used);
	extent_map_set(map, AT(b, 1), 4 * BS, &free_attr);
	CU_ASSERT_EQUAL(alloc_blocks(map, bd, 4, 1, 0, out), EXTENT_MAP_ERR_NO_CONTIGUOUS);
	CU_ASSERT_EQUAL(alloc_blocks(map, bd, 4, 2, 0, out), EXTENT_MAP_ERR_NO_CONTIGUOUS);
	CU_ASSERT_EQUAL(alloc_blocks(map, bd, 3, 3, 0, out), EXTENT_MAP_OK);
	{
		/* Largest blocks first; each range is one aligned block. */
		static const uint64_t x[][2] = { { 1, 1 }, { 2, 2 }, { 4, 1 } };
		assert_ranges(out, 0, b, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(alloc_blocks(map, bd, 2, 3, 0, out), EXTENT_MAP_OK);
	{
		static const uint64_t x[][2] = { { 2, 2 } };
		assert_ranges(out, 0, b, x, G_N_ELEMENTS(x));
	}
	CU_ASSERT_EQUAL(alloc_blocks(map, bd, 5, 8, 0, out), EXTENT_MAP_ERR_NO_SPACE);
	assert_consistent(map);
}

static void test_frag(void)
{
	g_autoptr(extent_map) map = holes_map();
	struct extent_frag f;

	CU_ASSERT_EQUAL(extent_map_get_frag(map, 2 * BS, &f), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(f.free_blocks, 22);
	CU_ASSERT_EQUAL(f.free_extents, 6);
	CU_ASSERT_EQUAL(f.fits, 1 + 2 + 1 + 2 + 3 + 1);
	CU_ASSERT_EQUAL(extent_map_get_frag(map, 4 * BS, &f), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(f.fits, 3);
	CU_ASSERT_EQUAL(extent_map_get_frag(map, 7 * BS, &f), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(f.fits, 0);
	CU_ASSERT_EQUAL(extent_map_get_frag(map, 0, &f), EXTENT_MAP_ERR_EMPTY);
	CU_ASSERT_EQUAL(extent_map_get_frag(map, BS / 2, &f), EXTENT_MAP_ERR_UNALIGNED);
}

/* The randomized property test: every operation is mirrored on a plain
 * array of per-block states and the two are compared. */

#define NBLK 1024
#define PROP_BASE (UINT64_C(0x10000000) + 5 * BS)
#define PROP_STEPS 100000

static uint64_t rng_state = UINT64_C(0x243f6a8885a308d3);

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t rng_below(uint64_t n)
{
	return rng() % n;
}

struct ref_block {
	struct extent_attr attr;
	uint64_t id;	/* extent identity; 0 when free */
};

static struct ref_block ref[NBLK];
static uint64_t ref_next_id = 1;

static bool attr_equal(const struct extent_attr *a, const struct extent_attr *b)
{
	return a->state == b->state && a->host == b->host && a->group == b->group &&
	       a->seq == b->seq && memcmp(a->tag, b->tag, sizeof(a->tag)) == 0;
}

static void ref_set(uint64_t first, uint64_t count, const struct extent_attr *attr)
{
	uint64_t id = attr->state == EXTENT_FREE ? 0 : ref_next_id++;
	struct extent_attr a = *attr;

	if (attr->state == EXTENT_FREE)
		extent_attr_init(&a, EXTENT_FREE);
	for (uint64_t i = first; i < first + count; i++) {
		ref[i].attr = a;
		ref[i].id = id;
	}
}

/* The run of blocks of one entry around block I: equal ids, or free. */
static void ref_run(uint64_t i, uint64_t *lo, uint64_t *hi)
{
	*lo = i;
	*hi = i + 1;
	while (*lo > 0 && ref[*lo - 1].id == ref[i].id)
		(*lo)--;
	while (*hi < NBLK && ref[*hi].id == ref[i].id)
		(*hi)++;
}

/* Free one time in FREE_IN. */
static struct extent_attr random_attr(uint64_t free_in)
{
	struct extent_attr attr;

	extent_attr_init(&attr, (enum extent_state)(rng_below(free_in) ? 1 + rng_below(4) : 0));
	attr.host = (int)rng_below(5) - 1;
	attr.group = rng_below(4);
	attr.seq = (uint16_t)rng_below(3);
	attr.tag[rng_below(16)] = (uint8_t)rng();
	return attr;
}

struct prop_walk {
	uint64_t pos;	/* next expected block */
	bool ok;
};

static int prop_compare(const struct extent_entry *e, void *data)
{
	struct prop_walk *w = data;
	uint64_t lo, hi;

	ref_run(w->pos, &lo, &hi);
	if (e->start != PROP_BASE + w->pos * BS || e->len != (hi - w->pos) * BS ||
	    !attr_equal(&e->attr, &ref[w->pos].attr))
		w->ok = false;
	w->pos = hi;
	return w->ok ? 0 : 1;
}

/* Free runs of the reference, by address. */
static size_t ref_free_runs(uint64_t (*runs)[2])
{
	size_t n = 0;

	for (uint64_t i = 0; i < NBLK;) {
		uint64_t lo, hi;

		ref_run(i, &lo, &hi);
		if (ref[i].attr.state == EXTENT_FREE) {
			runs[n][0] = lo;
			runs[n][1] = hi - lo;
			n++;
		}
		i = hi;
	}
	return n;
}

static void prop_compare_all(struct extent_map *map)
{
	struct prop_walk w = { 0, true };
	uint64_t bytes[EXTENT_STATE_COUNT] = { 0 }, total = 0, largest = 0;
	size_t extents = 0, free_runs = 0;

	extent_map_foreach(map, 0, UINT64_MAX, prop_compare, &w);
	CU_ASSERT_TRUE_FATAL(w.ok && w.pos == NBLK);
	for (uint64_t i = 0; i < NBLK;) {
		uint64_t lo, hi;

		ref_run(i, &lo, &hi);
		bytes[ref[i].attr.state] += (hi - lo) * BS;
		if (ref[i].attr.state == EXTENT_FREE) {
			free_runs++;
			largest = MAX(largest, (hi - lo) * BS);
		} else {
			extents++;
		}
		i = hi;
	}
	for (int s = 0; s < EXTENT_STATE_COUNT; s++) {
		CU_ASSERT_EQUAL_FATAL(extent_map_get_bytes(map, (enum extent_state)s), bytes[s]);
		total += extent_map_get_bytes(map, (enum extent_state)s);
	}
	CU_ASSERT_EQUAL_FATAL(total, NBLK * BS);
	CU_ASSERT_EQUAL_FATAL(extent_map_get_extent_count(map), extents);
	CU_ASSERT_EQUAL_FATAL(extent_map_get_free_count(map), free_runs);
	CU_ASSERT_EQUAL_FATAL(extent_map_get_largest_free(map), largest);
}

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The fewest ranges that can hold WANT blocks: the largest free runs first,
 * or for buddy the largest naturally aligned blocks first. */
static uint64_t ref_fewest(uint64_t want, bool buddy, uint64_t (*runs)[2], size_t nruns)
{
	static uint64_t pieces[NBLK];
	size_t n = 0;
	uint64_t sum = 0, count = 0;

	for (size_t r = 0; r < nruns; r++) {
		uint64_t i = runs[r][0], end = runs[r][0] + runs[r][1];

		if (!buddy) {
			pieces[n++] = runs[r][1];
			continue;
		}
		while (i < end) {
			uint64_t p = 1;

			while ((i % (p * 2)) == 0 && i + p * 2 <= end)
				p *= 2;
			pieces[n++] = p;
			i += p;
		}
	}
	qsort(pieces, n, sizeof(*pieces), cmp_desc);
	if (buddy && n && pieces[0] >= want)
		return 1;
	for (size_t i = 0; i < n && sum < want; i++, count++)
		sum += pieces[i];
	return sum >= want ? count : UINT64_MAX;
}

static void prop_alloc(struct extent_map *map, uint64_t step)
{
	static const unsigned maxes[] = { 1, 1, 2, 3, 8 };
	static uint64_t runs[NBLK][2];
	enum extent_alloc_policy policy = (enum extent_alloc_policy)rng_below(6);
	uint64_t blocks = 1 + rng_below(rng_below(4) ? 24 : 96), want = blocks;
	unsigned max = maxes[rng_below(G_N_ELEMENTS(maxes))];
	size_t nruns = ref_free_runs(runs);
	uint64_t free_blocks = 0, fewest;
	g_autoptr(GArray) out = ranges_new();
	struct extent_range sentinel = { 0, 0 };
	struct extent_attr pending;
	enum extent_map_status status;

	for (size_t r = 0; r < nruns; r++)
		free_blocks += runs[r][1];
	if (policy == EXTENT_ALLOC_BUDDY)
		while (want & (want - 1))
			want++;
	g_array_append_val(out, sentinel);
	status = extent_map_alloc(map, policy, blocks * BS, max, rng(), out);
	if (status == EXTENT_MAP_ERR_NO_SPACE) {
		CU_ASSERT_TRUE_FATAL(free_blocks < want);
		CU_ASSERT_EQUAL_FATAL(out->len, 1);
		return;
	}
	CU_ASSERT_TRUE_FATAL(free_blocks >= want);
	fewest = ref_fewest(want, policy == EXTENT_ALLOC_BUDDY, runs, nruns);
	if (status == EXTENT_MAP_ERR_NO_CONTIGUOUS) {
		CU_ASSERT_TRUE_FATAL(fewest > max);
		CU_ASSERT_EQUAL_FATAL(out->len, 1);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(status, EXTENT_MAP_OK);
	CU_ASSERT_TRUE_FATAL(out->len - 1 <= max && out->len > 1);

	uint64_t sum = 0, prev_end = 0;

	for (guint i = 1; i < out->len; i++) {
		const struct extent_range *r = &g_array_index(out, struct extent_range, i);
		uint64_t first = (r->start - PROP_BASE) / BS, count = r->len / BS;

		CU_ASSERT_EQUAL_FATAL(extent_map_validate(map, r->start, r->len), EXTENT_MAP_OK);
		CU_ASSERT_TRUE_FATAL(extent_map_range_is_free(map, r->start, r->len));
		for (uint64_t k = first; k < first + count; k++)
			CU_ASSERT_EQUAL_FATAL(ref[k].attr.state, EXTENT_FREE);
		/* In address order, disjoint; touching only for buddy blocks. */
		if (i > 1)
			CU_ASSERT_TRUE_FATAL(policy == EXTENT_ALLOC_BUDDY ? r->start >= prev_end
									  : r->start > prev_end);
		if (policy == EXTENT_ALLOC_BUDDY)
			CU_ASSERT_TRUE_FATAL((count & (count - 1)) == 0 && first % count == 0);
		prev_end = r->start + r->len;
		sum += count;
	}
	CU_ASSERT_EQUAL_FATAL(sum, want);

	/* Contiguous choices of the deterministic fits. */
	if (max == 1) {
		const struct extent_range *r = &g_array_index(out, struct extent_range, 1);
		uint64_t first = (r->start - PROP_BASE) / BS;
		size_t pick = nruns;

		for (size_t k = 0; k < nruns; k++) {
			if (runs[k][1] < want)
				continue;
			if (pick == nruns ||
			    (policy == EXTENT_ALLOC_BEST_FIT && runs[k][1] < runs[pick][1]) ||
			    (policy == EXTENT_ALLOC_WORST_FIT && runs[k][1] > runs[pick][1]))
				pick = k;
		}
		if (policy == EXTENT_ALLOC_FIRST_FIT || policy == EXTENT_ALLOC_BEST_FIT ||
		    policy == EXTENT_ALLOC_WORST_FIT)
			CU_ASSERT_EQUAL_FATAL(first, runs[pick][0]);
	}

	/* Assign what was chosen, one extent per range. */
	extent_attr_init(&pending, EXTENT_PENDING);
	pending.host = (int)rng_below(4);
	pending.group = step;
	for (guint i = 1; i < out->len; i++) {
		const struct extent_range *r = &g_array_index(out, struct extent_range, i);

		CU_ASSERT_EQUAL_FATAL(extent_map_set(map, r->start, r->len, &pending), EXTENT_MAP_OK);
		ref_set((r->start - PROP_BASE) / BS, r->len / BS, &pending);
	}
}

static void prop_step(struct extent_map *map, uint64_t step)
{
	uint64_t roll = rng_below(100), blk = rng_below(NBLK), lo, hi;
	struct extent_attr attr;
	struct extent_entry e;
	enum extent_map_status status;

	if (roll < 30) {
		uint64_t count = 1 + rng_below(MIN(40, NBLK - blk));

		/* Half the time a whole extent: the in-place paths. */
		if (rng_below(2) && ref[blk].attr.state != EXTENT_FREE) {
			ref_run(blk, &lo, &hi);
			blk = lo;
			count = hi - lo;
		}
		attr = random_attr(2);
		CU_ASSERT_EQUAL_FATAL(extent_map_set(map, PROP_BASE + blk * BS, count * BS, &attr),
				      EXTENT_MAP_OK);
		ref_set(blk, count, &attr);
	} else if (roll < 55) {
		prop_alloc(map, step);
	} else if (roll < 72) {
		/* Free the extent at a block, through modify. */
		extent_attr_init(&attr, EXTENT_FREE);
		status = extent_map_modify(map, PROP_BASE + blk * BS + rng_below(BS), &attr);
		CU_ASSERT_EQUAL_FATAL(status, ref[blk].attr.state == EXTENT_FREE
						      ? EXTENT_MAP_ERR_FREE : EXTENT_MAP_OK);
		ref_run(blk, &lo, &hi);
		ref_set(lo, hi - lo, &attr);
	} else if (roll < 80) {
		attr = random_attr(3);
		if (attr.state == EXTENT_FREE)
			attr.state = EXTENT_ACCEPTED;
		status = extent_map_modify(map, PROP_BASE + blk * BS, &attr);
		CU_ASSERT_EQUAL_FATAL(status, ref[blk].attr.state == EXTENT_FREE
						      ? EXTENT_MAP_ERR_FREE : EXTENT_MAP_OK);
		if (status == EXTENT_MAP_OK) {
			ref_run(blk, &lo, &hi);
			for (uint64_t i = lo; i < hi; i++)
				ref[i].attr = attr;
		}
	} else if (roll < 88) {
		status = extent_map_split(map, PROP_BASE + blk * BS);
		CU_ASSERT_EQUAL_FATAL(status, ref[blk].attr.state == EXTENT_FREE
						      ? EXTENT_MAP_ERR_FREE : EXTENT_MAP_OK);
		ref_run(blk, &lo, &hi);
		if (status == EXTENT_MAP_OK && lo < blk) {
			uint64_t id = ref_next_id++;

			for (uint64_t i = blk; i < hi; i++)
				ref[i].id = id;
		}
	} else if (roll < 94) {
		/* Bad ranges change nothing. */
		attr = random_attr(3);
		CU_ASSERT_EQUAL_FATAL(extent_map_set(map, PROP_BASE + blk / 2 * BS + 8, BS, &attr),
				      EXTENT_MAP_ERR_UNALIGNED);
		CU_ASSERT_EQUAL_FATAL(extent_map_set(map, PROP_BASE + blk * BS,
						     (NBLK - blk + 1) * BS, &attr),
				      EXTENT_MAP_ERR_OUTSIDE);
		CU_ASSERT_EQUAL_FATAL(extent_map_set(map, PROP_BASE - BS, BS, &attr),
				      EXTENT_MAP_ERR_OUTSIDE);
		CU_ASSERT_EQUAL_FATAL(extent_map_split(map, PROP_BASE + NBLK * BS),
				      EXTENT_MAP_ERR_OUTSIDE);
	} else {
		CU_ASSERT_TRUE_FATAL(extent_map_lookup(map, PROP_BASE + blk * BS + 3, &e));
		ref_run(blk, &lo, &hi);
		CU_ASSERT_EQUAL_FATAL(e.start, PROP_BASE + lo * BS);
		CU_ASSERT_EQUAL_FATAL(e.len, (hi - lo) * BS);
		CU_ASSERT_TRUE_FATAL(attr_equal(&e.attr, &ref[blk].attr));
		CU_ASSERT_FALSE_FATAL(extent_map_lookup(map, PROP_BASE + NBLK * BS + blk, &e));
	}
}

static void prop_frag(const struct extent_map *map)
{
	static uint64_t runs[NBLK][2];
	size_t nruns = ref_free_runs(runs);
	uint64_t r = 1 + rng_below(16), free_blocks = 0, fits = 0;
	struct extent_frag f;

	for (size_t k = 0; k < nruns; k++) {
		free_blocks += runs[k][1];
		fits += runs[k][1] / r;
	}
	CU_ASSERT_EQUAL_FATAL(extent_map_get_frag(map, r * BS, &f), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL_FATAL(f.free_blocks, free_blocks);
	CU_ASSERT_EQUAL_FATAL(f.free_extents, nruns);
	CU_ASSERT_EQUAL_FATAL(f.fits, fits);
}

/* Deep trees: 2^15 one-block extents every other block, then churn; the
 * summaries and both trees are checked at size. */
static void test_many_entries(void)
{
	const uint64_t blocks = UINT64_C(1) << 16;
	g_autoptr(extent_map) map = extent_map_new(0, blocks * BS, BS);
	g_autoptr(GArray) out = ranges_new();
	struct extent_attr used = attr_make(EXTENT_ACCEPTED, 1, 1);
	struct extent_attr free_attr = attr_make(EXTENT_FREE, -1, 0);

	for (uint64_t i = 0; i < blocks; i += 2)
		extent_map_set(map, AT(0, i), BS, &used);
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), blocks / 2);
	CU_ASSERT_EQUAL(extent_map_get_free_count(map), blocks / 2);
	assert_consistent(map);
	CU_ASSERT_EQUAL(alloc_blocks(map, EXTENT_ALLOC_FIRST_FIT, 2, 1, 0, out),
			EXTENT_MAP_ERR_NO_CONTIGUOUS);
	CU_ASSERT_EQUAL(alloc_blocks(map, EXTENT_ALLOC_BEST_FIT, 3, 3, 0, out), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(out->len, 3);
	for (unsigned step = 0; step < 20000; step++) {
		uint64_t i = rng() % blocks;

		if (step % 2)
			extent_map_set(map, AT(0, i), BS, &free_attr);
		else if (alloc_blocks(map, (enum extent_alloc_policy)(step / 2 % 6), 1 + rng() % 4,
				      1 + rng() % 3, rng(), out) == EXTENT_MAP_OK)
			for (guint k = 0; k < out->len; k++)
				extent_map_set(map, g_array_index(out, struct extent_range, k).start,
					       g_array_index(out, struct extent_range, k).len, &used);
		if (step % 5000 == 0)
			assert_consistent(map);
	}
	assert_consistent(map);
}

/* The address tree's edges: 10^5 entries made by splitting one extent
 * block by block (leaves split full, the tree grows), freed every third
 * block (no merges), then from the top down and the bottom up (leaves
 * merge or borrow, the tree shrinks), and a range over thousands of
 * entries freed at once. */
static void test_deep_tree(void)
{
	const uint64_t blocks = 100000;
	g_autoptr(extent_map) map = extent_map_new(AT(0, 0), blocks * BS, BS);
	struct extent_attr used = attr_make(EXTENT_ACCEPTED, 1, 1);
	struct extent_attr free_attr = attr_make(EXTENT_FREE, -1, 0);
	struct extent_entry e;

	CU_ASSERT_EQUAL(extent_map_set(map, AT(0, 0), blocks * BS, &used), EXTENT_MAP_OK);
	for (uint64_t i = blocks - 1; i > blocks / 2; i--)
		CU_ASSERT_EQUAL(extent_map_split(map, AT(0, i)), EXTENT_MAP_OK);
	for (uint64_t i = 1; i <= blocks / 2; i++)
		CU_ASSERT_EQUAL(extent_map_split(map, AT(0, i)), EXTENT_MAP_OK);
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), blocks);
	assert_consistent(map);
	for (uint64_t i = 0; i < blocks; i += 3)
		extent_map_set(map, AT(0, i), BS, &free_attr);
	CU_ASSERT_EQUAL(extent_map_get_free_count(map), (blocks + 2) / 3);
	assert_consistent(map);
	CU_ASSERT_TRUE(extent_map_lookup(map, AT(0, 7) + 1, &e));
	CU_ASSERT_TRUE(e.start == AT(0, 7) && e.len == BS && e.attr.state == EXTENT_ACCEPTED);

	/* A range over 30,000 entries, merging with the free block below. */
	CU_ASSERT_EQUAL(extent_map_set(map, AT(0, 40000), 30000 * BS, &free_attr), EXTENT_MAP_OK);
	CU_ASSERT_TRUE(extent_map_lookup(map, AT(0, 50000), &e));
	CU_ASSERT_TRUE(e.start == AT(0, 39999) && e.len == 30001 * BS);
	assert_consistent(map);
	for (uint64_t i = blocks; i-- > 70000;)
		extent_map_set(map, AT(0, i), BS, &free_attr);
	assert_consistent(map);
	for (uint64_t i = 0; i < 40000; i++)
		extent_map_set(map, AT(0, i), BS, &free_attr);
	CU_ASSERT_EQUAL(extent_map_get_extent_count(map), 0);
	CU_ASSERT_EQUAL(extent_map_get_free_count(map), 1);
	CU_ASSERT_EQUAL(extent_map_get_largest_free(map), blocks * BS);
	assert_consistent(map);
}

/* The map is FW_EXTENTS two-block extents, those of OWNER[k] true still
 * there, the rest free and coalesced. */
#define FW_EXTENTS 150
#define FW_BASE UINT64_C(0x200000)

static void assert_free_whole(struct extent_map *map, const bool *owned)
{
	struct expect_entry x[FW_EXTENTS];
	size_t n = 0;

	for (uint64_t k = 0; k < FW_EXTENTS; k++) {
		if (owned[k])
			x[n++] = (struct expect_entry){ 2 * k, 2, EXTENT_ACCEPTED };
		else if (n && x[n - 1].state == EXTENT_FREE)
			x[n - 1].len += 2;
		else
			x[n++] = (struct expect_entry){ 2 * k, 2, EXTENT_FREE };
	}
	assert_entries(map, x, n);
}

/* Freeing whole extents, which has a path of its own: extents covering a
 * region of several leaves (the size tree built first by a best-fit
 * allocation) are freed in orders that give them free neighbours on the
 * left (ascending), the right (descending), neither then both (even ones,
 * then odd ones) and any (shuffled), meeting the region ends and, across so
 * many entries, neighbours in other leaves. */
static void test_free_whole(void)
{
	struct extent_attr used = attr_make(EXTENT_ACCEPTED, 0, 0);
	struct extent_attr free_attr = attr_make(EXTENT_FREE, -1, 0);
	g_autoptr(GArray) out = ranges_new();

	for (unsigned order = 0; order < 8; order++) {
		g_autoptr(extent_map) map = extent_map_new(FW_BASE, 2 * FW_EXTENTS * BS, BS);
		unsigned seq[FW_EXTENTS];
		bool owned[FW_EXTENTS];

		CU_ASSERT_EQUAL(alloc_blocks(map, EXTENT_ALLOC_BEST_FIT, 1, 1, 0, out),
				EXTENT_MAP_OK);
		for (unsigned k = 0; k < FW_EXTENTS; k++) {
			extent_map_set(map, AT(FW_BASE, 2 * k), 2 * BS, &used);
			owned[k] = true;
			if (order == 0)
				seq[k] = k;
			else if (order == 1)
				seq[k] = FW_EXTENTS - 1 - k;
			else if (order == 2)
				seq[k] = k < (FW_EXTENTS + 1) / 2 ? 2 * k : 2 * k - FW_EXTENTS + 1;
			else
				seq[k] = k;
		}
		for (unsigned k = FW_EXTENTS; order >= 3 && k > 1; k--) {
			unsigned j = (unsigned)rng_below(k), t = seq[j];

			seq[j] = seq[k - 1];
			seq[k - 1] = t;
		}
		for (unsigned k = 0; k < FW_EXTENTS; k++) {
			CU_ASSERT_EQUAL(extent_map_set(map, AT(FW_BASE, 2 * seq[k]), 2 * BS,
						       &free_attr), EXTENT_MAP_OK);
			owned[seq[k]] = false;
			assert_free_whole(map, owned);
		}
		CU_ASSERT_EQUAL(extent_map_get_free_count(map), 1);
		CU_ASSERT_EQUAL(extent_map_get_largest_free(map), 2 * FW_EXTENTS * BS);
		CU_ASSERT_EQUAL(alloc_blocks(map, EXTENT_ALLOC_BEST_FIT, 2 * FW_EXTENTS, 1, 0, out),
				EXTENT_MAP_OK);
	}
}

/* Gives [FIRST, FIRST + COUNT) blocks, inside one free entry, a pending
 * extent and checks the map against the reference. */
static void carve_check(struct extent_map *map, uint64_t first, uint64_t count)
{
	struct extent_attr pending = attr_make(EXTENT_PENDING, 1, first);

	CU_ASSERT_EQUAL_FATAL(extent_map_set(map, PROP_BASE + first * BS, count * BS, &pending),
			      EXTENT_MAP_OK);
	ref_set(first, count, &pending);
	prop_compare_all(map);
	assert_consistent(map);
}

/* Carving an extent out of one free entry, which has a path of its own:
 * at the start, middle and end of free entries and over whole ones, in
 * first, middle and last slots of leaves that fill up and split, with the
 * size tree (built by a best-fit allocation) or the buddy orders (by a
 * buddy allocation) kept up to date. */
static void test_carve(void)
{
	struct extent_attr free_attr = attr_make(EXTENT_FREE, -1, 0);
	g_autoptr(GArray) out = ranges_new();

	for (unsigned index = 0; index < 2; index++) {
		g_autoptr(extent_map) map = extent_map_new(PROP_BASE, NBLK * BS, BS);

		ref_set(0, NBLK, &free_attr);
		CU_ASSERT_EQUAL(alloc_blocks(map, index ? EXTENT_ALLOC_BUDDY : EXTENT_ALLOC_BEST_FIT,
					     1, 1, 0, out), EXTENT_MAP_OK);
		/* Free entries of 16 blocks between one-block extents. */
		for (uint64_t i = 16; i < NBLK; i += 17)
			carve_check(map, i, 1);
		for (unsigned round = 0; round < 6; round++) {
			for (uint64_t i = 0, lo, hi; i < NBLK; i = hi) {
				uint64_t n;

				ref_run(i, &lo, &hi);
				n = hi - lo;
				if (ref[i].attr.state != EXTENT_FREE)
					continue;
				switch ((lo + round) % 4) {
				case 0:		/* at the start */
					carve_check(map, lo, (n + 1) / 2);
					break;
				case 1:		/* in the middle, or whole when too short */
					if (n < 3)
						carve_check(map, lo, n);
					else
						carve_check(map, lo + 1, n - 2);
					break;
				case 2:		/* at the end */
					carve_check(map, hi - (n + 1) / 2, (n + 1) / 2);
					break;
				default:	/* the whole entry */
					carve_check(map, lo, n);
					break;
				}
			}
		}
		CU_ASSERT_EQUAL(extent_map_get_free_count(map), 0);
		CU_ASSERT_EQUAL(alloc_blocks(map, EXTENT_ALLOC_BEST_FIT, 1, 1, 0, out),
				EXTENT_MAP_ERR_NO_SPACE);
	}
}

static void test_property(void)
{
	g_autoptr(extent_map) map = extent_map_new(PROP_BASE, NBLK * BS, BS);
	struct extent_attr free_attr;

	extent_attr_init(&free_attr, EXTENT_FREE);
	ref_set(0, NBLK, &free_attr);
	for (uint64_t step = 1; step <= PROP_STEPS; step++) {
		prop_step(map, step);
		prop_compare_all(map);
		if (step % 4 == 0)
			assert_consistent(map);
		if (step % 64 == 0)
			prop_frag(map);
	}
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "names", test_names },
		{ "geometry", test_geometry },
		{ "validate", test_validate },
		{ "set", test_set },
		{ "set_free_coalesces", test_set_free_coalesces },
		{ "split", test_split },
		{ "modify", test_modify },
		{ "foreach", test_foreach },
		{ "alloc_errors", test_alloc_errors },
		{ "first_fit", test_first_fit },
		{ "best_fit", test_best_fit },
		{ "worst_fit", test_worst_fit },
		{ "next_fit", test_next_fit },
		{ "next_fit_wrap", test_next_fit_wrap },
		{ "random", test_random },
		{ "buddy", test_buddy },
		{ "frag", test_frag },
		{ "many_entries", test_many_entries },
		{ "deep_tree", test_deep_tree },
		{ "free_whole", test_free_whole },
		{ "carve", test_carve },
		{ "property", test_property },
		{ NULL, NULL },
	};

	return unit_run("extent_map", tests);
}
