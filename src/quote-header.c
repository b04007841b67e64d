/* quote-header.c - recognising the header a mail client writes above a
 * quote: an attribution ("On <date>, Ana <ana@x> wrote:" and its sl, fi
 * and hu forms), Outlook's "-----Original Message-----", and Outlook's
 * block of "From:/Sent:/To:/Subject:" lines.  An attribution must carry
 * a date, a time or an address, so that an agent's sentence ending in
 * "wrote:" stays.  Every test looks ahead only a bounded number of
 * lines, and the field kind of a line is computed once (the kind cache),
 * so recognising headers costs linear time whatever the text. */
#include "dm-autoconf.h"

#include <string.h>

#include "quote.h"
#include "quote-private.h"

/* The second half of a header that Gmail wrapped is short. */
#define MAX_WRAP_TAIL_BYTES 120

/* An Outlook header block is a handful of lines; looking further would
 * only cost time. */
#define MAX_BLOCK_LINES 16

struct field_name {
	const char *name; /* folded */
	int kind;
};

/* Field names of Outlook's header block and of the forward headers of
 * Gmail, Thunderbird and Apple Mail, in en, sl, fi and hu.  Gmail mixes
 * languages ("Od:" then "Date:"), so any name counts in any block. */
static const struct field_name field_names[] = {
	{ "from", FIELD_FROM },
	{ "od", FIELD_FROM },
	{ "pošiljatelj", FIELD_FROM },
	{ "lähettäjä", FIELD_FROM },
	{ "feladó", FIELD_FROM },
	{ "sent", FIELD_DATE },
	{ "date", FIELD_DATE },
	{ "poslano", FIELD_DATE },
	{ "datum", FIELD_DATE },
	{ "lähetetty", FIELD_DATE },
	{ "päivämäärä", FIELD_DATE },
	{ "päiväys", FIELD_DATE },
	{ "elküldve", FIELD_DATE },
	{ "küldve", FIELD_DATE },
	{ "dátum", FIELD_DATE },
	{ "to", FIELD_TO },
	{ "za", FIELD_TO },
	{ "prejemnik", FIELD_TO },
	{ "vastaanottaja", FIELD_TO },
	{ "címzett", FIELD_TO },
	{ "cc", FIELD_CC },
	{ "bcc", FIELD_CC },
	{ "kp", FIELD_CC },
	{ "skp", FIELD_CC },
	{ "kopija", FIELD_CC },
	{ "kopio", FIELD_CC },
	{ "piilokopio", FIELD_CC },
	{ "másolat", FIELD_CC },
	{ "másolatot kap", FIELD_CC },
	{ "reply-to", FIELD_CC },
	{ "subject", FIELD_SUBJECT },
	{ "zadeva", FIELD_SUBJECT },
	{ "aihe", FIELD_SUBJECT },
	{ "tárgy", FIELD_SUBJECT },
};

/* Outlook's "-----Original Message-----" titles (folded). */
static const char *const original_titles[] = {
	"original message", "izvirno sporočilo", "alkuperäinen viesti", "eredeti üzenet", NULL,
};

/* Slovenian attribution endings: the verb's forms as clients write them. */
static const char *const sl_wrote[] = {
	" napisal:", " napisala:", " napisalo:", " napisal(a):", " napisal/a:", " napisal-a:", NULL,
};

/* F carries a year (four digits in a row) or a time ("10:00", "10.00"):
 * what separates a client's attribution from prose. */
static gboolean
has_date_or_time(const char *f)
{
	int run = 0;

	for (const char *p = f; *p; p++) {
		if (!g_ascii_isdigit(*p)) {
			run = 0;
			continue;
		}
		if (++run == 4)
			return TRUE;
		if (run <= 2 && (p[1] == ':' || p[1] == '.') && g_ascii_isdigit(p[2]) &&
		    g_ascii_isdigit(p[3]))
			return TRUE;
	}
	return FALSE;
}

/* WORD occurs in F as a word of its own: after the start or a space, and
 * before the end, a space, ":" or "(".  This keeps "leírta" (wrote down)
 * from being read as the attribution's "írta". */
