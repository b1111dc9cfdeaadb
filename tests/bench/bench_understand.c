/* bench_understand.c — the understanding step's cost per message (issue 9): normalising,
 * the intent model's guesses and the language check, as route.c asks them, over a mix of
 * short and long messages in several languages. Prints median and p99 in microseconds and
 * the time loading (and training, or reading the cached model) took. Never asserted.
 * Size: BENCH_UNDERSTAND (default 20,000 messages). */
#include "dialog.h"
#include "sb.h"
#include "understand.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

static const char *const lines[] = {
    "bye", "👍", "thank you ❤️", "hello again", "idk", "ok",
    "why do i always bail when things get good",
    "she texted 'we need to talk' and i haven't answered in two days",
    "sad. ashamed. kind of numb", "i feel like garbage", "should I break up with him?",
    "My partner said she wants us to move in together and I felt my chest go tight and "
    "I changed the subject and now she's upset and I don't even know what I want",
    "Hola, no sé qué hacer, siempre me alejo de la gente que quiero",
    "can you remind me every morning at 8", "what is avoidant attachment",
};

int main(void)
{
    const char *v = getenv("BENCH_UNDERSTAND");
    long n = 20000;
    if (v && sb_parse_long(v, 1, 10000000L, &n) != SB_OK)
        n = 20000;
    const char *cache = getenv("SECUREBASE_MODEL_CACHE");
    if (understand_set_cache(cache ? cache : "build/model-cache") != SB_OK)
        return 1;
    double t0 = now_s();
    sb_dialogs *d = NULL;
    if (dialogs_load("dialogs", &d, NULL, NULL) != SB_OK) {
        fprintf(stderr, "bench_understand: cannot load dialogs/\n");
        return 1;
    }
    double loaded = now_s() - t0;
    double *us = malloc((size_t)n * sizeof *us);
    if (!us)
        return 1;
    size_t nlines = sizeof lines / sizeof lines[0];
    long sink = 0;
    for (long i = 0; i < n; i++) {
        const char *text = lines[(size_t)i % nlines];
        intent_guess g[INTENT_TOP_MAX];
        const char *codes[2];
        double a = now_s();
        sink += (long)understand_guess(d, text, g);
        sink += (long)understand_language(d, text, codes, 2);
        us[i] = (now_s() - a) * 1e6;
    }
    qsort(us, (size_t)n, sizeof *us, cmp_double);
    printf("understanding per message (normalise, intents, language): p50 %.1f us, p99 %.1f us "
           "over %ld messages (%zu intents; loading with training or the cached model: %.0f ms)\n",
           us[n / 2], us[(size_t)((double)n * 0.99)], n, intent_count(dialogs_intents(d)),
           loaded * 1e3);
    free(us);
    dialogs_free(d);
    understand_set_cache(NULL);
    return sink < 0;
}
