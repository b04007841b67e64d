/* notify.h - the mail deskmail writes about a ticket to people:
 * notifications and note copies to agents, an agent's reply relayed to
 * the customers, and the error reply to an agent's bad commands.  Each is
 * stored on the ticket and queued in the outbox inside the caller's
 * transaction. */
#ifndef DM_NOTIFY_H
#define DM_NOTIFY_H

#include <glib.h>

#include "config.h"
#include "db.h"
#include "hours.h"
#include "store.h"
#include "template.h"

struct dm_notify_ctx {
	const struct dm_config *cfg;
	const struct dm_templates *templates;
	const struct dm_hours *hours;
	GArray *outbox_ids; /* gint64: rows queued, for sending after COMMIT */
};

/* The "reply above this line" marker in LANGUAGE and English.  Static. */
const char *dm_notify_marker(const char *language);

/* Every marker line, for cutting agents' replies (NULL-terminated). */
const char *const *dm_notify_markers(void);

/* Tell the ticket's agents (assignee, else the team) about a customer's
 * mail: REASON ("new ticket", "customer reply"), TEXT and ATTACHMENTS
 * (struct dm_attachment*, or NULL); never EXCLUDE_AGENT. */
enum dm_status dm_notify_agents(struct dm_notify_ctx *n, struct dm_db *db, const struct dm_ticket_facts *t,
				const char *reason, const char *text, GPtrArray *attachments,
				gint64 exclude_agent);

/* The desk's clock: write to each of LIST (struct dm_recipient*: agents,
 * or an escalation address with agent 0) with template KIND ("reminder",
 * "overdue"), queued as KIND. */
enum dm_status dm_notify_alert(struct dm_notify_ctx *n, struct dm_db *db, const struct dm_ticket_facts *t,
			       const char *kind, GPtrArray *list);

/* Copy an internal note to the other agents on the ticket. */
enum dm_status dm_notify_note(struct dm_notify_ctx *n, struct dm_db *db, const struct dm_ticket_facts *t,
			      const char *text, gint64 author);

/* Relay an agent's TEXT to the requester and CC participants, from the
 * ticket's queue address.  *SENT tells whether anyone was written to. */
enum dm_status dm_notify_relay(struct dm_notify_ctx *n, struct dm_db *db, const struct dm_ticket_facts *t,
			       const char *text, gint64 agent, gboolean *sent);

/* Tell an agent why their commands changed nothing. */
enum dm_status dm_notify_command_error(struct dm_notify_ctx *n, struct dm_db *db,
				       const struct dm_ticket_facts *t, const char *agent_addr,
				       const char *agent_name, const char *errors, const char *in_reply_to);

/* Tell an agent that nothing of their reply was left to relay once the
 * quoted history, signature and commands were removed (template
 * nothing-relayed); their mail is kept on the ticket as a note. */
enum dm_status dm_notify_nothing_relayed(struct dm_notify_ctx *n, struct dm_db *db,
					 const struct dm_ticket_facts *t, const char *agent_addr,
					 const char *agent_name, const char *in_reply_to);

#endif
