/* backup.c — the store's online backup (backup.h). The copy is made into "PATH.partial",
 * checked, and renamed to PATH only when complete, so PATH is either a whole backup or
 * absent. It reads the store's file and nothing else of the store module: no prepared
 * statements, no migrations (a backup copies the schema version it finds). */
#include "backup.h"

#include "sb.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 10000 /* how long to wait for the coach's writer to let go */

/* Makes the rename durable: fsync of the folder that holds path. */
static void sync_folder(const char *path)
{
    char *copy = sb_strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

/* Copies src into dest in one step: one read transaction, so the copy is the state after
 * the last commit before it began, whatever the writer does meanwhile. */
static int copy_pages(sqlite3 *src, sqlite3 *dest, char *err, size_t errsize)
{
    sqlite3_backup *b = sqlite3_backup_init(dest, "main", src, "main");
    if (!b) {
        snprintf(err, errsize, "cannot start the backup: %s", sqlite3_errmsg(dest));
        return SB_EDB;
    }
    int rc;
    for (int tries = 0;; tries++) {
        rc = sqlite3_backup_step(b, -1);
        if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries * 50 >= BUSY_TIMEOUT_MS)
            break;
        sqlite3_sleep(50);
    }
    int done = rc == SQLITE_DONE;
    if (!done)
        snprintf(err, errsize, "the backup stopped: %s", sqlite3_errstr(rc));
    rc = sqlite3_backup_finish(b);
    if (done && rc != SQLITE_OK) {
        snprintf(err, errsize, "the backup failed: %s", sqlite3_errmsg(dest));
        done = 0;
    }
    return done ? SB_OK : SB_EDB;
}

/* Makes the copy a plain rollback-journal file and checks it. */
static int finish_copy(sqlite3 *dest, char *err, size_t errsize)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_exec(dest, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(dest, "PRAGMA quick_check", -1, &q, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errsize, "cannot check the copy: %s", sqlite3_errmsg(dest));
        return SB_EDB;
    }
    int ok = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0) &&
             strcmp((const char *)sqlite3_column_text(q, 0), "ok") == 0;
    if (!ok)
        snprintf(err, errsize, "the copy fails its check: %s",
                 sqlite3_column_text(q, 0) ? (const char *)sqlite3_column_text(q, 0) : "no answer");
    sqlite3_finalize(q);
    return ok ? SB_OK : SB_EDB;
}

int backup_make(const char *db, const char *path, char *err, size_t errsize)
{
    sqlite3 *src = NULL, *dest = NULL;
    char *partial = NULL;
    int made = 0, rc;
    err[0] = '\0';
    if (access(path, F_OK) == 0) {
        snprintf(err, errsize, "%s exists; a backup never overwrites a file", path);
        return SB_EINVAL;
    }
    if (access(db, F_OK) != 0) {
        snprintf(err, errsize, "there is no store at %s", db);
        return SB_ENOTFOUND;
    }
    partial = sb_asprintf("%s.partial", path);
    if (!partial) {
        snprintf(err, errsize, "out of memory");
        return SB_ENOMEM;
    }
    int fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errsize, "cannot create %s: %s", partial, strerror(errno));
        rc = SB_EIO;
        goto cleanup;
    }
    close(fd);
    made = 1;
    if (sqlite3_open_v2(db, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(src, BUSY_TIMEOUT_MS) != SQLITE_OK) {
        snprintf(err, errsize, "cannot open the store %s: %s", db,
                 src ? sqlite3_errmsg(src) : "out of memory");
        rc = SB_EDB;
        goto cleanup;
    }
    if (sqlite3_open_v2(partial, &dest, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        snprintf(err, errsize, "cannot open %s: %s", partial,
                 dest ? sqlite3_errmsg(dest) : "out of memory");
        rc = SB_EDB;
        goto cleanup;
    }
    rc = copy_pages(src, dest, err, errsize);
    if (rc == SB_OK)
        rc = finish_copy(dest, err, errsize);
    if (rc == SB_OK && sqlite3_close(dest) != SQLITE_OK) {
        snprintf(err, errsize, "cannot close %s", partial);
        rc = SB_EIO;
    } else if (rc == SB_OK) {
        dest = NULL;
    }
    if (rc == SB_OK && rename(partial, path) != 0) {
        snprintf(err, errsize, "cannot rename %s to %s: %s", partial, path, strerror(errno));
        rc = SB_EIO;
    }
    if (rc == SB_OK) {
        made = 0;
        sync_folder(path);
    }
cleanup:
    sqlite3_close(dest);
    sqlite3_close(src);
    if (made)
        unlink(partial);
    free(partial);
    return rc;
}
