/* template-private.h - the parsed form of a template, shared by the two
 * halves of the template module: template-load.c reads the directory and
 * the files, template.c parses their text into segments and renders
 * them.  Nobody else may rely on it; other modules use template.h. */
#ifndef DM_TEMPLATE_PRIVATE_H
#define DM_TEMPLATE_PRIVATE_H

#include <glib.h>

enum seg_kind {
	SEG_TEXT,   /* literal text */
	SEG_VALUE,  /* {{name}} */
	SEG_IF,     /* {{#name}}: the inside when the value is not empty */
	SEG_UNLESS, /* {{^name}}: the inside when the value is empty */
	SEG_END     /* {{/name}} */
};

struct seg {
	enum seg_kind kind;
	guint var;  /* index into placeholders[] (template.c), except for SEG_TEXT */
	guint end;  /* SEG_IF, SEG_UNLESS: index of the matching SEG_END */
	guint line; /* where the segment starts, for errors */
	char *text; /* SEG_TEXT only */
};

struct dm_template {
	char *key;  /* "kind.lang" or "kind.lang.topic", lower case */
	char *path; /* the .txt file */
	char *kind;
	char *lang;
	char *topic;     /* NULL when the template serves every topic */
	GArray *subject; /* of struct seg */
	GArray *text;
	GArray *html;    /* NULL when there is no .html */
	guint32 used;    /* bit i set when placeholders[i] (template.c) appears anywhere */
};

struct dm_templates {
	GPtrArray *all;       /* of struct dm_template, owned, sorted by key */
	GHashTable *by_key;   /* key -> template, both borrowed from all */
};

/* Parse LEN bytes of valid UTF-8 at S, which start on line FIRST_LINE of
 * PATH (borrowed, for errors), into a new array of segments.  Sets a bit
 * in *USED for each placeholder named.  NULL and ERROR on any syntax
 * problem.  Caller frees with g_array_unref. */
GArray *dm_template_parse_part(const char *s, gsize len, const char *path, guint first_line,
			       guint32 *used, GError **error);

/* The number of line ends from S up to END. */
static inline guint
count_lines(const char *s, const char *end)
{
	guint n = 0;
	for (; s < end; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* What may not appear in a subject: it would end the header line. */
static inline gboolean
is_line_break_or_control(gunichar c)
{
	return g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029;
}

#endif
