/* The extent map keeps every entry in two treaps sharing their nodes:
 *  - the address tree holds all entries keyed by start DPA, each subtree
 *    summarising its free entries (largest length, total bytes, buddy block
 *    orders present) so that first/next fit, random and buddy searches
 *    descend in O(log n);
 *  - the size tree holds the free entries keyed by (length, start) for
 *    best and worst fit.
 * Treaps keep the code small (split and merge do most updates) and their
 * priorities come from a fixed-seed generator, so runs are reproducible. */
#include "models/extent_map.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { ADDR, SIZE, TREES };

struct node {
	struct node *kid[TREES][2];
	uint64_t start, len;
	struct extent_attr attr;
	uint32_t prio;
	uint64_t own_orders;	/* bit o: the free entry holds a buddy block of 2^o blocks */
	/* over the node's address subtree */
	uint64_t max_free;
	uint64_t free_bytes;
	uint64_t orders;
};

/* Nodes come from slabs that double in size up to this many nodes, so a
 * small region costs little and a busy one does not call malloc per entry. */
#define SLAB_MAX 4096

struct extent_map {
	uint64_t base, length, block_size;
	unsigned shift;
	struct node *root[TREES];
	uint64_t bytes[EXTENT_STATE_COUNT];
	size_t entries, free_count;
	uint64_t cursor;
	uint64_t prio_state;
	struct node *spare;	/* free list, linked through kid[ADDR][0] */
	size_t slab_size;
	GPtrArray *slabs;
};

G_DEFINE_QUARK(extent-map-error-quark, extent_map_error)

static const char *const state_names[EXTENT_STATE_COUNT] = {
	"free", "pending", "accepted", "releasing", "sanitizing",
};

const char *extent_state_name(enum extent_state state)
{
	g_return_val_if_fail(state < EXTENT_STATE_COUNT, NULL);
	return state_names[state];
}

const char *extent_map_status_name(enum extent_map_status status)
{
	switch (status) {
	case EXTENT_MAP_OK:
		return "ok";
	case EXTENT_MAP_ERR_EMPTY:
		return "empty range";
	case EXTENT_MAP_ERR_OUTSIDE:
		return "outside the region";
	case EXTENT_MAP_ERR_UNALIGNED:
		return "not block aligned";
	case EXTENT_MAP_ERR_FREE:
		return "not an extent";
	case EXTENT_MAP_ERR_ARGUMENT:
		return "invalid argument";
	case EXTENT_MAP_ERR_NO_SPACE:
		return "no space";
	case EXTENT_MAP_ERR_NO_CONTIGUOUS:
		return "no contiguous space";
	}
	g_return_val_if_reached(NULL);
}

static const char *const policy_names[] = {
	[EXTENT_ALLOC_FIRST_FIT] = "first-fit",
	[EXTENT_ALLOC_NEXT_FIT] = "next-fit",
	[EXTENT_ALLOC_BEST_FIT] = "best-fit",
	[EXTENT_ALLOC_WORST_FIT] = "worst-fit",
	[EXTENT_ALLOC_BUDDY] = "buddy",
	[EXTENT_ALLOC_RANDOM] = "random",
};

const char *extent_alloc_policy_name(enum extent_alloc_policy policy)
{
	g_return_val_if_fail(policy < G_N_ELEMENTS(policy_names), NULL);
	return policy_names[policy];
}

bool extent_alloc_policy_from_name(const char *name, enum extent_alloc_policy *out)
{
	g_return_val_if_fail(name && out, false);
	for (size_t i = 0; i < G_N_ELEMENTS(policy_names); i++) {
		if (strcmp(name, policy_names[i]) == 0) {
			*out = (enum extent_alloc_policy)i;
			return true;
		}
	}
	return false;
}

void extent_attr_init(struct extent_attr *attr, enum extent_state state)
{
	g_return_if_fail(attr);
	memset(attr, 0, sizeof(*attr));
	attr->state = state;
	attr->host = -1;
}

static bool is_free(const struct node *n)
{
	return n->attr.state == EXTENT_FREE;
}

static uint64_t node_end(const struct node *n)
{
	return n->start + n->len;
}

static uint64_t region_end(const struct extent_map *map)
{
	return map->base + map->length;
}

static unsigned floor_log2(uint64_t x)
{
	return 63u - (unsigned)__builtin_clzll(x);
}

/* Order of the largest naturally aligned block starting at block index I
 * and ending by END: the canonical buddy decomposition of a free range. */
static unsigned buddy_order(uint64_t i, uint64_t end)
{
	unsigned fit = floor_log2(end - i);

	if (i && (unsigned)__builtin_ctzll(i) < fit)
		return (unsigned)__builtin_ctzll(i);
	return fit;
}

static uint64_t buddy_orders(const struct extent_map *map, uint64_t start, uint64_t len)
{
	uint64_t i = (start - map->base) >> map->shift;
	uint64_t end = i + (len >> map->shift), orders = 0;

	while (i < end) {
		unsigned o = buddy_order(i, end);

		orders |= UINT64_C(1) << o;
		i += UINT64_C(1) << o;
	}
	return orders;
}

/* A free entry's own orders are never empty (it holds a block at least);
 * a non-free one's are: reading them spares a look at the attributes. */
