/* quote-private.h - what the quote modules share: a line as they see
 * it, the white space and folding they compare lines by, and the
 * recognisers one of them defines and others use.
 *
 *   quote-text.c       lines and their folded form
 *   quote-header.c     quote headers: attributions, "Original Message",
 *                      Outlook's header block
 *   quote-signature.c  signatures and separator lines
 *   quote.c            dm_quote_strip: the agent's own words
 *   quote-forward.c    dm_quote_find_forward: the original of a forward
 *
 * Nobody else may rely on it; other modules use quote.h. */
#ifndef DM_QUOTE_PRIVATE_H
#define DM_QUOTE_PRIVATE_H

#include <string.h>

#include <glib.h>

/* Lines longer than this are never a quote header or a forward header
 * line: real ones are under 200 bytes, and long prose paragraphs (one
 * line each after HTML conversion) must not be folded for nothing. */
#define MAX_HEADER_BYTES 400

struct line {
	const char *s;
	gsize len; /* without the line end and any CR before it */
};

/* Kinds of field in a header block, as bits. */
enum {
	FIELD_NONE = 0,
	FIELD_FROM = 1 << 0,
	FIELD_DATE = 1 << 1,
	FIELD_TO = 1 << 2,
	FIELD_CC = 1 << 3,
	FIELD_SUBJECT = 1 << 4,
};

/* ---- What clients write, per language (quote-patterns.c). */

struct dm_quote_field_name {
	const char *name; /* folded */
	int kind;
};

/* One language's quote headers and mobile signatures, every string
 * folded; the fields are described in quote-patterns.c.  Lists end in
 * NULL, FIELDS in a NULL name. */
struct dm_quote_lang {
	const char *code;
	const char *const *openers;
	const char *const *verbs;
	const char *const *verb_words;
	const struct dm_quote_field_name *fields;
	const char *const *original_titles;
	const char *const *forward_titles;
	const char *const *forward_intros;
	const char *const *mobile;
};

/* The languages, ending in a row whose code is NULL. */
extern const struct dm_quote_lang dm_quote_langs[];

/* Words naming a device in a mobile signature, NULL-terminated. */
extern const char *const dm_quote_device_words[];

/* ---- Lines and white space (quote-text.c, and small ones inline). */

/* Split TEXT into lines.  The lines borrow TEXT.  Caller frees with
 * g_array_free(..., TRUE). */
GArray *dm_quote_split_lines(const char *text);

/* A copy of LEN bytes at S for comparison: trimmed, every run of white
 * space one ASCII space, case-folded and composed (NFC).  Caller frees
 * with g_free. */
char *dm_quote_fold(const char *s, gsize len);

/* Bytes of the white-space character at P (before END), or 0.  Besides
 * ASCII blanks, the invisible characters that mail clients and HTML
 * conversion leave in "empty" lines count: no-break space, narrow
 * no-break space, zero-width space and the byte-order mark Apple Mail
 * puts at the start of a quoted block. */
