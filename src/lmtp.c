/* lmtp.c - the LMTP server session (RFC 2033) as a pure state machine:
 * the caller feeds the bytes it read, takes the replies to write, and
 * answers for each recipient of a complete message.  No I/O here, so the
 * whole protocol is testable byte by byte and fuzzable (see lmtp.h for
 * the contract). */
#include "dm-autoconf.h"

#include <stdarg.h>
#include <string.h>

#include "lmtp.h"

/* The longest path between angle brackets (RFC 5321 4.5.3.1.3). */
#define MAX_PATH_BYTES 256

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

static gsize process(DmLmtpSession *s, const guint8 *p, gsize n);

/* ---- replies */

static gboolean
status_is_valid(const char *status, guint code)
{
	const char *p = status;
	int parts = 0;

	if (status == NULL || strlen(status) >= sizeof(((struct dm_lmtp_reply *) 0)->status))
		return FALSE;
	if (p[0] != (char) ('0' + code / 100))
		return FALSE;
	for (;;) {
		int digits = 0;

		while (g_ascii_isdigit(*p)) {
			p++;
			digits++;
		}
		if (digits < 1 || digits > 3 || (parts == 0 && digits != 1))
			return FALSE;
		parts++;
		if (*p == '\0')
			return parts == 3;
		if (*p != '.' || parts == 3)
			return FALSE;
		p++;
	}
}

void
dm_lmtp_reply_set(struct dm_lmtp_reply *reply, guint code, const char *status, const char *text)
{
	gsize n = 0;

	g_return_if_fail(reply != NULL);
	if (code < 200 || code > 599 || code / 100 == 3)
		code = 451;
	reply->code = code;
	if (status_is_valid(status, code))
		g_strlcpy(reply->status, status, sizeof(reply->status));
	else
		g_snprintf(reply->status, sizeof(reply->status), "%u.0.0", code / 100);
	for (const char *p = text ? text : ""; *p != '\0' && n < DM_LMTP_REPLY_TEXT_MAX; p++) {
		guchar c = (guchar) *p;

		reply->text[n++] = (c < 0x20 || c >= 0x7f) ? ' ' : (char) c;
	}
	if (n == 0)
		reply->text[n++] = '-';
	reply->text[n] = '\0';
}

static void
reply_append(DmLmtpSession *s, const struct dm_lmtp_reply *r)
{
	g_string_append_printf(s->out, "%u %s %s\r\n", r->code, r->status, r->text);
}

/* A reply of the session's own (TEXT is a constant or built from the
 * sanitised host name only: nothing from the client is echoed). */
static void G_GNUC_PRINTF(4, 5)
reply(DmLmtpSession *s, guint code, const char *status, const char *fmt, ...)
{
	va_list ap;

	g_string_append_printf(s->out, "%u %s ", code, status);
	va_start(ap, fmt);
	g_string_append_vprintf(s->out, fmt, ap);
	va_end(ap);
	g_string_append(s->out, "\r\n");
}

static void
close_with(DmLmtpSession *s, const char *status, const char *text);

/* A protocol error: answered, and counted towards max_errors, so a
 * client that sends garbage is shown the door. */
static void
protocol_error(DmLmtpSession *s, guint code, const char *status, const char *text)
{
	reply(s, code, status, "%s", text);
	if (++s->errors >= s->limits.max_errors)
		close_with(s, "4.7.0", "Too many errors, closing connection");
}

/* ---- the transaction */

static void
message_clear(DmLmtpSession *s)
{
	g_clear_pointer(&s->msg, g_free);
	s->msg_len = s->msg_cap = 0;
	s->msg_overflow = FALSE;
}

static void
transaction_reset(DmLmtpSession *s)
{
	s->in_mail = FALSE;
	g_clear_pointer(&s->sender, g_free);
	g_ptr_array_set_size(s->recipients, 0);
	s->body_8bit = FALSE;
	s->in_data = FALSE;
	message_clear(s);
	g_clear_pointer(&s->message, g_bytes_unref);
	g_clear_pointer(&s->results, g_free);
	g_clear_pointer(&s->have_result, g_free);
	s->n_results = 0;
	memset(&s->envelope, 0, sizeof(s->envelope));
}

