/* ack.c - render and compose the acknowledgement.
 *
 * Whether one is sent at all is decided by the screen stage (headers) and
 * by deliver.c with the database (rate limit, failing addresses,
 * follow-ups); this module only makes the mail. */
#include "dm-autoconf.h"

#include <string.h>

#include "ack.h"
#include "screen.h"
#include "thread.h"

GHashTable *
dm_ack_variables(const struct dm_config *cfg, const struct dm_hours *hours, const struct dm_ack_facts *f)
{
	GHashTable *v = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	g_autofree char *key = dm_reply_key_make(cfg->secret, f->ticket, 0);
	g_hash_table_insert(v, "ticket_id", g_strdup_printf("%" G_GINT64_FORMAT, f->ticket));
	g_hash_table_insert(v, "tag", g_strdup(f->tag));
	g_hash_table_insert(v, "subject", g_strdup(f->subject ? f->subject : ""));
	g_hash_table_insert(v, "requester_name", dm_compose_display_name(f->requester_name));
	g_hash_table_insert(v, "topic_title", g_strdup(f->topic_title ? f->topic_title : ""));
	g_hash_table_insert(v, "queue", g_strdup(f->queue ? f->queue : cfg->support_address));
	g_hash_table_insert(v, "due", dm_hours_format(hours, f->due_at, f->language));
	g_hash_table_insert(v, "reply_address",
			    dm_reply_address(f->queue ? f->queue : cfg->support_address,
					     dm_config_separator(cfg), key));
	g_hash_table_insert(v, "support_name", g_strdup(cfg->support_name));
	/* Every other placeholder has a value too, so that any template that
	 * passes check-config renders here. */
	g_hash_table_insert(v, "requester", g_strdup(f->requester_addr ? f->requester_addr : ""));
	g_hash_table_insert(v, "status", g_strdup("new"));
	g_hash_table_insert(v, "priority", g_strdup("normal"));
	g_hash_table_insert(v, "language", g_strdup(f->language ? f->language : ""));
	g_hash_table_insert(v, "team", g_strdup(""));
	g_hash_table_insert(v, "topic", g_strdup(f->topic ? f->topic : ""));
	g_hash_table_insert(v, "message", g_strdup(""));
	g_hash_table_insert(v, "marker", g_strdup(""));
	g_hash_table_insert(v, "errors", g_strdup(""));
	g_hash_table_insert(v, "agent_name", g_strdup(""));
	g_hash_table_insert(v, "attachments", g_strdup(""));
	g_hash_table_insert(v, "reason", g_strdup("new ticket"));
	return v;
}

struct dm_outgoing *
dm_ack_build(const struct dm_config *cfg, const struct dm_templates *templates,
	     const struct dm_hours *hours, const struct dm_ack_facts *f, GError **error)
{
	const struct dm_template *tpl = dm_templates_find(templates, "ack", f->language, f->topic,
							  cfg->default_language);
	if (tpl == NULL) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no acknowledgement template for %s",
			    f->language ? f->language : cfg->default_language);
		return NULL;
	}
	g_autoptr(GHashTable) vars = dm_ack_variables(cfg, hours, f);
	g_autofree char *subject = NULL, *text = NULL, *html = NULL;
	if (!dm_template_render(tpl, vars, &subject, &text, &html, error))
		return NULL;

	struct dm_compose c = {
		.from_addr = f->queue ? f->queue : cfg->support_address,
		.from_name = cfg->support_name,
		.to_addr = f->requester_addr,
		.to_name = f->requester_name,
		.reply_to = g_hash_table_lookup(vars, "reply_address"),
		.subject = subject,
		.text = text,
		.html = html,
		.in_reply_to = f->in_reply_to,
		.references = f->references,
		.hostname = cfg->hostname,
		.auto_reply = TRUE,
		.loop_value = cfg->hostname,
		.language = dm_template_lang(tpl),
	};
	struct dm_outgoing *o = dm_compose_message(&c);
	if (o == NULL)
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "unusable address for the acknowledgement");
	return o;
}
