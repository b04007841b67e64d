/* langid.c - which of the desk's languages a customer's mail is written in.
 *
 * libexttextcat compares the n-gram profile of a text with a fingerprint
 * per language (Cavnar and Trenkle's out-of-place measure: lower is
 * closer).  Its own textcat_Init()/textcat_Classify() API wants a
 * configuration file, cuts the scoring of every language short once it is
 * 3% behind the leader, and only names the winners, so it cannot tell how
 * far the runner-up is.  The lower-level fingerprint API (fingerprint.h,
 * installed by libexttextcat-dev) loads just the candidate fingerprints and
 * gives every candidate an exact score, which is what deciding "unsure"
 * needs.
 *
 * Customers often type without diacritics.  The shipped fingerprints are
 * full of č, š, ä, ö, á, é, so a text without them looks less like its own
 * language than it should (unaccented Hungarian drifts towards Slovenian).
 * Each fingerprint therefore also gets a diacritics-free copy, and a text
 * with no diacritics at all is compared with those copies instead.  When
 * the two best languages still score too close, a small table of very
 * common words per language breaks the tie; if it cannot, the answer is
 * "unsure" and the caller's Content-Language hint, if any, decides. */
#include "dm-autoconf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <fingerprint.h>

#include "langid.h"

#ifndef DM_LANGID_FINGERPRINT_DIR
#define DM_LANGID_FINGERPRINT_DIR "/usr/share/libexttextcat"
#endif

/* How much of the caller's text is read at most, and how much of what
 * survives cleaning is classified.  A few hundred bytes already decide;
 * the caps keep the cost of a 20 MB message the same as a short one. */
#define DM_LANGID_SCAN_BYTES (64 * 1024)
#define DM_LANGID_TEXT_BYTES 4096

/* n-grams per profile: the size of the shipped fingerprints. */
#define DM_LANGID_NGRAMS 400

/* Below this many letters n-gram statistics are noise. */
#define DM_LANGID_MIN_LETTERS 8

/* The runner-up must score at least this much worse than the leader, as a
 * fraction of the leader's score: 3% (libexttextcat's own threshold) plus
 * a part that shrinks with the length of the text, because short texts
 * give noisy scores.  Tuned on labelled help-desk mail cut into single
 * sentences, with and without diacritics. */
#define DM_LANGID_MARGIN 0.03
#define DM_LANGID_MARGIN_LETTERS 0.5

/* The word table decides a close call only with this many hits for the
 * leader and this lead over every other close candidate. */
#define DM_LANGID_WORDS_MIN 2
#define DM_LANGID_WORDS_LEAD 1

#define DM_LANGID_MAX_CANDIDATES 32
#define DM_LANGID_CODE_MAX 15

G_DEFINE_QUARK(dm-langid-error-quark, dm_langid_error)

/* Very common words, without diacritics and in lower case, of the
 * languages the desks serve.  A word may belong to several languages ("se"
 * is Slovenian and Finnish, "is" English and Hungarian); it then counts
 * for each.  Languages without a row simply never win a tie-break. */
static const struct {
	const char *code;
	const char *words;
} function_words[] = {
	{ "sl", "in je se ne da za na pa so sem smo ste si ki ali lahko pri tudi ker kot bi "
		"mi me ze vec kako kaj zelo samo od do iz po bo ni sta hvala prosim "
		"pozdravljeni lep pozdrav lp dober dan zivjo spostovani" },
	{ "fi", "ja on ei en et etta mutta kun jos se ole olen oli ovat tai niin kuin mita "
		"miten voiko onko minun minulla minua meilla mina nyt viela myos siis tama "
		"tassa hei moi kiitos terveisin ystavallisin" },
	{ "hu", "a az es nem hogy is egy meg de van mar csak ha mert mint vagy nincs kell "
		"lehet ez azt nekem en mi ne koszonom udvozlettel kerem szia sziasztok jo "
		"napot tisztelt kedves udv" },
	{ "en", "the and is to of i my it in for not can you we this that with have be are "
		"was a on me so please thanks thank hi hello dear regards would could cant "
		"dont" },
};

struct dm_langid {
	guint n;
	char **codes;       /* NULL-terminated copies of the candidates */
	void **plain;       /* the fingerprints as shipped */
	void **folded;      /* the same, lower-cased and without diacritics */
	GHashTable *words;  /* common word -> guint mask of candidate indexes */
	guint32 has_words;  /* candidates that have a row in function_words */
};

