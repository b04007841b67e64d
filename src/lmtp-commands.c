/* lmtp-commands.c - the command half of the LMTP session: reading a
 * command line, parsing its paths and parameters, and answering LHLO,
 * MAIL, RCPT, DATA and the rest (lmtp.c holds the data reader and the
 * session API; lmtp-private.h what the two share). */
#include "dm-autoconf.h"

#include <string.h>

#include "lmtp-private.h"

/* The longest path between angle brackets (RFC 5321 4.5.3.1.3). */
#define MAX_PATH_BYTES 256

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
		dm_lmtp_protocol_error(s, 501, "5.5.4", "LHLO requires a domain name");
		return;
	}
	dm_lmtp_transaction_reset(s);
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
		dm_lmtp_protocol_error(s, 503, "5.5.1", "Send LHLO first");
		return;
	}
	if (s->in_mail) {
		dm_lmtp_protocol_error(s, 503, "5.5.1", "Nested MAIL command");
		return;
	}
	if (g_ascii_strncasecmp(args, "FROM:", 5) != 0) {
		dm_lmtp_protocol_error(s, 501, "5.5.2", "Syntax: MAIL FROM:<address>");
		return;
	}
	args += 5;
	while (*args == ' ')
		args++;
	if (!parse_path(args, &addr, &rest) || (*rest != '\0' && *rest != ' ')) {
		dm_lmtp_protocol_error(s, 501, "5.1.7", "Bad sender address syntax");
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
				dm_lmtp_protocol_error(s, 501, "5.5.4", "Bad SIZE parameter");
				return;
			}
			if (size > s->limits.max_message_bytes) {
				dm_lmtp_reply_printf(s, 552, "5.3.4", "Message size exceeds fixed maximum message size");
				return;
			}
		} else if ((v = param_value(*p, "BODY")) != NULL) {
			if (g_ascii_strcasecmp(v, "8BITMIME") == 0) {
				body_8bit = TRUE;
			} else if (g_ascii_strcasecmp(v, "7BIT") == 0) {
				body_8bit = FALSE;
			} else {
				dm_lmtp_protocol_error(s, 501, "5.5.4", "Bad BODY parameter");
				return;
			}
		} else {
			dm_lmtp_protocol_error(s, 555, "5.5.4", "Unsupported MAIL parameter");
			return;
		}
	}
	s->in_mail = TRUE;
	s->sender = g_steal_pointer(&addr);
	s->body_8bit = body_8bit;
	dm_lmtp_reply_printf(s, 250, "2.1.0", "Sender OK");
}

static void
cmd_rcpt(DmLmtpSession *s, const char *args)
{
	g_autofree char *addr = NULL;
	const char *rest;
	struct dm_lmtp_reply r, given;

	if (!s->in_mail) {
		dm_lmtp_protocol_error(s, 503, "5.5.1", "Need MAIL before RCPT");
		return;
	}
	if (g_ascii_strncasecmp(args, "TO:", 3) != 0) {
		dm_lmtp_protocol_error(s, 501, "5.5.2", "Syntax: RCPT TO:<address>");
		return;
	}
	args += 3;
	while (*args == ' ')
		args++;
	if (!parse_path(args, &addr, &rest) || *addr == '\0' || (*rest != '\0' && *rest != ' ')) {
		dm_lmtp_protocol_error(s, 501, "5.1.3", "Bad recipient address syntax");
		return;
	}
	while (*rest == ' ')
		rest++;
	if (*rest != '\0') {
		dm_lmtp_protocol_error(s, 555, "5.5.4", "Unsupported RCPT parameter");
		return;
	}
	if (s->recipients->len >= s->limits.max_recipients) {
		dm_lmtp_reply_printf(s, 452, "4.5.3", "Too many recipients");
		return;
	}
	dm_lmtp_reply_set(&r, 550, "5.1.1", "Unknown recipient");
	if (s->check(addr, &r, s->user_data)) {
		g_ptr_array_add(s->recipients, g_steal_pointer(&addr));
		dm_lmtp_reply_printf(s, 250, "2.1.5", "Recipient OK");
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
	dm_lmtp_reply_append(s, &r);
}

static void
cmd_data(DmLmtpSession *s, const char *args)
{
	if (!s->in_mail) {
		dm_lmtp_protocol_error(s, 503, "5.5.1", "Need MAIL command");
		return;
	}
	if (s->recipients->len == 0) {
		dm_lmtp_protocol_error(s, 503, "5.5.1", "No valid recipients");
		return;
	}
	if (*args != '\0') {
		dm_lmtp_protocol_error(s, 501, "5.5.4", "DATA takes no arguments");
		return;
	}
	g_string_append(s->out, "354 End data with <CR><LF>.<CR><LF>\r\n");
	s->in_data = TRUE;
	s->data_state = DATA_LINE_START;
	s->last_end = END_NONE;
	dm_lmtp_message_clear(s);
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
		dm_lmtp_protocol_error(s, 500, "5.5.2", "Syntax error");
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
			dm_lmtp_protocol_error(s, 501, "5.5.4", "RSET takes no arguments");
			return;
		}
		dm_lmtp_transaction_reset(s);
		dm_lmtp_reply_printf(s, 250, "2.0.0", "OK");
	} else if (IS("NOOP"))
		dm_lmtp_reply_printf(s, 250, "2.0.0", "OK");
	else if (IS("QUIT")) {
		dm_lmtp_reply_printf(s, 221, "2.0.0", "%s closing connection", s->hostname);
		dm_lmtp_transaction_reset(s);
		g_byte_array_set_size(s->held, 0);
		s->state = DM_LMTP_CLOSED;
	} else if (IS("VRFY")) {
		if (*args == '\0')
			dm_lmtp_protocol_error(s, 501, "5.5.4", "VRFY requires an address");
		else
			dm_lmtp_reply_printf(s, 252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
	} else if (IS("HELO") || IS("EHLO"))
		dm_lmtp_protocol_error(s, 500, "5.5.1", "This is LMTP: use LHLO");
	else
		dm_lmtp_protocol_error(s, 500, "5.5.1", "Command unrecognized");
#undef IS
}

gsize
dm_lmtp_consume_command(DmLmtpSession *s, const guint8 *p, gsize n)
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
		dm_lmtp_protocol_error(s, 500, "5.5.2", "Line too long");
	else if (memchr(s->line, '\0', s->line_len) != NULL)
		dm_lmtp_protocol_error(s, 500, "5.5.2", "Syntax error: NUL in command");
	else {
		s->line[s->line_len] = '\0';
		command(s, s->line);
	}
	s->line_len = 0;
	s->line_overflow = FALSE;
	return take + 1;
}
