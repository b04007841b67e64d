/* template.h - the mail templates deskmail sends (acknowledgements, later
 * agent notifications, relayed replies and error replies).
 *
 * A template directory holds KIND.LANG.txt and KIND.LANG.TOPIC.txt files
 * (UTF-8; first line "Subject: ...", then one empty line, then the body),
 * each with an optional sibling .html holding the HTML alternative of the
 * body.  Placeholders:
 *
 *   {{name}}                   the value; literal in the subject and .txt,
 *                              HTML-escaped in .html
 *   {{#name}} ... {{/name}}    the inside only when the value is not empty
 *   {{^name}} ... {{/name}}    the inside only when the value is empty
 *
 * Only the names of the one table in template.c are accepted (ticket_id,
 * tag, subject, requester_name, topic_title, queue, due, reply_address,
 * support_name); anything else is an error when the directory is loaded,
 * so a typo never reaches a customer.  A "{" that does not open "{{" is
 * plain text.  Everything is checked at load time; rendering can only fail
 * on the values it is given. */
#ifndef DM_TEMPLATE_H
#define DM_TEMPLATE_H

#include <glib.h>

/* Limits on what a directory may hold. */
#define DM_TEMPLATE_MAX_FILE_BYTES (64 * 1024)
#define DM_TEMPLATE_MAX_FILES 1000

#define DM_TEMPLATE_ERROR (dm_template_error_quark())
GQuark dm_template_error_quark(void);

enum dm_template_error {
	DM_TEMPLATE_ERROR_READ,   /* directory or file unreadable, too big */
	DM_TEMPLATE_ERROR_FORMAT, /* file name, encoding, Subject: line, empty line */
	DM_TEMPLATE_ERROR_SYNTAX, /* unknown, malformed or unbalanced placeholder */
	DM_TEMPLATE_ERROR_VALUE   /* render: a value missing or not UTF-8 */
};

/* Every template of one directory, loaded once. */
struct dm_templates;
/* One template, borrowed from its struct dm_templates. */
struct dm_template;

/* Load every *.txt (and sibling .html) in DIR.  Names starting with "."
 * are skipped, as are files ending in neither .txt nor .html; two names
 * differing only in ASCII case are an error, as lookups ignore case.  On failure returns NULL and
 * sets ERROR to one line naming the file (and line, where there is one)
 * and the problem: unreadable, too big, a bad file name, invalid UTF-8, no
 * "Subject:" first line, no empty second line, an unknown or malformed
 * placeholder, an unbalanced conditional, an .html without its .txt, or
 * no template at all.  Caller frees with dm_templates_free. */
struct dm_templates *dm_templates_load(const char *dir, GError **error);

/* Free T and every template in it.  NULL is allowed. */
void dm_templates_free(struct dm_templates *t);
typedef struct dm_templates DmTemplates;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmTemplates, dm_templates_free)

/* The template for KIND in LANG for TOPIC.  Tried in order: KIND.LANG.TOPIC,
 * KIND.LANG, KIND.DEFAULT_LANG.TOPIC, KIND.DEFAULT_LANG; steps whose LANG,
 * TOPIC or DEFAULT_LANG is NULL, empty or not a plain name are left out.
 * Matching ignores ASCII case.  NULL when none matches.  All strings
 * borrowed; the result is borrowed from T. */
const struct dm_template *dm_templates_find(const struct dm_templates *t, const char *kind,
					    const char *lang, const char *topic,
					    const char *default_lang);

/* Every template of T as "KIND.LANG" or "KIND.LANG.TOPIC" (lower case),
 * sorted, for listing.  Caller frees with g_strfreev. */
char **dm_templates_list(const struct dm_templates *t);

/* Render every template of T with sample values, once with and once
 * without a requester name (for `deskmail check-config`).  FALSE and ERROR
 * naming the first failing file otherwise. */
gboolean dm_templates_check(const struct dm_templates *t, GError **error);

/* The path of the .txt file TPL came from (for logs).  Borrowed. */
const char *dm_template_path(const struct dm_template *tpl);
/* KIND and LANG of TPL as in its file name, lower case.  Borrowed. */
const char *dm_template_kind(const struct dm_template *tpl);
const char *dm_template_lang(const struct dm_template *tpl);
/* TOPIC of TPL, or NULL for a template that serves every topic.  Borrowed. */
const char *dm_template_topic(const struct dm_template *tpl);
/* Whether TPL has an HTML alternative. */
gboolean dm_template_has_html(const struct dm_template *tpl);

/* Render TPL with VARS (borrowed GHashTable of char * name -> char * UTF-8
 * value; names the table does not know are ignored).  Every placeholder
 * the template uses must have a value, even one inside a conditional that
 * is not shown: otherwise FALSE and ERROR naming the file and the
 * placeholder, so nothing half-filled is ever sent.  An empty value is a
 * value.  In the subject, control characters (CR, LF, TAB, ...) and the
 * Unicode line and paragraph separators in values become spaces, so no
 * value can start a new header line.  Values go into .txt literally and
 * into .html escaped with g_markup_escape_text.  *SUBJECT, *TEXT and *HTML
 * are caller-freed with g_free; *HTML is NULL when TPL has no .html, and
 * HTML itself may be NULL when the caller does not want it.  On failure
 * every output is NULL. */
gboolean dm_template_render(const struct dm_template *tpl, GHashTable *vars, char **subject,
			    char **text, char **html, GError **error);

#endif