static gboolean
has_word(const char *f, const char *word)
{
	gsize wl = strlen(word);

	for (const char *p = strstr(f, word); p; p = strstr(p + 1, word)) {
		char after = p[wl];

		if ((p == f || p[-1] == ' ') &&
		    (after == '\0' || after == ' ' || after == ':' || after == '('))
			return TRUE;
	}
	return FALSE;
}

/* F (folded) is an attribution line in en, sl, fi or hu, or mutt's
 * "* Name <addr> [date]:".  Each needs a date, a time or an address as
 * well as the verb, so that an agent's sentence ending in "wrote:" stays. */
static gboolean
is_attribution(const char *f)
{
	gboolean at, dated;

	if (!g_str_has_suffix(f, ":"))
		return FALSE;
	at = strchr(f, '@') != NULL;
	dated = has_date_or_time(f);
	if (!at && !dated)
		return FALSE;

	/* "On <date>, Ana wrote:", "Ana <ana@x> wrote:", Apple's "On 24 Nov
	 * 2026, at 10:00, Ana <ana@x> wrote:", old Thunderbird's "Ana wrote
	 * on <date>:". */
	if (g_str_has_suffix(f, " wrote:") && (at || g_str_has_prefix(f, "on ")))
		return TRUE;
	if (dated && strstr(f, " wrote on ") != NULL)
		return TRUE;
	/* "Dne ... je Ana napisal(a):", Gmail's "V tor., ... je oseba Ana
	 * <ana@x> napisala:". */
	if (ends_with_any(f, sl_wrote))
		return TRUE;
	/* Gmail's "Ana <ana@x> kirjoitti ti 24.11.2026 klo 10.00:" puts the
	 * verb before the date, Apple's "24.11.2026 kello 10.00, Ana
	 * <ana@x> kirjoitti:" at the end. */
	if (has_word(f, "kirjoitti"))
		return TRUE;
	/* Gmail's "Ana <ana@x> ezt írta (időpont: 2026. nov. 24., K, 10:00):",
	 * Thunderbird's "2026. 11. 24. 10:00 keltezéssel, Ana írta:". */
	if (has_word(f, "írta"))
		return TRUE;
	/* mutt's attribution as many set it. */
	if (g_str_has_prefix(f, "* ") && g_str_has_suffix(f, "]:") && strchr(f, '[') && dated)
		return TRUE;
	return FALSE;
}

/* F (folded) is a title between dashes ("-----Original Message-----",
 * "-------- Forwarded Message --------") whose title is in TITLES. */
gboolean
dm_quote_is_dashed_title(const char *f, const char *const *titles)
{
	const char *p = f, *end = f + strlen(f);
	char *core;
	gboolean found;

	if (!g_str_has_prefix(f, "--") || !g_str_has_suffix(f, "--"))
		return FALSE;
	while (p < end && (*p == '-' || *p == ' '))
		p++;
	while (end > p && (end[-1] == '-' || end[-1] == ' '))
		end--;
	if (p == end)
		return FALSE;
	core = g_strndup(p, (gsize) (end - p));
	found = in_set(core, titles);
	g_free(core);
	return found;
}

/* One line as a header on its own. */
static gboolean
folded_is_header(const char *f)
{
	return is_attribution(f) || dm_quote_is_dashed_title(f, original_titles);
}

gboolean
dm_quote_is_header_line(const char *line)
{
	char *valid = NULL, *f;
	struct line l;
	gboolean result;

	if (!line)
		return FALSE;
	if (!g_utf8_validate(line, -1, NULL))
		line = valid = g_utf8_make_valid(line, -1);
	l = trimmed((struct line) { line, strlen(line) });
	if (l.len == 0 || l.len > MAX_HEADER_BYTES || l.s[0] == '>') {
		g_free(valid);
		return FALSE;
	}
	f = fold_line(l);
	result = folded_is_header(f);
	g_free(f);
	g_free(valid);
	return result;
}

/* L as a header line on its own (the cheap tests first: every header
 * ends in ":" or "-"). */
