/* test-lmtp.c - unit tests for the LMTP session (src/lmtp.h).
 *
 * The table below is whole conversations: the bytes a client sends, the
 * replies expected after the greeting, and the messages handed out
 * (each as "[sender|recipients|7 or 8|body]").  Every row is run with
 * the input fed at once, one byte at a time and in random chunk sizes
 * (fixed seeds), and each way must give exactly the same replies and
 * messages: that is what PIPELINING with reads split anywhere asks for.
 * Results are supplied as soon as a message is complete, while the rest
 * of the input may already be held by the session.
 *
 * The test recipient check refuses "unknown*" (its own 550 5.1.1), "temp*"
 * (451 4.3.0), "silent*" (no reply set: the default) and "liar*" (a
 * refusal with a 250 code, which must not read as acceptance); every
 * other address is accepted.  Delivery results: "fail*" gets 451 4.3.0,
 * "inject*" a text with CR LF in it, "evil*" a 250 with a 5.x status;
 * everyone else 250 2.0.0.
 *
 * Then the size limit with big messages and the memory bound, the
 * timeout and shutdown, results given out of order, and reply
 * sanitising. */
#include "dm-autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "lmtp.h"
#include "table-tests.h"

#define HOST "mx.test"
#define GREETING "220 " HOST " LMTP deskmail ready\r\n"
#define LHLO "LHLO client.test\r\n"
#define LHLO_OK "250-" HOST "\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SIZE 1000\r\n"
#define MAIL_OK "250 2.1.0 Sender OK\r\n"
#define RCPT_OK "250 2.1.5 Recipient OK\r\n"
#define DATA_GO "354 End data with <CR><LF>.<CR><LF>\r\n"
#define STORED "250 2.0.0 stored\r\n"
#define BYE "221 2.0.0 " HOST " closing connection\r\n"
#define ENVELOPE LHLO "MAIL FROM:<ana@example.si>\r\nRCPT TO:<support@example.org>\r\nDATA\r\n"
#define ENVELOPE_OK LHLO_OK MAIL_OK RCPT_OK DATA_GO
#define MSG(body) "[ana@example.si|support@example.org|7|" body "]"

#define MAX_MESSAGE 1000
#define MAX_LINE 100
static const struct dm_lmtp_limits test_limits = {
	.max_message_bytes = MAX_MESSAGE,
	.max_recipients = 5,
	.max_line_bytes = MAX_LINE,
	.max_errors = 10,
};

/* The bytes the session may hold beyond the message limit: the command
 * line buffer and nothing else. */
#define BUFFER_SLACK (MAX_LINE + 2)

static gboolean
check_recipient(const char *address, struct dm_lmtp_reply *reply_r, gpointer user_data)
{
	guint *calls = user_data;

	(*calls)++;
	if (g_str_has_prefix(address, "unknown"))
		dm_lmtp_reply_set(reply_r, 550, "5.1.1", "unknown recipient");
	else if (g_str_has_prefix(address, "temp"))
		dm_lmtp_reply_set(reply_r, 451, "4.3.0", "deskmail: database unavailable");
	else if (g_str_has_prefix(address, "liar"))
		dm_lmtp_reply_set(reply_r, 250, "2.0.0", "not really");
	else if (g_str_has_prefix(address, "silent"))
		;
	else
		return TRUE;
	return FALSE;
}

/* A conversation's replies (after the greeting) and messages. */
struct run {
	GString *out;
	GString *msgs;
	gsize max_buffered;
};

static void
run_clear(struct run *r)
{
	g_string_free(r->out, TRUE);
	g_string_free(r->msgs, TRUE);
}

/* Supply the results for a complete message, recording it. */
static void
deliver(DmLmtpSession *s, struct run *r)
{
	while (dm_lmtp_session_state(s) == DM_LMTP_AWAITING_RESULTS) {
		const struct dm_lmtp_envelope *env = dm_lmtp_session_envelope(s);
		g_autoptr(GBytes) msg = dm_lmtp_session_ref_message(s);
		g_autofree char *rcpts = NULL;
		guint n = env->n_recipients;
		gsize size;
		const char *data = g_bytes_get_data(msg, &size);

		assert_non_null(env);
		assert_true(n >= 1);
		assert_null(env->recipients[n]);
		rcpts = g_strjoinv(",", (char **) env->recipients);
		g_string_append_printf(r->msgs, "[%s|%s|%c|", env->sender, rcpts, env->body_8bit ? '8' : '7');
		g_string_append_len(r->msgs, data, size);
		g_string_append_c(r->msgs, ']');
		/* In reverse order: the replies must still come in RCPT order. */
		for (guint i = n; i-- > 0;) {
			const char *a = env->recipients[i];

			if (g_str_has_prefix(a, "fail"))
				dm_lmtp_session_set_result(s, i, 451, "4.3.0", "deskmail: database unavailable");
			else if (g_str_has_prefix(a, "inject"))
				dm_lmtp_session_set_result(s, i, 451, "4.3.0", "bad\r\n250 2.0.0 fake");
			else if (g_str_has_prefix(a, "evil"))
				dm_lmtp_session_set_result(s, i, 250, "5.1.1", "stored");
			else
				dm_lmtp_session_set_result(s, i, 250, "2.0.0", "stored");
		}
	}
}

