/* store-export.c - the SQL of `deskmail export`.
 *
 * json_build_object does the escaping and keeps key order, and a cursor
 * streams the tickets in batches, so the export of a large desk runs in
 * constant memory. */
#include "dm-autoconf.h"

#include "store-export.h"

static const char SQL_BEGIN[] = "BEGIN READ ONLY";
static const char SQL_DECLARE[] =
	"DECLARE export_cursor NO SCROLL CURSOR FOR "
	"SELECT json_build_object("
	" 'id', t.id,"
	" 'tag', replace($1::text, '{id}', t.id::text),"
	" 'status', t.status,"
	" 'subject', t.subject,"
	" 'requester', c.address,"
	" 'created_at', t.created_at,"
	" 'language', t.language,"
	" 'due_at', t.due_at,"
	" 'related', t.related_id,"
	" 'relation', t.relation,"
	" 'priority', t.priority,"
	" 'team', (SELECT name FROM teams WHERE id = t.team_id),"
	" 'topic', t.topic,"
	" 'assignee', (SELECT address FROM agents WHERE id = t.assignee_id),"
	" 'first_response_at', t.first_response_at,"
	" 'ack', (SELECT CASE WHEN e.new_value = 'sent' THEN 'sent'"
	"          ELSE 'suppressed: ' || coalesce(e.detail, '') END"
	"         FROM events e WHERE e.ticket_id = t.id AND e.kind = 'ack' ORDER BY e.id LIMIT 1),"
	" 'messages', COALESCE((SELECT json_agg(json_build_object("
	"   'message_id', m.message_id,"
	"   'kind', m.kind,"
	"   'direction', m.direction,"
	"   'threaded_by', m.threaded_by,"
	"   'from', m.from_addr,"
	"   'from_name', m.from_name,"
	"   'to', m.to_addrs,"
	"   'cc', m.cc_addrs,"
	"   'subject', m.subject,"
	"   'date', m.sent_at,"
	"   'text', m.body_text,"
	"   'attachments', COALESCE((SELECT json_agg(json_build_object("
	"     'filename', a.filename, 'content_type', a.content_type,"
	"     'size', a.size, 'sha256', a.sha256) ORDER BY a.position)"
	"     FROM attachments a WHERE a.message_id = m.id), '[]'::json)"
	"  ) ORDER BY m.id) FROM messages m WHERE m.ticket_id = t.id), '[]'::json),"
	" 'events', COALESCE((SELECT json_agg(json_build_object("
	"   'at', e.created_at, 'actor', e.actor, 'kind', e.kind,"
	"   'old', e.old_value, 'new', e.new_value, 'detail', e.detail) ORDER BY e.id)"
	"   FROM events e WHERE e.ticket_id = t.id), '[]'::json)"
	")::text "
	"FROM tickets t LEFT JOIN contacts c ON c.id = t.requester_id "
	"WHERE $2::bigint = 0 OR t.id = $2::bigint "
	"ORDER BY t.id";
static const char SQL_FETCH[] = "FETCH 200 FROM export_cursor";

enum dm_status
dm_store_export_begin(struct dm_db *db, const char *tag_format, gint64 ticket_id)
{
	char id[24];
	g_snprintf(id, sizeof id, "%" G_GINT64_FORMAT, ticket_id > 0 ? ticket_id : 0);
	const char *p[] = { tag_format, id };
	enum dm_status st = dm_db_query(db, SQL_BEGIN, 0, NULL, NULL);
	if (st != DM_OK)
		return st;
	if ((st = dm_db_query(db, SQL_DECLARE, 2, p, NULL)) != DM_OK)
		dm_db_rollback(db);
	return st;
}

enum dm_status
dm_store_export_next(struct dm_db *db, GPtrArray **out)
{
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_FETCH, 0, NULL, &res);
	if (st != DM_OK)
		return st;
	*out = g_ptr_array_new_with_free_func(g_free);
	for (int r = 0; r < PQntuples(res); r++)
		g_ptr_array_add(*out, g_strdup(PQgetvalue(res, r, 0)));
	return DM_OK;
}

void
dm_store_export_end(struct dm_db *db)
{
	/* Only read: rolling back closes the cursor and ends the snapshot. */
	dm_db_rollback(db);
}
