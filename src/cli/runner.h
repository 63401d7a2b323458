/* One simulation run, from a scenario file (cli_run_one) or from a fabric
 * configuration built in C (cli_run_fabric), into a results file, with the
 * figures of its summary.  `dcdsim run` is one call of cli_run_one; a
 * sweep worker makes one call per run, and bench/e2e calls
 * cli_run_fabric.
 *
 * A run polls the interrupt flag (cli.h) between slices of events: when
 * SIGINT or SIGTERM arrives it stops, marks its run 'failed' with
 * "interrupted ..." and returns CLI_ERROR_INTERRUPTED.  A run that fails
 * for any reason is never marked complete (store.h). */
#ifndef DCDSIM_CLI_RUNNER_H
#define DCDSIM_CLI_RUNNER_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/fabric.h"
#include "models/metrics.h"
#include "script/script.h"
#include "store/store.h"

/* How far a run has come, reported about ten times a wall-clock second. */
struct cli_progress {
	uint64_t now_ns;	/* simulated time reached */
	uint64_t until_ns;	/* where it stops; SIM_TIME_NEVER: when nothing is left */
	uint64_t events;	/* fired so far */
	size_t pending;		/* scheduled and not yet fired */
	double wall_s;		/* since the first event */
};

typedef void (*cli_progress_fn)(const struct cli_progress *progress, void *user_data);
/* Called once the fabric is built, before its first event (a scenario
 * schedules its scripted events here). */
typedef bool (*cli_start_fn)(struct fabric *f, void *user_data, GError **error);

/* A latency histogram in brief; all 0 when nothing was recorded. */
struct cli_latency {
	uint64_t count, p50, p99, max;	/* ns; percentiles within 0.39% */
};

/* The figures of a finished run (docs/cli.md says how each is made). */
struct cli_summary {
	char *scenario;			/* its name */
	char *scenario_path;
	char *db;			/* the results file written */
	uint64_t seed;
	uint64_t end_ns;		/* simulated time at the end */
	uint64_t events;
	double wall_s;			/* the whole run, loading included */
	double sim_s;			/* inside the kernel */
	double store_s;			/* opening and writing the results file */
	uint64_t fingerprint;
	uint64_t submitted, accepted, blocked, rejected;
	uint64_t blocked_by_cause[METRICS_BLOCK_COUNT];
	struct cli_latency accept, reclaim;
	/* The share of the devices' pooled free space that cannot hold a
	 * request of FRAG_REQUEST_SIZE bytes (the scenario's first
	 * fragmentation size), at the last sample and at its highest; NaN
	 * without a size or a sample. */
	uint64_t frag_request_size;
	double frag_final, frag_peak;
	double stranded_byte_s;
	uint64_t lost_bytes;
};

/* Frees the strings and zeroes S. */
void cli_summary_clear(struct cli_summary *s);

/* A run of a fabric built in C. */
struct cli_fabric_run {
	/* The runs row (store_run_info): the overrides make the run key. */
	const char *scenario;
	const char *scenario_path;
	const char *scenario_hash;
	uint64_t seed;
	uint32_t repetition;
	const char *const *overrides;
	size_t n_overrides;
	const struct store_param *params;
	size_t n_params;

	const struct fabric_config *fabric;	/* borrowed */
	uint64_t until;			/* ns; SIM_TIME_NEVER: until nothing is left */
	cli_start_fn start;		/* NULL: none */
	void *start_data;
	cli_progress_fn progress;	/* NULL: none */
	void *progress_data;
	const char *db_path;		/* opened or created */
	/* When the run began (g_get_monotonic_time(): loading counts in its
	 * wall time); 0: at the call. */
	gint64 started_us;
};

/* Builds the fabric, runs it and writes the run into RUN->db_path: params,
 * every metric, the summary scalars (summary.*), then the status
 * 'complete'.  Fills OUT (the caller clears it) and returns true; else
 * false with ERROR: CLI_ERROR_SCENARIO when the fabric cannot be built,
 * the start callback's error, STORE_ERROR, SIM_ERROR (a model failed),
 * FABRIC_ERROR_INVARIANT, CLI_ERROR_INTERRUPTED.  A
 * configuration error leaves the results file untouched. */
bool cli_run_fabric(const struct cli_fabric_run *run, struct cli_summary *out, GError **error);

struct cli_run_options {
	/* "name=value" strings from -D, in command-line order. */
	const char *const *overrides;
	size_t n_overrides;
	bool has_seed;			/* else the scenario's seed */
	uint64_t seed;
	uint32_t repetition;		/* 0 for a single run */
	bool has_until;			/* else the scenario's duration */
	uint64_t until;			/* ns */
	/* NULL: results/<scenario>-s<seed>.db under the current folder,
	 * replaced by the new run once it completes. */
	const char *db_path;
	/* Replace DB_PATH as well instead of adding the run to it. */
	bool replace;
	script_print_fn print;		/* the scenario's print(); NULL: stdout */
	void *print_data;
	cli_progress_fn progress;
	void *progress_data;
};

void cli_run_options_init(struct cli_run_options *options);

/* Loads the scenario at PATH (its Lua library from cli_data_dir()) and
 * runs it as cli_run_fabric() does.  Besides those errors: CLI_ERROR_USAGE
 * when PATH cannot be read, SCRIPT_ERROR for a scenario error: also when
 * the scenario's own code stops the run (an at() or every() callback, a
 * Lua host policy: scenario_error()), whose message starts with file:line
 * and gives the simulated time; that run is marked failed.  The run
 * key covers the scenario's bytes, the seed, the repetition, the
 * overrides and --until.  When the results file is replaced, the run is
 * written to a temporary file beside it that replaces it only once the
 * run is complete: a failed run leaves the old file as it was. */
bool cli_run_one(const char *path, const struct cli_run_options *options,
		 struct cli_summary *out, GError **error);

#endif
