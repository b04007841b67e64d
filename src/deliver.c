/* deliver.c - the pipeline behind `deskmail deliver`: read, parse,
 * screen, thread, store, commit, send; and the exit-status policy the MTA
 * relies on.
 *
 * 0 only after COMMIT (or for a duplicate); 65 only for input that can
 * never be stored; 75 for everything else, so the MTA keeps the message
 * and retries.  A deadline below the MTA's command time limit turns a hang
 * into 75 as well: Postfix bounces a command that overruns its limit. */
#include "dm-autoconf.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ack.h"
#include "agent.h"
#include "command.h"
#include "db.h"
#include "deliver.h"
#include "hours.h"
#include "langid.h"
#include "log.h"
#include "message.h"
#include "model.h"
#include "notify.h"
#include "outbox.h"
#include "quote.h"
#include "screen.h"
#include "status.h"
#include "store.h"
#include "template.h"
#include "thread.h"
#include "topics.h"

/* What one delivery knows before it touches the database. */
struct delivery {
	const struct dm_config *cfg;
	const struct dm_templates *templates;
	const struct dm_hours *hours;
	const struct dm_topics *topics;
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

	/* Results. */
	gint64 ticket;
	gint64 message_row;
	gboolean duplicate;
	gboolean new_ticket;
	const char *threaded_by;
	const char *ack;        /* "sent" or the suppression reason */
	GArray *outbox_ids;     /* gint64: rows to hand to sendmail after COMMIT */
	const char *role;       /* "customer", "agent", "note", "agent-error" */
};

static void
deadline_reached(int sig)
{
	static const char line[] = "4.3.0 deskmail: delivery deadline exceeded\n";
	(void) sig;
	/* Only async-signal-safe calls here. */
	ssize_t ignored = write(STDERR_FILENO, line, sizeof line - 1);
	(void) ignored;
	_exit(EX_TEMPFAIL);
}

static void
start_deadline(int seconds)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = deadline_reached;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned) seconds);
}

enum dm_status
dm_deliver_read_input(int fd, gsize max, GBytes **out)
{
	GByteArray *buf = g_byte_array_sized_new(64 * 1024);
	/* MAX is at most 1 GiB (config.c), so the guint length cannot wrap. */
	for (;;) {
		guint old = buf->len;
		g_byte_array_set_size(buf, old + 65536);
		ssize_t n = read(fd, buf->data + old, 65536);
		if (n < 0) {
			g_byte_array_set_size(buf, old);
			if (errno == EINTR)
				continue;
			g_byte_array_unref(buf);
			return DM_TEMPFAIL;
		}
		g_byte_array_set_size(buf, old + (guint) n);
		if (n == 0)
			break;
		if (buf->len > max) {
			g_byte_array_unref(buf);
			return DM_REJECT;
		}
	}
	*out = g_byte_array_free_to_bytes(buf);
	return DM_OK;
}

/* The envelope recipient: from the MTA's argument, else the headers
 * Postfix and others add (X-Original-To, Delivered-To). */
static char *
find_recipient(const struct dm_deliver_options *opts, const struct dm_message *msg)
{
	if (opts->recipient && *opts->recipient)
		return dm_address_normalise(opts->recipient);
	const char *h = dm_message_header(msg, "X-Original-To");
	if (h == NULL)
		h = dm_message_header(msg, "Delivered-To");
	return h ? dm_address_normalise(h) : NULL;
}

/* Reply keys: the envelope recipient first, then the addresses the mail
 * was written to.  A key with a wrong MAC is remembered (an event records
 * it) and otherwise ignored. */
static void
find_reply_key(struct delivery *d)
{
	const struct dm_config *cfg = d->cfg;
	g_autoptr(GPtrArray) candidates = g_ptr_array_new();
	if (d->recipient)
		g_ptr_array_add(candidates, d->recipient);
	GPtrArray *lists[] = { d->msg->to, d->msg->cc };
	for (gsize l = 0; l < G_N_ELEMENTS(lists); l++)
		for (guint i = 0; i < lists[l]->len; i++)
			g_ptr_array_add(candidates, ((struct dm_address *) lists[l]->pdata[i])->addr);
	for (guint i = 0; i < candidates->len; i++) {
		g_autofree char *key = dm_reply_key_from_address(candidates->pdata[i],
								 (const char *const *) cfg->own_addresses,
								 dm_config_separator(cfg));
		if (key == NULL)
			continue;
		gint64 ticket, agent;
		switch (dm_reply_key_verify(cfg->secret, key, &ticket, &agent)) {
		case DM_REPLY_KEY_VALID:
			d->key_ticket = ticket;
			d->key_agent = agent;
			return;
		case DM_REPLY_KEY_INVALID:
			d->key_invalid = TRUE;
			if (d->bad_key == NULL)
				d->bad_key = dm_log_sanitize(key, 80);
			break;
		case DM_REPLY_KEY_NONE:
			break;
		}
	}
}

/* The queue: the support address the mail came to, when it is ours (a
 * plus-addressed reply address counts as its base address). */
