/* dcdsim sweep and dcdsim merge from the outside: the built program sweeps
 * tests/data/sweep/small.lua in a scratch folder; the tests read the
 * results files with SQLite, kill the sweep and its workers, resume, run
 * the emitted commands through GNU parallel and merge them.  Also the value
 * parser and the seeds of repetitions, directly. */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sweep.h"
#include "unit.h"

/* The sweep of the tests: 2 x 2 points x 3 repetitions. */
#define SPEC "-p", "rate=10,40", "-p", "size=256MiB,1GiB", "-r", "3"
#define RUNS 12
/* Runs long enough (a few tenths of a second each) to be killed mid-way. */
#define SLOW "-p", "duration=900s"

#define RUN(e, ...) unit_run_dcdsim((e), (const char *const[]){ __VA_ARGS__, NULL })
#define START(...) unit_start_dcdsim((const char *const[]){ __VA_ARGS__, NULL })

static unsigned line_count(const char *text)
{
	unsigned n = 0;

	for (const char *c = text; c && *c; c++)
		n += *c == '\n';
	return n;
}

/* The first column of the first row of SQL on the results file DB as
 * text; NULL when there is no row, or the file or its tables are not
 * there yet (the tests poll files that workers are writing). */
static char *sql_text(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *stmt = NULL;
	char *out = NULL;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		/* Writers commit in short transactions: wait for them. */
		sqlite3_busy_timeout(h, 60000);
		if (sqlite3_prepare_v2(h, sql, -1, &stmt, NULL) == SQLITE_OK &&
		    sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL)
			out = g_strdup((const char *)sqlite3_column_text(stmt, 0));
	}
	sqlite3_finalize(stmt);
	sqlite3_close(h);
	return out;
}

static long sql_count(const char *db, const char *sql)
{
	g_autofree char *n = sql_text(db, sql);

	return n ? atol(n) : -1;
}

/* Every complete run as "key:fingerprint", sorted: equal for two files
 * that hold the same runs with the same results. */
static char *runs_signature(const char *db)
{
	return sql_text(db, "SELECT group_concat(k, ' ') FROM (SELECT run_key || ':' || "
			"fingerprint AS k FROM runs WHERE status = 'complete' ORDER BY run_key)");
}

/* The file holds the sweep's RUNS runs, all complete, one per key, with
 * every repetition of every point and no rows of other runs. */
static void check_sweep_db(const char *db)
{
	CU_ASSERT_EQUAL(sql_count(db, "SELECT count(*) FROM runs"), RUNS);
	CU_ASSERT_EQUAL(sql_count(db, "SELECT count(*) FROM runs WHERE status = 'complete'"), RUNS);
	CU_ASSERT_EQUAL(sql_count(db, "SELECT count(DISTINCT run_key) FROM runs"), RUNS);
	CU_ASSERT_EQUAL(sql_count(db, "SELECT count(DISTINCT r.repetition || p1.value || p2.value) "
				  "FROM runs r JOIN params p1 ON p1.run_id = r.id AND p1.name = "
				  "'rate' AND p1.given JOIN params p2 ON p2.run_id = r.id AND "
				  "p2.name = 'size' AND p2.given"), RUNS);
	CU_ASSERT_EQUAL(sql_count(db, "SELECT max(repetition) FROM runs"), 2);
	CU_ASSERT_EQUAL(sql_count(db, "SELECT count(*) FROM scalars WHERE run_id NOT IN "
				  "(SELECT id FROM runs)"), 0);
	/* A complete run has all its rows: as many scalars as any other. */
	CU_ASSERT_EQUAL(sql_count(db, "SELECT count(DISTINCT n) FROM (SELECT count(*) AS n FROM "
				  "scalars GROUP BY run_id)"), 1);
}

/* ---- the value parser and the seeds ------------------------------------------------ */

static bool values_are(const char *spec, const char *name, const char *want)
{
	g_autofree char *got_name = NULL, *got = NULL;
	g_autoptr(GPtrArray) values = NULL;
	GError *error = NULL;

	if (!sweep_values_parse(spec, &got_name, &values, &error)) {
		fprintf(stderr, "'%s': %s\n", spec, error->message);
		g_error_free(error);
		return false;
	}
	g_ptr_array_add(values, NULL);
	got = g_strjoinv(",", (char **)values->pdata);
	if (strcmp(got_name, name) || strcmp(got, want)) {
		fprintf(stderr, "'%s' gave %s=%s, expected %s=%s\n", spec, got_name, got, name, want);
		return false;
	}
	return true;
}

