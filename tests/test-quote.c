/* test-quote.c - unit tests for reply and forward stripping (src/quote.h).
 *
 * The reply corpus is tests/data/replies/NAME.txt, a reply body as the
 * parser gives it, with NAME.expected, exactly what must be relayed (one
 * line end at the end of the file is not part of it, so an empty file
 * expects "").  Every pair found becomes one test, so a new fixture needs
 * no code; a NAME.txt without its NAME.expected fails, so a forgotten
 * file cannot pass silently.  The fwd-*.txt files are forwards, checked
 * by the table below.  Every output is also checked for what quote.h
 * promises of any output (valid UTF-8, no blank line at either end or
 * twice in a row, no blanks at a line end) and for being a fixed point:
 * stripping it again changes nothing.
 *
 * Then tables for dm_quote_is_header_line(), edge cases (NULL, empty,
 * only a quote, CRLF, invalid UTF-8, upper-case markers), and texts of
 * a megabyte in the shapes that would be quadratic in a careless
 * implementation.  Those only check the result: a quadratic algorithm
 * shows up as a test run that takes minutes, never as a flaky timing
 * assertion. */
#include "dm-autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "quote.h"
#include "quote-private.h"
#include "table-tests.h"

#ifndef DM_TEST_DATA_DIR
#define DM_TEST_DATA_DIR "tests/data"
#endif

#define REPLIES_DIR DM_TEST_DATA_DIR "/replies"

/* The brief asks for at least this many reply pairs; fewer means the
 * directory was not found or fixtures went missing. */
#define MIN_REPLY_FIXTURES 20

/* Issue 20: at least this many fixtures per language of the table, and
 * the share that must come out exactly right. */
#define MIN_FIXTURES_PER_LANGUAGE 4
#define MIN_EXACT_PERCENT 98

#define MEGABYTE (1024 * 1024)

/* The markers as a desk with sl, fi and hu notifications configures them. */
static const char *const markers[] = {
	"##- Odgovorite nad to črto / Reply above this line -##",
	"##- Vastaa tämän rivin yläpuolelle / Reply above this line -##",
	"##- Válaszoljon e sor fölé / Reply above this line -##",
	"##- Reply above this line -##",
	NULL,
};

/* What every result of dm_quote_strip() must be. */
static void
check_output(const char *out)
{
	assert_non_null(out);
	assert_true(g_utf8_validate(out, -1, NULL));
	if (*out == '\0')
		return;
	assert_true(out[0] != '\n');
	assert_true(out[strlen(out) - 1] != '\n');
	assert_null(strstr(out, "\n\n\n"));
	assert_null(strstr(out, " \n"));
	assert_null(strstr(out, "\t\n"));
	assert_true(!g_str_has_suffix(out, " ") && !g_str_has_suffix(out, "\t"));
}

/* Strip TEXT with the desk's markers, check the result's form and that
 * it is a fixed point.  Caller frees with g_free. */
static char *
strip_checked(const char *text)
{
	char *out = dm_quote_strip(text, markers);
	char *again;

	check_output(out);
	again = dm_quote_strip(out, markers);
	assert_string_equal(again, out);
	g_free(again);
	return out;
}

static char *
read_fixture(const char *name, const char *suffix)
{
	char *path = g_strdup_printf("%s/%s%s", REPLIES_DIR, name, suffix);
	char *data = NULL;
	GError *error = NULL;

	if (!g_file_get_contents(path, &data, NULL, &error)) {
		print_error("%s: %s\n", path, error->message);
		g_error_free(error);
		g_free(path);
		fail();
	}
	g_free(path);
	return data;
}

/* ---- The reply corpus. */

static void
test_reply_fixture(void **state)
{
	const char *name = *state;
	char *text = read_fixture(name, ".txt");
	char *want = read_fixture(name, ".expected");
	gsize len = strlen(want);
	char *out;

	if (len > 0 && want[len - 1] == '\n')
		want[len - 1] = '\0';
	out = strip_checked(text);
	assert_string_equal(out, want);
	g_free(out);
	g_free(want);
	g_free(text);
}

/* Qsort-style comparison for g_ptr_array_sort, which passes pointers to
 * the elements. */
static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names (without .txt) of the reply fixtures, sorted.  Caller frees
 * with g_ptr_array_unref. */
