/* quote.h - the agent's own words out of a reply, and the original out of
 * an inline forward. */
#ifndef DM_QUOTE_H
#define DM_QUOTE_H

#include <glib.h>

/* The agent's own new text in TEXT (UTF-8, LF line ends; a CR before the
 * LF is tolerated, invalid UTF-8 is replaced): everything before the
 * first marker line (any of MARKERS, NULL-terminated, matched as a
 * substring of a line, case-insensitively), with the quote header,
 * quoted lines and signature removed, leading/trailing blank lines
 * trimmed, and runs of more than one blank line collapsed.
 *
 * In detail, reading from the top:
 * - a line starting with ">" is quoted and dropped; a dropped run
 *   between two kept lines leaves one blank line, so inline answers stay
 *   apart.  A marker inside a quoted line is only quoted text, which is
 *   what lets a bottom-posted answer below the quoted notification through;
 * - an unquoted marker line ends the text;
 * - a line that is exactly "--" or "-- " ends the text (signature);
 * - a quote header (see dm_quote_is_header_line(), also wrapped over up
 *   to three lines, "-----Original Message-----", and Outlook's block of
 *   at least two "From:/Sent:/To:/Subject:" lines, in every language of
 *   src/quote-patterns.c) is dropped alone when the next non-blank line
 *   is quoted with ">", and otherwise ends the text: a quote without ">"
 *   (Outlook, HTML converted to text) runs to the end.  Text before an
 *   attribution on the same line ("Done. On ... wrote:") is kept;
 * - a forward separator ("---------- Forwarded message ---------",
 *   "Begin forwarded message:", translations) below the agent's text
 *   starts a forward the agent included: it stays with its header block
 *   and its ">" lines until the next quote header; inside it even a
 *   quoted marker ends the text;
 * - mobile signature lines ("Sent from my iPhone", "Von meinem iPhone
 *   gesendet", "Lähetetty iPhonesta", "iPhone-ról küldve", ...) are
 *   dropped when the whole line is one ("Sent from my desk, ..." stays);
 * - separator lines ("____", "----") left at the end are dropped.
 * Blanks at the end of each kept line are removed.  Time and memory are
 * linear in the length of TEXT.  TEXT NULL is taken as "".  MARKERS may
 * be NULL; empty markers are ignored.  Both are borrowed.
 * Never returns NULL; may return "".  Caller frees with g_free. */
char *dm_quote_strip(const char *text, const char *const *markers);

/* TRUE when LINE (one line, borrowed) looks like a client's quote header
 * in any of the supported languages: an attribution ("On <date>, Ana
 * <ana@x> wrote:", "Dne ... je Ana napisal(a):", "Ana <ana@x> kirjoitti
 * ti 24.11.2026 klo 10.00:", "... ezt írta (időpont: ...):", "* Ana
 * <ana@x> [2026-11-24 10:00]:", "Am ... schrieb Ana <ana@x>:", Gmail's
 * verbless "<date>, Ana <ana@x>:"), Android's "---- Ana wrote ----",
 * GroupWise's ">>> Ana <ana@x> 24.11.2026 10:00 >>>", or Outlook's
 * "-----Original Message-----" line and its translations.  An attribution must carry a date, a time
 * or an address, so prose that merely ends in "wrote:" ("This is what
 * the customer wrote:") is FALSE, and so is "Ana wrote:" with neither.
 * A quoted line ("> On ... wrote:") is FALSE.  A single "From: ..." line
 * is FALSE: Outlook's header block is only recognised as a block, by
 * dm_quote_strip() and dm_quote_find_forward().  LINE NULL gives FALSE. */
gboolean dm_quote_is_header_line(const char *line);

/* Forwarded mail written inline: the original sender (normalised,
 * lower case) and the original text after the client's forward header:
 * "---------- Forwarded message ---------" (Gmail), "Begin forwarded
 * message:" (Apple), "-------- Original Message --------" and "--------
 * Forwarded Message --------" (Thunderbird), "-----Original
 * Message-----" or an underscore line followed by Outlook's
 * "From:/Sent:/To:/Subject:" block, such a block alone when it has at
 * least a sender, a date and a subject (Outlook's HTML forward, whose
 * rule vanishes in conversion), and the sl/fi/hu variants "----------
 * Posredovano sporočilo ----------", "---------- Välitetty viesti
 * ----------", "---------- Továbbított üzenet ----------".  The first
 * forward header from the top counts.  A forward quoted with ">" (Apple
 * Mail's plain text) loses one level of ">".
 * Returns FALSE when TEXT (borrowed, may be NULL) has no forward header;
 * then every non-NULL out pointer is set to NULL.  On TRUE each non-NULL
 * out pointer gets a string, "" when the field is missing or (for the
 * address) not a plausible address: *FROM_ADDR the address in lower
 * case, *FROM_NAME the display name without quotes, *SUBJECT the subject
 * as written, *BODY the forwarded text with the forward header block
 * removed and leading/trailing blank lines trimmed.  Caller frees each
 * with g_free. */
gboolean dm_quote_find_forward(const char *text, char **from_addr, char **from_name,
			       char **subject, char **body);

#endif
