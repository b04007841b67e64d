/* message-parts.c - the MIME walk of the parse stage: which part is the
 * body text, and which parts are attachments.
 *
 * The body is one UTF-8 text: text/plain preferred, HTML rendered when
 * there is no plain text, the text parts of a multipart/mixed and of
 * forwarded messages appended in order.  Every other leaf is an
 * attachment (winmail.dat is kept and opened as well).  Inside a
 * multipart/report (a bounce) the delivery status and the returned
 * message's id are read.  The walk is bounded by the parts and depth of
 * struct dm_limits: past them it flags the message and stops, it never
 * fails. */
#include "dm-autoconf.h"

#include <string.h>

#include <gmime/gmime.h>

#include "charset.h"
#include "html.h"
#include "message.h"
#include "message-private.h"
#include "tnef.h"

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
	a->content_type = dm_message_clean_text(g_ascii_strdown(content_type ? content_type : "application/octet-stream", -1), max, NULL);
	a->disposition = g_strdup(disposition ? disposition : "");
	a->content_id = dm_message_clean_text(g_strdup(content_id ? content_id : ""), max, NULL);
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
			g_autofree char *clean = dm_message_clean_text(f, w->limits->max_header_bytes, NULL);
			g_string_append_printf(block, "From: %s\n", clean);
		}
		const char *subject = g_mime_message_get_subject(inner);
		if (subject) {
			g_autofree char *clean = dm_message_clean_text(g_strdup(subject), w->limits->max_header_bytes, NULL);
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
			char *id = dm_message_first_msgid(opts, value->str);
			g_string_free(value, TRUE);
			/* Like every id we keep: no control characters. */
			return id ? dm_message_clean_text(id, 998, NULL) : NULL;
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
			w->msg->dsn_original_id = dm_message_clean_text(g_strdup(id), 998, NULL);
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

void
dm_message_walk_body(struct dm_message *msg, GMimeMessage *m, GMimeParserOptions *opts,
		     const struct dm_limits *limits, const char *const *charsets)
{
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
}
