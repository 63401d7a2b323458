/* The dcdsim program from the outside: runs the built binary on small
 * scenarios (tests/data/cli/) in a scratch folder and checks its exit
 * status, its messages, its JSON and the results file it writes (read with
 * SQLite, whose json_valid() and json_extract() also check the JSON).
 * Also the JSON writer behind --json, directly. */
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli/json.h"
#include "unit.h"

static char *scenario_path(const char *name)
{
	return g_build_filename(unit_srcdir, "tests", "data", "cli", name, NULL);
}

#define RUN(e, ...) unit_run_dcdsim((e), (const char *const[]){ __VA_ARGS__, NULL })

/* The first column of the first row of SQL on DB (a path or ":memory:")
 * as text, NULL when there is no row or it is NULL; ARG binds ?1. */
static char *sql_text(const char *db, const char *sql, const char *arg)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *stmt = NULL;
	char *out = NULL;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY | (strcmp(db, ":memory:") ? 0 :
			    SQLITE_OPEN_MEMORY), NULL) != SQLITE_OK ||
	    /* a run still writing DB may hold its lock for a moment */
	    sqlite3_busy_timeout(h, 5000) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, sql, -1, &stmt, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite '%s' on '%s': %s\n", sql, db, sqlite3_errmsg(h));
		CU_FAIL("sql");
		goto done;
	}
	if (arg)
		sqlite3_bind_text(stmt, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL)
		out = g_strdup((const char *)sqlite3_column_text(stmt, 0));
done:
	sqlite3_finalize(stmt);
	sqlite3_close(h);
	return out;
}

static bool sql_is(const char *db, const char *sql, const char *arg, const char *want)
{
	g_autofree char *got = sql_text(db, sql, arg);

	if (g_strcmp0(got, want)) {
		fprintf(stderr, "'%s' gave '%s', expected '%s'\n", sql, got ? got : "(null)",
			want ? want : "(null)");
		return false;
	}
	return true;
}

/* json_extract(JSON, PATH) as text. */
static char *json_get(const char *text, const char *path)
{
	g_autofree char *sql = g_strdup_printf("SELECT json_extract(?1, '%s')", path);

	return sql_text(":memory:", sql, text);
}

static bool json_has_type(const char *text, const char *path, const char *type)
{
	g_autofree char *sql = g_strdup_printf("SELECT json_type(?1, '%s')", path);

	return sql_is(":memory:", sql, text, type);
}

/* ---- help, version, usage ----------------------------------------------------------- */

static void test_help(void)
{
	struct unit_exec e;

	RUN(&e, "--help");
	CU_ASSERT_EQUAL(e.status, 0);
	CU_ASSERT_TRUE(unit_contains(e.out, "run "));
	unit_exec_clear(&e);

	RUN(&e, "run", "--help");
	CU_ASSERT_EQUAL(e.status, 0);
	for (const char *const *o = (const char *const[]){ "--seed", "--define", "--output",
			"--replace", "--until", "--json", "--quiet", "Exit status", "130",
			"results/NAME-sSEED.db", NULL }; *o; o++)
		CU_ASSERT_TRUE(unit_contains(e.out, *o));
	unit_exec_clear(&e);

	RUN(&e, "--version");
	CU_ASSERT_EQUAL(e.status, 0);
	CU_ASSERT_TRUE(unit_contains(e.out, "dcdsim " PACKAGE_VERSION));
	unit_exec_clear(&e);
}

static void test_usage_errors(void)
{
	g_autofree char *tiny = scenario_path("tiny.lua");
	const struct {
		const char *args[4];
		const char *message;
	} cases[] = {
		{ { "frobnicate" }, "unknown command 'frobnicate'" },
		{ { "run", "--bogus" }, "--bogus" },
		{ { "run", "-s", "12x" }, "bad seed '12x'" },
		{ { "run", "-s", "-1" }, "bad seed '-1'" },
		{ { "run", "--until", "5parsecs" }, "--until" },
		{ { "run", "--until", "0" }, "--until" },
		{ { "run", "--replace" }, "--replace needs -o" },
		{ { "run", tiny, tiny }, "one scenario at a time" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) argv = g_ptr_array_new();
		struct unit_exec e;

		for (size_t a = 0; a < G_N_ELEMENTS(cases[i].args) && cases[i].args[a]; a++)
			g_ptr_array_add(argv, (gpointer)cases[i].args[a]);
		g_ptr_array_add(argv, NULL);
		unit_run_dcdsim(&e, (const char *const *)argv->pdata);
		CU_ASSERT_EQUAL(e.status, 2);
		CU_ASSERT_TRUE(unit_contains(e.err, cases[i].message));
		CU_ASSERT_STRING_EQUAL(e.out, "");
		unit_exec_clear(&e);
	}
}