static void node_update(struct node *n)
{
	uint64_t own = n->own_orders ? n->len : 0;
	uint64_t max_free = own, free_bytes = own, orders = n->own_orders;

	for (int side = 0; side < 2; side++) {
		const struct node *k = n->kid[ADDR][side];

		if (!k)
			continue;
		max_free = MAX(max_free, k->max_free);
		free_bytes += k->free_bytes;
		orders |= k->orders;
	}
	n->max_free = max_free;
	n->free_bytes = free_bytes;
	n->orders = orders;
}

static void fix(int tree, struct node *n)
{
	if (tree == ADDR)
		node_update(n);
}

/* key(N) < (LEN, START) in TREE's order; the address tree ignores LEN. */
static bool key_less(int tree, const struct node *n, uint64_t len, uint64_t start)
{
	if (tree == SIZE && n->len != len)
		return n->len < len;
	return n->start < start;
}

static void split(int tree, struct node *t, uint64_t len, uint64_t start, struct node **lo,
		  struct node **hi)
{
	if (!t) {
		*lo = *hi = NULL;
		return;
	}
	if (key_less(tree, t, len, start)) {
		split(tree, t->kid[tree][1], len, start, &t->kid[tree][1], hi);
		*lo = t;
	} else {
		split(tree, t->kid[tree][0], len, start, lo, &t->kid[tree][0]);
		*hi = t;
	}
	fix(tree, t);
}

static struct node *merge(int tree, struct node *a, struct node *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->prio >= b->prio) {
		a->kid[tree][1] = merge(tree, a->kid[tree][1], b);
		fix(tree, a);
		return a;
	}
	b->kid[tree][0] = merge(tree, a, b->kid[tree][0]);
	fix(tree, b);
	return b;
}

static struct node *insert(int tree, struct node *t, struct node *n)
{
	int side;

	if (!t)
		return n;
	if (n->prio > t->prio) {
		split(tree, t, n->len, n->start, &n->kid[tree][0], &n->kid[tree][1]);
		fix(tree, n);
		return n;
	}
	side = key_less(tree, n, t->len, t->start) ? 0 : 1;
	t->kid[tree][side] = insert(tree, t->kid[tree][side], n);
	fix(tree, t);
	return t;
}

/* Unlinks N from TREE, leaving it ready to be inserted again. */
static struct node *erase(int tree, struct node *t, struct node *n)
{
	struct node *rest;
	int side;

	g_assert(t);
	if (t == n) {
		rest = merge(tree, n->kid[tree][0], n->kid[tree][1]);
		n->kid[tree][0] = n->kid[tree][1] = NULL;
		return rest;
	}
	side = key_less(tree, n, t->len, t->start) ? 0 : 1;
	t->kid[tree][side] = erase(tree, t->kid[tree][side], n);
	fix(tree, t);
	return t;
}

static uint32_t next_prio(struct extent_map *map)
{
	uint64_t x = map->prio_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	map->prio_state = x;
	return (uint32_t)(x >> 32);
}

/* A detached node: in no tree and not counted yet (see attach). */
static struct node *node_new(struct extent_map *map, uint64_t start, uint64_t len,
			     const struct extent_attr *attr)
{
	struct node *n;

	if (!map->spare) {
		struct node *slab = g_new(struct node, map->slab_size);

		g_ptr_array_add(map->slabs, slab);
		for (size_t i = 0; i < map->slab_size; i++) {
			slab[i].kid[ADDR][0] = map->spare;
			map->spare = &slab[i];
		}
		map->slab_size = MIN(map->slab_size * 2, SLAB_MAX);
	}
	n = map->spare;
	map->spare = n->kid[ADDR][0];
	memset(n, 0, sizeof(*n));
	n->start = start;
	n->len = len;
	n->attr = *attr;
	n->prio = next_prio(map);
	if (is_free(n))
		n->own_orders = buddy_orders(map, start, len);
	node_update(n);
	return n;
}

/* Counts N and files a free one in the size tree; the caller links it into
 * the address tree. */
static void attach(struct extent_map *map, struct node *n)
{
	map->bytes[n->attr.state] += n->len;
	map->entries++;
	if (is_free(n)) {
		map->free_count++;
		map->root[SIZE] = insert(SIZE, map->root[SIZE], n);
	}
}

/* Uncounts N and takes a free one out of the size tree. */
static void detach(struct extent_map *map, struct node *n)
{
	map->bytes[n->attr.state] -= n->len;
	map->entries--;
	if (is_free(n)) {
		map->free_count--;
		map->root[SIZE] = erase(SIZE, map->root[SIZE], n);
	}
}

/* Uncounts and recycles every node of address subtree T, already cut out
 * of the address tree. */
static void drop_all(struct extent_map *map, struct node *t)
{
	struct node *left, *right;

	if (!t)
		return;
	left = t->kid[ADDR][0];
	right = t->kid[ADDR][1];
	drop_all(map, left);
	drop_all(map, right);
	detach(map, t);
	t->kid[ADDR][0] = map->spare;
	map->spare = t;
}

/* Recomputes the summaries on the path from T down to N. */
static void refresh(struct node *t, const struct node *n)
{
	if (t != n)
		refresh(t->kid[ADDR][n->start > t->start], n);
	node_update(t);
}

/* The entry containing DPA, which must lie inside the region. */
static struct node *addr_find(const struct extent_map *map, uint64_t dpa)
{
	struct node *t = map->root[ADDR], *best = NULL;

