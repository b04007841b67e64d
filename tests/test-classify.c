/* test-classify.c - unit tests for topic and urgency classification
 * (src/classify.h, src/topics.h).
 *
 * Most tests are tables: folding, stems per language (with and without
 * diacritics, inflected forms), urgency phrases in the four languages,
 * held-out sentences for a tiny model, broken topics files.  The others
 * cover what is ignored (quotes, signatures), the subject weight, that a
 * rule beats the statistics, triage, that a partial model answers as the
 * full one, the limits, and the figures of 5-fold cross-validation over
 * the project's labelled help-desk mail in tests/data/labelled (and over a
 * second set when one is there, see labelled.h). */
#include "dm-autoconf.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "classify.h"
#include "topics.h"

#ifndef DM_TEST_DATA_DIR
#define DM_TEST_DATA_DIR "tests/data"
#endif

#include "labelled.h"
#include "table-tests.h"

#define TOPICS_DEFAULT DM_TEST_DATA_DIR "/../../etc/topics.conf"

/* The shipped topics, loaded once in the group setup. */
static struct dm_topics *desk;

static char *
topics_path(void)
{
	const char *env = g_getenv("DM_TOPICS_CONF");
	return g_strdup(env != NULL && *env ? env : TOPICS_DEFAULT);
}

/* A set of labelled mail and the least each 5-fold figure must reach:
 * topic accuracy, urgent recall and urgent precision. */
struct labelled_set {
	const char *path;
	double accuracy, recall, precision;
};

/* The project's set mixes hurried mail that is not urgent ("today",
 * "tänään", Hungarian "ma") among the urgent, which the urgency phrases
 * take for urgent: precision is lower there by design. */
static struct labelled_set project_set = { DM_LABELLED_PROJECT, 0.84, 0.85, 0.65 };

/* The second set, checked as before it was moved beside the project. */
static struct labelled_set extra_set = { NULL, 0.90, 0.85, 0.80 };

/* The stem token of the single word WORD in LANG (the token that is not a
 * prefix token), or "" when the word gives none.  Caller frees. */
static char *
stem_of(const char *word, const char *lang)
{
	g_autoptr(DmFeatures) f = dm_features_extract(NULL, word, lang, 1.0);
	for (guint i = 0; i < dm_features_count(f); i++)
		if (!g_str_has_suffix(dm_features_token(f, i), "~"))
			return g_strdup(dm_features_token(f, i));
	return g_strdup("");
}

/* ---- Folding. */

static const struct {
	const char *in, *want;
} fold_cases[] = {
	{ "Čšž ČŠŽ", "csz csz" },
	{ "őű ŐŰ", "ou ou" },
	{ "äöå ÄÖÅ", "aoa aoa" },
	{ "áéíóú", "aeiou" },
	{ "Straße", "strasse" },
	{ "Łódź, Øre, Đak", "lodz, ore, dak" },
	{ "already plain", "already plain" },
	{ "", "" },
};

static void
test_fold(void **state G_GNUC_UNUSED)
{
	for (size_t i = 0; i < G_N_ELEMENTS(fold_cases); i++) {
		g_autofree char *got = dm_text_fold(fold_cases[i].in, -1);
		if (strcmp(got, fold_cases[i].want) != 0)
			fail_msg("fold '%s': got '%s', want '%s'", fold_cases[i].in, got,
				 fold_cases[i].want);
	}
	/* Invalid UTF-8 is replaced, never passed on. */
	g_autofree char *bad = dm_text_fold("ab\xff\xfe" "cd", -1);
	assert_true(g_utf8_validate(bad, -1, NULL));
	assert_non_null(strstr(bad, "ab"));
	g_autofree char *none = dm_text_fold(NULL, -1);
	assert_string_equal(none, "");
}

static const struct {
	const char *in, *want;
} normalise_cases[] = {
	{ "Medknjižnična IZPOSOJA!", " medknjiznicna izposoja " },
	{ "e-knjiga, PIN-koodi", " e knjiga pin koodi " },
	{ "  tiskaln*  ", " tiskaln* " },
	{ "", " " },
};

static void
test_normalise(void **state G_GNUC_UNUSED)
{
	for (size_t i = 0; i < G_N_ELEMENTS(normalise_cases); i++) {
		g_autofree char *got = dm_text_normalise(normalise_cases[i].in);
		if (strcmp(got, normalise_cases[i].want) != 0)
			fail_msg("normalise '%s': got '%s', want '%s'", normalise_cases[i].in, got,
				 normalise_cases[i].want);
	}
}

/* ---- Stems: each row's two words must give one token. */

static const struct {
	const char *lang, *a, *b;
} same_stem[] = {
	/* With and without diacritics. */
	{ "sl", "knjižnica", "knjiznica" },
	{ "sl", "omrežje", "omrezje" },
	{ "fi", "pääsen", "paasen" },
	{ "fi", "tulostimessa", "tulostimessa" },
	{ "hu", "kölcsönzés", "kolcsonzes" },
	{ "hu", "nyomtatót", "nyomtatot" },
	{ "en", "naïve", "naive" },
	/* Inflections. */
	{ "sl", "knjižnici", "knjižnico" },
	{ "sl", "tiskalnika", "tiskalniku" },
	{ "sl", "gesla", "geslom" },
	{ "fi", "kirjastossa", "kirjastosta" },
	{ "fi", "kirjastoon", "kirjastossa" },
	{ "fi", "salasanan", "salasanaa" },
	{ "fi", "kaukolainan", "kaukolainaa" },
	{ "hu", "nyomtatót", "nyomtatóban" },
	{ "hu", "jelszavam", "jelszavamat" },
	{ "hu", "kölcsönzés", "kölcsönzést" },
	{ "hu", "könyvtárban", "konyvtarban" },
	{ "en", "printers", "printer" },
	{ "en", "passwords", "password" },
	{ "en", "renewing", "renewal" },
	/* Case never matters. */
	{ "en", "PRINTER", "printer" },
	{ "sl", "TISKALNIK", "tiskalnik" },
};