static GPtrArray *
list_reply_fixtures(void)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GDir *dir = g_dir_open(REPLIES_DIR, 0, NULL);
	const char *entry;

	if (!dir)
		return names;
	while ((entry = g_dir_read_name(dir)) != NULL)
		if (g_str_has_suffix(entry, ".txt") && !g_str_has_prefix(entry, "fwd-"))
			g_ptr_array_add(names, g_strndup(entry, strlen(entry) - 4));
	g_dir_close(dir);
	g_ptr_array_sort(names, compare_names);
	return names;
}

static GPtrArray *fixture_names;

static void
test_fixture_count(void **state G_GNUC_UNUSED)
{
	if (fixture_names->len < MIN_REPLY_FIXTURES)
		print_error("only %u reply fixtures in %s\n", fixture_names->len, REPLIES_DIR);
	assert_true(fixture_names->len >= MIN_REPLY_FIXTURES);
}

/* The language of fixture NAME: the first part of the name that is a
 * language code of the table ("gmail-html-de-unquoted" is "de"), or
 * "other". */
static const char *
fixture_language(const char *name)
{
	g_auto(GStrv) parts = g_strsplit(name, "-", -1);

	for (gsize i = 0; parts[i]; i++)
		for (const struct dm_quote_lang *lang = dm_quote_langs; lang->code; lang++)
			if (strcmp(parts[i], lang->code) == 0)
				return lang->code;
	return "other";
}

/* Some line of WANT is missing from GOT: the agent's words were cut. */
static gboolean
is_cut(const char *got, const char *want)
{
	g_auto(GStrv) want_lines = g_strsplit(want, "\n", -1);
	g_auto(GStrv) got_lines = g_strsplit(got, "\n", -1);

	for (gsize i = 0; want_lines[i]; i++)
		if (*want_lines[i] && !g_strv_contains((const char *const *) got_lines, want_lines[i]))
			return TRUE;
	return FALSE;
}

static void
count_in(GHashTable *table, const char *key, gboolean exact)
{
	int *c = g_hash_table_lookup(table, key);

	if (!c) {
		c = g_new0(int, 2);
		g_hash_table_insert(table, g_strdup(key), c);
	}
	c[0]++;
	if (exact)
		c[1]++;
}

static void
print_counts(const char *title, GHashTable *table)
{
	g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(table), (GCompareFunc) strcmp);

	print_message("%s:", title);
	for (GList *k = keys; k; k = k->next) {
		int *c = g_hash_table_lookup(table, k->data);

		print_message(" %s %d/%d", (const char *) k->data, c[1], c[0]);
	}
	print_message("\n");
}

/* The measure of issue 20 over the whole corpus: per client (the first
 * part of the name) and per language, how many fixtures and how many
 * exactly right; overall at least MIN_EXACT_PERCENT exact, none cut
 * (an expected line missing) and none empty where text was expected.
 * Every language of the table has MIN_FIXTURES_PER_LANGUAGE fixtures. */
static void
test_corpus_figures(void **state G_GNUC_UNUSED)
{
	g_autoptr(GHashTable) by_client = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) by_lang = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	int total = 0, exact = 0, cut = 0, empty = 0;
	gboolean few = FALSE;

	for (guint i = 0; i < fixture_names->len; i++) {
		const char *name = g_ptr_array_index(fixture_names, i);
		g_autofree char *text = read_fixture(name, ".txt");
		g_autofree char *want = read_fixture(name, ".expected");
		g_autofree char *client = g_strndup(name, strcspn(name, "-"));
		g_autofree char *out = NULL;
		gsize len = strlen(want);
		gboolean same;

		if (len > 0 && want[len - 1] == '\n')
			want[len - 1] = '\0';
		out = dm_quote_strip(text, markers);
		same = strcmp(out, want) == 0;
		total++;
		exact += same;
		if (is_cut(out, want)) {
			print_error("cut: %s\n", name);
			cut++;
		}
		if (*want && !*out) {
			print_error("empty: %s\n", name);
			empty++;
		}
		count_in(by_client, client, same);
		count_in(by_lang, fixture_language(name), same);
	}
	print_counts("by client (exact/fixtures)", by_client);
	print_counts("by language (exact/fixtures)", by_lang);
	print_message("replies: %d, exact %d (%.1f %%), cut %d, empty %d\n", total, exact,
		      total ? 100.0 * exact / total : 0.0, cut, empty);
	for (const struct dm_quote_lang *lang = dm_quote_langs; lang->code; lang++) {
		int *c = g_hash_table_lookup(by_lang, lang->code);

		if (!c || c[0] < MIN_FIXTURES_PER_LANGUAGE) {
			print_error("language %s has %d fixtures\n", lang->code, c ? c[0] : 0);
			few = TRUE;
		}
	}
	assert_false(few);
	assert_true(total > 0 && exact * 100 >= total * MIN_EXACT_PERCENT);
	assert_int_equal(cut, 0);
	assert_int_equal(empty, 0);
}

