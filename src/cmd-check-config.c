/* cmd-check-config.c - `deskmail check-config`: load and validate the
 * configuration without touching the database. */
#include "dm-autoconf.h"

#include <stdio.h>
#include <sysexits.h>

#include "cli.h"
#include "hours.h"
#include "langid.h"
#include "template.h"
#include "topics.h"

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
	/* Everything deliver loads, so a broken calendar or template is found
	 * here and not by a customer's mail. */
	g_autoptr(GError) error = NULL;
	g_autoptr(DmHours) hours = dm_hours_new(cfg->timezone, cfg->opening_hours,
						(const char *const *) cfg->holidays, &error);
	if (hours == NULL) {
		fprintf(stderr, "deskmail: %s: [hours] %s\n", cfg->path, error->message);
		return EX_CONFIG;
	}
	g_autoptr(DmTemplates) templates = dm_templates_load(cfg->template_dir, &error);
	if (templates == NULL || !dm_templates_check(templates, &error)) {
		fprintf(stderr, "deskmail: %s: [ack] templates: %s\n", cfg->path, error->message);
		return EX_CONFIG;
	}
	for (char **l = cfg->languages; *l; l++) {
		if (dm_templates_find(templates, "ack", *l, NULL, NULL) == NULL) {
			fprintf(stderr, "deskmail: %s: [ack] templates: no ack template for language %s in %s\n",
				cfg->path, *l, cfg->template_dir);
			return EX_CONFIG;
		}
	}
	g_autoptr(DmTopics) topics = dm_topics_load(cfg->topics_file, &error);
	if (topics == NULL) {
		fprintf(stderr, "deskmail: %s: [desk] topics: %s\n", cfg->path, error->message);
		return EX_CONFIG;
	}
	for (const char *const kinds[] = { "notify", "command-error", NULL }, *const *k = kinds; *k; k++) {
		if (dm_templates_find(templates, *k, "en", NULL, "en") == NULL) {
			fprintf(stderr, "deskmail: %s: [ack] templates: no %s.en template in %s\n", cfg->path, *k,
				cfg->template_dir);
			return EX_CONFIG;
		}
	}
	g_autoptr(DmLangid) langid = dm_langid_new((const char *const *) cfg->languages, NULL, &error);
	if (langid == NULL) {
		fprintf(stderr, "deskmail: %s: [desk] languages: %s\n", cfg->path, error->message);
		return EX_CONFIG;
	}
	g_auto(GStrv) list = dm_templates_list(templates);
	printf("%s: ok (%u templates, %u topics, calendar %s)\n", cfg->path, g_strv_length(list),
	       dm_topics_count(topics), cfg->timezone);
	return EX_OK;
}
