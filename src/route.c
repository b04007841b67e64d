/* route.c - every rule that decides where a message goes, in one place.
 *
 * Pure: the facts come from the store (dm_store_route_facts), the plan
 * goes to the deliver stage.  The order of the rules is the policy:
 * a reply key beats references, references beat the subject tag, and a
 * match the sender may not join opens a new, related ticket. */
#include "dm-autoconf.h"

#include <string.h>

#include "route.h"

static void
ref_clear(gpointer p)
{
	g_free(((struct dm_route_ref *) p)->message_id);
}

void
dm_route_facts_init(struct dm_route_facts *f)
{
	memset(f, 0, sizeof *f);
	f->refs = g_array_new(FALSE, TRUE, sizeof(struct dm_route_ref));
	g_array_set_clear_func(f->refs, ref_clear);
	f->tickets = g_array_new(FALSE, TRUE, sizeof(struct dm_route_ticket));
}

void
dm_route_facts_clear(struct dm_route_facts *f)
{
	if (f->refs)
		g_array_unref(f->refs);
	if (f->tickets)
		g_array_unref(f->tickets);
	dm_agent_free(f->key_agent);
	dm_agent_free(f->from_agent);
	memset(f, 0, sizeof *f);
}

const struct dm_route_ticket *
dm_route_facts_ticket(const struct dm_route_facts *f, gint64 id)
{
	for (guint i = 0; id > 0 && i < f->tickets->len; i++)
		if (g_array_index(f->tickets, struct dm_route_ticket, i).id == id)
			return &g_array_index(f->tickets, struct dm_route_ticket, i);
	return NULL;
}

/* The rank of a referenced id: In-Reply-To first, then References from
 * the newest (last) back.  G_MAXUINT when MSG does not name it. */
static guint
reference_rank(const struct dm_message *msg, const char *id)
{
	if (msg->in_reply_to && strcmp(msg->in_reply_to, id) == 0)
		return 0;
	guint n = MIN(msg->references->len, 200);
	for (guint i = n; i-- > 0;)
		if (strcmp(msg->references->pdata[i], id) == 0)
			return 1 + (n - 1 - i);
	return G_MAXUINT;
}

/* Rule 2, references: the best-ranked stored parent, then a stored
 * message that references this one (it arrived before its parent), then
 * one that shares a reference (a sibling whose parent has not arrived).
 * *PROVEN when any referenced id is one we sent. */
static gint64
match_references(const struct dm_thread_query *q, const struct dm_route_facts *f, const char **rule,
		 gboolean *proven)
{
	gint64 best = 0;
	guint best_rank = G_MAXUINT;
	*proven = FALSE;
	for (guint i = 0; i < f->refs->len; i++) {
		const struct dm_route_ref *r = &g_array_index(f->refs, struct dm_route_ref, i);
		if (r->outgoing)
			*proven = TRUE;
		guint rank = reference_rank(q->msg, r->message_id);
		if (rank < best_rank) {
			best_rank = rank;
			best = r->ticket;
		}
	}
	if (best) {
		*rule = DM_THREADED_REFERENCES;
		return best;
	}
	if (f->late_parent) {
		*rule = DM_THREADED_LATE_PARENT;
		return f->late_parent;
	}
	if (f->shared_ref) {
		*rule = DM_THREADED_REFERENCES;
		return f->shared_ref;
	}
	return 0;
}

/* The first rule that finds an existing ticket: key, references, tag. */
static const struct dm_route_ticket *
find_candidate(const struct dm_thread_query *q, const struct dm_route_facts *f, const char **rule,
	       gboolean *trusted)
{
	const struct dm_route_ticket *t = dm_route_facts_ticket(f, q->key_ticket);
	*trusted = FALSE;
	if (t) {
		*rule = DM_THREADED_REPLY_KEY;
		*trusted = TRUE;
		return t;
	}
	gboolean proven = FALSE;
	t = dm_route_facts_ticket(f, match_references(q, f, rule, &proven));
	if (t) {
		*trusted = proven;
		return t;
	}
	t = dm_route_facts_ticket(f, q->tag_ticket);
	if (t)
		*rule = DM_THREADED_TAG;
	return t;
}

void
dm_route_thread(const struct dm_thread_query *q, const struct dm_route_facts *f, struct dm_thread_match *out)
{
	const char *rule = DM_THREADED_NEW;
	gboolean trusted = FALSE; /* joining needs no participant check */

	memset(out, 0, sizeof *out);
	out->threaded_by = DM_THREADED_NEW;
	const struct dm_route_ticket *t = find_candidate(q, f, &rule, &trusted);
	if (t == NULL)
		return;
	out->matched_by = rule;
	g_strlcpy(out->status, t->status, sizeof out->status);

	gboolean may_join = trusted || q->sender_trusted || (q->sender_known && t->sender_participant);
	if (!may_join) {
		/* Knowing a ticket number or a Message-ID is not enough to join
		 * a conversation (and be copied on its replies). */
		out->related = t->id;
		out->relation = "related";
		out->refused = "sender is not a participant";
		return;
	}
	gboolean closed = strcmp(t->status, "resolved") == 0 || strcmp(t->status, "closed") == 0;
	if (closed && !q->automatic) {
		if (t->idle_seconds > (gint64) q->reopen_days * 86400) {
			out->related = t->id;
			out->relation = "follow-up";
			out->refused = "ticket closed too long ago";
			return;
		}
		out->reopen = TRUE;
	}
	out->ticket = t->id;
	out->threaded_by = rule;
}