static void
test_same_stem(void **state G_GNUC_UNUSED)
{
	for (size_t i = 0; i < G_N_ELEMENTS(same_stem); i++) {
		g_autofree char *a = stem_of(same_stem[i].a, same_stem[i].lang);
		g_autofree char *b = stem_of(same_stem[i].b, same_stem[i].lang);
		if (*a == '\0' || strcmp(a, b) != 0)
			fail_msg("%s: '%s' -> '%s' but '%s' -> '%s'", same_stem[i].lang,
				 same_stem[i].a, a, same_stem[i].b, b);
	}
}

/* Words that must stay apart, and words that give no token at all. */
static void
test_stem_limits(void **state G_GNUC_UNUSED)
{
	g_autofree char *printer = stem_of("printer", "en");
	g_autofree char *password = stem_of("password", "en");
	assert_string_not_equal(printer, password);

	/* Stop words, numbers and single letters are not tokens. */
	static const char *const nothing[] = { "the", "in", "ja", "hogy", "12345", "x" };
	for (size_t i = 0; i < G_N_ELEMENTS(nothing); i++) {
		g_autoptr(DmFeatures) f = dm_features_extract(NULL, nothing[i], "en", 1.0);
		if (dm_features_count(f) != 0)
			fail_msg("'%s' gave the token '%s'", nothing[i], dm_features_token(f, 0));
	}
	/* An unknown or missing language folds without stemming. */
	g_autofree char *de = stem_of("Drucker", "de");
	assert_string_equal(de, "drucker");
	g_autofree char *null_lang = stem_of("Tiskalnika", NULL);
	assert_string_equal(null_lang, "tiskalnika");
	/* A hyphenated word gives its parts and its joined form. */
	g_autoptr(DmFeatures) f = dm_features_extract(NULL, "e-book", "en", 1.0);
	assert_true(dm_features_lookup(f, "book") > 0);
	assert_true(dm_features_lookup(f, "ebook") > 0);
	assert_string_equal(dm_features_text(f), " e book ");
}

/* ---- What is read and how much it weighs. */

static void
test_quote_and_signature_ignored(void **state G_GNUC_UNUSED)
{
	const char *body = "The scanner jams.\n"
			   "> On Monday you wrote: the printer is broken\n"
			   ">> and the toner\n"
			   "Thanks\r\n"
			   "-- \r\n"
			   "Librarian, reading room wifi\n";
	g_autoptr(DmFeatures) f = dm_features_extract(NULL, body, "en", 1.0);
	assert_true(dm_features_lookup(f, "scanner") > 0);
	assert_true(dm_features_lookup(f, "jam") > 0);
	assert_true(dm_features_lookup(f, "printer") == 0);
	assert_true(dm_features_lookup(f, "toner") == 0);
	assert_true(dm_features_lookup(f, "wifi") == 0);
	assert_null(strstr(dm_features_text(f), "printer"));
	assert_null(strstr(dm_features_text(f), "wifi"));
	/* "--" without the space is no signature line. */
	g_autoptr(DmFeatures) g = dm_features_extract(NULL, "a\n--\nprinter", "en", 1.0);
	assert_true(dm_features_lookup(g, "printer") > 0);
}

static void
test_subject_weight(void **state G_GNUC_UNUSED)
{
	static const double weights[] = { 1.0, 2.0, 3.5 };
	for (size_t i = 0; i < G_N_ELEMENTS(weights); i++) {
		g_autoptr(DmFeatures) f = dm_features_extract("Printer", "toner and printer", "en",
							      weights[i]);
		assert_true(fabs(dm_features_lookup(f, "printer") - MAX(weights[i], 1.0)) < 1e-12);
		assert_true(fabs(dm_features_lookup(f, "toner") - 1.0) < 1e-12);
	}
	/* Every token once, whatever the repetitions. */
	g_autoptr(DmFeatures) f = dm_features_extract("printer printer", "printer printer", "en", 2.0);
	guint n = 0;
	for (guint i = 0; i < dm_features_count(f); i++)
		n += strcmp(dm_features_token(f, i), "printer") == 0;
	assert_int_equal(n, 1);
}

static void
test_limits(void **state G_GNUC_UNUSED)
{
	/* 1 MB of distinct words: read up to the text limit, at most the
	 * token limit kept, flagged. */
	GString *big = g_string_new(NULL);
	for (guint i = 0; big->len < 1024 * 1024; i++) {
		char w[16];
		for (int k = 0; k < 6; k++)
			w[k] = (char) ('a' + (i >> (4 * k)) % 16);
		w[6] = '\0';
		g_string_append_printf(big, "%s ", w);
	}
	g_autoptr(DmFeatures) f = dm_features_extract(NULL, big->str, "en", 1.0);
	assert_true(dm_features_truncated(f));
	assert_true(dm_features_count(f) <= DM_CLASSIFY_MAX_TOKENS);
	assert_true(strlen(dm_features_text(f)) <= DM_CLASSIFY_MAX_TEXT + 2);
	g_string_free(big, TRUE);

	/* An overlong run of letters is no token. */
	g_autofree char *longword = g_strnfill(DM_CLASSIFY_TOKEN_MAX + 10, 'q');
	g_autoptr(DmFeatures) g = dm_features_extract(NULL, longword, "en", 1.0);
	for (guint i = 0; i < dm_features_count(g); i++)
		assert_true(strlen(dm_features_token(g, i)) <= DM_CLASSIFY_TOKEN_MAX);
	assert_false(dm_features_truncated(g));

	/* Nothing at all, and invalid UTF-8. */
	g_autoptr(DmFeatures) e = dm_features_extract(NULL, NULL, NULL, 1.0);
	assert_int_equal(dm_features_count(e), 0);
	g_autoptr(DmFeatures) bad = dm_features_extract("\xc3", "printer \xff\xfe toner", "en", 1.0);
	assert_true(dm_features_lookup(bad, "toner") > 0);
}

