/* test-message.c - unit tests for the message parser (src/message.h).
 *
 * Every fixture in tests/data is parsed with the default limits and the
 * help desk's charset fallback list, and the result is compared with what
 * a person reading the mail would see.  The table below drives most of
 * it; the tests after it cover the limits, input that is not mail and
 * the smaller functions.  The expected SHA-256 digests were computed with
 * sha256sum when the fixtures were written; tnef-winmail.eml comes from
 * tests/gen-tnef.py, which prints the digests of the files it packs. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "message.h"
#include "table-tests.h"

#ifndef DM_TEST_DATA_DIR
#define DM_TEST_DATA_DIR "tests/data"
#endif

#define MAX_WANT 8

/* The flags no fixture may raise under the default limits. */
#define LIMIT_FLAGS (DM_MESSAGE_TEXT_TRUNCATED | DM_MESSAGE_PARTS_LIMITED | \
		     DM_MESSAGE_HEADER_CLIPPED)

static const char *const fallback_charsets[] = {
	"utf-8", "windows-1250", "iso-8859-2", "windows-1252", NULL
};

struct want_address {
	const char *addr;
	const char *name; /* NULL: not checked */
};

struct want_attachment {
	const char *filename;
	const char *content_type; /* NULL: not checked */
	const char *disposition;  /* NULL: not checked */
	const char *content_id;   /* NULL: not checked */
	gsize size;
	const char *sha256;
	gboolean from_tnef;
};

struct fixture {
	const char *file;
	const char *subject;
	const char *from_addr;
	const char *from_name;
	/* The To and Cc lists are compared whole, in order; an empty list
	 * means the message must have none. */
	struct want_address to[MAX_WANT];
	struct want_address cc[MAX_WANT];
	const char *text_has[MAX_WANT];
	const char *text_lacks[MAX_WANT];
	guint flags_set;
	guint flags_clear;
	/* -1 when only the listed attachments are checked, not the count. */
	int n_attachments;
	struct want_attachment attachments[MAX_WANT];
	void (*extra)(const struct fixture *fx, const struct dm_message *msg);
};

/* Helpers. */

static GBytes *
load_fixture(const char *name)
{
	char *path = g_build_filename(DM_TEST_DATA_DIR, name, NULL);
	char *data = NULL;
	gsize len = 0;
	GError *err = NULL;

	if (!g_file_get_contents(path, &data, &len, &err))
		fail_msg("cannot read %s: %s", path, err->message);
	g_free(path);
	return g_bytes_new_take(data, len);
}

static struct dm_message *
parse_bytes(GBytes *raw, const struct dm_limits *limits)
{
	struct dm_limits defaults;

	if (limits == NULL) {
		dm_limits_init_defaults(&defaults);
		limits = &defaults;
	}
	return dm_message_parse(raw, limits, fallback_charsets);
}

static guint
len_of(const GPtrArray *array)
{
	return array == NULL ? 0 : array->len;
}

static void
assert_utf8(const char *what, const char *s)
{
	if (s == NULL)
		fail_msg("%s is NULL", what);
	if (!g_utf8_validate(s, -1, NULL))
		fail_msg("%s is not valid UTF-8: \"%s\"", what, s);
}

static void
assert_lower_case(const char *what, const char *s)
{
	char *lower = g_utf8_strdown(s, -1);

	if (strcmp(lower, s) != 0)
		fail_msg("%s is not lower case: \"%s\"", what, s);
	g_free(lower);
}

static void
check_address_list(const char *what, const GPtrArray *list)
{
	for (guint i = 0; i < len_of(list); i++) {
		const struct dm_address *a = g_ptr_array_index(list, i);

		assert_utf8(what, a->addr);
		assert_utf8(what, a->name);
		assert_lower_case(what, a->addr);
	}
}

/* What must hold for any message the parser returns, whatever its
 * input: the promises made in message.h. */
static void
check_invariants(const struct dm_message *msg, GBytes *raw)
{
	assert_utf8("message_id", msg->message_id);
	assert_true(msg->message_id[0] != '\0');
	assert_null(strpbrk(msg->message_id, "<>"));
	if (msg->in_reply_to != NULL) {
		assert_utf8("in_reply_to", msg->in_reply_to);
		assert_null(strpbrk(msg->in_reply_to, "<>"));
	}
	for (guint i = 0; i < len_of(msg->references); i++) {
		const char *id = g_ptr_array_index(msg->references, i);

		assert_utf8("references", id);
		assert_true(id[0] != '\0');
		assert_null(strpbrk(id, "<>"));
	}

	assert_utf8("from.addr", msg->from.addr);
	assert_utf8("from.name", msg->from.name);
	assert_lower_case("from.addr", msg->from.addr);
	check_address_list("to", msg->to);
	check_address_list("cc", msg->cc);
	check_address_list("reply_to", msg->reply_to);

	assert_utf8("subject", msg->subject);
	assert_utf8("text", msg->text);
	assert_null(strchr(msg->text, '\r'));
	if (msg->html != NULL)
		assert_utf8("html", msg->html);

	for (guint i = 0; i < len_of(msg->attachments); i++) {
		const struct dm_attachment *a = g_ptr_array_index(msg->attachments, i);
		char *sum;

		assert_utf8("attachment filename", a->filename);
		assert_utf8("attachment content_type", a->content_type);
		assert_non_null(strchr(a->content_type, '/'));
		assert_lower_case("attachment content_type", a->content_type);
		assert_non_null(a->disposition);
		assert_true(strcmp(a->disposition, "attachment") == 0 ||
			    strcmp(a->disposition, "inline") == 0 ||
			    a->disposition[0] == '\0');
		assert_utf8("attachment content_id", a->content_id);
		assert_null(strpbrk(a->content_id, "<>"));
		assert_non_null(a->content);
		sum = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, a->content);
		assert_string_equal(a->sha256, sum);
		g_free(sum);
	}

	for (guint i = 0; i < len_of(msg->headers); i++) {
		const struct dm_header *h = g_ptr_array_index(msg->headers, i);

		assert_utf8("header name", h->name);
		assert_utf8("header value", h->value);
	}

	assert_non_null(msg->raw);
	assert_true(g_bytes_equal(msg->raw, raw));
}

static void
check_addresses(const char *file, const char *what, const GPtrArray *got,
		const struct want_address *want)
{
	guint n = 0;

	while (n < MAX_WANT && want[n].addr != NULL)
		n++;
	if (len_of(got) != n)
		fail_msg("%s: %s has %u addresses, expected %u", file, what,
			 len_of(got), n);
	for (guint i = 0; i < n; i++) {
		const struct dm_address *a = g_ptr_array_index(got, i);

		assert_string_equal(a->addr, want[i].addr);
		if (want[i].name != NULL)
			assert_string_equal(a->name, want[i].name);
	}
}

