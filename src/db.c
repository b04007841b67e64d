/* db.c - libpq: connection, one query helper, transactions, SQLSTATE.
 *
 * Every statement in deskmail goes through dm_db_query*, which uses
 * PQexecParams only (parameters out of band, one statement per call) and
 * maps a failure to a status the exit-code policy understands. */
#include "dm-autoconf.h"

#include <string.h>

#include "db.h"
#include "log.h"

struct dm_db {
	PGconn *conn;
	char *error;
	char sqlstate[6];
};

static void
notice_to_log(void *arg, const char *message)
{
	/* A NOTICE must never reach what the MTA captures from stderr as if
	 * it were our diagnostic; log it clipped instead. */
	g_autofree char *copy = g_strchomp(g_strdup(message));
	g_autofree char *clean = dm_log_sanitize(copy, 300);
	(void) arg;
	dm_log_warn("postgresql: %s", clean);
}

static void
set_error(struct dm_db *db, const char *what, const char *sqlstate)
{
	g_free(db->error);
	g_autofree char *clean = g_strdup(what ? what : "unknown database error");
	g_strstrip(clean);
	for (char *p = clean; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	db->error = g_steal_pointer(&clean);
	g_strlcpy(db->sqlstate, sqlstate ? sqlstate : "", sizeof db->sqlstate);
}

enum dm_status
dm_db_connect(const char *conninfo, const char *dbname_override, int connect_timeout,
	      int statement_timeout, int lock_timeout, struct dm_db **db_out)
{
	g_autofree char *timeout = g_strdup_printf("%d", connect_timeout);
	g_autofree char *options = g_strdup_printf("-c statement_timeout=%d -c lock_timeout=%d "
						   "-c TimeZone=UTC -c client_min_messages=warning",
						   statement_timeout, lock_timeout);
	const char *keys[6], *vals[6];
	int i = 0;
	keys[i] = "dbname"; vals[i++] = conninfo;
	keys[i] = "connect_timeout"; vals[i++] = timeout;
	keys[i] = "application_name"; vals[i++] = "deskmail";
	keys[i] = "options"; vals[i++] = options;
	if (dbname_override) {
		keys[i] = "dbname"; vals[i++] = dbname_override;
	}
	keys[i] = NULL; vals[i] = NULL;

	struct dm_db *db = g_new0(struct dm_db, 1);
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		set_error(db, db->conn ? PQerrorMessage(db->conn) : "out of memory", NULL);
		dm_log_error("database connection failed: %s", db->error);
		dm_db_free(db);
		return DM_TEMPFAIL;
	}
	PQsetNoticeProcessor(db->conn, notice_to_log, NULL);
	set_error(db, "", NULL);
	*db_out = db;
	return DM_OK;
}

void
dm_db_free(struct dm_db *db)
{
	if (db == NULL)
		return;
	if (db->conn)
		PQfinish(db->conn);
	g_free(db->error);
	g_free(db);
}

const char *
dm_db_error(struct dm_db *db)
{
	return db->error ? db->error : "";
}

const char *
dm_db_sqlstate(struct dm_db *db)
{
	return db->sqlstate;
}

/* Map a failed result to a status.  Connection trouble, resource
 * shortage, shutdowns, timeouts, serialization failures and deadlocks are
 * temporary.  Everything else is also reported as temporary by deliver
 * (our bug or a schema problem must not bounce mail), but the admin
 * commands show it as an internal error. */
static enum dm_status
classify(struct dm_db *db, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	/* The primary message is one line without the "ERROR:" decoration. */
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	g_autofree char *first_line = NULL;
	if (msg == NULL || *msg == '\0') {
		/* libpq's own text, e.g. after the server ended the session:
		 * "FATAL:  terminating connection ...\nLINE 1: INSERT INTO ...\n
		 * ^\nserver closed the connection unexpectedly ...".  Keep the
		 * first line without the severity: the statement must not end
		 * up in the MTA's log or in a bounce. */
		const char *all = PQerrorMessage(db->conn);
		const char *sep = strstr(all, ":  ");
		if (sep && sep - all <= 8)
			all = sep + 3;
		first_line = g_strndup(all, strcspn(all, "\n"));
		msg = first_line;
	}
	set_error(db, msg, state);
	if (PQstatus(db->conn) == CONNECTION_BAD || state == NULL)
		return DM_TEMPFAIL;
	if (g_str_has_prefix(state, "08") || g_str_has_prefix(state, "53") ||
	    g_str_has_prefix(state, "57") || g_str_has_prefix(state, "58") ||
	    g_str_has_prefix(state, "40") || strcmp(state, "55P03") == 0)
		return DM_TEMPFAIL;
	return DM_INTERNAL;
}

