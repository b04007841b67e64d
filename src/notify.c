/* notify.c - notifications, note copies, relayed replies, error replies.
 *
 * Agents' mail threads in their client by a stable per-ticket root id in
 * References; each agent gets a Reply-To with their own signed key, so
 * their answer is recognised as theirs and nobody else's. */
#include "dm-autoconf.h"

#include <string.h>

#include "compose.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "thread.h"

static const struct {
	const char *lang;
	const char *marker;
} markers[] = {
	{ "sl", "##- Odgovorite nad to črto / Reply above this line -##" },
	{ "fi", "##- Vastaa tämän rivin yläpuolelle / Reply above this line -##" },
	{ "hu", "##- E sor fölé válaszoljon / Reply above this line -##" },
	{ "en", "##- Reply above this line -##" },
};

const char *
dm_notify_marker(const char *language)
{
	for (gsize i = 0; i < G_N_ELEMENTS(markers); i++)
		if (language && strcmp(language, markers[i].lang) == 0)
			return markers[i].marker;
	return markers[G_N_ELEMENTS(markers) - 1].marker;
}

const char *const *
dm_notify_markers(void)
{
	/* Every marker contains the English words; clients may re-wrap the
	 * line, so the shortest distinctive part is what is looked for. */
	static const char *const list[] = { "Reply above this line", NULL };
	return list;
}

/* The variables of any mail about ticket T. */
static GHashTable *
ticket_vars(struct dm_notify_ctx *n, const struct dm_ticket_facts *t)
{
	const struct dm_config *cfg = n->cfg;
	GHashTable *v = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	g_hash_table_insert(v, "ticket_id", g_strdup_printf("%" G_GINT64_FORMAT, t->id));
	g_hash_table_insert(v, "tag", dm_config_format_tag(cfg, t->id));
	g_hash_table_insert(v, "subject", dm_thread_clean_subject(t->subject, cfg->tag_format));
	g_hash_table_insert(v, "requester_name", g_strdup(t->requester_name));
	g_hash_table_insert(v, "requester", g_strdup(t->requester));
	g_hash_table_insert(v, "topic_title", g_strdup(t->topic));
	g_hash_table_insert(v, "topic", g_strdup(*t->topic ? t->topic : "-"));
	g_hash_table_insert(v, "queue", g_strdup(t->queue));
	g_hash_table_insert(v, "status", g_strdup(t->status));
	g_hash_table_insert(v, "priority", g_strdup(t->priority));
	g_hash_table_insert(v, "language", g_strdup(*t->language ? t->language : "-"));
	g_hash_table_insert(v, "team", g_strdup(*t->team ? t->team : "-"));
	g_hash_table_insert(v, "due", t->due_at ? dm_hours_format(n->hours, t->due_at, "en") : g_strdup("-"));
	g_hash_table_insert(v, "support_name", g_strdup(cfg->support_name));
	g_hash_table_insert(v, "marker", g_strdup(dm_notify_marker(t->language)));
	g_hash_table_insert(v, "reply_address", g_strdup(t->queue));
	g_hash_table_insert(v, "errors", g_strdup(""));
	g_hash_table_insert(v, "agent_name", g_strdup(""));
	g_hash_table_insert(v, "attachments", g_strdup(""));
	g_hash_table_insert(v, "reason", g_strdup(""));
	g_hash_table_insert(v, "message", g_strdup(""));
	return v;
}

/* The stable root every agent's mail on ticket ID refers to. */
static char *
thread_root(const struct dm_config *cfg, gint64 id)
{
	return g_strdup_printf("ticket-%" G_GINT64_FORMAT ".deskmail@%s", id, cfg->hostname);
}

/* Store C as an outgoing message of KIND on ticket T and queue it as
 * OUTBOX_KIND (NULL: KIND). */
static enum dm_status
store_and_queue(struct dm_notify_ctx *n, struct dm_db *db, const struct dm_ticket_facts *t, const char *kind,
		const char *outbox_kind, const struct dm_compose *c, gint64 agent, gboolean keep_raw)
{
	g_autoptr(DmOutgoing) o = dm_compose_message(c);
	if (o == NULL) {
		dm_log_warn("ticket %" G_GINT64_FORMAT ": no %s to unusable address", t->id, kind);
		return DM_OK;
	}
	gint64 row, outbox;
	struct dm_stored_message m = {
		.ticket = t->id, .message_id = o->message_id, .direction = "out", .kind = kind,
		.threaded_by = DM_THREADED_NEW, .agent = agent, .from_addr = c->from_addr,
		.from_name = c->from_name, .to_addr = c->to_addr, .subject = o->subject, .text = o->text,
		.in_reply_to = c->in_reply_to, .raw = keep_raw ? o->data : NULL,
	};
	enum dm_status st = dm_store_message(db, &m, &row);
	if (st != DM_OK)
		return st;
	g_autoptr(GPtrArray) rcpts = g_ptr_array_new();
	g_ptr_array_add(rcpts, (gpointer) c->to_addr);
	for (guint i = 0; c->cc && i < c->cc->len; i++)
		g_ptr_array_add(rcpts, c->cc->pdata[i]);
	/* Automatic mail goes with the null sender, people's with ours. */
	const char *sender = c->auto_reply || c->auto_generated ? "" : c->from_addr;
	if ((st = dm_outbox_queue(db, t->id, row, outbox_kind ? outbox_kind : kind, sender, rcpts, o->data, &outbox)) != DM_OK)
		return st;
	g_array_append_val(n->outbox_ids, outbox);
	return DM_OK;
}

