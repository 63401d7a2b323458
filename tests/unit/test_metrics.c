/* The metrics sink: fragmentation indexes (pure and on extent maps),
 * stranded byte-seconds, acceptance latency by stage, host and width,
 * counters, utilization gauges, series sampling and the export walk. */
#include "unit.h"

#include "models/extent_map.h"
#include "models/metrics.h"

#include <math.h>
#include <string.h>

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define SEC UINT64_C(1000000000)

#define EPS 1e-12

/* What an export walk saw: every name in order (one per line, with the
 * value or summary), scalars and series by name. */
struct walk {
	GString *text;
	GHashTable *scalars;	/* name -> double * */
	GHashTable *units;	/* name -> unit */
	GHashTable *hists;	/* name -> struct sim_hist *, a copy (the walk's is
				 * valid during the call only) */
	GHashTable *series;	/* name -> GArray of double, t_ns then value pairs */
};

static void walk_init(struct walk *w)
{
	w->text = g_string_new(NULL);
	w->scalars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	w->units = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	w->hists = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)sim_hist_free);
	w->series = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					  (GDestroyNotify)g_array_unref);
}

static void walk_clear(struct walk *w)
{
	g_string_free(w->text, TRUE);
	g_hash_table_unref(w->scalars);
	g_hash_table_unref(w->units);
	g_hash_table_unref(w->hists);
	g_hash_table_unref(w->series);
}

static bool on_scalar(const char *name, double value, const char *unit, void *user_data)
{
	struct walk *w = user_data;

	g_string_append_printf(w->text, "scalar %s %.17g %s\n", name, value, unit);
	CU_ASSERT_FALSE(g_hash_table_contains(w->scalars, name));
	g_hash_table_insert(w->scalars, g_strdup(name), g_memdup2(&value, sizeof(value)));
	g_hash_table_insert(w->units, g_strdup(name), g_strdup(unit));
	return false;
}

static bool on_hist(const char *name, const struct sim_hist *hist, void *user_data)
{
	struct walk *w = user_data;
	struct sim_hist *copy = sim_hist_new();

	g_string_append_printf(w->text, "hist %s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
			       " %" G_GUINT64_FORMAT " %.17g\n", name, sim_hist_count(hist),
			       sim_hist_min(hist), sim_hist_max(hist), sim_hist_mean(hist));
	CU_ASSERT_FALSE(g_hash_table_contains(w->hists, name));
	sim_hist_merge(copy, hist);
	g_hash_table_insert(w->hists, g_strdup(name), copy);
	return false;
}

static bool on_series(const char *name, const uint64_t *t_ns, const double *value, size_t n,
		      void *user_data)
{
	struct walk *w = user_data;
	GArray *pairs = g_array_new(FALSE, FALSE, sizeof(double));

	g_string_append_printf(w->text, "series %s", name);
	for (size_t i = 0; i < n; i++) {
		double t = (double)t_ns[i];

		g_string_append_printf(w->text, " %" G_GUINT64_FORMAT ":%.17g", t_ns[i], value[i]);
		g_array_append_val(pairs, t);
		g_array_append_val(pairs, value[i]);
	}
	g_string_append_c(w->text, '\n');
	CU_ASSERT_FALSE(g_hash_table_contains(w->series, name));
	g_hash_table_insert(w->series, g_strdup(name), pairs);
	return false;
}

static void walk_all(struct walk *w, const struct metrics *m, uint64_t now_ns)
{
	walk_init(w);
	CU_ASSERT_FALSE(metrics_foreach_scalar(m, now_ns, on_scalar, w));
	CU_ASSERT_FALSE(metrics_foreach_histogram(m, on_hist, w));
	CU_ASSERT_FALSE(metrics_foreach_series(m, on_series, w));
}

/* The scalar NAME; fails the test (and returns NAN) when absent. */
static double scalar(const struct walk *w, const char *name)
{
	const double *v = g_hash_table_lookup(w->scalars, name);

	CU_ASSERT_PTR_NOT_NULL(v);
	return v ? *v : NAN;
}

static const struct sim_hist *hist(const struct walk *w, const char *name)
{
	const struct sim_hist *h = g_hash_table_lookup(w->hists, name);

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	return h;
}

/* Value I of series NAME, checking its time. */
static double series_value(const struct walk *w, const char *name, size_t i, uint64_t t_ns)
{
	GArray *pairs = g_hash_table_lookup(w->series, name);

	CU_ASSERT_PTR_NOT_NULL_FATAL(pairs);
	CU_ASSERT_TRUE_FATAL(2 * i + 1 < pairs->len);
	CU_ASSERT_EQUAL(g_array_index(pairs, double, 2 * i), (double)t_ns);
	return g_array_index(pairs, double, 2 * i + 1);
}

