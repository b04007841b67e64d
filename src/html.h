/* html.h - readable plain text from HTML mail, through libxml2's HTML parser. */
#ifndef DM_HTML_H
#define DM_HTML_H

#include <glib.h>

/* Render LEN bytes of UTF-8 HTML as plain text: paragraphs and line
 * breaks kept, lists as "- " items, links as "text <url>" when the URL
 * differs from the text, script/style/head dropped, entities decoded,
 * white space collapsed.  Never fails: unparseable input gives "".
 * Caller frees with g_free. */
char *dm_html_to_text(const char *html, gsize len);

#endif