static char *
find_queue(const struct delivery *d)
{
	const struct dm_config *cfg = d->cfg;
	struct dm_screen_config sc = { .own_addresses = (const char *const *) cfg->own_addresses,
				       .reply_separator = dm_config_separator(cfg) };
	if (d->recipient && dm_screen_is_own_address(&sc, d->recipient)) {
		for (char **own = cfg->own_addresses; *own; own++) {
			const char *at = strrchr(*own, '@');
			gsize local = at ? (gsize) (at - *own) : 0;
			if (g_ascii_strcasecmp(d->recipient, *own) == 0 ||
			    (g_ascii_strncasecmp(d->recipient, *own, local) == 0 &&
			     d->recipient[local] == dm_config_separator(cfg)))
				return g_strdup(*own);
		}
	}
	return g_strdup(cfg->support_address);
}

/* Add the To/Cc addresses of a customer's mail, other than ours, as CC
 * participants. */
static enum dm_status
add_cc_participants(struct dm_db *db, struct delivery *d)
{
	struct dm_screen_config sc = { .own_addresses = (const char *const *) d->cfg->own_addresses,
				       .reply_separator = dm_config_separator(d->cfg) };
	GPtrArray *lists[] = { d->msg->to, d->msg->cc };
	for (gsize l = 0; l < G_N_ELEMENTS(lists); l++) {
		for (guint i = 0; i < lists[l]->len && i < 50; i++) {
			struct dm_address *a = lists[l]->pdata[i];
			if (a->addr[0] == '\0' || strchr(a->addr, '@') == NULL ||
			    dm_screen_is_own_address(&sc, a->addr) || strcmp(a->addr, d->msg->from.addr) == 0)
				continue;
			gint64 contact;
			enum dm_status st = dm_store_contact(db, a->addr, a->name, NULL, &contact, NULL);
			if (st == DM_OK)
				st = dm_store_participant(db, d->ticket, contact, "cc");
			if (st != DM_OK)
				return st;
		}
	}
	return DM_OK;
}

