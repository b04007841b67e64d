/* store-alerts.c - the SQL of the desk's clock.
 *
 * A ticket is locked FOR UPDATE SKIP LOCKED and its alert inserted with
 * ON CONFLICT DO NOTHING in the transaction that queues the mail, so two
 * clocks at once never both write about the same due time: the second
 * either passes the locked ticket over or finds the alert recorded. */
#include "dm-autoconf.h"

#include "store-alerts.h"

/* The ticket whose alert is due; its due time goes into the alert row. */
static const char SQL_DUE_REMINDER[] =
	"SELECT t.id, t.due_at FROM tickets t "
	"WHERE t.first_response_at IS NULL AND t.status IN ('new', 'open') AND t.due_at IS NOT NULL"
	" AND $1::int > 0 AND t.due_at - make_interval(secs => $1::int) <= to_timestamp($2::double precision)"
	"  AND to_timestamp($2::double precision) < t.due_at"
	" AND NOT EXISTS (SELECT FROM ticket_alerts a"
	"  WHERE a.ticket_id = t.id AND a.kind = 'reminder' AND a.due_at = t.due_at) "
	"ORDER BY t.due_at, t.id LIMIT 1 FOR UPDATE OF t SKIP LOCKED";
static const char SQL_DUE_OVERDUE[] =
	"SELECT t.id, t.due_at FROM tickets t "
	"WHERE t.first_response_at IS NULL AND t.status IN ('new', 'open') AND t.due_at IS NOT NULL"
	" AND t.due_at <= to_timestamp($2::double precision) AND $1::int >= 0"
	" AND NOT EXISTS (SELECT FROM ticket_alerts a"
	"  WHERE a.ticket_id = t.id AND a.kind = 'overdue' AND a.due_at = t.due_at) "
	"ORDER BY t.due_at, t.id LIMIT 1 FOR UPDATE OF t SKIP LOCKED";
static const char SQL_RECORD[] =
	"INSERT INTO ticket_alerts (ticket_id, kind, due_at) VALUES ($1, $2, $3) "
	"ON CONFLICT DO NOTHING RETURNING ticket_id";

const char *
dm_alert_kind_name(enum dm_alert_kind kind)
{
	return kind == DM_ALERT_REMINDER ? "reminder" : "overdue";
}

enum dm_status
dm_store_alert_claim(struct dm_db *db, enum dm_alert_kind kind, int remind_before, gint64 now,
		     gint64 *ticket, gboolean *claimed)
{
	char b1[24], b2[40];
	g_snprintf(b1, sizeof b1, "%d", remind_before);
	g_snprintf(b2, sizeof b2, "%" G_GINT64_FORMAT ".%06d", now / G_USEC_PER_SEC, (int) (now % G_USEC_PER_SEC));
	const char *p[] = { b1, b2 };
	g_autoptr(PGresult) due = NULL;
	*ticket = 0;
	*claimed = FALSE;
	enum dm_status st =
		dm_db_query(db, kind == DM_ALERT_REMINDER ? SQL_DUE_REMINDER : SQL_DUE_OVERDUE, 2, p, &due);
	if (st != DM_OK || PQntuples(due) == 0)
		return st;
	*ticket = g_ascii_strtoll(PQgetvalue(due, 0, 0), NULL, 10);
	const char *r[] = { PQgetvalue(due, 0, 0), dm_alert_kind_name(kind), PQgetvalue(due, 0, 1) };
	g_autoptr(PGresult) rec = NULL;
	if ((st = dm_db_query(db, SQL_RECORD, 3, r, &rec)) != DM_OK)
		return st;
	*claimed = PQntuples(rec) == 1;
	return DM_OK;
}