/* Feed IN (LEN bytes) in chunks: all at once (SEED 0), byte by byte
 * (SEED 1), or random sizes drawn from SEED. */
static struct run
converse(const struct dm_lmtp_limits *limits, const char *in, gsize len, guint32 seed)
{
	guint calls = 0;
	struct run r = { g_string_new(NULL), g_string_new(NULL), 0 };
	g_autoptr(DmLmtpSession) s = dm_lmtp_session_new(HOST, limits, check_recipient, &calls);
	g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
	gsize i = 0;

	assert_string_equal(dm_lmtp_session_output(s)->str, GREETING);
	g_string_truncate(dm_lmtp_session_output(s), 0);
	while (i < len) {
		gsize n = seed == 0 ? len : seed == 1 ? 1 : (gsize) g_rand_int_range(rand, 1, 40);

		n = MIN(n, len - i);
		dm_lmtp_session_feed(s, in + i, n);
		i += n;
		r.max_buffered = MAX(r.max_buffered, dm_lmtp_session_buffered_bytes(s));
		deliver(s, &r);
		r.max_buffered = MAX(r.max_buffered, dm_lmtp_session_buffered_bytes(s));
		/* The caller writes out what there is. */
		g_string_append_len(r.out, dm_lmtp_session_output(s)->str, dm_lmtp_session_output(s)->len);
		g_string_truncate(dm_lmtp_session_output(s), 0);
	}
	return r;
}

struct conversation {
	const char *name;
	const char *in;
	gsize in_len;
	const char *out;
	const char *msgs;
	gsize msgs_len;
	gboolean closed;
	const struct dm_lmtp_limits *limits;
};

#define ROW(NAME, IN, OUT, MSGS, ...)                                                   \
	{ .name = NAME, .in = IN, .in_len = sizeof(IN) - 1, .out = OUT, .msgs = MSGS,  \
	  .msgs_len = sizeof(MSGS) - 1, __VA_ARGS__ }

static const struct dm_lmtp_limits few_errors = { .max_message_bytes = MAX_MESSAGE, .max_errors = 3 };

