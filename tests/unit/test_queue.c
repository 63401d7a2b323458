/* The event queue (src/sim/queue.c) against a naive reference: a binary
 * heap ordered by (time, push sequence).  Every test pops both and counts
 * disagreements, under the contract the kernel keeps: a pushed time is not
 * below the last popped time unless the queue is empty. */
#include <string.h>

#include "sim/queue.h"
#include "unit.h"

struct ref_item {
	uint64_t time;
	uint64_t seq;
	uint32_t id;
};

struct ref {
	struct ref_item *items;
	size_t size;
	size_t capacity;
	uint64_t next_seq;
};

static gboolean ref_less(const struct ref_item *a, const struct ref_item *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void ref_push(struct ref *r, uint64_t time, uint32_t id)
{
	size_t i;

	if (r->size == r->capacity) {
		r->capacity = r->capacity ? 2 * r->capacity : 64;
		r->items = g_renew(struct ref_item, r->items, r->capacity);
	}
	i = r->size++;
	r->items[i] = (struct ref_item){ time, r->next_seq++, id };
	while (i && ref_less(&r->items[i], &r->items[(i - 1) / 2])) {
		struct ref_item t = r->items[i];

		r->items[i] = r->items[(i - 1) / 2];
		r->items[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct ref_item ref_pop(struct ref *r)
{
	struct ref_item top = r->items[0];
	size_t i = 0;

	r->items[0] = r->items[--r->size];
	for (;;) {
		size_t least = i, l = 2 * i + 1, rt = 2 * i + 2;
		struct ref_item t;

		if (l < r->size && ref_less(&r->items[l], &r->items[least]))
			least = l;
		if (rt < r->size && ref_less(&r->items[rt], &r->items[least]))
			least = rt;
		if (least == i)
			break;
		t = r->items[i];
		r->items[i] = r->items[least];
		r->items[least] = t;
		i = least;
	}
	return top;
}

/* The queue under test and its reference, fed the same operations. */
struct pair {
	struct sim_queue *q;
	struct ref ref;
	uint64_t last_popped;
	uint32_t next_id;
	unsigned long mismatches;
	unsigned long pops;
	size_t max_size;
};

static void pair_init(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	p->q = sim_queue_new();
}

static void pair_finish(struct pair *p)
{
	CU_ASSERT_EQUAL(p->mismatches, 0);
	sim_queue_free(p->q);
	g_free(p->ref.items);
}

static void pair_push(struct pair *p, uint64_t time)
{
	sim_queue_push(p->q, time, p->next_id);
	ref_push(&p->ref, time, p->next_id);
	p->next_id++;
	if (p->ref.size > p->max_size)
		p->max_size = p->ref.size;
}

/* Pushes at the last popped time plus DELAY, saturating at UINT64_MAX. */
static void pair_push_after(struct pair *p, uint64_t delay)
{
	uint64_t t = p->last_popped;

	pair_push(p, delay > UINT64_MAX - t ? UINT64_MAX : t + delay);
}

static void pair_pop(struct pair *p)
{
	struct ref_item want;
	uint64_t time;
	uint32_t id;

	if (!p->ref.size) {
		if (sim_queue_pop(p->q, UINT64_MAX, &time, &id))
			p->mismatches++;
		return;
	}
	want = ref_pop(&p->ref);
	/* A limit just short of the first time must refuse, and change
	 * nothing. */
	if (want.time && sim_queue_pop(p->q, want.time - 1, &time, &id))
		p->mismatches++;
	if (!sim_queue_pop(p->q, UINT64_MAX, &time, &id) || time != want.time || id != want.id)
		p->mismatches++;
	if (sim_queue_size(p->q) != p->ref.size)
		p->mismatches++;
	/* the heap's root is the next pair */
	if (sim_queue_ties_left(p->q) != (p->ref.size && p->ref.items[0].time == want.time))
		p->mismatches++;
	p->last_popped = want.time;
	p->pops++;
}

static void pair_drain(struct pair *p)
{
	while (p->ref.size)
		pair_pop(p);
	pair_pop(p);		/* both empty */
}

/* Delay patterns, each a function of a random word. */
typedef uint64_t (*delay_fn)(uint64_t *rng);

/* Mostly zero: long runs of equal times, where only push order decides. */
static uint64_t delay_ties(uint64_t *rng)
{
	uint64_t r = unit_random(rng);

	return r % 4 ? 0 : r % 3;
}

/* Around a microsecond, like the hold model. */
static uint64_t delay_hold(uint64_t *rng)
{
	return unit_random(rng) % 2000;
}

/* Any order of magnitude up to the whole range: cascades from every level,
 * times up to UINT64_MAX. */
static uint64_t delay_huge(uint64_t *rng)
{
	uint64_t r = unit_random(rng);

	switch (r % 4) {
	case 0:
		return r % 3;
	case 1:
		return unit_random(rng) >> (unit_random(rng) % 64);
	case 2:
		return UINT64_MAX - 1;	/* saturates: the far future */
	default:
		return unit_random(rng) % 300;
	}
}

/* Phases alternately favour pushes and pops, so the size sweeps between
 * empty and thousands (across chunk and slab sizes) and back. */
static void run_mix(delay_fn delay, uint64_t seed, unsigned long ops, unsigned phase,
		    unsigned push_percent_high, unsigned push_percent_low)
{
	struct pair p;
	uint64_t rng = seed;

	pair_init(&p);
	for (unsigned long i = 0; i < ops; i++) {
		unsigned percent = (i / phase) % 2 ? push_percent_low : push_percent_high;

		if (unit_random(&rng) % 100 < percent)
			pair_push_after(&p, delay(&rng));
		else
			pair_pop(&p);
	}
	pair_drain(&p);
	CU_ASSERT_TRUE(p.pops > ops / 4);
	CU_ASSERT_TRUE(p.max_size > 1000);
	pair_finish(&p);
}

static void test_mix_equal_times(void)
{
	run_mix(delay_ties, 1, 400000, 20000, 70, 35);
}

static void test_mix_hold_like(void)
{
	run_mix(delay_hold, 2, 400000, 30000, 65, 40);
}

static void test_mix_huge_jumps(void)
{
	run_mix(delay_huge, 3, 400000, 10000, 70, 30);
}

/* Monotone pushes: each time above the previous, popped in runs. */
static void test_monotone(void)
{
	struct pair p;
	uint64_t rng = 4, t = 0;

	pair_init(&p);
	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 500; i++) {
			t += unit_random(&rng) % 700;
			pair_push(&p, t);
		}
		for (int i = 0; i < 400; i++)
			pair_pop(&p);
	}
	pair_drain(&p);
	pair_finish(&p);
}

/* Bursts: many events at one time and a few far ones, drained, again. */
static void test_bursts(void)
{
	struct pair p;
	uint64_t rng = 5;

	pair_init(&p);
	for (int round = 0; round < 50; round++) {
		uint64_t at = p.last_popped + unit_random(&rng) % 100000;
		int n = (int)(unit_random(&rng) % 5000);

		for (int i = 0; i < n; i++)
			pair_push(&p, at);
		pair_push_after(&p, unit_random(&rng));
		pair_push(&p, at + 1);
		for (int i = 0; i < n / 2; i++)
			pair_pop(&p);
	}
	pair_drain(&p);
	pair_finish(&p);
}

/* Sizes around every chunk and slab boundary, filled and emptied whole,
 * in one bucket (equal times) and spread over many. */
static void test_sizes_across_boundaries(void)
{
	static const size_t sizes[] = { 1, 2, 62, 63, 64, 126, 127, 4031, 4032, 4033, 70000 };
	struct pair p;
	uint64_t rng = 6;

	pair_init(&p);
	for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
		for (size_t i = 0; i < sizes[s]; i++)
			pair_push_after(&p, 10);
		pair_drain(&p);
		for (size_t i = 0; i < sizes[s]; i++)
			pair_push_after(&p, unit_random(&rng) % 100000);
		pair_drain(&p);
	}
	pair_finish(&p);
}

/* Pushing at the time being processed: after what is already there. */
static void test_push_at_current_time(void)
{
	struct pair p;

	pair_init(&p);
	for (int i = 0; i < 100; i++)
		pair_push(&p, 1000);
	pair_push(&p, 1001);
	for (int i = 0; i < 150; i++) {
		pair_pop(&p);
		pair_push_after(&p, 0);
		if (i % 3 == 0)
			pair_push_after(&p, 1);
	}
	pair_drain(&p);
	pair_finish(&p);
}

/* Sparse events, as a model makes them: each pair alone in its bucket of
 * a higher level pops without a cascade, and what is pushed after it (at
 * its time, just after, far after) still comes out in order. */
static void test_lone_pairs(void)
{
	struct pair p;

	pair_init(&p);
	for (int i = 0; i < 2000; i++) {
		pair_push_after(&p, 300 + (uint64_t)(i % 5) * 70000);
		pair_pop(&p);
		pair_push_after(&p, 0);
		pair_push_after(&p, 0);
		if (i % 4 == 0)
			pair_push_after(&p, UINT64_C(1) << (20 + i % 30));
		pair_pop(&p);
		pair_pop(&p);
	}
	pair_drain(&p);
	pair_finish(&p);
}

/* The extremes of time, and far-future events among near ones. */
static void test_far_future_and_extremes(void)
{
	struct pair p;

	pair_init(&p);
	pair_push(&p, UINT64_MAX);
	pair_push(&p, UINT64_MAX - 1);
	pair_push(&p, 0);
	pair_push(&p, UINT64_C(1) << 63);
	pair_push(&p, (UINT64_C(1) << 63) - 1);
	pair_push(&p, 255);
	pair_push(&p, 256);
	pair_push(&p, 0);
	pair_push(&p, UINT64_MAX);
	pair_pop(&p);
	pair_pop(&p);
	for (int i = 0; i < 1000; i++)
		pair_push_after(&p, (uint64_t)i * 7919);
	for (int i = 0; i < 500; i++)
		pair_pop(&p);
	pair_push_after(&p, 0);
	pair_drain(&p);
	pair_finish(&p);
}

/* An empty queue accepts a time below the last one popped: the kernel does
 * this after skipping cancelled events it could not fire. */
static void test_empty_queue_restarts_lower(void)
{
	struct pair p;

	pair_init(&p);
	pair_push(&p, 1000000);
	pair_push(&p, 1000000 + 70000);
	pair_drain(&p);
	p.last_popped = 10;
	for (int i = 0; i < 300; i++)
		pair_push_after(&p, (uint64_t)(i % 17) * 40);
	pair_drain(&p);
	pair_finish(&p);
}

static void test_limit(void)
{
	struct sim_queue *q = sim_queue_new();
	uint64_t time;
	uint32_t id;

	CU_ASSERT_FALSE(sim_queue_pop(q, UINT64_MAX, &time, &id));
	sim_queue_push(q, 5000, 1);
	sim_queue_push(q, 100, 2);
	sim_queue_push(q, 100, 3);
	CU_ASSERT_FALSE(sim_queue_pop(q, 99, &time, &id));
	CU_ASSERT_EQUAL(sim_queue_size(q), 3);
	CU_ASSERT_TRUE(sim_queue_pop(q, 100, &time, &id));
	CU_ASSERT_EQUAL(time, 100);
	CU_ASSERT_EQUAL(id, 2);
	CU_ASSERT_TRUE(sim_queue_pop(q, 100, &time, &id));
	CU_ASSERT_EQUAL(id, 3);
	/* The next pair sits in a higher level: refused without a cascade,
	 * so a later push below it still comes first. */
	CU_ASSERT_FALSE(sim_queue_pop(q, 4999, &time, &id));
	CU_ASSERT_EQUAL(sim_queue_size(q), 1);
	sim_queue_push(q, 4000, 4);
	CU_ASSERT_TRUE(sim_queue_pop(q, 4999, &time, &id));
	CU_ASSERT_EQUAL(time, 4000);
	CU_ASSERT_EQUAL(id, 4);
	CU_ASSERT_TRUE(sim_queue_pop(q, 5000, &time, &id));
	CU_ASSERT_EQUAL(id, 1);
	CU_ASSERT_EQUAL(sim_queue_size(q), 0);
	sim_queue_free(q);
}

/* The prefetch hint, when given, names the id popped that many pops later. */
static void test_upcoming_hint(void)
{
	struct sim_queue *q = sim_queue_new();
	uint64_t rng = 7, time;
	uint32_t id, hinted[4096];
	gboolean known[4096] = { FALSE };
	unsigned long hits = 0, wrong = 0;

	for (uint32_t i = 0; i < 4096; i++)
		sim_queue_push(q, 1000 + unit_random(&rng) % 64, i);
	for (uint32_t n = 0; n < 4096; n++) {
		if (n + 8 < 4096 && sim_queue_upcoming(q, 8, &hinted[n + 8]))
			known[n + 8] = TRUE;
		CU_ASSERT_TRUE_FATAL(sim_queue_pop(q, UINT64_MAX, &time, &id));
		if (known[n]) {
			hits++;
			wrong += hinted[n] != id;
		}
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_TRUE(hits > 1000);
	sim_queue_free(q);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "random mix with many equal times", test_mix_equal_times },
		{ "random mix of hold-like delays", test_mix_hold_like },
		{ "random mix of huge time jumps up to UINT64_MAX", test_mix_huge_jumps },
		{ "monotone pushes", test_monotone },
		{ "bursts at one time", test_bursts },
		{ "sizes across chunk and slab boundaries", test_sizes_across_boundaries },
		{ "a push at the current time goes last", test_push_at_current_time },
		{ "far future and extreme times", test_far_future_and_extremes },
		{ "lone pairs pop without a cascade, in order", test_lone_pairs },
		{ "an empty queue restarts below the last pop", test_empty_queue_restarts_lower },
		{ "pop stops at a limit without disturbing order", test_limit },
		{ "the prefetch hint names the right id", test_upcoming_hint },
		{ NULL, NULL },
	};

	return unit_run("queue", tests);
}
