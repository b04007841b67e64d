/* message.c - the parse stage: raw bytes to a struct dm_message.
 *
 * GMime does the MIME parsing; this file decides what the desk sees: one
 * UTF-8 body text (text/plain preferred, HTML rendered when there is no
 * plain text), the attachments (nested messages and winmail.dat opened),
 * the addresses and the ids used for threading.  Every walk is bounded by
 * struct dm_limits, and nothing here can fail on odd input: it truncates
 * and flags instead. */
#include "dm-autoconf.h"

#include <string.h>

#include <gmime/gmime.h>

#include "charset.h"
#include "html.h"
#include "message.h"
#include "tnef.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParserOptions, g_mime_parser_options_free)

/* State of one parse. */
struct walk {
	struct dm_message *msg;
	const struct dm_limits *limits;
	const char *const *charsets;
	GMimeParserOptions *opts;
	guint parts;
	GString *text;      /* the body being assembled */
	gboolean have_body; /* a main body part was chosen */
	gboolean in_report; /* inside a multipart/report */
};

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

/* Clip S (UTF-8, owned) to MAX bytes on a character boundary and replace
 * control characters by spaces: a decoded header may hide CR/LF, and it
 * must never become a header line of a mail we send. */
static char *
clean_header_text(char *s, gsize max, gboolean *clipped)
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

static struct dm_address *
address_new(const char *addr, const char *name, gsize max)
{
	struct dm_address *a = g_new0(struct dm_address, 1);
	a->addr = clean_header_text(dm_address_normalise(addr), max, NULL);
	a->name = clean_header_text(g_strstrip(g_strdup(name ? name : "")), max, NULL);
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

/* The transfer-decoded bytes of a leaf part. */
static GBytes *
part_bytes(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	if (content == NULL)
		return g_bytes_new(NULL, 0);
	GByteArray *buf = g_byte_array_new();
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(buf);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_mime_data_wrapper_write_to_stream(content, mem);
	g_object_unref(mem);
	return g_byte_array_free_to_bytes(buf);
}

static char *
part_text(struct walk *w, GMimePart *part)
{
	g_autoptr(GBytes) bytes = part_bytes(part);
	gsize len;
	const char *data = g_bytes_get_data(bytes, &len);
	const char *declared = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
	gboolean guessed = FALSE;
	char *text = dm_charset_to_utf8(data ? data : "", len, declared, w->charsets, &guessed);
	if (guessed)
		w->msg->flags |= DM_MESSAGE_CHARSET_GUESSED;
	return text;
}

static gboolean
is_type(GMimeObject *obj, const char *type, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	return ct && g_mime_content_type_is_type(ct, type, subtype);
}

static gboolean
is_attachment_disposition(GMimeObject *obj)
{
	const char *d = g_mime_object_get_disposition(obj);
	return d && g_ascii_strcasecmp(d, GMIME_DISPOSITION_ATTACHMENT) == 0;
}

/* A file name we can show and store: no directories, no control
 * characters, no leading dots, at most 255 bytes. */
static char *
sanitise_filename(const char *name)
{
	if (name == NULL)
		return g_strdup("");
	g_autofree char *valid = g_utf8_make_valid(name, -1);
	const char *base = valid;
	for (const char *p = valid; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	GString *out = g_string_new(NULL);
	for (const char *p = base; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 || c == 0x7f)
			continue;
		if (out->len == 0 && (c == '.' || c == ' '))
			continue;
		if (out->len + (g_utf8_next_char(p) - p) > 255)
			break;
		g_string_append_len(out, p, g_utf8_next_char(p) - p);
	}
	return g_string_free(out, FALSE);
}

static void
add_attachment(struct walk *w, const char *filename, const char *content_type,
	       const char *disposition, const char *content_id, GBytes *content, gboolean tnef)
{
	struct dm_attachment *a = g_new0(struct dm_attachment, 1);
	gsize max = w->limits->max_header_bytes;
	a->filename = sanitise_filename(filename);
	a->content_type = clean_header_text(g_ascii_strdown(content_type ? content_type : "application/octet-stream", -1), max, NULL);
	a->disposition = g_strdup(disposition ? disposition : "");
	a->content_id = clean_header_text(g_strdup(content_id ? content_id : ""), max, NULL);
	a->content = g_bytes_ref(content);
	gsize len;
	const guint8 *data = g_bytes_get_data(content, &len);
	g_autofree char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data ? data : (const guint8 *) "", len);
	g_strlcpy(a->sha256, hex, sizeof a->sha256);
	a->from_tnef = tnef;
	g_ptr_array_add(w->msg->attachments, a);
}