/* Every string of the table is written as dm_quote_fold() leaves it, or
 * it could never match. */
static void
check_folded_list(const char *code, const char *const *list, gboolean *bad)
{
	for (; *list; list++) {
		g_autofree char *f = dm_quote_fold(*list, strlen(*list));

		if (strcmp(f, *list) != 0) {
			print_error("%s: \"%s\" is not folded (\"%s\")\n", code, *list, f);
			*bad = TRUE;
		}
	}
}

static void
test_patterns_folded(void **state G_GNUC_UNUSED)
{
	gboolean bad = FALSE;

	for (const struct dm_quote_lang *lang = dm_quote_langs; lang->code; lang++) {
		check_folded_list(lang->code, lang->openers, &bad);
		check_folded_list(lang->code, lang->verbs, &bad);
		check_folded_list(lang->code, lang->verb_words, &bad);
		check_folded_list(lang->code, lang->original_titles, &bad);
		check_folded_list(lang->code, lang->forward_titles, &bad);
		check_folded_list(lang->code, lang->forward_intros, &bad);
		check_folded_list(lang->code, lang->mobile, &bad);
		for (const struct dm_quote_field_name *fn = lang->fields; fn->name; fn++)
			check_folded_list(lang->code, (const char *const[]) { fn->name, NULL }, &bad);
	}
	check_folded_list("devices", dm_quote_device_words, &bad);
	assert_false(bad);
}

/* ---- dm_quote_is_header_line(). */

struct header_case {
	const char *line;
	gboolean want;
};

