#include "unit.h"

#include "sim/stats.h"
#include "store/store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static char *tmp_dir;

static char *tmp_path(const char *name)
{
	return g_build_filename(tmp_dir, name, NULL);
}

static const struct store_param run_params[] = {
	{ "rate", "50", TRUE },
	{ "load", "0.5", FALSE },
	{ "name", "quick", FALSE },
};
static const char *const run_overrides[] = { "rate=50" };

static struct store_run_info info_for(uint64_t seed, uint32_t repetition)
{
	struct store_run_info info = {
		.scenario = "quickstart",
		.scenario_path = "scenarios/quickstart.lua",
		.scenario_hash = "00112233",
		.seed = seed,
		.repetition = repetition,
		.overrides = run_overrides,
		.n_overrides = G_N_ELEMENTS(run_overrides),
		.params = run_params,
		.n_params = G_N_ELEMENTS(run_params),
	};

	return info;
}

static struct store *open_ok(const char *path)
{
	GError *error = NULL;
	struct store *st = store_open(path, &error);

	CU_ASSERT_PTR_NOT_NULL(st);
	if (error)
		printf("\n  %s\n", error->message);
	g_clear_error(&error);
	return st;
}

static struct sim_hist *sample_hist(uint64_t salt)
{
	struct sim_hist *h = sim_hist_new();

	for (uint64_t i = 0; i < 1000; i++)
		sim_hist_record(h, 100 + i * i * 37 + salt);
	sim_hist_record_n(h, 7, 5);
	return h;
}

/* Writes one complete run whose values depend on SEED, and a series
 * point that depends on TWEAK. */
static uint64_t write_run(struct store *st, uint64_t seed, double tweak, uint64_t events)
{
	struct store_run_info info = info_for(seed, 0);
	struct sim_hist *h = sample_hist(seed);
	struct store_request add = {
		.id = 1, .host = "h0", .kind = "add", .size = 2u << 20, .tag = "t1",
		.arrival_ns = 10, .completion_ns = 5000, .outcome = "accepted", .cause = NULL,
		.stages = "{\"fm\":10,\"device\":200}",
	};
	struct store_request blocked = {
		.id = 2, .host = "h1", .kind = "add", .size = 1u << 30, .tag = NULL,
		.arrival_ns = 20, .completion_ns = STORE_TIME_NONE, .outcome = "blocked",
		.cause = "no_capacity", .stages = NULL,
	};
	GError *error = NULL;
	struct store_run *run = store_run_begin(st, &info, &error);
	uint64_t fingerprint;

	CU_ASSERT_PTR_NOT_NULL_FATAL(run);
	CU_ASSERT_TRUE(store_scalar_add(run, "accepted", (double)(seed % 100), "1", &error));
	CU_ASSERT_TRUE(store_scalar_add(run, "stranded_byte_s", 1.5e12, "B*s", &error));
	CU_ASSERT_TRUE(store_scalar_add(run, "undefined", NAN, NULL, &error));
	CU_ASSERT_TRUE(store_scalar_add(run, "negative_zero", -0.0, NULL, &error));
	CU_ASSERT_TRUE(store_scalar_add(run, "infinite", INFINITY, NULL, &error));
	CU_ASSERT_TRUE(store_hist_add(run, "accept_latency", h, "ns", &error));
	for (uint64_t t = 0; t < 100; t++)
		CU_ASSERT_TRUE(store_series_add(run, "utilization", NULL, t * 1000,
						(double)t / 100.0 + (t == 50 ? tweak : 0.0), &error));
	CU_ASSERT_TRUE(store_series_add(run, "extents.dev0", "1", 0, 3.0, &error));
	CU_ASSERT_TRUE(store_request_add(run, &add, &error));
	CU_ASSERT_TRUE(store_request_add(run, &blocked, &error));
	CU_ASSERT_TRUE(store_trace_add(run, 10, "fm", "add request 1", &error));
	CU_ASSERT_TRUE(store_trace_add(run, 200, "dev0", "initiate add", &error));
	CU_ASSERT_TRUE(store_run_finish(run, events, 0.25, &error));
	if (error)
		printf("\n  %s\n", error->message);
	g_clear_error(&error);
	fingerprint = store_run_fingerprint(run);
	store_run_free(run);
	sim_hist_free(h);
	return fingerprint;
}

struct collected {
	GString *text;
	unsigned n;
};

