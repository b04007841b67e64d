/* quote-forward.c - the original of a forward written inline: where the
 * client's forward header is (Gmail's, Apple's, Thunderbird's and
 * Outlook's, in the languages of quote-patterns.c), who sent the original and what it
 * said.  Like the rest of the quote modules it reads line by line from
 * the top with bounded look-ahead, so any text costs linear time. */
#include "dm-autoconf.h"

#include <stddef.h>
#include <string.h>

#include "quote.h"
#include "quote-private.h"

/* A forward separator line: a dashed title ("---------- Forwarded
 * message ---------", Thunderbird's "-------- Original Message
 * --------") or Apple's introduction, in any language of the table. */
gboolean
dm_quote_is_forward_separator(struct line l, gboolean with_original)
{
	struct line t = trimmed(l);
	char *f;
	gboolean result;

	if (t.len < 8 || t.len > MAX_HEADER_BYTES)
		return FALSE;
	if (t.s[t.len - 1] != '-' && t.s[t.len - 1] != ':')
		return FALSE;
	f = fold_line(t);
	result = dm_quote_in_lang_list(f, offsetof(struct dm_quote_lang, forward_titles), TRUE) ||
		 (with_original &&
		  dm_quote_in_lang_list(f, offsetof(struct dm_quote_lang, original_titles), TRUE)) ||
		 dm_quote_in_lang_list(f, offsetof(struct dm_quote_lang, forward_intros), FALSE);
	g_free(f);
	return result;
}

/* L without one level of ">" quoting and the blank after it; indentation
 * inside the quote is kept. */
static struct line
unquoted(struct line l)
{
	const char *p = l.s, *end = l.s + l.len;
	gsize w;

	while ((w = space_at(p, end)) > 0)
		p += w;
	if (p == end || *p != '>')
		return l;
	p++;
	if (p < end && *p == ' ')
		p++;
	return (struct line) { p, (gsize) (end - p) };
}

/* A plausible address: one "@" with something on both sides, no blanks
 * or controls, not longer than SMTP allows. */
static gboolean
is_plausible_address(const char *a)
{
	const char *at = strchr(a, '@');
	gsize len = strlen(a);

	if (!at || at == a || at[1] == '\0' || strchr(at + 1, '@') || len > 254)
		return FALSE;
	for (const char *p = a; *p; p++)
		if ((guchar) *p <= ' ' || *p == '<' || *p == '>' || *p == '"' || *p == ',' ||
		    *p == ';' || *p == '(' || *p == ')' || *p == '[' || *p == ']' || *p == '\x7f')
			return FALSE;
	return strchr(at + 1, '.') != NULL;
}

/* LEN bytes at S trimmed, without surrounding quotes. Caller frees with g_free. */
static char *
clean_name(const char *s, gsize len)
{
	struct line t = trimmed((struct line) { s, len });

	while (t.len >= 2 &&
	       ((t.s[0] == '"' && t.s[t.len - 1] == '"') || (t.s[0] == '\'' && t.s[t.len - 1] == '\'') ||
		(t.s[0] == '(' && t.s[t.len - 1] == ')'))) {
		t = trimmed((struct line) { t.s + 1, t.len - 2 });
	}
	return g_strndup(t.s, t.len);
}

/* The address and name in a From value: "Ana <ana@x>", "\"Novak, Ana\"
 * <ana@x>", Outlook's "Ana <ana@x<mailto:ana@x>>" and "Ana
 * [mailto:ana@x]", "ana@x", "ana@x (Ana)", or only a name.  Both
 * results are set; caller frees them with g_free. */
static void
parse_from(struct line v, char **addr_out, char **name_out)
{
	const char *end = v.s + v.len, *open = NULL, *a = NULL, *aend = NULL;
	char *addr = NULL, *name = NULL;

	for (const char *p = v.s; p < end; p++)
		if (*p == '<' || (*p == '[' && end - p > 8 && g_ascii_strncasecmp(p + 1, "mailto:", 7) == 0)) {
			open = p;
			break;
		}
	if (open) {
		a = open + 1;
		if (g_ascii_strncasecmp(a, "mailto:", 7) == 0 && end - a > 7)
			a += 7;
		for (aend = a; aend < end && *aend != '>' && *aend != '<' && *aend != ']' &&
			       *aend != ' ';
		     aend++)
			;
		name = clean_name(v.s, (gsize) (open - v.s));
	} else {
		/* The first word with an "@" is the address, the rest the name. */
		for (const char *p = v.s; p < end;) {
			const char *w = p;

			while (w < end && *w == ' ')
				w++;
			p = w;
			while (p < end && *p != ' ')
				p++;
			if (memchr(w, '@', (gsize) (p - w))) {
				GString *rest = g_string_new_len(v.s, (gssize) (w - v.s));

				g_string_append_len(rest, p, (gssize) (end - p));
				a = w;
				aend = p;
				while (a < aend && strchr("<(\"'", *a))
					a++;
				while (aend > a && strchr(">)\"',;.", aend[-1]))
					aend--;
				name = clean_name(rest->str, rest->len);
				g_string_free(rest, TRUE);
				break;
			}
		}
		if (!name)
			name = clean_name(v.s, v.len);
	}
	if (a && aend > a) {
		char *raw = g_strndup(a, (gsize) (aend - a));

		if (is_plausible_address(raw))
			addr = g_utf8_strdown(raw, -1);
		g_free(raw);
	}
	if (!addr)
		addr = g_strdup("");
	if (addr[0] && g_ascii_strcasecmp(name, addr) == 0) {
		g_free(name);
		name = g_strdup("");
	}
	*addr_out = addr;
	*name_out = name;
}

