/* cmd-serve.c - `deskmail serve`: the resident LMTP delivery service, in
 * the foreground (systemd or a supervisor keeps it running). */
#include "dm-autoconf.h"

#include <stdio.h>
#include <sysexits.h>

#include "cli.h"
#include "desk.h"
#include "log.h"
#include "serve.h"

int
dm_cmd_serve(struct dm_cli *cli, int argc, char **argv)
{
	gboolean help;
	if (!dm_cli_parse("- the resident LMTP delivery service",
			  "Listens where [server] listen says (or on the sockets systemd passes),\n"
			  "delivers each message through the same core as `deskmail deliver`, and\n"
			  "hands queued mail to the MTA.  SIGHUP reloads the configuration;\n"
			  "SIGTERM stops after the sessions in flight.",
			  NULL, &argc, &argv, &help))
		return help ? EX_OK : EX_USAGE;
	if (argc > 1) {
		fprintf(stderr, "deskmail: unexpected argument '%s' for serve\n", argv[1]);
		return EX_USAGE;
	}
	g_autoptr(GError) error = NULL;
	struct dm_desk *desk = dm_desk_load(cli->config_path, 1, &error);
	if (desk == NULL) {
		fprintf(stderr, "deskmail: %s\n", error->message);
		return EX_CONFIG;
	}
	dm_log_open(g_str_equal(desk->cfg->log_target, "syslog") ? DM_LOG_SYSLOG : DM_LOG_STDERR, "deskmail");
	return dm_serve_run(cli->config_path, desk);
}