static size_t series_length(const struct walk *w, const char *name)
{
	GArray *pairs = g_hash_table_lookup(w->series, name);

	CU_ASSERT_PTR_NOT_NULL_FATAL(pairs);
	return pairs->len / 2;
}

static struct metrics *metrics_with(const uint64_t *sizes, size_t n)
{
	GError *error = NULL;
	struct metrics *m = metrics_new(sizes, n, &error);

	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

static unsigned add_device(struct metrics *m, const char *name, uint64_t now_ns,
			   uint64_t max_extents, uint64_t max_tags)
{
	GError *error = NULL;
	unsigned id = 99;

	CU_ASSERT_TRUE(metrics_device_add(m, name, now_ns, max_extents, max_tags, &id, &error));
	CU_ASSERT_PTR_NULL(error);
	return id;
}

/* Unusable index (F - S r) / F. */
static void test_unusable_index_formula(void)
{
	CU_ASSERT_DOUBLE_EQUAL(metrics_unusable_index(0, 0, 4), 0.0, EPS);
	/* F 10, S 2, r 3: (10 - 6) / 10 */
	CU_ASSERT_DOUBLE_EQUAL(metrics_unusable_index(10, 2, 3), 0.4, EPS);
	/* Every free block in whole requests. */
	CU_ASSERT_DOUBLE_EQUAL(metrics_unusable_index(12, 3, 4), 0.0, EPS);
	/* No free extent holds r: all of F is unusable. */
	CU_ASSERT_DOUBLE_EQUAL(metrics_unusable_index(10, 0, 16), 1.0, EPS);
}

/* Extfrag 1 - (1 + F / r) / N, as Linux's __fragmentation_index. */
static void test_extfrag_index_formula(void)
{
	CU_ASSERT_DOUBLE_EQUAL(metrics_extfrag_index(0, 0, 0, 4), 0.0, EPS);
	/* A free extent holds the request: not a failure to explain. */
	CU_ASSERT_DOUBLE_EQUAL(metrics_extfrag_index(10, 3, 1, 4), METRICS_EXTFRAG_FITS, EPS);
	/* F 10, N 5, r 16: 1 - (1 + 0.625) / 5 = 0.675 (Linux: 1000 -
	 * (1000 + 10000 / 16) / 5 = 675). */
	CU_ASSERT_DOUBLE_EQUAL(metrics_extfrag_index(10, 5, 0, 16), 0.675, EPS);
	/* F 1000 one-block extents, r 2: 1 - (1 + 500) / 1000 = 0.499. */
	CU_ASSERT_DOUBLE_EQUAL(metrics_extfrag_index(1000, 1000, 0, 2), 0.499, EPS);
	/* N 1, F < r: 1 - (1 + 10 / 16) < 0, clamped to 0. */
	CU_ASSERT_DOUBLE_EQUAL(metrics_extfrag_index(10, 1, 0, 16), 0.0, EPS);
	/* F 30 in 30 extents, r 1000: 1 - 1.03 / 30, towards 1. */
	CU_ASSERT_DOUBLE_EQUAL(metrics_extfrag_index(30, 30, 0, 1000), 1.0 - 1.03 / 30.0, EPS);
}

/* Marks [START, START + LEN) of MAP accepted. */
static void accept_range(struct extent_map *map, uint64_t start, uint64_t len)
{
	struct extent_attr attr;

	extent_attr_init(&attr, EXTENT_ACCEPTED);
	CU_ASSERT_EQUAL(extent_map_set(map, start, len, &attr), EXTENT_MAP_OK);
}

/* dcd0 region 0: 64 MiB at 0, 2 MiB blocks (32 blocks), accepted blocks 4,
 * 6 and 10..31, so free extents of 4, 1 and 3 blocks: F = 8 blocks
 * (16 MiB), N = 3, largest 4 blocks (ratio 0.5).
 *   r 2 MiB  (1 block):  S = 4 + 1 + 3 = 8, unusable (8 - 8) / 8 = 0, fits
 *   r 3 MiB  (rounded up to 2 blocks): as r 4 MiB: S = 2 + 0 + 1 = 3,
 *            unusable (8 - 6) / 8 = 0.25, fits
 *   r 16 MiB (8 blocks): S = 0, unusable 1, extfrag 1 - (1 + 8/8) / 3 = 1/3
 *   r 64 MiB (32 blocks): S = 0, unusable 1,
 *            extfrag 1 - (1 + 8/32) / 3 = 1 - 1.25 / 3 = 0.58333...
 * dcd1 region 0: 32 MiB all free (one extent); region 1: 32 MiB at
 * 256 MiB, first 16 MiB accepted, one free extent of 16 MiB.
 *   region 0, r 64 MiB: F 32, N 1, S 0: 1 - (1 + 0.5) / 1 < 0, clamped 0
 *   device: F = 48 MiB, N = 2, largest 32 MiB (ratio 2/3)
 *     r 16 MiB: S = 2 + 1 = 3, unusable 0, fits
 *     r 64 MiB: S = 0, unusable 1, extfrag 1 - (1 + 48/64) / 2 = 0.125 */
static void test_fragmentation_on_maps(void)
{
	static const uint64_t sizes[] = { 2 * MiB, 3 * MiB, 16 * MiB, 64 * MiB };
	struct metrics *m = metrics_with(sizes, G_N_ELEMENTS(sizes));
	struct extent_map *a = extent_map_new(0, 64 * MiB, 2 * MiB);
	struct extent_map *b0 = extent_map_new(0, 32 * MiB, 2 * MiB);
	struct extent_map *b1 = extent_map_new(256 * MiB, 32 * MiB, 2 * MiB);
	unsigned dcd0, dcd1;
	struct walk w;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b1);
	accept_range(a, 4 * 2 * MiB, 2 * MiB);
	accept_range(a, 6 * 2 * MiB, 2 * MiB);
	accept_range(a, 10 * 2 * MiB, 22 * 2 * MiB);
	accept_range(b1, 256 * MiB, 16 * MiB);