static bool values_refused(const char *spec, const char *message)
{
	char *name = NULL;
	GPtrArray *values = NULL;
	GError *error = NULL;
	bool ok;

	if (sweep_values_parse(spec, &name, &values, &error)) {
		fprintf(stderr, "'%s' accepted\n", spec);
		g_free(name);
		g_ptr_array_unref(values);
		return false;
	}
	ok = error->domain == CLI_ERROR && error->code == CLI_ERROR_USAGE &&
	     unit_contains(error->message, message);
	g_error_free(error);
	return ok;
}

static void test_values(void)
{
	CU_ASSERT_TRUE(values_are("rate=10,20,40", "rate", "10,20,40"));
	CU_ASSERT_TRUE(values_are(" size = 256MiB, 1GiB ", "size", "256MiB,1GiB"));
	CU_ASSERT_TRUE(values_are("n=1:16:*2", "n", "1,2,4,8,16"));
	CU_ASSERT_TRUE(values_are("x=0.1:0.9:0.2", "x", "0.1,0.3,0.5,0.7,0.9"));
	CU_ASSERT_TRUE(values_are("x=0:1:0.1", "x", "0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1"));
	CU_ASSERT_TRUE(values_are("x=10:1:-3", "x", "10,7,4,1"));
	CU_ASSERT_TRUE(values_are("x=1:2:0.3", "x", "1,1.3,1.6,1.9"));
	CU_ASSERT_TRUE(values_are("x=1e3:3e3:1e3", "x", "1000,2000,3000"));
	CU_ASSERT_TRUE(values_are("x=0.001:1:*10", "x", "0.001,0.01,0.1,1"));
	CU_ASSERT_TRUE(values_are("x=16:1:*0.5", "x", "16,8,4,2,1"));
	CU_ASSERT_TRUE(values_are("s=1MiB:8MiB:*2", "s", "1MiB,2MiB,4MiB,8MiB"));
	CU_ASSERT_TRUE(values_are("t=0.5ms:2ms:0.5ms", "t", "0.5ms,1ms,1.5ms,2ms"));
	CU_ASSERT_TRUE(values_are("x=5,1:3:1,4.0", "x", "5,1,2,3,4.0"));
	CU_ASSERT_TRUE(values_are("x=3:3:1", "x", "3"));

	CU_ASSERT_TRUE(values_refused("rate", "expected NAME=V1,V2"));
	CU_ASSERT_TRUE(values_refused("=1,2", "no parameter name"));
	CU_ASSERT_TRUE(values_refused("rate=", "no values"));
	CU_ASSERT_TRUE(values_refused("rate=  ", "no values"));
	CU_ASSERT_TRUE(values_refused("rate=1,,2", "an empty value"));
	CU_ASSERT_TRUE(values_refused("rate=1,2,", "an empty value"));
	CU_ASSERT_TRUE(values_refused("rate=1,2,1", "value '1' given twice"));
	CU_ASSERT_TRUE(values_refused("rate=1,1:3:1", "value '1' given twice"));
	CU_ASSERT_TRUE(values_refused("x=1:16", "expected START:END:STEP"));
	CU_ASSERT_TRUE(values_refused("x=a:b:1", "must be numbers"));
	CU_ASSERT_TRUE(values_refused("x=1:16:*x", "must be numbers"));
	CU_ASSERT_TRUE(values_refused("x=1:16:0", "must not be 0"));
	CU_ASSERT_TRUE(values_refused("x=1:16:-1", "leads away"));
	CU_ASSERT_TRUE(values_refused("x=1:16:*0.5", "leads away"));
	CU_ASSERT_TRUE(values_refused("x=1:16:*1", "other than 1"));
	CU_ASSERT_TRUE(values_refused("x=0:16:*2", "positive ends"));
	CU_ASSERT_TRUE(values_refused("s=1MiB:1GiB:*2", "the same unit"));
	CU_ASSERT_TRUE(values_refused("s=1MiB:4MiB:1KiB", "no unit or that of its ends"));
	CU_ASSERT_TRUE(values_refused("x=0:1e9:1", "more than"));
}

