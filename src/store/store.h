/* The results store: one SQLite file holding any number of runs (a single
 * run, a sweep, merged parts).  This module is the only code that includes
 * sqlite3.h.  docs/results-schema.md describes the tables.
 *
 * Writing a run: store_run_begin() commits a 'running' row at once, the
 * writers buffer rows in memory and commit them in short transactions of
 * STORE_BATCH_ROWS rows (so several processes can share one file), and
 * store_run_finish() commits the last rows together with status
 * 'complete'.  A process that dies leaves its run 'running', never
 * 'complete'.
 *
 * Unsigned 64-bit values (seeds, times in ns, histogram bounds, counts) go
 * into SQLite's signed INTEGER as the same 64 bits: values of 2^63 and
 * more read as negative in SQL and back exactly through this API. */
#ifndef DCDSIM_STORE_STORE_H
#define DCDSIM_STORE_STORE_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 1
/* Rows buffered before a commit. */
#define STORE_BATCH_ROWS 10000

#define STORE_ERROR (store_error_quark())
GQuark store_error_quark(void);

enum store_error {
	STORE_ERROR_OPEN,	/* the file or its folder cannot be opened or created */
	STORE_ERROR_NOT_SQLITE,	/* the file is not an SQLite database */
	STORE_ERROR_FOREIGN,	/* SQLite, but not a dcdsim results file */
	STORE_ERROR_VERSION,	/* a schema this dcdsim does not understand */
	STORE_ERROR_DUPLICATE,	/* the run key or a metric name is already there */
	STORE_ERROR_NOT_FOUND,	/* no such run or scalar */
	STORE_ERROR_SQL,	/* SQLite failed: disk full, busy too long, ... */
};

struct store;
struct store_run;
struct sim_hist;

/* Only so that g_autoptr() can name the types. */
typedef struct store store;
typedef struct store_run store_run;

/* Opens the results file PATH for reading and writing, creating it (and
 * its folder) when missing.  Refuses a file that is not SQLite, an SQLite
 * file that is not ours, and a newer schema.  Free with store_close(). */
struct store *store_open(const char *path, GError **error);
/* As store_open() for an existing file, read only. */
struct store *store_open_read(const char *path, GError **error);
/* Frees a run still open first (see store_run_free()). */
void store_close(struct store *st);
const char *store_path(const struct store *st);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(store, store_close)

/* SHA-256 of a scenario file's bytes, 64 lowercase hex digits (g_free). */
char *store_scenario_hash(const char *contents, size_t len);
/* The key that identifies a run across files (resume, merge): SHA-256, in
 * hex, of the scenario hash, the seed, the repetition and the overrides
 * ("name=value" as given on the command line or by the sweep, names
 * distinct), in any order.  g_free the result. */
char *store_run_key_compute(const char *scenario_hash, const char *const *overrides,
			    size_t n_overrides, uint64_t seed, uint32_t repetition);

/* A parameter's effective value as text. */
struct store_param {
	const char *name;
	const char *value;
	gboolean given;		/* set on the command line, not the default */
};

struct store_run_info {
	const char *scenario;		/* its name */
	const char *scenario_path;	/* as the user gave it */
	const char *scenario_hash;	/* store_scenario_hash() */
	uint64_t seed;
	uint32_t repetition;
	const char *const *overrides;	/* they and the above make the run key */
	size_t n_overrides;
	const struct store_param *params;	/* all of them, declaration order */
	size_t n_params;
};

/* Commits a 'running' row for a new run.  One run at a time per store.
 * Fails with STORE_ERROR_DUPLICATE when the file already has its key. */
struct store_run *store_run_begin(struct store *st, const struct store_run_info *info,
				  GError **error);
int64_t store_run_id(const struct store_run *run);

/* The writers.  Names and units are free text (units: "ns", "B", "1",
 * NULL for none); a scalar or histogram name may be written once per run.
 * After an error the run should end with store_run_fail(). */
gboolean store_scalar_add(struct store_run *run, const char *name, double value,
			  const char *unit, GError **error);
/* The non-empty buckets of H, in increasing order. */
gboolean store_hist_add(struct store_run *run, const char *name, const struct sim_hist *h,
			const char *unit, GError **error);
gboolean store_series_add(struct store_run *run, const char *name, const char *unit,
			  uint64_t t_ns, double value, GError **error);

/* No completion yet (a request still pending at the end of the run). */
#define STORE_TIME_NONE UINT64_MAX

/* One row of the optional per-request ledger. */
struct store_request {
	uint64_t id;
	const char *host;
	const char *kind;		/* "add", "release", "force" ... */
	uint64_t size;			/* bytes */
	const char *tag;		/* NULL: none */
	uint64_t arrival_ns;
	uint64_t completion_ns;		/* STORE_TIME_NONE: none */
	const char *outcome;		/* "accepted", "blocked" ... */
	const char *cause;		/* NULL: none */
	const char *stages;		/* JSON object of stage -> t_ns, NULL: none */
};

gboolean store_request_add(struct store_run *run, const struct store_request *request,
			   GError **error);
