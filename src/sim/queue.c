/* A flat 4-ary min-heap: shallower than a binary heap and its four children
 * share a cache line. */
#include "sim/queue.h"

struct entry {
	uint64_t time;
	uint64_t key;
};

struct sim_queue {
	struct entry *heap;
	size_t size;
	size_t capacity;
};

static inline gboolean entry_less(const struct entry *a, const struct entry *b)
{
	return a->time < b->time || (a->time == b->time && a->key < b->key);
}

struct sim_queue *sim_queue_new(void)
{
	return g_new0(struct sim_queue, 1);
}

void sim_queue_free(struct sim_queue *q)
{
	if (!q)
		return;
	g_free(q->heap);
	g_free(q);
}

void sim_queue_push(struct sim_queue *q, uint64_t time, uint64_t key)
{
	struct entry e = { time, key };
	size_t i;

	if (q->size == q->capacity) {
		q->capacity = q->capacity ? q->capacity * 2 : 1024;
		q->heap = g_renew(struct entry, q->heap, q->capacity);
	}
	i = q->size++;
	while (i) {
		size_t parent = (i - 1) / 4;

		if (!entry_less(&e, &q->heap[parent]))
			break;
		q->heap[i] = q->heap[parent];
		i = parent;
	}
	q->heap[i] = e;
}

gboolean sim_queue_peek(struct sim_queue *q, uint64_t *time, uint64_t *key)
{
	if (!q->size)
		return FALSE;
	*time = q->heap[0].time;
	*key = q->heap[0].key;
	return TRUE;
}

void sim_queue_pop(struct sim_queue *q)
{
	struct entry last;
	size_t i = 0;

	g_return_if_fail(q->size > 0);
	last = q->heap[--q->size];
	for (;;) {
		size_t child = 4 * i + 1, best = child;

		if (child >= q->size)
			break;
		for (size_t c = child + 1; c < child + 4 && c < q->size; c++)
			if (entry_less(&q->heap[c], &q->heap[best]))
				best = c;
		if (!entry_less(&q->heap[best], &last))
			break;
		q->heap[i] = q->heap[best];
		i = best;
	}
	q->heap[i] = last;
}

size_t sim_queue_size(const struct sim_queue *q)
{
	return q->size;
}
