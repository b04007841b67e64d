/* test-screen.c - unit tests for the screen stage (src/screen.h).
 *
 * The suppression matrix: one small message per header or sender case,
 * written out here, parsed with dm_message_parse() and screened, with
 * automatic, bounce, loop and the no-acknowledgement reason compared
 * exactly.  Then tables for dm_screen_is_own_address() and
 * dm_screen_is_robot_address(), and the delivery status fixtures
 * (tests/data/dsn-*.eml), whose parsed DSN fields (is_dsn, the id of the
 * mail that bounced, the recipients that failed) are checked as well as
 * their screen result. */
#include "dm-autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "message.h"
#include "screen.h"
#include "table-tests.h"

#ifndef DM_TEST_DATA_DIR
#define DM_TEST_DATA_DIR "tests/data"
#endif

#define MAX_FAILED 4

static const char *const charsets[] = { "utf-8", "windows-1250", "iso-8859-2", "windows-1252", NULL };

/* The desk of these tests: two support addresses, plus-addressed reply
 * keys, and this host's loop marker. */
static const char *const own_addresses[] = { "support@example.org", "pomoc@example.si", NULL };
static const struct dm_screen_config desk = { own_addresses, '+', "desk1.example.org" };

static struct dm_message *
parse(GBytes *raw)
{
	struct dm_limits limits;

	dm_limits_init_defaults(&limits);
	return dm_message_parse(raw, &limits, charsets);
}

static void
assert_reason(const char *got, const char *want)
{
	if (want == NULL && got != NULL)
		fail_msg("no_ack_reason is \"%s\", want NULL", got);
	if (want != NULL && got == NULL)
		fail_msg("no_ack_reason is NULL, want \"%s\"", want);
	if (want != NULL)
		assert_string_equal(got, want);
}

/* ---- The suppression matrix ------------------------------------------- */

#define HUMAN "ana@example.si"

/* A human's plain text body. */
#define PLAIN "Content-Type: text/plain; charset=utf-8\n\nPozdravljeni,\n\ntiskalnik ne dela.\n\nAna\n"

/* A delivery status report with its status part. */
#define DSN_BODY                                                                        \
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n"  \
	"\n--b\nContent-Type: text/plain\n\nYour message could not be delivered.\n"       \
	"\n--b\nContent-Type: message/delivery-status\n\n"                               \
	"Reporting-MTA: dns; mx.example.si\n\n"                                          \
	"Final-Recipient: rfc822; ana@example.si\nAction: failed\nStatus: 5.1.1\n"       \
	"\n--b--\n"

/* The report header alone, without a status part. */
#define REPORT_HEADER_ONLY                                                              \
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n"  \
	"\n--b\nContent-Type: text/plain\n\nYour message could not be delivered.\n"       \
	"\n--b--\n"

/* A read receipt (RFC 8098 message disposition notification). */
#define MDN_BODY                                                                        \
	"Content-Type: multipart/report; report-type=disposition-notification; "         \
	"boundary=\"b\"\n"                                                               \
	"\n--b\nContent-Type: text/plain\n\nYour message was displayed.\n"                \
	"\n--b\nContent-Type: message/disposition-notification\n\n"                      \
	"Final-Recipient: rfc822; ana@example.si\n"                                      \
	"Disposition: manual-action/MDN-sent-manually; displayed\n"                      \
	"\n--b--\n"

/* An abuse report in the Abuse Reporting Format (RFC 5965). */
#define ARF_BODY                                                                        \
	"Content-Type: multipart/report; report-type=feedback-report; boundary=\"b\"\n"  \
	"\n--b\nContent-Type: text/plain\n\nThis is an abuse report.\n"                  \
	"\n--b\nContent-Type: message/feedback-report\n\n"                               \
	"Feedback-Type: abuse\nUser-Agent: Example-FBL/1.0\nVersion: 1\n"               \
	"\n--b--\n"

/* A receipt whose report header lost its report-type, but whose
 * disposition part is there. */
#define MDN_PART_ONLY                                                                   \
	"Content-Type: multipart/mixed; boundary=\"b\"\n"                                \
	"\n--b\nContent-Type: text/plain\n\nYour message was displayed.\n"                \
	"\n--b\nContent-Type: message/disposition-notification\n\n"                      \
	"Final-Recipient: rfc822; ana@example.si\n"                                      \
	"Disposition: manual-action/MDN-sent-manually; displayed\n"                      \
	"\n--b--\n"