static const struct conversation conversations[] = {
	/* Commands. */
	ROW("lhlo", LHLO, LHLO_OK, ""),
	ROW("lhlo lower case, twice", "lhlo a\r\nLhLo b\r\n", LHLO_OK LHLO_OK, ""),
	ROW("lhlo without domain", "LHLO\r\n", "501 5.5.4 LHLO requires a domain name\r\n", ""),
	ROW("helo is not lmtp", "HELO x\r\n", "500 5.5.1 This is LMTP: use LHLO\r\n", ""),
	ROW("ehlo is not lmtp", "EHLO x\r\n", "500 5.5.1 This is LMTP: use LHLO\r\n", ""),
	ROW("one delivery", ENVELOPE "Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n",
	    ENVELOPE_OK STORED BYE, MSG("Subject: hi\n\nbody\n"), TRUE),
	ROW("null sender, 8bitmime, size",
	    LHLO "MAIL FROM:<> BODY=8BITMIME SIZE=10\r\nRCPT TO:<a@x>\r\nDATA\r\nx\r\n.\r\n",
	    LHLO_OK MAIL_OK RCPT_OK DATA_GO STORED, "[|a@x|8|x\n]"),
	ROW("body=7bit, lower-case keywords, blank after colon",
	    LHLO "mail from: <s@x> body=7bit\r\nrcpt to: <a@x>\r\ndata\r\nx\r\n.\r\n",
	    LHLO_OK MAIL_OK RCPT_OK DATA_GO STORED, "[s@x|a@x|7|x\n]"),
	ROW("size at the limit", LHLO "MAIL FROM:<s@x> SIZE=1000\r\n", LHLO_OK MAIL_OK, ""),
	ROW("size over the limit", LHLO "MAIL FROM:<s@x> SIZE=1001\r\nRCPT TO:<a@x>\r\n",
	    LHLO_OK "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
		    "503 5.5.1 Need MAIL before RCPT\r\n",
	    ""),
	ROW("size not a number", LHLO "MAIL FROM:<s@x> SIZE=12k\r\n", LHLO_OK "501 5.5.4 Bad SIZE parameter\r\n", ""),
	ROW("size huge", LHLO "MAIL FROM:<s@x> SIZE=99999999999999999999999\r\n",
	    LHLO_OK "501 5.5.4 Bad SIZE parameter\r\n", ""),
	ROW("body unknown", LHLO "MAIL FROM:<s@x> BODY=BINARYMIME\r\n", LHLO_OK "501 5.5.4 Bad BODY parameter\r\n", ""),
	ROW("mail parameter unknown", LHLO "MAIL FROM:<s@x> SMTPUTF8\r\n",
	    LHLO_OK "555 5.5.4 Unsupported MAIL parameter\r\n", ""),
	ROW("mail without brackets", LHLO "MAIL FROM:s@x\r\n", LHLO_OK "501 5.1.7 Bad sender address syntax\r\n", ""),
	ROW("mail without from", LHLO "MAIL <s@x>\r\n", LHLO_OK "501 5.5.2 Syntax: MAIL FROM:<address>\r\n", ""),
	ROW("mail unclosed", LHLO "MAIL FROM:<s@x\r\n", LHLO_OK "501 5.1.7 Bad sender address syntax\r\n", ""),
	ROW("mail junk after path", LHLO "MAIL FROM:<s@x>junk\r\n", LHLO_OK "501 5.1.7 Bad sender address syntax\r\n", ""),
	ROW("rcpt empty path", LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<>\r\n",
	    LHLO_OK MAIL_OK "501 5.1.3 Bad recipient address syntax\r\n", ""),
	ROW("rcpt control character", LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<a\tb@x>\r\n",
	    LHLO_OK MAIL_OK "501 5.1.3 Bad recipient address syntax\r\n", ""),
	ROW("rcpt not utf-8", LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<a\xff@x>\r\n",
	    LHLO_OK MAIL_OK "501 5.1.3 Bad recipient address syntax\r\n", ""),
	ROW("rcpt too long", LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x>\r\n",
	    LHLO_OK MAIL_OK "501 5.1.3 Bad recipient address syntax\r\n", "", FALSE,
	    &(const struct dm_lmtp_limits) { .max_message_bytes = MAX_MESSAGE }),
	ROW("rcpt parameter", LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<a@x> NOTIFY=NEVER\r\n",
	    LHLO_OK MAIL_OK "555 5.5.4 Unsupported RCPT parameter\r\n", ""),
	ROW("rcpt without to", LHLO "MAIL FROM:<s@x>\r\nRCPT <a@x>\r\n",
	    LHLO_OK MAIL_OK "501 5.5.2 Syntax: RCPT TO:<address>\r\n", ""),
	ROW("rcpt source route and quoted local part",
	    LHLO "MAIL FROM:<@relay.x:s@x>\r\nRCPT TO:<@a,@b:r@x>\r\nRCPT TO:<\"odd>name\"@x>\r\nDATA\r\nm\r\n.\r\n",
	    LHLO_OK MAIL_OK RCPT_OK RCPT_OK DATA_GO STORED STORED, "[s@x|r@x,\"odd>name\"@x|7|m\n]"),
	ROW("recipients refused and failing",
	    LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<unknown@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<temp@x>\r\n"
		 "RCPT TO:<silent@x>\r\nRCPT TO:<liar@x>\r\nRCPT TO:<fail@x>\r\nRCPT TO:<inject@x>\r\n"
		 "RCPT TO:<evil@x>\r\nDATA\r\nm\r\n.\r\n",
	    LHLO_OK MAIL_OK "550 5.1.1 unknown recipient\r\n" RCPT_OK
	    "451 4.3.0 deskmail: database unavailable\r\n"
	    "550 5.1.1 Unknown recipient\r\n550 5.1.1 not really\r\n" RCPT_OK RCPT_OK RCPT_OK DATA_GO
	    STORED "451 4.3.0 deskmail: database unavailable\r\n451 4.3.0 bad  250 2.0.0 fake\r\n"
	    "250 2.0.0 stored\r\n",
	    "[s@x|a@x,fail@x,inject@x,evil@x|7|m\n]"),
	ROW("too many recipients",
	    LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nRCPT TO:<unknown@x>\r\nRCPT TO:<c@x>\r\n"
		 "RCPT TO:<d@x>\r\nRCPT TO:<e@x>\r\nRCPT TO:<f@x>\r\nDATA\r\nm\r\n.\r\n",
	    LHLO_OK MAIL_OK RCPT_OK RCPT_OK "550 5.1.1 unknown recipient\r\n" RCPT_OK RCPT_OK RCPT_OK
	    "452 4.5.3 Too many recipients\r\n" DATA_GO STORED STORED STORED STORED STORED,
	    "[s@x|a@x,b@x,c@x,d@x,e@x|7|m\n]"),
	ROW("noop vrfy unknown empty", "NOOP\r\nNOOP whatever\r\nVRFY a@x\r\nVRFY\r\nSTARTTLS\r\n\r\nHELP\r\n",
	    "250 2.0.0 OK\r\n250 2.0.0 OK\r\n"
	    "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n"
	    "501 5.5.4 VRFY requires an address\r\n500 5.5.1 Command unrecognized\r\n"
	    "500 5.5.2 Syntax error\r\n500 5.5.1 Command unrecognized\r\n",
	    ""),
	ROW("quit ends it, the rest is ignored", "QUIT\r\nNOOP\r\n", BYE, "", TRUE),

	/* Wrong order. */
	ROW("mail before lhlo", "MAIL FROM:<s@x>\r\n", "503 5.5.1 Send LHLO first\r\n", ""),
	ROW("rcpt without mail", LHLO "RCPT TO:<a@x>\r\n", LHLO_OK "503 5.5.1 Need MAIL before RCPT\r\n", ""),
	ROW("data without mail", LHLO "DATA\r\n", LHLO_OK "503 5.5.1 Need MAIL command\r\n", ""),
	ROW("data without rcpt", LHLO "MAIL FROM:<s@x>\r\nDATA\r\nx\r\n.\r\n",
	    LHLO_OK MAIL_OK "503 5.5.1 No valid recipients\r\n500 5.5.1 Command unrecognized\r\n"
			    "500 5.5.1 Command unrecognized\r\n",
	    ""),
	ROW("data with only refused rcpt", LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<unknown@x>\r\nDATA\r\n",
	    LHLO_OK MAIL_OK "550 5.1.1 unknown recipient\r\n503 5.5.1 No valid recipients\r\n", ""),
	ROW("data with argument", LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nDATA x\r\n",
	    LHLO_OK MAIL_OK RCPT_OK "501 5.5.4 DATA takes no arguments\r\n", ""),
	ROW("nested mail", LHLO "MAIL FROM:<s@x>\r\nMAIL FROM:<t@x>\r\n",
	    LHLO_OK MAIL_OK "503 5.5.1 Nested MAIL command\r\n", ""),
	ROW("rset after mail", LHLO "MAIL FROM:<s@x>\r\nRSET\r\nRCPT TO:<a@x>\r\nMAIL FROM:<t@x>\r\n",
	    LHLO_OK MAIL_OK "250 2.0.0 OK\r\n503 5.5.1 Need MAIL before RCPT\r\n" MAIL_OK, ""),
	ROW("rset after rcpt", LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nRSET\r\nDATA\r\n",
	    LHLO_OK MAIL_OK RCPT_OK "250 2.0.0 OK\r\n503 5.5.1 Need MAIL command\r\n", ""),
	ROW("rset before lhlo and with argument", "RSET\r\nRSET x\r\n",
	    "250 2.0.0 OK\r\n501 5.5.4 RSET takes no arguments\r\n", ""),
	ROW("rset after a message", ENVELOPE "m\r\n.\r\nRSET\r\nMAIL FROM:<t@x>\r\n",
	    ENVELOPE_OK STORED "250 2.0.0 OK\r\n" MAIL_OK, MSG("m\n")),
	ROW("lhlo resets the transaction", LHLO "MAIL FROM:<s@x>\r\n" LHLO "RCPT TO:<a@x>\r\n",
	    LHLO_OK MAIL_OK LHLO_OK "503 5.5.1 Need MAIL before RCPT\r\n", ""),
	ROW("too many errors", "X\r\nY\r\nZ\r\nNOOP\r\n",
	    "500 5.5.1 Command unrecognized\r\n500 5.5.1 Command unrecognized\r\n"
	    "500 5.5.1 Command unrecognized\r\n421 4.7.0 " HOST " Too many errors, closing connection\r\n",
	    "", TRUE, &few_errors),

	/* Pipelining: two transactions and QUIT in one go. */
	ROW("two transactions pipelined",
	    ENVELOPE "one\r\n.\r\nMAIL FROM:<b@x>\r\nRCPT TO:<c@x>\r\nRCPT TO:<fail@x>\r\nDATA\r\ntwo\r\n.\r\nQUIT\r\n",
	    ENVELOPE_OK STORED MAIL_OK RCPT_OK RCPT_OK DATA_GO STORED "451 4.3.0 deskmail: database unavailable\r\n" BYE,
	    MSG("one\n") "[b@x|c@x,fail@x|7|two\n]", TRUE),

	/* Data. */
	ROW("empty message", ENVELOPE ".\r\n", ENVELOPE_OK STORED, MSG("")),
	ROW("dot-stuffing", ENVELOPE "..leading dot\r\n...\r\n.x\r\nmid.dle\r\n..\r\n.\r\n", ENVELOPE_OK STORED,
	    MSG(".leading dot\n..\nx\nmid.dle\n.\n")),
	ROW("bare lf throughout", "LHLO c\nMAIL FROM:<s@x>\nRCPT TO:<a@x>\nDATA\nline one\n..two\n\n.\nQUIT\n",
	    LHLO_OK MAIL_OK RCPT_OK DATA_GO STORED BYE, "[s@x|a@x|7|line one\n.two\n\n]", TRUE),
	ROW("bare lf inside crlf data", ENVELOPE "a\nb\r\n.\r\n", ENVELOPE_OK STORED, MSG("a\nb\n")),
	ROW("bare cr kept", ENVELOPE "a\rb\r\nc\r\r\n\r\r\r\n.\rx\r\n\r.\r\n.\r\n", ENVELOPE_OK STORED,
	    MSG("a\rb\nc\r\n\r\r\n\rx\n\r.\n")),
	ROW("cr dot cr is no end", ENVELOPE "x\r.\r\ny\r\n.\r\n", ENVELOPE_OK STORED, MSG("x\r.\ny\n")),
	ROW("nul bytes kept", ENVELOPE "a\0b\r\n\0\r\n.\r\n", ENVELOPE_OK STORED, MSG("a\0b\n\0\n")),
	ROW("crlf dot lf is data", ENVELOPE "x\r\n.\ny\r\n.\r\n", ENVELOPE_OK STORED, MSG("x\n.\ny\n")),
	ROW("lf dot crlf is data", ENVELOPE "x\n.\r\ny\n.\n", ENVELOPE_OK STORED, MSG("x\n.\ny\n")),
	ROW("dot lf at the start ends", ENVELOPE ".\n", ENVELOPE_OK STORED, MSG("")),
	ROW("commands inside data are data", ENVELOPE "QUIT\r\nRSET\r\n.\r\nNOOP\r\n",
	    ENVELOPE_OK STORED "250 2.0.0 OK\r\n", MSG("QUIT\nRSET\n")),
	ROW("data line longer than a command line", ENVELOPE
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n.\r\n",
	    ENVELOPE_OK STORED,
	    MSG("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n")),

	/* Command lines. */
	ROW("nul in a command", "NO\0OP\r\nNOOP\r\n", "500 5.5.2 Syntax error: NUL in command\r\n250 2.0.0 OK\r\n", ""),
	ROW("line at the limit",
	    "NOOP 56789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\r\n",
	    "250 2.0.0 OK\r\n", ""),
	ROW("line at the limit, bare lf",
	    "NOOP 56789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\n",
	    "250 2.0.0 OK\r\n", ""),
	ROW("line over the limit, then on",
	    "NOOP 567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890\r\n"
	    "NOOP 567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890\n"
	    "QUIT 456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345"
	    "6789012345678901234567890123456789012345678901234567890\r\nNOOP\r\n",
	    "500 5.5.2 Line too long\r\n500 5.5.2 Line too long\r\n500 5.5.2 Line too long\r\n250 2.0.0 OK\r\n", ""),
};

