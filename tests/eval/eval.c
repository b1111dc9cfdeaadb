/* eval.c — how well understanding understands (make eval): k-fold cross-validation of the
 * intent classifier on the examples of dialogs/intents/, with per-intent precision and
 * recall, the most confused pairs and how sure/margin thresholds would have done; then the
 * held-out file (tests/understand/heldout.tsv: intent TAB utterance, never trained on):
 * top-1 accuracy of the model trained on all examples, over every line and over the lines
 * that are not also an example word for word (short acts like "thanks" or "help" are
 * written alike by independent writers; the second figure is the honest one), and, through
 * the real engine, how many held-out vent lines would get commands.json "fallback". Figures only; exit 0
 * unless something could not be read. Usage: eval [dialogs-dir] [heldout.tsv] [folds];
 * EVAL_CV_MISSES=1 also lists every example cross-validation misses. The lines a file named
 * heldout misses are never printed (a dev file's are). */
#include "dialog.h"
#include "engine.h"
#include "intent.h"
#include "sb.h"
#include "text.h"
#include "understand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FOLDS_DEFAULT 5
#define PAIRS_SHOWN 12
#define LINE_MAX_LEN 1024

typedef struct guessed {
    size_t truth, top, second;
    double p1, p2;
} guessed;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t index_of(const json_t *examples, const char *name)
{
    size_t i = 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)examples, key, v) {
        if (strcmp(key, name) == 0)
            return i;
        i++;
    }
    return (size_t)-1;
}

static const char *name_at(const json_t *examples, size_t at)
{
    size_t i = 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)examples, key, v) {
        if (i++ == at)
            return key;
    }
    return "?";
}

/* Cross-validation: fills g (one per example) and returns how many. */
static size_t cross_validate(const json_t *examples, normalizer *n, double c, int folds, guessed *g)
{
    size_t count = 0;
    for (int fold = 0; fold < folds; fold++) {
        json_t *train = json_object();
        const char *name;
        const json_t *list;
        json_object_foreach((json_t *)examples, name, list) {
            json_t *keep = json_array();
            size_t i;
            const json_t *u;
            json_array_foreach(list, i, u) {
                if ((int)(i % (size_t)folds) != fold)
                    json_array_append(keep, (json_t *)u);
            }
            json_object_set_new(train, name, keep);
        }
        intent_model *m = NULL;
        if (intent_train(n, train, c, &m) != SB_OK) {
            fprintf(stderr, "eval: training fold %d failed\n", fold);
            exit(1);
        }
        json_object_foreach((json_t *)examples, name, list) {
            size_t i;
            const json_t *u;
            json_array_foreach(list, i, u) {
                if ((int)(i % (size_t)folds) != fold)
                    continue;
                intent_guess top[INTENT_TOP_MAX];
                size_t got = intent_classify(m, n, json_string_value(u), top, INTENT_TOP_MAX);
                guessed *x = &g[count++];
                x->truth = index_of(examples, name);
                x->top = got ? index_of(examples, top[0].intent) : (size_t)-1;
                x->second = got > 1 ? index_of(examples, top[1].intent) : (size_t)-1;
                x->p1 = got ? top[0].p : 0;
                x->p2 = got > 1 ? top[1].p : 0;
                if (x->top != x->truth && getenv("EVAL_CV_MISSES")) /* to read and fix examples */
                    printf("cv miss: %s -> %s %.2f: %s\n", name, got ? top[0].intent : "-", x->p1,
                           json_string_value(u));
            }
        }
        intent_free(m);
        json_decref(train);
    }
    return count;
}

typedef struct pair {
    size_t a, b;
    long n;
} pair;

static int by_count(const void *x, const void *y)
{
    const pair *a = x, *b = y;
    return a->n < b->n ? 1 : a->n > b->n ? -1 : 0;
}

