/* thread.c - subject tags, prefix stripping and reply keys.
 *
 * Pure functions: the rules over stored messages (references, late
 * parents, who may join) are in route.c, the facts they need in store.c. */
#include "dm-autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "thread.h"

/* Split TAG_FORMAT around {id}. */
static void
tag_parts(const char *tag_format, char **prefix, char **suffix)
{
	const char *p = strstr(tag_format, "{id}");
	if (p == NULL) {
		*prefix = g_strdup(tag_format);
		*suffix = g_strdup("");
		return;
	}
	*prefix = g_strndup(tag_format, p - tag_format);
	*suffix = g_strdup(p + 4);
}

/* The first place in HAY where NEEDLE stands, ASCII letters compared
 * without case (tags and client prefixes are ASCII, or compared exactly
 * where they are not).  Linear in HAY for a short NEEDLE, and it never
 * allocates: subjects come from strangers. */
static const char *
find_ci(const char *hay, const char *needle)
{
	gsize n = strlen(needle);
	for (const char *p = hay; *p; p++)
		if (g_ascii_strncasecmp(p, needle, n) == 0)
			return p;
	return NULL;
}

/* Look for prefix DIGITS suffix starting at or after S; returns the id
 * and sets START and END to the extent of the tag.  A tag does not start
 * inside a word ("SHD-12" is not "HD-12") and its number is whole. */
static gint64
scan_tag(const char *s, const char *prefix, const char *suffix, const char **start, const char **end)
{
	gsize plen = strlen(prefix), slen = strlen(suffix);
	for (const char *p = s; (p = find_ci(p, prefix)) != NULL; p++) {
		if (p > s && g_ascii_isalnum(prefix[0]) && g_ascii_isalnum(p[-1]))
			continue;
		const char *d = p + plen;
		const char *q = d;
		while (g_ascii_isdigit(*q))
			q++;
		if (q == d || q - d > 18)
			continue;
		if (g_ascii_strncasecmp(q, suffix, slen) != 0)
			continue;
		/* With an empty or alphanumeric suffix the number must end there. */
		if ((slen == 0 || g_ascii_isalnum(suffix[slen - 1])) && g_ascii_isalnum(q[slen]))
			continue;
		gint64 id = g_ascii_strtoll(d, NULL, 10);
		if (id > 0) {
			*start = p;
			*end = q + slen;
			return id;
		}
	}
	return 0;
}

gint64
dm_thread_find_tag(const char *subject, const char *tag_format)
{
	if (subject == NULL || tag_format == NULL)
		return 0;
	g_autofree char *prefix = NULL, *suffix = NULL;
	tag_parts(tag_format, &prefix, &suffix);
	if (*prefix == '\0')
		return 0; /* a bare number would match anything */
	const char *start, *end;
	return scan_tag(subject, prefix, suffix, &start, &end);
}

/* Reply and forward markers of the clients our users have, in English,
 * German, the Nordic languages, Finnish, Slovenian and Hungarian. */
static const char *const reply_prefixes[] = {
	"re", "aw", "wg", "sv", "vs", "vl", "fw", "fwd", "tr", "antw", "odg", "odgovor",
	"posl.", "posl", "fwd.", "vá", "továbbítás", "továbbított", "r", "rif", "ref",
	"odp", "pd", "vb", "ynt", NULL
};

/* If S starts with a reply prefix (with optional counter "[2]", "(2)",
 * "^2" and spaces) and a colon, return the text after it; else NULL. */
static const char *
skip_prefix(const char *s)
{
	for (const char *const *p = reply_prefixes; *p; p++) {
		/* Compare as many characters as the prefix has, case-folded, so
		 * that "VÁ:" matches "vá" whatever the byte lengths. */
		glong chars = g_utf8_strlen(*p, -1);
		const char *e = s;
		for (glong i = 0; i < chars && *e; i++)
			e = g_utf8_next_char(e);
		if (g_utf8_pointer_to_offset(s, e) < chars)
			continue;
		g_autofree char *head = g_utf8_casefold(s, e - s);
		g_autofree char *want = g_utf8_casefold(*p, -1);
		if (strcmp(head, want) != 0)
			continue;
		gsize n = e - s;
		const char *q = s + n;
		if (*q == '[' || *q == '(' || *q == '^') {
			char close = *q == '[' ? ']' : *q == '(' ? ')' : '\0';
			q++;
			while (g_ascii_isdigit(*q))
				q++;
			if (close && *q == close)
				q++;
		}
		while (*q == ' ')
			q++;
		if (*q == ':')
			return q + 1;
		/* Full-width colon, written by some Asian clients. */
		if (strncmp(q, "\xef\xbc\x9a", 3) == 0)
			return q + 3;
	}
	return NULL;
}

