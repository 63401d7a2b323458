/* Reading results back, deleting incomplete runs, merging files. */
#include "store/internal.h"

#include "sim/stats.h"

#include <math.h>

/* Text or NULL. */
static const char *column_text(sqlite3_stmt *stmt, int i)
{
	return (const char *)sqlite3_column_text(stmt, i);
}

/* REAL or NaN for NULL (SQLite stores NaN as NULL). */
static double column_double(sqlite3_stmt *stmt, int i)
{
	return sqlite3_column_type(stmt, i) == SQLITE_NULL ? NAN : sqlite3_column_double(stmt, i);
}

/* Steps STMT, calling ROW for each result until it asks to stop. */
static gboolean rows_foreach(struct store *st, sqlite3_stmt *stmt,
			     gboolean (*row)(sqlite3_stmt *stmt, void *data), void *data,
			     GError **error)
{
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if (row(stmt, data))
			break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_sql_error(st, error);
		return FALSE;
	}
	sqlite3_reset(stmt);
	return TRUE;
}

/* A prepared statement with the run id bound to ?1 (and NAME to ?2). */
static sqlite3_stmt *run_query(struct store *st, const char *sql, int64_t run_id,
			       const char *name, GError **error)
{
	sqlite3_stmt *stmt = store_prepare(st, sql, error);

	if (stmt) {
		sqlite3_bind_int64(stmt, 1, run_id);
		if (name)
			sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	}
	return stmt;
}

/* A caller's callback, for the row readers. */
struct callback {
	union {
		store_run_fn run;
		store_param_fn param;
		store_scalar_fn scalar;
		store_point_fn point;
		store_request_fn request;
		store_trace_fn trace;
		store_name_fn name;
	} fn;
	void *user_data;
};

static gboolean run_row(sqlite3_stmt *stmt, void *data)
{
	const struct callback *cb = data;
	struct store_run_record r = {
		.id = sqlite3_column_int64(stmt, 0),
		.run_key = column_text(stmt, 1),
		.scenario = column_text(stmt, 2),
		.scenario_path = column_text(stmt, 3),
		.scenario_hash = column_text(stmt, 4),
		.seed = store_column_u64(stmt, 5),
		.repetition = (uint32_t)sqlite3_column_int64(stmt, 6),
		.tool_version = column_text(stmt, 7),
		.status = column_text(stmt, 8),
		.started = column_text(stmt, 9),
		.finished = column_text(stmt, 10),
		.wall_s = column_double(stmt, 11),
		.events = store_column_u64(stmt, 12),
		.fingerprint = column_text(stmt, 13),
		.error = column_text(stmt, 14),
	};

	return cb->fn.run(&r, cb->user_data);
}

gboolean store_runs_foreach(struct store *st, store_run_fn fn, void *user_data, GError **error)
{
	struct callback cb = { .fn.run = fn, .user_data = user_data };
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT id, run_key, scenario, scenario_path, scenario_hash, seed, repetition, "
		"tool_version, status, started, finished, wall_s, events, fingerprint, error "
		"FROM runs ORDER BY id", error);

	return stmt && rows_foreach(st, stmt, run_row, &cb, error);
}

static gboolean param_row(sqlite3_stmt *stmt, void *data)
{
	const struct callback *cb = data;
	struct store_param p = {
		column_text(stmt, 0), column_text(stmt, 1), sqlite3_column_int(stmt, 2) != 0,
	};

	return cb->fn.param(&p, cb->user_data);
}

gboolean store_params_foreach(struct store *st, int64_t run_id, store_param_fn fn,
			      void *user_data, GError **error)
{
	struct callback cb = { .fn.param = fn, .user_data = user_data };
	sqlite3_stmt *stmt = run_query(st, "SELECT name, value, given FROM params "
				       "WHERE run_id = ?1 ORDER BY position", run_id, NULL, error);

	return stmt && rows_foreach(st, stmt, param_row, &cb, error);
}

static gboolean scalar_row(sqlite3_stmt *stmt, void *data)
{
	const struct callback *cb = data;

	return cb->fn.scalar(column_text(stmt, 0), column_double(stmt, 1),
					 column_text(stmt, 2), cb->user_data);
}