static gboolean
line_is_header(struct line l)
{
	struct line t = trimmed(l);
	char last, *f;
	gboolean result;

	if (t.len < 4 || t.len > MAX_HEADER_BYTES || t.s[0] == '>')
		return FALSE;
	last = t.s[t.len - 1];
	if (last != ':' && last != '-')
		return FALSE;
	f = fold_line(t);
	result = folded_is_header(f);
	g_free(f);
	return result;
}

/* L has a "<" that is not closed on it. */
static gboolean
has_open_angle(struct line l)
{
	const char *open = NULL;

	for (gsize i = 0; i < l.len; i++) {
		if (l.s[i] == '<')
			open = l.s + i;
		else if (l.s[i] == '>')
			open = NULL;
	}
	return open != NULL;
}

/* A and B, one attribution that Gmail wrapped ("On ..., Help Desk <" /
 * "help@example.com> wrote:").  B must not be a header on its own, or
 * prose followed by a real header would be taken with it. */
static gboolean
is_wrapped_header(struct line a, struct line b)
{
	struct line ta = trimmed(a), tb = trimmed(b);
	GString *joined;
	char *f;
	gboolean result;

	if (ta.len == 0 || tb.len == 0 || ta.s[0] == '>' || tb.s[0] == '>')
		return FALSE;
	if (ta.len > MAX_HEADER_BYTES || tb.len > MAX_WRAP_TAIL_BYTES || tb.s[tb.len - 1] != ':')
		return FALSE;
	/* When B is a header on its own, A belongs to it only when A is
	 * visibly cut off: inside the address ("... Team <" / "help@x>
	 * wrote:") or an English "On ..." that does not end a sentence.
	 * Otherwise A is the agent's last line before the header. */
	if (line_is_header(b) && !has_open_angle(ta) &&
	    !(ta.len > 3 && g_ascii_strncasecmp(ta.s, "on ", 3) == 0 &&
	      !strchr(".!?", ta.s[ta.len - 1])))
		return FALSE;
	joined = g_string_new_len(ta.s, (gssize) ta.len);
	g_string_append_c(joined, ' ');
	g_string_append_len(joined, tb.s, (gssize) tb.len);
	f = dm_quote_fold(joined->str, joined->len);
	result = is_attribution(f);
	g_free(f);
	g_string_free(joined, TRUE);
	return result;
}

/* V can be the value of a sender field: it has an address, or it is a
 * short name (Exchange gives only "Ana Novak") and not a sentence, as
 * in prose that begins "From: the logs I see that ...". */
static gboolean
is_sender_value(struct line v)
{
	int words = 0;
	gboolean in_word = FALSE;

	if (memchr(v.s, '@', v.len))
		return TRUE;
	if (v.len == 0 || v.len > 64 || strchr(".!?", v.s[v.len - 1]))
		return FALSE;
	for (gsize i = 0; i < v.len; i++) {
		gboolean space = v.s[i] == ' ' || v.s[i] == '\t';

		if (!space && !in_word)
			words++;
		in_word = !space;
	}
	return words <= 5;
}

/* The kind of header field L is ("From: ...", "*Poslano:* ..."), or
 * FIELD_NONE.  *VALUE, when not NULL, gets the value (borrowing L). */
int
dm_quote_field_kind(struct line l, struct line *value)
{
	struct line t = trimmed(l);
	const char *colon, *k = t.s, *kend;
	char *name;
	int kind = FIELD_NONE;

	if (t.len == 0 || t.len > MAX_HEADER_BYTES)
		return FIELD_NONE;
	colon = memchr(t.s, ':', MIN(t.len, (gsize) 40));
	if (!colon)
		return FIELD_NONE;
	/* Converters write bold as "*From:*". */
	while (k < colon && (*k == '*' || *k == ' '))
		k++;
	kend = colon;
	while (kend > k && (kend[-1] == '*' || kend[-1] == ' '))
		kend--;
	if (kend == k)
		return FIELD_NONE;
	name = dm_quote_fold(k, (gsize) (kend - k));
	for (gsize i = 0; i < G_N_ELEMENTS(field_names); i++)
		if (strcmp(name, field_names[i].name) == 0) {
			kind = field_names[i].kind;
			break;
		}
	g_free(name);
	if (kind != FIELD_NONE) {
		const char *v = colon + 1, *vend = t.s + t.len;
		struct line val;

		while (v < vend && *v == '*')
			v++;
		val = trimmed((struct line) { v, (gsize) (vend - v) });
		if (kind == FIELD_FROM && !is_sender_value(val))
			return FIELD_NONE;
		if (value)
			*value = val;
	}
	return kind;
}

