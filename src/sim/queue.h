/* The kernel's event queue: (time, id) pairs taken out in order of time,
 * pairs with equal times in the order they were pushed.  Internal to
 * src/sim; see queue.c for the structure.
 *
 * Contract (the kernel keeps it because simulated time never runs
 * backwards): a pushed time is never below the time of the last pair
 * popped, unless the queue is empty.  Breaking it is a programming error,
 * reported as a critical warning; the pair is dropped. */
#ifndef DCDSIM_SIM_QUEUE_H
#define DCDSIM_SIM_QUEUE_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

struct sim_queue;

struct sim_queue *sim_queue_new(void);
void sim_queue_free(struct sim_queue *q);
void sim_queue_push(struct sim_queue *q, uint64_t time, uint32_t id);
/* Removes the first pair if its time is at most LIMIT: TRUE with *TIME and
 * *ID set, FALSE (and nothing removed) when empty or beyond LIMIT. */
gboolean sim_queue_pop(struct sim_queue *q, uint64_t limit, uint64_t *time, uint32_t *id);
/* A hint for prefetching: the id that will be popped DISTANCE pops after the
 * next one, when the queue can tell cheaply (FALSE otherwise). */
gboolean sim_queue_upcoming(const struct sim_queue *q, unsigned distance, uint32_t *id);
size_t sim_queue_size(const struct sim_queue *q);

/* Lets an empty queue take pushes from BASE on (pops of later pairs may
 * have moved its base past the time the caller is at). */
void sim_queue_rebase(struct sim_queue *q, uint64_t base);

/* True when the last pair popped left others with the same time (they
 * come next).  Cheap: the kernel asks after every pop. */
gboolean sim_queue_ties_left(const struct sim_queue *q);

#endif
