/* The event kernel.
 *
 * Events live in a pool of slots (handler, target, payload, generation)
 * recycled through a free list, so steady state allocates nothing.  The
 * queue (queue.c) holds (time, slot index) pairs and returns pairs with
 * equal times in the order they were pushed, which is the order they were
 * scheduled: ties fire first-in first-out with no sequence number.
 * Events for the current time (a model's messages with no delay, about
 * half of all) skip the queue for a ring that fires in order after the
 * queue's own events at that time.
 * Cancellation is lazy: the slot is marked and skipped when it surfaces,
 * which keeps sim_cancel() O(1). */
#include "sim/sim.h"

#include <stdarg.h>
#include <string.h>

#include "sim/queue.h"

/* At most this many events pending: a model holding more is almost surely
 * leaking them, and failing with a message beats exhausting memory. */
#define SLOT_LIMIT (UINT64_C(1) << 24)
/* With many pending events the slots no longer fit in cache and reading
 * each event's slot would stall; the slot of the event this many pops ahead
 * is prefetched instead (at 10^6 pending, 2 to 16 measure alike). */
#define PREFETCH_DISTANCE 4

enum slot_state { SLOT_FREE, SLOT_SCHEDULED, SLOT_CANCELLED };

struct slot {
	sim_handler_fn fn;
	void *target;
	uint32_t generation;	/* bumped on every release: stale handles miss */
	uint32_t state;
	uint32_t next_free;
	uint64_t payload[SIM_PAYLOAD_MAX / sizeof(uint64_t)];
};

struct sim {
	uint64_t now;
	uint64_t seed;
	uint64_t fired;
	size_t pending;
	struct sim_queue *queue;
	/* Events scheduled for the current time, in scheduling order: they
	 * bypass the queue (see sim_run) */
	uint32_t *ring;
	uint32_t ring_mask;	/* capacity - 1, a power of two */
	uint32_t ring_head, ring_len;
	struct slot *slots;
	uint32_t nslots;
	uint32_t free_head;	/* UINT32_MAX: none */
	gboolean stop_requested;
	enum sim_stop_reason reason;
	char *failure;
	GHashTable *streams;	/* name → struct sim_rng * */
};

G_DEFINE_QUARK(dcdsim-sim-error-quark, sim_error)

struct sim *sim_new(uint64_t seed)
{
	struct sim *k = g_new0(struct sim, 1);

	k->seed = seed;
	k->queue = sim_queue_new();
	k->free_head = UINT32_MAX;
	k->reason = SIM_STOP_EMPTY;
	k->streams = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return k;
}

void sim_free(struct sim *k)
{
	if (!k)
		return;
	sim_queue_free(k->queue);
	g_free(k->ring);
	g_free(k->slots);
	g_free(k->failure);
	g_hash_table_destroy(k->streams);
	g_free(k);
}

uint64_t sim_now(const struct sim *k)
{
	return k->now;
}

uint64_t sim_seed(const struct sim *k)
{
	return k->seed;
}

uint64_t sim_events_fired(const struct sim *k)
{
	return k->fired;
}

size_t sim_events_pending(const struct sim *k)
{
	return k->pending;
}

size_t sim_pool_capacity(const struct sim *k)
{
	return k->nslots;
}

static gboolean pool_grow(struct sim *k)
{
	uint32_t old = k->nslots;
	uint64_t want = old ? (uint64_t)old * 2 : 1024;

	if (want > SLOT_LIMIT)
		want = SLOT_LIMIT;
	if (want == old)
		return FALSE;
	k->slots = g_renew(struct slot, k->slots, want);
	/* Thread the new slots onto the free list in index order. */
	for (uint32_t i = old; i < want; i++) {
		k->slots[i].state = SLOT_FREE;
		k->slots[i].generation = 1;
		k->slots[i].next_free = i + 1 < want ? i + 1 : k->free_head;
	}
	k->free_head = old;
	k->nslots = (uint32_t)want;
	return TRUE;
}

static void ring_push(struct sim *k, uint32_t index)
{
	if (k->ring_len == (k->ring ? k->ring_mask + 1 : 0)) {
		uint32_t cap = k->ring ? 2 * (k->ring_mask + 1) : 256;
		uint32_t *ring = g_new(uint32_t, cap);

		for (uint32_t i = 0; i < k->ring_len; i++)
			ring[i] = k->ring[(k->ring_head + i) & k->ring_mask];
		g_free(k->ring);
		k->ring = ring;
		k->ring_mask = cap - 1;
		k->ring_head = 0;
	}
	k->ring[(k->ring_head + k->ring_len++) & k->ring_mask] = index;
}

static uint32_t ring_pop(struct sim *k)
{
	uint32_t index = k->ring[k->ring_head];

	k->ring_head = (k->ring_head + 1) & k->ring_mask;
	k->ring_len--;
	return index;
}

static void slot_release(struct sim *k, uint32_t index)
{
	struct slot *s = &k->slots[index];

	s->state = SLOT_FREE;
	s->generation++;
	if (s->generation == 0)
		s->generation = 1;	/* handle 0 stays impossible */
	s->next_free = k->free_head;
	k->free_head = index;
}

