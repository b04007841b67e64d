/* export.h - tickets as JSON Lines, one ticket per line, oldest first. */
#ifndef DM_EXPORT_H
#define DM_EXPORT_H

#include <stdio.h>

#include "config.h"
#include "db.h"

/* Write every ticket (or only TICKET_ID when > 0) to OUT.  Keys are only
 * ever added, never renamed: scripts depend on them. */
enum dm_status dm_export_jsonl(struct dm_db *db, const struct dm_config *cfg, gint64 ticket_id,
			       FILE *out);

#endif
