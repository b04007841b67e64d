/* test-charset.c - unit tests for the charset conversion (src/charset.h).
 *
 * Each row of the table below is one test: bytes, the charset the part
 * declares, the fallback list, and the UTF-8 text and "guessed" flag that
 * dm_charset_to_utf8() must give.  Whatever the row, the output must be
 * valid UTF-8.  The tests after the table cover the smaller promises. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "charset.h"
#include "message.h"
#include "table-tests.h"

/* Bytes with an explicit length, so that rows may hold NUL bytes. */
#define BYTES(s) (s), (sizeof(s) - 1)

/* The help desk's fallback list, as in the default configuration. */
static const char *const desk_fallbacks[] = {
	"utf-8", "windows-1250", "iso-8859-2", "windows-1252", NULL
};

/* A list under which some bytes decode in no charset at all. */
static const char *const utf8_only[] = { "utf-8", NULL };

/* A list whose order decides what 0xE8 means: "è", not "č". */
static const char *const western_first[] = { "windows-1252", "windows-1250", NULL };

struct charset_case {
	const char *name;
	const char *data;
	gsize len;
	const char *declared;
	const char *const *fallbacks;
	const char *want;
	gboolean want_guessed;
};

static const struct charset_case cases[] = {
	/* A declared charset that decodes cleanly is used as it is. */
	{ "declared iso-8859-2", BYTES("\xf5 \xfb"), "iso-8859-2", desk_fallbacks,
	  "ő ű", FALSE },
	{ "declared ISO-8859-2 in capitals", BYTES("\xf5 \xfb"), "ISO-8859-2", desk_fallbacks,
	  "ő ű", FALSE },
	{ "declared windows-1250", BYTES("\xe8 \x9a \x9e"), "windows-1250", desk_fallbacks,
	  "č š ž", FALSE },
	/* 0xA4 is the euro sign in iso-8859-15 but "¤" in iso-8859-1. */
	{ "declared iso-8859-15", BYTES("\xa4 \xe4"), "iso-8859-15", desk_fallbacks,
	  "€ ä", FALSE },
	{ "declared windows-1252", BYTES("\x93Hi\x94 \x91x\x92"), "windows-1252", desk_fallbacks,
	  "\u201cHi\u201d \u2018x\u2019", FALSE },
	{ "declared utf-8", BYTES("P\xc5\x99\xc3\xadli\xc5\xa1"), "utf-8", desk_fallbacks,
	  "Příliš", FALSE },
	{ "declared us-ascii, 7-bit", BYTES("hello"), "us-ascii", desk_fallbacks,
	  "hello", FALSE },

	/* No declaration and only ASCII: nothing was guessed. */
	{ "undeclared ascii", BYTES("plain text"), NULL, desk_fallbacks,
	  "plain text", FALSE },
	/* No declaration but valid UTF-8: the text comes through, and
	 * *guessed is TRUE because the code sets it whenever the declared
	 * charset was not used and the bytes are not pure ASCII; UTF-8 was
	 * found by the fallback list, not declared. */
	{ "undeclared utf-8", BYTES("P\xc5\x99\xc3\xadli\xc5\xa1"), NULL, desk_fallbacks,
	  "Příliš", TRUE },
	{ "empty declared charset", BYTES("P\xc5\x99\xc3\xadli\xc5\xa1"), "", desk_fallbacks,
	  "Příliš", TRUE },
	/* Not UTF-8, so the second entry, windows-1250, wins. */
	{ "undeclared windows-1250", BYTES("\xe8 \x9a \x9e"), NULL, desk_fallbacks,
	  "č š ž", TRUE },
	{ "fallback order decides", BYTES("\xe8"), NULL, western_first,
	  "è", TRUE },

	/* A declared charset that is wrong falls back to the list. */
	{ "declared utf-8, bytes windows-1250", BYTES("\xe8 \x9a \x9e"), "utf-8", desk_fallbacks,
	  "č š ž", TRUE },
	{ "declared us-ascii, 8-bit bytes", BYTES("\xe8 \x9a \x9e"), "us-ascii", desk_fallbacks,
	  "č š ž", TRUE },
	{ "declared unknown charset", BYTES("\xe8 \x9a \x9e"), "x-unknown-foo", desk_fallbacks,
	  "č š ž", TRUE },
	{ "declared unknown charset, ascii", BYTES("plain"), "x-unknown-foo", desk_fallbacks,
	  "plain", FALSE },

	/* Stateful charsets: pure 7-bit bytes that only iconv can read. */
	{ "declared iso-2022-jp", BYTES("\x1b$B$3$s$K$A$O\x1b(B"), "iso-2022-jp", desk_fallbacks,
	  "こんにちは", FALSE },
	{ "declared utf-7", BYTES("Hi +AMk-"), "utf-7", desk_fallbacks,
	  "Hi É", FALSE },

	/* UTF-16 is made of NUL bytes, which must not be stripped first. */
	{ "declared utf-16le", BYTES("a\0h\0o\0j\0 \0Y\x01"), "utf-16le", desk_fallbacks,
	  "ahoj ř", FALSE },
	{ "declared utf-16be", BYTES("\0a\0h\0o\0j\0 \x01Y"), "utf-16be", desk_fallbacks,
	  "ahoj ř", FALSE },
	{ "declared utf-16, little-endian BOM", BYTES("\xff\xfe" "a\0h\0o\0j\0 \0Y\x01"), "utf-16",
	  desk_fallbacks, "ahoj ř", FALSE },
	{ "declared UTF-16, big-endian BOM", BYTES("\xfe\xff" "\0a\0h\0o\0j\0 \x01Y"), "UTF-16",
	  desk_fallbacks, "ahoj ř", FALSE },

	/* NUL bytes carry no text in any 8-bit charset. */
	{ "NUL bytes, ascii", BYTES("a\0b\0\0c"), NULL, desk_fallbacks,
	  "abc", FALSE },
	{ "NUL bytes, declared iso-8859-2", BYTES("\xf5\0\xfb"), "iso-8859-2", desk_fallbacks,
	  "őű", FALSE },
	{ "NUL bytes, undeclared windows-1250", BYTES("\0\xe8\0"), NULL, desk_fallbacks,
	  "č", TRUE },

	/* Every line ending becomes LF. */
	{ "CRLF and lone CR", BYTES("a\r\nb\rc\nd\r\n"), NULL, desk_fallbacks,
	  "a\nb\nc\nd\n", FALSE },
	{ "CR CR LF", BYTES("a\r\r\nb"), NULL, desk_fallbacks,
	  "a\n\nb", FALSE },
	{ "CRLF, declared windows-1250", BYTES("\xe8\r\n\x9a\r"), "windows-1250", desk_fallbacks,
	  "č\nš\n", FALSE },

	/* Bytes no charset in the list accepts: one U+FFFD per bad byte. */
	{ "invalid in every fallback", BYTES("\xff\xfe\x80"), NULL, utf8_only,
	  "\ufffd\ufffd\ufffd", TRUE },
	{ "invalid, declared utf-8", BYTES("ok \xff end"), "utf-8", utf8_only,
	  "ok \ufffd end", TRUE },
	{ "no fallback list", BYTES("caf\xe9"), NULL, NULL,
	  "caf\ufffd", TRUE },

	{ "empty input", BYTES(""), NULL, desk_fallbacks, "", FALSE },
	{ "empty input, declared", BYTES(""), "iso-8859-2", desk_fallbacks, "", FALSE },
	{ "empty input, declared utf-16", BYTES(""), "utf-16", desk_fallbacks, "", FALSE },
};