static char *
attachment_names(GPtrArray *attachments)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; attachments && i < attachments->len; i++) {
		const struct dm_attachment *a = attachments->pdata[i];
		if (a->filename[0])
			g_string_append_printf(s, "%s%s", s->len ? ", " : "", a->filename);
	}
	return g_string_free(s, FALSE);
}

/* Render TPL with V for each agent in LIST and queue it: an agent
 * answers with their own reply key; an escalation address (agent 0) is
 * no agent's, so its mail carries none.  OUTBOX_KIND as for
 * store_and_queue. */
static enum dm_status
mail_each(struct dm_notify_ctx *n, struct dm_db *db, const struct dm_ticket_facts *t,
	  const struct dm_template *tpl, GHashTable *v, GPtrArray *list, const char *outbox_kind,
	  GPtrArray *attachments)
{
	g_autofree char *root = thread_root(n->cfg, t->id);
	for (guint i = 0; i < list->len; i++) {
		const struct dm_recipient *r = list->pdata[i];
		g_autofree char *key = r->agent ? dm_reply_key_make(n->cfg->secret, t->id, r->agent) : NULL;
		g_autofree char *reply_to = key ? dm_reply_address(t->queue, dm_config_separator(n->cfg), key) : NULL;
		g_hash_table_insert(v, "agent_name", g_strdup(r->name && *r->name ? r->name : r->address));
		g_hash_table_insert(v, "reply_address", g_strdup(reply_to ? reply_to : ""));
		g_autofree char *subject = NULL, *body = NULL;
		g_autoptr(GError) error = NULL;
		if (!dm_template_render(tpl, v, &subject, &body, NULL, &error)) {
			dm_log_error("%s: %s", dm_template_path(tpl), error->message);
			return DM_CONFIG;
		}
		struct dm_compose c = {
			.from_addr = t->queue, .from_name = n->cfg->support_name,
			.to_addr = r->address, .to_name = r->name, .reply_to = reply_to,
			.subject = subject, .text = body, .in_reply_to = root,
			.hostname = n->cfg->hostname, .auto_generated = TRUE, .loop_value = n->cfg->hostname,
			.attachments = attachments,
		};
		enum dm_status st = store_and_queue(n, db, t, "notification", outbox_kind, &c, r->agent, FALSE);
		if (st != DM_OK)
			return st;
	}
	return DM_OK;
}

/* The template KIND in English, the agents' language. */
static const struct dm_template *
agent_template(struct dm_notify_ctx *n, const char *kind)
{
	const struct dm_template *tpl = dm_templates_find(n->templates, kind, "en", NULL, "en");
	if (tpl == NULL)
		dm_log_error("no %s.en template in %s", kind, n->cfg->template_dir);
	return tpl;
}

/* Write to each agent in LIST with the notify template. */
static enum dm_status
notify_list(struct dm_notify_ctx *n, struct dm_db *db, const struct dm_ticket_facts *t, GPtrArray *list,
	    const char *reason, const char *text, GPtrArray *attachments)
{
	const struct dm_template *tpl = agent_template(n, "notify");
	if (tpl == NULL)
		return DM_CONFIG;
	g_autoptr(GHashTable) v = ticket_vars(n, t);
	g_hash_table_insert(v, "reason", g_strdup(reason));
	g_hash_table_insert(v, "message", g_strdup(text ? text : ""));
	g_hash_table_insert(v, "attachments", attachment_names(attachments));
	return mail_each(n, db, t, tpl, v, list, NULL, attachments);
}

enum dm_status
dm_notify_alert(struct dm_notify_ctx *n, struct dm_db *db, const struct dm_ticket_facts *t, const char *kind,
		GPtrArray *list)
{
	const struct dm_template *tpl = agent_template(n, kind);
	if (tpl == NULL)
		return DM_CONFIG;
	g_autoptr(GHashTable) v = ticket_vars(n, t);
	return mail_each(n, db, t, tpl, v, list, kind, NULL);
}

enum dm_status
dm_notify_agents(struct dm_notify_ctx *n, struct dm_db *db, const struct dm_ticket_facts *t, const char *reason,
		 const char *text, GPtrArray *attachments, gint64 exclude_agent)
{
	g_autoptr(GPtrArray) list = NULL;
	enum dm_status st = dm_store_notify_recipients(db, t->id, exclude_agent, &list);
	if (st != DM_OK)
		return st;
	return notify_list(n, db, t, list, reason, text, attachments);
}