static const struct header_case header_cases[] = {
	/* English: Thunderbird, Gmail, Apple, Outlook for Mac, mutt. */
	{ "On Tue, 24 Nov 2026 at 10:00, Ana <ana@example.com> wrote:", TRUE },
	{ "On 24/11/2026 10:00, Ana Novak wrote:", TRUE },
	{ "On 24 Nov 2026, at 10:00, Ana <ana@example.com> wrote:", TRUE },
	{ "On Tue, Nov 24, 2026 at 10:00\u202fAM Ana Novak <ana@example.com> wrote:", TRUE },
	{ "On 24/11/2026, 10:00, \"Ana Novak\" <ana@example.com> wrote:", TRUE },
	{ "Ana Novak <ana@example.com> wrote:", TRUE },
	{ "Ana Novak wrote on 24/11/2026 10:00:", TRUE },
	{ "ON 24/11/2026 10:00, ANA NOVAK WROTE:", TRUE },
	{ "\u00a0 On 24/11/2026 10:00, Ana wrote:\u00a0", TRUE },
	{ "* Ana Novak <ana@example.com> [2026-11-24 10:00]:", TRUE },
	/* Slovenian: Thunderbird, Gmail, Apple. */
	{ "Dne 24. 11. 2026 ob 10:00 je Ana Novak napisal:", TRUE },
	{ "Dne 24. 11. 2026 ob 10:00 je Ana Novak napisal(a):", TRUE },
	{ "V tor., 24. nov. 2026 ob 10:00 je oseba Ana Novak <ana@example.com> napisala:", TRUE },
	{ "24. nov. 2026 ob 10:00 je Ana <ana@example.com> napisal(a):", TRUE },
	/* Finnish: Gmail, Apple, Thunderbird. */
	{ "Ana Novak <ana@example.com> kirjoitti ti 24.11.2026 klo 10.00:", TRUE },
	{ "24.11.2026 kello 10.00, Ana <ana@example.com> kirjoitti:", TRUE },
	{ "Ana Novak kirjoitti 24.11.2026 klo 10.00:", TRUE },
	/* Hungarian: Gmail, Thunderbird, Apple; the last with a decomposed í. */
	{ "Ana <ana@example.com> ezt írta (időpont: 2026. nov. 24., K, 10:00):", TRUE },
	{ "2026. 11. 24. 10:00 keltezéssel, Ana Novak írta:", TRUE },
	{ "2026. nov. 24. dátummal, 10:00 időpontban Ana <ana@example.com> írta:", TRUE },
	{ "Ana <ana@example.com> ezt i\u0301rta (időpont: 2026. nov. 24., K, 10:00):", TRUE },
	/* Outlook's separators. */
	{ "-----Original Message-----", TRUE },
	{ "  -----ORIGINAL MESSAGE-----  ", TRUE },
	{ "-------- Original Message --------", TRUE },
	{ "-----Izvirno sporočilo-----", TRUE },
	{ "-----Alkuperäinen viesti-----", TRUE },
	{ "-----Eredeti üzenet-----", TRUE },
	/* Issue 20: the other languages and the English variants. */
	{ "-----Ursprüngliche Nachricht-----", TRUE },
	{ "-----Message d'origine-----", TRUE },
	{ "-----Исходное сообщение-----", TRUE },
	{ "Am 24.11.2026 um 10:00 schrieb Ana Novak:", TRUE },
	{ "Le 24/11/2026 à 10:00, Ana Novak a écrit :", TRUE },
	{ "Op 24-11-2026 om 10:00 schreef Ana Novak:", TRUE },
	{ "Den 24 nov. 2026 kl 10:00 skrev Ana <ana@example.com>:", TRUE },
	{ "W dniu 24.11.2026 o 10:00, Ana Novak pisze:", TRUE },
	{ "24.11.2026 10:00, Ana Novak пишет:", TRUE },
	{ "El 24/11/26 a las 10:00, Ana Novak escribió:", TRUE },
	{ "Il 24/11/2026 10:00, Ana Novak ha scritto:", TRUE },
	{ "Em 24/11/2026 10:00, Ana Novak escreveu:", TRUE },
	{ "Dne 24. 11. 26 v 10:00 Ana Novak napsal(a):", TRUE },
	{ "Dana 24.11.2026. u 10:00, Ana Novak je napisao:", TRUE },
	{ "Ana Novak kirjutas 24.11.2026 10:00:", TRUE },
	{ "On Tue, Nov 24, 2026 at 10:00 AM Ana <notifications@github.com>wrote:", TRUE },
	{ "2026-11-24 10:00 GMT+01:00 Ana <ana@example.com>:", TRUE },
	{ "---- Ana Novak wrote ----", TRUE },
	{ "---- Ana Novak skrev ----", TRUE },
	{ ">>> Ana Novak <ana@example.com> 24.11.2026 10:00 >>>", TRUE },
	{ "Der Kunde schrieb:", FALSE },
	{ "Le client a écrit :", FALSE },
	{ "Klient napisał(a):", FALSE },
	{ "Ana <ana@example.com>:", FALSE },
	{ ">>> see below >>>", FALSE },

	/* Prose that ends in the verb without a date, time or address is
	 * the agent's: only the clients' forms carry one of those. */
	{ "This is what the customer wrote:", FALSE },
	{ "Ana wrote:", FALSE },
	{ "On Monday the customer wrote:", FALSE },
	{ "Stranka je napisala:", FALSE },
	{ "Asiakas kirjoitti:", FALSE },
	{ "Az ügyfél ezt írta:", FALSE },
	/* "leírta" (wrote down) is not "írta". */
	{ "Az ügyfél 2026-ban leírta:", FALSE },
	/* The verb must end the line (en, sl). */
	{ "On 24/11/2026 10:00, Ana wrote: see below", FALSE },
	{ "On 24/11/2026 10:00, Ana wrote", FALSE },
	/* Quoted headers belong to the quote. */
	{ "> On 24/11/2026 10:00, Ana wrote:", FALSE },
	/* One field line is not Outlook's block. */
	{ "From: Ana <ana@example.com>", FALSE },
	{ "Sent: Tuesday, November 24, 2026 10:00 AM", FALSE },
	/* Forward separators are not reply headers. */
	{ "---------- Forwarded message ---------", FALSE },
	{ "Begin forwarded message:", FALSE },
	{ "-- ", FALSE },
	{ "--", FALSE },
	{ "-----", FALSE },
	{ "-----Something else-----", FALSE },
	{ "Sent from my iPhone", FALSE },
	{ "", FALSE },
	{ "   ", FALSE },
	{ "Hello", FALSE },
};

static void
test_header_lines(void **state G_GNUC_UNUSED)
{
	gboolean failed = FALSE;

	for (gsize i = 0; i < G_N_ELEMENTS(header_cases); i++) {
		gboolean got = dm_quote_is_header_line(header_cases[i].line);

		if (got != header_cases[i].want) {
			print_error("\"%s\": got %d, want %d\n", header_cases[i].line, got,
				    header_cases[i].want);
			failed = TRUE;
		}
	}
	assert_false(failed);
}