static const struct dm_attachment *
find_attachment(const struct dm_message *msg, const char *filename)
{
	for (guint i = 0; i < len_of(msg->attachments); i++) {
		const struct dm_attachment *a = g_ptr_array_index(msg->attachments, i);

		if (strcmp(a->filename, filename) == 0)
			return a;
	}
	return NULL;
}

static void
print_attachments(const struct dm_message *msg)
{
	for (guint i = 0; i < len_of(msg->attachments); i++) {
		const struct dm_attachment *a = g_ptr_array_index(msg->attachments, i);

		print_message("  attachment %u: \"%s\" %s %s size %zu tnef %d\n", i,
			      a->filename, a->content_type, a->disposition,
			      a->content != NULL ? g_bytes_get_size(a->content) : 0,
			      a->from_tnef);
	}
}

static void
check_attachments(const struct fixture *fx, const struct dm_message *msg)
{
	if (fx->n_attachments >= 0 && len_of(msg->attachments) != (guint) fx->n_attachments) {
		print_attachments(msg);
		fail_msg("%s: %u attachments, expected %d", fx->file,
			 len_of(msg->attachments), fx->n_attachments);
	}
	for (int i = 0; i < MAX_WANT && fx->attachments[i].filename != NULL; i++) {
		const struct want_attachment *w = &fx->attachments[i];
		const struct dm_attachment *a = find_attachment(msg, w->filename);

		if (a == NULL) {
			print_attachments(msg);
			fail_msg("%s: no attachment called \"%s\"", fx->file, w->filename);
		}
		if (w->content_type != NULL)
			assert_string_equal(a->content_type, w->content_type);
		if (w->disposition != NULL)
			assert_string_equal(a->disposition, w->disposition);
		if (w->content_id != NULL)
			assert_string_equal(a->content_id, w->content_id);
		assert_int_equal(g_bytes_get_size(a->content), w->size);
		assert_string_equal(a->sha256, w->sha256);
		assert_int_equal(!!a->from_tnef, !!w->from_tnef);
	}
}

/* Extra checks for single fixtures. */

static void
extra_utf8_sl(const struct fixture *fx, const struct dm_message *msg)
{
	static const char *const names[] = {
		"Return-Path", "Received", "From", "To", "Cc", "Subject", "Date",
		"Message-ID", "User-Agent", "X-Mailer-Queue", "MIME-Version",
		"Content-Type", "Content-Transfer-Encoding", "Content-Language",
	};
	gboolean same;

	assert_string_equal(msg->message_id, "20240513071500.4VdQ1k2Xz1@mail.example.si");
	assert_true(msg->has_date);
	assert_int_equal(msg->date, 1715584500); /* 2024-05-13 07:15:00 UTC */
	assert_null(msg->in_reply_to);
	assert_int_equal(len_of(msg->references), 0);
	assert_int_equal(len_of(msg->reply_to), 0);
	/* A text/plain-only mail has no HTML to keep. */
	assert_null(msg->html);

	/* All the top-level headers are kept, the MIME ones included, in
	 * order and with their names as written; the lookup ignores case and
	 * gives the decoded value. */
	same = len_of(msg->headers) == G_N_ELEMENTS(names);
	for (guint i = 0; same && i < G_N_ELEMENTS(names); i++) {
		const struct dm_header *h = g_ptr_array_index(msg->headers, i);

		same = strcmp(h->name, names[i]) == 0;
	}
	if (!same) {
		for (guint i = 0; i < len_of(msg->headers); i++) {
			const struct dm_header *h = g_ptr_array_index(msg->headers, i);

			print_message("  header %u: %s\n", i, h->name);
		}
		fail_msg("%s: headers has %u entries (listed above), expected "
			 "the %u top-level headers from %s to %s", fx->file,
			 len_of(msg->headers), (guint) G_N_ELEMENTS(names),
			 names[0], names[G_N_ELEMENTS(names) - 1]);
	}
	assert_string_equal(dm_message_header(msg, "user-agent"),
			    "Mozilla/5.0 Thunderbird/115.10.1");
	assert_string_equal(dm_message_header(msg, "SUBJECT"), fx->subject);
	assert_string_equal(dm_message_header(msg, "content-type"),
			    "text/plain; charset=UTF-8; format=flowed");
	assert_string_equal(dm_message_header(msg, "Content-Language"), "sl");
	assert_null(dm_message_header(msg, "X-Not-There"));
}

static void
extra_windows_1252(const struct fixture *fx G_GNUC_UNUSED, const struct dm_message *msg)
{
	const struct dm_address *r;

	assert_int_equal(len_of(msg->reply_to), 1);
	r = g_ptr_array_index(msg->reply_to, 0);
	assert_string_equal(r->addr, "asiakaspalvelu@example.fi");
	assert_string_equal(r->name, "Asiakaspalvelu \u2013 \u00d6hman");
}

static void
extra_alternative(const struct fixture *fx G_GNUC_UNUSED, const struct dm_message *msg)
{
	/* Whether the HTML alternative is kept as well is up to the parser,
	 * but if it is, it must be that part, decoded. */
	if (msg->html != NULL)
		assert_non_null(strstr(msg->html, "HTML razli\u010dica"));
}

static void
extra_html_only(const struct fixture *fx G_GNUC_UNUSED, const struct dm_message *msg)
{
	assert_non_null(msg->html);
	assert_non_null(strstr(msg->html, "<ul>"));
	assert_int_equal(len_of(msg->attachments), 0);
}

static void
extra_related(const struct fixture *fx G_GNUC_UNUSED, const struct dm_message *msg)
{
	assert_non_null(msg->html);
	assert_non_null(strstr(msg->html, "cid:logo-5512@example.si"));
}

static void
extra_no_date(const struct fixture *fx G_GNUC_UNUSED, const struct dm_message *msg)
{
	assert_false(msg->has_date);
	assert_string_equal(msg->message_id, "no-date.1@example.si");
}

static void
extra_no_message_id(const struct fixture *fx, const struct dm_message *msg)
{
	GBytes *raw;
	GBytes *other;
	struct dm_message *again;
	struct dm_message *changed;
	GString *s;

	assert_true(msg->has_date);
	assert_true(strlen(msg->message_id) >= 8);

	/* The synthesised id is a function of the raw bytes: the same mail
	 * gets the same id, a different one another. */
	raw = load_fixture(fx->file);
	again = parse_bytes(raw, NULL);
	assert_non_null(again);
	assert_true(again->flags & DM_MESSAGE_NO_MESSAGE_ID);
	assert_string_equal(again->message_id, msg->message_id);

	s = g_string_new_len(g_bytes_get_data(raw, NULL), g_bytes_get_size(raw));
	g_string_append(s, "P.S. Se en stavek.\n");
	other = g_string_free_to_bytes(s);
	changed = parse_bytes(other, NULL);
	assert_non_null(changed);
	assert_true(changed->flags & DM_MESSAGE_NO_MESSAGE_ID);
	assert_string_not_equal(changed->message_id, msg->message_id);

	dm_message_free(changed);
	dm_message_free(again);
	g_bytes_unref(other);
	g_bytes_unref(raw);
}

