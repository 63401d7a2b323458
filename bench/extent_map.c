/* Extent map benchmark: for each allocation policy, contiguous and gathering
 * up to 8 ranges, fill a region with LIVE allocations (default 10^5; one
 * extent each when contiguous), churn it untimed to fragment it, then time
 * OPS steps (default 2*10^5) of "release a random live allocation, allocate
 * and assign a new one" and print the steps per second.
 * usage: extent_map [LIVE [OPS [POLICY]]] */
#include "models/extent_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BLOCK UINT64_C(4096)
#define MAX_BLOCKS 12	/* request sizes are uniform in 1..MAX_BLOCKS blocks */
#define MAX_RANGES 8

/* The extents of one allocation. */
struct alloc {
	unsigned count;
	struct extent_range range[MAX_RANGES];
};

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct bench {
	struct extent_map *map;
	enum extent_alloc_policy policy;
	unsigned max_extents;
	GArray *live;	/* struct alloc */
	GArray *out;
	unsigned long failures;
};

static void release_one(struct bench *b)
{
	struct extent_attr free_attr;
	guint i;

	if (!b->live->len)
		return;
	i = (guint)(rng() % b->live->len);
	extent_attr_init(&free_attr, EXTENT_FREE);
	for (unsigned k = 0; k < g_array_index(b->live, struct alloc, i).count; k++) {
		const struct extent_range *r = &g_array_index(b->live, struct alloc, i).range[k];

		extent_map_set(b->map, r->start, r->len, &free_attr);
	}
	g_array_remove_index_fast(b->live, i);
}

static void allocate_one(struct bench *b)
{
	struct extent_attr pending;
	struct alloc a = { 0 };
	uint64_t size = (1 + rng() % MAX_BLOCKS) * BLOCK;

	extent_attr_init(&pending, EXTENT_PENDING);
	pending.host = 0;
	g_array_set_size(b->out, 0);
	if (extent_map_alloc(b->map, b->policy, size, b->max_extents, rng(), b->out) !=
	    EXTENT_MAP_OK) {
		b->failures++;
		return;
	}
	for (guint i = 0; i < b->out->len; i++) {
		const struct extent_range *r = &g_array_index(b->out, struct extent_range, i);

		extent_map_set(b->map, r->start, r->len, &pending);
		a.range[a.count++] = *r;
	}
	g_array_append_val(b->live, a);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void run(enum extent_alloc_policy policy, unsigned max_extents, guint live,
		unsigned long ops)
{
	/* Room for LIVE extents of the mean size (buddy rounded) at ~85%. */
	uint64_t blocks = (uint64_t)live * 21 / 2;
	struct bench b = {
		.map = extent_map_new(0, blocks * BLOCK, BLOCK),
		.policy = policy,
		.max_extents = max_extents,
		.live = g_array_new(FALSE, FALSE, sizeof(struct alloc)),
		.out = g_array_new(FALSE, FALSE, sizeof(struct extent_range)),
	};
	double start, wall;

	while (b.live->len < live && b.failures < live)
		allocate_one(&b);
	for (unsigned long i = 0; i < live; i++) {
		release_one(&b);
		allocate_one(&b);
	}
	b.failures = 0;
	start = now();
	for (unsigned long i = 0; i < ops; i++) {
		release_one(&b);
		allocate_one(&b);
	}
	wall = now() - start;
	printf("%-9s %3u %8u %8zu %8zu %6lu %9.0f %6.2f\n", extent_alloc_policy_name(policy),
	       max_extents, b.live->len, extent_map_get_extent_count(b.map),
	       extent_map_get_free_count(b.map), b.failures, (double)ops / wall,
	       wall / (double)ops * 1e6);
	g_array_unref(b.live);
	g_array_unref(b.out);
	extent_map_free(b.map);
}

int main(int argc, char **argv)
{
	guint live = argc > 1 ? (guint)strtoul(argv[1], NULL, 10) : 100000;
	unsigned long ops = argc > 2 ? strtoul(argv[2], NULL, 10) : 200000;
	enum extent_alloc_policy only = EXTENT_ALLOC_FIRST_FIT;

	if (!live || !ops || (argc > 3 && !extent_alloc_policy_from_name(argv[3], &only))) {
		fprintf(stderr, "usage: %s [LIVE [OPS [POLICY]]]\n", argv[0]);
		return 2;
	}
	printf("op = release a random live allocation, allocate and assign 1..%u blocks\n",
	       MAX_BLOCKS);
	printf("%-9s %3s %8s %8s %8s %6s %9s %6s\n", "policy", "max", "allocs", "extents",
	       "free", "failed", "ops/s", "us/op");
	for (unsigned max_extents = 1; max_extents <= MAX_RANGES; max_extents *= MAX_RANGES)
		for (int p = EXTENT_ALLOC_FIRST_FIT; p <= EXTENT_ALLOC_RANDOM; p++)
			if (argc <= 3 || (enum extent_alloc_policy)p == only)
				run((enum extent_alloc_policy)p, max_extents, live, ops);
	return 0;
}