static void test_seeds(void)
{
	uint64_t seen[64];

	CU_ASSERT_EQUAL(sweep_seed(7, 0), 7);
	/* splitmix64 from 0: its first output is 0xe220a8397b1dcdaf. */
	CU_ASSERT_EQUAL(sweep_seed(0, 1), UINT64_C(0xe220a8397b1dcdaf) >> 1);
	for (uint32_t r = 0; r < G_N_ELEMENTS(seen); r++) {
		seen[r] = sweep_seed(1, r);
		CU_ASSERT_TRUE(seen[r] < (UINT64_C(1) << 63));
		CU_ASSERT_EQUAL(seen[r], sweep_seed(1, r));
		for (uint32_t q = 0; q < r; q++)
			CU_ASSERT_NOT_EQUAL(seen[q], seen[r]);
	}
}

/* ---- sweeps --------------------------------------------------------------------------- */

static char *scenario(void)
{
	return g_build_filename(unit_srcdir, "tests", "data", "sweep", "small.lua", NULL);
}

/* "a.db" of the first sweep, for the later tests to compare with. */
static char *direct_signature;

static void test_sweep(void)
{
	g_autofree char *path = scenario(), *db = unit_scratch_path("a.db");
	g_autofree char *b = unit_scratch_path("b.db");
	g_autofree char *other = unit_scratch_path("alone.db"), *line = NULL, *command = NULL;
	g_autofree char *fingerprint = NULL, *again = NULL;
	g_auto(GStrv) lines = NULL, argv = NULL;
	g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
	struct unit_exec e;

	RUN(&e, "sweep", path, SPEC, "-j", "2", "-o", db);
	CU_ASSERT_EQUAL(e.status, 0);
	check_sweep_db(db);
	/* The summary table: a header and one line per point. */
	CU_ASSERT_TRUE(unit_contains(e.out, "rate  size    runs  accepted %"));
	CU_ASSERT_TRUE(unit_contains(e.out, "\n40    1GiB    3/3   "));
	CU_ASSERT_EQUAL(line_count(e.out), 1 + 4);
	CU_ASSERT_TRUE(unit_contains(e.err, "[12/12] "));
	unit_exec_clear(&e);
	direct_signature = runs_signature(db);
	CU_ASSERT_PTR_NOT_NULL(direct_signature);

	/* Again: nothing to do, nothing added. */
	RUN(&e, "sweep", path, SPEC, "-o", db);
	CU_ASSERT_EQUAL(e.status, 0);
	CU_ASSERT_TRUE(unit_contains(e.err, "all 12 runs complete"));
	unit_exec_clear(&e);
	CU_ASSERT_EQUAL(sql_count(db, "SELECT count(*) FROM runs"), RUNS);

	/* The same sweep into another file: the same runs, the same results. */
	RUN(&e, "sweep", path, SPEC, "-j", "1", "-o", b, "--quiet");
	CU_ASSERT_EQUAL(e.status, 0);
	CU_ASSERT_STRING_EQUAL(e.err, "");
	unit_exec_clear(&e);
	again = runs_signature(b);
	CU_ASSERT_STRING_EQUAL(again, direct_signature);

	/* --list: a run alone, by the command it prints, has its fingerprint. */
	RUN(&e, "sweep", path, SPEC, "-o", db, "--list");
	CU_ASSERT_EQUAL(e.status, 0);
	CU_ASSERT_EQUAL(line_count(e.out), 2 * RUNS);
	lines = g_strsplit(e.out, "\n", -1);
	unit_exec_clear(&e);
	line = g_strdup(lines[2 * 11]);
	command = g_strstrip(g_strdup(lines[2 * 11 + 1]));
	CU_ASSERT_TRUE(g_str_has_prefix(line, "rate=40 size=1GiB rep 2, seed "));
	CU_ASSERT_TRUE(g_str_has_prefix(command, "dcdsim run "));
	CU_ASSERT_TRUE_FATAL(g_shell_parse_argv(command, NULL, &argv, NULL));
	fingerprint = g_strdup(strrchr(line, ' ') + 1);
	for (char **a = argv + 1; *a; a++)
		g_ptr_array_add(args, g_strdup(*a));
	g_ptr_array_add(args, g_strdup("-o"));
	g_ptr_array_add(args, g_strdup(other));
	g_ptr_array_add(args, g_strdup("--json"));
	g_ptr_array_add(args, NULL);
	unit_run_dcdsim(&e, (const char *const *)args->pdata);
	CU_ASSERT_EQUAL(e.status, 0);
	CU_ASSERT_TRUE(unit_contains(e.out, fingerprint));
	unit_exec_clear(&e);
}

