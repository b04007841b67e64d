/* ticket-change.h - one way to change a ticket's status, priority, topic,
 * team or assignee, shared by the agents' #commands (deliver) and
 * `deskmail ticket set`: the same validation, the same events.
 *
 * A change is checked in full before anything is written (all or
 * nothing): dm_ticket_change_check collects one error line per bad
 * change; only when there is none does the caller apply them with
 * dm_ticket_change_apply, inside its transaction. */
#ifndef DM_TICKET_CHANGE_H
#define DM_TICKET_CHANGE_H

#include <glib.h>

#include "command.h"
#include "config.h"
#include "db.h"
#include "topics.h"

enum dm_change_kind {
	DM_CHANGE_STATUS,   /* new|open|pending|resolved|closed */
	DM_CHANGE_PRIORITY, /* low|normal|high|urgent */
	DM_CHANGE_TOPIC,    /* a topic of the topics file, or "triage" */
	DM_CHANGE_TEAM,     /* an existing or configured team */
	DM_CHANGE_ASSIGN,   /* an active agent's address, or "me" */
};

struct dm_change {
	enum dm_change_kind kind;
	char *value; /* normalised (addresses lower-cased) */
};
/* VALUE is copied.  Free with dm_change_free. */
struct dm_change *dm_change_new(enum dm_change_kind kind, const char *value);
void dm_change_free(struct dm_change *c);

/* How error lines name a change: as the #command an agent wrote
 * ("#escalate: there is no team 'x'") or as the KEY=VALUE given to
 * `ticket set` ("team=x: there is no team 'x'"). */
enum dm_change_origin { DM_CHANGE_BY_COMMAND, DM_CHANGE_BY_CLI };

/* Who changes and what the checks compare against; all borrowed. */
struct dm_change_ctx {
	const struct dm_config *cfg;     /* default_team and [queues] teams */
	const struct dm_topics *topics;  /* the topics a ticket may have */
	enum dm_change_origin origin;
	const char *actor;               /* the events' actor: an agent or "cli:USER" */
	const char *self;                /* the address "me" stands for; NULL: none */
	gint64 message_row;              /* the message that asked, 0 for none */
	gboolean learn_topic;            /* a topic change trains the topic model */
};

/* The ticket changes among the agent's COMMANDS (#note and #requester
 * are not changes of a ticket), in order.  Caller frees with
 * g_ptr_array_unref. */
GPtrArray *dm_ticket_changes_from_commands(const struct dm_commands *commands);

/* Parse one KEY=VALUE of `ticket set` (keys status, priority, topic,
 * team, assign).  Returns NULL and sets *ERROR (caller frees with
 * g_free) to one line naming the key and value when the key is unknown
 * or the value empty; else a change (caller frees with dm_change_free). */
struct dm_change *dm_ticket_change_parse(const char *assignment, char **error);

/* Check every change of CHANGES (struct dm_change*) against the value
 * lists, the topics, the teams and the agents; append one line per bad
 * change to ERRORS (each ending in a newline).  Returns a database
 * failure only: bad changes are DM_OK with lines in ERRORS. */
enum dm_status dm_ticket_change_check(struct dm_db *db, const struct dm_change_ctx *ctx,
				      GPtrArray *changes, GString *errors);

/* Apply CHANGES to TICKET, each one an event by ctx->actor; a team named
 * for the first time is created.  Call only after a check without
 * errors, inside the caller's transaction. */
enum dm_status dm_ticket_change_apply(struct dm_db *db, const struct dm_change_ctx *ctx,
				      gint64 ticket, GPtrArray *changes);

#endif
