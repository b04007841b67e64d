/* store.h - the store stage: one incoming message, one transaction. */
#ifndef DM_STORE_H
#define DM_STORE_H

#include <glib.h>

#include "config.h"
#include "db.h"
#include "message.h"

/* What deliver knows about one incoming message besides its content. */
struct dm_delivery {
	const struct dm_message *msg; /* borrowed */
	const char *recipient;        /* envelope recipient (normalised) or NULL */
	const char *envelope_from;    /* envelope sender or NULL */
};

struct dm_store_result {
	gint64 ticket_id;
	gint64 message_row;  /* messages.id */
	gboolean duplicate;  /* already stored: nothing was written */
	gboolean new_ticket;
};

/* Store D in one transaction: contact, ticket, participant, message,
 * references, raw bytes, attachments and events; COMMIT checked.  A
 * message whose Message-ID is already stored is a duplicate: nothing is
 * written and DM_OK is returned with OUT->duplicate set.  A deadlock or
 * serialization failure is retried; other failures roll back and return
 * their status (DM_TEMPFAIL for anything transient). */
enum dm_status dm_store_incoming(struct dm_db *db, const struct dm_config *cfg,
				 const struct dm_delivery *d, struct dm_store_result *out);

#endif