struct screen_case {
	const char *name;
	const char *from;     /* the From header value; NULL: Ana; "": no From at all */
	const char *headers;  /* more header lines, each ending in \n */
	const char *body;     /* Content-Type, blank line and body; NULL: PLAIN */
	const char *envelope; /* envelope sender; NULL: unknown */
	gboolean automatic;
	gboolean bounce;
	gboolean loop;
	const char *reason;
};

static const struct screen_case screen_cases[] = {
	/* Humans, answered. */
	{ "screen: plain human mail", NULL, "", NULL, HUMAN, FALSE, FALSE, FALSE, NULL },
	{ "screen: human mail, envelope unknown", NULL, "", NULL, NULL, FALSE, FALSE, FALSE, NULL },
	{ "screen: human mail, Return-Path only", NULL, "Return-Path: <ana@example.si>\n", NULL,
	  NULL, FALSE, FALSE, FALSE, NULL },
	{ "screen: human mail that looks like a reply", NULL,
	  "In-Reply-To: <dm.1@example.org>\nReferences: <dm.1@example.org>\n", NULL, HUMAN, FALSE,
	  FALSE, FALSE, NULL },

	/* Auto-Submitted (RFC 3834): anything but "no" is a machine's. */
	{ "screen: Auto-Submitted: auto-replied", NULL, "Auto-Submitted: auto-replied\n", NULL,
	  HUMAN, TRUE, FALSE, FALSE, "auto-submitted" },
	{ "screen: Auto-Submitted: auto-generated", NULL, "Auto-Submitted: auto-generated\n", NULL,
	  HUMAN, TRUE, FALSE, FALSE, "auto-submitted" },
	{ "screen: Auto-Submitted: auto-notified", NULL, "Auto-Submitted: auto-notified\n", NULL,
	  HUMAN, TRUE, FALSE, FALSE, "auto-submitted" },
	{ "screen: Auto-Submitted: auto-replied (vacation)", NULL,
	  "Auto-Submitted: auto-replied (vacation)\n", NULL, HUMAN, TRUE, FALSE, FALSE,
	  "auto-submitted" },
	{ "screen: Auto-Submitted: AUTO-REPLIED", NULL, "Auto-Submitted: AUTO-REPLIED\n", NULL,
	  HUMAN, TRUE, FALSE, FALSE, "auto-submitted" },
	{ "screen: Auto-Submitted: a value that only starts with no", NULL,
	  "Auto-Submitted: notification\n", NULL, HUMAN, TRUE, FALSE, FALSE, "auto-submitted" },
	{ "screen: Auto-Submitted: no is answered", NULL, "Auto-Submitted: no\n", NULL, HUMAN,
	  FALSE, FALSE, FALSE, NULL },
	{ "screen: Auto-Submitted: no (comment) is answered", NULL,
	  "Auto-Submitted: no (sent by a person)\n", NULL, HUMAN, FALSE, FALSE, FALSE, NULL },
	{ "screen: Auto-Submitted: No is answered", NULL, "Auto-Submitted: No\n", NULL, HUMAN,
	  FALSE, FALSE, FALSE, NULL },

	/* Precedence. */
	{ "screen: Precedence: bulk", NULL, "Precedence: bulk\n", NULL, HUMAN, TRUE, FALSE, FALSE,
	  "precedence" },
	{ "screen: Precedence: list", NULL, "Precedence: list\n", NULL, HUMAN, TRUE, FALSE, FALSE,
	  "precedence" },
	{ "screen: Precedence: junk", NULL, "Precedence: junk\n", NULL, HUMAN, TRUE, FALSE, FALSE,
	  "precedence" },
	{ "screen: Precedence: BULK", NULL, "Precedence: BULK\n", NULL, HUMAN, TRUE, FALSE, FALSE,
	  "precedence" },
	{ "screen: Precedence: first-class is answered", NULL, "Precedence: first-class\n", NULL,
	  HUMAN, FALSE, FALSE, FALSE, NULL },

	/* X-Auto-Response-Suppress: only All, OOF and AutoReply ask us not to
	 * answer; DR, RN and NRN are about receipts.  The header asks, it
	 * does not prove a machine wrote the mail: not automatic. */
	{ "screen: X-Auto-Response-Suppress: All", NULL, "X-Auto-Response-Suppress: All\n", NULL,
	  HUMAN, FALSE, FALSE, FALSE, "x-auto-response-suppress" },
	{ "screen: X-Auto-Response-Suppress: OOF", NULL, "X-Auto-Response-Suppress: OOF\n", NULL,
	  HUMAN, FALSE, FALSE, FALSE, "x-auto-response-suppress" },
	{ "screen: X-Auto-Response-Suppress: DR, OOF, AutoReply", NULL,
	  "X-Auto-Response-Suppress: DR, OOF, AutoReply\n", NULL, HUMAN, FALSE, FALSE, FALSE,
	  "x-auto-response-suppress" },
	{ "screen: X-Auto-Response-Suppress: DR, RN, NRN is answered", NULL,
	  "X-Auto-Response-Suppress: DR, RN, NRN\n", NULL, HUMAN, FALSE, FALSE, FALSE, NULL },
	{ "screen: X-Auto-Response-Suppress: None is answered", NULL,
	  "X-Auto-Response-Suppress: None\n", NULL, HUMAN, FALSE, FALSE, FALSE, NULL },

	/* Mailing lists. */
	{ "screen: List-Id", NULL, "List-Id: Tiskalniki <tisk.lists.example.si>\n", NULL, HUMAN,
	  TRUE, FALSE, FALSE, "list" },
	{ "screen: List-Unsubscribe", NULL,
	  "List-Unsubscribe: <mailto:tisk-leave@lists.example.si>\n", NULL, HUMAN, TRUE, FALSE,
	  FALSE, "list" },
	{ "screen: List-Post", NULL, "List-Post: <mailto:tisk@lists.example.si>\n", NULL, HUMAN,
	  TRUE, FALSE, FALSE, "list" },
	{ "screen: Mailing-List", NULL, "Mailing-List: contact tisk-help@lists.example.si\n", NULL,
	  HUMAN, TRUE, FALSE, FALSE, "list" },
	{ "screen: X-Autoreply", NULL, "X-Autoreply: yes\n", NULL, HUMAN, TRUE, FALSE, FALSE,
	  "auto-submitted" },

	/* The null sender: only DSNs, MDNs and auto-replies are sent with
	 * MAIL FROM:<> (RFC 5321 4.5.5, RFC 3834 3.3), never a person's mail,
	 * so the mail is a machine's as well as unanswerable. */
	{ "screen: null envelope sender", NULL, "", NULL, "", TRUE, FALSE, FALSE, "null-sender" },
	{ "screen: Return-Path: <>, envelope unknown", NULL, "Return-Path: <>\n", NULL, NULL,
	  TRUE, FALSE, FALSE, "null-sender" },
	{ "screen: Return-Path: <> but the envelope is known", NULL, "Return-Path: <>\n", NULL,
	  HUMAN, FALSE, FALSE, FALSE, NULL },
	{ "screen: read receipt with the null sender", NULL, "", MDN_BODY, "", TRUE, FALSE, FALSE,
	  "receipt" },

	/* Robot senders, in From or in the return path. */
	{ "screen: From MAILER-DAEMON@", "MAILER-DAEMON@mail.example.si", "", NULL, NULL, TRUE,
	  FALSE, FALSE, "robot-sender" },
	{ "screen: From postmaster@ is a person", "postmaster@example.si", "", NULL, NULL, FALSE,
	  FALSE, FALSE, NULL },
	{ "screen: From Postmaster@ in upper case is a person", "Postmaster@Example.SI", "", NULL,
	  HUMAN, FALSE, FALSE, FALSE, NULL },
	{ "screen: From mailer-daemon@ stays a robot", "mailer-daemon@example.si", "", NULL, HUMAN,
	  TRUE, FALSE, FALSE, "robot-sender" },
	{ "screen: From noreply@", "Trgovina <noreply@shop.example.si>", "", NULL, NULL, TRUE,
	  FALSE, FALSE, "robot-sender" },
	{ "screen: From no-reply@", "no-reply@example.fi", "", NULL, NULL, TRUE, FALSE, FALSE,
	  "robot-sender" },
	{ "screen: From do-not-reply@", "do-not-reply@example.hu", "", NULL, NULL, TRUE, FALSE,
	  FALSE, "robot-sender" },
	{ "screen: From owner-x@", "owner-tisk@lists.example.si", "", NULL, NULL, TRUE, FALSE,
	  FALSE, "robot-sender" },
	{ "screen: From x-request@", "tisk-request@lists.example.si", "", NULL, NULL, TRUE, FALSE,
	  FALSE, "robot-sender" },
	{ "screen: robot envelope sender", NULL, "", NULL, "bounces+ana=example.si@lists.example.org",
	  TRUE, FALSE, FALSE, "robot-sender" },
	{ "screen: robot Return-Path, envelope unknown", NULL,
	  "Return-Path: <mailer-daemon@mail.example.si>\n", NULL, NULL, TRUE, FALSE, FALSE,
	  "robot-sender" },

	/* Our own addresses. */
	{ "screen: From our own address", "Podpora <support@example.org>", "", NULL,
	  "support@example.org", TRUE, FALSE, FALSE, "own-address" },
	{ "screen: From our plus-address", "support+foo@example.org", "", NULL, NULL, TRUE, FALSE,
	  FALSE, "own-address" },
	{ "screen: From our other address, in upper case", "POMOC@EXAMPLE.SI", "", NULL, NULL,
	  TRUE, FALSE, FALSE, "own-address" },
	{ "screen: From a look-alike of our address", "supportx@example.org", "", NULL, NULL,
	  FALSE, FALSE, FALSE, NULL },

	/* Loops: our marker with our value, or any other desk's. */
	{ "screen: X-Deskmail-Loop with our value", NULL, "X-Deskmail-Loop: desk1.example.org\n",
	  NULL, HUMAN, TRUE, FALSE, TRUE, "loop" },
	{ "screen: X-Deskmail-Loop of another desk", NULL, "X-Deskmail-Loop: desk2.example.net\n",
	  NULL, HUMAN, TRUE, FALSE, FALSE, "loop" },
	{ "screen: our loop marker from our own address", "support@example.org",
	  "X-Deskmail-Loop: desk1.example.org\n", NULL, "support@example.org", TRUE, FALSE, TRUE,
	  "loop" },

	/* X-Loop (procmail, SmartList and others) naming one of our
	 * addresses: our mail came back round a forwarder. */
	{ "screen: X-Loop with our address", NULL, "X-Loop: support@example.org\n", NULL, HUMAN,
	  TRUE, FALSE, TRUE, "loop" },
	{ "screen: X-Loop with our address in upper case and <>", NULL,
	  "X-Loop: Podpora <SUPPORT@Example.ORG>\n", NULL, HUMAN, TRUE, FALSE, TRUE, "loop" },
	{ "screen: X-Loop with our plus-address", NULL, "X-Loop: pomoc+t12-abc@example.si\n", NULL,
	  HUMAN, TRUE, FALSE, TRUE, "loop" },
	{ "screen: X-Loop with our address after another's", NULL,
	  "X-Loop: list@lists.example.si\nX-Loop: support@example.org (procmail)\n", NULL, HUMAN,
	  TRUE, FALSE, TRUE, "loop" },
	{ "screen: X-Loop of someone else is answered", NULL, "X-Loop: ana@example.si\n", NULL,
	  HUMAN, FALSE, FALSE, FALSE, NULL },
	{ "screen: X-Loop of a look-alike is answered", NULL, "X-Loop: supportx@example.org\n",
	  NULL, HUMAN, FALSE, FALSE, FALSE, NULL },
	{ "screen: X-Loop without an address is answered", NULL, "X-Loop: yes\n", NULL, HUMAN,
	  FALSE, FALSE, FALSE, NULL },

	/* Feedback reports (RFC 5965) and read receipts (RFC 8098). */
	{ "screen: abuse feedback report", "abuse@isp.example.net", "", ARF_BODY, HUMAN, TRUE,
	  FALSE, FALSE, "feedback-report" },
	{ "screen: feedback report, quoted report-type", "abuse@isp.example.net", "",
	  "Content-Type: multipart/report; report-type=\"Feedback-Report\"; boundary=\"b\"\n"
	  "\n--b\nContent-Type: text/plain\n\nA complaint.\n\n--b--\n", HUMAN, TRUE, FALSE, FALSE,
	  "feedback-report" },
	{ "screen: read receipt from a person's address", NULL, "", MDN_BODY, HUMAN, TRUE, FALSE,
	  FALSE, "receipt" },
	{ "screen: disposition part without the report type", NULL, "", MDN_PART_ONLY, HUMAN, TRUE,
	  FALSE, FALSE, "receipt" },
	{ "screen: a report of another type is answered", NULL, "",
	  "Content-Type: multipart/report; report-type=something-else; boundary=\"b\"\n"
	  "\n--b\nContent-Type: text/plain\n\nHello.\n\n--b--\n", HUMAN, FALSE, FALSE, FALSE,
	  NULL },

	/* No sender at all: a person's mail we cannot answer. */
	{ "screen: no From", "", "", NULL, HUMAN, FALSE, FALSE, FALSE, "no-sender" },

	/* Bounces. */
	{ "screen: DSN", "MAILER-DAEMON@mx.example.si", "", DSN_BODY, "", TRUE, TRUE, FALSE,
	  "bounce" },
	{ "screen: DSN, envelope unknown", "MAILER-DAEMON@mx.example.si", "", DSN_BODY, NULL, TRUE,
	  TRUE, FALSE, "bounce" },
	{ "screen: report header without a status part", "MAILER-DAEMON@mx.example.si", "",
	  REPORT_HEADER_ONLY, "", TRUE, TRUE, FALSE, "bounce" },
	{ "screen: DSN that carries our loop marker", "MAILER-DAEMON@mx.example.si",
	  "X-Deskmail-Loop: desk1.example.org\n", DSN_BODY, "", TRUE, TRUE, TRUE, "loop" },

	/* Which reason wins when several apply. */
	{ "screen: Auto-Submitted and List-Id", NULL,
	  "Auto-Submitted: auto-generated\nList-Id: <tisk.lists.example.si>\n", NULL, HUMAN, TRUE,
	  FALSE, FALSE, "auto-submitted" },
	{ "screen: Precedence and List-Id", NULL,
	  "Precedence: list\nList-Id: <tisk.lists.example.si>\n", NULL, HUMAN, TRUE, FALSE, FALSE,
	  "precedence" },
};

