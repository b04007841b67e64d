/* lmtp-private.h - what the halves of the LMTP session share: the
 * session's state, and the helpers that answer the client and end the
 * transaction.  lmtp.c holds the session API, the replies, the
 * transaction and the data reader; lmtp-commands.c reads and answers the
 * command lines; nothing outside the LMTP session includes this. */
#ifndef DM_LMTP_PRIVATE_H
#define DM_LMTP_PRIVATE_H

#include <glib.h>

#include "lmtp.h"

/* Where the data reader is within a line of the message. */
typedef enum {
	DATA_LINE_START, /* at the start of a line */
	DATA_DOT,	 /* a "." at the start of a line */
	DATA_DOT_CR,	 /* "." CR at the start of a line */
	DATA_MID,	 /* inside a line */
	DATA_CR,	 /* a CR inside a line, not yet known to end it */
} DataState;

/* How the line before the current one ended: the "." line ends the data
 * only when its own end is of the same kind. */
typedef enum {
	END_NONE, /* no line yet: the data has just begun */
	END_LF,
	END_CRLF,
} LineEnd;

struct dm_lmtp_session {
	char *hostname;
	struct dm_lmtp_limits limits;
	DmLmtpRecipientCheck check;
	gpointer user_data;
	DmLmtpState state;
	GString *out;
	guint errors;

	/* The command line being read: max_line_bytes and a CR. */
	char *line;
	gsize line_len;
	gboolean line_overflow;

	/* The transaction. */
	gboolean greeted;
	gboolean in_mail;
	char *sender;
	GPtrArray *recipients; /* char *, freed with g_free */
	gboolean body_8bit;

	/* The message being read: never more than max_message_bytes. */
	gboolean in_data;
	DataState data_state;
	LineEnd last_end;
	guint8 *msg;
	gsize msg_len;
	gsize msg_cap;
	gboolean msg_overflow;

	/* The complete message awaiting results. */
	GBytes *message;
	struct dm_lmtp_envelope envelope;
	struct dm_lmtp_reply *results;
	gboolean *have_result;
	guint n_results;

	/* Input fed while awaiting results, processed after them. */
	GByteArray *held;
};

/* Append reply R (borrowed, already sanitised) to the output. */
void dm_lmtp_reply_append(DmLmtpSession *s, const struct dm_lmtp_reply *r);

/* Append a reply of the session's own (FMT is a constant or built from
 * the sanitised host name only: nothing from the client is echoed). */
void dm_lmtp_reply_printf(DmLmtpSession *s, guint code, const char *status, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

/* Answer a protocol error with CODE, STATUS and TEXT (constants), and
 * close the session once max_errors of them were answered. */
void dm_lmtp_protocol_error(DmLmtpSession *s, guint code, const char *status, const char *text);

/* Drop the message being read (the buffer is freed). */
void dm_lmtp_message_clear(DmLmtpSession *s);

/* End the transaction: sender, recipients, message and results go. */
void dm_lmtp_transaction_reset(DmLmtpSession *s);

/* Read command bytes from P (N bytes, borrowed) and answer a complete
 * command line; returns how many were used (all, or up to the end of
 * one command line). */
gsize dm_lmtp_consume_command(DmLmtpSession *s, const guint8 *p, gsize n);

#endif
