/* test-html.c - unit tests for the HTML to text renderer (src/html.h).
 *
 * Each row of the table below is one test: a piece of HTML and either
 * the exact text it must render to or, where libxml2's repair of broken
 * markup decides the layout, lines the text must contain and lines it
 * must not.  Every output is also checked for what html.h promises of any
 * output: valid UTF-8, no blanks at the end of a line, and no empty line
 * at the start, at the end or twice in a row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "html.h"
#include "table-tests.h"

#define MAX_WANT 4

struct html_case {
	const char *name;
	const char *html;           /* NULL: the function is given NULL */
	const char *want;           /* the exact text; NULL: see has and lacks */
	const char *has[MAX_WANT];  /* substrings the text must contain */
	const char *lacks[MAX_WANT]; /* substrings it must not contain */
};

static const struct html_case cases[] = {
	/* Blocks and line breaks. */
	{ "paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo", { NULL }, { NULL } },
	{ "heading and paragraph", "<h1>Title</h1><p>Body</p>", "Title\n\nBody", { NULL }, { NULL } },
	{ "divs are lines", "<div>one</div><div>two</div>", "one\ntwo", { NULL }, { NULL } },
	{ "br", "a<br>b", "a\nb", { NULL }, { NULL } },
	{ "br between blanks", "<p>a <br> b</p>", "a\nb", { NULL }, { NULL } },
	{ "two br", "a<br><br>b", "a\n\nb", { NULL }, { NULL } },
	{ "br at the start", "<br><br>a", "a", { NULL }, { NULL } },
	{ "table rows and cells",
	  "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>",
	  "a b\nc d", { NULL }, { NULL } },

	/* Lists. */
	{ "list", "<ul><li>one</li><li>two</li></ul>", "- one\n- two", { NULL }, { NULL } },
	{ "ordered list", "<ol><li>one</li><li>two</li></ol>", "- one\n- two", { NULL }, { NULL } },
	{ "list between paragraphs", "<p>Steps:</p><ul><li>a</li><li>b</li></ul><p>Done</p>",
	  "Steps:\n\n- a\n- b\n\nDone", { NULL }, { NULL } },
	{ "nested list",
	  "<ul><li>a<ul><li>b</li><li>c</li></ul></li><li>d</li></ul>",
	  "- a\n  - b\n  - c\n- d", { NULL }, { NULL } },
	{ "three levels",
	  "<ul><li>a<ul><li>b<ul><li>c</li></ul></li></ul></li><li>d</li></ul>",
	  "- a\n  - b\n    - c\n- d", { NULL }, { NULL } },
	{ "list item with blanks", "<ul><li>  spaced   out  </li></ul>", "- spaced out", { NULL }, { NULL } },

	/* What a reader never sees. */
	{ "script, style and head",
	  "<html><head><title>Secret title</title><style>p { color: red }</style></head>"
	  "<body><script>var x = 1;</script><p>Body</p><style>.a{}</style></body></html>",
	  "Body", { NULL }, { NULL } },
	{ "script between paragraphs", "<p>a</p><script>alert('x')</script><p>b</p>",
	  "a\n\nb", { NULL }, { NULL } },
	{ "comment", "<p>a<!-- hidden -->b</p>", "ab", { NULL }, { NULL } },

	/* Entities and non-breaking spaces. */
	{ "entities", "<p>Tom &amp; Jerry &scaron;&#269;&#x17E; &lt;x&gt; &quot;q&quot;</p>",
	  "Tom & Jerry ščž <x> \"q\"", { NULL }, { NULL } },
	{ "nbsp is a space", "<p>a&nbsp;b</p>", "a b", { NULL }, { NULL } },
	{ "nbsp at the end of a line", "<p>a&nbsp;</p><p>b</p>", "a\n\nb", { NULL }, { NULL } },

	/* Links. */
	{ "link text differs from href",
	  "<p>See <a href=\"https://example.com/help\">our help pages</a> now.</p>",
	  "See our help pages <https://example.com/help> now.", { NULL }, { NULL } },
	{ "link text is the href",
	  "<p><a href=\"https://example.com/\">https://example.com/</a></p>",
	  "https://example.com/", { NULL }, { NULL } },
	{ "link text is the href, with blanks",
	  "<p><a href=\"https://example.com/\">\n  https://example.com/ </a></p>",
	  "https://example.com/", { NULL }, { NULL } },
	{ "mailto link, text is the address",
	  "<p>Write to <a href=\"mailto:help@example.com\">help@example.com</a></p>",
	  "Write to help@example.com", { NULL }, { NULL } },
	{ "mailto link, other text",
	  "<p><a href=\"mailto:help@example.com\">write to us</a></p>",
	  "write to us <mailto:help@example.com>", { NULL }, { NULL } },
	{ "javascript link", "<p><a href=\"javascript:void(0)\">click</a></p>", "click", { NULL }, { NULL } },
	{ "anchor without href", "<p><a name=\"top\">top</a></p>", "top", { NULL }, { NULL } },
	/* A linked image without alt text, as in most signatures: the URL
	 * alone, at the start of its line. */
	{ "link without text",
	  "<p>Hello</p><p><a href=\"https://example.com/\"><img src=\"logo.png\"></a></p>",
	  "Hello\n\n<https://example.com/>", { NULL }, { NULL } },

	/* Images. */
	{ "image alt text", "<p><img src=\"l.png\" alt=\"logo\"> Welcome</p>", "[logo] Welcome",
	  { NULL }, { NULL } },
	{ "image without alt", "<p>a<img src=\"x.png\">b</p>", "ab", { NULL }, { NULL } },
	{ "linked image with alt", "<p><a href=\"https://example.com/\"><img alt=\"logo\"></a></p>",
	  "[logo] <https://example.com/>", { NULL }, { NULL } },

	/* White space. */
	{ "runs collapsed", "<p>  a   \n\t  b  </p>", "a b", { NULL }, { NULL } },
	{ "lines of source joined", "<p>one\ntwo\r\nthree</p>", "one two three", { NULL }, { NULL } },
	{ "inline elements keep their spaces", "<p>a <b>b</b> c</p>", "a b c", { NULL }, { NULL } },
	/* The blank between the two elements is a text node of its own. */
	{ "blank between inline elements", "<p><b>Hello</b> <i>world</i></p>", "Hello world",
	  { NULL }, { NULL } },
	{ "newline between spans", "<div><span>Dear</span>\n<span>customer</span></div>",
	  "Dear customer", { NULL }, { NULL } },
	{ "pre keeps white space", "<pre>a  b\n    c</pre>", "a  b\n    c", { NULL }, { NULL } },
	{ "pre between paragraphs", "<p>Log:</p><pre>x = 1\n  y =  2</pre><p>end</p>",
	  "Log:\n\nx = 1\n  y =  2\n\nend", { NULL }, { NULL } },

	/* Empty lines are tidied. */
	{ "no leading or trailing empty lines", "<br><p></p><p>x</p><br><br><p></p><div></div>",
	  "x", { NULL }, { NULL } },
	{ "at most one empty line", "<p>a</p><br><br><br><p></p><p>b</p>", "a\n\nb", { NULL }, { NULL } },

	/* Broken markup still renders its text. */
	{ "unclosed tags", "<p>one<p>two<ul><li>three<li>four",
	  NULL, { "one", "two", "- three", "- four" }, { NULL } },
	{ "stray end tags", "</div></span><div>text</p></div></div></b>",
	  "text", { NULL }, { NULL } },
	{ "overlapping tags", "<div>one<p>two</div></div><b>three",
	  NULL, { "one", "two", "three" }, { NULL } },
	{ "unclosed script", "<p>shown</p><script>hidden",
	  NULL, { "shown" }, { "hidden" } },
	{ "text only", "just text", "just text", { NULL }, { NULL } },
	{ "lone less-than", "a < b and c > d", NULL, { "a", "b and c", "d" }, { NULL } },

	/* The input is UTF-8 whatever the markup claims. */
	{ "meta charset ignored", "<meta charset=\"iso-8859-1\"><p>čšž</p>", "čšž", { NULL }, { NULL } },
	{ "meta http-equiv ignored",
	  "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">"
	  "</head><body><p>“ő”</p></body></html>",
	  "“ő”", { NULL }, { NULL } },

	/* Nothing to render. */
	{ "empty input", "", "", { NULL }, { NULL } },
	{ "NULL input", NULL, "", { NULL }, { NULL } },
	{ "only blanks", "  \n\t ", "", { NULL }, { NULL } },
	{ "only markup", "<html><head></head><body><div><p></p></div></body></html>", "", { NULL }, { NULL } },
};

