/* dcdsim report: results files written through the store from the real
 * metrics sink fed by a small synthetic workload, then the report of one
 * run, of a 2x2x3 sweep, in SVG, and the files it must refuse. */
#include "unit.h"

#include "cli/report_cmd.h"
#include "models/extent_map.h"
#include "models/metrics.h"
#include "report/report.h"
#include "sim/stats.h"
#include "store/store.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define MIB (UINT64_C(1) << 20)
#define MS UINT64_C(1000000)
#define US UINT64_C(1000)
#define STEPS 120
#define EXTENT_LIMIT 64
/* The figures of one synthetic run: 4 latency CDFs, utilization, free
 * capacity, free extents, largest free extent, stranded capacity, blocking,
 * the unusable index for each of the 3 request sizes and the extfrag index
 * for the 2 that do not always fit (2 MiB, one block, always does). */
#define RUN_FIGURES 15

static char *tmp_dir;

static char *tmp_path(const char *name)
{
	return g_build_filename(tmp_dir, name, NULL);
}

static void error_print(GError **error)
{
	if (*error)
		printf("\n  %s\n", (*error)->message);
	g_clear_error(error);
}

/* --- a synthetic run through the real metrics sink --- */

struct held {
	unsigned dev;
	uint64_t start, len;
};

struct workload {
	struct metrics *m;
	struct extent_map *maps[2];
	GArray *held;		/* struct held */
	GRand *rand;
	double load;		/* 0..1: more requests, longer queues */
	enum extent_alloc_policy policy;
	uint64_t stranded;
};

/* A latency around MEAN_NS, skewed to the right as queues are. */
static uint64_t latency(struct workload *w, double mean_ns)
{
	double u = g_rand_double_range(w->rand, 1e-9, 1.0);

	return (uint64_t)(mean_ns * (0.3 + 0.7 * -log(u)));
}

/* Takes SIZE bytes on device DEV; false (and a blocked request) when it
 * does not fit. */
static gboolean take(struct workload *w, unsigned dev, uint64_t now, uint64_t size)
{
	g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(struct extent_range));
	struct extent_attr accepted;
	enum extent_map_status status = extent_map_alloc(w->maps[dev], w->policy, size, 4,
							 g_rand_int(w->rand), ranges);

	if (status == EXTENT_MAP_OK &&
	    extent_map_get_extent_count(w->maps[dev]) + ranges->len > EXTENT_LIMIT) {
		metrics_record_blocked(w->m, METRICS_BLOCK_EXTENT_LIMIT);
		return FALSE;
	}
	if (status != EXTENT_MAP_OK) {
		metrics_record_blocked(w->m, status == EXTENT_MAP_ERR_NO_SPACE ?
				       METRICS_BLOCK_NO_CAPACITY : METRICS_BLOCK_NO_CONTIGUOUS);
		return FALSE;
	}
	extent_attr_init(&accepted, EXTENT_ACCEPTED);
	for (guint i = 0; i < ranges->len; i++) {
		const struct extent_range *r = &g_array_index(ranges, struct extent_range, i);
		struct held h = { dev, r->start, r->len };

		CU_ASSERT_EQUAL(extent_map_set(w->maps[dev], r->start, r->len, &accepted),
				EXTENT_MAP_OK);
		g_array_append_val(w->held, h);
	}
	metrics_device_set_extents(w->m, dev, now, extent_map_get_extent_count(w->maps[dev]));
	return TRUE;
}

