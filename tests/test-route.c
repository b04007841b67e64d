/* test-route.c - the routing decision (src/route.h) without PostgreSQL,
 * in the manner of notmuch's T260 thread-order test: every shape of a
 * small thread is delivered in every arrival order, and the grouping of
 * its messages into tickets must be the same for every order and equal
 * to the grouping written out by hand for the shape.
 *
 * A small in-memory desk stands in for the database: it answers the same
 * facts the store's one look-up answers (stored copies, referenced
 * messages, late parents, siblings, candidate tickets with the sender's
 * participation) and applies the plan as the deliver stage does (a new
 * ticket with its requester and Cc participants, a reply joined, an
 * agent's answer relayed under an id of our own, a resolved ticket
 * reopened).  Only the decision itself is the product's code. */
#include "dm-autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "message.h"
#include "route.h"
#include "table-tests.h"

#define AGENT "a@desk.example"

/* One mail of a shape.  Ids are single letters; REFS lists the ids it
 * references, oldest first (the last is its In-Reply-To); an id with
 * ".out" is the answer we relayed for an agent's mail.  FROM is x or y
 * (customers), z (a stranger) or a (the agent). */
struct sim_mail {
	const char *id;
	const char *refs;
	char from;
	const char *cc;     /* customers copied, e.g. "y", or NULL */
	gboolean resolves;  /* an agent's mail that resolves the ticket */
};

struct shape {
	const char *name;
	struct sim_mail mail[5];
	const char *groups; /* the tickets in date order, e.g. "ab|c" */
	const char *linked; /* the tickets and their links in every order */
	/* The tickets are the same in every order, but for shapes that
	 * would need two tickets merged (the links tie them then). */
	gboolean strict_in_date_order_only;
};

