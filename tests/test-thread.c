/* test-thread.c - unit tests for the pure half of threading (src/thread.h).
 *
 * Six tables, one test per row: dm_thread_find_tag() over subjects as the
 * clients of our users write them (English, German, Nordic, Finnish,
 * Slovenian and Hungarian prefixes), dm_thread_clean_subject(), reply key
 * verification of altered keys, strings that are no key at all, reply
 * key extraction from addresses and reply address building.  The fixed
 * tests after the tables cover key round trips through an address, a
 * known key vector and the over-limit inputs.  Expected values are
 * written out by hand, never computed by the module under test. */
#include "dm-autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "thread.h"
#include "table-tests.h"

#define TAG "[Support #{id}]"

/* ---- dm_thread_find_tag ----------------------------------------------- */

struct tag_case {
	const char *name;
	const char *subject;
	const char *format;
	gint64 want;
};

static const struct tag_case tag_cases[] = {
	/* Where the tag sits. */
	{ "tag: at the start", "[Support #12] Printer does not print", TAG, 12 },
	{ "tag: in the middle", "Printer [Support #12] does not print", TAG, 12 },
	{ "tag: at the end", "Printer does not print [Support #12]", TAG, 12 },
	{ "tag: the whole subject", "[Support #12]", TAG, 12 },
	{ "tag: no space around it", "Printer[Support #12]broken", TAG, 12 },
	{ "tag: a large ticket number", "[Support #9876543210] VPN", TAG, 9876543210 },
	{ "tag: 18 digits is the longest id", "[Support #123456789012345678] VPN", TAG,
	  G_GINT64_CONSTANT(123456789012345678) },

	/* Behind the prefixes of the clients our users have. */
	{ "tag: behind Re:", "Re: [Support #12] Printer", TAG, 12 },
	{ "tag: behind RE:", "RE: [Support #12] Printer", TAG, 12 },
	{ "tag: behind Fwd:", "Fwd: [Support #12] Printer", TAG, 12 },
	{ "tag: behind FW:", "FW: [Support #12] Printer", TAG, 12 },
	{ "tag: behind AW: (German)", "AW: [Support #12] Drucker", TAG, 12 },
	{ "tag: behind WG: (German)", "WG: [Support #12] Drucker", TAG, 12 },
	{ "tag: behind SV: (Swedish Finland)", "SV: [Support #12] Skrivare", TAG, 12 },
	{ "tag: behind VS: (Finnish)", "VS: [Support #12] Tulostin ei toimi", TAG, 12 },
	{ "tag: behind VL: (Finnish)", "VL: [Support #12] Tulostin ei toimi", TAG, 12 },
	{ "tag: behind Vs: (Finnish)", "Vs: [Support #12] Tulostin ei toimi", TAG, 12 },
	{ "tag: behind Odg: (Slovenian)", "Odg: [Support #12] Tiskalnik ne dela", TAG, 12 },
	{ "tag: behind Posl.: (Slovenian)", "Posl.: [Support #12] Tiskalnik ne dela", TAG, 12 },
	{ "tag: behind Vá: (Hungarian)", "Vá: [Support #12] Nem működik a nyomtató", TAG, 12 },
	{ "tag: behind Továbbítás: (Hungarian)", "Továbbítás: [Support #12] Nyomtató", TAG, 12 },
	{ "tag: behind Re: Re: Fwd:", "Re: Re: Fwd: [Support #12] Printer", TAG, 12 },
	{ "tag: behind Re[2]:", "Re[2]: [Support #12] Printer", TAG, 12 },
	{ "tag: inside [Fwd: ...]", "[Fwd: [Support #12] Printer]", TAG, 12 },
	{ "tag: prefixes after the tag", "[Support #12] Re: AW: Printer", TAG, 12 },

	/* Case does not matter. */
	{ "tag: lower case", "Re: [support #12] printer", TAG, 12 },
	{ "tag: upper case", "RE: [SUPPORT #12] PRINTER", TAG, 12 },
	/* A subject with a character whose case folding changes its length
	 * (the "fi" ligature of text copied from a PDF) must still be
	 * searched without regard to case. */
	{ "tag: lower case next to a ligature", "Conﬁrmation [support #12]", TAG, 12 },

	/* Other systems' tags and near misses. */
	{ "tag: [Ticket #55] is another system's", "Re: [Ticket #55] Printer", TAG, 0 },
	{ "tag: [JIRA-123] is another system's", "[JIRA-123] Printer", TAG, 0 },
	{ "tag: [Old Support #12] is another system's", "[Old Support #12] Printer", TAG, 0 },
	{ "tag: Support #12 without brackets", "Support #12 printer", TAG, 0 },
	{ "tag: [Support #] without a number", "[Support #] Printer", TAG, 0 },
	{ "tag: [Support #12x] is not ours", "[Support #12x] Printer", TAG, 0 },
	{ "tag: [Support # 12] with a space", "[Support # 12] Printer", TAG, 0 },
	{ "tag: [Support #0] is no ticket", "[Support #0] Printer", TAG, 0 },
	{ "tag: [Support #-5] is no ticket", "[Support #-5] Printer", TAG, 0 },
	{ "tag: 19 digits is too long", "[Support #1234567890123456789] VPN", TAG, 0 },
	{ "tag: another system's tag, then ours", "[Ticket #55] [Support #12] Printer", TAG, 12 },
	{ "tag: a near miss, then ours", "[Support #12x] [Support #34] Printer", TAG, 34 },
	{ "tag: the first of two of ours", "[Support #12] [Support #34] Printer", TAG, 12 },
	{ "tag: none", "Printer does not print", TAG, 0 },
	{ "tag: empty subject", "", TAG, 0 },
	{ "tag: NULL subject", NULL, TAG, 0 },
	{ "tag: NULL format", "[Support #12] Printer", NULL, 0 },

	/* Formats with an empty prefix never match: a bare number would
	 * match any subject with a number in it. */
	{ "format {id}/HD: empty prefix is refused", "12/HD Printer", "{id}/HD", 0 },
	{ "format {id}: empty prefix is refused", "12 printers", "{id}", 0 },

	/* A format without brackets. */
	{ "format HD-{id}: at the start", "HD-12 Printer", "HD-{id}", 12 },
	{ "format HD-{id}: at the end, in parentheses", "Re: Printer (HD-34)", "HD-{id}", 34 },
	{ "format HD-{id}: lower case", "hd-56: printer", "HD-{id}", 56 },
	{ "format HD-{id}: no number", "HD- Printer", "HD-{id}", 0 },
	{ "format HD-{id}: letters, not a number", "HD-x Printer", "HD-{id}", 0 },
	{ "format HD-{id}: [Support #12] is not this format", "[Support #12]", "HD-{id}", 0 },
	/* "SHD-12" is a key of another system (a Jira project SHD): our
	 * prefix must not start in the middle of a word. */
	{ "format HD-{id}: SHD-12 is another system's", "Re: SHD-12 Printer", "HD-{id}", 0 },
	/* The id is the whole number, or nothing: the first 18 digits of a
	 * longer number are not a ticket. */
	{ "format HD-{id}: 20 digits is not an id", "HD-12345678901234567890", "HD-{id}", 0 },
};

