/* quote.c - what the agent wrote, without what the mail client added.
 *
 * Agents reply to notifications from whatever client they use, so the
 * reply arrives with the client's quote header, the quoted notification
 * and a signature around the few lines that must go to the customer.
 * Every decision here is made line by line from the top, looking ahead
 * only a bounded number of lines (or over blank lines, each of which is
 * then passed once more), so a reply of any size costs linear time.
 * Header recognition works on a folded copy of a line (case-folded, NFC,
 * odd spaces made plain), so that Apple's decomposed accents, Gmail's
 * narrow no-break space before "AM" and an upper-case marker all match. */
#include "dm-autoconf.h"

#include <string.h>

#include "quote.h"

/* Lines longer than this are never a quote header or a forward header
 * line: real ones are under 200 bytes, and long prose paragraphs (one
 * line each after HTML conversion) must not be folded for nothing. */
#define MAX_HEADER_BYTES 400

/* The second half of a header that Gmail wrapped is short. */
#define MAX_WRAP_TAIL_BYTES 120

/* An Outlook header block is a handful of lines; looking further would
 * only cost time. */
#define MAX_BLOCK_LINES 16

/* A mobile signature is one short line. */
#define MAX_MOBILE_SIG_BYTES 64

struct line {
	const char *s;
	gsize len; /* without the line end and any CR before it */
};

/* Kinds of field in a header block, as bits. */
enum {
	FIELD_NONE = 0,
	FIELD_FROM = 1 << 0,
	FIELD_DATE = 1 << 1,
	FIELD_TO = 1 << 2,
	FIELD_CC = 1 << 3,
	FIELD_SUBJECT = 1 << 4,
};

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

/* Titles of the dashed forward separators (folded). */
static const char *const forward_titles[] = {
	"forwarded message", "original message",    "posredovano sporočilo", "izvirno sporočilo",
	"välitetty viesti",  "alkuperäinen viesti", "továbbított üzenet",    "eredeti üzenet",
	NULL,
};

/* Apple Mail's forward introduction (folded, whole line). */
static const char *const forward_intros[] = {
	"begin forwarded message:", "začetek posredovanega sporočila:",
	"välitetty viesti alkaa:", "továbbított levél kezdete:", NULL,
};

/* Slovenian attribution endings: the verb's forms as clients write them. */
static const char *const sl_wrote[] = {
	" napisal:", " napisala:", " napisalo:", " napisal(a):", " napisal/a:", " napisal-a:", NULL,
};

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

/* ---- Lines and white space. */

/* Split TEXT into lines.  The pointers borrow TEXT. */
static GArray *
split_lines(const char *text)
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

/* Bytes of the white-space character at P (before END), or 0.  Besides
 * ASCII blanks, the invisible characters that mail clients and HTML
 * conversion leave in "empty" lines count: no-break space, narrow
 * no-break space, zero-width space and the byte-order mark Apple Mail
 * puts at the start of a quoted block. */
