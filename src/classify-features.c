/* classify-features.c - a mail as the classifier sees it: its words,
 * folded and stemmed, as a set of weighted tokens.
 *
 * Words are case folded and stripped of diacritics (customers often type
 * without them, and "geslo", "jelszó" and "jelszo" must count as what
 * they are), then reduced to a stem so that the inflected forms of
 * Finnish, Hungarian and Slovenian share one token.  Snowball
 * (libstemmer) has English, Finnish and Hungarian stemmers; it has none
 * for Slovenian, so a light suffix stripper of our own stands in for it
 * (below).  Quoted lines and the signature are the words of someone else,
 * or of nobody in particular, and are left out.  Every token counts once
 * per mail: help-desk mail is short, and a word repeated says little more
 * than a word said once.  The model and the decision are in classify.c. */
#include "dm-autoconf.h"

#include <string.h>

#include <glib.h>
#include <libstemmer.h>

#include "classify.h"
#include "classify-private.h"

/* ---- Folding. */

/* Letters that Unicode does not decompose into a base and a mark, but
 * that a customer without the key would type as the base letter. */
static gunichar
fold_letter(gunichar c)
{
	switch (c) {
	case 0x00F8: /* ø */
		return 'o';
	case 0x0142: /* ł */
		return 'l';
	case 0x0111: /* đ */
		return 'd';
	case 0x0131: /* dotless ı */
		return 'i';
	case 0x00F0: /* ð */
		return 'd';
	default:
		return c;
	}
}

/* Append the folded form of the (valid UTF-8) S of LEN bytes to OUT. */
static void
fold_append(GString *out, const char *s, gssize len)
{
	g_autofree char *cf = g_utf8_casefold(s, len);
	g_autofree char *nfd = g_utf8_normalize(cf, -1, G_NORMALIZE_NFD);
	if (nfd == NULL)
		return;
	for (const char *p = nfd; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (g_unichar_ismark(c))
			continue;
		switch (c) {
		case 0x00E6: /* æ */
			g_string_append(out, "ae");
			continue;
		case 0x0153: /* œ */
			g_string_append(out, "oe");
			continue;
		default:
			g_string_append_unichar(out, fold_letter(c));
		}
	}
}

char *
dm_text_fold(const char *s, gssize len)
{
	if (s == NULL)
		return g_strdup("");
	g_autofree char *valid = g_utf8_make_valid(s, len);
	GString *out = g_string_sized_new(strlen(valid) + 1);
	fold_append(out, valid, -1);
	return g_string_free(out, FALSE);
}

/* A letter or digit: what words are made of. */
static gboolean
is_word_char(gunichar c)
{
	return g_unichar_isalnum(c) || g_unichar_ismark(c);
}

char *
dm_text_normalise(const char *s)
{
	g_autofree char *folded = dm_text_fold(s, -1);
	GString *out = g_string_sized_new(strlen(folded) + 2);
	gboolean in_word = FALSE;

	g_string_append_c(out, ' ');
	for (const char *p = folded; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (is_word_char(c)) {
			g_string_append_unichar(out, c);
			in_word = TRUE;
		} else if (c == '*' && in_word) {
			g_string_append_c(out, '*');
		} else {
			if (in_word)
				g_string_append_c(out, ' ');
			in_word = FALSE;
		}
	}
	if (in_word)
		g_string_append_c(out, ' ');
	return g_string_free(out, FALSE);
}

/* ---- Stemming. */

/* A light stemmer for Slovenian, which Snowball lacks.  It works on
 * folded words (c, s, z for č, š, ž) and removes the longest inflectional
 * ending of the list below, keeping a stem of at least three letters, so
 * that the cases and persons of a word meet: "knjižnica", "knjižnici",
 * "knjižnico", "knjižnicah" -> "knjiznic"; "tiskalnika", "tiskalniku" ->
 * "tiskalnik"; "omrežje", "omrežju" -> "omrez".  The endings are those of
 * the noun and adjective declensions and of the present tense and the
 * l-participle of verbs; derivational suffixes are left alone, because
 * removing them joins words of different meaning.  Being light, it
 * sometimes leaves two stems where a full stemmer would make one; that
 * costs a little recall and never merges unrelated words. */
