/* bench_core.c — the engine and store under a synthetic population, through the real router:
 * PEOPLE people, MESSAGES messages spread over them, committed per batch of 100 (as an
 * adapter would deliver them). Prints messages per second, p50/p99 latency per batch
 * (what each message of the batch waits for its commit) and per message amortised, and
 * peak RSS. Sizes: BENCH_PEOPLE, BENCH_MESSAGES (defaults 10,000 and 1,000,000). */
#include "dialog.h"
#include "router.h"
#include "sb.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define BATCH 100

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

static long sent;
static void count_send(void *ctx, int64_t id, const char *adapter, const char *room, const char *text)
{
    (void)ctx; (void)id; (void)adapter; (void)room; (void)text;
    sent++;
}

/* What people say: greetings, choices, free text, ratings, commands. */
static const char *const lines[] = {
    "hi", "yes", "1", "When my partner asks how I feel I change the subject", "5",
    "help", "stop", "I felt tight in my chest when she hugged me", "no", "4",
    "give me an exercise", "next", "done", "it went better than I thought", "!progress",
    "what is avoidant attachment", "I guess I just prefer to handle things alone", "2",
};

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    long n;
    return v && sb_parse_long(v, 1, 100000000L, &n) == SB_OK ? n : def;
}

int main(void)
{
    long people = env_long("BENCH_PEOPLE", 10000);
    long messages = env_long("BENCH_MESSAGES", 1000000);
    char path[] = "/tmp/sb-bench-XXXXXX";
    if (!mkdtemp(path))
        return 1;
    char db[256];
    snprintf(db, sizeof db, "%s/bench.db", path);
    store *st = NULL;
    sb_dialogs *d = NULL;
    if (store_open(db, &st) != SB_OK || dialogs_load("dialogs", &d, NULL, NULL) != SB_OK) {
        fprintf(stderr, "bench_core: cannot open the store or load dialogs/\n");
        return 1;
    }
    router *r = router_new(st, d);
    long nbatches = (messages + BATCH - 1) / BATCH;
    double *lat = malloc((size_t)nbatches * sizeof *lat);
    sb_inbound *ev = calloc(BATCH, sizeof *ev);
    char rooms[BATCH][32];
    char texts[BATCH][128];
    if (!lat || !ev)
        return 1;
    unsigned seed = 42;
    double start = now_s();
    long done = 0;
    for (long b = 0; b < nbatches; b++) {
        size_t n = 0;
        for (; n < BATCH && done + (long)n < messages; n++) {
            seed = seed * 1103515245u + 12345u;
            long who = (long)(seed >> 8) % people;
            snprintf(rooms[n], sizeof rooms[n], "person%ld", who);
            snprintf(texts[n], sizeof texts[n], "%s",
                     lines[(seed >> 4) % (sizeof lines / sizeof lines[0])]);
            ev[n] = (sb_inbound){.kind = SB_IN_MESSAGE, .room = rooms[n], .sender = rooms[n],
                                 .text = texts[n], .direct = 1};
        }
        char pos[32];
        snprintf(pos, sizeof pos, "s%ld", b);
        sb_batch batch = {.events = ev, .count = n, .resume_key = "next_batch", .resume_value = pos};
        double t0 = now_s();
        if (router_batch(r, "bench", &batch, 1795000000 + b, count_send, NULL) != SB_OK) {
            fprintf(stderr, "bench_core: batch %ld failed\n", b);
            return 1;
        }
        lat[b] = now_s() - t0;
        done += (long)n;
    }
    double total = now_s() - start;
    qsort(lat, (size_t)nbatches, sizeof *lat, cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("people %ld, messages %ld, batches of %d, replies %ld\n", people, done, BATCH, sent);
    printf("throughput: %.0f messages/s (%.1f s total)\n", (double)done / total, total);
    printf("batch commit latency: p50 %.2f ms, p99 %.2f ms\n", lat[nbatches / 2] * 1e3,
           lat[(long)(nbatches * 0.99)] * 1e3);
    printf("per message (amortised): p50 %.1f us, p99 %.1f us\n", lat[nbatches / 2] * 1e6 / BATCH,
           lat[(long)(nbatches * 0.99)] * 1e6 / BATCH);
    printf("peak RSS: %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
    router_free(r);
    dialogs_free(d);
    store_close(st);
    free(lat);
    free(ev);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", path);
    return system(cmd) == 0 ? 0 : 1;
}