/* ---- A tiny model. */

static const char *const tiny_topics[] = { "printing", "passwords", "heating" };

static const struct {
	int topic;
	const char *lang, *text;
} tiny_training[] = {
	{ 0, "en", "The printer prints blank pages, the toner is new" },
	{ 0, "en", "Paper jam in the printer on the second floor" },
	{ 0, "sl", "Tiskalnik ne tiska, zamenjali smo toner" },
	{ 0, "sl", "Tiskalnik v čitalnici javlja zagozditev papirja" },
	{ 1, "en", "I forgot my password and cannot log in" },
	{ 1, "en", "The password reset link has expired" },
	{ 1, "sl", "Pozabila sem geslo za prijavo v portal" },
	{ 1, "sl", "Geslo ne deluje, prijava ni mogoča" },
	{ 2, "en", "The heating is off and the reading room is cold" },
	{ 2, "en", "Radiators are cold, it is freezing in the building" },
	{ 2, "sl", "Ogrevanje ne deluje, v čitalnici je mraz" },
	{ 2, "sl", "Radiatorji so mrzli, v stavbi je hladno" },
};

static const struct {
	int topic;
	const char *lang, *text;
} tiny_heldout[] = {
	{ 0, "en", "our printer is out of toner" },
	{ 0, "sl", "tiskalnika ne moremo uporabljati, ker ni tonerja" },
	{ 0, "sl", "TISKALNIK NE DELA" },
	{ 1, "en", "what was my password again? cannot log in" },
	{ 1, "sl", "pozabil sem geslo" },
	{ 1, "sl", "gesla ne sprejme" },
	{ 2, "en", "cold radiators in the reading room" },
	{ 2, "sl", "v citalnici je mraz, ogrevanje je izklopljeno" },
};

static struct dm_nb_model *
tiny_model(void)
{
	struct dm_nb_model *m = dm_nb_model_new(3, tiny_topics, 0.5);
	for (size_t i = 0; i < G_N_ELEMENTS(tiny_training); i++) {
		g_autoptr(DmFeatures) f =
			dm_features_extract(NULL, tiny_training[i].text, tiny_training[i].lang, 2.0);
		dm_nb_model_add_document(m, (guint) tiny_training[i].topic, f);
	}
	return m;
}

static void
test_tiny_model(void **state G_GNUC_UNUSED)
{
	g_autoptr(DmNbModel) m = tiny_model();
	assert_int_equal(dm_nb_model_classes(m), 3);
	assert_string_equal(dm_nb_model_class_name(m, 1), "passwords");
	assert_int_equal(dm_nb_model_class_index(m, "heating"), 2);
	assert_int_equal(dm_nb_model_class_index(m, "nope"), -1);
	assert_true(fabs(dm_nb_model_doc_count(m, 0) - 4.0) < 1e-12);
	assert_true(dm_nb_model_vocabulary(m) == dm_nb_model_size(m));

	for (size_t i = 0; i < G_N_ELEMENTS(tiny_heldout); i++) {
		g_autoptr(DmFeatures) f =
			dm_features_extract(NULL, tiny_heldout[i].text, tiny_heldout[i].lang, 2.0);
		struct dm_classification c;
		dm_classify(m, f, 0.4, &c);
		if (c.topic != tiny_heldout[i].topic)
			fail_msg("'%s': got %d (confidence %.2f), want %d", tiny_heldout[i].text,
				 c.topic, c.confidence, tiny_heldout[i].topic);
		assert_true(c.confidence > 0.4 && c.confidence <= 1.0);
		assert_true(c.n_top >= 1);
		for (guint k = 1; k < c.n_top; k++)
			assert_true(c.top[k - 1].contribution >= c.top[k].contribution);
		assert_true(c.top[0].contribution > 0);
	}
}

/* Training goes on after classifying; the counts follow. */
static void
test_incremental(void **state G_GNUC_UNUSED)
{
	g_autoptr(DmNbModel) m = tiny_model();
	g_autoptr(DmFeatures) f = dm_features_extract(NULL, "the lift is stuck", "en", 2.0);
	assert_null(dm_nb_model_token_counts(m, "lift"));
	dm_nb_model_add_document(m, 2, f);
	dm_nb_model_add_document(m, 2, f);
	const double *c = dm_nb_model_token_counts(m, "lift");
	assert_non_null(c);
	assert_true(fabs(c[2] - 2.0) < 1e-12 && c[0] == 0.0 && c[1] == 0.0);
	struct dm_classification r;
	dm_classify(m, f, 0.4, &r);
	assert_int_equal(r.topic, 2);
}

/* A mail whose words the model has never seen goes to triage. */
static void
test_unknown_words_triage(void **state G_GNUC_UNUSED)
{
	g_autoptr(DmNbModel) m = tiny_model();
	static const char *const texts[] = { "xyzzy plugh frobnicate", "", "12345 67890" };
	for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_autoptr(DmFeatures) f = dm_features_extract(NULL, texts[i], "en", 2.0);
		struct dm_classification c;
		dm_classify(m, f, 0.0, &c);
		assert_int_equal(c.topic, -1);
		assert_int_equal(c.n_top, 0);
		assert_true(fabs(c.confidence - 1.0 / 3.0) < 1e-9);
	}
	/* A known word and a threshold above the confidence: triage too, but
	 * the best guess is kept. */
	g_autoptr(DmFeatures) f = dm_features_extract(NULL, "printer", "en", 2.0);
	struct dm_classification c;
	dm_classify(m, f, 0.999999, &c);
	assert_int_equal(c.topic, -1);
	assert_int_equal(c.best, 0);
}