static void
assert_utf8(const char *s)
{
	assert_non_null(s);
	if (!g_utf8_validate(s, -1, NULL))
		fail_msg("output is not valid UTF-8: \"%s\"", s);
}

static void
test_case(void **state)
{
	const struct charset_case *c = *state;
	/* A value the function must overwrite either way. */
	gboolean guessed = 2;
	char *got = dm_charset_to_utf8(c->data, c->len, c->declared, c->fallbacks, &guessed);
	char *out;

	/* Into memory cmocka tracks, so that a failed assertion, which
	 * leaves the test early, does not leak it. */
	assert_non_null(got);
	out = test_malloc(strlen(got) + 1);
	strcpy(out, got);
	g_free(got);

	assert_utf8(out);
	assert_string_equal(out, c->want);
	assert_int_equal(guessed, c->want_guessed);
	test_free(out);
}

/* GUESSED may be NULL. */
static void
test_guessed_may_be_null(void **state G_GNUC_UNUSED)
{
	char *out = dm_charset_to_utf8(BYTES("\xe8"), NULL, desk_fallbacks, NULL);

	assert_string_equal(out, "č");
	g_free(out);
}

/* The input is read only LEN bytes far and never changed. */
static void
test_input_untouched(void **state G_GNUC_UNUSED)
{
	char data[] = "a\r\nb\0c\xe8XYZ";
	char copy[sizeof data];
	gboolean guessed;

	memcpy(copy, data, sizeof data);
	/* Stop before "XYZ": the bytes beyond LEN must not appear. */
	char *out = dm_charset_to_utf8(data, 7, NULL, desk_fallbacks, &guessed);

	assert_string_equal(out, "a\nbcč");
	assert_true(guessed);
	assert_memory_equal(data, copy, sizeof data);
	g_free(out);
}

