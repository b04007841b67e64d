/* fuzz-deliver-input.c - libFuzzer target over everything `deskmail
 * deliver` does to a stranger's bytes before it touches the database:
 *
 *   parse      dm_message_parse (default limits, default fallback list)
 *   screen     dm_screen_message (fixed screen config, both with and
 *              without an envelope sender)
 *   thread     dm_thread_find_tag, dm_thread_clean_subject, and
 *              dm_reply_key_from_address + dm_reply_key_verify (fixed
 *              secret) on every To/Cc address
 *   agents     dm_commands_parse, dm_quote_strip, dm_quote_find_forward
 *   HTML       dm_html_to_text on msg->html
 *
 * Besides crashes, leaks and UB (ASan/UBSan), it checks the contracts the
 * later stages and the database rely on: every string the parser returns
 * is valid UTF-8, header-derived strings hold no control characters (no
 * CR/LF can reach a header deskmail writes), the body text holds no CR,
 * and the limits hold.  A broken contract aborts, which libFuzzer reports
 * as a crash.  GLib criticals (g_return_if_fail) are fatal too.
 *
 * The raw input is also given, as UTF-8 text, directly to the text
 * functions (subject cleaning, tags, quotes, commands, HTML): parsing
 * reaches them only through a MIME body, and fuzzing them directly finds
 * more per second.
 *
 * Build and run: tests/fuzz/run.sh (see tests/fuzz/README). */
#include "dm-autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "command.h"
#include "html.h"
#include "message.h"
#include "quote.h"
#include "screen.h"
#include "thread.h"

/* The defaults of config.c: [deliver] charset_fallback, [desk] tag_format. */
static const char *const fallback_charsets[] = {
	"utf-8", "windows-1250", "iso-8859-2", "windows-1252", NULL
};
static const char tag_format[] = "[Support #{id}]";
static const char *const own_addresses[] = {
	"support@example.org", "help+desk@example.org", NULL
};
static const char *const markers[] = { "Reply above this line", NULL };

static struct dm_limits limits;
static GBytes *secret;
static struct dm_screen_config screen_cfg;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "fuzz-deliver-input: contract broken: %s (%s:%d)\n", #cond, \
				__FILE__, __LINE__);                                             \
			abort();                                                                 \
		}                                                                                \
	} while (0)

static void
check_utf8(const char *s)
{
	CHECK(s != NULL);
	CHECK(g_utf8_validate(s, -1, NULL));
}

/* A string that may become (part of) a header line of a mail we send or a
 * log line: UTF-8 and no control characters at all. */
static void
check_header_text(const char *s, gsize max)
{
	check_utf8(s);
	CHECK(strlen(s) <= max);
	for (const char *p = s; *p; p++)
		CHECK((unsigned char) *p >= 0x20 && *p != 0x7f);
}

static void
check_address(const struct dm_address *a)
{
	CHECK(a != NULL);
	check_header_text(a->addr, limits.max_header_bytes);
	check_header_text(a->name, limits.max_header_bytes);
}

static void
check_message(const struct dm_message *msg)
{
	check_header_text(msg->message_id, 998);
	CHECK(*msg->message_id != '\0');
	CHECK(strchr(msg->message_id, ' ') == NULL);
	if (msg->in_reply_to)
		check_utf8(msg->in_reply_to);
	CHECK(msg->references->len <= 1000);
	for (guint i = 0; i < msg->references->len; i++)
		check_header_text(msg->references->pdata[i], 998);
	check_address(&msg->from);
	for (guint i = 0; i < msg->to->len; i++)
		check_address(msg->to->pdata[i]);
	for (guint i = 0; i < msg->cc->len; i++)
		check_address(msg->cc->pdata[i]);
	for (guint i = 0; i < msg->reply_to->len; i++)
		check_address(msg->reply_to->pdata[i]);
	check_header_text(msg->subject, limits.max_header_bytes);
	check_utf8(msg->text);
	CHECK(strlen(msg->text) <= limits.max_text_bytes);
	CHECK(strchr(msg->text, '\r') == NULL);
	if (msg->html) {
		check_utf8(msg->html);
		CHECK(strlen(msg->html) <= limits.max_text_bytes);
	}
	for (guint i = 0; i < msg->headers->len; i++) {
		const struct dm_header *h = msg->headers->pdata[i];
		check_header_text(h->name, 256);
		check_header_text(h->value, limits.max_header_bytes);
	}
	for (guint i = 0; i < msg->attachments->len; i++) {
		const struct dm_attachment *a = msg->attachments->pdata[i];
		check_header_text(a->filename, 255);
		CHECK(a->filename[0] != '.' && strchr(a->filename, '/') == NULL &&
		      strchr(a->filename, '\\') == NULL);
		check_header_text(a->content_type, limits.max_header_bytes);
		check_utf8(a->disposition);
		check_header_text(a->content_id, limits.max_header_bytes);
		CHECK(a->content != NULL);
		CHECK(strlen(a->sha256) == 64);
	}
	if (msg->dsn_original_id)
		check_header_text(msg->dsn_original_id, 998);
	CHECK(msg->dsn_failed->len <= 100);
	for (guint i = 0; i < msg->dsn_failed->len; i++)
		check_utf8(msg->dsn_failed->pdata[i]);
	CHECK(g_bytes_get_size(msg->raw) > 0);
}

