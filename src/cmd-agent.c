/* cmd-agent.c - `deskmail agent add|list|disable`. */
#include "dm-autoconf.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "store-agent.h"
#include "cli.h"
#include "compose.h"
#include "message.h"

int
dm_cmd_agent(struct dm_cli *cli, int argc, char **argv)
{
	g_autofree char *name = NULL;
	g_autofree char *team = NULL;
	GOptionEntry entries[] = {
		{ "name", 'n', 0, G_OPTION_ARG_STRING, &name, "add: the agent's name", "NAME" },
		{ "team", 't', 0, G_OPTION_ARG_STRING, &team, "add: the agent's team (created if new)", "TEAM" },
		G_OPTION_ENTRY_NULL
	};
	gboolean help;
	if (!dm_cli_parse("add ADDRESS [--name NAME] [--team TEAM] | list | disable ADDRESS",
			  "add      add an agent, or update and re-activate one\n"
			  "list     show every agent with team and state\n"
			  "disable  stop recognising an agent (their history stays)",
			  entries, &argc, &argv, &help))
		return help ? EX_OK : EX_USAGE;
	const char *what = argc >= 2 ? argv[1] : "";
	gboolean is_list = strcmp(what, "list") == 0;
	if (!(is_list && argc == 2) &&
	    !((strcmp(what, "add") == 0 || strcmp(what, "disable") == 0) && argc == 3)) {
		fprintf(stderr, "deskmail: agent needs add ADDRESS, list or disable ADDRESS\n");
		return EX_USAGE;
	}
	g_autofree char *address = argc == 3 ? dm_address_normalise(argv[2]) : NULL;
	if (address && !dm_compose_address_ok(address)) {
		fprintf(stderr, "deskmail: '%s' is not a usable mail address\n", argv[2]);
		return EX_USAGE;
	}
	int rc = dm_cli_setup(cli);
	if (rc != EX_OK)
		return rc;
	struct dm_db *db = cli->db;
	enum dm_status st;
	if (is_list) {
		g_autoptr(GPtrArray) list = NULL;
		if ((st = dm_agent_list(db, &list)) != DM_OK)
			goto fail;
		printf("%-32s %-24s %-16s %s\n", "ADDRESS", "NAME", "TEAM", "STATE");
		for (guint i = 0; i < list->len; i++) {
			struct dm_agent *a = list->pdata[i];
			printf("%-32s %-24s %-16s %s\n", a->address, a->name, a->team, a->active ? "active" : "disabled");
		}
		return EX_OK;
	}
	if (strcmp(what, "add") == 0) {
		gint64 id;
		if ((st = dm_agent_add(db, address, name, team, &id)) != DM_OK)
			goto fail;
		printf("agent %s added (id %" G_GINT64_FORMAT ")\n", address, id);
		return EX_OK;
	}
	gboolean found = FALSE;
	if ((st = dm_agent_disable(db, address, &found)) != DM_OK)
		goto fail;
	if (!found) {
		fprintf(stderr, "deskmail: no agent %s\n", address);
		return EX_NOUSER;
	}
	printf("agent %s disabled\n", address);
	return EX_OK;
fail:
	fprintf(stderr, "deskmail: agent: %s\n", dm_db_error(db));
	return dm_cli_exit_code(st);
}