static GBytes *
build_message(const struct screen_case *c)
{
	GString *s = g_string_new(NULL);

	if (c->from == NULL)
		g_string_append(s, "From: Ana Novak <ana@example.si>\n");
	else if (*c->from != '\0')
		g_string_append_printf(s, "From: %s\n", c->from);
	g_string_append(s, "To: support@example.org\n"
			   "Subject: Tiskalnik ne dela\n"
			   "Date: Tue, 4 Jun 2024 10:00:00 +0200\n"
			   "Message-ID: <screen.1@example.si>\n");
	g_string_append(s, c->headers);
	g_string_append(s, "MIME-Version: 1.0\n");
	g_string_append(s, c->body ? c->body : PLAIN);
	return g_string_free_to_bytes(s);
}

static void
test_screen(void **state)
{
	const struct screen_case *c = *state;
	g_autoptr(GBytes) raw = build_message(c);
	g_autoptr(DmMessage) msg = parse(raw);
	struct dm_screen out;

	assert_non_null(msg);
	memset(&out, 0xff, sizeof out);
	dm_screen_message(msg, c->envelope, &desk, &out);
	assert_int_equal(out.automatic, c->automatic);
	assert_int_equal(out.bounce, c->bounce);
	assert_int_equal(out.loop, c->loop);
	assert_reason(out.no_ack_reason, c->reason);
}

