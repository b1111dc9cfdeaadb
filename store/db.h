/* db.h — the store's connection, internal to store/: the table of every statement the
 * store runs (prepared once at open, only ever bound), the store struct, and the small
 * helpers store.c and privacy.c use to bind, step and read them. Nothing outside
 * store/ includes this; the public contract is store.h. */
#ifndef SB_STORE_DB_H
#define SB_STORE_DB_H

#include "checkpointer.h"
#include "store.h"

#include <sqlite3.h>
#include <stdint.h>

/* The settings every connection to a store runs once at open, after journal_mode = WAL
 * (db.c configure says why each is safe). The floor benchmark runs the same. */
#define STORE_PRAGMAS                                                                        \
    "PRAGMA synchronous = NORMAL;"                                                           \
    "PRAGMA foreign_keys = ON;"                                                              \
    "PRAGMA secure_delete = ON;"

/* Every statement the store runs: an id and its SQL. ?1, ?2 ... are bound in order. */
#define STORE_STATEMENTS(X)                                                                  \
    X(ST_BEGIN, "BEGIN IMMEDIATE")                                                           \
    X(ST_COMMIT, "COMMIT")                                                                   \
    X(ST_ROLLBACK, "ROLLBACK")                                                               \
    X(ST_SAVEPOINT, "SAVEPOINT store_op")                                                    \
    X(ST_RELEASE, "RELEASE store_op")                                                        \
    X(ST_ROLLBACK_TO, "ROLLBACK TO store_op")                                                \
    X(ST_CHECKPOINT, "PRAGMA wal_checkpoint(TRUNCATE)")                                      \
    X(ST_VERSION, "PRAGMA user_version")                                                     \
    X(ST_PERSON_FIND, "SELECT id FROM people WHERE adapter = ?1 AND platform_id = ?2")       \
    X(ST_PERSON_ADD, "INSERT INTO people (adapter, platform_id, created, last_seen)"         \
                     " VALUES (?1, ?2, ?3, ?3)")                                             \
    /* what a message needs to know of its sender, in one statement (store_person_visit) */ \
    X(ST_PERSON_VISIT, "SELECT p.id, (SELECT state FROM sessions WHERE person = p.id),"        \
                       " (SELECT person FROM rooms WHERE adapter = ?1 AND room = ?3"           \
                       " AND direct = 1), (SELECT value FROM settings WHERE person = p.id"     \
                       " AND key = ?4) FROM people p WHERE p.adapter = ?1 AND p.platform_id = ?2") \
    X(ST_PERSON_IDENTITY, "SELECT adapter, platform_id FROM people WHERE id = ?1")           \
    X(ST_PERSON_TOUCH, "UPDATE people SET last_seen = ?2 WHERE id = ?1")                     \
    /* last_seen rides on the session row: saving the state after a message sets updated */ \
    X(ST_PERSON_LAST_SEEN, "SELECT max(p.last_seen, coalesce((SELECT s.updated FROM sessions s" \
                           " WHERE s.person = p.id), 0)) FROM people p WHERE p.id = ?1")      \
    X(ST_STATE_LOAD, "SELECT state FROM sessions WHERE person = ?1")                         \
    X(ST_STATE_SAVE, "INSERT INTO sessions (person, state, updated) VALUES (?1, ?2, ?3)"     \
                     " ON CONFLICT (person) DO UPDATE"                                       \
                     " SET state = excluded.state, updated = excluded.updated")              \
    X(ST_JOURNAL_ADD, "INSERT INTO journal (person, at, prompt, text) VALUES (?1, ?2, ?3, ?4)") \
    X(ST_JOURNAL_LIST, "SELECT at, prompt, text FROM journal WHERE person = ?1"              \
                       " ORDER BY at DESC, id DESC LIMIT ?2 OFFSET ?3")                      \
    X(ST_RATING_ADD, "INSERT INTO ratings (person, at, measure, value) VALUES (?1, ?2, ?3, ?4)") \
    X(ST_RATING_LIST, "SELECT at, measure, value FROM ratings WHERE person = ?1"             \
                      " ORDER BY at, id")                                                    \
    X(ST_EXERCISE_ADD, "INSERT INTO exercise_log (person, at, exercise, event)"              \
                       " VALUES (?1, ?2, ?3, ?4)")                                           \
    X(ST_EXERCISE_LIST, "SELECT at, exercise, event FROM exercise_log WHERE person = ?1"     \
                        " ORDER BY at DESC, id DESC LIMIT ?2 OFFSET ?3")                     \
    X(ST_SETTING_SET, "INSERT INTO settings (person, key, value) VALUES (?1, ?2, ?3)"        \
                      " ON CONFLICT (person, key) DO UPDATE SET value = excluded.value")     \
    X(ST_SETTING_GET, "SELECT value FROM settings WHERE person = ?1 AND key = ?2")           \
    X(ST_SETTING_DELETE, "DELETE FROM settings WHERE person = ?1 AND key = ?2")              \
    X(ST_ROOM_SET, "INSERT INTO rooms (adapter, room, direct, person) VALUES (?1, ?2, ?3, ?4)" \
                   " ON CONFLICT (adapter, room) DO UPDATE"                                  \
                   " SET direct = excluded.direct, person = CASE WHEN excluded.direct = 0"    \
                   " THEN NULL ELSE coalesce(excluded.person, rooms.person) END"            \
                   " WHERE rooms.direct IS NOT excluded.direct OR rooms.person IS NOT"        \
                   " (CASE WHEN excluded.direct = 0 THEN NULL"                                \
                   " ELSE coalesce(excluded.person, rooms.person) END)")                      \
    X(ST_ROOM_GET, "SELECT direct FROM rooms WHERE adapter = ?1 AND room = ?2")              \
    X(ST_ROOM_DELETE, "DELETE FROM rooms WHERE adapter = ?1 AND room = ?2")                  \
    X(ST_ROOM_FLAG_SET, "INSERT OR IGNORE INTO room_flags (adapter, room, flag)"             \
                        " VALUES (?1, ?2, ?3)")                                              \
    X(ST_ROOM_FLAG_GET, "SELECT 1 FROM room_flags WHERE adapter = ?1 AND room = ?2"          \
                        " AND flag = ?3")                                                    \
    X(ST_ROOM_FLAGS_DELETE, "DELETE FROM room_flags WHERE adapter = ?1 AND room = ?2")       \
    X(ST_DIRECT_ROOM, "SELECT r.room FROM rooms r JOIN people p ON p.id = r.person"          \
                      " WHERE r.person = ?1 AND r.direct = 1 AND r.adapter = p.adapter"      \
                      " ORDER BY r.rowid DESC LIMIT 1")                                      \
    X(ST_OUTBOX_ADD, "INSERT INTO outbox (adapter, room, text, created, transient)"          \
                     " VALUES (?1, ?2, ?3, ?4, ?5)")                                         \
    X(ST_OUTBOX_PENDING, "SELECT id, room, text FROM outbox"                                 \
                         " WHERE adapter = ?1 AND sent_at IS NULL ORDER BY id")              \
    X(ST_OUTBOX_MARK_SENT, "UPDATE outbox SET sent_at = coalesce(sent_at, ?2),"              \
                           " text = CASE WHEN transient = 1 THEN '' ELSE text END WHERE id = ?1") \
    X(ST_OUTBOX_TRANSIENT, "UPDATE outbox SET transient = 1 WHERE id = ?1")                   \
    X(ST_OUTBOX_PRUNE, "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?1")         \
    X(ST_OUTBOX_COUNT, "SELECT count(sent_at), count(*) - count(sent_at) FROM outbox"        \
                       " WHERE adapter = ?1")                                                \
    X(ST_RESUME_SET, "INSERT INTO resume (adapter, key, value) VALUES (?1, ?2, ?3)"          \
                     " ON CONFLICT (adapter, key) DO UPDATE SET value = excluded.value")     \
    X(ST_RESUME_GET, "SELECT value FROM resume WHERE adapter = ?1 AND key = ?2")             \
    X(ST_RESUME_LIST, "SELECT key, value, '' FROM resume WHERE adapter = ?1 ORDER BY key")   \
    X(ST_ADAPTER_STATE_SET, "INSERT INTO adapter_state (adapter, key, owner, value)"          \
                            " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (adapter, key) DO UPDATE"   \
                            " SET owner = excluded.owner, value = excluded.value")           \
    X(ST_ADAPTER_STATE_DELETE, "DELETE FROM adapter_state WHERE adapter = ?1 AND key = ?2")  \
    X(ST_ADAPTER_STATE_LIST, "SELECT key, value, owner FROM adapter_state"                   \
                             " WHERE adapter = ?1 ORDER BY key")                             \
    X(ST_NUDGE_SET, "INSERT INTO nudges (person, due) VALUES (?1, ?2)"                       \
                    " ON CONFLICT (person) DO UPDATE SET due = excluded.due")                \
    X(ST_NUDGE_CLEAR, "DELETE FROM nudges WHERE person = ?1")                                \
    X(ST_NUDGE_GET, "SELECT due FROM nudges WHERE person = ?1")                              \
    X(ST_NUDGE_DUE, "SELECT person, due FROM nudges WHERE due <= ?1"                         \
                    " ORDER BY due, person LIMIT ?2")                                        \
    X(ST_NUDGE_NEXT, "SELECT min(due) FROM nudges")                                          \
    X(ST_EXPORT_PERSON, "SELECT id, adapter, platform_id, created, max(last_seen,"           \
                        " coalesce((SELECT s.updated FROM sessions s WHERE s.person = p.id), 0))" \
                        " AS last_seen FROM people p WHERE id = ?1")                                      \
    X(ST_EXPORT_STATE, "SELECT state, updated FROM sessions WHERE person = ?1")              \
    X(ST_EXPORT_JOURNAL, "SELECT at, prompt, text FROM journal WHERE person = ?1"            \
                         " ORDER BY at, id")                                                 \
    X(ST_EXPORT_EXERCISE, "SELECT at, exercise, event FROM exercise_log WHERE person = ?1"   \
                          " ORDER BY at, id")                                                \
    X(ST_EXPORT_SETTINGS, "SELECT key, value FROM settings WHERE person = ?1 ORDER BY key")  \
    X(ST_EXPORT_ROOMS, "SELECT adapter, room, direct FROM rooms WHERE person = ?1"           \
                       " ORDER BY adapter, room")                                            \
    X(ST_EXPORT_ROOM_FLAGS, "SELECT f.adapter, f.room, f.flag FROM room_flags f JOIN rooms r"  \
                            " ON r.adapter = f.adapter AND r.room = f.room"                  \
                            " WHERE r.person = ?1 ORDER BY f.adapter, f.room, f.flag")       \
    X(ST_FORGET_OUTBOX, "DELETE FROM outbox WHERE sent_at IS NOT NULL AND EXISTS"            \
                        " (SELECT 1 FROM rooms r WHERE r.person = ?1"                        \
                        " AND r.adapter = outbox.adapter AND r.room = outbox.room)")         \
    X(ST_FORGET_ROOM_FLAGS, "DELETE FROM room_flags WHERE EXISTS"                            \
                            " (SELECT 1 FROM rooms r WHERE r.person = ?1"                    \
                            " AND r.adapter = room_flags.adapter AND r.room = room_flags.room)") \
    X(ST_FORGET_ADAPTER_STATE, "DELETE FROM adapter_state WHERE owner <> '' AND EXISTS"     \
                               " (SELECT 1 FROM people p WHERE p.id = ?1"                    \
                               " AND p.adapter = adapter_state.adapter"                      \
                               " AND p.platform_id = adapter_state.owner)")                  \
    X(ST_FORGET_PERSON, "DELETE FROM people WHERE id = ?1")