#define M(id, refs, from) { id, refs, from, NULL, FALSE }
#define CC(id, refs, from, cc) { id, refs, from, cc, FALSE }
#define RESOLVES(id, refs, from) { id, refs, from, NULL, TRUE }
static const struct shape shapes[] = {
	{ "chain of two", { M("a", "", 'x'), M("b", "a", 'x') }, "ab", "ab", FALSE },
	{ "chain of three", { M("a", "", 'x'), M("b", "a", 'x'), M("c", "a b", 'x') }, "abc", "abc", FALSE },
	{ "chain of four", { M("a", "", 'x'), M("b", "a", 'x'), M("c", "a b", 'x'), M("d", "a b c", 'x') },
	  "abcd", "abcd", FALSE },
	{ "chain of five",
	  { M("a", "", 'x'), M("b", "a", 'x'), M("c", "a b", 'x'), M("d", "a b c", 'x'), M("e", "a b c d", 'x') },
	  "abcde", "abcde", FALSE },
	{ "chain with References cut to the parent",
	  { M("a", "", 'x'), M("b", "a", 'x'), M("c", "b", 'x'), M("d", "c", 'x') }, "abcd", "abcd", TRUE },
	{ "siblings", { M("a", "", 'x'), M("b", "a", 'x'), M("c", "a", 'x') }, "abc", "abc", FALSE },
	{ "siblings and a nephew",
	  { M("a", "", 'x'), M("b", "a", 'x'), M("c", "a", 'x'), M("d", "a b", 'x'), M("e", "a c", 'x') },
	  "abcde", "abcde", FALSE },
	{ "siblings whose parent never arrives", { M("b", "a", 'x'), M("c", "a", 'x') }, "bc", "bc", FALSE },
	{ "cousins whose root never arrives",
	  { M("b", "a", 'x'), M("c", "a b", 'x'), M("d", "a", 'x'), M("e", "a d", 'x') }, "bcde", "bcde", FALSE },
	{ "a missing middle", { M("a", "", 'x'), M("c", "a b", 'x'), M("d", "a b c", 'x') }, "acd", "acd", FALSE },
	{ "a stranger replies", { M("a", "", 'x'), M("b", "a", 'z') }, "a|b", "ab", FALSE },
	{ "a stranger in the middle of a chain",
	  { M("a", "", 'x'), M("b", "a", 'x'), M("c", "a b", 'z'), M("d", "a b", 'x') }, "abd|c", "abcd", FALSE },
	{ "a stranger answers the last of a chain",
	  { M("a", "", 'x'), M("b", "a", 'x'), M("c", "a b", 'y') }, "ab|c", "abc", FALSE },
	{ "a colleague copied answers", { CC("a", "", 'x', "y"), M("b", "a", 'y') }, "ab", "ab", FALSE },
	{ "a colleague copied answers, the sender again",
	  { CC("a", "", 'x', "y"), M("b", "a", 'y'), M("c", "a b", 'x') }, "abc", "abc", TRUE },
	{ "two conversations", { M("a", "", 'x'), M("b", "a", 'x'), M("c", "", 'y'), M("d", "c", 'y') },
	  "ab|cd", "ab|cd", FALSE },
	{ "two conversations of one customer",
	  { M("a", "", 'x'), M("b", "a", 'x'), M("c", "", 'x'), M("d", "c", 'x') }, "ab|cd", "ab|cd", FALSE },
	{ "the agent answers, the customer replies",
	  { M("a", "", 'x'), M("b", "a", 'a'), M("c", "a b.out", 'x') }, "abc", "abc", FALSE },
	{ "the agent answers twice",
	  { M("a", "", 'x'), M("b", "a", 'a'), M("c", "a b.out", 'x'), M("d", "a b.out c", 'a'),
	    M("e", "a b.out c d.out", 'x') },
	  "abcde", "abcde", FALSE },
	{ "resolved, then the customer answers",
	  { M("a", "", 'x'), RESOLVES("b", "a", 'a'), M("c", "a b.out", 'x') }, "abc", "abc", FALSE },
	{ "a stranger answers our answer",
	  { M("a", "", 'x'), M("b", "a", 'a'), M("c", "a b.out", 'z') }, "abc", "abc", FALSE },
	{ "the customer answers a stranger's reply",
	  { M("a", "", 'x'), M("b", "a", 'z'), M("c", "a b", 'x') }, "ac|b", "abc", FALSE },
	{ "two strangers on one root",
	  { M("a", "", 'x'), M("b", "a", 'z'), M("c", "a", 'y') }, "a|b|c", "abc", FALSE },
};

/* ---- the in-memory desk -------------------------------------------------- */

struct sim_stored {
	char *id;          /* Message-ID */
	GPtrArray *refs;   /* char*: what it references */
	gint64 ticket;
	gboolean outgoing;
};

struct sim_ticket {
	char status[16];
	GHashTable *participants; /* address set */
};

struct sim {
	GArray *links;      /* gint64 pairs: tickets linked as related */
	GPtrArray *stored;  /* struct sim_stored*, in row order */
	GPtrArray *tickets; /* struct sim_ticket*, id = index + 1 */
	GHashTable *ticket_of; /* shape letter -> ticket id (GINT_TO_POINTER) */
};

static void
stored_free(gpointer p)
{
	struct sim_stored *s = p;
	g_free(s->id);
	g_ptr_array_unref(s->refs);
	g_free(s);
}

static void
ticket_free(gpointer p)
{
	struct sim_ticket *t = p;
	g_hash_table_unref(t->participants);
	g_free(t);
}

