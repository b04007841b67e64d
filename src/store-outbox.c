/* store-outbox.c - the SQL of the outbox table.
 *
 * Rows are claimed with FOR UPDATE SKIP LOCKED, so any number of hosts
 * can flush at once and each row is sent by one of them. */
#include "dm-autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "store-outbox.h"

static const char SQL_NOTIFY[] = "NOTIFY " DM_OUTBOX_CHANNEL;
static const char SQL_QUEUE[] =
	"INSERT INTO outbox (ticket_id, message_id, kind, envelope_from, recipients, body) "
	"VALUES ($1, $2, $3, $4, $5::text[], $6) RETURNING id";
/* Only rows that are due and not being sent by someone else. */
static const char SQL_CLAIM[] =
	"SELECT id, envelope_from, recipients, body, attempts FROM outbox "
	"WHERE status = 'queued' AND next_attempt_at <= now() AND ($1::bigint = 0 OR id = $1::bigint) "
	"ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED";
static const char SQL_SENT[] =
	"UPDATE outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL "
	"WHERE id = $1";
static const char SQL_RETRY[] =
	"UPDATE outbox SET attempts = attempts + 1, last_error = $2,"
	" status = CASE WHEN attempts + 1 >= $3::int THEN 'failed' ELSE 'queued' END,"
	" next_attempt_at = now() + make_interval(secs => $4::double precision * power(2, attempts)) "
	"WHERE id = $1";
static const char SQL_LIST[] =
	"SELECT id, status, kind, attempts, array_to_string(recipients, ','),"
	" to_char(created_at, 'YYYY-MM-DD HH24:MI'), coalesce(to_char(next_attempt_at, 'YYYY-MM-DD HH24:MI'), ''),"
	" coalesce(last_error, ''), coalesce(ticket_id::text, '') "
	"FROM outbox WHERE $1::boolean OR status <> 'sent' ORDER BY id DESC LIMIT $2";

enum dm_status
dm_store_outbox_insert(struct dm_db *db, gint64 ticket, gint64 message_row, const char *kind,
		       const char *envelope_from, GPtrArray *recipients, GBytes *data, gint64 *id)
{
	char t[24], m[24];
	g_snprintf(t, sizeof t, "%" G_GINT64_FORMAT, ticket);
	g_snprintf(m, sizeof m, "%" G_GINT64_FORMAT, message_row);
	g_autofree char *rcpts = dm_db_array_literal(recipients);
	gsize len;
	const char *body = g_bytes_get_data(data, &len);
	const char *p[] = { t, message_row ? m : NULL, kind, envelope_from ? envelope_from : "", rcpts, body };
	int lens[] = { 0, 0, 0, 0, 0, (int) len };
	int fmts[] = { 0, 0, 0, 0, 0, 1 };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query_bin(db, SQL_QUEUE, 6, p, lens, fmts, &res);
	if (st != DM_OK)
		return st;
	*id = g_ascii_strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	/* The service's sender wakes at COMMIT (one notice per transaction,
	 * however many rows); on a host without it nobody listens. */
	return dm_db_write(db, SQL_NOTIFY, 0, NULL);
}

/* Parse a text[] value as returned in text format: {a,"b c"}. */
static GPtrArray *
parse_array(const char *lit)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	const char *p = lit;
	if (*p == '{')
		p++;
	while (*p && *p != '}') {
		GString *item = g_string_new(NULL);
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				g_string_append_c(item, *p);
			}
			if (*p == '"')
				p++;
		} else {
			for (; *p && *p != ',' && *p != '}'; p++)
				g_string_append_c(item, *p);
		}
		g_ptr_array_add(out, g_string_free(item, FALSE));
		if (*p == ',')
			p++;
	}
	g_ptr_array_add(out, NULL);
	return out;
}

void
dm_outbox_row_free(struct dm_outbox_row *row)
{
	if (row == NULL)
		return;
	g_free(row->envelope_from);
	if (row->recipients)
		g_ptr_array_unref(row->recipients);
	if (row->data)
		g_bytes_unref(row->data);
	g_free(row);
}