static void
close_with(DmLmtpSession *s, const char *status, const char *text)
{
	if (s->state == DM_LMTP_CLOSED)
		return;
	reply(s, 421, status, "%s %s", s->hostname, text);
	transaction_reset(s);
	g_byte_array_set_size(s->held, 0);
	s->state = DM_LMTP_CLOSED;
}

/* Append N bytes to the message, or drop the message once it would
 * exceed the limit: from then on the data is only read, not kept. */
static void
message_append(DmLmtpSession *s, const guint8 *p, gsize n)
{
	gsize max = s->limits.max_message_bytes;

	if (s->msg_overflow || n == 0)
		return;
	if (n > max - s->msg_len) {
		message_clear(s);
		s->msg_overflow = TRUE;
		return;
	}
	if (s->msg_len + n > s->msg_cap) {
		gsize cap = MAX(s->msg_cap, 4096);

		/* Doubling, but never past the limit: MSG_LEN + N <= MAX here. */
		while (cap < s->msg_len + n)
			cap = cap > max / 2 ? max : cap * 2;
		cap = MIN(cap, max);
		s->msg = g_realloc(s->msg, cap);
		s->msg_cap = cap;
	}
	memcpy(s->msg + s->msg_len, p, n);
	s->msg_len += n;
}

static void
end_of_data(DmLmtpSession *s)
{
	guint n = s->recipients->len;

	s->in_data = FALSE;
	if (s->msg_overflow) {
		for (guint i = 0; i < n; i++)
			reply(s, 552, "5.3.4", "Message too big for system");
		transaction_reset(s);
		return;
	}
	s->message = g_bytes_new_take(g_realloc(s->msg, s->msg_len), s->msg_len);
	s->msg = NULL;
	s->msg_len = s->msg_cap = 0;
	g_ptr_array_add(s->recipients, NULL);
	s->envelope.sender = s->sender;
	s->envelope.recipients = (const char *const *) s->recipients->pdata;
	s->envelope.n_recipients = n;
	s->envelope.body_8bit = s->body_8bit;
	s->results = g_new0(struct dm_lmtp_reply, n);
	s->have_result = g_new0(gboolean, n);
	s->n_results = 0;
	s->state = DM_LMTP_AWAITING_RESULTS;
}

/* ---- the data reader */

static const guint8 dot_lf[] = { '.', '\n' };
static const guint8 lf[] = { '\n' };
static const guint8 cr[] = { '\r' };

/* Read message data from P (N bytes); returns how many were used (all,
 * or up to the end of the terminating "." line). */
static gsize
consume_data(DmLmtpSession *s, const guint8 *p, gsize n)
{
	gsize i = 0;

	while (i < n) {
		guint8 c = p[i];

		switch (s->data_state) {
		case DATA_LINE_START:
			if (c == '.') {
				s->data_state = DATA_DOT;
				i++;
			} else {
				s->data_state = DATA_MID;
			}
			break;
		case DATA_DOT:
			if (c == '\r') {
				s->data_state = DATA_DOT_CR;
				i++;
			} else if (c == '\n') {
				i++;
				if (s->last_end != END_CRLF) {
					end_of_data(s);
					return i;
				}
				/* CRLF "." LF: not the end, a "." line of data. */
				message_append(s, dot_lf, 2);
				s->last_end = END_LF;
				s->data_state = DATA_LINE_START;
			} else {
				/* A stuffed dot: dropped. */
				s->data_state = DATA_MID;
			}
			break;
		case DATA_DOT_CR:
			if (c == '\n') {
				i++;
				if (s->last_end != END_LF) {
					end_of_data(s);
					return i;
				}
				/* LF "." CRLF: not the end, a "." line of data. */
				message_append(s, dot_lf, 2);
				s->last_end = END_CRLF;
				s->data_state = DATA_LINE_START;
			} else {
				/* A stuffed dot, then a bare CR kept as data. */
				message_append(s, cr, 1);
				s->data_state = DATA_MID;
			}
			break;
		case DATA_MID: {
			gsize j = i;

			while (j < n && p[j] != '\r' && p[j] != '\n')
				j++;
			message_append(s, p + i, j - i);
			i = j;
			if (i < n) {
				if (p[i] == '\r') {
					s->data_state = DATA_CR;
				} else {
					message_append(s, lf, 1);
					s->last_end = END_LF;
					s->data_state = DATA_LINE_START;
				}
				i++;
			}
			break;
		}
		case DATA_CR:
			if (c == '\n') {
				message_append(s, lf, 1);
				s->last_end = END_CRLF;
				s->data_state = DATA_LINE_START;
				i++;
			} else if (c == '\r') {
				/* The CR before was bare; this one may end the line. */
				message_append(s, cr, 1);
				i++;
			} else {
				message_append(s, cr, 1);
				s->data_state = DATA_MID;
			}
			break;
		}
	}
	return i;
}

