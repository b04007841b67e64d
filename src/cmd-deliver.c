/* cmd-deliver.c - `deskmail deliver`: the MTA's entry point.
 *
 * Even a usage or configuration error exits 75 here: a broken deployment
 * must defer mail, never bounce it. */
#include "dm-autoconf.h"

#include <stdio.h>
#include <sysexits.h>

#include "cli.h"
#include "deliver.h"
#include "log.h"

int
dm_cmd_deliver(struct dm_cli *cli, int argc, char **argv)
{
	g_autofree char *recipient = NULL;
	g_autofree char *sender = NULL;
	GOptionEntry entries[] = {
		{ "recipient", 'r', 0, G_OPTION_ARG_STRING, &recipient,
		  "Envelope recipient (Postfix: ${original_recipient})", "ADDRESS" },
		{ "sender", 'f', 0, G_OPTION_ARG_STRING, &sender,
		  "Envelope sender (Postfix: ${sender})", "ADDRESS" },
		G_OPTION_ENTRY_NULL
	};
	gboolean help;
	if (!dm_cli_parse("- store one message from standard input",
			  "Run by the MTA once per message. Exit 0: stored; 65: can never be\n"
			  "stored (empty, not mail, too large); 75: try again later.",
			  entries, &argc, &argv, &help)) {
		if (help)
			return EX_OK;
		fprintf(stderr, "4.3.0 deskmail: bad command line for deliver\n");
		return EX_TEMPFAIL;
	}
	if (argc > 1) {
		fprintf(stderr, "4.3.0 deskmail: unexpected argument '%s' for deliver\n", argv[1]);
		return EX_TEMPFAIL;
	}

	g_autoptr(GError) error = NULL;
	g_autoptr(DmConfig) cfg = dm_config_load(cli->config_path, &error);
	if (cfg == NULL) {
		fprintf(stderr, "4.3.0 deskmail: %s\n", error->message);
		return EX_TEMPFAIL;
	}
	dm_log_open(g_str_equal(cfg->log_target, "syslog") ? DM_LOG_SYSLOG : DM_LOG_STDERR, "deskmail");

	struct dm_deliver_options opts = { .recipient = recipient, .sender = sender, .input_fd = 0 };
	/* The status line goes first; the log lines after it. */
	dm_log_hold();
	fflush(stderr);
	int status = dm_deliver_run(cfg, &opts);
	fflush(stderr);
	dm_log_flush();
	return status;
}