static void
test_header_line_edges(void **state G_GNUC_UNUSED)
{
	GString *longline = g_string_new("On 24/11/2026 10:00, ");

	assert_false(dm_quote_is_header_line(NULL));
	/* Invalid UTF-8 is read, not trusted. */
	assert_true(dm_quote_is_header_line("On 24/11/2026 10:00, \xff\xfe Ana wrote:"));
	assert_false(dm_quote_is_header_line("\xff\xfe\xfd"));
	/* A paragraph (one line after HTML conversion) is never a header. */
	while (longline->len < 600)
		g_string_append(longline, "and then the customer said something more ");
	g_string_append(longline, "wrote:");
	assert_false(dm_quote_is_header_line(longline->str));
	g_string_free(longline, TRUE);
}

/* ---- Edge cases of dm_quote_strip(). */

struct strip_case {
	const char *name;
	const char *text;
	const char *const *markers;
	const char *want;
};

static const char *const no_markers[] = { NULL };
static const char *const empty_markers[] = { "", "   ", NULL };
static const char *const upper_marker[] = { "##- ODGOVORITE NAD TO ČRTO", NULL };

static const struct strip_case strip_cases[] = {
	{ "NULL text", NULL, markers, "" },
	{ "empty text", "", markers, "" },
	{ "blank lines only", "\n \n\t\n\u00a0\n", markers, "" },
	{ "only a quote", "> one\n> two\n", markers, "" },
	{ "only a header and a quote", "On 24/11/2026 10:00, Ana wrote:\n> one\n", markers, "" },
	{ "only a marker", "##- Reply above this line -##\nold text\n", markers, "" },
	{ "no line end", "just this", markers, "just this" },
	{ "CRLF line ends", "Answer.\r\n\r\nOn 24/11/2026 10:00, Ana wrote:\r\n> q\r\n", markers,
	  "Answer." },
	{ "invalid UTF-8 replaced", "Ans\xffwer.\n", markers, "Ans\xef\xbf\xbdwer." },
	{ "NULL markers", "Answer.\n##- Reply above this line -##\n", NULL,
	  "Answer.\n##- Reply above this line -##" },
	{ "no markers", "Answer.\n##- Reply above this line -##\n", no_markers,
	  "Answer.\n##- Reply above this line -##" },
	{ "empty markers match nothing", "Answer.\nMore.\n", empty_markers, "Answer.\nMore." },
	{ "marker in another case", "Odgovor.\n##- odgovorite nad to črto / Reply above -##\nstaro\n",
	  upper_marker, "Odgovor." },
	{ "marker inside a longer line", "Answer.\n> >> ##- Reply above this line -## <<\n\nBelow.\n",
	  markers, "Answer.\n\nBelow." },
	{ "unquoted marker ends even inline answers",
	  "On 24/11/2026 10:00, Ana wrote:\n> q\n\nAnswer.\n##- Reply above this line -##\nAfter.\n",
	  markers, "Answer." },
	{ "signature delimiter without blank", "Answer.\n--\nAna\n", markers, "Answer." },
	{ "dashes in prose are not a signature", "Answer -- really.\n---\nMore.\n", markers,
	  "Answer -- really.\n---\nMore." },
	{ "separator left at the end", "Answer.\n\n__________\n-----\n", markers, "Answer." },
	{ "quoted runs leave one blank line", "A1.\n> q\nA2.\n", markers, "A1.\n\nA2." },
	{ "indentation kept", "Steps:\n    run it\n\ttab\n", markers, "Steps:\n    run it\n\ttab" },
	{ "header without a following line", "Answer.\nOn 24/11/2026 10:00, Ana wrote:", markers,
	  "Answer." },
	{ "two field lines without a sender or date are prose",
	  "To: everyone on the list\nCc: the managers\nThanks.\n", markers,
	  "To: everyone on the list\nCc: the managers\nThanks." },
	{ "a sender and a recipient alone are prose",
	  "From: the logs\nTo: the vendor it goes\nThanks.\n", markers,
	  "From: the logs\nTo: the vendor it goes\nThanks." },
	{ "Outlook block with blank lines between fields",
	  "Answer.\n\nFrom: Help <h@example.com>\n\nSent: Tuesday 10:00\n\nold\n", markers,
	  "Answer." },
	{ "bold field names", "Answer.\n\n*From:* Help <h@example.com>\n*Sent:* Tuesday 10:00\nold\n",
	  markers, "Answer." },
	{ "mobile signature in the middle is dropped", "One.\nSent from my iPhone\nTwo.\n", markers,
	  "One.\nTwo." },
	{ "mobile signatures of other languages",
	  "Eins.\nVon meinem iPhone gesendet\nZwei.\nEnvoyé de mon iPhone\nLähetetty iPhonesta\n"
	  "Sent from my iPhone 15 Pro.\nSent from Mail for Windows\nGet Outlook for iOS\n",
	  markers, "Eins.\nZwei." },
	{ "a mobile signature must be the whole line",
	  "Sent from my desk, I checked the logs.\nSent from my desk\nEnvoyé de mon bureau\n", markers,
	  "Sent from my desk, I checked the logs.\nSent from my desk\nEnvoyé de mon bureau" },
	{ "text before an attribution on its line is kept",
	  "Yes. On 24/11/2026 10:00, Ana <ana@example.com> wrote:\n> q\n", markers, "Yes." },
	{ "AM after a time is not German's Am",
	  "Ok\nOn Tue, Nov 24, 2026 at 10:00 AM Help <h@example.com> wrote:\n> q\n", markers, "Ok" },
	{ "a forward in the answer stays, the marker still ends it",
	  "See below.\n---------- Weitergeleitete Nachricht ---------\nVon: V <v@example.com>\n"
	  "Date: Di., 24. Nov. 2026\n\n> old\nbody\n> ##- Reply above this line -##\nafter\n",
	  markers,
	  "See below.\n---------- Weitergeleitete Nachricht ---------\nVon: V <v@example.com>\n"
	  "Date: Di., 24. Nov. 2026\n\n> old\nbody" },
	{ "long line starting like a mobile signature is prose",
	  "Sent from my iPhone the photos did not arrive, please send them again by mail.\n",
	  markers,
	  "Sent from my iPhone the photos did not arrive, please send them again by mail." },
};

