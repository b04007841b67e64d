/* quote.c - what the agent wrote, without what the mail client added.
 *
 * Agents reply to notifications from whatever client they use, so the
 * reply arrives with the client's quote header, the quoted notification
 * and a signature around the few lines that must go to the customer.
 * dm_quote_strip() decides line by line from the top, looking ahead only
 * a bounded number of lines (or over blank lines, each of which is then
 * passed once more), so a reply of any size costs linear time.  What a
 * quote header is lives in quote-header.c, what a signature is in
 * quote-signature.c; the forwards of dm_quote_find_forward() in
 * quote-forward.c. */
#include "dm-autoconf.h"

#include <string.h>

#include "quote.h"
#include "quote-private.h"

/* ---- Markers. */

/* The markers folded, empty ones left out (an empty marker would match
 * every line).  Caller frees with g_ptr_array_unref. */
static GPtrArray *
fold_markers(const char *const *markers)
{
	GPtrArray *folded = g_ptr_array_new_with_free_func(g_free);

	for (; markers && *markers; markers++) {
		char *valid = NULL, *f;
		const char *m = *markers;

		if (!g_utf8_validate(m, -1, NULL))
			m = valid = g_utf8_make_valid(m, -1);
		f = dm_quote_fold(m, strlen(m));
		g_free(valid);
		if (*f)
			g_ptr_array_add(folded, f);
		else
			g_free(f);
	}
	return folded;
}

static gboolean
has_marker(struct line l, const GPtrArray *markers)
{
	char *f;
	gboolean found = FALSE;

	if (markers->len == 0)
		return FALSE;
	f = fold_line(l);
	for (guint i = 0; i < markers->len && !found; i++)
		found = strstr(f, g_ptr_array_index(markers, i)) != NULL;
	g_free(f);
	return found;
}

/* ---- Stripping a reply. */

/* Append L to OUT without the blanks at its end, after one line break,
 * or two when GAP. */
static void
emit(GString *out, struct line l, gboolean gap)
{
	const char *end = l.s + l.len;
	gsize w;

	while ((w = space_before(l.s, end)) > 0)
		end -= w;
	if (out->len > 0)
		g_string_append(out, gap ? "\n\n" : "\n");
	g_string_append_len(out, l.s, end - l.s);
}

/* The state of one strip: the lines, what is kept, and where it is. */
struct strip {
	const struct line *lines;
	gsize n;
	GPtrArray *markers; /* folded */
	gint8 *kinds;
	GString *out;
	gsize kept_len;     /* OUT is cut back to this: trailing separators go */
	gboolean gap, in_forward;
};

static void
keep_line(struct strip *st, struct line l)
{
	emit(st->out, l, st->gap);
	st->gap = FALSE;
	st->kept_len = st->out->len;
}

/* A forward the agent put below their text on purpose stays, its header
 * block with it, until a quote header below it.  *I moves past it. */
static void
keep_forward(struct strip *st, gsize *i)
{
	gsize last, k = next_nonblank(st->lines, MIN(st->n, *i + 3), *i + 1);
	keep_line(st, st->lines[*i]);
	st->in_forward = TRUE;
	if (k < MIN(st->n, *i + 3) && dm_quote_block_at(st->lines, st->kinds, st->n, k, FIELD_FROM, &last, NULL)) {
		for (gsize j = *i + 1; j <= last; j++)
			emit(st->out, st->lines[j], FALSE);
		st->kept_len = st->out->len;
		*i = last;
	}
}

/* Line *I starts a quote header ending at LAST; "Done. On ... wrote:"
 * keeps the KEEP bytes of the agent's words first.  FALSE when the rest
 * of the text is quote. */
static gboolean
quote_header(struct strip *st, gsize *i, gsize last, gsize keep)
{
	gsize k = next_nonblank(st->lines, st->n, last + 1);
	st->in_forward = FALSE;
	if (keep > 0)
		keep_line(st, (struct line) { st->lines[*i].s, keep });
	/* Followed by ">" lines, the header introduces a quote that may have
	 * answers below it; otherwise the quote has no ">" and everything
	 * below is quote. */
	if (k < st->n && is_quoted(st->lines[k])) {
		*i = last;
		st->gap = TRUE;
		return TRUE;
	}
	return FALSE;
}

/* Line *I of the text; FALSE when the agent's text ends before it. */
static gboolean
strip_line(struct strip *st, gsize *i)
{
	struct line l = st->lines[*i];
	gsize last, keep;
	if (is_blank(l)) {
		st->gap = TRUE;
		return TRUE;
	}
	/* The marker is the strongest rule: inside a forward the agent kept,
	 * even a quoted one ends the text. */
	if (st->in_forward && has_marker(l, st->markers))
		return FALSE;
	if (is_quoted(l) && !dm_quote_is_groupwise_header(l)) {
		if (st->in_forward)
			keep_line(st, l);
		else
			st->gap = TRUE;
		return TRUE;
	}
	if (has_marker(l, st->markers) || dm_quote_is_signature_delimiter(l))
		return FALSE;
	if (dm_quote_is_forward_separator(l, FALSE)) {
		keep_forward(st, i);
		return TRUE;
	}
	if (dm_quote_header_at(st->lines, st->kinds, st->n, *i, &last, &keep))
		return quote_header(st, i, last, keep);
	if (dm_quote_is_mobile_signature(l))
		return TRUE;
	emit(st->out, l, st->gap);
	st->gap = FALSE;
	/* Separators are only kept when text follows them. */
	if (!dm_quote_is_separator_line(l))
		st->kept_len = st->out->len;
	return TRUE;
}

char *
dm_quote_strip(const char *text, const char *const *markers)
{
	g_autofree char *valid = NULL;
	if (!text)
		return g_strdup("");
	if (!g_utf8_validate(text, -1, NULL))
		text = valid = g_utf8_make_valid(text, -1);
	GArray *array = dm_quote_split_lines(text);
	struct strip st = { .lines = (const struct line *) (void *) array->data, .n = array->len,
			    .markers = fold_markers(markers), .out = g_string_new(NULL) };
	st.kinds = dm_quote_new_kind_cache(st.n);
	for (gsize i = 0; i < st.n && strip_line(&st, &i); i++)
		;
	g_string_truncate(st.out, st.kept_len);
	g_free(st.kinds);
	g_ptr_array_unref(st.markers);
	g_array_free(array, TRUE);
	return g_string_free(st.out, FALSE);
}
