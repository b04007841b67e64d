/* lmtp.h - one LMTP server session (RFC 2033) as a state machine: bytes
 * in, replies out, no I/O, no database, no globals.
 *
 * The caller owns the socket.  It feeds what it reads with
 * dm_lmtp_session_feed() and writes out what the session appended to
 * dm_lmtp_session_output(), erasing what it wrote.  When a DATA
 * transaction is complete the session stops in DM_LMTP_AWAITING_RESULTS;
 * the caller delivers dm_lmtp_session_ref_message() for each recipient of
 * dm_lmtp_session_envelope() and hands back one result per recipient with
 * dm_lmtp_session_set_result().  When the last one is in, the session
 * appends the replies (one per recipient, in RCPT order, as LMTP wants)
 * and goes on with any pipelined input it holds.
 *
 * Input: commands end with CRLF (a bare LF is tolerated).  Commands may
 * arrive many at once and split anywhere (PIPELINING); replies come in
 * order.  The message is dot-unstuffed and handed out with LF line ends
 * (CRLF becomes LF; a bare LF stays; a bare CR inside a line and NUL
 * bytes are kept as data), since deskmail's parser reads LF mail.  The
 * terminating "." line is recognised only as CRLF "." CRLF or LF "." LF
 * (at the very start of the data, "." CRLF or "." LF): a "." line whose
 * two line ends differ is data, as is a "." after a bare CR, so nothing
 * can be smuggled past a relay that reads the end differently.
 *
 * Memory: the session never holds more than max_message_bytes of
 * message, max_line_bytes of command line and, while it awaits results,
 * what the caller fed it meanwhile (a caller that stops reading while
 * dm_lmtp_session_wants_input() is FALSE keeps that at one read).  Once
 * a message exceeds the limit the rest of its data is read and discarded
 * and every recipient gets 552 5.3.4.  The output grows only by the
 * replies to the input fed; a caller that stops reading while the output
 * is unwritten bounds it too.
 *
 * Replies carry enhanced status codes (RFC 2034), except the 220 greeting
 * and the LHLO reply, where RFC 2034 forbids them (a code there would be
 * read as an extension keyword). */
#ifndef DM_LMTP_H
#define DM_LMTP_H

#include <glib.h>

/* Limits of one session.  A field left 0 takes the default in brackets. */
struct dm_lmtp_limits {
	gsize max_message_bytes; /* the message as handed out (LF line ends) [10 MiB] */
	guint max_recipients;	 /* per transaction; more get 452 4.5.3 [100] */
	gsize max_line_bytes;	 /* a command line without its CRLF; longer gets 500 5.5.2 [2048] */
	guint max_errors;	 /* 4xx/5xx replies to commands before 421 4.7.0 and close [50] */
};

#define DM_LMTP_DEFAULT_MAX_MESSAGE_BYTES ((gsize) 10 * 1024 * 1024)
#define DM_LMTP_DEFAULT_MAX_RECIPIENTS 100
#define DM_LMTP_DEFAULT_MAX_LINE_BYTES 2048
#define DM_LMTP_DEFAULT_MAX_ERRORS 50

/* The longest reply text kept (longer text is clipped). */
#define DM_LMTP_REPLY_TEXT_MAX 400

/* One reply: a code (200..599), an enhanced status ("5.1.1") and one line
 * of text.  Fixed-size, so it needs no freeing and can live on the stack. */
struct dm_lmtp_reply {
	guint code;
	char status[16];
	char text[DM_LMTP_REPLY_TEXT_MAX + 1];
};

/* Fill REPLY (borrowed) with CODE, STATUS and TEXT (both borrowed, may be
 * NULL), sanitised as every reply the session sends is: a CODE outside
 * 200..599 becomes 451; a STATUS that is not "C.S.D" with C the first
 * digit of CODE becomes "C.0.0"; TEXT has every control character (CR,
 * LF, NUL, ...) and every non-ASCII byte replaced by a blank and is
 * clipped to DM_LMTP_REPLY_TEXT_MAX bytes; an empty TEXT becomes "-". */
void dm_lmtp_reply_set(struct dm_lmtp_reply *reply, guint code, const char *status, const char *text);

/* The recipient check, called once per syntactically good RCPT within
 * the limits.  ADDRESS (borrowed, valid for the call) is the path
 * between the angle brackets, source route removed, never empty, without
 * control characters.  Return TRUE to accept it (the session answers 250
 * 2.1.5); FALSE to refuse it with REPLY_R (a 4xx or 5xx, e.g. 550 5.1.1
 * unknown recipient or 451 4.3.0; fill it with dm_lmtp_reply_set(); left
 * untouched it is 550 5.1.1).  It must not call back into the session. */
