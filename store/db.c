/* db.c — the store's sqlite connection: creating the file privately, the pragmas,
 * preparing every statement of db.h once, transactions, and the bind/step helpers.
 * The table layout and its migrations live in schema.c; the row operations in store.c
 * and privacy.c. */
#include "db.h"

#include "sb.h"
#include "schema.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const statement_sql[ST_COUNT] = {
#define ST_SQL(id, sql) [id] = sql,
    STORE_STATEMENTS(ST_SQL)
#undef ST_SQL
};

/* An operating system error behind a failed sqlite call, by its name to an operator. */
static int from_errno(int err, int otherwise)
{
    switch (err) {
    case ENOSPC:
    case EDQUOT:
        return SB_EFULL;
    case EROFS:
        return SB_EREADONLY;
    case EACCES:
    case EPERM:
        return SB_EACCES;
    default:
        return otherwise;
    }
}

int db_fail(store *s, int sqlite_rc)
{
    snprintf(s->errmsg, sizeof s->errmsg, "%s", sqlite3_errmsg(s->db));
    if (sqlite_rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return SB_ENOTFOUND;
    int sys = s->db ? sqlite3_system_errno(s->db) : 0;
    switch (sqlite_rc & 0xff) {
    case SQLITE_NOMEM:
        return SB_ENOMEM;
    case SQLITE_READONLY:
        return SB_EREADONLY;
    case SQLITE_FULL:
        return SB_EFULL;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return SB_ECORRUPT;
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return SB_EACCES;
    case SQLITE_CANTOPEN:
        return from_errno(sys, SB_EIO);
    case SQLITE_IOERR:
        return from_errno(sys, SB_EIO);
    default:
        return SB_EDB;
    }
}

static int vbind(store *s, sqlite3_stmt *q, const char *types, va_list ap)
{
    int rc = SQLITE_OK;
    for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
        if (types[i] == 'i')
            rc = sqlite3_bind_int64(q, i + 1, va_arg(ap, int64_t));
        else
            rc = sqlite3_bind_text(q, i + 1, va_arg(ap, const char *), -1, SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return db_fail(s, rc);
    }
    return SB_OK;
}

int db_bind(store *s, sqlite3_stmt *q, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = vbind(s, q, types, ap);
    va_end(ap);
    return rc;
}

void db_finish(sqlite3_stmt *q)
{
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
}

/* Whether running q may change what store_person_visit reads (store_generation): any
 * statement that writes, except those that touch none of people, sessions, settings and
 * rooms. BEGIN IMMEDIATE writes to sqlite, other transaction control does not: rollbacks
 * count themselves (store_rollback, db_op_end). */
static int changes_visits(const store *s, sqlite3_stmt *q)
{
    static const enum statement keeps[] = {
        ST_PERSON_ADD,  ST_OUTBOX_ADD,   ST_OUTBOX_MARK_SENT, ST_OUTBOX_PRUNE,
        ST_OUTBOX_TRANSIENT, ST_RESUME_SET, ST_ADAPTER_STATE_SET, ST_ADAPTER_STATE_DELETE,
        ST_JOURNAL_ADD, ST_RATING_ADD,   ST_EXERCISE_ADD,     ST_NUDGE_SET,
        ST_NUDGE_CLEAR, ST_ROOM_FLAG_SET, ST_BEGIN, ST_COMMIT, ST_SAVEPOINT, ST_RELEASE,
        ST_SETTING_SET, ST_SETTING_DELETE}; /* settings: db_setting_changed */
    if (sqlite3_stmt_readonly(q))
        return 0;
    for (size_t i = 0; i < sizeof keeps / sizeof *keeps; i++)
        if (q == s->stmt[keeps[i]])
            return 0;
    return 1;
}

int db_step(store *s, sqlite3_stmt *q)
{
    if (changes_visits(s, q))
        s->generation++;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return db_fail(s, sqlite3_extended_errcode(s->db));
}

int db_run(store *s, sqlite3_stmt *q)
{
    int rc = db_step(s, q);
    db_finish(q);
    return rc > 0 ? SB_OK : rc;
}

int db_exec(store *s, enum statement id, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = vbind(s, s->stmt[id], types, ap);
    va_end(ap);
    return rc != SB_OK ? rc : db_run(s, s->stmt[id]);
}

int db_iterate_begin(store *s, enum statement id)
{
    if (s->iterating[id])
        return SB_EINVAL;
    s->iterating[id] = 1;
    return SB_OK;
}

int db_iterate_end(store *s, enum statement id, int rc)
{
    db_finish(s->stmt[id]);
    s->iterating[id] = 0;
    return rc;
}

const char *db_text(sqlite3_stmt *q, int col)
{
    return (const char *)sqlite3_column_text(q, col);
}

int db_fetch_text(store *s, sqlite3_stmt *q, char **out)
{
    *out = NULL;
    int rc = db_step(s, q);
    if (rc > 0) {
        const char *t = db_text(q, 0);
        *out = t ? sb_strdup(t) : NULL;
        rc = *out ? SB_OK : SB_ENOMEM;
    }
    db_finish(q);
    return rc;
}

int db_fetch_int(store *s, sqlite3_stmt *q, int64_t *out)
{
    int rc = db_step(s, q);
    if (rc > 0) {
        *out = sqlite3_column_int64(q, 0);
        rc = SB_OK;
    } else if (rc == 0) {
        rc = SB_ENOTFOUND;
    }
    db_finish(q);
    return rc;
}

/* Creates path as an empty file readable by its owner alone, whatever the umask; an
 * existing file is left as it is (its mode included). sqlite is then opened without
 * SQLITE_OPEN_CREATE, so it never creates the main file itself. sqlite gives the -wal
 * and -shm files it creates the main file's mode (os_unix.c findCreateFileMode, fixed
 * up with fchmod when the umask interferes), so they are 0600 too; no process-wide
 * umask change, which would race with files other threads create, is needed. */
static int create_private(const char *path, int *created)
{
    *created = 0;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return errno == EEXIST ? SB_OK : from_errno(errno, SB_EIO);
    *created = 1;
    int rc = fchmod(fd, 0600) == 0 ? SB_OK : SB_EIO;
    close(fd);
    return rc;
}

/* The connection's settings, run once at open outside any transaction (foreign_keys and
 * journal_mode cannot change inside one). synchronous=NORMAL is safe in WAL mode: a
 * commit is atomic and the file never corrupts, only the WAL's fsync waits for the next
 * checkpoint. A power loss may thus roll back the newest commits, and invariant 4 holds
 * still: each batch's state, replies and resume position are in one transaction and roll
 * back together, so the adapter fetches the batch again. FULL would fsync every batch. */
static int configure(store *s, int in_memory)
{
    sqlite3_stmt *q = NULL;
    int wal = 0;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q, NULL);
    if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
        const char *mode = db_text(q, 0);
        wal = mode && strcmp(mode, "wal") == 0;
    } else {
        rc = db_fail(s, sqlite3_extended_errcode(s->db));
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_OK)
        return rc;
    if (!wal && !in_memory) { /* e.g. a file system without shared memory */
        snprintf(s->errmsg, sizeof s->errmsg, "cannot switch the file to WAL mode");
        return SB_EDB;
    }
    rc = sqlite3_exec(s->db, STORE_PRAGMAS, NULL, NULL, NULL);
    return rc == SQLITE_OK ? SB_OK : db_fail(s, rc);
}

