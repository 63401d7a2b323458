#include "unit.h"

#include "sim/rng.h"

#include <float.h>
#include <math.h>
#include <stdio.h>

#define SAMPLES 1000000

/* Regression guard: FNV-1a over the first 1000 outputs of stream "dcdsim"
 * at seed 42.  A change here changes every published run. */
#define PINNED_FIRST_OUTPUT 0xe69a1332778fb5d3u
#define PINNED_HASH_1000 0x1b0d80fae37d5dc0u

/* Chi-square critical values at p = 0.001. */
#define CHI2_DF1 10.83
#define CHI2_DF2 13.82
#define CHI2_DF3 16.27
#define CHI2_DF9 27.88
#define CHI2_DF899 1035.8	/* Wilson-Hilferty approximation */

static uint64_t hash_outputs(struct sim_rng *r, int n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (int i = 0; i < n; i++) {
		h ^= sim_rng_next(r);
		h *= 0x100000001b3u;
	}
	return h;
}

static double chi_square(const uint64_t *observed, const double *p, size_t k,
			 uint64_t total)
{
	double chi2 = 0.0;

	for (size_t i = 0; i < k; i++) {
		double expected = p[i] * (double)total;
		double diff = (double)observed[i] - expected;

		chi2 += diff * diff / expected;
	}
	return chi2;
}

/* Independent implementation: the first ten outputs of xoshiro256++ from
 * state {0, 0, 0, 1}. */
static void test_xoshiro_known_answer(void)
{
	static const uint64_t expected[] = {
		0x0000000000800000u, 0x0000000000800011u, 0x0002200000800011u,
		0x0002200044000020u, 0x00022000448008a1u, 0x01102100802208a0u,
		0x0114002284200880u, 0x0402896644a64095u, 0x8a14a0a244acc891u,
		0x8c88ba4680b20495u,
	};
	struct sim_rng r = { { 0, 0, 0, 1 } };

	for (size_t i = 0; i < G_N_ELEMENTS(expected); i++)
		CU_ASSERT_EQUAL(sim_rng_next(&r), expected[i]);
}

static void test_determinism(void)
{
	struct sim_rng a, b;

	sim_rng_init(&a, 7, "device0");
	sim_rng_init(&b, 7, "device0");
	for (int i = 0; i < 10000; i++)
		CU_ASSERT_EQUAL(sim_rng_next(&a), sim_rng_next(&b));
}

static void test_streams_differ(void)
{
	struct sim_rng base, other_name, other_seed, empty;
	uint64_t h;

	sim_rng_init(&base, 7, "host0");
	sim_rng_init(&other_name, 7, "host1");
	sim_rng_init(&other_seed, 8, "host0");
	sim_rng_init(&empty, 7, "");
	h = hash_outputs(&base, 100);
	CU_ASSERT_NOT_EQUAL(h, hash_outputs(&other_name, 100));
	CU_ASSERT_NOT_EQUAL(h, hash_outputs(&other_seed, 100));
	CU_ASSERT_NOT_EQUAL(h, hash_outputs(&empty, 100));

	/* Nearby seeds and names must not give shifted copies of one
	 * sequence: no first output of one stream appears in another's
	 * first few. */
	for (uint64_t seed = 0; seed < 4; seed++) {
		struct sim_rng s1, s2;
		uint64_t head[8];

		sim_rng_init(&s1, seed, "fm");
		sim_rng_init(&s2, seed + 1, "fm");
		for (int i = 0; i < 8; i++)
			head[i] = sim_rng_next(&s2);
		for (int i = 0; i < 8; i++) {
			uint64_t x = sim_rng_next(&s1);

			for (int j = 0; j < 8; j++)
				CU_ASSERT_NOT_EQUAL(x, head[j]);
		}
	}
}

static void test_independence(void)
{
	struct sim_rng first, other, fresh;
	uint64_t seen[200];

	sim_rng_init(&first, 99, "workload");
	for (int i = 0; i < 100; i++)
		seen[i] = sim_rng_next(&first);
	/* A new stream created and used mid-run... */
	sim_rng_init(&other, 99, "host7");
	for (int i = 0; i < 5000; i++)
		(void)sim_rng_exponential(&other, 3.0);
	for (int i = 100; i < 200; i++)
		seen[i] = sim_rng_next(&first);

	/* ...leaves the first stream exactly as it is when alone. */
	sim_rng_init(&fresh, 99, "workload");
	for (int i = 0; i < 200; i++)
		CU_ASSERT_EQUAL(seen[i], sim_rng_next(&fresh));
}

