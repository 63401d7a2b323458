/* Parameter sweeps (docs/sweep.md): the cartesian product of parameter
 * values times a number of repetitions of one scenario, each run a
 * `dcdsim run` process that adds its run to one results file.
 *
 * A run is a separate process, in its own process group, so that killing
 * one loses only that run; the store marks a run complete in one
 * transaction, so a killed run is never complete and the next sweep of
 * the same file deletes it and runs it again.  The sweep holds an flock()
 * on the results file, inherited by its workers, while it cleans and
 * writes: a second sweep of the file waits until the first and every
 * worker of it are gone.  Workers die with the sweep (SIGTERM on the
 * parent's death), and the sweep forwards SIGINT and SIGTERM to them once.
 *
 * The commands --emit-jobs writes give `dcdsim run` the arguments the
 * workers get (but for -o and absolute paths), so a sweep run through GNU
 * parallel or Slurm and merged has the run keys and fingerprints of the
 * same sweep run here. */
#ifndef DCDSIM_CLI_SWEEP_H
#define DCDSIM_CLI_SWEEP_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Values of one -p: at most this many, ranges included. */
#define SWEEP_VALUES_MAX 10000
/* Runs of a sweep, all points and repetitions: at most this many. */
#define SWEEP_RUNS_MAX 1000000

/* Parses one -p text "NAME=V1,V2,..." into NAME and its values in order
 * (a GPtrArray of strings that frees them).  An item START:END:STEP is an
 * arithmetic range, START:END:*FACTOR a geometric one; both include END
 * when they reach it, and the ends (and an arithmetic step) may carry one
 * shared unit ("1MiB:16MiB:*2").  Generated numbers are written in the
 * shortest form that reads back exactly, rounded to the decimals the range
 * was written with, so the same text gives the same values (and run keys)
 * every time; listed values are kept as typed.  CLI_ERROR_USAGE for a bad
 * text, an empty name or value, a value given twice. */
bool sweep_values_parse(const char *text, char **name, GPtrArray **values, GError **error);

/* The seed of repetition REPETITION of a sweep whose base seed is BASE:
 * BASE itself for repetition 0, else the REPETITION-th output of
 * splitmix64 started at BASE, shifted right by one bit (below 2^63). */
uint64_t sweep_seed(uint64_t base, uint32_t repetition);

struct sweep_options {
	const char *const *specs;	/* -p texts, in order */
	size_t n_specs;
	uint32_t repetitions;		/* >= 1 */
	bool has_seed;			/* else the scenario's seed */
	uint64_t seed;			/* below 2^63 */
	const char *db_path;		/* NULL: results/NAME-sweep.db */
};

struct sweep;

/* Reads the scenario at PATH, parses the -p texts and checks each value by
 * loading the scenario with it (an unknown parameter or a bad value is a
 * SCRIPT_ERROR, a bad -p text CLI_ERROR_USAGE), and lays out the runs:
 * points in the order of the product (the last -p varies fastest), each
 * with its repetitions.  Nothing is run or written. */
struct sweep *sweep_new(const char *path, const struct sweep_options *options,
			GError **error);
void sweep_free(struct sweep *sw);

typedef struct sweep sweep;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sweep, sweep_free)

const char *sweep_db_path(const struct sweep *sw);
const char *sweep_scenario_name(const struct sweep *sw);
size_t sweep_point_count(const struct sweep *sw);
uint32_t sweep_repetitions(const struct sweep *sw);
size_t sweep_run_count(const struct sweep *sw);

/* One run of the sweep; valid while the sweep lives. */
struct sweep_run {
	size_t point;			/* index of its point */
	uint32_t repetition;
	uint64_t seed;
	const char *run_key;		/* store_run_key_compute() */
	const char *const *defines;	/* "NAME=VALUE", -p order */
	size_t n_defines;
	const char *label;		/* "rate=10 size=1MiB rep 2" */
	/* The results file's fingerprint once it has the run complete
	 * (sweep_status_read), else NULL. */
	const char *fingerprint;
};

const struct sweep_run *sweep_run_nth(const struct sweep *sw, size_t i);
/* The point's "NAME=VALUE" texts; a point's runs are sweep_run_nth()
 * POINT * repetitions to (POINT + 1) * repetitions - 1. */
const char *const *sweep_point_defines(const struct sweep *sw, size_t point, size_t *n);