/* Decide and, when allowed, queue the acknowledgement. */
static enum dm_status
acknowledge(struct dm_db *db, struct delivery *d, const char *language, gint64 due_at,
	    const char *requester, const char *requester_name, const char *subject_in, int topic)
{
	const struct dm_config *cfg = d->cfg;
	const struct dm_message *msg = d->msg;
	const char *reason = d->screen.no_ack_reason;
	enum dm_status st;

	if (reason == NULL && !cfg->ack_enabled)
		reason = "disabled";
	if (reason == NULL && !d->new_ticket && !cfg->ack_follow_ups)
		reason = "follow-up";
	if (reason == NULL) {
		gboolean failing = FALSE;
		if ((st = dm_store_contact_failing(db, requester, &failing)) != DM_OK)
			return st;
		if (failing)
			reason = "failing-address";
	}
	if (reason == NULL) {
		int count = 0;
		if ((st = dm_store_ack_count(db, requester, cfg->ack_rate_period, &count)) != DM_OK)
			return st;
		if (count >= cfg->ack_rate_limit)
			reason = "rate-limit";
	}
	if (reason == NULL && !dm_compose_address_ok(requester))
		reason = "bad-address";
	if (reason) {
		d->ack = reason;
		return dm_store_event(db, d->ticket, d->message_row, "deskmail", "ack", NULL, "suppressed", reason);
	}

	g_autofree char *tag = dm_config_format_tag(cfg, d->ticket);
	g_autofree char *subject = dm_thread_clean_subject(subject_in, cfg->tag_format);
	struct dm_ack_facts f = {
		.ticket = d->ticket, .tag = tag, .subject = subject,
		.requester_addr = requester, .requester_name = requester_name,
		.language = language, .queue = d->queue, .due_at = due_at,
		.topic = topic >= 0 ? dm_topics_name(d->topics, topic) : NULL,
		.topic_title = topic >= 0 ? dm_topics_title(d->topics, topic, language) : NULL,
		.in_reply_to = msg->message_id,
		.references = msg->references,
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(DmOutgoing) ack = dm_ack_build(cfg, d->templates, d->hours, &f, &error);
	if (ack == NULL) {
		/* A broken template is the operator's to fix: retry later
		 * rather than leave the customer without an answer. */
		dm_log_error("acknowledgement for ticket %" G_GINT64_FORMAT ": %s", d->ticket, error->message);
		return DM_CONFIG;
	}
	gint64 row;
	struct dm_stored_message out = {
		.ticket = d->ticket, .message_id = ack->message_id, .direction = "out", .kind = "auto",
		.threaded_by = DM_THREADED_NEW, .from_addr = d->queue, .from_name = cfg->support_name,
		.to_addr = requester, .subject = ack->subject, .text = ack->text,
		.in_reply_to = msg->message_id, .raw = ack->data,
	};
	if ((st = dm_store_message(db, &out, &row)) != DM_OK)
		return st;
	g_autoptr(GPtrArray) rcpts = g_ptr_array_new();
	g_ptr_array_add(rcpts, (gpointer) requester);
	/* Automatic replies go out with the null envelope sender (RFC 3834). */
	gint64 outbox_id;
	if ((st = dm_outbox_queue(db, d->ticket, row, "ack", "", rcpts, ack->data, &outbox_id)) != DM_OK)
		return st;
	g_array_append_val(d->outbox_ids, outbox_id);
	if ((st = dm_store_ack_sent(db, requester)) != DM_OK)
		return st;
	d->ack = "sent";
	return dm_store_event(db, d->ticket, row, "deskmail", "ack", NULL, "sent", language);
}

/* The agent behind this mail, when it is one: a valid per-agent reply
 * key, or (where the site configures it) a DKIM/DMARC pass for the
 * agent's domain from the site's own MTA.  *SPOOFED is set when the From
 * is an agent's address without either. */
static enum dm_status
identify_agent(struct dm_db *db, struct delivery *d, struct dm_agent **agent, gboolean *spoofed)
{
	enum dm_status st;
	*agent = NULL;
	*spoofed = FALSE;
	/* An out-of-office reply to a notification carries the agent's key,
	 * but a machine wrote it: it is never relayed or obeyed. */
	if (d->screen.automatic)
		return DM_OK;
	if (d->key_agent > 0) {
		if ((st = dm_agent_find(db, NULL, d->key_agent, agent)) != DM_OK)
			return st;
		if (*agent && !(*agent)->active)
			g_clear_pointer(agent, dm_agent_free);
		if (*agent)
			return DM_OK;
	}
	if (d->msg->from.addr[0] == '\0' || d->screen.automatic)
		return DM_OK;
	g_autoptr(DmAgent) claimed = NULL;
	if ((st = dm_agent_find(db, d->msg->from.addr, 0, &claimed)) != DM_OK)
		return st;
	if (claimed == NULL || !claimed->active)
		return DM_OK;
	const char *domain = strrchr(claimed->address, '@');
	if (domain && dm_screen_authenticated(d->msg, d->cfg->trusted_authserv_id, domain + 1)) {
		*agent = g_steal_pointer(&claimed);
		return DM_OK;
	}
	*spoofed = TRUE;
	return DM_OK;
}

/* The agent's own new text: above the marker, without the commands,
 * quote header, quoted text and signature. */
static char *
agent_text(const char *rest)
{
	return dm_quote_strip(rest, dm_notify_markers());
}

/* Before a command changes anything, every target must exist: an
 * unknown agent or team is an error like a misspelt command. */
static enum dm_status
check_targets(struct dm_db *db, struct delivery *d, struct dm_commands *cmds, GString *errors)
{
	enum dm_status st;
	for (guint i = 0; i < cmds->list->len; i++) {
		const struct dm_command *c = cmds->list->pdata[i];
		if (c->kind == DM_CMD_ASSIGN && strcmp(c->arg, "me") != 0) {
			g_autoptr(DmAgent) a = NULL;
			if ((st = dm_agent_find(db, c->arg, 0, &a)) != DM_OK)
				return st;
			if (a == NULL || !a->active)
				g_string_append_printf(errors, "#assign: %s is not an active agent\n", c->arg);
		} else if (c->kind == DM_CMD_TOPIC) {
			if (dm_topics_index(d->topics, c->arg) < 0 && strcmp(c->arg, "triage") != 0)
				g_string_append_printf(errors, "#topic: there is no topic '%s'\n", c->arg);
		} else if (c->kind == DM_CMD_ESCALATE) {
			gboolean exists = FALSE;
			if ((st = dm_team_exists(db, c->arg, &exists)) != DM_OK)
				return st;
			gboolean configured = g_ascii_strcasecmp(c->arg, d->cfg->default_team) == 0;
			for (char **q = d->cfg->queue_teams; !configured && *q; q += 2)
				configured = g_ascii_strcasecmp(q[1], c->arg) == 0;
			if (!exists && !configured)
				g_string_append_printf(errors, "#escalate: there is no team '%s'\n", c->arg);
		}
	}
	return DM_OK;
}

/* Apply valid commands to TICKET, each change an event by AGENT. */
/* An agent's #topic is a correction the model learns from: the
 * ticket's first message becomes a training document of that topic. */
static enum dm_status
learn_topic(struct dm_db *db, const struct dm_topics *topics, gint64 ticket, const char *topic)
{
	if (dm_topics_index(topics, topic) < 0)
		return DM_OK; /* "triage" is not a class */
	g_autofree char *subject = NULL, *text = NULL, *lang = NULL;
	enum dm_status st = dm_store_first_text(db, ticket, &subject, &text, &lang);
	if (st == DM_NOTFOUND)
		return DM_OK;
	if (st != DM_OK)
		return st;
	g_autoptr(DmFeatures) f = dm_features_extract(subject, text, *lang ? lang : NULL,
						      dm_topics_subject_weight(topics));
	return dm_model_add_document(db, "topic", topic, f);
}

static enum dm_status
apply_commands(struct dm_db *db, const struct dm_topics *topics, struct dm_commands *cmds, gint64 ticket,
	       gint64 row, const struct dm_agent *agent)
{
	enum dm_status st = DM_OK;
	for (guint i = 0; i < cmds->list->len && st == DM_OK; i++) {
		const struct dm_command *c = cmds->list->pdata[i];
		switch (c->kind) {
		case DM_CMD_STATUS:
			st = dm_store_set_field(db, ticket, row, agent->address, "status", c->arg, NULL);
			break;
		case DM_CMD_PRIORITY:
			st = dm_store_set_field(db, ticket, row, agent->address, "priority", c->arg, NULL);
			break;
		case DM_CMD_TOPIC:
			st = dm_store_set_field(db, ticket, row, agent->address, "topic", c->arg, NULL);
			if (st == DM_OK)
				st = learn_topic(db, topics, ticket, c->arg);
			break;
		case DM_CMD_ESCALATE: {
			gint64 team;
			st = dm_team_ensure(db, c->arg, &team);
			if (st == DM_OK)
				st = dm_store_set_field(db, ticket, row, agent->address, "team", c->arg, NULL);
			break;
		}
		case DM_CMD_ASSIGN: {
			g_autoptr(DmAgent) a = NULL;
			const char *who = strcmp(c->arg, "me") == 0 ? agent->address : c->arg;
			st = dm_agent_find(db, who, 0, &a);
			if (st == DM_OK && a) {
				char id[24];
				g_snprintf(id, sizeof id, "%" G_GINT64_FORMAT, a->id);
				st = dm_store_set_field(db, ticket, row, agent->address, "assign", id, a->address);
			}
			break;
		}
		case DM_CMD_NOTE:
		case DM_CMD_REQUESTER:
			break;
		}
	}
	return st;
}

/* The first match of KIND in CMDS, or NULL. */
static const struct dm_command *
find_command(struct dm_commands *cmds, enum dm_command_kind kind)
{
	for (guint i = 0; i < cmds->list->len; i++)
		if (((struct dm_command *) cmds->list->pdata[i])->kind == kind)
			return cmds->list->pdata[i];
	return NULL;
}

/* The message's headers as "Name: value" strings, for header rules. */
static GPtrArray *
header_lines(const struct dm_message *msg)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < msg->headers->len && i < 200; i++) {
		const struct dm_header *h = msg->headers->pdata[i];
		g_ptr_array_add(out, g_strdup_printf("%s: %s", h->name, h->value));
	}
	g_ptr_array_add(out, NULL);
	return out;
}