/* The partial model: only the totals and the counts of the mail's own
 * tokens, as a store would load them. */
static struct dm_nb_model *
partial_copy(const struct dm_nb_model *full, const struct dm_features *f)
{
	guint n = dm_nb_model_classes(full);
	g_autofree const char **names = g_new0(const char *, n + 1);
	g_autofree double *docs = g_new0(double, n);
	g_autofree double *totals = g_new0(double, n);
	for (guint c = 0; c < n; c++) {
		names[c] = dm_nb_model_class_name(full, c);
		docs[c] = dm_nb_model_doc_count(full, c);
		totals[c] = dm_nb_model_token_total(full, c);
	}
	struct dm_nb_model *p = dm_nb_model_new(n, names, dm_nb_model_alpha(full));
	dm_nb_model_set_totals(p, docs, totals, dm_nb_model_vocabulary(full));
	for (guint i = 0; i < dm_features_count(f); i++) {
		const double *counts = dm_nb_model_token_counts(full, dm_features_token(f, i));
		for (guint c = 0; counts != NULL && c < n; c++)
			if (counts[c] != 0)
				dm_nb_model_set_token_count(p, dm_features_token(f, i), c, counts[c]);
	}
	return p;
}

static void
assert_same_classification(const struct dm_classification *a, const struct dm_classification *b)
{
	assert_int_equal(a->topic, b->topic);
	assert_int_equal(a->best, b->best);
	assert_true(fabs(a->confidence - b->confidence) < 1e-12);
	assert_int_equal(a->n_top, b->n_top);
	for (guint k = 0; k < a->n_top; k++) {
		assert_string_equal(a->top[k].token, b->top[k].token);
		assert_true(fabs(a->top[k].contribution - b->top[k].contribution) < 1e-9);
	}
}

static void
test_partial_model(void **state G_GNUC_UNUSED)
{
	g_autoptr(DmNbModel) full = tiny_model();
	for (size_t i = 0; i < G_N_ELEMENTS(tiny_heldout); i++) {
		g_autoptr(DmFeatures) f =
			dm_features_extract(NULL, tiny_heldout[i].text, tiny_heldout[i].lang, 2.0);
		g_autoptr(DmNbModel) part = partial_copy(full, f);
		assert_true(dm_nb_model_size(part) < dm_nb_model_size(full));
		assert_true(dm_nb_model_vocabulary(part) == dm_nb_model_vocabulary(full));
		struct dm_classification a, b;
		dm_classify(full, f, 0.4, &a);
		dm_classify(part, f, 0.4, &b);
		assert_same_classification(&a, &b);
	}
	/* Training a partial model adds to the given totals. */
	g_autoptr(DmFeatures) f = dm_features_extract(NULL, "printer", "en", 1.0);
	g_autoptr(DmNbModel) part = partial_copy(full, f);
	double vocab = dm_nb_model_vocabulary(part), total = dm_nb_model_token_total(part, 0);
	g_autoptr(DmFeatures) g = dm_features_extract(NULL, "brandnewword", "en", 1.0);
	dm_nb_model_add_document(part, 0, g);
	assert_true(dm_nb_model_vocabulary(part) > vocab);
	assert_true(dm_nb_model_token_total(part, 0) > total);
}

/* Export: every token and its counts, and they add up to the totals. */
struct sums {
	double total[3];
	guint tokens;
};

static void
add_counts(const char *token, const double *counts, void *data)
{
	struct sums *s = data;
	assert_non_null(token);
	for (int c = 0; c < 3; c++)
		s->total[c] += counts[c];
	s->tokens++;
}

static void
test_export(void **state G_GNUC_UNUSED)
{
	g_autoptr(DmNbModel) m = tiny_model();
	struct sums s = { { 0, 0, 0 }, 0 };
	dm_nb_model_foreach(m, add_counts, &s);
	assert_int_equal(s.tokens, dm_nb_model_size(m));
	for (guint c = 0; c < 3; c++)
		assert_true(fabs(s.total[c] - dm_nb_model_token_total(m, c)) < 1e-9);
}

/* ---- The shipped topics file. */

static const char *const labelled_topics[] = {
	"login-password", "loans-reservations", "interlibrary-loan", "cataloguing",
	"fees-payments", "ebooks-databases", "training", "research-bibliography",
	"hardware-printing", "software-install", "facilities",
};

static void
test_topics_conf(void **state G_GNUC_UNUSED)
{
	assert_int_equal(dm_topics_count(desk), G_N_ELEMENTS(labelled_topics));
	for (size_t i = 0; i < G_N_ELEMENTS(labelled_topics); i++) {
		int t = dm_topics_index(desk, labelled_topics[i]);
		if (t < 0)
			fail_msg("topics.conf has no topic '%s'", labelled_topics[i]);
		static const char *const langs[] = { "sl", "fi", "hu", "en" };
		for (size_t l = 0; l < G_N_ELEMENTS(langs); l++) {
			const char *title = dm_topics_title(desk, (guint) t, langs[l]);
			assert_non_null(title);
			if (strcmp(langs[l], "en") != 0 &&
			    strcmp(title, dm_topics_title(desk, (guint) t, "en")) == 0)
				fail_msg("topic '%s' has no %s title", labelled_topics[i], langs[l]);
		}
		assert_string_equal(dm_topics_title(desk, (guint) t, "de"),
				    dm_topics_title(desk, (guint) t, "en"));
		assert_non_null(dm_topics_team(desk, (guint) t));
		assert_false(dm_topics_close(desk, (guint) t));
		assert_null(dm_topics_template(desk, (guint) t));
	}
	assert_int_equal(dm_topics_index(desk, "no-such-topic"), -1);
	assert_int_equal(dm_topics_index(desk, NULL), -1);
	assert_string_equal(dm_topics_team(desk, (guint) dm_topics_index(desk, "hardware-printing")),
			    "it-support");
	assert_string_equal(dm_topics_team(desk, (guint) dm_topics_index(desk, "cataloguing")),
			    "specialists");
	const char *const *names = dm_topics_names(desk);
	assert_int_equal(g_strv_length((char **) names), dm_topics_count(desk));
	assert_true(dm_topics_threshold(desk) > 0 && dm_topics_threshold(desk) < 1);
	assert_true(dm_topics_subject_weight(desk) >= 1);
}

