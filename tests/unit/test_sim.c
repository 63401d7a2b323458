/* The event kernel: ordering, cancellation, pool reuse, stop conditions,
 * failure and determinism. */
#include <string.h>

#include "sim/sim.h"
#include "unit.h"

struct log {
	uint64_t times[64];
	int ids[64];
	int n;
};

static void record(struct sim *k, void *target, const void *payload)
{
	struct log *log = target;
	int id;

	memcpy(&id, payload, sizeof(id));
	log->times[log->n] = sim_now(k);
	log->ids[log->n++] = id;
}

/* The I-th event fired was ID, at TIME. */
static void check_fired(const struct log *log, int i, int id, uint64_t time)
{
	CU_ASSERT_EQUAL(log->ids[i], id);
	CU_ASSERT_EQUAL(log->times[i], time);
}

static uint64_t schedule_id(struct sim *k, uint64_t delay, struct log *log, int id)
{
	return sim_schedule(k, delay, record, log, &id, sizeof(id));
}

static void test_equal_times_fire_fifo(void)
{
	struct sim *k = sim_new(1);
	struct log log = { 0 };
	GError *error = NULL;

	schedule_id(k, 20, &log, 0);
	for (int i = 1; i <= 10; i++)
		schedule_id(k, 10, &log, i);
	schedule_id(k, 5, &log, 11);
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 0, &error));
	CU_ASSERT_EQUAL(sim_stop_reason(k), SIM_STOP_EMPTY);
	CU_ASSERT_EQUAL(log.n, 12);
	CU_ASSERT_EQUAL(log.ids[0], 11);
	for (int i = 1; i <= 10; i++) {
		CU_ASSERT_EQUAL(log.ids[i], i);
		CU_ASSERT_EQUAL(log.times[i], 10);
	}
	CU_ASSERT_EQUAL(log.ids[11], 0);
	CU_ASSERT_EQUAL(sim_now(k), 20);
	CU_ASSERT_EQUAL(sim_events_fired(k), 12);
	sim_free(k);
}

static void test_cancel(void)
{
	struct sim *k = sim_new(1);
	struct log log = { 0 };
	uint64_t head, middle, tail;

	head = schedule_id(k, 1, &log, 1);
	middle = schedule_id(k, 2, &log, 2);
	tail = schedule_id(k, 3, &log, 3);
	CU_ASSERT_NOT_EQUAL(head, SIM_HANDLE_NONE);
	CU_ASSERT_EQUAL(sim_events_pending(k), 3);
	CU_ASSERT_TRUE(sim_cancel(k, head));
	CU_ASSERT_FALSE(sim_cancel(k, head));	/* twice */
	CU_ASSERT_TRUE(sim_cancel(k, middle));
	CU_ASSERT_FALSE(sim_cancel(k, SIM_HANDLE_NONE));
	CU_ASSERT_FALSE(sim_cancel(k, UINT64_MAX));
	CU_ASSERT_EQUAL(sim_events_pending(k), 1);
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 0, NULL));
	CU_ASSERT_EQUAL(log.n, 1);
	CU_ASSERT_EQUAL(log.ids[0], 3);
	CU_ASSERT_FALSE(sim_cancel(k, tail));	/* already fired */
	CU_ASSERT_EQUAL(sim_events_fired(k), 1);
	CU_ASSERT_EQUAL(sim_events_pending(k), 0);
	sim_free(k);
}

/* A stale handle must not cancel the event that reuses its slot. */
static void test_cancel_stale_handle_after_reuse(void)
{
	struct sim *k = sim_new(1);
	struct log log = { 0 };
	uint64_t first, second;

	first = schedule_id(k, 1, &log, 1);
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 0, NULL));
	second = schedule_id(k, 1, &log, 2);
	CU_ASSERT_NOT_EQUAL(first, second);
	CU_ASSERT_FALSE(sim_cancel(k, first));
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 0, NULL));
	CU_ASSERT_EQUAL(log.n, 2);
	CU_ASSERT_EQUAL(log.ids[1], 2);
	sim_free(k);
}

struct chain {
	uint64_t left;
	uint64_t hash;
	struct sim_rng *rng;
	uint64_t cancel_next;	/* handle of a decoy to cancel, if any */
};

