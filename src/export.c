/* export.c - `deskmail export`: JSON Lines, one ticket per line.
 *
 * The documents are built by PostgreSQL (store-export.c) and streamed in
 * batches, so the export of a large desk runs in constant memory. */
#include "dm-autoconf.h"

#include "export.h"
#include "store-export.h"

enum dm_status
dm_export_jsonl(struct dm_db *db, const struct dm_config *cfg, gint64 ticket_id, FILE *out)
{
	enum dm_status st = dm_store_export_begin(db, cfg->tag_format, ticket_id);
	if (st != DM_OK)
		return st;
	for (;;) {
		g_autoptr(GPtrArray) batch = NULL;
		if ((st = dm_store_export_next(db, &batch)) != DM_OK)
			goto done;
		for (guint r = 0; r < batch->len; r++) {
			fputs(batch->pdata[r], out);
			fputc('\n', out);
		}
		if (batch->len == 0)
			break;
	}
	if (fflush(out) != 0)
		st = DM_TEMPFAIL;
done:
	dm_store_export_end(db);
	return st;
}