/* Rule phrases: each row a text, its language, and the topic the rules
 * must give (NULL: none). */
static const struct {
	const char *lang, *text, *want;
} rule_cases[] = {
	{ "sl", "Zanima me medknjižnična izposoja", "interlibrary-loan" },
	{ "sl", "zanima me MEDKNJIZNICNA IZPOSOJA", "interlibrary-loan" },
	{ "fi", "Tilasin kaukolainan viime viikolla", "interlibrary-loan" },
	{ "hu", "könyvtárközi kölcsönzés", "interlibrary-loan" },
	{ "hu", "konyvtarkozi kolcsonzes", "interlibrary-loan" },
	{ "en", "How does an interlibrary loan work?", "interlibrary-loan" },
	{ "en", "An inter-library loan", "interlibrary-loan" },
	{ "sl", "Tiskalnik v čitalnici ne dela", "hardware-printing" },
	{ "fi", "tulostin ei toimi", "hardware-printing" },
	{ "fi", "Salasana on vanhentunut", "login-password" },
	{ "en", "The VPN client will not connect", "software-install" },
	{ "hu", "A fűtés nem működik", "facilities" },
	/* Whole words only, and only the mail's language and English. */
	{ "en", "The reprinter story", NULL },
	{ "en", "Our tiskalnik", NULL },
	{ "sl", "Our printer", "hardware-printing" },
	{ "en", "Nothing to see here", NULL },
};

static void
test_rule_phrases(void **state G_GNUC_UNUSED)
{
	for (size_t i = 0; i < G_N_ELEMENTS(rule_cases); i++) {
		g_autofree char *norm = dm_text_normalise(rule_cases[i].text);
		const char *matched = NULL;
		int t = dm_topics_rule_match(desk, norm, rule_cases[i].lang, NULL, NULL, &matched);
		const char *got = t >= 0 ? dm_topics_name(desk, (guint) t) : NULL;
		if (g_strcmp0(got, rule_cases[i].want) != 0)
			fail_msg("'%s': rules gave %s, want %s", rule_cases[i].text, got ? got : "none",
				 rule_cases[i].want ? rule_cases[i].want : "none");
		if (t >= 0)
			assert_non_null(matched);
		else
			assert_null(matched);
	}
}

static const char inline_topics[] =
	"[classifier]\n"
	"threshold = 0.3\n"
	"[topic printing]\n"
	"title_en = Printing\n"
	"team = it\n"
	"phrases_en = printer;paper jam\n"
	"sender_domains = printers.example.org\n"
	"headers = X-Monitor: fleet manager\n"
	"[topic spam]\n"
	"title_en = Out of scope\n"
	"team = first-line\n"
	"template = out-of-scope\n"
	"close = true\n"
	"phrases_en = printer cartridges at discount*\n";

/* Headers decide before sender domains, and both before phrases. */
static void
test_rule_domains_headers(void **state G_GNUC_UNUSED)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(DmTopics) t = dm_topics_load_data(inline_topics, -1, "inline.conf", &error);
	assert_non_null(t);
	assert_string_equal(dm_topics_template(t, 1), "out-of-scope");
	assert_true(dm_topics_close(t, 1));
	assert_string_equal(dm_topics_title(t, 1, "sl"), "Out of scope");

	const char *m = NULL;
	static const char *const hdr[] = { "Subject: x", "x-monitor: Alerts from the FLEET MANAGER",
					   NULL };
	static const char *const other[] = { "X-Monitorx: fleet manager", "X-Other: fleet manager",
					     NULL };
	assert_int_equal(dm_topics_rule_match(t, " hello ", "en", NULL, hdr, &m), 0);
	assert_string_equal(m, "X-Monitor: fleet manager");
	assert_int_equal(dm_topics_rule_match(t, " hello ", "en", NULL, other, &m), -1);
	assert_int_equal(dm_topics_rule_match(t, " hello ", "en", "printers.example.org", NULL, &m), 0);
	assert_int_equal(dm_topics_rule_match(t, " hello ", "en", "B1.Printers.Example.ORG", NULL, &m), 0);
	assert_int_equal(dm_topics_rule_match(t, " hello ", "en", "xprinters.example.org", NULL, &m), -1);
	assert_int_equal(dm_topics_rule_match(t, " hello ", "en", "example.org", NULL, &m), -1);

	/* One phrase of each topic: a tie decides nothing. */
	g_autofree char *tie = dm_text_normalise("printer cartridges at discounted prices");
	assert_int_equal(dm_topics_rule_match(t, tie, "en", NULL, NULL, &m), -1);
	assert_null(m);
	/* Two phrases beat one. */
	g_autofree char *two = dm_text_normalise("a paper jam in the printer");
	assert_int_equal(dm_topics_rule_match(t, two, "en", NULL, NULL, &m), 0);
	assert_string_equal(m, "paper jam");
}

/* A rule phrase beats the statistics, and a tie of phrases lets the
 * statistics choose among the tied topics only. */
