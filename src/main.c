/* main.c - argument parsing and dispatch; the only place that exits.
 *
 *   deskmail [--config FILE] COMMAND [ARGS]
 *
 * Admin commands use the ordinary sysexits codes.  deliver is special: it
 * talks to the MTA, so everything but "stored" and "can never be stored"
 * becomes 75 (see deliver.c). */
#include "dm-autoconf.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "log.h"
#include "message.h"

/* A row says what the command needs (enum dm_cli_needs); dm_cli_setup
 * provides it, so a new command is one row and one file. */
struct command {
	const char *name;
	int (*run)(struct dm_cli *cli, int argc, char **argv);
	unsigned needs;
	const char *summary;
};

#define NEEDS_CONFIG DM_CLI_CONFIG
#define NEEDS_CONFIG_DB (DM_CLI_CONFIG | DM_CLI_DB)

static const struct command commands[] = {
	{ "deliver", dm_cmd_deliver, DM_CLI_OWN_SETUP, "store one message from standard input (run by the MTA)" },
	{ "serve", dm_cmd_serve, DM_CLI_OWN_SETUP, "the resident LMTP delivery service (run by systemd)" },
	{ "db", dm_cmd_db, NEEDS_CONFIG_DB, "init | migrate | status: create and upgrade the database" },
	{ "export", dm_cmd_export, NEEDS_CONFIG_DB, "print tickets as JSON Lines" },
	{ "tick", dm_cmd_tick, NEEDS_CONFIG_DB, "send the reminders and overdue mail that are due (cron, timer)" },
	{ "outbox", dm_cmd_outbox, NEEDS_CONFIG_DB, "list | flush: mail waiting to be sent" },
	{ "agent", dm_cmd_agent, NEEDS_CONFIG_DB, "add | list | disable: the people who answer" },
	{ "ticket", dm_cmd_ticket, NEEDS_CONFIG_DB, "list | show N | set N key=value: tickets from a shell" },
	{ "contact", dm_cmd_contact, NEEDS_CONFIG_DB, "show ADDRESS: a customer and their tickets" },
	{ "classify", dm_cmd_classify, NEEDS_CONFIG_DB, "< MAIL: topic, confidence, tokens, language, priority" },
	{ "train", dm_cmd_train, NEEDS_CONFIG_DB, "FILE.jsonl: add labelled examples to the topic model" },
	{ "eval", dm_cmd_eval, NEEDS_CONFIG, "FILE.jsonl: cross-validate the classifier on labelled mail" },
	{ "report", dm_cmd_report, NEEDS_CONFIG_DB, "--since DATE --until DATE [--json|--html FILE]: the desk's figures" },
	{ "check-config", dm_cmd_check_config, DM_CLI_OWN_SETUP, "check the configuration file" },
};

static void
usage(FILE *out)
{
	fprintf(out, "Usage: deskmail [--config FILE] COMMAND [ARGS...]\n\n"
		     "deskmail files help-desk mail into PostgreSQL tickets.\n\nCommands:\n");
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nOptions:\n"
		     "  -c, --config FILE  configuration file (default: $DESKMAIL_CONFIG, else\n"
		     "                     " SYSCONFDIR "/deskmail/deskmail.conf)\n"
		     "  -h, --help         show this help; COMMAND --help for a command's\n"
		     "  -V, --version      show the version\n\n"
		     "See deskmail(1) and deskmail.conf(5).\n");
}

int
main(int argc, char **argv)
{
	struct dm_cli cli = { .prog = "deskmail" };
	const char *config = NULL;
	int i = 1;

	setlocale(LC_ALL, "");
	/* Global options come before the command. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return EX_OK;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("deskmail %s\n", PACKAGE_VERSION);
			return EX_OK;
		} else if (strcmp(a, "--config") == 0 || strcmp(a, "-c") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "deskmail: %s needs a file name\n", a);
				return EX_USAGE;
			}
			config = argv[++i];
		} else if (g_str_has_prefix(a, "--config=")) {
			config = a + strlen("--config=");
		} else {
			fprintf(stderr, "deskmail: unknown option '%s' (try deskmail --help)\n", a);
			return EX_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	cli.config_path = dm_config_default_path(config);
	dm_message_init();
	for (gsize c = 0; c < G_N_ELEMENTS(commands); c++)
		if (strcmp(argv[i], commands[c].name) == 0) {
			cli.needs = commands[c].needs;
			int rc = commands[c].run(&cli, argc - i, argv + i);
			dm_cli_clear(&cli);
			return rc;
		}
	fprintf(stderr, "deskmail: unknown command '%s' (try deskmail --help)\n", argv[i]);
	return EX_USAGE;
}