static gboolean collect_run(const struct store_run_record *r, void *user_data)
{
	struct collected *c = user_data;

	g_string_append_printf(c->text, "%s %s %s %" G_GUINT64_FORMAT " %u %s %s %s|",
			       r->scenario, r->scenario_path, r->scenario_hash, r->seed,
			       r->repetition, r->status, r->fingerprint ? r->fingerprint : "-",
			       r->error ? r->error : "-");
	c->n++;
	return FALSE;
}

static gboolean collect_param(const struct store_param *p, void *user_data)
{
	struct collected *c = user_data;

	g_string_append_printf(c->text, "%s=%s%s ", p->name, p->value, p->given ? "!" : "");
	c->n++;
	return FALSE;
}

static gboolean collect_scalar(const char *name, double value, const char *unit, void *user_data)
{
	struct collected *c = user_data;

	g_string_append_printf(c->text, "%s=%g %s;", name, value, unit ? unit : "-");
	c->n++;
	return FALSE;
}

static gboolean collect_point(uint64_t t_ns, double value, void *user_data)
{
	struct collected *c = user_data;

	g_string_append_printf(c->text, "%" G_GUINT64_FORMAT ":%g ", t_ns, value);
	c->n++;
	return FALSE;
}

static gboolean collect_request(const struct store_request *q, void *user_data)
{
	struct collected *c = user_data;

	g_string_append_printf(c->text, "%" G_GUINT64_FORMAT " %s %s %" G_GUINT64_FORMAT " %s %"
			       G_GUINT64_FORMAT " %s %s %s %s|", q->id, q->host, q->kind, q->size,
			       q->tag ? q->tag : "-", q->arrival_ns,
			       q->completion_ns == STORE_TIME_NONE ? "none" : "done", q->outcome,
			       q->cause ? q->cause : "-", q->stages ? q->stages : "-");
	c->n++;
	return FALSE;
}

static gboolean collect_trace(uint64_t t_ns, const char *entity, const char *event,
			      void *user_data)
{
	struct collected *c = user_data;

	g_string_append_printf(c->text, "%" G_GUINT64_FORMAT " %s %s|", t_ns, entity, event);
	c->n++;
	return FALSE;
}

static gboolean collect_name(const char *name, void *user_data)
{
	struct collected *c = user_data;

	g_string_append_printf(c->text, "%s;", name);
	return ++c->n == 3;	/* the callback stops the iteration */
}

static gboolean stop_at_first(const struct store_run_record *r, void *user_data)
{
	*(int64_t *)user_data = r->id;
	return TRUE;
}

/* Every table of the run with ID in one string, ids and times left out. */
static char *run_dump(struct store *st, int64_t id)
{
	struct collected c = { g_string_new(NULL), 0 };
	struct sim_hist *h = sim_hist_new();

	CU_ASSERT_TRUE(store_params_foreach(st, id, collect_param, &c, NULL));
	CU_ASSERT_TRUE(store_scalars_foreach(st, id, collect_scalar, &c, NULL));
	CU_ASSERT_TRUE(store_hist_load(st, id, "accept_latency", h, NULL));
	g_string_append_printf(c.text, "hist %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " ",
			       sim_hist_count(h), sim_hist_percentile(h, 0.99));
	CU_ASSERT_TRUE(store_series_foreach(st, id, "utilization", collect_point, &c, NULL));
	CU_ASSERT_TRUE(store_requests_foreach(st, id, collect_request, &c, NULL));
	CU_ASSERT_TRUE(store_trace_foreach(st, id, collect_trace, &c, NULL));
	sim_hist_free(h);
	return g_string_free(c.text, FALSE);
}

