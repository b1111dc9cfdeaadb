/* bench.h — what the benchmarks share: a monotonic clock, CPU time, percentiles, sizes from
 * the environment, and running one measurement in a child process of its own (so its peak
 * RSS and CPU are its own, and a noisy neighbour run cannot warm its caches). Header-only:
 * each bench_*.c is one program. Figures only; nothing here asserts. */
#ifndef SB_BENCH_H
#define SB_BENCH_H

#include "sb.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_BATCH 100 /* messages per batch, as a busy adapter delivers them */

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User plus system CPU seconds of this process so far. */
static inline double bench_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Peak resident set of this process, MiB. */
static inline double bench_peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of v[0..n), which it sorts. 0 for n == 0. */
static inline double bench_quantile(double *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, bench_cmp_double);
    size_t i = (size_t)(q * (double)n);
    return v[i < n ? i : n - 1];
}

/* The median of three or more figures (copied, not sorted in place). */
static inline double bench_median(const double *v, size_t n)
{
    double c[16];
    if (n > 16)
        n = 16;
    memcpy(c, v, n * sizeof *v);
    return bench_quantile(c, n, 0.5);
}

static inline long bench_env_long(const char *name, long def)
{
    const char *v = getenv(name);
    long n;
    return v && sb_parse_long(v, 1, 100000000L, &n) == SB_OK ? n : def;
}

/* The xorshift generator every bench uses, so that the floor and securebase see the same
 * people in the same order. */
static inline uint64_t bench_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* Runs fn(arg, out) in a child process and copies its result struct (size bytes) back
 * through a pipe. Returns 0, or -1 when the child failed (out is then zeroed). */
static inline int bench_in_child(int (*fn)(void *arg, void *out), void *arg, void *out,
                                 size_t size)
{
    int fds[2];
    memset(out, 0, size);
    fflush(stdout);
    fflush(stderr);
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        int rc = fn(arg, out);
        size_t done = 0;
        while (rc == 0 && done < size) {
            ssize_t w = write(fds[1], (char *)out + done, size - done);
            if (w <= 0)
                rc = -1;
            else
                done += (size_t)w;
        }
        fflush(stdout);
        fflush(stderr);
        _exit(rc == 0 ? 0 : 1);
    }
    close(fds[1]);
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fds[0], (char *)out + got, size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got != size || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        memset(out, 0, size);
        return -1;
    }
    return 0;
}

/* Copies file from to to (the seeded store each run starts from). Returns 0 or -1. */
static inline int bench_copy(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[1 << 16];
    size_t n;
    int rc = in && out ? 0 : -1;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        rc = -1;
    return rc;
}

/* Removes a store file with its -wal and -shm. */
static inline void bench_unlink_db(const char *path)
{
    char side[512];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

#endif
