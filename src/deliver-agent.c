/* deliver-agent.c - the deliver stage for an authenticated agent's mail:
 * commands, internal notes and answers relayed to the customer on the
 * ticket routing chose, or a ticket opened for a customer (#requester, a
 * forwarded mail).  Every change is validated before anything changes,
 * and each is an event. */
#include "dm-autoconf.h"

#include <string.h>

#include "command.h"
#include "deliver-private.h"
#include "notify.h"
#include "quote.h"
#include "store-agent.h"
#include "store.h"
#include "ticket-change.h"
#include "thread.h"

/* The first match of KIND in CMDS, or NULL. */
static const struct dm_command *
find_command(struct dm_commands *cmds, enum dm_command_kind kind)
{
	for (guint i = 0; i < cmds->list->len; i++)
		if (((struct dm_command *) cmds->list->pdata[i])->kind == kind)
			return cmds->list->pdata[i];
	return NULL;
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
	if ((st = dm_deliver_open_ticket(db, d, subject, contact, language, NULL, &due_at)) != DM_OK)
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
	if ((st = dm_deliver_classify(db, d, subject, text, language, customer, &topic)) != DM_OK)
		return st;
	if ((st = dm_deliver_acknowledge(db, d, language, due_at, customer, customer_name, subject, topic)) != DM_OK)
		return st;
	if ((st = dm_deliver_close_if_out_of_scope(db, d, topic)) != DM_OK)
		return st;
	return dm_deliver_notify_agents(db, d, "new ticket", text, d->msg->attachments, agent->id);
}

void
dm_deliver_read_agent_mail(struct delivery *d)
{
	if (d->cmds)
		return;
	d->cmds = dm_commands_parse(d->msg->text);
	/* The agent's own new text: above the marker, without the commands,
	 * quote header, quoted text and signature. */
	d->agent_text = dm_quote_strip(d->cmds->rest, dm_notify_markers());
	if (d->cmds->errors == NULL &&
	    dm_quote_find_forward(d->cmds->rest, &d->fwd_from, &d->fwd_name, &d->fwd_subject, &d->fwd_body) &&
	    !(d->fwd_from && strchr(d->fwd_from, '@'))) {
		g_clear_pointer(&d->fwd_from, g_free);
		g_clear_pointer(&d->fwd_name, g_free);
		g_clear_pointer(&d->fwd_subject, g_free);
		g_clear_pointer(&d->fwd_body, g_free);
	}
}

/* The changes the agent's commands make, checked and applied as
 * `ticket set` does: the same rules, the same events; a topic set by an
 * agent teaches the topic model. */
static void
change_ctx(struct delivery *d, struct dm_change_ctx *ctx)
{
	*ctx = (struct dm_change_ctx) { .cfg = d->cfg, .topics = d->desk->topics, .origin = DM_CHANGE_BY_COMMAND,
					.actor = d->plan.agent->address, .self = d->plan.agent->address,
					.message_row = d->message_row, .learn_topic = TRUE };
}

/* Every error in the agent's commands, one per line ("" when none):
 * parse errors, unknown targets, and #requester on an existing ticket. */
static enum dm_status
command_errors(struct dm_db *db, struct delivery *d, GPtrArray *changes, GString *errors)
{
	struct dm_commands *cmds = d->cmds;
	struct dm_change_ctx ctx;
	change_ctx(d, &ctx);
	if (cmds->errors)
		g_string_append_printf(errors, "%s\n", cmds->errors);
	enum dm_status st = dm_ticket_change_check(db, &ctx, changes, errors);
	if (st != DM_OK)
		return st;
	if (find_command(cmds, DM_CMD_REQUESTER))
		g_string_append(errors, "#requester: only for a new ticket, written to the desk's address\n");
	g_strchomp(errors->str);
	g_string_set_size(errors, strlen(errors->str));
	return DM_OK;
}

/* The agent's answer goes to the customer; the first answer takes a new
 * ticket into work. */
static enum dm_status
relay_answer(struct dm_db *db, struct delivery *d, struct dm_notify_ctx *n, const struct dm_ticket_facts *f)
{
	const struct dm_agent *agent = d->plan.agent;
	gboolean sent = FALSE;
	enum dm_status st = dm_notify_relay(n, db, f, d->agent_text, agent->id, &sent);
	if (st != DM_OK || !sent)
		return st;
	if (!f->first_response && (st = dm_store_first_response(db, d->ticket)) != DM_OK)
		return st;
	if (strcmp(f->status, "new") == 0 && find_command(d->cmds, DM_CMD_STATUS) == NULL)
		st = dm_store_set_field(db, d->ticket, d->message_row, agent->address, "status", "open", NULL);
	return st;
}

