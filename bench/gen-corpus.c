/* gen-corpus.c - a seeded, reproducible help-desk mail corpus.
 *
 *   gen-corpus -j labelled-dev.jsonl -o DIR [-s SEED] [-n MESSAGES]
 *              [-S SEEDS] [-t TAGBASE] [-b BIG] [-a ATTACH_PERMILLE]
 *
 * Writes DIR/seed/NNNNN.eml and DIR/seed.list (new tickets that the
 * benchmark delivers first, sequentially and unmeasured, into a database
 * whose ticket sequence was set so that seed k gets ticket TAGBASE + k),
 * and DIR/msgs/NNNNN.eml and DIR/corpus.list, the measured mix:
 *
 *   new-plain   a new ticket, text/plain (utf-8 in QP, 8bit or base64;
 *               some Slovenian/Hungarian in windows-1250 / ISO-8859-2)
 *   new-alt     a new ticket, multipart/alternative (plain + HTML)
 *   new-html    a new ticket, HTML only (Outlook-style markup)
 *   reply-refs  a reply of the requester: In-Reply-To/References to an
 *               earlier message (a seed: also the [Support #N] tag in the
 *               subject, as a reply to the acknowledgement has)
 *   reply-tag   a new mail of the requester with the tag of a seed ticket
 *               in the subject and no references
 *   auto        an out-of-office answer (Auto-Submitted) to a seed
 *   attach      any of the above with 1-3 attachments, 100 KB to 5 MB
 *   big         a 20 MB mail (one large attachment)
 *
 * Texts (subjects and bodies in sl, fi, hu, en) come from the labelled
 * development set.  Everything derives from SEED: the same arguments give
 * byte-identical files.  Each list line is PATH<TAB>CLASS<TAB>SIZE. */
#define _GNU_SOURCE
#include <errno.h>
#include <iconv.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- PRNG: splitmix64 */
static uint64_t rng_state;
static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static unsigned
rndn(unsigned n)
{
	return (unsigned) (rnd() % n);
}
static double
rndf(void)
{
	return (double) (rnd() >> 11) / 9007199254740992.0;
}

/* ---- growable buffer */
struct buf {
	char *p;
	size_t len, cap;
};
static void
bgrow(struct buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 4096;
		while (c < b->len + n + 1)
			c *= 2;
		b->p = realloc(b->p, c);
		if (!b->p) {
			perror("realloc");
			exit(2);
		}
		b->cap = c;
	}
}
static void
bput(struct buf *b, const char *s, size_t n)
{
	bgrow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}
