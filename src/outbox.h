/* outbox.h - the send stage: hand queued mail to sendmail, once. */
#ifndef DM_OUTBOX_H
#define DM_OUTBOX_H

#include <stdio.h>

#include <glib.h>

#include "config.h"
#include "db.h"

/* Queue a message inside the caller's open transaction.  RECIPIENTS are
 * checked with dm_compose_address_ok; ENVELOPE_FROM "" is the null sender.
 * Sets *ID to the outbox row. */
enum dm_status dm_outbox_queue(struct dm_db *db, gint64 ticket, gint64 message_row, const char *kind,
			       const char *envelope_from, GPtrArray *recipients, GBytes *data,
			       gint64 *id);

/* Run SENDMAIL (argv, no shell): sendmail -i -f SENDER -- RCPT...
 * with DATA on its standard input.  "-f <>" for the null sender.  On
 * failure returns FALSE and sets *ERROR_TEXT (one line; caller frees). */
gboolean dm_outbox_submit(const char *sendmail, const char *envelope_from, const char *const *recipients,
			  GBytes *data, char **error_text);

/* Send queued rows that are due (ONLY_ID > 0: just that row), each in
 * its own transaction with the row locked FOR UPDATE SKIP LOCKED, so
 * concurrent flushes on any number of hosts send every row once.  A
 * failed submission stays queued with its error and a later
 * next_attempt_at (retry_delay doubling per attempt); after max_attempts
 * it is marked failed.  *SENT and *FAILED count this run's outcomes. */
enum dm_status dm_outbox_flush(struct dm_db *db, const struct dm_config *cfg, gint64 only_id,
			       int *sent, int *failed);

/* Print the outbox (newest first, at most LIMIT rows; ALL: sent too). */
enum dm_status dm_outbox_list(struct dm_db *db, gboolean all, int limit, FILE *out);

#endif