static void
test_find_tag(void **state)
{
	const struct tag_case *c = *state;

	assert_int_equal(dm_thread_find_tag(c->subject, c->format), c->want);
}

/* ---- dm_thread_clean_subject ------------------------------------------ */

struct clean_case {
	const char *name;
	const char *subject;
	const char *format;
	const char *want;
};

static const struct clean_case clean_cases[] = {
	/* English. */
	{ "clean: Re:", "Re: Printer", TAG, "Printer" },
	{ "clean: RE:", "RE: Printer", TAG, "Printer" },
	{ "clean: re: in lower case", "re: Printer", TAG, "Printer" },
	{ "clean: Fwd:", "Fwd: Printer", TAG, "Printer" },
	{ "clean: FW:", "FW: Printer", TAG, "Printer" },
	{ "clean: Re: without a space", "Re:Printer", TAG, "Printer" },
	{ "clean: Re : with a space before the colon", "Re : Printer", TAG, "Printer" },
	{ "clean: Re with a full-width colon", "Re\xef\xbc\x9a Printer", TAG, "Printer" },
	/* German and Nordic, as Outlook writes them. */
	{ "clean: AW:", "AW: Drucker", TAG, "Drucker" },
	{ "clean: WG:", "WG: Drucker", TAG, "Drucker" },
	{ "clean: SV:", "SV: Skrivare", TAG, "Skrivare" },
	/* Finnish. */
	{ "clean: VS:", "VS: Tulostin ei toimi", TAG, "Tulostin ei toimi" },
	{ "clean: Vs:", "Vs: Tulostin ei toimi", TAG, "Tulostin ei toimi" },
	{ "clean: VL:", "VL: Tulostin ei toimi", TAG, "Tulostin ei toimi" },
	/* Slovenian. */
	{ "clean: Odg:", "Odg: Tiskalnik ne dela", TAG, "Tiskalnik ne dela" },
	{ "clean: Posl.:", "Posl.: Tiskalnik ne dela", TAG, "Tiskalnik ne dela" },
	{ "clean: Odg: Posl.:", "Odg: Posl.: Tiskalnik ne dela", TAG, "Tiskalnik ne dela" },
	/* Hungarian. */
	{ "clean: Vá:", "Vá: Nem működik a nyomtató", TAG, "Nem működik a nyomtató" },
	{ "clean: VÁ: in upper case", "VÁ: Nem működik a nyomtató", TAG, "Nem működik a nyomtató" },
	{ "clean: Továbbítás:", "Továbbítás: Nyomtató", TAG, "Nyomtató" },
	{ "clean: TOVÁBBÍTÁS: in upper case", "TOVÁBBÍTÁS: Nyomtató", TAG, "Nyomtató" },

	/* Repeated, counted and bracketed. */
	{ "clean: Re: Re: Fwd:", "Re: Re: Fwd: Printer", TAG, "Printer" },
	{ "clean: mixed languages", "Re: AW: VS: Odg: Vá: Printer", TAG, "Printer" },
	{ "clean: Re[2]:", "Re[2]: Printer", TAG, "Printer" },
	{ "clean: RE[12]:", "RE[12]: Printer", TAG, "Printer" },
	{ "clean: Re(2):", "Re(2): Printer", TAG, "Printer" },
	{ "clean: Re^2:", "Re^2: Printer", TAG, "Printer" },
	{ "clean: [Fwd: ...]", "[Fwd: Printer does not print]", TAG, "Printer does not print" },
	{ "clean: Re: [Fwd: ...]", "Re: [Fwd: Printer]", TAG, "Printer" },
	{ "clean: [Fwd: Re: ...]", "[Fwd: Re: Printer]", TAG, "Printer" },
	/* The closing bracket at the end belongs to another pair. */
	{ "clean: [Fwd: ...] followed by other brackets", "[Fwd: Printer] [urgent]", TAG,
	  "Printer [urgent]" },

	/* Our tag, wherever it is. */
	{ "clean: tag at the start", "[Support #12] Printer", TAG, "Printer" },
	{ "clean: tag in the middle", "Printer [Support #12] broken", TAG, "Printer broken" },
	{ "clean: tag at the end", "Printer broken [Support #12]", TAG, "Printer broken" },
	{ "clean: Re: before the tag", "Re: [Support #12] Printer", TAG, "Printer" },
	{ "clean: Re: after the tag", "[Support #12] Re: Printer", TAG, "Printer" },
	{ "clean: lower-case tag", "Re: Printer [support #12]", TAG, "Printer" },
	{ "clean: two of our tags", "[Support #12] Printer [Support #34]", TAG, "Printer" },
	{ "clean: tag inside [Fwd: ...]", "[Fwd: [Support #12] Printer]", TAG, "Printer" },
	{ "clean: HD-{id} format", "Re: HD-12 Printer", "HD-{id}", "Printer" },
	{ "clean: lower-case tag next to a ligature", "Re: Conﬁrmation [support #12]", TAG,
	  "Conﬁrmation" },

	/* Other systems' tags stay. */
	{ "clean: [Ticket #55] stays", "Re: [Ticket #55] Printer", TAG, "[Ticket #55] Printer" },
	{ "clean: [Support #12x] stays", "[Support #12x] Printer", TAG, "[Support #12x] Printer" },
	{ "clean: NULL format keeps the tag", "Re: [Support #12] Printer", NULL,
	  "[Support #12] Printer" },

	/* White space. */
	{ "clean: double spaces collapsed", "Printer   does  not print", TAG, "Printer does not print" },
	{ "clean: outer space trimmed", "  Re:   Printer  ", TAG, "Printer" },

	/* Nothing left. */
	{ "clean: only Re:", "Re:", TAG, "" },
	{ "clean: only prefixes", "Re: Fwd: AW: ", TAG, "" },
	{ "clean: only the tag", "[Support #12]", TAG, "" },
	{ "clean: only prefixes and the tag", "Re: [Support #12]", TAG, "" },
	{ "clean: empty", "", TAG, "" },
	{ "clean: NULL", NULL, TAG, "" },

	/* Words that merely start like a prefix. */
	{ "clean: Reklamacija stays", "Reklamacija računa", TAG, "Reklamacija računa" },
	{ "clean: Vastaus tulossa stays", "Vastaus tulossa", TAG, "Vastaus tulossa" },
	{ "clean: Re-registration stays", "Re-registration of card", TAG, "Re-registration of card" },
	{ "clean: Reply needed stays", "Reply needed", TAG, "Reply needed" },
	{ "clean: Vsebina stays", "Vsebina računa", TAG, "Vsebina računa" },
	{ "clean: Fwdx: stays", "Fwdx: Printer", TAG, "Fwdx: Printer" },
	{ "clean: Svetovanje stays", "Svetovanje", TAG, "Svetovanje" },
	{ "clean: Re-registration behind Re:", "Re: Re-registration of card", TAG,
	  "Re-registration of card" },
	{ "clean: a colon later on stays", "Printer: does not print", TAG, "Printer: does not print" },
	{ "clean: [EXTERNAL] stays", "[EXTERNAL] Printer", TAG, "[EXTERNAL] Printer" },
};

