/* Private to src/store: what its .c files share. */
#ifndef DCDSIM_STORE_INTERNAL_H
#define DCDSIM_STORE_INTERNAL_H

#include "store/store.h"

#include <sqlite3.h>

sqlite3 *store_db(const struct store *st);
/* Sets ERROR (STORE_ERROR_SQL) from the database's last error. */
void store_sql_error(const struct store *st, GError **error);
/* SQL's prepared statement, cached by the address of SQL (pass string
 * literals), reset and with its bindings cleared. */
sqlite3_stmt *store_prepare(struct store *st, const char *sql, GError **error);
gboolean store_exec(struct store *st, const char *sql, GError **error);
/* BEGIN IMMEDIATE / COMMIT; rollback never fails the caller further. */
gboolean store_begin(struct store *st, GError **error);
gboolean store_commit(struct store *st, GError **error);
void store_rollback(struct store *st);

/* The run being written, so store_close() can free it. */
struct store_run *store_current_run(const struct store *st);
void store_current_run_set(struct store *st, struct store_run *run);

/* Binds an unsigned 64-bit value as the same 64 bits. */
static inline int store_bind_u64(sqlite3_stmt *stmt, int i, uint64_t v)
{
	return sqlite3_bind_int64(stmt, i, (sqlite3_int64)v);
}

static inline uint64_t store_column_u64(sqlite3_stmt *stmt, int i)
{
	return (uint64_t)sqlite3_column_int64(stmt, i);
}

/* The fingerprint accumulates one FNV-1a hash per table, so that it can
 * be recomputed from the stored rows of each table in rowid order. */
struct store_fingerprint {
	uint64_t scalars;
	uint64_t buckets;
	uint64_t points;
};

void store_fingerprint_init(struct store_fingerprint *f);
void store_fingerprint_scalar(struct store_fingerprint *f, const char *name, const char *unit,
			      double value);
void store_fingerprint_bucket(struct store_fingerprint *f, const char *name, const char *unit,
			      uint64_t lo, uint64_t hi, uint64_t count);
void store_fingerprint_point(struct store_fingerprint *f, const char *name, const char *unit,
			     uint64_t t_ns, double value);
uint64_t store_fingerprint_final(const struct store_fingerprint *f, uint64_t events);

#endif