/* Each event schedules one more after a random delay and a decoy that the
 * next event cancels, so the pool sees both fired and cancelled slots. */
static void chain_step(struct sim *k, void *target, const void *payload)
{
	struct chain *c = target;
	uint64_t id;

	memcpy(&id, payload, sizeof(id));
	c->hash = (c->hash ^ id ^ sim_now(k)) * UINT64_C(0x100000001b3);
	sim_cancel(k, c->cancel_next);
	if (!c->left)
		return;
	c->left--;
	id++;
	sim_schedule(k, sim_rng_below(c->rng, 1000), chain_step, c, &id, sizeof(id));
	c->cancel_next = sim_schedule(k, 2000, chain_step, c, &id, sizeof(id));
}

static uint64_t run_chain(uint64_t seed, uint64_t events, size_t *capacity)
{
	struct sim *k = sim_new(seed);
	struct chain c = { .left = events, .hash = UINT64_C(0xcbf29ce484222325) };
	uint64_t id = 0;

	c.rng = sim_stream(k, "chain");
	for (int i = 0; i < 100; i++, id += 1000000000)
		sim_schedule(k, sim_rng_below(c.rng, 1000), chain_step, &c, &id, sizeof(id));
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 0, NULL));
	if (capacity)
		*capacity = sim_pool_capacity(k);
	sim_free(k);
	return c.hash;
}

static void test_pool_reuse_without_growth(void)
{
	struct sim *k = sim_new(7);
	struct chain c = { .left = 2000000 };
	uint64_t id = 0;
	size_t before;

	c.rng = sim_stream(k, "chain");
	for (int i = 0; i < 100; i++)
		sim_schedule(k, sim_rng_below(c.rng, 1000), chain_step, &c, &id, sizeof(id));
	/* Warm up, then the pool must stay the same size for 10^6 events. */
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 10000, NULL));
	before = sim_pool_capacity(k);
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 1000000, NULL));
	CU_ASSERT_EQUAL(sim_stop_reason(k), SIM_STOP_COUNT);
	CU_ASSERT_EQUAL(sim_pool_capacity(k), before);
	CU_ASSERT_TRUE(before <= 1024);
	sim_free(k);
}

static void test_same_seed_same_sequence(void)
{
	uint64_t a = run_chain(42, 200000, NULL);
	uint64_t b = run_chain(42, 200000, NULL);
	uint64_t c = run_chain(43, 200000, NULL);

	CU_ASSERT_EQUAL(a, b);
	CU_ASSERT_NOT_EQUAL(a, c);
}

static void test_run_until_time_and_count(void)
{
	struct sim *k = sim_new(1);
	struct log log = { 0 };

	for (int i = 1; i <= 5; i++)
		schedule_id(k, (uint64_t)i * 100, &log, i);
	CU_ASSERT_TRUE(sim_run(k, 250, 0, NULL));
	CU_ASSERT_EQUAL(sim_stop_reason(k), SIM_STOP_TIME);
	CU_ASSERT_EQUAL(log.n, 2);
	CU_ASSERT_EQUAL(sim_now(k), 250);
	CU_ASSERT_TRUE(sim_run(k, 300, 0, NULL));	/* an event at UNTIL fires */
	CU_ASSERT_EQUAL(log.n, 3);
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 1, NULL));
	CU_ASSERT_EQUAL(sim_stop_reason(k), SIM_STOP_COUNT);
	CU_ASSERT_EQUAL(log.n, 4);
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 0, NULL));
	CU_ASSERT_EQUAL(sim_stop_reason(k), SIM_STOP_EMPTY);
	CU_ASSERT_EQUAL(log.n, 5);
	sim_free(k);
}

/* After stopping at a time limit, an event scheduled between now and the
 * next pending one fires first; a limit in the past keeps time still. */
