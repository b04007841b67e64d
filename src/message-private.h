/* message-private.h - what the two halves of the parse stage share:
 * message.c (headers, addresses, ids, the parse itself) and
 * message-parts.c (the MIME walk for the body text and the attachments).
 * Nobody else may rely on it; other modules use message.h. */
#ifndef DM_MESSAGE_PRIVATE_H
#define DM_MESSAGE_PRIVATE_H

#include <gmime/gmime.h>

#include "message.h"

/* S (UTF-8 or not, owned, may be NULL) made safe to keep and log: made
 * valid UTF-8, clipped to MAX bytes on a character boundary (setting
 * *CLIPPED, when not NULL), control characters replaced by spaces.  A
 * decoded header may hide CR/LF, and it must never become a header line
 * of a mail we send.  Returns S or its replacement; NULL gives "".
 * Caller frees with g_free. */
char *dm_message_clean_text(char *s, gsize max, gboolean *clipped);

/* The first message id in the header VALUE (borrowed, may be NULL), or
 * NULL.  Caller frees with g_free. */
char *dm_message_first_msgid(GMimeParserOptions *opts, const char *value);

/* Walk the MIME tree of M (borrowed) and fill MSG's text, html,
 * attachments, DSN fields and flags, within LIMITS; CHARSETS (borrowed,
 * may be NULL) are tried for text without a usable charset.  MSG's
 * arrays must exist. */
void dm_message_walk_body(struct dm_message *msg, GMimeMessage *m, GMimeParserOptions *opts,
			  const struct dm_limits *limits, const char *const *charsets);

#endif
