/* store-schema.h - the schema_migrations table that records which
 * numbered migrations a database has.  migrate.c decides what to apply. */
#ifndef DM_STORE_SCHEMA_H
#define DM_STORE_SCHEMA_H

#include <glib.h>

#include "db.h"

struct dm_schema_applied {
	int version;
	char *applied_at; /* YYYY-MM-DD HH24:MI:SS+TZ */
};
void dm_schema_applied_free(struct dm_schema_applied *a);

/* Inside the caller's transaction: wait for any other migrating run (an
 * advisory lock held to the transaction's end), then create the table
 * when missing. */
enum dm_status dm_store_schema_lock(struct dm_db *db);

/* *EXISTS when the table exists (a database never migrated has none). */
enum dm_status dm_store_schema_table_exists(struct dm_db *db, gboolean *exists);

/* The migrations recorded (struct dm_schema_applied*); caller frees *OUT
 * with g_ptr_array_unref. */
enum dm_status dm_store_schema_applied(struct dm_db *db, GPtrArray **out);

/* Record migration VERSION, NAME (borrowed) as applied now. */
enum dm_status dm_store_schema_record(struct dm_db *db, int version, const char *name);

#endif