static void test_missing_scenario(void)
{
	struct unit_exec e;

	RUN(&e, "run", "no/such/scenario.lua");
	CU_ASSERT_EQUAL(e.status, 2);
	CU_ASSERT_TRUE(unit_contains(e.err, "'no/such/scenario.lua'"));
	unit_exec_clear(&e);
}

/* A scenario mistake: exit 2 with file:line, and no results file. */
static void test_scenario_error(void)
{
	g_autofree char *bad = scenario_path("bad_key.lua");
	g_autofree char *tiny = scenario_path("tiny.lua");
	g_autofree char *db = unit_scratch_path("bad.db");
	struct unit_exec e;

	RUN(&e, "run", bad, "-o", db);
	CU_ASSERT_EQUAL(e.status, 2);
	CU_ASSERT_TRUE(unit_contains(e.err, "bad_key.lua:"));
	CU_ASSERT_FALSE(g_file_test(db, G_FILE_TEST_EXISTS));
	unit_exec_clear(&e);

	RUN(&e, "run", tiny, "-D", "no_such_param=1");
	CU_ASSERT_EQUAL(e.status, 2);
	CU_ASSERT_TRUE(unit_contains(e.err, "no_such_param"));
	unit_exec_clear(&e);

	/* Values reach the scenario as typed, whatever the locale. */
	RUN(&e, "run", tiny, "-D", "rate=\xc3\xa9t\xc3\xa9");
	CU_ASSERT_EQUAL(e.status, 2);
	CU_ASSERT_TRUE(unit_contains(e.err, "tiny.lua:"));
	CU_ASSERT_TRUE(unit_contains(e.err, "rate=\xc3\xa9t\xc3\xa9"));
	unit_exec_clear(&e);
}

/* ---- runs --------------------------------------------------------------------------- */

/* Runs tiny.lua with --json and EXTRA arguments into DB; returns the JSON. */
static char *run_json(const char *db, const char *const *extra)
{
	g_autofree char *tiny = scenario_path("tiny.lua");
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	struct unit_exec e;
	char *text;

	g_ptr_array_add(argv, (gpointer) "run");
	g_ptr_array_add(argv, tiny);
	g_ptr_array_add(argv, (gpointer) "--json");
	if (db) {
		g_ptr_array_add(argv, (gpointer) "-o");
		g_ptr_array_add(argv, (gpointer)db);
	}
	for (; extra && *extra; extra++)
		g_ptr_array_add(argv, (gpointer)*extra);
	g_ptr_array_add(argv, NULL);
	unit_run_dcdsim(&e, (const char *const *)argv->pdata);
	CU_ASSERT_EQUAL(e.status, 0);
	text = g_steal_pointer(&e.out);
	unit_exec_clear(&e);
	return text;
}