	dcd0 = add_device(m, "dcd0", 0, 512, 0);
	dcd1 = add_device(m, "dcd1", 0, 512, 0);
	CU_ASSERT_EQUAL(dcd0, 0);
	CU_ASSERT_EQUAL(dcd1, 1);
	metrics_device_set_region(m, dcd0, 0, a);
	metrics_device_set_region(m, dcd1, 0, b0);
	metrics_device_set_region(m, dcd1, 1, b1);
	metrics_sample(m, 5);
	walk_all(&w, m, 5);

	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.free_bytes", 0, 5),
			       16.0 * MiB, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.free_extents", 0, 5), 3,
			       EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.largest_free_ratio", 0, 5),
			       0.5, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.unusable_index.2MiB", 0, 5),
			       0.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.unusable_index.3MiB", 0, 5),
			       0.25, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.unusable_index.16MiB", 0,
					    5), 1.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.extfrag_index.2MiB", 0, 5),
			       METRICS_EXTFRAG_FITS, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.extfrag_index.3MiB", 0, 5),
			       METRICS_EXTFRAG_FITS, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.extfrag_index.16MiB", 0, 5),
			       1.0 / 3.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.extfrag_index.64MiB", 0, 5),
			       1.0 - 1.25 / 3.0, EPS);
	/* One region: the device scope repeats it. */
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.unusable_index.3MiB", 0, 5),
			       0.25, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.extfrag_index.64MiB", 0, 5),
			       1.0 - 1.25 / 3.0, EPS);

	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd1.r0.extfrag_index.64MiB", 0, 5),
			       0.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd1.free_bytes", 0, 5),
			       48.0 * MiB, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd1.free_extents", 0, 5), 2, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd1.largest_free_ratio", 0, 5),
			       2.0 / 3.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd1.unusable_index.16MiB", 0, 5),
			       0.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd1.extfrag_index.16MiB", 0, 5),
			       METRICS_EXTFRAG_FITS, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd1.unusable_index.64MiB", 0, 5),
			       1.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd1.extfrag_index.64MiB", 0, 5),
			       0.125, EPS);
	walk_clear(&w);

	metrics_free(m);
	extent_map_free(a);
	extent_map_free(b0);
	extent_map_free(b1);
}

/* A full region (F = 0) reports no fragmentation: indexes 0, largest-free
 * ratio 1; a device with no region attached likewise. */