/* One row of the optional event trace. */
gboolean store_trace_add(struct store_run *run, uint64_t t_ns, const char *entity,
			 const char *event, GError **error);

/* Commits the last rows and marks the run 'complete', with EVENTS (the
 * kernel's count, part of the fingerprint) and WALL_S, in one transaction. */
gboolean store_run_finish(struct store_run *run, uint64_t events, double wall_s,
			  GError **error);
/* Marks the run 'failed' with MESSAGE; rows not yet committed are dropped. */
gboolean store_run_fail(struct store_run *run, const char *message, GError **error);

/* The results fingerprint: a 64-bit FNV-1a hash over every scalar,
 * histogram bucket and series point in write order (not the optional
 * ledger and trace, nor times, paths or versions) and, once finished, the
 * event count.  Printed and stored as 16 lowercase hex digits. */
uint64_t store_run_fingerprint(const struct store_run *run);
#define STORE_FINGERPRINT_FORMAT "%016" G_GINT64_MODIFIER "x"

/* Frees RUN.  Rows of a run neither finished nor failed are committed and
 * the run stays 'running', as after a crash. */
void store_run_free(struct store_run *run);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(store_run, store_run_free)

/* --- Maintenance --- */

/* Deletes every run not 'complete' (running: crashed or still going
 * elsewhere; failed) with its rows.  For resuming, when no other process
 * writes the file. */
gboolean store_delete_incomplete_runs(struct store *st, unsigned *deleted, GError **error);
/* Copies into DST, in one transaction, the complete runs of the results
 * file SRC_PATH whose run key DST lacks, with all their rows.  Merging the
 * same file twice adds nothing. */
gboolean store_merge(struct store *dst, const char *src_path, unsigned *added, GError **error);

/* --- Reading --- */

/* A runs row; strings may be NULL (finished, fingerprint, error while
 * running) and live only during the callback. */
struct store_run_record {
	int64_t id;
	const char *run_key;
	const char *scenario;
	const char *scenario_path;
	const char *scenario_hash;
	uint64_t seed;
	uint32_t repetition;
	const char *tool_version;
	const char *status;		/* "running", "complete" or "failed" */
	const char *started;		/* ISO 8601, UTC */
	const char *finished;
	double wall_s;
	uint64_t events;
	const char *fingerprint;
	const char *error;
};

/* Callbacks return TRUE to stop the iteration. */
typedef gboolean (*store_run_fn)(const struct store_run_record *run, void *user_data);
typedef gboolean (*store_param_fn)(const struct store_param *param, void *user_data);
typedef gboolean (*store_scalar_fn)(const char *name, double value, const char *unit,
				    void *user_data);
typedef gboolean (*store_point_fn)(uint64_t t_ns, double value, void *user_data);
typedef gboolean (*store_request_fn)(const struct store_request *request, void *user_data);
typedef gboolean (*store_trace_fn)(uint64_t t_ns, const char *entity, const char *event,
				   void *user_data);
typedef gboolean (*store_name_fn)(const char *name, void *user_data);

/* The tables whose rows carry a metric's name. */
enum store_table {
	STORE_TABLE_SCALARS,
	STORE_TABLE_HISTOGRAMS,
	STORE_TABLE_SERIES,
};

/* Runs in id order. */
gboolean store_runs_foreach(struct store *st, store_run_fn fn, void *user_data, GError **error);
/* A run's parameters in declaration order. */
gboolean store_params_foreach(struct store *st, int64_t run_id, store_param_fn fn,
			      void *user_data, GError **error);
/* Scalars in write order; NaN reads back as NaN. */
gboolean store_scalars_foreach(struct store *st, int64_t run_id, store_scalar_fn fn,
			       void *user_data, GError **error);
/* STORE_ERROR_NOT_FOUND when the run has no such scalar. */
gboolean store_scalar_get(struct store *st, int64_t run_id, const char *name, double *value,
			  GError **error);
/* Adds the stored buckets of histogram NAME to H (an empty histogram
 * stores no rows, so an unknown name adds nothing). */
gboolean store_hist_load(struct store *st, int64_t run_id, const char *name, struct sim_hist *h,
			 GError **error);
/* Points of series NAME in time order. */
gboolean store_series_foreach(struct store *st, int64_t run_id, const char *name,
			      store_point_fn fn, void *user_data, GError **error);
gboolean store_requests_foreach(struct store *st, int64_t run_id, store_request_fn fn,
				void *user_data, GError **error);
gboolean store_trace_foreach(struct store *st, int64_t run_id, store_trace_fn fn,
			     void *user_data, GError **error);
/* The names a run has in TABLE that start with PREFIX ("" or NULL: all),
 * each once, in bytewise order ("h.10" before "h.2"). */
gboolean store_names_foreach(struct store *st, int64_t run_id, enum store_table table,
			     const char *prefix, store_name_fn fn, void *user_data,
			     GError **error);
/* Recomputes a finished run's fingerprint from its stored rows (equal to
 * the one written, unless the file was altered). */
gboolean store_run_fingerprint_recompute(struct store *st, int64_t run_id, uint64_t *fingerprint,
					 GError **error);

#endif