static char *
mime_type_string(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	if (ct == NULL)
		return g_strdup("application/octet-stream");
	return g_strdup_printf("%s/%s", g_mime_content_type_get_media_type(ct),
			       g_mime_content_type_get_media_subtype(ct));
}

static void
store_leaf_as_attachment(struct walk *w, GMimePart *part)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	g_autoptr(GBytes) content = part_bytes(part);
	g_autofree char *type = mime_type_string(obj);
	const char *d = g_mime_object_get_disposition(obj);
	const char *disposition = d ? (is_attachment_disposition(obj) ? "attachment" : "inline") : "";
	add_attachment(w, g_mime_part_get_filename(part), type, disposition,
		       g_mime_object_get_content_id(obj), content, FALSE);

	if (is_type(obj, "application", "ms-tnef") || is_type(obj, "application", "vnd.ms-tnef")) {
		guint room = w->limits->max_parts > w->parts ? w->limits->max_parts - w->parts : 0;
		g_autoptr(GPtrArray) files = dm_tnef_unpack(content, room);
		for (guint i = 0; files && i < files->len; i++) {
			struct dm_tnef_file *f = files->pdata[i];
			add_attachment(w, f->filename, f->content_type, "attachment", f->content_id,
				       f->content, TRUE);
			w->parts++;
		}
	}
}

static void
append_text(struct walk *w, const char *text)
{
	if (text == NULL || *text == '\0')
		return;
	if (w->text->len > 0 && w->text->str[w->text->len - 1] != '\n')
		g_string_append_c(w->text, '\n');
	if (w->text->len > 0)
		g_string_append_c(w->text, '\n');
	g_string_append(w->text, text);
}

static void walk_object(struct walk *w, GMimeObject *obj, int depth, gboolean body_wanted);
static char *first_msgid(GMimeParserOptions *opts, const char *value);

/* Choose the best part of a multipart/alternative: the last text/plain
 * (later alternatives are preferred, RFC 2046), else the last part that
 * holds HTML (directly or as the root of multipart/related). */
static GMimeObject *
choose_alternative(GMimeMultipart *mp, GMimeObject **html_out)
{
	int n = g_mime_multipart_get_count(mp);
	GMimeObject *plain = NULL, *html = NULL;
	for (int i = 0; i < n; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);
		if (is_attachment_disposition(child))
			continue;
		if (is_type(child, "text", "plain"))
			plain = child;
		else if (is_type(child, "text", "html") || is_type(child, "multipart", "related") ||
			 is_type(child, "multipart", "mixed"))
			html = child;
	}
	*html_out = html;
	return plain ? plain : html;
}

