/* message.c - the parse stage: raw bytes to a struct dm_message.
 *
 * GMime does the MIME parsing; this file hands it the bytes (no more than
 * the limits let it build a tree of) and takes from the result what the
 * desk sees in the headers: the addresses, the subject, and the ids used
 * for threading, all clipped and cleaned.  The body text and the
 * attachments come from the MIME walk in message-parts.c.  Nothing here
 * can fail on odd input: it truncates and flags instead. */
#include "dm-autoconf.h"

#include <string.h>

#include <gmime/gmime.h>

#include "message.h"
#include "message-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParserOptions, g_mime_parser_options_free)

void
dm_limits_init_defaults(struct dm_limits *limits)
{
	limits->max_message_bytes = 50 * 1024 * 1024;
	limits->max_parts = 10000;
	limits->max_depth = 100;
	limits->max_header_bytes = 64 * 1024;
	limits->max_text_bytes = 1024 * 1024;
}

void
dm_message_init(void)
{
	static gsize done = 0;
	if (g_once_init_enter(&done)) {
		g_mime_init();
		g_once_init_leave(&done, 1);
	}
}

char *
dm_address_normalise(const char *addr)
{
	if (addr == NULL)
		return g_strdup("");
	g_autofree char *s = g_strstrip(g_strdup(addr));
	gsize n = strlen(s);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s[n - 1] = '\0';
		memmove(s, s + 1, n - 1);
		g_strstrip(s);
	}
	g_autofree char *valid = g_utf8_make_valid(s, -1);
	return g_utf8_strdown(valid, -1);
}

char *
dm_message_clean_text(char *s, gsize max, gboolean *clipped)
{
	if (s == NULL)
		return g_strdup("");
	if (!g_utf8_validate(s, -1, NULL)) {
		char *v = g_utf8_make_valid(s, -1);
		g_free(s);
		s = v;
	}
	if (strlen(s) > max) {
		const char *end = g_utf8_find_prev_char(s, s + max + 1);
		s[end ? end - s : 0] = '\0';
		if (clipped)
			*clipped = TRUE;
	}
	for (char *p = s; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			*p = ' ';
	return s;
}

char *
dm_message_first_msgid(GMimeParserOptions *opts, const char *value)
{
	if (value == NULL)
		return NULL;
	GMimeReferences *refs = g_mime_references_parse(opts, value);
	char *id = NULL;
	if (refs && g_mime_references_length(refs) > 0)
		id = g_strdup(g_mime_references_get_message_id(refs, 0));
	if (refs)
		g_mime_references_free(refs);
	return id;
}

static struct dm_address *
address_new(const char *addr, const char *name, gsize max)
{
	struct dm_address *a = g_new0(struct dm_address, 1);
	a->addr = dm_message_clean_text(dm_address_normalise(addr), max, NULL);
	a->name = dm_message_clean_text(g_strstrip(g_strdup(name ? name : "")), max, NULL);
	return a;
}

static void
address_free(gpointer p)
{
	struct dm_address *a = p;
	g_free(a->addr);
	g_free(a->name);
	g_free(a);
}

static void
attachment_free(gpointer p)
{
	struct dm_attachment *a = p;
	g_free(a->filename);
	g_free(a->content_type);
	g_free(a->disposition);
	g_free(a->content_id);
	g_bytes_unref(a->content);
	g_free(a);
}

static void
header_free(gpointer p)
{
	struct dm_header *h = p;
	g_free(h->name);
	g_free(h->value);
	g_free(h);
}

/* Flatten an address list (groups included) into struct dm_address*. */
static void
collect_addresses(InternetAddressList *list, GPtrArray *out, gsize max, int depth)
{
	if (list == NULL || depth > 8)
		return;
	int n = internet_address_list_length(list);
	for (int i = 0; i < n && out->len < 1000; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
			g_ptr_array_add(out, address_new(addr, internet_address_get_name(ia), max));
		} else if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			collect_addresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
					  out, max, depth + 1);
		}
	}
}

static GPtrArray *
address_array(void)
{
	return g_ptr_array_new_with_free_func(address_free);
}

static void
collect_headers(struct dm_message *msg, GMimeObject *obj, gsize max)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	int n = g_mime_header_list_get_count(list);
	for (int i = 0; i < n && i < 10000; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		struct dm_header *dh = g_new0(struct dm_header, 1);
		gboolean clipped = FALSE;
		dh->name = dm_message_clean_text(g_strdup(g_mime_header_get_name(h)), 256, NULL);
		dh->value = dm_message_clean_text(g_strdup(g_mime_header_get_value(h)), max, &clipped);
		g_strstrip(dh->value);
		if (clipped)
			msg->flags |= DM_MESSAGE_HEADER_CLIPPED;
		g_ptr_array_add(msg->headers, dh);
	}
}