/* The agent behind the mail: a valid per-agent reply key, or the From
 * address's agent when the site's MTA authenticated it.  *SPOOFED when
 * From is an active agent's address without either.  An out-of-office
 * reply to a notification carries the agent's key, but a machine wrote
 * it: automatic mail is never an agent's. */
static const struct dm_agent *
identify_agent(const struct dm_route_input *in, const struct dm_route_facts *f, gboolean *spoofed)
{
	*spoofed = FALSE;
	if (in->automatic)
		return NULL;
	if (in->key_agent > 0 && f->key_agent && f->key_agent->active)
		return f->key_agent;
	if (in->msg->from.addr[0] == '\0' || f->from_agent == NULL || !f->from_agent->active)
		return NULL;
	if (in->from_authenticated)
		return f->from_agent;
	*spoofed = TRUE;
	return NULL;
}

/* An agent's mail: which ticket it acts on (any, closed ones included),
 * or which ticket it opens.  FALSE when it is none of those: the agent
 * writes in as a customer. */
static gboolean
route_agent(const struct dm_route_input *in, const struct dm_route_facts *f, struct dm_route_plan *plan)
{
	struct dm_thread_query q = { .msg = in->msg, .key_ticket = in->key_ticket, .tag_ticket = in->tag_ticket,
				     .sender_trusted = TRUE, .sender_known = TRUE, .reopen_days = in->reopen_days };
	dm_route_thread(&q, f, &plan->match);
	if (plan->match.related && plan->match.ticket == 0) {
		plan->match.ticket = plan->match.related;
		plan->match.threaded_by = plan->match.matched_by;
	}
	if (plan->match.ticket) {
		plan->action = DM_ROUTE_AGENT;
		return TRUE;
	}
	if (in->requester_command) {
		plan->action = DM_ROUTE_AGENT_OPEN;
		return TRUE;
	}
	if (in->forwarded_customer) {
		plan->action = DM_ROUTE_AGENT_FORWARD;
		return TRUE;
	}
	return FALSE;
}

void
dm_route_decide(const struct dm_route_input *in, const struct dm_route_facts *f, struct dm_route_plan *plan)
{
	memset(plan, 0, sizeof *plan);
	plan->match.threaded_by = DM_THREADED_NEW;
	if (f->duplicate_row) {
		plan->action = DM_ROUTE_DUPLICATE;
		plan->match.ticket = f->duplicate_ticket;
		return;
	}
	plan->agent = identify_agent(in, f, &plan->spoofed);
	if (plan->agent && route_agent(in, f, plan))
		return;
	plan->agent = NULL;
	plan->action = DM_ROUTE_CUSTOMER;
	memset(&plan->match, 0, sizeof plan->match);
	plan->match.threaded_by = DM_THREADED_NEW;

	/* A bounce of one of our own mails belongs to that mail's ticket. */
	if (in->bounce && f->bounce_ticket) {
		plan->action = DM_ROUTE_BOUNCE;
		plan->match.ticket = f->bounce_ticket;
		plan->match.threaded_by = DM_THREADED_REFERENCES;
		const struct dm_route_ticket *t = dm_route_facts_ticket(f, f->bounce_ticket);
		if (t)
			g_strlcpy(plan->match.status, t->status, sizeof plan->match.status);
		return;
	}
	/* A forged agent From gets no agent's trust: not even a key's. */
	gboolean from_agent = f->from_agent && f->from_agent->active;
	struct dm_thread_query q = { .msg = in->msg, .key_ticket = in->key_agent ? 0 : in->key_ticket,
				     .tag_ticket = in->tag_ticket, .sender_trusted = from_agent && !plan->spoofed,
				     .sender_known = !plan->spoofed && in->msg->from.addr[0] != '\0',
				     .automatic = in->automatic, .reopen_days = in->reopen_days };
	dm_route_thread(&q, f, &plan->match);
}

const char *
dm_route_action_name(enum dm_route_action action)
{
	switch (action) {
	case DM_ROUTE_DUPLICATE: return "duplicate";
	case DM_ROUTE_CUSTOMER: return "customer";
	case DM_ROUTE_BOUNCE: return "bounce";
	case DM_ROUTE_AGENT: return "agent";
	case DM_ROUTE_AGENT_OPEN: return "agent-open";
	case DM_ROUTE_AGENT_FORWARD: return "agent-forward";
	}
	return "?";
}
