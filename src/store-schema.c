/* store-schema.c - the SQL of the schema_migrations table. */
#include "dm-autoconf.h"

#include <stdlib.h>

#include "store-schema.h"

/* Concurrent `db migrate` runs serialise on this advisory lock. */
static const char SQL_LOCK[] = "SELECT pg_advisory_xact_lock(7406100401)";
static const char SQL_CREATE_TABLE[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version integer PRIMARY KEY, name text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now())";
static const char SQL_APPLIED[] =
	"SELECT version, to_char(applied_at, 'YYYY-MM-DD HH24:MI:SSOF') FROM schema_migrations";
static const char SQL_RECORD[] = "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)";
static const char SQL_TABLE_EXISTS[] = "SELECT to_regclass('schema_migrations') IS NOT NULL";

void
dm_schema_applied_free(struct dm_schema_applied *a)
{
	if (a == NULL)
		return;
	g_free(a->applied_at);
	g_free(a);
}

enum dm_status
dm_store_schema_lock(struct dm_db *db)
{
	enum dm_status st = dm_db_query(db, SQL_LOCK, 0, NULL, NULL);
	return st == DM_OK ? dm_db_query(db, SQL_CREATE_TABLE, 0, NULL, NULL) : st;
}

enum dm_status
dm_store_schema_table_exists(struct dm_db *db, gboolean *exists)
{
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_TABLE_EXISTS, 0, NULL, &res);
	*exists = st == DM_OK && g_str_equal(PQgetvalue(res, 0, 0), "t");
	return st;
}

enum dm_status
dm_store_schema_applied(struct dm_db *db, GPtrArray **out)
{
	g_autoptr(PGresult) res = NULL;
	enum dm_status st = dm_db_query(db, SQL_APPLIED, 0, NULL, &res);
	if (st != DM_OK)
		return st;
	*out = g_ptr_array_new_with_free_func((GDestroyNotify) dm_schema_applied_free);
	for (int r = 0; r < PQntuples(res); r++) {
		struct dm_schema_applied *a = g_new0(struct dm_schema_applied, 1);
		a->version = atoi(PQgetvalue(res, r, 0));
		a->applied_at = g_strdup(PQgetvalue(res, r, 1));
		g_ptr_array_add(*out, a);
	}
	return DM_OK;
}

enum dm_status
dm_store_schema_record(struct dm_db *db, int version, const char *name)
{
	char v[16];
	g_snprintf(v, sizeof v, "%d", version);
	const char *p[] = { v, name };
	return dm_db_query(db, SQL_RECORD, 2, p, NULL);
}