static void test_pinned_sequence(void)
{
	struct sim_rng r;
	uint64_t first, hash;

	sim_rng_init(&r, 42, "dcdsim");
	first = sim_rng_next(&r);
	sim_rng_init(&r, 42, "dcdsim");
	hash = hash_outputs(&r, 1000);
	if (first != PINNED_FIRST_OUTPUT || hash != PINNED_HASH_1000)
		printf("\n  first output 0x%016" G_GINT64_MODIFIER "x, hash 0x%016"
		       G_GINT64_MODIFIER "x\n", first, hash);
	CU_ASSERT_EQUAL(first, PINNED_FIRST_OUTPUT);
	CU_ASSERT_EQUAL(hash, PINNED_HASH_1000);
}

static void test_uniform01_range(void)
{
	struct sim_rng r;
	double lo = 1.0, hi = 0.0;

	sim_rng_init(&r, 1, "uniform01");
	for (int i = 0; i < SAMPLES; i++) {
		double u = sim_rng_uniform01(&r);

		lo = fmin(lo, u);
		hi = fmax(hi, u);
	}
	CU_ASSERT(lo >= 0.0 && lo < 1e-5);
	CU_ASSERT(hi < 1.0 && hi > 1.0 - 1e-5);
	/* Fifty-three bits: the smallest step is 2^-53, never finer. */
	for (int i = 0; i < 1000; i++) {
		double u = sim_rng_uniform01(&r) * 0x1.0p53;

		CU_ASSERT_EQUAL(u, floor(u));
	}
}

struct dist_case {
	const char *name;
	double (*draw)(struct sim_rng *r);
	double mean;
	double var;
	double min;	/* support's lower bound */
};

static double draw_uniform01(struct sim_rng *r)
{
	return sim_rng_uniform01(r);
}

static double draw_uniform(struct sim_rng *r)
{
	return sim_rng_uniform(r, -3.0, 5.0);
}

static double draw_exponential(struct sim_rng *r)
{
	return sim_rng_exponential(r, 2.5);
}

static double draw_normal(struct sim_rng *r)
{
	return sim_rng_normal(r, 10.0, 3.0);
}

static double draw_lognormal(struct sim_rng *r)
{
	return sim_rng_lognormal(r, 0.5, 0.5);
}

static double draw_pareto(struct sim_rng *r)
{
	return sim_rng_pareto(r, 2.0, 6.0);
}

static double draw_weibull(struct sim_rng *r)
{
	return sim_rng_weibull(r, 2.0, 1.5);
}

/* Sample mean and the mean of (x - mu)^2 against theory, each within five
 * standard errors; the error of the second is estimated from the sample's
 * fourth moment about mu. */
static void check_moments(const struct dist_case *c)
{
	struct sim_rng r;
	double sum = 0.0, sum2 = 0.0, sum4 = 0.0, lowest = INFINITY;
	double mean, var, se_mean, se_var;

	sim_rng_init(&r, 2024, c->name);
	for (int i = 0; i < SAMPLES; i++) {
		double x = c->draw(&r);
		double d = x - c->mean;

		lowest = fmin(lowest, x);
		sum += d;
		sum2 += d * d;
		sum4 += d * d * d * d;
	}
	mean = c->mean + sum / SAMPLES;
	var = sum2 / SAMPLES;
	se_mean = sqrt(c->var / SAMPLES);
	se_var = sqrt((sum4 / SAMPLES - var * var) / SAMPLES);
	if (fabs(mean - c->mean) > 5 * se_mean ||
	    fabs(var - c->var) > 5 * se_var || lowest < c->min)
		printf("\n  %s: mean %g (theory %g, se %g), var %g (theory %g, se %g), min %g\n",
		       c->name, mean, c->mean, se_mean, var, c->var, se_var,
		       lowest);
	CU_ASSERT(fabs(mean - c->mean) <= 5 * se_mean);
	CU_ASSERT(fabs(var - c->var) <= 5 * se_var);
	CU_ASSERT(lowest >= c->min);
}