	while (t) {
		if (t->start <= dpa) {
			best = t;
			t = t->kid[ADDR][1];
		} else {
			t = t->kid[ADDR][0];
		}
	}
	return best;
}

/* What a search wants of a free entry: a length of at least V bytes, or
 * (ORDER) a buddy block of an order in mask V. */
struct want {
	bool order;
	uint64_t v;
};

static bool subtree_has(const struct node *t, struct want w)
{
	return w.order ? (t->orders & w.v) != 0 : t->max_free >= w.v;
}

static bool node_has(const struct node *t, struct want w)
{
	return w.order ? (t->own_orders & w.v) != 0 : t->own_orders && t->len >= w.v;
}

/* The lowest entry starting at or above POS that has W.  Descends only into
 * subtrees whose summary promises a hit, so it stays O(log n). */
static struct node *first_from(struct node *t, uint64_t pos, struct want w)
{
	struct node *hit;

	if (!t || !subtree_has(t, w))
		return NULL;
	if (t->start >= pos) {
		hit = first_from(t->kid[ADDR][0], pos, w);
		if (hit)
			return hit;
		if (node_has(t, w))
			return t;
	}
	return first_from(t->kid[ADDR][1], pos, w);
}

static struct node *free_from(const struct extent_map *map, uint64_t pos, uint64_t min_len)
{
	return first_from(map->root[ADDR], pos, (struct want){ .order = false, .v = min_len });
}

/* The free entry holding free byte number *OFF (counting free bytes only,
 * in address order); *OFF becomes the offset inside that entry. */
static struct node *free_at(struct node *t, uint64_t *off)
{
	for (;;) {
		struct node *l = t->kid[ADDR][0];
		uint64_t lf = l ? l->free_bytes : 0;

		if (*off < lf) {
			t = l;
			continue;
		}
		*off -= lf;
		if (is_free(t)) {
			if (*off < t->len)
				return t;
			*off -= t->len;
		}
		t = t->kid[ADDR][1];
	}
}

/* The free entry of smallest key >= (LEN, START). */
static struct node *size_ceil(const struct extent_map *map, uint64_t len, uint64_t start)
{
	struct node *t = map->root[SIZE], *best = NULL;

	while (t) {
		if (key_less(SIZE, t, len, start)) {
			t = t->kid[SIZE][1];
		} else {
			best = t;
			t = t->kid[SIZE][0];
		}
	}
	return best;
}

/* The free entry of largest key < (LEN, START). */
static struct node *size_below(const struct extent_map *map, uint64_t len, uint64_t start)
{
	struct node *t = map->root[SIZE], *best = NULL;

	while (t) {
		if (key_less(SIZE, t, len, start)) {
			best = t;
			t = t->kid[SIZE][1];
		} else {
			t = t->kid[SIZE][0];
		}
	}
	return best;
}

/* Free entries by decreasing length, equal lengths by increasing address. */
static struct node *largest(const struct extent_map *map)
{
	return map->free_count ? size_ceil(map, map->root[ADDR]->max_free, 0) : NULL;
}

static struct node *largest_next(const struct extent_map *map, const struct node *n)
{
	struct node *s = size_ceil(map, n->len, n->start + 1);

	if (s && s->len == n->len)
		return s;
	s = size_below(map, n->len, 0);
	return s ? size_ceil(map, s->len, 0) : NULL;
}

bool extent_map_geometry_valid(uint64_t base, uint64_t length, uint64_t block_size)
{
	return block_size >= 64 && (block_size & (block_size - 1)) == 0 && length > 0 &&
	       ((base | length) & (block_size - 1)) == 0 && base <= UINT64_MAX - length;
}

struct extent_map *extent_map_new(uint64_t base, uint64_t length, uint64_t block_size)
{
	struct extent_map *map;
	struct extent_attr free_attr;

	g_return_val_if_fail(extent_map_geometry_valid(base, length, block_size), NULL);
	map = g_new0(struct extent_map, 1);
	map->base = base;
	map->length = length;
	map->block_size = block_size;
	map->shift = floor_log2(block_size);
	map->cursor = base;
	map->prio_state = UINT64_C(0x9e3779b97f4a7c15);
	map->slab_size = 16;
	map->slabs = g_ptr_array_new_with_free_func(g_free);
	extent_attr_init(&free_attr, EXTENT_FREE);
	map->root[ADDR] = node_new(map, base, length, &free_attr);
	attach(map, map->root[ADDR]);
	return map;
}

void extent_map_free(struct extent_map *map)
{
	if (!map)
		return;
	g_ptr_array_unref(map->slabs);
	g_free(map);
}

uint64_t extent_map_get_base(const struct extent_map *map)
{
	g_return_val_if_fail(map, 0);
	return map->base;
}

uint64_t extent_map_get_length(const struct extent_map *map)
{
	g_return_val_if_fail(map, 0);
	return map->length;
}

uint64_t extent_map_get_block_size(const struct extent_map *map)
{
	g_return_val_if_fail(map, 0);
	return map->block_size;
}

uint64_t extent_map_get_bytes(const struct extent_map *map, enum extent_state state)
{
	g_return_val_if_fail(map && state < EXTENT_STATE_COUNT, 0);
	return map->bytes[state];
}

size_t extent_map_get_extent_count(const struct extent_map *map)
{
	g_return_val_if_fail(map, 0);
	return map->entries - map->free_count;
}