static void
test_clean_subject(void **state)
{
	const struct clean_case *c = *state;
	g_autofree char *got = dm_thread_clean_subject(c->subject, c->format);

	assert_non_null(got);
	assert_string_equal(got, c->want);
}

/* ---- dm_reply_key_verify of altered keys ------------------------------- */

static const char secret_text[] = "test-secret-0123456789";
static const char other_secret_text[] = "another-secret-9876543210";

static GBytes *
secret(gboolean other)
{
	const char *s = other ? other_secret_text : secret_text;

	return g_bytes_new_static(s, strlen(s));
}

/* What is done to a freshly made key before it is verified. */
enum alteration {
	KEEP,
	FLIP_FIRST,   /* the first MAC digit replaced by another hex digit */
	FLIP_LAST,    /* the last MAC digit replaced by another hex digit */
	TRUNCATE_ONE, /* the last MAC digit dropped */
	TRUNCATE_HALF, /* only 10 of the 20 MAC digits left */
	EXTEND_DIGIT, /* one hex digit appended */
	EXTEND_TEXT,  /* "-x" appended */
	UPPER,        /* the whole key in upper case, as some MTAs do */
	PAYLOAD       /* the part before the MAC replaced by the row's payload */
};

struct key_case {
	const char *name;
	gint64 ticket;
	gint64 agent;
	enum alteration alter;
	const char *payload; /* for PAYLOAD */
	gboolean other_secret; /* verify under another secret */
	enum dm_reply_key_status want;
	gint64 want_ticket;
	gint64 want_agent;
};

