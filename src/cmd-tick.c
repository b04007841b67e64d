/* cmd-tick.c - `deskmail tick`: run the desk's clock once (reminders
 * and overdue mail), then hand what it queued to sendmail.  For hosts
 * without the service, from a systemd timer or cron every minute; safe
 * on several hosts at once (each alert is claimed once per due time). */
#include "dm-autoconf.h"

#include <stdio.h>
#include <sysexits.h>

#include "cli.h"
#include "clock.h"
#include "desk.h"
#include "log.h"
#include "outbox.h"

int
dm_cmd_tick(struct dm_cli *cli, int argc, char **argv)
{
	GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
	gboolean help;
	if (!dm_cli_parse("",
			  "Send the reminders ([hours] remind_before) and overdue mail\n"
			  "([agents] escalation_address) that are due, each once.\n"
			  "Exit 0: done; 75: database unreachable; 78: bad configuration.",
			  entries, &argc, &argv, &help))
		return help ? EX_OK : EX_USAGE;
	if (argc > 1) {
		fprintf(stderr, "deskmail: unexpected argument '%s' for tick\n", argv[1]);
		return EX_USAGE;
	}
	int rc = dm_cli_setup(cli);
	if (rc != EX_OK)
		return rc;
	/* The mails need the templates, the calendar and the reply keys. */
	g_autoptr(GError) error = NULL;
	g_autoptr(DmDesk) desk = dm_desk_load(cli->config_path, 1, &error);
	if (desk == NULL) {
		fprintf(stderr, "deskmail: %s\n", error->message);
		return EX_CONFIG;
	}
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	int alerts = 0;
	enum dm_status st = dm_clock_tick(desk, cli->db, ids, &alerts);
	/* What was committed is handed over even when a later alert failed;
	 * what sendmail does not take stays queued for `outbox flush`. */
	int sent = 0;
	for (guint i = 0; i < ids->len; i++) {
		int s1 = 0, f1 = 0;
		gint64 id = g_array_index(ids, gint64, i);
		if (dm_outbox_flush(cli->db, desk->cfg, id, &s1, &f1) != DM_OK)
			dm_log_warn("outbox id=%" G_GINT64_FORMAT " left queued: %s", id, dm_db_error(cli->db));
		sent += s1;
	}
	printf("%d alerts, %d mails sent\n", alerts, sent);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: tick: %s\n", dm_db_error(cli->db));
		return dm_cli_exit_code(st);
	}
	return EX_OK;
}