static void request(struct workload *w, uint64_t now)
{
	unsigned host = (unsigned)g_rand_int_range(w->rand, 0, 3);
	unsigned ways = host == 2 ? 2 : 1;
	uint64_t size = (uint64_t)g_rand_int_range(w->rand, 1, 48) * 2 * MIB * ways;
	uint64_t stage[METRICS_STAGE_COUNT];
	gboolean ok = TRUE;

	metrics_count(w->m, METRICS_REQUESTS_SUBMITTED, 1);
	for (unsigned d = 0; ok && d < ways; d++)
		ok = take(w, ways == 2 ? d : host, now, size / ways);
	if (!ok)
		return;
	stage[METRICS_STAGE_FM] = latency(w, 2 * US);
	stage[METRICS_STAGE_DEVICE] = latency(w, 5 * US * (1 + 40 * w->load * w->load));
	stage[METRICS_STAGE_INTERRUPT] = latency(w, 3 * US);
	stage[METRICS_STAGE_HANDLING] = latency(w, 12 * US * (1 + 2 * w->load));
	stage[METRICS_STAGE_REALIZE] = latency(w, (double)size / MIB * 4 * US * (1 + w->load));
	stage[METRICS_STAGE_RESPONSE] = latency(w, 4 * US);
	stage[METRICS_STAGE_ASSEMBLY] = ways > 1 ? latency(w, 60 * US) : 0;
	metrics_record_acceptance(w->m, host, ways, stage);
}

static void release(struct workload *w, uint64_t now, guint i)
{
	struct held h = g_array_index(w->held, struct held, i);
	struct extent_attr free_attr;

	extent_attr_init(&free_attr, EXTENT_FREE);
	CU_ASSERT_EQUAL(extent_map_set(w->maps[h.dev], h.start, h.len, &free_attr), EXTENT_MAP_OK);
	g_array_remove_index_fast(w->held, i);
	metrics_device_set_extents(w->m, h.dev, now, extent_map_get_extent_count(w->maps[h.dev]));
	metrics_count(w->m, METRICS_RELEASES_REQUESTED, 1);
	metrics_record_reclaim(w->m, latency(w, 150 * US * (1 + w->load)));
}

static void workload_free(struct workload *w)
{
	metrics_free(w->m);
	for (unsigned d = 0; d < 2; d++)
		extent_map_free(w->maps[d]);
	g_array_unref(w->held);
	g_rand_free(w->rand);
	g_free(w);
}

/* STEPS samples 10 ms apart of two 2 GiB devices serving three hosts
 * (host 2 through a 2-way interleave set). */
static struct workload *workload_run(double load, enum extent_alloc_policy policy, uint64_t seed)
{
	static const uint64_t sizes[] = { 2 * MIB, 64 * MIB, 1024 * MIB };
	struct workload *w = g_new0(struct workload, 1);

	w->load = load;
	w->policy = policy;
	w->m = metrics_new(sizes, G_N_ELEMENTS(sizes), NULL);
	w->held = g_array_new(FALSE, FALSE, sizeof(struct held));
	w->rand = g_rand_new_with_seed((guint32)seed);
	for (unsigned d = 0; d < 2; d++) {
		g_autofree char *name = g_strdup_printf("dcd%u", d);
		unsigned dev;

		w->maps[d] = extent_map_new(0, 2048 * MIB, 2 * MIB);
		CU_ASSERT_TRUE(metrics_device_add(w->m, name, 0, EXTENT_LIMIT, 8, &dev, NULL));
		metrics_device_set_region(w->m, dev, 0, w->maps[d]);
	}
	for (uint64_t step = 0; step < STEPS; step++) {
		uint64_t now = step * 10 * MS;
		int64_t delta = (int64_t)(g_rand_int_range(w->rand, 0, 8) * 16 * MIB) -
				(int64_t)w->stranded / 2;

		for (int i = 0; i < 2 + (int)(6 * load); i++)
			request(w, now);
		for (guint i = w->held->len; i-- > 0;)
			if (g_rand_double(w->rand) < 0.12)
				release(w, now, i);
		metrics_stranded_add(w->m, METRICS_STRANDED_UNANSWERED_OFFER, now, delta);
		w->stranded = (uint64_t)((int64_t)w->stranded + delta);
		metrics_device_set_tags(w->m, 0, now, MIN(w->held->len / 6, 8));
		metrics_sample(w->m, now);
	}
	return w;
}

/* The run summary's fragmentation figure, as dcdsim run writes it: the
 * devices' pooled unusable free space index for 64 MiB requests. */