static const struct key_case key_cases[] = {
	{ "key: valid", 12, 0, KEEP, NULL, FALSE, DM_REPLY_KEY_VALID, 12, 0 },
	{ "key: valid with an agent", 12, 7, KEEP, NULL, FALSE, DM_REPLY_KEY_VALID, 12, 7 },
	{ "key: valid, large numbers", G_GINT64_CONSTANT(9876543210), 123456, KEEP, NULL, FALSE,
	  DM_REPLY_KEY_VALID, G_GINT64_CONSTANT(9876543210), 123456 },
	{ "key: upper case is still valid", 12, 0, UPPER, NULL, FALSE, DM_REPLY_KEY_VALID, 12, 0 },
	{ "key: upper case with an agent is still valid", 12, 7, UPPER, NULL, FALSE,
	  DM_REPLY_KEY_VALID, 12, 7 },
	{ "key: first MAC digit changed", 12, 0, FLIP_FIRST, NULL, FALSE, DM_REPLY_KEY_INVALID, 0, 0 },
	{ "key: last MAC digit changed", 12, 0, FLIP_LAST, NULL, FALSE, DM_REPLY_KEY_INVALID, 0, 0 },
	{ "key: MAC digit changed, with an agent", 12, 7, FLIP_LAST, NULL, FALSE,
	  DM_REPLY_KEY_INVALID, 0, 0 },
	{ "key: MAC one digit short", 12, 0, TRUNCATE_ONE, NULL, FALSE, DM_REPLY_KEY_INVALID, 0, 0 },
	{ "key: MAC half as long", 12, 0, TRUNCATE_HALF, NULL, FALSE, DM_REPLY_KEY_INVALID, 0, 0 },
	{ "key: MAC with an extra digit", 12, 0, EXTEND_DIGIT, NULL, FALSE, DM_REPLY_KEY_INVALID, 0, 0 },
	{ "key: MAC with extra text", 12, 0, EXTEND_TEXT, NULL, FALSE, DM_REPLY_KEY_INVALID, 0, 0 },
	{ "key: another secret", 12, 0, KEEP, NULL, TRUE, DM_REPLY_KEY_INVALID, 0, 0 },
	{ "key: another secret, with an agent", 12, 7, KEEP, NULL, TRUE, DM_REPLY_KEY_INVALID, 0, 0 },
	{ "key: another ticket with the old MAC", 12, 0, PAYLOAD, "t13", FALSE,
	  DM_REPLY_KEY_INVALID, 0, 0 },
	{ "key: another agent with the old MAC", 12, 7, PAYLOAD, "t12a8", FALSE,
	  DM_REPLY_KEY_INVALID, 0, 0 },
	{ "key: agent removed from the key", 12, 7, PAYLOAD, "t12", FALSE,
	  DM_REPLY_KEY_INVALID, 0, 0 },
	{ "key: agent added to the key", 12, 0, PAYLOAD, "t12a7", FALSE,
	  DM_REPLY_KEY_INVALID, 0, 0 },
};