static void
bputs(struct buf *b, const char *s)
{
	bput(b, s, strlen(s));
}
static void __attribute__((format(printf, 2, 3)))
bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	bgrow(b, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

/* ---- the labelled texts */
struct text {
	char lang[4];
	char *subject, *body, *from;
};
static struct text *texts;
static size_t ntexts;

static void
put_utf8(struct buf *b, unsigned cp)
{
	char s[4];
	if (cp < 0x80) {
		s[0] = (char) cp;
		bput(b, s, 1);
	} else if (cp < 0x800) {
		s[0] = (char) (0xC0 | (cp >> 6));
		s[1] = (char) (0x80 | (cp & 0x3F));
		bput(b, s, 2);
	} else if (cp < 0x10000) {
		s[0] = (char) (0xE0 | (cp >> 12));
		s[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		s[2] = (char) (0x80 | (cp & 0x3F));
		bput(b, s, 3);
	} else {
		s[0] = (char) (0xF0 | (cp >> 18));
		s[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
		s[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
		s[3] = (char) (0x80 | (cp & 0x3F));
		bput(b, s, 4);
	}
}

/* The string value of "KEY": in a JSON object on one line, or NULL. */
static char *
json_get(const char *line, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(line, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p != '"')
		return NULL;
	p++;
	struct buf b = { 0 };
	bgrow(&b, 16);
	b.p[0] = '\0';
	while (*p && *p != '"') {
		if (*p != '\\') {
			bput(&b, p++, 1);
			continue;
		}
		p++;
		switch (*p) {
		case 'n': bputs(&b, "\n"); p++; break;
		case 't': bputs(&b, "\t"); p++; break;
		case 'r': p++; break;
		case 'b': case 'f': p++; break;
		case 'u': {
			unsigned cp = (unsigned) strtoul((char[]){ p[1], p[2], p[3], p[4], 0 }, NULL, 16);
			p += 5;
			if (cp >= 0xD800 && cp < 0xDC00 && p[0] == '\\' && p[1] == 'u') {
				unsigned lo = (unsigned) strtoul((char[]){ p[2], p[3], p[4], p[5], 0 }, NULL, 16);
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			}
			put_utf8(&b, cp);
			break;
		}
		default: bput(&b, p++, 1); break;
		}
	}
	return b.p;
}

static void
load_texts(const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		perror(file);
		exit(2);
	}
	char *line = NULL;
	size_t len = 0, cap = 0;
	while (getline(&line, &len, f) > 0) {
		char *lang = json_get(line, "language"), *subject = json_get(line, "subject");
		char *body = json_get(line, "body"), *from = json_get(line, "from");
		if (!lang || !subject || !body || !from)
			continue;
		if (ntexts == cap) {
			cap = cap ? cap * 2 : 256;
			texts = realloc(texts, cap * sizeof *texts);
		}
		snprintf(texts[ntexts].lang, sizeof texts[ntexts].lang, "%s", lang);
		texts[ntexts].subject = subject;
		texts[ntexts].body = body;
		texts[ntexts].from = from;
		ntexts++;
		free(lang);
	}
	free(line);
	fclose(f);
	if (ntexts == 0) {
		fprintf(stderr, "gen-corpus: no texts in %s\n", file);
		exit(2);
	}
}

/* ---- encodings */
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
base64_lines(struct buf *b, const unsigned char *d, size_t n)
{
	size_t col = 0;
	bgrow(b, n / 3 * 4 + n / 57 + 8);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned) d[i] << 16;
		if (i + 1 < n)
			v |= (unsigned) d[i + 1] << 8;
		if (i + 2 < n)
			v |= d[i + 2];
		char q[4] = { b64[(v >> 18) & 63], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
			      i + 2 < n ? b64[v & 63] : '=' };
		bput(b, q, 4);
		col += 4;
		if (col >= 76) {
			bputs(b, "\n");
			col = 0;
		}
	}
	if (col)
		bputs(b, "\n");
}

static void
qp_lines(struct buf *b, const char *s)
{
	int col = 0;
	for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
		if (*p == '\n') {
			bputs(b, "\n");
			col = 0;
			continue;
		}
		char e[4];
		int w;
		if ((*p >= 33 && *p <= 126 && *p != '=') || (*p == ' ' && p[1] != '\n' && p[1])) {
			e[0] = (char) *p;
			w = 1;
		} else {
			snprintf(e, sizeof e, "=%02X", *p);
			w = 3;
		}
		if (col + w > 75) {
			bputs(b, "=\n");
			col = 0;
		}
		bput(b, e, (size_t) w);
		col += w;
	}
	bputs(b, "\n");
}

static int
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char) *s >= 0x80)
			return 0;
	return 1;
}

/* A header value, RFC 2047 B-encoded in chunks when not ASCII. */
static void
put_header_text(struct buf *b, const char *name, const char *value)
{
	if (is_ascii(value)) {
		bprintf(b, "%s: %s\n", name, value);
		return;
	}
	bprintf(b, "%s:", name);
	size_t n = strlen(value), i = 0;
	while (i < n) {
		/* 45 bytes of UTF-8 at most per word, never splitting a character. */
		size_t k = n - i < 45 ? n - i : 45;
		while (i + k < n && ((unsigned char) value[i + k] & 0xC0) == 0x80)
			k--;
		struct buf w = { 0 };
		base64_lines(&w, (const unsigned char *) value + i, k);
		if (w.len && w.p[w.len - 1] == '\n')
			w.p[--w.len] = '\0';
		bprintf(b, " =?UTF-8?B?%s?=%s", w.p, i + k < n ? "\n" : "");
		free(w.p);
		i += k;
	}
	bputs(b, "\n");
}

