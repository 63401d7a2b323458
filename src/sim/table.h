/* A hash table from 16-byte keys (two 64-bit words: an id and 0, or the
 * bytes of a tag) to non-zero 64-bit values (counts, or pointers), by
 * linear probing in an array at most half full.  Models look up their
 * requests, offers and tags on most events: a probe here touches one cache
 * line, where GHashTable calls back for hashing and equality and keeps
 * keys, values and hashes in three arrays. */
#ifndef DCDSIM_SIM_TABLE_H
#define DCDSIM_SIM_TABLE_H

#include <glib.h>
#include <stdint.h>

struct sim_table_slot {
	uint64_t key[2];
	uint64_t value;		/* 0: the slot is empty */
};

struct sim_table {
	struct sim_table_slot *slots;
	uint32_t mask;		/* the slot count (a power of two) - 1 */
	uint32_t count;
};

void sim_table_init(struct sim_table *t);
void sim_table_clear(struct sim_table *t);
/* The value of key (K0, K1), or NULL; valid until the table changes. */
uint64_t *sim_table_find(const struct sim_table *t, uint64_t k0, uint64_t k1);
/* Adds key (K0, K1), which must be absent, with VALUE (non-zero). */
void sim_table_add(struct sim_table *t, uint64_t k0, uint64_t k1, uint64_t value);
/* Removes the entry whose value sim_table_find returned. */
void sim_table_remove(struct sim_table *t, uint64_t *value);

/* For walks over every entry: slots 0 .. sim_table_capacity(T) - 1, each
 * a value or 0 (empty), in an order no result may depend on. */
static inline uint32_t sim_table_capacity(const struct sim_table *t)
{
	return t->slots ? t->mask + 1 : 0;
}

static inline void *sim_table_ptr_at(const struct sim_table *t, uint32_t i)
{
	return (void *)(uintptr_t)t->slots[i].value;
}

/* The same for pointer values keyed by one 64-bit id. */
static inline void *sim_table_get(const struct sim_table *t, uint64_t id)
{
	const uint64_t *v = sim_table_find(t, id, 0);

	return v ? (void *)(uintptr_t)*v : NULL;
}

static inline void sim_table_put(struct sim_table *t, uint64_t id, void *p)
{
	sim_table_add(t, id, 0, (uintptr_t)p);
}

/* Removes ID if present; true when it was. */
static inline gboolean sim_table_drop(struct sim_table *t, uint64_t id)
{
	uint64_t *v = sim_table_find(t, id, 0);

	if (v)
		sim_table_remove(t, v);
	return v != NULL;
}

#endif
