/* checkpointer.c — the thread and second connection of checkpointer.h. The writer's commits
 * report the WAL's size through sqlite3_wal_hook (which also turns sqlite's automatic
 * checkpoint off); the thread wakes when enough was written or the interval passed, and
 * checkpoints under a mutex that a caller wiping the WAL itself can take. What is in the
 * rows is the store's business; this file only copies pages. */
#include "checkpointer.h"

#include "sb.h"

#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#define TRUNCATE_WAIT_MS 1000 /* a TRUNCATE waits this long for the writer's batch */

struct checkpointer {
    sqlite3 *db;             /* the checkpointer's own connection; its thread only */
    pthread_t thread;
    pthread_mutex_t running; /* held while a checkpoint runs (checkpointer_lock) */
    pthread_mutex_t mu;      /* guards the fields below */
    pthread_cond_t cv;
    int stop;
    int frames;              /* WAL frames after the writer's last commit */
    int copied;              /* WAL frames the last checkpoint left behind it, all copied */
    unsigned long commits;   /* the writer's commits so far */
    int64_t last_commit;     /* monotonic ms of the writer's last commit */
    int64_t oldest;          /* monotonic ms of the oldest commit no pass has copied; 0 none */
};

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Frames written since the last checkpoint; a WAL that was reset starts again from 0. */
static int pending(const checkpointer *c)
{
    return c->frames >= c->copied ? c->frames - c->copied : c->frames;
}

/* The writer's wal hook: runs on the writer's thread after each commit. */
static int on_commit(void *ctx, sqlite3 *db, const char *name, int frames)
{
    checkpointer *c = ctx;
    (void)db;
    (void)name;
    int64_t now = now_ms();
    pthread_mutex_lock(&c->mu);
    c->frames = frames;
    c->commits++;
    c->last_commit = now;
    if (!c->oldest || pending(c) >= CHECKPOINTER_PAGES) /* a new deadline, or due now */
        pthread_cond_signal(&c->cv);
    if (!c->oldest)
        c->oldest = now;
    pthread_mutex_unlock(&c->mu);
    return SQLITE_OK;
}

/* One pass: PASSIVE, then TRUNCATE when the writer is idle and everything was copied (the
 * file goes back to zero bytes) or when the WAL has outgrown its bound. Returns 1 when
 * every frame of the WAL was copied, 0 when some are left (busy, or the disk refused the
 * database's pages); *left is what the WAL holds after the pass. */
static int checkpoint_once(checkpointer *c, int idle, int *left)
{
    int log = 0, done = 0;
    pthread_mutex_lock(&c->running);
    int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    int all = rc == SQLITE_OK && done == log;
    if ((idle && all && log > 0) || (rc == SQLITE_OK && log >= CHECKPOINTER_MAX_PAGES)) {
        rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
        all = rc == SQLITE_OK;
        if (all)
            log = done = 0;
    }
    pthread_mutex_unlock(&c->running);
    /* A pass that could not copy everything is tried again at the next occasion: the WAL
     * keeps every commit until some checkpoint copies it. */
    *left = log > 0 ? log : 0;
    return all;
}

static void deadline_at(struct timespec *t, int64_t ms)
{
    t->tv_sec = (time_t)(ms / 1000);
    t->tv_nsec = (long)(ms % 1000) * 1000000L;
}

static void *run(void *arg)
{
    checkpointer *c = arg;
    unsigned long seen = 0;  /* commits when the last pass started */
    int64_t retry_at = 0;    /* after a pass that left frames: not before this */
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        int64_t now = now_ms();
        int fresh = c->commits != seen;
        /* Due: enough pages (and new commits since the last pass, so a pass the writer's
         * open batch held back is not repeated in a loop); or the writer has been idle a
         * moment; or the oldest uncopied commit waited an interval. */
        int by_size = fresh && pending(c) >= CHECKPOINTER_PAGES;
        int idle = c->oldest && now - c->last_commit >= CHECKPOINTER_IDLE_MS;
        int old = c->oldest && now - c->oldest >= CHECKPOINTER_INTERVAL_MS;
        if (!(by_size || ((idle || old) && now >= retry_at))) {
            if (!c->oldest) {
                pthread_cond_wait(&c->cv, &c->mu);
            } else {
                int64_t at = c->last_commit + CHECKPOINTER_IDLE_MS;
                if (c->oldest + CHECKPOINTER_INTERVAL_MS < at)
                    at = c->oldest + CHECKPOINTER_INTERVAL_MS;
                if (at < retry_at)
                    at = retry_at;
                struct timespec t;
                deadline_at(&t, at);
                pthread_cond_timedwait(&c->cv, &c->mu, &t);
            }
            continue;
        }
        seen = c->commits;
        pthread_mutex_unlock(&c->mu);
        int left = 0;
        int all = checkpoint_once(c, idle && !by_size, &left);
        pthread_mutex_lock(&c->mu);
        c->copied = left;
        if (c->commits != seen) /* committed during the pass: those wait for the next */
            c->oldest = c->last_commit;
        else if (all)
            c->oldest = 0;
        retry_at = all ? 0 : now_ms() + CHECKPOINTER_INTERVAL_MS;
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int checkpointer_start(const char *path, checkpointer **out)
{
    *out = NULL;
    checkpointer *c = calloc(1, sizeof *c);
    if (!c)
        return SB_ENOMEM;
    pthread_condattr_t attr; /* deadlines are monotonic, as now_ms */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->running, NULL);
    int rc = SB_OK;
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK)
        rc = c->db ? SB_EIO : SB_ENOMEM;
    if (rc == SB_OK) {
        /* The thread takes no signals (it inherits the mask it is created with): a
         * SIGTERM meant for the program's own handling must not land here and kill it. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        sqlite3_busy_timeout(c->db, TRUNCATE_WAIT_MS);
        if (pthread_create(&c->thread, NULL, run, c) != 0)
            rc = SB_ENOMEM;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (rc != SB_OK) {
        sqlite3_close(c->db);
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        pthread_mutex_destroy(&c->running);
        free(c);
        return rc;
    }
    *out = c;
    return SB_OK;
}

/* The writer's busy handler: a TRUNCATE holds the lock for a few milliseconds (another
 * process, for longer). sqlite's own handler sleeps 1, 2, 5, 10, 15, 20, 25 ... 100 ms, so a
 * batch arriving during a 10 ms TRUNCATE slept 33 ms; this one looks again every
 * millisecond, and gives up after about WRITER_WAIT_MS as the store's timeout did. */
#define WRITER_WAIT_MS 5000
static int wait_briefly(void *ctx, int tries)
{
    (void)ctx;
    if (tries >= WRITER_WAIT_MS)
        return 0;
    struct timespec ms = {0, 1000000L};
    nanosleep(&ms, NULL);
    return 1;
}

void checkpointer_attach(checkpointer *c, sqlite3 *writer)
{
    sqlite3_wal_autocheckpoint(writer, 0);
    sqlite3_wal_hook(writer, on_commit, c);
    sqlite3_busy_handler(writer, wait_briefly, NULL);
}

void checkpointer_lock(checkpointer *c)
{
    if (c)
        pthread_mutex_lock(&c->running);
}

void checkpointer_unlock(checkpointer *c)
{
    if (c)
        pthread_mutex_unlock(&c->running);
}

void checkpointer_stop(checkpointer *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    sqlite3_close(c->db);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->running);
    free(c);
}
