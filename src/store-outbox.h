/* store-outbox.h - the outbox table: queue a mail, claim the next one that
 * is due, record the attempt, list the rows.  outbox.c keeps the logic
 * (checking recipients, running sendmail, the retry policy). */
#ifndef DM_STORE_OUTBOX_H
#define DM_STORE_OUTBOX_H

#include <glib.h>

#include "db.h"

/* The channel an insert notifies, for the service's outbox sender. */
#define DM_OUTBOX_CHANNEL "deskmail_outbox"

/* Insert one row; RECIPIENTS holds char* addresses, DATA the raw mail,
 * MESSAGE_ROW 0 for none.  *ID is set on DM_OK. */
enum dm_status dm_store_outbox_insert(struct dm_db *db, gint64 ticket, gint64 message_row,
				      const char *kind, const char *envelope_from,
				      GPtrArray *recipients, GBytes *data, gint64 *id);

/* A claimed row. */
struct dm_outbox_row {
	gint64 id;
	char *envelope_from; /* "" is the null sender */
	GPtrArray *recipients; /* char*, NULL-terminated (pdata usable as a strv) */
	GBytes *data;
	int attempts;
};
void dm_outbox_row_free(struct dm_outbox_row *row);
typedef struct dm_outbox_row DmOutboxRow;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmOutboxRow, dm_outbox_row_free)

/* Inside the caller's transaction, lock the oldest due queued row (ONLY_ID
 * 0: any) that nobody else holds.  *OUT is NULL when none is due; else
 * caller frees with dm_outbox_row_free. */
enum dm_status dm_store_outbox_claim(struct dm_db *db, gint64 only_id, struct dm_outbox_row **out);

/* Mark row ID sent (queued with the transaction's COMMIT). */
enum dm_status dm_store_outbox_sent(struct dm_db *db, gint64 id);

/* Record a failed attempt with ERROR_TEXT (borrowed): the row fails for
 * good at MAX_ATTEMPTS, else waits RETRY_DELAY seconds doubled per
 * attempt (queued with the transaction's COMMIT). */
enum dm_status dm_store_outbox_retry(struct dm_db *db, gint64 id, const char *error_text,
				     int max_attempts, int retry_delay);

/* A row as `outbox list` shows it; every field is text. */
struct dm_outbox_entry {
	char *id, *status, *kind, *attempts, *recipients, *created, *next_attempt, *last_error,
		*ticket;
};
void dm_outbox_entry_free(struct dm_outbox_entry *e);

/* The newest LIMIT rows (ALL: sent ones too) as struct dm_outbox_entry*;
 * caller frees *OUT with g_ptr_array_unref. */
enum dm_status dm_store_outbox_list(struct dm_db *db, gboolean all, int limit, GPtrArray **out);

#endif