static void test_schedule_after_time_limit(void)
{
	struct sim *k = sim_new(1);
	struct log log = { 0 };

	schedule_id(k, 100, &log, 1);
	schedule_id(k, 70000, &log, 2);
	CU_ASSERT_TRUE(sim_run(k, 500, 0, NULL));
	CU_ASSERT_EQUAL(sim_now(k), 500);
	CU_ASSERT_TRUE(sim_run(k, 400, 0, NULL));
	CU_ASSERT_EQUAL(sim_stop_reason(k), SIM_STOP_TIME);
	CU_ASSERT_EQUAL(sim_now(k), 500);
	schedule_id(k, 100, &log, 3);
	schedule_id(k, 0, &log, 4);
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 0, NULL));
	CU_ASSERT_EQUAL(log.n, 4);
	check_fired(&log, 1, 4, 500);
	check_fired(&log, 2, 3, 600);
	CU_ASSERT_EQUAL(log.ids[3], 2);
	sim_free(k);
}

/* A kernel that fired id 1 at 10 ns and then skipped a cancelled event
 * beyond it: the queue is empty and time stays put at 10 ns. */
static struct sim *skipped_cancelled(struct log *log)
{
	struct sim *k = sim_new(1);

	schedule_id(k, 10, log, 1);
	sim_cancel(k, schedule_id(k, 1000000, log, 2));
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 0, NULL));
	CU_ASSERT_EQUAL(sim_stop_reason(k), SIM_STOP_EMPTY);
	CU_ASSERT_EQUAL(sim_now(k), 10);
	return k;
}

/* An event can still go in before the skipped one. */
static void test_schedule_after_skipping_cancelled(void)
{
	struct log log = { 0 };
	struct sim *k = skipped_cancelled(&log);

	schedule_id(k, 5, &log, 3);
	schedule_id(k, 300, &log, 4);
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 0, NULL));
	CU_ASSERT_EQUAL(log.n, 3);
	CU_ASSERT_EQUAL(log.times[1], 15);
	CU_ASSERT_EQUAL(log.times[2], 310);
	sim_free(k);
}

/* Schedules, from now, id 5 far ahead and then id 6 near. */
static void far_then_near(struct sim *k, void *target, const void *payload)
{
	(void)payload;
	schedule_id(k, 5000000, target, 5);
	schedule_id(k, 100, target, 6);
}

/* The same with the next event at the current time: it does not go
 * through the queue, which skipping the cancelled event left based past
 * now, and what it schedules still goes in anywhere after now. */
static void test_schedule_now_after_skipping_cancelled(void)
{
	struct log log = { 0 };
	struct sim *k = skipped_cancelled(&log);

	sim_schedule(k, 0, far_then_near, &log, NULL, 0);
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 0, NULL));
	CU_ASSERT_EQUAL(log.n, 3);
	check_fired(&log, 1, 6, 110);
	check_fired(&log, 2, 5, 5000010);
	sim_free(k);
}

struct fifo_check {
	int fired;
	int disorder;
	gboolean rescheduled;
};

/* Fires in id order; the first to fire schedules 3000 more at its own
 * time, which must follow the 3000 already waiting there. */
static void fifo_step(struct sim *k, void *target, const void *payload)
{
	struct fifo_check *c = target;
	int id;

	memcpy(&id, payload, sizeof(id));
	c->disorder += id != c->fired++;
	if (!c->rescheduled) {
		c->rescheduled = TRUE;
		for (int i = 3001; i <= 6000; i++)
			sim_schedule(k, 0, fifo_step, c, &i, sizeof(i));
	}
}

static void test_many_equal_times_fire_fifo(void)
{
	struct sim *k = sim_new(1);
	struct fifo_check c = { 0 };

	for (int i = 0; i <= 3000; i++) {
		sim_schedule_at(k, 123456789, fifo_step, &c, &i, sizeof(i));
		if (i % 7 == 0)
			sim_cancel(k, sim_schedule_at(k, 123456789, fifo_step, &c, &i, sizeof(i)));
	}
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 0, NULL));
	CU_ASSERT_EQUAL(c.fired, 6001);
	CU_ASSERT_EQUAL(c.disorder, 0);
	CU_ASSERT_EQUAL(sim_now(k), 123456789);
	sim_free(k);
}

static void fail_here(struct sim *k, void *target, const void *payload)
{
	(void)target;
	(void)payload;
	sim_fail(k, "extent %d is in two places", 7);
	sim_fail(k, "second failure is ignored");
}

static void stop_here(struct sim *k, void *target, const void *payload)
{
	(void)target;
	(void)payload;
	sim_stop(k);
}