/* Polls DB until it has a complete run (a sweep is mid-way). */
static bool wait_first_complete(const char *db)
{
	for (int i = 0; i < 1200; i++) {
		if (sql_count(db, "SELECT count(*) FROM runs WHERE status = 'complete'") > 0)
			return true;
		g_usleep(50000);
	}
	return false;
}

/* A child of PARENT that is running (not yet a zombie), or 0. */
static pid_t child_of(pid_t parent)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	pid_t found = 0;

	if (!proc)
		return 0;
	while (!found && (d = readdir(proc))) {
		g_autofree char *path = g_strdup_printf("/proc/%s/stat", d->d_name);
		g_autofree char *stat = NULL;
		const char *tail;
		char state;
		int ppid;

		if (!g_ascii_isdigit(d->d_name[0]) ||
		    !g_file_get_contents(path, &stat, NULL, NULL))
			continue;
		/* "pid (comm) state ppid ...", comm may hold anything. */
		tail = strrchr(stat, ')');
		if (tail && sscanf(tail + 1, " %c %d", &state, &ppid) == 2 && ppid == parent &&
		    state != 'Z')
			found = atoi(d->d_name);
	}
	closedir(proc);
	return found;
}

/* The signature of the slow sweep, resumed after each kill. */
static char *slow_signature;

/* After a kill: no run complete without all its rows; the next sweep
 * deletes the incomplete ones (a worker stopped before its first write
 * leaves none) and runs exactly what is missing, with the results of every
 * other way there. */