static char *
iconv_to(const char *charset, const char *utf8)
{
	iconv_t cd = iconv_open(charset, "UTF-8");
	if (cd == (iconv_t) -1)
		return NULL;
	size_t inlen = strlen(utf8), outcap = inlen * 2 + 8, outlen = outcap;
	char *out = malloc(outcap), *op = out;
	char *ip = (char *) utf8;
	if (iconv(cd, &ip, &inlen, &op, &outlen) == (size_t) -1) {
		iconv_close(cd);
		free(out);
		return NULL;
	}
	iconv_close(cd);
	*op = '\0';
	return out;
}

/* ---- pieces of mail */
struct lang_bits {
	const char *code, *domain, *re, *reply, *wrote, *ooo_subject, *ooo_body, *closing;
	const char *files[4];
};
static const struct lang_bits langs[] = {
	{ "sl", "example.si", "Odg", "Hvala za odgovor. Težava se še vedno pojavlja, tudi po ponovnem zagonu. "
	  "Prilagam posnetek zaslona in dnevnik napak.", "je napisal(a)", "Odsotnost z dela",
	  "Pozdravljeni,\n\ndo ponedeljka sem odsoten in nimam dostopa do elektronske pošte. "
	  "V nujnih primerih pokličite 01 555 20 00.\n", "Lep pozdrav",
	  { "posnetek zaslona.png", "račun_2024.pdf", "dnevnik napak.txt", "pogodba o vzdrževanju.docx" } },
	{ "fi", "example.fi", "VS", "Kiitos vastauksesta. Ongelma jatkuu edelleen, vaikka käynnistin koneen "
	  "uudelleen. Liitteenä kuvakaappaus ja virheloki.", "kirjoitti", "Poissa toimistolta",
	  "Hei,\n\nolen lomalla maanantaihin asti enkä lue sähköpostia. Kiireellisissä asioissa soita "
	  "numeroon 09 555 1234.\n", "Ystävällisin terveisin",
	  { "kuvakaappaus.png", "lasku_2024.pdf", "virheloki.txt", "ylläpitosopimus.docx" } },
	{ "hu", "example.hu", "Vá", "Köszönöm a választ. A probléma továbbra is fennáll, az újraindítás "
	  "sem segített. Csatolom a képernyőképet és a hibanaplót.", "írta", "Házon kívül",
	  "Tisztelt Feladó!\n\nhétfőig szabadságon vagyok, a leveleimet nem olvasom. Sürgős ügyben "
	  "hívja a 06 1 555 1234 számot.\n", "Üdvözlettel",
	  { "képernyőkép.png", "számla_2024.pdf", "hibanapló.txt", "karbantartási szerződés.docx" } },
	{ "en", "example.com", "Re", "Thanks for the quick answer. The problem is still there after a "
	  "restart. I attach a screenshot and the error log.", "wrote", "Out of office",
	  "Hello,\n\nI am out of the office until Monday with no access to e-mail. For urgent matters "
	  "please call +44 20 7946 0000.\n", "Kind regards",
	  { "screenshot.png", "invoice_2024.pdf", "error log.txt", "maintenance contract.docx" } },
};

static const struct lang_bits *
lang_of(const char *code)
{
	for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++)
		if (strcmp(langs[i].code, code) == 0)
			return &langs[i];
	return &langs[3];
}

static const char *const agents[] = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Thunderbird/115.6.0",
	"Microsoft Outlook 16.0", "Apple Mail (2.3731.700.6)", "Roundcube Webmail/1.6.5", NULL,
};

/* What the corpus remembers of a new ticket, for replies to it. */
struct thread {
	char msgid[128];
	char from[160], name[160];
	char subject[512];
	char lang[4];
	long ticket; /* tag number, 0 when unknown (not a seed) */
	int text;
};

static long long base_time = 1795000000LL; /* a Monday morning in 2026 */