void
dm_langid_free(struct dm_langid *l)
{
	if (l == NULL)
		return;
	for (guint i = 0; i < l->n; i++) {
		if (l->plain[i] != NULL)
			fp_Done(l->plain[i]);
		if (l->folded[i] != NULL)
			fp_Done(l->folded[i]);
	}
	g_free(l->plain);
	g_free(l->folded);
	g_strfreev(l->codes);
	if (l->words != NULL)
		g_hash_table_unref(l->words);
	g_free(l);
}

const char *const *
dm_langid_candidates(const struct dm_langid *l)
{
	return (const char *const *) l->codes;
}

/* Letters a fold cannot reach through Unicode decomposition. */
static gunichar
fold_special(gunichar c)
{
	switch (c) {
	case 0x0111: /* đ */
		return 'd';
	case 0x0142: /* ł */
		return 'l';
	case 0x00F8: /* ø */
		return 'o';
	default:
		return c;
	}
}

/* S lower-cased and without diacritics.  Caller frees with g_free. */
static char *
fold(const char *s)
{
	g_autofree char *lower = g_utf8_strdown(s, -1);
	g_autofree char *nfd = g_utf8_normalize(lower, -1, G_NORMALIZE_NFD);
	GString *out = g_string_sized_new(strlen(lower));
	for (const char *p = nfd; p != NULL && *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (g_unichar_ismark(c))
			continue;
		g_string_append_unichar(out, fold_special(c));
	}
	return g_string_free(out, FALSE);
}

static gboolean
valid_code(const char *code)
{
	size_t len = strlen(code);
	if (len == 0 || len > DM_LANGID_CODE_MAX)
		return FALSE;
	for (const char *p = code; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
			return FALSE;
	return TRUE;
}

/* Write the diacritics-free copy of the fingerprint CONTENTS (the text of a
 * .lm file: one n-gram per line, most frequent first, optionally followed
 * by a count) to a private temporary file and load it.  Folding merges
 * n-grams ("č" and "c" both become "c"); the first, most frequent, keeps
 * its place.  Returns NULL and sets ERROR on failure. */
static void *
load_folded(const char *code, const char *path, const char *contents, GError **error)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GString) out = g_string_new(NULL);
	g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
	guint kept = 0;

	for (char **line = lines; *line != NULL && kept < DM_LANGID_NGRAMS; line++) {
		g_strstrip(*line);
		(*line)[strcspn(*line, " \t")] = '\0';
		if (**line == '\0' || !g_utf8_validate(*line, -1, NULL))
			continue;
		char *ngram = fold(*line);
		if (*ngram == '\0' || g_hash_table_contains(seen, ngram)) {
			g_free(ngram);
			continue;
		}
		g_string_append_printf(out, "%s\n", ngram);
		g_hash_table_add(seen, ngram);
		kept++;
	}
	if (kept == 0) {
		g_set_error(error, DM_LANGID_ERROR, DM_LANGID_ERROR_FINGERPRINT,
			    "language '%s': fingerprint %s holds no n-grams", code, path);
		return NULL;
	}

	g_autofree char *tmp = NULL;
	GError *local = NULL;
	int fd = g_file_open_tmp("deskmail-langid-XXXXXX.lm", &tmp, &local);
	if (fd < 0) {
		g_set_error(error, DM_LANGID_ERROR, DM_LANGID_ERROR_LIBRARY,
			    "language '%s': cannot create a temporary file: %s", code, local->message);
		g_error_free(local);
		return NULL;
	}
	gboolean written = TRUE;
	for (gsize done = 0; done < out->len;) {
		ssize_t w = write(fd, out->str + done, out->len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			written = FALSE;
			break;
		}
		done += (gsize) w;
	}
	int saved_errno = errno;
	close(fd);

	void *fp = NULL;
	if (written) {
		fp = fp_Init(code);
		if (fp != NULL && fp_Read(fp, tmp, DM_LANGID_NGRAMS) == 0) {
			fp_Done(fp);
			fp = NULL;
		}
	}
	g_unlink(tmp);
	if (!written) {
		g_set_error(error, DM_LANGID_ERROR, DM_LANGID_ERROR_LIBRARY,
			    "language '%s': cannot write temporary file %s: %s", code, tmp,
			    g_strerror(saved_errno));
		return NULL;
	}
	if (fp == NULL) {
		g_set_error(error, DM_LANGID_ERROR, DM_LANGID_ERROR_LIBRARY,
			    "language '%s': libexttextcat cannot load the folded fingerprint", code);
		return NULL;
	}
	return fp;
}

