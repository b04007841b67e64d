/* charset.c - charset conversion with a fallback list.
 *
 * Real mail declares the wrong charset, none at all, or a stateful one.
 * Everything deskmail stores must be valid UTF-8 (PostgreSQL refuses
 * anything else), so every text part passes through here. */
#include "dm-autoconf.h"

#include <string.h>

#include <gmime/gmime.h>

#include "charset.h"
#include "message.h"

char *
dm_text_normalise_newlines(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (*r == '\r') {
			*w++ = '\n';
			if (r[1] == '\n')
				r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return s;
}

/* Convert strictly: NULL unless every byte decodes. */
static char *
convert_strict(const char *data, gsize len, const char *charset)
{
	const char *iconv_name = g_mime_charset_iconv_name(charset);
	if (g_ascii_strcasecmp(iconv_name, "UTF-8") == 0) {
		if (!g_utf8_validate_len(data, len, NULL))
			return NULL;
		return g_strndup(data, len);
	}
	gsize written = 0;
	GError *err = NULL;
	char *out = g_convert(data, len, "UTF-8", iconv_name, NULL, &written, &err);
	if (out == NULL) {
		g_error_free(err);
		return NULL;
	}
	if (!g_utf8_validate_len(out, written, NULL)) {
		g_free(out);
		return NULL;
	}
	return out;
}

static gboolean
is_ascii(const char *data, gsize len)
{
	for (gsize i = 0; i < len; i++)
		if ((unsigned char) data[i] >= 0x80)
			return FALSE;
	return TRUE;
}

/* g_convert stops at NUL in its output handling, so NULs are removed from
 * the input first: they carry no text in any charset we accept. */
static char *
strip_nul(const char *data, gsize len, gsize *out_len)
{
	char *copy = g_malloc(len + 1);
	gsize n = 0;
	for (gsize i = 0; i < len; i++)
		if (data[i] != '\0')
			copy[n++] = data[i];
	copy[n] = '\0';
	*out_len = n;
	return copy;
}

char *
dm_charset_to_utf8(const char *data, gsize len, const char *declared,
		   const char *const *fallbacks, gboolean *guessed)
{
	dm_message_init(); /* g_mime_charset_iconv_name needs GMime */
	/* Undeclared UTF-16 announces itself with a byte order mark. */
	if ((declared == NULL || *declared == '\0') && len >= 2 &&
	    (((guchar) data[0] == 0xff && (guchar) data[1] == 0xfe) ||
	     ((guchar) data[0] == 0xfe && (guchar) data[1] == 0xff)))
		declared = "UTF-16";
	gsize clean_len;
	g_autofree char *clean = strip_nul(data, len, &clean_len);
	char *out = NULL;
	gboolean used_declared = FALSE;

	/* UTF-16 and UTF-32 legitimately contain NUL bytes. */
	if (declared && (g_ascii_strncasecmp(declared, "utf-16", 6) == 0 ||
			 g_ascii_strncasecmp(declared, "utf-32", 6) == 0 ||
			 g_ascii_strncasecmp(declared, "ucs-2", 5) == 0)) {
		out = convert_strict(data, len, declared);
		if (out) {
			gsize n;
			char *tmp = strip_nul(out, strlen(out), &n);
			g_free(out);
			out = tmp;
			used_declared = TRUE;
		}
	}
	/* A declared us-ascii with 8-bit bytes is really "undeclared". */
	if (out == NULL && declared && *declared &&
	    !(g_ascii_strcasecmp(declared, "us-ascii") == 0 && !is_ascii(clean, clean_len))) {
		out = convert_strict(clean, clean_len, declared);
		used_declared = out != NULL;
	}
	if (out == NULL && is_ascii(clean, clean_len))
		out = g_strndup(clean, clean_len);
	for (const char *const *cs = fallbacks; out == NULL && cs && *cs; cs++)
		out = convert_strict(clean, clean_len, *cs);
	if (out == NULL)
		out = g_utf8_make_valid(clean, clean_len);
	if (guessed)
		*guessed = !used_declared && !is_ascii(clean, clean_len);
	return dm_text_normalise_newlines(out);
}
