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
	int rc = dm_cli_setup(cli);
	if (rc != EX_OK)
		return rc;
	const struct dm_config *cfg = cli->cfg;
	struct dm_db *db = cli->db;
	enum dm_status st;
	st = dm_export_jsonl(db, cfg, ticket, stdout);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: export failed: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	return EX_OK;
}