static void test_round_trip(void)
{
	g_autofree char *path = tmp_path("round/trip/results.db");	/* folders made too */
	struct store *st = open_ok(path);
	struct collected c = { g_string_new(NULL), 0 };
	struct sim_hist *original = sample_hist(42);
	struct sim_hist *loaded = sim_hist_new();
	uint64_t fingerprint, recomputed = 0;
	char expected_fp[17];
	double v = 0.0;
	int64_t id = -1;
	GError *error = NULL;

	fingerprint = write_run(st, 42, 0.0, 12345);
	store_close(st);
	st = store_open_read(path, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);

	CU_ASSERT_TRUE(store_runs_foreach(st, collect_run, &c, NULL));
	snprintf(expected_fp, sizeof(expected_fp), STORE_FINGERPRINT_FORMAT, fingerprint);
	{
		g_autofree char *want = g_strdup_printf("quickstart scenarios/quickstart.lua 00112233 "
							"42 0 complete %s -|", expected_fp);

		CU_ASSERT_STRING_EQUAL(c.text->str, want);
	}
	CU_ASSERT_TRUE(store_runs_foreach(st, stop_at_first, &id, NULL));
	CU_ASSERT_EQUAL(id, 1);

	g_string_truncate(c.text, 0);
	CU_ASSERT_TRUE(store_params_foreach(st, id, collect_param, &c, NULL));
	CU_ASSERT_STRING_EQUAL(c.text->str, "rate=50! load=0.5 name=quick ");

	g_string_truncate(c.text, 0);
	CU_ASSERT_TRUE(store_scalars_foreach(st, id, collect_scalar, &c, NULL));
	CU_ASSERT_STRING_EQUAL(c.text->str, "accepted=42 1;stranded_byte_s=1.5e+12 B*s;undefined=nan -;"
			       "negative_zero=0 -;infinite=inf -;");
	CU_ASSERT_TRUE(store_scalar_get(st, id, "stranded_byte_s", &v, NULL));
	CU_ASSERT_EQUAL(v, 1.5e12);
	CU_ASSERT_TRUE(store_scalar_get(st, id, "undefined", &v, NULL));
	CU_ASSERT_TRUE(isnan(v));
	CU_ASSERT_FALSE(store_scalar_get(st, id, "nope", &v, &error));
	CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
	g_clear_error(&error);

	CU_ASSERT_TRUE(store_hist_load(st, id, "accept_latency", loaded, NULL));
	CU_ASSERT_EQUAL(sim_hist_count(loaded), sim_hist_count(original));
	for (double q = 0.0; q <= 1.0; q += 0.125) {
		/* Rebuilt values are bucket representatives: same bucket. */
		uint64_t a = sim_hist_percentile(loaded, q), b = sim_hist_percentile(original, q);

		CU_ASSERT_TRUE(a <= b + b / 128 + 1 && b <= a + a / 128 + 1);
	}

	g_string_truncate(c.text, 0);
	c.n = 0;
	CU_ASSERT_TRUE(store_series_foreach(st, id, "utilization", collect_point, &c, NULL));
	CU_ASSERT_EQUAL(c.n, 100);
	CU_ASSERT_TRUE(g_str_has_prefix(c.text->str, "0:0 1000:0.01 2000:0.02 "));

	g_string_truncate(c.text, 0);
	CU_ASSERT_TRUE(store_requests_foreach(st, id, collect_request, &c, NULL));
	CU_ASSERT_STRING_EQUAL(c.text->str,
			       "1 h0 add 2097152 t1 10 done accepted - {\"fm\":10,\"device\":200}|"
			       "2 h1 add 1073741824 - 20 none blocked no_capacity -|");

	g_string_truncate(c.text, 0);
	CU_ASSERT_TRUE(store_trace_foreach(st, id, collect_trace, &c, NULL));
	CU_ASSERT_STRING_EQUAL(c.text->str, "10 fm add request 1|200 dev0 initiate add|");

	CU_ASSERT_TRUE(store_run_fingerprint_recompute(st, id, &recomputed, NULL));
	CU_ASSERT_EQUAL(recomputed, fingerprint);

	g_string_free(c.text, TRUE);
	sim_hist_free(original);
	sim_hist_free(loaded);
	store_close(st);
}