static void
display_name(const char *addr, char *out, size_t n)
{
	/* mojca.zupan@example.si -> Mojca Zupan */
	size_t j = 0;
	int up = 1;
	for (const char *p = addr; *p && *p != '@' && j + 1 < n; p++) {
		if (*p == '.' || *p == '_') {
			out[j++] = ' ';
			up = 1;
			continue;
		}
		if (*p >= '0' && *p <= '9')
			continue;
		out[j++] = up && *p >= 'a' && *p <= 'z' ? (char) (*p - 32) : *p;
		up = 0;
	}
	while (j > 0 && out[j - 1] == ' ')
		j--;
	out[j] = '\0';
}

static void
rfc_date(long long t, char *out, size_t n)
{
	time_t tt = (time_t) t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* A customer of the pool: the labelled senders, numbered so that some
 * write more than once. */
static void
customer(unsigned k, const struct text *t, char *addr, size_t n)
{
	const char *at = strchr(t->from, '@');
	int local = at ? (int) (at - t->from) : (int) strlen(t->from);
	snprintf(addr, n, "%.*s%u%s", local, t->from, k, at ? at : "@example.com");
}

static void
common_headers(struct buf *b, long long t, const char *from, const char *name, const char *msgid,
	       const char *lang)
{
	char date[64];
	rfc_date(t, date, sizeof date);
	const char *dom = strchr(from, '@');
	dom = dom ? dom + 1 : "example.com";
	bprintf(b, "Return-Path: <%s>\n", from);
	bprintf(b, "Delivered-To: support@example.org\n");
	bprintf(b, "Received: from mail.%s (mail.%s [192.0.2.%u])\n\tby mx.example.org (Postfix) with ESMTPS id %08llX\n"
		   "\tfor <support@example.org>; %s\n",
		dom, dom, 1 + rndn(250), (unsigned long long) (rnd() & 0xFFFFFFFFULL), date);
	bprintf(b, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=mail; h=from:to:subject:date;\n"
		   "\tbh=%016llx%016llx=; b=%016llx%016llx%016llx%016llx\n",
		dom, (unsigned long long) rnd(), (unsigned long long) rnd(), (unsigned long long) rnd(),
		(unsigned long long) rnd(), (unsigned long long) rnd(), (unsigned long long) rnd());
	if (name[0] && !is_ascii(name)) {
		struct buf nb = { 0 };
		put_header_text(&nb, "X", name);
		nb.p[nb.len - 1] = '\0';
		bprintf(b, "From: %s <%s>\n", nb.p + 3, from);
		free(nb.p);
	} else if (name[0]) {
		bprintf(b, "From: %s <%s>\n", name, from);
	} else {
		bprintf(b, "From: %s\n", from);
	}
	bprintf(b, "To: Example Service Desk <support@example.org>\n");
	bprintf(b, "Date: %s\n", date);
	bprintf(b, "Message-ID: <%s>\n", msgid);
	const char *ua = agents[rndn(sizeof agents / sizeof agents[0])];
	if (ua)
		bprintf(b, "User-Agent: %s\n", ua);
	bprintf(b, "Content-Language: %s\n", rndn(3) ? lang : "en-US");
	bprintf(b, "MIME-Version: 1.0\n");
}

/* The text part of a mail as a MIME entity (headers + body). */
static void
plain_entity(struct buf *b, const char *text, const char *lang)
{
	unsigned r = rndn(100);
	if ((strcmp(lang, "sl") == 0 || strcmp(lang, "hu") == 0) && r < 15) {
		const char *cs = r < 8 ? "windows-1250" : "ISO-8859-2";
		char *enc = iconv_to(cs, text);
		if (enc) {
			bprintf(b, "Content-Type: text/plain; charset=%s; format=flowed\n"
				   "Content-Transfer-Encoding: quoted-printable\n\n", cs);
			qp_lines(b, enc);
			free(enc);
			return;
		}
	}
	if (r < 60) {
		bputs(b, "Content-Type: text/plain; charset=UTF-8; format=flowed\n"
			 "Content-Transfer-Encoding: quoted-printable\n\n");
		qp_lines(b, text);
	} else if (r < 90) {
		bputs(b, "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n");
		bputs(b, text);
		bputs(b, "\n");
	} else {
		bputs(b, "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n");
		base64_lines(b, (const unsigned char *) text, strlen(text));
	}
}

static void
html_escape(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '<': bputs(b, "&lt;"); break;
		case '>': bputs(b, "&gt;"); break;
		case '&': bputs(b, "&amp;"); break;
		default: bput(b, s + i, 1);
		}
	}
}

