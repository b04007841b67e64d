/* quote-header.c - recognising the header a mail client writes above a
 * quote: an attribution ("On <date>, Ana <ana@x> wrote:" and its
 * translations, also wrapped over up to three lines), Outlook's
 * "-----Original Message-----", Android's "---- Ana wrote ----",
 * GroupWise's ">>> Ana 24.11.2026 10:00 >>>", and Outlook's block of
 * "From:/Sent:/To:/Subject:" lines.  The words come from the table in
 * quote-patterns.c; the shapes are here.  An attribution must carry a
 * date, a time or an address, so that an agent's sentence ending in
 * "wrote:" stays.  Every test looks ahead only a bounded number of
 * lines, and the field kind of a line is computed once (the kind cache),
 * so recognising headers costs linear time whatever the text. */
#include "dm-autoconf.h"

#include <stddef.h>
#include <string.h>

#include "quote.h"
#include "quote-private.h"

/* The second half of a header that Gmail wrapped is short. */
#define MAX_WRAP_TAIL_BYTES 120

/* An Outlook header block is a handful of lines; looking further would
 * only cost time. */
#define MAX_BLOCK_LINES 16

/* An attribution wrapped over lines joins at most this many. */
#define MAX_WRAP_LINES 3

/* The field names of every language, folded name -> kind, built once. */
static GHashTable *
field_table(void)
{
	static gsize done;
	static GHashTable *table;

	if (g_once_init_enter(&done)) {
		GHashTable *t = g_hash_table_new(g_str_hash, g_str_equal);

		for (const struct dm_quote_lang *lang = dm_quote_langs; lang->code; lang++)
			for (const struct dm_quote_field_name *fn = lang->fields; fn->name; fn++)
				g_hash_table_insert(t, (gpointer) fn->name, GINT_TO_POINTER(fn->kind));
		table = t;
		g_once_init_leave(&done, 1);
	}
	return table;
}

gboolean
dm_quote_in_lang_list(const char *f, gsize list, gboolean dashed)
{
	const char *core = f;
	gsize core_len = strlen(f);

	if (dashed && !dm_quote_dashed_core(f, &core, &core_len))
		return FALSE;
	for (const struct dm_quote_lang *lang = dm_quote_langs; lang->code; lang++) {
		const char *const *set = *(const char *const *const *) (const void *) ((const char *) lang + list);

		for (; *set; set++)
			if (strlen(*set) == core_len && memcmp(*set, core, core_len) == 0)
				return TRUE;
	}
	return FALSE;
}

/* F carries a year (four digits in a row) or a time ("10:00", "10.00"):
 * what separates a client's attribution from prose. */
static gboolean
has_date_or_time(const char *f)
{
	int run = 0;

	for (const char *p = f; *p; p++) {
		if (!g_ascii_isdigit(*p)) {
			run = 0;
			continue;
		}
		if (++run == 4)
			return TRUE;
		if (run <= 2 && (p[1] == ':' || p[1] == '.') && g_ascii_isdigit(p[2]) &&
		    g_ascii_isdigit(p[3]))
			return TRUE;
	}
	return FALSE;
}

/* WORD occurs in F as a word of its own: after the start or a space, and
 * before the end, a space, ":" or "(".  This keeps "leírta" (wrote down)
 * from being read as the attribution's "írta". */
static gboolean
has_word(const char *f, const char *word)
{
	gsize wl = strlen(word);

	for (const char *p = strstr(f, word); p; p = strstr(p + 1, word)) {
		char after = p[wl];

		if ((p == f || p[-1] == ' ') &&
		    (after == '\0' || after == ' ' || after == ':' || after == '('))
			return TRUE;
	}
	return FALSE;
}

/* F (folded) starts with an attribution's opener ("on", "am", "le",
 * "w dniu") of any language, followed by a space. */
static gboolean
starts_with_opener(const char *f)
{
	for (const struct dm_quote_lang *lang = dm_quote_langs; lang->code; lang++)
		for (const char *const *o = lang->openers; *o; o++) {
			gsize ol = strlen(*o);

			if (strncmp(f, *o, ol) == 0 && f[ol] == ' ')
				return TRUE;
		}
	return FALSE;
}