static double frag_final(const struct workload *w)
{
	double unusable = 0.0, free = 0.0;

	for (unsigned d = 0; d < 2; d++) {
		struct extent_frag frag;

		CU_ASSERT_EQUAL(extent_map_get_frag(w->maps[d], 64 * MIB, &frag), EXTENT_MAP_OK);
		free += (double)frag.free_blocks;
		unusable += metrics_unusable_index(frag.free_blocks, frag.fits, 32) *
			    (double)frag.free_blocks;
	}
	return free > 0 ? unusable / free : 0.0;
}

/* --- writing results files --- */

static bool export_scalar(const char *name, double value, const char *unit, void *run)
{
	GError *error = NULL;
	gboolean ok = store_scalar_add(run, name, value, unit, &error);

	CU_ASSERT_TRUE(ok);
	error_print(&error);
	return !ok;
}

static bool export_hist(const char *name, const struct sim_hist *h, void *run)
{
	GError *error = NULL;
	gboolean ok = store_hist_add(run, name, h, "ns", &error);

	CU_ASSERT_TRUE(ok);
	error_print(&error);
	return !ok;
}

static bool export_series(const char *name, const uint64_t *t_ns, const double *value, size_t n,
			  void *run)
{
	GError *error = NULL;
	gboolean ok = TRUE;

	for (size_t i = 0; ok && i < n; i++)
		ok = store_series_add(run, name, NULL, t_ns[i], value[i], &error);
	CU_ASSERT_TRUE(ok);
	error_print(&error);
	return !ok;
}

enum run_end {
	RUN_COMPLETE,
	RUN_FAILED,
	RUN_KILLED,	/* left 'running', as by a crash */
};

/* Adds a run of the synthetic workload with parameters load and policy
 * (both given) and block (the scenario's default, 2MiB, when NULL) to ST. */
static void run_add(struct store *st, const char *load, const char *policy, const char *block,
		    uint64_t seed, uint32_t repetition, enum run_end end)
{
	g_autofree char *load_override = g_strconcat("load=", load, NULL);
	g_autofree char *policy_override = g_strconcat("policy=", policy, NULL);
	g_autofree char *block_override = g_strconcat("block=", block, NULL);
	const char *overrides[] = { load_override, policy_override, block_override };
	const struct store_param params[] = {
		{ "load", load, TRUE },
		{ "policy", policy, TRUE },
		{ "block", block ? block : "2MiB", block != NULL },
		{ "duration", "1.2s", FALSE },
	};
	struct store_run_info info = {
		.scenario = "synthetic",
		.scenario_path = "tests/unit/test_report.c",
		.scenario_hash = "5e1f",
		.seed = seed,
		.repetition = repetition,
		.overrides = overrides,
		.n_overrides = block ? 3 : 2,
		.params = params,
		.n_params = G_N_ELEMENTS(params),
	};
	struct workload *w = workload_run(g_ascii_strtod(load, NULL), strstr(policy, "best") ?
					  EXTENT_ALLOC_BEST_FIT : EXTENT_ALLOC_FIRST_FIT, seed);
	GError *error = NULL;
	struct store_run *run = store_run_begin(st, &info, &error);

	error_print(&error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(run);
	CU_ASSERT_FALSE(metrics_foreach_scalar(w->m, STEPS * 10 * MS, export_scalar, run));
	CU_ASSERT_TRUE(store_scalar_add(run, "summary.fragmentation.final", frag_final(w), "ratio",
					&error));
	CU_ASSERT_FALSE(metrics_foreach_histogram(w->m, export_hist, run));
	CU_ASSERT_FALSE(metrics_foreach_series(w->m, export_series, run));
	if (end == RUN_COMPLETE)
		CU_ASSERT_TRUE(store_run_finish(run, 1000 + seed, 0.5, &error));
	if (end == RUN_FAILED)
		CU_ASSERT_TRUE(store_run_fail(run, "an invariant broke", &error));
	error_print(&error);
	store_run_free(run);
	workload_free(w);
}

/* A results file NAME in the test folder holding one complete run, a
 * failed one and a killed one. */
static char *single_db(const char *name)
{
	char *path = tmp_path(name);
	GError *error = NULL;
	struct store *st = store_open(path, &error);

	error_print(&error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	run_add(st, "0.5", "first-fit", NULL, 1, 0, RUN_FAILED);
	run_add(st, "0.5", "first-fit", NULL, 2, 0, RUN_COMPLETE);
	run_add(st, "0.5", "first-fit", NULL, 3, 0, RUN_KILLED);
	store_close(st);
	return path;
}

/* --- checking a report --- */

static gboolean figure_valid(const char *path, const char *ext)
{
	g_autofree char *contents = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &contents, &len, NULL) || len <= 1024)
		return FALSE;
	if (!strcmp(ext, ".png"))
		return !memcmp(contents, "\x89PNG\r\n\x1a\n", 8);
	return g_str_has_prefix(contents, "<?xml") && strstr(contents, "<svg") != NULL;
}