int store_open(const char *path, store **out)
{
    if (!out)
        return SB_EINVAL;
    *out = NULL;
    if (!path || !*path)
        return SB_EINVAL;
    int in_memory = strcmp(path, ":memory:") == 0;
    int created = 0;
    store *s = calloc(1, sizeof *s);
    if (!s)
        return SB_ENOMEM;
    int rc = in_memory ? SB_OK : create_private(path, &created);
    if (rc != SB_OK)
        goto fail;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (in_memory ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        rc = s->db ? db_fail(s, sqlite3_errcode(s->db)) : SB_ENOMEM;
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000); /* a file store's checkpointer installs its own */
    if (sqlite3_db_readonly(s->db, "main") == 1) {
        /* sqlite falls back to reading a file it may not write; a coach that cannot
         * write would lose every message, so say so at start. */
        snprintf(s->errmsg, sizeof s->errmsg, "the file cannot be written");
        rc = SB_EREADONLY;
        goto fail;
    }
    rc = configure(s, in_memory);
    if (rc == SB_OK)
        rc = schema_migrate(s->db, s->errmsg, sizeof s->errmsg);
    for (int i = 0; i < ST_COUNT && rc == SB_OK; i++) {
        if (sqlite3_prepare_v3(s->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                               &s->stmt[i], NULL) != SQLITE_OK)
            rc = db_fail(s, sqlite3_extended_errcode(s->db));
    }
    /* Checkpoints run on a connection and thread of their own, off the commit path
     * (checkpointer.h; docs/storage.md says why durability is unchanged). */
    if (rc == SB_OK && !in_memory && (rc = checkpointer_start(path, &s->checkpointer)) == SB_OK)
        checkpointer_attach(s->checkpointer, s->db);
    if (rc != SB_OK)
        goto fail;
    *out = s;
    return SB_OK;
fail:
    store_close(s);
    if (created)
        unlink(path);
    return rc;
}