/* Render HTML (LEN bytes) into memory that cmocka tracks, so that it is
 * freed even when an assertion fails and leaves the test early.  The
 * caller frees it with test_free. */
static char *
render(const char *html, gsize len)
{
	char *out = dm_html_to_text(html, len);
	char *copy;

	assert_non_null(out);
	copy = test_malloc(strlen(out) + 1);
	strcpy(copy, out);
	g_free(out);
	return copy;
}

/* What must hold for any output. */
static void
check_output(const char *out)
{
	assert_non_null(out);
	if (!g_utf8_validate(out, -1, NULL))
		fail_msg("output is not valid UTF-8: \"%s\"", out);
	if (out[0] == '\n')
		fail_msg("output starts with an empty line: \"%s\"", out);
	if (*out && out[strlen(out) - 1] == '\n')
		fail_msg("output ends with a line break: \"%s\"", out);
	if (strstr(out, "\n\n\n") != NULL)
		fail_msg("output has two empty lines in a row: \"%s\"", out);

	char **lines = g_strsplit(out, "\n", -1);
	for (char **l = lines; *l; l++) {
		gsize n = strlen(*l);

		if (n > 0 && ((*l)[n - 1] == ' ' || (*l)[n - 1] == '\t'))
			fail_msg("line ends with a blank: \"%s\"", *l);
	}
	g_strfreev(lines);
}