/* Outlook-style HTML of TEXT: paragraphs, styles, a signature table. */
static void
html_entity(struct buf *b, const char *text, const char *name)
{
	struct buf h = { 0 };
	bputs(&h, "<html xmlns:o=\"urn:schemas-microsoft-com:office:office\"><head>\n"
		  "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n"
		  "<style><!--\n@font-face {font-family:\"Calibri\"; panose-1:2 15 5 2 2 2 4 3 2 4;}\n"
		  "p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; font-size:11.0pt; font-family:\"Calibri\",sans-serif;}\n"
		  "a:link, span.MsoHyperlink {color:#0563C1; text-decoration:underline;}\n"
		  ".MsoChpDefault {mso-style-type:export-only; font-family:\"Calibri\",sans-serif;}\n"
		  "@page WordSection1 {size:612.0pt 792.0pt; margin:70.85pt 70.85pt 70.85pt 70.85pt;}\n"
		  "div.WordSection1 {page:WordSection1;}\n--></style></head>\n"
		  "<body lang=\"SL\" link=\"#0563C1\" vlink=\"#954F72\" style=\"word-wrap:break-word\">\n"
		  "<div class=\"WordSection1\">\n");
	const char *p = text;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t) (e - p) : strlen(p);
		if (n == 0)
			bputs(&h, "<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\n");
		else {
			bputs(&h, "<p class=\"MsoNormal\"><span style=\"font-size:11.0pt\">");
			html_escape(&h, p, n);
			bputs(&h, "<o:p></o:p></span></p>\n");
		}
		p += n + (e ? 1 : 0);
	}
	bprintf(&h, "<table class=\"MsoNormalTable\" border=\"0\" cellspacing=\"0\" cellpadding=\"0\">"
		    "<tr><td style=\"padding:0cm 5.4pt\"><p class=\"MsoNormal\"><b><span style=\"color:#1F3864\">%s"
		    "</span></b><o:p></o:p></p></td></tr></table>\n</div>\n</body>\n</html>\n", name);
	bputs(b, "Content-Type: text/html; charset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n\n");
	qp_lines(b, h.p);
	free(h.p);
}

static void
boundary(char *out, size_t n)
{
	snprintf(out, n, "_%03u_----=_NextPart_%016llx", rndn(1000), (unsigned long long) rnd());
}

static void
filename_param(struct buf *b, const char *name)
{
	if (is_ascii(name)) {
		bprintf(b, "; filename=\"%s\"", name);
		return;
	}
	bputs(b, ";\n\tfilename*=utf-8''");
	for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '.' || *p == '-' || *p == '_')
			bput(b, (const char *) p, 1);
		else
			bprintf(b, "%%%02X", *p);
	}
}

static const char *
content_type_of(const char *file)
{
	const char *dot = strrchr(file, '.');
	if (!dot)
		return "application/octet-stream";
	if (strcmp(dot, ".png") == 0)
		return "image/png";
	if (strcmp(dot, ".pdf") == 0)
		return "application/pdf";
	if (strcmp(dot, ".txt") == 0)
		return "text/plain";
	return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
}

/* An attachment of SIZE bytes: incompressible data (like a PNG, a PDF or a
 * zipped .docx) behind the format's magic; a log is text. */
