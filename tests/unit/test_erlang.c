/* The whole model against a closed form: one device of c unit blocks,
 * unit-size requests arriving as a Poisson process, exponential holding
 * times, every latency zero.  That is an M/M/c/c loss system, so the
 * fraction of requests refused for lack of capacity must match the Erlang
 * B formula B(c, a) for offered load a = arrival rate x mean holding time.
 * The estimate is a batch mean over consecutive stretches of one long run
 * (the first, warm-up, stretch dropped) with a Student t interval. */
#include <math.h>
#include <string.h>

#include "models/fabric.h"
#include "unit.h"

#define MIB (UINT64_C(1) << 20)
#define SEC UINT64_C(1000000000)
#define UNIT (2 * MIB)
#define CHANNELS 16		/* c */
#define LOAD 12.0		/* a, Erlang */
#define BATCHES 20		/* kept, after one warm-up batch */
#define BATCH (1500 * SEC)
#define T_975_19 2.093		/* Student t, 19 degrees of freedom */

/* B(c, a) by the recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)). */
static double erlang_b(unsigned c, double a)
{
	double b = 1;

	for (unsigned k = 1; k <= c; k++)
		b = a * b / (k + a * b);
	return b;
}

struct lookup {
	const char *name;
	double value;
};

static bool scalar_cb(const char *name, double value, const char *unit, void *data)
{
	struct lookup *l = data;

	(void)unit;
	if (strcmp(name, l->name))
		return false;
	l->value = value;
	return true;
}

static double scalar(struct fabric *f, const char *name)
{
	struct lookup l = { .name = name, .value = NAN };

	metrics_foreach_scalar(fabric_get_metrics(f), sim_now(fabric_get_sim(f)), scalar_cb, &l);
	return l.value;
}

static void zero_latencies(struct latency_params *l)
{
	size_t n;
	const struct latency_param_info *t = latency_param_table(&n);

	for (size_t i = 0; i < n; i++)
		g_assert(latency_params_set(l, t[i].name, 0, NULL));
}

static struct fabric *build(struct sim *k)
{
	struct fabric_device_config dev = { .name = "dcd0" };
	struct fabric_host_config host = { .devices = { "dcd0" } };
	struct fabric_workload_config wl = { .host = "h0" };
	struct fabric_config cfg;
	struct fabric *f;
	GError *error = NULL;

	fabric_config_init(&cfg);
	dcd_config_init(&dev.dcd, DCD_PROFILE_SPEC);
	dev.dcd.nregions = 1;
	dev.dcd.regions[0] = (struct dcd_region_config){
		.decode_len = DCD_REGION_ALIGN,
		.len = CHANNELS * UNIT,
		.block_size = UNIT,
	};
	zero_latencies(&dev.dcd.latency);
	g_assert(host_config_init(&host.host, "linux", NULL));
	g_strlcpy(host.host.name, "h0", sizeof(host.host.name));
	zero_latencies(&host.host.latency);
	workload_gen_config_init(&wl.gen);
	g_strlcpy(wl.gen.name, "erlang", sizeof(wl.gen.name));
	wl.gen.rate = LOAD;	/* per second, holding time 1 s */
	wl.gen.size = (struct workload_dist){ WORKLOAD_DIST_FIXED, (double)UNIT, 0 };
	wl.gen.hold = (struct workload_dist){ WORKLOAD_DIST_EXPONENTIAL, 1e9, 0 };
	wl.gen.stop = (BATCHES + 1) * BATCH;
	cfg.devices = &dev;
	cfg.n_devices = 1;
	cfg.hosts = &host;
	cfg.n_hosts = 1;
	cfg.workloads = &wl;
	cfg.n_workloads = 1;
	f = fabric_new(k, &cfg, &error);
	if (error)
		fprintf(stderr, "%s\n", error->message);
	return f;
}

static void test_erlang_b(void)
{
	g_autoptr(sim) k = sim_new(20260101);
	struct fabric *f = build(k);
	double b = erlang_b(CHANNELS, LOAD), sum = 0, sum2 = 0, mean, half;
	double sub0, blk0;
	GError *error = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_TRUE_FATAL(fabric_run(f, BATCH, &error));
	sub0 = scalar(f, "requests.submitted");
	blk0 = scalar(f, "blocked.no_capacity");
	for (unsigned i = 0; i < BATCHES; i++) {
		double sub, blk, p;

		CU_ASSERT_TRUE_FATAL(fabric_run(f, (i + 2) * BATCH, &error));
		sub = scalar(f, "requests.submitted");
		blk = scalar(f, "blocked.no_capacity");
		p = (blk - blk0) / (sub - sub0);
		sum += p;
		sum2 += p * p;
		sub0 = sub;
		blk0 = blk;
	}
	mean = sum / BATCHES;
	half = T_975_19 * sqrt((sum2 - BATCHES * mean * mean) / (BATCHES - 1) / BATCHES);
	printf("\n  erlang B(%d, %.0f) = %.5f; observed %.5f +- %.5f (95%%, %d batches of %.0f s)\n",
	       CHANNELS, LOAD, b, mean, half, BATCHES, (double)BATCH / 1e9);
	CU_ASSERT_TRUE(fabs(mean - b) <= half);
	/* the interval is tight enough to mean something */
	CU_ASSERT_TRUE(half < 0.1 * b);
	/* nothing else refused or lost anything */
	CU_ASSERT_EQUAL(scalar(f, "requests.rejected"), 0);
	CU_ASSERT_EQUAL(scalar(f, "blocked.extent_limit"), 0);
	CU_ASSERT_EQUAL(scalar(f, "releases.ignored"), 0);
	fabric_free(f);
}

static void test_erlang_formula(void)
{
	/* hand-worked: B(1, a) = a / (1 + a); B(2, 1) = 1/5 */
	CU_ASSERT_DOUBLE_EQUAL(erlang_b(1, 3), 0.75, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(erlang_b(2, 1), 0.2, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(erlang_b(16, 12), 0.0604126, 1e-7);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "erlang formula", test_erlang_formula },
		{ "erlang b", test_erlang_b },
		{ NULL, NULL },
	};

	return unit_run("erlang", tests);
}