/* Reads which runs the results file has complete (none when it does not
 * exist).  With CLEAN the file is created if missing and its incomplete
 * runs are deleted first (their number in *CLEANED): only under
 * sweep_lock(). */
bool sweep_status_read(struct sweep *sw, bool clean, unsigned *cleaned, GError **error);
/* Runs not complete at the last sweep_status_read(). */
size_t sweep_missing_count(const struct sweep *sw);

/* Takes the sweep's lock on its results file (created when missing),
 * waiting for another sweep of the file to end (WAITING is called once
 * first; NULL: none).  CLI_ERROR_INTERRUPTED when a signal ends the wait.
 * The lock lasts until sweep_free() and the last worker's exit. */
bool sweep_lock(struct sweep *sw, void (*waiting)(const char *db_path), GError **error);

/* The argv of `dcdsim run` for run I: EXE run SCENARIO -s SEED
 * --repetition R -D NAME=VALUE... -o DB --quiet [--replace]
 * (g_strfreev).  DB NULL: only EXE run SCENARIO -s SEED -D ..., which
 * reproduces the run's results (its fingerprint) alone. */
char **sweep_run_argv(const struct sweep *sw, size_t i, const char *exe, const char *db,
		      bool replace);
/* ARGV as one shell command line, words quoted where needed (g_free). */
char *sweep_command_line(const char *const *argv);

/* How the workers are doing, after each run ends and about four times a
 * second. */
struct sweep_progress {
	size_t total;			/* runs this execution starts with */
	size_t done, failed, running;
	double elapsed_s;
	/* The run that just ended, else NULL; with its wall time, and why it
	 * failed (NULL when it completed). */
	const struct sweep_run *run;
	double run_wall_s;
	const char *failure;
};

typedef void (*sweep_progress_fn)(const struct sweep_progress *progress, void *user_data);

/* Runs the missing runs (as of the last sweep_status_read()) with JOBS
 * worker processes of EXE (the dcdsim program) into the results file,
 * under sweep_lock().  Returns false with CLI_ERROR_INTERRUPTED when
 * SIGINT or SIGTERM stopped it (after forwarding the signal to the
 * workers and waiting for them), or CLI_ERROR_FAILED when a worker cannot
 * be started; runs that fail do not stop the others (PROGRESS sees
 * them). */
bool sweep_execute(struct sweep *sw, const char *exe, unsigned jobs, sweep_progress_fn progress,
		   void *user_data, GError **error);

/* The main metrics of the summary table, per run. */
enum sweep_metric {
	SWEEP_METRIC_ACCEPTED,		/* requests accepted / submitted */
	SWEEP_METRIC_BLOCKED,		/* requests blocked */
	SWEEP_METRIC_ACCEPT_P99,	/* ns */
	SWEEP_METRIC_RECLAIM_P99,	/* ns */
	SWEEP_METRIC_FRAGMENTATION,	/* unusable free space index, final */
	SWEEP_METRIC_STRANDED,		/* byte-seconds */
	SWEEP_METRIC_LOST,		/* bytes lost in use by forced releases */
	SWEEP_METRIC_COUNT
};

/* A metric over a point's complete runs: N values (NaN ones left out),
 * their mean and the half-width of its 95% confidence interval (Student
 * t; NaN below two values). */
struct sweep_stat {
	unsigned n;
	double mean, half;
};

/* Reads the results file's complete runs of each point: STATS gets
 * sweep_point_count() rows of SWEEP_METRIC_COUNT stats, and RUNS (may be
 * NULL) each point's number of complete runs. */
bool sweep_summary_read(struct sweep *sw, struct sweep_stat (*stats)[SWEEP_METRIC_COUNT],
			unsigned *runs, GError **error);

/* Writes JOBS_PATH: one `EXE run ... -o PART.db --replace` command line
 * per missing run (as of the last sweep_status_read()), each part in
 * PARTS_DIR (created) named after the run key.  With SLURM also
 * JOBS_PATH.sbatch, a Slurm job-array script running line
 * $SLURM_ARRAY_TASK_ID from the current folder.  *WRITTEN: the number of
 * lines. */
bool sweep_jobs_write(const struct sweep *sw, const char *exe, const char *jobs_path,
		      const char *parts_dir, bool slurm, size_t *written, GError **error);

#endif
