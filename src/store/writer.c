/* Writing runs: rows buffered in memory, committed in short batches, and
 * the results fingerprint. */
#include "store/internal.h"

#include "sim/stats.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

enum row_kind {
	ROW_SCALAR,
	ROW_BUCKET,
	ROW_POINT,
	ROW_REQUEST,
	ROW_TRACE,
};

/* A row waiting for the next commit; strings live in the run's chunk. */
struct row {
	enum row_kind kind;
	const char *name;	/* metric name, or trace entity */
	const char *unit;	/* or trace event */
	uint64_t a, b, c;	/* bucket lo, hi, count; point and trace t_ns */
	double value;
	struct store_request request;
};

enum run_state {
	RUN_OPEN,
	RUN_FINISHED,
	RUN_FAILED,
};

struct store_run {
	struct store *st;
	int64_t id;
	enum run_state state;
	GArray *rows;			/* struct row */
	GStringChunk *strings;		/* of the buffered rows */
	GHashTable *written;		/* "s:name", "h:name": once per run */
	struct store_fingerprint fp;
	uint64_t fingerprint;
};

/* --- fingerprint --- */

static uint64_t fnv_bytes(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* Little-endian whatever the machine, so fingerprints travel. */
static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	unsigned char bytes[8];

	for (int i = 0; i < 8; i++)
		bytes[i] = (unsigned char)(v >> (8 * i));
	return fnv_bytes(h, bytes, sizeof(bytes));
}

/* The double as SQLite keeps it: NaN becomes NULL (hashed as the quiet
 * NaN) and -0.0 reads back as 0.0. */
static uint64_t fnv_double(uint64_t h, double v)
{
	uint64_t bits;

	if (isnan(v))
		bits = UINT64_C(0x7ff8000000000000);
	else if (v == 0.0)
		bits = 0;
	else
		memcpy(&bits, &v, sizeof(bits));
	return fnv_u64(h, bits);
}

/* Length first, so ("ab", "c") and ("a", "bc") differ; NULL is not "". */
static uint64_t fnv_string(uint64_t h, const char *s)
{
	if (!s)
		return fnv_u64(h, UINT64_MAX);
	h = fnv_u64(h, strlen(s));
	return fnv_bytes(h, s, strlen(s));
}

void store_fingerprint_init(struct store_fingerprint *f)
{
	f->scalars = f->buckets = f->points = FNV_OFFSET;
}

void store_fingerprint_scalar(struct store_fingerprint *f, const char *name, const char *unit,
			      double value)
{
	f->scalars = fnv_double(fnv_string(fnv_string(f->scalars, name), unit), value);
}

void store_fingerprint_bucket(struct store_fingerprint *f, const char *name, const char *unit,
			      uint64_t lo, uint64_t hi, uint64_t count)
{
	uint64_t h = fnv_string(fnv_string(f->buckets, name), unit);

	f->buckets = fnv_u64(fnv_u64(fnv_u64(h, lo), hi), count);
}

void store_fingerprint_point(struct store_fingerprint *f, const char *name, const char *unit,
			     uint64_t t_ns, double value)
{
	uint64_t h = fnv_string(fnv_string(f->points, name), unit);

	f->points = fnv_double(fnv_u64(h, t_ns), value);
}

uint64_t store_fingerprint_final(const struct store_fingerprint *f, uint64_t events)
{
	uint64_t h = fnv_bytes(FNV_OFFSET, "dcdsim-fingerprint-1", sizeof("dcdsim-fingerprint-1"));

	h = fnv_u64(h, f->scalars);
	h = fnv_u64(h, f->buckets);
	h = fnv_u64(h, f->points);
	return fnv_u64(h, events);
}

uint64_t store_run_fingerprint(const struct store_run *run)
{
	g_return_val_if_fail(run != NULL, 0);
	if (run->state == RUN_FINISHED)
		return run->fingerprint;
	return store_fingerprint_final(&run->fp, 0);
}

/* --- runs --- */

static char *now_iso8601(void)
{
	GDateTime *now = g_date_time_new_now_utc();
	char *text = g_date_time_format_iso8601(now);

	g_date_time_unref(now);
	return text;
}

