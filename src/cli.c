/* cli.c - helpers shared by the admin subcommands. */
#include "dm-autoconf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "log.h"
#include "message.h"

static struct dm_config *
load_config(const struct dm_cli *cli, gboolean secret)
{
	g_autoptr(GError) error = NULL;
	struct dm_config *cfg = secret ? dm_config_load(cli->config_path, &error)
				       : dm_config_load_without_secret(cli->config_path, &error);
	if (cfg == NULL) {
		fprintf(stderr, "deskmail: %s\n", error->message);
		return NULL;
	}
	dm_log_open(g_str_equal(cfg->log_target, "syslog") ? DM_LOG_SYSLOG : DM_LOG_STDERR, "deskmail");
	return cfg;
}

struct dm_config *
dm_cli_load_config(const struct dm_cli *cli)
{
	return load_config(cli, TRUE);
}

int
dm_cli_setup_config(struct dm_cli *cli)
{
	gboolean secret = (cli->needs & DM_CLI_SECRET) != 0;
	if ((cli->needs & (DM_CLI_CONFIG | DM_CLI_SECRET | DM_CLI_DB)) && cli->cfg == NULL &&
	    (cli->cfg = load_config(cli, secret)) == NULL)
		return EX_CONFIG;
	return EX_OK;
}

int
dm_cli_setup(struct dm_cli *cli)
{
	int rc = dm_cli_setup_config(cli);
	if (rc != EX_OK)
		return rc;
	if ((cli->needs & DM_CLI_DB) && cli->db == NULL) {
		enum dm_status st = dm_cli_connect(cli->cfg, &cli->db);
		if (st != DM_OK) {
			fprintf(stderr, "deskmail: cannot connect to the database\n");
			return dm_cli_exit_code(st);
		}
	}
	return EX_OK;
}

void
dm_cli_clear(struct dm_cli *cli)
{
	g_clear_pointer(&cli->db, dm_db_free);
	g_clear_pointer(&cli->cfg, dm_config_free);
}

enum dm_status
dm_cli_connect(const struct dm_config *cfg, struct dm_db **db)
{
	/* dm_db_connect logs the reason. */
	return dm_db_connect(cfg->conninfo, NULL, cfg->connect_timeout, cfg->statement_timeout,
			     cfg->lock_timeout, db);
}

int
dm_cli_exit_code(enum dm_status st)
{
	switch (st) {
	case DM_OK:
	case DM_DUPLICATE:
		return EX_OK;
	case DM_TEMPFAIL:
		return EX_TEMPFAIL;
	case DM_REJECT:
		return EX_DATAERR;
	case DM_CONFIG:
		return EX_CONFIG;
	case DM_USAGE:
		return EX_USAGE;
	case DM_NOTFOUND:
		return EX_NOINPUT;
	case DM_INTERNAL:
		return EX_SOFTWARE;
	}
	return EX_SOFTWARE;
}

gboolean
dm_cli_parse(const char *usage, const char *summary, GOptionEntry *entries, int *argc,
	     char ***argv, gboolean *help)
{
	gboolean want_help = FALSE;
	GOptionEntry help_entry[] = {
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &want_help, "Show this help", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(usage);
	g_autoptr(GError) error = NULL;
	/* GOption's own --help calls exit(); ours returns to main. */
	g_option_context_set_help_enabled(ctx, FALSE);
	g_option_context_set_summary(ctx, summary);
	g_option_context_add_main_entries(ctx, help_entry, NULL);
	if (entries)
		g_option_context_add_main_entries(ctx, entries, NULL);
	*help = FALSE;
	if (!g_option_context_parse(ctx, argc, argv, &error)) {
		fprintf(stderr, "deskmail: %s\n", error->message);
		return FALSE;
	}
	if (want_help) {
		g_autofree char *text = g_option_context_get_help(ctx, TRUE, NULL);
		fputs(text, stdout);
		*help = TRUE;
		return FALSE;
	}
	return TRUE;
}

/* One refusal of an option's value, in the form every check shares. */
static gboolean
refuse(const char *what, const char *option, const char *value, const char *wanted)
{
	fprintf(stderr, "deskmail: %s: %s '%s' is not %s\n", what, option, value, wanted);
	return FALSE;
}

gboolean
dm_cli_check_date(const char *what, const char *option, const char *value)
{
	/* Only the ISO form: "08/12/2026" means different days to different
	 * people, and PostgreSQL would otherwise guess. */
	if (strlen(value) != 10 || value[4] != '-' || value[7] != '-')
		return refuse(what, option, value, "a date (YYYY-MM-DD)");
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !g_ascii_isdigit(value[i]))
			return refuse(what, option, value, "a date (YYYY-MM-DD)");
	int y = atoi(value), m = atoi(value + 5), d = atoi(value + 8);
	if (y < 1 || !g_date_valid_dmy(d, m, y))
		return refuse(what, option, value, "a date (YYYY-MM-DD)");
	return TRUE;
}

gboolean
dm_cli_check_status(const char *what, const char *option, const char *value)
{
	/* The values of the tickets.status CHECK constraint. */
	static const char *const statuses[] = { "new", "open", "pending", "resolved", "closed", NULL };
	if (g_strv_contains(statuses, value))
		return TRUE;
	return refuse(what, option, value, "a status (new, open, pending, resolved, closed)");
}

gboolean
dm_cli_check_count(const char *what, const char *option, const char *value, int *out)
{
	guint64 n = 0;
	/* g_ascii_string_to_unsigned would take a sign and white space. */
	if (*value == '\0' || strspn(value, "0123456789") != strlen(value) ||
	    !g_ascii_string_to_unsigned(value, 10, 1, INT_MAX, &n, NULL))
		return refuse(what, option, value, "a positive integer");
	*out = (int) n;
	return TRUE;
}

gboolean
dm_cli_check_address(const char *what, const char *option, const char *value)
{
	g_autofree char *a = dm_address_normalise(value);
	const char *at = strchr(a, '@');
	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@') ||
	    strpbrk(a, " \t\r\n<>,;:\"()[]\\") || a[0] == '-')
		return refuse(what, option, value, "a mail address");
	return TRUE;
}
