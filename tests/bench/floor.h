/* floor.h — the floor: the durable writes securebase cannot do without, and nothing else.
 * Per batch of 100 messages one transaction that upserts 100 engine states and inserts 100
 * outbox rows, with the adapter's resume position (design.md invariant 4), on the store's
 * own file layout, statements (db.h's SQL, prepared once) and connection settings
 * (STORE_PRAGMAS, WAL) and checkpoints (the store's checkpointer, off the commit path).
 * No engine, no JSON, no lookups. securebase's throughput is
 * reported as a ratio of this one, measured in the same run (bench_core). */
#ifndef SB_BENCH_FLOOR_H
#define SB_BENCH_FLOOR_H

#include "bench.h"
#include "db.h"
#include "store.h"

#include <sqlite3.h>

typedef struct floor_args {
    const char *path;    /* a store seeded by floor_seed (used up: the run writes to it) */
    long people, messages;
    size_t state_bytes;  /* the size of one engine state, as securebase writes them */
    size_t reply_bytes;  /* the size of one reply */
    int64_t start;       /* the clock at the first batch; seconds */
    int64_t step;        /* seconds the clock moves per batch */
} floor_args;

typedef struct floor_result {
    double seconds, cpu;      /* wall and CPU time of the timed part */
    double batch_p50, batch_p99; /* seconds per batch */
    double rss_mib;
    long messages;
} floor_result;

static const char *const floor_sql[ST_COUNT] = {
#define FLOOR_SQL(id, sql) [id] = sql,
    STORE_STATEMENTS(FLOOR_SQL)
#undef FLOOR_SQL
};

/* A text of n bytes, printable, for the states and replies the floor writes. */
static inline char *floor_text(size_t n, char c)
{
    char *t = malloc(n + 1);
    if (t) {
        memset(t, c, n);
        t[n] = '\0';
    }
    return t;
}

/* Creates the store at path with people 1..people, each with an engine state. Returns 0. */
static inline int floor_seed(const char *path, long people, size_t state_bytes, int64_t now)
{
    store *s = NULL;
    char *state = floor_text(state_bytes, 's');
    int rc = state ? store_open(path, &s) : SB_ENOMEM;
    for (long i = 0; i < people && rc == SB_OK; i++) {
        char who[32];
        int64_t id;
        snprintf(who, sizeof who, "person%ld", i);
        if (i % 10000 == 0)
            rc = store_begin(s);
        if (rc == SB_OK)
            rc = store_person_get(s, "bench", who, now, &id);
        if (rc == SB_OK)
            rc = store_state_save(s, id, state, now);
        if (rc == SB_OK && (i % 10000 == 9999 || i == people - 1))
            rc = store_commit(s);
    }
    store_close(s);
    free(state);
    return rc == SB_OK ? 0 : -1;
}

static inline int floor_exec(sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The timed run; fills a floor_result. For bench_in_child. */
static inline int floor_run(void *arg, void *out)
{
    const floor_args *a = arg;
    floor_result *res = out;
    sqlite3 *db = NULL;
    sqlite3_stmt *q[ST_COUNT] = {0};
    static const enum statement used[] = {ST_BEGIN, ST_COMMIT, ST_STATE_SAVE, ST_OUTBOX_ADD,
                                          ST_RESUME_SET};
    long nbatches = (a->messages + BENCH_BATCH - 1) / BENCH_BATCH;
    double *lat = malloc((size_t)nbatches * sizeof *lat);
    char *state = floor_text(a->state_bytes, 't');
    char *reply = floor_text(a->reply_bytes, 'r');
    int rc = lat && state && reply &&
                     sqlite3_open_v2(a->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                     NULL) == SQLITE_OK &&
                     sqlite3_exec(db, "PRAGMA journal_mode = WAL;" STORE_PRAGMAS, NULL, NULL,
                                  NULL) == SQLITE_OK
                 ? 0
                 : -1;
    checkpointer *cp = NULL;
    if (rc == 0 && checkpointer_start(a->path, &cp) == SB_OK)
        checkpointer_attach(cp, db);
    else
        rc = -1;
    for (size_t i = 0; rc == 0 && i < sizeof used / sizeof used[0]; i++)
        if (sqlite3_prepare_v3(db, floor_sql[used[i]], -1, SQLITE_PREPARE_PERSISTENT, &q[used[i]],
                               NULL) != SQLITE_OK)
            rc = -1;
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    long done = 0;
    double cpu0 = bench_cpu(), t0 = bench_now();
    for (long b = 0; b < nbatches && rc == 0; b++) {
        int64_t now = a->start + b * a->step;
        double bt = bench_now();
        rc = floor_exec(q[ST_BEGIN]);
        for (long i = 0; i < BENCH_BATCH && done < a->messages && rc == 0; i++, done++) {
            int64_t person = (int64_t)(bench_random(&seed) % (uint64_t)a->people) + 1;
            char room[32];
            snprintf(room, sizeof room, "person%lld", (long long)(person - 1));
            sqlite3_bind_int64(q[ST_STATE_SAVE], 1, person);
            sqlite3_bind_text(q[ST_STATE_SAVE], 2, state, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q[ST_STATE_SAVE], 3, now);
            rc = floor_exec(q[ST_STATE_SAVE]);
            sqlite3_bind_text(q[ST_OUTBOX_ADD], 1, "bench", -1, SQLITE_STATIC);
            sqlite3_bind_text(q[ST_OUTBOX_ADD], 2, room, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(q[ST_OUTBOX_ADD], 3, reply, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q[ST_OUTBOX_ADD], 4, now);
            sqlite3_bind_int64(q[ST_OUTBOX_ADD], 5, 0); /* transient */
            rc = rc ? rc : floor_exec(q[ST_OUTBOX_ADD]);
        }
        char pos[32];
        snprintf(pos, sizeof pos, "s%ld", b);
        sqlite3_bind_text(q[ST_RESUME_SET], 1, "bench", -1, SQLITE_STATIC);
        sqlite3_bind_text(q[ST_RESUME_SET], 2, "next_batch", -1, SQLITE_STATIC);
        sqlite3_bind_text(q[ST_RESUME_SET], 3, pos, -1, SQLITE_TRANSIENT);
        rc = rc ? rc : floor_exec(q[ST_RESUME_SET]);
        rc = rc ? rc : floor_exec(q[ST_COMMIT]);
        lat[b] = bench_now() - bt;
    }
    res->seconds = bench_now() - t0;
    res->cpu = bench_cpu() - cpu0;
    res->messages = done;
    res->rss_mib = bench_peak_rss_mib();
    res->batch_p50 = bench_quantile(lat, (size_t)nbatches, 0.5);
    res->batch_p99 = bench_quantile(lat, (size_t)nbatches, 0.99);
    if (rc != 0 && db)
        fprintf(stderr, "floor: %s\n", sqlite3_errmsg(db));
    checkpointer_stop(cp);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(q[i]);
    sqlite3_close(db);
    free(lat);
    free(state);
    free(reply);
    return rc;
}

#endif
