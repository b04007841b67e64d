/* route.h - the routing decision: where a message goes, decided from
 * facts without touching the database.
 *
 * The store gathers, in one round trip, what the message's ids, reply
 * key, tag, bounce and sender match (dm_store_route_facts); dm_route_decide
 * turns those facts into a plan; the deliver stage applies the plan.
 * Every threading rule lives in route.c, so a unit test can deliver a
 * thread in every arrival order against it. */
#ifndef DM_ROUTE_H
#define DM_ROUTE_H

#include <glib.h>

#include "store-agent.h"
#include "message.h"
#include "thread.h"

/* A ticket the message could belong to, as the store found it (locked). */
struct dm_route_ticket {
	gint64 id;
	char status[16];          /* new, open, pending, resolved, closed */
	gint64 idle_seconds;      /* since it was closed, resolved or last updated */
	gboolean sender_participant; /* the From address takes part in it */
	gboolean addressed;       /* the message's To or Cc names someone who takes part in it */
};

/* A stored message that the new message references. */
struct dm_route_ref {
	char *message_id;
	gint64 ticket;
	gboolean outgoing;        /* one we sent: replying to it proves the thread */
};

/* Everything the decision needs from the database. */
struct dm_route_facts {
	gint64 duplicate_row;     /* this Message-ID is stored already (incoming) */
	gint64 duplicate_ticket;
	GArray *refs;             /* struct dm_route_ref: referenced ids that are stored */
	GArray *late_parents;     /* gint64: tickets of stored messages that reference this one, oldest first */
	GArray *shared_refs;      /* gint64: tickets of stored messages sharing a reference, oldest first */
	gint64 bounce_ticket;     /* ticket of our outgoing mail a bounce names */
	GArray *tickets;          /* struct dm_route_ticket: every candidate ticket */
	struct dm_agent *key_agent;  /* the agent a reply key names, or NULL */
	struct dm_agent *from_agent; /* the agent with the From address, or NULL */
};

/* Empty facts, ready for the store to fill.  Free with dm_route_facts_clear. */
void dm_route_facts_init(struct dm_route_facts *f);
void dm_route_facts_clear(struct dm_route_facts *f);
/* The candidate ticket ID in F, or NULL.  Borrowed. */
const struct dm_route_ticket *dm_route_facts_ticket(const struct dm_route_facts *f, gint64 id);

/* What threading looks at. */
struct dm_thread_query {
	const struct dm_message *msg;
	gint64 key_ticket;        /* from a valid reply key, else 0 */
	gint64 tag_ticket;        /* from the subject tag, else 0 */
	gboolean sender_trusted;  /* an agent: may join any ticket */
	gboolean sender_known;    /* FALSE for a forged agent From: joins nothing by address */
	gboolean automatic;       /* from the screen stage */
	int reopen_days;          /* replies reopen a closed ticket within this */
};

#define DM_ROUTE_MAX_LINKS 8

struct dm_thread_match {
	gint64 ticket;            /* the ticket to append to; 0 = a new ticket */
	const char *threaded_by;  /* DM_THREADED_* (DM_THREADED_NEW unless joined) */
	const char *matched_by;   /* the rule that found a ticket, joined or not */
	gint64 related;           /* for a new ticket: linked to this one, or 0 */
	const char *relation;     /* "related" or "follow-up", or NULL */
	const char *refused;      /* why the matched ticket was not joined, or NULL */
	char status[16];          /* the matched ticket's status */
	gboolean reopen;          /* the matched ticket is resolved/closed and reopens */
	/* Other tickets of the same thread the sender may join (replies that
	 * arrived before this message opened them): linked, not joined. */
	gint64 also[DM_ROUTE_MAX_LINKS];
	guint n_also;
};

/* Decide the ticket of a message.  A valid reply key decides alone.
 * Otherwise the candidates, in order: the tickets of the stored messages
 * it references (In-Reply-To, then References newest first), of stored
 * replies to it (it is their late parent), of stored siblings sharing a
 * reference, and of the subject tag.  The first candidate the sender may
 * join wins: the sender takes part in it or is an agent, or the
 * references name a Message-ID we sent, or (for a late parent) the
 * message was written to someone who takes part in the ticket: a stored
 * reply names this message as its parent, and this message names the
 * ticket's people, so both sides agree.  The other candidates the sender
 * may join are listed in ALSO, to be linked to the chosen ticket: a
 * parent that arrives after its replies ties together the tickets those
 * replies opened.  When the sender may join none, a
 * new ticket is opened, "related" to the first candidate.  Taking the
 * first joinable candidate, not the first candidate, is what makes the
 * grouping the same in every arrival order (tests/test-route.c).  A reply to a resolved or closed ticket reopens it
 * within reopen_days, else opens a "follow-up"; automatic mail attaches
 * without reopening. */
void dm_route_thread(const struct dm_thread_query *q, const struct dm_route_facts *f,
		     struct dm_thread_match *out);

/* The kinds of plan. */
enum dm_route_action {
	DM_ROUTE_DUPLICATE,      /* stored already: nothing to do */
	DM_ROUTE_CUSTOMER,       /* a customer's mail: new ticket or onto match.ticket */
	DM_ROUTE_BOUNCE,         /* a bounce of our own mail: onto that mail's ticket */
	DM_ROUTE_AGENT,          /* an agent's reply, note or commands on match.ticket */
	DM_ROUTE_AGENT_OPEN,     /* an agent opens a ticket for a customer (#requester) */
	DM_ROUTE_AGENT_FORWARD,  /* an agent forwards a customer's mail to the desk */
};

/* What route needs to know about the message besides the facts. */
struct dm_route_input {
	const struct dm_message *msg;
	gint64 key_ticket, key_agent;  /* from a valid reply key */
	gint64 tag_ticket;
	gboolean automatic, bounce;    /* from the screen stage */
	/* Is the From address's agent authenticated by the site's MTA?
	 * (dm_screen_authenticated for the agent's domain) */
	gboolean from_authenticated;
	/* For an agent's mail without a ticket: a valid #requester, or a
	 * forwarded customer's mail in the text. */
	gboolean requester_command;
	gboolean forwarded_customer;
	int reopen_days;
};

struct dm_route_plan {
	enum dm_route_action action;
	struct dm_thread_match match;
	const struct dm_agent *agent;  /* the acting agent (borrowed from the facts), or NULL */
	gboolean spoofed;              /* From is an agent's address without key or authentication */
};

/* Decide what to do with the message.  Pure. */
void dm_route_decide(const struct dm_route_input *in, const struct dm_route_facts *f,
		     struct dm_route_plan *plan);

/* A short name of ACTION for logs and tests.  Static. */
const char *dm_route_action_name(enum dm_route_action action);

#endif
