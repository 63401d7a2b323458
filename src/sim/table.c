/* Linear probing with backward-shift deletion: no tombstones, so a table
 * that sees millions of adds and removes never slows down. */
#include "sim/table.h"

#include <stddef.h>

#define MIN_SLOTS 16

static uint32_t home(const struct sim_table *t, uint64_t k0, uint64_t k1)
{
	uint64_t h = k0 * UINT64_C(0x9e3779b97f4a7c15) ^ k1 * UINT64_C(0xc2b2ae3d27d4eb4f);

	return (uint32_t)(h ^ h >> 32) & t->mask;
}

void sim_table_init(struct sim_table *t)
{
	t->slots = g_new0(struct sim_table_slot, MIN_SLOTS);
	t->mask = MIN_SLOTS - 1;
	t->count = 0;
}

void sim_table_clear(struct sim_table *t)
{
	g_free(t->slots);
	t->slots = NULL;
	t->mask = t->count = 0;
}

uint64_t *sim_table_find(const struct sim_table *t, uint64_t k0, uint64_t k1)
{
	for (uint32_t i = home(t, k0, k1);; i = (i + 1) & t->mask) {
		struct sim_table_slot *s = &t->slots[i];

		if (!s->value)
			return NULL;
		if (s->key[0] == k0 && s->key[1] == k1)
			return &s->value;
	}
}

static void put(struct sim_table *t, const struct sim_table_slot *slot)
{
	uint32_t i = home(t, slot->key[0], slot->key[1]);

	while (t->slots[i].value)
		i = (i + 1) & t->mask;
	t->slots[i] = *slot;
	t->count++;
}

void sim_table_add(struct sim_table *t, uint64_t k0, uint64_t k1, uint64_t value)
{
	struct sim_table_slot slot = { { k0, k1 }, value };

	g_return_if_fail(value != 0);
	if (2 * ((uint64_t)t->count + 1) > (uint64_t)t->mask + 1) {
		struct sim_table_slot *old = t->slots;
		uint32_t n = t->mask + 1;

		t->slots = g_new0(struct sim_table_slot, 2 * (size_t)n);
		t->mask = 2 * n - 1;
		t->count = 0;
		for (uint32_t i = 0; i < n; i++)
			if (old[i].value)
				put(t, &old[i]);
		g_free(old);
	}
	put(t, &slot);
}

void sim_table_remove(struct sim_table *t, uint64_t *value)
{
	const struct sim_table_slot *slot =
		(const struct sim_table_slot *)((char *)value - offsetof(struct sim_table_slot, value));
	uint32_t hole = (uint32_t)(slot - t->slots);

	/* backward shift: an entry after the hole moves into it unless its
	 * home lies between the hole and itself, so no probe chain breaks */
	for (uint32_t j = (hole + 1) & t->mask; t->slots[j].value; j = (j + 1) & t->mask) {
		uint32_t h = home(t, t->slots[j].key[0], t->slots[j].key[1]);

		if (((j - h) & t->mask) >= ((j - hole) & t->mask)) {
			t->slots[hole] = t->slots[j];
			hole = j;
		}
	}
	t->slots[hole].value = 0;
	t->count--;
}