static gsize
space_at(const char *p, const char *end)
{
	const guchar *u = (const guchar *) p;
	gsize left = (gsize) (end - p);

	if (left == 0)
		return 0;
	if (u[0] == ' ' || u[0] == '\t' || u[0] == '\r' || u[0] == '\f' || u[0] == '\v')
		return 1;
	if (left >= 2 && u[0] == 0xC2 && u[1] == 0xA0)
		return 2;
	if (left >= 3 && u[0] == 0xE2 && u[1] == 0x80 &&
	    (u[2] == 0x8B || u[2] == 0xAF || u[2] == 0x8C || u[2] == 0x8D))
		return 3;
	if (left >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		return 3;
	return 0;
}

/* Bytes of the white-space character that ends at END (after START), or 0. */
static gsize
space_before(const char *start, const char *end)
{
	gsize left = (gsize) (end - start);

	if (left >= 1 && space_at(end - 1, end) == 1)
		return 1;
	if (left >= 2 && space_at(end - 2, end) == 2)
		return 2;
	if (left >= 3 && space_at(end - 3, end) == 3)
		return 3;
	return 0;
}

/* L without white space at either end. */
static struct line
trimmed(struct line l)
{
	const char *p = l.s, *end = l.s + l.len;
	gsize w;

	while ((w = space_at(p, end)) > 0)
		p += w;
	while ((w = space_before(p, end)) > 0)
		end -= w;
	return (struct line) { p, (gsize) (end - p) };
}

static gboolean
is_blank(struct line l)
{
	return trimmed(l).len == 0;
}

/* Quoted with ">", after any indentation. */
static gboolean
is_quoted(struct line l)
{
	struct line t = trimmed(l);

	return t.len > 0 && t.s[0] == '>';
}

/* The index of the first non-blank line at or after I, or N. */
static gsize
next_nonblank(const struct line *lines, gsize n, gsize i)
{
	while (i < n && is_blank(lines[i]))
		i++;
	return i;
}

/* A copy of LEN bytes at S for comparison: trimmed, every run of white
 * space one ASCII space, case-folded and composed (NFC).  Caller frees
 * with g_free. */
static char *
fold(const char *s, gsize len)
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

static char *
fold_line(struct line l)
{
	return fold(l.s, l.len);
}

static gboolean
in_set(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
ends_with_any(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (g_str_has_suffix(s, *set))
			return TRUE;
	return FALSE;
}

static gboolean
starts_with_any(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (g_str_has_prefix(s, *set))
			return TRUE;
	return FALSE;
}

/* ---- Quote headers. */

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
static gboolean
is_dashed_title(const char *f, const char *const *titles)
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
	return is_attribution(f) || is_dashed_title(f, original_titles);
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
	f = fold(joined->str, joined->len);
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
static int
field_kind(struct line l, struct line *value)
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
	name = fold(k, (gsize) (kend - k));
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
		kinds[i] = (gint8) field_kind(lines[i], NULL);
	return kinds[i];
}

/* KINDS for N lines, all unknown.  Caller frees with g_free. */
static gint8 *
new_kind_cache(gsize n)
{
	gint8 *kinds = g_malloc(MAX(n, 1));

	memset(kinds, -1, MAX(n, 1));
	return kinds;
}

/* The header block that starts at line I: field lines (one blank line
 * between two is allowed, as HTML conversion makes of Outlook's
 * paragraphs), at least two, together holding every kind in NEED.  Its
 * last line goes to *LAST and its kinds to *KINDS. */
static gboolean
block_at(const struct line *lines, gint8 *cache, gsize n, gsize i, int need, gsize *last,
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

	return block_at(lines, cache, n, i, FIELD_FROM, last, &kinds) &&
	       (kinds & (FIELD_DATE | FIELD_SUBJECT)) != 0;
}

/* Outlook's rule above its header block: a line of underscores. */
static gboolean
is_underscore_line(struct line l)
{
	struct line t = trimmed(l);

	if (t.len < 8)
		return FALSE;
	for (gsize i = 0; i < t.len; i++)
		if (t.s[i] != '_')
			return FALSE;
	return TRUE;
}

/* A line of only "_", "-" or "=": a separator whose header went unrecognised. */
static gboolean
is_separator_line(struct line l)
{
	struct line t = trimmed(l);

	if (t.len < 3)
		return FALSE;
	for (gsize i = 0; i < t.len; i++)
		if (t.s[i] != t.s[0] || (t.s[0] != '_' && t.s[0] != '-' && t.s[0] != '='))
			return FALSE;
	return TRUE;
}

/* A quote header starts at line I: one line, two wrapped lines, or
 * Outlook's block with or without its rule.  Its last line goes to *LAST. */
static gboolean
header_at(const struct line *lines, gint8 *cache, gsize n, gsize i, gsize *last)
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
	if (is_underscore_line(lines[i])) {
		gsize limit = MIN(n, i + 3);

		k = next_nonblank(lines, limit, i + 1);
		if (k < limit && reply_block_at(lines, cache, n, k, last))
			return TRUE;
	}
	return reply_block_at(lines, cache, n, i, last);
}

/* ---- Signatures and markers. */

/* The signature delimiter: "-- " (RFC 3676) or "--" as clients that trim
 * blanks leave it. */
static gboolean
is_signature_delimiter(struct line l)
{
	gsize w;
	const char *end = l.s + l.len;

	while ((w = space_before(l.s, end)) > 0)
		end -= w;
	return end - l.s == 2 && l.s[0] == '-' && l.s[1] == '-';
}

static gboolean
is_mobile_signature(struct line l)
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

/* The markers folded, empty ones left out (an empty marker would match
 * every line).  Caller frees with g_ptr_array_unref. */
static GPtrArray *
fold_markers(const char *const *markers)
{
	GPtrArray *folded = g_ptr_array_new_with_free_func(g_free);

	for (; markers && *markers; markers++) {
		char *valid = NULL, *f;
		const char *m = *markers;

		if (!g_utf8_validate(m, -1, NULL))
			m = valid = g_utf8_make_valid(m, -1);
		f = fold(m, strlen(m));
		g_free(valid);
		if (*f)
			g_ptr_array_add(folded, f);
		else
			g_free(f);
	}
	return folded;
}

static gboolean
has_marker(struct line l, const GPtrArray *markers)
{
	char *f;
	gboolean found = FALSE;

	if (markers->len == 0)
		return FALSE;
	f = fold_line(l);
	for (guint i = 0; i < markers->len && !found; i++)
		found = strstr(f, g_ptr_array_index(markers, i)) != NULL;
	g_free(f);
	return found;
}

/* ---- Stripping a reply. */

/* Append L to OUT without the blanks at its end, after one line break,
 * or two when GAP. */
static void
emit(GString *out, struct line l, gboolean gap)
{
	const char *end = l.s + l.len;
	gsize w;

	while ((w = space_before(l.s, end)) > 0)
		end -= w;
	if (out->len > 0)
		g_string_append(out, gap ? "\n\n" : "\n");
	g_string_append_len(out, l.s, end - l.s);
}

