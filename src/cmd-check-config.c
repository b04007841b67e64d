/* cmd-check-config.c - `deskmail check-config`: load and validate the
 * desk (configuration, templates, calendar, topics, languages) without
 * touching the database. */
#include "dm-autoconf.h"

#include <stdio.h>
#include <sysexits.h>

#include "cli.h"
#include "desk.h"

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
	struct dm_config *cfg = dm_cli_load_config(cli);
	if (cfg == NULL)
		return EX_CONFIG;
	/* Exactly what every delivery loads, so a broken calendar or
	 * template is found here and not by a customer's mail. */
	g_autoptr(GError) error = NULL;
	g_autoptr(DmDesk) desk = dm_desk_new(cfg, 1, &error);
	if (desk == NULL) {
		fprintf(stderr, "deskmail: %s\n", error->message);
		return EX_CONFIG;
	}
	const struct dm_templates *templates = desk->templates;
	const struct dm_topics *topics = desk->topics;
	g_auto(GStrv) list = dm_templates_list(templates);
	printf("%s: ok (%u templates, %u topics, calendar %s)\n", cfg->path, g_strv_length(list),
	       dm_topics_count(topics), cfg->timezone);
	return EX_OK;
}
