/* bench_step.c — engine_step alone, with no store: BENCH_STEP_PEOPLE (200) people kept in
 * memory say BENCH_STEP_MESSAGES (20,000) lines drawn as bench_core draws them, each step on
 * the state the one before left (engine_step_take, as the router steps: no copy of it). Prints the step's p50/p99 and a hash (FNV-1a) of every
 * reply, effect and state in order: a change meant only to make the engine faster must leave
 * the hash as it was (compare it before and after; run it under
 * `valgrind --tool=callgrind --toggle-collect=engine_step_take` for a count of instructions that
 * a busy machine does not disturb). Never asserted. */
#include "bench.h"
#include "dialog.h"
#include "engine.h"
#include "lines.h"
#include "sb.h"
#include "text.h"
#include "understand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define START 1795000000

static uint64_t hash_str(const char *s, uint64_t h)
{
    return s ? text_hash(s, strlen(s) + 1, h) : text_hash("", 1, h ^ 1);
}

int main(void)
{
    long people = bench_env_long("BENCH_STEP_PEOPLE", 200);
    long messages = bench_env_long("BENCH_STEP_MESSAGES", 20000);
    const char *cache = getenv("SECUREBASE_MODEL_CACHE") ? getenv("SECUREBASE_MODEL_CACHE")
                                                          : "build/model-cache";
    mkdir(cache, 0700);
    sb_dialogs *d = NULL;
    json_t **states = calloc((size_t)people, sizeof *states);
    double *us = malloc((size_t)messages * sizeof *us);
    if (!states || !us || understand_set_cache(cache) != SB_OK ||
        dialogs_load("dialogs", &d, NULL, NULL) != SB_OK) {
        fprintf(stderr, "bench_step: cannot load dialogs/\n");
        return 1;
    }
    uint64_t who_rng = 0x9E3779B97F4A7C15ULL, line_rng = 0x2545F4914F6CDD1DULL;
    uint64_t h = TEXT_HASH_SEED;
    size_t n = 0;
    for (long i = 0; i < messages; i++) {
        long who = (long)(bench_random(&who_rng) % (uint64_t)people);
        char user[32];
        snprintf(user, sizeof user, "person%ld", who);
        if (!states[who])
            states[who] = engine_new_state();
        sb_input in = {.text = lines[bench_random(&line_rng) % NLINES],
                       .now = START + (int64_t)i * 3, .user = user};
        sb_step step;
        double t0 = bench_now();
        json_t *given = states[who]; /* given up to the step, as the router does */
        states[who] = NULL;
        int rc = engine_step_take(d, given, &in, &step);
        double t = bench_now() - t0;
        if (rc != SB_OK) {
            fprintf(stderr, "bench_step: engine_step failed (%d)\n", rc);
            return 1;
        }
        us[n++] = t;
        for (size_t k = 0; k < step.nreplies; k++)
            h = hash_str(step.replies[k], h);
        for (size_t k = 0; k < step.neffects; k++) {
            const sb_effect *e = &step.effects[k];
            h = text_hash(&e->kind, sizeof e->kind, h);
            h = hash_str(e->key, hash_str(e->value, text_hash(&e->number, sizeof e->number, h)));
        }
        char *dump = json_dumps(step.state, JSON_COMPACT | JSON_SORT_KEYS);
        h = hash_str(dump, h);
        free(dump);
        states[who] = step.state;
        step.state = NULL;
        engine_step_free(&step);
    }
    printf("   %ld messages from %ld people, states in memory, no store\n", messages, people);
    printf("engine step alone: p50 %.1f us, p99 %.1f us\n", bench_quantile(us, n, 0.5) * 1e6,
           bench_quantile(us, n, 0.99) * 1e6);
    printf("replies hash: %016llx\n", (unsigned long long)h);
    for (long i = 0; i < people; i++)
        json_decref(states[i]);
    free(states);
    free(us);
    dialogs_free(d);
    understand_set_cache(NULL);
    return 0;
}
