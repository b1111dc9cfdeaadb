/* bench_nudge.c — the due-nudge pass against a large population: for each size (default
 * 100,000 and 1,000,000 people with random local times and zones, inserted through the
 * store API in big transactions), a fresh process opens the store and times finding and
 * enqueueing the nudges due in one minute (each run rolled back, median of RUNS), then
 * reports its peak RSS. The point: cost and memory follow what is due, not how many
 * people exist. Sizes: BENCH_NUDGE_SIZES="100000,1000000". Figures only, never asserted. */
#include "dialog.h"
#include "nudge.h"
#include "schedule.h"
#include "sb.h"
#include "store.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNS 7
#define COMMIT_EVERY 50000

static const char *const zones[] = {
    "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC",
    "Europe/London", "America/Los_Angeles", "Asia/Tokyo", "America/Sao_Paulo", "Africa/Lagos",
    "Asia/Shanghai", "Europe/Moscow", "Pacific/Auckland", "America/Chicago", "Asia/Dubai",
    "Asia/Kathmandu", "America/St_Johns", "Australia/Sydney", "Europe/Madrid", "Asia/Jakarta"};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Inserts people 1..n with a direct room, a zone, a nudge time and the next instant. */
static int populate(const char *path, long n, int64_t now)
{
    store *s = NULL;
    int rc = store_open(path, &s);
    for (long i = 0; i < n && rc == SB_OK; i++) {
        if (i % COMMIT_EVERY == 0 && (rc = store_begin(s)) != SB_OK)
            break;
        char who[32], room[40], nudge[160];
        snprintf(who, sizeof who, "@p%ld:bench", i);
        snprintf(room, sizeof room, "!room%ld:bench", i);
        schedule_settings set = {.enabled = 1, .minute = (int)(next_random() % 1440)};
        const char *zone = zones[next_random() % (sizeof zones / sizeof zones[0])];
        int64_t id, due;
        if ((rc = tz_get(zone, &set.zone)) != SB_OK)
            break;
        snprintf(nudge, sizeof nudge,
                 "{\"on\":true,\"paused\":false,\"time\":\"%02d:%02d\",\"days\":\"daily\","
                 "\"paused_until\":0,\"unanswered\":0,\"last\":0,\"recent\":[]}",
                 set.minute / 60, set.minute % 60);
        rc = store_person_get(s, "matrix", who, now - 86400, &id);
        if (rc == SB_OK)
            rc = store_room_set(s, "matrix", room, 1, id);
        if (rc == SB_OK)
            rc = store_setting_set(s, id, "timezone", zone);
        if (rc == SB_OK)
            rc = store_setting_set(s, id, "nudge", nudge);
        if (rc == SB_OK)
            rc = schedule_next(&set, now, &due);
        if (rc == SB_OK)
            rc = store_nudge_set(s, id, due);
        if (rc == SB_OK && (i % COMMIT_EVERY == COMMIT_EVERY - 1 || i == n - 1))
            rc = store_commit(s);
    }
    store_close(s);
    return rc;
}

static long queued;
static void count_sink(void *ctx, int64_t id, const char *adapter, const char *room,
                       const char *text)
{
    (void)ctx; (void)id; (void)adapter; (void)room; (void)text;
    queued++;
}

/* Times the pass over the minute (now, now+60] (instants are whole minutes after now), RUNS times (each rolled back); prints figures. */
static int measure(const char *path, long n, int64_t now)
{
    sb_dialogs *d = NULL; /* the real wordings when dialogs/ loads, the fallback otherwise */
    if (dialogs_load("dialogs", &d, NULL, NULL) != SB_OK)
        d = NULL;
    store *s = NULL;
    int rc = store_open(path, &s);
    double t[RUNS];
    long due_count = 0;
    for (int r = 0; r < RUNS && rc == SB_OK; r++) {
        queued = 0;
        double t0 = now_s();
        rc = store_begin(s);
        int more = 1;
        while (rc == SB_OK && more)
            rc = nudge_run_due(s, d, now + 60, 64, &more, count_sink, NULL);
        t[r] = now_s() - t0;
        store_rollback(s);
        due_count = queued;
    }
    int64_t next = 0;
    if (rc == SB_OK)
        rc = nudge_next_due(s, &next);
    store_close(s);
    dialogs_free(d);
    if (rc != SB_OK) {
        printf("   %ld people: the pass failed: %s\n", n, sb_strerror(rc));
        return rc;
    }
    qsort(t, RUNS, sizeof t[0], cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("   %8ld people (%s wordings): %5ld nudges due in one minute, found+enqueued in %7.2f ms median "
           "(min %.2f, max %.2f; %.1f us each), peak RSS %ld KiB\n",
           n, d ? "dialogs/" : "fallback", due_count, t[RUNS / 2] * 1e3, t[0] * 1e3, t[RUNS - 1] * 1e3,
           due_count ? t[RUNS / 2] * 1e6 / (double)due_count : 0.0, ru.ru_maxrss);
    return SB_OK;
}

int main(void)
{
    const char *sizes = getenv("BENCH_NUDGE_SIZES");
    char list[128];
    snprintf(list, sizeof list, "%s", sizes && *sizes ? sizes : "100000,1000000");
    int64_t now = 1780000000; /* 2026-05-28T20:26:40Z, on the fake clock */
    now -= now % 60;
    char dir[] = "/tmp/sb-bench-nudge-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    printf("   nudge pass: each size in a fresh process after populating (figures, not asserted)\n");
    int status = 0;
    for (char *p = list, *comma; p && *p; p = comma ? comma + 1 : NULL) {
        comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        long n;
        if (sb_parse_long(p, 1, 100000000L, &n) != SB_OK)
            continue;
        char path[96];
        snprintf(path, sizeof path, "%s/people-%ld.db", dir, n);
        double t0 = now_s();
        fflush(stdout);
        pid_t pid = fork(); /* populating fills caches; measure in a process of its own */
        if (pid == 0) {
            int r = populate(path, n, now);
            fflush(stdout);
            _exit(r == SB_OK ? 0 : 1);
        }
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            printf("   %ld people: populating failed\n", n);
            break;
        }
        printf("   %8ld people inserted in %.1f s\n", n, now_s() - t0);
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
            int r = measure(path, n, now);
            fflush(stdout); /* _exit does not flush */
            _exit(r == SB_OK ? 0 : 1);
        }
        waitpid(pid, &status, 0);
        char side[128];
        unlink(path);
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
    }
    rmdir(dir);
    tz_cache_clear();
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
