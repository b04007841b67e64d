/* langid.h - which of the desk's languages a customer's mail is written in. */
#ifndef DM_LANGID_H
#define DM_LANGID_H

#include <glib.h>

/* The fingerprints of the candidate languages.  Loading reads a few files,
 * so build one per process and share it: detection only reads it, and
 * may run in several threads at once. */
struct dm_langid;

#define DM_LANGID_ERROR (dm_langid_error_quark())
GQuark dm_langid_error_quark(void);

typedef enum {
	DM_LANGID_ERROR_CANDIDATES,  /* no candidates, a malformed or repeated code */
	DM_LANGID_ERROR_FINGERPRINT, /* a fingerprint is missing, unreadable or empty */
	DM_LANGID_ERROR_LIBRARY,     /* libexttextcat or the temporary file failed */
} DmLangidError;

/* Load the fingerprints of CANDIDATES (borrowed, NULL-terminated), language
 * codes such as "sl", "fi", "hu", "en", each naming the libexttextcat
 * fingerprint CODE.lm in FINGERPRINT_DIR (borrowed; NULL means the
 * libexttextcat default, /usr/share/libexttextcat).  A code is 1 to 15
 * characters of [A-Za-z0-9_-]; at most 32 codes, none repeated.  Only these
 * languages are ever answered, so Slovenian cannot come out as Croatian or
 * Slovak.  A diacritics-free copy of each fingerprint is built through a
 * private temporary file that is removed before this returns.  On failure
 * returns NULL and sets ERROR (domain DM_LANGID_ERROR) to one line, e.g.
 * "language 'xx': no fingerprint /usr/share/libexttextcat/xx.lm".  Caller
 * frees with dm_langid_free(). */
struct dm_langid *dm_langid_new(const char *const *candidates, const char *fingerprint_dir,
				GError **error);

/* Free L; NULL is allowed. */
void dm_langid_free(struct dm_langid *l);
typedef struct dm_langid DmLangid;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmLangid, dm_langid_free)

/* The language of TEXT (borrowed, UTF-8, may be NULL; invalid bytes are
 * tolerated), or NULL when unsure.  Lines starting with '>' and everything
 * after a "-- " signature line are ignored, as are URLs and e-mail
 * addresses; of what remains only the first 4 KB are classified (and at
 * most the first 64 KB of TEXT are read, so a reply below a long quote
 * still counts).  Unsure means fewer than 8 letters remain, or the best
 * and second-best candidates score too close and a small table of very
 * common words cannot separate them either.
 * HINT (borrowed, may be NULL) is a Content-Language value such as "sl-SI"
 * or "en-GB, en": when the text is unsure and a tag of the hint names a
 * candidate (by its primary subtag, any case), the first such candidate is
 * returned; when the text is clear, the text wins over the hint.
 * The result is one of L's candidate strings, borrowed from L: do not free
 * it, and do not use it after dm_langid_free(L). */
const char *dm_langid_detect(const struct dm_langid *l, const char *text, const char *hint);

/* The candidate codes of L, NULL-terminated, in the order given to
 * dm_langid_new().  Borrowed from L. */
const char *const *dm_langid_candidates(const struct dm_langid *l);

#endif