static void test_fragmentation_full(void)
{
	static const uint64_t sizes[] = { 2 * MiB };
	struct metrics *m = metrics_with(sizes, 1);
	struct extent_map *map = extent_map_new(0, 8 * MiB, 2 * MiB);
	struct walk w;

	accept_range(map, 0, 8 * MiB);
	metrics_device_set_region(m, add_device(m, "full", 0, 16, 0), 0, map);
	add_device(m, "bare", 0, 16, 0);
	metrics_sample(m, 0);
	walk_all(&w, m, 0);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.full.r0.free_bytes", 0, 0), 0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.full.r0.largest_free_ratio", 0, 0),
			       1.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.full.r0.unusable_index.2MiB", 0, 0),
			       0.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.full.r0.extfrag_index.2MiB", 0, 0),
			       0.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.bare.extfrag_index.2MiB", 0, 0),
			       0.0, EPS);
	CU_ASSERT_FALSE(g_hash_table_contains(w.series, "fragmentation.bare.r0.free_bytes"));
	walk_clear(&w);
	metrics_free(m);
	extent_map_free(map);
}

/* Series follow the maps over time, replaced maps included; a device
 * registered after sampling began has series from its first sample on. */
static void test_series_sampling(void)
{
	static const uint64_t sizes[] = { 4 * MiB, 1536 * KiB, GiB, 100 };
	struct metrics *m = metrics_with(sizes, G_N_ELEMENTS(sizes));
	struct extent_map *map = extent_map_new(0, 16 * MiB, 2 * MiB);
	struct extent_map *bigger = extent_map_new(0, 32 * MiB, 2 * MiB);
	unsigned late;
	struct walk w;

	metrics_device_set_region(m, add_device(m, "dcd0", 0, 8, 4), 0, map);
	metrics_sample(m, 0);
	accept_range(map, 2 * MiB, 2 * MiB);	/* free: 1 block, then 6 */
	metrics_sample(m, 10);
	late = add_device(m, "dcd-late_1", 15, 8, 4);
	metrics_device_set_region(m, late, 0, bigger);
	metrics_device_set_region(m, 0, 0, bigger);	/* dcd0's region replaced */
	metrics_sample(m, 20);
	metrics_sample(m, 20);
	walk_all(&w, m, 20);

	CU_ASSERT_EQUAL(series_length(&w, "fragmentation.dcd0.r0.free_extents"), 4);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.free_extents", 0, 0), 1, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.free_extents", 1, 10), 2,
			       EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.free_bytes", 2, 20),
			       32.0 * MiB, EPS);
	/* 14 MiB free in 2 MiB + 12 MiB: 4 MiB requests use 12 MiB of it. */
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.unusable_index.4MiB", 1,
					    10), 2.0 / 14.0, EPS);
	/* 1536 KiB and 100 B round up to one 2 MiB block: all usable. */
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.unusable_index.1536KiB",
					    1, 10), 0.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.unusable_index.100B", 1,
					    10), 0.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "fragmentation.dcd0.r0.unusable_index.1GiB", 1,
					    10), 1.0, EPS);

	CU_ASSERT_EQUAL(series_length(&w, "fragmentation.dcd-late_1.r0.free_bytes"), 2);
	CU_ASSERT_EQUAL(series_length(&w, "extent_util.dcd-late_1"), 2);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "extent_util.dcd-late_1", 0, 20), 0.0, EPS);
	CU_ASSERT_EQUAL(series_length(&w, "stranded_bytes.dropped_chain"), 4);
	walk_clear(&w);

	metrics_free(m);
	extent_map_free(map);
	extent_map_free(bigger);
}

/* Extent limit 512: 0 extents on [0, 1000), 256 on [1000, 3000), 128 on
 * [3000, 4000): mean (256 * 2000 + 128 * 1000) / 4000 = 160, 160 / 512 =
 * 0.3125; max 256 / 512 = 0.5.  Tags: 3 of 4 from 2000: mean 1.5 / 4. */
static void test_utilization(void)
{
	struct metrics *m = metrics_with(NULL, 0);
	unsigned dev = add_device(m, "dcd0", 0, 512, 4);
	unsigned qemu = add_device(m, "qemu", 0, 512, 0);
	struct walk w;

	metrics_device_set_extents(m, dev, 1000, 256);
	metrics_device_set_tags(m, dev, 2000, 3);
	metrics_sample(m, 2000);
	metrics_device_set_extents(m, dev, 3000, 128);
	metrics_device_set_extents(m, qemu, 3000, 5);
	walk_all(&w, m, 4000);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "extent_util.dcd0.mean"), 0.3125, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "extent_util.dcd0.max"), 0.5, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "tag_util.dcd0.mean"), 1.5 / 4.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "tag_util.dcd0.max"), 0.75, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "tag_util.qemu.max"), 0.0, EPS);
	CU_ASSERT_STRING_EQUAL(g_hash_table_lookup(w.units, "extent_util.dcd0.mean"), "ratio");
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "extent_util.dcd0", 0, 2000), 0.5, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "tag_util.dcd0", 0, 2000), 0.75, EPS);
	/* No fragmentation request sizes: only the size-free series. */
	CU_ASSERT_TRUE(g_hash_table_contains(w.series, "fragmentation.dcd0.free_bytes"));
	CU_ASSERT_EQUAL(g_hash_table_size(w.series), METRICS_STRANDED_COUNT + 2 * (2 + 3));
	walk_clear(&w);
	metrics_free(m);
}

