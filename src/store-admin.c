/* store-admin.c - the SQL behind `ticket list|show`, `contact show` and
 * `db status`: read-only queries whose rows the commands print. */
#include "dm-autoconf.h"

#include <string.h>

#include "store-admin.h"

static const char SQL_LIST[] =
	"SELECT t.id, t.status, t.priority, coalesce(t.topic, ''), coalesce(tm.name, ''),"
	" coalesce(a.address, ''), coalesce(c.address, ''), to_char(t.created_at AT TIME ZONE $7, 'MM-DD HH24:MI'),"
	" t.subject "
	"FROM tickets t LEFT JOIN teams tm ON tm.id = t.team_id LEFT JOIN agents a ON a.id = t.assignee_id "
	"LEFT JOIN contacts c ON c.id = t.requester_id "
	"WHERE ($1::text IS NULL OR t.status = $1) AND ($2::text IS NULL OR t.topic = $2)"
	" AND ($3::text IS NULL OR tm.name = $3) AND ($4::text IS NULL OR a.address = $4)"
	" AND ($5::timestamptz IS NULL OR t.created_at >= $5) "
	"ORDER BY t.id DESC LIMIT $6";
static const char SQL_SHOW_TICKET[] =
	"SELECT t.id, t.subject, t.status, t.priority, coalesce(t.topic, '-'), coalesce(tm.name, '-'),"
	" coalesce(a.address, '-'), coalesce(c.address, '-'), coalesce(nullif(c.name, ''), '-'),"
	" coalesce(t.language, '-'), t.queue,"
	" to_char(t.created_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI'),"
	" coalesce(to_char(t.due_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI'), '-'),"
	" coalesce(to_char(t.first_response_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI'), '-'),"
	" coalesce(t.related_id::text || ' (' || t.relation || ')', '-'),"
	" coalesce((SELECT string_agg(pc.address, ', ' ORDER BY p.added_at, pc.address) FROM participants p"
	"  JOIN contacts pc ON pc.id = p.contact_id WHERE p.ticket_id = t.id AND p.role = 'cc'), '-') "
	"FROM tickets t LEFT JOIN teams tm ON tm.id = t.team_id LEFT JOIN agents a ON a.id = t.assignee_id "
	"LEFT JOIN contacts c ON c.id = t.requester_id WHERE t.id = $1";
/* Messages and events interleaved in time order. */
static const char SQL_SHOW_TIMELINE[] =
	"SELECT at, what, line1, body FROM ("
	" SELECT m.created_at AS at, m.id AS ord, 'message' AS what,"
	"  m.direction || ' ' || m.kind || ' from ' || m.from_addr ||"
	"  CASE WHEN cardinality(m.to_addrs) > 0 THEN ' to ' || array_to_string(m.to_addrs, ', ') ELSE '' END ||"
	"  ' [' || m.threaded_by || ']' AS line1,"
	"  m.body_text AS body FROM messages m WHERE m.ticket_id = $1"
	" UNION ALL"
	" SELECT e.created_at, e.id, 'event', e.kind || ' by ' || e.actor ||"
	"  CASE WHEN e.old_value IS NOT NULL OR e.new_value IS NOT NULL"
	"   THEN ': ' || coalesce(e.old_value, '-') || ' -> ' || coalesce(e.new_value, '-') ELSE '' END ||"
	"  CASE WHEN e.detail IS NOT NULL THEN ' (' || e.detail || ')' ELSE '' END, NULL"
	"  FROM events e WHERE e.ticket_id = $1"
	") x ORDER BY at, what DESC, ord";
static const char SQL_CONTACT[] =
	"SELECT c.address, coalesce(nullif(c.name, ''), '-'), coalesce(c.language, '-'),"
	" coalesce(to_char(c.failing_since, 'YYYY-MM-DD HH24:MI'), '-'), c.bounce_count,"
	" to_char(c.created_at, 'YYYY-MM-DD') FROM contacts c WHERE c.address = $1";
