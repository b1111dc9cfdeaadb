/* schema.c — the table layout of the store and the steps that build it.
 * Step N brings a file from user_version N-1 to N; steps are only ever appended, never
 * edited, so every old file follows the same path. The statements that read and write
 * rows live in store.c. */
#include "schema.h"

#include "sb.h"

#include <stdio.h>

/* Person-owned rows reference people(id) ON DELETE CASCADE, so deleting a person
 * deletes their rows; store_forget removes what has no foreign key (room flags, sent
 * outbox rows of their rooms) first. Indexes cover every lookup the store makes per
 * message; nothing per message scans a table. Each step sets its own user_version. */
static const char *const steps[] = {
    /* 1: the first full schema */
    "CREATE TABLE people ("
    "  id INTEGER PRIMARY KEY,"
    "  adapter TEXT NOT NULL,"
    "  platform_id TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL,"
    "  UNIQUE (adapter, platform_id));"
    "CREATE TABLE sessions ("
    "  person INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,"
    "  state TEXT NOT NULL,"
    "  updated INTEGER NOT NULL);"
    "CREATE TABLE journal ("
    "  id INTEGER PRIMARY KEY,"
    "  person INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL,"
    "  prompt TEXT NOT NULL,"
    "  text TEXT NOT NULL);"
    "CREATE INDEX journal_person ON journal (person, at);"
    "CREATE TABLE ratings ("
    "  id INTEGER PRIMARY KEY,"
    "  person INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL,"
    "  measure TEXT NOT NULL,"
    "  value INTEGER NOT NULL CHECK (value BETWEEN 1 AND 7));"
    "CREATE INDEX ratings_person ON ratings (person, at);"
    "CREATE TABLE exercise_log ("
    "  id INTEGER PRIMARY KEY,"
    "  person INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL,"
    "  exercise TEXT NOT NULL,"
    "  event TEXT NOT NULL CHECK (event IN ('given', 'done')));"
    "CREATE INDEX exercise_log_person ON exercise_log (person, at);"
    "CREATE TABLE settings ("
    "  person INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (person, key)) WITHOUT ROWID;"
    /* person is NULL for a group room or a direct room whose owner is not known yet */
    "CREATE TABLE rooms ("
    "  adapter TEXT NOT NULL,"
    "  room TEXT NOT NULL,"
    "  direct INTEGER NOT NULL CHECK (direct IN (0, 1)),"
    "  person INTEGER REFERENCES people(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (adapter, room));"
    "CREATE INDEX rooms_person ON rooms (person);"
    "CREATE TABLE room_flags ("
    "  adapter TEXT NOT NULL,"
    "  room TEXT NOT NULL,"
    "  flag TEXT NOT NULL,"
    "  PRIMARY KEY (adapter, room, flag)) WITHOUT ROWID;"
    /* AUTOINCREMENT: an id is never handed out twice, even after the newest rows are
     * deleted by a forget; the Matrix transaction id is derived from it, and a reused
     * one would make the homeserver drop a new reply as a duplicate of an old one. */
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  adapter TEXT NOT NULL,"
    "  room TEXT NOT NULL,"
    "  text TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  sent_at INTEGER);"
    "CREATE INDEX outbox_unsent ON outbox (adapter) WHERE sent_at IS NULL;"
    "CREATE TABLE resume ("
    "  adapter TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (adapter, key)) WITHOUT ROWID;"
    /* a row only while a nudge is scheduled: clearing deletes it */
    "CREATE TABLE nudges ("
    "  person INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,"
    "  due INTEGER NOT NULL CHECK (due > 0));"
    "CREATE INDEX nudges_due ON nudges (due);"
    "PRAGMA user_version = 1;",
    /* 2: replies to a person who has not agreed that the coach keeps what they write
     * may echo their words; such rows are transient: their text is blanked once sent.
     * Sent rows are pruned after a while (store_outbox_prune), so the outbox is a
     * delivery queue, not an archive. */
    "ALTER TABLE outbox ADD COLUMN transient INTEGER NOT NULL DEFAULT 0"
    "  CHECK (transient IN (0, 1));"
    "CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;"
    "PRAGMA user_version = 2;",
    /* 3: an exercise left before its last step is logged "stopped", so nudges and
     * follow-ups refer only to exercises the person started and did not stop. SQLite
     * cannot change a CHECK in place: the table is copied. */
    "CREATE TABLE exercise_log_3 ("
    "  id INTEGER PRIMARY KEY,"
    "  person INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL,"
    "  exercise TEXT NOT NULL,"
    "  event TEXT NOT NULL CHECK (event IN ('given', 'done', 'stopped')));"
    "INSERT INTO exercise_log_3 (id, person, at, exercise, event)"
    "  SELECT id, person, at, exercise, event FROM exercise_log;"
    "DROP TABLE exercise_log;"
    "ALTER TABLE exercise_log_3 RENAME TO exercise_log;"
    "CREATE INDEX exercise_log_person ON exercise_log (person, at);"
    "PRAGMA user_version = 3;",
    /* 4: what an adapter keeps besides its resume position, written with the batches it
     * posts (Matrix: the encryption account and sessions, pickled). owner is the platform
     * id of the person a value belongs to ('' for none): store_forget deletes theirs. */
    "CREATE TABLE adapter_state ("
    "  adapter TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  owner TEXT NOT NULL DEFAULT '',"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (adapter, key)) WITHOUT ROWID;"
    "CREATE INDEX adapter_state_owner ON adapter_state (adapter, owner) WHERE owner <> '';"
    "PRAGMA user_version = 4;",
};

#define NSTEPS ((int)(sizeof steps / sizeof steps[0]))

int schema_latest(void)
{
    return NSTEPS;
}

static int user_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            *version = sqlite3_column_int(q, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(q);
    return rc;
}

int schema_migrate(sqlite3 *db, char *err, size_t errcap)
{
    for (;;) {
        int version = 0;
        int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = user_version(db, &version);
        if (rc != SQLITE_OK)
            goto fail;
        if (version == NSTEPS) {
            rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
            if (rc != SQLITE_OK)
                goto fail;
            return SB_OK;
        }
        if (version < 0 || version > NSTEPS) {
            snprintf(err, errcap, "schema version %d is not one this program knows (latest %d)",
                     version, NSTEPS);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return SB_EDB;
        }
        int reached = 0;
        rc = sqlite3_exec(db, steps[version], NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = user_version(db, &reached);
        if (rc == SQLITE_OK && reached != version + 1) {
            snprintf(err, errcap, "migration step %d did not set user_version", version + 1);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return SB_EDB;
        }
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            goto fail;
    }
fail:
    snprintf(err, errcap, "migration: %s", sqlite3_errmsg(db));
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return SB_EDB;
}