const char *
dm_message_header(const struct dm_message *msg, const char *name)
{
	for (guint i = 0; i < msg->headers->len; i++) {
		struct dm_header *h = msg->headers->pdata[i];
		if (g_ascii_strcasecmp(h->name, name) == 0)
			return h->value;
	}
	return NULL;
}

/* A sender to file the ticket under when From is missing or empty. */
static void
fallback_sender(struct dm_message *msg, GMimeMessage *m, gsize max)
{
	static const char *const fields[] = { "Sender", "Reply-To", "Return-Path", NULL };
	for (const char *const *f = fields; *f && msg->from.addr[0] == '\0'; f++) {
		const char *v = g_mime_object_get_header(GMIME_OBJECT(m), *f);
		if (v == NULL)
			continue;
		InternetAddressList *l = internet_address_list_parse(NULL, v);
		if (l) {
			g_autoptr(GPtrArray) tmp = address_array();
			collect_addresses(l, tmp, max, 0);
			g_object_unref(l);
			if (tmp->len > 0 && ((struct dm_address *) tmp->pdata[0])->addr[0]) {
				struct dm_address *a = tmp->pdata[0];
				g_free(msg->from.addr);
				g_free(msg->from.name);
				msg->from.addr = g_strdup(a->addr);
				msg->from.name = g_strdup(a->name);
			}
		}
	}
}

/* A message with every array empty and nothing else set yet. */
static struct dm_message *
message_new(GBytes *raw)
{
	struct dm_message *msg = g_new0(struct dm_message, 1);
	msg->raw = g_bytes_ref(raw);
	msg->references = g_ptr_array_new_with_free_func(g_free);
	msg->to = address_array();
	msg->cc = address_array();
	msg->reply_to = address_array();
	msg->attachments = g_ptr_array_new_with_free_func(attachment_free);
	msg->headers = g_ptr_array_new_with_free_func(header_free);
	msg->dsn_failed = g_ptr_array_new_with_free_func(g_free);
	return msg;
}

/* TRUE when ID may thread a message.  Every real Message-ID has an '@'
 * (RFC 5322 3.6.4); what some clients and gateways (gmane among them) put
 * in In-Reply-To without one ("<yes>", a bare number) names no message
 * and would only join unrelated mail that carries the same junk. */
static gboolean
threading_id(const char *id)
{
	return id && *id && strchr(id, '@') != NULL;
}

/* Add the ids of VALUE (an In-Reply-To or References value, or NULL) that
 * may thread a message to IDS (char*), at most MAX of them.  Each <...>
 * is parsed on its own: GMime stops at the first id without an '@' and
 * would lose the real ids after it. */
static void
threading_ids(GMimeParserOptions *opts, const char *value, GPtrArray *ids, guint max)
{
	if (value == NULL)
		return;
	for (const char *p = value; *p && ids->len < max;) {
		const char *lt = strchr(p, '<');
		const char *gt = lt ? strchr(lt, '>') : NULL;
		/* No bracketed id left: what remains is read whole (bare ids). */
		g_autofree char *one = lt && gt ? g_strndup(lt, (gsize) (gt - lt + 1)) : g_strdup(p);
		p = lt && gt ? gt + 1 : p + strlen(p);
		GMimeReferences *refs = g_mime_references_parse(opts, one);
		for (int i = 0; refs && i < g_mime_references_length(refs) && ids->len < max; i++) {
			const char *id = g_mime_references_get_message_id(refs, i);
			if (threading_id(id) && strlen(id) <= 998)
				g_ptr_array_add(ids, dm_message_clean_text(g_strdup(id), 998, NULL));
		}
		if (refs)
			g_mime_references_free(refs);
	}
}

/* The ids threading uses: Message-ID (or one made from RAW when there is
 * none), In-Reply-To and References. */