/* Topic, priority and team of a new ticket.  *TOPIC is the topic's index
 * or -1 (triage). */
static enum dm_status
classify_ticket(struct dm_db *db, struct delivery *d, const char *subject, const char *text, const char *lang,
		const char *sender, int *topic)
{
	struct dm_classification c;
	g_autoptr(GPtrArray) headers = header_lines(d->msg);
	enum dm_status st = dm_model_route(db, d->topics, subject, text, lang, sender,
					   (const char *const *) headers->pdata, &c);
	if (st != DM_OK)
		return st;
	*topic = c.topic;
	const char *name = c.topic >= 0 ? dm_topics_name(d->topics, c.topic) : "triage";
	g_autofree char *by = c.by_rule ? g_strdup_printf("rule: %s", c.rule ? c.rule : "?")
				       : g_strdup(c.topic >= 0 ? "model" : "triage");
	const char *team = c.topic >= 0 ? dm_topics_team(d->topics, c.topic) : NULL;
	return dm_store_classification(db, d->ticket, name, c.urgency ? c.urgency : "normal", c.confidence, by,
				       team && *team ? team : NULL);
}

/* An out-of-scope topic is answered with its template and closed. */
static enum dm_status
close_if_out_of_scope(struct dm_db *db, struct delivery *d, int topic)
{
	if (topic < 0 || !dm_topics_close(d->topics, topic))
		return DM_OK;
	return dm_store_set_field(db, d->ticket, d->message_row, "deskmail", "status", "closed", NULL);
}

/* A new ticket, with its team, requester participant and event. */
static enum dm_status
open_ticket(struct dm_db *db, struct delivery *d, const char *subject, gint64 requester,
	    const char *language, const struct dm_thread_match *match, gint64 *due_at)
{
	const struct dm_config *cfg = d->cfg;
	enum dm_status st;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	*due_at = dm_hours_add(d->hours, now, cfg->target_hours);
	struct dm_new_ticket t = { .subject = subject, .requester = requester, .queue = d->queue,
				   .language = language, .related = match ? match->related : 0,
				   .relation = match ? match->relation : NULL, .due_at = *due_at };
	if ((st = dm_store_create_ticket(db, &t, &d->ticket)) != DM_OK)
		return st;
	d->new_ticket = TRUE;
	gint64 team;
	if ((st = dm_team_ensure(db, dm_config_queue_team(cfg, d->queue), &team)) != DM_OK ||
	    (st = dm_store_set_team(db, d->ticket, team)) != DM_OK)
		return st;
	if (requester && (st = dm_store_participant(db, d->ticket, requester, "requester")) != DM_OK)
		return st;
	return DM_OK;
}

static enum dm_status
notify_ctx_agents(struct dm_db *db, struct delivery *d, const char *reason, const char *text,
		  GPtrArray *attachments, gint64 exclude)
{
	struct dm_ticket_facts f;
	struct dm_notify_ctx n = { .cfg = d->cfg, .templates = d->templates, .hours = d->hours,
				   .outbox_ids = d->outbox_ids };
	enum dm_status st = dm_store_ticket_facts(db, d->ticket, &f);
	if (st == DM_OK)
		st = dm_notify_agents(&n, db, &f, reason, text, attachments, exclude);
	dm_ticket_facts_clear(&f);
	return st;
}

/* An agent opens a ticket for a customer: "#requester ADDRESS" (a phone
 * call, a walk-in), or a customer's mail forwarded to the desk.  The
 * ticket is the customer's; the agent is recorded as the one who opened
 * it. */