/* Chunkings: at once, byte by byte, and random sizes. */
static const guint32 seeds[] = { 0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144 };

static void
test_conversation(void **state)
{
	const struct conversation *c = *state;

	for (guint k = 0; k < G_N_ELEMENTS(seeds); k++) {
		struct run r = converse(c->limits ? c->limits : &test_limits, c->in, c->in_len, seeds[k]);

		if (strcmp(r.out->str, c->out) != 0)
			fail_msg("seed %u: replies\n%s\nexpected\n%s", seeds[k], r.out->str, c->out);
		assert_int_equal(r.msgs->len, c->msgs_len);
		assert_memory_equal(r.msgs->str, c->msgs, c->msgs_len);
		/* The message, the line buffer, and at most what was held. */
		assert_true(r.max_buffered <= MAX_MESSAGE + 2 + (c->limits && c->limits->max_line_bytes == 0
								      ? DM_LMTP_DEFAULT_MAX_LINE_BYTES
								      : MAX_LINE) + c->in_len);
		run_clear(&r);
	}
	(void) c->closed;
}

/* A closed session must say so, whatever the chunking. */
static void
test_closed_rows(void **state)
{
	(void) state;
	for (gsize i = 0; i < G_N_ELEMENTS(conversations); i++) {
		const struct conversation *c = &conversations[i];
		guint calls = 0;
		g_autoptr(DmLmtpSession) s = dm_lmtp_session_new(HOST, c->limits ? c->limits : &test_limits,
								  check_recipient, &calls);
		struct run r = { g_string_new(NULL), g_string_new(NULL), 0 };

		dm_lmtp_session_feed(s, c->in, c->in_len);
		deliver(s, &r);
		if ((dm_lmtp_session_state(s) == DM_LMTP_CLOSED) != c->closed)
			fail_msg("%s: closed %d", c->name, dm_lmtp_session_state(s) == DM_LMTP_CLOSED);
		assert_int_equal(dm_lmtp_session_wants_input(s), !c->closed);
		run_clear(&r);
	}
}