/* Checks that every figure in DIR is a valid EXT file shown by index.html
 * and report.md, that every image they show exists, and that no figure of
 * the other format is there.  Returns the number of figures. */
static unsigned report_check(const char *dir, const char *ext)
{
	g_autofree char *index_path = g_build_filename(dir, "index.html", NULL);
	g_autofree char *md_path = g_build_filename(dir, "report.md", NULL);
	g_autofree char *html = NULL, *md = NULL;
	const char *other = strcmp(ext, ".png") ? ".png" : ".svg";
	unsigned figures = 0, shown = 0;
	GDir *d;
	const char *name;

	CU_ASSERT_TRUE_FATAL(g_file_get_contents(index_path, &html, NULL, NULL));
	CU_ASSERT_TRUE_FATAL(g_file_get_contents(md_path, &md, NULL, NULL));
	/* Self-contained: nothing fetched from elsewhere. */
	CU_ASSERT_PTR_NULL(strstr(html, "http"));
	CU_ASSERT_PTR_NULL(strstr(html, "<script"));
	CU_ASSERT_PTR_NULL(strstr(html, "<link"));
	d = g_dir_open(dir, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *img = g_strdup_printf("<img src=\"%s\"", name);
		g_autofree char *link = g_strdup_printf("](%s)", name);

		CU_ASSERT_FALSE(g_str_has_suffix(name, other));
		if (!g_str_has_suffix(name, ext))
			continue;
		figures++;
		if (!figure_valid(path, ext) || !strstr(html, img) || !strstr(md, link))
			printf("\n  figure '%s': bad, or not shown\n", path);
		CU_ASSERT_TRUE(figure_valid(path, ext));
		CU_ASSERT_PTR_NOT_NULL(strstr(html, img));
		CU_ASSERT_PTR_NOT_NULL(strstr(md, link));
	}
	g_dir_close(d);
	for (const char *p = html; (p = strstr(p, "<img src=\"")); shown++) {
		g_autofree char *file = NULL;
		g_autofree char *path = NULL;

		p += strlen("<img src=\"");
		file = g_strndup(p, strcspn(p, "\""));
		path = g_build_filename(dir, file, NULL);
		CU_ASSERT_TRUE(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	}
	CU_ASSERT_EQUAL(shown, figures);
	return figures;
}

/* DIR/NAME's text (g_free). */
static char *file_text(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char *text = NULL;

	CU_ASSERT_TRUE(g_file_get_contents(path, &text, NULL, NULL));
	return text ? text : g_strdup("");
}

/* Runs the command on ARGS.  GOption takes the options it parses out of
 * argv, so the command gets a copy of the pointers. */
static int cli(const char *const *args)
{
	g_auto(GStrv) strings = g_strdupv((char **)args);
	guint n = g_strv_length(strings);
	g_autofree char **argv = g_memdup2(strings, (n + 1) * sizeof(char *));

	return cli_report_main((int)n, argv);
}

/* --- tests --- */

static void test_default_dir(void)
{
	g_autofree char *a = report_dir_default("results/run.db");
	g_autofree char *b = report_dir_default("x/results");

	CU_ASSERT_STRING_EQUAL(a, "results/run-report");
	CU_ASSERT_STRING_EQUAL(b, "x/results-report");
}

static void test_single_run(void)
{
	g_autofree char *db = single_db("single.db");
	g_autofree char *dir = tmp_path("single");
	g_autofree char *script = tmp_path("single/data/report.gp");
	g_autofree char *html = NULL;
	struct report_summary summary = { 0 };
	GError *error = NULL;

	CU_ASSERT_TRUE(report_write(db, dir, REPORT_FORMAT_PNG, &summary, &error));
	error_print(&error);
	CU_ASSERT_EQUAL(summary.runs, 1);
	CU_ASSERT_EQUAL(summary.skipped, 2);
	CU_ASSERT_FALSE(summary.sweep);
	CU_ASSERT_EQUAL(summary.figures, RUN_FIGURES);
	CU_ASSERT_EQUAL(report_check(dir, ".png"), summary.figures);
	CU_ASSERT_TRUE(g_file_test(script, G_FILE_TEST_IS_REGULAR));
	html = file_text(dir, "index.html");
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "2 incomplete runs"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "acceptance latency p99"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "requests.submitted"));
}