static enum dm_status
open_on_behalf(struct dm_db *db, struct delivery *d, const struct dm_agent *agent, const char *customer,
	       const char *customer_name, const char *subject, const char *text, const char *kind)
{
	const struct dm_config *cfg = d->cfg;
	enum dm_status st;
	gint64 contact, due_at;
	g_autofree char *known = NULL;
	if ((st = dm_store_contact(db, customer, customer_name, NULL, &contact, &known)) != DM_OK)
		return st;
	const char *language = d->language ? d->language : known ? known : cfg->default_language;
	if ((st = open_ticket(db, d, subject, contact, language, NULL, &due_at)) != DM_OK)
		return st;
	struct dm_stored_message m = { .ticket = d->ticket, .message_id = d->msg->message_id, .direction = "in",
				       .kind = kind, .threaded_by = DM_THREADED_NEW,
				       .contact = strcmp(kind, "customer") == 0 ? contact : 0,
				       .agent = agent->id, .text_override = text, .msg = d->msg,
				       .recipient = d->recipient, .envelope_from = d->sender };
	if ((st = dm_store_message(db, &m, &d->message_row)) != DM_OK)
		return st;
	if ((st = dm_store_event(db, d->ticket, d->message_row, agent->address, "created", NULL, "new",
				 strcmp(kind, "customer") == 0 ? "forwarded by an agent" : "opened by an agent")) != DM_OK)
		return st;
	d->threaded_by = DM_THREADED_NEW;
	int topic = -1;
	if ((st = classify_ticket(db, d, subject, text, language, customer, &topic)) != DM_OK)
		return st;
	if ((st = acknowledge(db, d, language, due_at, customer, customer_name, subject, topic)) != DM_OK)
		return st;
	if ((st = close_if_out_of_scope(db, d, topic)) != DM_OK)
		return st;
	return notify_ctx_agents(db, d, "new ticket", text, d->msg->attachments, agent->id);
}

/* An authenticated agent's mail.  *HANDLED is FALSE when it turns out to
 * be the agent writing in as a customer (no ticket, no #requester, no
 * forward): the customer path takes it then. */
static enum dm_status
deliver_agent(struct dm_db *db, struct delivery *d, const struct dm_agent *agent, gboolean *handled)
{
	const struct dm_config *cfg = d->cfg;
	struct dm_message *msg = d->msg;
	enum dm_status st;
	*handled = TRUE;

	g_autoptr(DmCommands) cmds = dm_commands_parse(msg->text);
	g_autofree char *text = agent_text(cmds->rest);

	/* Which ticket: the key first, then references and tag (an agent
	 * may join any conversation). */
	struct dm_thread_match match;
	struct dm_thread_query q = { .msg = msg, .key_ticket = d->key_ticket, .tag_ticket = d->tag_ticket,
				     .sender = agent->address, .automatic = FALSE };
	if ((st = dm_store_thread(db, cfg, &q, &match)) != DM_OK)
		return st;
	if (match.related && match.ticket == 0) {
		/* An agent may act on any ticket, closed ones included. */
		match.ticket = match.related;
		match.threaded_by = match.matched_by;
	}
	d->threaded_by = match.threaded_by;

	if (match.ticket == 0) {
		const struct dm_command *req = find_command(cmds, DM_CMD_REQUESTER);
		if (req && cmds->errors == NULL) {
			g_autofree char *subject = dm_thread_clean_subject(msg->subject, cfg->tag_format);
			d->role = "agent";
			return open_on_behalf(db, d, agent, req->arg, "", subject, text, "agent");
		}
		g_autofree char *from = NULL, *name = NULL, *subject = NULL, *body = NULL;
		if (cmds->errors == NULL && dm_quote_find_forward(cmds->rest, &from, &name, &subject, &body) &&
		    from && strchr(from, '@')) {
			g_autofree char *clean = dm_thread_clean_subject(subject && *subject ? subject : msg->subject,
									 cfg->tag_format);
			g_autofree char *customer_text = dm_quote_strip(body, NULL);
			d->role = "forward";
			return open_on_behalf(db, d, agent, from, name, clean, customer_text, "customer");
		}
		*handled = FALSE;
		return DM_OK;
	}
	d->ticket = match.ticket;

	/* Validate everything before anything changes. */
	GString *errors = g_string_new(cmds->errors ? cmds->errors : "");
	if (errors->len)
		g_string_append_c(errors, '\n');
	if ((st = check_targets(db, d, cmds, errors)) != DM_OK) {
		g_string_free(errors, TRUE);
		return st;
	}
	if (find_command(cmds, DM_CMD_REQUESTER))
		g_string_append(errors, "#requester: only for a new ticket, written to the desk's address\n");
	g_strchomp(errors->str);
	g_string_set_size(errors, strlen(errors->str));

	gboolean note = cmds->note;
	struct dm_stored_message m = { .ticket = d->ticket, .message_id = msg->message_id, .direction = "in",
				       .kind = note ? "note" : "agent", .threaded_by = match.threaded_by,
				       .agent = agent->id, .text_override = text, .msg = msg,
				       .recipient = d->recipient, .envelope_from = d->sender };
	if ((st = dm_store_message(db, &m, &d->message_row)) != DM_OK) {
		g_string_free(errors, TRUE);
		return st;
	}

	struct dm_ticket_facts f;
	struct dm_notify_ctx n = { .cfg = cfg, .templates = d->templates, .hours = d->hours,
				   .outbox_ids = d->outbox_ids };
	if ((st = dm_store_ticket_facts(db, d->ticket, &f)) != DM_OK) {
		g_string_free(errors, TRUE);
		return st;
	}
	if (errors->len) {
		/* Nothing changes and nothing is relayed; the agent is told. */
		d->role = "agent-error";
		st = dm_store_event(db, d->ticket, d->message_row, agent->address, "command-error", NULL, NULL,
				    errors->str);
		if (st == DM_OK)
			st = dm_notify_command_error(&n, db, &f, agent->address, agent->name, errors->str,
						     msg->message_id);
		goto out;
	}
	if ((st = apply_commands(db, d->topics, cmds, d->ticket, d->message_row, agent)) != DM_OK)
		goto out;
	dm_ticket_facts_clear(&f);
	if ((st = dm_store_ticket_facts(db, d->ticket, &f)) != DM_OK)
		goto out;
	if (note) {
		d->role = "note";
		st = dm_notify_note(&n, db, &f, text, agent->id);
		goto out;
	}
	d->role = "agent";
	if (*text) {
		gboolean sent = FALSE;
		if ((st = dm_notify_relay(&n, db, &f, text, agent->id, &sent)) != DM_OK)
			goto out;
		if (sent && !f.first_response && (st = dm_store_first_response(db, d->ticket)) != DM_OK)
			goto out;
		/* A first answer takes a new ticket into work. */
		if (sent && strcmp(f.status, "new") == 0 && find_command(cmds, DM_CMD_STATUS) == NULL)
			st = dm_store_set_field(db, d->ticket, d->message_row, agent->address, "status", "open", NULL);
	}
out:
	dm_ticket_facts_clear(&f);
	g_string_free(errors, TRUE);
	return st;
}

