/* fuzz-lmtp.c - libFuzzer target over the LMTP session (src/lmtp.h):
 * arbitrary client bytes, fed in arbitrary chunks, must never crash the
 * session or break its contract.
 *
 * Input: the first byte seeds the chunk sizes (a small xorshift: 1 to 64
 * bytes per read, or the whole rest when it is 0); the rest is what the
 * client sends.  The recipient check accepts addresses of even length
 * and refuses the others (550 5.1.1 or 451 4.3.0); every complete
 * message gets a result per recipient, given in reverse order.  Like the
 * service, the target feeds only while the session wants input.
 *
 * It aborts when:
 * - a reply line is not CRLF-terminated (a bare LF or CR in the output),
 *   or a line does not start with a three-digit code (220/221/250/252/
 *   354/421/45x/50x/55x) and a blank or "-";
 * - a complete message's results do not come back as exactly one reply
 *   per accepted recipient, in RCPT order, before anything else;
 * - an envelope breaks its promises (1..max recipients, non-empty
 *   addresses without control characters, NULL-terminated) or a message
 *   is over the limit;
 * - the session holds more than the message limit, its line buffer and
 *   the last read;
 * - a GLib warning or critical is logged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "lmtp.h"

#define MAX_MESSAGE 4096
#define MAX_LINE 128
#define MAX_RCPT 4

static const struct dm_lmtp_limits limits = {
	.max_message_bytes = MAX_MESSAGE,
	.max_recipients = MAX_RCPT,
	.max_line_bytes = MAX_LINE,
	.max_errors = 30,
};

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "fuzz-lmtp: contract broken: %s (%s:%d)\n", #cond, \
				__FILE__, __LINE__);                                  \
			abort();                                                      \
		}                                                                     \
	} while (0)

static gboolean
check(const char *address, struct dm_lmtp_reply *reply_r, gpointer user_data)
{
	gsize n = strlen(address);

	(void) user_data;
	CHECK(n > 0);
	for (const char *p = address; *p; p++)
		CHECK((guchar) *p >= 0x20 && *p != 0x7f);
	if (n % 2 == 0)
		return TRUE;
	if (n % 3 == 0)
		dm_lmtp_reply_set(reply_r, 451, "4.3.0", "deskmail: try later\r\n");
	else
		dm_lmtp_reply_set(reply_r, 550, "5.1.1", "unknown recipient");
	return FALSE;
}

/* Every line of OUT is "DDD" then " " or "-", then text without CR or
 * LF, then CRLF. */
static void
check_output(const GString *out)
{
	const char *p = out->str, *end = out->str + out->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);

		CHECK(nl != NULL);
		CHECK(nl - p >= 5 && nl[-1] == '\r');
		CHECK(memchr(p, '\r', nl - 1 - p) == NULL);
		CHECK(strchr("2345", p[0]) != NULL && g_ascii_isdigit(p[1]) && g_ascii_isdigit(p[2]));
		CHECK(p[3] == ' ' || p[3] == '-');
		p = nl + 1;
	}
}

static const char *const texts[] = { "stored", "deskmail: database unavailable", "bad\r\ntext" };

/* Answer a complete message; the replies must come first, in order. */
static void
deliver(DmLmtpSession *s)
{
	const struct dm_lmtp_envelope *env = dm_lmtp_session_envelope(s);
	GBytes *msg = dm_lmtp_session_ref_message(s);
	GString *out = dm_lmtp_session_output(s);
	guint n = env->n_recipients;
	GString *want = g_string_new(NULL);

	CHECK(msg != NULL);
	CHECK(g_bytes_get_size(msg) <= MAX_MESSAGE);
	CHECK(n >= 1 && n <= MAX_RCPT && env->recipients[n] == NULL);
	CHECK(env->sender != NULL);
	for (guint i = 0; i < n; i++)
		CHECK(env->recipients[i] != NULL && env->recipients[i][0] != '\0');
	g_string_truncate(out, 0);
	for (guint i = 0; i < n; i++) {
		guint code = (i % 3 == 0) ? 250 : (i % 3 == 1) ? 451 : 554;
		const char *status = (i % 3 == 0) ? "2.0.0" : (i % 3 == 1) ? "4.3.0" : "5.6.0";
		struct dm_lmtp_reply r;

		dm_lmtp_reply_set(&r, code, status, texts[i % 3]);
		g_string_append_printf(want, "%u %s %s\r\n", r.code, r.status, r.text);
	}
	for (guint i = n; i-- > 0;) {
		guint code = (i % 3 == 0) ? 250 : (i % 3 == 1) ? 451 : 554;
		const char *status = (i % 3 == 0) ? "2.0.0" : (i % 3 == 1) ? "4.3.0" : "5.6.0";

		CHECK(dm_lmtp_session_state(s) == DM_LMTP_AWAITING_RESULTS);
		dm_lmtp_session_set_result(s, i, code, status, texts[i % 3]);
	}
	CHECK(out->len >= want->len && memcmp(out->str, want->str, want->len) == 0);
	check_output(out);
	g_string_truncate(out, 0);
	g_string_free(want, TRUE);
	g_bytes_unref(msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	DmLmtpSession *s;
	uint32_t x;
	size_t i = 1;

	if (size < 1)
		return 0;
	g_log_set_always_fatal(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
	x = data[0] * 2654435761u + 1;
	s = dm_lmtp_session_new("fuzz.test", &limits, check, NULL);
	check_output(dm_lmtp_session_output(s));
	g_string_truncate(dm_lmtp_session_output(s), 0);
	while (i < size && dm_lmtp_session_wants_input(s)) {
		size_t n;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		n = data[0] == 0 ? size - i : 1 + x % 64;
		n = n < size - i ? n : size - i;
		dm_lmtp_session_feed(s, data + i, n);
		i += n;
		CHECK(dm_lmtp_session_buffered_bytes(s) <= MAX_MESSAGE + MAX_LINE + 2 + n);
		check_output(dm_lmtp_session_output(s));
		g_string_truncate(dm_lmtp_session_output(s), 0);
		while (dm_lmtp_session_state(s) == DM_LMTP_AWAITING_RESULTS) {
			deliver(s);
			CHECK(dm_lmtp_session_buffered_bytes(s) <= MAX_MESSAGE + MAX_LINE + 2 + n);
		}
	}
	if (dm_lmtp_session_state(s) != DM_LMTP_CLOSED) {
		dm_lmtp_session_timeout(s);
		CHECK(g_str_has_prefix(dm_lmtp_session_output(s)->str, "421 4.4.2 "));
	}
	check_output(dm_lmtp_session_output(s));
	CHECK(dm_lmtp_session_state(s) == DM_LMTP_CLOSED && !dm_lmtp_session_wants_input(s));
	dm_lmtp_session_free(s);
	return 0;
}