void *sim_event_at(struct sim *k, uint64_t time, sim_handler_fn fn, void *target,
		   uint64_t *handle)
{
	uint32_t index;
	struct slot *s;

	*handle = SIM_HANDLE_NONE;
	g_return_val_if_fail(fn != NULL, NULL);
	g_return_val_if_fail(time >= k->now, NULL);

	if (k->free_head == UINT32_MAX && !pool_grow(k)) {
		sim_fail(k, "event pool exhausted: more than %" G_GUINT64_FORMAT " events pending",
			 (guint64)SLOT_LIMIT);
		return NULL;
	}
	index = k->free_head;
	s = &k->slots[index];
	k->free_head = s->next_free;
	s->fn = fn;
	s->target = target;
	s->state = SLOT_SCHEDULED;
	if (time == k->now)
		ring_push(k, index);
	else
		sim_queue_push(k->queue, time, index);
	k->pending++;
	*handle = (uint64_t)s->generation << 32 | index;
	return s->payload;
}

void *sim_event_after(struct sim *k, uint64_t delay, sim_handler_fn fn, void *target,
		      uint64_t *handle)
{
	if (delay > UINT64_MAX - k->now) {
		*handle = SIM_HANDLE_NONE;
		sim_fail(k, "event delay %" G_GUINT64_FORMAT " ns overflows simulated time at %"
			 G_GUINT64_FORMAT " ns", (guint64)delay, (guint64)k->now);
		return NULL;
	}
	return sim_event_at(k, k->now + delay, fn, target, handle);
}

gboolean sim_cancel(struct sim *k, uint64_t handle)
{
	uint32_t index = (uint32_t)(handle & 0xffffffffu);
	uint32_t generation = (uint32_t)(handle >> 32);
	struct slot *s;

	if (handle == SIM_HANDLE_NONE || index >= k->nslots)
		return FALSE;
	s = &k->slots[index];
	if (s->generation != generation || s->state != SLOT_SCHEDULED)
		return FALSE;
	s->state = SLOT_CANCELLED;
	k->pending--;
	return TRUE;
}

gboolean sim_run(struct sim *k, uint64_t until, uint64_t max_events, GError **error)
{
	uint64_t budget = max_events ? max_events : UINT64_MAX;
	uint64_t payload[SIM_PAYLOAD_MAX / sizeof(uint64_t)];

	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	k->stop_requested = FALSE;
	for (;;) {
		uint64_t time;
		uint32_t index, ahead;
		struct slot *s;
		sim_handler_fn fn;
		void *target;

		if (k->failure) {
			k->reason = SIM_STOP_FAILED;
			break;
		}
		if (k->stop_requested) {
			k->reason = SIM_STOP_REQUESTED;
			break;
		}
		if (!budget) {
			k->reason = SIM_STOP_COUNT;
			break;
		}
		/* Ties fire in scheduling order.  The queue's events at the
		 * current time were scheduled before it became current, the
		 * ring's at it: so the queue's go first, then the ring's, and
		 * time moves on only once the ring is empty. */
		if (k->ring_len && k->now <= until && !sim_queue_ties_left(k->queue)) {
			time = k->now;
			index = ring_pop(k);
		} else if (!sim_queue_pop(k->queue, until, &time, &index)) {
			if (!sim_queue_size(k->queue) && !k->ring_len) {
				k->reason = SIM_STOP_EMPTY;
				break;
			}
			/* Never backwards.  The queue needs each push at or
			 * after its last pop (queue.h), and pushes come at or
			 * after now: so now must not fall behind a popped
			 * time.  A skipped cancelled event lies at most at
			 * UNTIL, and an empty queue accepts any time. */
			if (until > k->now)
				k->now = until;
			k->reason = SIM_STOP_TIME;
			break;
		}
		if (sim_queue_upcoming(k->queue, PREFETCH_DISTANCE, &ahead)) {
			/* Both ends: a slot straddles two cache lines. */
			__builtin_prefetch(&k->slots[ahead]);
			__builtin_prefetch((const char *)&k->slots[ahead + 1] - 1);
		}
		s = &k->slots[index];
		if (s->state == SLOT_CANCELLED) {
			slot_release(k, index);
			/* Skipping it may have left the queue empty with its base
			 * past now, where the ring's events may still schedule. */
			if (!sim_queue_size(k->queue))
				sim_queue_rebase(k->queue, k->now);
			continue;
		}
		/* Copy out before releasing: the handler may reuse the slot or
		 * grow the pool.  The whole buffer: a fixed-size copy is a few
		 * moves, a call to memcpy with a variable size costs more. */
		fn = s->fn;
		target = s->target;
		memcpy(payload, s->payload, sizeof(payload));
		slot_release(k, index);
		k->pending--;
		k->now = time;
		k->fired++;
		budget--;
		fn(k, target, payload);
	}
	if (k->reason == SIM_STOP_FAILED) {
		g_set_error_literal(error, SIM_ERROR, SIM_ERROR_MODEL, k->failure);
		return FALSE;
	}
	return TRUE;
}

enum sim_stop_reason sim_stop_reason(const struct sim *k)
{
	return k->reason;
}

void sim_stop(struct sim *k)
{
	k->stop_requested = TRUE;
}

void sim_fail(struct sim *k, const char *format, ...)
{
	va_list ap;
	char *message;

	if (k->failure)
		return;
	va_start(ap, format);
	message = g_strdup_vprintf(format, ap);
	va_end(ap);
	k->failure = g_strdup_printf("at %" G_GUINT64_FORMAT " ns: %s", (guint64)k->now, message);
	g_free(message);
}

gboolean sim_failed(const struct sim *k)
{
	return k->failure != NULL;
}

struct sim_rng *sim_stream(struct sim *k, const char *name)
{
	struct sim_rng *r = g_hash_table_lookup(k->streams, name);

	if (!r) {
		r = g_new(struct sim_rng, 1);
		sim_rng_init(r, k->seed, name);
		g_hash_table_insert(k->streams, g_strdup(name), r);
	}
	return r;
}