static gboolean params_insert(struct store *st, int64_t run_id, const struct store_run_info *info,
			      GError **error)
{
	for (size_t i = 0; i < info->n_params; i++) {
		sqlite3_stmt *stmt = store_prepare(st,
			"INSERT INTO params (run_id, position, name, value, given) "
			"VALUES (?1, ?2, ?3, ?4, ?5)", error);

		if (!stmt)
			return FALSE;
		sqlite3_bind_int64(stmt, 1, run_id);
		sqlite3_bind_int64(stmt, 2, (sqlite3_int64)i);
		sqlite3_bind_text(stmt, 3, info->params[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 4, info->params[i].value, -1, SQLITE_STATIC);
		sqlite3_bind_int(stmt, 5, info->params[i].given ? 1 : 0);
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			store_sql_error(st, error);
			return FALSE;
		}
	}
	return TRUE;
}

/* Explains a run key already in the file. */
static void set_duplicate_error(struct store *st, const char *key, GError **error)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT status FROM runs WHERE run_key = ?1", NULL);
	g_autofree char *status = NULL;

	if (stmt) {
		sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) == SQLITE_ROW)
			status = g_strdup((const char *)sqlite3_column_text(stmt, 0));
		sqlite3_reset(stmt);
	}
	g_set_error(error, STORE_ERROR, STORE_ERROR_DUPLICATE,
		    "results file '%s' already has this run (key %.16s..., status %s)",
		    store_path(st), key, status ? status : "unknown");
}

struct store_run *store_run_begin(struct store *st, const struct store_run_info *info,
				  GError **error)
{
	g_autofree char *key = NULL;
	g_autofree char *started = now_iso8601();
	struct store_run *run;
	sqlite3_stmt *stmt;
	int rc;

	g_return_val_if_fail(st != NULL && info != NULL, NULL);
	g_return_val_if_fail(info->scenario && info->scenario_path && info->scenario_hash, NULL);
	g_return_val_if_fail(store_current_run(st) == NULL, NULL);
	key = store_run_key_compute(info->scenario_hash, info->overrides, info->n_overrides,
				    info->seed, info->repetition);
	if (!store_begin(st, error))
		return NULL;
	stmt = store_prepare(st,
		"INSERT INTO runs (run_key, scenario, scenario_path, scenario_hash, seed, "
		"repetition, tool_version, status, started) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'running', ?8)", error);
	if (!stmt)
		goto fail_insert;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, info->scenario, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, info->scenario_path, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, info->scenario_hash, -1, SQLITE_STATIC);
	store_bind_u64(stmt, 5, info->seed);
	sqlite3_bind_int64(stmt, 6, info->repetition);
	sqlite3_bind_text(stmt, 7, PACKAGE_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 8, started, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_CONSTRAINT) {
		set_duplicate_error(st, key, error);
		goto fail_insert;
	}
	if (rc != SQLITE_DONE) {
		store_sql_error(st, error);
		goto fail_insert;
	}
	run = g_new0(struct store_run, 1);
	run->st = st;
	run->id = sqlite3_last_insert_rowid(store_db(st));
	if (!params_insert(st, run->id, info, error) || !store_commit(st, error)) {
		g_free(run);
		goto fail_insert;
	}
	run->rows = g_array_sized_new(FALSE, FALSE, sizeof(struct row), 1024);
	run->strings = g_string_chunk_new(4096);
	run->written = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	store_fingerprint_init(&run->fp);
	store_current_run_set(st, run);
	return run;
fail_insert:
	store_rollback(st);
	return NULL;
}

int64_t store_run_id(const struct store_run *run)
{
	return run->id;
}

/* Interned: names and units repeat for every point. */
static const char *run_string(struct store_run *run, const char *s)
{
	return s ? g_string_chunk_insert_const(run->strings, s) : NULL;
}

