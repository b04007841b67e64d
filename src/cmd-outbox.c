/* cmd-outbox.c - `deskmail outbox list|flush`: the mail waiting to be
 * sent.  flush is safe to run from cron or a systemd timer on several
 * hosts at once: every row is claimed with FOR UPDATE SKIP LOCKED. */
#include "dm-autoconf.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "outbox.h"

int
dm_cmd_outbox(struct dm_cli *cli, int argc, char **argv)
{
	gboolean all = FALSE;
	gint limit = 50;
	GOptionEntry entries[] = {
		{ "all", 'a', 0, G_OPTION_ARG_NONE, &all, "list: sent mail too", NULL },
		{ "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "list: at most N rows (50)", "N" },
		G_OPTION_ENTRY_NULL
	};
	gboolean help;
	if (!dm_cli_parse("list|flush",
			  "list   show queued and failed mail (newest first)\n"
			  "flush  send the queued mail that is due; a failure is retried later\n"
			  "       with a doubling delay ([outgoing] retry_delay, max_attempts).\n"
			  "Exit 0: done; 75: database unreachable, or some mail could not be sent.",
			  entries, &argc, &argv, &help))
		return help ? EX_OK : EX_USAGE;
	if (argc != 2 || (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "flush") != 0)) {
		fprintf(stderr, "deskmail: outbox needs list or flush\n");
		return EX_USAGE;
	}
	int rc = dm_cli_setup(cli);
	if (rc != EX_OK)
		return rc;
	const struct dm_config *cfg = cli->cfg;
	struct dm_db *db = cli->db;
	enum dm_status st;
	if (strcmp(argv[1], "list") == 0) {
		st = dm_outbox_list(db, all, limit > 0 ? limit : 50, stdout);
	} else {
		int sent = 0, failed = 0;
		st = dm_outbox_flush(db, cfg, 0, &sent, &failed);
		if (st == DM_OK) {
			printf("%d sent, %d failed\n", sent, failed);
			if (failed)
				return EX_TEMPFAIL;
		}
	}
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: outbox: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	return EX_OK;
}
