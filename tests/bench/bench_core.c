/* bench_core.c — the engine and store under a synthetic population, through the real router,
 * beside the floor (floor.h) measured in the same run. For each population size
 * (BENCH_SIZES, default 1,000, 10,000 and 100,000 people) a store is seeded (everyone has
 * said "hi" once), then BENCH_RUNS (3) times, each in a fresh process on a fresh copy:
 * securebase handles BENCH_MESSAGES (100,000) messages in batches of 100, as the core loop
 * does (router_batch, then each reply reported sent through router_sent, whose marks and
 * prunes ride with the next batch as in production; the clock moves 300 s a batch so a
 * day's rows do get pruned),
 * and the floor does the same durable writes alone. Printed per size, medians of the runs:
 * throughput and its ratio to the floor's, latency per batch (p50, p99), what a message
 * waits (p50, p99: the rest of the batch in hand when it arrived, as the adapter asks for
 * the next batch only after a commit, plus its own batch), engine_step alone (p50, p99,
 * understanding included, on the states the run left), CPU per message, peak RSS and what
 * the outbox holds at the end. The 10,000-people figures also go on the lines
 * "floor ratio: 0.NN" and "engine step: p50 N us, p99 N us". Never asserted. */
#include "bench.h"
#include "dialog.h"
#include "engine.h"
#include "floor.h"
#include "lines.h"
#include "router.h"
#include "sb.h"
#include "store.h"
#include "understand.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RUNS_MAX 15
#define SIZES_MAX 8
#define STEP_SAMPLES 20000
#define START 1795000000
#define STEP 300 /* seconds of fake clock per batch */

typedef struct core_args {
    const char *path;
    long people, messages;
    int64_t start; /* the clock at the first batch */
} core_args;

typedef struct core_result {
    double seconds, cpu, rss_mib;
    double batch_p50, batch_p99, wait_p50, wait_p99, step_p50, step_p99; /* seconds */
    double state_bytes, reply_bytes; /* averages */
    double statements; /* sqlite statements run, per message (BEGIN and COMMIT included) */
    long messages, replies, outbox_rows;
    double db_mib;
    int64_t end; /* the clock after the last batch */
} core_result;

typedef struct run_ctx {
    router *r;
    int64_t ids[4 * BENCH_BATCH];
    size_t nids;
    long replies;
    double reply_bytes;
} run_ctx;

static void on_send(void *ctx, int64_t id, const char *adapter, const char *room, const char *text)
{
    run_ctx *c = ctx;
    (void)adapter;
    (void)room;
    if (c->nids < sizeof c->ids / sizeof c->ids[0])
        c->ids[c->nids++] = id;
    c->replies++;
    c->reply_bytes += (double)strlen(text);
}

typedef struct opened {
    store *st;
    sb_dialogs *d;
    router *r;
} opened;

static int open_all(const char *path, opened *o)
{
    memset(o, 0, sizeof *o);
    /* The model cache as production has it (main.c makes its folder): a run measures the
     * coach serving, not training at every start. */
    const char *cache = getenv("SECUREBASE_MODEL_CACHE") ? getenv("SECUREBASE_MODEL_CACHE")
                                                          : "build/model-cache";
    mkdir(cache, 0700);
    if (understand_set_cache(cache) != SB_OK ||
        store_open(path, &o->st) != SB_OK || dialogs_load("dialogs", &o->d, NULL, NULL) != SB_OK ||
        !(o->r = router_new(o->st, o->d))) {
        fprintf(stderr, "bench_core: cannot open %s or load dialogs/\n", path);
        return -1;
    }
    return 0;
}

static void close_all(opened *o)
{
    router_free(o->r);
    dialogs_free(o->d);
    store_close(o->st);
    understand_set_cache(NULL);
}

/* One batch as the core loop handles it: the transaction, then each reply reported sent
 * (here all at once; in production as the adapter reports them). */
static int one_batch(run_ctx *c, sb_inbound *ev, size_t n, long b, int64_t now)
{
    char pos[32];
    snprintf(pos, sizeof pos, "s%ld", b);
    sb_batch batch = {.events = ev, .count = n, .resume_key = "next_batch", .resume_value = pos};
    c->nids = 0;
    if (router_batch(c->r, "bench", &batch, now, on_send, c) != SB_OK)
        return -1;
    for (size_t i = 0; i < c->nids; i++)
        if (router_sent(c->r, c->ids[i], now) != SB_OK)
            return -1;
    return 0;
}

