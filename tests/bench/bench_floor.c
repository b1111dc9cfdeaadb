/* bench_floor.c — the floor alone (floor.h): how fast this machine does only the durable
 * writes securebase needs (per batch of 100 one transaction upserting 100 engine states and
 * inserting 100 outbox rows, with the resume position; WAL, the store's settings). Each run
 * in a fresh process on a freshly seeded store; medians of BENCH_RUNS (3). bench_core
 * measures it again beside securebase and prints the ratio. Sizes: BENCH_PEOPLE (10,000),
 * BENCH_MESSAGES (100,000), BENCH_STATE_BYTES and BENCH_REPLY_BYTES (what securebase
 * writes on average; bench_core prints its own). Figures only, never asserted. */
#include "bench.h"
#include "floor.h"

#include <stdio.h>

#define RUNS_MAX 15

int main(void)
{
    long people = bench_env_long("BENCH_PEOPLE", 10000);
    long messages = bench_env_long("BENCH_MESSAGES", 100000);
    long runs = bench_env_long("BENCH_RUNS", 3);
    size_t state_bytes = (size_t)bench_env_long("BENCH_STATE_BYTES", 330);
    size_t reply_bytes = (size_t)bench_env_long("BENCH_REPLY_BYTES", 420);
    if (runs > RUNS_MAX)
        runs = RUNS_MAX;
    char dir[] = "/tmp/sb-bench-floor-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char seed[300], path[300];
    snprintf(seed, sizeof seed, "%s/seed.db", dir);
    snprintf(path, sizeof path, "%s/run.db", dir);
    int64_t start = 1795000000;
    if (floor_seed(seed, people, state_bytes, start) != 0) {
        fprintf(stderr, "bench_floor: cannot seed %s\n", seed);
        return 1;
    }
    double rate[RUNS_MAX], p50[RUNS_MAX], p99[RUNS_MAX], cpu[RUNS_MAX];
    int failed = 0;
    for (long r = 0; r < runs; r++) {
        floor_result res;
        floor_args a = {path, people, messages, state_bytes, reply_bytes, start + 3600, 300};
        bench_unlink_db(path);
        if (bench_copy(seed, path) != 0 || bench_in_child(floor_run, &a, &res, sizeof res) != 0) {
            failed = 1;
            break;
        }
        rate[r] = (double)res.messages / res.seconds;
        p50[r] = res.batch_p50;
        p99[r] = res.batch_p99;
        cpu[r] = res.cpu / (double)res.messages;
    }
    bench_unlink_db(path);
    bench_unlink_db(seed);
    rmdir(dir);
    if (failed) {
        fprintf(stderr, "bench_floor: a run failed\n");
        return 1;
    }
    printf("floor (%ld people, %ld messages, states %zu B, replies %zu B; medians of %ld "
           "runs): %.0f messages/s, batch p50 %.2f ms, p99 %.2f ms, CPU %.1f us/message\n",
           people, messages, state_bytes, reply_bytes, runs, bench_median(rate, (size_t)runs),
           bench_median(p50, (size_t)runs) * 1e3, bench_median(p99, (size_t)runs) * 1e3,
           bench_median(cpu, (size_t)runs) * 1e6);
    return 0;
}
