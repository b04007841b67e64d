/* cmd-check-config.c - `deskmail check-config`: load and validate the
 * configuration without touching the database. */
#include "dm-autoconf.h"

#include <stdio.h>
#include <sysexits.h>

#include "cli.h"

int
dm_cmd_check_config(struct dm_cli *cli, int argc, char **argv)
{
	gboolean help;
	if (!dm_cli_parse("- check the configuration file",
			  "Exit 0 when the file is valid; 78 with one line naming the file, key and\n"
			  "problem otherwise.",
			  NULL, &argc, &argv, &help))
		return help ? EX_OK : EX_USAGE;
	if (argc > 1) {
		fprintf(stderr, "deskmail: unexpected argument '%s' for check-config\n", argv[1]);
		return EX_USAGE;
	}
	g_autoptr(DmConfig) cfg = dm_cli_load_config(cli);
	if (cfg == NULL)
		return EX_CONFIG;
	printf("%s: ok\n", cfg->path);
	return EX_OK;
}