/* Names of a run's metrics, by table and prefix, each once, sorted. */
static void test_names(void)
{
	g_autofree char *path = tmp_path("names.db");
	struct store *st = open_ok(path);
	struct store_run_info info = info_for(9, 0);
	struct sim_hist *h = sample_hist(9);
	static const struct {
		enum store_table table;
		const char *prefix, *want;
	} cases[] = {
		{ STORE_TABLE_SCALARS, NULL, "a.10;a.2;b;" },
		{ STORE_TABLE_SCALARS, "a.", "a.10;a.2;" },
		{ STORE_TABLE_SCALARS, "a.2", "a.2;" },
		{ STORE_TABLE_SCALARS, "c", "" },
		{ STORE_TABLE_HISTOGRAMS, "", "lat.host.0;lat.host.1;" },
		{ STORE_TABLE_SERIES, NULL, "frag.d0.2MiB;frag.d0.4KiB;free.d0;" },
		{ STORE_TABLE_SERIES, "frag.d0.", "frag.d0.2MiB;frag.d0.4KiB;" },
		{ STORE_TABLE_SERIES, "%", "" },
	};
	struct collected c = { g_string_new(NULL), 0 };
	GError *error = NULL;
	struct store_run *run = store_run_begin(st, &info, &error);
	int64_t id;

	CU_ASSERT_PTR_NOT_NULL_FATAL(run);
	id = store_run_id(run);
	CU_ASSERT_TRUE(store_scalar_add(run, "b", 1.0, NULL, &error));
	CU_ASSERT_TRUE(store_scalar_add(run, "a.2", 2.0, NULL, &error));
	CU_ASSERT_TRUE(store_scalar_add(run, "a.10", 3.0, NULL, &error));
	CU_ASSERT_TRUE(store_hist_add(run, "lat.host.1", h, "ns", &error));
	CU_ASSERT_TRUE(store_hist_add(run, "lat.host.0", h, "ns", &error));
	for (uint64_t t = 0; t < 50; t++) {
		CU_ASSERT_TRUE(store_series_add(run, "free.d0", "B", t, 1.0, &error));
		CU_ASSERT_TRUE(store_series_add(run, "frag.d0.4KiB", NULL, t, 0.5, &error));
		CU_ASSERT_TRUE(store_series_add(run, "frag.d0.2MiB", NULL, t, 0.5, &error));
	}
	CU_ASSERT_TRUE(store_run_finish(run, 1, 0.1, &error));
	store_run_free(run);

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_string_truncate(c.text, 0);
		c.n = 0;
		CU_ASSERT_TRUE(store_names_foreach(st, id, cases[i].table, cases[i].prefix,
						   collect_name, &c, &error));
		if (strcmp(c.text->str, cases[i].want))
			printf("\n  case %zu: '%s', expected '%s'\n", i, c.text->str, cases[i].want);
		CU_ASSERT_STRING_EQUAL(c.text->str, cases[i].want);
	}
	/* Another run has none; the callback can stop early. */
	g_string_truncate(c.text, 0);
	c.n = 0;
	CU_ASSERT_TRUE(store_names_foreach(st, id + 1, STORE_TABLE_SCALARS, NULL, collect_name,
					   &c, &error));
	CU_ASSERT_STRING_EQUAL(c.text->str, "");
	c.n = 1;
	CU_ASSERT_TRUE(store_names_foreach(st, id, STORE_TABLE_SERIES, NULL, collect_name, &c,
					   &error));
	CU_ASSERT_STRING_EQUAL(c.text->str, "frag.d0.2MiB;frag.d0.4KiB;");
	CU_ASSERT_PTR_NULL(error);

	g_string_free(c.text, TRUE);
	sim_hist_free(h);
	store_close(st);
}

static void test_fingerprint(void)
{
	g_autofree char *a_path = tmp_path("fp-a.db");
	g_autofree char *b_path = tmp_path("fp-b.db");
	struct store *a = open_ok(a_path), *b = open_ok(b_path);
	uint64_t fa, fb, tweaked, more_events, other_seed;

	fa = write_run(a, 7, 0.0, 1000);
	fb = write_run(b, 7, 0.0, 1000);
	CU_ASSERT_EQUAL(fa, fb);
	tweaked = write_run(a, 8, 1e-12, 1000);	/* seed 8 to get a new run key */
	other_seed = write_run(b, 8, 0.0, 1000);
	CU_ASSERT_NOT_EQUAL(tweaked, other_seed);
	more_events = write_run(a, 9, 0.0, 1001);
	CU_ASSERT_NOT_EQUAL(more_events, write_run(b, 9, 0.0, 1000));
	CU_ASSERT_NOT_EQUAL(fa, other_seed);
	store_close(a);
	store_close(b);
}

static gboolean count_point(uint64_t t_ns, double value, void *user_data)
{
	(void)t_ns;
	(void)value;
	(*(unsigned *)user_data)++;
	return FALSE;
}

