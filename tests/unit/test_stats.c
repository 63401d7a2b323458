#include "unit.h"

#include "sim/rng.h"
#include "sim/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define DATASET 200000

/* The error bound documented in stats.h. */
#define REL_BOUND (1.0 / 256)

static gboolean within_bound(uint64_t got, uint64_t exact)
{
	double diff = fabs((double)got - (double)exact);

	/* The slack only absorbs the rounding of the conversions to double. */
	return diff <= (double)exact * REL_BOUND * (1 + 1e-9);
}

static void test_counter(void)
{
	struct sim_counter c = { 0 };

	sim_counter_add(&c, 1);
	sim_counter_add(&c, 41);
	CU_ASSERT_EQUAL(sim_counter_get(&c), 42);
}

static void test_gauge_time_weighted(void)
{
	struct sim_gauge g;

	sim_gauge_init(&g, 0, 0.0);
	sim_gauge_set(&g, 10, 4.0);
	sim_gauge_set(&g, 30, 1.0);
	/* 0 * 10 + 4 * 20 + 1 * 10 */
	CU_ASSERT_DOUBLE_EQUAL(sim_gauge_integral(&g, 40), 90.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(sim_gauge_mean(&g, 40), 2.25, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(sim_gauge_max(&g), 4.0, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(sim_gauge_value(&g), 1.0, 0.0);
	/* Querying does not close the open segment. */
	CU_ASSERT_DOUBLE_EQUAL(sim_gauge_integral(&g, 30), 80.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(sim_gauge_integral(&g, 50), 100.0, 1e-12);
}

static void test_gauge_add(void)
{
	struct sim_gauge g;

	sim_gauge_init(&g, 100, 2.0);
	CU_ASSERT_DOUBLE_EQUAL(sim_gauge_mean(&g, 100), 2.0, 0.0);
	sim_gauge_add(&g, 110, 3.0);
	sim_gauge_add(&g, 120, -4.0);
	/* Two updates at one instant leave a zero-length segment. */
	sim_gauge_add(&g, 120, 10.0);
	sim_gauge_add(&g, 120, -10.0);
	CU_ASSERT_DOUBLE_EQUAL(sim_gauge_value(&g), 1.0, 0.0);
	CU_ASSERT_DOUBLE_EQUAL(sim_gauge_max(&g), 11.0, 0.0);
	/* 2 * 10 + 5 * 10 + 1 * 10 from t = 100 */
	CU_ASSERT_DOUBLE_EQUAL(sim_gauge_integral(&g, 130), 80.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(sim_gauge_mean(&g, 130), 80.0 / 30.0, 1e-12);
}

struct bucket {
	uint64_t lo, hi, count;
};

static gboolean collect_bucket(uint64_t lo, uint64_t hi, uint64_t count,
			       void *user_data)
{
	struct bucket b = { lo, hi, count };

	g_array_append_val((GArray *)user_data, b);
	return FALSE;
}

static GArray *buckets_of(const struct sim_hist *h)
{
	GArray *buckets = g_array_new(FALSE, FALSE, sizeof(struct bucket));

	CU_ASSERT_FALSE(sim_hist_foreach(h, collect_bucket, buckets));
	return buckets;
}

static gboolean same_buckets(GArray *a, GArray *b)
{
	if (a->len != b->len)
		return FALSE;
	for (guint i = 0; i < a->len; i++) {
		struct bucket *x = &g_array_index(a, struct bucket, i);
		struct bucket *y = &g_array_index(b, struct bucket, i);

		if (x->lo != y->lo || x->hi != y->hi || x->count != y->count)
			return FALSE;
	}
	return TRUE;
}

/* Every bucket, reached by recording m * 2^s: they tile [0, UINT64_MAX]
 * and none is wider than 1/128 of its lower bound. */
static void test_hist_bucket_geometry(void)
{
	g_autoptr(sim_hist) h = sim_hist_new();
	g_autoptr(GArray) buckets = NULL;
	uint64_t next_lo = 0;

	for (int s = 0; s <= 56; s++)
		for (uint64_t m = 0; m < 256; m++)
			sim_hist_record(h, m << s);
	sim_hist_record(h, UINT64_MAX);
	buckets = buckets_of(h);
	CU_ASSERT_EQUAL(buckets->len, 7424);
	for (guint i = 0; i < buckets->len; i++) {
		struct bucket *b = &g_array_index(buckets, struct bucket, i);

		CU_ASSERT_EQUAL_FATAL(b->lo, next_lo);
		CU_ASSERT_FATAL(b->hi >= b->lo);
		if (b->lo < 256) {
			CU_ASSERT_EQUAL(b->hi, b->lo);
		} else {
			CU_ASSERT((b->hi - b->lo + 1) * 128 <= b->lo);
		}
		next_lo = b->hi + 1;
		if (b->hi == UINT64_MAX)
			CU_ASSERT_EQUAL(i + 1, buckets->len);
	}
}

/* Through the public percentile: one value v between v / 2 and
 * UINT64_MAX is the median, reported within the bound, across magnitudes. */
static void test_hist_single_value_error(void)
{
	g_autoptr(sim_hist) h = sim_hist_new();
	struct sim_rng r;

	sim_rng_init(&r, 1, "hist-values");
	for (int i = 0; i < 20000; i++) {
		uint64_t v = sim_rng_next(&r);
		uint64_t p;

		v >>= sim_rng_below(&r, 64);

		sim_hist_reset(h);
		sim_hist_record(h, v / 2);
		sim_hist_record(h, v);
		sim_hist_record(h, UINT64_MAX);
		p = sim_hist_percentile(h, 0.5);
		if (!within_bound(p, v))
			printf("\n  value %" G_GUINT64_FORMAT " reported as %"
			       G_GUINT64_FORMAT "\n", v, p);
		CU_ASSERT(within_bound(p, v));
	}
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The same nearest rank as stats.h documents, on sorted data. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double q)
{
	uint64_t rank = (uint64_t)ceil(q * (double)n);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

enum dataset {
	DATA_UNIFORM_WIDE,
	DATA_EXPONENTIAL,
	DATA_LOGNORMAL,
	DATA_NEAR_ZERO,
	DATA_NEAR_MAX,
	N_DATASETS,
};

static const char *const dataset_names[] = {
	"uniform-wide", "exponential", "lognormal", "near-zero", "near-max",
};

static uint64_t dataset_value(enum dataset which, struct sim_rng *r)
{
	switch (which) {
	case DATA_UNIFORM_WIDE:
		return sim_rng_below(r, (uint64_t)1 << 40);
	case DATA_EXPONENTIAL:
		return (uint64_t)sim_rng_exponential(r, 1e6);
	case DATA_LOGNORMAL:
		return (uint64_t)sim_rng_lognormal(r, 12.0, 2.5);
	case DATA_NEAR_ZERO:
		return sim_rng_below(r, 400);
	case DATA_NEAR_MAX:
		/* Half within a million of the top, half spread below it. */
		return UINT64_MAX - sim_rng_below(r, sim_rng_below(r, 2) ?
						   1000000 : (uint64_t)1 << 62);
	case N_DATASETS:
		break;
	}
	g_assert_not_reached();
}

static uint64_t *dataset_fill(enum dataset which, struct sim_hist *h)
{
	uint64_t *values = g_new(uint64_t, DATASET);
	struct sim_rng r;

	sim_rng_init(&r, 77, dataset_names[which]);
	for (size_t i = 0; i < DATASET; i++) {
		values[i] = dataset_value(which, &r);
		sim_hist_record(h, values[i]);
	}
	qsort(values, DATASET, sizeof(values[0]), compare_u64);
	return values;
}

static const double quantiles[] = { 0.5, 0.9, 0.99, 0.999 };

static void test_hist_percentiles(void)
{
	for (enum dataset d = 0; d < N_DATASETS; d++) {
		g_autoptr(sim_hist) h = sim_hist_new();
		g_autofree uint64_t *sorted = dataset_fill(d, h);
		long double sum = 0;

		CU_ASSERT_EQUAL(sim_hist_count(h), DATASET);
		CU_ASSERT_EQUAL(sim_hist_min(h), sorted[0]);
		CU_ASSERT_EQUAL(sim_hist_max(h), sorted[DATASET - 1]);
		CU_ASSERT_EQUAL(sim_hist_percentile(h, 0.0), sorted[0]);
		CU_ASSERT_EQUAL(sim_hist_percentile(h, 1.0), sorted[DATASET - 1]);
		for (size_t i = 0; i < G_N_ELEMENTS(quantiles); i++) {
			uint64_t got = sim_hist_percentile(h, quantiles[i]);
			uint64_t exact = exact_percentile(sorted, DATASET,
							  quantiles[i]);

			if (!within_bound(got, exact))
				printf("\n  %s p%g: %" G_GUINT64_FORMAT
				       " for %" G_GUINT64_FORMAT "\n",
				       dataset_names[d], quantiles[i] * 100,
				       got, exact);
			CU_ASSERT(within_bound(got, exact));
		}
		for (size_t i = 0; i < DATASET; i++)
			sum += sorted[i];
		CU_ASSERT_DOUBLE_EQUAL(sim_hist_mean(h), (double)(sum / DATASET),
				       1e-12 * (double)(sum / DATASET));
	}
}

static void test_hist_merge(void)
{
	g_autoptr(sim_hist) a = sim_hist_new();
	g_autoptr(sim_hist) b = sim_hist_new();
	g_autoptr(sim_hist) all = sim_hist_new();
	g_autoptr(sim_hist) empty = sim_hist_new();
	g_autoptr(GArray) merged = NULL;
	g_autoptr(GArray) direct = NULL;
	struct sim_rng r;

	sim_rng_init(&r, 5, "merge");
	for (int i = 0; i < 50000; i++) {
		uint64_t x = (uint64_t)sim_rng_lognormal(&r, 8.0, 2.0);
		uint64_t y = sim_rng_below(&r, 1u << 20);

		sim_hist_record(a, x);
		sim_hist_record(b, y);
		sim_hist_record(all, x);
		sim_hist_record(all, y);
	}
	sim_hist_merge(a, b);
	sim_hist_merge(a, empty);
	merged = buckets_of(a);
	direct = buckets_of(all);
	CU_ASSERT(same_buckets(merged, direct));
	CU_ASSERT_EQUAL(sim_hist_count(a), sim_hist_count(all));
	CU_ASSERT_EQUAL(sim_hist_min(a), sim_hist_min(all));
	CU_ASSERT_EQUAL(sim_hist_max(a), sim_hist_max(all));
	/* The sums are exact integers: the means agree to the bit. */
	CU_ASSERT_EQUAL(sim_hist_mean(a), sim_hist_mean(all));
	for (double q = 0.0; q <= 1.0; q += 0.01)
		CU_ASSERT_EQUAL(sim_hist_percentile(a, q),
				sim_hist_percentile(all, q));

	/* Into an empty histogram, a merge is a copy. */
	sim_hist_merge(empty, all);
	CU_ASSERT_EQUAL(sim_hist_min(empty), sim_hist_min(all));
	CU_ASSERT_EQUAL(sim_hist_percentile(empty, 0.999),
			sim_hist_percentile(all, 0.999));
}

static void test_hist_round_trip(void)
{
	for (enum dataset d = 0; d < N_DATASETS; d++) {
		g_autoptr(sim_hist) h = sim_hist_new();
		g_autoptr(sim_hist) rebuilt = sim_hist_new();
		g_autoptr(sim_hist) by_hi = sim_hist_new();
		g_autofree uint64_t *sorted = dataset_fill(d, h);
		g_autoptr(GArray) stored = buckets_of(h);
		g_autoptr(GArray) again = NULL;
		g_autoptr(GArray) again_hi = NULL;

		for (guint i = 0; i < stored->len; i++) {
			struct bucket *b = &g_array_index(stored, struct bucket, i);

			sim_hist_add_bucket_count(rebuilt, b->lo, b->count);
			/* Any value of the bucket names it. */
			sim_hist_add_bucket_count(by_hi, b->hi, b->count);
		}
		again = buckets_of(rebuilt);
		again_hi = buckets_of(by_hi);
		CU_ASSERT(same_buckets(stored, again));
		CU_ASSERT(same_buckets(stored, again_hi));
		CU_ASSERT_EQUAL(sim_hist_count(rebuilt), DATASET);
		CU_ASSERT(within_bound(sim_hist_min(rebuilt), sorted[0]));
		CU_ASSERT(within_bound(sim_hist_max(rebuilt), sorted[DATASET - 1]));
		CU_ASSERT_DOUBLE_EQUAL(sim_hist_mean(rebuilt), sim_hist_mean(h),
				       REL_BOUND * sim_hist_mean(h));
		for (size_t i = 0; i < G_N_ELEMENTS(quantiles); i++) {
			uint64_t before = sim_hist_percentile(h, quantiles[i]);
			uint64_t after = sim_hist_percentile(rebuilt, quantiles[i]);
			uint64_t exact = exact_percentile(sorted, DATASET,
							  quantiles[i]);

			CU_ASSERT(within_bound(after, exact));
			/* Same bucket: at most a bucket width apart. */
			CU_ASSERT(fabs((double)after - (double)before) <=
				  (double)before / 128 + 1);
		}
	}
}

static gboolean count_calls(uint64_t lo, uint64_t hi, uint64_t count,
			    void *user_data)
{
	(void)lo;
	(void)hi;
	(void)count;
	return ++*(int *)user_data == 2;
}

static void test_hist_foreach_stop(void)
{
	g_autoptr(sim_hist) h = sim_hist_new();
	int calls = 0;

	for (uint64_t v = 1; v <= 5; v++)
		sim_hist_record(h, v * 1000);
	CU_ASSERT_TRUE(sim_hist_foreach(h, count_calls, &calls));
	CU_ASSERT_EQUAL(calls, 2);
}

static void check_empty(const struct sim_hist *h)
{
	int calls = 0;

	CU_ASSERT_EQUAL(sim_hist_count(h), 0);
	CU_ASSERT_EQUAL(sim_hist_min(h), 0);
	CU_ASSERT_EQUAL(sim_hist_max(h), 0);
	CU_ASSERT_EQUAL(sim_hist_mean(h), 0.0);
	CU_ASSERT_EQUAL(sim_hist_percentile(h, 0.0), 0);
	CU_ASSERT_EQUAL(sim_hist_percentile(h, 0.5), 0);
	CU_ASSERT_EQUAL(sim_hist_percentile(h, 1.0), 0);
	CU_ASSERT_FALSE(sim_hist_foreach(h, count_calls, &calls));
	CU_ASSERT_EQUAL(calls, 0);
}

static void test_hist_empty_and_reset(void)
{
	g_autoptr(sim_hist) h = sim_hist_new();

	check_empty(h);
	sim_hist_record_n(h, 123, 0);
	check_empty(h);
	sim_hist_record(h, 5000);
	sim_hist_record(h, 7);
	CU_ASSERT_EQUAL(sim_hist_count(h), 2);
	sim_hist_reset(h);
	check_empty(h);
}

static void test_hist_record_n(void)
{
	g_autoptr(sim_hist) once = sim_hist_new();
	g_autoptr(sim_hist) looped = sim_hist_new();
	g_autoptr(sim_hist) top = sim_hist_new();
	g_autoptr(GArray) a = NULL;
	g_autoptr(GArray) b = NULL;

	sim_hist_record_n(once, 123456789, 5);
	sim_hist_record_n(once, 3, 2);
	for (int i = 0; i < 5; i++)
		sim_hist_record(looped, 123456789);
	sim_hist_record(looped, 3);
	sim_hist_record(looped, 3);
	a = buckets_of(once);
	b = buckets_of(looped);
	CU_ASSERT(same_buckets(a, b));
	CU_ASSERT_EQUAL(sim_hist_count(once), 7);
	CU_ASSERT_EQUAL(sim_hist_mean(once), sim_hist_mean(looped));
	CU_ASSERT_EQUAL(sim_hist_percentile(once, 0.5), sim_hist_percentile(looped, 0.5));

	/* The sum needs more than 64 bits and stays exact. */
	sim_hist_record_n(top, UINT64_MAX, (uint64_t)1 << 40);
	CU_ASSERT_EQUAL(sim_hist_mean(top), (double)UINT64_MAX);
	CU_ASSERT_EQUAL(sim_hist_percentile(top, 0.5), UINT64_MAX);
	sim_hist_reset(top);
	sim_hist_record(top, UINT64_MAX);
	sim_hist_record(top, 3);
	/* (2^64 + 2) / 2 */
	CU_ASSERT_EQUAL(sim_hist_mean(top), ldexp(1.0, 63));
}

/* Student's t quantile: the table's ends, the expansion beyond it, and
 * the normal quantile in the limit. */
static void test_student_t975(void)
{
	double last = INFINITY;

	CU_ASSERT_DOUBLE_EQUAL(sim_student_t975(1), 12.7062, 1e-4);
	CU_ASSERT_DOUBLE_EQUAL(sim_student_t975(2), 4.3027, 1e-4);
	CU_ASSERT_DOUBLE_EQUAL(sim_student_t975(30), 2.0423, 1e-4);
	CU_ASSERT_DOUBLE_EQUAL(sim_student_t975(40), 2.0211, 1e-4);
	CU_ASSERT_DOUBLE_EQUAL(sim_student_t975(120), 1.9799, 1e-4);
	CU_ASSERT_DOUBLE_EQUAL(sim_student_t975(100000), 1.9600, 1e-4);
	for (unsigned df = 1; df < 200; df++) {
		CU_ASSERT_TRUE(sim_student_t975(df) < last);
		last = sim_student_t975(df);
	}
}

static const struct unit_test tests[] = {
	{ "counter", test_counter },
	{ "gauge time weighting", test_gauge_time_weighted },
	{ "gauge add", test_gauge_add },
	{ "hist bucket geometry", test_hist_bucket_geometry },
	{ "hist single value error", test_hist_single_value_error },
	{ "hist percentiles vs sorted data", test_hist_percentiles },
	{ "hist merge", test_hist_merge },
	{ "hist foreach and add_bucket_count round trip", test_hist_round_trip },
	{ "hist foreach stops", test_hist_foreach_stop },
	{ "hist empty and reset", test_hist_empty_and_reset },
	{ "hist record_n", test_hist_record_n },
	{ "student t 0.975 quantile", test_student_t975 },
	{ NULL, NULL },
};

int main(void)
{
	return unit_run("stats", tests);
}