static void
test_strip_case(void **state)
{
	const struct strip_case *c = *state;
	char *out = dm_quote_strip(c->text, c->markers);

	check_output(out);
	assert_string_equal(out, c->want);
	g_free(out);
}

/* ---- Forwards. */

struct forward_case {
	const char *file; /* in tests/data/replies */
	const char *addr;
	const char *name;
	const char *subject;
	const char *body;
};

static const struct forward_case forward_cases[] = {
	{ "fwd-gmail", "marko.kranjc@example.com", "Marko Kranjc", "Printer prints blank pages",
	  "Hi Ana,\n\nthe printer on the 2nd floor prints blank pages.\n\nMarko" },
	{ "fwd-apple", "marko@example.com", "Novak, Marko", "VPN keeps disconnecting",
	  "Hi,\n\nthe VPN drops every ten minutes.\n\nMarko" },
	{ "fwd-thunderbird", "mojca.kralj@example.si", "Mojca Kralj", "Re: Invoice 2026-117 missing",
	  "Hello,\n\ninvoice 2026-117 is missing from the portal.\n\n"
	  "> On 20/11/2026 you wrote:\n> > We sent it.\n\nMojca" },
	{ "fwd-thunderbird-original", "tom@example.com", "", "Keyboard broken",
	  "The space bar sticks." },
	{ "fwd-outlook", "tom.smith@example.com", "Tom Smith",
	  "Projector in room 3 does not turn on",
	  "Hi Jane,\n\nthe projector in room 3 does not turn on.\n\nTom" },
	{ "fwd-outlook-html", "tom@example.com", "Tom Smith", "Projector",
	  "Hi Jane, the projector is broken." },
	{ "fwd-outlook-original", "tom@example.com", "Tom Smith", "Mouse", "My mouse is gone." },
	{ "fwd-outlook-sl", "zan.ceh@example.si", "Žan Čeh", "Geslo ne deluje",
	  "Geslo ne deluje več." },
	{ "fwd-sl", "mojca.kralj@example.si", "Mojca Kralj", "Težava s tiskalnikom – črna stran",
	  "Pozdravljeni,\n\ntiskalnik tiska samo črne strani.\n\nLp, Mojca" },
	{ "fwd-hu", "eva.kovacs@example.hu", "Kovács Éva", "Árvíztűrő tükörfúrógép nem működik",
	  "Jó napot!\n\nA gép nem indul el.\n\nÉva" },
	{ "fwd-fi", "sari.maki@example.fi", "Sari Mäki", "Näyttö välkkyy",
	  "Hei,\n\nnäyttö välkkyy jatkuvasti.\n\nSari" },
};