gboolean store_scalars_foreach(struct store *st, int64_t run_id, store_scalar_fn fn,
			       void *user_data, GError **error)
{
	struct callback cb = { .fn.scalar = fn, .user_data = user_data };
	sqlite3_stmt *stmt = run_query(st, "SELECT name, value, unit FROM scalars "
				       "WHERE run_id = ?1 ORDER BY rowid", run_id, NULL, error);

	return stmt && rows_foreach(st, stmt, scalar_row, &cb, error);
}

gboolean store_scalar_get(struct store *st, int64_t run_id, const char *name, double *value,
			  GError **error)
{
	sqlite3_stmt *stmt = run_query(st, "SELECT value FROM scalars WHERE run_id = ?1 AND "
				       "name = ?2", run_id, name, error);
	int rc;

	if (!stmt)
		return FALSE;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*value = column_double(stmt, 0);
	else if (rc == SQLITE_DONE)
		g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
			    "results file '%s': run %" G_GINT64_FORMAT " has no scalar '%s'",
			    store_path(st), run_id, name);
	else
		store_sql_error(st, error);
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW;
}

static gboolean bucket_row(sqlite3_stmt *stmt, void *data)
{
	sim_hist_add_bucket_count(data, store_column_u64(stmt, 0), store_column_u64(stmt, 1));
	return FALSE;
}

gboolean store_hist_load(struct store *st, int64_t run_id, const char *name, struct sim_hist *h,
			 GError **error)
{
	sqlite3_stmt *stmt = run_query(st, "SELECT lo, count FROM histograms WHERE run_id = ?1 "
				       "AND name = ?2 ORDER BY lo", run_id, name, error);

	return stmt && rows_foreach(st, stmt, bucket_row, h, error);
}

static gboolean point_row(sqlite3_stmt *stmt, void *data)
{
	const struct callback *cb = data;

	return cb->fn.point(store_column_u64(stmt, 0), column_double(stmt, 1),
					cb->user_data);
}

gboolean store_series_foreach(struct store *st, int64_t run_id, const char *name,
			      store_point_fn fn, void *user_data, GError **error)
{
	struct callback cb = { .fn.point = fn, .user_data = user_data };
	sqlite3_stmt *stmt = run_query(st, "SELECT t_ns, value FROM series WHERE run_id = ?1 "
				       "AND name = ?2 ORDER BY t_ns, rowid", run_id, name, error);

	return stmt && rows_foreach(st, stmt, point_row, &cb, error);
}

static gboolean request_row(sqlite3_stmt *stmt, void *data)
{
	const struct callback *cb = data;
	struct store_request q = {
		.id = store_column_u64(stmt, 0),
		.host = column_text(stmt, 1),
		.kind = column_text(stmt, 2),
		.size = store_column_u64(stmt, 3),
		.tag = column_text(stmt, 4),
		.arrival_ns = store_column_u64(stmt, 5),
		.completion_ns = sqlite3_column_type(stmt, 6) == SQLITE_NULL ?
				 STORE_TIME_NONE : store_column_u64(stmt, 6),
		.outcome = column_text(stmt, 7),
		.cause = column_text(stmt, 8),
		.stages = column_text(stmt, 9),
	};

	return cb->fn.request(&q, cb->user_data);
}

gboolean store_requests_foreach(struct store *st, int64_t run_id, store_request_fn fn,
				void *user_data, GError **error)
{
	struct callback cb = { .fn.request = fn, .user_data = user_data };
	sqlite3_stmt *stmt = run_query(st,
		"SELECT request, host, kind, size, tag, arrival_ns, completion_ns, outcome, cause, "
		"stages FROM requests WHERE run_id = ?1 ORDER BY rowid", run_id, NULL, error);

	return stmt && rows_foreach(st, stmt, request_row, &cb, error);
}

static gboolean trace_row(sqlite3_stmt *stmt, void *data)
{
	const struct callback *cb = data;

	return cb->fn.trace(store_column_u64(stmt, 0), column_text(stmt, 1),
					column_text(stmt, 2), cb->user_data);
}

gboolean store_trace_foreach(struct store *st, int64_t run_id, store_trace_fn fn,
			     void *user_data, GError **error)
{
	struct callback cb = { .fn.trace = fn, .user_data = user_data };
	sqlite3_stmt *stmt = run_query(st, "SELECT t_ns, entity, event FROM trace "
				       "WHERE run_id = ?1 ORDER BY rowid", run_id, NULL, error);

	return stmt && rows_foreach(st, stmt, trace_row, &cb, error);
}