static void
read_ids(struct dm_message *msg, GMimeMessage *m, GBytes *raw, GMimeParserOptions *opts)
{
	const char *mid = g_mime_message_get_message_id(m);
	if (mid && *mid) {
		msg->message_id = dm_message_clean_text(g_strdup(mid), 998, NULL);
		g_strstrip(msg->message_id);
		for (char *p = msg->message_id; *p; p++)
			if (*p == ' ')
				*p = '_';
	}
	if (msg->message_id == NULL || *msg->message_id == '\0') {
		/* Idempotency needs a key: the digest of the raw bytes is the
		 * same on every redelivery of the same message. */
		g_free(msg->message_id);
		g_autofree char *hex = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, raw);
		msg->message_id = g_strdup_printf("%s@sha256.deskmail.invalid", hex);
		msg->flags |= DM_MESSAGE_NO_MESSAGE_ID;
	}
	g_autoptr(GPtrArray) irt = g_ptr_array_new_with_free_func(g_free);
	threading_ids(opts, g_mime_object_get_header(GMIME_OBJECT(m), "In-Reply-To"), irt, 1);
	if (irt->len > 0)
		msg->in_reply_to = g_strdup(irt->pdata[0]);
	threading_ids(opts, g_mime_object_get_header(GMIME_OBJECT(m), "References"), msg->references, 1000);
}

/* From (or a fallback sender), To, Cc and Reply-To. */
static void
read_addresses(struct dm_message *msg, GMimeMessage *m, gsize max)
{
	g_autoptr(GPtrArray) from = address_array();
	collect_addresses(g_mime_message_get_from(m), from, max, 0);
	if (from->len > 0) {
		struct dm_address *a = from->pdata[0];
		msg->from.addr = g_strdup(a->addr);
		msg->from.name = g_strdup(a->name);
	} else {
		msg->from.addr = g_strdup("");
		msg->from.name = g_strdup("");
	}
	fallback_sender(msg, m, max);
	collect_addresses(g_mime_message_get_to(m), msg->to, max, 0);
	collect_addresses(g_mime_message_get_cc(m), msg->cc, max, 0);
	collect_addresses(g_mime_message_get_reply_to(m), msg->reply_to, max, 0);
}

/* Everything a struct dm_message holds, from the parsed GMime message. */
static struct dm_message *
message_from_mime(GMimeMessage *m, GBytes *raw, GMimeParserOptions *opts,
		  const struct dm_limits *limits, const char *const *charsets)
{
	gsize max = limits->max_header_bytes;
	struct dm_message *msg = message_new(raw);
	collect_headers(msg, GMIME_OBJECT(m), max);
	/* GMime keeps Content-* headers on the top-level part, not the message. */
	if (g_mime_message_get_mime_part(m))
		collect_headers(msg, g_mime_message_get_mime_part(m), max);

	read_ids(msg, m, raw, opts);
	GDateTime *date = g_mime_message_get_date(m);
	if (date && g_mime_object_get_header(GMIME_OBJECT(m), "Date")) {
		msg->date = g_date_time_to_unix(date);
		msg->has_date = TRUE;
	}
	read_addresses(msg, m, max);

	gboolean clipped = FALSE;
	msg->subject = dm_message_clean_text(g_strdup(g_mime_message_get_subject(m)), max, &clipped);
	g_strstrip(msg->subject);
	if (clipped)
		msg->flags |= DM_MESSAGE_HEADER_CLIPPED;

	dm_message_walk_body(msg, m, opts, limits, charsets);
	return msg;
}

/* How much of RAW to hand to GMime.  GMime builds the whole MIME tree
 * before we walk it, and each part or header costs it a few hundred
 * bytes: 2 MB of tiny parts or one-byte header lines would take more
 * than a gigabyte.  max_parts only bounds our walk, so stop the parser
 * early instead: at the line where more lines than the part limit could
 * use begin with "--" (boundaries) or look like header fields.  The raw
 * message is still stored whole; only what we extract from it is cut. */
static gsize
parse_extent(const guint8 *data, gsize len, const struct dm_limits *limits)
{
	const guint64 max_dashes = 2 * (guint64) limits->max_parts + 16;
	const guint64 max_fields = 40 * (guint64) limits->max_parts + 1000;
	guint64 dashes = 0, fields = 0;
	gsize pos = 0;

	while (pos < len) {
		const guint8 *line = data + pos;
		gsize rest = len - pos;
		if (rest >= 2 && line[0] == '-' && line[1] == '-') {
			if (++dashes > max_dashes)
				return pos;
		} else {
			/* field-name = 1*printable-except-colon, then ":" */
			gsize i = 0;
			while (i < rest && i < 80 && line[i] > ' ' && line[i] < 127 && line[i] != ':')
				i++;
			if (i > 0 && i < rest && line[i] == ':' && ++fields > max_fields)
				return pos;
		}
		const guint8 *nl = memchr(line, '\n', rest);
		if (nl == NULL)
			break;
		pos = (gsize) (nl - data) + 1;
	}
	return len;
}

/* Where the body of DATA starts when the header has no empty line after
 * it, or 0 when nothing is missing.  Mail readers end the header at the
 * first line that is neither a header field nor a continuation and read
 * that line as the body's first; GMime drops such a body.  At least one
 * field must come first: text without any header stays not a mail. */