static void test_run_json(void)
{
	g_autofree char *db = unit_scratch_path("json.db");
	g_autofree char *text = run_json(db, (const char *const[]){ "-s", "5", NULL });
	static const struct {
		const char *path, *type;
	} keys[] = {
		{ "$.fingerprint", "text" },
		{ "$.seed", "integer" },
		{ "$.events", "integer" },
		{ "$.wall_s", NULL },
		{ "$.events_per_s", NULL },
		{ "$.requests.total", "integer" },
		{ "$.requests.accepted", "integer" },
		{ "$.requests.blocked", "integer" },
		{ "$.requests.blocked_by_cause", "object" },
		{ "$.requests.blocked_by_cause.no_capacity", "integer" },
		{ "$.accept_latency_ns.p50", "integer" },
		{ "$.accept_latency_ns.p99", "integer" },
		{ "$.accept_latency_ns.max", "integer" },
		{ "$.reclaim_latency_ns.p50", "integer" },
		{ "$.reclaim_latency_ns.p99", "integer" },
		{ "$.reclaim_latency_ns.max", "integer" },
		{ "$.fragmentation.final", NULL },
		{ "$.fragmentation.peak", NULL },
		{ "$.stranded_byte_s", NULL },
		{ "$.lost_bytes", "integer" },
		{ "$.db", "text" },
	};
	g_autofree char *fingerprint = NULL, *total = NULL, *accepted = NULL, *dbpath = NULL;

	CU_ASSERT_TRUE_FATAL(text != NULL);
	CU_ASSERT_TRUE(sql_is(":memory:", "SELECT json_valid(?1)", text, "1"));
	/* One object on one line. */
	CU_ASSERT_EQUAL(strchr(text, '\n'), text + strlen(text) - 1);
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		if (keys[i].type) {
			CU_ASSERT_TRUE(json_has_type(text, keys[i].path, keys[i].type));
		} else {
			g_autofree char *sql = g_strdup_printf("SELECT json_type(?1, '%s') IN "
							       "('integer', 'real')", keys[i].path);

			if (!sql_is(":memory:", sql, text, "1"))
				CU_FAIL(keys[i].path);
		}
	}
	CU_ASSERT_TRUE(sql_is(":memory:", "SELECT json_extract(?1, '$.seed')", text, "5"));
	dbpath = json_get(text, "$.db");
	CU_ASSERT_STRING_EQUAL(dbpath, db);
	total = json_get(text, "$.requests.total");
	accepted = json_get(text, "$.requests.accepted");
	CU_ASSERT_TRUE(total && atoi(total) > 0);
	CU_ASSERT_TRUE(accepted && atoi(accepted) > 0);

	/* The results file: one complete run with the fingerprint printed. */
	fingerprint = json_get(text, "$.fingerprint");
	CU_ASSERT_TRUE(sql_is(db, "SELECT count(*) FROM runs WHERE status = 'complete' AND "
			      "fingerprint = ?1 AND seed = 5", fingerprint, "1"));
	CU_ASSERT_TRUE(sql_is(db, "SELECT CAST(value AS INTEGER) FROM scalars "
			      "WHERE name = 'requests.submitted'",
			      NULL, total));
	CU_ASSERT_TRUE(sql_is(db, "SELECT count(*) > 0 FROM series", NULL, "1"));
	CU_ASSERT_TRUE(sql_is(db, "SELECT count(*) > 0 FROM histograms", NULL, "1"));
	CU_ASSERT_TRUE(sql_is(db, "SELECT count(*) FROM scalars WHERE name LIKE 'summary.%'",
			      NULL, "8"));
	CU_ASSERT_TRUE(sql_is(db, "SELECT value || ',' || given FROM params WHERE name = 'rate'",
			      NULL, "40,0"));
}

/* The readable summary names every figure. */
static void test_run_summary(void)
{
	g_autofree char *tiny = scenario_path("tiny.lua");
	g_autofree char *db = unit_scratch_path("summary.db");
	struct unit_exec e;

	RUN(&e, "run", tiny, "-o", db, "-D", "rate=60");
	CU_ASSERT_EQUAL(e.status, 0);
	for (const char *const *w = (const char *const[]){ "requests", "accepted", "blocked",
			"accept latency", "p50", "p99", "max", "reclaim latency", "fragmentation",
			"stranded", "GiB*s", "lost", "events", "M events/s", "results", db,
			"fingerprint", NULL }; *w; w++)
		CU_ASSERT_TRUE(unit_contains(e.out, *w));
	/* No progress line: stderr is not a terminal. */
	CU_ASSERT_STRING_EQUAL(e.err, "");
	CU_ASSERT_TRUE(sql_is(db, "SELECT value || ',' || given FROM params WHERE name = 'rate'",
			      NULL, "60,1"));
	unit_exec_clear(&e);

	RUN(&e, "run", tiny, "-o", db, "--replace", "--quiet");
	CU_ASSERT_EQUAL(e.status, 0);
	CU_ASSERT_STRING_EQUAL(e.out, "");
	CU_ASSERT_STRING_EQUAL(e.err, "");
	unit_exec_clear(&e);
}