/* ---- the size limit */

/* A message body of LEN bytes: lines of 70 "x" and CRLF, LF-counted. */
static GString *
big_body(gsize len)
{
	GString *b = g_string_new(NULL);
	gsize lf_len = 0;

	while (lf_len < len) {
		gsize n = MIN(70, len - lf_len - 1);

		for (gsize i = 0; i < n; i++)
			g_string_append_c(b, 'x');
		g_string_append(b, "\r\n");
		lf_len += n + 1;
	}
	return b;
}

static void
size_case(gsize body_len, gboolean fits)
{
	g_autoptr(GString) in = g_string_new(LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n");
	g_autoptr(GString) body = big_body(body_len);
	const char *expected = fits ? LHLO_OK MAIL_OK RCPT_OK RCPT_OK DATA_GO STORED STORED "250 2.0.0 OK\r\n"
				    : LHLO_OK MAIL_OK RCPT_OK RCPT_OK DATA_GO
				      "552 5.3.4 Message too big for system\r\n552 5.3.4 Message too big for system\r\n"
				      "250 2.0.0 OK\r\n";

	g_string_append_len(in, body->str, body->len);
	g_string_append(in, ".\r\nNOOP\r\n");
	for (guint k = 0; k < G_N_ELEMENTS(seeds); k++) {
		struct run r = converse(&test_limits, in->str, in->len, seeds[k]);

		assert_string_equal(r.out->str, expected);
		assert_int_equal(r.msgs->len, fits ? body_len + strlen("[s@x|a@x,b@x|7|]") : 0);
		run_clear(&r);
	}
}

static void
test_size_exact(void **state)
{
	(void) state;
	size_case(MAX_MESSAGE, TRUE);
}

static void
test_size_one_over(void **state)
{
	(void) state;
	size_case(MAX_MESSAGE + 1, FALSE);
}

/* A megabyte into a 1000-byte limit, in 4 KiB reads: the session never
 * holds more than the limit and its line buffer, and the next
 * transaction works. */
static void
test_size_memory_bounded(void **state)
{
	guint calls = 0;
	g_autoptr(DmLmtpSession) s = dm_lmtp_session_new(HOST, &test_limits, check_recipient, &calls);
	g_autoptr(GString) body = big_body(1024 * 1024);
	g_autoptr(GString) out = g_string_new(NULL);
	struct run r = { g_string_new(NULL), g_string_new(NULL), 0 };
	const char *head = LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nDATA\r\n";
	const char *tail = ".\r\n" ENVELOPE "small\r\n.\r\nQUIT\r\n";

	(void) state;
	dm_lmtp_session_feed(s, head, strlen(head));
	for (gsize i = 0; i < body->len; i += 4096) {
		dm_lmtp_session_feed(s, body->str + i, MIN(4096, body->len - i));
		assert_true(dm_lmtp_session_buffered_bytes(s) <= MAX_MESSAGE + BUFFER_SLACK);
		assert_int_equal(dm_lmtp_session_state(s), DM_LMTP_READING);
	}
	dm_lmtp_session_feed(s, tail, strlen(tail));
	deliver(s, &r);
	assert_string_equal(dm_lmtp_session_output(s)->str,
			    GREETING LHLO_OK MAIL_OK RCPT_OK DATA_GO "552 5.3.4 Message too big for system\r\n"
			    ENVELOPE_OK STORED BYE);
	assert_string_equal(r.msgs->str, MSG("small\n"));
	run_clear(&r);
}

/* The default limit, with no limits given, is advertised. */
static void
test_default_limits(void **state)
{
	guint calls = 0;
	g_autoptr(DmLmtpSession) s = dm_lmtp_session_new(NULL, NULL, check_recipient, &calls);
	g_autofree char *size = g_strdup_printf("250 SIZE %" G_GSIZE_FORMAT "\r\n",
						 (gsize) DM_LMTP_DEFAULT_MAX_MESSAGE_BYTES);

	(void) state;
	dm_lmtp_session_feed(s, LHLO, strlen(LHLO));
	assert_true(g_str_has_prefix(dm_lmtp_session_output(s)->str, "220 localhost LMTP"));
	assert_true(g_str_has_suffix(dm_lmtp_session_output(s)->str, size));
}

/* ---- ending the session */

static void
test_timeout(void **state)
{
	guint calls = 0;
	g_autoptr(DmLmtpSession) s = dm_lmtp_session_new(HOST, &test_limits, check_recipient, &calls);

	(void) state;
	dm_lmtp_session_feed(s, LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nDATA\r\npartial",
			     strlen(LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nDATA\r\npartial"));
	dm_lmtp_session_timeout(s);
	assert_int_equal(dm_lmtp_session_state(s), DM_LMTP_CLOSED);
	assert_false(dm_lmtp_session_wants_input(s));
	assert_string_equal(dm_lmtp_session_output(s)->str,
			    GREETING LHLO_OK MAIL_OK RCPT_OK DATA_GO "421 4.4.2 " HOST " Timeout, closing connection\r\n");
	/* Input after the end is dropped; a second close adds nothing. */
	dm_lmtp_session_feed(s, "\r\n.\r\n", 5);
	dm_lmtp_session_shutdown(s);
	assert_true(g_str_has_suffix(dm_lmtp_session_output(s)->str, "Timeout, closing connection\r\n"));
	assert_true(dm_lmtp_session_buffered_bytes(s) <= BUFFER_SLACK);
	assert_int_equal(calls, 1);
}

static void
test_shutdown_awaiting(void **state)
{
	guint calls = 0;
	g_autoptr(DmLmtpSession) s = dm_lmtp_session_new(HOST, &test_limits, check_recipient, &calls);
	g_autoptr(GBytes) msg = NULL;

	(void) state;
	dm_lmtp_session_feed(s, ENVELOPE "m\r\n.\r\nNOOP\r\n", strlen(ENVELOPE "m\r\n.\r\nNOOP\r\n"));
	assert_int_equal(dm_lmtp_session_state(s), DM_LMTP_AWAITING_RESULTS);
	assert_false(dm_lmtp_session_wants_input(s));
	msg = dm_lmtp_session_ref_message(s);
	dm_lmtp_session_shutdown(s);
	assert_null(dm_lmtp_session_envelope(s));
	assert_null(dm_lmtp_session_ref_message(s));
	/* The reference the caller took outlives the session's. */
	assert_int_equal(g_bytes_get_size(msg), 2);
	assert_string_equal(dm_lmtp_session_output(s)->str,
			    GREETING ENVELOPE_OK "421 4.3.2 " HOST " Service shutting down\r\n");
}

/* Results one at a time, the last first; the held NOOP is answered only
 * after them. */
static void
test_results_in_any_order(void **state)
{
	guint calls = 0;
	g_autoptr(DmLmtpSession) s = dm_lmtp_session_new(HOST, &test_limits, check_recipient, &calls);
	const char *in = LHLO "MAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nRCPT TO:<c@x>\r\n"
			      "DATA\r\nm\r\n.\r\nNOOP\r\n";
	const char *before = GREETING LHLO_OK MAIL_OK RCPT_OK RCPT_OK RCPT_OK DATA_GO;

	(void) state;
	dm_lmtp_session_feed(s, in, strlen(in));
	assert_string_equal(dm_lmtp_session_output(s)->str, before);
	assert_int_equal(dm_lmtp_session_set_result(s, 2, 451, "4.3.0", "c failed"), DM_LMTP_AWAITING_RESULTS);
	assert_int_equal(dm_lmtp_session_set_result(s, 0, 250, "2.0.0", "a first try"), DM_LMTP_AWAITING_RESULTS);
	assert_int_equal(dm_lmtp_session_set_result(s, 0, 250, "2.0.0", "a stored"), DM_LMTP_AWAITING_RESULTS);
	assert_string_equal(dm_lmtp_session_output(s)->str, before);
	assert_int_equal(dm_lmtp_session_set_all_results(s, 554, "5.6.0", "b never"), DM_LMTP_READING);
	assert_string_equal(dm_lmtp_session_output(s)->str,
			    GREETING LHLO_OK MAIL_OK RCPT_OK RCPT_OK RCPT_OK DATA_GO
			    "250 2.0.0 a stored\r\n554 5.6.0 b never\r\n451 4.3.0 c failed\r\n250 2.0.0 OK\r\n");
	assert_null(dm_lmtp_session_envelope(s));
}

/* ---- reply sanitising */

struct reply_case {
	const char *name;
	guint code;
	const char *status;
	const char *text;
	guint want_code;
	const char *want_status;
	const char *want_text;
};

static const struct reply_case reply_cases[] = {
	{ "plain", 250, "2.0.0", "stored", 250, "2.0.0", "stored" },
	{ "three-digit parts", 550, "5.123.999", "x", 550, "5.123.999", "x" },
	{ "status class differs", 250, "5.1.1", "x", 250, "2.0.0", "x" },
	{ "status malformed", 451, "4.3", "x", 451, "4.0.0", "x" },
	{ "status too many digits", 451, "4.3.1000", "x", 451, "4.0.0", "x" },
	{ "status two-digit class", 451, "44.3.0", "x", 451, "4.0.0", "x" },
	{ "status trailing dot", 451, "4.3.0.", "x", 451, "4.0.0", "x" },
	{ "status null", 554, NULL, "x", 554, "5.0.0", "x" },
	{ "code 3xx", 354, "3.0.0", "x", 451, "4.0.0", "x" },
	{ "code too small", 99, "2.0.0", "x", 451, "4.0.0", "x" },
	{ "code too large", 600, "6.0.0", "x", 451, "4.0.0", "x" },
	{ "text crlf", 451, "4.3.0", "a\r\nb", 451, "4.3.0", "a  b" },
	{ "text utf-8 and tab", 250, "2.0.0", "\xc5\xa1\tok", 250, "2.0.0", "   ok" },
	{ "text empty", 250, "2.0.0", "", 250, "2.0.0", "-" },
	{ "text null", 250, "2.0.0", NULL, 250, "2.0.0", "-" },
};

static void
test_reply_case(void **state)
{
	const struct reply_case *c = *state;
	struct dm_lmtp_reply r;

	dm_lmtp_reply_set(&r, c->code, c->status, c->text);
	assert_int_equal(r.code, c->want_code);
	assert_string_equal(r.status, c->want_status);
	assert_string_equal(r.text, c->want_text);
}

static void
test_reply_clipped(void **state)
{
	g_autofree char *long_text = g_strnfill(5000, 'y');
	struct dm_lmtp_reply r;

	(void) state;
	dm_lmtp_reply_set(&r, 250, "2.0.0", long_text);
	assert_int_equal(strlen(r.text), DM_LMTP_REPLY_TEXT_MAX);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_closed_rows),
		cmocka_unit_test(test_size_exact),
		cmocka_unit_test(test_size_one_over),
		cmocka_unit_test(test_size_memory_bounded),
		cmocka_unit_test(test_default_limits),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_shutdown_awaiting),
		cmocka_unit_test(test_results_in_any_order),
		cmocka_unit_test(test_reply_clipped),
	};
	g_autoptr(GArray) tests = dm_tests_new();

	DM_TESTS_ADD_ROWS(tests, conversations, name, test_conversation);
	DM_TESTS_ADD_ROWS(tests, reply_cases, name, test_reply_case);
	g_array_append_vals(tests, fixed, G_N_ELEMENTS(fixed));
	return dm_tests_run("lmtp", tests, NULL, NULL);
}
