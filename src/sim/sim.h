/* The simulation kernel: simulated time, a pool of events ordered by
 * (time, insertion sequence), cancellation by handle, named random streams
 * and failure reporting.  It knows nothing of CXL. */
#ifndef DCDSIM_SIM_SIM_H
#define DCDSIM_SIM_SIM_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sim/rng.h"

/* Largest payload copied into an event; bigger messages travel as a pointer
 * inside the payload, owned by the receiver. */
#define SIM_PAYLOAD_MAX 64

/* An impossible handle: sim_cancel() on it returns FALSE. */
#define SIM_HANDLE_NONE ((uint64_t)0)

#define SIM_TIME_NEVER UINT64_MAX

struct sim;

/* Called when an event fires.  PAYLOAD points at the bytes given to
 * sim_schedule(), aligned for any scalar type, valid only during the call. */
typedef void (*sim_handler_fn)(struct sim *k, void *target, const void *payload);

enum sim_stop_reason {
	SIM_STOP_EMPTY,		/* no event left */
	SIM_STOP_TIME,		/* the next event lies beyond the time limit */
	SIM_STOP_COUNT,		/* the event-count limit was reached */
	SIM_STOP_REQUESTED,	/* sim_stop() was called */
	SIM_STOP_FAILED,	/* sim_fail() was called */
};

#define SIM_ERROR (sim_error_quark())
GQuark sim_error_quark(void);

enum sim_error_code {
	SIM_ERROR_MODEL,	/* a model called sim_fail() */
};

/* A kernel whose random streams derive from SEED (see sim_stream()). */
struct sim *sim_new(uint64_t seed);
void sim_free(struct sim *k);

uint64_t sim_now(const struct sim *k);
uint64_t sim_seed(const struct sim *k);
/* Events fired since sim_new(). */
uint64_t sim_events_fired(const struct sim *k);
/* Events scheduled and neither fired nor cancelled. */
size_t sim_events_pending(const struct sim *k);
/* Event slots the pool holds (grows only when more are live at once). */
size_t sim_pool_capacity(const struct sim *k);

/* The kernel's half of sim_schedule_at() and sim_schedule(): schedules
 * FN(k, TARGET, payload) and returns the event's payload, SIM_PAYLOAD_MAX
 * bytes for the caller to fill before the event fires, with the event's
 * handle in *HANDLE; NULL and SIM_HANDLE_NONE when the run fails instead.
 * The copy is left to the inline callers below so that it compiles to a
 * few moves where the payload's size is a constant. */
void *sim_event_at(struct sim *k, uint64_t time, sim_handler_fn fn, void *target,
		   uint64_t *handle);
void *sim_event_after(struct sim *k, uint64_t delay, sim_handler_fn fn, void *target,
		      uint64_t *handle);

/* Schedules FN(k, TARGET, copy of PAYLOAD[0..SIZE)) at now + DELAY.
 * SIZE must be at most SIM_PAYLOAD_MAX; PAYLOAD may be NULL when SIZE is 0.
 * Events at the same time fire in the order they were scheduled.
 * Returns a handle for sim_cancel(), never SIM_HANDLE_NONE.  A delay that
 * would overflow simulated time fails the run (see sim_fail()). */
static inline uint64_t sim_schedule(struct sim *k, uint64_t delay, sim_handler_fn fn,
				    void *target, const void *payload, size_t size)
{
	uint64_t handle;
	void *slot;

	g_return_val_if_fail(size <= SIM_PAYLOAD_MAX, SIM_HANDLE_NONE);
	g_return_val_if_fail(payload != NULL || size == 0, SIM_HANDLE_NONE);
	slot = sim_event_after(k, delay, fn, target, &handle);
	if (slot && size)
		memcpy(slot, payload, size);
	return handle;
}

/* As sim_schedule() at absolute time TIME, which must not lie in the past. */
static inline uint64_t sim_schedule_at(struct sim *k, uint64_t time, sim_handler_fn fn,
				       void *target, const void *payload, size_t size)
{
	uint64_t handle;
	void *slot;

	g_return_val_if_fail(size <= SIM_PAYLOAD_MAX, SIM_HANDLE_NONE);
	g_return_val_if_fail(payload != NULL || size == 0, SIM_HANDLE_NONE);
	slot = sim_event_at(k, time, fn, target, &handle);
	if (slot && size)
		memcpy(slot, payload, size);
	return handle;
}

/* Cancels a pending event: TRUE if it was pending, FALSE if it already
 * fired, was cancelled before, or HANDLE is SIM_HANDLE_NONE.  O(1). */
gboolean sim_cancel(struct sim *k, uint64_t handle);

/* Fires events in order until the queue is empty, the next event lies after
 * UNTIL (then now advances to UNTIL, never backwards), MAX_EVENTS have
 * fired in this call (0: no limit), sim_stop() or sim_fail().  Returns FALSE with ERROR set only on failure;
 * sim_stop_reason() tells why it returned. */
gboolean sim_run(struct sim *k, uint64_t until, uint64_t max_events, GError **error);
enum sim_stop_reason sim_stop_reason(const struct sim *k);

/* Asks sim_run() to return after the current event (safe from a handler). */
void sim_stop(struct sim *k);
/* Records why the model cannot go on and stops the run: sim_run() returns
 * FALSE with the message in its GError.  The first failure wins. */
void sim_fail(struct sim *k, const char *format, ...) G_GNUC_PRINTF(2, 3);
gboolean sim_failed(const struct sim *k);

/* The random stream called NAME, created on first use and owned by the
 * kernel.  Its numbers depend only on (seed, NAME): see sim_rng_init(). */
struct sim_rng *sim_stream(struct sim *k, const char *name);

/* The one-word name exists only for g_autoptr(sim). */
typedef struct sim sim;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sim, sim_free)

#endif
