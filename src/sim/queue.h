/* The kernel's priority queue of (time, key) pairs, smallest first; keys are
 * unique, so the order is total.  Internal to src/sim. */
#ifndef DCDSIM_SIM_QUEUE_H
#define DCDSIM_SIM_QUEUE_H

#include <glib.h>
#include <stdint.h>

struct sim_queue;

struct sim_queue *sim_queue_new(void);
void sim_queue_free(struct sim_queue *q);
void sim_queue_push(struct sim_queue *q, uint64_t time, uint64_t key);
/* The smallest pair, without removing it; FALSE when empty. */
gboolean sim_queue_peek(struct sim_queue *q, uint64_t *time, uint64_t *key);
/* Removes the smallest pair; the queue must not be empty. */
void sim_queue_pop(struct sim_queue *q);
size_t sim_queue_size(const struct sim_queue *q);

#endif