/* The field kind of line I, computed once per line: KINDS holds one
 * entry per line, -1 until known.  The block look-ahead visits a line
 * from up to MAX_BLOCK_LINES starting points, and folding its name each
 * time would multiply the cost of a text of field-like lines. */
static int
kind_of(const struct line *lines, gint8 *kinds, gsize i)
{
	if (kinds[i] < 0)
		kinds[i] = (gint8) dm_quote_field_kind(lines[i], NULL);
	return kinds[i];
}

/* KINDS for N lines, all unknown.  Caller frees with g_free. */
gint8 *
dm_quote_new_kind_cache(gsize n)
{
	gint8 *kinds = g_malloc(MAX(n, 1));

	memset(kinds, -1, MAX(n, 1));
	return kinds;
}

/* The header block that starts at line I: field lines (one blank line
 * between two is allowed, as HTML conversion makes of Outlook's
 * paragraphs), at least two, together holding every kind in NEED.  Its
 * last line goes to *LAST and its kinds to *KINDS. */
gboolean
dm_quote_block_at(const struct line *lines, gint8 *cache, gsize n, gsize i, int need, gsize *last,
	 int *kinds)
{
	int kind = kind_of(lines, cache, i), seen = kind, count = 1, blanks = 0;
	gsize end = i;

	if (kind == FIELD_NONE)
		return FALSE;
	for (gsize j = i + 1; j < n && j - i < MAX_BLOCK_LINES; j++) {
		if (is_blank(lines[j])) {
			if (++blanks > 1)
				break;
			continue;
		}
		kind = kind_of(lines, cache, j);
		if (kind == FIELD_NONE) {
			/* Outlook folds long "To:" and "Cc:" lists onto
			 * indented lines. */
			if (lines[j].len > 0 && (lines[j].s[0] == ' ' || lines[j].s[0] == '\t')) {
				end = j;
				blanks = 0;
				continue;
			}
			break;
		}
		seen |= kind;
		count++;
		end = j;
		blanks = 0;
	}
	if (count < 2 || (seen & need) != need)
		return FALSE;
	*last = end;
	if (kinds)
		*kinds = seen;
	return TRUE;
}

/* Outlook's block in a reply: a sender and a date or a subject, so that
 * "From: the logs I see ..." in prose, alone or next to "To: ...", is
 * not one. */
static gboolean
reply_block_at(const struct line *lines, gint8 *cache, gsize n, gsize i, gsize *last)
{
	int kinds;

	return dm_quote_block_at(lines, cache, n, i, FIELD_FROM, last, &kinds) &&
	       (kinds & (FIELD_DATE | FIELD_SUBJECT)) != 0;
}

/* Outlook's rule above its header block: a line of underscores. */
gboolean
dm_quote_is_underscore_line(struct line l)
{
	struct line t = trimmed(l);

	if (t.len < 8)
		return FALSE;
	for (gsize i = 0; i < t.len; i++)
		if (t.s[i] != '_')
			return FALSE;
	return TRUE;
}

/* A quote header starts at line I: one line, two wrapped lines, or
 * Outlook's block with or without its rule.  Its last line goes to *LAST. */
gboolean
dm_quote_header_at(const struct line *lines, gint8 *cache, gsize n, gsize i, gsize *last)
{
	gsize k;

	if (i + 1 < n && is_wrapped_header(lines[i], lines[i + 1])) {
		*last = i + 1;
		return TRUE;
	}
	if (line_is_header(lines[i])) {
		*last = i;
		return TRUE;
	}
	if (dm_quote_is_underscore_line(lines[i])) {
		gsize limit = MIN(n, i + 3);

		k = next_nonblank(lines, limit, i + 1);
		if (k < limit && reply_block_at(lines, cache, n, k, last))
			return TRUE;
	}
	return reply_block_at(lines, cache, n, i, last);
}