static void test_distribution_moments(void)
{
	const double ln_mu = 0.5, ln_s2 = 0.25;
	const double wb_l = 2.0, wb_k = 1.5;
	const double g1 = tgamma(1.0 + 1.0 / wb_k), g2 = tgamma(1.0 + 2.0 / wb_k);
	const double pa_xm = 2.0, pa_a = 6.0;
	const struct dist_case cases[] = {
		{ "uniform01", draw_uniform01, 0.5, 1.0 / 12.0, 0.0 },
		{ "uniform", draw_uniform, 1.0, 64.0 / 12.0, -3.0 },
		{ "exponential", draw_exponential, 2.5, 6.25, 0.0 },
		{ "normal", draw_normal, 10.0, 9.0, -INFINITY },
		{ "lognormal", draw_lognormal, exp(ln_mu + ln_s2 / 2),
		  (exp(ln_s2) - 1) * exp(2 * ln_mu + ln_s2), 0.0 },
		{ "pareto", draw_pareto, pa_a * pa_xm / (pa_a - 1),
		  pa_xm * pa_xm * pa_a / ((pa_a - 1) * (pa_a - 1) * (pa_a - 2)),
		  pa_xm },
		{ "weibull", draw_weibull, wb_l * g1,
		  wb_l * wb_l * (g2 - g1 * g1), 0.0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		check_moments(&cases[i]);
}

static void test_degenerate_parameters(void)
{
	struct sim_rng r;

	sim_rng_init(&r, 3, "degenerate");
	CU_ASSERT_EQUAL(sim_rng_uniform(&r, 4.0, 4.0), 4.0);
	CU_ASSERT_EQUAL(sim_rng_exponential(&r, 0.0), 0.0);
	CU_ASSERT_EQUAL(sim_rng_normal(&r, -1.5, 0.0), -1.5);
	CU_ASSERT_DOUBLE_EQUAL(sim_rng_lognormal(&r, 1.0, 0.0), exp(1.0), 1e-12);
}

static void test_below_unbiased(void)
{
	struct sim_rng r;
	uint64_t counts[10] = { 0 };
	double p[10];

	sim_rng_init(&r, 5, "below");
	for (int i = 0; i < SAMPLES; i++) {
		uint64_t v = sim_rng_below(&r, 10);

		CU_ASSERT_FATAL(v < 10);
		counts[v]++;
	}
	for (int i = 0; i < 10; i++)
		p[i] = 0.1;
	CU_ASSERT(chi_square(counts, p, 10, SAMPLES) < CHI2_DF9);
}

/* n = 3 * 2^62 exposes both classic biases: reducing modulo n would put
 * half of the draws below 2^62, and multiply-shift without Lemire's
 * rejection would give every multiple of 3 two preimages out of four.
 * Unbiased, the three quarter-ranges and the three residues are even. */
static void test_below_large_n(void)
{
	const uint64_t n = 3ull << 62;
	const double p[3] = { 1.0 / 3, 1.0 / 3, 1.0 / 3 };
	uint64_t by_range[3] = { 0 }, by_residue[3] = { 0 };
	struct sim_rng r;

	sim_rng_init(&r, 5, "below-large");
	for (int i = 0; i < SAMPLES; i++) {
		uint64_t v = sim_rng_below(&r, n);

		CU_ASSERT_FATAL(v < n);
		by_range[v >> 62]++;
		by_residue[v % 3]++;
	}
	CU_ASSERT(chi_square(by_range, p, 3, SAMPLES) < CHI2_DF2);
	CU_ASSERT(chi_square(by_residue, p, 3, SAMPLES) < CHI2_DF2);
}

static void test_below_bounds(void)
{
	struct sim_rng r;
	gboolean seen[2] = { FALSE, FALSE };

	sim_rng_init(&r, 6, "below-bounds");
	for (int i = 0; i < 1000; i++) {
		uint64_t bit = sim_rng_below(&r, 2);

		CU_ASSERT_EQUAL(sim_rng_below(&r, 1), 0);
		CU_ASSERT_FATAL(bit < 2);
		seen[bit] = TRUE;
		CU_ASSERT(sim_rng_below(&r, UINT64_MAX) < UINT64_MAX);
	}
	CU_ASSERT(seen[0] && seen[1]);
}

static void check_discrete(const double *weights, size_t n, uint64_t draws,
			   double critical)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(sim_discrete) d = sim_discrete_new(weights, n, &error);
	g_autofree uint64_t *counts = g_new0(uint64_t, n);
	g_autofree uint64_t *nonzero_counts = g_new0(uint64_t, n);
	g_autofree double *p = g_new0(double, n);
	struct sim_rng r;
	double max = 0.0, sum = 0.0;
	size_t k = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_PTR_NULL(error);
	sim_rng_init(&r, 11, "discrete");
	for (uint64_t i = 0; i < draws; i++) {
		size_t v = sim_discrete_draw(d, &r);

		CU_ASSERT_FATAL(v < n);
		counts[v]++;
	}
	/* Scaled like the table, so that DBL_MAX weights do not overflow. */
	for (size_t i = 0; i < n; i++)
		max = fmax(max, weights[i]);
	for (size_t i = 0; i < n; i++)
		sum += weights[i] / max;
	/* Zero-weight outcomes never appear; the rest follow the weights. */
	for (size_t i = 0; i < n; i++) {
		if (weights[i] == 0.0) {
			CU_ASSERT_EQUAL(counts[i], 0);
			continue;
		}
		p[k] = weights[i] / max / sum;
		nonzero_counts[k++] = counts[i];
	}
	CU_ASSERT(chi_square(nonzero_counts, p, k, draws) < critical);
}

static void test_discrete_frequencies(void)
{
	const double small[] = { 1.0, 0.0, 3.0, 6.0, 0.5 };
	const double huge[] = { DBL_MAX, 0.0, DBL_MAX };
	const double single[] = { 0.25 };
	double many[1000];
	struct sim_rng r;

	check_discrete(small, G_N_ELEMENTS(small), SAMPLES, CHI2_DF3);
	check_discrete(huge, G_N_ELEMENTS(huge), 100000, CHI2_DF1);
	check_discrete(single, 1, 1000, 1e-9);	/* always outcome 0 */

	/* 1000 outcomes, every tenth of weight zero: 900 bins, df 899. */
	sim_rng_init(&r, 12, "weights");
	for (size_t i = 0; i < G_N_ELEMENTS(many); i++)
		many[i] = i % 10 == 0 ? 0.0 : sim_rng_uniform(&r, 0.1, 2.0);
	check_discrete(many, G_N_ELEMENTS(many), SAMPLES, CHI2_DF899);
}

static void check_discrete_error(const double *weights, size_t n, int code)
{
	g_autoptr(GError) error = NULL;
	struct sim_discrete *d = sim_discrete_new(weights, n, &error);

	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT(g_error_matches(error, SIM_RNG_ERROR, code));
	CU_ASSERT(error->message[0] != '\0');
	/* Without an error pointer the failure is still reported by NULL. */
	CU_ASSERT_PTR_NULL(sim_discrete_new(weights, n, NULL));
}

static void test_discrete_errors(void)
{
	const double negative[] = { 1.0, -0.5, 2.0 };
	const double not_a_number[] = { 1.0, NAN };
	const double infinite[] = { INFINITY, 1.0 };
	const double zeros[] = { 0.0, 0.0, 0.0 };
	const double one[] = { 1.0 };

	check_discrete_error(one, 0, SIM_RNG_ERROR_EMPTY);
	check_discrete_error(NULL, 0, SIM_RNG_ERROR_EMPTY);
	check_discrete_error(negative, 3, SIM_RNG_ERROR_WEIGHT);
	check_discrete_error(not_a_number, 2, SIM_RNG_ERROR_WEIGHT);
	check_discrete_error(infinite, 2, SIM_RNG_ERROR_WEIGHT);
	check_discrete_error(zeros, 3, SIM_RNG_ERROR_ZERO_SUM);
}

static const struct unit_test tests[] = {
	{ "xoshiro256++ known answer", test_xoshiro_known_answer },
	{ "same seed and name, same sequence", test_determinism },
	{ "other name or seed, other sequence", test_streams_differ },
	{ "streams are independent", test_independence },
	{ "pinned sequence", test_pinned_sequence },
	{ "uniform01 range and resolution", test_uniform01_range },
	{ "distribution moments", test_distribution_moments },
	{ "degenerate parameters", test_degenerate_parameters },
	{ "below is unbiased", test_below_unbiased },
	{ "below is unbiased for large n", test_below_large_n },
	{ "below bounds", test_below_bounds },
	{ "discrete frequencies", test_discrete_frequencies },
	{ "discrete errors", test_discrete_errors },
	{ NULL, NULL },
};

int main(void)
{
	return unit_run("rng", tests);
}