/* KEY altered as row C says.  Caller frees with g_free. */
static char *
alter_key(const char *key, const struct key_case *c)
{
	const char *dash = strrchr(key, '-');
	char *out;

	assert_non_null(dash);
	switch (c->alter) {
	case KEEP:
		return g_strdup(key);
	case FLIP_FIRST:
	case FLIP_LAST:
		out = g_strdup(key);
		{
			char *digit = c->alter == FLIP_FIRST ? out + (dash - key) + 1 : out + strlen(out) - 1;
			*digit = *digit == '0' ? '1' : '0';
		}
		return out;
	case TRUNCATE_ONE:
		return g_strndup(key, strlen(key) - 1);
	case TRUNCATE_HALF:
		return g_strndup(key, (dash - key) + 1 + DM_REPLY_KEY_MAC_HEX / 2);
	case EXTEND_DIGIT:
		return g_strconcat(key, "0", NULL);
	case EXTEND_TEXT:
		return g_strconcat(key, "-x", NULL);
	case UPPER:
		return g_ascii_strup(key, -1);
	case PAYLOAD:
		return g_strconcat(c->payload, dash, NULL);
	}
	g_assert_not_reached();
}

static void
test_key(void **state)
{
	const struct key_case *c = *state;
	g_autoptr(GBytes) make_secret = secret(FALSE);
	g_autoptr(GBytes) verify_secret = secret(c->other_secret);
	g_autofree char *key = dm_reply_key_make(make_secret, c->ticket, c->agent);
	g_autofree char *altered = NULL;
	gint64 ticket = -1, agent = -1;

	assert_non_null(key);
	altered = alter_key(key, c);
	assert_int_equal(dm_reply_key_verify(verify_secret, altered, &ticket, &agent), c->want);
	if (c->want == DM_REPLY_KEY_VALID) {
		assert_int_equal(ticket, c->want_ticket);
		assert_int_equal(agent, c->want_agent);
	}
}