static void test_fail_and_stop(void)
{
	struct sim *k = sim_new(1);
	struct log log = { 0 };
	GError *error = NULL;

	sim_schedule(k, 10, stop_here, NULL, NULL, 0);
	schedule_id(k, 20, &log, 1);
	sim_schedule(k, 30, fail_here, NULL, NULL, 0);
	schedule_id(k, 40, &log, 2);
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 0, &error));
	CU_ASSERT_EQUAL(sim_stop_reason(k), SIM_STOP_REQUESTED);
	CU_ASSERT_EQUAL(log.n, 0);
	CU_ASSERT_FALSE(sim_run(k, SIM_TIME_NEVER, 0, &error));
	CU_ASSERT_EQUAL(sim_stop_reason(k), SIM_STOP_FAILED);
	CU_ASSERT_TRUE(sim_failed(k));
	CU_ASSERT_EQUAL(log.n, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_TRUE(g_error_matches(error, SIM_ERROR, SIM_ERROR_MODEL));
	CU_ASSERT_STRING_EQUAL(error->message, "at 30 ns: extent 7 is in two places");
	g_clear_error(&error);
	/* A failed kernel stays failed. */
	CU_ASSERT_FALSE(sim_run(k, SIM_TIME_NEVER, 0, &error));
	CU_ASSERT_EQUAL(log.n, 1);
	g_clear_error(&error);
	sim_free(k);
}

static void test_delay_overflow_fails(void)
{
	struct sim *k = sim_new(1);
	struct log log = { 0 };
	GError *error = NULL;

	schedule_id(k, 10, &log, 1);
	CU_ASSERT_TRUE(sim_run(k, SIM_TIME_NEVER, 0, NULL));
	CU_ASSERT_EQUAL(schedule_id(k, UINT64_MAX, &log, 2), SIM_HANDLE_NONE);
	CU_ASSERT_FALSE(sim_run(k, SIM_TIME_NEVER, 0, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	sim_free(k);
}

static void test_streams_are_named_and_independent(void)
{
	struct sim *k1 = sim_new(99), *k2 = sim_new(99);
	struct sim_rng *a1 = sim_stream(k1, "dcd0");
	struct sim_rng *a2, *b2;
	uint64_t first[4], second[4];

	CU_ASSERT_PTR_EQUAL(a1, sim_stream(k1, "dcd0"));
	for (int i = 0; i < 4; i++)
		first[i] = sim_rng_next(a1);
	/* In k2 another stream is created and drawn from before "dcd0". */
	b2 = sim_stream(k2, "workload");
	for (int i = 0; i < 100; i++)
		sim_rng_next(b2);
	a2 = sim_stream(k2, "dcd0");
	for (int i = 0; i < 4; i++)
		second[i] = sim_rng_next(a2);
	CU_ASSERT_EQUAL(memcmp(first, second, sizeof(first)), 0);
	CU_ASSERT_NOT_EQUAL(sim_rng_next(a2), sim_rng_next(b2));
	sim_free(k1);
	sim_free(k2);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "equal timestamps fire first-in first-out", test_equal_times_fire_fifo },
		{ "cancel head, middle, twice, after firing", test_cancel },
		{ "a stale handle cannot cancel a reused slot", test_cancel_stale_handle_after_reuse },
		{ "pool is reused over 10^6 events without growth", test_pool_reuse_without_growth },
		{ "same seed gives the same event sequence", test_same_seed_same_sequence },
		{ "run until a time and an event count", test_run_until_time_and_count },
		{ "schedule after stopping at a time limit", test_schedule_after_time_limit },
		{ "schedule after skipping a cancelled event", test_schedule_after_skipping_cancelled },
		{ "schedule now after skipping a cancelled event",
		  test_schedule_now_after_skipping_cancelled },
		{ "thousands of equal times fire first-in first-out", test_many_equal_times_fire_fifo },
		{ "sim_fail stops with a GError, sim_stop returns", test_fail_and_stop },
		{ "a delay overflowing time fails the run", test_delay_overflow_fails },
		{ "streams are named and independent", test_streams_are_named_and_independent },
		{ NULL, NULL },
	};

	return unit_run("sim", tests);
}