static void test_crash_and_resume(void)
{
	g_autofree char *path = tmp_path("crash.db");
	struct store *st = open_ok(path);
	struct store_run_info info = info_for(1, 0);
	struct store_run *run;
	struct collected c = { g_string_new(NULL), 0 };
	unsigned deleted = 0, points = 0;
	GError *error = NULL;

	write_run(st, 100, 0.0, 10);
	run = store_run_begin(st, &info, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(run);
	for (uint64_t t = 0; t < STORE_BATCH_ROWS + 10; t++)
		CU_ASSERT_TRUE(store_series_add(run, "s", NULL, t, 1.0, NULL));
	/* The process "dies": no finish. */
	store_close(st);

	st = open_ok(path);
	CU_ASSERT_TRUE(store_runs_foreach(st, collect_run, &c, NULL));
	CU_ASSERT_PTR_NOT_NULL(strstr(c.text->str, " 1 0 running - -|"));
	CU_ASSERT_TRUE(store_series_foreach(st, 2, "s", count_point, &points, NULL));
	CU_ASSERT_EQUAL(points, STORE_BATCH_ROWS + 10);

	/* Running the same run again must not look like a new one. */
	CU_ASSERT_PTR_NULL(store_run_begin(st, &info, &error));
	CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_DUPLICATE));
	CU_ASSERT_TRUE(error && strstr(error->message, "status running"));
	g_clear_error(&error);

	/* A failed run is incomplete too. */
	info.seed = 2;
	run = store_run_begin(st, &info, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(run);
	CU_ASSERT_TRUE(store_scalar_add(run, "x", 1.0, NULL, NULL));
	CU_ASSERT_TRUE(store_run_fail(run, "interrupted", NULL));
	store_run_free(run);

	g_string_truncate(c.text, 0);
	CU_ASSERT_TRUE(store_runs_foreach(st, collect_run, &c, NULL));
	CU_ASSERT_PTR_NOT_NULL(strstr(c.text->str, " 2 0 failed - interrupted|"));

	CU_ASSERT_TRUE(store_delete_incomplete_runs(st, &deleted, NULL));
	CU_ASSERT_EQUAL(deleted, 2);
	points = 0;
	CU_ASSERT_TRUE(store_series_foreach(st, 2, "s", count_point, &points, NULL));
	CU_ASSERT_EQUAL(points, 0);
	g_string_truncate(c.text, 0);
	c.n = 0;
	CU_ASSERT_TRUE(store_runs_foreach(st, collect_run, &c, NULL));
	CU_ASSERT_EQUAL(c.n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.text->str, " complete "));

	/* Resume: the run goes again from scratch. */
	info.seed = 1;
	run = store_run_begin(st, &info, &error);
	CU_ASSERT_PTR_NOT_NULL(run);
	CU_ASSERT_TRUE(store_run_finish(run, 1, 0.1, NULL));
	store_run_free(run);
	g_string_free(c.text, TRUE);
	store_close(st);
}

struct keyed {
	GHashTable *by_key;	/* run key -> dump */
	struct store *st;
};

static gboolean dump_run(const struct store_run_record *r, void *user_data)
{
	struct keyed *k = user_data;
	g_autofree char *dump = run_dump(k->st, r->id);
	uint64_t recomputed = 0;
	char fp[17];

	CU_ASSERT_STRING_EQUAL(r->status, "complete");
	CU_ASSERT_TRUE(store_run_fingerprint_recompute(k->st, r->id, &recomputed, NULL));
	snprintf(fp, sizeof(fp), STORE_FINGERPRINT_FORMAT, recomputed);
	CU_ASSERT_STRING_EQUAL(fp, r->fingerprint);
	g_hash_table_insert(k->by_key, g_strdup(r->run_key),
			    g_strconcat(r->fingerprint, " ", dump, NULL));
	return FALSE;
}

static GHashTable *dump_file(struct store *st)
{
	struct keyed k = { g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free), st };

	CU_ASSERT_TRUE(store_runs_foreach(st, dump_run, &k, NULL));
	return k.by_key;
}