/* ---- dm_screen_is_own_address ----------------------------------------- */

static const struct dm_screen_config desk_minus = { own_addresses, '-', "desk1.example.org" };
static const struct dm_screen_config desk_no_separator = { own_addresses, '\0', NULL };
static const struct dm_screen_config desk_no_addresses = { NULL, '+', NULL };

struct own_case {
	const char *name;
	const struct dm_screen_config *cfg;
	const char *addr;
	gboolean want;
};

static const struct own_case own_cases[] = {
	{ "own: support@", &desk, "support@example.org", TRUE },
	{ "own: the second address", &desk, "pomoc@example.si", TRUE },
	{ "own: upper case", &desk, "SUPPORT@EXAMPLE.ORG", TRUE },
	{ "own: plus-address", &desk, "support+t12-abc@example.org", TRUE },
	{ "own: plus-address of the second address", &desk, "pomoc+foo@example.si", TRUE },
	{ "own: another domain", &desk, "support@example.com", FALSE },
	{ "own: the other address's domain", &desk, "support@example.si", FALSE },
	{ "own: plus-address in another domain", &desk, "support+foo@example.com", FALSE },
	{ "own: a longer local part", &desk, "supportx@example.org", FALSE },
	{ "own: a shorter local part", &desk, "suppor@example.org", FALSE },
	{ "own: - is not the separator", &desk, "support-foo@example.org", FALSE },
	{ "own: - as the separator", &desk_minus, "support-foo@example.org", TRUE },
	{ "own: + when - is the separator", &desk_minus, "support+foo@example.org", FALSE },
	{ "own: no separator configured", &desk_no_separator, "support+foo@example.org", FALSE },
	{ "own: no separator, exact address", &desk_no_separator, "support@example.org", TRUE },
	{ "own: no own addresses", &desk_no_addresses, "support@example.org", FALSE },
	{ "own: a customer", &desk, "ana@example.si", FALSE },
	{ "own: no @", &desk, "support", FALSE },
	{ "own: empty", &desk, "", FALSE },
	{ "own: NULL", &desk, NULL, FALSE },
};

