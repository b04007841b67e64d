/* store-report.c - the SQL of `deskmail report`.
 *
 * Counting is done by PostgreSQL in the desk's time zone; what needs the
 * desk's calendar (business hours) is left to report.c. */
#include "dm-autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "store-report.h"

static const char SQL_DAYS[] =
	"SELECT to_char(d, 'YYYY-MM-DD'),"
	" (SELECT count(*) FROM tickets t WHERE (t.created_at AT TIME ZONE $3)::date = d),"
	" (SELECT count(*) FROM events e WHERE e.kind = 'status' AND e.new_value = 'resolved'"
	"   AND (e.created_at AT TIME ZONE $3)::date = d) "
	"FROM generate_series($1::date, $2::date, interval '1 day') AS g(d) ORDER BY d";
static const char SQL_WEEK[] =
	"SELECT extract(isodow FROM created_at AT TIME ZONE $3)::int, extract(hour FROM created_at AT TIME ZONE $3)::int,"
	" extract(day FROM created_at AT TIME ZONE $3)::int, count(*) "
	"FROM tickets WHERE (created_at AT TIME ZONE $3)::date BETWEEN $1::date AND $2::date GROUP BY 1, 2, 3";
static const char SQL_MIX[] =
	"SELECT 'topic', coalesce(topic, 'none'), count(*) FROM tickets t"
	" WHERE (created_at AT TIME ZONE $3)::date BETWEEN $1::date AND $2::date GROUP BY 2 "
	"UNION ALL SELECT 'team', coalesce(tm.name, 'none'), count(*) FROM tickets t LEFT JOIN teams tm ON tm.id = t.team_id"
	" WHERE (t.created_at AT TIME ZONE $3)::date BETWEEN $1::date AND $2::date GROUP BY 2 "
	"UNION ALL SELECT 'language', coalesce(language, 'unknown'), count(*) FROM tickets"
	" WHERE (created_at AT TIME ZONE $3)::date BETWEEN $1::date AND $2::date GROUP BY 2 "
	"UNION ALL SELECT 'suppressed', coalesce(e.detail, ''), count(*) FROM events e"
	" WHERE e.kind = 'ack' AND e.new_value = 'suppressed'"
	" AND (e.created_at AT TIME ZONE $3)::date BETWEEN $1::date AND $2::date GROUP BY 2 "
	"ORDER BY 1, 3 DESC, 2";
static const char SQL_TOTALS[] =
	"SELECT"
	" (SELECT count(*) FROM tickets WHERE (created_at AT TIME ZONE $3)::date BETWEEN $1::date AND $2::date),"
	" (SELECT count(*) FROM events WHERE kind = 'ack' AND new_value = 'sent'"
	"   AND (created_at AT TIME ZONE $3)::date BETWEEN $1::date AND $2::date),"
	" (SELECT count(*) FROM messages WHERE kind = 'bounce'"
	"   AND (created_at AT TIME ZONE $3)::date BETWEEN $1::date AND $2::date),"
	" (SELECT count(DISTINCT ticket_id) FROM events WHERE kind = 'status' AND new_value = 'open'"
	"   AND old_value IN ('resolved', 'closed') AND (created_at AT TIME ZONE $3)::date BETWEEN $1::date AND $2::date),"
	" (SELECT count(DISTINCT ticket_id) FROM events WHERE kind = 'status' AND new_value = 'resolved'"
	"   AND (created_at AT TIME ZONE $3)::date BETWEEN $1::date AND $2::date)";
/* Times of the tickets created in the period; resolution: the first
 * resolved event. */
static const char SQL_TIMES[] =
	"SELECT extract(epoch FROM t.created_at)::bigint,"
	" coalesce(extract(epoch FROM t.first_response_at)::bigint, 0),"
	" coalesce((SELECT extract(epoch FROM min(e.created_at))::bigint FROM events e"
	"   WHERE e.ticket_id = t.id AND e.kind = 'status' AND e.new_value = 'resolved'), 0) "
	"FROM tickets t WHERE (t.created_at AT TIME ZONE $3)::date BETWEEN $1::date AND $2::date";

static void
day_free(gpointer p)
{
	struct dm_report_day *d = p;
	g_free(d->date);
	g_free(d);
}