/* Every byte value, alone, gives valid UTF-8 under the desk's list, and
 * under a list that accepts nothing but UTF-8. */
static void
test_every_byte(void **state G_GNUC_UNUSED)
{
	for (int b = 0; b < 256; b++) {
		char byte = (char) b;
		char *a = dm_charset_to_utf8(&byte, 1, NULL, desk_fallbacks, NULL);
		char *u = dm_charset_to_utf8(&byte, 1, "us-ascii", utf8_only, NULL);

		assert_utf8(a);
		assert_utf8(u);
		g_free(a);
		g_free(u);
	}
}

struct newline_case {
	const char *in;
	const char *want;
};

static const struct newline_case newline_cases[] = {
	{ "", "" },
	{ "no breaks", "no breaks" },
	{ "a\nb", "a\nb" },
	{ "a\r\nb", "a\nb" },
	{ "a\rb", "a\nb" },
	{ "\r\n\r\n", "\n\n" },
	{ "\r\r", "\n\n" },
	{ "\n\r", "\n\n" },
	{ "end\r", "end\n" },
	{ "č\r\nš", "č\nš" },
};

static void
test_normalise_newlines(void **state G_GNUC_UNUSED)
{
	for (gsize i = 0; i < G_N_ELEMENTS(newline_cases); i++) {
		char *s = g_strdup(newline_cases[i].in);

		/* It works in place and returns its argument. */
		assert_ptr_equal(dm_text_normalise_newlines(s), s);
		assert_string_equal(s, newline_cases[i].want);
		g_free(s);
	}
}

/* charset.c asks GMime for iconv names, so GMime must be set up first,
 * as the parser does before it converts any part. */
static int
group_setup(void **state G_GNUC_UNUSED)
{
	dm_message_init();
	return 0;
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_guessed_may_be_null),
		cmocka_unit_test(test_input_untouched),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_normalise_newlines),
	};
	g_autoptr(GArray) tests = dm_tests_new();

	DM_TESTS_ADD_ROWS(tests, cases, name, test_case);
	g_array_append_vals(tests, fixed, G_N_ELEMENTS(fixed));
	return dm_tests_run("charset", tests, group_setup, NULL);
}