static const char SQL_CONTACT_TICKETS[] =
	"SELECT t.id, CASE WHEN t.requester_id = c.id THEN 'requester' ELSE 'cc' END, t.status,"
	" to_char(t.created_at, 'YYYY-MM-DD'), t.subject "
	"FROM contacts c JOIN tickets t ON t.requester_id = c.id"
	" OR EXISTS (SELECT 1 FROM participants p WHERE p.ticket_id = t.id AND p.contact_id = c.id) "
	"WHERE c.address = $1 ORDER BY t.id DESC LIMIT 50";

static const char SQL_DB_COUNTS[] =
	"SELECT (SELECT count(*) FROM tickets),"
	" (SELECT count(*) FROM tickets WHERE status IN ('new', 'open', 'pending')),"
	" (SELECT count(*) FROM messages),"
	" (SELECT count(*) FROM outbox WHERE status = 'queued'),"
	" pg_size_pretty(pg_database_size(current_database()))";

static const char SQL_ATTACHMENTS[] =
	"SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.sha256 "
	"FROM attachments a JOIN messages m ON m.id = a.message_id "
	"WHERE m.ticket_id = $1 AND ($2::text IS NULL OR a.filename = $2) "
	"ORDER BY m.created_at, m.id, a.position, a.id";
static const char SQL_ATTACHMENT_CONTENT[] =
	"SELECT a.content FROM attachments a JOIN messages m ON m.id = a.message_id "
	"WHERE m.ticket_id = $1 AND a.id = $2::bigint";
/* MESSAGE ($2) is a row id or a Message-ID; without one, the first
 * incoming mail.  A message without a stored copy gives a NULL raw. */
static const char SQL_RAW[] =
	"SELECT r.raw FROM messages m LEFT JOIN raw_messages r ON r.message_id = m.id "
	"WHERE m.ticket_id = $1 AND CASE WHEN $2::text IS NULL THEN m.direction = 'in'"
	" WHEN $2 ~ '^[0-9]{1,18}$' THEN m.id = $2::bigint ELSE m.message_id = $2 END "
	"ORDER BY m.created_at, m.id LIMIT 1";

/* A copy of (ROW, COL); "" for SQL NULL. */
static char *
dup_at(const PGresult *res, int row, int col)
{
	return g_strdup(PQgetvalue(res, row, col));
}

void
dm_ticket_row_free(struct dm_ticket_row *row)
{
	if (row == NULL)
		return;
	g_free(row->id);
	g_free(row->status);
	g_free(row->priority);
	g_free(row->topic);
	g_free(row->team);
	g_free(row->assignee);
	g_free(row->requester);
	g_free(row->created);
	g_free(row->subject);
	g_free(row);
}

enum dm_status
dm_store_ticket_list(struct dm_db *db, const struct dm_ticket_filter *f, const char *timezone,
		     GPtrArray **out)
{
	g_autofree char *lim = g_strdup_printf("%d", f->limit > 0 ? f->limit : 50);
	const char *p[] = { f->status, f->topic, f->team, f->assignee, f->since, lim, timezone };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_LIST, 7, p, &res);
	if (st != DM_OK)
		return st;
	*out = g_ptr_array_new_with_free_func((GDestroyNotify) dm_ticket_row_free);
	for (int r = 0; r < PQntuples(res); r++) {
		struct dm_ticket_row *row = g_new0(struct dm_ticket_row, 1);
		row->id = dup_at(res, r, 0);
		row->status = dup_at(res, r, 1);
		row->priority = dup_at(res, r, 2);
		row->topic = dup_at(res, r, 3);
		row->team = dup_at(res, r, 4);
		row->assignee = dup_at(res, r, 5);
		row->requester = dup_at(res, r, 6);
		row->created = dup_at(res, r, 7);
		row->subject = dup_at(res, r, 8);
		g_ptr_array_add(*out, row);
	}
	return DM_OK;
}

void
dm_ticket_summary_free(struct dm_ticket_summary *s)
{
	if (s == NULL)
		return;
	char **fields[] = { &s->id, &s->subject, &s->status, &s->priority, &s->topic, &s->team,
			    &s->assignee, &s->requester, &s->requester_name, &s->language, &s->queue,
			    &s->created, &s->due, &s->first_response, &s->related, &s->cc };
	for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
		g_free(*fields[i]);
	g_free(s);
}