/* ---- commands */

/* The path at P, which must start with "<": the address between the
 * brackets (source route removed) in *ADDR_R (caller frees with g_free)
 * and what follows the ">" in *REST_R (borrowed from P).  FALSE when it
 * is malformed: no brackets, a control character, too long, not UTF-8. */
static gboolean
parse_path(const char *p, char **addr_r, const char **rest_r)
{
	const char *start, *end;
	gboolean quoted = FALSE;

	if (*p != '<')
		return FALSE;
	start = ++p;
	for (; *p != '\0'; p++) {
		guchar c = (guchar) *p;

		if (c < 0x20 || c == 0x7f)
			return FALSE;
		if (quoted && c == '\\' && p[1] != '\0')
			p++;
		else if (c == '"')
			quoted = !quoted;
		else if (!quoted && c == '>')
			break;
	}
	if (*p != '>')
		return FALSE;
	end = p;
	if (end - start > MAX_PATH_BYTES || !g_utf8_validate(start, end - start, NULL))
		return FALSE;
	/* A source route "@a,@b:user@c" names the last hop only. */
	if (*start == '@') {
		const char *colon = memchr(start, ':', end - start);

		if (colon == NULL)
			return FALSE;
		start = colon + 1;
	}
	*addr_r = g_strndup(start, end - start);
	*rest_r = end + 1;
	return TRUE;
}

/* The value of parameter KEY=VALUE in PARAM when its key is KEY
 * (case-insensitive), else NULL.  Borrowed from PARAM. */
static const char *
param_value(const char *param, const char *key)
{
	gsize n = strlen(key);

	if (g_ascii_strncasecmp(param, key, n) != 0)
		return NULL;
	if (param[n] == '=')
		return param + n + 1;
	return param[n] == '\0' ? "" : NULL;
}

static void
cmd_lhlo(DmLmtpSession *s, const char *args)
{
	if (*args == '\0') {
		protocol_error(s, 501, "5.5.4", "LHLO requires a domain name");
		return;
	}
	transaction_reset(s);
	s->greeted = TRUE;
	g_string_append_printf(s->out,
			       "250-%s\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n"
			       "250-8BITMIME\r\n250 SIZE %" G_GSIZE_FORMAT "\r\n",
			       s->hostname, s->limits.max_message_bytes);
}

static void
cmd_mail(DmLmtpSession *s, const char *args)
{
	g_autofree char *addr = NULL;
	g_auto(GStrv) params = NULL;
	const char *rest;
	gboolean body_8bit = FALSE;

	if (!s->greeted) {
		protocol_error(s, 503, "5.5.1", "Send LHLO first");
		return;
	}
	if (s->in_mail) {
		protocol_error(s, 503, "5.5.1", "Nested MAIL command");
		return;
	}
	if (g_ascii_strncasecmp(args, "FROM:", 5) != 0) {
		protocol_error(s, 501, "5.5.2", "Syntax: MAIL FROM:<address>");
		return;
	}
	args += 5;
	while (*args == ' ')
		args++;
	if (!parse_path(args, &addr, &rest) || (*rest != '\0' && *rest != ' ')) {
		protocol_error(s, 501, "5.1.7", "Bad sender address syntax");
		return;
	}
	params = g_strsplit(rest, " ", -1);
	for (char **p = params; *p != NULL; p++) {
		const char *v;

		if (**p == '\0')
			continue;
		if ((v = param_value(*p, "SIZE")) != NULL) {
			guint64 size;

			if (!g_ascii_string_to_unsigned(v, 10, 0, G_MAXUINT64, &size, NULL)) {
				protocol_error(s, 501, "5.5.4", "Bad SIZE parameter");
				return;
			}
			if (size > s->limits.max_message_bytes) {
				reply(s, 552, "5.3.4", "Message size exceeds fixed maximum message size");
				return;
			}
		} else if ((v = param_value(*p, "BODY")) != NULL) {
			if (g_ascii_strcasecmp(v, "8BITMIME") == 0) {
				body_8bit = TRUE;
			} else if (g_ascii_strcasecmp(v, "7BIT") == 0) {
				body_8bit = FALSE;
			} else {
				protocol_error(s, 501, "5.5.4", "Bad BODY parameter");
				return;
			}
		} else {
			protocol_error(s, 555, "5.5.4", "Unsupported MAIL parameter");
			return;
		}
	}
	s->in_mail = TRUE;
	s->sender = g_steal_pointer(&addr);
	s->body_8bit = body_8bit;
	reply(s, 250, "2.1.0", "Sender OK");
}