static void
test_forward_case(void **state)
{
	const struct forward_case *c = *state;
	char *text = read_fixture(c->file, ".txt");
	char *addr, *name, *subject, *body;

	assert_true(dm_quote_find_forward(text, &addr, &name, &subject, &body));
	assert_string_equal(addr, c->addr);
	assert_string_equal(name, c->name);
	assert_string_equal(subject, c->subject);
	assert_string_equal(body, c->body);
	g_free(addr);
	g_free(name);
	g_free(subject);
	g_free(body);
	g_free(text);
}

static void
test_forward_absent(void **state G_GNUC_UNUSED)
{
	static const char *const texts[] = {
		"",
		"Just a note.\n",
		"Answer.\n\nOn 24/11/2026 10:00, Ana wrote:\n> q\n",
		/* A reply's Outlook block has no subject here: not a forward. */
		"Answer.\n\nFrom: Help <h@example.com>\nSent: Tuesday 10:00\n\nold\n",
		"From: the logs\nTo: the vendor\n",
	};
	char *addr = (char *) "x", *name = (char *) "x", *subject = (char *) "x", *body = (char *) "x";

	assert_false(dm_quote_find_forward(NULL, &addr, &name, &subject, &body));
	assert_null(addr);
	assert_null(name);
	assert_null(subject);
	assert_null(body);
	for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
		assert_false(dm_quote_find_forward(texts[i], &addr, &name, &subject, &body));
		assert_null(addr);
		assert_null(body);
	}
}

static void
test_forward_edges(void **state G_GNUC_UNUSED)
{
	char *addr, *name, *subject, *body;

	/* Only the fields asked for. */
	assert_true(dm_quote_find_forward(
		"---------- Forwarded message ---------\nFrom: <ANA@Example.COM>\n\nHi\n", &addr,
		NULL, NULL, NULL));
	assert_string_equal(addr, "ana@example.com");
	g_free(addr);

	/* A separator with nothing after it, and a sender without an address. */
	assert_true(dm_quote_find_forward("Begin forwarded message:\n", &addr, &name, &subject,
					  &body));
	assert_string_equal(addr, "");
	assert_string_equal(name, "");
	assert_string_equal(subject, "");
	assert_string_equal(body, "");
	g_free(addr);
	g_free(name);
	g_free(subject);
	g_free(body);

	assert_true(dm_quote_find_forward("-------- Forwarded Message --------\n"
					  "From: Ana Novak\nSubject: x\n\nbody\n",
					  &addr, &name, &subject, &body));
	assert_string_equal(addr, "");
	assert_string_equal(name, "Ana Novak");
	assert_string_equal(body, "body");
	g_free(addr);
	g_free(name);
	g_free(subject);
	g_free(body);

	/* An implausible address is no address. */
	assert_true(dm_quote_find_forward("---------- Forwarded message ---------\n"
					  "From: Ana <ana@@example>\n\nbody\n",
					  &addr, &name, NULL, NULL));
	assert_string_equal(addr, "");
	assert_string_equal(name, "Ana");
	g_free(addr);
	g_free(name);

	/* "ana@x (Ana Novak)", the old form. */
	assert_true(dm_quote_find_forward("---------- Forwarded message ---------\n"
					  "From: ana@example.com (Ana Novak)\n\nbody\n",
					  &addr, &name, NULL, NULL));
	assert_string_equal(addr, "ana@example.com");
	assert_string_equal(name, "Ana Novak");
	g_free(addr);
	g_free(name);

	/* A reply is not a forward, whatever its quote header. */
	char *reply = read_fixture("thunderbird-en-top", ".txt");
	assert_false(dm_quote_find_forward(reply, &addr, &name, &subject, &body));
	g_free(reply);
}

/* ---- A megabyte in the shapes that could be quadratic. */

static void
test_megabyte_agent_text(void **state G_GNUC_UNUSED)
{
	GString *text = g_string_new(NULL), *want = g_string_new(NULL);
	char *out;

	for (int i = 0; text->len < MEGABYTE; i++) {
		g_string_append_printf(text, "Line %d of a very long answer.\n", i);
		g_string_append_printf(want, "%sLine %d of a very long answer.", i ? "\n" : "", i);
	}
	g_string_append(text, "\nOn 24/11/2026 10:00, Help Desk wrote:\n> ##- Reply above this line -##\n");
	out = dm_quote_strip(text->str, markers);
	assert_string_equal(out, want->str);
	g_free(out);
	g_string_free(text, TRUE);
	g_string_free(want, TRUE);
}