static void
test_rule_precedence(void **state G_GNUC_UNUSED)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(DmTopics) t = dm_topics_load_data(inline_topics, -1, "inline.conf", &error);
	assert_non_null(t);
	g_autoptr(DmNbModel) m = dm_nb_model_new(2, dm_topics_names(t), 0.5);
	/* The model learns that these words mean "spam". */
	for (int i = 0; i < 5; i++) {
		g_autoptr(DmFeatures) f =
			dm_features_extract("cheap offer", "buy cheap cartridges offer", "en", 2.0);
		dm_nb_model_add_document(m, 1, f);
	}
	g_autoptr(DmFeatures) p = dm_features_extract(NULL, "toner toner", "en", 2.0);
	dm_nb_model_add_document(m, 0, p);

	g_autoptr(DmFeatures) f =
		dm_features_extract("cheap offer", "cheap cartridges offer, my printer", "en", 2.0);
	struct dm_classification stat, c;
	dm_classify(m, f, 0.3, &stat);
	assert_int_equal(stat.topic, 1);
	dm_topics_decide(t, m, NULL, f, "en", NULL, NULL, &c);
	assert_int_equal(c.topic, 0);
	assert_true(c.by_rule);
	assert_string_equal(c.rule, "printer");

	/* Without the phrase the statistics decide. */
	g_autoptr(DmFeatures) g = dm_features_extract("cheap offer", "cheap cartridges", "en", 2.0);
	dm_topics_decide(t, m, NULL, g, "en", NULL, NULL, &c);
	assert_int_equal(c.topic, 1);
	assert_false(c.by_rule);
	assert_null(c.rule);
}

/* ---- Urgency phrases: the text, its language, and the urgency. */

static const struct {
	const char *lang, *text, *want;
} urgency_cases[] = {
	{ "en", "URGENT: nobody can log in", "urgent" },
	{ "en", "The catalogue is down for everyone at all branches", "urgent" },
	{ "en", "We cannot work, circulation has stopped", "urgent" },
	{ "en", "The deadline is today at noon", "urgent" },
	{ "en", "Please have a look as soon as possible", "high" },
	{ "en", "Not urgent, but the urgent tray is broken", NULL },
	{ "en", "The printer is broken", NULL },
	{ "sl", "Nujno! Izposoja stoji.", "urgent" },
	{ "sl", "NUJNO - izposoja stoji", "urgent" },
	{ "sl", "nihče ne more v sistem", "urgent" },
	{ "sl", "nihce ne more v sistem", "urgent" },
	{ "sl", "Rok je danes opoldne", "urgent" },
	{ "sl", "Prosim, čim prej", "high" },
	{ "sl", "Prosim, cim prej", "high" },
	{ "sl", "Ni nujno, ko boste utegnili", NULL },
	{ "fi", "Kiireellinen: kukaan ei pääse järjestelmään", "urgent" },
	{ "fi", "kukaan ei paase jarjestelmaan", "urgent" },
	{ "fi", "Määräaika päättyy tänään", "urgent" },
	{ "fi", "maaraaika paattyy tanaan", "urgent" },
	{ "fi", "Korjatkaa mahdollisimman pian", "high" },
	{ "fi", "Ei kiireellinen, mutta ovi ei mene lukkoon", NULL },
	{ "hu", "Sürgős! Senki nem tud belépni", "urgent" },
	{ "hu", "SURGOS, senki nem tud belepni", "urgent" },
	{ "hu", "Ma délig be kell adnom", "urgent" },
	{ "hu", "Kérem, minél hamarabb", "high" },
	{ "hu", "kerem, minel hamarabb", "high" },
	{ "hu", "Nem sürgős, ráér", NULL },
	/* Another language's phrases do not count: Hungarian "heti" is
	 * "weekly", Finnish "heti" "at once". */
	{ "hu", "heti egy alkalommal", NULL },
	{ "fi", "korjatkaa heti", "urgent" },
	/* English phrases count in every language. */
	{ "sl", "Urgent: tiskalnik", "urgent" },
};

static void
test_urgency_phrases(void **state G_GNUC_UNUSED)
{
	for (size_t i = 0; i < G_N_ELEMENTS(urgency_cases); i++) {
		g_autofree char *norm = dm_text_normalise(urgency_cases[i].text);
		const char *phrase = NULL;
		const char *got = dm_topics_urgency(desk, norm, urgency_cases[i].lang, &phrase);
		if (g_strcmp0(got, urgency_cases[i].want) != 0)
			fail_msg("%s '%s': got %s, want %s", urgency_cases[i].lang, urgency_cases[i].text,
				 got ? got : "none", urgency_cases[i].want ? urgency_cases[i].want : "none");
		if (got != NULL)
			assert_non_null(phrase);
	}
}

/* The urgency model: a two-class model trained like the topic model. */
static void
test_urgency_model(void **state G_GNUC_UNUSED)
{
	static const char *const classes[] = { "normal", "urgent" };
	g_autoptr(DmNbModel) u = dm_nb_model_new(2, classes, 0.5);
	static const char *const urgent[] = { "the whole system is down, outage", "outage everywhere" };
	static const char *const normal[] = { "a question about opening hours", "question on a book" };
	for (int i = 0; i < 2; i++) {
		g_autoptr(DmFeatures) a = dm_features_extract(NULL, urgent[i], "en", 2.0);
		g_autoptr(DmFeatures) b = dm_features_extract(NULL, normal[i], "en", 2.0);
		dm_nb_model_add_document(u, 1, a);
		dm_nb_model_add_document(u, 0, b);
	}
	g_autoptr(DmFeatures) f = dm_features_extract(NULL, "an outage", "en", 2.0);
	struct dm_classification c;
	memset(&c, 0, sizeof c);
	dm_classify_urgency(u, f, 0.5, &c);
	assert_true(c.urgent_probability > 0.5);
	assert_string_equal(c.urgency, "urgent");

	g_autoptr(DmFeatures) q = dm_features_extract(NULL, "a question", "en", 2.0);
	memset(&c, 0, sizeof c);
	dm_classify_urgency(u, q, 0.5, &c);
	assert_true(c.urgent_probability < 0.5);
	assert_null(c.urgency);

	/* A calming phrase silences the model in the whole decision. */
	g_autoptr(DmNbModel) m = tiny_model();
	g_autoptr(DmFeatures) calm = dm_features_extract(NULL, "not urgent: an outage", "en", 2.0);
	dm_topics_decide(desk, m, u, calm, "en", NULL, NULL, &c);
	assert_null(c.urgency);
	assert_string_equal(c.urgency_phrase, "not urgent");
}