/* Stranded bytes over a timeline, exported at 10 s:
 *   unanswered_offer       +4 MiB at 1 s, +2 MiB at 3 s, -6 MiB at 4 s:
 *                          4 MiB * 2 s + 6 MiB * 1 s = 14 MiB*s
 *   ignored_release        +1 GiB at 2 s, -1 GiB at 5 s: 3 GiB*s
 *   half_built_interleave  +8 MiB at 6 s, held to 10 s: 32 MiB*s
 *   dropped_chain          nothing
 * total 14 MiB*s + 3 GiB*s + 32 MiB*s = 3269459968 byte*s. */
static void test_stranded_timeline(void)
{
	struct metrics *m = metrics_with(NULL, 0);
	struct walk w;

	metrics_sample(m, 0);
	metrics_stranded_add(m, METRICS_STRANDED_UNANSWERED_OFFER, 1 * SEC, 4 * MiB);
	metrics_stranded_add(m, METRICS_STRANDED_IGNORED_RELEASE, 2 * SEC, GiB);
	metrics_stranded_add(m, METRICS_STRANDED_UNANSWERED_OFFER, 3 * SEC, 2 * MiB);
	metrics_sample(m, 3 * SEC + SEC / 2);
	metrics_stranded_add(m, METRICS_STRANDED_UNANSWERED_OFFER, 4 * SEC, -(int64_t)(6 * MiB));
	metrics_stranded_add(m, METRICS_STRANDED_IGNORED_RELEASE, 5 * SEC, -(int64_t)GiB);
	metrics_stranded_add(m, METRICS_STRANDED_HALF_BUILT, 6 * SEC, 8 * MiB);
	metrics_sample(m, 10 * SEC);
	walk_all(&w, m, 10 * SEC);

	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "stranded_byte_s.unanswered_offer"), 14.0 * MiB, 1e-3);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "stranded_byte_s.ignored_release"), 3.0 * GiB, 1e-3);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "stranded_byte_s.half_built_interleave"), 32.0 * MiB,
			       1e-3);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "stranded_byte_s.dropped_chain"), 0.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "stranded_byte_s.total"), 3269459968.0, 1e-3);
	CU_ASSERT_STRING_EQUAL(g_hash_table_lookup(w.units, "stranded_byte_s.total"), "byte*s");
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "stranded_bytes.unanswered_offer.max"), 6.0 * MiB, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "stranded_bytes.ignored_release.max"), 1.0 * GiB, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "stranded_bytes.unanswered_offer", 0, 0), 0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "stranded_bytes.unanswered_offer", 1,
					    3 * SEC + SEC / 2), 6.0 * MiB, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "stranded_bytes.unanswered_offer", 2, 10 * SEC),
			       0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(series_value(&w, "stranded_bytes.half_built_interleave", 2,
					    10 * SEC), 8.0 * MiB, EPS);
	walk_clear(&w);
	metrics_free(m);
}

/* Two acceptances: the total of each is the sum of its stages, every stage
 * histogram gets one value per acceptance (zeros included), and the mean
 * total is the sum of the stage means. */
