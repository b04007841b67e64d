/* store-agent.h - agents and teams in the database (the SQL is in
 * store-agent.c). */
#ifndef DM_STORE_AGENT_H
#define DM_STORE_AGENT_H

#include <glib.h>

#include "db.h"

struct dm_agent {
	gint64 id;
	char *address; /* normalised */
	char *name;
	char *team;    /* "" when none */
	gboolean active;
};

void dm_agent_free(struct dm_agent *a);
typedef struct dm_agent DmAgent;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmAgent, dm_agent_free)

/* Add ADDRESS as an agent, or update and re-activate it; TEAM is created
 * when new.  *ID is set. */
enum dm_status dm_agent_add(struct dm_db *db, const char *address, const char *name, const char *team,
			    gint64 *id);
/* Deactivate ADDRESS; *FOUND tells whether it exists. */
enum dm_status dm_agent_disable(struct dm_db *db, const char *address, gboolean *found);
/* Every agent (struct dm_agent*, free function set), by address. */
enum dm_status dm_agent_list(struct dm_db *db, GPtrArray **out);
/* The agent with ADDRESS (when not NULL) or ID; *OUT NULL when none. */
enum dm_status dm_agent_find(struct dm_db *db, const char *address, gint64 id, struct dm_agent **out);
/* The team NAME, created when missing. */
enum dm_status dm_team_ensure(struct dm_db *db, const char *name, gint64 *id);
/* *EXISTS when the team NAME exists. */
enum dm_status dm_team_exists(struct dm_db *db, const char *name, gboolean *exists);

#endif
