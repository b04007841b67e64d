/* html.c - HTML to plain text.
 *
 * libxml2's HTML parser does the hard part (broken markup, entities,
 * implied tags); this file only walks the tree and decides where lines
 * break.  No regular expressions touch the markup. */
#include "dm-autoconf.h"

#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "html.h"

/* libxml2 stops building the tree at depth 256 (without HTML_PARSE_HUGE,
 * which hostile mail must not get), so the walk needs no more. */
#define MAX_WALK_DEPTH 300

struct render {
	GString *out;
	int pending_newlines; /* line breaks owed before the next text */
	gboolean at_line_start;
	gboolean space_pending; /* white space seen since the last text */
	int pre;              /* inside <pre>: keep white space */
	int list_depth;
};

static gboolean
name_in(const xmlChar *name, const char *const *set)
{
	for (; *set; set++)
		if (g_ascii_strcasecmp((const char *) name, *set) == 0)
			return TRUE;
	return FALSE;
}

static const char *const skipped[] = { "script", "style", "head", "title", "noscript",
				       "template", "object", "iframe", NULL };
static const char *const paragraphs[] = { "p", "h1", "h2", "h3", "h4", "h5", "h6", "table",
					  "blockquote", "pre", "ul", "ol", "dl", "hr", NULL };
static const char *const lines[] = { "div", "tr", "li", "dt", "dd", "section", "article",
				     "header", "footer", "address", "center", "form",
				     "fieldset", "caption", "main", "nav", "aside", "figure", NULL };

static void
want_break(struct render *r, int n)
{
	if (r->out->len == 0)
		return;
	if (n > r->pending_newlines)
		r->pending_newlines = n;
	r->space_pending = FALSE;
}

/* Append LEN bytes of TEXT after any line breaks owed.  KEEP_LEAD keeps
 * leading blanks at a line start (list indentation); text never gets
 * them. */
static void
emit_keep(struct render *r, const char *text, gsize len, gboolean keep_lead)
{
	if (len == 0)
		return;
	if (r->pending_newlines > 0) {
		/* Drop trailing blanks before breaking the line. */
		while (r->out->len && r->out->str[r->out->len - 1] == ' ')
			g_string_truncate(r->out, r->out->len - 1);
		for (int i = 0; i < r->pending_newlines; i++)
			g_string_append_c(r->out, '\n');
		r->pending_newlines = 0;
		r->at_line_start = TRUE;
	}
	/* No line starts with a blank. */
	if (!keep_lead && (r->at_line_start || r->out->len == 0)) {
		while (len > 0 && *text == ' ') {
			text++;
			len--;
		}
		if (len == 0)
			return;
	}
	g_string_append_len(r->out, text, len);
	r->at_line_start = text[len - 1] == '\n';
}

static void
emit(struct render *r, const char *text, gsize len)
{
	emit_keep(r, text, len, FALSE);
}

static void
emit_text(struct render *r, const char *s)
{
	if (r->pre) {
		emit(r, s, strlen(s));
		return;
	}
	/* Collapse runs of white space to one space.  A run may end one text
	 * node and the next text may come from another element, as in
	 * "<b>Hello</b> <i>world</i>", so the space is carried over. */
	GString *buf = g_string_new(NULL);
	for (const char *p = s; *p; p++) {
		if (g_ascii_isspace(*p)) {
			r->space_pending = TRUE;
			continue;
		}
		if (r->space_pending) {
			gboolean after_text = buf->len > 0 ||
					      (r->out->len > 0 && !r->at_line_start && r->pending_newlines == 0 &&
					       r->out->str[r->out->len - 1] != ' ');
			if (after_text)
				g_string_append_c(buf, ' ');
			r->space_pending = FALSE;
		}
		g_string_append_c(buf, *p);
	}
	emit(r, buf->str, buf->len);
	g_string_free(buf, TRUE);
}

static void walk(struct render *r, xmlNode *node, int depth);