static void
extra_no_from(const struct fixture *fx G_GNUC_UNUSED, const struct dm_message *msg)
{
	assert_null(dm_message_header(msg, "From"));
	assert_string_equal(msg->message_id, "no-from.1@example.si");
}

static void
extra_iso_2022_jp(const struct fixture *fx G_GNUC_UNUSED, const struct dm_message *msg)
{
	assert_true(msg->has_date);
	assert_int_equal(msg->date, 1717146000); /* 2024-05-31 09:00:00 UTC */
}

static void
extra_tnef(const struct fixture *fx G_GNUC_UNUSED, const struct dm_message *msg)
{
	guint from_tnef = 0;

	/* Only the two packed files come from the TNEF stream; anything else
	 * listed can only be the winmail.dat itself. */
	for (guint i = 0; i < len_of(msg->attachments); i++) {
		const struct dm_attachment *a = g_ptr_array_index(msg->attachments, i);

		if (a->from_tnef)
			from_tnef++;
		else
			assert_string_equal(a->filename, "winmail.dat");
	}
	assert_int_equal(from_tnef, 2);
}

static void
extra_threading(const struct fixture *fx G_GNUC_UNUSED, const struct dm_message *msg)
{
	static const char *const refs[] = {
		"Root.1@mail.example.si",
		"CAF+Reply.1@mail.example.fi",
		"CAF+Reply.2@mail.example.fi",
	};

	assert_string_equal(msg->message_id, "Reply.3@mail.example.si");
	assert_non_null(msg->in_reply_to);
	assert_string_equal(msg->in_reply_to, "CAF+Reply.2@mail.example.fi");
	assert_int_equal(len_of(msg->references), G_N_ELEMENTS(refs));
	for (guint i = 0; i < G_N_ELEMENTS(refs); i++)
		assert_string_equal(g_ptr_array_index(msg->references, i), refs[i]);
}

/* The fixtures. */