/* Load the plain and the folded fingerprint of candidate I. */
static gboolean
load_candidate(struct dm_langid *l, guint i, const char *dir, GError **error)
{
	const char *code = l->codes[i];
	g_autofree char *file = g_strconcat(code, ".lm", NULL);
	g_autofree char *path = g_build_filename(dir, file, NULL);
	g_autofree char *contents = NULL;

	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, DM_LANGID_ERROR, DM_LANGID_ERROR_FINGERPRINT,
			    "language '%s': no fingerprint %s", code, path);
		return FALSE;
	}
	if (!g_file_get_contents(path, &contents, NULL, NULL)) {
		g_set_error(error, DM_LANGID_ERROR, DM_LANGID_ERROR_FINGERPRINT,
			    "language '%s': cannot read fingerprint %s", code, path);
		return FALSE;
	}
	l->plain[i] = fp_Init(code);
	if (l->plain[i] == NULL || fp_Read(l->plain[i], path, DM_LANGID_NGRAMS) == 0) {
		g_set_error(error, DM_LANGID_ERROR, DM_LANGID_ERROR_LIBRARY,
			    "language '%s': libexttextcat cannot load %s", code, path);
		return FALSE;
	}
	l->folded[i] = load_folded(code, path, contents, error);
	return l->folded[i] != NULL;
}

/* Index the common words of the candidates that have a row. */
static void
load_words(struct dm_langid *l)
{
	l->words = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < l->n; i++) {
		for (gsize r = 0; r < G_N_ELEMENTS(function_words); r++) {
			if (g_ascii_strcasecmp(function_words[r].code, l->codes[i]) != 0)
				continue;
			g_auto(GStrv) words = g_strsplit(function_words[r].words, " ", -1);
			for (char **w = words; *w != NULL; w++) {
				if (**w == '\0')
					continue;
				gpointer old = NULL;
				guint mask = 1u << i;
				if (g_hash_table_lookup_extended(l->words, *w, NULL, &old))
					mask |= GPOINTER_TO_UINT(old);
				g_hash_table_insert(l->words, g_strdup(*w), GUINT_TO_POINTER(mask));
			}
			l->has_words |= 1u << i;
		}
	}
}

struct dm_langid *
dm_langid_new(const char *const *candidates, const char *fingerprint_dir, GError **error)
{
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	guint n = candidates != NULL ? g_strv_length((char **) candidates) : 0;
	if (n == 0) {
		g_set_error(error, DM_LANGID_ERROR, DM_LANGID_ERROR_CANDIDATES,
			    "no candidate languages");
		return NULL;
	}
	if (n > DM_LANGID_MAX_CANDIDATES) {
		g_set_error(error, DM_LANGID_ERROR, DM_LANGID_ERROR_CANDIDATES,
			    "%u candidate languages, at most %d", n, DM_LANGID_MAX_CANDIDATES);
		return NULL;
	}
	for (guint i = 0; i < n; i++) {
		if (!valid_code(candidates[i])) {
			/* Clip and escape: the code may come straight from a
			 * configuration file and is about to be logged. */
			g_autofree char *clip = g_strndup(candidates[i], 40);
			g_autofree char *shown = g_strescape(clip, NULL);
			g_set_error(error, DM_LANGID_ERROR, DM_LANGID_ERROR_CANDIDATES,
				    "language '%s': not a language code (1 to %d of A-Z a-z 0-9 _ -)",
				    shown, DM_LANGID_CODE_MAX);
			return NULL;
		}
		for (guint j = 0; j < i; j++) {
			/* Two identical fingerprints would always tie, so every
			 * text would come out unsure. */
			if (g_ascii_strcasecmp(candidates[i], candidates[j]) == 0) {
				g_set_error(error, DM_LANGID_ERROR, DM_LANGID_ERROR_CANDIDATES,
					    "language '%s': listed twice", candidates[i]);
				return NULL;
			}
		}
	}

	g_autoptr(DmLangid) l = g_new0(struct dm_langid, 1);
	l->n = n;
	l->codes = g_strdupv((char **) candidates);
	l->plain = g_new0(void *, n);
	l->folded = g_new0(void *, n);
	const char *dir = fingerprint_dir != NULL ? fingerprint_dir : DM_LANGID_FINGERPRINT_DIR;
	for (guint i = 0; i < n; i++)
		if (!load_candidate(l, i, dir, error))
			return NULL;
	load_words(l);
	return g_steal_pointer(&l);
}

