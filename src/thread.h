/* thread.h - the pure half of threading: subject tags, reply/forward
 * prefixes and signed reply keys.  The threading rules are in route.c. */
#ifndef DM_THREAD_H
#define DM_THREAD_H

#include <glib.h>

/* The rule that put a message on its ticket, as stored and exported. */
#define DM_THREADED_REPLY_KEY "reply-key"
#define DM_THREADED_REFERENCES "references"
#define DM_THREADED_LATE_PARENT "late-parent"
#define DM_THREADED_TAG "tag"
#define DM_THREADED_NEW "new"

/* The ticket number in our tag (TAG_FORMAT like "[Support #{id}]") found
 * anywhere in SUBJECT (already RFC 2047 decoded), case-insensitively; 0
 * when there is none.  Tags of other systems do not match. */
gint64 dm_thread_find_tag(const char *subject, const char *tag_format);

/* SUBJECT without the reply and forward prefixes mail clients add (Re:,
 * Fwd:, AW:, WG:, SV:, VS:, VL:, Odg:, Posl.:, Vá:, Továbbítás:, FW:, ...,
 * repeated, counted as "Re[2]:" or bracketed as "[Fwd: ...]") and without
 * our own tag.  Caller frees with g_free. */
char *dm_thread_clean_subject(const char *subject, const char *tag_format);

/* Reply keys ride in the local part of our reply address,
 * LOCAL+KEY@DOMAIN.  KEY names the ticket (and the agent, for mail sent
 * to an agent) and carries a truncated HMAC-SHA-256 under SECRET, so it
 * cannot be guessed or altered. */
#define DM_REPLY_KEY_MAC_HEX 20 /* 80 bits */

/* The key for TICKET (and AGENT when > 0).  Caller frees with g_free. */
char *dm_reply_key_make(GBytes *secret, gint64 ticket, gint64 agent);

enum dm_reply_key_status {
	DM_REPLY_KEY_NONE,    /* not a key at all */
	DM_REPLY_KEY_VALID,
	DM_REPLY_KEY_INVALID  /* shaped like a key, but the MAC is wrong */
};

/* Check KEY; on VALID sets *TICKET and *AGENT (0 when none). */
enum dm_reply_key_status dm_reply_key_verify(GBytes *secret, const char *key, gint64 *ticket,
					     gint64 *agent);

/* The key part of ADDR when ADDR is LOCAL<SEP>KEY@DOMAIN for one of
 * OWN (normalised LOCAL@DOMAIN addresses, NULL-terminated); else NULL.
 * Caller frees with g_free. */
char *dm_reply_key_from_address(const char *addr, const char *const *own, char sep);

/* LOCAL<SEP>KEY@DOMAIN from ADDRESS (LOCAL@DOMAIN).  Caller frees. */
char *dm_reply_address(const char *address, char sep, const char *key);

#endif
