/* Opening results files: schema creation and checks, shared helpers. */
#include "store/internal.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

G_DEFINE_QUARK(dcdsim-store-error-quark, store_error)

struct store {
	sqlite3 *db;
	char *path;
	GHashTable *statements;		/* SQL literal -> sqlite3_stmt */
	struct store_run *run;		/* being written, or NULL */
};

/* Version 1.  A change here is a new STORE_SCHEMA_VERSION, and
 * docs/results-schema.md follows. */
static const char schema_sql[] =
	"CREATE TABLE meta (\n"
	"  key TEXT PRIMARY KEY,\n"
	"  value TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE runs (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  run_key TEXT NOT NULL UNIQUE,\n"
	"  scenario TEXT NOT NULL,\n"
	"  scenario_path TEXT NOT NULL,\n"
	"  scenario_hash TEXT NOT NULL,\n"
	"  seed INTEGER NOT NULL,\n"
	"  repetition INTEGER NOT NULL,\n"
	"  tool_version TEXT NOT NULL,\n"
	"  status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),\n"
	"  started TEXT NOT NULL,\n"
	"  finished TEXT,\n"
	"  wall_s REAL,\n"
	"  events INTEGER,\n"
	"  fingerprint TEXT,\n"
	"  error TEXT\n"
	");\n"
	"CREATE TABLE params (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  position INTEGER NOT NULL,\n"
	"  name TEXT NOT NULL,\n"
	"  value TEXT NOT NULL,\n"
	"  given INTEGER NOT NULL,\n"
	"  PRIMARY KEY (run_id, position)\n"
	");\n"
	"CREATE TABLE scalars (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  name TEXT NOT NULL,\n"
	"  value REAL,\n"
	"  unit TEXT,\n"
	"  PRIMARY KEY (run_id, name)\n"
	");\n"
	"CREATE TABLE histograms (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  name TEXT NOT NULL,\n"
	"  unit TEXT,\n"
	"  lo INTEGER NOT NULL,\n"
	"  hi INTEGER NOT NULL,\n"
	"  count INTEGER NOT NULL,\n"
	"  PRIMARY KEY (run_id, name, lo)\n"
	");\n"
	"CREATE TABLE series (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  name TEXT NOT NULL,\n"
	"  unit TEXT,\n"
	"  t_ns INTEGER NOT NULL,\n"
	"  value REAL\n"
	");\n"
	"CREATE INDEX series_by_run ON series (run_id, name, t_ns);\n"
	"CREATE TABLE requests (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  request INTEGER NOT NULL,\n"
	"  host TEXT,\n"
	"  kind TEXT NOT NULL,\n"
	"  size INTEGER NOT NULL,\n"
	"  tag TEXT,\n"
	"  arrival_ns INTEGER NOT NULL,\n"
	"  completion_ns INTEGER,\n"
	"  outcome TEXT NOT NULL,\n"
	"  cause TEXT,\n"
	"  stages TEXT\n"
	");\n"
	"CREATE INDEX requests_by_run ON requests (run_id, request);\n"
	"CREATE TABLE trace (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  t_ns INTEGER NOT NULL,\n"
	"  entity TEXT NOT NULL,\n"
	"  event TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX trace_by_run ON trace (run_id, t_ns);\n";

sqlite3 *store_db(const struct store *st)
{
	return st->db;
}

const char *store_path(const struct store *st)
{
	return st->path;
}

struct store_run *store_current_run(const struct store *st)
{
	return st->run;
}

void store_current_run_set(struct store *st, struct store_run *run)
{
	st->run = run;
}

void store_sql_error(const struct store *st, GError **error)
{
	g_set_error(error, STORE_ERROR, STORE_ERROR_SQL, "results file '%s': %s", st->path,
		    sqlite3_errmsg(st->db));
}

sqlite3_stmt *store_prepare(struct store *st, const char *sql, GError **error)
{
	sqlite3_stmt *stmt = g_hash_table_lookup(st->statements, sql);

	if (stmt) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return stmt;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) !=
	    SQLITE_OK) {
		store_sql_error(st, error);
		return NULL;
	}
	g_hash_table_insert(st->statements, (char *)sql, stmt);
	return stmt;
}

gboolean store_exec(struct store *st, const char *sql, GError **error)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		store_sql_error(st, error);
		return FALSE;
	}
	return TRUE;
}

gboolean store_begin(struct store *st, GError **error)
{
	return store_exec(st, "BEGIN IMMEDIATE", error);
}

gboolean store_commit(struct store *st, GError **error)
{
	return store_exec(st, "COMMIT", error);
}

void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Reads one integer; -1 with ERROR set when SQL fails. */
static sqlite3_int64 query_int(struct store *st, const char *sql, GError **error)
{
	sqlite3_stmt *stmt = store_prepare(st, sql, error);
	sqlite3_int64 v;

	if (!stmt)
		return -1;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		store_sql_error(st, error);
		return -1;
	}
	v = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return v;
}

static gboolean schema_create(struct store *st, GError **error)
{
	g_autofree char *meta = g_strdup_printf(
		"PRAGMA user_version = %d;\n"
		"INSERT INTO meta (key, value) VALUES ('tool', 'dcdsim'), "
		"('schema_version', '%d'), ('tool_version', '%s');\n",
		STORE_SCHEMA_VERSION, STORE_SCHEMA_VERSION, PACKAGE_VERSION);

	return store_exec(st, schema_sql, error) && store_exec(st, meta, error);
}

/* Checks that the file is ours and of a schema we understand, creating the
 * schema in an empty file when CREATE. */