static void
test_case(void **state)
{
	const struct html_case *c = *state;
	char *out = render(c->html, c->html ? strlen(c->html) : 0);

	check_output(out);
	if (c->want)
		assert_string_equal(out, c->want);
	for (int i = 0; i < MAX_WANT && c->has[i]; i++)
		if (strstr(out, c->has[i]) == NULL)
			fail_msg("\"%s\" lacks \"%s\"", out, c->has[i]);
	for (int i = 0; i < MAX_WANT && c->lacks[i]; i++)
		if (strstr(out, c->lacks[i]) != NULL)
			fail_msg("\"%s\" has \"%s\"", out, c->lacks[i]);
	test_free(out);
}

/* Only LEN bytes are read: the rest of the buffer is not rendered. */
static void
test_length_respected(void **state G_GNUC_UNUSED)
{
	const char *html = "<p>first</p><p>second</p>";
	char *out = render(html, strlen("<p>first</p>"));

	check_output(out);
	assert_string_equal(out, "first");
	test_free(out);
}

static char *
nested_divs(int depth, const char *inner, const char *after)
{
	GString *s = g_string_new(NULL);

	for (int i = 0; i < depth; i++)
		g_string_append(s, "<div>");
	g_string_append(s, inner);
	for (int i = 0; i < depth; i++)
		g_string_append(s, "</div>");
	g_string_append(s, after);
	return g_string_free(s, FALSE);
}

/* Hostile nesting must neither crash nor give bad output. */
static void
test_deep_nesting(void **state G_GNUC_UNUSED)
{
	char *html = nested_divs(2000, "deep", "<p>after</p>");
	char *out = dm_html_to_text(html, strlen(html));

	check_output(out);
	g_free(out);
	g_free(html);

	/* Unclosed, the same depth. */
	html = nested_divs(2000, "deep", "");
	html[strlen(html) - 2000 * strlen("</div>")] = '\0';
	out = dm_html_to_text(html, strlen(html));
	check_output(out);
	g_free(out);
	g_free(html);
}

/* Nesting as deep as real mail gets loses no text. */
static void
test_moderate_nesting(void **state G_GNUC_UNUSED)
{
	char *html = nested_divs(200, "deep", "<p>after</p>");
	char *out = dm_html_to_text(html, strlen(html));

	check_output(out);
	assert_string_equal(out, "deep\n\nafter");
	g_free(out);
	g_free(html);
}

/* A long document comes through whole. */
static void
test_many_paragraphs(void **state G_GNUC_UNUSED)
{
	GString *html = g_string_new("<html><body>");
	GString *want = g_string_new(NULL);

	for (int i = 0; i < 1000; i++) {
		g_string_append_printf(html, "<p>line %d</p>\n", i);
		g_string_append_printf(want, "%sline %d", i ? "\n\n" : "", i);
	}
	g_string_append(html, "</body></html>");

	char *out = dm_html_to_text(html->str, html->len);
	check_output(out);
	assert_string_equal(out, want->str);
	g_free(out);
	g_string_free(html, TRUE);
	g_string_free(want, TRUE);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_length_respected),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_moderate_nesting),
		cmocka_unit_test(test_many_paragraphs),
	};
	g_autoptr(GArray) tests = dm_tests_new();

	DM_TESTS_ADD_ROWS(tests, cases, name, test_case);
	g_array_append_vals(tests, fixed, G_N_ELEMENTS(fixed));
	return dm_tests_run("html", tests, NULL, NULL);
}