gboolean
dm_db_retryable(struct dm_db *db)
{
	return strcmp(db->sqlstate, "40001") == 0 || strcmp(db->sqlstate, "40P01") == 0;
}

enum dm_status
dm_db_query_bin(struct dm_db *db, const char *sql, int n, const char *const *values,
		const int *lengths, const int *formats, PGresult **res_out)
{
	PGresult *res = PQexecParams(db->conn, sql, n, NULL, values, lengths, formats, 0);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		enum dm_status status = classify(db, res);
		PQclear(res);
		return status;
	}
	if (res_out)
		*res_out = res;
	else
		PQclear(res);
	return DM_OK;
}

enum dm_status
dm_db_query(struct dm_db *db, const char *sql, int n, const char *const *values, PGresult **res)
{
	return dm_db_query_bin(db, sql, n, values, NULL, NULL, res);
}

enum dm_status
dm_db_exec_script(struct dm_db *db, const char *sql)
{
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	enum dm_status status = DM_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
		status = classify(db, res);
	PQclear(res);
	return status;
}

enum dm_status
dm_db_begin(struct dm_db *db)
{
	return dm_db_query(db, "BEGIN", 0, NULL, NULL);
}

enum dm_status
dm_db_commit(struct dm_db *db)
{
	PGresult *res = PQexec(db->conn, "COMMIT");
	enum dm_status status = DM_OK;
	/* A COMMIT of an aborted transaction answers "ROLLBACK" with
	 * COMMAND_OK: that is a failure too. */
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		status = classify(db, res);
	} else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		set_error(db, "transaction was rolled back at COMMIT", NULL);
		status = DM_TEMPFAIL;
	}
	PQclear(res);
	return status;
}

void
dm_db_rollback(struct dm_db *db)
{
	if (db->conn && PQtransactionStatus(db->conn) != PQTRANS_IDLE &&
	    PQtransactionStatus(db->conn) != PQTRANS_UNKNOWN)
		PQclear(PQexec(db->conn, "ROLLBACK"));
}

char *
dm_db_array_literal(GPtrArray *strings)
{
	GString *s = g_string_new("{");
	for (guint i = 0; strings && i < strings->len; i++) {
		const char *v = strings->pdata[i];
		if (i)
			g_string_append_c(s, ',');
		g_string_append_c(s, '"');
		for (const char *p = v; *p; p++) {
			if (*p == '"' || *p == '\\')
				g_string_append_c(s, '\\');
			g_string_append_c(s, *p);
		}
		g_string_append_c(s, '"');
	}
	g_string_append_c(s, '}');
	return g_string_free(s, FALSE);
}

const char *
dm_db_value(const PGresult *res, int row, int col)
{
	if (row >= PQntuples(res) || col >= PQnfields(res) || PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

char *
dm_db_conninfo_dbname(const char *conninfo)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
	if (opts == NULL) {
		PQfreemem(err);
		return NULL;
	}
	char *name = NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "dbname") == 0 && o->val && *o->val)
			name = g_strdup(o->val);
	PQconninfoFree(opts);
	return name;
}

enum dm_status
dm_db_create_database(struct dm_db *db, const char *name, gboolean *created)
{
	g_autoptr(PGresult) res = NULL;
	const char *p[] = { name };
	enum dm_status st = dm_db_query(db, "SELECT 1 FROM pg_database WHERE datname = $1", 1, p, &res);
	*created = FALSE;
	if (st != DM_OK || PQntuples(res) > 0)
		return st;
	/* CREATE DATABASE takes no parameters: quote the identifier. */
	char *ident = PQescapeIdentifier(db->conn, name, strlen(name));
	if (ident == NULL) {
		set_error(db, PQerrorMessage(db->conn), NULL);
		return DM_INTERNAL;
	}
	g_autofree char *sql = g_strdup_printf("CREATE DATABASE %s ENCODING 'UTF8' TEMPLATE template0", ident);
	PQfreemem(ident);
	st = dm_db_exec_script(db, sql);
	*created = st == DM_OK;
	return st;
}