/* A customer's mail (or anyone's who is not an authenticated agent). */
static enum dm_status
deliver_customer(struct dm_db *db, struct delivery *d, gboolean spoofed)
{
	const struct dm_config *cfg = d->cfg;
	struct dm_message *msg = d->msg;
	gboolean automatic = d->screen.automatic;
	enum dm_status st;

	/* A bounce of one of our own mails belongs to that mail's ticket. */
	struct dm_thread_match match;
	memset(&match, 0, sizeof match);
	match.threaded_by = DM_THREADED_NEW;
	gboolean our_bounce = FALSE;
	if (d->screen.bounce && msg->dsn_original_id) {
		gint64 row, ticket;
		if ((st = dm_store_find_message(db, msg->dsn_original_id, "out", &row, &ticket)) != DM_OK)
			return st;
		if (ticket) {
			match.ticket = ticket;
			match.threaded_by = DM_THREADED_REFERENCES;
			our_bounce = TRUE;
		}
	}
	if (!our_bounce) {
		/* A forged agent From gets no agent's trust: not even a key's. */
		struct dm_thread_query q = { .msg = msg, .key_ticket = d->key_agent ? 0 : d->key_ticket,
					     .tag_ticket = d->tag_ticket, .sender = msg->from.addr,
					     .automatic = automatic };
		if (spoofed)
			q.sender = "";
		if ((st = dm_store_thread(db, cfg, &q, &match)) != DM_OK)
			return st;
	}
	d->threaded_by = match.threaded_by;

	/* The sender: a contact who remembers the language of their mail. */
	gint64 contact = 0;
	g_autofree char *known_language = NULL;
	if (msg->from.addr[0] && !automatic) {
		if ((st = dm_store_contact(db, msg->from.addr, msg->from.name, d->language, &contact,
					   &known_language)) != DM_OK)
			return st;
	}
	const char *language = d->language ? d->language
			     : known_language ? known_language : cfg->default_language;

	gint64 due_at = 0;
	if (match.ticket == 0) {
		if ((st = open_ticket(db, d, msg->subject, contact, language, &match, &due_at)) != DM_OK)
			return st;
	} else {
		d->ticket = match.ticket;
		/* Joined through a reply key or our own Message-ID: the sender
		 * is in the conversation from now on. */
		if (contact && !spoofed && (st = dm_store_participant(db, d->ticket, contact, "cc")) != DM_OK)
			return st;
	}
	if (!automatic && !spoofed && (st = add_cc_participants(db, d)) != DM_OK)
		return st;

	const char *kind = d->screen.bounce ? "bounce" : automatic ? "auto" : "customer";
	d->role = kind;
	struct dm_stored_message m = { .ticket = d->ticket, .message_id = msg->message_id,
				       .direction = "in", .kind = kind, .threaded_by = match.threaded_by,
				       .contact = contact, .msg = msg, .recipient = d->recipient,
				       .envelope_from = d->sender };
	if ((st = dm_store_message(db, &m, &d->message_row)) != DM_OK)
		return st;

	const char *actor = msg->from.addr;
	int topic = -1;
	if (d->new_ticket) {
		if ((st = dm_store_event(db, d->ticket, d->message_row, actor, "created", NULL, "new",
					 match.relation)) != DM_OK)
			return st;
		if (!automatic &&
		    (st = classify_ticket(db, d, msg->subject, msg->text, language, msg->from.addr, &topic)) != DM_OK)
			return st;
		if (match.related) {
			g_autofree char *rel = g_strdup_printf("%" G_GINT64_FORMAT, match.related);
			if ((st = dm_store_event(db, d->ticket, d->message_row, actor, match.relation, NULL,
						 rel, match.refused)) != DM_OK)
				return st;
		}
	} else if ((st = dm_store_touch_ticket(db, &match, automatic, actor, d->message_row)) != DM_OK) {
		return st;
	}
	if (spoofed &&
	    (st = dm_store_event(db, d->ticket, d->message_row, actor, "spoofed-agent", NULL, NULL,
				 "From is an agent's address without a valid key or authentication result")) != DM_OK)
		return st;
	if (d->key_invalid &&
	    (st = dm_store_event(db, d->ticket, d->message_row, actor, "reply-key-invalid", NULL, NULL,
				 d->bad_key)) != DM_OK)
		return st;
	if (our_bounce) {
		for (guint i = 0; i < msg->dsn_failed->len; i++) {
			const char *addr = msg->dsn_failed->pdata[i];
			if ((st = dm_store_mark_failing(db, addr)) != DM_OK ||
			    (st = dm_store_event(db, d->ticket, d->message_row, actor, "bounce", NULL, addr,
						 msg->dsn_original_id)) != DM_OK)
				return st;
		}
	}
	if (d->new_ticket || cfg->ack_follow_ups) {
		if (!d->new_ticket) {
			/* A follow-up's answer time is the ticket's. */
			struct dm_ticket_facts f;
			if ((st = dm_store_ticket_facts(db, d->ticket, &f)) != DM_OK)
				return st;
			due_at = f.due_at;
			dm_ticket_facts_clear(&f);
		}
		if ((st = acknowledge(db, d, language, due_at, msg->from.addr, msg->from.name, msg->subject,
				       topic)) != DM_OK)
			return st;
		if (d->new_ticket && (st = close_if_out_of_scope(db, d, topic)) != DM_OK)
			return st;
	}
	if (!automatic)
		st = notify_ctx_agents(db, d, d->new_ticket ? "new ticket" : "customer reply", msg->text,
				       msg->attachments, 0);
	return st;
}