static void report(const json_t *examples, const guessed *g, size_t count)
{
    size_t k = json_object_size(examples);
    long *tp = calloc(k, sizeof *tp), *fp = calloc(k, sizeof *fp), *fn = calloc(k, sizeof *fn);
    long *confused = calloc(k * k, sizeof *confused);
    long right = 0;
    for (size_t i = 0; i < count; i++) {
        if (g[i].top == g[i].truth) {
            tp[g[i].truth]++;
            right++;
        } else {
            fn[g[i].truth]++;
            if (g[i].top < k) {
                fp[g[i].top]++;
                confused[g[i].truth * k + g[i].top]++;
            }
        }
    }
    printf("%-22s %9s %9s %6s\n", "intent", "precision", "recall", "n");
    for (size_t i = 0; i < k; i++) {
        double p = tp[i] + fp[i] ? (double)tp[i] / (double)(tp[i] + fp[i]) : 0;
        double r = tp[i] + fn[i] ? (double)tp[i] / (double)(tp[i] + fn[i]) : 0;
        printf("%-22s %8.1f%% %8.1f%% %6ld%s\n", name_at(examples, i), 100 * p, 100 * r,
               tp[i] + fn[i], p < 0.8 || r < 0.8 ? "  <- weak" : "");
    }
    pair *pairs = calloc(k * k, sizeof *pairs);
    size_t np = 0;
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b < k; b++)
            if (confused[a * k + b])
                pairs[np++] = (pair){a, b, confused[a * k + b]};
    qsort(pairs, np, sizeof *pairs, by_count);
    printf("\nmost confused (truth -> guessed):\n");
    for (size_t i = 0; i < np && i < PAIRS_SHOWN; i++)
        printf("  %3ld  %s -> %s\n", pairs[i].n, name_at(examples, pairs[i].a),
               name_at(examples, pairs[i].b));
    printf("\ncross-validated top-1 accuracy: %.1f%% (%ld of %zu)\n",
           count ? 100.0 * (double)right / (double)count : 0.0, right, count);
    printf("\nthresholds (sure = p1 >= sure and p1 - p2 >= margin): share routed without asking, "
           "and how often that was right\n");
    static const double sures[] = {0.3, 0.4, 0.5, 0.6, 0.7};
    static const double margins[] = {0.0, 0.1, 0.2, 0.3};
    for (size_t s = 0; s < sizeof sures / sizeof *sures; s++) {
        printf("  sure %.2f:", sures[s]);
        for (size_t m = 0; m < sizeof margins / sizeof *margins; m++) {
            long routed = 0, ok = 0;
            for (size_t i = 0; i < count; i++) {
                if (g[i].p1 >= sures[s] && g[i].p1 - g[i].p2 >= margins[m]) {
                    routed++;
                    ok += g[i].top == g[i].truth;
                }
            }
            printf("  margin %.1f: %5.1f%% routed, %5.1f%% right", margins[m],
                   count ? 100.0 * (double)routed / (double)count : 0.0,
                   routed ? 100.0 * (double)ok / (double)routed : 0.0);
        }
        printf("\n");
    }
    long in_two = 0;
    for (size_t i = 0; i < count; i++)
        in_two += g[i].top == g[i].truth || g[i].second == g[i].truth;
    printf("  the right intent among the top two: %.1f%%\n",
           count ? 100.0 * (double)in_two / (double)count : 0.0);
    free(pairs);
    free(confused);
    free(tp);
    free(fp);
    free(fn);
}

/* 1 when one of the step's replies is a variant of commands.json "fallback". */
static int is_fallback(const sb_dialogs *d, const sb_step *st)
{
    const json_t *fallback = json_object_get(dialogs_data(d, "commands"), "fallback");
    for (size_t r = 0; r < st->nreplies; r++) {
        size_t i;
        const json_t *f;
        json_array_foreach(fallback, i, f) {
            if (strstr(st->replies[r], json_string_value(f)))
                return 1;
        }
    }
    return 0;
}

/* 1 when text, in phrase form, is one of the examples of any intent word for word. */
static int is_example(const json_t *examples, const char *text)
{
    char *want = text_norm_phrase(text);
    int found = 0;
    const char *name;
    const json_t *list;
    json_object_foreach((json_t *)examples, name, list) {
        size_t i;
        const json_t *u;
        json_array_foreach(list, i, u) {
            char *have = text_norm_phrase(json_string_value(u));
            found = want && have && strcmp(want, have) == 0;
            free(have);
            if (found)
                break;
        }
        if (found)
            break;
    }
    free(want);
    return found;
}

