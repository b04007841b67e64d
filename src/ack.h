/* ack.h - the acknowledgement a customer gets for a new ticket. */
#ifndef DM_ACK_H
#define DM_ACK_H

#include <glib.h>

#include "compose.h"
#include "config.h"
#include "hours.h"
#include "template.h"

struct dm_ack_facts {
	gint64 ticket;
	const char *tag;
	const char *subject;        /* the customer's subject, prefixes and tag removed */
	const char *requester_addr;
	const char *requester_name;
	const char *language;       /* chosen language */
	const char *topic;          /* or NULL */
	const char *topic_title;    /* or NULL */
	const char *queue;          /* the address the customer wrote to */
	gint64 due_at;              /* Unix time */
	const char *in_reply_to;    /* the customer's Message-ID */
	GPtrArray *references;      /* the customer's References (char*) */
};

/* Render the acknowledgement from the templates (kind "ack") and compose
 * it: From the queue address, Reply-To the signed reply address, Subject
 * "<tag> <subject>" from the template, In-Reply-To/References of the
 * customer's mail, auto-reply headers.  NULL and ERROR when no template
 * fits or rendering fails.  Caller frees with dm_outgoing_free. */
struct dm_outgoing *dm_ack_build(const struct dm_config *cfg, const struct dm_templates *templates,
				 const struct dm_hours *hours, const struct dm_ack_facts *f,
				 GError **error);

/* The values every template may use, from F (for rendering and for
 * check-config's sample rendering).  Caller frees with g_hash_table_unref. */
GHashTable *dm_ack_variables(const struct dm_config *cfg, const struct dm_hours *hours,
			     const struct dm_ack_facts *f);

#endif
