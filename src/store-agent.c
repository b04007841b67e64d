/* store-agent.c - the SQL for agents and teams. */
#include "dm-autoconf.h"

#include <string.h>

#include "store-agent.h"

static const char SQL_TEAM_ENSURE[] =
	"WITH ins AS (INSERT INTO teams (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id) "
	"SELECT id FROM ins UNION ALL SELECT id FROM teams WHERE name = $1 LIMIT 1";
static const char SQL_TEAM_EXISTS[] = "SELECT 1 FROM teams WHERE name = $1";
static const char SQL_TEAM_ID[] = "SELECT id FROM teams WHERE name = $1";
static const char SQL_AGENT_ADD[] =
	"INSERT INTO agents (address, name, team_id, active) VALUES ($1, $2, $3, true) "
	"ON CONFLICT (address) DO UPDATE SET name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name"
	" ELSE agents.name END, team_id = coalesce(EXCLUDED.team_id, agents.team_id), active = true "
	"RETURNING id";
static const char SQL_AGENT_DISABLE[] = "UPDATE agents SET active = false WHERE address = $1 RETURNING id";
static const char SQL_AGENT_SELECT[] =
	"SELECT a.id, a.address, a.name, coalesce(t.name, ''), a.active FROM agents a "
	"LEFT JOIN teams t ON t.id = a.team_id "
	"WHERE ($1::text IS NULL OR a.address = $1) AND ($2::bigint = 0 OR a.id = $2) ORDER BY a.address";

void
dm_agent_free(struct dm_agent *a)
{
	if (a == NULL)
		return;
	g_free(a->address);
	g_free(a->name);
	g_free(a->team);
	g_free(a);
}

enum dm_status
dm_team_ensure(struct dm_db *db, const char *name, gint64 *id)
{
	const char *p[] = { name };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_TEAM_ENSURE, 1, p, &res);
	if (st == DM_OK && PQntuples(res) == 0) {
		/* Another transaction inserted the team and committed while
		 * this statement ran: ON CONFLICT DO NOTHING returns no row and
		 * the SELECT's snapshot predates the commit.  A new statement
		 * (READ COMMITTED) sees the row. */
		g_clear_pointer(&res, PQclear);
		st = dm_db_query(db, SQL_TEAM_ID, 1, p, &res);
		if (st == DM_OK && PQntuples(res) == 0)
			return DM_TEMPFAIL;
	}
	if (st == DM_OK)
		*id = g_ascii_strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	return st;
}

enum dm_status
dm_team_exists(struct dm_db *db, const char *name, gboolean *exists)
{
	const char *p[] = { name };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_TEAM_EXISTS, 1, p, &res);
	*exists = st == DM_OK && PQntuples(res) > 0;
	return st;
}

enum dm_status
dm_agent_add(struct dm_db *db, const char *address, const char *name, const char *team, gint64 *id)
{
	gint64 team_id = 0;
	enum dm_status st;
	if (team && *team && (st = dm_team_ensure(db, team, &team_id)) != DM_OK)
		return st;
	char tb[24];
	g_snprintf(tb, sizeof tb, "%" G_GINT64_FORMAT, team_id);
	const char *p[] = { address, name ? name : "", team_id ? tb : NULL };
	g_autoptr(PGresult) res = NULL;
	st = dm_db_query(db, SQL_AGENT_ADD, 3, p, &res);
	if (st == DM_OK)
		*id = g_ascii_strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	return st;
}

enum dm_status
dm_agent_disable(struct dm_db *db, const char *address, gboolean *found)
{
	const char *p[] = { address };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_AGENT_DISABLE, 1, p, &res);
	*found = st == DM_OK && PQntuples(res) > 0;
	return st;
}

static GPtrArray *
agents_from(PGresult *res)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) dm_agent_free);
	for (int r = 0; r < PQntuples(res); r++) {
		struct dm_agent *a = g_new0(struct dm_agent, 1);
		a->id = g_ascii_strtoll(PQgetvalue(res, r, 0), NULL, 10);
		a->address = g_strdup(PQgetvalue(res, r, 1));
		a->name = g_strdup(PQgetvalue(res, r, 2));
		a->team = g_strdup(PQgetvalue(res, r, 3));
		a->active = strcmp(PQgetvalue(res, r, 4), "t") == 0;
		g_ptr_array_add(out, a);
	}
	return out;
}

enum dm_status
dm_agent_list(struct dm_db *db, GPtrArray **out)
{
	const char *p[] = { NULL, "0" };
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_AGENT_SELECT, 2, p, &res);
	if (st == DM_OK)
		*out = agents_from(res);
	return st;
}

enum dm_status
dm_agent_find(struct dm_db *db, const char *address, gint64 id, struct dm_agent **out)
{
	char ib[24];
	g_snprintf(ib, sizeof ib, "%" G_GINT64_FORMAT, address ? 0 : id);
	const char *p[] = { address, ib };
	g_autoptr(PGresult) res = NULL;
	*out = NULL;
	enum dm_status st = dm_db_query(db, SQL_AGENT_SELECT, 2, p, &res);
	if (st == DM_OK && PQntuples(res) > 0) {
		g_autoptr(GPtrArray) list = agents_from(res);
		*out = g_ptr_array_steal_index(list, 0);
	}
	return st;
}