/* ---- dm_reply_key_verify of strings that are no key -------------------- */

struct garbage_case {
	const char *name;
	const char *key;
	enum dm_reply_key_status want;
};

static const struct garbage_case garbage_cases[] = {
	{ "garbage: hello", "hello", DM_REPLY_KEY_NONE },
	{ "garbage: t", "t", DM_REPLY_KEY_NONE },
	{ "garbage: t12", "t12", DM_REPLY_KEY_NONE },
	{ "garbage: x12-abc", "x12-abc", DM_REPLY_KEY_NONE },
	{ "garbage: empty", "", DM_REPLY_KEY_NONE },
	{ "garbage: NULL", NULL, DM_REPLY_KEY_NONE },
	{ "garbage: t-12", "t-12-c045babb3d2bb84d69f1", DM_REPLY_KEY_NONE },
	{ "garbage: t0 is no ticket", "t0-c045babb3d2bb84d69f1", DM_REPLY_KEY_NONE },
	{ "garbage: ta7, agent without ticket", "ta7-c045babb3d2bb84d69f1", DM_REPLY_KEY_NONE },
	{ "garbage: t12a, agent without number", "t12a-c045babb3d2bb84d69f1", DM_REPLY_KEY_NONE },
	{ "garbage: t12x", "t12x-c045babb3d2bb84d69f1", DM_REPLY_KEY_NONE },
	{ "garbage: a plain word after +", "newsletter", DM_REPLY_KEY_NONE },
	/* Ticket and separator but an empty MAC: the limit of a truncated
	 * MAC, so it counts as an altered key, not as no key. */
	{ "garbage: t12- has an empty MAC", "t12-", DM_REPLY_KEY_INVALID },
	{ "garbage: t12-abc has a short MAC", "t12-abc", DM_REPLY_KEY_INVALID },
};

static void
test_garbage(void **state)
{
	const struct garbage_case *c = *state;
	g_autoptr(GBytes) s = secret(FALSE);
	gint64 ticket = -1, agent = -1;

	assert_int_equal(dm_reply_key_verify(s, c->key, &ticket, &agent), c->want);
	/* Nothing is claimed for a key that does not verify. */
	assert_int_equal(ticket, 0);
	assert_int_equal(agent, 0);
}

/* ---- dm_reply_key_from_address ---------------------------------------- */

static const char *const own[] = { "support@example.org", "help-desk@example.si", NULL };

struct from_address_case {
	const char *name;
	const char *addr;
	char sep;
	const char *want; /* NULL: no key */
};

static const struct from_address_case from_address_cases[] = {
	{ "from address: support+key", "support+t12-c045babb3d2bb84d69f1@example.org", '+',
	  "t12-c045babb3d2bb84d69f1" },
	{ "from address: key with an agent", "support+t12a7-3a9f62340c7f2301f8a7@example.org", '+',
	  "t12a7-3a9f62340c7f2301f8a7" },
	{ "from address: the second own address", "help-desk+t12-abc@example.si", '+', "t12-abc" },
	{ "from address: upper-case address", "SUPPORT+T12-ABC@EXAMPLE.ORG", '+', "T12-ABC" },
	{ "from address: - separator", "support-t12-abc@example.org", '-', "t12-abc" },
	/* With '-' as the separator an own local part that has a '-' in it
	 * still ends where the own address says. */
	{ "from address: - separator, own local part with -", "help-desk-t12-abc@example.si", '-',
	  "t12-abc" },
	{ "from address: + address, - separator", "support+t12-abc@example.org", '-', NULL },
	{ "from address: - address, + separator", "support-t12-abc@example.org", '+', NULL },
	{ "from address: another domain", "support+t12-abc@example.com", '+', NULL },
	{ "from address: a subdomain", "support+t12-abc@mail.example.org", '+', NULL },
	{ "from address: own domain of the other address", "support+t12-abc@example.si", '+', NULL },
	{ "from address: another local part", "sales+t12-abc@example.org", '+', NULL },
	{ "from address: a longer local part", "supportx+t12-abc@example.org", '+', NULL },
	{ "from address: a shorter local part", "suppor+t12-abc@example.org", '+', NULL },
	{ "from address: no separator", "support@example.org", '+', NULL },
	{ "from address: separator in the domain", "support@exa+mple.org", '+', NULL },
	{ "from address: no @", "support+t12-abc", '+', NULL },
	{ "from address: no separator character", "support+t12-abc@example.org", '\0', NULL },
	{ "from address: NULL", NULL, '+', NULL },
};