/* The LEN bytes at F end in an attribution verb of any language, as a
 * word: after the start, a blank, or the end of an address or quoted
 * name ("<notifications@github.com>wrote" has lost its space). */
static gboolean
ends_with_verb(const char *f, gsize len)
{
	for (const struct dm_quote_lang *lang = dm_quote_langs; lang->code; lang++)
		for (const char *const *v = lang->verbs; *v; v++) {
			gsize vl = strlen(*v);

			if (len >= vl && memcmp(f + len - vl, *v, vl) == 0 &&
			    (len == vl || strchr(" >)]\"'", f[len - vl - 1])))
				return TRUE;
		}
	return FALSE;
}

static gboolean
has_verb_word(const char *f)
{
	for (const struct dm_quote_lang *lang = dm_quote_langs; lang->code; lang++)
		for (const char *const *v = lang->verb_words; *v; v++)
			if (has_word(f, *v))
				return TRUE;
	return FALSE;
}

/* The length of F without a final ":" and the blanks before it (French
 * writes "a écrit :"). */
static gsize
core_length(const char *f, gsize len)
{
	if (len > 0 && f[len - 1] == ':')
		len--;
	while (len > 0 && f[len - 1] == ' ')
		len--;
	return len;
}

/* F (folded) is an attribution line in a language of the table, Gmail's
 * and Yandex's verbless "<date>, Ana <ana@x>:", or mutt's "* Name <addr>
 * [date]:".  Each needs a date, a time or an address as well as the
 * verb, so that an agent's sentence ending in "wrote:" stays; a verb at
 * the end without an address also needs the line to open as clients
 * open it, with the opener or the date. */
static gboolean
is_attribution(const char *f)
{
	gsize len = strlen(f), core;
	gboolean at, dated;

	if (len < 2 || f[len - 1] != ':')
		return FALSE;
	at = strchr(f, '@') != NULL;
	dated = has_date_or_time(f);
	if (!at && !dated)
		return FALSE;
	core = core_length(f, len);
	if (ends_with_verb(f, core) &&
	    (at || starts_with_opener(f) || g_ascii_isdigit(f[0])))
		return TRUE;
	/* The verb inside: "Am ... schrieb Ana <ana@x>:", "Ana kirjoitti ti
	 * 24.11.2026 klo 10.00:", "Ana wrote on <date>:". */
	if (has_verb_word(f))
		return TRUE;
	/* Gmail in Russian and old Gmail in untranslated languages, Yandex,
	 * mail.ru: a date and an address and nothing else to say. */
	if (at && dated && core > 0 && f[core - 1] == '>')
		return TRUE;
	/* mutt's attribution as many set it. */
	if (g_str_has_prefix(f, "* ") && g_str_has_suffix(f, "]:") && strchr(f, '[') && dated)
		return TRUE;
	return FALSE;
}

gboolean
dm_quote_dashed_core(const char *f, const char **core, gsize *core_len)
{
	const char *p = f, *end = f + strlen(f);

	if (!g_str_has_prefix(f, "--") || !g_str_has_suffix(f, "--"))
		return FALSE;
	while (p < end && (*p == '-' || *p == ' '))
		p++;
	while (end > p && (end[-1] == '-' || end[-1] == ' '))
		end--;
	if (p == end)
		return FALSE;
	*core = p;
	*core_len = (gsize) (end - p);
	return TRUE;
}

/* Android's and Zoho's "---- Ana wrote ----", Lotus Notes' "-----Ana
 * <ana@x> wrote: -----": the dashes are the client's, so no date is
 * needed. */
static gboolean
is_dashed_attribution(const char *f)
{
	const char *core;
	gsize len;

	if (!dm_quote_dashed_core(f, &core, &len))
		return FALSE;
	return ends_with_verb(core, core_length(core, len));
}

gboolean
dm_quote_is_groupwise_header(struct line l)
{
	struct line t = trimmed(l);
	char *f;
	gboolean result;

	if (t.len < 12 || t.len > MAX_HEADER_BYTES || strncmp(t.s, ">>>", 3) != 0 ||
	    strncmp(t.s + t.len - 3, ">>>", 3) != 0)
		return FALSE;
	f = fold_line(t);
	result = has_date_or_time(f);
	g_free(f);
	return result;
}

