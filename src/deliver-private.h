/* deliver-private.h - what the halves of the deliver stage share: the
 * state of one delivery, and the functions that apply a routing plan.
 * deliver.c prepares and routes; deliver-customer.c and deliver-agent.c
 * apply; nothing outside the deliver stage includes this. */
#ifndef DM_DELIVER_PRIVATE_H
#define DM_DELIVER_PRIVATE_H

#include <glib.h>

#include "command.h"
#include "db.h"
#include "desk.h"
#include "message.h"
#include "route.h"
#include "screen.h"

struct delivery {
	const struct dm_desk *desk;
	const struct dm_config *cfg; /* desk->cfg */
	struct dm_message *msg;
	struct dm_screen screen;
	char *recipient;        /* envelope recipient, normalised, or NULL */
	char *sender;           /* envelope sender, or NULL */
	char *queue;            /* the support address it came to */
	gint64 key_ticket;      /* valid reply key */
	gint64 key_agent;       /* ... sent to this agent */
	gboolean key_invalid;   /* a reply key with a wrong MAC was seen */
	char *bad_key;
	gint64 tag_ticket;
	const char *language;   /* detected from the text, or NULL */
	struct dm_commands *cmds; /* an agent's commands (parsed when the facts name an agent) */
	char *agent_text;       /* an agent's own words: commands, quotes, signature removed */
	/* A customer's mail an agent forwarded to the desk (all NULL when none). */
	char *fwd_from, *fwd_name, *fwd_subject, *fwd_body;

	/* One attempt's plan and results. */
	struct dm_route_plan plan;
	gint64 ticket;
	gint64 message_row;
	gboolean new_ticket;
	const char *threaded_by;
	const char *ack;        /* "queued" or the suppression reason */
	const char *role;       /* customer, agent, note, agent-error, ... */
	GArray *outbox_ids;     /* gint64: rows to hand to the MTA after COMMIT */
};

/* Apply a DM_ROUTE_CUSTOMER or DM_ROUTE_BOUNCE plan. */
enum dm_status dm_deliver_customer(struct dm_db *db, struct delivery *d);
/* Read an agent's commands, own text and forwarded mail from the
 * message into D (pure; only for mail that may be an agent's). */
void dm_deliver_read_agent_mail(struct delivery *d);
/* Apply a DM_ROUTE_AGENT, _AGENT_OPEN or _AGENT_FORWARD plan. */
enum dm_status dm_deliver_agent(struct dm_db *db, struct delivery *d);

/* A new ticket for REQUESTER (contact id or 0) in LANGUAGE with its team,
 * requester participant and answer-by time *DUE_AT; MATCH (or NULL) links
 * it to a related ticket. */
enum dm_status dm_deliver_open_ticket(struct dm_db *db, struct delivery *d, const char *subject,
				      gint64 requester, const char *language,
				      const struct dm_thread_match *match, gint64 *due_at);
/* Topic, priority and team of the new ticket; *TOPIC the topic's index or -1. */
enum dm_status dm_deliver_classify(struct dm_db *db, struct delivery *d, const char *subject, const char *text,
				   const char *lang, const char *sender, int *topic);
/* Decide and, when allowed, queue the acknowledgement. */
enum dm_status dm_deliver_acknowledge(struct dm_db *db, struct delivery *d, const char *language, gint64 due_at,
				      const char *requester, const char *requester_name, const char *subject,
				      int topic);
/* An out-of-scope topic is answered with its template and closed. */
enum dm_status dm_deliver_close_if_out_of_scope(struct dm_db *db, struct delivery *d, int topic);
/* Tell the ticket's agents about TEXT; never EXCLUDE. */
enum dm_status dm_deliver_notify_agents(struct dm_db *db, struct delivery *d, const char *reason,
					const char *text, GPtrArray *attachments, gint64 exclude);

#endif