static void
walk_multipart(struct walk *w, GMimeMultipart *mp, int depth, gboolean body_wanted)
{
	GMimeObject *obj = GMIME_OBJECT(mp);
	int n = g_mime_multipart_get_count(mp);

	if (is_type(obj, "multipart", "alternative")) {
		GMimeObject *html = NULL;
		GMimeObject *chosen = choose_alternative(mp, &html);
		for (int i = 0; i < n; i++) {
			GMimeObject *child = g_mime_multipart_get_part(mp, i);
			if (child == chosen) {
				walk_object(w, child, depth + 1, body_wanted);
			} else if (GMIME_IS_PART(child) && (is_type(child, "text", "plain") || is_type(child, "text", "html")) &&
				   !is_attachment_disposition(child)) {
				/* The other rendering of the same text: keep the HTML
				 * for later use, store nothing twice. */
				if (w->parts++ >= w->limits->max_parts) {
					w->msg->flags |= DM_MESSAGE_PARTS_LIMITED;
					return;
				}
				if (child == html && w->msg->html == NULL && body_wanted)
					w->msg->html = part_text(w, GMIME_PART(child));
			} else {
				/* Images of a related HTML alternative and the like. */
				walk_object(w, child, depth + 1, FALSE);
			}
		}
		return;
	}
	if (is_type(obj, "multipart", "related")) {
		/* The root (start parameter, else the first part) is the body;
		 * the rest are its inline resources. */
		GMimeObject *root = n > 0 ? g_mime_multipart_get_part(mp, 0) : NULL;
		const char *start = g_mime_object_get_content_type_parameter(obj, "start");
		if (start) {
			g_autofree char *cid = g_strdup(start);
			g_strstrip(cid);
			if (*cid == '<')
				memmove(cid, cid + 1, strlen(cid));
			char *gt = strchr(cid, '>');
			if (gt)
				*gt = '\0';
			for (int i = 0; i < n; i++) {
				GMimeObject *c = g_mime_multipart_get_part(mp, i);
				const char *id = g_mime_object_get_content_id(c);
				if (id && strcmp(id, cid) == 0)
					root = c;
			}
		}
		if (root)
			walk_object(w, root, depth + 1, body_wanted);
		for (int i = 0; i < n; i++) {
			GMimeObject *c = g_mime_multipart_get_part(mp, i);
			if (c != root)
				walk_object(w, c, depth + 1, FALSE);
		}
		return;
	}
	/* multipart/mixed and everything else, signed included: parts in
	 * order; the first text part is the body, later inline text parts
	 * continue it (Apple Mail splits text around inline images). */
	for (int i = 0; i < n; i++)
		walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1, body_wanted);
}

static void
walk_nested_message(struct walk *w, GMimeMessagePart *mpart, int depth, gboolean body_wanted)
{
	GMimeMessage *inner = g_mime_message_part_get_message(mpart);
	if (inner == NULL)
		return;
	/* A forwarded message: its text is part of what the customer sent,
	 * its files are attachments like any other. */
	struct walk sub = *w;
	sub.text = g_string_new(NULL);
	sub.have_body = FALSE;
	GMimeObject *body = g_mime_message_get_mime_part(inner);
	if (body)
		walk_object(&sub, body, depth + 1, TRUE);
	w->parts = sub.parts;
	if (body_wanted && sub.text->len > 0) {
		GString *block = g_string_new("---------- Forwarded message ----------\n");
		InternetAddressList *from = g_mime_message_get_from(inner);
		if (from && internet_address_list_length(from) > 0) {
			char *f = internet_address_list_to_string(from, NULL, FALSE);
			g_autofree char *clean = clean_header_text(f, w->limits->max_header_bytes, NULL);
			g_string_append_printf(block, "From: %s\n", clean);
		}
		const char *subject = g_mime_message_get_subject(inner);
		if (subject) {
			g_autofree char *clean = clean_header_text(g_strdup(subject), w->limits->max_header_bytes, NULL);
			g_string_append_printf(block, "Subject: %s\n", clean);
		}
		g_string_append_c(block, '\n');
		g_string_append_len(block, sub.text->str, sub.text->len);
		append_text(w, block->str);
		g_string_free(block, TRUE);
	}
	g_string_free(sub.text, TRUE);
}


/* The Message-ID in a block of header text (text/rfc822-headers). */
static char *
msgid_from_header_text(GMimeParserOptions *opts, const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", 2000);
	for (char **l = lines; *l; l++) {
		if (**l == '\0')
			break; /* end of the header block */
		if (g_ascii_strncasecmp(*l, "Message-ID:", 11) == 0) {
			GString *value = g_string_new(*l + 11);
			/* A folded continuation line belongs to the same header. */
			while (l[1] && (l[1][0] == ' ' || l[1][0] == '\t'))
				g_string_append(value, *++l);
			char *id = first_msgid(opts, value->str);
			g_string_free(value, TRUE);
			/* Like every id we keep: no control characters. */
			return id ? clean_header_text(id, 998, NULL) : NULL;
		}
	}
	return NULL;
}

