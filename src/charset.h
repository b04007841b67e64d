/* charset.h - turn text bytes of any charset into clean UTF-8. */
#ifndef DM_CHARSET_H
#define DM_CHARSET_H

#include <glib.h>

/* Convert LEN bytes of DATA to UTF-8.  DECLARED is the charset the part
 * claims (may be NULL); it is tried first.  When it is missing, unknown,
 * us-ascii with 8-bit bytes, or does not decode cleanly, the bytes are
 * tried against FALLBACKS (NULL-terminated, borrowed) in order and the
 * first clean decoding wins; the last resort is UTF-8 with bad bytes
 * replaced.  Stateful charsets (ISO-2022-JP, UTF-7) go through iconv.
 * NUL bytes are dropped and CRLF/CR become LF.  *GUESSED (may be NULL) is
 * set when the declared charset was not used.  Caller frees with g_free. */
char *dm_charset_to_utf8(const char *data, gsize len, const char *declared,
			 const char *const *fallbacks, gboolean *guessed);

/* Remove NULs and turn CRLF and lone CR into LF, in place on a UTF-8
 * string.  Returns S. */
char *dm_text_normalise_newlines(char *s);

#endif