static const struct fixture fixtures[] = {
	{
		.file = "rfc2047-utf8-sl.eml",
		.subject = "Te\u017eava s tiskalnikom v \u010detrtem nadstropju \u2013 nujno, \u0161e danes",
		.from_addr = "joze.skof@example.si",
		.from_name = "Jo\u017ee \u0160kof",
		.to = { { "podpora@example.org", "Podpora" } },
		.cc = { { "masa.cernigoj@example.si", "Ma\u0161a \u010cernigoj" },
			{ "it@example.si", "Oddelek IT \u2013 \u017diga" } },
		/* The quoted-printable soft line break falls inside the
		 * "\u0161" of "po\u0161ljem". */
		.text_has = { "tiskalnik v \u010detrtem nadstropju \u017ee drugi dan ne deluje. "
			      "Ko po\u0161ljem dokument, se prika\u017ee napaka "
			      "\u00bbPapir se je zagozdil\u00ab",
			      "Jo\u017ee \u0160kof\nOddelek za ra\u010dunovodstvo" },
		.text_lacks = { "=C5", "=\n" },
		.flags_clear = DM_MESSAGE_NO_MESSAGE_ID | DM_MESSAGE_TEXT_FROM_HTML |
			       DM_MESSAGE_CHARSET_GUESSED,
		.n_attachments = 0,
		.extra = extra_utf8_sl,
	},
	{
		.file = "rfc2047-iso-8859-2-hu.eml",
		.subject = "\u00c1rv\u00edzt\u0171r\u0151 t\u00fck\u00f6rf\u00far\u00f3g\u00e9p: "
			   "hib\u00e1s a sz\u00e1mla",
		.from_addr = "gyozo.szucs@example.hu",
		.from_name = "Sz\u0171cs Gy\u0151z\u0151",
		.to = { { "help@example.org", "" } },
		.text_has = { "A m\u00falt heti sz\u00e1ml\u00e1n a szolg\u00e1ltat\u00e1s "
			      "d\u00edja k\u00e9tszer szerepel.",
			      "\u00dcdv\u00f6zlettel:\nSz\u0171cs Gy\u0151z\u0151" },
		.text_lacks = { "\ufffd" },
		.flags_clear = DM_MESSAGE_TEXT_FROM_HTML | DM_MESSAGE_CHARSET_GUESSED,
		.n_attachments = 0,
	},
	{
		.file = "rfc2047-windows-1250.eml",
		.subject = "Ra\u010dun \u0161t. 2024-117 \u2013 pla\u010dilo ni vidno",
		.from_addr = "ziga.kosic@example.si",
		.from_name = "\u017diga Ko\u0161i\u010d",
		.to = { { "podpora@example.org", "" } },
		.cc = { { "erno.kovacs@example.hu", "Kov\u00e1cs Ern\u0151" } },
		.text_has = { "ra\u010dun \u0161t. 2024-117 sem pla\u010dal 3. 5. \u2013 "
			      "v va\u0161em sistemu pa je \u0161e vedno odprt.",
			      "Prilagam \u201epotrdilo\u201c banke.",
			      "Lp, \u017diga Ko\u0161i\u010d" },
		.text_lacks = { "\ufffd" },
		.flags_clear = DM_MESSAGE_TEXT_FROM_HTML | DM_MESSAGE_CHARSET_GUESSED,
		.n_attachments = 0,
	},
	{
		.file = "rfc2047-iso-8859-15-fi.eml",
		.subject = "Hyvitys: lasku 149,90 \u20ac on v\u00e4\u00e4r\u00e4, t\u00f6it\u00e4 ei tehty",
		.from_addr = "jyrki.makela@example.fi",
		.from_name = "Jyrki M\u00e4kel\u00e4",
		.to = { { "asiakaspalvelu@example.org", "" } },
		.text_has = { "summa on 149,90 \u20ac. T\u00f6it\u00e4 ei kuitenkaan tehty",
			      "Yst\u00e4v\u00e4llisin terveisin\nJyrki M\u00e4kel\u00e4" },
		.text_lacks = { "\ufffd", "\u00a4" },
		.flags_clear = DM_MESSAGE_TEXT_FROM_HTML | DM_MESSAGE_CHARSET_GUESSED,
		.n_attachments = 0,
	},
	{
		.file = "rfc2047-windows-1252-fi.eml",
		.subject = "Vastaus: \u201d\u00c4\u00e4nestys\u201d siirtyy \u2013 mit\u00e4 nyt?",
		.from_addr = "paivi.ohman@example.fi",
		.from_name = "P\u00e4ivi \u00d6hman",
		.to = { { "tuki@example.org", "" } },
		.text_has = { "kokouksen \u201d\u00c4\u00e4nestys\u201d siirtyy ensi viikolle.",
			      "perjantaina \u2013 pahoittelut",
			      "Jussin kommentti: \u2019ei h\u00e4t\u00e4\u00e4\u2019." },
		.text_lacks = { "\ufffd" },
		.flags_clear = DM_MESSAGE_TEXT_FROM_HTML | DM_MESSAGE_CHARSET_GUESSED,
		.n_attachments = 0,
		.extra = extra_windows_1252,
	},
	{
		.file = "rfc2231-filename.eml",
		.subject = "Poro\u010dilo o \u0161kodi",
		.from_addr = "andrej.kralj@example.si",
		.from_name = "Andrej Kralj",
		.to = { { "podpora@example.org", "" } },
		.text_has = { "V prilogi je poro\u010dilo o \u0161kodi in meritve." },
		.flags_clear = DM_MESSAGE_TEXT_FROM_HTML | DM_MESSAGE_CHARSET_GUESSED,
		.n_attachments = 2,
		.attachments = {
			{ "Poro\u010dilo o \u0161kodi \u2013 \u017eaga 2024.pdf",
			  "application/pdf", "attachment", "", 142,
			  "554f5147984d75fe7e43c6f15d08e3d52097907a122299c06613e84b3b4c8749",
			  FALSE },
			{ "meritve-maj-2024.csv", "text/csv", "attachment", "", 46,
			  "96326a765b4becba8654fa54b283191616c1fc786d98399fe76542668f3b4004",
			  FALSE },
		},
	},
	{
		.file = "rfc2047-filename.eml",
		.subject = "Seznam narocil",
		.from_addr = "nina.zupan@example.si",
		.from_name = "Nina Zupan",
		.to = { { "podpora@example.org", "" } },
		.text_has = { "Seznam je v prilogi." },
		.n_attachments = 1,
		.attachments = {
			{ "Seznam naro\u010dil \u2013 \u010di\u0161\u010denje.xlsx",
			  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			  "attachment", "", 110,
			  "b49f6dc4db407b83609741598297ad9f84c545c99d6a8359c18bb5aba20fd8d4",
			  FALSE },
		},
	},
	{
		.file = "alternative-plain-html.eml",
		.subject = "Ponastavitev gesla",
		.from_addr = "ana.kralj@example.si",
		.from_name = "Ana Kralj",
		.to = { { "podpora@example.org", "Podpora" }, { "tehnik@example.org", "" } },
		.text_has = { "prosim za ponastavitev gesla za ra\u010dun ana.kralj.\nHvala,\nAna" },
		.text_lacks = { "HTML razli\u010dica", "<p>", "<b>" },
		.flags_clear = DM_MESSAGE_TEXT_FROM_HTML | DM_MESSAGE_CHARSET_GUESSED,
		.n_attachments = 0,
		.extra = extra_alternative,
	},
	{
		.file = "html-only.eml",
		.subject = "Obvestilo o vzdrzevanju",
		.from_addr = "it@example.si",
		.from_name = "IT slu\u017eba",
		.to = { { "vsi@example.si", "" } },
		.text_has = { "Pozdravljeni,",
			      "v petek bo servis & vzdr\u017eevanje stre\u017enikov.",
			      "Po\u0161ta ne bo dosegljiva",
			      "Tiskalniki v 3. nadstropju",
			      "Ra\u010dunovodski program",
			      "IT slu\u017eba" },
		/* No script or style content, no tags or entities, and the
		 * <br> and <li> boundaries still separate the words. */
		.text_lacks = { "SLEDILNA-KODA", "document.write", "color", "<p",
				"&amp;", "&scaron;", "stre\u017enikov.Prosimo",
				"dosegljivaTiskalniki" },
		.flags_set = DM_MESSAGE_TEXT_FROM_HTML,
		.n_attachments = 0,
		.extra = extra_html_only,
	},
	{
		.file = "related-html-inline-image.eml",
		.subject = "Naro\u010dilo 5512 odpremljeno",
		.from_addr = "noreply@shop.example.si",
		.from_name = "Trgovina",
		.to = { { "stranka@example.org", "" } },
		.text_has = { "Naro\u010dilo \u0161t. 5512 je bilo odpremljeno.",
			      "Sledilna \u0161tevilka: 5512-SI" },
		.text_lacks = { "<img", "<p>", "cid:" },
		.flags_set = DM_MESSAGE_TEXT_FROM_HTML,
		.n_attachments = 1,
		.attachments = {
			{ "logo.png", "image/png", "inline", "logo-5512@example.si", 70,
			  "3952003fabb86f0f6fab328c3bd676b0731c23da8a0211ddfe25e9634cbfae12",
			  FALSE },
		},
		.extra = extra_related,
	},
	{
		.file = "forwarded-rfc822.eml",
		.subject = "Fwd: Reklamacija",
		.from_addr = "petra.horvat@example.si",
		.from_name = "Petra Horvat",
		.to = { { "reklamacije@example.org", "" } },
		.text_has = { "Posredujem sporo\u010dilo stranke, prosim za obravnavo." },
		.flags_clear = DM_MESSAGE_TEXT_FROM_HTML,
		.n_attachments = 2,
		.attachments = {
			/* This one is inside the forwarded message. */
			{ "vaurio.jpg", "image/jpeg", "attachment", "", 108,
			  "ace63bf658ec46684a52acb81e34a2a0d35400a665f905e544ebd6a56adae999",
			  FALSE },
			{ "zapiski.txt", "text/plain", "attachment", "", 60,
			  "55700e10d2e9147ac4f25022988adcc8f5cee52cf3a93ead0155714d46821cad",
			  FALSE },
		},
	},
	{
		.file = "no-date.eml",
		.subject = "VPN brez datuma",
		.from_addr = "luka.novak@example.si",
		.from_name = "Luka Novak",
		.to = { { "podpora@example.org", "" } },
		.text_has = { "kdaj bo popravljen dostop do VPN?" },
		.flags_clear = DM_MESSAGE_NO_MESSAGE_ID,
		.n_attachments = 0,
		.extra = extra_no_date,
	},
	{
		.file = "no-message-id.eml",
		.subject = "VPN brez Message-ID",
		.from_addr = "luka.novak@example.si",
		.from_name = "Luka Novak",
		.to = { { "podpora@example.org", "" } },
		.text_has = { "kdaj bo popravljen dostop do VPN?" },
		.flags_set = DM_MESSAGE_NO_MESSAGE_ID,
		.n_attachments = 0,
		.extra = extra_no_message_id,
	},
	{
		.file = "no-from.eml",
		.subject = "VPN brez posiljatelja",
		.from_addr = "",
		.from_name = "",
		.to = { { "podpora@example.org", "" } },
		.text_has = { "kdaj bo popravljen dostop do VPN?" },
		.flags_clear = DM_MESSAGE_NO_MESSAGE_ID,
		.n_attachments = 0,
		.extra = extra_no_from,
	},
	{
		.file = "raw-8bit-headers-cp1250.eml",
		.subject = "Te\u017eave z omre\u017ejem v u\u010dilnici 3 \u2013 nujno",
		.from_addr = "mojca.zagar@example.si",
		.from_name = "Mojca \u017dagar",
		.to = { { "podpora@example.org", "" } },
		.cc = { { "odon.korosi@example.hu", "K\u0151r\u00f6si \u00d6d\u00f6n" } },
		.text_has = { "Omrezje v ucilnici 3 ne deluje od ponedeljka." },
		.n_attachments = 0,
	},
	{
		.file = "raw-8bit-headers-utf8.eml",
		.subject = "Tulostin ei toimi \u2013 ty\u00f6piste 4, kerros 2 \U0001f5a8",
		.from_addr = "onni.mannisto@example.fi",
		.from_name = "\u00d6nni M\u00e4nnist\u00f6",
		.to = { { "tuki@example.org", "" } },
		.cc = { { "stefan.cuk@example.si", "\u0160tefan \u010cuk" } },
		.text_has = { "Tulostin ei toimi." },
		.flags_clear = DM_MESSAGE_CHARSET_GUESSED,
		.n_attachments = 0,
	},
	{
		.file = "body-8bit-no-charset.eml",
		.subject = "Odjava",
		.from_addr = "spela.ceh@example.si",
		.from_name = "\u0160pela \u010ceh",
		.to = { { "novice@example.org", "" } },
		.text_has = { "\u017eelim odjavo od e-novic. Hvala in lep dan \u0161e naprej.",
			      "\u0160pela \u010ceh" },
		.text_lacks = { "\ufffd" },
		.flags_set = DM_MESSAGE_CHARSET_GUESSED,
		.n_attachments = 0,
	},
	{
		.file = "body-wrong-charset.eml",
		.subject = "Nyomtato hiba",
		.from_addr = "odon.kovary@example.hu",
		.from_name = "K\u0151v\u00e1ry \u00d6d\u00f6n",
		.to = { { "help@example.org", "" } },
		.text_has = { "J\u00f3 napot!",
			      "A nyomtat\u00f3 a m\u00e1sodik emeleten megint hib\u00e1s. "
			      "K\u00e9rem, n\u00e9zz\u00e9k meg.",
			      "Prosim tudi za pregled tiskalnika v \u010detrtem nadstropju.",
			      "K\u0151v\u00e1ry \u00d6d\u00f6n" },
		.text_lacks = { "\ufffd" },
		.flags_set = DM_MESSAGE_CHARSET_GUESSED,
		.n_attachments = 0,
	},
	{
		.file = "iso-2022-jp.eml",
		.subject = "\u3053\u3093\u306b\u3061\u306f\u3001\u30d7\u30ea\u30f3\u30bf\u30fc\u306e\u4ef6",
		.from_addr = "taro.yamada@example.org",
		.from_name = "\u5c71\u7530\u592a\u90ce",
		.to = { { "support@example.org", "" } },
		.text_has = { "\u30b5\u30dd\u30fc\u30c8\u5fa1\u4e2d",
			      "\u3053\u3093\u306b\u3061\u306f\u3002\u30d7\u30ea\u30f3\u30bf\u30fc"
			      "\u304c\u52d5\u304d\u307e\u305b\u3093\u3002",
			      "\u5c71\u7530\u592a\u90ce" },
		.text_lacks = { "\x1b", "$B", "\ufffd" },
		.flags_clear = DM_MESSAGE_TEXT_FROM_HTML | DM_MESSAGE_CHARSET_GUESSED,
		.n_attachments = 0,
		.extra = extra_iso_2022_jp,
	},
	{
		.file = "crlf-attachment.eml",
		.subject = "Kiosk in the lobby shows an error",
		.from_addr = "kiosk@example.org",
		.from_name = "Kiosk Lobby",
		.to = { { "podpora@example.org", "" } },
		.text_has = { "the log file from the kiosk is attached.\n"
			      "Line two of the text: na\u0161 kiosk." },
		.flags_clear = DM_MESSAGE_TEXT_FROM_HTML | DM_MESSAGE_CHARSET_GUESSED,
		.n_attachments = 1,
		.attachments = {
			{ "kiosk-log.zip", "application/zip", "attachment", "", 564,
			  "1f04a5795799e2cd76fcf5fbb2bfd1a2a69cf9033100e410fe9b26a8a18863f8",
			  FALSE },
		},
	},
	{
		.file = "tnef-winmail.eml",
		.subject = "Quarterly report",
		.from_addr = "matti.laine@example.fi",
		.from_name = "Matti Laine",
		.to = { { "support@example.org", "Support" } },
		.text_has = { "please find the quarterly report attached." },
		.n_attachments = -1,
		.attachments = {
			{ "report.txt", NULL, NULL, NULL, 102,
			  "f284d07b7c48fb3c824aff316139da19b484779f97db560d473ff5894adcf9fc",
			  TRUE },
			{ "data.csv", NULL, NULL, NULL, 54,
			  "eb3dc256ad326b96b88e4bbf32b53bf2319199da7dbdb5cc2ab613aee420cedd",
			  TRUE },
		},
		.extra = extra_tnef,
	},
	{
		.file = "threading-references.eml",
		.subject = "Re: Re: VPN ne deluje",
		.from_addr = "tina.mlakar@example.si",
		.from_name = "Tina Mlakar",
		.to = { { "podpora@example.org", "" } },
		.text_has = { "Se vedno ne deluje.", "> Poskusite znova." },
		.flags_clear = DM_MESSAGE_NO_MESSAGE_ID,
		.n_attachments = 0,
		.extra = extra_threading,
	},
	{
		.file = "five-parts.eml",
		.subject = "Stiri priloge",
		.from_addr = "rok.zajc@example.si",
		.from_name = "Rok Zajc",
		.to = { { "podpora@example.org", "" } },
		.text_has = { "Stiri priloge za zahtevek." },
		.text_lacks = { "prva priloga" },
		.n_attachments = 4,
		.attachments = {
			{ "a.txt", "text/plain", "attachment", "", 13,
			  "37ccd8ae0839f0347ed7eb26e536a8e61467d77d51c651eb14e51dc8cbe81b62",
			  FALSE },
			{ "b.csv", "text/csv", "attachment", "", 8,
			  "7615087195922980c3442c90afedbb0955cbc604e94191594e4d19d2aad1b3a9",
			  FALSE },
			{ "c.jpg", "image/jpeg", "attachment", "", 108,
			  "ace63bf658ec46684a52acb81e34a2a0d35400a665f905e544ebd6a56adae999",
			  FALSE },
			{ "d.pdf", "application/pdf", "attachment", "", 142,
			  "554f5147984d75fe7e43c6f15d08e3d52097907a122299c06613e84b3b4c8749",
			  FALSE },
		},
	},
};

