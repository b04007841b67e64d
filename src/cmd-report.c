/* cmd-report.c - `deskmail report --since DATE --until DATE [--json |
 * --html FILE]`. */
#include "dm-autoconf.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "hours.h"
#include "report.h"

/* Which option is wrong, in one line; FALSE when one is. */
static gboolean
check_options(int argc, char **argv, const char *since, const char *until, gboolean json, const char *html)
{
	const char *what = "report";
	if (argc > 1) {
		fprintf(stderr, "deskmail: report: unexpected argument '%s'\n", argv[1]);
		return FALSE;
	}
	if (since == NULL || until == NULL) {
		fprintf(stderr, "deskmail: report: %s DATE is required (YYYY-MM-DD)\n",
			since == NULL ? "--since" : "--until");
		return FALSE;
	}
	if (!dm_cli_check_date(what, "--since", since) || !dm_cli_check_date(what, "--until", until))
		return FALSE;
	/* Both are YYYY-MM-DD, so text order is date order. */
	if (strcmp(since, until) > 0) {
		fprintf(stderr, "deskmail: report: --since '%s' is after --until '%s'\n", since, until);
		return FALSE;
	}
	if (json && html) {
		fprintf(stderr, "deskmail: report: --json and --html '%s' exclude each other\n", html);
		return FALSE;
	}
	return TRUE;
}

int
dm_cmd_report(struct dm_cli *cli, int argc, char **argv)
{
	g_autofree char *since = NULL, *until = NULL, *html = NULL;
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "since", 0, 0, G_OPTION_ARG_STRING, &since, "First day (YYYY-MM-DD)", "DATE" },
		{ "until", 0, 0, G_OPTION_ARG_STRING, &until, "Last day, included (YYYY-MM-DD)", "DATE" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON for scripts", NULL },
		{ "html", 0, 0, G_OPTION_ARG_FILENAME, &html, "Write a self-contained HTML page", "FILE" },
		G_OPTION_ENTRY_NULL
	};
	gboolean help;
	if (!dm_cli_parse("--since DATE --until DATE [--json | --html FILE]",
			  "Tickets opened and resolved per day, arrivals by hour of week and day of month,\n"
			  "topic, team and language mix, first-response and resolution times in business\n"
			  "hours (median, p90), share answered within the target, reopen rate,\n"
			  "acknowledgements suppressed by reason, bounces.",
			  entries, &argc, &argv, &help))
		return help ? EX_OK : EX_USAGE;
	if (!check_options(argc, argv, since, until, json, html))
		return EX_USAGE;
	/* The calendar is checked before connecting: a broken [hours] is 78
	 * whether or not the database is up. */
	int rc = dm_cli_setup_config(cli);
	if (rc != EX_OK)
		return rc;
	const struct dm_config *cfg = cli->cfg;
	g_autoptr(GError) error = NULL;
	g_autoptr(DmHours) hours = dm_hours_new(cfg->timezone, cfg->opening_hours, (const char *const *) cfg->holidays, &error);
	if (hours == NULL) {
		fprintf(stderr, "deskmail: %s: [hours] %s\n", cfg->path, error->message);
		return EX_CONFIG;
	}
	if ((rc = dm_cli_setup(cli)) != EX_OK)
		return rc;
	struct dm_db *db = cli->db;
	enum dm_status st;
	g_autoptr(DmReport) r = NULL;
	if ((st = dm_report_build(db, cfg, hours, since, until, &r)) != DM_OK) {
		fprintf(stderr, "deskmail: report: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	if (json) {
		g_autofree char *text = dm_report_to_json(r);
		puts(text);
	} else if (html) {
		g_autofree char *page = dm_report_to_html(r);
		if (!g_file_set_contents(html, page, -1, &error)) {
			fprintf(stderr, "deskmail: report: %s\n", error->message);
			return EX_CANTCREAT;
		}
		printf("%s written\n", html);
	} else {
		dm_report_write_text(r, stdout);
	}
	return EX_OK;
}