/* Commands, then the note or the answer, on the ticket routing chose.
 * With any error nothing changes and nothing is relayed; the agent is
 * told. */
static enum dm_status
act_on_ticket(struct dm_db *db, struct delivery *d)
{
	const struct dm_agent *agent = d->plan.agent;
	struct dm_message *msg = d->msg;
	struct dm_notify_ctx n = { .cfg = d->cfg, .templates = d->desk->templates, .hours = d->desk->hours,
				   .outbox_ids = d->outbox_ids };
	struct dm_ticket_facts f = { 0 };
	g_autoptr(GString) errors = g_string_new("");
	g_autoptr(GPtrArray) changes = dm_ticket_changes_from_commands(d->cmds);
	enum dm_status st;

	d->ticket = d->plan.match.ticket;
	if ((st = command_errors(db, d, changes, errors)) != DM_OK)
		return st;
	gboolean note = d->cmds->note;
	/* An answer of which stripping left nothing: nothing is relayed, the
	 * whole mail stays on the ticket as an internal note, the agent is told. */
	gboolean nothing = !note && d->agent_text[0] == '\0' && changes->len == 0 && errors->len == 0;
	struct dm_stored_message m = { .ticket = d->ticket, .message_id = msg->message_id, .direction = "in",
				       .kind = note || nothing ? "note" : "agent",
				       .threaded_by = d->plan.match.threaded_by, .agent = agent->id,
				       .text_override = nothing ? NULL : d->agent_text, .msg = msg,
				       .recipient = d->recipient, .envelope_from = d->sender };
	if ((st = dm_store_message(db, &m, &d->message_row)) != DM_OK ||
	    (st = dm_store_ticket_facts(db, d->ticket, &f)) != DM_OK)
		goto out;
	if (errors->len) {
		d->role = "agent-error";
		st = dm_store_event(db, d->ticket, d->message_row, agent->address, "command-error", NULL, NULL,
				    errors->str);
		if (st == DM_OK)
			st = dm_notify_command_error(&n, db, &f, agent->address, agent->name, errors->str,
						     msg->message_id);
		goto out;
	}
	if (nothing) {
		d->role = "agent-empty";
		st = dm_store_event(db, d->ticket, d->message_row, agent->address, "nothing-relayed", NULL, NULL, NULL);
		if (st == DM_OK)
			st = dm_notify_nothing_relayed(&n, db, &f, agent->address, agent->name, msg->message_id);
		goto out;
	}
	struct dm_change_ctx ctx;
	change_ctx(d, &ctx);
	if ((st = dm_ticket_change_apply(db, &ctx, d->ticket, changes)) != DM_OK)
		goto out;
	dm_ticket_facts_clear(&f);
	if ((st = dm_store_ticket_facts(db, d->ticket, &f)) != DM_OK)
		goto out;
	d->role = note ? "note" : "agent";
	if (note)
		st = dm_notify_note(&n, db, &f, d->agent_text, agent->id);
	else if (*d->agent_text)
		st = relay_answer(db, d, &n, &f);
out:
	dm_ticket_facts_clear(&f);
	return st;
}

enum dm_status
dm_deliver_agent(struct dm_db *db, struct delivery *d)
{
	const struct dm_config *cfg = d->cfg;
	const struct dm_agent *agent = d->plan.agent;
	d->threaded_by = d->plan.match.threaded_by;
	switch (d->plan.action) {
	case DM_ROUTE_AGENT:
		return act_on_ticket(db, d);
	case DM_ROUTE_AGENT_OPEN: {
		const struct dm_command *req = find_command(d->cmds, DM_CMD_REQUESTER);
		g_autofree char *subject = dm_thread_clean_subject(d->msg->subject, cfg->tag_format);
		d->role = "agent";
		return open_on_behalf(db, d, agent, req->arg, "", subject, d->agent_text, "agent");
	}
	case DM_ROUTE_AGENT_FORWARD: {
		const char *s = d->fwd_subject && *d->fwd_subject ? d->fwd_subject : d->msg->subject;
		g_autofree char *subject = dm_thread_clean_subject(s, cfg->tag_format);
		g_autofree char *customer_text = dm_quote_strip(d->fwd_body, NULL);
		d->role = "forward";
		return open_on_behalf(db, d, agent, d->fwd_from, d->fwd_name, subject, customer_text, "customer");
	}
	default:
		return DM_INTERNAL;
	}
}