/* Two loads, two policies (one whose name needs quoting in gnuplot and
 * HTML), three repetitions. */
static void test_sweep(void)
{
	static const char *const loads[] = { "0.2", "0.9" };
	static const char *const policies[] = { "first-fit", "it's <best> `fit`" };
	g_autofree char *db = tmp_path("sweep.db");
	g_autofree char *dir = tmp_path("sweep");
	g_autofree char *html = NULL, *md = NULL;
	struct report_summary summary = { 0 };
	GError *error = NULL;
	struct store *st = store_open(db, &error);
	uint64_t seed = 100;

	error_print(&error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	for (size_t l = 0; l < G_N_ELEMENTS(loads); l++)
		for (size_t p = 0; p < G_N_ELEMENTS(policies); p++)
			for (uint32_t r = 0; r < 3; r++)
				run_add(st, loads[l], policies[p], NULL, seed++, r, RUN_COMPLETE);
	run_add(st, "0.9", "first-fit", NULL, seed++, 3, RUN_KILLED);
	store_close(st);

	CU_ASSERT_TRUE(report_write(db, dir, REPORT_FORMAT_PNG, &summary, &error));
	error_print(&error);
	CU_ASSERT_EQUAL(summary.runs, 12);
	CU_ASSERT_EQUAL(summary.skipped, 1);
	CU_ASSERT_TRUE(summary.sweep);
	/* Each main metric against each of the two parameters. */
	CU_ASSERT_EQUAL(summary.figures, 2 * 7);
	CU_ASSERT_EQUAL(report_check(dir, ".png"), summary.figures);
	html = file_text(dir, "index.html");
	md = file_text(dir, "report.md");
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "it&apos;s &lt;best&gt; `fit`"));
	CU_ASSERT_PTR_NOT_NULL(strstr(md, "| 0.9 | it's \\<best\\> \\`fit\\` | 3 |"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, " ± "));
}

/* One swept parameter whose values are sizes: ordered by value, one line
 * per figure, no interval for a single run. */