/* Everyone says "hi" once, so the timed runs meet people the coach knows. */
static int seed(void *arg, void *out)
{
    const core_args *a = arg;
    core_result *res = out;
    opened o;
    if (open_all(a->path, &o) != 0)
        return -1;
    run_ctx c = {.r = o.r};
    sb_inbound ev[BENCH_BATCH];
    char rooms[BENCH_BATCH][32];
    int64_t now = a->start;
    int rc = 0;
    for (long p = 0, b = 0; p < a->people && rc == 0; b++, now += STEP) {
        size_t n = 0;
        for (; n < BENCH_BATCH && p < a->people; n++, p++) {
            snprintf(rooms[n], sizeof rooms[n], "person%ld", p);
            ev[n] = (sb_inbound){.kind = SB_IN_MESSAGE, .room = rooms[n], .sender = rooms[n],
                                 .text = "hi", .direct = 1};
        }
        rc = one_batch(&c, ev, n, b, now);
    }
    res->end = now;
    if (rc == 0 && router_flush(o.r, now) != SB_OK)
        rc = -1;
    close_all(&o);
    return rc;
}

/* Times engine_step alone (engine_step_take, on a state just read, as the router calls it)
 * on the states the run left, for people and lines drawn as in the run. Returns 0 and the p50/p99 in seconds. */
static int time_steps(opened *o, long people, int64_t now, double *p50, double *p99)
{
    double *us = malloc(STEP_SAMPLES * sizeof *us);
    uint64_t rng = 0xD1B54A32D192ED03ULL;
    size_t n = 0;
    if (!us)
        return -1;
    for (long i = 0; i < STEP_SAMPLES; i++) {
        char who[32], *saved = NULL;
        int64_t id;
        snprintf(who, sizeof who, "person%ld", (long)(bench_random(&rng) % (uint64_t)people));
        if (store_person_find(o->st, "bench", who, &id) != SB_OK ||
            store_state_load(o->st, id, &saved) != SB_OK)
            continue;
        json_t *state = saved ? json_loads(saved, 0, NULL) : engine_new_state();
        free(saved);
        if (!state)
            continue;
        sb_input in = {.text = lines[bench_random(&rng) % NLINES], .now = now, .user = who};
        sb_step step;
        double t0 = bench_now();
        int rc = engine_step_take(o->d, state, &in, &step); /* as the router steps */
        double t = bench_now() - t0;
        if (rc != SB_OK)
            continue;
        engine_step_free(&step);
        us[n++] = t;
    }
    *p50 = bench_quantile(us, n, 0.5);
    *p99 = bench_quantile(us, n, 0.99);
    free(us);
    return n ? 0 : -1;
}

/* What the run left: average state size, outbox rows, file size. */
static void inspect(const char *path, core_result *res)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT (SELECT avg(length(state)) FROM sessions),"
                               " (SELECT count(*) FROM outbox)", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
        res->state_bytes = sqlite3_column_double(q, 0);
        res->outbox_rows = (long)sqlite3_column_int64(q, 1);
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    struct stat sb;
    if (stat(path, &sb) == 0)
        res->db_mib = (double)sb.st_size / (1024.0 * 1024.0);
}