/* One attempt at the whole transaction. */
static enum dm_status
deliver_once(struct dm_db *db, struct delivery *d)
{
	struct dm_message *msg = d->msg;
	enum dm_status st;
	gint64 dup_row, dup_ticket;
	/* Before the first goto: the cleanup runs on every way out. */
	g_autoptr(DmAgent) agent = NULL;

	d->ticket = d->message_row = 0;
	d->new_ticket = d->duplicate = FALSE;
	d->ack = NULL;
	d->role = NULL;
	g_array_set_size(d->outbox_ids, 0);

	if ((st = dm_store_begin(db, msg)) != DM_OK)
		return st;
	if ((st = dm_store_find_message(db, msg->message_id, "in", &dup_row, &dup_ticket)) != DM_OK)
		goto fail;
	if (dup_row) {
		d->duplicate = TRUE;
		d->ticket = dup_ticket;
		d->message_row = dup_row;
		dm_db_rollback(db);
		return DM_OK;
	}
	gboolean spoofed = FALSE, handled = FALSE;
	if ((st = identify_agent(db, d, &agent, &spoofed)) != DM_OK)
		goto fail;
	if (agent && (st = deliver_agent(db, d, agent, &handled)) != DM_OK)
		goto fail;
	if (!handled && (st = deliver_customer(db, d, spoofed)) != DM_OK)
		goto fail;
	if ((st = dm_db_commit(db)) != DM_OK)
		goto fail;
	return DM_OK;
fail:
	dm_db_rollback(db);
	return st;
}

/* Load what a delivery needs besides the configuration.  On failure
 * prints the 4.3.0 line and returns FALSE. */
static gboolean
load_desk(const struct dm_config *cfg, struct dm_templates **templates, struct dm_hours **hours,
	  struct dm_langid **langid, struct dm_topics **topics)
{
	g_autoptr(GError) error = NULL;
	*topics = dm_topics_load(cfg->topics_file, &error);
	if (*topics == NULL) {
		fprintf(stderr, "4.3.0 deskmail: topics: %s\n", error->message);
		return FALSE;
	}
	*hours = dm_hours_new(cfg->timezone, cfg->opening_hours, (const char *const *) cfg->holidays, &error);
	if (*hours == NULL) {
		fprintf(stderr, "4.3.0 deskmail: %s: [hours] %s\n", cfg->path, error->message);
		return FALSE;
	}
	*templates = dm_templates_load(cfg->template_dir, &error);
	if (*templates == NULL) {
		fprintf(stderr, "4.3.0 deskmail: templates: %s\n", error->message);
		return FALSE;
	}
	*langid = dm_langid_new((const char *const *) cfg->languages, NULL, &error);
	if (*langid == NULL) {
		fprintf(stderr, "4.3.0 deskmail: language identification: %s\n", error->message);
		return FALSE;
	}
	return TRUE;
}