static gboolean row_write(struct store *st, const struct row *r, int64_t run_id, GError **error)
{
	static const char *const sql[] = {
		[ROW_SCALAR] = "INSERT INTO scalars (run_id, name, unit, value) "
			       "VALUES (?1, ?2, ?3, ?4)",
		[ROW_BUCKET] = "INSERT INTO histograms (run_id, name, unit, lo, hi, count) "
			       "VALUES (?1, ?2, ?3, ?5, ?6, ?7)",
		[ROW_POINT] = "INSERT INTO series (run_id, name, unit, t_ns, value) "
			      "VALUES (?1, ?2, ?3, ?5, ?4)",
		[ROW_REQUEST] = "INSERT INTO requests (run_id, request, host, kind, size, tag, "
				"arrival_ns, completion_ns, outcome, cause, stages) "
				"VALUES (?1, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
		[ROW_TRACE] = "INSERT INTO trace (run_id, t_ns, entity, event) "
			      "VALUES (?1, ?5, ?2, ?3)",
	};
	sqlite3_stmt *stmt = store_prepare(st, sql[r->kind], error);

	if (!stmt)
		return FALSE;
	/* One numbering for every kind: each statement uses what it needs. */
	sqlite3_bind_int64(stmt, 1, run_id);
	if (r->kind == ROW_REQUEST) {
		const struct store_request *q = &r->request;

		store_bind_u64(stmt, 8, q->id);
		sqlite3_bind_text(stmt, 9, q->host, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 10, q->kind, -1, SQLITE_STATIC);
		store_bind_u64(stmt, 11, q->size);
		sqlite3_bind_text(stmt, 12, q->tag, -1, SQLITE_STATIC);
		store_bind_u64(stmt, 13, q->arrival_ns);
		if (q->completion_ns != STORE_TIME_NONE)
			store_bind_u64(stmt, 14, q->completion_ns);
		sqlite3_bind_text(stmt, 15, q->outcome, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 16, q->cause, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 17, q->stages, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_text(stmt, 2, r->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, r->unit, -1, SQLITE_STATIC);
		if (r->kind == ROW_SCALAR || r->kind == ROW_POINT)
			sqlite3_bind_double(stmt, 4, r->value);	/* NaN binds as NULL */
		if (r->kind != ROW_SCALAR)
			store_bind_u64(stmt, 5, r->a);
		if (r->kind == ROW_BUCKET) {
			store_bind_u64(stmt, 6, r->b);
			store_bind_u64(stmt, 7, r->c);
		}
	}
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_sql_error(st, error);
		return FALSE;
	}
	return TRUE;
}

static void rows_drop(struct store_run *run)
{
	g_array_set_size(run->rows, 0);
	g_string_chunk_clear(run->strings);
}

/* Commits the buffered rows and, when STATUS is set, the run's new status
 * in the same transaction. */
static gboolean run_commit(struct store_run *run, const char *status, uint64_t events,
			   double wall_s, const char *message, GError **error)
{
	struct store *st = run->st;
	sqlite3_stmt *stmt;

	if (!store_begin(st, error))
		return FALSE;
	for (unsigned i = 0; i < run->rows->len; i++)
		if (!row_write(st, &g_array_index(run->rows, struct row, i), run->id, error))
			goto fail_write;
	if (status) {
		g_autofree char *finished = now_iso8601();
		char fingerprint[17];

		stmt = store_prepare(st, "UPDATE runs SET status = ?2, finished = ?3, wall_s = ?4, "
				     "events = ?5, fingerprint = ?6, error = ?7 WHERE id = ?1", error);
		if (!stmt)
			goto fail_write;
		sqlite3_bind_int64(stmt, 1, run->id);
		sqlite3_bind_text(stmt, 2, status, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, finished, -1, SQLITE_STATIC);
		if (!message) {
			snprintf(fingerprint, sizeof(fingerprint), STORE_FINGERPRINT_FORMAT,
				 run->fingerprint);
			sqlite3_bind_double(stmt, 4, wall_s);
			store_bind_u64(stmt, 5, events);
			sqlite3_bind_text(stmt, 6, fingerprint, -1, SQLITE_TRANSIENT);
		}
		sqlite3_bind_text(stmt, 7, message, -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			store_sql_error(st, error);
			goto fail_write;
		}
	}
	if (!store_commit(st, error))
		goto fail_write;
	rows_drop(run);
	return TRUE;
fail_write:
	store_rollback(st);
	return FALSE;
}

static struct row *row_push(struct store_run *run, enum row_kind kind)
{
	struct row *r;

	g_array_set_size(run->rows, run->rows->len + 1);
	r = &g_array_index(run->rows, struct row, run->rows->len - 1);
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	return r;
}

/* Commits when a batch is full. */
static gboolean batch_check(struct store_run *run, GError **error)
{
	if (run->rows->len < STORE_BATCH_ROWS)
		return TRUE;
	return run_commit(run, NULL, 0, 0.0, NULL, error);
}

/* KIND:NAME may be written once per run. */
static gboolean name_claim(struct store_run *run, const char *kind, const char *name,
			   GError **error)
{
	char *key = g_strconcat(kind, ":", name, NULL);

	if (!g_hash_table_add(run->written, key)) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_DUPLICATE,
			    "%s '%s' is written twice in one run", kind, name);
		return FALSE;
	}
	return TRUE;
}

