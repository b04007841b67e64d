/* quote-text.c - the lines of a reply and their folded form, which every
 * quote module compares lines by.  Folding (case-folded, NFC, odd spaces
 * made plain) is what lets Apple's decomposed accents, Gmail's narrow
 * no-break space before "AM" and an upper-case marker all match. */
#include "dm-autoconf.h"

#include <string.h>

#include "quote.h"
#include "quote-private.h"

/* Split TEXT into lines.  The pointers borrow TEXT. */
GArray *
dm_quote_split_lines(const char *text)
{
	GArray *lines = g_array_new(FALSE, FALSE, sizeof(struct line));
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		struct line l = { p, nl ? (gsize) (nl - p) : strlen(p) };

		if (l.len > 0 && l.s[l.len - 1] == '\r')
			l.len--;
		g_array_append_val(lines, l);
		if (!nl)
			break;
		p = nl + 1;
	}
	return lines;
}

/* A copy of LEN bytes at S for comparison: trimmed, every run of white
 * space one ASCII space, case-folded and composed (NFC).  Caller frees
 * with g_free. */
char *
dm_quote_fold(const char *s, gsize len)
{
	struct line t = trimmed((struct line) { s, len });
	const char *p = t.s, *end = t.s + t.len;
	GString *plain = g_string_sized_new(t.len);
	char *folded, *composed;

	while (p < end) {
		gsize w = space_at(p, end);

		if (w > 0) {
			if (plain->len > 0 && plain->str[plain->len - 1] != ' ')
				g_string_append_c(plain, ' ');
			p += w;
		} else {
			g_string_append_c(plain, *p++);
		}
	}
	folded = g_utf8_casefold(plain->str, (gssize) plain->len);
	g_string_free(plain, TRUE);
	composed = g_utf8_normalize(folded, -1, G_NORMALIZE_DEFAULT_COMPOSE);
	if (!composed)
		return folded;
	g_free(folded);
	return composed;
}