static const char *const sl_endings[] = {
	/* four letters */
	"ovih", "evih", "ovim", "evim", "jega", "jemu", "imis",
	/* three */
	"ega", "emu", "ima", "imi", "ami", "ovi", "ova", "ove", "ovo", "evi", "eva", "eve", "ijo",
	"amo", "emo", "imo", "ate", "ete", "ite", "ajo", "ejo", "ali", "ala", "alo", "ili", "ila",
	"ilo", "eli", "ela", "elo", "ati", "iti", "eti", "ama", "ema", "ih", "im",
	/* two */
	"om", "em", "ov", "ev", "ah", "am", "mi", "ja", "je", "ji", "jo", "ju", "al", "il", "el",
	"ti",
	/* one */
	"a", "e", "i", "o", "u",
	NULL
};

/* Stem the folded Slovenian WORD in place. */
static void
stem_slovenian(char *word)
{
	size_t len = strlen(word);
	/* Only plain ASCII letters are stemmed: a folded Slovenian word is
	 * ASCII, anything else is a foreign word or a code. */
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isalpha(word[i]))
			return;
	size_t best = 0;
	for (const char *const *e = sl_endings; *e; e++) {
		size_t el = strlen(*e);
		if (el > best && len >= el + 3 && strcmp(word + len - el, *e) == 0)
			best = el;
	}
	word[len - best] = '\0';
}

/* The languages Snowball stems for us, by code. */
static const struct {
	const char *lang;
	const char *algorithm;
} snowball[] = {
	{ "en", "english" },
	{ "fi", "finnish" },
	{ "hu", "hungarian" },
};

/* One stemmer per language of snowball[], created on first use and kept
 * for the life of the process: sb_stemmer_new() costs more than stemming
 * a whole mail, and a resident service classifies many mails.  A stemmer
 * keeps the word it works on, so it must not be shared between threads,
 * and this cache takes no lock: every deskmail process is single-threaded,
 * and the resident service runs pre-forked single-threaded workers, each
 * with its own copy of the cache.  A thread that ever extracts features
 * beside another needs a cache per thread (GPrivate) instead. */
static struct sb_stemmer *stemmers[G_N_ELEMENTS(snowball)];

/* The Snowball stemmer for LANG, or NULL when Snowball has none for it
 * or could not make one (out of memory; the words then go unstemmed, and
 * the next mail tries again).  Borrowed from the cache. */
static struct sb_stemmer *
snowball_stemmer(const char *lang)
{
	if (lang == NULL)
		return NULL;
	for (gsize i = 0; i < G_N_ELEMENTS(snowball); i++) {
		if (strcmp(lang, snowball[i].lang) != 0)
			continue;
		if (stemmers[i] == NULL)
			stemmers[i] = sb_stemmer_new(snowball[i].algorithm, "UTF_8");
		return stemmers[i];
	}
	return NULL;
}

/* ---- Stop words: the commonest words of each language, folded.  They are
 * in every topic's mail alike and only add noise to small models. */
static const char *const stopword_list =
	/* English */
	"the a an and or but if of to in on at for with from by is are was were be been being it "
	"its this that these those i me my we our us you your he she they them their his her him "
	"as so not no do does did have has had can could would should will just than then there "
	"here what which who when where why how all any some also very about into up out over "
	"again am pm hi hello thanks thank please regards dear kind best many cheers "
	/* Slovenian */
	"in je se ne da za na pa so sem smo ste si ki ali lahko pri tudi ker kot bi mi me ze "
	"kako kaj zelo samo od do iz po bo ni sta hvala prosim pozdravljeni lep pozdrav lp "
	"dober dan zivjo spostovani ta to tega te ter vas nas jih jo ga mu ji ko ce ampak vendar "
	"sva ste bil bila bilo bili sem moj moja moje "
	/* Finnish */
	"ja on ei se etta kun mutta tai jos niin myos kuin ole olen oli ovat olla mina sina han "
	"me te he minun meidan teidan hei moi kiitos terveisin ystavallisin vaan nyt jo viela "
	"siita sen sita tama tassa joka jonka mita "
	/* Hungarian */
	"a az es is hogy nem de meg mar van volt egy ez azt ha mint csak vagy sem kell lehet "
	"koszonom udvozlettel tisztelt kedves jo napot sziasztok szia koszi tisztelettel "
	"kerem ami amit ezt mert mi en ";

static GHashTable *stopwords;
static gsize stopwords_once;

