/* lockfile.h — one process per store (issue 11): an exclusive flock on "<db>.lock",
 * holding the owner's pid. The kernel drops the lock when the process dies, however it
 * dies, so a crash never leaves a stale lock behind. */
#ifndef SB_LOCKFILE_H
#define SB_LOCKFILE_H

typedef struct lockfile lockfile;

/* Takes the lock for the database at db_path (":memory:" needs none: *out stays NULL and
 * SB_OK is returned). On success *out owns the lock until lockfile_release. When another
 * process holds it, returns SB_EBUSY and sets *holder to its pid (0 when it has not written
 * it yet); SB_EACCES, SB_EREADONLY or SB_EIO when the lock file cannot be opened or created
 * (an existing one on a read-only file system is locked read-only); SB_ENOMEM. On failure
 * *out is NULL and nothing is held. */
int lockfile_take(const char *db_path, lockfile **out, long *holder);
/* Drops the lock and closes the file (the file stays: removing it would race with a
 * process about to lock it). NULL is fine. */
void lockfile_release(lockfile *l);

#endif