enum dm_status
dm_store_outbox_claim(struct dm_db *db, gint64 only_id, struct dm_outbox_row **out)
{
	char idbuf[24];
	g_snprintf(idbuf, sizeof idbuf, "%" G_GINT64_FORMAT, only_id);
	const char *p[] = { idbuf };
	g_autoptr(PGresult) res = NULL;
	*out = NULL;
	enum dm_status st = dm_db_query(db, SQL_CLAIM, 1, p, &res);
	if (st != DM_OK || PQntuples(res) == 0)
		return st;
	struct dm_outbox_row *row = g_new0(struct dm_outbox_row, 1);
	row->id = g_ascii_strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	row->envelope_from = g_strdup(PQgetvalue(res, 0, 1));
	row->recipients = parse_array(PQgetvalue(res, 0, 2));
	/* The body comes back as bytea text and is unescaped. */
	size_t body_len = 0;
	unsigned char *body = PQunescapeBytea((const unsigned char *) PQgetvalue(res, 0, 3), &body_len);
	if (body == NULL) {
		dm_outbox_row_free(row);
		return DM_INTERNAL;
	}
	row->data = g_bytes_new_with_free_func(body, body_len, (GDestroyNotify) PQfreemem, body);
	row->attempts = atoi(PQgetvalue(res, 0, 4));
	*out = row;
	return DM_OK;
}

enum dm_status
dm_store_outbox_sent(struct dm_db *db, gint64 id)
{
	char idbuf[24];
	g_snprintf(idbuf, sizeof idbuf, "%" G_GINT64_FORMAT, id);
	const char *q[] = { idbuf };
	return dm_db_write(db, SQL_SENT, 1, q);
}

enum dm_status
dm_store_outbox_retry(struct dm_db *db, gint64 id, const char *error_text, int max_attempts,
		      int retry_delay)
{
	char idbuf[24], max[16], delay[16];
	g_snprintf(idbuf, sizeof idbuf, "%" G_GINT64_FORMAT, id);
	g_snprintf(max, sizeof max, "%d", max_attempts);
	g_snprintf(delay, sizeof delay, "%d", retry_delay);
	const char *q[] = { idbuf, error_text, max, delay };
	return dm_db_write(db, SQL_RETRY, 4, q);
}

void
dm_outbox_entry_free(struct dm_outbox_entry *e)
{
	if (e == NULL)
		return;
	g_free(e->id);
	g_free(e->status);
	g_free(e->kind);
	g_free(e->attempts);
	g_free(e->recipients);
	g_free(e->created);
	g_free(e->next_attempt);
	g_free(e->last_error);
	g_free(e->ticket);
	g_free(e);
}

enum dm_status
dm_store_outbox_list(struct dm_db *db, gboolean all, int limit, GPtrArray **out)
{
	char lim[16];
	g_snprintf(lim, sizeof lim, "%d", limit);
	const char *p[] = { all ? "true" : "false", lim };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_LIST, 2, p, &res);
	if (st != DM_OK)
		return st;
	*out = g_ptr_array_new_with_free_func((GDestroyNotify) dm_outbox_entry_free);
	for (int r = 0; r < PQntuples(res); r++) {
		struct dm_outbox_entry *e = g_new0(struct dm_outbox_entry, 1);
		e->id = g_strdup(PQgetvalue(res, r, 0));
		e->status = g_strdup(PQgetvalue(res, r, 1));
		e->kind = g_strdup(PQgetvalue(res, r, 2));
		e->attempts = g_strdup(PQgetvalue(res, r, 3));
		e->recipients = g_strdup(PQgetvalue(res, r, 4));
		e->created = g_strdup(PQgetvalue(res, r, 5));
		e->next_attempt = g_strdup(PQgetvalue(res, r, 6));
		e->last_error = g_strdup(PQgetvalue(res, r, 7));
		e->ticket = g_strdup(PQgetvalue(res, r, 8));
		g_ptr_array_add(*out, e);
	}
	return DM_OK;
}