size_t extent_map_get_free_count(const struct extent_map *map)
{
	g_return_val_if_fail(map, 0);
	return map->free_count;
}

uint64_t extent_map_get_largest_free(const struct extent_map *map)
{
	g_return_val_if_fail(map, 0);
	return map->root[ADDR]->max_free;
}

uint64_t extent_map_get_cursor(const struct extent_map *map)
{
	g_return_val_if_fail(map, 0);
	return map->cursor;
}

static bool inside(const struct extent_map *map, uint64_t dpa)
{
	return dpa >= map->base && dpa - map->base < map->length;
}

enum extent_map_status extent_map_set_cursor(struct extent_map *map, uint64_t dpa)
{
	g_return_val_if_fail(map, EXTENT_MAP_ERR_ARGUMENT);
	if (!inside(map, dpa))
		return EXTENT_MAP_ERR_OUTSIDE;
	if (dpa & (map->block_size - 1))
		return EXTENT_MAP_ERR_UNALIGNED;
	map->cursor = dpa;
	return EXTENT_MAP_OK;
}

enum extent_map_status extent_map_validate(const struct extent_map *map, uint64_t start,
					   uint64_t len)
{
	g_return_val_if_fail(map, EXTENT_MAP_ERR_ARGUMENT);
	if (!len)
		return EXTENT_MAP_ERR_EMPTY;
	if (!inside(map, start) || len > map->length - (start - map->base))
		return EXTENT_MAP_ERR_OUTSIDE;
	if ((start | len) & (map->block_size - 1))
		return EXTENT_MAP_ERR_UNALIGNED;
	return EXTENT_MAP_OK;
}

bool extent_map_range_is_free(const struct extent_map *map, uint64_t start, uint64_t len)
{
	const struct node *n;

	if (extent_map_validate(map, start, len) != EXTENT_MAP_OK)
		return false;
	n = addr_find(map, start);
	return is_free(n) && node_end(n) - start >= len;
}

static void entry_copy(const struct node *n, struct extent_entry *out)
{
	out->start = n->start;
	out->len = n->len;
	out->attr = n->attr;
}

bool extent_map_lookup(const struct extent_map *map, uint64_t dpa, struct extent_entry *out)
{
	g_return_val_if_fail(map && out, false);
	if (!inside(map, dpa))
		return false;
	entry_copy(addr_find(map, dpa), out);
	return true;
}

int extent_map_foreach(struct extent_map *map, uint64_t start, uint64_t len, extent_map_fn fn,
		       void *data)
{
	uint64_t pos, end;

	g_return_val_if_fail(map && fn, 0);
	if (!len)
		return 0;
	pos = MAX(start, map->base);
	end = len > UINT64_MAX - start ? UINT64_MAX : start + len;
	end = MIN(end, region_end(map));
	while (pos < end) {
		struct extent_entry e;
		int ret;

		entry_copy(addr_find(map, pos), &e);
		ret = fn(&e, data);
		if (ret)
			return ret;
		pos = e.start + e.len;
	}
	return 0;
}

int extent_map_foreach_free(struct extent_map *map, extent_map_fn fn, void *data)
{
	uint64_t pos = map ? map->base : 0;
	const struct node *n;

	g_return_val_if_fail(map && fn, 0);
	while ((n = free_from(map, pos, 1))) {
		struct extent_entry e;
		int ret;

		entry_copy(n, &e);
		ret = fn(&e, data);
		if (ret)
			return ret;
		pos = e.start + e.len;
	}
	return 0;
}

static void add_entry(struct extent_map *map, uint64_t start, uint64_t len,
		      const struct extent_attr *attr)
{
	struct node *n = node_new(map, start, len, attr);

	attach(map, n);
	map->root[ADDR] = insert(ADDR, map->root[ADDR], n);
}

/* Gives [START, END), inside entry N, the non-free ATTR with no coalescing to
 * do: N keeps its start and becomes the first piece, the others are
 * inserted.  The common case (allocation, state changes) at a fraction of
 * the cost of cutting the tree. */
static void carve(struct extent_map *map, struct node *n, uint64_t start, uint64_t end,
		  const struct extent_attr *attr)
{
	struct extent_attr outer = n->attr;
	uint64_t outer_end = node_end(n);

	detach(map, n);
	if (n->start < start) {
		n->len = start - n->start;
	} else {
		n->len = end - start;
		n->attr = *attr;
	}
	n->own_orders = is_free(n) ? buddy_orders(map, n->start, n->len) : 0;
	attach(map, n);
	refresh(map->root[ADDR], n);
	if (n->start < start)
		add_entry(map, start, end - start, attr);
	if (end < outer_end)
		add_entry(map, end, outer_end - end, &outer);
}

/* Takes N, detached, out of the address tree and recycles it. */
static void unlink_node(struct extent_map *map, struct node *n)
{
	map->root[ADDR] = erase(ADDR, map->root[ADDR], n);
	n->kid[ADDR][0] = map->spare;
	map->spare = n;
}

/* Frees the whole extent N in place, merging it into a free neighbour on
 * either side: no more than a size-tree update, an address-tree erase per
 * neighbour merged and one refresh of the summaries, where the general
 * path cuts and rebuilds the address tree. */
