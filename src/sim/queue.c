/* The event queue: a radix queue over 64-bit times (a radix heap with
 * byte-wide digits, much like a hierarchical timing wheel).
 *
 * Every pair lies at or after BASE, the time of the last cascade.  A pair
 * whose time first differs from BASE in byte L (counting from the least
 * significant) sits in level L, in the bucket named by its byte L.  So level
 * 0 holds exact times, everything in level L comes before everything in
 * level L + 1, and within a level the buckets are in time order: the first
 * pair is in the first non-empty bucket of the lowest non-empty level.
 *
 * Popping takes from level 0.  When level 0 is empty, the first bucket of
 * the lowest non-empty level is cascaded: BASE moves up to its smallest
 * time (kept per bucket) and its pairs are pushed again, landing in lower
 * levels.  A pair moves down at most seven times, and in practice once or
 * twice (a delay of d ns lands in level log256(d)), so push and pop are O(1)
 * amortized whatever the number of pending events, and all the work is
 * appending to and reading from arrays: no comparisons to mispredict, no
 * cache misses chasing a heap's children.
 *
 * Ties: buckets are first-in first-out lists and a cascade empties a bucket
 * into levels that are empty (anything there would come first), keeping its
 * order.  By induction every bucket lists its pairs in push order, so pairs
 * with equal times, which share a level-0 bucket, pop in push order.
 *
 * Buckets are lists of fixed-size chunks drawn from a free list: memory is
 * proportional to the number of pending pairs (never to the spread of
 * their times), and after warm-up pushing and popping allocate nothing. */
#include "sim/queue.h"

#define DIGIT_BITS 8
#define FANOUT (1u << DIGIT_BITS)	/* buckets per level */
#define LEVELS (64 / DIGIT_BITS)
#define WORDS (FANOUT / 64)		/* bitmap words per level */
/* A chunk is 1 KiB: long enough for a crowded bucket to stream through
 * memory, short enough that the at most LEVELS * FANOUT buckets non-empty
 * at once hold at most 2 MiB of partly filled chunks.  (From 256 B to 4 KiB
 * the hold benchmark cannot tell the difference.) */
#define CHUNK_ENTRIES 63
#define SLAB_CHUNKS 64			/* chunks allocated at once */

struct entry {
	uint64_t time;
	uint32_t id;
};

struct chunk {
	struct chunk *next;		/* towards the tail; the free list */
	uint32_t count;			/* entries written */
	struct entry entries[CHUNK_ENTRIES];
};

G_STATIC_ASSERT(sizeof(struct chunk) == 1024);

struct bucket {
	struct chunk *head;		/* read end; NULL when empty */
	struct chunk *tail;		/* write end */
	uint32_t next;			/* next entry to read in head */
	uint64_t min;			/* smallest time held */
};

struct level {
	uint64_t occupied[WORDS];	/* bit d: bucket d is not empty */
	struct bucket buckets[FANOUT];
};

struct sim_queue {
	uint64_t base;			/* no pair lies before it */
	size_t size;
	gboolean ties_left;		/* see sim_queue_ties_left() */
	unsigned occupied;		/* bit l: level l is not empty */
	struct chunk *free_chunks;
	GPtrArray *slabs;		/* every chunk allocation, for sim_queue_free() */
	struct level levels[LEVELS];
};

struct sim_queue *sim_queue_new(void)
{
	struct sim_queue *q = g_new0(struct sim_queue, 1);

	q->slabs = g_ptr_array_new_with_free_func(g_free);
	return q;
}

void sim_queue_free(struct sim_queue *q)
{
	if (!q)
		return;
	g_ptr_array_free(q->slabs, TRUE);
	g_free(q);
}

static struct chunk *chunk_take(struct sim_queue *q)
{
	struct chunk *c;

	if (!q->free_chunks) {
		struct chunk *slab = g_new(struct chunk, SLAB_CHUNKS);

		g_ptr_array_add(q->slabs, slab);
		for (unsigned i = 0; i < SLAB_CHUNKS; i++)
			slab[i].next = i + 1 < SLAB_CHUNKS ? &slab[i + 1] : NULL;
		q->free_chunks = slab;
	}
	c = q->free_chunks;
	q->free_chunks = c->next;
	c->next = NULL;
	c->count = 0;
	return c;
}

/* Last in, first out: the chunk just emptied is the one still in cache. */
static void chunk_give(struct sim_queue *q, struct chunk *c)
{
	c->next = q->free_chunks;
	q->free_chunks = c;
}

/* The level of TIME relative to BASE (TIME >= BASE): the byte holding the
 * highest bit in which they differ; level 0 when they are equal. */
static inline unsigned level_of(uint64_t base, uint64_t time)
{
	return (unsigned)(63 - __builtin_clzll((time ^ base) | 1)) / DIGIT_BITS;
}

static inline unsigned digit_of(uint64_t time, unsigned level)
{
	return (unsigned)(time >> (level * DIGIT_BITS)) & (FANOUT - 1);
}