/* Read the per-recipient fields of a message/delivery-status part. */
static void
read_delivery_status(struct walk *w, const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", 5000);
	g_autofree char *recipient = NULL;
	gboolean failed = FALSE;
	w->msg->is_dsn = TRUE;
	for (char **l = lines;; l++) {
		/* Recipient blocks are separated by empty lines. */
		if (*l == NULL || **l == '\0') {
			if (recipient && failed && w->msg->dsn_failed->len < 100)
				g_ptr_array_add(w->msg->dsn_failed, g_steal_pointer(&recipient));
			g_clear_pointer(&recipient, g_free);
			failed = FALSE;
			if (*l == NULL)
				break;
			continue;
		}
		char *colon = strchr(*l, ':');
		if (colon == NULL)
			continue;
		char *value = g_strstrip(colon + 1);
		if (g_ascii_strncasecmp(*l, "Final-Recipient", 15) == 0 ||
		    (recipient == NULL && g_ascii_strncasecmp(*l, "Original-Recipient", 18) == 0)) {
			char *semi = strchr(value, ';');
			g_free(recipient);
			recipient = dm_address_normalise(semi ? semi + 1 : value);
		} else if (g_ascii_strncasecmp(*l, "Action", 6) == 0) {
			failed = g_ascii_strncasecmp(value, "failed", 6) == 0;
		} else if (g_ascii_strncasecmp(*l, "Status", 6) == 0 && value[0] == '5') {
			failed = TRUE;
		}
	}
}

static void
walk_object(struct walk *w, GMimeObject *obj, int depth, gboolean body_wanted)
{
	if (obj == NULL)
		return;
	if ((guint) depth > w->limits->max_depth || w->parts >= w->limits->max_parts) {
		w->msg->flags |= DM_MESSAGE_PARTS_LIMITED;
		return;
	}
	w->parts++;

	if (GMIME_IS_MULTIPART(obj)) {
		gboolean was_report = w->in_report;
		if (is_type(obj, "multipart", "report"))
			w->in_report = TRUE;
		walk_multipart(w, GMIME_MULTIPART(obj), depth, body_wanted);
		w->in_report = was_report;
	} else if (w->in_report && GMIME_IS_MESSAGE_PART(obj) && w->msg->dsn_original_id == NULL) {
		/* The returned message of a bounce: remember which of our mails
		 * it was, and keep it as an attachment. */
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		const char *id = inner ? g_mime_message_get_message_id(inner) : NULL;
		if (id && *id)
			w->msg->dsn_original_id = clean_header_text(g_strdup(id), 998, NULL);
		walk_nested_message(w, GMIME_MESSAGE_PART(obj), depth, FALSE);
	} else if (GMIME_IS_PART(obj) && w->in_report &&
		   (is_type(obj, "message", "delivery-status") ||
		    is_type(obj, "message", "global-delivery-status") ||
		    is_type(obj, "text", "rfc822-headers"))) {
		g_autofree char *text = part_text(w, GMIME_PART(obj));
		if (is_type(obj, "text", "rfc822-headers")) {
			if (w->msg->dsn_original_id == NULL)
				w->msg->dsn_original_id = msgid_from_header_text(w->opts, text);
		} else {
			read_delivery_status(w, text);
		}
		store_leaf_as_attachment(w, GMIME_PART(obj));
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		walk_nested_message(w, GMIME_MESSAGE_PART(obj), depth, body_wanted);
	} else if (GMIME_IS_PART(obj)) {
		GMimePart *part = GMIME_PART(obj);
		gboolean textual = is_type(obj, "text", "plain") || is_type(obj, "text", "html");
		gboolean named = g_mime_part_get_filename(part) != NULL;
		if (textual && !is_attachment_disposition(obj) && !named && body_wanted) {
			g_autofree char *text = part_text(w, part);
			if (is_type(obj, "text", "html")) {
				if (w->msg->html == NULL)
					w->msg->html = g_strdup(text);
				g_autofree char *plain = dm_html_to_text(text, strlen(text));
				if (!w->have_body)
					w->msg->flags |= DM_MESSAGE_TEXT_FROM_HTML;
				append_text(w, plain);
			} else {
				append_text(w, text);
			}
			w->have_body = TRUE;
		} else {
			store_leaf_as_attachment(w, part);
		}
	}
	/* message/partial and unknown objects are kept in the raw message only. */
}

static char *
first_msgid(GMimeParserOptions *opts, const char *value)
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