char *
dm_quote_strip(const char *text, const char *const *markers)
{
	char *valid = NULL;
	GArray *array;
	const struct line *lines;
	GPtrArray *folded_markers;
	GString *out;
	gint8 *kinds;
	gsize n, kept_len = 0;
	gboolean gap = FALSE;

	if (!text)
		return g_strdup("");
	if (!g_utf8_validate(text, -1, NULL))
		text = valid = g_utf8_make_valid(text, -1);
	array = split_lines(text);
	lines = (const struct line *) (void *) array->data;
	n = array->len;
	folded_markers = fold_markers(markers);
	kinds = new_kind_cache(n);
	out = g_string_new(NULL);

	for (gsize i = 0; i < n; i++) {
		struct line l = lines[i];
		gsize last;

		if (is_blank(l) || is_quoted(l)) {
			gap = TRUE;
			continue;
		}
		if (has_marker(l, folded_markers) || is_signature_delimiter(l))
			break;
		if (header_at(lines, kinds, n, i, &last)) {
			gsize k = next_nonblank(lines, n, last + 1);

			/* Followed by ">" lines, the header introduces a quote
			 * that may have answers below it; otherwise the quote
			 * has no ">" and everything below is quote. */
			if (k < n && is_quoted(lines[k])) {
				i = last;
				gap = TRUE;
				continue;
			}
			break;
		}
		if (is_mobile_signature(l))
			continue;
		emit(out, l, gap);
		gap = FALSE;
		/* Separators are only kept when text follows them. */
		if (!is_separator_line(l))
			kept_len = out->len;
	}
	g_string_truncate(out, kept_len);

	g_free(kinds);
	g_ptr_array_unref(folded_markers);
	g_array_free(array, TRUE);
	g_free(valid);
	return g_string_free(out, FALSE);
}

/* ---- Forwards. */

/* A forward separator line: dashed title or Apple's introduction. */
static gboolean
is_forward_separator(struct line l)
{
	struct line t = trimmed(l);
	char *f;
	gboolean result;

	if (t.len < 8 || t.len > MAX_HEADER_BYTES)
		return FALSE;
	if (t.s[t.len - 1] != '-' && t.s[t.len - 1] != ':')
		return FALSE;
	f = fold_line(t);
	result = is_dashed_title(f, forward_titles) || in_set(f, forward_intros);
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
		if (is_forward_separator(l)) {
			*start = i + 1;
			return TRUE;
		}
		if (is_underscore_line(l)) {
			gsize limit = MIN(n, i + 3), k = next_nonblank(lines, limit, i + 1);

			if (k < limit && block_at(lines, cache, n, k, FIELD_FROM, &last, NULL)) {
				*start = k;
				return TRUE;
			}
		}
		if (block_at(lines, cache, n, i, FIELD_FROM | FIELD_DATE | FIELD_SUBJECT, &last,
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

gboolean
dm_quote_find_forward(const char *text, char **from_addr, char **from_name, char **subject,
		      char **body)
{
	char *valid = NULL, *addr = NULL, *name = NULL, *subj = NULL;
	GArray *array;
	const struct line *lines;
	GString *b;
	gint8 *kinds;
	gsize n, i, start, end;
	gboolean quoted, found;
	int fields = 0;

	set_out(from_addr, NULL);
	set_out(from_name, NULL);
	set_out(subject, NULL);
	set_out(body, NULL);
	if (!text)
		return FALSE;
	if (!g_utf8_validate(text, -1, NULL))
		text = valid = g_utf8_make_valid(text, -1);
	array = split_lines(text);
	lines = (const struct line *) (void *) array->data;
	n = array->len;
	kinds = new_kind_cache(n);
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
	for (; i < n; i++) {
		struct line l = forward_line(lines, i, quoted), value;
		int kind;

		if (is_blank(l)) {
			if (fields > 0)
				break;
			continue;
		}
		kind = field_kind(l, &value);
		if (kind == FIELD_NONE) {
			/* A folded continuation line (long "To:" lists) stays in
			 * the block. */
			if (fields > 0 && (l.s[0] == ' ' || l.s[0] == '\t'))
				continue;
			break;
		}
		fields++;
		if (kind == FIELD_FROM && !addr)
			parse_from(value, &addr, &name);
		else if (kind == FIELD_SUBJECT && !subj)
			subj = g_strndup(value.s, value.len);
	}

	/* The forwarded text: the rest, without blank lines at either end. */
	end = n;
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

	set_out(from_addr, addr ? addr : g_strdup(""));
	set_out(from_name, name ? name : g_strdup(""));
	set_out(subject, subj ? subj : g_strdup(""));
	set_out(body, g_string_free(b, FALSE));
out:
	g_array_free(array, TRUE);
	g_free(valid);
	return found;
}
