/* db.c - libpq: connection, one query helper, transactions, SQLSTATE.
 *
 * Every statement in deskmail goes through dm_db_query* or dm_db_write*
 * (parameters out of band, one statement per call, extended protocol),
 * and a failure is mapped to a status the exit-code policy understands.
 *
 * Round trips are most of a delivery's time in the database, so
 * statements whose result nobody reads (BEGIN and its SET LOCALs, most
 * INSERTs of a delivery) are not sent on their own: dm_db_write queues
 * them, and the next statement that needs an answer, or COMMIT, takes
 * them along in one libpq pipeline.  The server still runs everything in
 * order in the same transaction; only a queued statement's failure is
 * reported one call later.
 *
 * A process that keeps its connection (the workers and the sender of
 * `deskmail serve`) may ask for named prepared statements
 * (dm_db_prepare_statements): each statement text is then parsed and
 * analysed by the server once per connection, and its plan is cached,
 * instead of on every execution.  It is off by default because it keeps
 * session state, which PgBouncer 1.18 in transaction pooling does not. */
/* ppoll is GNU. */
#define _GNU_SOURCE 1
#include "dm-autoconf.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "db-private.h"
#include "db.h"
#include "log.h"


/* At most this many statements are prepared on a connection, so that a
 * caller building SQL text with values in it cannot grow the server's
 * session without limit; the rest run unnamed. */
#define PREPARED_MAX 256

static gboolean prepare_statements;

void
dm_db_prepare_statements(gboolean on)
{
	prepare_statements = on;
}

/* A pipeline is sent before it grows past this many statements or bytes,
 * so that the copies of the parameters stay small.  (libpq in blocking
 * mode reads the server's answers while a write would block, so a long
 * pipeline cannot deadlock.) */
#define PIPELINE_MAX_STATEMENTS 64
#define PIPELINE_MAX_BYTES (1024 * 1024)

/* A statement queued by dm_db_write, with copies of its parameters. */
struct pending {
	char *sql;
	int n;
	char **values;
	int *lengths;
	int *formats;
};

static void
pending_free(gpointer p)
{
	struct pending *q = p;
	for (int i = 0; i < q->n; i++)
		g_free(q->values[i]);
	g_free(q->values);
	g_free(q->lengths);
	g_free(q->formats);
	g_free(q->sql);
	g_free(q);
}

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

void
dm_db_set_error(struct dm_db *db, const char *what, const char *sqlstate)
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
		dm_db_set_error(db, db->conn ? PQerrorMessage(db->conn) : "out of memory", NULL);
		dm_log_error("database connection failed: %s", db->error);
		dm_db_free(db);
		return DM_TEMPFAIL;
	}
	PQsetNoticeProcessor(db->conn, notice_to_log, NULL);
	/* A connection pooler in transaction mode (PgBouncer) drops the
	 * startup "options" or hands the session to someone else between
	 * transactions: what a transaction relies on is set in it, queued with
	 * BEGIN and sent with its first statement. */
	db->begin_sql[0] = g_strdup("BEGIN");
	db->statement_timeout = statement_timeout;
	db->begin_sql[1] = g_strdup_printf("SET LOCAL statement_timeout = %d", statement_timeout);
	db->begin_sql[2] = g_strdup_printf("SET LOCAL lock_timeout = %d", lock_timeout);
	db->begin_sql[3] = g_strdup("SET LOCAL TimeZone = 'UTC'");
	db->begin_sql[4] = g_strdup("SET LOCAL client_min_messages = warning");
	db->pending = g_ptr_array_new_with_free_func(pending_free);
	if (prepare_statements)
		db->prepared = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	dm_db_set_error(db, "", NULL);
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
	for (guint i = 0; i < G_N_ELEMENTS(db->begin_sql); i++)
		g_free(db->begin_sql[i]);
	if (db->pending)
		g_ptr_array_unref(db->pending);
	if (db->prepared)
		g_hash_table_unref(db->prepared);
	g_free(db);
}

enum dm_status
dm_db_listen(struct dm_db *db, const char *channel)
{
	g_autofree char *sql = g_strdup_printf("LISTEN %s", channel);
	return dm_db_query(db, sql, 0, NULL, NULL);
}

int
dm_db_wait_notify(struct dm_db *db, int timeout_ms, const sigset_t *during)
{
	int notified = 0;
	for (int round = 0; round < 2; round++) {
		if (!PQconsumeInput(db->conn)) {
			dm_db_set_error(db, PQerrorMessage(db->conn), NULL);
			return -1;
		}
		PGnotify *n;
		while ((n = PQnotifies(db->conn)) != NULL) {
			notified = 1;
			PQfreemem(n);
		}
		if (notified || round == 1)
			break;
		struct pollfd pfd = { .fd = PQsocket(db->conn), .events = POLLIN };
		if (pfd.fd < 0)
			return -1;
		struct timespec ts = { .tv_sec = timeout_ms / 1000, .tv_nsec = (long) (timeout_ms % 1000) * 1000000 };
		int rc = ppoll(&pfd, 1, timeout_ms < 0 ? NULL : &ts, during);
		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc <= 0)
			return 0;
	}
	return notified;
}