/* ---- Broken topics files: each row the text, the error code and a
 * piece of the message. */

#define MINIMAL "[topic a]\ntitle_en = A\nteam = t\n"

static const struct {
	const char *text;
	DmTopicsError code;
	const char *message;
} broken[] = {
	{ "this is not a key file", DM_TOPICS_ERROR_FILE, "broken.conf: cannot read topics" },
	{ "[classifier]\nthreshold = 0.5\n", DM_TOPICS_ERROR_MISSING, "no topic defined" },
	{ MINIMAL "[bogus]\nx = 1\n", DM_TOPICS_ERROR_UNKNOWN, "broken.conf: [bogus]: unknown group" },
	{ MINIMAL "colour = red\n", DM_TOPICS_ERROR_UNKNOWN, "broken.conf: [topic a] colour: unknown key" },
	{ "[topic a]\nteam = t\n", DM_TOPICS_ERROR_MISSING, "broken.conf: [topic a] title_en: missing" },
	{ "[topic a]\ntitle_en = A\n", DM_TOPICS_ERROR_MISSING, "broken.conf: [topic a] team: missing" },
	{ "[topic A B]\ntitle_en = A\nteam = t\n", DM_TOPICS_ERROR_VALUE, "[topic A B]: topic name" },
	{ MINIMAL "team = Two Words\n", DM_TOPICS_ERROR_VALUE, "[topic a] team: 'Two Words'" },
	{ MINIMAL "close = maybe\n", DM_TOPICS_ERROR_VALUE, "[topic a] close: 'maybe' is not true or false" },
	{ MINIMAL "phrases_en = ok;*x\n", DM_TOPICS_ERROR_VALUE, "[topic a] phrases_en: phrase '*x'" },
	{ MINIMAL "phrases_en = ab*\n", DM_TOPICS_ERROR_VALUE, "'*' must end a word of at least 3" },
	{ MINIMAL "phrases_en = ?!\n", DM_TOPICS_ERROR_VALUE, "phrase '?!' has no words" },
	{ MINIMAL "sender_domains = a@b.org\n", DM_TOPICS_ERROR_VALUE, "'a@b.org' is not a domain" },
	{ MINIMAL "headers = NoColon\n", DM_TOPICS_ERROR_VALUE, "[topic a] headers: 'NoColon'" },
	{ MINIMAL "[classifier]\nthreshold = 2\n", DM_TOPICS_ERROR_VALUE,
	  "broken.conf: [classifier] threshold: '2' is not a number from 0 to 1" },
	{ MINIMAL "[classifier]\nsubject_weight = heavy\n", DM_TOPICS_ERROR_VALUE,
	  "[classifier] subject_weight: 'heavy'" },
	{ MINIMAL "[classifier]\nthreshhold = 0.5\n", DM_TOPICS_ERROR_UNKNOWN,
	  "[classifier] threshhold: unknown key" },
	{ MINIMAL "[urgency]\nphrases_rush_en = now\n", DM_TOPICS_ERROR_UNKNOWN,
	  "[urgency] phrases_rush_en: unknown key" },
	{ MINIMAL "[urgency]\nphrases_urgent_english = now\n", DM_TOPICS_ERROR_UNKNOWN,
	  "[urgency] phrases_urgent_english" },
	{ MINIMAL "[topic a]\ntitle_en = again\n", DM_TOPICS_ERROR_UNKNOWN, NULL },
};

static void
test_topics_errors(void **state G_GNUC_UNUSED)
{
	for (size_t i = 0; i < G_N_ELEMENTS(broken); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(DmTopics) t = dm_topics_load_data(broken[i].text, -1, "broken.conf", &error);
		if (broken[i].message == NULL) {
			/* GKeyFile merges a repeated group: that is allowed. */
			assert_non_null(t);
			continue;
		}
		if (t != NULL)
			fail_msg("row %zu loaded: %s", i, broken[i].text);
		assert_non_null(error);
		if (error->domain != DM_TOPICS_ERROR || error->code != (int) broken[i].code ||
		    strstr(error->message, broken[i].message) == NULL)
			fail_msg("row %zu: got code %d '%s', want code %d '%s'", i, error->code,
				 error->message, broken[i].code, broken[i].message);
		assert_null(strchr(error->message, '\n'));
	}
	g_autoptr(GError) error = NULL;
	assert_null(dm_topics_load("/nonexistent/topics.conf", &error));
	assert_int_equal(error->code, DM_TOPICS_ERROR_FILE);
	assert_non_null(strstr(error->message, "/nonexistent/topics.conf"));
	dm_topics_free(NULL);
	dm_features_free(NULL);
	dm_nb_model_free(NULL);
}

/* ---- The labelled mail: 5-fold cross-validation. */

struct record {
	char *lang, *subject, *body, *domain;
	int topic;
	gboolean urgent;
	int fold;
};

static void
record_free(gpointer p)
{
	struct record *r = p;
	g_free(r->lang);
	g_free(r->subject);
	g_free(r->body);
	g_free(r->domain);
	g_free(r);
}