static gboolean name_row(sqlite3_stmt *stmt, void *data)
{
	const struct callback *cb = data;

	return cb->fn.name(column_text(stmt, 0), cb->user_data);
}

gboolean store_names_foreach(struct store *st, int64_t run_id, enum store_table table,
			     const char *prefix, store_name_fn fn, void *user_data,
			     GError **error)
{
	/* The primary keys and series_by_run cover (run_id, name): no sort. */
	static const char *const sql[] = {
		[STORE_TABLE_SCALARS] = "SELECT DISTINCT name FROM scalars WHERE run_id = ?1 AND "
					"substr(name, 1, length(?2)) = ?2 ORDER BY name",
		[STORE_TABLE_HISTOGRAMS] = "SELECT DISTINCT name FROM histograms WHERE run_id = ?1 "
					   "AND substr(name, 1, length(?2)) = ?2 ORDER BY name",
		[STORE_TABLE_SERIES] = "SELECT DISTINCT name FROM series WHERE run_id = ?1 AND "
				       "substr(name, 1, length(?2)) = ?2 ORDER BY name",
	};
	struct callback cb = { .fn.name = fn, .user_data = user_data };
	sqlite3_stmt *stmt;

	g_return_val_if_fail((size_t)table < G_N_ELEMENTS(sql), FALSE);
	stmt = run_query(st, sql[table], run_id, prefix ? prefix : "", error);
	return stmt && rows_foreach(st, stmt, name_row, &cb, error);
}

static gboolean fingerprint_scalar_row(sqlite3_stmt *stmt, void *data)
{
	store_fingerprint_scalar(data, column_text(stmt, 0), column_text(stmt, 1),
				 column_double(stmt, 2));
	return FALSE;
}

static gboolean fingerprint_bucket_row(sqlite3_stmt *stmt, void *data)
{
	store_fingerprint_bucket(data, column_text(stmt, 0), column_text(stmt, 1),
				 store_column_u64(stmt, 2), store_column_u64(stmt, 3),
				 store_column_u64(stmt, 4));
	return FALSE;
}

static gboolean fingerprint_point_row(sqlite3_stmt *stmt, void *data)
{
	store_fingerprint_point(data, column_text(stmt, 0), column_text(stmt, 1),
				store_column_u64(stmt, 2), column_double(stmt, 3));
	return FALSE;
}

gboolean store_run_fingerprint_recompute(struct store *st, int64_t run_id, uint64_t *fingerprint,
					 GError **error)
{
	/* Each table in rowid order is its write order. */
	static const struct {
		const char *sql;
		gboolean (*row)(sqlite3_stmt *stmt, void *data);
	} tables[] = {
		{ "SELECT name, unit, value FROM scalars WHERE run_id = ?1 ORDER BY rowid",
		  fingerprint_scalar_row },
		{ "SELECT name, unit, lo, hi, count FROM histograms WHERE run_id = ?1 ORDER BY rowid",
		  fingerprint_bucket_row },
		{ "SELECT name, unit, t_ns, value FROM series WHERE run_id = ?1 ORDER BY rowid",
		  fingerprint_point_row },
		{ "SELECT events FROM runs WHERE id = ?1", NULL },
	};
	struct store_fingerprint fp;
	sqlite3_stmt *stmt;
	uint64_t events;
	int rc;

	store_fingerprint_init(&fp);
	for (size_t i = 0; i + 1 < G_N_ELEMENTS(tables); i++) {
		stmt = run_query(st, tables[i].sql, run_id, NULL, error);
		if (!stmt || !rows_foreach(st, stmt, tables[i].row, &fp, error))
			return FALSE;
	}
	stmt = run_query(st, tables[G_N_ELEMENTS(tables) - 1].sql, run_id, NULL, error);
	if (!stmt)
		return FALSE;
	rc = sqlite3_step(stmt);
	events = store_column_u64(stmt, 0);
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
			    "results file '%s' has no run %" G_GINT64_FORMAT, store_path(st), run_id);
		return FALSE;
	}
	*fingerprint = store_fingerprint_final(&fp, events);
	return TRUE;
}