enum dm_status
dm_store_ticket_summary(struct dm_db *db, gint64 id, const char *timezone,
			struct dm_ticket_summary **out)
{
	char idbuf[24];
	g_snprintf(idbuf, sizeof idbuf, "%" G_GINT64_FORMAT, id);
	const char *p[] = { idbuf, timezone };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_SHOW_TICKET, 2, p, &res);
	if (st != DM_OK)
		return st;
	if (PQntuples(res) == 0)
		return DM_NOTFOUND;
	struct dm_ticket_summary *s = g_new0(struct dm_ticket_summary, 1);
	char **fields[] = { &s->id, &s->subject, &s->status, &s->priority, &s->topic, &s->team,
			    &s->assignee, &s->requester, &s->requester_name, &s->language, &s->queue,
			    &s->created, &s->due, &s->first_response, &s->related, &s->cc };
	for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
		*fields[i] = dup_at(res, 0, (int) i);
	*out = s;
	return DM_OK;
}

void
dm_timeline_entry_free(struct dm_timeline_entry *e)
{
	if (e == NULL)
		return;
	g_free(e->at);
	g_free(e->line);
	g_free(e->body);
	g_free(e);
}

enum dm_status
dm_store_ticket_timeline(struct dm_db *db, gint64 id, GPtrArray **out)
{
	char idbuf[24];
	g_snprintf(idbuf, sizeof idbuf, "%" G_GINT64_FORMAT, id);
	const char *p[] = { idbuf };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_SHOW_TIMELINE, 1, p, &res);
	if (st != DM_OK)
		return st;
	*out = g_ptr_array_new_with_free_func((GDestroyNotify) dm_timeline_entry_free);
	for (int r = 0; r < PQntuples(res); r++) {
		struct dm_timeline_entry *e = g_new0(struct dm_timeline_entry, 1);
		e->at = dup_at(res, r, 0);
		e->message = g_str_equal(PQgetvalue(res, r, 1), "message");
		e->line = dup_at(res, r, 2);
		e->body = PQgetisnull(res, r, 3) ? NULL : dup_at(res, r, 3);
		g_ptr_array_add(*out, e);
	}
	return DM_OK;
}

void
dm_attachment_row_free(struct dm_attachment_row *a)
{
	if (a == NULL)
		return;
	g_free(a->id);
	g_free(a->message);
	g_free(a->name);
	g_free(a->type);
	g_free(a->size);
	g_free(a->sha256);
	g_free(a);
}

enum dm_status
dm_store_ticket_attachments(struct dm_db *db, gint64 id, const char *name, GPtrArray **out)
{
	char idbuf[24];
	g_snprintf(idbuf, sizeof idbuf, "%" G_GINT64_FORMAT, id);
	const char *p[] = { idbuf, name };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_ATTACHMENTS, 2, p, &res);
	if (st != DM_OK)
		return st;
	*out = g_ptr_array_new_with_free_func((GDestroyNotify) dm_attachment_row_free);
	for (int r = 0; r < PQntuples(res); r++) {
		struct dm_attachment_row *a = g_new0(struct dm_attachment_row, 1);
		a->id = dup_at(res, r, 0);
		a->message = dup_at(res, r, 1);
		a->name = dup_at(res, r, 2);
		a->type = dup_at(res, r, 3);
		a->size = dup_at(res, r, 4);
		a->sha256 = dup_at(res, r, 5);
		g_ptr_array_add(*out, a);
	}
	return DM_OK;
}

/* The bytea (ROW, COL) of a text-format result, decoded; NULL for SQL
 * NULL. */
static GBytes *
bytea_at(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	size_t n = 0;
	unsigned char *bytes = PQunescapeBytea((const unsigned char *) PQgetvalue(res, row, col), &n);
	if (bytes == NULL)
		return NULL;
	GBytes *b = g_bytes_new(bytes, n);
	PQfreemem(bytes);
	return b;
}