char *
dm_thread_clean_subject(const char *subject, const char *tag_format)
{
	GString *s = g_string_new(subject ? subject : "");
	g_autofree char *prefix = NULL, *suffix = NULL;
	tag_parts(tag_format ? tag_format : "", &prefix, &suffix);

	/* Our tag goes wherever it is. */
	for (int guard = 0; *prefix && guard < 20; guard++) {
		const char *start, *end;
		if (scan_tag(s->str, prefix, suffix, &start, &end) == 0)
			break;
		g_string_erase(s, start - s->str, end - start);
	}
	for (int guard = 0; guard < 50; guard++) {
		g_strstrip(s->str);
		g_string_set_size(s, strlen(s->str));
		const char *after = skip_prefix(s->str);
		if (after) {
			g_string_erase(s, 0, after - s->str);
			continue;
		}
		/* "[Fwd: subject]": a bracketed forward; the bracket that closes
		 * the opening one goes too, whatever follows it. */
		if (s->str[0] == '[' && (after = skip_prefix(s->str + 1)) != NULL) {
			int depth = 0;
			gssize close = -1;
			for (gsize i = 0; i < s->len; i++) {
				if (s->str[i] == '[')
					depth++;
				else if (s->str[i] == ']' && --depth == 0) {
					close = (gssize) i;
					break;
				}
			}
			if (close > after - s->str) {
				g_string_erase(s, close, 1);
				g_string_erase(s, 0, after - s->str);
				continue;
			}
		}
		break;
	}
	/* Collapse the double spaces the removals leave. */
	GString *out = g_string_new(NULL);
	for (const char *p = s->str; *p; p++)
		if (!(*p == ' ' && (out->len == 0 || out->str[out->len - 1] == ' ')))
			g_string_append_c(out, *p);
	g_string_free(s, TRUE);
	g_strchomp(out->str);
	return g_string_free(out, FALSE);
}

static char *
mac_hex(GBytes *secret, const char *payload)
{
	gsize len;
	const guchar *key = g_bytes_get_data(secret, &len);
	char *hex = g_compute_hmac_for_string(G_CHECKSUM_SHA256, key, len, payload, -1);
	hex[DM_REPLY_KEY_MAC_HEX] = '\0';
	return hex;
}

static char *
key_payload(gint64 ticket, gint64 agent)
{
	if (agent > 0)
		return g_strdup_printf("t%" G_GINT64_FORMAT "a%" G_GINT64_FORMAT, ticket, agent);
	return g_strdup_printf("t%" G_GINT64_FORMAT, ticket);
}

char *
dm_reply_key_make(GBytes *secret, gint64 ticket, gint64 agent)
{
	g_autofree char *payload = key_payload(ticket, agent);
	g_autofree char *mac = mac_hex(secret, payload);
	return g_strdup_printf("%s-%s", payload, mac);
}

enum dm_reply_key_status
dm_reply_key_verify(GBytes *secret, const char *key, gint64 *ticket, gint64 *agent)
{
	*ticket = 0;
	*agent = 0;
	if (key == NULL || (key[0] != 't' && key[0] != 'T'))
		return DM_REPLY_KEY_NONE;
	char *end = NULL;
	const char *p = key + 1;
	if (!g_ascii_isdigit(*p))
		return DM_REPLY_KEY_NONE;
	gint64 t = g_ascii_strtoll(p, &end, 10);
	gint64 a = 0;
	if (*end == 'a' || *end == 'A') {
		p = end + 1;
		if (!g_ascii_isdigit(*p))
			return DM_REPLY_KEY_NONE;
		a = g_ascii_strtoll(p, &end, 10);
	}
	if (*end != '-' || t <= 0)
		return DM_REPLY_KEY_NONE;
	const char *given = end + 1;
	g_autofree char *payload = key_payload(t, a);
	g_autofree char *want = mac_hex(secret, payload);
	/* Compare in constant time; a truncated or padded MAC is invalid. */
	gsize n = strlen(given);
	unsigned diff = n != DM_REPLY_KEY_MAC_HEX;
	for (gsize i = 0; i < DM_REPLY_KEY_MAC_HEX; i++)
		diff |= (unsigned) (g_ascii_tolower(i < n ? given[i] : 0) ^ want[i]);
	if (diff)
		return DM_REPLY_KEY_INVALID;
	*ticket = t;
	*agent = a;
	return DM_REPLY_KEY_VALID;
}

char *
dm_reply_key_from_address(const char *addr, const char *const *own, char sep)
{
	if (addr == NULL || own == NULL || sep == '\0')
		return NULL;
	const char *at = strrchr(addr, '@');
	if (at == NULL)
		return NULL;
	/* LOCAL<SEP>KEY@DOMAIN for an own LOCAL@DOMAIN: the own local part
	 * may itself contain the separator character. */
	for (const char *const *o = own; *o; o++) {
		const char *own_at = strrchr(*o, '@');
		if (own_at == NULL)
			continue;
		gsize local = own_at - *o;
		if ((gsize) (at - addr) > local + 1 && g_ascii_strncasecmp(addr, *o, local) == 0 &&
		    addr[local] == sep && g_ascii_strcasecmp(at, own_at) == 0)
			return g_strndup(addr + local + 1, at - addr - local - 1);
	}
	return NULL;
}

char *
dm_reply_address(const char *address, char sep, const char *key)
{
	const char *at = strrchr(address, '@');
	if (at == NULL || key == NULL)
		return g_strdup(address);
	return g_strdup_printf("%.*s%c%s%s", (int) (at - address), address, sep, key, at);
}
