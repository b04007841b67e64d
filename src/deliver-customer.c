/* deliver-customer.c - the deliver stage for a customer's mail (and a
 * bounce of ours): the contact, a new ticket or the one routing chose,
 * the stored message, classification, the acknowledgement and the
 * agents' notification, all in the caller's transaction. */
#include "dm-autoconf.h"

#include <string.h>

#include "ack.h"
#include "compose.h"
#include "store-agent.h"
#include "deliver-private.h"
#include "hours.h"
#include "log.h"
#include "model.h"
#include "notify.h"
#include "outbox.h"
#include "promise.h"
#include "store.h"
#include "thread.h"
#include "topics.h"

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
			/* An address we could never write to (one sendmail might read
			 * as an option, say) would block every answer on the ticket. */
			if (!dm_compose_address_ok(a->addr) || dm_screen_is_own_address(&sc, a->addr) ||
			    strcmp(a->addr, d->msg->from.addr) == 0)
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

enum dm_status
dm_deliver_acknowledge(struct dm_db *db, struct delivery *d, const char *language, gint64 due_at,
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
		.topic = topic >= 0 ? dm_topics_name(d->desk->topics, topic) : NULL,
		.topic_title = topic >= 0 ? dm_topics_title(d->desk->topics, topic, language) : NULL,
		.in_reply_to = msg->message_id,
		.references = msg->references,
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(DmOutgoing) ack = dm_ack_build(cfg, d->desk->templates, d->desk->hours, &f, &error);
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

/* Classify the ticket's first mail and store topic, priority and team;
 * *PRIORITY (may be NULL) gets the priority stored. */
static enum dm_status
classify(struct dm_db *db, struct delivery *d, const char *subject, const char *text, const char *lang,
	 const char *sender, int *topic, const char **priority)
{
	struct dm_classification c;
	g_autoptr(GPtrArray) headers = header_lines(d->msg);
	enum dm_status st = dm_model_route(db, d->desk->topics, subject, text, lang, sender,
					   (const char *const *) headers->pdata, &c);
	if (st != DM_OK)
		return st;
	*topic = c.topic;
	const char *name = c.topic >= 0 ? dm_topics_name(d->desk->topics, c.topic) : "triage";
	g_autofree char *by = c.by_rule ? g_strdup_printf("rule: %s", c.rule ? c.rule : "?")
				       : g_strdup(c.topic >= 0 ? "model" : "triage");
	const char *team = c.topic >= 0 ? dm_topics_team(d->desk->topics, c.topic) : NULL;
	if (priority != NULL)
		*priority = c.urgency ? c.urgency : "normal";
	return dm_store_classification(db, d->ticket, name, c.urgency ? c.urgency : "normal", c.confidence, by,
				       team && *team ? team : NULL);
}

enum dm_status
dm_deliver_classify(struct dm_db *db, struct delivery *d, const char *subject, const char *text, const char *lang,
		const char *sender, int *topic)
{
	return classify(db, d, subject, text, lang, sender, topic, NULL);
}

enum dm_status
dm_deliver_close_if_out_of_scope(struct dm_db *db, struct delivery *d, int topic)
{
	if (topic < 0 || !dm_topics_close(d->desk->topics, topic))
		return DM_OK;
	return dm_store_set_field(db, d->ticket, d->message_row, "deskmail", "status", "closed", NULL);
}

enum dm_status
dm_deliver_open_ticket(struct dm_db *db, struct delivery *d, const char *subject, gint64 requester,
	    const char *language, const struct dm_thread_match *match, gint64 *due_at)
{
	const struct dm_config *cfg = d->cfg;
	enum dm_status st;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	/* The priority is known only after classification; until then the
	 * ticket has the normal promise (see new_ticket_stages). */
	*due_at = dm_promise_due(d->desk->hours, &cfg->promise, now, DM_PRIORITY_NORMAL);
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

enum dm_status
dm_deliver_notify_agents(struct dm_db *db, struct delivery *d, const char *reason, const char *text,
		  GPtrArray *attachments, gint64 exclude)
{
	struct dm_ticket_facts f;
	struct dm_notify_ctx n = { .cfg = d->cfg, .templates = d->desk->templates, .hours = d->desk->hours,
				   .outbox_ids = d->outbox_ids };
	enum dm_status st = dm_store_ticket_facts(db, d->ticket, &f);
	if (st == DM_OK)
		st = dm_notify_agents(&n, db, &f, reason, text, attachments, exclude);
	dm_ticket_facts_clear(&f);
	return st;
}

/* A new ticket's events and classification: created, classified (not
 * for automatic mail), and its link to the ticket it relates to or
 * follows up.  *TOPIC is the topic's index or -1.  A priority other than
 * normal changes the promise, so *DUE_AT is recomputed and stored before
 * the acknowledgement quotes it; the clock is read again, milliseconds
 * after the ticket was opened with it. */
static enum dm_status
new_ticket_stages(struct dm_db *db, struct delivery *d, const char *language, int *topic, gint64 *due_at)
{
	const struct dm_message *msg = d->msg;
	const struct dm_thread_match *match = &d->plan.match;
	const char *actor = msg->from.addr;
	const char *priority = "normal";
	enum dm_status st = dm_store_event(db, d->ticket, d->message_row, actor, "created", NULL, "new",
					   match->relation);
	if (st == DM_OK && !d->screen.automatic)
		st = classify(db, d, msg->subject, msg->text, language, actor, topic, &priority);
	enum dm_priority p = dm_priority_from_name(priority);
	if (st == DM_OK && p != DM_PRIORITY_NORMAL) {
		gint64 now = g_get_real_time() / G_USEC_PER_SEC;
		*due_at = dm_promise_due(d->desk->hours, &d->cfg->promise, now, p);
		st = dm_store_set_due(db, d->ticket, *due_at);
	}
	if (st != DM_OK || !match->related)
		return st;
	g_autofree char *rel = g_strdup_printf("%" G_GINT64_FORMAT, match->related);
	return dm_store_event(db, d->ticket, d->message_row, actor, match->relation, NULL, rel, match->refused);
}

/* The tickets of the same thread this message ties together (replies
 * that arrived before it and opened tickets of their own): a "related"
 * event on each side. */
static enum dm_status
link_events(struct dm_db *db, struct delivery *d, const char *actor)
{
	const struct dm_thread_match *match = &d->plan.match;
	enum dm_status st = DM_OK;
	for (guint i = 0; i < match->n_also && st == DM_OK; i++) {
		char here[24], there[24];
		g_snprintf(here, sizeof here, "%" G_GINT64_FORMAT, d->ticket);
		g_snprintf(there, sizeof there, "%" G_GINT64_FORMAT, match->also[i]);
		st = dm_store_event(db, d->ticket, d->message_row, actor, "related", NULL, there, "the same thread");
		if (st == DM_OK)
			st = dm_store_event(db, match->also[i], 0, actor, "related", NULL, here, "the same thread");
	}
	return st;
}

/* What deserves an event on the ticket: a forged agent From, a reply key
 * with a wrong MAC, and each address a bounce of ours reports failed. */
static enum dm_status
warning_events(struct dm_db *db, struct delivery *d, const char *actor)
{
	const struct dm_message *msg = d->msg;
	enum dm_status st = DM_OK;
	if (d->plan.spoofed &&
	    (st = dm_store_event(db, d->ticket, d->message_row, actor, "spoofed-agent", NULL, NULL,
				 "From is an agent's address without a valid key or authentication result")) != DM_OK)
		return st;
	if (d->key_invalid &&
	    (st = dm_store_event(db, d->ticket, d->message_row, actor, "reply-key-invalid", NULL, NULL,
				 d->bad_key)) != DM_OK)
		return st;
	for (guint i = 0; d->plan.action == DM_ROUTE_BOUNCE && i < msg->dsn_failed->len; i++) {
		const char *addr = msg->dsn_failed->pdata[i];
		if ((st = dm_store_mark_failing(db, addr)) != DM_OK ||
		    (st = dm_store_event(db, d->ticket, d->message_row, actor, "bounce", NULL, addr,
					 msg->dsn_original_id)) != DM_OK)
			return st;
	}
	return st;
}

/* The acknowledgement of a new ticket, or of a follow-up where the desk
 * acknowledges those too (with the ticket's answer-by time). */
static enum dm_status
acknowledge_customer(struct dm_db *db, struct delivery *d, const char *language, gint64 due_at, int topic)
{
	const struct dm_message *msg = d->msg;
	enum dm_status st;
	if (!d->new_ticket && !d->cfg->ack_follow_ups)
		return DM_OK;
	if (!d->new_ticket) {
		struct dm_ticket_facts f;
		if ((st = dm_store_ticket_facts(db, d->ticket, &f)) != DM_OK)
			return st;
		due_at = f.due_at;
		dm_ticket_facts_clear(&f);
	}
	if ((st = dm_deliver_acknowledge(db, d, language, due_at, msg->from.addr, msg->from.name, msg->subject,
					 topic)) != DM_OK)
		return st;
	return d->new_ticket ? dm_deliver_close_if_out_of_scope(db, d, topic) : DM_OK;
}

/* The sender as a contact who remembers the language of their mail; the
 * language to answer in goes to *LANGUAGE (borrowed from D or *KNOWN). */
static enum dm_status
sender_contact(struct dm_db *db, struct delivery *d, gint64 *contact, char **known, const char **language)
{
	const struct dm_message *msg = d->msg;
	enum dm_status st = DM_OK;
	*contact = 0;
	*known = NULL;
	if (msg->from.addr[0] && !d->screen.automatic)
		st = dm_store_contact(db, msg->from.addr, msg->from.name, d->language, contact, known);
	*language = d->language ? d->language : *known ? *known : d->cfg->default_language;
	return st;
}

enum dm_status
dm_deliver_customer(struct dm_db *db, struct delivery *d)
{
	struct dm_message *msg = d->msg;
	const struct dm_thread_match *match = &d->plan.match;
	gboolean automatic = d->screen.automatic, spoofed = d->plan.spoofed;
	enum dm_status st;

	d->threaded_by = match->threaded_by;
	gint64 contact, due_at = 0;
	g_autofree char *known_language = NULL;
	const char *language;
	if ((st = sender_contact(db, d, &contact, &known_language, &language)) != DM_OK)
		return st;
	if (match->ticket == 0) {
		if ((st = dm_deliver_open_ticket(db, d, msg->subject, contact, language, match, &due_at)) != DM_OK)
			return st;
	} else {
		d->ticket = match->ticket;
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
				       .direction = "in", .kind = kind, .threaded_by = match->threaded_by,
				       .contact = contact, .msg = msg, .recipient = d->recipient,
				       .envelope_from = d->sender };
	if ((st = dm_store_message(db, &m, &d->message_row)) != DM_OK)
		return st;

	int topic = -1;
	if (d->new_ticket) {
		if ((st = new_ticket_stages(db, d, language, &topic, &due_at)) != DM_OK)
			return st;
	} else if ((st = dm_store_touch_ticket(db, match, automatic, msg->from.addr, d->message_row)) != DM_OK) {
		return st;
	}
	if ((st = link_events(db, d, msg->from.addr)) != DM_OK ||
	    (st = warning_events(db, d, msg->from.addr)) != DM_OK ||
	    (st = acknowledge_customer(db, d, language, due_at, topic)) != DM_OK)
		return st;
	if (automatic)
		return DM_OK;
	return dm_deliver_notify_agents(db, d, d->new_ticket ? "new ticket" : "customer reply", msg->text,
					msg->attachments, 0);
}