static void
attachment_entity(struct buf *b, const char *file, size_t size)
{
	const char *ct = content_type_of(file);
	unsigned char *d = malloc(size + 16);
	if (strcmp(ct, "text/plain") == 0) {
		static const char *const lines[] = {
			"2026-11-20 08:14:02 ERROR [circ] loan 8812342: patron record locked by session 4411\n",
			"2026-11-20 08:14:03 WARN  [auth] token refresh failed for user 2231, retrying\n",
			"2026-11-20 08:14:05 INFO  [sync] 1203 items synchronised in 4.2 s\n",
		};
		size_t k = 0;
		while (k < size) {
			const char *l = lines[rndn(3)];
			size_t n = strlen(l);
			if (k + n > size)
				n = size - k;
			memcpy(d + k, l, n);
			k += n;
		}
	} else {
		for (size_t i = 0; i < size; i += 8) {
			uint64_t v = rnd();
			memcpy(d + i, &v, size - i < 8 ? size - i : 8);
		}
		if (strcmp(ct, "image/png") == 0)
			memcpy(d, "\x89PNG\r\n\x1a\n", size < 8 ? size : 8);
		else if (strcmp(ct, "application/pdf") == 0)
			memcpy(d, "%PDF-1.7\n", size < 9 ? size : 9);
		else
			memcpy(d, "PK\x03\x04", size < 4 ? size : 4);
	}
	bprintf(b, "Content-Type: %s", ct);
	if (is_ascii(file))
		bprintf(b, "; name=\"%s\"", file);
	bputs(b, "\nContent-Disposition: attachment");
	filename_param(b, file);
	bputs(b, "\nContent-Transfer-Encoding: base64\n\n");
	base64_lines(b, d, size);
	free(d);
}

/* Log-uniform between LO and HI. */
static size_t
log_uniform(double lo, double hi)
{
	return (size_t) (lo * pow(hi / lo, rndf()));
}

static int
write_file(const char *path, const struct buf *b)
{
	FILE *f = fopen(path, "w");
	if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	return 0;
}

enum kind { NEW_PLAIN, NEW_ALT, NEW_HTML, REPLY_REFS, REPLY_TAG, AUTO };
static const char *const kind_names[] = { "new-plain", "new-alt", "new-html", "reply-refs", "reply-tag", "auto" };

struct spec {
	enum kind kind;
	int attach;       /* number of attachments */
	size_t attach_total;
	int big;
};

static struct thread *threads;
static size_t nthreads, nseeds;
static unsigned long long corpus_seed;
static char tag_format[64] = "[Support #%ld]";