static void
cmd_rcpt(DmLmtpSession *s, const char *args)
{
	g_autofree char *addr = NULL;
	const char *rest;
	struct dm_lmtp_reply r, given;

	if (!s->in_mail) {
		protocol_error(s, 503, "5.5.1", "Need MAIL before RCPT");
		return;
	}
	if (g_ascii_strncasecmp(args, "TO:", 3) != 0) {
		protocol_error(s, 501, "5.5.2", "Syntax: RCPT TO:<address>");
		return;
	}
	args += 3;
	while (*args == ' ')
		args++;
	if (!parse_path(args, &addr, &rest) || *addr == '\0' || (*rest != '\0' && *rest != ' ')) {
		protocol_error(s, 501, "5.1.3", "Bad recipient address syntax");
		return;
	}
	while (*rest == ' ')
		rest++;
	if (*rest != '\0') {
		protocol_error(s, 555, "5.5.4", "Unsupported RCPT parameter");
		return;
	}
	if (s->recipients->len >= s->limits.max_recipients) {
		reply(s, 452, "4.5.3", "Too many recipients");
		return;
	}
	dm_lmtp_reply_set(&r, 550, "5.1.1", "Unknown recipient");
	if (s->check(addr, &r, s->user_data)) {
		g_ptr_array_add(s->recipients, g_steal_pointer(&addr));
		reply(s, 250, "2.1.5", "Recipient OK");
		return;
	}
	/* Sanitise what the callback wrote, and never let a refusal read as
	 * an acceptance. */
	given = r;
	given.status[sizeof(given.status) - 1] = '\0';
	given.text[sizeof(given.text) - 1] = '\0';
	if (given.code < 400 || given.code > 599)
		dm_lmtp_reply_set(&r, 550, "5.1.1", given.text);
	else
		dm_lmtp_reply_set(&r, given.code, given.status, given.text);
	reply_append(s, &r);
}

static void
cmd_data(DmLmtpSession *s, const char *args)
{
	if (!s->in_mail) {
		protocol_error(s, 503, "5.5.1", "Need MAIL command");
		return;
	}
	if (s->recipients->len == 0) {
		protocol_error(s, 503, "5.5.1", "No valid recipients");
		return;
	}
	if (*args != '\0') {
		protocol_error(s, 501, "5.5.4", "DATA takes no arguments");
		return;
	}
	g_string_append(s->out, "354 End data with <CR><LF>.<CR><LF>\r\n");
	s->in_data = TRUE;
	s->data_state = DATA_LINE_START;
	s->last_end = END_NONE;
	message_clear(s);
}

