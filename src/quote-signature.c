/* quote-signature.c - the lines that end or decorate an agent's text
 * without being part of it: the signature delimiter, the one-line
 * signatures of mobile clients (whole lines, in the languages of
 * quote-patterns.c: "Sent from my *" drops "Sent from my iPhone" and
 * keeps "Sent from my desk, ..."), and separator lines
 * left over from a header that went unrecognised. */
#include "dm-autoconf.h"

#include <string.h>

#include "quote.h"
#include "quote-private.h"

/* A mobile signature is one short line. */
#define MAX_MOBILE_SIG_BYTES 64

/* A device name in a mobile signature is a few words. */
#define MAX_DEVICE_WORDS 6

/* DEVICE (folded) can be what "*" stands for in a mobile signature: a
 * few words, no clause punctuation, naming a device or a mail app
 * ("iphone", "samsung galaxy smartphone", "iphone-ról", "iphonesta"). */
static gboolean
is_device(const char *device, gsize len)
{
	char *d;
	int words = 0;
	gboolean in_word = FALSE, found = FALSE;

	if (len == 0)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (strchr(",;:!?()<>[]", device[i]))
			return FALSE;
		if (device[i] != ' ' && !in_word)
			words++;
		in_word = device[i] != ' ';
	}
	if (words > MAX_DEVICE_WORDS)
		return FALSE;
	d = g_strndup(device, len);
	for (const char *const *w = dm_quote_device_words; *w && !found; w++)
		found = strstr(d, *w) != NULL;
	g_free(d);
	return found;
}

/* F (folded, a whole line) matches TEMPLATE, whose one "*" stands for a
 * device; a final "." on the line is allowed. */
static gboolean
matches_template(const char *f, const char *template)
{
	const char *star = strchr(template, '*');
	gsize flen = strlen(f), head, tail;

	if (flen > 0 && f[flen - 1] == '.')
		flen--;
	if (!star)
		return strlen(template) == flen && strncmp(f, template, flen) == 0;
	head = (gsize) (star - template);
	tail = strlen(star + 1);
	if (flen < head + tail + 1 || strncmp(f, template, head) != 0 ||
	    strncmp(f + flen - tail, star + 1, tail) != 0)
		return FALSE;
	return is_device(f + head, flen - head - tail);
}

/* The signature delimiter: "-- " (RFC 3676) or "--" as clients that trim
 * blanks leave it. */
gboolean
dm_quote_is_signature_delimiter(struct line l)
{
	gsize w;
	const char *end = l.s + l.len;

	while ((w = space_before(l.s, end)) > 0)
		end -= w;
	return end - l.s == 2 && l.s[0] == '-' && l.s[1] == '-';
}

gboolean
dm_quote_is_mobile_signature(struct line l)
{
	struct line t = trimmed(l);
	char *f;
	gboolean result = FALSE;

	if (t.len < 8 || t.len > MAX_MOBILE_SIG_BYTES)
		return FALSE;
	f = fold_line(t);
	for (const struct dm_quote_lang *lang = dm_quote_langs; lang->code && !result; lang++)
		for (const char *const *m = lang->mobile; *m && !result; m++)
			result = matches_template(f, *m);
	g_free(f);
	return result;
}

/* A line of only "_", "-" or "=": a separator whose header went unrecognised. */
gboolean
dm_quote_is_separator_line(struct line l)
{
	struct line t = trimmed(l);

	if (t.len < 3)
		return FALSE;
	for (gsize i = 0; i < t.len; i++)
		if (t.s[i] != t.s[0] || (t.s[0] != '_' && t.s[0] != '-' && t.s[0] != '='))
			return FALSE;
	return TRUE;
}