/* One mail, appended to B; a new ticket is remembered in THREADS. */
static void
make_mail(struct buf *b, const struct spec *s, unsigned index, long long t, int is_seed, long seed_ticket)
{
	char msgid[128], from[160], name[160], subject[1024], tag[64];
	const struct text *tx;
	const struct thread *parent = NULL;
	enum kind k = s->kind;
	if (k >= REPLY_REFS && nthreads == 0)
		k = NEW_PLAIN;
	if (k == REPLY_TAG || k == AUTO) {
		parent = &threads[rndn((unsigned) nseeds)];
	} else if (k == REPLY_REFS) {
		/* Mostly recent conversations, sometimes an old one. */
		size_t n = nthreads, back = rndn(4) ? rndn(n < 40 ? (unsigned) n : 40) : rndn((unsigned) n);
		parent = &threads[n - 1 - back];
	}
	snprintf(msgid, sizeof msgid, "%s%llx.%u.%08llx@%s", is_seed ? "s" : "m", corpus_seed, index,
		 (unsigned long long) (rnd() & 0xFFFFFFFF),
		 parent ? strchr(parent->from, '@') + 1 : "mail.example.net");
	if (parent) {
		tx = &texts[parent->text];
		snprintf(from, sizeof from, "%s", parent->from);
		snprintf(name, sizeof name, "%s", parent->name);
	} else {
		tx = &texts[rndn((unsigned) ntexts)];
		customer(rndn(4) ? rndn(400) : 400 + rndn(4000), tx, from, sizeof from);
		display_name(from, name, sizeof name);
	}
	const struct lang_bits *L = lang_of(parent ? parent->lang : tx->lang);
	msgid[sizeof msgid - 1] = '\0';
	if (strchr(msgid, '@') == NULL)
		strcat(msgid, "@mail.example.net");

	tag[0] = '\0';
	if (parent && parent->ticket)
		snprintf(tag, sizeof tag, tag_format, parent->ticket);
	switch (k) {
	case REPLY_REFS:
		snprintf(subject, sizeof subject, "%s: %s%s%s", L->re, tag, tag[0] ? " " : "", parent->subject);
		break;
	case REPLY_TAG:
		snprintf(subject, sizeof subject, "%s %s", tag, parent->subject);
		break;
	case AUTO:
		snprintf(subject, sizeof subject, "%s: %s", L->ooo_subject, parent->subject);
		break;
	default:
		snprintf(subject, sizeof subject, "%s", tx->subject);
	}

	/* The text. */
	struct buf text = { 0 };
	bputs(&text, "");
	char date[64];
	if (k == AUTO) {
		bputs(&text, L->ooo_body);
	} else if (k == REPLY_REFS || k == REPLY_TAG) {
		bprintf(&text, "%s\n\n%s,\n%s\n", L->reply, L->closing, name);
		if (k == REPLY_REFS) {
			rfc_date(t - 3600 - rndn(86400), date, sizeof date);
			bprintf(&text, "\n%s, %s <%s> %s:\n", date, parent->name, parent->from, L->wrote);
			const char *p = tx->body;
			while (*p) {
				const char *e = strchr(p, '\n');
				size_t n = e ? (size_t) (e - p) : strlen(p);
				bputs(&text, n ? "> " : ">");
				bput(&text, p, n);
				bputs(&text, "\n");
				p += n + (e ? 1 : 0);
			}
		}
	} else {
		bputs(&text, tx->body);
		bputs(&text, "\n");
		if (rndn(2))
			bprintf(&text, "\n-- \n%s\ntel. +386 1 555 %02u %02u\n", name, rndn(100), rndn(100));
	}

	common_headers(b, t, from, name, msgid, L->code);
	put_header_text(b, "Subject", subject);
	if (k == REPLY_REFS) {
		bprintf(b, "In-Reply-To: <%s>\n", parent->msgid);
		bprintf(b, "References: <%s>\n", parent->msgid);
	}
	if (k == AUTO) {
		bprintf(b, "Auto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\n");
		bprintf(b, "In-Reply-To: <%s>\n", parent->msgid);
	}

	char b1[96], b2[96];
	int html_only = k == NEW_HTML, alt = k == NEW_ALT;
	if (s->attach || s->big) {
		boundary(b1, sizeof b1);
		bprintf(b, "Content-Type: multipart/mixed;\n\tboundary=\"%s\"\n\nThis is a multi-part message in MIME format.\n\n--%s\n", b1, b1);
	}
	if (alt) {
		boundary(b2, sizeof b2);
		bprintf(b, "Content-Type: multipart/alternative;\n\tboundary=\"%s\"\n\n--%s\n", b2, b2);
		plain_entity(b, text.p, L->code);
		bprintf(b, "\n--%s\n", b2);
		html_entity(b, text.p, name);
		bprintf(b, "\n--%s--\n", b2);
	} else if (html_only) {
		html_entity(b, text.p, name);
	} else {
		plain_entity(b, text.p, L->code);
	}
	if (s->attach || s->big) {
		int n = s->big ? 1 : s->attach;
		size_t left = s->attach_total;
		for (int i = 0; i < n; i++) {
			size_t sz = i == n - 1 ? left : (size_t) ((double) left * (0.3 + 0.4 * rndf()));
			left -= sz;
			const char *file = s->big ? L->files[1] : L->files[rndn(4)];
			bprintf(b, "\n--%s\n", b1);
			attachment_entity(b, file, sz);
		}
		bprintf(b, "\n--%s--\n", b1);
	}
	free(text.p);

	if (k <= NEW_HTML) {
		struct thread *th;
		threads = realloc(threads, (nthreads + 1) * sizeof *threads);
		th = &threads[nthreads++];
		memset(th, 0, sizeof *th);
		snprintf(th->msgid, sizeof th->msgid, "%s", msgid);
		snprintf(th->from, sizeof th->from, "%s", from);
		snprintf(th->name, sizeof th->name, "%s", name);
		snprintf(th->subject, sizeof th->subject, "%s", tx->subject);
		snprintf(th->lang, sizeof th->lang, "%s", tx->lang);
		th->text = (int) (tx - texts);
		th->ticket = is_seed ? seed_ticket : 0;
	}
}