static void free_extent(struct extent_map *map, struct node *n)
{
	struct node *prev = n->start > map->base ? addr_find(map, n->start - 1) : NULL;
	struct node *next = node_end(n) < region_end(map) ? addr_find(map, node_end(n)) : NULL;
	struct node *keep = n;

	detach(map, n);
	extent_attr_init(&n->attr, EXTENT_FREE);
	if (prev && is_free(prev)) {
		detach(map, prev);
		prev->len += n->len;
		unlink_node(map, n);
		keep = prev;
	}
	if (next && is_free(next)) {
		detach(map, next);
		keep->len += next->len;
		unlink_node(map, next);
	}
	keep->own_orders = buddy_orders(map, keep->start, keep->len);
	attach(map, keep);
	refresh(map->root[ADDR], keep);
}

/* Rewrites [START, END) with ATTR: cuts the entries overlapping it (and a
 * free neighbour a free ATTR touches) out of the address tree, and puts back
 * at most five pieces with adjacent free ones merged.  Whole extents
 * changing state, and ranges inside one entry becoming an extent, are
 * done in place. */
static void replace(struct extent_map *map, uint64_t start, uint64_t end,
		    const struct extent_attr *attr)
{
	struct extent_entry piece[5];
	unsigned count = 0, merged = 0;
	struct node *first = addr_find(map, start);
	const struct node *last = node_end(first) >= end ? first : addr_find(map, end - 1);
	uint64_t lo = first->start, hi = node_end(last);
	struct extent_attr free_attr;
	struct node *left, *mid, *right, *pieces = NULL;

	if (last == first && !is_free(first) && lo == start && hi == end) {
		if (attr->state == EXTENT_FREE) {
			free_extent(map, first);
		} else {
			/* the summaries count free entries only */
			map->bytes[first->attr.state] -= first->len;
			map->bytes[attr->state] += first->len;
			first->attr = *attr;
		}
		return;
	}
	if (last == first && attr->state != EXTENT_FREE) {
		carve(map, first, start, end, attr);
		return;
	}
	if (last == first && is_free(first))
		return;		/* freeing free space */
	if (attr->state == EXTENT_FREE) {
		extent_attr_init(&free_attr, EXTENT_FREE);
		attr = &free_attr;
		if (lo == start && lo > map->base) {
			const struct node *prev = addr_find(map, lo - 1);

			if (is_free(prev)) {
				entry_copy(prev, &piece[count++]);
				lo = prev->start;
			}
		}
	}
	if (first->start < start)
		piece[count++] = (struct extent_entry){ first->start, start - first->start, first->attr };
	piece[count++] = (struct extent_entry){ start, end - start, *attr };
	if (end < node_end(last))
		piece[count++] = (struct extent_entry){ end, node_end(last) - end, last->attr };
	if (attr->state == EXTENT_FREE && hi == end && hi < region_end(map)) {
		const struct node *next = addr_find(map, hi);

		if (is_free(next)) {
			entry_copy(next, &piece[count++]);
			hi = node_end(next);
		}
	}
	for (unsigned i = 0; i < count; i++) {
		if (merged && piece[merged - 1].attr.state == EXTENT_FREE &&
		    piece[i].attr.state == EXTENT_FREE)
			piece[merged - 1].len += piece[i].len;
		else
			piece[merged++] = piece[i];
	}

	split(ADDR, map->root[ADDR], 0, lo, &left, &mid);
	split(ADDR, mid, 0, hi, &mid, &right);
	drop_all(map, mid);
	for (unsigned i = 0; i < merged; i++) {
		struct node *n = node_new(map, piece[i].start, piece[i].len, &piece[i].attr);

		attach(map, n);
		pieces = merge(ADDR, pieces, n);
	}
	map->root[ADDR] = merge(ADDR, merge(ADDR, left, pieces), right);
}

enum extent_map_status extent_map_set(struct extent_map *map, uint64_t start, uint64_t len,
				      const struct extent_attr *attr)
{
	enum extent_map_status status;

	g_return_val_if_fail(map && attr && attr->state < EXTENT_STATE_COUNT,
			     EXTENT_MAP_ERR_ARGUMENT);
	status = extent_map_validate(map, start, len);
	if (status == EXTENT_MAP_OK)
		replace(map, start, start + len, attr);
	return status;
}

enum extent_map_status extent_map_split(struct extent_map *map, uint64_t dpa)
{
	struct node *n;
	uint64_t end;

	g_return_val_if_fail(map, EXTENT_MAP_ERR_ARGUMENT);
	if (!inside(map, dpa))
		return EXTENT_MAP_ERR_OUTSIDE;
	if (dpa & (map->block_size - 1))
		return EXTENT_MAP_ERR_UNALIGNED;
	n = addr_find(map, dpa);
	if (is_free(n))
		return EXTENT_MAP_ERR_FREE;
	if (n->start == dpa)
		return EXTENT_MAP_OK;
	/* The summaries only count free entries, so shrinking a non-free one
	 * in place leaves them valid. */
	end = node_end(n);
	n->len = dpa - n->start;
	map->bytes[n->attr.state] -= end - dpa;
	add_entry(map, dpa, end - dpa, &n->attr);
	return EXTENT_MAP_OK;
}