static gboolean
is_stopword(const char *w)
{
	if (g_once_init_enter(&stopwords_once)) {
		GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		/* Built once and kept for the life of the process. */
		char **words = g_strsplit(stopword_list, " ", -1);
		for (char **p = words; *p; p++)
			if (**p)
				g_hash_table_add(h, g_strdup(*p));
		g_strfreev(words);
		stopwords = h;
		g_once_init_leave(&stopwords_once, 1);
	}
	return g_hash_table_contains(stopwords, w);
}

/* ---- Features. */

/* Letters of the prefix token of a long word (see emit_word()). */
#define PREFIX_LETTERS 5

void
dm_features_free(struct dm_features *f)
{
	if (f == NULL)
		return;
	g_hash_table_destroy(f->index);
	g_ptr_array_free(f->tokens, TRUE);
	g_array_free(f->weights, TRUE);
	g_free(f->text);
	g_free(f);
}

guint
dm_features_count(const struct dm_features *f)
{
	return f->tokens->len;
}

const char *
dm_features_token(const struct dm_features *f, guint i)
{
	g_return_val_if_fail(i < f->tokens->len, NULL);
	return g_ptr_array_index(f->tokens, i);
}

double
dm_features_weight(const struct dm_features *f, guint i)
{
	g_return_val_if_fail(i < f->weights->len, 0.0);
	return g_array_index(f->weights, double, i);
}

double
dm_features_lookup(const struct dm_features *f, const char *token)
{
	gpointer v = g_hash_table_lookup(f->index, token);
	return v ? g_array_index(f->weights, double, GPOINTER_TO_UINT(v) - 1) : 0.0;
}

const char *
dm_features_text(const struct dm_features *f)
{
	return f->text;
}

gboolean
dm_features_truncated(const struct dm_features *f)
{
	return f->truncated;
}

/* Add TOKEN with WEIGHT to F, or raise its weight. */
static void
add_token(struct dm_features *f, const char *token, double weight)
{
	size_t len = strlen(token);
	if (len < 2 || len > DM_CLASSIFY_TOKEN_MAX)
		return;
	gpointer v = g_hash_table_lookup(f->index, token);
	if (v != NULL) {
		double *w = &g_array_index(f->weights, double, GPOINTER_TO_UINT(v) - 1);
		if (weight > *w)
			*w = weight;
		return;
	}
	if (f->tokens->len >= DM_CLASSIFY_MAX_TOKENS) {
		f->truncated = TRUE;
		return;
	}
	char *copy = g_strdup(token);
	g_ptr_array_add(f->tokens, copy);
	g_array_append_val(f->weights, weight);
	g_hash_table_insert(f->index, copy, GUINT_TO_POINTER(f->tokens->len));
}

struct tokenizer {
	struct dm_features *f;
	struct sb_stemmer *stemmer; /* or NULL; borrowed from the cache */
	gboolean slovenian;
	double weight;
	GString *words;             /* the normalised text being built */
};

/* Add the tokens of the word RAW (RAW_LEN bytes of valid UTF-8): its
 * folded stem and, for a long word, its first letters.  The word also
 * goes into the normalised text for the rules. */
static void
emit_word(struct tokenizer *t, const char *raw, size_t raw_len)
{
	g_autofree char *folded = dm_text_fold(raw, (gssize) raw_len);
	if (*folded == '\0')
		return;
	g_string_append(t->words, folded);
	g_string_append_c(t->words, ' ');

	/* Numbers are card numbers, phone numbers, dates and amounts: they
	 * differ in every mail and say nothing about the topic. */
	gboolean digits = TRUE;
	for (const char *p = folded; *p && digits; p++)
		digits = g_ascii_isdigit(*p);
	if (digits || is_stopword(folded) || strlen(folded) > DM_CLASSIFY_TOKEN_MAX)
		return;

	/* The first letters of a long word, as a token of their own: they
	 * join the parts of a compound ("kaukopalvelu", "kaukopalvelun",
	 * "kaukolaina") and the forms a stemmer leaves apart, and survive a
	 * typo near the end of the word.  Five letters measured best. */
	if (g_utf8_strlen(folded, -1) > PREFIX_LETTERS) {
		char buf[DM_CLASSIFY_TOKEN_MAX + 2];
		const char *end = g_utf8_offset_to_pointer(folded, PREFIX_LETTERS);
		g_snprintf(buf, sizeof buf, "%.*s~", (int) (end - folded), folded);
		add_token(t->f, buf, t->weight);
	}

	/* Fold first, then stem: a word typed without diacritics then gets the
	 * same stem as the word with them.  Stemming first and folding after
	 * measured the same on the labelled mail, but gives "pääsen" and
	 * "paasen" different stems. */
	char buf[DM_CLASSIFY_TOKEN_MAX + 1];
	g_strlcpy(buf, folded, sizeof buf);
	if (t->slovenian) {
		stem_slovenian(buf);
		add_token(t->f, buf, t->weight);
	} else if (t->stemmer != NULL) {
		const sb_symbol *stem = sb_stemmer_stem(t->stemmer, (const sb_symbol *) buf,
							(int) strlen(buf));
		add_token(t->f, stem ? (const char *) stem : buf, t->weight);
	} else {
		add_token(t->f, buf, t->weight);
	}
}