static void
element(struct render *r, xmlNode *node, int depth)
{
	const xmlChar *name = node->name;
	if (name_in(name, skipped))
		return;
	if (g_ascii_strcasecmp((const char *) name, "br") == 0) {
		r->pending_newlines++;
		if (r->out->len == 0)
			r->pending_newlines = 0;
		return;
	}
	if (g_ascii_strcasecmp((const char *) name, "img") == 0) {
		xmlChar *alt = xmlGetProp(node, (const xmlChar *) "alt");
		if (alt && *alt) {
			g_autofree char *t = g_strdup_printf("[%s]", (const char *) alt);
			emit_text(r, t);
		}
		xmlFree(alt);
		return;
	}
	gboolean para = name_in(name, paragraphs);
	gboolean line = name_in(name, lines);
	gboolean is_pre = g_ascii_strcasecmp((const char *) name, "pre") == 0;
	gboolean is_li = g_ascii_strcasecmp((const char *) name, "li") == 0;
	gboolean is_list = g_ascii_strcasecmp((const char *) name, "ul") == 0 ||
			   g_ascii_strcasecmp((const char *) name, "ol") == 0;
	gboolean is_cell = g_ascii_strcasecmp((const char *) name, "td") == 0 ||
			   g_ascii_strcasecmp((const char *) name, "th") == 0;

	if (para)
		want_break(r, r->list_depth > 0 && is_list ? 1 : 2);
	else if (line)
		want_break(r, 1);
	if (is_cell && !r->at_line_start && r->pending_newlines == 0 && r->out->len > 0)
		emit(r, " ", 1);
	if (is_li) {
		GString *bullet = g_string_new(NULL);
		for (int i = 1; i < r->list_depth; i++)
			g_string_append(bullet, "  ");
		g_string_append(bullet, "- ");
		/* Force the bullet onto a fresh line even as the first output. */
		if (r->out->len == 0)
			r->pending_newlines = 0;
		emit_keep(r, bullet->str, bullet->len, TRUE);
		r->at_line_start = FALSE;
		g_string_free(bullet, TRUE);
	}
	if (is_pre)
		r->pre++;
	if (is_list)
		r->list_depth++;

	walk(r, node->children, depth + 1);

	if (g_ascii_strcasecmp((const char *) name, "a") == 0) {
		xmlChar *href = xmlGetProp(node, (const xmlChar *) "href");
		xmlChar *text = xmlNodeGetContent(node);
		if (href && *href && g_ascii_strncasecmp((const char *) href, "javascript:", 11) != 0) {
			g_autofree char *t = g_strstrip(g_strdup(text ? (const char *) text : ""));
			const char *h = (const char *) href;
			if (g_ascii_strncasecmp(h, "mailto:", 7) == 0)
				h += 7;
			if (strcmp(t, h) != 0 && strcmp(t, (const char *) href) != 0) {
				g_autofree char *link = g_strdup_printf(" <%s>", (const char *) href);
				emit(r, link, strlen(link));
			}
		}
		xmlFree(href);
		xmlFree(text);
	}
	if (is_pre)
		r->pre--;
	if (is_list)
		r->list_depth--;
	if (para)
		want_break(r, r->list_depth > 0 && is_list ? 1 : 2);
	else if (line)
		want_break(r, 1);
}

static void
walk(struct render *r, xmlNode *node, int depth)
{
	if (depth > MAX_WALK_DEPTH)
		return;
	for (; node; node = node->next) {
		switch (node->type) {
		case XML_ELEMENT_NODE:
			element(r, node, depth);
			break;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (node->content)
				emit_text(r, (const char *) node->content);
			break;
		default:
			break;
		}
	}
}

char *
dm_html_to_text(const char *html, gsize len)
{
	if (html == NULL || len == 0 || len > G_MAXINT)
		return g_strdup("");
	htmlDocPtr doc = htmlReadMemory(html, (int) len, NULL, "UTF-8",
					HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
						HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (doc == NULL)
		return g_strdup("");
	struct render r = { .out = g_string_new(NULL), .at_line_start = TRUE };
	walk(&r, xmlDocGetRootElement(doc), 0);
	xmlFreeDoc(doc);

	/* Tidy: no trailing blanks on lines, at most one empty line in a row,
	 * no leading or trailing empty lines.  Non-breaking spaces become
	 * plain ones. */
	g_auto(GStrv) text_lines = g_strsplit(r.out->str, "\n", -1);
	g_string_free(r.out, TRUE);
	GString *out = g_string_new(NULL);
	int blank = 0;
	for (char **l = text_lines; *l; l++) {
		GString *line = g_string_new(*l);
		g_string_replace(line, "\xc2\xa0", " ", 0);
		while (line->len && line->str[line->len - 1] == ' ')
			g_string_truncate(line, line->len - 1);
		if (line->len == 0) {
			blank++;
		} else {
			if (out->len)
				g_string_append(out, blank ? "\n\n" : "\n");
			g_string_append_len(out, line->str, line->len);
			blank = 0;
		}
		g_string_free(line, TRUE);
	}
	return g_string_free(out, FALSE);
}
