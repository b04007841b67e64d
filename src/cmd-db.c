/* cmd-db.c - `deskmail db init|migrate|status`. */
#include "dm-autoconf.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "log.h"
#include "migrate.h"

static int
db_migrate(const struct dm_config *cfg, struct dm_db *db)
{
	int applied = 0;
	enum dm_status st = dm_migrate_apply(db, &applied);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: migration failed: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	printf("%d migration%s applied\n", applied, applied == 1 ? "" : "s");
	(void) cfg;
	return EX_OK;
}

static int
db_init(const struct dm_config *cfg)
{
	g_autofree char *name = dm_db_conninfo_dbname(cfg->conninfo);
	if (name) {
		g_autoptr(DmDb) admin = NULL;
		enum dm_status st = dm_db_connect(cfg->conninfo, "postgres", cfg->connect_timeout, 0, 0, &admin);
		if (st != DM_OK) {
			fprintf(stderr, "deskmail: cannot connect to the server to create database %s\n", name);
			return dm_cli_exit_code(st);
		}
		gboolean created = FALSE;
		st = dm_db_create_database(admin, name, &created);
		if (st != DM_OK) {
			fprintf(stderr, "deskmail: cannot create database %s: %s\n", name, dm_db_error(admin));
			return dm_cli_exit_code(st);
		}
		printf("database %s %s\n", name, created ? "created" : "exists");
	}
	g_autoptr(DmDb) db = NULL;
	enum dm_status st = dm_cli_connect(cfg, &db);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: cannot connect to the database\n");
		return dm_cli_exit_code(st);
	}
	return db_migrate(cfg, db);
}

static int
db_status(const struct dm_config *cfg, struct dm_db *db)
{
	g_autoptr(GPtrArray) list = NULL;
	enum dm_status st = dm_migrate_status(db, &list);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	int pending = 0;
	for (guint i = 0; i < list->len; i++) {
		struct dm_migration *m = list->pdata[i];
		printf("migration %-28s %s\n", m->name, m->applied_at ? m->applied_at : "PENDING");
		pending += m->applied_at == NULL;
	}
	if (pending) {
		printf("%d migration%s pending: run deskmail db migrate\n", pending, pending == 1 ? "" : "s");
		return EX_TEMPFAIL;
	}
	static const char sql[] =
		"SELECT (SELECT count(*) FROM tickets),"
		" (SELECT count(*) FROM tickets WHERE status IN ('new', 'open', 'pending')),"
		" (SELECT count(*) FROM messages),"
		" (SELECT count(*) FROM outbox WHERE status = 'queued'),"
		" pg_size_pretty(pg_database_size(current_database()))";
	g_autoptr(PGresult) res = NULL;
	if ((st = dm_db_query(db, sql, 0, NULL, &res)) != DM_OK) {
		fprintf(stderr, "deskmail: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	printf("tickets %s (open %s), messages %s, outbox queued %s, database size %s\n",
	       PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
	       PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4));
	(void) cfg;
	return EX_OK;
}

int
dm_cmd_db(struct dm_cli *cli, int argc, char **argv)
{
	gboolean help;
	if (!dm_cli_parse("init|migrate|status",
			  "init     create the database if needed and apply all migrations\n"
			  "migrate  apply the migrations the database does not have yet\n"
			  "status   show applied and pending migrations and counts\n"
			  "Exit 0: done; 75: database unreachable or migrations pending (status);\n"
			  "78: configuration error.",
			  NULL, &argc, &argv, &help))
		return help ? EX_OK : EX_USAGE;
	if (argc != 2) {
		fprintf(stderr, "deskmail: db needs one of init, migrate, status\n");
		return EX_USAGE;
	}
	const char *what = argv[1];
	if (strcmp(what, "init") != 0 && strcmp(what, "migrate") != 0 && strcmp(what, "status") != 0) {
		fprintf(stderr, "deskmail: unknown db command '%s' (init, migrate, status)\n", what);
		return EX_USAGE;
	}
	g_autoptr(DmConfig) cfg = dm_cli_load_config(cli);
	if (cfg == NULL)
		return EX_CONFIG;
	if (strcmp(what, "init") == 0)
		return db_init(cfg);

	g_autoptr(DmDb) db = NULL;
	enum dm_status st = dm_cli_connect(cfg, &db);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: cannot connect to the database\n");
		return dm_cli_exit_code(st);
	}
	return strcmp(what, "migrate") == 0 ? db_migrate(cfg, db) : db_status(cfg, db);
}