static void
test_own(void **state)
{
	const struct own_case *c = *state;

	assert_int_equal(dm_screen_is_own_address(c->cfg, c->addr), c->want);
}

/* ---- dm_screen_is_robot_address --------------------------------------- */

struct robot_case {
	const char *name;
	const char *addr;
	gboolean want;
};

static const struct robot_case robot_cases[] = {
	{ "robot: mailer-daemon", "mailer-daemon@mail.example.si", TRUE },
	{ "robot: MAILER-DAEMON", "MAILER-DAEMON@mail.example.si", TRUE },
	{ "robot: postmaster is a person", "postmaster@example.fi", FALSE },
	{ "robot: noreply", "noreply@example.hu", TRUE },
	{ "robot: no-reply", "no-reply@example.hu", TRUE },
	{ "robot: no_reply", "no_reply@example.hu", TRUE },
	{ "robot: donotreply", "donotreply@example.si", TRUE },
	{ "robot: do-not-reply", "do-not-reply@example.si", TRUE },
	{ "robot: noreply-billing", "noreply-billing@example.si", TRUE },
	{ "robot: owner-list", "owner-tisk@lists.example.si", TRUE },
	{ "robot: list-request", "tisk-request@lists.example.si", TRUE },
	{ "robot: listserv", "listserv@lists.example.fi", TRUE },
	{ "robot: majordomo", "majordomo@lists.example.fi", TRUE },
	{ "robot: mailman", "mailman@lists.example.fi", TRUE },
	{ "robot: bounce", "bounce@mail.example.si", TRUE },
	{ "robot: bounces+", "bounces+ana=example.si@lists.example.org", TRUE },
	{ "robot: bounce-", "bounce-12345@news.example.hu", TRUE },
	{ "robot: nevastaa (Finnish)", "nevastaa@example.fi", TRUE },
	{ "robot: nemvalaszolj (Hungarian)", "nemvalaszolj@example.hu", TRUE },
	{ "robot: ne-odgovarjaj (Slovenian)", "ne-odgovarjaj@example.si", TRUE },
	{ "robot: a bare local part", "MAILER-DAEMON", TRUE },
	{ "robot: a person", "ana@example.si", FALSE },
	{ "robot: owner without a hyphen", "owner@example.si", FALSE },
	{ "robot: requester", "requester@example.si", FALSE },
	{ "robot: request", "request@example.si", FALSE },
	{ "robot: nora", "nora@example.fi", FALSE },
	{ "robot: bouncer", "bouncer@example.fi", FALSE },
	{ "robot: postmaster only in the domain", "ana@postmaster.example.si", FALSE },
	{ "robot: our support address", "support@example.org", FALSE },
	{ "robot: empty", "", FALSE },
	{ "robot: NULL", NULL, FALSE },
};

