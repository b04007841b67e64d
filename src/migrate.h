/* migrate.h - the schema as numbered migrations compiled into the binary. */
#ifndef DM_MIGRATE_H
#define DM_MIGRATE_H

#include <glib.h>

#include "db.h"

struct dm_migration {
	int version;
	char *name;       /* file name, e.g. "001-schema.sql" */
	char *applied_at; /* NULL when pending */
};

/* Apply every missing migration in one transaction and record each.
 * Running it again changes nothing.  *APPLIED (may be NULL) gets the
 * number applied now. */
enum dm_status dm_migrate_apply(struct dm_db *db, int *applied);

/* All known migrations with their state, in order (struct dm_migration*,
 * free function set).  Caller frees with g_ptr_array_unref. */
enum dm_status dm_migrate_status(struct dm_db *db, GPtrArray **out);

#endif