static inline gsize
space_at(const char *p, const char *end)
{
	const guchar *u = (const guchar *) p;
	gsize left = (gsize) (end - p);

	if (left == 0)
		return 0;
	if (u[0] == ' ' || u[0] == '\t' || u[0] == '\r' || u[0] == '\f' || u[0] == '\v')
		return 1;
	if (left >= 2 && u[0] == 0xC2 && u[1] == 0xA0)
		return 2;
	if (left >= 3 && u[0] == 0xE2 && u[1] == 0x80 &&
	    (u[2] == 0x8B || u[2] == 0xAF || u[2] == 0x8C || u[2] == 0x8D))
		return 3;
	if (left >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		return 3;
	return 0;
}

/* Bytes of the white-space character that ends at END (after START), or 0. */
static inline gsize
space_before(const char *start, const char *end)
{
	gsize left = (gsize) (end - start);

	if (left >= 1 && space_at(end - 1, end) == 1)
		return 1;
	if (left >= 2 && space_at(end - 2, end) == 2)
		return 2;
	if (left >= 3 && space_at(end - 3, end) == 3)
		return 3;
	return 0;
}

/* L without white space at either end. */
static inline struct line
trimmed(struct line l)
{
	const char *p = l.s, *end = l.s + l.len;
	gsize w;

	while ((w = space_at(p, end)) > 0)
		p += w;
	while ((w = space_before(p, end)) > 0)
		end -= w;
	return (struct line) { p, (gsize) (end - p) };
}

static inline gboolean
is_blank(struct line l)
{
	return trimmed(l).len == 0;
}

/* Quoted with ">", after any indentation. */
static inline gboolean
is_quoted(struct line l)
{
	struct line t = trimmed(l);

	return t.len > 0 && t.s[0] == '>';
}

/* The index of the first non-blank line at or after I, or N. */
static inline gsize
next_nonblank(const struct line *lines, gsize n, gsize i)
{
	while (i < n && is_blank(lines[i]))
		i++;
	return i;
}

static inline char *
fold_line(struct line l)
{
	return dm_quote_fold(l.s, l.len);
}

static inline gboolean
in_set(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return TRUE;
	return FALSE;
}

static inline gboolean
ends_with_any(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (g_str_has_suffix(s, *set))
			return TRUE;
	return FALSE;
}

static inline gboolean
starts_with_any(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (g_str_has_prefix(s, *set))
			return TRUE;
	return FALSE;
}

/* ---- Quote headers (quote-header.c). */

/* The kind of header field L is ("From: ...", "*Poslano:* ..."), or
 * FIELD_NONE.  *VALUE, when not NULL, gets the value (borrowing L). */
int dm_quote_field_kind(struct line l, struct line *value);

/* A cache of field kinds for N lines, all unknown, for
 * dm_quote_block_at() and dm_quote_header_at().  Caller frees with
 * g_free. */
gint8 *dm_quote_new_kind_cache(gsize n);

/* The header block that starts at line I of the N LINES: field lines
 * (one blank line between two is allowed, as HTML conversion makes of
 * Outlook's paragraphs), at least two, together holding every kind in
 * NEED.  Its last line goes to *LAST and its kinds to *KINDS (may be
 * NULL).  CACHE from dm_quote_new_kind_cache(N). */
gboolean dm_quote_block_at(const struct line *lines, gint8 *cache, gsize n, gsize i, int need,
			   gsize *last, int *kinds);

/* A quote header starts at line I: one line, an attribution wrapped over
 * two or three lines, or Outlook's block with or without its rule.  Its
 * last line goes to *LAST; *KEEP (may be NULL) gets how many bytes at
 * the start of line I are the agent's own text before an attribution
 * on the same line ("Done. On ... wrote:"), 0 for none. */
gboolean dm_quote_header_at(const struct line *lines, gint8 *cache, gsize n, gsize i,
			    gsize *last, gsize *keep);

/* GroupWise's header, ">>> Ana <ana@x> 24.11.2026 10:00 >>>", which
 * begins like a quoted line. */
gboolean dm_quote_is_groupwise_header(struct line l);

/* A forward separator: a dashed forward title ("---------- Forwarded
 * message ---------") or Apple Mail's "Begin forwarded message:", in
 * any language of the table; WITH_ORIGINAL, also "-----Original
 * Message-----", which clients write above replies and forwards alike. */
gboolean dm_quote_is_forward_separator(struct line l, gboolean with_original);

/* F (folded) is in the LIST member of any language (offsetof in
 * struct dm_quote_lang); with DASHED, F is a title between dashes
 * whose title is in it. */
gboolean dm_quote_in_lang_list(const char *f, gsize list, gboolean dashed);

/* Outlook's rule above its header block: a line of underscores. */
gboolean dm_quote_is_underscore_line(struct line l);

/* F (folded) is a title between dashes ("-----Original Message-----",
 * "-------- Forwarded Message --------"): the title goes to *CORE
 * (borrowing F) and its length to *CORE_LEN. */
gboolean dm_quote_dashed_core(const char *f, const char **core, gsize *core_len);

/* ---- Signatures (quote-signature.c). */

/* The signature delimiter: "-- " (RFC 3676) or "--" as clients that trim
 * blanks leave it. */
gboolean dm_quote_is_signature_delimiter(struct line l);

/* A mobile client's one-line signature ("Sent from my iPhone"). */
gboolean dm_quote_is_mobile_signature(struct line l);

/* A line of only "_", "-" or "=": a separator whose header went
 * unrecognised. */
gboolean dm_quote_is_separator_line(struct line l);

#endif
