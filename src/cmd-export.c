/* cmd-export.c - `deskmail export`. */
#include "dm-autoconf.h"

#include <stdio.h>
#include <sysexits.h>

#include "cli.h"
#include "export.h"

int
dm_cmd_export(struct dm_cli *cli, int argc, char **argv)
{
	gint64 ticket = 0;
	GOptionEntry entries[] = {
		{ "ticket", 't', 0, G_OPTION_ARG_INT64, &ticket, "Only this ticket", "N" },
		G_OPTION_ENTRY_NULL
	};
	gboolean help;
	if (!dm_cli_parse("- print tickets as JSON Lines",
			  "One ticket per line, oldest first, with its messages and attachments.",
			  entries, &argc, &argv, &help))
		return help ? EX_OK : EX_USAGE;
	if (argc > 1) {
		fprintf(stderr, "deskmail: unexpected argument '%s' for export\n", argv[1]);
		return EX_USAGE;
	}
	g_autoptr(DmConfig) cfg = dm_cli_load_config(cli);
	if (cfg == NULL)
		return EX_CONFIG;
	g_autoptr(DmDb) db = NULL;
	enum dm_status st = dm_cli_connect(cfg, &db);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: cannot connect to the database\n");
		return dm_cli_exit_code(st);
	}
	st = dm_export_jsonl(db, cfg, ticket, stdout);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: export failed: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	return EX_OK;
}