enum extent_map_status extent_map_modify(struct extent_map *map, uint64_t dpa,
					 const struct extent_attr *attr)
{
	struct node *n;

	g_return_val_if_fail(map && attr && attr->state < EXTENT_STATE_COUNT,
			     EXTENT_MAP_ERR_ARGUMENT);
	if (!inside(map, dpa))
		return EXTENT_MAP_ERR_OUTSIDE;
	n = addr_find(map, dpa);
	if (is_free(n))
		return EXTENT_MAP_ERR_FREE;
	if (attr->state == EXTENT_FREE) {
		replace(map, n->start, node_end(n), attr);
		return EXTENT_MAP_OK;
	}
	map->bytes[n->attr.state] -= n->len;
	map->bytes[attr->state] += n->len;
	n->attr = *attr;
	return EXTENT_MAP_OK;
}

/* The ranges one allocation has chosen so far, appended to OUT from index
 * FIRST on. */
struct gather {
	GArray *out;
	guint first;
	unsigned max;
	uint64_t size;
	uint64_t rem;
	uint64_t last_end;
};

/* Takes up to AVAIL bytes at START; false when MAX ranges are taken. */
static bool take(struct gather *g, uint64_t start, uint64_t avail)
{
	struct extent_range r = { start, MIN(avail, g->rem) };

	if (g->out->len - g->first == g->max)
		return false;
	g_array_append_val(g->out, r);
	g->rem -= r.len;
	g->last_end = r.start + r.len;
	return true;
}

static void gather_reset(struct gather *g)
{
	g_array_set_size(g->out, g->first);
	g->rem = g->size;
}

static bool take_largest(const struct extent_map *map, struct gather *g)
{
	for (const struct node *n = largest(map); n && g->rem; n = largest_next(map, n))
		if (!take(g, n->start, n->len))
			return false;
	return g->rem == 0;
}

static bool take_first_fit(const struct extent_map *map, struct gather *g)
{
	const struct node *n;
	uint64_t pos = map->base;

	if (g->max == 1) {
		n = free_from(map, map->base, g->rem);
		return n && take(g, n->start, g->rem);
	}
	while (g->rem && (n = free_from(map, pos, 1))) {
		if (!take(g, n->start, n->len))
			return false;
		pos = node_end(n);
	}
	return g->rem == 0;
}

static bool take_best_fit(const struct extent_map *map, struct gather *g)
{
	const struct node *n = size_ceil(map, g->rem, 0);

	if (n || g->max == 1)
		return n && take(g, n->start, g->rem);
	/* Largest first until one free extent holds the rest; that one is the
	 * smallest such, unless it is of the current length, whose lower
	 * addresses may be taken already. */
	for (const struct node *cur = largest(map); cur; cur = largest_next(map, cur)) {
		if (cur->len >= g->rem) {
			n = size_ceil(map, g->rem, 0);
			return take(g, (n->len < cur->len ? n : cur)->start, g->rem);
		}
		if (!take(g, cur->start, cur->len))
			return false;
	}
	return false;
}

/* One range in address order from POS, wrapping at the region end. */
static bool take_contiguous_from(const struct extent_map *map, struct gather *g, uint64_t pos)
{
	const struct node *n = addr_find(map, pos);

	if (is_free(n) && node_end(n) - pos >= g->rem)
		return take(g, pos, g->rem);
	n = free_from(map, pos, g->rem);
	if (!n)
		n = free_from(map, map->base, g->rem);
	return n && take(g, n->start, g->rem);
}

/* Free space in address order from POS, wrapping at the region end: the part
 * above POS of a free extent straddling it comes first, its part below last. */
static bool take_from(const struct extent_map *map, struct gather *g, uint64_t pos)
{
	const struct node *n = addr_find(map, pos);
	uint64_t at = pos;

	if (is_free(n) && n->start < pos) {
		if (!take(g, pos, node_end(n) - pos))
			return false;
		at = node_end(n);
	}
	for (; g->rem && (n = free_from(map, at, 1)); at = node_end(n))
		if (!take(g, n->start, n->len))
			return false;
	for (at = map->base; g->rem && (n = free_from(map, at, 1)) && n->start < pos;
	     at = node_end(n))
		if (!take(g, n->start, MIN(node_end(n), pos) - n->start))
			return false;
	return g->rem == 0;
}

static bool take_random(const struct extent_map *map, struct gather *g, uint64_t random_value)
{
	uint64_t off = (random_value % (map->root[ADDR]->free_bytes >> map->shift)) << map->shift;
	const struct node *n = free_at(map->root[ADDR], &off);
	uint64_t pos = n->start + off;

	if (g->max > 1)
		return take_from(map, g, pos);
	if (n->len >= g->rem)
		return take(g, MIN(pos, node_end(n) - g->rem), g->rem);
	return take_contiguous_from(map, g, pos);
}

/* The DPA of the first buddy block of order O in free entry N. */
static uint64_t buddy_block(const struct extent_map *map, const struct node *n, unsigned o)
{
	uint64_t i = (n->start - map->base) >> map->shift;
	uint64_t end = i + (n->len >> map->shift);

	while (buddy_order(i, end) != o)
		i += UINT64_C(1) << buddy_order(i, end);
	return map->base + (i << map->shift);
}

/* Takes every buddy block of order O of free entry N, while needed. */
static bool take_buddy_blocks(const struct extent_map *map, struct gather *g,
			      const struct node *n, unsigned o)
{
	uint64_t i = (n->start - map->base) >> map->shift;
	uint64_t end = i + (n->len >> map->shift);

	for (; i < end && g->rem; i += UINT64_C(1) << buddy_order(i, end))
		if (buddy_order(i, end) == o &&
		    !take(g, map->base + (i << map->shift), (UINT64_C(1) << o) << map->shift))
			return false;
	return true;
}