static void
test_megabyte_one_line(void **state G_GNUC_UNUSED)
{
	char *text = g_strnfill(MEGABYTE, 'a');
	char *out = dm_quote_strip(text, markers);
	char *addr;

	assert_string_equal(out, text);
	assert_false(dm_quote_find_forward(text, &addr, NULL, NULL, NULL));
	g_free(out);
	g_free(text);
}

/* Headers, quotes and answers alternating: every header looks ahead. */
static void
test_megabyte_inline_answers(void **state G_GNUC_UNUSED)
{
	GString *text = g_string_new(NULL);
	char *out;
	gsize answers = 0;

	while (text->len < MEGABYTE) {
		g_string_append(text, "On 24/11/2026 10:00, Help Desk wrote:\n> question\nanswer\n");
		answers++;
	}
	out = dm_quote_strip(text->str, markers);
	check_output(out);
	assert_int_equal(strlen(out), answers * strlen("answer\n\n") - 2);
	g_free(out);
	g_string_free(text, TRUE);
}

/* A megabyte of blank lines between a header and its quote, and of field
 * lines that never make a block: the look-aheads must not restart. */
static void
test_megabyte_lookahead(void **state G_GNUC_UNUSED)
{
	GString *text = g_string_new("Answer.\nOn 24/11/2026 10:00, Help Desk wrote:\n");
	char *out, *addr;

	while (text->len < MEGABYTE)
		g_string_append(text, "\n");
	g_string_append(text, "> q\nBelow.\n");
	out = dm_quote_strip(text->str, markers);
	assert_string_equal(out, "Answer.\n\nBelow.");
	g_free(out);

	g_string_truncate(text, 0);
	while (text->len < MEGABYTE)
		g_string_append(text, "To: x\nCc: y\n\n");
	out = dm_quote_strip(text->str, markers);
	check_output(out);
	assert_true(g_str_has_prefix(out, "To: x\nCc: y\n\nTo: x"));
	g_free(out);
	assert_false(dm_quote_find_forward(text->str, &addr, NULL, NULL, NULL));

	g_string_truncate(text, 0);
	while (text->len < MEGABYTE)
		g_string_append(text, "> quoted line that goes on\n");
	out = dm_quote_strip(text->str, markers);
	assert_string_equal(out, "");
	g_free(out);
	g_string_free(text, TRUE);
}

/* A forward with a megabyte of text. */
static void
test_megabyte_forward(void **state G_GNUC_UNUSED)
{
	GString *text = g_string_new("---------- Forwarded message ---------\n"
				     "From: Ana <ana@example.com>\nSubject: big\n\n");
	char *addr, *body;
	gsize body_start = text->len;

	while (text->len < MEGABYTE)
		g_string_append(text, "> x\n");
	assert_true(dm_quote_find_forward(text->str, &addr, NULL, NULL, &body));
	assert_string_equal(addr, "ana@example.com");
	assert_int_equal(strlen(body), text->len - body_start - 1);
	g_free(addr);
	g_free(body);
	g_string_free(text, TRUE);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_fixture_count),
		cmocka_unit_test(test_corpus_figures),
		cmocka_unit_test(test_patterns_folded),
		cmocka_unit_test(test_header_lines),
		cmocka_unit_test(test_header_line_edges),
		cmocka_unit_test(test_forward_absent),
		cmocka_unit_test(test_forward_edges),
		cmocka_unit_test(test_megabyte_agent_text),
		cmocka_unit_test(test_megabyte_one_line),
		cmocka_unit_test(test_megabyte_inline_answers),
		cmocka_unit_test(test_megabyte_lookahead),
		cmocka_unit_test(test_megabyte_forward),
	};
	g_autoptr(GArray) tests = dm_tests_new();
	int failed;

	fixture_names = list_reply_fixtures();
	/* One test per fixture and per table row, named after it. */
	for (guint i = 0; i < fixture_names->len; i++) {
		struct CMUnitTest t = { .name = g_ptr_array_index(fixture_names, i),
					.test_func = test_reply_fixture,
					.initial_state = g_ptr_array_index(fixture_names, i) };
		g_array_append_val(tests, t);
	}
	DM_TESTS_ADD_ROWS(tests, strip_cases, name, test_strip_case);
	DM_TESTS_ADD_ROWS(tests, forward_cases, file, test_forward_case);
	g_array_append_vals(tests, fixed, G_N_ELEMENTS(fixed));

	failed = dm_tests_run("quote", tests, NULL, NULL);
	g_ptr_array_unref(fixture_names);
	return failed;
}