/* Split the valid UTF-8 TEXT into words and emit them.  A word is a run of
 * letters and digits; words joined by a hyphen ("e-knjiga", "PIN-koodi")
 * also give their joined form, which is how others write them. */
static void
tokenize(struct tokenizer *t, const char *text)
{
	const char *p = text;
	while (*p) {
		gunichar c = g_utf8_get_char(p);
		if (!is_word_char(c)) {
			p = g_utf8_next_char(p);
			continue;
		}
		GString *joined = NULL;
		for (;;) {
			const char *ws = p;
			while (*p && is_word_char(g_utf8_get_char(p)))
				p = g_utf8_next_char(p);
			emit_word(t, ws, (size_t) (p - ws));
			if (*p == '-' && p[1] && is_word_char(g_utf8_get_char(p + 1))) {
				if (joined == NULL)
					joined = g_string_new(NULL);
				g_string_append_len(joined, ws, p - ws);
				p++;
				continue;
			}
			if (joined != NULL)
				g_string_append_len(joined, ws, p - ws);
			break;
		}
		if (joined != NULL) {
			/* The joined form is a token but not a word of the text:
			 * the rules see the parts. */
			gsize mark = t->words->len;
			emit_word(t, joined->str, joined->len);
			g_string_truncate(t->words, mark);
			g_string_free(joined, TRUE);
		}
	}
}

/* The body without quoted lines and signature. */
static char *
strip_body(const char *body)
{
	GString *out = g_string_new(NULL);
	const char *p = body;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t) (nl - p) : strlen(p);
		size_t content = len;
		if (content > 0 && p[content - 1] == '\r')
			content--;
		if (content == 3 && strncmp(p, "-- ", 3) == 0)
			break;
		if (!(content > 0 && p[0] == '>')) {
			g_string_append_len(out, p, (gssize) content);
			g_string_append_c(out, '\n');
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return g_string_free(out, FALSE);
}

struct dm_features *
dm_features_extract(const char *subject, const char *body, const char *lang, double subject_weight)
{
	struct dm_features *f = g_new0(struct dm_features, 1);
	f->tokens = g_ptr_array_new_with_free_func(g_free);
	f->weights = g_array_new(FALSE, FALSE, sizeof(double));
	f->index = g_hash_table_new(g_str_hash, g_str_equal);

	struct tokenizer t = { .f = f, .words = g_string_new(" ") };
	t.stemmer = snowball_stemmer(lang);
	t.slovenian = lang != NULL && strcmp(lang, "sl") == 0;

	size_t budget = DM_CLASSIFY_MAX_TEXT;
	if (subject != NULL) {
		size_t len = strlen(subject);
		if (len > budget) {
			len = budget;
			f->truncated = TRUE;
		}
		budget -= len;
		g_autofree char *valid = g_utf8_make_valid(subject, (gssize) len);
		t.weight = subject_weight;
		tokenize(&t, valid);
	}
	if (body != NULL) {
		size_t len = strlen(body);
		if (len > budget) {
			len = budget;
			f->truncated = TRUE;
		}
		g_autofree char *valid = g_utf8_make_valid(body, (gssize) len);
		g_autofree char *stripped = strip_body(valid);
		t.weight = 1.0;
		tokenize(&t, stripped);
	}
	f->text = g_string_free(t.words, FALSE);
	return f;
}