static void
test_fixture(void **state)
{
	const struct fixture *fx = *state;
	GBytes *raw = load_fixture(fx->file);
	struct dm_message *msg = parse_bytes(raw, NULL);

	if (msg == NULL)
		fail_msg("%s: dm_message_parse returned NULL", fx->file);
	check_invariants(msg, raw);

	assert_string_equal(msg->subject, fx->subject);
	assert_string_equal(msg->from.addr, fx->from_addr);
	assert_string_equal(msg->from.name, fx->from_name);
	check_addresses(fx->file, "to", msg->to, fx->to);
	check_addresses(fx->file, "cc", msg->cc, fx->cc);

	for (int i = 0; i < MAX_WANT && fx->text_has[i] != NULL; i++)
		if (strstr(msg->text, fx->text_has[i]) == NULL)
			fail_msg("%s: text lacks \"%s\"; the text is:\n%s", fx->file,
				 fx->text_has[i], msg->text);
	for (int i = 0; i < MAX_WANT && fx->text_lacks[i] != NULL; i++)
		if (strstr(msg->text, fx->text_lacks[i]) != NULL)
			fail_msg("%s: text has \"%s\"; the text is:\n%s", fx->file,
				 fx->text_lacks[i], msg->text);

	if ((msg->flags & fx->flags_set) != fx->flags_set)
		fail_msg("%s: flags 0x%x, expected 0x%x set", fx->file, msg->flags,
			 fx->flags_set);
	if ((msg->flags & (fx->flags_clear | LIMIT_FLAGS)) != 0)
		fail_msg("%s: flags 0x%x, expected 0x%x clear", fx->file, msg->flags,
			 fx->flags_clear | LIMIT_FLAGS);

	check_attachments(fx, msg);
	if (fx->extra != NULL)
		fx->extra(fx, msg);

	dm_message_free(msg);
	g_bytes_unref(raw);
}