enum statement {
#define ST_ENUM(id, sql) id,
    STORE_STATEMENTS(ST_ENUM)
#undef ST_ENUM
    ST_COUNT
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];      /* prepared at open, finalized at close */
    unsigned char iterating[ST_COUNT]; /* a list call is stepping this statement */
    int checkpoint_pending;            /* a forget's rows may still be in the WAL */
    checkpointer *checkpointer;        /* the WAL's checkpoints; NULL for ":memory:" */
    char errmsg[256];                  /* the last sqlite failure; never row contents */
    uint64_t generation;               /* store_generation */
    char visit_key[32];                /* the setting store_person_visit was last asked for */
};

/* Records the connection's last error in s->errmsg and maps sqlite_rc to SB_E*: a
 * foreign key naming a missing person is SB_ENOTFOUND, out of memory SB_ENOMEM, a
 * read-only file SB_EREADONLY, a full disk SB_EFULL, a corrupt file or not a database
 * SB_ECORRUPT, permission denied SB_EACCES, other I/O errors SB_EIO (an I/O error is named
 * by the system error behind it: ENOSPC is a full disk, EROFS read-only, EACCES
 * permission), everything else SB_EDB. */
int db_fail(store *s, int sqlite_rc);
/* Binds arguments in order as types says: 'i' an int64_t (cast ints!), 't' a non-NULL
 * string borrowed until db_finish. On failure the bindings are cleared. */