static int run(void *arg, void *out)
{
    const core_args *a = arg;
    core_result *res = out;
    opened o;
    if (open_all(a->path, &o) != 0)
        return -1;
    long nbatches = (a->messages + BENCH_BATCH - 1) / BENCH_BATCH;
    double *lat = malloc((size_t)nbatches * sizeof *lat);
    size_t *sizes = malloc((size_t)nbatches * sizeof *sizes);
    run_ctx c = {.r = o.r};
    sb_inbound ev[BENCH_BATCH];
    char rooms[BENCH_BATCH][32];
    uint64_t who_rng = 0x9E3779B97F4A7C15ULL, line_rng = 0x2545F4914F6CDD1DULL;
    int rc = lat && sizes ? 0 : -1;
    long done = 0;
    int64_t now = a->start;
    int64_t st0 = store_statements_run(o.st);
    double cpu0 = bench_cpu(), t0 = bench_now();
    for (long b = 0; b < nbatches && rc == 0; b++, now += STEP) {
        size_t n = 0;
        for (; n < BENCH_BATCH && done + (long)n < a->messages; n++) {
            long who = (long)(bench_random(&who_rng) % (uint64_t)a->people);
            snprintf(rooms[n], sizeof rooms[n], "person%ld", who);
            ev[n] = (sb_inbound){.kind = SB_IN_MESSAGE, .room = rooms[n], .sender = rooms[n],
                                 .text = (char *)lines[bench_random(&line_rng) % NLINES],
                                 .direct = 1};
        }
        double bt = bench_now();
        rc = one_batch(&c, ev, n, b, now);
        lat[b] = bench_now() - bt;
        sizes[b] = n;
        done += (long)n;
    }
    res->seconds = bench_now() - t0;
    res->cpu = bench_cpu() - cpu0;
    res->rss_mib = bench_peak_rss_mib();
    if (rc == 0 && router_flush(o.r, now) != SB_OK)
        rc = -1;
    res->statements = done ? (double)(store_statements_run(o.st) - st0) / (double)done : 0;
    res->messages = done;
    res->replies = c.replies;
    res->reply_bytes = c.replies ? c.reply_bytes / (double)c.replies : 0;
    res->end = now;
    /* What a message waits: it arrived while the batch before was in hand (the adapter
     * asks for the next only after that commit), evenly spread over it, then waits for
     * its own batch to commit before its reply goes out. */
    double *wait = rc == 0 ? malloc((size_t)done * sizeof *wait) : NULL;
    size_t k = 0;
    for (long b = 0; wait && b < nbatches; b++)
        for (size_t i = 0; i < sizes[b]; i++) {
            double before = b > 0 ? lat[b - 1] * (1.0 - ((double)i + 0.5) / (double)sizes[b]) : 0;
            wait[k++] = before + lat[b];
        }
    res->wait_p50 = bench_quantile(wait, k, 0.5);
    res->wait_p99 = bench_quantile(wait, k, 0.99);
    res->batch_p50 = bench_quantile(lat, (size_t)nbatches, 0.5);
    res->batch_p99 = bench_quantile(lat, (size_t)nbatches, 0.99);
    free(wait);
    free(lat);
    free(sizes);
    if (rc == 0 && time_steps(&o, a->people, now, &res->step_p50, &res->step_p99) != 0)
        rc = -1;
    close_all(&o);
    inspect(a->path, res);
    return rc;
}

typedef struct size_figures {
    long people;
    double rate, floor_rate, ratio, batch_p50, batch_p99, wait_p50, wait_p99;
    double step_p50, step_p99, cpu_us, floor_cpu_us, rss, floor_batch_p99, state_b, reply_b;
    double outbox, stmts, db_mib;
} size_figures;

/* Seeds a store for people, then runs securebase and the floor in turn, runs times. */
static int measure(const char *dir, long people, long messages, long runs, size_figures *f)
{
    char seeded[300], path[300], floor_seeded[300];
    snprintf(seeded, sizeof seeded, "%s/seed-%ld.db", dir, people);
    snprintf(floor_seeded, sizeof floor_seeded, "%s/floor-seed-%ld.db", dir, people);
    snprintf(path, sizeof path, "%s/run.db", dir);
    core_args sa = {seeded, people, 0, START};
    core_result seeded_at;
    double t0 = bench_now();
    if (bench_in_child(seed, &sa, &seeded_at, sizeof seeded_at) != 0)
        return -1;
    printf("   %ld people seeded in %.1f s\n", people, bench_now() - t0);
    double v[17][RUNS_MAX];
    int rc = 0;
    for (long r = 0; r < runs && rc == 0; r++) {
        core_result cr;
        floor_result fr;
        core_args ca = {path, people, messages, seeded_at.end};
        bench_unlink_db(path);
        rc = bench_copy(seeded, path) || bench_in_child(run, &ca, &cr, sizeof cr);
        if (rc == 0) {
            /* the floor writes what this run wrote: its sizes of states and replies */
            floor_args fa = {path, people, messages, (size_t)cr.state_bytes,
                             (size_t)cr.reply_bytes, seeded_at.end, STEP};
            bench_unlink_db(path);
            if (r == 0)
                rc = floor_seed(floor_seeded, people, fa.state_bytes, START);
            rc = rc || bench_copy(floor_seeded, path) ||
                 bench_in_child(floor_run, &fa, &fr, sizeof fr);
        }
        if (rc != 0)
            break;
        double core_rate = (double)cr.messages / cr.seconds;
        double floor_rate = (double)fr.messages / fr.seconds;
        double row[17] = {core_rate, floor_rate, core_rate / floor_rate, cr.batch_p50,
                          cr.batch_p99, cr.wait_p50, cr.wait_p99, cr.step_p50, cr.step_p99,
                          cr.cpu / (double)cr.messages, fr.cpu / (double)fr.messages,
                          cr.rss_mib, fr.batch_p99, cr.state_bytes, cr.reply_bytes,
                          (double)cr.outbox_rows, cr.statements};
        for (int i = 0; i < 17; i++)
            v[i][r] = row[i];
        printf("   run %ld: %.0f messages/s, floor %.0f/s (ratio %.2f), batch p99 %.2f ms, "
               "outbox %ld rows, file %.1f MiB\n",
               r + 1, core_rate, floor_rate, core_rate / floor_rate, cr.batch_p99 * 1e3,
               cr.outbox_rows, cr.db_mib);
        fflush(stdout);
    }
    bench_unlink_db(path);
    bench_unlink_db(seeded);
    bench_unlink_db(floor_seeded);
    if (rc != 0)
        return -1;
    size_t n = (size_t)runs;
    *f = (size_figures){people, bench_median(v[0], n), bench_median(v[1], n),
                        bench_median(v[2], n), bench_median(v[3], n), bench_median(v[4], n),
                        bench_median(v[5], n), bench_median(v[6], n), bench_median(v[7], n),
                        bench_median(v[8], n), bench_median(v[9], n), bench_median(v[10], n),
                        bench_median(v[11], n), bench_median(v[12], n), bench_median(v[13], n),
                        bench_median(v[14], n), bench_median(v[15], n), bench_median(v[16], n),
                        0};
    return 0;
}