enum dm_status
dm_notify_note(struct dm_notify_ctx *n, struct dm_db *db, const struct dm_ticket_facts *t, const char *text,
	       gint64 author)
{
	g_autoptr(GPtrArray) list = NULL;
	enum dm_status st = dm_store_note_recipients(db, t->id, author, &list);
	if (st != DM_OK)
		return st;
	return notify_list(n, db, t, list, "internal note", text, NULL);
}

enum dm_status
dm_notify_relay(struct dm_notify_ctx *n, struct dm_db *db, const struct dm_ticket_facts *t, const char *text,
		gint64 agent, gboolean *sent)
{
	const struct dm_config *cfg = n->cfg;
	g_autoptr(GPtrArray) people = NULL;
	g_autoptr(GPtrArray) ids = NULL;
	enum dm_status st;
	*sent = FALSE;
	if ((st = dm_store_customer_recipients(db, t->id, &people)) != DM_OK ||
	    (st = dm_store_customer_ids(db, t->id, &ids)) != DM_OK)
		return st;
	if (people->len == 0)
		return DM_OK;
	const struct dm_recipient *to = people->pdata[0];
	g_autoptr(GPtrArray) cc = g_ptr_array_new();
	for (guint i = 1; i < people->len && cc->len < 50; i++)
		g_ptr_array_add(cc, ((struct dm_recipient *) people->pdata[i])->address);
	g_autofree char *tag = dm_config_format_tag(cfg, t->id);
	g_autofree char *clean = dm_thread_clean_subject(t->subject, cfg->tag_format);
	g_autofree char *subject = g_strdup_printf("%s %s", tag, clean);
	g_autofree char *key = dm_reply_key_make(cfg->secret, t->id, 0);
	g_autofree char *reply_to = dm_reply_address(t->queue, dm_config_separator(cfg), key);
	const char *parent = ids->len ? ids->pdata[ids->len - 1] : NULL;
	g_autoptr(GPtrArray) refs = g_ptr_array_new();
	for (guint i = 0; i + 1 < ids->len; i++)
		g_ptr_array_add(refs, ids->pdata[i]);
	struct dm_compose c = {
		.from_addr = t->queue, .from_name = cfg->support_name,
		.to_addr = to->address, .to_name = to->name, .cc = cc, .reply_to = reply_to,
		.subject = subject, .text = text, .in_reply_to = parent, .references = refs,
		.hostname = cfg->hostname, .language = *t->language ? t->language : NULL,
	};
	if ((st = store_and_queue(n, db, t, "agent", NULL, &c, agent, TRUE)) != DM_OK)
		return st;
	*sent = TRUE;
	return DM_OK;
}

/* A mail to an agent about their own mail, from template KIND. */
static enum dm_status
tell_agent(struct dm_notify_ctx *n, struct dm_db *db, const struct dm_ticket_facts *t, const char *kind,
	   const char *agent_addr, const char *agent_name, const char *errors, const char *in_reply_to)
{
	const struct dm_template *tpl = agent_template(n, kind);
	if (tpl == NULL)
		return DM_CONFIG;
	g_autoptr(GHashTable) v = ticket_vars(n, t);
	g_hash_table_insert(v, "errors", g_strdup(errors));
	g_hash_table_insert(v, "agent_name", g_strdup(agent_name && *agent_name ? agent_name : agent_addr));
	g_autofree char *subject = NULL, *body = NULL;
	g_autoptr(GError) error = NULL;
	if (!dm_template_render(tpl, v, &subject, &body, NULL, &error)) {
		dm_log_error("%s: %s", dm_template_path(tpl), error->message);
		return DM_CONFIG;
	}
	struct dm_compose c = {
		.from_addr = t->queue, .from_name = n->cfg->support_name, .to_addr = agent_addr,
		.to_name = agent_name, .subject = subject, .text = body, .in_reply_to = in_reply_to,
		.hostname = n->cfg->hostname, .auto_reply = TRUE, .loop_value = n->cfg->hostname,
	};
	return store_and_queue(n, db, t, "auto", NULL, &c, 0, TRUE);
}

enum dm_status
dm_notify_command_error(struct dm_notify_ctx *n, struct dm_db *db, const struct dm_ticket_facts *t,
			const char *agent_addr, const char *agent_name, const char *errors,
			const char *in_reply_to)
{
	return tell_agent(n, db, t, "command-error", agent_addr, agent_name, errors, in_reply_to);
}

enum dm_status
dm_notify_nothing_relayed(struct dm_notify_ctx *n, struct dm_db *db, const struct dm_ticket_facts *t,
			  const char *agent_addr, const char *agent_name, const char *in_reply_to)
{
	return tell_agent(n, db, t, "nothing-relayed", agent_addr, agent_name, "", in_reply_to);
}