static void
collect_headers(struct dm_message *msg, GMimeObject *obj, gsize max)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	int n = g_mime_header_list_get_count(list);
	for (int i = 0; i < n && i < 10000; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		struct dm_header *dh = g_new0(struct dm_header, 1);
		gboolean clipped = FALSE;
		dh->name = clean_header_text(g_strdup(g_mime_header_get_name(h)), 256, NULL);
		dh->value = clean_header_text(g_strdup(g_mime_header_get_value(h)), max, &clipped);
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

/* Everything a struct dm_message holds, from the parsed GMime message. */
static struct dm_message *
message_from_mime(GMimeMessage *m, GBytes *raw, GMimeParserOptions *opts,
		  const struct dm_limits *limits, const char *const *charsets)
{
	gsize max = limits->max_header_bytes;
	struct dm_message *msg = g_new0(struct dm_message, 1);
	msg->raw = g_bytes_ref(raw);
	msg->references = g_ptr_array_new_with_free_func(g_free);
	msg->to = address_array();
	msg->cc = address_array();
	msg->reply_to = address_array();
	msg->attachments = g_ptr_array_new_with_free_func(attachment_free);
	msg->headers = g_ptr_array_new_with_free_func(header_free);
	msg->dsn_failed = g_ptr_array_new_with_free_func(g_free);
	collect_headers(msg, GMIME_OBJECT(m), max);
	/* GMime keeps Content-* headers on the top-level part, not the message. */
	if (g_mime_message_get_mime_part(m))
		collect_headers(msg, g_mime_message_get_mime_part(m), max);

	const char *mid = g_mime_message_get_message_id(m);
	if (mid && *mid) {
		msg->message_id = clean_header_text(g_strdup(mid), 998, NULL);
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
	msg->in_reply_to = first_msgid(opts, g_mime_object_get_header(GMIME_OBJECT(m), "In-Reply-To"));
	const char *refs_value = g_mime_object_get_header(GMIME_OBJECT(m), "References");
	if (refs_value) {
		GMimeReferences *refs = g_mime_references_parse(opts, refs_value);
		for (int i = 0; refs && i < g_mime_references_length(refs) && i < 1000; i++) {
			const char *id = g_mime_references_get_message_id(refs, i);
			if (id && *id && strlen(id) <= 998)
				g_ptr_array_add(msg->references, clean_header_text(g_strdup(id), 998, NULL));
		}
		if (refs)
			g_mime_references_free(refs);
	}

	GDateTime *date = g_mime_message_get_date(m);
	if (date && g_mime_object_get_header(GMIME_OBJECT(m), "Date")) {
		msg->date = g_date_time_to_unix(date);
		msg->has_date = TRUE;
	}

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

	gboolean clipped = FALSE;
	msg->subject = clean_header_text(g_strdup(g_mime_message_get_subject(m)), max, &clipped);
	g_strstrip(msg->subject);
	if (clipped)
		msg->flags |= DM_MESSAGE_HEADER_CLIPPED;

	struct walk w = { .msg = msg, .limits = limits, .charsets = charsets, .opts = opts,
			  .text = g_string_new(NULL) };
	walk_object(&w, g_mime_message_get_mime_part(m), 0, TRUE);
	if (w.text->len > limits->max_text_bytes) {
		const char *end = g_utf8_find_prev_char(w.text->str, w.text->str + limits->max_text_bytes + 1);
		g_string_truncate(w.text, end ? (gsize) (end - w.text->str) : 0);
		msg->flags |= DM_MESSAGE_TEXT_TRUNCATED;
	}
	msg->text = g_string_free(w.text, FALSE);
	if (msg->html && strlen(msg->html) > limits->max_text_bytes) {
		g_clear_pointer(&msg->html, g_free);
	}

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
	GByteArray *view = g_byte_array_new_take((guint8 *) raw_data, extent);
	GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(view);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	GMimeMessage *m = g_mime_parser_construct_message(parser, opts);
	g_object_unref(parser);

	struct dm_message *msg = NULL;
	if (m == NULL || g_mime_header_list_get_count(g_mime_object_get_header_list(GMIME_OBJECT(m))) == 0)
		goto out;

	msg = message_from_mime(m, raw, opts, limits, charsets);
	if (extent < raw_len)
		msg->flags |= DM_MESSAGE_PARTS_LIMITED;

out:
	if (m)
		g_object_unref(m);
	g_object_unref(stream);
	/* Release the view without freeing the caller's bytes. */
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
