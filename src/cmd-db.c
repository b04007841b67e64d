/* cmd-db.c - `deskmail db init|migrate|status`. */
#include "dm-autoconf.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "log.h"
#include "migrate.h"
#include "store-admin.h"

static int
db_migrate(struct dm_db *db)
{
	int applied = 0;
	enum dm_status st = dm_migrate_apply(db, &applied);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: migration failed: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	printf("%d migration%s applied\n", applied, applied == 1 ? "" : "s");
	return EX_OK;
}

/* Create the database when the configuration names one (connected to the
 * "postgres" database, since ours may not exist yet), then migrate it. */
static int
db_init(struct dm_cli *cli)
{
	int rc = dm_cli_setup_config(cli);
	if (rc != EX_OK)
		return rc;
	const struct dm_config *cfg = cli->cfg;
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
	if ((rc = dm_cli_setup(cli)) != EX_OK)
		return rc;
	if ((rc = db_migrate(cli->db)) != EX_OK)
		return rc;
	/* A fresh install classifies before anyone trains. */
	return dm_cli_train_starter(cli);
}

static int
db_status(struct dm_db *db)
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
	struct dm_db_counts c = { 0 };
	if ((st = dm_store_db_counts(db, &c)) != DM_OK) {
		fprintf(stderr, "deskmail: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	printf("tickets %s (open %s), messages %s, outbox queued %s, database size %s\n", c.tickets, c.open,
	       c.messages, c.queued, c.size);
	dm_db_counts_clear(&c);
	return EX_OK;
}

int
dm_cmd_db(struct dm_cli *cli, int argc, char **argv)
{
	gboolean help;
	if (!dm_cli_parse("init|migrate|status",
			  "init     create the database if needed, apply all migrations, and train an\n"
			  "         empty topic model from [desk] starter_model\n"
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
	if (strcmp(what, "init") == 0)
		return db_init(cli);
	int rc = dm_cli_setup(cli);
	if (rc != EX_OK)
		return rc;
	return strcmp(what, "migrate") == 0 ? db_migrate(cli->db) : db_status(cli->db);
}
