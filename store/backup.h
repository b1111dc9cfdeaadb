/* backup.h — a consistent copy of the store while the coach runs, with sqlite's online
 * backup API. It opens the file read-only beside the running coach (WAL lets a reader see
 * the last committed transaction while the writer goes on) and takes no lock of the
 * store's own, so it works whether or not the coach is running. */
#ifndef SB_BACKUP_H
#define SB_BACKUP_H

#include <stddef.h>

/* Copies the store at db to a new file at path (mode 0600; journal mode DELETE, so the
 * copy is one self-contained file), checked with PRAGMA quick_check before it is given
 * its name. path must not exist: it is never overwritten. Returns SB_OK; SB_EINVAL when
 * path exists, SB_ENOTFOUND when there is no store at db, SB_EIO or SB_EDB otherwise, with
 * a one-line reason in err (errsize bytes); nothing is left at path on failure. */
int backup_make(const char *db, const char *path, char *err, size_t errsize);

#endif
