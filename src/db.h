/* db.h - the only module that speaks libpq.
 *
 * One query helper checks every result and classifies failures by
 * SQLSTATE into temporary (retry: the MTA gets 75) and the rest. */
#ifndef DM_DB_H
#define DM_DB_H

#include <signal.h>

#include <glib.h>
#include <libpq-fe.h>

#include "status.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PGresult, PQclear)

struct dm_db;
typedef struct dm_db DmDb;

/* Connect with CONNINFO (borrowed).  DBNAME_OVERRIDE, when not NULL,
 * replaces the database name (db init connects to "postgres" first).
 * CONNECT_TIMEOUT in seconds; STATEMENT_TIMEOUT and LOCK_TIMEOUT in ms
 * (0 = none) are set for the session (statements outside a transaction)
 * and again in every transaction by dm_db_begin, because a pooler such as
 * PgBouncer drops the session's.  Returns DM_TEMPFAIL when the server
 * cannot be reached; *DB_OUT is set only on DM_OK.  Free with dm_db_free. */
enum dm_status dm_db_connect(const char *conninfo, const char *dbname_override,
			     int connect_timeout, int statement_timeout, int lock_timeout,
			     struct dm_db **db_out);
void dm_db_free(struct dm_db *db);

/* Connections made from now on in this process use named prepared
 * statements (each SQL text parsed once per connection, its plan cached).
 * For processes that keep their connection (`deskmail serve`); not behind
 * a pooler in transaction mode that does not track them. */
void dm_db_prepare_statements(gboolean on);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmDb, dm_db_free)

/* LISTEN on CHANNEL (an identifier of ours, never input). */
enum dm_status dm_db_listen(struct dm_db *db, const char *channel);

/* Wait up to TIMEOUT_MS for a notification on a channel DB listens on:
 * 1 when one came (all pending ones are consumed), 0 on timeout or a
 * signal, -1 when the connection is broken.  DURING (or NULL) is the
 * signal mask while waiting (ppoll): a caller that blocks its stop signal
 * elsewhere cannot miss it between its check and the wait. */
int dm_db_wait_notify(struct dm_db *db, int timeout_ms, const sigset_t *during);

/* From now on every transaction's statement_timeout is cut to what is
 * left until DEADLINE (g_get_monotonic_time(); 0 = no deadline), and
 * dm_db_begin fails with DM_TEMPFAIL once it has passed. */
void dm_db_set_deadline(struct dm_db *db, gint64 deadline);

/* TRUE when DB is connected and idle: a resident service reuses such a
 * connection and replaces any other.  A server that closed the
 * connection while it was idle is noticed here, without waiting. */
gboolean dm_db_usable(struct dm_db *db);

/* The last error as one line ("" when none).  Borrowed, valid until the
 * next call on DB. */
const char *dm_db_error(struct dm_db *db);

/* The SQLSTATE of the last failure, or "" when none.  Borrowed. */
const char *dm_db_sqlstate(struct dm_db *db);

/* Run SQL with N text parameters (VALUES[i] may be NULL for SQL NULL).
 * On success returns DM_OK and, if RES is not NULL, the result (caller
 * frees with PQclear; g_autoptr(PGresult)).  On failure returns the
 * classified status and stores the error for dm_db_error(). */
enum dm_status dm_db_query(struct dm_db *db, const char *sql, int n, const char *const *values,
			   PGresult **res);

/* Like dm_db_query, with per-parameter lengths and formats (1 = binary),
 * for bytea. */
enum dm_status dm_db_query_bin(struct dm_db *db, const char *sql, int n,
			       const char *const *values, const int *lengths, const int *formats,
			       PGresult **res);

/* Queue SQL, a statement whose result nobody reads, with copies of its
 * parameters: it is sent in one pipeline with the next statement that
 * needs an answer (dm_db_query*, dm_db_commit, a script, a COPY), which
 * then also reports its failure.  Always DM_OK.  Only for statements
 * whose failure ends the transaction anyway. */
enum dm_status dm_db_write(struct dm_db *db, const char *sql, int n, const char *const *values);
enum dm_status dm_db_write_bin(struct dm_db *db, const char *sql, int n, const char *const *values,
			       const int *lengths, const int *formats);

/* Run a script of several statements without parameters (migrations). */
enum dm_status dm_db_exec_script(struct dm_db *db, const char *sql);

/* BEGIN, with statement_timeout, lock_timeout and TimeZone set for the
 * transaction (SET LOCAL): queued like dm_db_write, so it costs no round
 * trip of its own. */
enum dm_status dm_db_begin(struct dm_db *db);
/* COMMIT, with its result checked: deferred failures surface here. */
enum dm_status dm_db_commit(struct dm_db *db);
/* ROLLBACK when a transaction is open; harmless otherwise. */
void dm_db_rollback(struct dm_db *db);

/* TRUE when the last failure was a serialization failure or deadlock,
 * which the caller may retry once in a fresh transaction. */
gboolean dm_db_retryable(struct dm_db *db);

/* The quoted PostgreSQL array literal of STRINGS, e.g. {"a","b\"c"}.
 * Caller frees with g_free. */
char *dm_db_array_literal(GPtrArray *strings);

/* A value from RES (row, column): NULL for SQL NULL.  Borrowed. */
const char *dm_db_value(const PGresult *res, int row, int col);

/* The database name CONNINFO selects, or NULL when it names none.
 * Caller frees with g_free. */
char *dm_db_conninfo_dbname(const char *conninfo);

/* CREATE DATABASE NAME unless it exists; *CREATED tells which. */
enum dm_status dm_db_create_database(struct dm_db *db, const char *name, gboolean *created);

/* COPY TABLE (COLUMNS) FROM STDIN (FORMAT binary), values in the binary
 * wire format of their column types (bigint: 8 bytes big-endian, text:
 * UTF-8 bytes, bytea: the bytes, boolean: one byte); data NULL = SQL NULL.
 * Values are streamed in chunks without being copied whole. */
struct dm_copy_field {
	const void *data;
	gsize len;
};
enum dm_status dm_db_copy_begin(struct dm_db *db, const char *sql);
enum dm_status dm_db_copy_row(struct dm_db *db, const struct dm_copy_field *fields, int n);
/* Ends the COPY (OK false: abort it); the status of the whole COPY. */
enum dm_status dm_db_copy_end(struct dm_db *db, gboolean ok);

#endif