/* The first non-empty bucket of a non-empty level. */
static inline unsigned first_digit(const struct level *lv)
{
	unsigned w = 0;

	while (!lv->occupied[w])
		w++;
	return w * 64 + (unsigned)__builtin_ctzll(lv->occupied[w]);
}

static inline void append(struct sim_queue *q, uint64_t time, uint32_t id)
{
	unsigned level = level_of(q->base, time);
	unsigned digit = digit_of(time, level);
	struct level *lv = &q->levels[level];
	struct bucket *b = &lv->buckets[digit];
	struct chunk *c = b->tail;

	if (!b->head) {
		c = chunk_take(q);
		b->head = b->tail = c;
		b->next = 0;
		b->min = time;
		lv->occupied[digit / 64] |= UINT64_C(1) << (digit % 64);
		q->occupied |= 1u << level;
	} else {
		if (c->count == CHUNK_ENTRIES) {
			c->next = chunk_take(q);
			b->tail = c = c->next;
		}
		if (time < b->min)
			b->min = time;
	}
	c->entries[c->count++] = (struct entry){ time, id };
}

/* Marks bucket DIGIT of LEVEL empty; its chunks are the caller's. */
static void bucket_detach(struct sim_queue *q, unsigned level, unsigned digit)
{
	struct level *lv = &q->levels[level];

	lv->buckets[digit].head = lv->buckets[digit].tail = NULL;
	lv->occupied[digit / 64] &= ~(UINT64_C(1) << (digit % 64));
	for (unsigned w = 0; w < WORDS; w++)
		if (lv->occupied[w])
			return;
	q->occupied &= ~(1u << level);
}

/* Empties bucket DIGIT of LEVEL (> 0) into the levels below it, which are
 * empty, after moving BASE to its first time. */
static void cascade(struct sim_queue *q, unsigned level, unsigned digit)
{
	struct bucket *b = &q->levels[level].buckets[digit];
	struct chunk *c = b->head;
	uint32_t i = b->next;

	q->base = b->min;
	bucket_detach(q, level, digit);
	while (c) {
		struct chunk *next = c->next;

		for (; i < c->count; i++)
			append(q, c->entries[i].time, c->entries[i].id);
		chunk_give(q, c);
		c = next;
		i = 0;
	}
}

void sim_queue_push(struct sim_queue *q, uint64_t time, uint32_t id)
{
	/* An empty queue may lower its base freely: nothing lies below. */
	if (!q->size && time < q->base)
		q->base = time;
	g_return_if_fail(time >= q->base);
	append(q, time, id);
	q->size++;
}

gboolean sim_queue_pop(struct sim_queue *q, uint64_t limit, uint64_t *time, uint32_t *id)
{
	struct level *lv = &q->levels[0];
	struct bucket *b;
	struct chunk *c;
	unsigned digit;

	if (!q->size)
		return FALSE;
	if (!(q->occupied & 1)) {
		unsigned level = (unsigned)__builtin_ctz(q->occupied);

		digit = first_digit(&q->levels[level]);
		b = &q->levels[level].buckets[digit];
		if (b->min > limit)
			return FALSE;
		c = b->head;
		if (c == b->tail && b->next + 1 == c->count) {
			/* A lone pair is the first: no need to cascade it. */
			q->base = b->min;
			*time = c->entries[b->next].time;
			*id = c->entries[b->next].id;
			bucket_detach(q, level, digit);
			chunk_give(q, c);
			q->size--;
			q->ties_left = FALSE;
			return TRUE;
		}
		cascade(q, level, digit);
	}
	digit = first_digit(lv);
	b = &lv->buckets[digit];
	if (b->min > limit)
		return FALSE;
	c = b->head;
	*time = c->entries[b->next].time;
	*id = c->entries[b->next].id;
	/* a level-0 bucket holds one exact time: what is left in it ties */
	q->ties_left = TRUE;
	if (++b->next == c->count) {
		if (c == b->tail) {
			bucket_detach(q, 0, digit);
			q->ties_left = FALSE;
		} else {
			b->head = c->next;
			b->next = 0;
		}
		chunk_give(q, c);
	}
	q->size--;
	return TRUE;
}

gboolean sim_queue_upcoming(const struct sim_queue *q, unsigned distance, uint32_t *id)
{
	const struct level *lv = &q->levels[0];
	const struct bucket *b;
	const struct chunk *c;
	uint32_t i;

	if (!(q->occupied & 1))
		return FALSE;
	b = &lv->buckets[first_digit(lv)];
	c = b->head;
	i = b->next + distance;
	if (i >= c->count) {
		i -= c->count;
		c = c->next;
		if (!c || i >= c->count)
			return FALSE;
	}
	*id = c->entries[i].id;
	return TRUE;
}

size_t sim_queue_size(const struct sim_queue *q)
{
	return q->size;
}

void sim_queue_rebase(struct sim_queue *q, uint64_t base)
{
	g_return_if_fail(q->size == 0);
	q->base = base;
}

gboolean sim_queue_ties_left(const struct sim_queue *q)
{
	return q->ties_left;
}