gboolean store_delete_incomplete_runs(struct store *st, unsigned *deleted, GError **error)
{
	g_return_val_if_fail(store_current_run(st) == NULL, FALSE);
	/* Foreign keys cascade the delete to every table of rows. */
	if (!store_exec(st, "DELETE FROM runs WHERE status != 'complete'", error))
		return FALSE;
	if (deleted)
		*deleted = (unsigned)sqlite3_changes(store_db(st));
	return TRUE;
}

/* The tables of a run's rows and their columns but run_id, copied in
 * rowid (write) order so fingerprints recompute alike. */
static const char *const row_tables[][2] = {
	{ "params", "position, name, value, given" },
	{ "scalars", "name, value, unit" },
	{ "histograms", "name, unit, lo, hi, count" },
	{ "series", "name, unit, t_ns, value" },
	{ "requests", "request, host, kind, size, tag, arrival_ns, completion_ns, outcome, cause, "
		      "stages" },
	{ "trace", "t_ns, entity, event" },
};

static gboolean run_copy(struct store *dst, int64_t src_id, GError **error)
{
	sqlite3 *db = store_db(dst);
	sqlite3_stmt *stmt;
	int64_t dst_id;

	stmt = store_prepare(dst,
		"INSERT INTO main.runs (run_key, scenario, scenario_path, scenario_hash, seed, "
		"repetition, tool_version, status, started, finished, wall_s, events, fingerprint, "
		"error) SELECT run_key, scenario, scenario_path, scenario_hash, seed, repetition, "
		"tool_version, status, started, finished, wall_s, events, fingerprint, error "
		"FROM src.runs WHERE id = ?1", error);
	if (!stmt)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, src_id);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_sql_error(dst, error);
		return FALSE;
	}
	dst_id = sqlite3_last_insert_rowid(db);
	for (size_t i = 0; i < G_N_ELEMENTS(row_tables); i++) {
		g_autofree char *sql = g_strdup_printf(
			"INSERT INTO main.%s (run_id, %s) SELECT ?1, %s FROM src.%s "
			"WHERE run_id = ?2 ORDER BY rowid",
			row_tables[i][0], row_tables[i][1], row_tables[i][1], row_tables[i][0]);
		int rc;

		if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
			store_sql_error(dst, error);
			return FALSE;
		}
		sqlite3_bind_int64(stmt, 1, dst_id);
		sqlite3_bind_int64(stmt, 2, src_id);
		rc = sqlite3_step(stmt);
		sqlite3_finalize(stmt);
		if (rc != SQLITE_DONE) {
			store_sql_error(dst, error);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean id_row(sqlite3_stmt *stmt, void *data)
{
	int64_t id = sqlite3_column_int64(stmt, 0);

	g_array_append_val(data, id);
	return FALSE;
}

gboolean store_merge(struct store *dst, const char *src_path, unsigned *added, GError **error)
{
	struct store *src;
	GArray *ids = NULL;
	sqlite3_stmt *stmt;
	gboolean ok = FALSE;

	g_return_val_if_fail(dst != NULL && src_path != NULL, FALSE);
	g_return_val_if_fail(store_current_run(dst) == NULL, FALSE);
	/* Opening it alone checks that it is ours and of our schema. */
	src = store_open_read(src_path, error);
	if (!src)
		return FALSE;
	store_close(src);
	stmt = store_prepare(dst, "ATTACH DATABASE ?1 AS src", error);
	if (!stmt)
		return FALSE;
	sqlite3_bind_text(stmt, 1, src_path, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_sql_error(dst, error);
		return FALSE;
	}
	sqlite3_reset(stmt);
	if (!store_begin(dst, error))
		goto fail_begin;
	ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	stmt = store_prepare(dst, "SELECT id FROM src.runs WHERE status = 'complete' AND run_key "
			     "NOT IN (SELECT run_key FROM main.runs) ORDER BY id", error);
	if (!stmt || !rows_foreach(dst, stmt, id_row, ids, error))
		goto fail_copy;
	for (unsigned i = 0; i < ids->len; i++)
		if (!run_copy(dst, g_array_index(ids, int64_t, i), error))
			goto fail_copy;
	if (!store_commit(dst, error))
		goto fail_copy;
	if (added)
		*added = ids->len;
	ok = TRUE;
	goto detach;
fail_copy:
	store_rollback(dst);
detach:
	g_array_free(ids, TRUE);
fail_begin:
	/* Every statement on src was reset, so it detaches. */
	store_exec(dst, "DETACH DATABASE src", NULL);
	return ok;
}
