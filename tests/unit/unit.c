#include "unit.h"

#include <CUnit/Basic.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>

/* Whether $PREFIX<NAME>SUFFIX, NAME upper-cased, is set. */
static bool env_flag(const char *prefix, const char *name, const char *suffix)
{
	g_autofree char *upper = g_ascii_strup(name, -1);
	g_autofree char *var = g_strconcat(prefix, upper, suffix, NULL);

	return getenv(var) != NULL;
}

static int skip_requested(const char *suite)
{
	return env_flag("DCDSIM_SKIP_", suite, "");
}

int unit_run(const char *suite, const struct unit_test *tests)
{
	CU_pSuite s;
	int failures;

	if (skip_requested(suite)) {
		printf("suite '%s' skipped on request\n", suite);
		return 77;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite(suite, NULL, NULL);
	if (!s)
		goto fail;
	for (const struct unit_test *t = tests; t->name; t++)
		if (!CU_add_test(s, t->name, t->fn))
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto fail;
	failures = (int)CU_get_number_of_failures();
	CU_cleanup_registry();
	return failures ? 1 : 0;
fail:
	fprintf(stderr, "cunit: %s\n", CU_get_error_msg());
	CU_cleanup_registry();
	return 1;
}

/* ---- temporary folders ----------------------------------------------------------------- */

void unit_remove_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (!d)
		return;
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			unit_remove_tree(path);
		else
			g_unlink(path);
	}
	g_dir_close(d);
	g_rmdir(dir);
}

/* ---- random numbers ------------------------------------------------------------------ */

uint64_t unit_random(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* ---- text ---------------------------------------------------------------------------- */

bool unit_contains(const char *text, const char *part)
{
	if (text && strstr(text, part))
		return true;
	fprintf(stderr, "'%s' not in: %s\n", part, text ? text : "(null)");
	return false;
}

/* ---- fingerprints ---------------------------------------------------------------------- */

bool unit_fingerprint_scalar(const char *name, double value, const char *unit, void *data)
{
	uint64_t *h = data;
	uint64_t bits;

	(void)unit;
	for (const char *c = name; *c; c++)
		*h = (*h ^ (uint8_t)*c) * UINT64_C(0x100000001b3);
	memcpy(&bits, &value, sizeof(bits));
	*h = (*h ^ bits) * UINT64_C(0x100000001b3);
	return false;
}

/* ---- the built dcdsim, from the outside ------------------------------------------------ */

char *unit_builddir, *unit_srcdir, *unit_scratch;
static bool verbose;

static char *top_dir(const char *var)
{
	return g_canonicalize_filename(getenv(var) ? getenv(var) : ".", NULL);
}

bool unit_outside_init(const char *name)
{
	g_autofree char *template = g_strdup_printf("dcdsim-%s-XXXXXX", name);
	GError *error = NULL;

	unit_builddir = top_dir("top_builddir");
	unit_srcdir = top_dir("top_srcdir");
	verbose = env_flag("TEST_", name, "_VERBOSE");
	unit_scratch = g_dir_make_tmp(template, &error);
	if (!unit_scratch) {
		fprintf(stderr, "%s\n", error->message);
		g_error_free(error);
		return false;
	}
	return true;
}

void unit_outside_fini(void)
{
	if (unit_scratch)
		unit_remove_tree(unit_scratch);
	g_clear_pointer(&unit_builddir, g_free);
	g_clear_pointer(&unit_srcdir, g_free);
	g_clear_pointer(&unit_scratch, g_free);
}

void unit_exec_clear(struct unit_exec *e)
{
	g_free(e->out);
	g_free(e->err);
	memset(e, 0, sizeof(*e));
}

char *unit_scratch_path(const char *name)
{
	return g_build_filename(unit_scratch, name, NULL);
}

char **unit_test_environ(void)
{
	return g_environ_setenv(g_get_environ(), "DCDSIM_DATADIR", unit_srcdir, TRUE);
}

int unit_exit_status(int wait_status)
{
	return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

char **unit_dcdsim_argv(const char *const *args)
{
	GPtrArray *argv = g_ptr_array_new();

	g_ptr_array_add(argv, g_build_filename(unit_builddir, "src", "cli", "dcdsim", NULL));
	for (const char *const *a = args; *a; a++)
		g_ptr_array_add(argv, g_strdup(*a));
	g_ptr_array_add(argv, NULL);
	return (char **)g_ptr_array_free(argv, FALSE);
}

void unit_run_argv(struct unit_exec *e, const char *const *argv)
{
	g_auto(GStrv) env = unit_test_environ();
	GError *error = NULL;
	int wait_status;

	memset(e, 0, sizeof(*e));
	if (!g_spawn_sync(unit_scratch, (char **)argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL,
			  &e->out, &e->err, &wait_status, &error)) {
		fprintf(stderr, "spawn: %s\n", error->message);
		g_error_free(error);
		CU_FAIL_FATAL("cannot run the program");
	}
	e->status = unit_exit_status(wait_status);
	if (e->status && verbose)
		fprintf(stderr, "exit %d: %s", e->status, e->err);
}

void unit_run_dcdsim(struct unit_exec *e, const char *const *args)
{
	g_auto(GStrv) argv = unit_dcdsim_argv(args);

	unit_run_argv(e, (const char *const *)argv);
}

GPid unit_start_dcdsim(const char *const *args)
{
	g_auto(GStrv) argv = unit_dcdsim_argv(args);
	g_auto(GStrv) env = unit_test_environ();
	GError *error = NULL;
	GPid pid;

	if (!g_spawn_async(unit_scratch, argv, env, G_SPAWN_DO_NOT_REAP_CHILD |
			   G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &pid,
			   &error)) {
		fprintf(stderr, "spawn: %s\n", error->message);
		g_error_free(error);
		CU_FAIL_FATAL("cannot run dcdsim");
	}
	return pid;
}

int unit_wait_exit(GPid pid)
{
	int wait_status;

	CU_ASSERT_EQUAL(waitpid(pid, &wait_status, 0), pid);
	g_spawn_close_pid(pid);
	return unit_exit_status(wait_status);
}