int
main(int argc, char **argv)
{
	const char *jsonl = NULL, *dir = NULL;
	unsigned n = 1000, seeds = 100, big = 3, attach_pm = 80;
	long tagbase = 5000001;
	unsigned long long seed = 20261123;
	int c;
	while ((c = getopt(argc, argv, "j:o:s:n:S:t:b:a:")) != -1) {
		switch (c) {
		case 'j': jsonl = optarg; break;
		case 'o': dir = optarg; break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'n': n = (unsigned) atoi(optarg); break;
		case 'S': seeds = (unsigned) atoi(optarg); break;
		case 't': tagbase = atol(optarg); break;
		case 'b': big = (unsigned) atoi(optarg); break;
		case 'a': attach_pm = (unsigned) atoi(optarg); break;
		default:
			fprintf(stderr, "usage: gen-corpus -j JSONL -o DIR [-s SEED] [-n N] [-S SEEDS] [-t TAGBASE] [-b BIG] [-a PERMILLE]\n");
			return 2;
		}
	}
	if (!jsonl || !dir || seeds == 0) {
		fprintf(stderr, "gen-corpus: need -j JSONL and -o DIR (and at least one seed)\n");
		return 2;
	}
	rng_state = seed;
	corpus_seed = seed;
	load_texts(jsonl);

	char path[4096];
	snprintf(path, sizeof path, "%s/seed", dir);
	mkdir(dir, 0755);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/msgs", dir);
	mkdir(path, 0755);

	struct buf b = { 0 };
	long long t = base_time;
	snprintf(path, sizeof path, "%s/seed.list", dir);
	FILE *list = fopen(path, "w");
	for (unsigned i = 0; i < seeds; i++) {
		struct spec s = { .kind = rndn(10) < 7 ? NEW_PLAIN : rndn(2) ? NEW_ALT : NEW_HTML };
		b.len = 0;
		make_mail(&b, &s, i, t, 1, tagbase + (long) i);
		t += 30 + rndn(300);
		snprintf(path, sizeof path, "%s/seed/%05u.eml", dir, i);
		write_file(path, &b);
		fprintf(list, "%s\t%s\t%zu\n", path, kind_names[s.kind], b.len);
	}
	fclose(list);
	nseeds = nthreads;

	/* Which measured messages are big: spread evenly, never the first. */
	snprintf(path, sizeof path, "%s/corpus.list", dir);
	list = fopen(path, "w");
	for (unsigned i = 0; i < n; i++) {
		struct spec s = { 0 };
		unsigned r = rndn(1000);
		/* The mix: 36% new plain, 8% new alternative, 8% new HTML-only,
		 * 30% replies with references, 12% tag replies, 6% auto. */
		s.kind = r < 360 ? NEW_PLAIN : r < 440 ? NEW_ALT : r < 520 ? NEW_HTML : r < 820 ? REPLY_REFS
		       : r < 940 ? REPLY_TAG : AUTO;
		if (big && (i + 1) % (n / big + 1) == n / big / 2) {
			s.big = 1;
			s.attach_total = 14500000 + rndn(500000); /* about 20 MB once base64-encoded */
			if (s.kind == AUTO)
				s.kind = NEW_PLAIN;
		} else if (s.kind != AUTO && rndn(1000) < attach_pm) {
			s.attach = 1 + (int) rndn(3);
			s.attach_total = log_uniform(75e3, 3.7e6); /* 100 KB - 5 MB encoded */
		}
		b.len = 0;
		make_mail(&b, &s, i, t, 0, 0);
		t += 10 + rndn(120);
		snprintf(path, sizeof path, "%s/msgs/%05u.eml", dir, i);
		write_file(path, &b);
		const char *cls = s.big ? "big" : s.attach ? "attach" : kind_names[s.kind];
		fprintf(list, "%s\t%s\t%zu\n", path, cls, b.len);
	}
	fclose(list);
	free(b.p);
	return 0;
}