void store_close(store *s)
{
    if (!s)
        return;
    checkpointer_stop(s->checkpointer); /* first: closing the last connection removes the WAL */
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    sqlite3_close(s->db);
    free(s);
}

void db_setting_changed(store *s, const char *key)
{
    if (!s->visit_key[0] || strcmp(key, s->visit_key) == 0)
        s->generation++;
}

uint64_t store_generation(store *s)
{
    return s ? s->generation : 0;
}

int64_t store_statements_run(store *s)
{
    int64_t n = 0;
    for (int i = 0; s && i < ST_COUNT; i++)
        if (s->stmt[i])
            n += sqlite3_stmt_status(s->stmt[i], SQLITE_STMTSTATUS_RUN, 0);
    return n;
}

const char *store_errmsg(store *s)
{
    return s ? s->errmsg : "no store";
}

int store_schema_version(store *s)
{
    if (!s)
        return SB_EINVAL;
    int64_t v = 0;
    int rc = db_fetch_int(s, s->stmt[ST_VERSION], &v);
    return rc == SB_OK ? (int)v : rc;
}

/* --- transactions --- */

/* Copies the WAL into the database and truncates it to zero bytes. Only possible outside
 * a transaction; when a reader (elsewhere, or a list call still stepping here) holds an
 * old snapshot the WAL cannot be emptied and the wipe stays pending for the next commit. */
static int checkpoint(store *s)
{
    sqlite3_stmt *q = s->stmt[ST_CHECKPOINT];
    checkpointer_lock(s->checkpointer); /* sqlite runs one checkpoint at a time */
    int rc = db_step(s, q);
    checkpointer_unlock(s->checkpointer);
    if (rc > 0) {
        s->checkpoint_pending = sqlite3_column_int(q, 0) != 0;
        rc = SB_OK;
    }
    db_finish(q);
    return rc;
}

int store_begin(store *s)
{
    if (!s || !sqlite3_get_autocommit(s->db))
        return SB_EINVAL;
    return db_exec(s, ST_BEGIN, "");
}

int store_commit(store *s)
{
    if (!s || sqlite3_get_autocommit(s->db))
        return SB_EINVAL;
    int rc = db_exec(s, ST_COMMIT, "");
    if (rc != SB_OK)
        s->generation++; /* the caller rolls back, or sqlite already did */
    /* The batch is committed whatever the checkpoint says: reporting its failure would
     * make the caller replay a batch that is already in. It stays pending instead. */
    if (rc == SB_OK && s->checkpoint_pending)
        checkpoint(s);
    return rc;
}

int store_rollback(store *s)
{
    if (!s || sqlite3_get_autocommit(s->db))
        return SB_EINVAL;
    s->generation++; /* whatever the transaction wrote is undone */
    return db_exec(s, ST_ROLLBACK, "");
}

int db_op_begin(store *s)
{
    return db_exec(s, ST_SAVEPOINT, "");
}

int db_op_end(store *s, int rc)
{
    if (rc != SB_OK) {
        s->generation++;
        db_exec(s, ST_ROLLBACK_TO, "");
    }
    int released = db_exec(s, ST_RELEASE, "");
    return rc != SB_OK ? rc : released;
}

void db_wipe_wal(store *s)
{
    s->checkpoint_pending = 1;
    if (sqlite3_get_autocommit(s->db))
        checkpoint(s); /* a failure leaves it pending for the next commit */
}