static GPtrArray *
load_labelled(const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *data = dm_labelled_read(path, &error);
	if (data == NULL)
		fail_msg("labelled data: %s", error->message);

	GPtrArray *records = g_ptr_array_new_with_free_func(record_free);
	g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
	guint lineno = 0;
	for (char **line = lines; *line != NULL; line++) {
		lineno++;
		if (**line == '\0')
			continue;
		g_autoptr(JsonNode) root = json_from_string(*line, &error);
		if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
			fail_msg("%s:%u: not a JSON object", path, lineno);
		JsonObject *o = json_node_get_object(root);
		struct record *r = g_new0(struct record, 1);
		r->lang = g_strdup(json_object_get_string_member_with_default(o, "language", ""));
		r->subject = g_strdup(json_object_get_string_member_with_default(o, "subject", ""));
		r->body = g_strdup(json_object_get_string_member_with_default(o, "body", ""));
		const char *from = json_object_get_string_member_with_default(o, "from", "");
		r->domain = g_strdup(strchr(from, '@') ? strchr(from, '@') + 1 : "");
		const char *topic = json_object_get_string_member_with_default(o, "topic", "");
		r->topic = dm_topics_index(desk, topic);
		if (r->topic < 0)
			fail_msg("%s:%u: topic '%s' is not in topics.conf", path, lineno, topic);
		r->urgent = g_strcmp0(json_object_get_string_member_with_default(o, "priority", ""),
				      "urgent") == 0;
		g_ptr_array_add(records, r);
	}
	return records;
}

/* Deal each topic's records, shuffled with a fixed seed, into 5 folds. */
static void
assign_folds(GPtrArray *records, guint n_topics)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(20250301);
	for (guint t = 0; t < n_topics; t++) {
		g_autoptr(GPtrArray) mine = g_ptr_array_new();
		for (guint i = 0; i < records->len; i++)
			if (((struct record *) records->pdata[i])->topic == (int) t)
				g_ptr_array_add(mine, records->pdata[i]);
		for (guint i = mine->len; i > 1; i--) {
			guint j = (guint) g_rand_int_range(rand, 0, (gint32) i);
			gpointer x = mine->pdata[i - 1];
			mine->pdata[i - 1] = mine->pdata[j];
			mine->pdata[j] = x;
		}
		for (guint i = 0; i < mine->len; i++)
			((struct record *) mine->pdata[i])->fold = (int) (i % 5);
	}
}

static void
test_labelled_cross_validation(void **state)
{
	const struct labelled_set *set = *state;
	g_autoptr(GPtrArray) records = load_labelled(set->path);
	guint nt = dm_topics_count(desk);
	assign_folds(records, nt);
	double sw = dm_topics_subject_weight(desk);

	guint right = 0, right_stat = 0, tp = 0, fp = 0, fn = 0;
	for (int fold = 0; fold < 5; fold++) {
		g_autoptr(DmNbModel) m = dm_nb_model_new(nt, dm_topics_names(desk), dm_topics_alpha(desk));
		for (guint i = 0; i < records->len; i++) {
			struct record *r = records->pdata[i];
			if (r->fold == fold)
				continue;
			g_autoptr(DmFeatures) f = dm_features_extract(r->subject, r->body, r->lang, sw);
			dm_nb_model_add_document(m, (guint) r->topic, f);
		}
		for (guint i = 0; i < records->len; i++) {
			struct record *r = records->pdata[i];
			if (r->fold != fold)
				continue;
			g_autoptr(DmFeatures) f = dm_features_extract(r->subject, r->body, r->lang, sw);
			struct dm_classification c, s;
			dm_topics_decide(desk, m, NULL, f, r->lang, r->domain, NULL, &c);
			dm_classify(m, f, dm_topics_threshold(desk), &s);
			right += c.topic == r->topic;
			right_stat += s.topic == r->topic;
			gboolean urgent = g_strcmp0(c.urgency, "urgent") == 0;
			tp += urgent && r->urgent;
			fp += urgent && !r->urgent;
			fn += !urgent && r->urgent;
		}
	}
	double accuracy = (double) right / records->len;
	double precision = tp + fp ? (double) tp / (tp + fp) : 0.0;
	double recall = tp + fn ? (double) tp / (tp + fn) : 0.0;
	print_message("5-fold: topic accuracy %.3f with rules, %.3f statistics alone; "
		      "urgent precision %.3f recall %.3f\n",
		      accuracy, (double) right_stat / records->len, precision, recall);
	assert_true(records->len > 0);
	assert_true(accuracy >= set->accuracy);
	assert_true(recall >= set->recall);
	assert_true(precision >= set->precision);
}

static int
group_setup(void **state G_GNUC_UNUSED)
{
	g_autofree char *path = topics_path();
	g_autoptr(GError) error = NULL;
	desk = dm_topics_load(path, &error);
	if (desk == NULL) {
		fprintf(stderr, "topics: %s\n", error->message);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state G_GNUC_UNUSED)
{
	dm_topics_free(desk);
	desk = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_same_stem),
		cmocka_unit_test(test_stem_limits),
		cmocka_unit_test(test_quote_and_signature_ignored),
		cmocka_unit_test(test_subject_weight),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_tiny_model),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_unknown_words_triage),
		cmocka_unit_test(test_partial_model),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_topics_conf),
		cmocka_unit_test(test_rule_phrases),
		cmocka_unit_test(test_rule_domains_headers),
		cmocka_unit_test(test_rule_precedence),
		cmocka_unit_test(test_urgency_phrases),
		cmocka_unit_test(test_urgency_model),
		cmocka_unit_test(test_topics_errors),
		cmocka_unit_test_prestate(test_labelled_cross_validation, &project_set),
	};
	static const struct CMUnitTest extra[] = {
		{ "test_labelled_cross_validation, extra set", test_labelled_cross_validation, NULL, NULL,
		  &extra_set },
	};
	g_autoptr(GArray) all = dm_tests_new();
	g_autofree char *extra_path = dm_labelled_extra();

	g_array_append_vals(all, tests, G_N_ELEMENTS(tests));
	if (extra_path != NULL) {
		extra_set.path = extra_path;
		g_array_append_vals(all, extra, G_N_ELEMENTS(extra));
	}
	return dm_tests_run("classify", all, group_setup, group_teardown);
}