static void test_determinism(void)
{
	g_autofree char *a = unit_scratch_path("det-a.db"), *b = unit_scratch_path("det-b.db");
	g_autofree char *c = unit_scratch_path("det-c.db"), *d = unit_scratch_path("det-d.db");
	g_autofree char *ja = run_json(a, (const char *const[]){ "-s", "11", NULL });
	g_autofree char *jb = run_json(b, (const char *const[]){ "-s", "11", NULL });
	g_autofree char *jc = run_json(c, (const char *const[]){ "-s", "12", NULL });
	g_autofree char *jd = run_json(d, (const char *const[]){ "-s", "11", "-D", "rate=80",
								 NULL });
	g_autofree char *fa = json_get(ja, "$.fingerprint"), *fb = json_get(jb, "$.fingerprint");
	g_autofree char *fc = json_get(jc, "$.fingerprint"), *fd = json_get(jd, "$.fingerprint");

	CU_ASSERT_TRUE_FATAL(fa && fb && fc && fd);
	CU_ASSERT_EQUAL(strlen(fa), 16);
	CU_ASSERT_STRING_EQUAL(fa, fb);
	CU_ASSERT_STRING_NOT_EQUAL(fa, fc);
	CU_ASSERT_TRUE(sql_is(a, "SELECT fingerprint FROM runs", NULL, fa));
	CU_ASSERT_TRUE(sql_is(b, "SELECT fingerprint FROM runs", NULL, fa));
	/* A different -D value gives different results. */
	CU_ASSERT_STRING_NOT_EQUAL(fd, fa);
}

/* No temporary file left behind in the scratch folder DIR. */
static bool only_db_files(const char *dir)
{
	g_autofree char *path = unit_scratch_path(dir);
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;
	bool ok = d != NULL;

	while (d && (name = g_dir_read_name(d)))
		if (!g_str_has_suffix(name, ".db")) {
			fprintf(stderr, "left behind: %s/%s\n", dir, name);
			ok = false;
		}
	if (d)
		g_dir_close(d);
	return ok;
}

/* Errors of the scenario's own code during the run (an at() callback, an
 * inline host policy that answers in the wrong shape): exit 2 with the
 * file:line and the simulated time; with -o the run is there, failed,
 * never complete; without -o no results file is left. */
