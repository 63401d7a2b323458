/* dcdsim validate (src/cli/validate.c): every built-in and shipped policy
 * passes the conformance suite with its documented warnings, every broken
 * policy of tests/data/policies fails it on the expected check with a
 * counterexample, and the command's exit statuses and JSON. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/validate.h"
#include "unit.h"

static char *suite_dir, *lib_dir, *policies_dir;

static char *src_path(const char *rel)
{
	const char *top = g_getenv("top_srcdir");

	return g_build_filename(top ? top : ".", rel, NULL);
}

static bool run(const char *policy, const char *suite, struct validate_report *r)
{
	struct validate_options o = {
		.policy = policy, .suite = suite, .suite_dir = suite_dir, .lib_dir = lib_dir,
	};
	GError *error = NULL;
	bool ok = validate_run(&o, r, &error);

	if (error) {
		printf("\n  %s: %s\n", policy, error->message);
		g_error_free(error);
	}
	return ok;
}

/* Prints what a report holds, for a failing assertion's log. */
static void dump(const struct validate_report *r)
{
	for (size_t i = 0; i < VALIDATE_CHECK_COUNT; i++) {
		const struct validate_row *row = &r->rows[i];

		if (row->status == VALIDATE_PASS)
			continue;
		printf("\n  %s %s: %s", validate_check_name((enum validate_check)i),
		       validate_status_name(row->status),
		       row->fails ? row->fail.message : row->warn.message);
	}
}

/* POLICY passes; exactly the checks in WARNS warn. */
static void expect_pass(const char *policy, const enum validate_check *warns, size_t n)
{
	struct validate_report r;

	CU_ASSERT_TRUE_FATAL(run(policy, NULL, &r));
	CU_ASSERT_TRUE(r.ran->len >= 11);
	for (size_t i = 0; i < VALIDATE_CHECK_COUNT; i++) {
		bool warned = false;

		for (size_t j = 0; j < n; j++)
			warned = warned || warns[j] == i;
		if (r.rows[i].status != (warned ? VALIDATE_WARN : VALIDATE_PASS)) {
			printf("\n  %s, check %s:", policy, validate_check_name((enum validate_check)i));
			dump(&r);
		}
		CU_ASSERT_EQUAL(r.rows[i].status, warned ? VALIDATE_WARN : VALIDATE_PASS);
		if (warned) {
			CU_ASSERT_PTR_NOT_NULL(r.rows[i].warn.message);
			CU_ASSERT_PTR_NOT_NULL(r.rows[i].warn.scenario);
		}
	}
	validate_report_clear(&r);
}

static void test_builtin_policies(void)
{
	static const enum validate_check linux_warns[] = {
		VALIDATE_CHAIN_DEADLINE, VALIDATE_RELEASE_ANSWER, VALIDATE_NO_LOSS,
	};
	static const enum validate_check tags_warns[] = {
		VALIDATE_RELEASE_ANSWER, VALIDATE_NO_LOSS,
	};
	struct validate_report r;

	expect_pass("linux", linux_warns, G_N_ELEMENTS(linux_warns));
	expect_pass("linux-tags", tags_warns, G_N_ELEMENTS(tags_warns));
	expect_pass("interleave", NULL, 0);
	/* the 1-way policies refuse the interleaved host: skipped, said why */
	CU_ASSERT_TRUE_FATAL(run("linux", "interleave", &r));
	CU_ASSERT_EQUAL(r.ran->len, 0);
	CU_ASSERT_EQUAL(r.skipped->len, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_ptr_array_index(r.skipped, 0), "supports only 1-way"));
	validate_report_clear(&r);
}

static void test_shipped_policies(void)
{
	static const enum validate_check linux_warns[] = {
		VALIDATE_CHAIN_DEADLINE, VALIDATE_RELEASE_ANSWER, VALIDATE_NO_LOSS,
	};
	g_autofree char *file = src_path("lua/dcdsim/policies/linux.lua");

	expect_pass("greedy", NULL, 0);
	expect_pass("dcdsim.policies.quota", NULL, 0);
	expect_pass("dcdsim.policies.linux", linux_warns, G_N_ELEMENTS(linux_warns));
	expect_pass(file, linux_warns, G_N_ELEMENTS(linux_warns));
}

