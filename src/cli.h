/* cli.h - what the subcommands share: the parsed global options, the
 * configuration, and the mapping of statuses to exit codes. */
#ifndef DM_CLI_H
#define DM_CLI_H

#include <glib.h>

#include "config.h"
#include "db.h"
#include "status.h"

/* What a command needs set up before it runs; a row of the command table
 * in main.c. */
enum dm_cli_needs {
	DM_CLI_OWN_SETUP = 1 << 0, /* does its own setup (deliver, check-config) */
	DM_CLI_CONFIG = 1 << 1,    /* the configuration, without the reply-key secret, and the log */
	DM_CLI_SECRET = 1 << 2,    /* the configuration with the reply-key secret */
	DM_CLI_DB = 1 << 3,        /* a database connection */
};

struct dm_cli {
	const char *config_path; /* resolved path of the configuration file */
	const char *prog;        /* "deskmail" */
	unsigned needs;          /* enum dm_cli_needs of the command's table row */
	struct dm_config *cfg;   /* set by dm_cli_setup; owned here, freed by dm_cli_clear */
	struct dm_db *db;        /* likewise */
};

/* Set up what CLI->needs says: load the configuration (reading the
 * secret file only for DM_CLI_SECRET), open the log, connect.  A command
 * calls it once its arguments are known to be right, so that --help and
 * a usage error need neither configuration nor database; a command whose
 * subcommand needs less may clear flags first.  What is already set up is
 * kept.  Returns EX_OK, or the exit code after printing one line (78 for
 * the configuration, 75 when the database cannot be reached). */
int dm_cli_setup(struct dm_cli *cli);

/* Only the configuration part of dm_cli_setup, for a command that checks
 * more of the configuration or reads its input before it connects (a
 * broken configuration is then 78 whether or not the database is up). */
int dm_cli_setup_config(struct dm_cli *cli);

/* Free what dm_cli_setup set up (main, after the command). */
void dm_cli_clear(struct dm_cli *cli);

/* Load the configuration, secret included, for an admin command that does
 * its own setup.  On failure prints one line and returns NULL; the
 * command then exits 78 (EX_CONFIG). */
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

/* Checks of option values, made before the configuration is read or the
 * database asked, so that a wrong value is a usage error (64) and not a
 * database error.  Each returns TRUE when VALUE is right; otherwise it
 * prints one line naming WHAT (the command, "ticket list"), OPTION and
 * VALUE, and the command exits 64.  A date is ISO YYYY-MM-DD and a real
 * calendar day. */
gboolean dm_cli_check_date(const char *what, const char *option, const char *value);

/* A ticket status: new, open, pending, resolved or closed. */
gboolean dm_cli_check_status(const char *what, const char *option, const char *value);

/* A positive decimal integer that fits an int, stored in *OUT. */
gboolean dm_cli_check_count(const char *what, const char *option, const char *value, int *out);

/* A mail address once dm_address_normalise has trimmed it: one '@' with
 * something on both sides, no spaces or brackets. */
gboolean dm_cli_check_address(const char *what, const char *option, const char *value);

int dm_cmd_deliver(struct dm_cli *cli, int argc, char **argv);
int dm_cmd_serve(struct dm_cli *cli, int argc, char **argv);
int dm_cmd_db(struct dm_cli *cli, int argc, char **argv);
int dm_cmd_tick(struct dm_cli *cli, int argc, char **argv);
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

/* The starter model, for `deskmail db init` once CLI is connected: when
 * the stored topic model is empty and [desk] starter_model names
 * something, train it from that labelled mail (one JSON Lines file, or a
 * directory whose *.jsonl files are read in name order) as `deskmail
 * train` would, and print one line saying so.  Unreadable labelled mail or
 * topics file is a warning on stderr and EX_OK (the database itself is
 * initialised); a database failure is its exit code. */
int dm_cli_train_starter(struct dm_cli *cli);

#endif