static void
sim_init(struct sim *s)
{
	s->links = g_array_new(FALSE, FALSE, sizeof(gint64));
	s->stored = g_ptr_array_new_with_free_func(stored_free);
	s->tickets = g_ptr_array_new_with_free_func(ticket_free);
	s->ticket_of = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static void
sim_clear(struct sim *s)
{
	g_array_unref(s->links);
	g_ptr_array_unref(s->stored);
	g_ptr_array_unref(s->tickets);
	g_hash_table_unref(s->ticket_of);
}

static const char *
address(char who)
{
	switch (who) {
	case 'x': return "x@customer.example";
	case 'y': return "y@customer.example";
	case 'z': return "z@elsewhere.example";
	default: return AGENT;
	}
}

/* "a b.out" -> "<a@t> <b.out@t>" */
static char *
id_list(const char *refs)
{
	g_auto(GStrv) ids = g_strsplit(refs, " ", -1);
	GString *out = g_string_new("");
	for (char **i = ids; *i; i++)
		if (**i)
			g_string_append_printf(out, "%s<%s@t>", out->len ? " " : "", *i);
	return g_string_free(out, FALSE);
}

static struct dm_message *
parse_mail(const struct sim_mail *m)
{
	g_autofree char *refs = id_list(m->refs);
	g_auto(GStrv) parts = g_strsplit(refs, " ", -1);
	guint n = g_strv_length(parts);
	GString *raw = g_string_new("");
	g_string_append_printf(raw, "Message-ID: <%s@t>\nFrom: %s\nTo: support@desk.example\n", m->id,
			       address(m->from));
	if (m->cc)
		g_string_append_printf(raw, "Cc: %s\n", address(m->cc[0]));
	if (n > 0)
		g_string_append_printf(raw, "In-Reply-To: %s\nReferences: %s\n", parts[n - 1], refs);
	g_string_append(raw, "Subject: printer\n\nThe printer prints nothing.\n");
	g_autoptr(GBytes) bytes = g_string_free_to_bytes(raw);
	struct dm_limits limits;
	dm_limits_init_defaults(&limits);
	struct dm_message *msg = dm_message_parse(bytes, &limits, NULL);
	assert_non_null(msg);
	return msg;
}

static gboolean
refs_contain(GPtrArray *refs, const char *id)
{
	for (guint i = 0; i < refs->len; i++)
		if (strcmp(refs->pdata[i], id) == 0)
			return TRUE;
	return FALSE;
}

static void
add_ticket_fact(const struct sim *s, struct dm_route_facts *f, gint64 id, const struct dm_message *msg)
{
	const char *sender = msg->from.addr;
	if (id <= 0 || dm_route_facts_ticket(f, id))
		return;
	const struct sim_ticket *t = s->tickets->pdata[id - 1];
	struct dm_route_ticket rt = { .id = id,
				      .sender_participant = g_hash_table_contains(t->participants, sender) };
	for (guint i = 0; i < msg->cc->len; i++)
		rt.addressed |= g_hash_table_contains(t->participants, ((struct dm_address *) msg->cc->pdata[i])->addr);
	g_strlcpy(rt.status, t->status, sizeof rt.status);
	g_array_append_val(f->tickets, rt);
}

static void
append_unique(GArray *a, gint64 v)
{
	for (guint i = 0; i < a->len; i++)
		if (g_array_index(a, gint64, i) == v)
			return;
	g_array_append_val(a, v);
}

/* What dm_store_route_facts answers, from the in-memory desk. */
static void
sim_facts(const struct sim *s, const struct dm_message *msg, struct dm_route_facts *f)
{
	g_autoptr(GPtrArray) ids = g_ptr_array_new();
	if (msg->in_reply_to)
		g_ptr_array_add(ids, msg->in_reply_to);
	for (guint i = 0; i < msg->references->len; i++)
		g_ptr_array_add(ids, msg->references->pdata[i]);
	for (guint r = 0; r < s->stored->len; r++) {
		const struct sim_stored *st = s->stored->pdata[r];
		if (strcmp(st->id, msg->message_id) == 0 && !st->outgoing) {
			f->duplicate_row = r + 1;
			f->duplicate_ticket = st->ticket;
		}
		if (refs_contain(ids, st->id)) {
			struct dm_route_ref ref = { g_strdup(st->id), st->ticket, st->outgoing };
			g_array_append_val(f->refs, ref);
		}
		if (refs_contain(st->refs, msg->message_id))
			append_unique(f->late_parents, st->ticket);
		for (guint i = 0; i < ids->len; i++)
			if (refs_contain(st->refs, ids->pdata[i]))
				append_unique(f->shared_refs, st->ticket);
	}
	for (guint i = 0; i < f->refs->len; i++)
		add_ticket_fact(s, f, g_array_index(f->refs, struct dm_route_ref, i).ticket, msg);
	for (guint i = 0; i < f->late_parents->len; i++)
		add_ticket_fact(s, f, g_array_index(f->late_parents, gint64, i), msg);
	for (guint i = 0; i < f->shared_refs->len; i++)
		add_ticket_fact(s, f, g_array_index(f->shared_refs, gint64, i), msg);
	if (strcmp(msg->from.addr, AGENT) == 0) {
		f->from_agent = g_new0(struct dm_agent, 1);
		f->from_agent->id = 1;
		f->from_agent->address = g_strdup(AGENT);
		f->from_agent->name = g_strdup("Agent");
		f->from_agent->team = g_strdup("");
		f->from_agent->active = TRUE;
	}
}

static void
store(struct sim *s, const char *id, const struct dm_message *msg, gint64 ticket, gboolean outgoing)
{
	struct sim_stored *st = g_new0(struct sim_stored, 1);
	st->id = g_strdup(id);
	st->refs = g_ptr_array_new_with_free_func(g_free);
	if (msg) {
		if (msg->in_reply_to)
			g_ptr_array_add(st->refs, g_strdup(msg->in_reply_to));
		for (guint i = 0; i < msg->references->len; i++)
			g_ptr_array_add(st->refs, g_strdup(msg->references->pdata[i]));
	}
	st->ticket = ticket;
	st->outgoing = outgoing;
	g_ptr_array_add(s->stored, st);
}

static void
link(struct sim *s, gint64 a, gint64 b)
{
	g_array_append_val(s->links, a);
	g_array_append_val(s->links, b);
}

/* Apply PLAN as the deliver stage does; the ticket the mail went to. */
static gint64
sim_apply(struct sim *s, const struct sim_mail *m, const struct dm_message *msg, const struct dm_route_plan *plan)
{
	gint64 ticket = plan->match.ticket;
	struct sim_ticket *t;
	g_autofree char *out = NULL;
	switch (plan->action) {
	case DM_ROUTE_DUPLICATE:
		return ticket;
	case DM_ROUTE_AGENT:
		t = s->tickets->pdata[ticket - 1];
		store(s, msg->message_id, msg, ticket, FALSE);
		out = g_strdup_printf("%s.out@t", m->id);
		store(s, out, NULL, ticket, TRUE);
		if (m->resolves)
			g_strlcpy(t->status, "resolved", sizeof t->status);
		return ticket;
	case DM_ROUTE_CUSTOMER:
		break;
	default:
		fail_msg("unexpected plan %s for %s", dm_route_action_name(plan->action), m->id);
	}
	if (ticket == 0) {
		t = g_new0(struct sim_ticket, 1);
		g_strlcpy(t->status, "new", sizeof t->status);
		t->participants = g_hash_table_new(g_str_hash, g_str_equal);
		g_ptr_array_add(s->tickets, t);
		ticket = s->tickets->len;
	}
	t = s->tickets->pdata[ticket - 1];
	if (plan->match.related)
		link(s, ticket, plan->match.related);
	for (guint i = 0; i < plan->match.n_also; i++)
		link(s, ticket, plan->match.also[i]);
	if (plan->match.reopen)
		g_strlcpy(t->status, "open", sizeof t->status);
	g_hash_table_add(t->participants, (gpointer) address(m->from));
	if (m->cc)
		g_hash_table_add(t->participants, (gpointer) address(m->cc[0]));
	store(s, msg->message_id, msg, ticket, FALSE);
	return ticket;
}

static void
deliver(struct sim *s, const struct sim_mail *m)
{
	g_autoptr(DmMessage) msg = parse_mail(m);
	struct dm_route_facts f;
	struct dm_route_plan plan;
	dm_route_facts_init(&f);
	sim_facts(s, msg, &f);
	struct dm_route_input in = { .msg = msg, .from_authenticated = TRUE, .reopen_days = 30 };
	dm_route_decide(&in, &f, &plan);
	gint64 ticket = sim_apply(s, m, msg, &plan);
	g_hash_table_insert(s->ticket_of, g_strdup(m->id), GINT_TO_POINTER((int) ticket));
	dm_route_facts_clear(&f);
}

/* The group of ticket T: T itself, or with LINKED the smallest ticket
 * linked to it through "related" links (transitively). */
static gint64
group_of(const struct sim *s, gint64 t, gboolean linked)
{
	gboolean changed = linked;
	gint64 g = t;
	while (changed) {
		changed = FALSE;
		for (guint i = 0; i + 1 < s->links->len; i += 2) {
			gint64 a = g_array_index(s->links, gint64, i), b = g_array_index(s->links, gint64, i + 1);
			gint64 ga = a == g ? b : b == g ? a : 0;
			if (ga && ga < g) {
				g = ga;
				changed = TRUE;
			}
		}
	}
	return g;
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The grouping as text: the letters of each group in alphabetical order,
 * the groups sorted and joined with '|'.  A group is a ticket, or with
 * LINKED the tickets tied together by "related" links. */
static char *
grouping(const struct sim *s, const struct shape *sh, gboolean linked)
{
	g_autoptr(GHashTable) groups = g_hash_table_new_full(NULL, NULL, NULL, NULL);
	g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
	for (const struct sim_mail *m = sh->mail; m < sh->mail + 5 && m->id; m++) {
		gint64 t = GPOINTER_TO_INT(g_hash_table_lookup(s->ticket_of, m->id));
		gpointer key = GINT_TO_POINTER((int) group_of(s, t, linked));
		GString *g = g_hash_table_lookup(groups, key);
		if (g == NULL) {
			g = g_string_new("");
			g_hash_table_insert(groups, key, g);
			g_ptr_array_add(texts, g);
		}
		g_string_append(g, m->id);
	}
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < texts->len; i++)
		g_ptr_array_add(out, g_string_free(texts->pdata[i], FALSE));
	texts->len = 0;
	g_ptr_array_sort(out, compare_strings);
	g_ptr_array_add(out, NULL);
	return g_strjoinv("|", (char **) out->pdata);
}

/* Does the grouping FINE only split, never merge, the groups of COARSE? */
static gboolean
refines(const char *fine, const char *coarse)
{
	g_auto(GStrv) groups = g_strsplit(fine, "|", -1);
	g_auto(GStrv) wanted = g_strsplit(coarse, "|", -1);
	for (char **g = groups; *g; g++) {
		gboolean inside = FALSE;
		for (char **w = wanted; *w && !inside; w++) {
			inside = TRUE;
			for (const char *c = *g; *c; c++)
				inside &= strchr(*w, *c) != NULL;
		}
		if (!inside)
			return FALSE;
	}
	return TRUE;
}

/* ---- every order ----------------------------------------------------------- */

static guint orders_run;

/* Deliver the mails of SH in ORDER (indices); the grouping into tickets
 * in *STRICT, into tickets and their links in *LINKED. */
static void
run_order(const struct shape *sh, const guint *order, guint n, char **strict, char **linked)
{
	struct sim s;
	sim_init(&s);
	for (guint i = 0; i < n; i++)
		deliver(&s, &sh->mail[order[i]]);
	*strict = grouping(&s, sh, FALSE);
	*linked = grouping(&s, sh, TRUE);
	sim_clear(&s);
	orders_run++;
}

static gboolean
next_permutation(guint *a, guint n)
{
	if (n < 2)
		return FALSE;
	guint i = n - 1;
	while (i > 0 && a[i - 1] >= a[i])
		i--;
	if (i == 0)
		return FALSE;
	guint j = n - 1;
	while (a[j] <= a[i - 1])
		j--;
	guint t = a[i - 1];
	a[i - 1] = a[j];
	a[j] = t;
	for (guint l = i, r = n - 1; l < r; l++, r--) {
		t = a[l];
		a[l] = a[r];
		a[r] = t;
	}
	return TRUE;
}

/* Can the mails arrive in ORDER?  Nobody answers what they have not
 * seen: an agent's mail comes after the mails it references (the agent
 * saw them through the desk), and a mail that references our relayed
 * answer X.out comes after X.  Every other order is possible. */
static gboolean
possible(const struct shape *sh, const guint *order, guint n)
{
	for (guint i = 0; i < n; i++) {
		const struct sim_mail *m = &sh->mail[order[i]];
		g_auto(GStrv) refs = g_strsplit(m->refs, " ", -1);
		for (char **r = refs; *r; r++) {
			gboolean ours = g_str_has_suffix(*r, ".out");
			if (!**r || (!ours && m->from != 'a'))
				continue;
			g_autofree char *id = g_strndup(*r, strcspn(*r, "."));
			for (guint j = i + 1; j < n; j++)
				if (strcmp(sh->mail[order[j]].id, id) == 0)
					return FALSE;
		}
	}
	return TRUE;
}

static void
test_shape(void **state)
{
	const struct shape *sh = *state;
	guint n = 0, order[5];
	while (n < 5 && sh->mail[n].id)
		n++;
	for (guint i = 0; i < n; i++)
		order[i] = i;
	gboolean first = TRUE;
	do {
		if (!possible(sh, order, n))
			continue;
		g_autofree char *strict = NULL, *linked = NULL;
		run_order(sh, order, n, &strict, &linked);
		char o[6] = "";
		for (guint i = 0; i < n; i++)
			o[i] = sh->mail[order[i]].id[0];
		/* Exactly the tickets written out for the shape (in date order
		 * only where a merge would be needed), the same tickets-and-links
		 * in every order, and never a ticket that merges what the shape
		 * keeps apart. */
		if ((first || !sh->strict_in_date_order_only) && strcmp(strict, sh->groups) != 0)
			fail_msg("%s: arrival order %s gives %s, want %s", sh->name, o, strict, sh->groups);
		if (strcmp(linked, sh->linked) != 0)
			fail_msg("%s: arrival order %s links %s, want %s", sh->name, o, linked, sh->linked);
		if (!refines(strict, sh->groups))
			fail_msg("%s: arrival order %s merges %s, want at most %s", sh->name, o, strict, sh->groups);
		first = FALSE;
	} while (next_permutation(order, n));
}

/* A duplicate (an MTA's retry) lands on the ticket of the first copy. */
static void
test_duplicate(void **state)
{
	(void) state;
	const struct shape *sh = &shapes[1];
	struct sim s;
	sim_init(&s);
	deliver(&s, &sh->mail[0]);
	deliver(&s, &sh->mail[1]);
	deliver(&s, &sh->mail[1]);
	assert_int_equal(s.stored->len, 2);
	assert_int_equal(s.tickets->len, 1);
	sim_clear(&s);
}

static int
report_orders(void **state)
{
	(void) state;
	printf("# %u arrival orders of %zu shapes delivered\n", orders_run, G_N_ELEMENTS(shapes));
	return 0;
}

int
main(void)
{
	dm_message_init();
	g_autoptr(GArray) tests = dm_tests_new();
	for (gsize i = 0; i < G_N_ELEMENTS(shapes); i++) {
		struct CMUnitTest t = { .name = shapes[i].name, .test_func = test_shape,
					.initial_state = (void *) &shapes[i] };
		g_array_append_val(tests, t);
	}
	struct CMUnitTest dup = { .name = "a duplicate joins nothing new", .test_func = test_duplicate };
	g_array_append_val(tests, dup);
	return dm_tests_run("route", tests, NULL, report_orders);
}