static void test_acceptance_stages(void)
{
	static const uint64_t a[METRICS_STAGE_COUNT] = { 100, 200, 300, 400, 500, 600, 0 };
	static const uint64_t b[METRICS_STAGE_COUNT] = { 1000, 20, 30, 40, 5000, 60, 7000 };
	struct metrics *m = metrics_with(NULL, 0);
	double stage_means = 0.0;
	char name[64];
	struct walk w;

	metrics_record_acceptance(m, 0, 1, a);
	metrics_record_acceptance(m, 0, 2, b);
	walk_all(&w, m, 0);
	/* a: 2100 ns; b: 13150 ns.  min and max are exact. */
	CU_ASSERT_EQUAL(sim_hist_count(hist(&w, "accept_latency_ns.total")), 2);
	CU_ASSERT_EQUAL(sim_hist_min(hist(&w, "accept_latency_ns.total")), 2100);
	CU_ASSERT_EQUAL(sim_hist_max(hist(&w, "accept_latency_ns.total")), 13150);
	CU_ASSERT_EQUAL(sim_hist_max(hist(&w, "accept_latency_ns.ways.1.total")), 2100);
	CU_ASSERT_EQUAL(sim_hist_max(hist(&w, "accept_latency_ns.ways.2.total")), 13150);
	CU_ASSERT_EQUAL(sim_hist_count(hist(&w, "accept_latency_ns.stage.assembly")), 2);
	CU_ASSERT_EQUAL(sim_hist_min(hist(&w, "accept_latency_ns.stage.assembly")), 0);
	CU_ASSERT_EQUAL(sim_hist_max(hist(&w, "accept_latency_ns.stage.assembly")), 7000);
	CU_ASSERT_EQUAL(sim_hist_max(hist(&w, "accept_latency_ns.ways.1.stage.realize")), 500);
	for (size_t s = 0; s < METRICS_STAGE_COUNT; s++) {
		g_snprintf(name, sizeof(name), "accept_latency_ns.host.0.stage.%s",
			   metrics_stage_name(s));
		stage_means += sim_hist_mean(hist(&w, name));
	}
	CU_ASSERT_DOUBLE_EQUAL(stage_means, (2100.0 + 13150.0) / 2.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(sim_hist_mean(hist(&w, "accept_latency_ns.total")),
			       (2100.0 + 13150.0) / 2.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "requests.accepted"), 2, EPS);
	walk_clear(&w);
	metrics_free(m);
}

/* Hosts 0 and 2 (no 1), widths 1 and 4: each scope sees only its own. */
static void test_acceptance_scopes(void)
{
	static const uint64_t fast[METRICS_STAGE_COUNT] = { 10, 10, 10, 10, 10, 10, 0 };
	static const uint64_t slow[METRICS_STAGE_COUNT] = { 1000, 0, 0, 0, 0, 0, 5000 };
	struct metrics *m = metrics_with(NULL, 0);
	struct walk w;

	metrics_record_acceptance(m, 0, 1, fast);
	for (int i = 0; i < 3; i++)
		metrics_record_acceptance(m, 2, 4, slow);
	walk_all(&w, m, 0);
	CU_ASSERT_EQUAL(sim_hist_count(hist(&w, "accept_latency_ns.total")), 4);
	CU_ASSERT_EQUAL(sim_hist_count(hist(&w, "accept_latency_ns.host.0.total")), 1);
	CU_ASSERT_EQUAL(sim_hist_max(hist(&w, "accept_latency_ns.host.0.total")), 60);
	CU_ASSERT_EQUAL(sim_hist_count(hist(&w, "accept_latency_ns.host.2.total")), 3);
	CU_ASSERT_EQUAL(sim_hist_min(hist(&w, "accept_latency_ns.host.2.total")), 6000);
	CU_ASSERT_EQUAL(sim_hist_count(hist(&w, "accept_latency_ns.ways.1.total")), 1);
	CU_ASSERT_EQUAL(sim_hist_count(hist(&w, "accept_latency_ns.ways.4.stage.fm")), 3);
	CU_ASSERT_FALSE(g_hash_table_contains(w.hists, "accept_latency_ns.host.1.total"));
	CU_ASSERT_FALSE(g_hash_table_contains(w.hists, "accept_latency_ns.ways.2.total"));
	/* overall, 2 hosts, 2 widths, each total + 7 stages; reclaim. */
	CU_ASSERT_EQUAL(g_hash_table_size(w.hists), 5 * (1 + METRICS_STAGE_COUNT) + 1);
	walk_clear(&w);
	metrics_free(m);
}

