/* test-template.c - unit tests for the mail templates (src/template.h).
 *
 * Four tables drive most tests: files that must not load (and the one
 * line that must say why), lookups through the fallback chain, templates
 * rendered with given values, and the shipped templates rendered with
 * values in every desk language.  Each row runs as its own test against
 * files written to a fresh temporary directory, or against the shipped
 * templates/ directory (DM_TEMPLATE_DIR). */
#include "dm-autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "template.h"
#include "table-tests.h"

#ifndef DM_TEMPLATE_DIR
#define DM_TEMPLATE_DIR "templates"
#endif

/* A file for make_dir: F with text, FB with bytes that may hold NULs. */
#define F(name, s) { (name), (s), 0 }
#define FB(name, s) { (name), (s), sizeof(s) - 1 }

struct file {
	const char *name;
	const char *data;
	gsize len; /* 0: strlen(data) */
};

/* ---- helpers ---------------------------------------------------------- */

/* The directories the running test made; its teardown removes them, so a
 * failing test leaves nothing behind either. */
static GPtrArray *made_dirs;

/* A new temporary directory holding FILES (up to the first without a
 * name).  Borrowed: removed by the test's teardown. */
static const char *
make_dir(const struct file *files, gsize n)
{
	g_autoptr(GError) err = NULL;
	char *dir = g_dir_make_tmp("dm-template-XXXXXX", &err);
	assert_non_null(dir);
	if (made_dirs == NULL)
		made_dirs = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(made_dirs, dir);
	for (gsize i = 0; i < n && files[i].name; i++) {
		g_autofree char *path = g_build_filename(dir, files[i].name, NULL);
		gssize len = files[i].len ? (gssize) files[i].len : -1;
		assert_true(g_file_set_contents(path, files[i].data, len, &err));
	}
	return dir;
}

/* Remove every directory make_dir made, with what is in it (files and
 * empty directories only, which is all the tests create). */
static int
remove_dirs(void **state G_GNUC_UNUSED)
{
	int failed = 0;
	for (guint i = 0; made_dirs && i < made_dirs->len; i++) {
		const char *dir = made_dirs->pdata[i];
		g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
		const char *name;
		while (d && (name = g_dir_read_name(d)) != NULL) {
			g_autofree char *path = g_build_filename(dir, name, NULL);
			failed |= g_remove(path) != 0;
		}
		failed |= g_rmdir(dir) != 0;
	}
	g_clear_pointer(&made_dirs, g_ptr_array_unref);
	return failed ? -1 : 0;
}

/* A table of NAME, VALUE pairs ending in NULL, borrowed. */
static GHashTable *
make_vars(const char *const *pairs)
{
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
	for (gsize i = 0; pairs[i]; i += 2)
		g_hash_table_insert(vars, (gpointer) pairs[i], (gpointer) pairs[i + 1]);
	return vars;
}

/* Both report the whole text on failure, which is what one needs to see. */
static void
assert_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL) {
		print_error("\"%s\" does not contain \"%s\"\n", haystack, needle);
		fail();
	}
}

static void
assert_lacks(const char *haystack, const char *needle)
{
	const char *at = strstr(haystack, needle);
	if (at != NULL) {
		print_error("\"%s\" contains \"%s\" at offset %d\n", haystack, needle,
			    (int) (at - haystack));
		fail();
	}
}

/* ---- files that must not load ----------------------------------------- */

struct load_case {
	const char *name;
	struct file files[4];
	enum dm_template_error code;
	const char *want[3]; /* each must appear in the error message */
};

#define SUBJ_BODY "Subject: s\n\nbody\n"