/* Whether the LEN bytes at TOKEN (a run of non-space characters) are a URL
 * or an e-mail address: neither says anything about the writer's
 * language. */
static gboolean
is_address(const char *token, gsize len)
{
	static const char *const prefixes[] = { "www.", "(www.", "<www.", "mailto:" };

	if (memchr(token, '@', len) != NULL)
		return TRUE;
	for (gsize i = 0; i + 3 <= len; i++)
		if (memcmp(token + i, "://", 3) == 0)
			return TRUE;
	for (gsize i = 0; i < G_N_ELEMENTS(prefixes); i++) {
		gsize plen = strlen(prefixes[i]);
		if (len >= plen && g_ascii_strncasecmp(token, prefixes[i], plen) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Append the words of LINE to OUT: letters and apostrophes are kept,
 * everything else becomes a space, since the n-grams that matter are made
 * of letters and word boundaries. */
static void
append_line(GString *out, const char *line)
{
	const char *p = line;
	while (*p && out->len < DM_LANGID_TEXT_BYTES) {
		while (*p && g_unichar_isspace(g_utf8_get_char(p)))
			p = g_utf8_next_char(p);
		const char *start = p;
		while (*p && !g_unichar_isspace(g_utf8_get_char(p)))
			p = g_utf8_next_char(p);
		if (p == start)
			break;
		if (is_address(start, (gsize) (p - start)))
			continue;
		for (const char *q = start; q < p && out->len < DM_LANGID_TEXT_BYTES;
		     q = g_utf8_next_char(q)) {
			gunichar c = g_utf8_get_char(q);
			if (g_unichar_isalpha(c) || g_unichar_ismark(c))
				g_string_append_unichar(out, c);
			else if (c == '\'' || c == 0x2019)
				g_string_append_c(out, '\'');
			else
				g_string_append_c(out, ' ');
		}
		g_string_append_c(out, ' ');
	}
}

/* The part of TEXT that carries the writer's language, lower-cased and
 * capped at about DM_LANGID_TEXT_BYTES (whole characters only).  Caller
 * frees with g_free. */
static char *
clean_text(const char *text)
{
	gsize len = strnlen(text, DM_LANGID_SCAN_BYTES);
	g_autofree char *valid = g_utf8_make_valid(text, (gssize) len);
	g_autoptr(GString) out = g_string_new(NULL);

	char *save = NULL;
	for (char *line = strtok_r(valid, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0';
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		/* Quoted text is someone else's, often ours. */
		if (*p == '>')
			continue;
		/* The signature separator is "-- "; many clients drop the
		 * trailing space. */
		if (g_str_has_prefix(line, "--") && line[2 + strspn(line + 2, " \t")] == '\0')
			break;
		append_line(out, line);
		if (out->len >= DM_LANGID_TEXT_BYTES)
			break;
	}

	/* Some clients send decomposed text (c + combining caron); the
	 * fingerprints hold composed letters. */
	g_autofree char *lower = g_utf8_strdown(out->str, (gssize) out->len);
	return g_utf8_normalize(lower, -1, G_NORMALIZE_DEFAULT_COMPOSE);
}

static guint
count_letters(const char *s)
{
	guint n = 0;
	for (const char *p = s; *p; p = g_utf8_next_char(p))
		if (g_unichar_isalpha(g_utf8_get_char(p)))
			n++;
	return n;
}

/* Score TEXT against FPS (one per candidate) into SCORES: lower is closer.
 * FALSE when libexttextcat finds the text too small. */
static gboolean
score_text(const struct dm_langid *l, void *const *fps, const char *text, int *scores)
{
	void *unknown = fp_Init(NULL);
	if (unknown == NULL)
		return FALSE;
	fp_SetProperty(unknown, TCPROP_UTF8AWARE, TC_TRUE);
	fp_SetProperty(unknown, TCPROP_MINIMUM_DOCUMENT_SIZE, 1);
	gboolean ok = fp_Create(unknown, text, (uint4) strlen(text), DM_LANGID_NGRAMS) != 0;
	if (ok)
		for (guint i = 0; i < l->n; i++)
			scores[i] = fp_Compare(fps[i], unknown, INT_MAX);
	fp_Done(unknown);
	return ok;
}

/* Break a close call among the candidates in NEAR (a mask) by counting
 * common words in FOLDED.  Returns the index of the winner or -1. */
static int
tie_break(const struct dm_langid *l, const char *folded, guint32 near)
{
	/* A candidate without a word list cannot take part fairly. */
	if ((near & ~l->has_words) != 0)
		return -1;

	guint hits[DM_LANGID_MAX_CANDIDATES] = { 0 };
	g_autofree char *copy = g_strdup(folded);
	char *save = NULL;
	for (char *w = strtok_r(copy, " '", &save); w != NULL; w = strtok_r(NULL, " '", &save)) {
		gpointer mask = NULL;
		if (g_hash_table_lookup_extended(l->words, w, NULL, &mask))
			for (guint i = 0; i < l->n; i++)
				if ((GPOINTER_TO_UINT(mask) & near & (1u << i)) != 0)
					hits[i]++;
	}

	int best = -1;
	guint best_hits = 0, second_hits = 0;
	for (guint i = 0; i < l->n; i++) {
		if ((near & (1u << i)) == 0)
			continue;
		if (best < 0 || hits[i] > best_hits) {
			second_hits = best < 0 ? 0 : best_hits;
			best_hits = hits[i];
			best = (int) i;
		} else if (hits[i] > second_hits) {
			second_hits = hits[i];
		}
	}
	if (best_hits >= DM_LANGID_WORDS_MIN && best_hits >= second_hits + DM_LANGID_WORDS_LEAD)
		return best;
	return -1;
}

/* The candidate named by the Content-Language value HINT, or NULL. */
static const char *
from_hint(const struct dm_langid *l, const char *hint)
{
	if (hint == NULL)
		return NULL;
	g_autofree char *clip = g_strndup(hint, 256);
	g_auto(GStrv) tags = g_strsplit(clip, ",", -1);
	for (char **t = tags; *t != NULL; t++) {
		char *tag = g_strstrip(*t);
		/* A quality value ("en;q=0.5") is not part of the tag. */
		tag[strcspn(tag, ";")] = '\0';
		g_strstrip(tag);
		for (guint i = 0; i < l->n; i++) {
			size_t len = strlen(l->codes[i]);
			if (g_ascii_strncasecmp(tag, l->codes[i], len) == 0 &&
			    (tag[len] == '\0' || tag[len] == '-' || tag[len] == '_'))
				return l->codes[i];
		}
	}
	return NULL;
}

/* The index of the language of TEXT, or -1 when unsure. */
static int
classify(const struct dm_langid *l, const char *text)
{
	if (text == NULL)
		return -1;
	g_autofree char *clean = clean_text(text);
	guint letters = count_letters(clean);
	if (letters < DM_LANGID_MIN_LETTERS)
		return -1;

	/* A text with diacritics is compared with the fingerprints as
	 * shipped, since the marks are strong evidence; one without any
	 * with the folded copies, so that missing marks cost nothing. */
	g_autofree char *folded = fold(clean);
	gboolean plain = strcmp(folded, clean) != 0;
	int scores[DM_LANGID_MAX_CANDIDATES];
	if (!score_text(l, plain ? l->plain : l->folded, plain ? clean : folded, scores))
		return -1;

	guint best = 0;
	for (guint i = 1; i < l->n; i++)
		if (scores[i] < scores[best])
			best = i;
	if (l->n == 1)
		return (int) best;

	double need = DM_LANGID_MARGIN + DM_LANGID_MARGIN_LETTERS / letters;
	double limit = (double) scores[best] * (1.0 + need);
	guint32 near = 0;
	for (guint i = 0; i < l->n; i++)
		if ((double) scores[i] <= limit)
			near |= 1u << i;
	if (near == (1u << best))
		return (int) best;
	return tie_break(l, folded, near);
}

const char *
dm_langid_detect(const struct dm_langid *l, const char *text, const char *hint)
{
	g_return_val_if_fail(l != NULL, NULL);

	int i = classify(l, text);
	if (i >= 0)
		return l->codes[i];
	return from_hint(l, hint);
}