static void
set_out(char **out, char *value)
{
	if (out)
		*out = value;
	else
		g_free(value);
}

/* The first forward header from the top.  *START gets the line where
 * its fields may begin: after a separator line, or the first line of a
 * bare Outlook block. */
static gboolean
find_forward_start(const struct line *lines, gint8 *cache, gsize n, gsize *start)
{
	for (gsize i = 0; i < n; i++) {
		struct line l = lines[i];
		gsize last;

		if (is_blank(l))
			continue;
		if (dm_quote_is_forward_separator(l, TRUE)) {
			*start = i + 1;
			return TRUE;
		}
		if (dm_quote_is_underscore_line(l)) {
			gsize limit = MIN(n, i + 3), k = next_nonblank(lines, limit, i + 1);

			if (k < limit && dm_quote_block_at(lines, cache, n, k, FIELD_FROM, &last, NULL)) {
				*start = k;
				return TRUE;
			}
		}
		if (dm_quote_block_at(lines, cache, n, i, FIELD_FROM | FIELD_DATE | FIELD_SUBJECT, &last,
			     NULL)) {
			*start = i;
			return TRUE;
		}
	}
	return FALSE;
}

/* Line I as the forward presents it: without one level of ">" when QUOTED. */
static struct line
forward_line(const struct line *lines, gsize i, gboolean quoted)
{
	return quoted ? unquoted(lines[i]) : lines[i];
}

/* The forward's header fields from line I on (after any blank lines),
 * as the forward presents them (QUOTED as forward_line()).  The first
 * sender goes to *ADDR and *NAME, the first subject to *SUBJ (each left
 * NULL when there is none; caller frees with g_free).  Returns the line
 * after the block. */
static gsize
read_forward_fields(const struct line *lines, gsize n, gsize i, gboolean quoted, char **addr,
		    char **name, char **subj)
{
	int fields = 0;

	for (; i < n; i++) {
		struct line l = forward_line(lines, i, quoted), value;
		int kind;

		if (is_blank(l)) {
			if (fields > 0)
				break;
			continue;
		}
		kind = dm_quote_field_kind(l, &value);
		if (kind == FIELD_NONE) {
			/* A folded continuation line (long "To:" lists) stays in
			 * the block. */
			if (fields > 0 && (l.s[0] == ' ' || l.s[0] == '\t'))
				continue;
			break;
		}
		fields++;
		if (kind == FIELD_FROM && !*addr)
			parse_from(value, addr, name);
		else if (kind == FIELD_SUBJECT && !*subj)
			*subj = g_strndup(value.s, value.len);
	}
	return i;
}

/* The forwarded text: lines I to N without blank lines at either end,
 * as the forward presents them.  Caller frees with g_free. */
static char *
forward_body(const struct line *lines, gsize n, gsize i, gboolean quoted)
{
	gsize end = n;
	GString *b;

	while (i < end && is_blank(forward_line(lines, i, quoted)))
		i++;
	while (end > i && is_blank(forward_line(lines, end - 1, quoted)))
		end--;
	b = g_string_new(NULL);
	for (gsize j = i; j < end; j++) {
		struct line l = forward_line(lines, j, quoted);

		if (j > i)
			g_string_append_c(b, '\n');
		g_string_append_len(b, l.s, (gssize) l.len);
	}
	return g_string_free(b, FALSE);
}

gboolean
dm_quote_find_forward(const char *text, char **from_addr, char **from_name, char **subject,
		      char **body)
{
	char *valid = NULL, *addr = NULL, *name = NULL, *subj = NULL;
	GArray *array;
	const struct line *lines;
	gint8 *kinds;
	gsize n, i, start;
	gboolean quoted, found;

	set_out(from_addr, NULL);
	set_out(from_name, NULL);
	set_out(subject, NULL);
	set_out(body, NULL);
	if (!text)
		return FALSE;
	if (!g_utf8_validate(text, -1, NULL))
		text = valid = g_utf8_make_valid(text, -1);
	array = dm_quote_split_lines(text);
	lines = (const struct line *) (void *) array->data;
	n = array->len;
	kinds = dm_quote_new_kind_cache(n);
	found = find_forward_start(lines, kinds, n, &start);
	g_free(kinds);
	if (!found)
		goto out;

	/* The header fields, after any blank lines; Apple's plain-text
	 * forward quotes them and the text with ">". */
	i = start;
	while (i < n && is_blank(unquoted(lines[i])))
		i++;
	quoted = i < n && is_quoted(lines[i]);
	i = read_forward_fields(lines, n, i, quoted, &addr, &name, &subj);

	set_out(from_addr, addr ? addr : g_strdup(""));
	set_out(from_name, name ? name : g_strdup(""));
	set_out(subject, subj ? subj : g_strdup(""));
	set_out(body, forward_body(lines, n, i, quoted));
out:
	g_array_free(array, TRUE);
	g_free(valid);
	return found;
}
