/* lockfile.c — the store's process lock of lockfile.h: flock(LOCK_EX|LOCK_NB) on a file
 * beside the database, with the holder's pid written into it so the one refused can say
 * who holds it. sqlite's own locking would serialise two writers, not keep one out: two
 * bots on one store would still both answer every message. */
#include "lockfile.h"

#include "sb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct lockfile {
    int fd; /* holds the flock while open */
};

/* The pid written in the lock file by its holder, 0 when none can be read. */
static long read_holder(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    long pid;
    return sb_parse_long(buf, 1, 1L << 30, &pid) == SB_OK ? pid : 0;
}

int lockfile_take(const char *db_path, lockfile **out, long *holder)
{
    *out = NULL;
    *holder = 0;
    if (!db_path || !*db_path)
        return SB_EINVAL;
    if (strcmp(db_path, ":memory:") == 0)
        return SB_OK;
    int rc = SB_OK;
    int fd = -1;
    lockfile *l = NULL;
    char *path = sb_asprintf("%s.lock", db_path);
    if (!path)
        return SB_ENOMEM;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    int writable = fd >= 0;
    if (fd < 0 && (errno == EROFS || errno == EACCES))
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW); /* flock works read-only too; the
                                                               store then names the fault */
    if (fd < 0) {
        rc = errno == EACCES || errno == EPERM ? SB_EACCES : errno == EROFS ? SB_EREADONLY : SB_EIO;
        goto cleanup;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            *holder = read_holder(fd);
            rc = SB_EBUSY;
        } else {
            rc = SB_EIO;
        }
        goto cleanup;
    }
    /* The pid is for the message of the one refused; the lock holds without it (a full
     * disk, a read-only file system), so failing to write it is no reason to stop. */
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (writable && ftruncate(fd, 0) == 0) {
        ssize_t wrote = pwrite(fd, pid, (size_t)len, 0);
        (void)wrote;
    }
    l = malloc(sizeof *l);
    if (!l) {
        rc = SB_ENOMEM;
        goto cleanup;
    }
    l->fd = fd;
    fd = -1;
    *out = l;
cleanup:
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

void lockfile_release(lockfile *l)
{
    if (!l)
        return;
    close(l->fd); /* closing the last descriptor drops the flock */
    free(l);
}