/* Limits. */

static void
test_text_truncated(void **state G_GNUC_UNUSED)
{
	GBytes *raw = load_fixture("rfc2047-utf8-sl.eml");

	/* Byte 103 falls inside the "\u017e" of "prika\u017ee"; the others
	 * around it check that the cut never splits a character. */
	for (gsize limit = 98; limit <= 106; limit++) {
		struct dm_limits limits;
		struct dm_message *msg;

		dm_limits_init_defaults(&limits);
		limits.max_text_bytes = limit;
		msg = parse_bytes(raw, &limits);
		assert_non_null(msg);
		check_invariants(msg, raw);
		assert_true(msg->flags & DM_MESSAGE_TEXT_TRUNCATED);
		assert_true(strlen(msg->text) <= limit);
		assert_true(g_utf8_validate(msg->text, -1, NULL));
		assert_true(g_str_has_prefix(msg->text, "Pozdravljeni,"));
		dm_message_free(msg);
	}
	g_bytes_unref(raw);
}

static void
test_text_not_truncated_at_limit(void **state G_GNUC_UNUSED)
{
	GBytes *raw = load_fixture("no-date.eml");
	struct dm_limits limits;
	struct dm_message *msg;

	/* A text shorter than the limit is left alone. */
	dm_limits_init_defaults(&limits);
	limits.max_text_bytes = 100;
	msg = parse_bytes(raw, &limits);
	assert_non_null(msg);
	assert_false(msg->flags & DM_MESSAGE_TEXT_TRUNCATED);
	assert_non_null(strstr(msg->text, "Hvala."));
	dm_message_free(msg);
	g_bytes_unref(raw);
}

static void
test_header_clipped(void **state G_GNUC_UNUSED)
{
	GBytes *raw = load_fixture("rfc2047-utf8-sl.eml");
	struct dm_limits limits;
	struct dm_message *msg;
	const char *subject;

	/* Byte 25 of the decoded subject falls inside the "\u010d" of
	 * "\u010detrtem". */
	dm_limits_init_defaults(&limits);
	limits.max_header_bytes = 25;
	msg = parse_bytes(raw, &limits);
	assert_non_null(msg);
	check_invariants(msg, raw);
	assert_true(msg->flags & DM_MESSAGE_HEADER_CLIPPED);
	subject = dm_message_header(msg, "Subject");
	assert_non_null(subject);
	assert_true(strlen(subject) <= 25);
	assert_true(g_utf8_validate(subject, -1, NULL));
	assert_true(g_str_has_prefix(subject, "Te\u017eava s tiskalnikom"));
	assert_true(strlen(msg->subject) <= 25);
	assert_true(g_str_has_prefix(msg->subject, "Te\u017eava s tiskalnikom"));
	dm_message_free(msg);
	g_bytes_unref(raw);
}

static void
test_parts_limited(void **state G_GNUC_UNUSED)
{
	GBytes *raw = load_fixture("five-parts.eml");
	struct dm_limits limits;
	struct dm_message *msg;

	dm_limits_init_defaults(&limits);
	limits.max_parts = 2;
	msg = parse_bytes(raw, &limits);
	assert_non_null(msg);
	check_invariants(msg, raw);
	assert_true(msg->flags & DM_MESSAGE_PARTS_LIMITED);
	assert_true(len_of(msg->attachments) < 4);
	assert_string_equal(msg->subject, "Stiri priloge");
	dm_message_free(msg);
	g_bytes_unref(raw);
}

static void
test_depth_limited(void **state G_GNUC_UNUSED)
{
	GBytes *raw = load_fixture("forwarded-rfc822.eml");
	struct dm_limits limits;
	struct dm_message *msg;

	/* The forwarded mail's attachment sits three levels down. */
	dm_limits_init_defaults(&limits);
	limits.max_depth = 1;
	msg = parse_bytes(raw, &limits);
	assert_non_null(msg);
	check_invariants(msg, raw);
	assert_true(msg->flags & DM_MESSAGE_PARTS_LIMITED);
	assert_null(find_attachment(msg, "vaurio.jpg"));
	dm_message_free(msg);
	g_bytes_unref(raw);
}

/* A flood of tiny parts or header-like lines: GMime is only given the
 * prefix a walk within max_parts could use, so its tree stays small; the
 * first parts still count and the raw message is kept whole. */
static void
test_parse_extent_parts(void **state G_GNUC_UNUSED)
{
	GString *mail = g_string_new("From: ana@example.si\nSubject: parts\n"
	                             "Message-ID: <flood@example.si>\nMIME-Version: 1.0\n"
	                             "Content-Type: multipart/mixed; boundary=b\n\n");
	for (int i = 0; i < 500; i++)
		g_string_append_printf(mail, "--b\nContent-Type: text/plain\n\npart %d\n", i);
	g_string_append(mail, "--b--\n");
	gsize len = mail->len;
	GBytes *raw = g_string_free_to_bytes(mail);
	struct dm_limits limits;

	dm_limits_init_defaults(&limits);
	limits.max_parts = 10;
	struct dm_message *msg = parse_bytes(raw, &limits);
	assert_non_null(msg);
	check_invariants(msg, raw);
	assert_true(msg->flags & DM_MESSAGE_PARTS_LIMITED);
	assert_string_equal(msg->message_id, "flood@example.si");
	assert_non_null(strstr(msg->text, "part 0"));
	assert_null(strstr(msg->text, "part 40"));
	assert_int_equal(g_bytes_get_size(msg->raw), len);
	dm_message_free(msg);

	/* The same mail under the default limit is walked whole. */
	msg = parse_bytes(raw, NULL);
	assert_non_null(msg);
	assert_false(msg->flags & DM_MESSAGE_PARTS_LIMITED);
	assert_non_null(strstr(msg->text, "part 499"));
	dm_message_free(msg);
	g_bytes_unref(raw);
}