/* G->size is 2^K blocks.  Without a free block of order >= K, blocks taken
 * whole in decreasing order always fit the rest exactly: each leaves a
 * remainder that is a multiple of the next, smaller or equal, block. */
static bool take_buddy(const struct extent_map *map, struct gather *g, unsigned k)
{
	uint64_t fits = map->root[ADDR]->orders >> k << k;

	if (fits) {
		unsigned o = (unsigned)__builtin_ctzll(fits);
		struct want w = { .order = true, .v = UINT64_C(1) << o };
		const struct node *n = first_from(map->root[ADDR], map->base, w);

		return take(g, buddy_block(map, n, o), g->rem);
	}
	if (g->max == 1)
		return false;
	for (unsigned o = k; o-- > 0 && g->rem;) {
		struct want w = { .order = true, .v = UINT64_C(1) << o };
		const struct node *n;

		for (uint64_t at = map->base; g->rem && (n = first_from(map->root[ADDR], at, w));
		     at = node_end(n))
			if (!take_buddy_blocks(map, g, n, o))
				return false;
	}
	return g->rem == 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct extent_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorts this allocation's ranges by address, merging touching ones unless
 * each must stay one buddy block. */
static void gather_finish(struct gather *g, bool merge_adjacent)
{
	struct extent_range *r = &g_array_index(g->out, struct extent_range, g->first);
	guint count = g->out->len - g->first, kept = 0;

	qsort(r, count, sizeof(*r), range_cmp);
	for (guint i = 0; i < count; i++) {
		if (kept && merge_adjacent && r[kept - 1].start + r[kept - 1].len == r[i].start)
			r[kept - 1].len += r[i].len;
		else
			r[kept++] = r[i];
	}
	g_array_set_size(g->out, g->first + kept);
}

enum extent_map_status extent_map_alloc(struct extent_map *map, enum extent_alloc_policy policy,
					uint64_t size, unsigned max_extents,
					uint64_t random_value, GArray *out_ranges)
{
	struct gather g;
	unsigned k = 0;
	bool done = false;

	g_return_val_if_fail(map && out_ranges, EXTENT_MAP_ERR_ARGUMENT);
	g_return_val_if_fail(policy < G_N_ELEMENTS(policy_names), EXTENT_MAP_ERR_ARGUMENT);
	g_return_val_if_fail(g_array_get_element_size(out_ranges) == sizeof(struct extent_range),
			     EXTENT_MAP_ERR_ARGUMENT);
	if (!size)
		return EXTENT_MAP_ERR_EMPTY;
	if (size & (map->block_size - 1))
		return EXTENT_MAP_ERR_UNALIGNED;
	if (!max_extents)
		return EXTENT_MAP_ERR_ARGUMENT;
	if (size > map->length)
		return EXTENT_MAP_ERR_NO_SPACE;
	if (policy == EXTENT_ALLOC_BUDDY) {
		uint64_t blocks = size >> map->shift;

		k = blocks > 1 ? floor_log2(blocks - 1) + 1 : 0;
		size = (UINT64_C(1) << k) << map->shift;
		if (size > map->length)
			return EXTENT_MAP_ERR_NO_SPACE;
	}
	if (map->root[ADDR]->free_bytes < size)
		return EXTENT_MAP_ERR_NO_SPACE;

	g = (struct gather){ out_ranges, out_ranges->len, max_extents, size, size, 0 };
	switch (policy) {
	case EXTENT_ALLOC_FIRST_FIT:
		done = take_first_fit(map, &g);
		break;
	case EXTENT_ALLOC_NEXT_FIT:
		done = max_extents == 1 ? take_contiguous_from(map, &g, map->cursor)
					: take_from(map, &g, map->cursor);
		break;
	case EXTENT_ALLOC_BEST_FIT:
		done = take_best_fit(map, &g);
		break;
	case EXTENT_ALLOC_WORST_FIT:
		done = take_largest(map, &g);
		break;
	case EXTENT_ALLOC_BUDDY:
		done = take_buddy(map, &g, k);
		break;
	case EXTENT_ALLOC_RANDOM:
		done = take_random(map, &g, random_value);
		break;
	}
	if (!done && max_extents > 1 && policy != EXTENT_ALLOC_BUDDY) {
		gather_reset(&g);
		done = take_largest(map, &g);
	}
	if (!done) {
		gather_reset(&g);
		return EXTENT_MAP_ERR_NO_CONTIGUOUS;
	}
	gather_finish(&g, policy != EXTENT_ALLOC_BUDDY);
	if (policy == EXTENT_ALLOC_NEXT_FIT)
		map->cursor = g.last_end == region_end(map) ? map->base : g.last_end;
	return EXTENT_MAP_OK;
}

static uint64_t count_fits(const struct node *t, uint64_t request)
{
	if (!t)
		return 0;
	return t->len / request + count_fits(t->kid[SIZE][0], request) +
	       count_fits(t->kid[SIZE][1], request);
}

enum extent_map_status extent_map_get_frag(const struct extent_map *map, uint64_t request,
					   struct extent_frag *out)
{
	g_return_val_if_fail(map && out, EXTENT_MAP_ERR_ARGUMENT);
	if (!request)
		return EXTENT_MAP_ERR_EMPTY;
	if (request & (map->block_size - 1))
		return EXTENT_MAP_ERR_UNALIGNED;
	out->free_blocks = map->root[ADDR]->free_bytes >> map->shift;
	out->free_extents = map->free_count;
	out->fits = count_fits(map->root[SIZE], request);
	return EXTENT_MAP_OK;
}

struct check {
	const struct extent_map *map;
	GError **error;
	uint64_t pos;		/* end of the previous entry in address order */
	bool prev_free;
	uint64_t bytes[EXTENT_STATE_COUNT];
	size_t entries, free_count;
	const struct node *prev;	/* previous node of the size tree */
};

G_GNUC_PRINTF(2, 3)
static bool check_fail(struct check *c, const char *format, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, format);
	msg = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_set_error(c->error, EXTENT_MAP_ERROR, EXTENT_MAP_ERROR_INCONSISTENT, "extent map: %s",
		    msg);
	g_free(msg);
	return false;
}

