/* store-export.h - tickets as JSON documents built by PostgreSQL, read
 * through a cursor in batches (export.c writes them out). */
#ifndef DM_STORE_EXPORT_H
#define DM_STORE_EXPORT_H

#include <glib.h>

#include "db.h"

/* Open a read-only transaction and a cursor over every ticket (or only
 * TICKET_ID when > 0), oldest first; TAG_FORMAT (borrowed) makes each
 * ticket's tag.  End it with dm_store_export_end. */
enum dm_status dm_store_export_begin(struct dm_db *db, const char *tag_format, gint64 ticket_id);

/* The next batch of tickets, one JSON object (char*) each; an empty
 * array at the end.  Caller frees *OUT with g_ptr_array_unref. */
enum dm_status dm_store_export_next(struct dm_db *db, GPtrArray **out);

/* Close the cursor and the transaction. */
void dm_store_export_end(struct dm_db *db);

#endif
