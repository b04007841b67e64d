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
	f->late_parents = g_array_new(FALSE, FALSE, sizeof(gint64));
	f->shared_refs = g_array_new(FALSE, FALSE, sizeof(gint64));
}

void
dm_route_facts_clear(struct dm_route_facts *f)
{
	if (f->refs)
		g_array_unref(f->refs);
	if (f->tickets)
		g_array_unref(f->tickets);
	if (f->late_parents)
		g_array_unref(f->late_parents);
	if (f->shared_refs)
		g_array_unref(f->shared_refs);
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

/* A candidate ticket and the rule that found it. */
struct candidate {
	const struct dm_route_ticket *ticket;
	const char *rule;
};

static void
add_candidate(GArray *list, const struct dm_route_facts *f, gint64 id, const char *rule)
{
	const struct dm_route_ticket *t = dm_route_facts_ticket(f, id);
	if (t == NULL)
		return;
	for (guint i = 0; i < list->len; i++)
		if (g_array_index(list, struct candidate, i).ticket == t)
			return;
	struct candidate c = { t, rule };
	g_array_append_val(list, c);
}

/* The candidates by references in order: the stored messages it
 * references by rank, then stored replies to it, then siblings.
 * *PROVEN when any referenced id is one we sent. */
static void
reference_candidates(const struct dm_thread_query *q, const struct dm_route_facts *f, GArray *list,
		     gboolean *proven)
{
	guint n = f->refs->len;
	g_autofree guint *rank = g_new(guint, n + 1);
	*proven = FALSE;
	for (guint i = 0; i < n; i++) {
		const struct dm_route_ref *r = &g_array_index(f->refs, struct dm_route_ref, i);
		*proven |= r->outgoing;
		rank[i] = reference_rank(q->msg, r->message_id);
	}
	/* Selection by rank: the list is short (at most 200). */
	for (guint pass = 0; pass < n; pass++) {
		guint best = 0;
		for (guint i = 1; i < n; i++)
			if (rank[i] < rank[best])
				best = i;
		if (rank[best] == G_MAXUINT)
			break;
		rank[best] = G_MAXUINT;
		add_candidate(list, f, g_array_index(f->refs, struct dm_route_ref, best).ticket,
			      DM_THREADED_REFERENCES);
	}
	for (guint i = 0; i < f->late_parents->len; i++)
		add_candidate(list, f, g_array_index(f->late_parents, gint64, i), DM_THREADED_LATE_PARENT);
	for (guint i = 0; i < f->shared_refs->len; i++)
		add_candidate(list, f, g_array_index(f->shared_refs, gint64, i), DM_THREADED_REFERENCES);
}

/* The ticket to join, or the first candidate when none may be joined
 * (*JOINABLE FALSE then); NULL when there is no candidate at all.  Our
 * own Message-ID among the references proves the thread, but not a
 * ticket found only by its subject tag. */
static gboolean
may_join(const struct dm_thread_query *q, const struct candidate *c, gboolean proven)
{
	gboolean trusted = proven && strcmp(c->rule, DM_THREADED_TAG) != 0;
	gboolean late = strcmp(c->rule, DM_THREADED_LATE_PARENT) == 0;
	gboolean known = q->sender_known && (c->ticket->sender_participant || (late && c->ticket->addressed));
	return trusted || q->sender_trusted || known;
}

static const struct candidate *
choose(const struct dm_thread_query *q, GArray *list, gboolean proven, gboolean *joinable)
{
	*joinable = FALSE;
	for (guint i = 0; i < list->len; i++) {
		const struct candidate *c = &g_array_index(list, struct candidate, i);
		if (may_join(q, c, proven)) {
			*joinable = TRUE;
			return c;
		}
	}
	return list->len ? &g_array_index(list, struct candidate, 0) : NULL;
}

/* The joinable candidates after CHOSEN, by references only (a subject
 * tag alone ties nothing together). */
static void
list_links(const struct dm_thread_query *q, GArray *list, const struct candidate *chosen, gboolean proven,
	   struct dm_thread_match *out)
{
	for (guint i = 0; i < list->len && out->n_also < DM_ROUTE_MAX_LINKS; i++) {
		const struct candidate *c = &g_array_index(list, struct candidate, i);
		if (c != chosen && strcmp(c->rule, DM_THREADED_TAG) != 0 && may_join(q, c, proven))
			out->also[out->n_also++] = c->ticket->id;
	}
}

/* Join T (found by RULE), unless it was closed too long ago. */
static void
join(const struct dm_thread_query *q, const struct dm_route_ticket *t, const char *rule,
     struct dm_thread_match *out)
{
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

void
dm_route_thread(const struct dm_thread_query *q, const struct dm_route_facts *f, struct dm_thread_match *out)
{
	memset(out, 0, sizeof *out);
	out->threaded_by = DM_THREADED_NEW;

	/* A valid reply key was made by us for this ticket: it decides. */
	const struct dm_route_ticket *key = dm_route_facts_ticket(f, q->key_ticket);
	if (key) {
		out->matched_by = DM_THREADED_REPLY_KEY;
		g_strlcpy(out->status, key->status, sizeof out->status);
		join(q, key, DM_THREADED_REPLY_KEY, out);
		return;
	}
	g_autoptr(GArray) list = g_array_new(FALSE, FALSE, sizeof(struct candidate));
	gboolean proven = FALSE, joinable = FALSE;
	reference_candidates(q, f, list, &proven);
	add_candidate(list, f, q->tag_ticket, DM_THREADED_TAG);
	const struct candidate *c = choose(q, list, proven, &joinable);
	if (c == NULL)
		return;
	out->matched_by = c->rule;
	g_strlcpy(out->status, c->ticket->status, sizeof out->status);
	if (!joinable) {
		/* Knowing a ticket number or a Message-ID is not enough to join
		 * a conversation (and be copied on its replies). */
		out->related = c->ticket->id;
		out->relation = "related";
		out->refused = "sender is not a participant";
		return;
	}
	join(q, c->ticket, c->rule, out);
	list_links(q, list, c, proven, out);
}

/* Is the From address's active agent vouched for: authenticated by the
 * site's MTA, or carrying that agent's own reply key? */
static gboolean
from_agent_vouched(const struct dm_route_input *in, const struct dm_route_facts *f)
{
	return f->from_agent && f->from_agent->active &&
	       (in->from_authenticated || (in->key_agent > 0 && in->key_agent == f->from_agent->id));
}

/* The agent behind the mail: a valid per-agent reply key, or the From
 * address's agent when the site's MTA authenticated it.  *SPOOFED when
 * From is an active agent's address without either, automatic or not.
 * An out-of-office reply to a notification carries the agent's key, but
 * a machine wrote it: automatic mail is never an agent's. */
static const struct dm_agent *
identify_agent(const struct dm_route_input *in, const struct dm_route_facts *f, gboolean *spoofed)
{
	gboolean from_agent = in->msg->from.addr[0] && f->from_agent && f->from_agent->active;
	*spoofed = from_agent && !from_agent_vouched(in, f);
	if (in->automatic)
		return NULL;
	if (in->key_agent > 0 && f->key_agent && f->key_agent->active) {
		*spoofed = FALSE;
		return f->key_agent;
	}
	if (from_agent && in->from_authenticated)
		return f->from_agent;
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
	struct dm_thread_query q = { .msg = in->msg, .key_ticket = in->key_agent ? 0 : in->key_ticket,
				     .tag_ticket = in->tag_ticket, .sender_trusted = from_agent_vouched(in, f),
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
