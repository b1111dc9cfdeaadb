/* bench_safety.c — the crisis check's cost per message (issue 10): it runs on every message,
 * before anything else. The rules on the folded text and, when they find nothing, the
 * classifier (sentence by sentence for longer messages), as engine_step asks them, over a
 * mix of ordinary, look-alike and crisis messages, short and long, in several languages.
 * Prints median and p99 in microseconds, for the whole check and for messages the rules
 * settle alone. Never asserted. Size: BENCH_SAFETY (default 20,000 messages). */
#include "crisis.h"
#include "dialog.h"
#include "safety.h"
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
    "hi", "ok", "2", "next", "idk", "thanks 👍", "this deadline is killing me",
    "i cut my bangs and now i regret everything", "my mom will murder me if i'm late lol",
    "I want to kill myself", "he choked me last night and said next time he'll finish it",
    "i have the pills in front of me and i'm going to take them tonight",
    "ya no quiero vivir, estoy cansada de todo", "ich will einfach nicht mehr leben",
    "ｉ ｗａｎｔ ｔｏ ｄｉｅ", "i want to d😭ie",
    "My partner said she wants us to move in together and I felt my chest go tight. I changed "
    "the subject. Now she's upset and I don't even know what I want. Work was awful too. I "
    "just keep going through the motions, honestly I don't know why I'm still here.",
    "we fought about the dishes again and i went quiet for two days, classic me",
};

static void figures(const char *what, double *us, long n)
{
    if (n == 0)
        return;
    qsort(us, (size_t)n, sizeof *us, cmp_double);
    printf("  %s: p50 %.1f us, p99 %.1f us over %ld messages\n", what, us[n / 2],
           us[(size_t)((double)n * 0.99)], n);
}

int main(void)
{
    const char *v = getenv("BENCH_SAFETY");
    long n = 20000;
    if (v && sb_parse_long(v, 1, 10000000L, &n) != SB_OK)
        n = 20000;
    const char *cache = getenv("SECUREBASE_MODEL_CACHE");
    if (understand_set_cache(cache ? cache : "build/model-cache") != SB_OK)
        return 1;
    double t0 = now_s();
    sb_dialogs *d = NULL;
    if (dialogs_load("dialogs", &d, NULL, NULL) != SB_OK) {
        fprintf(stderr, "bench_safety: cannot load dialogs/\n");
        return 1;
    }
    double loaded = now_s() - t0;
    double *all = malloc((size_t)n * sizeof *all), *rules = malloc((size_t)n * sizeof *rules);
    if (!all || !rules)
        return 1;
    size_t nlines = sizeof lines / sizeof lines[0];
    long sink = 0, nrules = 0;
    for (long i = 0; i < n; i++) {
        const char *text = lines[(size_t)i % nlines];
        double a = now_s();
        sink += safety_check(d, text);
        all[i] = (now_s() - a) * 1e6;
        a = now_s();
        sink += crisis_match(dialogs_crisis_matcher(d), text);
        rules[nrules++] = (now_s() - a) * 1e6;
    }
    printf("crisis check per message (loading with training or the cached model: %.0f ms):\n",
           loaded * 1e3);
    figures("rules and classifier (safety_check)", all, n);
    figures("rules alone (crisis_match, folded)", rules, nrules);
    free(all);
    free(rules);
    dialogs_free(d);
    understand_set_cache(NULL);
    return sink < -1000000000L;
}