int db_bind(store *s, sqlite3_stmt *q, const char *types, ...);
/* A setting named key was set or deleted: store_generation moves when it is the one
 * store_person_visit reads (or one too long to remember which). */
void db_setting_changed(store *s, const char *key);
/* Steps once: 1 for a row, 0 when done, or a negative SB_E* code. */
int db_step(store *s, sqlite3_stmt *q);
/* Resets q and clears its bindings; it is ready for the next use. Cannot fail. */
void db_finish(sqlite3_stmt *q);
/* Steps a bound statement to its end and finishes it. */
int db_run(store *s, sqlite3_stmt *q);
/* Binds (as db_bind) and runs statement id. */
int db_exec(store *s, enum statement id, const char *types, ...);
/* Marks statement id as being iterated by a list call; SB_EINVAL when a callback
 * re-enters the same list. db_iterate_end finishes it and passes rc through. */
int db_iterate_begin(store *s, enum statement id);
int db_iterate_end(store *s, enum statement id, int rc);
/* Text of a column, borrowed until the next step; NULL for NULL or out of memory. */
const char *db_text(sqlite3_stmt *q, int col);
/* One-row, one-column results of a bound statement, which they finish: the text into
 * *out (caller frees; NULL and SB_OK when there is no row), or the integer
 * (SB_ENOTFOUND when there is no row). */
int db_fetch_text(store *s, sqlite3_stmt *q, char **out);
int db_fetch_int(store *s, sqlite3_stmt *q, int64_t *out);
/* A savepoint around one function's several statements: nested inside the caller's
 * transaction, the transaction itself outside one. db_op_end releases it when rc is
 * SB_OK and undoes it otherwise; it returns rc, or the release's failure. */
int db_op_begin(store *s);
int db_op_end(store *s, int rc);
/* Truncates the WAL so deleted rows survive in no old page image: at once outside a
 * transaction, at the next store_commit inside one (or when it cannot be done now).
 * Cannot fail: the rows are deleted either way, only the wipe is retried. */
void db_wipe_wal(store *s);

#endif