/* One command line (NUL-free, without its line end, NUL-terminated). */
static void
command(DmLmtpSession *s, char *line)
{
	gsize verb_len = strcspn(line, " ");
	char *args = line + verb_len;

	while (*args == ' ')
		args++;
#define IS(v) (verb_len == strlen(v) && g_ascii_strncasecmp(line, (v), verb_len) == 0)
	if (verb_len == 0)
		protocol_error(s, 500, "5.5.2", "Syntax error");
	else if (IS("LHLO"))
		cmd_lhlo(s, args);
	else if (IS("MAIL"))
		cmd_mail(s, args);
	else if (IS("RCPT"))
		cmd_rcpt(s, args);
	else if (IS("DATA"))
		cmd_data(s, args);
	else if (IS("RSET")) {
		if (*args != '\0') {
			protocol_error(s, 501, "5.5.4", "RSET takes no arguments");
			return;
		}
		transaction_reset(s);
		reply(s, 250, "2.0.0", "OK");
	} else if (IS("NOOP"))
		reply(s, 250, "2.0.0", "OK");
	else if (IS("QUIT")) {
		reply(s, 221, "2.0.0", "%s closing connection", s->hostname);
		transaction_reset(s);
		g_byte_array_set_size(s->held, 0);
		s->state = DM_LMTP_CLOSED;
	} else if (IS("VRFY")) {
		if (*args == '\0')
			protocol_error(s, 501, "5.5.4", "VRFY requires an address");
		else
			reply(s, 252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
	} else if (IS("HELO") || IS("EHLO"))
		protocol_error(s, 500, "5.5.1", "This is LMTP: use LHLO");
	else
		protocol_error(s, 500, "5.5.1", "Command unrecognized");
#undef IS
}

/* Read command bytes from P (N bytes); returns how many were used (all,
 * or up to the end of one command line). */
static gsize
consume_command(DmLmtpSession *s, const guint8 *p, gsize n)
{
	const guint8 *nl = memchr(p, '\n', n);
	gsize take = nl ? (gsize) (nl - p) : n;

	/* The buffer holds max_line_bytes and the CR before the LF. */
	if (!s->line_overflow && take <= s->limits.max_line_bytes + 1 - s->line_len) {
		memcpy(s->line + s->line_len, p, take);
		s->line_len += take;
	} else {
		s->line_overflow = TRUE;
	}
	if (nl == NULL)
		return n;

	if (!s->line_overflow && s->line_len > 0 && s->line[s->line_len - 1] == '\r')
		s->line_len--;
	if (s->line_overflow || s->line_len > s->limits.max_line_bytes)
		protocol_error(s, 500, "5.5.2", "Line too long");
	else if (memchr(s->line, '\0', s->line_len) != NULL)
		protocol_error(s, 500, "5.5.2", "Syntax error: NUL in command");
	else {
		s->line[s->line_len] = '\0';
		command(s, s->line);
	}
	s->line_len = 0;
	s->line_overflow = FALSE;
	return take + 1;
}

/* Process P (N bytes) as far as the state allows; returns the bytes used. */
static gsize
process(DmLmtpSession *s, const guint8 *p, gsize n)
{
	gsize i = 0;

	while (i < n && s->state == DM_LMTP_READING) {
		if (s->in_data)
			i += consume_data(s, p + i, n - i);
		else
			i += consume_command(s, p + i, n - i);
	}
	return i;
}

/* ---- the API */

static char *
sanitise_hostname(const char *name)
{
	GString *h = g_string_new(NULL);

	for (const char *p = name ? name : ""; *p != '\0' && h->len < 255; p++)
		if (g_ascii_isalnum(*p) || strchr(".-_[]:", *p) != NULL)
			g_string_append_c(h, *p);
	if (h->len == 0)
		g_string_assign(h, "localhost");
	return g_string_free(h, FALSE);
}

DmLmtpSession *
dm_lmtp_session_new(const char *hostname, const struct dm_lmtp_limits *limits,
		    DmLmtpRecipientCheck check, gpointer user_data)
{
	DmLmtpSession *s;

	g_return_val_if_fail(check != NULL, NULL);
	s = g_new0(DmLmtpSession, 1);
	s->hostname = sanitise_hostname(hostname);
	if (limits != NULL)
		s->limits = *limits;
	if (s->limits.max_message_bytes == 0)
		s->limits.max_message_bytes = DM_LMTP_DEFAULT_MAX_MESSAGE_BYTES;
	if (s->limits.max_recipients == 0)
		s->limits.max_recipients = DM_LMTP_DEFAULT_MAX_RECIPIENTS;
	if (s->limits.max_line_bytes == 0)
		s->limits.max_line_bytes = DM_LMTP_DEFAULT_MAX_LINE_BYTES;
	if (s->limits.max_errors == 0)
		s->limits.max_errors = DM_LMTP_DEFAULT_MAX_ERRORS;
	s->check = check;
	s->user_data = user_data;
	s->state = DM_LMTP_READING;
	s->out = g_string_new(NULL);
	s->line = g_malloc(s->limits.max_line_bytes + 2);
	s->recipients = g_ptr_array_new_with_free_func(g_free);
	s->held = g_byte_array_new();
	g_string_append_printf(s->out, "220 %s LMTP deskmail ready\r\n", s->hostname);
	return s;
}

void
dm_lmtp_session_free(DmLmtpSession *s)
{
	if (s == NULL)
		return;
	transaction_reset(s);
	g_ptr_array_unref(s->recipients);
	g_byte_array_unref(s->held);
	g_free(s->line);
	g_string_free(s->out, TRUE);
	g_free(s->hostname);
	g_free(s);
}

DmLmtpState
dm_lmtp_session_feed(DmLmtpSession *s, const void *data, gsize len)
{
	gsize used;

	g_return_val_if_fail(s != NULL, DM_LMTP_CLOSED);
	g_return_val_if_fail(data != NULL || len == 0, s->state);
	if (s->state == DM_LMTP_AWAITING_RESULTS) {
		g_byte_array_append(s->held, data, len);
		return s->state;
	}
	used = process(s, data, len);
	if (s->state == DM_LMTP_AWAITING_RESULTS)
		g_byte_array_append(s->held, (const guint8 *) data + used, len - used);
	return s->state;
}

DmLmtpState
dm_lmtp_session_state(const DmLmtpSession *s)
{
	return s->state;
}

gboolean
dm_lmtp_session_wants_input(const DmLmtpSession *s)
{
	return s->state == DM_LMTP_READING;
}

GString *
dm_lmtp_session_output(DmLmtpSession *s)
{
	return s->out;
}

const struct dm_lmtp_envelope *
dm_lmtp_session_envelope(const DmLmtpSession *s)
{
	return s->state == DM_LMTP_AWAITING_RESULTS ? &s->envelope : NULL;
}

GBytes *
dm_lmtp_session_ref_message(const DmLmtpSession *s)
{
	return s->state == DM_LMTP_AWAITING_RESULTS ? g_bytes_ref(s->message) : NULL;
}

/* Every recipient has a result: the replies, then the held input. */
static void
results_complete(DmLmtpSession *s)
{
	gsize used;

	for (guint i = 0; i < s->envelope.n_recipients; i++)
		reply_append(s, &s->results[i]);
	transaction_reset(s);
	s->state = DM_LMTP_READING;
	if (s->held->len == 0)
		return;
	/* Processing may stop at the next complete message: what is left
	 * stays held for the results after it. */
	used = process(s, s->held->data, s->held->len);
	if (s->state == DM_LMTP_CLOSED)
		g_byte_array_set_size(s->held, 0);
	else
		g_byte_array_remove_range(s->held, 0, used);
}

DmLmtpState
dm_lmtp_session_set_result(DmLmtpSession *s, guint index, guint code, const char *status, const char *text)
{
	g_return_val_if_fail(s != NULL, DM_LMTP_CLOSED);
	g_return_val_if_fail(s->state == DM_LMTP_AWAITING_RESULTS, s->state);
	g_return_val_if_fail(index < s->envelope.n_recipients, s->state);
	dm_lmtp_reply_set(&s->results[index], code, status, text);
	if (!s->have_result[index]) {
		s->have_result[index] = TRUE;
		s->n_results++;
	}
	if (s->n_results == s->envelope.n_recipients)
		results_complete(s);
	return s->state;
}

DmLmtpState
dm_lmtp_session_set_all_results(DmLmtpSession *s, guint code, const char *status, const char *text)
{
	g_return_val_if_fail(s != NULL, DM_LMTP_CLOSED);
	g_return_val_if_fail(s->state == DM_LMTP_AWAITING_RESULTS, s->state);
	for (guint i = 0; i < s->envelope.n_recipients; i++) {
		if (!s->have_result[i]) {
			dm_lmtp_reply_set(&s->results[i], code, status, text);
			s->have_result[i] = TRUE;
			s->n_results++;
		}
	}
	results_complete(s);
	return s->state;
}

void
dm_lmtp_session_timeout(DmLmtpSession *s)
{
	g_return_if_fail(s != NULL);
	close_with(s, "4.4.2", "Timeout, closing connection");
}

void
dm_lmtp_session_shutdown(DmLmtpSession *s)
{
	g_return_if_fail(s != NULL);
	close_with(s, "4.3.2", "Service shutting down");
}

gsize
dm_lmtp_session_buffered_bytes(const DmLmtpSession *s)
{
	return s->msg_cap + (s->message ? g_bytes_get_size(s->message) : 0) + s->limits.max_line_bytes + 2 +
	       s->held->len;
}