static void
test_from_address(void **state)
{
	const struct from_address_case *c = *state;
	g_autofree char *got = dm_reply_key_from_address(c->addr, own, c->sep);

	if (c->want == NULL)
		assert_null(got);
	else if (got == NULL)
		fail_msg("no key, want \"%s\"", c->want);
	else
		assert_string_equal(got, c->want);
}

/* ---- dm_reply_address ------------------------------------------------- */

struct reply_address_case {
	const char *name;
	const char *address;
	char sep;
	const char *key;
	const char *want;
};

static const struct reply_address_case reply_address_cases[] = {
	{ "reply address: + separator", "support@example.org", '+', "t12-c045babb3d2bb84d69f1",
	  "support+t12-c045babb3d2bb84d69f1@example.org" },
	{ "reply address: - separator", "support@example.org", '-', "t12-abc",
	  "support-t12-abc@example.org" },
	{ "reply address: local part with -", "help-desk@example.si", '+', "t12a7-abc",
	  "help-desk+t12a7-abc@example.si" },
	{ "reply address: no @ is left alone", "support", '+', "t12-abc", "support" },
	{ "reply address: NULL key is left alone", "support@example.org", '+', NULL,
	  "support@example.org" },
};

static void
test_reply_address(void **state)
{
	const struct reply_address_case *c = *state;
	g_autofree char *got = dm_reply_address(c->address, c->sep, c->key);

	assert_string_equal(got, c->want);
}

/* ---- Fixed tests -------------------------------------------------------- */

/* Keys already sent out must stay valid across versions: the key for
 * ticket 12 (and agent 7) under the test secret, with the MAC computed
 * separately as HMAC-SHA-256 over "t12" ("t12a7"), cut to 20 digits. */
static void
test_key_vector(void **state G_GNUC_UNUSED)
{
	g_autoptr(GBytes) s = secret(FALSE);
	g_autofree char *plain = dm_reply_key_make(s, 12, 0);
	g_autofree char *with_agent = dm_reply_key_make(s, 12, 7);
	g_autofree char *again = dm_reply_key_make(s, 12, 0);

	assert_string_equal(plain, "t12-c045babb3d2bb84d69f1");
	assert_string_equal(with_agent, "t12a7-3a9f62340c7f2301f8a7");
	assert_string_equal(again, plain);
}

/* Make a key, put it into our reply address, let an MTA lower- or
 * upper-case the address, take the key out again and verify it. */
static void
test_key_round_trip(void **state G_GNUC_UNUSED)
{
	static const struct {
		gint64 ticket, agent;
		char sep;
		gboolean upper;
	} rows[] = {
		{ 12, 0, '+', FALSE },
		{ 12, 7, '+', FALSE },
		{ 1, 0, '-', FALSE },
		{ 987654321, 42, '-', FALSE },
		{ 12, 7, '+', TRUE },
		{ G_MAXINT64, G_MAXINT64, '+', FALSE },
	};
	g_autoptr(GBytes) s = secret(FALSE);

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autofree char *key = dm_reply_key_make(s, rows[i].ticket, rows[i].agent);
		g_autofree char *addr = dm_reply_address("support@example.org", rows[i].sep, key);
		g_autofree char *seen = rows[i].upper ? g_ascii_strup(addr, -1) : g_strdup(addr);
		g_autofree char *back = dm_reply_key_from_address(seen, own, rows[i].sep);
		gint64 ticket = -1, agent = -1;

		assert_non_null(back);
		assert_int_equal(dm_reply_key_verify(s, back, &ticket, &agent), DM_REPLY_KEY_VALID);
		assert_int_equal(ticket, rows[i].ticket);
		assert_int_equal(agent, rows[i].agent);
	}
}