static void
test_robot(void **state)
{
	const struct robot_case *c = *state;

	assert_int_equal(dm_screen_is_robot_address(c->addr), c->want);
}

/* ---- Delivery status fixtures ----------------------------------------- */

struct dsn_case {
	const char *name; /* the fixture's file name */
	gboolean is_dsn;
	const char *original_id;        /* NULL: none */
	const char *failed[MAX_FAILED]; /* in order, NULL-terminated */
};

static const struct dsn_case dsn_cases[] = {
	{ "dsn-postfix.eml", TRUE, "dm.0123456789abcdef0123456789abcdef@example.org",
	  { "ana@example.si", NULL } },
	/* One recipient failed, one only delayed; CRLF line ends, headers
	 * of the original only, its Message-ID folded. */
	{ "dsn-exchange.eml", TRUE, "dm.fedcba9876543210fedcba9876543210@example.org",
	  { "matti.virtanen@corp.example.fi", NULL } },
	/* A delay warning: nothing failed (yet). */
	{ "dsn-delayed.eml", TRUE, "dm.00112233445566778899aabbccddeeff@example.org", { NULL } },
	/* Mail that is no report at all. */
	{ "threading-references.eml", FALSE, NULL, { NULL } },
	{ "forwarded-rfc822.eml", FALSE, NULL, { NULL } },
};