static void check_resume(const char *db, const char *path)
{
	g_autofree char *signature = NULL;
	bool leftover = sql_count(db, "SELECT count(*) FROM runs WHERE status != 'complete'") > 0;
	struct unit_exec e;

	CU_ASSERT_TRUE(sql_count(db, "SELECT count(*) FROM runs WHERE status = 'complete'") <
		       RUNS);
	CU_ASSERT_EQUAL(sql_count(db, "SELECT count(DISTINCT n) FROM (SELECT count(*) AS n FROM "
				  "scalars s JOIN runs r ON r.id = s.run_id WHERE r.status = "
				  "'complete' GROUP BY run_id)"), 1);
	RUN(&e, "sweep", path, SPEC, SLOW, "-j", "2", "-o", db);
	CU_ASSERT_EQUAL(e.status, 0);
	if (leftover)
		CU_ASSERT_TRUE(unit_contains(e.err, "incomplete runs of"));
	unit_exec_clear(&e);
	CU_ASSERT_EQUAL(sql_count(db, "SELECT count(*) FROM runs"), RUNS);
	CU_ASSERT_EQUAL(sql_count(db, "SELECT count(*) FROM runs WHERE status = 'complete'"), RUNS);
	CU_ASSERT_EQUAL(sql_count(db, "SELECT count(DISTINCT run_key) FROM runs"), RUNS);
	signature = runs_signature(db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(signature);
	if (!slow_signature)
		slow_signature = g_steal_pointer(&signature);
	else
		CU_ASSERT_STRING_EQUAL(signature, slow_signature);
}

static void test_sigterm(void)
{
	g_autofree char *path = scenario(), *db = unit_scratch_path("term.db");
	GPid pid = START("sweep", path, SPEC, SLOW, "-j", "2", "-o", db);

	CU_ASSERT_TRUE_FATAL(wait_first_complete(db));
	kill(pid, SIGTERM);
	CU_ASSERT_EQUAL(unit_wait_exit(pid), 128 + SIGTERM);
	/* The workers stopped too: their runs are failed, not running. */
	CU_ASSERT_EQUAL(sql_count(db, "SELECT count(*) FROM runs WHERE status = 'running'"), 0);
	check_resume(db, path);
}

/* Whether worker PID's run (by its command line) is in DB as 'running'. */
static bool worker_running(const char *db, pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", (int)pid);
	g_autofree char *cmdline = NULL, *rate = NULL, *size = NULL, *sql = NULL;
	const char *repetition = NULL;
	gsize len;

	if (!g_file_get_contents(path, &cmdline, &len, NULL))
		return false;
	for (const char *a = cmdline; a < cmdline + len; a += strlen(a) + 1) {
		const char *next = a + strlen(a) + 1;

		if (next >= cmdline + len)
			break;
		if (!strcmp(a, "--repetition"))
			repetition = next;
		else if (!strcmp(a, "-D") && g_str_has_prefix(next, "rate="))
			rate = g_strdup(next + strlen("rate="));
		else if (!strcmp(a, "-D") && g_str_has_prefix(next, "size="))
			size = g_strdup(next + strlen("size="));
	}
	if (!repetition || !rate || !size)
		return false;
	sql = g_strdup_printf("SELECT count(*) FROM runs r WHERE status = 'running' AND "
			      "repetition = %s AND (SELECT value FROM params WHERE run_id = r.id "
			      "AND name = 'rate') = '%s' AND (SELECT value FROM params WHERE "
			      "run_id = r.id AND name = 'size') = '%s'", repetition, rate, size);
	return sql_count(db, sql) == 1;
}

/* SIGKILL to a worker whose run has begun in DB; false if none is found. */
static bool kill_worker(GPid sweeping, const char *db)
{
	for (int i = 0; i < 6000; i++) {
		pid_t worker = child_of(sweeping);

		if (worker && worker_running(db, worker)) {
			kill(worker, SIGKILL);
			return true;
		}
		g_usleep(10000);
	}
	return false;
}

static void test_worker_killed(void)
{
	g_autofree char *path = scenario();
	int status = 0;

	/* The worker may end between the check and the kill: the sweep then
	 * completes (status 0) and another try is made. */
	for (int attempt = 0; attempt < 3 && !status; attempt++) {
		g_autofree char *name = g_strdup_printf("kill%d.db", attempt);
		g_autofree char *db = unit_scratch_path(name);
		GPid pid = START("sweep", path, SPEC, SLOW, "-j", "2", "-o", db);

		CU_ASSERT_TRUE_FATAL(wait_first_complete(db));
		CU_ASSERT_TRUE(kill_worker(pid, db));
		status = unit_wait_exit(pid);
		if (!status)
			continue;
		/* The sweep went on with the other runs and failed for that one,
		 * which stays 'running'. */
		CU_ASSERT_EQUAL(status, 1);
		CU_ASSERT_EQUAL(sql_count(db, "SELECT count(*) FROM runs WHERE status = "
					  "'complete'"), RUNS - 1);
		CU_ASSERT_EQUAL(sql_count(db, "SELECT count(*) FROM runs WHERE status = "
					  "'running'"), 1);
		check_resume(db, path);
	}
	CU_ASSERT_NOT_EQUAL(status, 0);
}

/* ---- other machines: emitted commands, GNU parallel, Slurm, merge -------------------- */

/* The .db files in DIR, sorted, as dcdsim arguments after FIRST ... */
static GPtrArray *parts_args(const char *dir, const char *const *first)
{
	GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	for (const char *const *a = first; *a; a++)
		g_ptr_array_add(args, g_strdup(*a));
	while (d && (name = g_dir_read_name(d)))
		if (g_str_has_suffix(name, ".db"))
			g_ptr_array_add(names, g_build_filename(dir, name, NULL));
	if (d)
		g_dir_close(d);
	g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
	for (guint i = 0; i < names->len; i++)
		g_ptr_array_add(args, g_strdup(names->pdata[i]));
	g_ptr_array_unref(names);
	g_ptr_array_add(args, NULL);
	return args;
}

static void test_parallel_merge(void)
{
	g_autofree char *path = scenario(), *db = unit_scratch_path("c.db");
	g_autofree char *jobs = unit_scratch_path("jobs.txt"), *parts = unit_scratch_path("c-parts");
	g_autofree char *sbatch = unit_scratch_path("jobs.txt.sbatch"), *text = NULL;
	g_autofree char *signature = NULL, *shell = NULL;
	g_autofree char *parallel = g_find_program_in_path("parallel");
	g_autoptr(GPtrArray) args = NULL;
	struct unit_exec e;

	if (!parallel) {
		printf("(GNU parallel not installed: skipped; scripts/deps installs it) ");
		return;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(direct_signature);
	RUN(&e, "sweep", path, SPEC, "-o", db, "--emit-jobs", jobs, "--slurm");
	CU_ASSERT_EQUAL(e.status, 0);
	CU_ASSERT_TRUE(unit_contains(e.out, "12 of 12 runs missing"));
	CU_ASSERT_TRUE(unit_contains(e.out, "dcdsim merge "));
	unit_exec_clear(&e);
	CU_ASSERT_FALSE(g_file_test(db, G_FILE_TEST_EXISTS));
	CU_ASSERT_TRUE(g_file_get_contents(jobs, &text, NULL, NULL));
	CU_ASSERT_EQUAL(line_count(text), RUNS);
	CU_ASSERT_TRUE(g_file_test(sbatch, G_FILE_TEST_EXISTS));

	/* GNU parallel runs the lines; the parts merge into what sweep writes. */
	shell = g_strdup_printf("parallel --will-cite -j 2 < '%s'", jobs);
	unit_run_argv(&e, (const char *const[]){ "sh", "-c", shell, NULL });
	CU_ASSERT_EQUAL(e.status, 0);
	unit_exec_clear(&e);
	args = parts_args(parts, (const char *const[]){ "merge", db, NULL });
	CU_ASSERT_EQUAL(args->len, 2 + RUNS + 1);
	unit_run_dcdsim(&e, (const char *const *)args->pdata);
	CU_ASSERT_EQUAL(e.status, 0);
	CU_ASSERT_TRUE(unit_contains(e.out, "12 runs added"));
	unit_exec_clear(&e);
	signature = runs_signature(db);
	CU_ASSERT_STRING_EQUAL(signature, direct_signature);
	check_sweep_db(db);
	/* Merging again adds nothing. */
	unit_run_dcdsim(&e, (const char *const *)args->pdata);
	CU_ASSERT_EQUAL(e.status, 0);
	CU_ASSERT_TRUE(unit_contains(e.out, "0 runs added"));
	unit_exec_clear(&e);
	CU_ASSERT_EQUAL(sql_count(db, "SELECT count(*) FROM runs"), RUNS);

	/* The Slurm script is sh and runs line $SLURM_ARRAY_TASK_ID. */
	unit_run_argv(&e, (const char *const[]){ "sh", "-n", sbatch, NULL });
	CU_ASSERT_EQUAL(e.status, 0);
	unit_exec_clear(&e);
	CU_ASSERT_TRUE(unit_contains(text, "--replace"));
	{
		g_auto(GStrv) env = g_environ_setenv(unit_test_environ(), "SLURM_ARRAY_TASK_ID", "3",
						     TRUE);
		g_autofree char *out = NULL;
		int wait_status;

		const char *const argv[] = { "sh", sbatch, NULL };

		CU_ASSERT_TRUE(g_spawn_sync(unit_scratch, (char **)argv, env, G_SPAWN_SEARCH_PATH, NULL,
					    NULL, &out, NULL, &wait_status, NULL));
		CU_ASSERT_EQUAL(unit_exit_status(wait_status), 0);
	}

	/* Nothing missing: nothing emitted. */
	RUN(&e, "sweep", path, SPEC, "-o", db, "--emit-jobs", jobs);
	CU_ASSERT_EQUAL(e.status, 0);
	CU_ASSERT_TRUE(unit_contains(e.out, "0 of 12 runs missing"));
	unit_exec_clear(&e);
}

static void test_merge_errors(void)
{
	g_autofree char *out = unit_scratch_path("m.db"), *text = unit_scratch_path("not-a-db.txt");
	struct unit_exec e;

	CU_ASSERT_TRUE(g_file_set_contents(text, "hello\n", -1, NULL));
	RUN(&e, "merge", out);
	CU_ASSERT_EQUAL(e.status, 2);
	CU_ASSERT_TRUE(unit_contains(e.err, "expected OUT and at least one PART"));
	unit_exec_clear(&e);
	RUN(&e, "merge", out, "missing.db");
	CU_ASSERT_EQUAL(e.status, 2);
	CU_ASSERT_TRUE(unit_contains(e.err, "'missing.db'"));
	unit_exec_clear(&e);
	RUN(&e, "merge", out, text);
	CU_ASSERT_EQUAL(e.status, 2);
	CU_ASSERT_TRUE(unit_contains(e.err, "not a dcdsim results file"));
	unit_exec_clear(&e);
	/* Every command treats a results file of the wrong kind alike. */
	{
		g_autofree char *path = scenario();

		RUN(&e, "sweep", path, SPEC, "-o", text);
		CU_ASSERT_EQUAL(e.status, 2);
		CU_ASSERT_TRUE(unit_contains(e.err, "not a dcdsim results file"));
		unit_exec_clear(&e);
		RUN(&e, "run", path, "-o", text, "--quiet");
		CU_ASSERT_EQUAL(e.status, 2);
		CU_ASSERT_TRUE(unit_contains(e.err, "not a dcdsim results file"));
		unit_exec_clear(&e);
	}
	CU_ASSERT_TRUE(g_file_test(text, G_FILE_TEST_EXISTS));
}

/* ---- usage errors -------------------------------------------------------------------- */

static void usage_error(const char *message, const char *const *args)
{
	struct unit_exec e;

	unit_run_dcdsim(&e, args);
	CU_ASSERT_EQUAL(e.status, 2);
	CU_ASSERT_TRUE(unit_contains(e.err, message));
	unit_exec_clear(&e);
}

#define USAGE_ERROR(message, ...) usage_error((message), (const char *const[]){ __VA_ARGS__, NULL })

static void test_usage_errors(void)
{
	g_autofree char *path = scenario(), *db = unit_scratch_path("never.db");
	struct unit_exec e;

	RUN(&e, "sweep", "--help");
	CU_ASSERT_EQUAL(e.status, 0);
	CU_ASSERT_TRUE(unit_contains(e.out, "START:END:*FACTOR"));
	CU_ASSERT_TRUE(unit_contains(e.out, "Exit status:"));
	unit_exec_clear(&e);
	RUN(&e, "merge", "--help");
	CU_ASSERT_EQUAL(e.status, 0);
	CU_ASSERT_TRUE(unit_contains(e.out, "OUT PART..."));
	unit_exec_clear(&e);

	USAGE_ERROR("expected NAME=V1,V2", "sweep", path, "-p", "rate", "-o", db);
	USAGE_ERROR("unknown parameter 'rat' (did you mean 'rate'?)", "sweep", path, "-p",
		    "rat=1,2", "-o", db);
	USAGE_ERROR("bad -p 'rate=': no values", "sweep", path, "-p", "rate=", "-o", db);
	USAGE_ERROR("an empty value", "sweep", path, "-p", "rate=1,,2", "-o", db);
	USAGE_ERROR("bad range '1:4'", "sweep", path, "-p", "rate=1:4", "-o", db);
	USAGE_ERROR("-p rate=fast: ", "sweep", path, "-p", "rate=fast", "-o", db);
	USAGE_ERROR("parameter 'rate' swept twice", "sweep", path, "-p", "rate=1", "-p", "rate=2",
		    "-o", db);
	USAGE_ERROR("bad -r '0'", "sweep", path, "-r", "0", "-o", db);
	USAGE_ERROR("more than 1000000 runs", "sweep", path, "-p", "rate=1:10000:1", "-r", "101",
		    "-o", db);
	USAGE_ERROR("bad -j 'many'", "sweep", path, "-j", "many", "-o", db);
	USAGE_ERROR("no scenario given", "sweep", "-p", "rate=1");
	USAGE_ERROR("scenario 'nowhere.lua' not found", "sweep", "nowhere.lua", "-o", db);
	USAGE_ERROR("--slurm goes with --emit-jobs", "sweep", path, "--slurm", "-o", db);
	USAGE_ERROR("unknown option", "sweep", path, "--frobnicate");
	CU_ASSERT_FALSE(g_file_test(db, G_FILE_TEST_EXISTS));
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "value lists and ranges", test_values },
		{ "seeds of repetitions", test_seeds },
		{ "a 2x2x3 sweep, again, and a run alone", test_sweep },
		{ "SIGTERM to the sweep, then resume", test_sigterm },
		{ "SIGKILL to a worker, then resume", test_worker_killed },
		{ "emitted jobs through GNU parallel, merged", test_parallel_merge },
		{ "merge errors exit 2", test_merge_errors },
		{ "help, and usage errors exit 2", test_usage_errors },
		{ NULL, NULL },
	};
	int status;

	if (!unit_outside_init("sweep"))
		return 99;
	status = unit_run("sweep", tests);
	unit_outside_fini();
	g_free(direct_signature);
	g_free(slow_signature);
	return status;
}