int main(void)
{
    long messages = bench_env_long("BENCH_MESSAGES", 100000);
    long runs = bench_env_long("BENCH_RUNS", 3);
    const char *env = getenv("BENCH_SIZES");
    char list[128];
    snprintf(list, sizeof list, "%s", env && *env ? env : "1000,10000,100000");
    if (runs > RUNS_MAX)
        runs = RUNS_MAX;
    char dir[] = "/tmp/sb-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    size_figures figs[SIZES_MAX];
    size_t nsizes = 0;
    int rc = 0;
    printf("   %ld messages per run in batches of %d, medians of %ld runs, each in a fresh "
           "process; the floor (floor.h) measured in the same run\n",
           messages, BENCH_BATCH, runs);
    for (char *p = list, *comma; p && *p && nsizes < SIZES_MAX && rc == 0;
         p = comma ? comma + 1 : NULL) {
        comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        long people;
        if (sb_parse_long(p, 1, 100000000L, &people) != SB_OK)
            continue;
        rc = measure(dir, people, messages, runs, &figs[nsizes]);
        if (rc == 0)
            nsizes++;
    }
    rmdir(dir);
    printf("   %8s %9s %9s %5s %17s %17s %17s %11s %9s %8s %7s %9s\n", "people", "msgs/s",
           "floor/s", "ratio", "batch p50/p99 ms", "waits p50/p99 ms", "engine p50/p99 us",
           "CPU us/msg", "floor CPU", "peak RSS", "outbox", "stmts/msg");
    const size_figures *head = nsizes ? &figs[0] : NULL;
    for (size_t i = 0; i < nsizes; i++) {
        const size_figures *f = &figs[i];
        printf("   %8ld %9.0f %9.0f %5.2f %8.2f %8.2f %8.2f %8.2f %8.1f %8.1f %11.1f %9.1f "
               "%6.1fMi %7.0f %9.2f\n",
               f->people, f->rate, f->floor_rate, f->ratio, f->batch_p50 * 1e3,
               f->batch_p99 * 1e3, f->wait_p50 * 1e3, f->wait_p99 * 1e3, f->step_p50 * 1e6,
               f->step_p99 * 1e6, f->cpu_us * 1e6, f->floor_cpu_us * 1e6, f->rss, f->outbox,
               f->stmts);
        if (f->people == 10000)
            head = f;
    }
    if (head) {
        printf("   (%.0f people: states %.0f B and replies %.0f B on average; floor batch p99 "
               "%.2f ms)\n",
               (double)head->people, head->state_b, head->reply_b, head->floor_batch_p99 * 1e3);
        printf("floor ratio: %.2f\n", head->ratio);
        printf("engine step: p50 %.0f us, p99 %.0f us\n", head->step_p50 * 1e6,
               head->step_p99 * 1e6);
        printf("batch of %d: p50 %.2f ms, p99 %.2f ms; a message waits p50 %.2f ms, p99 %.2f ms; "
               "CPU %.1f us/message; peak RSS %.1f MiB; %.2f statements/message\n",
               BENCH_BATCH, head->batch_p50 * 1e3, head->batch_p99 * 1e3, head->wait_p50 * 1e3,
               head->wait_p99 * 1e3, head->cpu_us * 1e6, head->rss, head->stmts);
    }
    return rc == 0 ? 0 : 1;
}