enum dm_status
dm_store_attachment_content(struct dm_db *db, gint64 id, const char *attachment, GBytes **out)
{
	char idbuf[24];
	g_snprintf(idbuf, sizeof idbuf, "%" G_GINT64_FORMAT, id);
	const char *p[] = { idbuf, attachment };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_ATTACHMENT_CONTENT, 2, p, &res);
	if (st != DM_OK)
		return st;
	if (PQntuples(res) == 0 || (*out = bytea_at(res, 0, 0)) == NULL)
		return DM_NOTFOUND;
	return DM_OK;
}

enum dm_status
dm_store_ticket_raw(struct dm_db *db, gint64 id, const char *message, GBytes **out)
{
	char idbuf[24];
	g_snprintf(idbuf, sizeof idbuf, "%" G_GINT64_FORMAT, id);
	/* Message-IDs are stored without their angle brackets. */
	g_autofree char *mid = NULL;
	if (message) {
		mid = g_strstrip(g_strdup(message));
		gsize n = strlen(mid);
		if (n >= 2 && mid[0] == '<' && mid[n - 1] == '>') {
			mid[n - 1] = '\0';
			memmove(mid, mid + 1, n - 1);
		}
	}
	const char *p[] = { idbuf, mid };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_RAW, 2, p, &res);
	if (st != DM_OK)
		return st;
	if (PQntuples(res) == 0 || (*out = bytea_at(res, 0, 0)) == NULL)
		return DM_NOTFOUND;
	return DM_OK;
}

void
dm_contact_summary_free(struct dm_contact_summary *c)
{
	if (c == NULL)
		return;
	g_free(c->address);
	g_free(c->name);
	g_free(c->language);
	g_free(c->failing_since);
	g_free(c->bounces);
	g_free(c->created);
	g_free(c);
}

void
dm_contact_ticket_free(struct dm_contact_ticket *t)
{
	if (t == NULL)
		return;
	g_free(t->id);
	g_free(t->role);
	g_free(t->status);
	g_free(t->created);
	g_free(t->subject);
	g_free(t);
}

enum dm_status
dm_store_contact_show(struct dm_db *db, const char *address, struct dm_contact_summary **out,
		      GPtrArray **tickets)
{
	const char *p[] = { address };
	g_autoptr(PGresult) res = NULL, list = NULL;
	enum dm_status st;
	if ((st = dm_db_query(db, SQL_CONTACT, 1, p, &res)) != DM_OK ||
	    (st = dm_db_query(db, SQL_CONTACT_TICKETS, 1, p, &list)) != DM_OK)
		return st;
	if (PQntuples(res) == 0)
		return DM_NOTFOUND;
	struct dm_contact_summary *c = g_new0(struct dm_contact_summary, 1);
	c->address = dup_at(res, 0, 0);
	c->name = dup_at(res, 0, 1);
	c->language = dup_at(res, 0, 2);
	c->failing_since = dup_at(res, 0, 3);
	c->bounces = dup_at(res, 0, 4);
	c->created = dup_at(res, 0, 5);
	*tickets = g_ptr_array_new_with_free_func((GDestroyNotify) dm_contact_ticket_free);
	for (int r = 0; r < PQntuples(list); r++) {
		struct dm_contact_ticket *t = g_new0(struct dm_contact_ticket, 1);
		t->id = dup_at(list, r, 0);
		t->role = dup_at(list, r, 1);
		t->status = dup_at(list, r, 2);
		t->created = dup_at(list, r, 3);
		t->subject = dup_at(list, r, 4);
		g_ptr_array_add(*tickets, t);
	}
	*out = c;
	return DM_OK;
}

void
dm_db_counts_clear(struct dm_db_counts *c)
{
	g_clear_pointer(&c->tickets, g_free);
	g_clear_pointer(&c->open, g_free);
	g_clear_pointer(&c->messages, g_free);
	g_clear_pointer(&c->queued, g_free);
	g_clear_pointer(&c->size, g_free);
}

enum dm_status
dm_store_db_counts(struct dm_db *db, struct dm_db_counts *out)
{
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_DB_COUNTS, 0, NULL, &res);
	if (st != DM_OK)
		return st;
	out->tickets = dup_at(res, 0, 0);
	out->open = dup_at(res, 0, 1);
	out->messages = dup_at(res, 0, 2);
	out->queued = dup_at(res, 0, 3);
	out->size = dup_at(res, 0, 4);
	return DM_OK;
}
