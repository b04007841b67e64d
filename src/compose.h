/* compose.h - build the mail deskmail sends (acknowledgements, later
 * notifications and relayed replies) with GMime. */
#ifndef DM_COMPOSE_H
#define DM_COMPOSE_H

#include <glib.h>

struct dm_compose {
	const char *from_addr;
	const char *from_name;
	const char *to_addr;        /* one recipient (the To header) */
	const char *to_name;
	GPtrArray *cc;              /* char* addresses or NULL */
	const char *reply_to;       /* address or NULL */
	const char *subject;        /* UTF-8; control characters become spaces */
	const char *text;           /* text/plain body, UTF-8 */
	const char *html;           /* optional text/html alternative, or NULL */
	const char *in_reply_to;    /* id without <>, or NULL */
	GPtrArray *references;      /* char* ids without <>, or NULL */
	const char *hostname;       /* right-hand side of the Message-ID */
	gboolean auto_reply;        /* Auto-Submitted: auto-replied and friends */
	gboolean auto_generated;    /* Auto-Submitted: auto-generated (notifications) */
	GPtrArray *attachments;     /* struct dm_attachment* to attach, or NULL */
	const char *loop_value;     /* X-Deskmail-Loop value */
	const char *language;       /* Content-Language, or NULL */
};

struct dm_outgoing {
	char *message_id;      /* without <>: random, unguessable */
	GBytes *data;          /* the complete message, LF line ends */
	char *subject;         /* as set (UTF-8) */
	char *text;
	char *to_addr;
};

/* Build the message.  Returns NULL when an address is unusable (empty,
 * no '@', starts with '-', contains white space or control characters).
 * Caller frees with dm_outgoing_free. */
struct dm_outgoing *dm_compose_message(const struct dm_compose *c);

void dm_outgoing_free(struct dm_outgoing *o);
typedef struct dm_outgoing DmOutgoing;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmOutgoing, dm_outgoing_free)

/* A fresh Message-ID (without <>) of 128 random bits at HOSTNAME.
 * Having one proves having received our mail.  Caller frees. */
char *dm_compose_message_id(const char *hostname);

/* NAME (borrowed, may be NULL) fit for a header we write and for a
 * greeting: control characters removed; "" when what is left carries an
 * address or looks like a header field ("Eva Bcc: x@y") or is over 200
 * bytes, so a name a stranger chose can never read as more recipients or
 * another header.  Caller frees with g_free. */
char *dm_compose_display_name(const char *name);

/* TRUE when ADDR can be handed to sendmail as a recipient: one '@',
 * no white space or control characters, and not starting with '-' (it
 * must never be read as an option). */
gboolean dm_compose_address_ok(const char *addr);

#endif