/* Each broken policy fails its check, with a counterexample. */
static void test_broken_policies(void)
{
	static const struct {
		const char *file;
		enum validate_check check;
		const char *message;
	} broken[] = {
		{ "accepts-more.lua", VALIDATE_RESPONSE_SUBSET, "which was not offered" },
		{ "never-answers.lua", VALIDATE_CHAIN_DEADLINE, "never answered a chain" },
		{ "releases-not-owned.lua", VALIDATE_RELEASE_OWNED, "which lends it only 0 B" },
		{ "ignores-releases.lua", VALIDATE_RELEASE_ANSWER, "that nothing used" },
		{ "accepts-outside-decoder.lua", VALIDATE_DECODER, "outside its committed decoder" },
		{ "crashes.lua", VALIDATE_CALLBACKS, "crashes.lua:12: attempt to index a nil value" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(broken); i++) {
		g_autofree char *path = g_build_filename(policies_dir, broken[i].file, NULL);
		const struct validate_finding *f;
		struct validate_report r;

		CU_ASSERT_TRUE_FATAL(run(path, NULL, &r));
		CU_ASSERT_EQUAL(validate_report_status(&r), VALIDATE_FAIL);
		CU_ASSERT_EQUAL(r.rows[broken[i].check].status, VALIDATE_FAIL);
		f = &r.rows[broken[i].check].fail;
		if (!f->message || !strstr(f->message, broken[i].message)) {
			printf("\n  %s:", broken[i].file);
			dump(&r);
		}
		CU_ASSERT_PTR_NOT_NULL_FATAL(f->message);
		CU_ASSERT_PTR_NOT_NULL(strstr(f->message, broken[i].message));
		CU_ASSERT_PTR_NOT_NULL(f->scenario);
		CU_ASSERT_TRUE(f->at > 0);
		/* the messages that led to it */
		CU_ASSERT_PTR_NOT_NULL_FATAL(f->trace);
		CU_ASSERT_PTR_NOT_NULL(strstr(f->trace, " dcd0 "));
		validate_report_clear(&r);
	}
}

/* The command: exit statuses, --suite, --json, -s. */
static int command(const char *first, ...) G_GNUC_NULL_TERMINATED;

static int command(const char *first, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	va_list ap;
	int rc, saved = dup(STDOUT_FILENO);
	FILE *null = fopen("/dev/null", "w");

	g_ptr_array_add(argv, (char *)"validate");
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		g_ptr_array_add(argv, (char *)a);
	va_end(ap);
	g_ptr_array_add(argv, NULL);
	/* the report is not what this test reads */
	fflush(stdout);
	dup2(fileno(null), STDOUT_FILENO);
	rc = cli_validate_main((int)argv->len - 1, (char **)argv->pdata);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	fclose(null);
	return rc;
}

static void test_command(void)
{
	g_autofree char *crash = g_build_filename(policies_dir, "crashes.lua", NULL);

	g_setenv("DCDSIM_DATADIR", g_getenv("top_srcdir") ? g_getenv("top_srcdir") : ".", TRUE);
	CU_ASSERT_EQUAL(command("linux", NULL), 0);
	CU_ASSERT_EQUAL(command("greedy", "--suite", "teardown", "--json", "-s", "7", NULL), 0);
	CU_ASSERT_EQUAL(command(crash, NULL), 1);
	CU_ASSERT_EQUAL(command("no/such/policy.lua", NULL), 2);
	CU_ASSERT_EQUAL(command("linux", "--suite", "no-such-scenario", NULL), 2);
	CU_ASSERT_EQUAL(command("linux", "-s", "seven", NULL), 2);
	CU_ASSERT_EQUAL(command(NULL, NULL), 2);
	CU_ASSERT_EQUAL(command("linux", "greedy", NULL), 2);
	CU_ASSERT_EQUAL(command("--help", NULL), 0);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "built-in policies pass", test_builtin_policies },
		{ "shipped policies pass", test_shipped_policies },
		{ "broken policies fail", test_broken_policies },
		{ "the command", test_command },
		{ NULL, NULL },
	};
	int rc;

	suite_dir = src_path("scenarios/validate");
	lib_dir = src_path("lua");
	policies_dir = src_path("tests/data/policies");
	rc = unit_run("validate", tests);
	g_free(suite_dir);
	g_free(lib_dir);
	g_free(policies_dir);
	return rc;
}