/* One line as a header on its own. */
static gboolean
folded_is_header(const char *f)
{
	return is_attribution(f) || is_dashed_attribution(f) ||
	       dm_quote_in_lang_list(f, offsetof(struct dm_quote_lang, original_titles), TRUE);
}

gboolean
dm_quote_is_header_line(const char *line)
{
	char *valid = NULL, *f;
	struct line l;
	gboolean result;

	if (!line)
		return FALSE;
	if (!g_utf8_validate(line, -1, NULL))
		line = valid = g_utf8_make_valid(line, -1);
	l = trimmed((struct line) { line, strlen(line) });
	if (dm_quote_is_groupwise_header(l)) {
		g_free(valid);
		return TRUE;
	}
	if (l.len == 0 || l.len > MAX_HEADER_BYTES || l.s[0] == '>') {
		g_free(valid);
		return FALSE;
	}
	f = fold_line(l);
	result = folded_is_header(f);
	g_free(f);
	g_free(valid);
	return result;
}

/* L as a header line on its own (the cheap tests first: every header
 * ends in ":", "-" or ">"). */
static gboolean
line_is_header(struct line l)
{
	struct line t = trimmed(l);
	char last, *f;
	gboolean result;

	if (t.len < 4 || t.len > MAX_HEADER_BYTES)
		return FALSE;
	if (t.s[0] == '>')
		return dm_quote_is_groupwise_header(t);
	last = t.s[t.len - 1];
	if (last != ':' && last != '-')
		return FALSE;
	f = fold_line(t);
	result = folded_is_header(f);
	g_free(f);
	return result;
}

/* L has a "<" that is not closed on it. */
static gboolean
has_open_angle(struct line l)
{
	const char *open = NULL;

	for (gsize i = 0; i < l.len; i++) {
		if (l.s[i] == '<')
			open = l.s + i;
		else if (l.s[i] == '>')
			open = NULL;
	}
	return open != NULL;
}

/* The COUNT lines from I joined by spaces, folded, are an attribution;
 * the first one from byte SKIP on. */
static gboolean
joined_is_attribution(const struct line *lines, gsize i, gsize count, gsize skip)
{
	GString *joined = g_string_new(NULL);
	char *f;
	gboolean result;

	for (gsize j = i; j < i + count; j++) {
		struct line t = lines[j];

		if (j == i)
			t = (struct line) { t.s + skip, t.len - skip };
		t = trimmed(t);
		if (joined->len > 0)
			g_string_append_c(joined, ' ');
		g_string_append_len(joined, t.s, (gssize) t.len);
	}
	f = dm_quote_fold(joined->str, joined->len);
	result = is_attribution(f);
	g_free(f);
	g_string_free(joined, TRUE);
	return result;
}

/* A is visibly cut off by wrapping: inside the address ("... Team <" /
 * "help@x> wrote:") or an opener and a date ("On Tue, Nov 24, 2026 at
 * 10:00 AM Help") that do not end a sentence. */
static gboolean
is_cut_off(struct line a)
{
	struct line t = trimmed(a);
	char *f;
	gboolean result;

	if (has_open_angle(t))
		return TRUE;
	if (t.len == 0 || strchr(".!?", t.s[t.len - 1]))
		return FALSE;
	f = fold_line(t);
	result = starts_with_opener(f) && strpbrk(f, "0123456789") != NULL;
	g_free(f);
	return result;
}

/* An attribution wrapped over two or three lines from I ("On ..., Help
 * Desk <" / "help@example.com> wrote:").  The lines after the first
 * must not be a header on their own, or prose followed by a real header
 * would be taken with it, unless the first is visibly cut off.  Its
 * last line goes to *LAST. */