static void test_merge(void)
{
	g_autofree char *part1 = tmp_path("part1.db");
	g_autofree char *part2 = tmp_path("part2.db");
	g_autofree char *direct_path = tmp_path("direct.db");
	g_autofree char *merged_path = tmp_path("merged.db");
	struct store *p1 = open_ok(part1), *p2 = open_ok(part2), *direct = open_ok(direct_path);
	struct store *merged = open_ok(merged_path);
	struct store_run_info info = info_for(999, 3);
	GHashTable *want, *got;
	GHashTableIter it;
	void *key, *value;
	unsigned added = 99;

	write_run(p1, 1, 0.0, 10);
	write_run(p1, 2, 0.0, 20);
	write_run(p2, 3, 0.0, 30);
	store_run_free(store_run_begin(p2, &info, NULL));	/* left running: not merged */
	for (uint64_t seed = 1; seed <= 3; seed++)
		write_run(direct, seed, 0.0, seed * 10);
	store_close(p1);
	store_close(p2);

	CU_ASSERT_TRUE(store_merge(merged, part1, &added, NULL));
	CU_ASSERT_EQUAL(added, 2);
	CU_ASSERT_TRUE(store_merge(merged, part2, &added, NULL));
	CU_ASSERT_EQUAL(added, 1);
	CU_ASSERT_TRUE(store_merge(merged, part1, &added, NULL));
	CU_ASSERT_EQUAL(added, 0);
	CU_ASSERT_TRUE(store_merge(merged, part2, &added, NULL));
	CU_ASSERT_EQUAL(added, 0);

	want = dump_file(direct);
	got = dump_file(merged);
	CU_ASSERT_EQUAL(g_hash_table_size(want), 3);
	CU_ASSERT_EQUAL(g_hash_table_size(got), 3);
	g_hash_table_iter_init(&it, want);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		const char *other = g_hash_table_lookup(got, key);

		CU_ASSERT_PTR_NOT_NULL(other);
		if (other)
			CU_ASSERT_STRING_EQUAL(other, value);
	}
	g_hash_table_destroy(want);
	g_hash_table_destroy(got);
	store_close(direct);
	store_close(merged);
}

static void expect_open_error(const char *path, gboolean read_only, int code, const char *message)
{
	GError *error = NULL;
	struct store *st = read_only ? store_open_read(path, &error) : store_open(path, &error);

	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, code));
	if (error && message) {
		CU_ASSERT_STRING_EQUAL(error->message, message);
		if (strcmp(error->message, message))
			printf("\n  got: %s\n  want: %s\n", error->message, message);
	}
	g_clear_error(&error);
	store_close(st);
}

static void test_refused_files(void)
{
	g_autofree char *text = tmp_path("notes.db");
	g_autofree char *foreign = tmp_path("foreign.db");
	g_autofree char *newer = tmp_path("x.db");
	g_autofree char *missing = tmp_path("missing.db");
	g_autofree char *target = tmp_path("target.db");
	g_autofree char *m_text = g_strdup_printf("'%s' is not a dcdsim results file (not an SQLite "
						  "database)", text);
	g_autofree char *m_foreign = g_strdup_printf("'%s' is an SQLite database but not a dcdsim "
						     "results file", foreign);
	g_autofree char *m_newer = g_strdup_printf("results file '%s' has schema 5, this dcdsim "
						   "understands up to 1: upgrade dcdsim", newer);
	g_autofree char *m_missing = g_strdup_printf("cannot open results file '%s': no such file",
						     missing);
	sqlite3 *db;
	struct store *st;
	GError *error = NULL;
	unsigned added = 7;

	CU_ASSERT_TRUE(g_file_set_contents(text, "These are my notes, long enough to fill a header "
					   "of a hundred bytes: SQLite looks at the first sixteen "
					   "and more.", -1, NULL));
	expect_open_error(text, FALSE, STORE_ERROR_NOT_SQLITE, m_text);
	expect_open_error(text, TRUE, STORE_ERROR_NOT_SQLITE, m_text);

	CU_ASSERT_EQUAL(sqlite3_open(foreign, &db), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1);", NULL,
				     NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	expect_open_error(foreign, FALSE, STORE_ERROR_FOREIGN, m_foreign);

	st = open_ok(newer);
	store_close(st);
	CU_ASSERT_EQUAL(sqlite3_open(newer, &db), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db, "PRAGMA user_version = 5", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	expect_open_error(newer, FALSE, STORE_ERROR_VERSION, m_newer);
	expect_open_error(newer, TRUE, STORE_ERROR_VERSION, m_newer);

	expect_open_error(missing, TRUE, STORE_ERROR_OPEN, m_missing);
	CU_ASSERT_FALSE(g_file_test(missing, G_FILE_TEST_EXISTS));

	/* Merging any of them is refused the same way, adding nothing. */
	st = open_ok(target);
	CU_ASSERT_FALSE(store_merge(st, newer, &added, &error));
	CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_VERSION));
	g_clear_error(&error);
	CU_ASSERT_FALSE(store_merge(st, foreign, &added, &error));
	CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_FOREIGN));
	g_clear_error(&error);
	CU_ASSERT_EQUAL(added, 7);
	store_close(st);
}