static void test_sweep_of_sizes(void)
{
	static const char *const blocks[] = { "1GiB", "2MiB", "16MiB" };
	g_autofree char *db = tmp_path("sizes.db");
	g_autofree char *dir = tmp_path("sizes");
	g_autofree char *md = NULL;
	struct report_summary summary = { 0 };
	GError *error = NULL;
	struct store *st = store_open(db, &error);
	const char *first, *second, *third;

	error_print(&error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	for (size_t b = 0; b < G_N_ELEMENTS(blocks); b++)
		run_add(st, "0.5", "first-fit", blocks[b], 200 + b, 0, RUN_COMPLETE);
	store_close(st);
	CU_ASSERT_TRUE(report_write(db, dir, REPORT_FORMAT_PNG, &summary, &error));
	error_print(&error);
	CU_ASSERT_TRUE(summary.sweep);
	CU_ASSERT_EQUAL(summary.figures, 7);
	CU_ASSERT_EQUAL(report_check(dir, ".png"), summary.figures);
	md = file_text(dir, "report.md");
	first = strstr(md, "| 2MiB |");
	second = strstr(md, "| 16MiB |");
	third = strstr(md, "| 1GiB |");
	CU_ASSERT_TRUE(first && second && third && first < second && second < third);
	CU_ASSERT_PTR_NULL(strstr(md, "±"));
}

/* Runs that differ only by seed: one table over all, one run's figures. */
static void test_repetitions(void)
{
	g_autofree char *db = tmp_path("reps.db");
	g_autofree char *dir = tmp_path("reps");
	g_autofree char *html = NULL;
	struct report_summary summary = { 0 };
	GError *error = NULL;
	struct store *st = store_open(db, &error);

	error_print(&error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	/* The first, whose figures are drawn, is the single run's twin. */
	for (uint32_t r = 0; r < 3; r++)
		run_add(st, "0.5", "first-fit", NULL, 2 + r, r, RUN_COMPLETE);
	store_close(st);
	CU_ASSERT_TRUE(report_write(db, dir, REPORT_FORMAT_PNG, &summary, &error));
	error_print(&error);
	CU_ASSERT_FALSE(summary.sweep);
	CU_ASSERT_EQUAL(summary.runs, 3);
	CU_ASSERT_EQUAL(summary.figures, RUN_FIGURES);
	CU_ASSERT_EQUAL(report_check(dir, ".png"), summary.figures);
	html = file_text(dir, "index.html");
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "No parameter differs between these 3 runs"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, " ± "));
}

/* The command, with --format svg and the default folder. */
static void test_cli_svg(void)
{
	g_autofree char *db = single_db("cli.db");
	g_autofree char *dir = tmp_path("cli-report");
	const char *const args[] = { "report", "--format", "svg", db, NULL };
	const char *const bad_format[] = { "report", "-f", "jpeg", db, NULL };
	const char *const two_files[] = { "report", db, db, NULL };
	const char *const no_file[] = { "report", NULL };

	CU_ASSERT_EQUAL(cli(args), 0);
	CU_ASSERT_EQUAL(report_check(dir, ".svg"), RUN_FIGURES);
	CU_ASSERT_EQUAL(cli(bad_format), 2);
	CU_ASSERT_EQUAL(cli(two_files), 2);
	CU_ASSERT_EQUAL(cli(no_file), 2);
}

/* Writes a results file, then changes it with SQL. */
static char *altered_db(const char *name, const char *sql)
{
	char *path = tmp_path(name);
	GError *error = NULL;
	struct store *st = store_open(path, &error);
	sqlite3 *db = NULL;

	error_print(&error);
	store_close(st);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	return path;
}

/* FILE's report fails with error DOMAIN/CODE, and the command exits 2. */
static void refused(const char *file, GQuark domain, int code)
{
	g_autofree char *dir = tmp_path("refused");
	const char *const args[] = { "report", "-o", dir, file, NULL };
	GError *error = NULL;

	CU_ASSERT_FALSE(report_write(file, dir, REPORT_FORMAT_PNG, NULL, &error));
	CU_ASSERT_TRUE(g_error_matches(error, domain, code));
	if (!g_error_matches(error, domain, code))
		printf("\n  %s: %s\n", file, error ? error->message : "no error");
	g_clear_error(&error);
	CU_ASSERT_EQUAL(cli(args), 2);
	CU_ASSERT_FALSE(g_file_test(dir, G_FILE_TEST_EXISTS));
}

