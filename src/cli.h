/* cli.h - what the subcommands share: the parsed global options, the
 * configuration, and the mapping of statuses to exit codes. */
#ifndef DM_CLI_H
#define DM_CLI_H

#include <glib.h>

#include "config.h"
#include "db.h"
#include "status.h"

struct dm_cli {
	const char *config_path; /* resolved path of the configuration file */
	const char *prog;        /* "deskmail" */
};

/* Load the configuration for an admin command.  On failure prints one
 * line and returns NULL; the command then exits 78 (EX_CONFIG). */
struct dm_config *dm_cli_load_config(const struct dm_cli *cli);

/* Connect for an admin command; prints one line on failure. */
enum dm_status dm_cli_connect(const struct dm_config *cfg, struct dm_db **db);

/* The sysexits code for an admin command ending with ST. */
int dm_cli_exit_code(enum dm_status st);

/* Parse a subcommand's options with GOption.  Returns FALSE (and prints
 * the error) on a usage error; the caller exits 64.  --help prints and
 * returns FALSE with *HELP set, and the caller exits 0. */
gboolean dm_cli_parse(const char *usage, const char *summary, GOptionEntry *entries, int *argc,
		      char ***argv, gboolean *help);

int dm_cmd_deliver(struct dm_cli *cli, int argc, char **argv);
int dm_cmd_db(struct dm_cli *cli, int argc, char **argv);
int dm_cmd_export(struct dm_cli *cli, int argc, char **argv);
int dm_cmd_check_config(struct dm_cli *cli, int argc, char **argv);
int dm_cmd_outbox(struct dm_cli *cli, int argc, char **argv);
int dm_cmd_agent(struct dm_cli *cli, int argc, char **argv);
int dm_cmd_ticket(struct dm_cli *cli, int argc, char **argv);
int dm_cmd_contact(struct dm_cli *cli, int argc, char **argv);
int dm_cmd_report(struct dm_cli *cli, int argc, char **argv);
int dm_cmd_classify(struct dm_cli *cli, int argc, char **argv);
int dm_cmd_train(struct dm_cli *cli, int argc, char **argv);
int dm_cmd_eval(struct dm_cli *cli, int argc, char **argv);

#endif