int
dm_deliver_run(const struct dm_config *cfg, const struct dm_deliver_options *opts)
{
	gint64 started = g_get_monotonic_time();
	start_deadline(cfg->deadline);

	g_autoptr(GBytes) raw = NULL;
	enum dm_status st = dm_deliver_read_input(opts->input_fd, cfg->limits.max_message_bytes, &raw);
	if (st == DM_REJECT) {
		fprintf(stderr, "5.3.4 deskmail: message too large (limit %" G_GSIZE_FORMAT " bytes)\n",
			cfg->limits.max_message_bytes);
		dm_log_info("action=reject reason=too-large limit=%" G_GSIZE_FORMAT,
			    cfg->limits.max_message_bytes);
		return EX_DATAERR;
	}
	if (st != DM_OK) {
		fprintf(stderr, "4.3.0 deskmail: cannot read the message: %s\n", g_strerror(errno));
		return EX_TEMPFAIL;
	}
	if (g_bytes_get_size(raw) == 0) {
		fprintf(stderr, "5.6.0 deskmail: empty input: no message to store\n");
		dm_log_info("action=reject reason=empty");
		return EX_DATAERR;
	}

	g_autoptr(DmMessage) msg = dm_message_parse(raw, &cfg->limits,
						    (const char *const *) cfg->charset_fallback);
	if (msg == NULL) {
		fprintf(stderr, "5.6.0 deskmail: input is not a mail message (no header found)\n");
		dm_log_info("action=reject reason=not-mail size=%" G_GSIZE_FORMAT, g_bytes_get_size(raw));
		return EX_DATAERR;
	}

	g_autoptr(DmTemplates) templates = NULL;
	g_autoptr(DmHours) hours = NULL;
	g_autoptr(DmLangid) langid = NULL;
	g_autoptr(DmTopics) topics = NULL;
	if (!load_desk(cfg, &templates, &hours, &langid, &topics))
		return EX_TEMPFAIL;

	struct delivery d = { .cfg = cfg, .templates = templates, .hours = hours, .topics = topics, .msg = msg,
			      .outbox_ids = g_array_new(FALSE, FALSE, sizeof(gint64)) };
	d.recipient = find_recipient(opts, msg);
	d.sender = opts->sender ? dm_address_normalise(opts->sender) : NULL;
	d.queue = find_queue(&d);
	struct dm_screen_config sc = { .own_addresses = (const char *const *) cfg->own_addresses,
				       .reply_separator = dm_config_separator(cfg),
				       .loop_value = cfg->hostname };
	dm_screen_message(msg, d.sender, &sc, &d.screen);
	find_reply_key(&d);
	d.tag_ticket = dm_thread_find_tag(msg->subject, cfg->tag_format);
	if (!d.screen.automatic)
		d.language = dm_langid_detect(langid, msg->text, dm_message_header(msg, "Content-Language"));
	g_autofree char *msgid_log = dm_log_sanitize(msg->message_id, 120);

	int status = EX_OK;
	g_autoptr(DmDb) db = NULL;
	st = dm_db_connect(cfg->conninfo, NULL, cfg->connect_timeout, cfg->statement_timeout,
			   cfg->lock_timeout, &db);
	if (st != DM_OK) {
		fprintf(stderr, "4.3.0 deskmail: database unavailable\n");
		dm_log_info("action=defer reason=db-connect message_id=<%s>", msgid_log);
		status = EX_TEMPFAIL;
		goto out;
	}
	/* Deadlocks and serialization failures are retried here; only a
	 * repeated failure reaches the MTA, as a temporary one. */
	for (int attempt = 0; attempt < 3; attempt++) {
		st = deliver_once(db, &d);
		if (st == DM_OK || !dm_db_retryable(db))
			break;
		dm_log_warn("retrying after %s: %s", dm_db_sqlstate(db), dm_db_error(db));
	}
	gint64 ms = (g_get_monotonic_time() - started) / 1000;
	if (st == DM_CONFIG) {
		fprintf(stderr, "4.3.0 deskmail: cannot build the acknowledgement; see the log\n");
		status = EX_TEMPFAIL;
		goto out;
	}
	if (st != DM_OK) {
		g_autofree char *err = dm_log_sanitize(dm_db_error(db), 200);
		fprintf(stderr, "4.3.0 deskmail: database error, will retry: %s\n", err);
		dm_log_error("action=defer reason=db message_id=<%s> sqlstate=%s error=\"%s\" ms=%" G_GINT64_FORMAT,
			     msgid_log, dm_db_sqlstate(db), err, ms);
		status = EX_TEMPFAIL;
		goto out;
	}

	/* Committed: the customer's mail is safe.  Now hand the answer to
	 * sendmail; if that fails the row stays queued for outbox flush. */
	int sent = 0, failed = 0;
	for (guint i = 0; i < d.outbox_ids->len; i++) {
		gint64 id = g_array_index(d.outbox_ids, gint64, i);
		int s1 = 0, f1 = 0;
		if (dm_outbox_flush(db, cfg, id, &s1, &f1) != DM_OK)
			dm_log_warn("outbox id=%" G_GINT64_FORMAT " left queued: %s", id, dm_db_error(db));
		sent += s1;
		failed += f1;
	}
	ms = (g_get_monotonic_time() - started) / 1000;
	dm_log_info("action=%s ticket=%" G_GINT64_FORMAT " message_id=<%s> size=%" G_GSIZE_FORMAT
		    " attachments=%u kind=%s threaded_by=%s ack=%s mails=%u sent=%d ms=%" G_GINT64_FORMAT,
		    d.duplicate ? "duplicate" : (d.new_ticket ? "new" : "append"), d.ticket, msgid_log,
		    g_bytes_get_size(raw), msg->attachments->len, d.role ? d.role : "-",
		    d.duplicate ? "-" : d.threaded_by, d.ack ? d.ack : "-", d.outbox_ids->len, sent, ms);
out:
	g_array_unref(d.outbox_ids);
	g_free(d.recipient);
	g_free(d.sender);
	g_free(d.queue);
	g_free(d.bad_key);
	return status;
}