static void
test_parse_extent_fields(void **state G_GNUC_UNUSED)
{
	GString *mail = g_string_new("From: ana@example.si\nSubject: fields\n"
	                             "Message-ID: <fields@example.si>\n");
	for (int i = 0; i < 3000; i++)
		g_string_append_printf(mail, "X-%d: y\n", i);
	g_string_append(mail, "\nthe body\n");
	GBytes *raw = g_string_free_to_bytes(mail);
	struct dm_limits limits;

	dm_limits_init_defaults(&limits);
	limits.max_parts = 1; /* 40 * 1 + 1000 header-like lines */
	struct dm_message *msg = parse_bytes(raw, &limits);
	assert_non_null(msg);
	check_invariants(msg, raw);
	assert_true(msg->flags & DM_MESSAGE_PARTS_LIMITED);
	assert_string_equal(msg->subject, "fields");
	assert_string_equal(msg->from.addr, "ana@example.si");
	dm_message_free(msg);
	g_bytes_unref(raw);
}

static void
test_defaults(void **state G_GNUC_UNUSED)
{
	struct dm_limits limits;

	memset(&limits, 0, sizeof limits);
	dm_limits_init_defaults(&limits);
	assert_int_equal(limits.max_message_bytes, 50 * 1024 * 1024);
	assert_int_equal(limits.max_parts, 10000);
	assert_int_equal(limits.max_depth, 100);
	assert_int_equal(limits.max_header_bytes, 64 * 1024);
	assert_int_equal(limits.max_text_bytes, 1024 * 1024);
}

/* Input that is not mail. */

static void
test_empty_input(void **state G_GNUC_UNUSED)
{
	GBytes *raw = g_bytes_new_static("", 0);

	assert_null(parse_bytes(raw, NULL));
	g_bytes_unref(raw);
}

/* Whatever comes back for junk, it must not crash and must keep the
 * promises of message.h. */
static void
parse_junk(GBytes *raw)
{
	struct dm_message *msg = parse_bytes(raw, NULL);

	if (msg != NULL) {
		check_invariants(msg, raw);
		dm_message_free(msg);
	}
}

static void
test_not_mail(void **state G_GNUC_UNUSED)
{
	static const char text_line[] = "Just a line of text, with no headers at all.\n";
	static const unsigned char binary[] = {
		0x00, 0xff, 0x13, 0x37, 0x00, 0x00, 0x0d, 0x0a, 0x1b, 0x24, 0x42, 0x80,
		0xc3, 0x28, 0xe2, 0x82, 0x00, 0x0a, 0x0a, 0x3a, 0x3a, 0x0d, 0xfe, 0xfd,
	};
	GBytes *raw;

	raw = load_fixture("not-mail-png.eml");
	parse_junk(raw);
	g_bytes_unref(raw);

	raw = g_bytes_new_static(text_line, strlen(text_line));
	parse_junk(raw);
	g_bytes_unref(raw);

	raw = g_bytes_new_static(binary, sizeof binary);
	parse_junk(raw);
	g_bytes_unref(raw);

	raw = g_bytes_new_static("\n\n\n", 3);
	parse_junk(raw);
	g_bytes_unref(raw);
}

/* Other behaviour. */

static void
test_tnef_quiet(void **state G_GNUC_UNUSED)
{
	GBytes *raw = load_fixture("tnef-winmail.eml");
	char *path = NULL;
	char *out = NULL;
	gsize len = 0;
	guint parsed = 0;
	int fd;
	int saved;

	/* The parser is a library inside a mail filter: unpacking a
	 * winmail.dat must print nothing on stdout.  libytnef prints debug
	 * output when the Debug field of its TNEFStruct is not zeroed, and
	 * TNEFInitialize leaves it alone.  No assertions run while stdout is
	 * redirected. */
	fd = g_file_open_tmp("dm-test-message-XXXXXX", &path, NULL);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	dup2(fd, STDOUT_FILENO);
	for (int i = 0; i < 3; i++) {
		struct dm_message *msg = parse_bytes(raw, NULL);

		if (msg != NULL) {
			parsed++;
			dm_message_free(msg);
		}
	}
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);

	assert_int_equal(parsed, 3);
	assert_true(g_file_get_contents(path, &out, &len, NULL));
	g_unlink(path);
	if (len != 0)
		fail_msg("parsing tnef-winmail.eml printed %zu bytes on stdout, "
			 "beginning \"%.120s\"", len, out);
	g_free(out);
	g_free(path);
	g_bytes_unref(raw);
}

static void
test_crlf_same_as_lf(void **state G_GNUC_UNUSED)
{
	GBytes *crlf = load_fixture("crlf-attachment.eml");
	const char *data;
	gsize len;
	GString *s;
	GBytes *lf;
	struct dm_message *a;
	struct dm_message *b;
	const struct dm_attachment *att_a;
	const struct dm_attachment *att_b;

	/* The same mail with bare LF line ends must read the same. */
	data = g_bytes_get_data(crlf, &len);
	assert_non_null(memchr(data, '\r', len));
	s = g_string_sized_new(len);
	for (gsize i = 0; i < len; i++)
		if (data[i] != '\r')
			g_string_append_c(s, data[i]);
	lf = g_string_free_to_bytes(s);

	a = parse_bytes(crlf, NULL);
	b = parse_bytes(lf, NULL);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a->subject, b->subject);
	assert_string_equal(a->text, b->text);
	assert_int_equal(len_of(a->attachments), 1);
	assert_int_equal(len_of(b->attachments), 1);
	att_a = g_ptr_array_index(a->attachments, 0);
	att_b = g_ptr_array_index(b->attachments, 0);
	assert_string_equal(att_a->sha256, att_b->sha256);

	dm_message_free(b);
	dm_message_free(a);
	g_bytes_unref(lf);
	g_bytes_unref(crlf);
}

static void
test_raw_is_referenced(void **state G_GNUC_UNUSED)
{
	GBytes *raw = load_fixture("threading-references.eml");
	g_autoptr(DmMessage) msg = parse_bytes(raw, NULL);

	/* The message keeps the raw bytes alive after the caller lets go. */
	assert_non_null(msg);
	g_bytes_unref(raw);
	assert_non_null(msg->raw);
	assert_non_null(g_strstr_len(g_bytes_get_data(msg->raw, NULL),
				     g_bytes_get_size(msg->raw), "Message-ID: <Reply.3@"));
}