/* A MAC of 10000 digits and a ticket number past gint64 are refused,
 * without a crash. */
static void
test_key_over_limit(void **state G_GNUC_UNUSED)
{
	g_autoptr(GBytes) s = secret(FALSE);
	g_autofree char *digits = g_strnfill(10000, 'a');
	g_autofree char *long_mac = g_strconcat("t12-", digits, NULL);
	gint64 ticket, agent;

	assert_int_equal(dm_reply_key_verify(s, long_mac, &ticket, &agent), DM_REPLY_KEY_INVALID);
	assert_int_equal(dm_reply_key_verify(s, "t99999999999999999999999-c045babb3d2bb84d69f1",
					     &ticket, &agent),
			 DM_REPLY_KEY_INVALID);
}

/* Prefixes far past any real subject: 40 are all stripped; 1000 (over
 * the module's bound) end without a hang or a crash, and what is left
 * still ends in the real subject. */
static void
test_clean_over_limit(void **state G_GNUC_UNUSED)
{
	GString *forty = g_string_new(NULL);
	GString *thousand = g_string_new(NULL);

	for (int i = 0; i < 40; i++)
		g_string_append(forty, "Re: ");
	g_string_append(forty, "Printer");
	for (int i = 0; i < 1000; i++)
		g_string_append(thousand, i % 2 ? "Fwd: " : "Re[2]: ");
	g_string_append(thousand, "Printer [Support #12]");

	g_autofree char *a = dm_thread_clean_subject(forty->str, TAG);
	g_autofree char *b = dm_thread_clean_subject(thousand->str, TAG);

	assert_string_equal(a, "Printer");
	assert_non_null(b);
	assert_true(g_str_has_suffix(b, "Printer"));
	assert_true(strlen(b) < thousand->len);
	assert_int_equal(dm_thread_find_tag(thousand->str, TAG), 12);
	g_string_free(forty, TRUE);
	g_string_free(thousand, TRUE);
}

/* A 64 KiB subject (the default header limit) full of near misses of
 * our tag is scanned to the end and the tag after them is found.  (Its
 * cost is the benchmark's to measure; the scan is linear.) */
static void
test_tag_over_limit(void **state G_GNUC_UNUSED)
{
	GString *s = g_string_new(NULL);

	while (s->len < 64 * 1024 - 32)
		g_string_append(s, "[Support #x");
	g_string_append(s, " [Support #77]");

	assert_int_equal(dm_thread_find_tag(s->str, TAG), 77);
	g_autofree char *clean = dm_thread_clean_subject(s->str, TAG);
	assert_non_null(clean);
	assert_null(strstr(clean, "#77"));
	g_string_free(s, TRUE);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_key_vector),
		cmocka_unit_test(test_key_round_trip),
		cmocka_unit_test(test_key_over_limit),
		cmocka_unit_test(test_clean_over_limit),
		cmocka_unit_test(test_tag_over_limit),
	};
	g_autoptr(GArray) tests = dm_tests_new();

	DM_TESTS_ADD_ROWS(tests, tag_cases, name, test_find_tag);
	DM_TESTS_ADD_ROWS(tests, clean_cases, name, test_clean_subject);
	DM_TESTS_ADD_ROWS(tests, key_cases, name, test_key);
	DM_TESTS_ADD_ROWS(tests, garbage_cases, name, test_garbage);
	DM_TESTS_ADD_ROWS(tests, from_address_cases, name, test_from_address);
	DM_TESTS_ADD_ROWS(tests, reply_address_cases, name, test_reply_address);
	g_array_append_vals(tests, fixed, G_N_ELEMENTS(fixed));
	return dm_tests_run("thread", tests, NULL, NULL);
}