static const struct load_case load_cases[] = {
	{ "unknown placeholder in the body",
	  { F("ack.en.txt", "Subject: s\n\nHello\n{{ticket}}\n") },
	  DM_TEMPLATE_ERROR_SYNTAX, { "ack.en.txt:4:", "unknown placeholder {{ticket}}" } },
	{ "unknown placeholder in the subject",
	  { F("ack.en.txt", "Subject: {{tag}} {{Tag}}\n\nbody\n") },
	  DM_TEMPLATE_ERROR_SYNTAX, { "ack.en.txt:1:", "unknown placeholder {{Tag}}" } },
	{ "unknown placeholder in the .html names the .html",
	  { F("ack.en.txt", SUBJ_BODY), F("ack.en.html", "<p>\n{{name}}</p>\n") },
	  DM_TEMPLATE_ERROR_SYNTAX, { "ack.en.html:2:", "unknown placeholder {{name}}" } },
	{ "unknown name in a conditional",
	  { F("ack.en.txt", "Subject: s\n\n{{#name}}x{{/name}}\n") },
	  DM_TEMPLATE_ERROR_SYNTAX, { "ack.en.txt:3:", "unknown placeholder {{#name}}" } },
	{ "malformed placeholder",
	  { F("ack.en.txt", "Subject: s\n\n{{ tag }}\n") },
	  DM_TEMPLATE_ERROR_SYNTAX, { "ack.en.txt:3:", "malformed placeholder {{ tag }}" } },
	{ "triple braces",
	  { F("ack.en.txt", "Subject: s\n\n{{{tag}}}\n") },
	  DM_TEMPLATE_ERROR_SYNTAX, { "ack.en.txt:3:", "malformed placeholder {{{tag}}" } },
	{ "unterminated placeholder",
	  { F("ack.en.txt", "Subject: s\n\nline {{tag\n}}\n") },
	  DM_TEMPLATE_ERROR_SYNTAX, { "ack.en.txt:3:", "without \"}}\"" } },
	{ "conditional never closed",
	  { F("ack.en.txt", "Subject: s\n\n\n{{#subject}}x\n") },
	  DM_TEMPLATE_ERROR_SYNTAX, { "ack.en.txt:4:", "{{#subject}} without {{/subject}}" } },
	{ "close without open",
	  { F("ack.en.txt", "Subject: s\n\nx{{/subject}}\n") },
	  DM_TEMPLATE_ERROR_SYNTAX, { "ack.en.txt:3:", "{{/subject}} without" } },
	{ "close of another conditional",
	  { F("ack.en.txt", "Subject: s\n\n{{#subject}}{{^tag}}\n{{/subject}}{{/tag}}\n") },
	  DM_TEMPLATE_ERROR_SYNTAX, { "ack.en.txt:4:", "{{/subject}} closes {{^tag}} of line 3" } },
	{ "conditional across subject and body",
	  { F("ack.en.txt", "Subject: {{#subject}}s\n\n{{/subject}}\n") },
	  DM_TEMPLATE_ERROR_SYNTAX, { "ack.en.txt:1:", "{{#subject}} without {{/subject}}" } },
	{ "no Subject: line",
	  { F("ack.en.txt", "Hello,\n\nbody\n") },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.en.txt:1:", "not \"Subject: ...\"" } },
	{ "Subject: not on the first line",
	  { F("ack.en.txt", "\nSubject: s\n\nbody\n") },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.en.txt:1:", "not \"Subject: ...\"" } },
	{ "empty subject",
	  { F("ack.en.txt", "Subject:  \n\nbody\n") },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.en.txt:1:", "subject is empty" } },
	{ "control character in the subject",
	  { F("ack.en.txt", "Subject: a\tb\n\nbody\n") },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.en.txt:1:", "control character" } },
	{ "no empty line after the subject",
	  { F("ack.en.txt", "Subject: s\nbody\n") },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.en.txt:2:", "missing the empty line" } },
	{ "only a subject line",
	  { F("ack.en.txt", "Subject: s") },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.en.txt:2:", "missing the empty line" } },
	{ "empty body",
	  { F("ack.en.txt", "Subject: s\n\n") },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.en.txt:3:", "body is empty" } },
	/* "čšž" in windows-1250 (E8 9A 9E) happens to be valid UTF-8, so the
	 * Latin-2 text here is Hungarian. */
	{ "invalid UTF-8 (Latin-2 bytes)",
	  { FB("ack.hu.txt", "Subject: s\n\nTisztelt\nK\xf6sz\xf6nj\xfck\n") },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.hu.txt:4:", "invalid UTF-8" } },
	{ "invalid UTF-8 in the .html",
	  { F("ack.hu.txt", SUBJ_BODY), FB("ack.hu.html", "<p>\xf5</p>\n") },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.hu.html:1:", "invalid UTF-8" } },
	{ "NUL byte",
	  { FB("ack.en.txt", "Subject: s\n\nbo\0dy\n") },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.en.txt:3:", "invalid UTF-8" } },
	{ "empty .html",
	  { F("ack.en.txt", SUBJ_BODY), F("ack.en.html", "") },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.en.html:", "empty" } },
	{ ".html without its .txt",
	  { F("ack.en.txt", SUBJ_BODY), F("ack.fi.html", "<p>x</p>\n") },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.fi.html:", "without ack.fi.txt" } },
	{ "file name with one part",
	  { F("ack.txt", SUBJ_BODY) },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.txt:", "not KIND.LANG.txt" } },
	{ "file name with four parts",
	  { F("ack.en.out.scope.txt", SUBJ_BODY) },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.en.out.scope.txt:", "not KIND.LANG.txt" } },
	{ "file name with an empty part",
	  { F("ack..txt", SUBJ_BODY) },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack..txt:", "not KIND.LANG.txt" } },
	{ "names differing only in case",
	  { F("ack.EN.txt", SUBJ_BODY), F("ack.en.txt", SUBJ_BODY) },
	  DM_TEMPLATE_ERROR_FORMAT, { "ack.en.txt: the same template as", "ack.EN.txt" } },
	{ "no template at all",
	  { F("README", "not a template\n") },
	  DM_TEMPLATE_ERROR_FORMAT, { "no templates" } },
};

static void
test_load_error(void **state)
{
	const struct load_case *c = *state;
	const char *dir = make_dir(c->files, G_N_ELEMENTS(c->files));
	g_autoptr(GError) err = NULL;
	g_autoptr(DmTemplates) t = dm_templates_load(dir, &err);

	assert_null(t);
	assert_non_null(err);
	assert_true(g_error_matches(err, DM_TEMPLATE_ERROR, (int) c->code));
	/* One line, naming the directory or file. */
	assert_null(strchr(err->message, '\n'));
	assert_contains(err->message, dir);
	for (gsize i = 0; i < G_N_ELEMENTS(c->want) && c->want[i]; i++)
		assert_contains(err->message, c->want[i]);
}

/* A file over the size limit is refused, one at the limit is not. */
static void
test_size_limit(void **state G_GNUC_UNUSED)
{
	static const char head[] = "Subject: s\n\n";
	gsize len = DM_TEMPLATE_MAX_FILE_BYTES;
	g_autofree char *data = g_malloc(len + 2);
	memcpy(data, head, strlen(head));
	memset(data + strlen(head), 'x', len + 1 - strlen(head));

	for (int over = 0; over < 2; over++) {
		struct file files[] = { { "ack.en.txt", data, len + (gsize) over } };
		const char *dir = make_dir(files, 1);
		g_autoptr(GError) err = NULL;
		g_autoptr(DmTemplates) t = dm_templates_load(dir, &err);
		if (over) {
			assert_null(t);
			assert_true(g_error_matches(err, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_READ));
			assert_contains(err->message, "ack.en.txt: larger than");
		} else {
			assert_non_null(t);
		}
		}
}

/* A directory that does not exist, and a .txt that is not a file. */
static void
test_unreadable(void **state G_GNUC_UNUSED)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(DmTemplates) t = dm_templates_load("/nonexistent/dm-templates", &err);
	assert_null(t);
	assert_true(g_error_matches(err, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_READ));
	assert_contains(err->message, "/nonexistent/dm-templates: cannot open");
	g_clear_error(&err);

	const char *dir = make_dir(NULL, 0);
	g_autofree char *sub = g_build_filename(dir, "ack.en.txt", NULL);
	assert_int_equal(g_mkdir(sub, 0700), 0);
	t = dm_templates_load(dir, &err);
	assert_null(t);
	assert_true(g_error_matches(err, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_READ));
	assert_contains(err->message, "ack.en.txt: unreadable: not a regular file");
}

/* What a directory may hold besides templates, and what editors do to
 * files: dot files and other suffixes are skipped, a byte-order mark and
 * CRLF line ends are accepted. */
static void
test_tolerated(void **state G_GNUC_UNUSED)
{
	static const struct file files[] = {
		F("ack.en.txt", "\xEF\xBB\xBFSubject: {{tag}} hi \r\n\r\nline 1\r\nline 2\r\n"),
		F(".#ack.en.txt", "junk \xff"),
		F("ack.en.txt~", "junk"),
		F("README", "junk"),
	};
	const char *dir = make_dir(files, G_N_ELEMENTS(files));
	g_autoptr(GError) err = NULL;
	g_autoptr(DmTemplates) t = dm_templates_load(dir, &err);
	g_autoptr(GHashTable) vars = make_vars((const char *const[]){ "tag", "[#1]", NULL });
	g_autofree char *subject = NULL;
	g_autofree char *text = NULL;
	g_autofree char *html = NULL;
	g_auto(GStrv) list = NULL;

	assert_non_null(t);
	list = dm_templates_list(t);
	assert_int_equal(g_strv_length(list), 1);
	const struct dm_template *tpl = dm_templates_find(t, "ack", "en", NULL, NULL);
	assert_non_null(tpl);
	assert_true(dm_template_render(tpl, vars, &subject, &text, &html, &err));
	assert_string_equal(subject, "[#1] hi");
	assert_string_equal(text, "line 1\nline 2\n");
	assert_null(html);
}

/* ---- the fallback chain ----------------------------------------------- */

static const struct file chain_files[] = {
	F("ack.en.txt", "Subject: ack.en\n\nx\n"),
	F("ack.sl.txt", "Subject: ack.sl\n\nx\n"),
	F("ack.en.out-of-scope.txt", "Subject: ack.en.out-of-scope\n\nx\n"),
	F("ack.sl.billing.txt", "Subject: ack.sl.billing\n\nx\n"),
	F("notify.fi.txt", "Subject: notify.fi\n\nx\n"),
};

struct find_case {
	const char *name;
	const char *kind, *lang, *topic, *default_lang;
	const char *want; /* the file's stem, NULL for no template */
};

static const struct find_case find_cases[] = {
	{ "topic+lang", "ack", "sl", "billing", "en", "ack.sl.billing" },
	{ "lang without topic", "ack", "sl", NULL, "en", "ack.sl" },
	{ "lang when no topic+lang", "ack", "sl", "out-of-scope", "en", "ack.sl" },
	{ "topic+default when no lang", "ack", "fi", "out-of-scope", "en", "ack.en.out-of-scope" },
	{ "default when no lang", "ack", "fi", NULL, "en", "ack.en" },
	{ "default when no lang nor topic", "ack", "fi", "billing", "en", "ack.en" },
	{ "no lang at all", "ack", NULL, NULL, "en", "ack.en" },
	{ "no lang, topic+default", "ack", NULL, "out-of-scope", "en", "ack.en.out-of-scope" },
	{ "empty topic is no topic", "ack", "en", "", "en", "ack.en" },
	{ "case ignored", "ACK", "Sl", "Billing", "en", "ack.sl.billing" },
	{ "a lang with a dot is not used", "ack", "sl.billing", NULL, "en", "ack.en" },
	{ "a topic with a dot is not used", "ack", "en", "out-of-scope.x", NULL, "ack.en" },
	{ "other kind", "notify", "fi", "billing", "en", "notify.fi" },
	{ "nothing in lang nor default", "ack", "fi", NULL, "hu", NULL },
	{ "no default", "ack", "fi", "out-of-scope", NULL, NULL },
	{ "nothing for kind", "notify", "sl", NULL, "en", NULL },
	{ "unknown kind", "reply", "en", NULL, "en", NULL },
	{ "no kind", NULL, "en", NULL, "en", NULL },
	{ "nothing given", "ack", NULL, NULL, NULL, NULL },
};

static void
test_find(void **state)
{
	const struct find_case *c = *state;
	const char *dir = make_dir(chain_files, G_N_ELEMENTS(chain_files));
	g_autoptr(GError) err = NULL;
	g_autoptr(DmTemplates) t = dm_templates_load(dir, &err);
	assert_non_null(t);

	const struct dm_template *tpl = dm_templates_find(t, c->kind, c->lang, c->topic,
							  c->default_lang);
	if (c->want == NULL) {
		assert_null(tpl);
	} else {
		g_auto(GStrv) parts = g_strsplit(c->want, ".", 0);
		g_autofree char *file = g_strconcat(c->want, ".txt", NULL);
		g_autofree char *path = g_build_filename(dir, file, NULL);
		assert_non_null(tpl);
		assert_string_equal(dm_template_path(tpl), path);
		assert_string_equal(dm_template_kind(tpl), parts[0]);
		assert_string_equal(dm_template_lang(tpl), parts[1]);
		if (parts[2])
			assert_string_equal(dm_template_topic(tpl), parts[2]);
		else
			assert_null(dm_template_topic(tpl));
	}
}

/* ---- rendering -------------------------------------------------------- */

struct render_case {
	const char *name;
	const char *txt;
	const char *html;          /* NULL: no .html file */
	const char *vars[24];      /* name, value, ..., NULL */
	const char *want_subject;
	const char *want_text;
	const char *want_html;     /* NULL: *html must be NULL */
	const char *want_error;    /* non-NULL: rendering fails with this */
};

#define ALL_VARS                                                                      \
	"ticket_id", "17", "tag", "[Support #17]", "subject", "Printer", "requester_name", \
		"Ana", "topic_title", "Printing", "queue", "IT", "due", "Monday",         \
		"reply_address", "s+17@example.org", "support_name", "Help Desk"

static const struct render_case render_cases[] = {
	{ "every placeholder",
	  "Subject: {{tag}} {{subject}}\n\n"
	  "{{ticket_id}}|{{tag}}|{{subject}}|{{requester_name}}|{{topic_title}}|{{queue}}|"
	  "{{due}}|{{reply_address}}|{{support_name}}\n",
	  "<p>{{ticket_id}}|{{tag}}|{{subject}}|{{requester_name}}|{{topic_title}}|{{queue}}|"
	  "{{due}}|{{reply_address}}|{{support_name}}</p>\n",
	  { ALL_VARS, NULL },
	  "[Support #17] Printer",
	  "17|[Support #17]|Printer|Ana|Printing|IT|Monday|s+17@example.org|Help Desk\n",
	  "<p>17|[Support #17]|Printer|Ana|Printing|IT|Monday|s+17@example.org|Help Desk</p>\n",
	  NULL },
	{ "conditional, value not empty",
	  "Subject: s\n\nHello{{#requester_name}} {{requester_name}}{{/requester_name}},\n", NULL,
	  { "requester_name", "Ana", NULL },
	  "s", "Hello Ana,\n", NULL, NULL },
	{ "conditional, value empty",
	  "Subject: s\n\nHello{{#requester_name}} {{requester_name}}{{/requester_name}},\n", NULL,
	  { "requester_name", "", NULL },
	  "s", "Hello,\n", NULL, NULL },
	{ "inverted conditional, value not empty",
	  "Subject: s\n\n{{#requester_name}}Dear {{requester_name}}{{/requester_name}}"
	  "{{^requester_name}}Dear customer{{/requester_name}},\n", NULL,
	  { "requester_name", "Ana", NULL },
	  "s", "Dear Ana,\n", NULL, NULL },
	{ "inverted conditional, value empty",
	  "Subject: s\n\n{{#requester_name}}Dear {{requester_name}}{{/requester_name}}"
	  "{{^requester_name}}Dear customer{{/requester_name}},\n", NULL,
	  { "requester_name", "", NULL },
	  "s", "Dear customer,\n", NULL, NULL },
	{ "nested conditionals",
	  "Subject: s\n\n{{#subject}}<{{#requester_name}}{{requester_name}}: {{/requester_name}}"
	  "{{subject}}>{{/subject}}.\n", NULL,
	  { "subject", "Printer", "requester_name", "", NULL },
	  "s", "<Printer>.\n", NULL, NULL },
	{ "outer conditional hides the inner one",
	  "Subject: s\n\n{{#subject}}[{{#requester_name}}{{requester_name}}{{/requester_name}}]"
	  "{{/subject}}.\n", NULL,
	  { "subject", "", "requester_name", "Ana", NULL },
	  "s", ".\n", NULL, NULL },
	{ "conditional in the subject and over lines",
	  "Subject: {{tag}} Received{{#subject}}: {{subject}}{{/subject}}\n\n"
	  "a\n{{#subject}}\nabout {{subject}}\n{{/subject}}\nb\n", NULL,
	  { "tag", "[#1]", "subject", "", NULL },
	  "[#1] Received", "a\n\nb\n", NULL, NULL },
	{ "lone braces are text",
	  "Subject: {x} }}\n\n{ {tag} }} {{tag}} {\n", NULL,
	  { "tag", "T", NULL },
	  "{x} }}", "{ {tag} }} T {\n", NULL, NULL },
	{ "HTML escaping in .html only",
	  "Subject: {{subject}}\n\n{{subject}} {{requester_name}}\n",
	  "<p>{{subject}} {{requester_name}}</p>\n",
	  { "subject", "<b>&", "requester_name", "\"O'Brien\"", NULL },
	  "<b>&", "<b>& \"O'Brien\"\n", "<p>&lt;b&gt;&amp; &quot;O&apos;Brien&quot;</p>\n", NULL },
	{ "CR/LF in a subject value",
	  "Subject: {{tag}} {{subject}}\n\n{{subject}}\n", NULL,
	  { "tag", "[#1]", "subject", "a\r\nBcc: x@example.org\nc\rd", NULL },
	  "[#1] a  Bcc: x@example.org c d", "a\r\nBcc: x@example.org\nc\rd\n", NULL, NULL },
	{ "control characters and line separators in a subject value",
	  "Subject: {{subject}}\n\nx\n", NULL,
	  { "subject", "a\tb\x1b" "c\xc2\x85" "d\xe2\x80\xa8" "e\xe2\x80\xa9" "f\x7f", NULL },
	  "a b c d e f ", "x\n", NULL, NULL },
	{ "UTF-8 values",
	  "Subject: {{subject}}\n\n{{requester_name}}\n", "<p>{{requester_name}}</p>\n",
	  { "subject", "čšž äö őű", "requester_name", "Šárka Kővári", NULL },
	  "čšž äö őű", "Šárka Kővári\n", "<p>Šárka Kővári</p>\n", NULL },
	{ "values are not templates",
	  "Subject: s\n\n{{subject}}\n", NULL,
	  { "subject", "{{tag}} {{#tag}}", NULL },
	  "s", "{{tag}} {{#tag}}\n", NULL, NULL },
	{ "extra values are ignored",
	  "Subject: s\n\nx\n", NULL,
	  { "subject", "a", "no_such_name", "b", NULL },
	  "s", "x\n", NULL, NULL },
	{ "missing value",
	  "Subject: {{tag}}\n\n{{due}}\n", NULL,
	  { "tag", "[#1]", NULL },
	  NULL, NULL, NULL, "no value for {{due}}" },
	{ "missing value in the .html",
	  "Subject: {{tag}}\n\nx\n", "<p>{{due}}</p>\n",
	  { "tag", "[#1]", NULL },
	  NULL, NULL, NULL, "no value for {{due}}" },
	{ "missing value inside a hidden conditional",
	  "Subject: s\n\n{{#subject}}{{requester_name}}{{/subject}}\n", NULL,
	  { "subject", "", NULL },
	  NULL, NULL, NULL, "no value for {{requester_name}}" },
	{ "missing conditional value",
	  "Subject: s\n\n{{^requester_name}}x{{/requester_name}}\n", NULL,
	  { NULL },
	  NULL, NULL, NULL, "no value for {{requester_name}}" },
	{ "invalid UTF-8 value",
	  "Subject: s\n\n{{subject}}\n", NULL,
	  { "subject", "\xe8\x9a", NULL },
	  NULL, NULL, NULL, "{{subject}} is not valid UTF-8" },
};

static void
test_render(void **state)
{
	const struct render_case *c = *state;
	const struct file files[] = {
		{ "t.en.txt", c->txt, 0 },
		{ c->html ? "t.en.html" : NULL, c->html, 0 },
	};
	const char *dir = make_dir(files, G_N_ELEMENTS(files));
	g_autoptr(GError) err = NULL;
	g_autoptr(DmTemplates) t = dm_templates_load(dir, &err);
	g_autoptr(GHashTable) vars = make_vars(c->vars);
	char *subject = (char *) "unset", *text = (char *) "unset", *html = (char *) "unset";

	if (t == NULL)
		fail_msg("%s", err->message);
	const struct dm_template *tpl = dm_templates_find(t, "t", "en", NULL, NULL);
	assert_non_null(tpl);
	assert_int_equal(dm_template_has_html(tpl), c->html != NULL);
	gboolean ok = dm_template_render(tpl, vars, &subject, &text, &html, &err);
	if (c->want_error) {
		assert_false(ok);
		assert_true(g_error_matches(err, DM_TEMPLATE_ERROR, DM_TEMPLATE_ERROR_VALUE));
		assert_contains(err->message, "t.en.txt: ");
		assert_contains(err->message, c->want_error);
		assert_null(subject);
		assert_null(text);
		assert_null(html);
	} else {
		if (!ok)
			fail_msg("%s", err->message);
		assert_string_equal(subject, c->want_subject);
		assert_null(strpbrk(subject, "\r\n"));
		assert_string_equal(text, c->want_text);
		if (c->want_html)
			assert_string_equal(html, c->want_html);
		else
			assert_null(html);
	}
	g_free(subject);
	g_free(text);
	g_free(html);
}

/* HTML may be NULL when the caller sends text only. */
static void
test_render_without_html(void **state G_GNUC_UNUSED)
{
	static const struct file files[] = {
		F("t.en.txt", "Subject: {{tag}}\n\n{{tag}}\n"),
		F("t.en.html", "<p>{{tag}}</p>\n"),
	};
	const char *dir = make_dir(files, G_N_ELEMENTS(files));
	g_autoptr(DmTemplates) t = dm_templates_load(dir, NULL);
	g_autoptr(GHashTable) vars = make_vars((const char *const[]){ "tag", "[#1]", NULL });
	g_autofree char *subject = NULL;
	g_autofree char *text = NULL;

	assert_non_null(t);
	const struct dm_template *tpl = dm_templates_find(t, "t", "en", NULL, NULL);
	assert_true(dm_template_render(tpl, vars, &subject, &text, NULL, NULL));
	assert_string_equal(text, "[#1]\n");
}

/* ---- the shipped templates -------------------------------------------- */

static const char *const shipped_names[] = {
	"ack.en", "ack.en.out-of-scope", "ack.fi", "ack.fi.out-of-scope",
	"ack.hu", "ack.hu.out-of-scope", "ack.sl", "ack.sl.out-of-scope",
	"command-error.en", "nothing-relayed.en", "notify.en", "overdue.en", "reminder.en", NULL
};

static void
test_shipped_check(void **state G_GNUC_UNUSED)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(DmTemplates) t = dm_templates_load(DM_TEMPLATE_DIR, &err);
	if (t == NULL)
		fail_msg("%s", err->message);
	if (!dm_templates_check(t, &err))
		fail_msg("%s", err->message);

	g_auto(GStrv) list = dm_templates_list(t);
	assert_int_equal(g_strv_length(list), g_strv_length((char **) shipped_names));
	for (gsize i = 0; shipped_names[i]; i++)
		assert_string_equal(list[i], shipped_names[i]);
}

struct shipped_case {
	const char *name;
	const char *lang;
	const char *topic;
	const char *due;
	const char *requester_name;
	const char *subject;
};

static const struct shipped_case shipped_cases[] = {
	{ "ack.sl named", "sl", NULL, "torek, 24. novembra 2026 ob 10.00", "Špela Čeh",
	  "Izposoja e-knjig – čšž <b>&" },
	{ "ack.sl anonymous", "sl", NULL, "sreda, 25. novembra 2026 ob 9.30", "",
	  "Težava s prijavo <b>&" },
	{ "ack.fi named", "fi", NULL, "tiistaina 24. marraskuuta 2026 klo 10.00", "Päivi Törrönen",
	  "Lainojen uusiminen – äö <b>&" },
	{ "ack.fi anonymous", "fi", NULL, "keskiviikkona 25. marraskuuta 2026 klo 9.30", "",
	  "Kirjaston kortti <b>&" },
	{ "ack.hu named", "hu", NULL, "2026. november 24., kedd 10:00", "Kővári Zsófia",
	  "Kölcsönzés meghosszabbítása – őű <b>&" },
	{ "ack.hu anonymous", "hu", NULL, "2026. november 25., szerda 9:30", "",
	  "Jelszó visszaállítása <b>&" },
	{ "ack.en named", "en", NULL, "Tuesday, 24 November 2026 at 10:00", "Zoë Šušteršič",
	  "Cannot log in – čšž äö őű <b>&" },
	{ "ack.en anonymous", "en", NULL, "Wednesday, 25 November 2026 at 09:30", "",
	  "Cannot log in <b>&" },
	{ "ack.en with empty subject", "en", NULL, "Tuesday, 24 November 2026 at 10:00", "Ana",
	  "" },
	{ "ack.en.out-of-scope named", "en", "out-of-scope", "-", "Zoë Šušteršič",
	  "Parking permit <b>&" },
	{ "ack.sl.out-of-scope anonymous", "sl", "out-of-scope", "-", "",
	  "Parkirna dovolilnica – čšž <b>&" },
	{ "ack.fi.out-of-scope named", "fi", "out-of-scope", "-", "Päivi Törrönen",
	  "Pysäköintilupa <b>&" },
	{ "ack.hu.out-of-scope anonymous", "hu", "out-of-scope", "-", "",
	  "Parkolási engedély – őű <b>&" },
};

/* Spacing and punctuation that only an ill-fitting empty value leaves. */
static const char *const seams[] = { "  ", " ,", " .", " !", ",,", "( ", " )", "\n ", " \n",
				     "\"\"", "»«", "””", "„”", NULL };

static void
assert_reads_well(const char *s)
{
	assert_true(g_utf8_validate(s, -1, NULL));
	assert_lacks(s, "{{");
	assert_lacks(s, "}}");
	for (gsize i = 0; seams[i]; i++)
		assert_lacks(s, seams[i]);
}

static void
test_shipped(void **state)
{
	const struct shipped_case *c = *state;
	g_autoptr(GError) err = NULL;
	g_autoptr(DmTemplates) t = dm_templates_load(DM_TEMPLATE_DIR, &err);
	g_autofree char *subject = NULL;
	g_autofree char *text = NULL;
	g_autofree char *html = NULL;
	const char *const pairs[] = {
		"ticket_id", "4217", "tag", "[Support #4217]", "subject", c->subject,
		"requester_name", c->requester_name, "topic_title", "Parkiranje – Pysäköinti – Parkolás",
		"queue", "Knjižnice", "due", c->due, "reply_address", "support+4217@example.org",
		"support_name", "Služba za pomoč – Käyttäjätuki – Ügyfélszolgálat", NULL
	};
	g_autoptr(GHashTable) vars = make_vars(pairs);

	if (t == NULL)
		fail_msg("%s", err->message);
	const struct dm_template *tpl = dm_templates_find(t, "ack", c->lang, c->topic, "en");
	assert_non_null(tpl);
	assert_string_equal(dm_template_lang(tpl), c->lang);
	if (c->topic)
		assert_string_equal(dm_template_topic(tpl), c->topic);
	else
		assert_null(dm_template_topic(tpl));
	if (!dm_template_render(tpl, vars, &subject, &text, &html, &err))
		fail_msg("%s", err->message);

	assert_null(strpbrk(subject, "\r\n"));
	assert_true(g_str_has_prefix(subject, "[Support #4217] "));
	assert_contains(subject, c->subject);
	assert_reads_well(subject);
	assert_non_null(html);

	/* The body says what the customer needs: the tag, their subject, the
	 * time of the answer (an out-of-scope redirect promises none, it
	 * names the topic instead), the name when there is one, and who
	 * signs; values literal in text and escaped in HTML. */
	g_autofree char *escaped_subject = g_markup_escape_text(c->subject, -1);
	assert_contains(text, "[Support #4217]");
	assert_contains(html, "[Support #4217]");
	assert_contains(text, c->subject);
	assert_contains(html, escaped_subject);
	if (*c->subject) {
		assert_contains(text, "<b>&");
		assert_lacks(html, "<b>&");
		assert_contains(html, "&lt;b&gt;&amp;");
	}
	if (c->topic) {
		assert_contains(text, "Parkiranje – Pysäköinti – Parkolás");
		assert_contains(html, "Parkiranje – Pysäköinti – Parkolás");
	} else {
		assert_contains(text, c->due);
		assert_contains(html, c->due);
	}
	if (*c->requester_name) {
		assert_contains(text, c->requester_name);
		assert_contains(html, c->requester_name);
	}
	assert_true(g_str_has_suffix(text, "Služba za pomoč – Käyttäjätuki – Ügyfélszolgálat\n"));
	assert_contains(html, "Služba za pomoč – Käyttäjätuki – Ügyfélszolgálat</p>");
	assert_reads_well(text);
	assert_reads_well(html);
	assert_lacks(html, "src=");
	assert_lacks(html, "href=");
	assert_true(strlen(text) > 200);
}

/* ---- main ------------------------------------------------------------- */

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test_teardown(test_size_limit, remove_dirs),
		cmocka_unit_test_teardown(test_unreadable, remove_dirs),
		cmocka_unit_test_teardown(test_tolerated, remove_dirs),
		cmocka_unit_test_teardown(test_render_without_html, remove_dirs),
		cmocka_unit_test_teardown(test_shipped_check, remove_dirs),
	};
	g_autoptr(GArray) tests = dm_tests_new();

	DM_TESTS_ADD_ROWS_TEARDOWN(tests, load_cases, name, test_load_error, remove_dirs);
	DM_TESTS_ADD_ROWS_TEARDOWN(tests, find_cases, name, test_find, remove_dirs);
	DM_TESTS_ADD_ROWS_TEARDOWN(tests, render_cases, name, test_render, remove_dirs);
	DM_TESTS_ADD_ROWS_TEARDOWN(tests, shipped_cases, name, test_shipped, remove_dirs);
	g_array_append_vals(tests, fixed, G_N_ELEMENTS(fixed));
	return dm_tests_run("template", tests, NULL, NULL);
}