static void
text_functions(const char *text, const char *subject)
{
	(void) dm_thread_find_tag(subject, tag_format);
	g_autofree char *clean = dm_thread_clean_subject(subject, tag_format);
	check_utf8(clean);
	CHECK(strlen(clean) <= strlen(subject));

	g_autoptr(DmCommands) cmds = dm_commands_parse(text);
	CHECK(cmds != NULL && cmds->list != NULL && cmds->rest != NULL);
	for (guint i = 0; i < cmds->list->len; i++) {
		const struct dm_command *c = cmds->list->pdata[i];
		CHECK(c->arg != NULL);
		check_utf8(c->arg);
	}
	g_autofree char *agent = dm_quote_strip(cmds->rest, markers);
	check_utf8(agent);
	g_autofree char *stripped = dm_quote_strip(text, NULL);
	check_utf8(stripped);

	g_autofree char *from = NULL, *name = NULL, *fsubject = NULL, *body = NULL;
	if (dm_quote_find_forward(text, &from, &name, &fsubject, &body)) {
		CHECK(from && name && fsubject && body);
		check_utf8(from);
		check_utf8(name);
		check_utf8(fsubject);
		check_utf8(body);
		/* deliver.c cleans the forwarded subject and strips the body. */
		g_autofree char *c2 = dm_thread_clean_subject(fsubject, tag_format);
		check_utf8(c2);
		g_autofree char *b2 = dm_quote_strip(body, NULL);
		check_utf8(b2);
	} else {
		CHECK(from == NULL && name == NULL && fsubject == NULL && body == NULL);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	dm_message_init();
	dm_limits_init_defaults(&limits);
	static const char key[] = "fuzz-secret-0123456789abcdefghijklmnopqrstuvwxyz";
	secret = g_bytes_new_static(key, sizeof key - 1);
	screen_cfg.own_addresses = own_addresses;
	screen_cfg.reply_separator = '+';
	screen_cfg.loop_value = "fuzz.example.org";
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GBytes) raw = g_bytes_new(data, size);
	g_autoptr(DmMessage) msg = dm_message_parse(raw, &limits, fallback_charsets);
	if (msg) {
		check_message(msg);

		struct dm_screen screen;
		dm_screen_message(msg, NULL, &screen_cfg, &screen);
		dm_screen_message(msg, "", &screen_cfg, &screen);
		CHECK(screen.no_ack_reason != NULL); /* the null sender is never answered */
		dm_screen_message(msg, "<Customer@Example.COM>", &screen_cfg, &screen);
		if (screen.bounce)
			CHECK(screen.automatic && screen.no_ack_reason != NULL);
		(void) dm_screen_authenticated(msg, "mx.example.org", "example.org");
		(void) dm_screen_is_robot_address(msg->from.addr);

		GPtrArray *lists[] = { msg->to, msg->cc };
		for (gsize l = 0; l < G_N_ELEMENTS(lists); l++) {
			for (guint i = 0; i < lists[l]->len; i++) {
				const struct dm_address *a = lists[l]->pdata[i];
				(void) dm_screen_is_own_address(&screen_cfg, a->addr);
				g_autofree char *key = dm_reply_key_from_address(a->addr, own_addresses, '+');
				if (key == NULL)
					continue;
				gint64 ticket = -1, agent = -1;
				enum dm_reply_key_status st = dm_reply_key_verify(secret, key, &ticket, &agent);
				if (st == DM_REPLY_KEY_VALID) {
					/* Only a key we made can be valid. */
					CHECK(ticket > 0 && agent >= 0);
				} else {
					CHECK(ticket == 0 && agent == 0);
				}
			}
		}

		text_functions(msg->text, msg->subject);
		if (msg->html) {
			g_autofree char *text = dm_html_to_text(msg->html, strlen(msg->html));
			check_utf8(text);
		}
	}

	/* The raw bytes as text, straight into the text functions. */
	if (size <= 256 * 1024) {
		g_autofree char *valid = g_utf8_make_valid((const char *) data, (gssize) size);
		/* make_valid keeps NULs; the callers only ever pass C strings. */
		text_functions(valid, valid);
		g_autofree char *text = dm_html_to_text(valid, strlen(valid));
		check_utf8(text);
	}
	return 0;
}