static void test_counters(void)
{
	struct metrics *m = metrics_with(NULL, 0);
	struct walk w;

	metrics_count(m, METRICS_REQUESTS_SUBMITTED, 10);
	metrics_count(m, METRICS_REQUESTS_REJECTED, 1);
	metrics_record_blocked(m, METRICS_BLOCK_NO_CONTIGUOUS);
	metrics_record_blocked(m, METRICS_BLOCK_NO_CONTIGUOUS);
	metrics_record_blocked(m, METRICS_BLOCK_LOG_FULL);
	metrics_count(m, METRICS_RELEASES_REQUESTED, 4);
	metrics_count(m, METRICS_RELEASES_IGNORED, 2);
	metrics_count(m, METRICS_RELEASES_RETRIED, 2);
	metrics_count(m, METRICS_RELEASES_FORCED, 1);
	metrics_count(m, METRICS_LOST_IN_USE_BYTES, 6 * MiB);
	metrics_count(m, METRICS_LOG_OVERFLOWS, 3);
	metrics_record_reclaim(m, 5000);
	metrics_record_reclaim(m, 7000);
	walk_all(&w, m, 0);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "requests.submitted"), 10, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "requests.accepted"), 0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "requests.blocked"), 3, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "requests.rejected"), 1, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "blocked.no_contiguous"), 2, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "blocked.log_full"), 1, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "blocked.no_capacity"), 0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "blocked.tag_limit"), 0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "releases.requested"), 4, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "releases.deferred"), 0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "releases.ignored"), 2, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "releases.retried"), 2, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "releases.forced"), 1, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "forced_release.lost_in_use_bytes"), 6.0 * MiB, EPS);
	CU_ASSERT_STRING_EQUAL(g_hash_table_lookup(w.units, "forced_release.lost_in_use_bytes"),
			       "bytes");
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "event_log.overflows"), 3, EPS);
	CU_ASSERT_DOUBLE_EQUAL(scalar(&w, "event_log.retries"), 0, EPS);
	CU_ASSERT_EQUAL(sim_hist_count(hist(&w, "reclaim_latency_ns")), 2);
	CU_ASSERT_EQUAL(sim_hist_max(hist(&w, "reclaim_latency_ns")), 7000);
	CU_ASSERT_STRING_EQUAL(metrics_counter_name(METRICS_LOG_RETRIES), "event_log.retries");
	CU_ASSERT_STRING_EQUAL(metrics_block_cause_name(METRICS_BLOCK_EXTENT_LIMIT),
			       "extent_limit");
	CU_ASSERT_STRING_EQUAL(metrics_stranded_cause_name(METRICS_STRANDED_HALF_BUILT),
			       "half_built_interleave");
	CU_ASSERT_STRING_EQUAL(metrics_stage_name(METRICS_STAGE_HANDLING), "handling");
	walk_clear(&w);
	metrics_free(m);
}

/* The same recording twice: identical walks, in the documented order. */
static void record_run(struct metrics *m, struct extent_map *map)
{
	static const uint64_t stages[METRICS_STAGE_COUNT] = { 1, 2, 3, 4, 5, 6, 7 };
	unsigned dev = add_device(m, "dcd0", 0, 64, 8);

	metrics_device_set_region(m, dev, 0, map);
	metrics_count(m, METRICS_REQUESTS_SUBMITTED, 3);
	metrics_record_acceptance(m, 3, 2, stages);
	metrics_record_acceptance(m, 1, 1, stages);
	metrics_record_blocked(m, METRICS_BLOCK_EXTENT_LIMIT);
	metrics_stranded_add(m, METRICS_STRANDED_DROPPED_CHAIN, 100, 2 * MiB);
	metrics_device_set_extents(m, dev, 100, 2);
	metrics_sample(m, 100);
	metrics_record_reclaim(m, 77);
	metrics_sample(m, 200);
}

static bool stop_at_third(const char *name, double value, const char *unit, void *user_data)
{
	int *calls = user_data;

	(void)name, (void)value, (void)unit;
	return ++*calls == 3;
}

static void test_export_deterministic(void)
{
	static const uint64_t sizes[] = { 2 * MiB, 8 * MiB };
	struct extent_map *map = extent_map_new(0, 32 * MiB, 2 * MiB);
	struct metrics *m1 = metrics_with(sizes, 2), *m2 = metrics_with(sizes, 2);
	struct walk w1, w2;
	const char *hosts, *ways, *reclaim;
	int calls = 0;

	/* Free 4 MiB and 12 MiB: 8 MiB requests use 8 of 16 MiB. */
	accept_range(map, 4 * MiB, 16 * MiB);
	record_run(m1, map);
	record_run(m2, map);
	walk_all(&w1, m1, 300);
	walk_all(&w2, m2, 300);
	CU_ASSERT_STRING_EQUAL(w1.text->str, w2.text->str);

	/* Overall first, then hosts and widths ascending, reclaim last. */
	hosts = strstr(w1.text->str, "hist accept_latency_ns.host.1.total");
	ways = strstr(w1.text->str, "hist accept_latency_ns.ways.1.total");
	reclaim = strstr(w1.text->str, "hist reclaim_latency_ns");
	CU_ASSERT_PTR_NOT_NULL_FATAL(hosts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ways);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reclaim);
	CU_ASSERT_TRUE(g_str_has_prefix(w1.text->str, "scalar requests.submitted 3 count\n"));
	CU_ASSERT_TRUE(strstr(w1.text->str, "hist accept_latency_ns.total") < hosts);
	CU_ASSERT_TRUE(hosts < strstr(w1.text->str, "hist accept_latency_ns.host.3.total"));
	CU_ASSERT_TRUE(strstr(w1.text->str, "hist accept_latency_ns.host.3.stage.assembly") <
		       ways);
	CU_ASSERT_TRUE(ways < strstr(w1.text->str, "hist accept_latency_ns.ways.2.total"));
	CU_ASSERT_TRUE(strstr(w1.text->str, "hist accept_latency_ns.ways.2.stage.assembly") <
		       reclaim);
	CU_ASSERT_PTR_NOT_NULL(strstr(w1.text->str,
				      "series fragmentation.dcd0.r0.unusable_index.8MiB"
				      " 100:0.5 200:0.5\n"));

	/* A callback can stop the walk. */
	CU_ASSERT_TRUE(metrics_foreach_scalar(m1, 300, stop_at_third, &calls));
	CU_ASSERT_EQUAL(calls, 3);

	walk_clear(&w1);
	walk_clear(&w2);
	metrics_free(m1);
	metrics_free(m2);
	extent_map_free(map);
}

