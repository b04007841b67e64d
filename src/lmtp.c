/* lmtp.c - the LMTP server session (RFC 2033) as a pure state machine:
 * the caller feeds the bytes it read, takes the replies to write, and
 * answers for each recipient of a complete message.  No I/O here, so the
 * whole protocol is testable byte by byte and fuzzable (see lmtp.h for
 * the contract).  This half holds the session API, the replies, the
 * transaction and the data reader; lmtp-commands.c reads the commands. */
#include "dm-autoconf.h"

#include <stdarg.h>
#include <string.h>

#include "lmtp-private.h"

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

void
dm_lmtp_reply_append(DmLmtpSession *s, const struct dm_lmtp_reply *r)
{
	g_string_append_printf(s->out, "%u %s %s\r\n", r->code, r->status, r->text);
}

/* A reply of the session's own (FMT is a constant or built from the
 * sanitised host name only: nothing from the client is echoed). */
void
dm_lmtp_reply_printf(DmLmtpSession *s, guint code, const char *status, const char *fmt, ...)
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
void
dm_lmtp_protocol_error(DmLmtpSession *s, guint code, const char *status, const char *text)
{
	dm_lmtp_reply_printf(s, code, status, "%s", text);
	if (++s->errors >= s->limits.max_errors)
		close_with(s, "4.7.0", "Too many errors, closing connection");
}

/* ---- the transaction */

void
dm_lmtp_message_clear(DmLmtpSession *s)
{
	g_clear_pointer(&s->msg, g_free);
	s->msg_len = s->msg_cap = 0;
	s->msg_overflow = FALSE;
}

void
dm_lmtp_transaction_reset(DmLmtpSession *s)
{
	s->in_mail = FALSE;
	g_clear_pointer(&s->sender, g_free);
	g_ptr_array_set_size(s->recipients, 0);
	s->body_8bit = FALSE;
	s->in_data = FALSE;
	dm_lmtp_message_clear(s);
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
	dm_lmtp_reply_printf(s, 421, status, "%s %s", s->hostname, text);
	dm_lmtp_transaction_reset(s);
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
		dm_lmtp_message_clear(s);
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
			dm_lmtp_reply_printf(s, 552, "5.3.4", "Message too big for system");
		dm_lmtp_transaction_reset(s);
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

/* A "." line has ended, its own end being END: the end of the data when
 * the line before ended the same way (or the data has just begun), else
 * a "." line of data, since a "." line whose two line ends differ must
 * not end the data (see lmtp.h). */
static void
dot_line_end(DmLmtpSession *s, LineEnd end)
{
	if (s->last_end == END_NONE || s->last_end == end) {
		end_of_data(s);
		return;
	}
	message_append(s, dot_lf, 2);
	s->last_end = end;
	s->data_state = DATA_LINE_START;
}

/* Each reader below takes the state it is named after and returns the
 * bytes it used: 0 when it only moved to another state, which then reads
 * the same byte.  The data ends when end_of_data() clears in_data. */

static gsize
data_line_start(DmLmtpSession *s, guint8 c)
{
	if (c == '.') {
		s->data_state = DATA_DOT;
		return 1;
	}
	s->data_state = DATA_MID;
	return 0;
}

static gsize
data_dot(DmLmtpSession *s, guint8 c)
{
	if (c == '\r') {
		s->data_state = DATA_DOT_CR;
		return 1;
	}
	if (c == '\n') {
		dot_line_end(s, END_LF);
		return 1;
	}
	/* A stuffed dot: dropped. */
	s->data_state = DATA_MID;
	return 0;
}

static gsize
data_dot_cr(DmLmtpSession *s, guint8 c)
{
	if (c == '\n') {
		dot_line_end(s, END_CRLF);
		return 1;
	}
	/* A stuffed dot, then a bare CR kept as data. */
	message_append(s, cr, 1);
	s->data_state = DATA_MID;
	return 0;
}

/* Inside a line: everything up to a CR or LF is data, in one piece. */
static gsize
data_mid(DmLmtpSession *s, const guint8 *p, gsize n)
{
	gsize j = 0;

	while (j < n && p[j] != '\r' && p[j] != '\n')
		j++;
	message_append(s, p, j);
	if (j == n)
		return j;
	if (p[j] == '\r') {
		s->data_state = DATA_CR;
	} else {
		message_append(s, lf, 1);
		s->last_end = END_LF;
		s->data_state = DATA_LINE_START;
	}
	return j + 1;
}

static gsize
data_cr(DmLmtpSession *s, guint8 c)
{
	if (c == '\n') {
		message_append(s, lf, 1);
		s->last_end = END_CRLF;
		s->data_state = DATA_LINE_START;
		return 1;
	}
	/* The CR before was bare, kept as data; a second CR may end the line. */
	message_append(s, cr, 1);
	if (c == '\r')
		return 1;
	s->data_state = DATA_MID;
	return 0;
}

/* Read message data from P (N bytes); returns how many were used (all,
 * or up to the end of the terminating "." line). */
static gsize
consume_data(DmLmtpSession *s, const guint8 *p, gsize n)
{
	gsize i = 0;

	while (i < n && s->in_data) {
		switch (s->data_state) {
		case DATA_LINE_START:
			i += data_line_start(s, p[i]);
			break;
		case DATA_DOT:
			i += data_dot(s, p[i]);
			break;
		case DATA_DOT_CR:
			i += data_dot_cr(s, p[i]);
			break;
		case DATA_MID:
			i += data_mid(s, p + i, n - i);
			break;
		case DATA_CR:
			i += data_cr(s, p[i]);
			break;
		}
	}
	return i;
}

/* ---- the input */

/* Process P (N bytes) as far as the state allows; returns the bytes used. */
static gsize
process(DmLmtpSession *s, const guint8 *p, gsize n)
{
	gsize i = 0;

	while (i < n && s->state == DM_LMTP_READING) {
		if (s->in_data)
			i += consume_data(s, p + i, n - i);
		else
			i += dm_lmtp_consume_command(s, p + i, n - i);
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
	dm_lmtp_transaction_reset(s);
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
		dm_lmtp_reply_append(s, &s->results[i]);
	dm_lmtp_transaction_reset(s);
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
