/* compose.c - the mail deskmail sends, built with GMime.
 *
 * Header values that came from customers (subject, names) may hide CR/LF
 * after RFC 2047 decoding; they are cleaned here, and GMime encodes what
 * is left, so nothing a customer writes can become a header line.  A name
 * that decodes to an address or to header-like text is dropped for the
 * bare address. */
#include "dm-autoconf.h"

#include <string.h>
#include <sys/random.h>

#include <gmime/gmime.h>

#include "compose.h"
#include "message.h"
#include "screen.h"

gboolean
dm_compose_address_ok(const char *addr)
{
	if (addr == NULL || addr[0] == '\0' || addr[0] == '-' || strlen(addr) > 254)
		return FALSE;
	const char *at = strchr(addr, '@');
	if (at == NULL || at == addr || at[1] == '\0' || strchr(at + 1, '@'))
		return FALSE;
	for (const char *p = addr; *p; p++)
		if ((unsigned char) *p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' || *p == ',' ||
		    *p == '"' || *p == '\\' || *p == ';')
			return FALSE;
	return TRUE;
}

char *
dm_compose_message_id(const char *hostname)
{
	guint8 rnd[16];
	gsize got = 0;
	while (got < sizeof rnd) {
		ssize_t n = getrandom(rnd + got, sizeof rnd - got, 0);
		if (n > 0)
			got += (gsize) n;
	}
	GString *s = g_string_new("dm.");
	for (gsize i = 0; i < sizeof rnd; i++)
		g_string_append_printf(s, "%02x", rnd[i]);
	g_string_append_printf(s, "@%s", hostname && *hostname ? hostname : "localhost");
	return g_string_free(s, FALSE);
}

static char *
clean_line(const char *s)
{
	char *c = g_utf8_make_valid(s ? s : "", -1);
	for (char *p = c; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			*p = ' ';
	return g_strstrip(c);
}

char *
dm_compose_display_name(const char *name)
{
	g_autofree char *valid = g_utf8_make_valid(name ? name : "", -1);
	GString *out = g_string_new("");
	for (const char *p = valid; *p; p++)
		if ((unsigned char) *p >= 0x20 && *p != 0x7f)
			g_string_append_c(out, *p);
	gboolean header_like = FALSE;
	for (const char *p = out->str; *p && !header_like; p++) {
		/* A word of letters and hyphens followed by ':' and a blank. */
		if (*p != ':' || (p[1] != ' ' && p[1] != '\t' && p[1] != '\0'))
			continue;
		const char *w = p;
		while (w > out->str && (g_ascii_isalnum(w[-1]) || w[-1] == '-'))
			w--;
		header_like = w < p;
	}
	if (header_like || strchr(out->str, '@') || out->len > 200)
		g_string_truncate(out, 0);
	return g_strstrip(g_string_free(out, FALSE));
}

static GMimeObject *
text_part(const char *subtype, const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
	g_mime_text_part_set_text(part, text);
	/* Quoted-printable where needed keeps lines short for any relay.
	 * set_text already chose 7bit for ASCII text and encode() keeps an
	 * encoding once set, however long the lines: start from the default
	 * so that a line over 998 bytes gets quoted-printable. */
	g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_object_encode(GMIME_OBJECT(part), GMIME_ENCODING_CONSTRAINT_7BIT);
	return GMIME_OBJECT(part);
}

/* From, To, Cc (the usable addresses only) and Reply-To of C on M;
 * FROM_NAME and TO_NAME already cleaned. */
static void
set_addresses(GMimeMessage *m, const struct dm_compose *c, const char *from_name,
	      const char *to_name)
{
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, from_name, c->from_addr);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, to_name, c->to_addr);
	for (guint i = 0; c->cc && i < c->cc->len; i++)
		if (dm_compose_address_ok(c->cc->pdata[i]))
			g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_CC, NULL, c->cc->pdata[i]);
	if (c->reply_to)
		g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_REPLY_TO, from_name, c->reply_to);
}

/* In-Reply-To and References of C on OBJ, so the mail threads under its
 * parent in the recipient's client. */
static void
set_threading(GMimeObject *obj, const struct dm_compose *c)
{
	/* A msg-id cannot be folded and a line holds 998 bytes at most. */
	gboolean irt_ok = c->in_reply_to && *c->in_reply_to && strlen(c->in_reply_to) <= 900;
	if (irt_ok) {
		g_autofree char *irt = g_strdup_printf("<%s>", c->in_reply_to);
		g_mime_object_set_header(obj, "In-Reply-To", irt, NULL);
	}
	/* References: the parent's References, then the parent (RFC 5322). */
	GString *refs = g_string_new(NULL);
	for (guint i = 0; c->references && i < c->references->len; i++)
		if (strlen(c->references->pdata[i]) <= 900)
			g_string_append_printf(refs, "%s<%s>", refs->len ? " " : "", (char *) c->references->pdata[i]);
	if (irt_ok)
		g_string_append_printf(refs, "%s<%s>", refs->len ? " " : "", c->in_reply_to);
	if (refs->len)
		g_mime_object_set_header(obj, "References", refs->str, NULL);
	g_string_free(refs, TRUE);
}