static GBytes *
load_fixture(const char *name)
{
	g_autofree char *path = g_build_filename(DM_TEST_DATA_DIR, name, NULL);
	char *data = NULL;
	gsize len = 0;
	GError *err = NULL;

	if (!g_file_get_contents(path, &data, &len, &err))
		fail_msg("cannot read %s: %s", path, err->message);
	return g_bytes_new_take(data, len);
}

static void
test_dsn(void **state)
{
	const struct dsn_case *c = *state;
	g_autoptr(GBytes) raw = load_fixture(c->name);
	g_autoptr(DmMessage) msg = parse(raw);
	struct dm_screen out;
	guint n_failed = 0;

	assert_non_null(msg);
	assert_int_equal(msg->is_dsn, c->is_dsn);
	if (c->original_id == NULL) {
		assert_null(msg->dsn_original_id);
	} else {
		if (msg->dsn_original_id == NULL)
			fail_msg("no dsn_original_id, want \"%s\"", c->original_id);
		assert_string_equal(msg->dsn_original_id, c->original_id);
	}
	assert_non_null(msg->dsn_failed);
	while (n_failed < MAX_FAILED && c->failed[n_failed] != NULL)
		n_failed++;
	if (msg->dsn_failed->len != n_failed) {
		for (guint i = 0; i < msg->dsn_failed->len; i++)
			print_message("dsn_failed[%u] = \"%s\"\n", i,
				      (const char *) g_ptr_array_index(msg->dsn_failed, i));
		fail_msg("%u failed recipients, want %u", msg->dsn_failed->len, n_failed);
	}
	for (guint i = 0; i < n_failed; i++)
		assert_string_equal(g_ptr_array_index(msg->dsn_failed, i), c->failed[i]);

	/* Bounces come with the null sender; they are never answered and
	 * never change a ticket. */
	dm_screen_message(msg, c->is_dsn ? "" : NULL, &desk, &out);
	assert_int_equal(out.bounce, c->is_dsn);
	if (c->is_dsn) {
		assert_true(out.automatic);
		assert_false(out.loop);
		assert_reason(out.no_ack_reason, "bounce");
	}
}

static int
group_setup(void **state G_GNUC_UNUSED)
{
	dm_message_init();
	return 0;
}

int
main(void)
{
	g_autoptr(GArray) tests = dm_tests_new();

	DM_TESTS_ADD_ROWS(tests, screen_cases, name, test_screen);
	DM_TESTS_ADD_ROWS(tests, own_cases, name, test_own);
	DM_TESTS_ADD_ROWS(tests, robot_cases, name, test_robot);
	DM_TESTS_ADD_ROWS(tests, dsn_cases, name, test_dsn);
	return dm_tests_run("screen", tests, group_setup, NULL);
}
