/* message.h - parse a raw RFC 5322 message into a deskmail message.
 *
 * This is the "parse" stage of the pipeline: a pure function of the raw
 * bytes, the limits and the charset fallback list.  It never touches the
 * database.  Everything it returns is UTF-8, NUL-free text. */
#ifndef DM_MESSAGE_H
#define DM_MESSAGE_H

#include <glib.h>

/* Limits on what one message may make us do.  Exceeding one truncates
 * and sets a flag on the message; it never fails the parse. */
struct dm_limits {
	gsize max_message_bytes; /* enforced by the reader, not the parser */
	guint max_parts;         /* MIME parts walked, all levels */
	guint max_depth;         /* multipart / message/rfc822 nesting */
	gsize max_header_bytes;  /* one header value, after decoding */
	gsize max_text_bytes;    /* stored body text */
};

/* Defaults: 50 MiB, 10000 parts, 100 levels, 64 KiB header, 1 MiB text. */
void dm_limits_init_defaults(struct dm_limits *limits);

struct dm_address {
	char *addr; /* normalised with dm_address_normalise; "" if none */
	char *name; /* decoded display name, UTF-8; "" if none */
};

struct dm_attachment {
	char *filename;     /* sanitised UTF-8 (RFC 2231/2047 decoded); "" if none */
	char *content_type; /* "type/subtype", lower case */
	char *disposition;  /* "attachment", "inline" or "" */
	char *content_id;   /* without <>, "" if none */
	GBytes *content;    /* transfer-decoded bytes */
	char sha256[65];    /* hex digest of content */
	gboolean from_tnef; /* unpacked from a winmail.dat */
};

struct dm_header {
	char *name;  /* as in the message */
	char *value; /* unfolded, RFC 2047 decoded, clipped to max_header_bytes */
};

enum dm_message_flag {
	DM_MESSAGE_TEXT_TRUNCATED = 1 << 0,
	DM_MESSAGE_PARTS_LIMITED = 1 << 1,  /* max_parts or max_depth hit */
	DM_MESSAGE_HEADER_CLIPPED = 1 << 2,
	DM_MESSAGE_NO_MESSAGE_ID = 1 << 3,  /* message_id was synthesised */
	DM_MESSAGE_TEXT_FROM_HTML = 1 << 4,
	DM_MESSAGE_CHARSET_GUESSED = 1 << 5 /* text used the fallback list */
};

struct dm_message {
	char *message_id;    /* without <>; synthesised from the raw digest if absent */
	char *in_reply_to;   /* first id of In-Reply-To without <>, or NULL */
	GPtrArray *references; /* char*: References ids in order, without <> */
	gint64 date;         /* Unix time of the Date header */
	gboolean has_date;   /* FALSE when Date is missing or unparseable */
	struct dm_address from;     /* addr "" when From is missing */
	GPtrArray *to;       /* struct dm_address* */
	GPtrArray *cc;       /* struct dm_address* */
	GPtrArray *reply_to; /* struct dm_address* */
	char *subject;       /* decoded, unfolded; "" if none */
	char *text;          /* the body as UTF-8 text; "" if none */
	char *html;          /* the chosen text/html part, UTF-8, or NULL */
	GPtrArray *attachments; /* struct dm_attachment* */
	GPtrArray *headers;  /* struct dm_header*: the top-level headers in order */
	GBytes *raw;         /* the message exactly as received */

	/* Delivery status reports (RFC 3464): set when the message is a
	 * multipart/report with a message/delivery-status part. */
	gboolean is_dsn;
	char *dsn_original_id;     /* Message-ID of the mail that bounced, or NULL */
	GPtrArray *dsn_failed;     /* char*: Final-Recipients whose Action is failed */
	guint flags;         /* enum dm_message_flag */
};

/* Parse RAW (borrowed; a reference is taken).  CHARSETS is the fallback
 * list for undeclared or wrongly declared 8-bit text (NULL-terminated,
 * borrowed).  Returns NULL when the input is not a mail at all (empty,
 * or no header GMime can read); the caller frees with dm_message_free(). */
struct dm_message *dm_message_parse(GBytes *raw, const struct dm_limits *limits,
				    const char *const *charsets);

void dm_message_free(struct dm_message *msg);
typedef struct dm_message DmMessage;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmMessage, dm_message_free)

/* The first header called NAME (case-insensitive), or NULL.  Borrowed. */
const char *dm_message_header(const struct dm_message *msg, const char *name);

/* Normalise a mail address for use as a key: trim white space and <>,
 * lower-case it whole (RFC 5321 lets the local part be case-sensitive,
 * but no mail system a desk talks to uses that, and one person must be one
 * contact).  Caller frees with g_free. */
char *dm_address_normalise(const char *addr);

/* Must be called once before dm_message_parse (wraps g_mime_init). */
void dm_message_init(void);

#endif