static gboolean schema_check(struct store *st, gboolean create, GError **error)
{
	GError *local = NULL;
	sqlite3_int64 tables, version;
	sqlite3_stmt *stmt;
	gboolean ours;

	/* The first read of the header tells a non-database file. */
	tables = query_int(st, "SELECT count(*) FROM sqlite_master", &local);
	if (tables < 0) {
		if (sqlite3_errcode(st->db) == SQLITE_NOTADB)
			g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_SQLITE,
				    "'%s' is not a dcdsim results file (not an SQLite database)",
				    st->path);
		else
			g_propagate_error(error, g_steal_pointer(&local));
		g_clear_error(&local);
		return FALSE;
	}
	if (tables == 0 && create) {
		/* Another process may be creating it too: check again inside. */
		if (!store_begin(st, error))
			return FALSE;
		tables = query_int(st, "SELECT count(*) FROM sqlite_master", error);
		if (tables == 0 && schema_create(st, error))
			tables = query_int(st, "SELECT count(*) FROM sqlite_master", error);
		if (tables <= 0 || !store_commit(st, error)) {
			store_rollback(st);
			return FALSE;
		}
	}
	if (tables == 0) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_FOREIGN,
			    "'%s' is an empty SQLite database, not a dcdsim results file", st->path);
		return FALSE;
	}
	stmt = store_prepare(st, "SELECT value FROM meta WHERE key = 'tool'", NULL);
	ours = stmt && sqlite3_step(stmt) == SQLITE_ROW &&
	       !g_strcmp0((const char *)sqlite3_column_text(stmt, 0), "dcdsim");
	if (stmt)
		sqlite3_reset(stmt);
	if (!ours) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_FOREIGN,
			    "'%s' is an SQLite database but not a dcdsim results file", st->path);
		return FALSE;
	}
	version = query_int(st, "PRAGMA user_version", error);
	if (version < 0)
		return FALSE;
	if (version != STORE_SCHEMA_VERSION) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_VERSION,
			    version > STORE_SCHEMA_VERSION ?
			    "results file '%s' has schema %d, this dcdsim understands up to %d: "
			    "upgrade dcdsim" :
			    "results file '%s' has schema %d, this dcdsim understands only %d",
			    st->path, (int)version, STORE_SCHEMA_VERSION);
		return FALSE;
	}
	return TRUE;
}

static void statement_free(void *stmt)
{
	sqlite3_finalize(stmt);
}

static struct store *store_open_mode(const char *path, gboolean create, GError **error)
{
	int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
	struct store *st;

	g_return_val_if_fail(path != NULL, NULL);
	if (create) {
		g_autofree char *dir = g_path_get_dirname(path);

		if (g_mkdir_with_parents(dir, 0777) < 0) {
			g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN,
				    "cannot create folder '%s' for results file '%s': %s", dir, path,
				    g_strerror(errno));
			return NULL;
		}
	} else if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		/* SQLite would say "unable to open database file". */
		g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot open results file '%s': %s",
			    path, g_file_test(path, G_FILE_TEST_EXISTS) ? "not a regular file" :
			    "no such file");
		return NULL;
	}
	st = g_new0(struct store, 1);
	st->path = g_strdup(path);
	st->statements = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					       statement_free);
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot open results file '%s': %s",
			    path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail_open;
	}
	/* Writers share the file: wait for another's short commit. */
	sqlite3_busy_timeout(st->db, 60000);
	if (!store_exec(st, "PRAGMA foreign_keys = ON", error) || !schema_check(st, create, error))
		goto fail_open;
	return st;
fail_open:
	store_close(st);
	return NULL;
}

struct store *store_open(const char *path, GError **error)
{
	return store_open_mode(path, TRUE, error);
}

struct store *store_open_read(const char *path, GError **error)
{
	return store_open_mode(path, FALSE, error);
}

void store_close(struct store *st)
{
	if (!st)
		return;
	store_run_free(st->run);
	/* Statements first: sqlite3_close() refuses while any is alive. */
	g_hash_table_destroy(st->statements);
	sqlite3_close(st->db);
	g_free(st->path);
	g_free(st);
}

char *store_scenario_hash(const char *contents, size_t len)
{
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)contents, len);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *store_run_key_compute(const char *scenario_hash, const char *const *overrides,
			    size_t n_overrides, uint64_t seed, uint32_t repetition)
{
	g_autofree const char **sorted = g_memdup2(overrides, n_overrides * sizeof(*overrides));
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	char numbers[64];
	char *key;

	g_return_val_if_fail(scenario_hash != NULL, NULL);
	/* Each field ends with its NUL, so no two field lists collide. */
	g_checksum_update(sum, (const guchar *)"dcdsim-run-key-1", sizeof("dcdsim-run-key-1"));
	g_checksum_update(sum, (const guchar *)scenario_hash, (gssize)strlen(scenario_hash) + 1);
	snprintf(numbers, sizeof(numbers), "%" G_GUINT64_FORMAT " %" G_GUINT32_FORMAT, seed,
		 repetition);
	g_checksum_update(sum, (const guchar *)numbers, (gssize)strlen(numbers) + 1);
	if (n_overrides)
		qsort(sorted, n_overrides, sizeof(*sorted), compare_strings);
	for (size_t i = 0; i < n_overrides; i++)
		g_checksum_update(sum, (const guchar *)sorted[i], (gssize)strlen(sorted[i]) + 1);
	key = g_strdup(g_checksum_get_string(sum));
	g_checksum_free(sum);
	return key;
}