static gboolean
wrapped_header_at(const struct line *lines, gsize n, gsize i, gsize *last)
{
	for (gsize count = 2; count <= MAX_WRAP_LINES && i + count <= n; count++) {
		struct line tail = trimmed(lines[i + count - 1]);
		gboolean ok = TRUE, rest_is_header;

		for (gsize j = i; j < i + count && ok; j++) {
			struct line t = trimmed(lines[j]);

			ok = t.len > 0 && t.len <= MAX_HEADER_BYTES && t.s[0] != '>';
		}
		if (!ok)
			break;
		if (tail.len > MAX_WRAP_TAIL_BYTES || tail.s[tail.len - 1] != ':')
			continue;
		rest_is_header = line_is_header(tail) ||
				 (count == 3 && joined_is_attribution(lines, i + 1, 2, 0));
		if (rest_is_header && !is_cut_off(lines[i]))
			continue;
		if (joined_is_attribution(lines, i, count, 0)) {
			*last = i + count - 1;
			return TRUE;
		}
	}
	return FALSE;
}

/* The bytes of line I that the agent wrote before an attribution that
 * starts on the same line and ends on line LAST ("Done, thanks. On
 * ..., Help Desk <help@x> wrote:"), or 0.  The attribution must begin
 * with an opener and a date after a sentence's end or with a capital,
 * so that a date inside the header ("... 2026 v 10:00 ...") is never
 * taken for its start.  Line I is at most MAX_HEADER_BYTES long. */
static gsize
attribution_keep(const struct line *lines, gsize i, gsize last)
{
	struct line t = trimmed(lines[i]);

	for (gsize k = 1; k < t.len; k++) {
		gsize p = k - 1, skip;
		gboolean punct, upper, opener;
		char *f;

		if (t.s[k - 1] != ' ' || t.s[k] == ' ')
			continue;
		while (p > 0 && t.s[p] == ' ')
			p--;
		punct = strchr(".!?", t.s[p]) && p > 0 && !g_ascii_isdigit(t.s[p - 1]);
		upper = g_unichar_isupper(g_utf8_get_char_validated(t.s + k, (gssize) (t.len - k)));
		if (!punct && !upper)
			continue;
		/* The opener is followed by the date ("AM Help Desk" after
		 * "10:00" is not German's "Am 24.11.2026"). */
		f = dm_quote_fold(t.s + k, t.len - k);
		opener = starts_with_opener(f) && has_date_or_time(f);
		g_free(f);
		skip = (gsize) (t.s + k - lines[i].s);
		if (opener && joined_is_attribution(lines, i, last - i + 1, skip))
			return (gsize) (t.s + p + 1 - lines[i].s);
	}
	return 0;
}

/* V can be the value of a sender field: it has an address, or it is a
 * short name (Exchange gives only "Ana Novak") and not a sentence, as
 * in prose that begins "From: the logs I see that ...". */
static gboolean
is_sender_value(struct line v)
{
	int words = 0;
	gboolean in_word = FALSE;

	if (memchr(v.s, '@', v.len))
		return TRUE;
	if (v.len == 0 || v.len > 64 || strchr(".!?", v.s[v.len - 1]))
		return FALSE;
	for (gsize i = 0; i < v.len; i++) {
		gboolean space = v.s[i] == ' ' || v.s[i] == '\t';

		if (!space && !in_word)
			words++;
		in_word = !space;
	}
	return words <= 5;
}

/* The kind of header field L is ("From: ...", "*Poslano:* ..."), or
 * FIELD_NONE.  *VALUE, when not NULL, gets the value (borrowing L). */
int
dm_quote_field_kind(struct line l, struct line *value)
{
	struct line t = trimmed(l);
	const char *colon, *k = t.s, *kend;
	char *name;
	int kind = FIELD_NONE;

	if (t.len == 0 || t.len > MAX_HEADER_BYTES)
		return FIELD_NONE;
	colon = memchr(t.s, ':', MIN(t.len, (gsize) 40));
	if (!colon)
		return FIELD_NONE;
	/* Converters write bold as "*From:*". */
	while (k < colon && (*k == '*' || *k == ' '))
		k++;
	kend = colon;
	while (kend > k && (kend[-1] == '*' || kend[-1] == ' '))
		kend--;
	if (kend == k)
		return FIELD_NONE;
	name = dm_quote_fold(k, (gsize) (kend - k));
	kind = GPOINTER_TO_INT(g_hash_table_lookup(field_table(), name));
	g_free(name);
	if (kind != FIELD_NONE) {
		const char *v = colon + 1, *vend = t.s + t.len;
		struct line val;

		while (v < vend && *v == '*')
			v++;
		val = trimmed((struct line) { v, (gsize) (vend - v) });
		if (kind == FIELD_FROM && !is_sender_value(val))
			return FIELD_NONE;
		if (value)
			*value = val;
	}
	return kind;
}