static void test_scenario_runtime_error(void)
{
	static const struct {
		const char *file, *where, *what;
	} cases[] = {
		{ "callback_error.lua", "callback_error.lua:10: ", "a request has no field 'missing'" },
		{ "broken_policy.lua", "broken_policy.lua:7: ", "on_chain must answer" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = scenario_path(cases[i].file);
		g_autofree char *db = g_strdup_printf("%s/runtime-%zu.db", unit_scratch, i);
		g_autofree char *name = g_strndup(cases[i].file, strlen(cases[i].file) - 4);
		g_autofree char *def = g_strdup_printf("%s/results/%s-s1.db", unit_scratch, name);
		struct unit_exec e;

		RUN(&e, "run", path, "-q", "-o", db);
		CU_ASSERT_EQUAL(e.status, 2);
		CU_ASSERT_TRUE(unit_contains(e.err, cases[i].where));
		CU_ASSERT_TRUE(unit_contains(e.err, cases[i].what));
		CU_ASSERT_TRUE(unit_contains(e.err, " at simulated "));
		unit_exec_clear(&e);
		CU_ASSERT_TRUE(sql_is(db, "SELECT count(*) FROM runs WHERE status = 'complete'",
				      NULL, "0"));
		CU_ASSERT_TRUE(sql_is(db, "SELECT count(*) FROM runs WHERE status = 'failed' AND "
				      "instr(error, ?1) > 0", cases[i].what, "1"));

		RUN(&e, "run", path, "--json");
		CU_ASSERT_EQUAL(e.status, 2);
		CU_ASSERT_TRUE(unit_contains(e.err, cases[i].where));
		CU_ASSERT_STRING_EQUAL(e.out, "");
		unit_exec_clear(&e);
		CU_ASSERT_FALSE(g_file_test(def, G_FILE_TEST_EXISTS));
	}
	CU_ASSERT_TRUE(only_db_files("results"));
}

/* The default results file is replaced by each run of the same scenario
 * and seed; -o FILE refuses a run FILE already has unless --replace. */
static void test_results_file(void)
{
	g_autofree char *tiny = scenario_path("tiny.lua");
	g_autofree char *def = unit_scratch_path("results/tiny-s21.db");
	g_autofree char *db = unit_scratch_path("dup.db");
	g_autofree char *j1 = NULL, *j2 = NULL, *p1 = NULL;
	struct unit_exec e;

	j1 = run_json(NULL, (const char *const[]){ "-s", "21", NULL });
	j2 = run_json(NULL, (const char *const[]){ "-s", "21", NULL });
	p1 = json_get(j1, "$.db");
	CU_ASSERT_STRING_EQUAL(p1, "results/tiny-s21.db");
	CU_ASSERT_TRUE(sql_is(def, "SELECT count(*) || status FROM runs", NULL, "1complete"));

	RUN(&e, "run", tiny, "-q", "-o", db);
	CU_ASSERT_EQUAL(e.status, 0);
	unit_exec_clear(&e);
	RUN(&e, "run", tiny, "-q", "-o", db);
	CU_ASSERT_EQUAL(e.status, 1);
	CU_ASSERT_TRUE(unit_contains(e.err, "already has this run"));
	CU_ASSERT_TRUE(unit_contains(e.err, "--replace"));
	unit_exec_clear(&e);
	CU_ASSERT_TRUE(sql_is(db, "SELECT count(*) || status FROM runs", NULL, "1complete"));
	/* Another seed is another run: the file gathers both. */
	RUN(&e, "run", tiny, "-q", "-o", db, "-s", "2");
	CU_ASSERT_EQUAL(e.status, 0);
	unit_exec_clear(&e);
	CU_ASSERT_TRUE(sql_is(db, "SELECT count(*) FROM runs WHERE status = 'complete'", NULL,
			      "2"));
	RUN(&e, "run", tiny, "-q", "-o", db, "--replace");
	CU_ASSERT_EQUAL(e.status, 0);
	unit_exec_clear(&e);
	CU_ASSERT_TRUE(sql_is(db, "SELECT count(*) || status FROM runs", NULL, "1complete"));
	/* --until makes another run (it changes the results). */
	RUN(&e, "run", tiny, "-q", "-o", db, "--until", "2s");
	CU_ASSERT_EQUAL(e.status, 0);
	unit_exec_clear(&e);
	CU_ASSERT_TRUE(sql_is(db, "SELECT count(*) FROM runs", NULL, "2"));
	CU_ASSERT_TRUE(only_db_files("results"));
}

/* Runs tiny.lua for 1000 simulated hours with EXTRA arguments, sends SIG
 * once the run's row in DB (with TMP, the temporary file dcdsim writes in
 * DB's stead) says it is running, and returns the exit status. */
static int run_interrupted(const char *db, bool tmp, const char *extra, int sig)
{
	g_autofree char *tiny = scenario_path("tiny.lua");
	g_autofree char *watch = NULL;
	const char *args[] = { "run", tiny, "--until", "1000h", extra, NULL };
	GPid pid = unit_start_dcdsim(args);
	GStatBuf st;
	bool running = false;

	watch = tmp ? g_strdup_printf("%s.%d.tmp", db, (int)pid) : g_strdup(db);
	for (int i = 0; i < 400 && !running; i++) {
		g_autofree char *n = NULL;

		g_usleep(50000);
		/* Empty until its schema's first commit ("no such table"). */
		if (g_stat(watch, &st) == 0 && st.st_size > 0)
			n = sql_text(watch, "SELECT count(*) FROM runs WHERE status = 'running'",
				     NULL);
		running = n && !strcmp(n, "1");
	}
	CU_ASSERT_TRUE(running);
	g_usleep(200000);
	kill(pid, sig);
	return unit_wait_exit(pid);
}

/* SIGINT or SIGTERM during a run: exit 130 or 143, and the run is marked
 * failed, never complete; in the default file's stead nothing is left. */
static void test_interrupt(void)
{
	g_autofree char *db = unit_scratch_path("interrupted.db");
	g_autofree char *o = g_strconcat("--output=", db, NULL);
	g_autofree char *def = unit_scratch_path("results/tiny-s77.db");

	CU_ASSERT_EQUAL(run_interrupted(db, false, o, SIGINT), 130);
	CU_ASSERT_TRUE(sql_is(db, "SELECT count(*) FROM runs WHERE status = 'complete'", NULL,
			      "0"));
	CU_ASSERT_TRUE(sql_is(db, "SELECT status || ': ' || substr(error, 1, 21) FROM runs", NULL,
			      "failed: interrupted by SIGINT"));
	CU_ASSERT_TRUE(sql_is(db, "SELECT count(*) FROM scalars", NULL, "0"));

	CU_ASSERT_EQUAL(run_interrupted(def, true, "--seed=77", SIGTERM), 143);
	CU_ASSERT_FALSE(g_file_test(def, G_FILE_TEST_EXISTS));
	CU_ASSERT_TRUE(only_db_files("results"));
}

/* The shipped default scenario, when there is one. */
static void test_default_scenario(void)
{
	g_autofree char *quickstart = g_build_filename(unit_srcdir, "scenarios", "quickstart.lua",
						       NULL);
	g_autofree char *db = unit_scratch_path("quickstart.db");
	struct unit_exec e;

	if (!g_file_test(quickstart, G_FILE_TEST_EXISTS)) {
		printf("(no scenarios/quickstart.lua yet: skipped) ");
		return;
	}
	RUN(&e, "run", "-o", db, "--json");
	CU_ASSERT_EQUAL(e.status, 0);
	CU_ASSERT_TRUE(unit_contains(e.out, "\"scenario_path\":\""));
	CU_ASSERT_TRUE(unit_contains(e.out, "quickstart.lua\""));
	CU_ASSERT_TRUE(sql_is(db, "SELECT status FROM runs", NULL, "complete"));
	unit_exec_clear(&e);
}

/* ---- the JSON writer ---------------------------------------------------------------- */

static void test_json_writer(void)
{
	g_autoptr(json) j = json_new();
	const char *text;

	json_object_begin(j, NULL);
	json_string(j, "s", "a\"b\\c\nd\te\x01" "f/é");
	json_string(j, "none", NULL);
	json_uint(j, "big", UINT64_MAX);
	json_number(j, "half", 0.5);
	json_number(j, "nan", NAN);
	json_number(j, "inf", -INFINITY);
	json_object_begin(j, "inner");
	json_object_begin(j, "empty");
	json_object_end(j);
	json_uint(j, "zero", 0);
	json_object_end(j);
	json_string(j, "bad utf8", "x\xff" "y");
	json_object_end(j);
	text = json_text(j);
	CU_ASSERT_STRING_EQUAL(text,
		"{\"s\":\"a\\\"b\\\\c\\nd\\te\\u0001f/é\",\"none\":null,"
		"\"big\":18446744073709551615,\"half\":0.5,\"nan\":null,\"inf\":null,"
		"\"inner\":{\"empty\":{},\"zero\":0},\"bad utf8\":\"x\xef\xbf\xbdy\"}");
	CU_ASSERT_TRUE(sql_is(":memory:", "SELECT json_valid(?1)", text, "1"));
	CU_ASSERT_TRUE(sql_is(":memory:", "SELECT json_extract(?1, '$.s')", text,
			      "a\"b\\c\nd\te\x01" "f/é"));
	CU_ASSERT_TRUE(sql_is(":memory:", "SELECT json_type(?1, '$.nan')", text, "null"));
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "help and version", test_help },
		{ "usage errors exit 2", test_usage_errors },
		{ "a missing scenario exits 2", test_missing_scenario },
		{ "a scenario error exits 2, no file", test_scenario_error },
		{ "run --json", test_run_json },
		{ "run summary", test_run_summary },
		{ "same seed, same fingerprint", test_determinism },
		{ "results file replace and refuse", test_results_file },
		{ "a scenario error during the run exits 2, never complete",
		  test_scenario_runtime_error },
		{ "a signal leaves no complete run", test_interrupt },
		{ "the default scenario", test_default_scenario },
		{ "json writer", test_json_writer },
		{ NULL, NULL },
	};
	int status;

	if (!unit_outside_init("cli"))
		return 99;
	status = unit_run("cli", tests);
	unit_outside_fini();
	return status;
}
