/* Shared CUnit runner for the unit test programs: one program per module,
 * each listing its cases in a NULL-terminated table.  Also the helpers
 * several programs share (GLib and CUnit only). */
#ifndef DCDSIM_TESTS_UNIT_H
#define DCDSIM_TESTS_UNIT_H

#include <CUnit/CUnit.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

/* Runs every case of TESTS as suite SUITE with CUnit's basic runner (its
 * summary lines go to stdout for the test log).  Returns the process exit
 * status: 0 when all pass, 1 on any failure, 77 (automake's skip) when
 * the environment variable DCDSIM_SKIP_<SUITE> is set. */
int unit_run(const char *suite, const struct unit_test *tests);

/* ---- random numbers ------------------------------------------------------------------ */

/* splitmix64: the tests' own generator, independent of src/sim/rng.c. */
uint64_t unit_random(uint64_t *state);

/* ---- temporary folders ----------------------------------------------------------------- */

/* Removes DIR and everything under it (tests make only files and folders). */
void unit_remove_tree(const char *dir);

/* ---- text ---------------------------------------------------------------------------- */

/* Whether TEXT (may be NULL) holds PART; says what is missing on stderr. */
bool unit_contains(const char *text, const char *part);

/* ---- fingerprints ---------------------------------------------------------------------- */

/* Folds NAME and VALUE into the FNV-1a hash *DATA (a uint64_t); UNIT is
 * ignored.  A metrics_foreach_scalar callback: returns false to go on. */
bool unit_fingerprint_scalar(const char *name, double value, const char *unit, void *data);

/* ---- the built dcdsim, from the outside ------------------------------------------------ */

/* The top build and source folders (absolute, from $top_builddir and
 * $top_srcdir, else ".") and the scratch folder programs run in. */
extern char *unit_builddir, *unit_srcdir, *unit_scratch;

/* Sets the folders above, making the scratch folder dcdsim-NAME-XXXXXX;
 * false, with the reason on stderr, when it cannot.  With $TEST_<NAME>_VERBOSE
 * set, a failed run's stderr is printed. */
bool unit_outside_init(const char *name);
/* Removes the scratch folder and frees the folders. */
void unit_outside_fini(void);

/* A finished program. */
struct unit_exec {
	int status;		/* exit status; 128 + signal when killed */
	char *out, *err;
};

void unit_exec_clear(struct unit_exec *e);
char *unit_scratch_path(const char *name);
/* The environment of the programs: $DCDSIM_DATADIR is the source folder. */
char **unit_test_environ(void);
/* The exit status of a waitpid() status; 128 + signal when killed. */
int unit_exit_status(int wait_status);
/* argv of dcdsim with the NULL-terminated ARGS (g_strfreev). */
char **unit_dcdsim_argv(const char *const *args);
/* Runs ARGV (searched in $PATH) in the scratch folder and waits. */
void unit_run_argv(struct unit_exec *e, const char *const *argv);
/* Runs dcdsim with the NULL-terminated ARGS in the scratch folder and waits. */
void unit_run_dcdsim(struct unit_exec *e, const char *const *args);
/* Starts dcdsim with ARGS in the scratch folder, output discarded, without
 * waiting: unit_wait_exit() collects it. */
GPid unit_start_dcdsim(const char *const *args);
int unit_wait_exit(GPid pid);

#endif