/* The field kind of line I, computed once per line: KINDS holds one
 * entry per line, -1 until known.  The block look-ahead visits a line
 * from up to MAX_BLOCK_LINES starting points, and folding its name each
 * time would multiply the cost of a text of field-like lines. */
static int
kind_of(const struct line *lines, gint8 *kinds, gsize i)
{
	if (kinds[i] < 0)
		kinds[i] = (gint8) dm_quote_field_kind(lines[i], NULL);
	return kinds[i];
}

/* KINDS for N lines, all unknown.  Caller frees with g_free. */
gint8 *
dm_quote_new_kind_cache(gsize n)
{
	gint8 *kinds = g_malloc(MAX(n, 1));

	memset(kinds, -1, MAX(n, 1));
	return kinds;
}

/* The header block that starts at line I: field lines (one blank line
 * between two is allowed, as HTML conversion makes of Outlook's
 * paragraphs), at least two, together holding every kind in NEED.  Its
 * last line goes to *LAST and its kinds to *KINDS. */
gboolean
dm_quote_block_at(const struct line *lines, gint8 *cache, gsize n, gsize i, int need, gsize *last,
	 int *kinds)
{
	int kind = kind_of(lines, cache, i), seen = kind, count = 1, blanks = 0;
	gsize end = i;

	if (kind == FIELD_NONE)
		return FALSE;
	for (gsize j = i + 1; j < n && j - i < MAX_BLOCK_LINES; j++) {
		if (is_blank(lines[j])) {
			if (++blanks > 1)
				break;
			continue;
		}
		kind = kind_of(lines, cache, j);
		if (kind == FIELD_NONE) {
			/* Outlook folds long "To:" and "Cc:" lists onto
			 * indented lines. */
			if (lines[j].len > 0 && (lines[j].s[0] == ' ' || lines[j].s[0] == '\t')) {
				end = j;
				blanks = 0;
				continue;
			}
			break;
		}
		seen |= kind;
		count++;
		end = j;
		blanks = 0;
	}
	if (count < 2 || (seen & need) != need)
		return FALSE;
	*last = end;
	if (kinds)
		*kinds = seen;
	return TRUE;
}

/* Outlook's block in a reply: a sender and a date or a subject, so that
 * "From: the logs I see ..." in prose, alone or next to "To: ...", is
 * not one. */
static gboolean
reply_block_at(const struct line *lines, gint8 *cache, gsize n, gsize i, gsize *last)
{
	int kinds;

	return dm_quote_block_at(lines, cache, n, i, FIELD_FROM, last, &kinds) &&
	       (kinds & (FIELD_DATE | FIELD_SUBJECT)) != 0;
}

/* Outlook's rule above its header block: a line of underscores. */
gboolean
dm_quote_is_underscore_line(struct line l)
{
	struct line t = trimmed(l);

	if (t.len < 8)
		return FALSE;
	for (gsize i = 0; i < t.len; i++)
		if (t.s[i] != '_')
			return FALSE;
	return TRUE;
}

/* A quote header starts at line I: one line, an attribution wrapped
 * over two or three lines, or Outlook's block with or without its rule.
 * Its last line goes to *LAST, the agent's bytes before an attribution
 * on line I to *KEEP. */
gboolean
dm_quote_header_at(const struct line *lines, gint8 *cache, gsize n, gsize i, gsize *last,
		   gsize *keep)
{
	gsize k;

	if (keep)
		*keep = 0;
	*last = i;
	if (wrapped_header_at(lines, n, i, last) || line_is_header(lines[i])) {
		if (keep)
			*keep = attribution_keep(lines, i, *last);
		return TRUE;
	}
	if (dm_quote_is_underscore_line(lines[i])) {
		gsize limit = MIN(n, i + 3);

		k = next_nonblank(lines, limit, i + 1);
		if (k < limit && reply_block_at(lines, cache, n, k, last))
			return TRUE;
	}
	return reply_block_at(lines, cache, n, i, last);
}