void
dm_db_set_deadline(struct dm_db *db, gint64 deadline)
{
	db->deadline = deadline;
}

/* An idle connection has nothing to read unless the server went away
 * (pg_terminate_backend, a restart: a FATAL message, then EOF) or sent a
 * notice or notification.  Read what is there, without waiting: libpq
 * sees the EOF only on a read after the message, and then marks the
 * connection bad, so a resident process replaces it before its next
 * transaction instead of failing that delivery.  Notifications stay in
 * libpq's buffer for PQnotifies; a few rounds bound the work. */
static void
notice_server_gone(PGconn *conn)
{
	for (int i = 0; i < 4 && PQstatus(conn) == CONNECTION_OK; i++) {
		struct pollfd p = { .fd = PQsocket(conn), .events = POLLIN };
		if (p.fd < 0 || poll(&p, 1, 0) <= 0 || !PQconsumeInput(conn))
			return;
	}
}

gboolean
dm_db_usable(struct dm_db *db)
{
	if (db == NULL || db->conn == NULL || db->in_transaction)
		return FALSE;
	notice_server_gone(db->conn);
	return PQstatus(db->conn) == CONNECTION_OK && PQtransactionStatus(db->conn) == PQTRANS_IDLE;
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
enum dm_status
dm_db_classify(struct dm_db *db, const PGresult *res)
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
	dm_db_set_error(db, msg, state);
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

/* Put one statement into the pipeline: by name when it is prepared on
 * this connection, else with a Parse of a new name first (*NEW_NAME, for
 * the caller to remember once the server accepted it), else unnamed. */
static gboolean
send_statement(struct dm_db *db, const char *sql, int n, const char *const *values, const int *lengths,
	       const int *formats, char **new_name)
{
	*new_name = NULL;
	const char *name = db->prepared ? g_hash_table_lookup(db->prepared, sql) : NULL;
	if (db->prepared && name == NULL && g_hash_table_size(db->prepared) < PREPARED_MAX) {
		/* A fresh name for every attempt: a Parse that the server
		 * took in a pipeline that failed later must not collide. */
		*new_name = g_strdup_printf("dm_%u", ++db->names);
		if (PQsendPrepare(db->conn, *new_name, sql, n, NULL) != 1)
			return FALSE;
		name = *new_name;
	}
	if (name)
		return PQsendQueryPrepared(db->conn, name, n, values, lengths, formats, 0) == 1;
	return PQsendQueryParams(db->conn, sql, n, NULL, values, lengths, formats, 0) == 1;
}

/* Read the results of a Parse sent by send_statement; TRUE when the
 * server accepted it. */
static gboolean
read_prepare(struct dm_db *db, enum dm_status *status)
{
	gboolean ok = FALSE;
	PGresult *res;
	while ((res = PQgetResult(db->conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
			ok = TRUE;
		else if (*status == DM_OK)
			*status = dm_db_classify(db, res);
		PQclear(res);
	}
	return ok;
}

/* The statements of one pipeline: the queued ones, then the one that
 * wants an answer; the names of those being prepared, and their texts. */
struct pipeline {
	guint queued, total;
	char **names, **texts;
};

static void
pipeline_free_from(struct pipeline *pl, guint from)
{
	for (guint i = from; i < pl->total; i++) {
		g_free(pl->names[i]);
		g_free(pl->texts[i]);
	}
	g_free(pl->names);
	g_free(pl->texts);
}

/* Send the queued statements and SQL (when not NULL), then a sync;
 * FALSE when the connection would not take them. */
static gboolean
pipeline_send(struct dm_db *db, struct pipeline *pl, const char *sql, int n, const char *const *values,
	      const int *lengths, const int *formats)
{
	gboolean sent = PQenterPipelineMode(db->conn) == 1;
	for (guint i = 0; sent && i < pl->queued; i++) {
		struct pending *q = db->pending->pdata[i];
		sent = send_statement(db, q->sql, q->n, (const char *const *) q->values, q->lengths, q->formats,
				      &pl->names[i]);
		if (pl->names[i])
			pl->texts[i] = g_strdup(q->sql);
	}
	if (sent && sql) {
		sent = send_statement(db, sql, n, values, lengths, formats, &pl->names[pl->queued]);
		if (pl->names[pl->queued])
			pl->texts[pl->queued] = g_strdup(sql);
	}
	if (sent)
		sent = PQpipelineSync(db->conn) == 1;
	g_ptr_array_set_size(db->pending, 0);
	db->pending_bytes = 0;
	return sent;
}

/* Read the results of statement I into *STATUS (the first failure
 * decides); the answered statement's result goes to *KEPT.  FALSE on a
 * COPY, which never belongs in a pipeline (see dm_db_copy_begin). */
static gboolean
pipeline_read_one(struct dm_db *db, struct pipeline *pl, guint i, gboolean wants, enum dm_status *status,
		  PGresult **kept)
{
	PGresult *res;
	if (pl->names[i]) {
		/* The Parse's result comes first; the name is remembered only
		 * when the server has it. */
		if (read_prepare(db, status))
			g_hash_table_insert(db->prepared, g_steal_pointer(&pl->texts[i]), g_steal_pointer(&pl->names[i]));
	}
	/* Each statement's results end with a NULL. */
	while ((res = PQgetResult(db->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
			PQclear(res);
			dm_db_set_error(db, "COPY inside a pipeline", NULL);
			return FALSE;
		}
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			if (*status == DM_OK)
				*status = dm_db_classify(db, res);
		} else if (wants && *kept == NULL) {
			*kept = res;
			continue;
		}
		PQclear(res);
	}
	return TRUE;
}

/* Send the queued statements and then SQL (when not NULL) in one
 * pipeline and read every result: one round trip.  The first failure
 * decides the status (the statements after it come back aborted); SQL's
 * result goes to RES_OUT. */
static enum dm_status
run_pipeline(struct dm_db *db, const char *sql, int n, const char *const *values, const int *lengths,
	     const int *formats, PGresult **res_out)
{
	struct pipeline pl = { .queued = db->pending->len };
	pl.total = pl.queued + (sql ? 1 : 0);
	pl.names = g_new0(char *, pl.total + 1);
	pl.texts = g_new0(char *, pl.total + 1);
	if (!pipeline_send(db, &pl, sql, n, values, lengths, formats)) {
		/* Nothing or part of it reached the server: the connection is
		 * gone or unusable, and the transaction with it. */
		pipeline_free_from(&pl, 0);
		dm_db_classify(db, NULL);
		return DM_TEMPFAIL;
	}
	enum dm_status status = DM_OK;
	PGresult *kept = NULL;
	for (guint i = 0; i < pl.total; i++) {
		if (!pipeline_read_one(db, &pl, i, sql && i == pl.queued, &status, &kept)) {
			PQclear(kept);
			pipeline_free_from(&pl, i);
			return DM_INTERNAL;
		}
		g_clear_pointer(&pl.names[i], g_free);
		g_clear_pointer(&pl.texts[i], g_free);
	}
	pipeline_free_from(&pl, pl.total);
	PGresult *sync = PQgetResult(db->conn);
	if (PQresultStatus(sync) != PGRES_PIPELINE_SYNC && status == DM_OK)
		status = dm_db_classify(db, sync);
	PQclear(sync);
	if (PQexitPipelineMode(db->conn) != 1 && status == DM_OK)
		status = dm_db_classify(db, NULL);
	if (status == DM_OK && sql && kept == NULL) {
		dm_db_set_error(db, "no result", NULL);
		status = DM_TEMPFAIL;
	}
	if (status != DM_OK || res_out == NULL)
		PQclear(kept);
	else
		*res_out = kept;
	return status;
}

enum dm_status
dm_db_query_bin(struct dm_db *db, const char *sql, int n, const char *const *values,
		const int *lengths, const int *formats, PGresult **res_out)
{
	/* A prepared statement goes by name, its first use with the Parse
	 * in the same round trip. */
	if (db->pending->len > 0 || db->prepared)
		return run_pipeline(db, sql, n, values, lengths, formats, res_out);
	PGresult *res = PQexecParams(db->conn, sql, n, NULL, values, lengths, formats, 0);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		enum dm_status status = dm_db_classify(db, res);
		PQclear(res);
		return status;
	}
	if (res_out)
		*res_out = res;
	else
		PQclear(res);
	return DM_OK;
}

/* Queue SQL with copies of its parameters. */
static void
queue_statement(struct dm_db *db, const char *sql, int n, const char *const *values, const int *lengths,
		const int *formats)
{
	struct pending *q = g_new0(struct pending, 1);
	q->sql = g_strdup(sql);
	q->n = n;
	q->values = g_new0(char *, n > 0 ? n : 1);
	q->lengths = g_new0(int, n > 0 ? n : 1);
	q->formats = g_new0(int, n > 0 ? n : 1);
	for (int i = 0; i < n; i++) {
		gboolean binary = formats && formats[i] == 1;
		q->formats[i] = binary ? 1 : 0;
		if (values[i] == NULL)
			continue;
		q->lengths[i] = binary ? lengths[i] : (int) strlen(values[i]);
		if (binary) {
			/* Never NULL for an empty value: that would be SQL NULL. */
			q->values[i] = g_malloc(MAX(lengths[i], 1));
			memcpy(q->values[i], values[i], (gsize) lengths[i]);
		} else {
			q->values[i] = g_strdup(values[i]);
		}
		db->pending_bytes += (gsize) q->lengths[i];
	}
	g_ptr_array_add(db->pending, q);
}

enum dm_status
dm_db_write_bin(struct dm_db *db, const char *sql, int n, const char *const *values, const int *lengths,
		const int *formats)
{
	/* Outside a transaction nothing may wait: a command could end
	 * before another statement takes it along. */
	if (!db->in_transaction)
		return dm_db_query_bin(db, sql, n, values, lengths, formats, NULL);
	queue_statement(db, sql, n, values, lengths, formats);
	if (db->pending->len >= PIPELINE_MAX_STATEMENTS || db->pending_bytes >= PIPELINE_MAX_BYTES)
		return run_pipeline(db, NULL, 0, NULL, NULL, NULL, NULL);
	return DM_OK;
}

enum dm_status
dm_db_write(struct dm_db *db, const char *sql, int n, const char *const *values)
{
	return dm_db_write_bin(db, sql, n, values, NULL, NULL);
}

/* Send what is queued, alone (before COPY or a script). */
enum dm_status
dm_db_flush_pending(struct dm_db *db)
{
	return db->pending->len > 0 ? run_pipeline(db, NULL, 0, NULL, NULL, NULL, NULL) : DM_OK;
}

enum dm_status
dm_db_query(struct dm_db *db, const char *sql, int n, const char *const *values, PGresult **res)
{
	return dm_db_query_bin(db, sql, n, values, NULL, NULL, res);
}

enum dm_status
dm_db_exec_script(struct dm_db *db, const char *sql)
{
	enum dm_status flushed = dm_db_flush_pending(db);
	if (flushed != DM_OK)
		return flushed;
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	enum dm_status status = DM_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
		status = dm_db_classify(db, res);
	PQclear(res);
	return status;
}

enum dm_status
dm_db_begin(struct dm_db *db)
{
	if (db->in_transaction) {
		/* A bug: the queued writes of the open transaction would be lost. */
		dm_db_set_error(db, "BEGIN inside a transaction", NULL);
		return DM_INTERNAL;
	}
	/* A failure of an earlier transaction must not look like this one's
	 * (dm_db_retryable). */
	dm_db_set_error(db, "", NULL);
	g_ptr_array_set_size(db->pending, 0);
	db->pending_bytes = 0;
	if (db->deadline) {
		/* No statement may outlive the delivery's deadline. */
		gint64 left = (db->deadline - g_get_monotonic_time()) / 1000;
		if (left <= 0) {
			dm_db_set_error(db, "delivery deadline exceeded", NULL);
			return DM_TEMPFAIL;
		}
		int ms = db->statement_timeout > 0 ? (int) MIN(left, (gint64) db->statement_timeout) : (int) MIN(left, G_MAXINT);
		g_free(db->begin_sql[1]);
		db->begin_sql[1] = g_strdup_printf("SET LOCAL statement_timeout = %d", ms);
	}
	for (guint i = 0; i < G_N_ELEMENTS(db->begin_sql); i++)
		queue_statement(db, db->begin_sql[i], 0, NULL, NULL, NULL);
	db->in_transaction = TRUE;
	return DM_OK;
}

enum dm_status
dm_db_commit(struct dm_db *db)
{
	/* COMMIT takes the queued statements along; their failures and the
	 * commit's own surface here. */
	PGresult *res = NULL;
	db->in_transaction = FALSE;
	enum dm_status status = dm_db_query(db, "COMMIT", 0, NULL, &res);
	if (status != DM_OK)
		return status;
	/* A COMMIT of an aborted transaction answers "ROLLBACK" with
	 * COMMAND_OK: that is a failure too. */
	if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		dm_db_set_error(db, "transaction was rolled back at COMMIT", NULL);
		status = DM_TEMPFAIL;
	}
	PQclear(res);
	return status;
}

void
dm_db_rollback(struct dm_db *db)
{
	/* Queued statements (BEGIN among them) were never sent. */
	g_ptr_array_set_size(db->pending, 0);
	db->pending_bytes = 0;
	db->in_transaction = FALSE;
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
		dm_db_set_error(db, PQerrorMessage(db->conn), NULL);
		return DM_INTERNAL;
	}
	g_autofree char *sql = g_strdup_printf("CREATE DATABASE %s ENCODING 'UTF8' TEMPLATE template0", ident);
	PQfreemem(ident);
	st = dm_db_exec_script(db, sql);
	*created = st == DM_OK;
	return st;
}