static void check_sizes_fail(const uint64_t *sizes, size_t n, const char *message)
{
	GError *error = NULL;

	CU_ASSERT_PTR_NULL(metrics_new(sizes, n, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_TRUE(g_error_matches(error, METRICS_ERROR, METRICS_ERROR_REQUEST_SIZE));
	CU_ASSERT_STRING_EQUAL(error->message, message);
	g_error_free(error);
}

static void check_name_fails(struct metrics *m, const char *name, const char *message)
{
	GError *error = NULL;
	unsigned id = 99;

	CU_ASSERT_FALSE(metrics_device_add(m, name, 0, 1, 1, &id, &error));
	CU_ASSERT_EQUAL(id, 99);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_TRUE(g_error_matches(error, METRICS_ERROR, METRICS_ERROR_DEVICE_NAME));
	CU_ASSERT_STRING_EQUAL(error->message, message);
	g_error_free(error);
}

static void test_bad_configuration(void)
{
	static const uint64_t zero[] = { 2 * MiB, 0 };
	static const uint64_t twice[] = { 2 * MiB, 4 * MiB, 2 * MiB };
	static const uint64_t huge[] = { (UINT64_C(1) << 62) + 1 };
	uint64_t many[METRICS_MAX_REQUEST_SIZES + 1];
	struct metrics *m;

	for (size_t i = 0; i < G_N_ELEMENTS(many); i++)
		many[i] = (i + 1) * MiB;
	check_sizes_fail(zero, 2,
			 "fragmentation request size 0 not allowed (expected 1 byte to 4EiB)");
	check_sizes_fail(huge, 1,
			 "fragmentation request size 4611686018427387905 not allowed (expected 1 byte to 4EiB)");
	check_sizes_fail(twice, 3, "fragmentation request size 2MiB listed twice");
	check_sizes_fail(many, G_N_ELEMENTS(many),
			 "17 fragmentation request sizes given (at most 16)");

	m = metrics_with(many, METRICS_MAX_REQUEST_SIZES);
	add_device(m, "dcd0", 0, 1, 1);
	check_name_fails(m, "dcd0", "device name 'dcd0' used twice");
	check_name_fails(m, "", "device name '' not allowed (expected letters, digits, '_' or '-')");
	check_name_fails(m, "dcd.1",
			 "device name 'dcd.1' not allowed (expected letters, digits, '_' or '-')");
	check_name_fails(m, "a23456789012345678901234567890123",
			 "device name 'a23456789012345678901234567890123' too long (at most 32 characters)");
	CU_ASSERT_EQUAL(add_device(m, "a2345678901234567890123456789012", 0, 1, 1), 1);
	metrics_free(m);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "unusable free space index formula", test_unusable_index_formula },
		{ "extfrag index formula", test_extfrag_index_formula },
		{ "fragmentation on extent maps", test_fragmentation_on_maps },
		{ "fragmentation of full regions", test_fragmentation_full },
		{ "series sampling", test_series_sampling },
		{ "extent and tag utilization", test_utilization },
		{ "stranded byte-seconds timeline", test_stranded_timeline },
		{ "acceptance latency stages", test_acceptance_stages },
		{ "acceptance latency per host and width", test_acceptance_scopes },
		{ "counters and blocking", test_counters },
		{ "deterministic export", test_export_deterministic },
		{ "bad configuration", test_bad_configuration },
		{ NULL, NULL },
	};

	return unit_run("metrics", tests);
}
