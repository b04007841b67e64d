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

char *
dm_quote_strip(const char *text, const char *const *markers)
{
	char *valid = NULL;
	GArray *array;
	const struct line *lines;
	GPtrArray *folded_markers;
	GString *out;
	gint8 *kinds;
	gsize n, kept_len = 0;
	gboolean gap = FALSE, in_forward = FALSE;

	if (!text)
		return g_strdup("");
	if (!g_utf8_validate(text, -1, NULL))
		text = valid = g_utf8_make_valid(text, -1);
	array = dm_quote_split_lines(text);
	lines = (const struct line *) (void *) array->data;
	n = array->len;
	folded_markers = fold_markers(markers);
	kinds = dm_quote_new_kind_cache(n);
	out = g_string_new(NULL);

	for (gsize i = 0; i < n; i++) {
		struct line l = lines[i];
		gsize last, keep;

		if (is_blank(l)) {
			gap = TRUE;
			continue;
		}
		/* The marker is the strongest rule: inside a forward the agent
		 * kept, even a quoted one ends the text. */
		if (in_forward && has_marker(l, folded_markers))
			break;
		if (is_quoted(l) && !dm_quote_is_groupwise_header(l)) {
			if (in_forward) {
				emit(out, l, gap);
				gap = FALSE;
				kept_len = out->len;
				continue;
			}
			gap = TRUE;
			continue;
		}
		if (has_marker(l, folded_markers) || dm_quote_is_signature_delimiter(l))
			break;
		/* A forward the agent put below their text on purpose stays,
		 * its header block with it, until a quote header below it. */
		if (dm_quote_is_forward_separator(l, FALSE)) {
			gsize k = next_nonblank(lines, MIN(n, i + 3), i + 1);

			emit(out, l, gap);
			gap = FALSE;
			kept_len = out->len;
			in_forward = TRUE;
			if (k < MIN(n, i + 3) &&
			    dm_quote_block_at(lines, kinds, n, k, FIELD_FROM, &last, NULL)) {
				for (gsize j = i + 1; j <= last; j++)
					emit(out, lines[j], FALSE);
				kept_len = out->len;
				i = last;
			}
			continue;
		}
		if (dm_quote_header_at(lines, kinds, n, i, &last, &keep)) {
			gsize k = next_nonblank(lines, n, last + 1);

			in_forward = FALSE;
			/* "Done. On ... wrote:": the agent's words come first. */
			if (keep > 0) {
				emit(out, (struct line) { l.s, keep }, gap);
				gap = FALSE;
				kept_len = out->len;
			}
			/* Followed by ">" lines, the header introduces a quote
			 * that may have answers below it; otherwise the quote
			 * has no ">" and everything below is quote. */
			if (k < n && is_quoted(lines[k])) {
				i = last;
				gap = TRUE;
				continue;
			}
			break;
		}
		if (dm_quote_is_mobile_signature(l))
			continue;
		emit(out, l, gap);
		gap = FALSE;
		/* Separators are only kept when text follows them. */
		if (!dm_quote_is_separator_line(l))
			kept_len = out->len;
	}
	g_string_truncate(out, kept_len);

	g_free(kinds);
	g_ptr_array_unref(folded_markers);
	g_array_free(array, TRUE);
	g_free(valid);
	return g_string_free(out, FALSE);
}