typedef gboolean (*DmLmtpRecipientCheck)(const char *address, struct dm_lmtp_reply *reply_r,
					 gpointer user_data);

/* The envelope of a complete message.  Borrowed from the session: valid
 * until the last result is set, the session is closed or freed. */
struct dm_lmtp_envelope {
	const char *sender;	       /* "" for the null sender <> */
	const char *const *recipients; /* the accepted ones, in RCPT order, NULL-terminated */
	guint n_recipients;	       /* >= 1 */
	gboolean body_8bit;	       /* MAIL ... BODY=8BITMIME */
};

typedef enum {
	DM_LMTP_READING,	  /* wants input */
	DM_LMTP_AWAITING_RESULTS, /* a message is complete; set one result per recipient */
	DM_LMTP_CLOSED,		  /* after 221 or 421: write the output out, then close */
} DmLmtpState;

typedef struct dm_lmtp_session DmLmtpSession;

/* A new session; the 220 greeting is already in its output.  HOSTNAME
 * (borrowed, copied and sanitised; NULL is "localhost") names the server
 * in the greeting, LHLO, 221 and 421 replies.  LIMITS (borrowed, copied;
 * NULL for all defaults).  CHECK (not NULL) and USER_DATA (borrowed, must
 * outlive the session) check recipients.  Caller frees with
 * dm_lmtp_session_free(). */
DmLmtpSession *dm_lmtp_session_new(const char *hostname, const struct dm_lmtp_limits *limits,
				   DmLmtpRecipientCheck check, gpointer user_data);
void dm_lmtp_session_free(DmLmtpSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmLmtpSession, dm_lmtp_session_free)

/* Take LEN bytes of DATA (borrowed) read from the client and process as
 * much as the state allows, appending replies to the output.  Bytes fed
 * while results are awaited are kept and processed after the last
 * result; bytes fed once CLOSED are dropped.  Returns the state after. */
DmLmtpState dm_lmtp_session_feed(DmLmtpSession *session, const void *data, gsize len);

DmLmtpState dm_lmtp_session_state(const DmLmtpSession *session);

/* TRUE when the caller should read more from the client: the session is
 * READING.  (While it awaits results or is closed, the caller stops
 * reading; pipelined input then waits in the socket, not in memory.) */
gboolean dm_lmtp_session_wants_input(const DmLmtpSession *session);

/* The replies to write to the client, CRLF-terminated.  Borrowed: the
 * caller erases what it wrote (g_string_erase(out, 0, written)) and
 * never writes into it. */
GString *dm_lmtp_session_output(DmLmtpSession *session);

/* In DM_LMTP_AWAITING_RESULTS: the envelope (borrowed, see above) and
 * the message (a new reference; caller frees with g_bytes_unref).  In
 * any other state NULL. */
const struct dm_lmtp_envelope *dm_lmtp_session_envelope(const DmLmtpSession *session);
GBytes *dm_lmtp_session_ref_message(const DmLmtpSession *session);

/* The result for recipient INDEX (0-based, in envelope order) of the
 * awaited message: CODE, STATUS and TEXT (borrowed) sanitised as by
 * dm_lmtp_reply_set().  Setting one twice replaces it.  When every
 * recipient has one, the replies are appended, the transaction ends and
 * pipelined input held is processed.  Returns the state after.  Calling
 * it in another state, or with INDEX out of range, is a programmer error
 * (g_return_val_if_fail). */
DmLmtpState dm_lmtp_session_set_result(DmLmtpSession *session, guint index, guint code,
				       const char *status, const char *text);

/* The same result for every recipient not yet given one. */
DmLmtpState dm_lmtp_session_set_all_results(DmLmtpSession *session, guint code, const char *status,
					    const char *text);

/* End the session now, in any state: append "421 4.4.2 <host> Timeout,
 * closing connection" (the caller's idle deadline passed) or
 * "421 4.3.2 <host> Service shutting down" and go CLOSED.  A message
 * awaiting results gets no per-recipient replies (the client takes the
 * 421 as a temporary failure for all of them).  No-op once CLOSED. */
void dm_lmtp_session_timeout(DmLmtpSession *session);
void dm_lmtp_session_shutdown(DmLmtpSession *session);

/* Bytes the session holds for the client now (message buffer capacity,
 * command line buffer, held input), for tests and the fuzzer to check
 * the bounds above; the output is not counted. */
gsize dm_lmtp_session_buffered_bytes(const DmLmtpSession *session);

#endif
