/* export.c - `deskmail export`: JSON Lines built by PostgreSQL itself.
 *
 * json_build_object does the escaping and keeps key order, and a cursor
 * streams the tickets in batches, so the export of a large desk runs in
 * constant memory. */
#include "dm-autoconf.h"

#include "export.h"

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
dm_export_jsonl(struct dm_db *db, const struct dm_config *cfg, gint64 ticket_id, FILE *out)
{
	enum dm_status st;
	char id[24];
	g_snprintf(id, sizeof id, "%" G_GINT64_FORMAT, ticket_id > 0 ? ticket_id : 0);
	const char *p[] = { cfg->tag_format, id };

	if ((st = dm_db_query(db, "BEGIN READ ONLY", 0, NULL, NULL)) != DM_OK)
		return st;
	if ((st = dm_db_query(db, SQL_DECLARE, 2, p, NULL)) != DM_OK)
		goto done;
	for (;;) {
		g_autoptr(PGresult) res = NULL;
		if ((st = dm_db_query(db, SQL_FETCH, 0, NULL, &res)) != DM_OK)
			goto done;
		int n = PQntuples(res);
		for (int r = 0; r < n; r++) {
			fputs(PQgetvalue(res, r, 0), out);
			fputc('\n', out);
		}
		if (n == 0)
			break;
	}
	if (fflush(out) != 0)
		st = DM_TEMPFAIL;
done:
	dm_db_rollback(db);
	return st;
}
