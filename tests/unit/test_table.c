/* The hash table (src/sim/table.c) against GHashTable: random adds, finds
 * and removes over a small key space (long probe chains, backward shifts
 * across the wrap, growth), checked after every operation. */
#include <string.h>

#include "sim/table.h"
#include "unit.h"

struct key {
	uint64_t k[2];
};

static guint key_hash(gconstpointer p)
{
	const struct key *k = p;

	return (guint)(k->k[0] * 31 + k->k[1]);
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(struct key)) == 0;
}

/* Runs OPS random operations with keys drawn from SPACE values per word. */
static void run_against_reference(uint64_t seed, unsigned ops, uint64_t space)
{
	GHashTable *ref = g_hash_table_new_full(key_hash, key_equal, g_free, g_free);
	struct sim_table t;
	unsigned wrong = 0;

	sim_table_init(&t);
	for (unsigned i = 0; i < ops; i++) {
		struct key k = { { unit_random(&seed) % space, unit_random(&seed) % 3 } };
		uint64_t *got = sim_table_find(&t, k.k[0], k.k[1]);
		uint64_t *want = g_hash_table_lookup(ref, &k);
		unsigned op = (unsigned)(unit_random(&seed) % 3);

		if ((got == NULL) != (want == NULL) || (got && *got != *want)) {
			wrong++;
			continue;
		}
		if (op == 0 && !want) {
			uint64_t v = unit_random(&seed) | 1;

			sim_table_add(&t, k.k[0], k.k[1], v);
			g_hash_table_insert(ref, g_memdup2(&k, sizeof(k)), g_memdup2(&v, sizeof(v)));
		} else if (op == 1 && want) {
			sim_table_remove(&t, got);
			g_hash_table_remove(ref, &k);
		} else if (op == 2 && want) {
			*got = *want = unit_random(&seed) | 1;
		}
		if (t.count != g_hash_table_size(ref))
			wrong++;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	sim_table_clear(&t);
	g_hash_table_destroy(ref);
}

static void test_random_small(void)
{
	run_against_reference(1, 200000, 40);
}

static void test_random_large(void)
{
	run_against_reference(2, 400000, 5000);
}

/* Pointer values by id, as the models use them. */
static void test_ids(void)
{
	struct sim_table t;
	int objects[100];
	int walked = 0;

	sim_table_init(&t);
	for (int i = 0; i < 100; i++)
		sim_table_put(&t, (uint64_t)i * 4096 + 1, &objects[i]);
	CU_ASSERT_EQUAL(t.count, 100);
	for (int i = 0; i < 100; i++)
		CU_ASSERT_PTR_EQUAL(sim_table_get(&t, (uint64_t)i * 4096 + 1), &objects[i]);
	CU_ASSERT_PTR_NULL(sim_table_get(&t, 2));
	for (int i = 0; i < 100; i += 2)
		CU_ASSERT_TRUE(sim_table_drop(&t, (uint64_t)i * 4096 + 1));
	CU_ASSERT_FALSE(sim_table_drop(&t, 1));
	CU_ASSERT_EQUAL(t.count, 50);
	for (int i = 1; i < 100; i += 2)
		CU_ASSERT_PTR_EQUAL(sim_table_get(&t, (uint64_t)i * 4096 + 1), &objects[i]);
	/* a walk over the slots finds each odd object once */
	for (uint32_t i = 0; i < sim_table_capacity(&t); i++) {
		int *o = sim_table_ptr_at(&t, i);

		if (o)
			walked += (int)(o - objects) % 2 ? 1 : 1000;
	}
	CU_ASSERT_EQUAL(walked, 50);
	sim_table_clear(&t);
	CU_ASSERT_EQUAL(sim_table_capacity(&t), 0);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "random operations on a crowded key space", test_random_small },
		{ "random operations with growth", test_random_large },
		{ "pointers by id", test_ids },
		{ NULL, NULL },
	};

	return unit_run("table", tests);
}