static void test_refused_files(void)
{
	g_autofree char *missing = tmp_path("missing.db");
	g_autofree char *text = tmp_path("text.db");
	g_autofree char *empty = altered_db("empty.db", "SELECT 1");
	g_autofree char *newer = altered_db("newer.db", "PRAGMA user_version = 2");
	g_autofree char *foreign = altered_db("foreign.db", "DELETE FROM meta");
	g_autofree char *incomplete = altered_db("incomplete.db", "SELECT 1");
	struct store *st;

	CU_ASSERT_TRUE(g_file_set_contents(text, "not a database, but long enough to look at it",
					   -1, NULL));
	st = store_open(incomplete, NULL);
	run_add(st, "0.5", "first-fit", NULL, 7, 0, RUN_FAILED);
	store_close(st);
	refused(missing, STORE_ERROR, STORE_ERROR_OPEN);
	refused(text, STORE_ERROR, STORE_ERROR_NOT_SQLITE);
	refused(foreign, STORE_ERROR, STORE_ERROR_FOREIGN);
	refused(newer, STORE_ERROR, STORE_ERROR_VERSION);
	refused(empty, REPORT_ERROR, REPORT_ERROR_EMPTY);
	refused(incomplete, REPORT_ERROR, REPORT_ERROR_EMPTY);
}

/* A gnuplot that is missing, or fails, is an error that says so. */
static void test_gnuplot_errors(void)
{
	g_autofree char *db = single_db("gnuplot.db");
	g_autofree char *dir = tmp_path("gnuplot");
	g_autofree char *fake = tmp_path("fake-gnuplot");
	g_autofree char *old = g_strdup(g_getenv("DCDSIM_GNUPLOT"));
	const char *const args[] = { "report", "-o", dir, db, NULL };
	GError *error = NULL;

	CU_ASSERT_TRUE(g_file_set_contents(fake, "#!/bin/sh\necho 'line 3: no such terminal' >&2\n"
					   "exit 1\n", -1, NULL));
	CU_ASSERT_EQUAL(g_chmod(fake, 0755), 0);
	g_setenv("DCDSIM_GNUPLOT", fake, TRUE);
	CU_ASSERT_FALSE(report_write(db, dir, REPORT_FORMAT_PNG, NULL, &error));
	CU_ASSERT_TRUE(g_error_matches(error, REPORT_ERROR, REPORT_ERROR_GNUPLOT));
	CU_ASSERT_PTR_NOT_NULL(error ? strstr(error->message, "no such terminal") : NULL);
	g_clear_error(&error);
	CU_ASSERT_EQUAL(cli(args), 1);

	g_setenv("DCDSIM_GNUPLOT", "/nonexistent/gnuplot", TRUE);
	CU_ASSERT_FALSE(report_write(db, dir, REPORT_FORMAT_PNG, NULL, &error));
	CU_ASSERT_TRUE(g_error_matches(error, REPORT_ERROR, REPORT_ERROR_GNUPLOT));
	CU_ASSERT_PTR_NOT_NULL(error ? strstr(error->message, "not found") : NULL);
	g_clear_error(&error);
	CU_ASSERT_EQUAL(cli(args), 1);
	if (old)
		g_setenv("DCDSIM_GNUPLOT", old, TRUE);
	else
		g_unsetenv("DCDSIM_GNUPLOT");
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "default report folder", test_default_dir },
		{ "one run: every figure, the index", test_single_run },
		{ "2x2x3 sweep: metrics against parameters", test_sweep },
		{ "sweep of sizes: ordered by value", test_sweep_of_sizes },
		{ "repetitions without a swept parameter", test_repetitions },
		{ "command line, svg", test_cli_svg },
		{ "refused files", test_refused_files },
		{ "gnuplot missing or failing", test_gnuplot_errors },
		{ NULL, NULL },
	};
	const char *gnuplot = g_getenv("DCDSIM_GNUPLOT");
	g_autofree char *found = g_find_program_in_path(gnuplot && *gnuplot ? gnuplot : "gnuplot");
	int status;

	if (!found) {
		printf("gnuplot not found: report tests skipped\n");
		return 77;
	}
	tmp_dir = g_dir_make_tmp("dcdsim-report-XXXXXX", NULL);
	if (!tmp_dir)
		return 99;
	status = unit_run("report", tests);
	unit_remove_tree(tmp_dir);
	g_free(tmp_dir);
	return status;
}