static void
mix_free(gpointer p)
{
	struct dm_report_mix *m = p;
	g_free(m->key);
	g_free(m);
}

void
dm_report_facts_free(struct dm_report_facts *f)
{
	if (f == NULL)
		return;
	g_ptr_array_unref(f->days);
	g_array_unref(f->arrivals);
	g_ptr_array_unref(f->mix);
	g_array_unref(f->times);
	g_free(f);
}

static gint64
int_at(const PGresult *res, int row, int col)
{
	return g_ascii_strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void
read_days(const PGresult *res, struct dm_report_facts *f)
{
	for (int i = 0; i < PQntuples(res); i++) {
		struct dm_report_day *d = g_new0(struct dm_report_day, 1);
		d->date = g_strdup(PQgetvalue(res, i, 0));
		d->opened = int_at(res, i, 1);
		d->resolved = int_at(res, i, 2);
		g_ptr_array_add(f->days, d);
	}
}

static void
read_arrivals(const PGresult *res, struct dm_report_facts *f)
{
	for (int i = 0; i < PQntuples(res); i++) {
		struct dm_report_arrivals a = { atoi(PQgetvalue(res, i, 0)), atoi(PQgetvalue(res, i, 1)),
						atoi(PQgetvalue(res, i, 2)), int_at(res, i, 3) };
		g_array_append_val(f->arrivals, a);
	}
}

static void
read_mix(const PGresult *res, struct dm_report_facts *f)
{
	for (int i = 0; i < PQntuples(res); i++) {
		const char *what = PQgetvalue(res, i, 0);
		struct dm_report_mix *m = g_new0(struct dm_report_mix, 1);
		m->kind = strcmp(what, "topic") == 0	  ? DM_MIX_TOPIC
			: strcmp(what, "team") == 0	  ? DM_MIX_TEAM
			: strcmp(what, "language") == 0 ? DM_MIX_LANGUAGE
							  : DM_MIX_SUPPRESSED;
		m->key = g_strdup(PQgetvalue(res, i, 1));
		m->n = int_at(res, i, 2);
		g_ptr_array_add(f->mix, m);
	}
}

static void
read_totals(const PGresult *res, struct dm_report_facts *f)
{
	f->tickets = int_at(res, 0, 0);
	f->acks_sent = int_at(res, 0, 1);
	f->bounces = int_at(res, 0, 2);
	f->reopened = int_at(res, 0, 3);
	f->resolved_total = int_at(res, 0, 4);
}

static void
read_times(const PGresult *res, struct dm_report_facts *f)
{
	for (int i = 0; i < PQntuples(res); i++) {
		struct dm_report_times t = { int_at(res, i, 0), int_at(res, i, 1), int_at(res, i, 2) };
		g_array_append_val(f->times, t);
	}
}

enum dm_status
dm_store_report_facts(struct dm_db *db, const char *since, const char *until, const char *timezone,
		      struct dm_report_facts **out)
{
	const char *p[] = { since, until, timezone };
	enum dm_status st;
	g_autoptr(PGresult) days = NULL, week = NULL, mix = NULL, totals = NULL, times = NULL;
	if ((st = dm_db_query(db, SQL_DAYS, 3, p, &days)) != DM_OK ||
	    (st = dm_db_query(db, SQL_WEEK, 3, p, &week)) != DM_OK ||
	    (st = dm_db_query(db, SQL_MIX, 3, p, &mix)) != DM_OK ||
	    (st = dm_db_query(db, SQL_TOTALS, 3, p, &totals)) != DM_OK ||
	    (st = dm_db_query(db, SQL_TIMES, 3, p, &times)) != DM_OK)
		return st;
	struct dm_report_facts *f = g_new0(struct dm_report_facts, 1);
	f->days = g_ptr_array_new_with_free_func(day_free);
	f->arrivals = g_array_new(FALSE, FALSE, sizeof(struct dm_report_arrivals));
	f->mix = g_ptr_array_new_with_free_func(mix_free);
	f->times = g_array_new(FALSE, FALSE, sizeof(struct dm_report_times));
	read_days(days, f);
	read_arrivals(week, f);
	read_mix(mix, f);
	read_totals(totals, f);
	read_times(times, f);
	*out = f;
	return DM_OK;
}
