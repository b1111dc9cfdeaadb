/* schema.h — the store's tables, created and migrated with PRAGMA user_version steps.
 * Internal to store/: store.c calls schema_migrate once at open, before it prepares
 * its statements. Depends on sqlite only. */
#ifndef SB_SCHEMA_H
#define SB_SCHEMA_H

#include <sqlite3.h>
#include <stddef.h>

/* The version a freshly migrated file is at (the number of migration steps). */
int schema_latest(void);

/* Brings db from its PRAGMA user_version up to schema_latest(), one step per
 * transaction (BEGIN IMMEDIATE, so two processes never migrate the same file at once).
 * Returns SB_OK, or SB_EDB with a message in err (capped at errcap, never secret) when a
 * step fails (that step is rolled back, earlier steps stay) or when the file is at a
 * newer version than this program knows (nothing is changed then). */
int schema_migrate(sqlite3 *db, char *err, size_t errcap);

#endif
