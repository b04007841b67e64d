/* store.h - the store stage: the SQL of one delivery.
 *
 * deliver.c runs these inside one transaction (dm_store_begin ...
 * dm_db_commit) and decides what to call; this module is the only one
 * that knows the schema of tickets, messages and their neighbours. */
#ifndef DM_STORE_H
#define DM_STORE_H

#include <glib.h>

#include "config.h"
#include "db.h"
#include "message.h"
#include "route.h"

/* BEGIN, then advisory locks on the message's own Message-ID and every id
 * it references, in one fixed order (queued: sent with the next query).  Two messages of one thread share at
 * least one such id, so they are threaded one after the other, however
 * they arrive; the fixed order rules out deadlocks between them. */
enum dm_status dm_store_begin(struct dm_db *db, const struct dm_message *msg);

/* What the facts of one message are looked up by. */
struct dm_route_query {
	const struct dm_message *msg;  /* its Message-ID, references and From */
	gint64 key_ticket, key_agent;  /* from a valid reply key, else 0 */
	gint64 tag_ticket;             /* from the subject tag, else 0 */
	const char *bounced_id;        /* a bounce's original Message-ID, or NULL */
};

/* Fill F (initialised with dm_route_facts_init) with what routing needs,
 * in one round trip, locking the candidate tickets FOR UPDATE (in id
 * order) until the end of the transaction. */
enum dm_status dm_store_route_facts(struct dm_db *db, const struct dm_route_query *q,
				    struct dm_route_facts *f);

/* Insert or update the contact ADDR (normalised), keeping a known name
 * when NAME is empty.  LANGUAGE, when not NULL, becomes the contact's
 * remembered language.  *ID and *KNOWN_LANGUAGE (caller frees; NULL when
 * none was known before) are set. */
enum dm_status dm_store_contact(struct dm_db *db, const char *addr, const char *name,
				const char *language, gint64 *id, char **known_language);

struct dm_new_ticket {
	const char *subject;
	gint64 requester;       /* contact id or 0 */
	const char *queue;
	const char *language;   /* or NULL */
	gint64 related;
	const char *relation;
	gint64 due_at;          /* Unix time, 0 = none */
};
enum dm_status dm_store_create_ticket(struct dm_db *db, const struct dm_new_ticket *t, gint64 *id);

/* Apply the status change the thread match implies (reopen, pending ->
 * open) to an existing ticket, with events; ACTOR is the sender. */
enum dm_status dm_store_touch_ticket(struct dm_db *db, const struct dm_thread_match *m,
				     gboolean automatic, const char *actor, gint64 message_row);

enum dm_status dm_store_set_due(struct dm_db *db, gint64 ticket, gint64 due_at);

/* Add CONTACT to TICKET as ROLE ("requester", "cc") unless present. */
enum dm_status dm_store_participant(struct dm_db *db, gint64 ticket, gint64 contact, const char *role);

struct dm_stored_message {
	gint64 ticket;
	const char *message_id;
	const char *direction;   /* "in" / "out" */
	const char *kind;        /* customer, agent, note, auto, notification, bounce */
	const char *threaded_by;
	gint64 contact;          /* or 0 */
	gint64 agent;            /* the agent who wrote it, or 0 */
	const char *text_override; /* stored text instead of msg->text, or NULL */
	const struct dm_message *msg; /* an incoming message, or NULL */
	/* For outgoing messages (msg == NULL): */
	const char *from_addr, *from_name, *to_addr, *subject, *text, *in_reply_to;
	GBytes *raw;
	const char *recipient, *envelope_from;
};

/* Insert the message with its references, raw bytes and attachments. */
enum dm_status dm_store_message(struct dm_db *db, const struct dm_stored_message *m, gint64 *row);

enum dm_status dm_store_event(struct dm_db *db, gint64 ticket, gint64 message_row, const char *actor,
			      const char *kind, const char *old_value, const char *new_value,
			      const char *detail);

/* What the mail about a ticket needs to say. */
struct dm_ticket_facts {
	gint64 id;
	char *subject, *status, *priority, *language, *team, *topic, *queue;
	char *requester, *requester_name;
	gint64 team_id, assignee_id, due_at;
	gboolean first_response; /* first_response_at is set */
};
enum dm_status dm_store_ticket_facts(struct dm_db *db, gint64 ticket, struct dm_ticket_facts *out);
void dm_ticket_facts_clear(struct dm_ticket_facts *f);

/* A person to write to: address, name and (for agents) id. */
struct dm_recipient {
	char *address;
	char *name;
	gint64 agent; /* 0 for customers */
};
void dm_recipient_free(struct dm_recipient *r);

/* Who gets notifications about TICKET: its assignee when active, else
 * the active agents of its team; never EXCLUDE_AGENT.  Free function set. */
enum dm_status dm_store_notify_recipients(struct dm_db *db, gint64 ticket, gint64 exclude_agent,
					  GPtrArray **out);
/* The agents on TICKET (assignee and agents who wrote on it) but
 * EXCLUDE_AGENT: who gets a copy of an internal note. */
enum dm_status dm_store_note_recipients(struct dm_db *db, gint64 ticket, gint64 exclude_agent,
					GPtrArray **out);
/* The requester first, then CC participants who are not agents. */
enum dm_status dm_store_customer_recipients(struct dm_db *db, gint64 ticket, GPtrArray **out);
/* The Message-IDs of the customers' mail on TICKET, oldest first (at most
 * the last 20): the References of a relayed reply. */
enum dm_status dm_store_customer_ids(struct dm_db *db, gint64 ticket, GPtrArray **out);

/* Change one field of TICKET (status, priority, topic, team, assignee)
 * and record the event with ACTOR, old and new value.  FIELD is one of
 * "status", "priority", "topic", "team", "assign"; VALUE is the new value
 * (a team name, an agent id as text, ...) and SHOWN how the event shows it. */
enum dm_status dm_store_set_field(struct dm_db *db, gint64 ticket, gint64 message_row, const char *actor,
				  const char *field, const char *value, const char *shown);
/* Record the classification of a new ticket (and its team when TEAM is
 * not NULL), with a "classified" event. */
enum dm_status dm_store_classification(struct dm_db *db, gint64 ticket, const char *topic, const char *priority,
				       double confidence, const char *by, const char *team);
/* The subject and text of the ticket's first customer message. */
enum dm_status dm_store_first_text(struct dm_db *db, gint64 ticket, char **subject, char **text,
				   char **language);

/* Set first_response_at unless already set. */
enum dm_status dm_store_first_response(struct dm_db *db, gint64 ticket);
/* Set the ticket's team (no event: used at creation). */
enum dm_status dm_store_set_team(struct dm_db *db, gint64 ticket, gint64 team_id);

/* Acknowledgement bookkeeping shared by every MX host. */
enum dm_status dm_store_ack_count(struct dm_db *db, const char *addr, int period_seconds, int *count);
enum dm_status dm_store_ack_sent(struct dm_db *db, const char *addr);
/* TRUE in *FAILING when an earlier bounce marked ADDR failing. */
enum dm_status dm_store_contact_failing(struct dm_db *db, const char *addr, gboolean *failing);
/* Mark ADDR failing (a bounce said so). */
enum dm_status dm_store_mark_failing(struct dm_db *db, const char *addr);

#endif