gboolean store_scalar_add(struct store_run *run, const char *name, double value,
			  const char *unit, GError **error)
{
	struct row *r;

	g_return_val_if_fail(run != NULL && run->state == RUN_OPEN && name != NULL, FALSE);
	if (!name_claim(run, "scalar", name, error))
		return FALSE;
	r = row_push(run, ROW_SCALAR);
	r->name = run_string(run, name);
	r->unit = run_string(run, unit);
	r->value = value;
	store_fingerprint_scalar(&run->fp, name, unit, value);
	return batch_check(run, error);
}

struct hist_rows {
	struct store_run *run;
	const char *name, *unit;
};

static gboolean hist_bucket(uint64_t lo, uint64_t hi, uint64_t count, void *user_data)
{
	struct hist_rows *h = user_data;
	struct row *r = row_push(h->run, ROW_BUCKET);

	r->name = h->name;
	r->unit = h->unit;
	r->a = lo;
	r->b = hi;
	r->c = count;
	store_fingerprint_bucket(&h->run->fp, h->name, h->unit, lo, hi, count);
	return FALSE;
}

gboolean store_hist_add(struct store_run *run, const char *name, const struct sim_hist *h,
			const char *unit, GError **error)
{
	struct hist_rows rows = { run, NULL, NULL };

	g_return_val_if_fail(run != NULL && run->state == RUN_OPEN && name && h, FALSE);
	if (!name_claim(run, "histogram", name, error))
		return FALSE;
	rows.name = run_string(run, name);
	rows.unit = run_string(run, unit);
	/* A histogram has at most a few thousand buckets: one batch may run
	 * over by that much. */
	sim_hist_foreach(h, hist_bucket, &rows);
	return batch_check(run, error);
}

gboolean store_series_add(struct store_run *run, const char *name, const char *unit,
			  uint64_t t_ns, double value, GError **error)
{
	struct row *r;

	g_return_val_if_fail(run != NULL && run->state == RUN_OPEN && name != NULL, FALSE);
	r = row_push(run, ROW_POINT);
	r->name = run_string(run, name);
	r->unit = run_string(run, unit);
	r->a = t_ns;
	r->value = value;
	store_fingerprint_point(&run->fp, name, unit, t_ns, value);
	return batch_check(run, error);
}

gboolean store_request_add(struct store_run *run, const struct store_request *request,
			   GError **error)
{
	struct store_request *q;

	g_return_val_if_fail(run != NULL && run->state == RUN_OPEN && request != NULL, FALSE);
	g_return_val_if_fail(request->kind != NULL && request->outcome != NULL, FALSE);
	q = &row_push(run, ROW_REQUEST)->request;
	*q = *request;
	q->host = run_string(run, request->host);
	q->kind = run_string(run, request->kind);
	q->tag = run_string(run, request->tag);
	q->outcome = run_string(run, request->outcome);
	q->cause = run_string(run, request->cause);
	q->stages = request->stages ? g_string_chunk_insert(run->strings, request->stages) : NULL;
	return batch_check(run, error);
}

gboolean store_trace_add(struct store_run *run, uint64_t t_ns, const char *entity,
			 const char *event, GError **error)
{
	struct row *r;

	g_return_val_if_fail(run != NULL && run->state == RUN_OPEN && entity && event, FALSE);
	r = row_push(run, ROW_TRACE);
	r->a = t_ns;
	r->name = run_string(run, entity);
	/* Events rarely repeat: not worth interning. */
	r->unit = g_string_chunk_insert(run->strings, event);
	return batch_check(run, error);
}

gboolean store_run_finish(struct store_run *run, uint64_t events, double wall_s, GError **error)
{
	g_return_val_if_fail(run != NULL && run->state == RUN_OPEN, FALSE);
	run->fingerprint = store_fingerprint_final(&run->fp, events);
	if (!run_commit(run, "complete", events, wall_s, NULL, error))
		return FALSE;
	run->state = RUN_FINISHED;
	return TRUE;
}

gboolean store_run_fail(struct store_run *run, const char *message, GError **error)
{
	g_return_val_if_fail(run != NULL && run->state == RUN_OPEN && message != NULL, FALSE);
	rows_drop(run);
	if (!run_commit(run, "failed", 0, 0.0, message, error))
		return FALSE;
	run->state = RUN_FAILED;
	return TRUE;
}

void store_run_free(struct store_run *run)
{
	if (!run)
		return;
	/* Best effort: the run stays 'running' whether or not this works. */
	if (run->state == RUN_OPEN && run->rows->len)
		run_commit(run, NULL, 0, 0.0, NULL, NULL);
	store_current_run_set(run->st, NULL);
	g_array_free(run->rows, TRUE);
	g_string_chunk_free(run->strings);
	g_hash_table_destroy(run->written);
	g_free(run);
}