static void heldout(const sb_dialogs *d, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        printf("\nheld-out: %s not found, skipped\n", path);
        return;
    }
    const json_t *examples = dialogs_examples(d);
    char line[LINE_MAX_LEN];
    long total = 0, right = 0, unknown = 0, vents = 0, vent_fallbacks = 0, fallbacks = 0;
    long unseen = 0, unseen_right = 0;
    json_t *state = json_pack("{s:i, s:b, s:i, s:[], s:s}", "v", 1, "met", 1, "turn", 0, "stack",
                              "consent", "yes");
    /* the lines a held-out file misses are never shown: read, they would be tuned to (a dev
     * file's are, to read and fix examples by) */
    int show = strstr(path, "heldout") == NULL;
    if (show)
        printf("\nmisses of %s (truth -> guessed p):\n", path);
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab || line[0] == '#')
            continue;
        *tab = '\0';
        const char *truth = line, *text = tab + 1;
        if (index_of(examples, truth) == (size_t)-1) {
            unknown++;
            continue;
        }
        total++;
        intent_guess top[INTENT_TOP_MAX];
        size_t got = understand_guess(d, text, top);
        int hit = got && strcmp(top[0].intent, truth) == 0;
        int seen = is_example(examples, text);
        right += hit;
        unseen += !seen;
        unseen_right += hit && !seen;
        if (!hit && show)
            printf("  %s -> %s %.2f: %s\n", truth, got ? top[0].intent : "-", got ? top[0].p : 0.0, text);
        sb_input in = {text, 1767225600, 0, "eval"};
        sb_step st;
        if (engine_step(d, state, &in, &st) == SB_OK) {
            int fb = is_fallback(d, &st);
            fallbacks += fb;
            if (strcmp(truth, "vent") == 0 || strcmp(truth, "listen") == 0) {
                vents++;
                vent_fallbacks += fb;
            }
            engine_step_free(&st);
        }
    }
    fclose(fp);
    json_decref(state);
    printf("\nheld-out top-1 accuracy: %.1f%% (%ld of %ld; %ld lines of unknown intents skipped)\n",
           total ? 100.0 * (double)right / (double)total : 0.0, right, total, unknown);
    printf("held-out top-1 on lines that are no example word for word: %.1f%% (%ld of %ld)\n",
           unseen ? 100.0 * (double)unseen_right / (double)unseen : 0.0, unseen_right, unseen);
    printf("held-out lines answered with a fallback when nothing waits: %ld of %ld "
           "(vent and listen lines: %ld of %ld)\n",
           fallbacks, total, vent_fallbacks, vents);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "dialogs";
    const char *held = argc > 2 ? argv[2] : "tests/understand/heldout.tsv";
    long folds = FOLDS_DEFAULT;
    if (argc > 3 && sb_parse_long(argv[3], 2, 20, &folds) != SB_OK)
        folds = FOLDS_DEFAULT;
    double t0 = now_s();
    sb_dialogs *d = NULL;
    if (dialogs_load(dir, &d, NULL, NULL) != SB_OK) {
        fprintf(stderr, "eval: %s does not load (run securebase --check-dialogs)\n", dir);
        return 1;
    }
    double t1 = now_s();
    const json_t *examples = dialogs_examples(d);
    size_t total = 0;
    const char *name;
    const json_t *list;
    json_object_foreach((json_t *)examples, name, list)
        total += json_array_size(list);
    double c = understand_cost(dialogs_data(d, "understanding"));
    printf("%zu intents, %zu examples, %zu features; loading and training took %.0f ms (C = %g)\n\n",
           json_object_size(examples), total, intent_features(dialogs_intents(d)),
           1000 * (t1 - t0), c);
    guessed *g = calloc(total ? total : 1, sizeof *g);
    size_t count = cross_validate(examples, dialogs_normalizer(d), c, (int)folds, g);
    printf("%ld-fold cross-validation on the examples:\n", folds);
    report(examples, g, count);
    heldout(d, held);
    free(g);
    dialogs_free(d);
    return 0;
}
