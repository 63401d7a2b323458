/* The classic hold model through the real kernel API: N events pending, each
 * fired event schedules one more at now + Exp(mean 1000 ns), E times; then
 * the N left drain.  N + E events fire in all, exactly the work of the
 * reference hold-limit.c, and both report the rate over all of them.
 * usage: bench/hold [--pending N] [--events E] [--seed S] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/sim.h"

struct hold {
	struct sim_rng *rng;
	uint64_t left;
};

static void hold_fire(struct sim *k, void *target, const void *payload)
{
	struct hold *h = target;

	(void)payload;
	if (h->left) {
		h->left--;
		sim_schedule(k, (uint64_t)sim_rng_exponential(h->rng, 1000.0) + 1, hold_fire, h,
			     NULL, 0);
	}
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static gboolean parse_u64(const char *text, uint64_t *out)
{
	guint64 v;

	if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, &v, NULL))
		return FALSE;
	*out = v;
	return TRUE;
}

int main(int argc, char **argv)
{
	uint64_t pending = 1000, events = 10000000, seed = 1;
	struct hold h;
	struct sim *k;
	GError *error = NULL;
	double start, wall;

	/* Options come in (name, value) pairs. */
	for (int i = 1; i < argc; i += 2) {
		uint64_t *target = NULL;

		if (!strcmp(argv[i], "--pending"))
			target = &pending;
		else if (!strcmp(argv[i], "--events"))
			target = &events;
		else if (!strcmp(argv[i], "--seed"))
			target = &seed;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s [--pending N] [--events E] [--seed S]\n"
			       "Runs the hold model: N pending events, each firing schedules one\n"
			       "more at now + Exp(mean 1000 ns) until E more have been scheduled,\n"
			       "then the queue drains: N + E events fire (as in hold-limit.c).\n",
			       argv[0]);
			return 0;
		}
		if (!target || i + 1 >= argc || !parse_u64(argv[i + 1], target)) {
			fprintf(stderr, "%s: bad or missing value for '%s' (try --help)\n", argv[0],
				argv[i]);
			return 2;
		}
	}
	if (!pending) {
		fprintf(stderr, "%s: --pending must be at least 1\n", argv[0]);
		return 2;
	}
	k = sim_new(seed);
	h.rng = sim_stream(k, "hold");
	h.left = events;
	for (uint64_t i = 0; i < pending; i++)
		sim_schedule(k, (uint64_t)sim_rng_exponential(h.rng, 1000.0) + 1, hold_fire, &h, NULL,
			     0);
	start = wall_now();
	if (!sim_run(k, SIM_TIME_NEVER, 0, &error)) {
		fprintf(stderr, "%s: %s\n", argv[0], error->message);
		g_error_free(error);
		sim_free(k);
		return 1;
	}
	wall = wall_now() - start;
	printf("hold pending=%" G_GUINT64_FORMAT " events=%" G_GUINT64_FORMAT
	       " wall=%.3f rate=%.2f\n", (guint64)pending, (guint64)sim_events_fired(k), wall,
	       (double)sim_events_fired(k) / wall / 1e6);
	sim_free(k);
	return 0;
}