/* The headers that keep auto-responders and loops away, and the language. */
static void
set_auto_headers(GMimeObject *obj, const struct dm_compose *c)
{
	if (c->auto_reply || c->auto_generated) {
		g_mime_object_set_header(obj, "Auto-Submitted", c->auto_reply ? "auto-replied" : "auto-generated",
					 NULL);
		g_mime_object_set_header(obj, "Precedence", "bulk", NULL);
	}
	/* Exchange's own auto-replies must not answer ours. */
	g_mime_object_set_header(obj, "X-Auto-Response-Suppress", "All", NULL);
	if (c->loop_value)
		g_mime_object_set_header(obj, DM_LOOP_HEADER, c->loop_value, NULL);
	if (c->language)
		g_mime_object_set_header(obj, "Content-Language", c->language, NULL);
}

/* A base64 attachment part of A (borrowed).  Caller unrefs. */
static GMimeObject *
attachment_part(const struct dm_attachment *a)
{
	g_auto(GStrv) type = g_strsplit(a->content_type, "/", 2);
	GMimePart *part = g_mime_part_new_with_type(type[0] ? type[0] : "application",
						    type[0] && type[1] ? type[1] : "octet-stream");
	gsize len;
	const guint8 *data = g_bytes_get_data(a->content, &len);
	GMimeStream *mem = g_mime_stream_mem_new_with_buffer((const char *) (data ? data : (const guint8 *) ""), len);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(mem, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, w);
	g_object_unref(w);
	g_object_unref(mem);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_ATTACHMENT);
	if (a->filename && *a->filename)
		g_mime_part_set_filename(part, a->filename);
	return GMIME_OBJECT(part);
}

/* The body of C: the text, with its HTML as an alternative, in a
 * multipart/mixed with the attachments when there are any.  Caller
 * unrefs. */
static GMimeObject *
body_part(const struct dm_compose *c)
{
	GMimeObject *body;
	if (c->html) {
		GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
		GMimeObject *plain = text_part("plain", c->text);
		GMimeObject *html = text_part("html", c->html);
		g_mime_multipart_add(alt, plain);
		g_mime_multipart_add(alt, html);
		g_object_unref(plain);
		g_object_unref(html);
		body = GMIME_OBJECT(alt);
	} else {
		body = text_part("plain", c->text);
	}
	if (c->attachments && c->attachments->len > 0) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
		g_mime_multipart_add(mixed, body);
		g_object_unref(body);
		for (guint i = 0; i < c->attachments->len; i++) {
			GMimeObject *part = attachment_part(c->attachments->pdata[i]);
			g_mime_multipart_add(mixed, part);
			g_object_unref(part);
		}
		body = GMIME_OBJECT(mixed);
	}
	return body;
}

/* OBJ as the bytes handed to sendmail, with LF line ends. */
static GBytes *
serialise(GMimeObject *obj)
{
	GMimeFormatOptions *fmt = g_mime_format_options_clone(NULL);
	g_mime_format_options_set_newline_format(fmt, GMIME_NEWLINE_FORMAT_UNIX);
	GByteArray *buf = g_byte_array_new();
	GMimeStream *out = g_mime_stream_mem_new_with_byte_array(buf);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	g_mime_object_write_to_stream(obj, fmt, out);
	g_object_unref(out);
	g_mime_format_options_free(fmt);
	return g_byte_array_free_to_bytes(buf);
}

struct dm_outgoing *
dm_compose_message(const struct dm_compose *c)
{
	if (!dm_compose_address_ok(c->from_addr) || !dm_compose_address_ok(c->to_addr) ||
	    (c->reply_to && !dm_compose_address_ok(c->reply_to)))
		return NULL;

	dm_message_init();
	GMimeMessage *m = g_mime_message_new(TRUE);
	GMimeObject *obj = GMIME_OBJECT(m);
	g_autofree char *from_name = dm_compose_display_name(c->from_name);
	g_autofree char *to_name = dm_compose_display_name(c->to_name);
	g_autofree char *subject = clean_line(c->subject);

	set_addresses(m, c, from_name, to_name);
	g_mime_message_set_subject(m, subject, "utf-8");

	GDateTime *now = g_date_time_new_now_local();
	g_mime_message_set_date(m, now);
	g_date_time_unref(now);

	char *id = dm_compose_message_id(c->hostname);
	g_mime_message_set_message_id(m, id);
	set_threading(obj, c);
	set_auto_headers(obj, c);

	GMimeObject *body = body_part(c);
	g_mime_message_set_mime_part(m, body);
	g_object_unref(body);
	GBytes *data = serialise(obj);
	g_object_unref(m);

	struct dm_outgoing *o = g_new0(struct dm_outgoing, 1);
	o->message_id = id;
	o->data = data;
	o->subject = g_steal_pointer(&subject);
	o->text = g_strdup(c->text);
	o->to_addr = g_strdup(c->to_addr);
	return o;
}

void
dm_outgoing_free(struct dm_outgoing *o)
{
	if (o == NULL)
		return;
	g_free(o->message_id);
	if (o->data)
		g_bytes_unref(o->data);
	g_free(o->subject);
	g_free(o->text);
	g_free(o->to_addr);
	g_free(o);
}