static void
test_address_normalise(void **state G_GNUC_UNUSED)
{
	static const char *const cases[][2] = {
		{ "Joze.Skof@Example.SI", "joze.skof@example.si" },
		{ "  <Podpora@Example.ORG>  ", "podpora@example.org" },
		{ "\t<MIXED.Case+Tag@Mail.Example.FI>\n", "mixed.case+tag@mail.example.fi" },
		{ "already@example.hu", "already@example.hu" },
		{ "", "" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *got = dm_address_normalise(cases[i][0]);

		assert_non_null(got);
		assert_string_equal(got, cases[i][1]);
		g_free(got);
	}
}

/* ---- Shapes of header and ids that mail readers accept ---------------- */

struct shape_case {
	const char *name;
	const char *raw;
	gboolean mail;          /* FALSE: dm_message_parse returns NULL */
	const char *subject;
	const char *text;       /* the body text exactly */
	const char *in_reply_to; /* NULL: none */
	const char *references; /* the ids joined by one space; "" for none */
};

static const struct shape_case shape_cases[] = {
	/* At least one header field makes a mail, whatever the field. */
	{ "shape: only Content-Type", "Content-Type: text/plain; charset=utf-8\n\nTiskalnik.\n",
	  TRUE, "", "Tiskalnik.\n", NULL, "" },
	{ "shape: only Content-Type, CRLF", "Content-Type: text/plain\r\n\r\nTiskalnik.\r\n", TRUE,
	  "", "Tiskalnik.\n", NULL, "" },
	{ "shape: only Subject", "Subject: Tiskalnik\n\nNe dela.\n", TRUE, "Tiskalnik",
	  "Ne dela.\n", NULL, "" },
	{ "shape: no header at all", "Tiskalnik ne dela.\nAna\n", FALSE, NULL, NULL, NULL, NULL },
	{ "shape: a line with a colon but a space in the name", "Tiskalnik ne dela: pomoc\n",
	  FALSE, NULL, NULL, NULL, NULL },

	/* No empty line after the header: the first line that is neither a
	 * field nor a continuation starts the body. */
	{ "shape: no empty line", "From: ana@example.si\nSubject: Tiskalnik\nNe dela.\nAna\n",
	  TRUE, "Tiskalnik", "Ne dela.\nAna\n", NULL, "" },
	{ "shape: no empty line, CRLF",
	  "From: ana@example.si\r\nSubject: Tiskalnik\r\nNe dela.\r\nAna\r\n", TRUE, "Tiskalnik",
	  "Ne dela.\nAna\n", NULL, "" },
	{ "shape: no empty line, after a continuation",
	  "From: ana@example.si\nSubject: Tiskalnik\n ne dela\nres ne dela: nic\n", TRUE,
	  "Tiskalnik ne dela", "res ne dela: nic\n", NULL, "" },
	{ "shape: no empty line, body is a boundary-like line",
	  "From: ana@example.si\nSubject: Tiskalnik\n--\nAna\n", TRUE, "Tiskalnik", "--\nAna\n",
	  NULL, "" },
	{ "shape: field with white space before the colon is a field",
	  "From: ana@example.si\nSubject : Tiskalnik\n\nNe dela.\n", TRUE, "Tiskalnik",
	  "Ne dela.\n", NULL, "" },
	{ "shape: with the empty line, a colon line stays in the body",
	  "From: ana@example.si\nSubject: Tiskalnik\n\nNote: ne dela\n", TRUE, "Tiskalnik",
	  "Note: ne dela\n", NULL, "" },

	/* Ids without an '@' name no message (gmane's "<yes>"). */
	{ "ids: In-Reply-To <yes>", "From: ana@example.si\nIn-Reply-To: <yes>\n\nx\n", TRUE, "",
	  "x\n", NULL, "" },
	{ "ids: In-Reply-To <yes> then a real id",
	  "From: ana@example.si\nIn-Reply-To: <yes> <dm.1@example.org>\n\nx\n", TRUE, "", "x\n",
	  "dm.1@example.org", "" },
	{ "ids: In-Reply-To with a phrase",
	  "From: ana@example.si\nIn-Reply-To: Your message of Monday <dm.1@example.org>\n\nx\n",
	  TRUE, "", "x\n", "dm.1@example.org", "" },
	{ "ids: References with bogus ids among real ones",
	  "From: ana@example.si\nReferences: <a@example.si> <123> <yes>\n <b@example.org>\n\nx\n",
	  TRUE, "", "x\n", NULL, "a@example.si b@example.org" },
	{ "ids: References starting with a bogus id",
	  "From: ana@example.si\nReferences: <abc> <a@example.si>\n\nx\n", TRUE, "", "x\n", NULL,
	  "a@example.si" },
	{ "ids: real ids unchanged",
	  "From: ana@example.si\nIn-Reply-To: <b@example.org>\n"
	  "References: <a@example.si> <b@example.org>\n\nx\n",
	  TRUE, "", "x\n", "b@example.org", "a@example.si b@example.org" },
};

static void
test_shape(void **state)
{
	const struct shape_case *c = *state;
	g_autoptr(GBytes) raw = g_bytes_new_static(c->raw, strlen(c->raw));
	g_autoptr(DmMessage) msg = parse_bytes(raw, NULL);

	if (!c->mail) {
		assert_null(msg);
		return;
	}
	assert_non_null(msg);
	check_invariants(msg, raw);
	/* The raw bytes are kept exactly as received. */
	assert_int_equal(g_bytes_get_size(msg->raw), strlen(c->raw));
	assert_memory_equal(g_bytes_get_data(msg->raw, NULL), c->raw, strlen(c->raw));
	assert_string_equal(msg->subject, c->subject);
	assert_string_equal(msg->text, c->text);
	if (c->in_reply_to == NULL)
		assert_null(msg->in_reply_to);
	else
		assert_string_equal(msg->in_reply_to, c->in_reply_to);
	g_autoptr(GString) refs = g_string_new(NULL);
	for (guint i = 0; i < msg->references->len; i++)
		g_string_append_printf(refs, "%s%s", i ? " " : "", (char *) msg->references->pdata[i]);
	assert_string_equal(refs->str, c->references);
}

static int
group_setup(void **state G_GNUC_UNUSED)
{
	dm_message_init();
	return 0;
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_text_truncated),
		cmocka_unit_test(test_text_not_truncated_at_limit),
		cmocka_unit_test(test_header_clipped),
		cmocka_unit_test(test_parts_limited),
		cmocka_unit_test(test_depth_limited),
		cmocka_unit_test(test_parse_extent_parts),
		cmocka_unit_test(test_parse_extent_fields),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_not_mail),
		cmocka_unit_test(test_crlf_same_as_lf),
		cmocka_unit_test(test_tnef_quiet),
		cmocka_unit_test(test_raw_is_referenced),
		cmocka_unit_test(test_address_normalise),
	};
	g_autoptr(GArray) tests = dm_tests_new();

	/* One test per fixture, named after its file. */
	DM_TESTS_ADD_ROWS(tests, fixtures, file, test_fixture);
	DM_TESTS_ADD_ROWS(tests, shape_cases, name, test_shape);
	g_array_append_vals(tests, fixed, G_N_ELEMENTS(fixed));
	return dm_tests_run("message", tests, group_setup, NULL);
}
