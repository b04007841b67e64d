/* db-private.h - the connection's internals, shared by db.c and
 * store-copy.c (the COPY streaming); nothing else includes this. */
#ifndef DM_DB_PRIVATE_H
#define DM_DB_PRIVATE_H

#include <glib.h>
#include <libpq-fe.h>

#include "status.h"

struct dm_db {
	PGconn *conn;
	char *error;
	char sqlstate[6];
	char *begin_sql[5]; /* BEGIN and the session's settings, per transaction */
	GPtrArray *pending; /* struct pending: written, not yet sent */
	gboolean in_transaction; /* from dm_db_begin to commit or rollback */
	gsize pending_bytes;      /* parameter bytes held in pending */
	int statement_timeout;    /* ms, 0 = none: the configured one */
	gint64 deadline;          /* monotonic microseconds, 0 = none */
	GHashTable *prepared;     /* SQL text -> statement name; NULL: unnamed statements */
	guint names;              /* statement names handed out */
};

/* Remember WHAT (one line is made of it) and SQLSTATE (or NULL) as the
 * last error. */
void dm_db_set_error(struct dm_db *db, const char *what, const char *sqlstate);

/* The status of the failed RES (NULL: the connection's own error), with
 * the error remembered. */
enum dm_status dm_db_classify(struct dm_db *db, const PGresult *res);

/* Send what dm_db_write queued and read its results. */
enum dm_status dm_db_flush_pending(struct dm_db *db);

#endif
