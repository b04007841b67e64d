/* quote-signature.c - the lines that end or decorate an agent's text
 * without being part of it: the signature delimiter, the one-line
 * signatures of mobile clients in en, sl, fi and hu, and separator lines
 * left over from a header that went unrecognised. */
#include "dm-autoconf.h"

#include <string.h>

#include "quote.h"
#include "quote-private.h"

/* A mobile signature is one short line. */
#define MAX_MOBILE_SIG_BYTES 64

/* Beginnings of the one-line signatures that mobile clients add (folded). */
static const char *const mobile_prefixes[] = {
	"sent from my ", "sent from outlook", "sent from mail for ", "sent from yahoo mail",
	"get outlook for ", "poslano z mojega ", "poslano iz mojega ", "poslano z moje ",
	"poslano iz moje ", "pridobite outlook", "lähetetty iphonesta", "lähetetty ipadista",
	"lähetetty android", "lähetetty samsung", "lähetetty outlook", "lähetetty puhelimesta",
	"lähetetty mobiili", "hanki outlook", NULL,
};

/* Endings of the Hungarian ones, whose verb comes last. */
static const char *const mobile_suffixes[] = {
	"-ról küldve", "-ről küldve", "okostelefonról küldve", "telefonról küldve", NULL,
};

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
	gboolean result;

	if (t.len < 8 || t.len > MAX_MOBILE_SIG_BYTES)
		return FALSE;
	f = fold_line(t);
	result = starts_with_any(f, mobile_prefixes) || ends_with_any(f, mobile_suffixes);
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
