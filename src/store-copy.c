/* store-copy.c - large values streamed to the server with COPY (FORMAT
 * binary): the storage layer's way to write a raw message or an
 * attachment of many megabytes without copying it whole.  Shares the
 * connection's internals with db.c through db-private.h. */
#include "dm-autoconf.h"

#include "db-private.h"
#include "db.h"

/* ---- COPY FROM STDIN (FORMAT binary), streamed
 *
 * Large values (the raw message, attachments) go to the server in chunks
 * straight from the caller's memory: PQexecParams would first copy the
 * whole value into libpq's output buffer, which grows to the next power of
 * two above it (a 20 MB mail costs 32 MB more address space, 20 MB of it
 * touched).  One COPY also carries any number of rows in one round trip. */
#define COPY_CHUNK (64 * 1024)

static enum dm_status
copy_put(struct dm_db *db, const void *data, gsize len)
{
	const char *p = data;
	while (len > 0) {
		int n = len > COPY_CHUNK ? COPY_CHUNK : (int) len;
		if (PQputCopyData(db->conn, p, n) != 1) {
			dm_db_set_error(db, PQerrorMessage(db->conn), NULL);
			return DM_TEMPFAIL;
		}
		p += n;
		len -= (gsize) n;
	}
	return DM_OK;
}

enum dm_status
dm_db_copy_begin(struct dm_db *db, const char *sql)
{
	enum dm_status flushed = dm_db_flush_pending(db);
	if (flushed != DM_OK)
		return flushed;
	PGresult *res = PQexec(db->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		enum dm_status st = dm_db_classify(db, res);
		PQclear(res);
		return st;
	}
	PQclear(res);
	static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
	return copy_put(db, header, sizeof header);
}

enum dm_status
dm_db_copy_row(struct dm_db *db, const struct dm_copy_field *f, int n)
{
	guint16 count = GUINT16_TO_BE((guint16) n);
	enum dm_status st = copy_put(db, &count, 2);
	for (int i = 0; i < n && st == DM_OK; i++) {
		gint32 len = f[i].data ? GINT32_TO_BE((gint32) f[i].len) : GINT32_TO_BE(-1);
		st = copy_put(db, &len, 4);
		if (st == DM_OK && f[i].data)
			st = copy_put(db, f[i].data, f[i].len);
	}
	return st;
}

enum dm_status
dm_db_copy_end(struct dm_db *db, gboolean ok)
{
	static const char trailer[2] = "\377\377";
	enum dm_status st = DM_OK;
	if (ok && copy_put(db, trailer, 2) != DM_OK)
		ok = FALSE;
	if (PQputCopyEnd(db->conn, ok ? NULL : "aborted by deskmail") != 1) {
		dm_db_set_error(db, PQerrorMessage(db->conn), NULL);
		st = DM_TEMPFAIL;
	}
	PGresult *res;
	while ((res = PQgetResult(db->conn)) != NULL) {
		if (st == DM_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
			st = dm_db_classify(db, res);
		PQclear(res);
	}
	return ok ? st : (st == DM_OK ? DM_INTERNAL : st);
}
