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

struct command {
	const char *name;
	int (*run)(struct dm_cli *cli, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "deliver", dm_cmd_deliver, "store one message from standard input (run by the MTA)" },
	{ "db", dm_cmd_db, "init | migrate | status: create and upgrade the database" },
	{ "export", dm_cmd_export, "print tickets as JSON Lines" },
	{ "outbox", dm_cmd_outbox, "list | flush: mail waiting to be sent" },
	{ "agent", dm_cmd_agent, "add | list | disable: the people who answer" },
	{ "ticket", dm_cmd_ticket, "list | show N | set N key=value: tickets from a shell" },
	{ "contact", dm_cmd_contact, "show ADDRESS: a customer and their tickets" },
	{ "classify", dm_cmd_classify, "< MAIL: topic, confidence, tokens, language, priority" },
	{ "train", dm_cmd_train, "FILE.jsonl: add labelled examples to the topic model" },
	{ "eval", dm_cmd_eval, "FILE.jsonl: cross-validate the classifier on labelled mail" },
	{ "report", dm_cmd_report, "--since DATE --until DATE [--json|--html FILE]: the desk's figures" },
	{ "check-config", dm_cmd_check_config, "check the configuration file" },
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
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].run(&cli, argc - i, argv + i);
	fprintf(stderr, "deskmail: unknown command '%s' (try deskmail --help)\n", argv[i]);
	return EX_USAGE;
}