static void test_batching(void)
{
	g_autofree char *path = tmp_path("batch.db");
	g_autoptr(store) st = open_ok(path);
	struct store_run_info info = info_for(5, 1);
	struct store_run *run = store_run_begin(st, &info, NULL);
	unsigned points = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(run);
	for (uint64_t t = 0; t < 100000; t++)
		store_series_add(run, t % 2 ? "odd" : "even", "B", t * 10, (double)t, NULL);
	CU_ASSERT_TRUE(store_run_finish(run, 100000, 1.0, NULL));
	store_run_free(run);
	CU_ASSERT_TRUE(store_series_foreach(st, 1, "odd", count_point, &points, NULL));
	CU_ASSERT_TRUE(store_series_foreach(st, 1, "even", count_point, &points, NULL));
	CU_ASSERT_EQUAL(points, 100000);
}

static void test_duplicates_and_keys(void)
{
	g_autofree char *path = tmp_path("dup.db");
	struct store *st = open_ok(path);
	struct store_run_info info = info_for(11, 0);
	struct store_run *run = store_run_begin(st, &info, NULL);
	struct sim_hist *h = sim_hist_new();
	const char *ab[] = { "a=1", "b=2" }, *ba[] = { "b=2", "a=1" }, *a2[] = { "a=2", "b=2" };
	g_autofree char *k1 = store_run_key_compute("hash", ab, 2, 1, 0);
	g_autofree char *k2 = store_run_key_compute("hash", ba, 2, 1, 0);
	g_autofree char *k3 = store_run_key_compute("hash", a2, 2, 1, 0);
	g_autofree char *k4 = store_run_key_compute("hash", ab, 2, 2, 0);
	g_autofree char *k5 = store_run_key_compute("hash", ab, 2, 1, 1);
	g_autofree char *k6 = store_run_key_compute("hush", ab, 2, 1, 0);
	g_autofree char *k7 = store_run_key_compute("hash", NULL, 0, 1, 0);
	g_autofree char *sha = store_scenario_hash("abc", 3);
	GError *error = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(run);
	CU_ASSERT_TRUE(store_scalar_add(run, "x", 1.0, NULL, NULL));
	CU_ASSERT_FALSE(store_scalar_add(run, "x", 2.0, NULL, &error));
	CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_DUPLICATE));
	g_clear_error(&error);
	CU_ASSERT_TRUE(store_hist_add(run, "x", h, NULL, NULL));	/* another kind */
	CU_ASSERT_FALSE(store_hist_add(run, "x", h, NULL, &error));
	CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_DUPLICATE));
	g_clear_error(&error);
	CU_ASSERT_TRUE(store_run_finish(run, 0, 0.0, NULL));
	store_run_free(run);
	sim_hist_free(h);
	store_close(st);

	CU_ASSERT_EQUAL(strlen(k1), 64);
	CU_ASSERT_STRING_EQUAL(k1, k2);
	CU_ASSERT_STRING_NOT_EQUAL(k1, k3);
	CU_ASSERT_STRING_NOT_EQUAL(k1, k4);
	CU_ASSERT_STRING_NOT_EQUAL(k1, k5);
	CU_ASSERT_STRING_NOT_EQUAL(k1, k6);
	CU_ASSERT_STRING_NOT_EQUAL(k1, k7);
	CU_ASSERT_STRING_EQUAL(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "round trip of every table", test_round_trip },
		{ "fingerprint", test_fingerprint },
		{ "names of a run's metrics", test_names },
		{ "crash leaves running, resume deletes", test_crash_and_resume },
		{ "merge: idempotent, equal content", test_merge },
		{ "refused files", test_refused_files },
		{ "batching 10^5 points", test_batching },
		{ "duplicates and run keys", test_duplicates_and_keys },
		{ NULL, NULL },
	};
	int status;

	tmp_dir = g_dir_make_tmp("dcdsim-store-XXXXXX", NULL);
	if (!tmp_dir)
		return 99;
	status = unit_run("store", tests);
	unit_remove_tree(tmp_dir);
	g_free(tmp_dir);
	return status;
}