static bool check_heap(struct check *c, int tree, const struct node *t)
{
	for (int side = 0; side < 2; side++) {
		const struct node *k = t->kid[tree][side];

		if (k && k->prio > t->prio)
			return check_fail(c, "%s tree heap order broken under %#" PRIx64,
					  tree == ADDR ? "address" : "size", t->start);
	}
	return true;
}

static bool check_entry(struct check *c, const struct node *t)
{
	const struct extent_map *map = c->map;
	static const uint8_t no_tag[16];
	bool free;

	if (t->start != c->pos)
		return check_fail(c, "entry at %#" PRIx64 " where %#" PRIx64 " was expected",
				  t->start, c->pos);
	if (!t->len || (t->len & (map->block_size - 1)) || t->len > region_end(map) - t->start)
		return check_fail(c, "entry at %#" PRIx64 " has bad length %#" PRIx64, t->start,
				  t->len);
	if (t->attr.state >= EXTENT_STATE_COUNT)
		return check_fail(c, "entry at %#" PRIx64 " has bad state %d", t->start,
				  (int)t->attr.state);
	free = is_free(t);
	if (free && c->prev_free)
		return check_fail(c, "free entry at %#" PRIx64 " follows a free entry", t->start);
	if (free && (t->attr.host != -1 || t->attr.group || t->attr.seq ||
		     memcmp(t->attr.tag, no_tag, sizeof(no_tag)) != 0))
		return check_fail(c, "free entry at %#" PRIx64 " has attributes", t->start);
	if (t->own_orders != (free ? buddy_orders(map, t->start, t->len) : 0))
		return check_fail(c, "entry at %#" PRIx64 " has stale buddy orders", t->start);
	c->bytes[t->attr.state] += t->len;
	c->entries++;
	c->free_count += free;
	c->pos = node_end(t);
	c->prev_free = free;
	return true;
}

static bool check_addr(struct check *c, const struct node *t)
{
	struct node expect;

	if (!t)
		return true;
	if (!check_heap(c, ADDR, t) || !check_addr(c, t->kid[ADDR][0]) || !check_entry(c, t) ||
	    !check_addr(c, t->kid[ADDR][1]))
		return false;
	expect = *t;
	node_update(&expect);
	if (expect.max_free != t->max_free || expect.free_bytes != t->free_bytes ||
	    expect.orders != t->orders)
		return check_fail(c, "stale subtree summary at %#" PRIx64, t->start);
	return true;
}

static bool check_size(struct check *c, const struct node *t, size_t *count)
{
	if (!t)
		return true;
	if (!check_heap(c, SIZE, t) || !check_size(c, t->kid[SIZE][0], count))
		return false;
	if (c->prev && !key_less(SIZE, c->prev, t->len, t->start))
		return check_fail(c, "size tree out of order at %#" PRIx64, t->start);
	if (!is_free(t) || addr_find(c->map, t->start) != t)
		return check_fail(c, "size tree holds %#" PRIx64 ", not a free entry", t->start);
	c->prev = t;
	(*count)++;
	return check_size(c, t->kid[SIZE][1], count);
}

bool extent_map_check(const struct extent_map *map, GError **error)
{
	struct check c = { .map = map, .error = error };
	size_t sized = 0;

	g_return_val_if_fail(map, false);
	c.pos = map->base;
	if (!check_addr(&c, map->root[ADDR]) || !check_size(&c, map->root[SIZE], &sized))
		return false;
	if (c.pos != region_end(map))
		return check_fail(&c, "entries end at %#" PRIx64 ", not at the region end", c.pos);
	if (memcmp(c.bytes, map->bytes, sizeof(c.bytes)) != 0)
		return check_fail(&c, "byte counters differ from the entries");
	if (c.entries != map->entries || c.free_count != map->free_count)
		return check_fail(&c, "entry counters %zu/%zu, entries %zu/%zu", map->entries,
				  map->free_count, c.entries, c.free_count);
	if (sized != map->free_count)
		return check_fail(&c, "size tree holds %zu of %zu free entries", sized,
				  map->free_count);
	if (!inside(map, map->cursor) || (map->cursor & (map->block_size - 1)))
		return check_fail(&c, "cursor %#" PRIx64 " is not a block of the region",
				  map->cursor);
	return true;
}