static gsize
missing_blank_line(const guint8 *data, gsize len)
{
	gsize pos = 0;
	gboolean seen_field = FALSE;

	while (pos < len) {
		const guint8 *line = data + pos;
		gsize rest = len - pos;
		if (line[0] == '\n' || (line[0] == '\r' && rest >= 2 && line[1] == '\n'))
			return 0;
		if (line[0] == ' ' || line[0] == '\t') {
			if (!seen_field)
				return 0;
		} else {
			/* field-name = 1*printable-except-colon, white space, ":" */
			gsize i = 0;
			while (i < rest && line[i] > ' ' && line[i] < 127 && line[i] != ':')
				i++;
			gsize name_len = i;
			while (i < rest && (line[i] == ' ' || line[i] == '\t'))
				i++;
			if (name_len == 0 || i >= rest || line[i] != ':')
				return seen_field ? pos : 0;
			seen_field = TRUE;
		}
		const guint8 *nl = memchr(line, '\n', rest);
		if (nl == NULL)
			break;
		pos = (gsize) (nl - data) + 1;
	}
	return 0;
}

struct dm_message *
dm_message_parse(GBytes *raw, const struct dm_limits *limits, const char *const *charsets)
{
	gsize raw_len = 0;
	const guint8 *raw_data = g_bytes_get_data(raw, &raw_len);
	if (raw_data == NULL || raw_len == 0)
		return NULL;

	dm_message_init();
	g_autoptr(GMimeParserOptions) opts = g_mime_parser_options_new();
	g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	if (charsets)
		g_mime_parser_options_set_fallback_charsets(opts, (const char **) charsets);

	/* Parse from the caller's bytes without copying them: a memory stream
	 * over a GByteArray that does not own its data.  The parser only
	 * reads, and the stream keeps parts as windows into it. */
	gsize extent = parse_extent(raw_data, raw_len, limits);
	gsize body_at = missing_blank_line(raw_data, extent);
	GByteArray *view;
	if (body_at > 0) {
		/* Only this malformed kind is copied, with the empty line the
		 * header lacks, in the message's own line ending. */
		gboolean crlf = body_at >= 2 && raw_data[body_at - 2] == '\r';
		view = g_byte_array_sized_new((guint) MIN(extent + 2, G_MAXUINT));
		g_byte_array_append(view, raw_data, (guint) body_at);
		g_byte_array_append(view, (const guint8 *) (crlf ? "\r\n" : "\n"), crlf ? 2 : 1);
		g_byte_array_append(view, raw_data + body_at, (guint) (extent - body_at));
	} else {
		view = g_byte_array_new_take((guint8 *) raw_data, extent);
	}
	GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(view);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	GMimeMessage *m = g_mime_parser_construct_message(parser, opts);
	g_object_unref(parser);

	/* A message with at least one header field is mail, even when its
	 * only field is one GMime files on the body part (Content-Type). */
	struct dm_message *msg = NULL;
	GMimeObject *top = m ? g_mime_message_get_mime_part(m) : NULL;
	if (m == NULL || (g_mime_header_list_get_count(g_mime_object_get_header_list(GMIME_OBJECT(m))) == 0 &&
			  (top == NULL || g_mime_header_list_get_count(g_mime_object_get_header_list(top)) == 0)))
		goto out;

	msg = message_from_mime(m, raw, opts, limits, charsets);
	if (extent < raw_len)
		msg->flags |= DM_MESSAGE_PARTS_LIMITED;

out:
	if (m)
		g_object_unref(m);
	g_object_unref(stream);
	/* Release the view without freeing the caller's bytes. */
	if (body_at == 0)
		(void) g_byte_array_steal(view, NULL);
	g_byte_array_unref(view);
	return msg;
}

void
dm_message_free(struct dm_message *msg)
{
	if (msg == NULL)
		return;
	g_free(msg->message_id);
	g_free(msg->in_reply_to);
	g_ptr_array_unref(msg->references);
	g_free(msg->from.addr);
	g_free(msg->from.name);
	g_ptr_array_unref(msg->to);
	g_ptr_array_unref(msg->cc);
	g_ptr_array_unref(msg->reply_to);
	g_free(msg->subject);
	g_free(msg->text);
	g_free(msg->html);
	g_ptr_array_unref(msg->attachments);
	g_ptr_array_unref(msg->headers);
	g_bytes_unref(msg->raw);
	g_free(msg->dsn_original_id);
	g_ptr_array_unref(msg->dsn_failed);
	g_free(msg);
}
