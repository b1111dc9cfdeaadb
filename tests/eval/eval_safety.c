/* eval_safety.c — how well the crisis check generalises (make eval): k-fold cross-validation
 * of the crisis classifier on the examples of dialogs/safety/, with the rules beside it as in the
 * coach, and a table of thresholds to choose crisis.json "classifier" "threshold" from
 * (for recall: the lowest threshold, so the most recall, whose cross-validated false
 * alarms stay within 5% of the look-alikes of none.txt and 1% of ordinary messages); then the held-out file (tests/crisis/heldout.tsv: category TAB
 * language TAB text, never trained on, never tuned to) through the real check
 * (engine_crisis_category): recall and false alarms per category and per language, and
 * what the check costs a message. Figures only, no held-out text is printed; exit 0 unless
 * something could not be read. Before it, the same through the dev set (tests/crisis/dev.tsv,
 * ours to read and tune against) and the false alarms on ordinary conversation: the
 * person's lines of tests/transcripts/ that want no crisis answer. EVAL_SAFETY_SHOW=1 prints
 * the misses and false alarms of all but the held-out file; EVAL_SAFETY_CV=0 skips the
 * cross-validation; EVAL_SAFETY_THRESHOLD=0.65 tries another threshold than crisis.json's.
 * Usage: eval_safety [dialogs-dir] [heldout.tsv] [folds]. */
#include "crisis.h"
#include "crisis_model.h"
#include "dialog.h"
#include "engine.h"
#include "intent.h"
#include "safety.h"
#include "sb.h"
#include "understand.h"

#include <stdio.h>
#include <stdlib.h>
#include <glob.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#define FOLDS_DEFAULT 5
#define LINE_MAX_LEN 2048
#define TARGET_FALSE 0.05  /* cross-validated false alarms on look-alikes the threshold allows */
#define TARGET_FALSE_CHAT 0.01 /* ... and on ordinary messages */
#define GROUPS_MAX 32

/* 1 when each line's verdict is printed (EVAL_SAFETY_SHOW=1; refused for a held-out file,
 * whose lines must never be looked at, and then also the cross-validated misses). */
static int show_lines;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_none(const char *category)
{
    return strcmp(category, CRISIS_MODEL_NONE) == 0 || strcmp(category, "chat") == 0;
}

/* One cross-validated example: its category, whether the rules caught it, and the
 * classifier's guess from a model that never saw it. */
typedef struct scored {
    const char *truth; /* category id or "none" (borrowed from the examples) */
    int rules;
    double p;
    int right_category; /* the category the check would answer with is the true one */
    char *text;         /* the example (owned; NULL unless shown with EVAL_SAFETY_SHOW) */
} scored;

/* Cross-validation over what the model learns from (crisis_model_examples): the safety
 * examples and the intents' examples as more of "none". The latter are reported as "chat"
 * (ordinary messages), none.txt as "none" (look-alikes). */
static size_t cross_validate(const sb_dialogs *d, long folds, double c, scored *s)
{
    json_t *examples = crisis_model_examples(dialogs_safety_examples(d), dialogs_examples(d));
    size_t lookalikes = json_array_size(json_object_get(dialogs_safety_examples(d), CRISIS_MODEL_NONE));
    const json_t *spellings = dialogs_data(d, "spellings");
    const json_t *concepts =
        json_object_get(json_object_get(dialogs_data(d, "crisis"), "classifier"), "concepts");
    size_t count = 0;
    for (long fold = 0; fold < folds; fold++) {
        json_t *train = json_object();
        const char *name;
        const json_t *list;
        json_object_foreach((json_t *)examples, name, list) {
            json_t *keep = json_array();
            size_t i;
            const json_t *u;
            json_array_foreach(list, i, u) {
                if ((long)(i % (size_t)folds) != fold)
                    json_array_append(keep, (json_t *)u);
            }
            json_object_set_new(train, name, keep);
        }
        crisis_model *m = NULL;
        if (crisis_model_new(train, spellings, c, concepts, dialogs_normalizer(d), &m) != SB_OK) {
            fprintf(stderr, "eval_safety: training fold %ld failed\n", fold);
            exit(1);
        }
        json_object_foreach((json_t *)examples, name, list) {
            size_t i;
            const json_t *u;
            json_array_foreach(list, i, u) {
                if ((long)(i % (size_t)folds) != fold)
                    continue;
                const char *text = json_string_value(u);
                scored *x = &s[count++];
                x->truth = is_none(name) && i >= lookalikes ? "chat" : name;
                x->text = show_lines ? sb_strndup(text, strlen(text)) : NULL;
                int figure = 0;
                int mask = crisis_check(dialogs_crisis_matcher(d), text, &figure);
                x->rules = mask != 0;
                crisis_guess g;
                crisis_model_guess(m, dialogs_normalizer(d), text, &g);
                x->p = figure ? 0 : g.p; /* as safety_check: a figure of speech is the rules' */
                const char *rule_cat =
                    mask > 0 ? json_string_value(json_object_get(
                                   safety_category(d, safety_primary(mask)), "id"))
                             : NULL;
                const char *cat = rule_cat ? rule_cat : g.category;
                x->right_category = cat && strcmp(cat, name) == 0;
            }
        }
        crisis_model_free(m);
        json_decref(train);
    }
    json_decref(examples);
    return count;
}


static void cv_report(const sb_dialogs *d, const scored *s, size_t n, double threshold)
{
    const json_t *examples = dialogs_safety_examples(d);
    printf("%-12s %6s %8s %10s %11s %9s\n", "category", "n", "rules", "classifier", "either",
           "category");
    const char *names[GROUPS_MAX];
    size_t nnames = 0;
    const char *key;
    const json_t *list;
    json_object_foreach((json_t *)examples, key, list) {
        if (nnames < GROUPS_MAX - 1)
            names[nnames++] = key;
    }
    names[nnames++] = "chat";
    for (size_t k = 0; k < nnames; k++) {
        const char *name = names[k];
        long total = 0, rules = 0, model = 0, either = 0, right = 0;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(s[i].truth, name) != 0)
                continue;
            int hit = s[i].p >= threshold;
            total++;
            rules += s[i].rules;
            model += hit;
            either += s[i].rules || hit;
            right += (s[i].rules || hit) && s[i].right_category;
        }
        const char *what = strcmp(name, "chat") == 0 ? "(false alarms, ordinary messages: intents/)"
                           : is_none(name)          ? "(false alarms, look-alikes)"
                                                    : "";
        printf("%-12s %6ld %7.1f%% %9.1f%% %10.1f%% %8.1f%% %s\n", name, total,
               100.0 * (double)rules / (double)(total ? total : 1),
               100.0 * (double)model / (double)(total ? total : 1),
               100.0 * (double)either / (double)(total ? total : 1),
               is_none(name) ? 0.0 : 100.0 * (double)right / (double)(total ? total : 1), what);
    }
}

/* The threshold table; returns the recommended threshold. */
static double thresholds(const scored *s, size_t n)
{
    printf("\nthresholds (cross-validated; recall over all crisis examples, false alarms over "
           "none.txt):\n");
    printf("  %9s %17s %17s %17s %17s\n", "threshold", "classifier recall", "rules|clf recall",
           "false: look-alike", "false: ordinary");
    double best = 0.95;
    for (int k = 19; k >= 1; k--) {
        double t = 0.05 * k;
        long pos = 0, neg = 0, clf = 0, either = 0, false_alarms = 0, chat = 0, chat_alarms = 0;
        for (size_t i = 0; i < n; i++) {
            int hit = s[i].p >= t;
            if (strcmp(s[i].truth, "chat") == 0) {
                chat++;
                chat_alarms += s[i].rules || hit;
            } else if (is_none(s[i].truth)) {
                neg++;
                false_alarms += s[i].rules || hit;
            } else {
                pos++;
                clf += hit;
                either += s[i].rules || hit;
            }
        }
        double recall = (double)either / (double)(pos ? pos : 1);
        if ((double)false_alarms <= TARGET_FALSE * (double)neg &&
            (double)chat_alarms <= TARGET_FALSE_CHAT * (double)chat && best <= t + 0.051)
            best = t; /* still within the false alarms allowed, going down */
        printf("  %9.2f %16.1f%% %16.1f%% %16.1f%% %16.1f%%\n", t,
               100.0 * (double)clf / (double)(pos ? pos : 1), 100.0 * recall,
               100.0 * (double)false_alarms / (double)(neg ? neg : 1),
               100.0 * (double)chat_alarms / (double)(chat ? chat : 1));
    }
    {
        /* the same rule over every score as a threshold, not only multiples of 0.05: how
         * far the model could go, to compare models by one figure */
        double at = 1.0, recall_at = 0;
        for (size_t j = 0; j < n; j++) {
            double t = s[j].p;
            long pos = 0, neg = 0, either = 0, false_alarms = 0, chat = 0, chat_alarms = 0;
            for (size_t i = 0; i < n; i++) {
                int hit = s[i].rules || s[i].p >= t;
                if (strcmp(s[i].truth, "chat") == 0) {
                    chat++;
                    chat_alarms += hit;
                } else if (is_none(s[i].truth)) {
                    neg++;
                    false_alarms += hit;
                } else {
                    pos++;
                    either += hit;
                }
            }
            double recall = (double)either / (double)(pos ? pos : 1);
            if ((double)false_alarms <= TARGET_FALSE * (double)neg &&
                (double)chat_alarms <= TARGET_FALSE_CHAT * (double)chat && recall > recall_at) {
                recall_at = recall;
                at = t;
            }
        }
        printf("  at any threshold: rules|clf recall %.1f%% at %.3f within the same false alarms\n",
               100.0 * recall_at, at);
    }
    printf("  recommended (the most recall with false alarms within %.0f%% of look-alikes and "
           "%.0f%% of ordinary messages): %.2f\n",
           100 * TARGET_FALSE, 100 * TARGET_FALSE_CHAT, best);
    return best;
}

/* Counts of the held-out file by a group (a category or a language). */
typedef struct group {
    char name[32];
    long crisis, caught, right, none, alarms;
    long taken; /* none lines answered as this category */
    long by_rules, rules_alarms; /* the same by the rules alone, to see what the classifier adds */
} group;

static group *group_of(group *g, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(g[i].name, name) == 0)
            return &g[i];
    if (*n >= GROUPS_MAX)
        return &g[GROUPS_MAX - 1];
    snprintf(g[*n].name, sizeof g[*n].name, "%s", name);
    return &g[(*n)++];
}

static void print_groups(const char *title, const group *g, size_t n)
{
    printf("  %-12s %14s %14s %16s %13s %13s\n", title, "recall", "category", "false alarms",
           "rules recall", "rules false");
    long c = 0, k = 0, r = 0, no = 0, a = 0, kr = 0, ar = 0;
    for (size_t i = 0; i < n; i++) {
        char recall[32] = "-", right[32] = "-", alarms[32] = "-";
        if (g[i].crisis) {
            snprintf(recall, sizeof recall, "%5.1f%% %3ld/%-3ld", 100.0 * (double)g[i].caught / (double)g[i].crisis,
                     g[i].caught, g[i].crisis);
            snprintf(right, sizeof right, "%5.1f%%", 100.0 * (double)g[i].right / (double)g[i].crisis);
        }
        if (g[i].none)
            snprintf(alarms, sizeof alarms, "%5.1f%% %3ld/%-3ld", 100.0 * (double)g[i].alarms / (double)g[i].none,
                     g[i].alarms, g[i].none);
        char rrecall[32] = "-", ralarms[32] = "-";
        if (g[i].crisis)
            snprintf(rrecall, sizeof rrecall, "%5.1f%%", 100.0 * (double)g[i].by_rules / (double)g[i].crisis);
        if (g[i].none)
            snprintf(ralarms, sizeof ralarms, "%5.1f%%", 100.0 * (double)g[i].rules_alarms / (double)g[i].none);
        printf("  %-12s %14s %14s %16s %13s %13s\n", g[i].name, recall, right, alarms, rrecall, ralarms);
        kr += g[i].by_rules;
        ar += g[i].rules_alarms;
        c += g[i].crisis;
        k += g[i].caught;
        r += g[i].right;
        no += g[i].none;
        a += g[i].alarms;
    }
    printf("  %-12s %5.1f%% %3ld/%-3ld %13.1f%% %6.1f%% %3ld/%-3ld %12.1f%% %12.1f%%\n", "all",
           100.0 * (double)k / (double)(c ? c : 1), k, c, 100.0 * (double)r / (double)(c ? c : 1),
           100.0 * (double)a / (double)(no ? no : 1), a, no, 100.0 * (double)kr / (double)(c ? c : 1),
           100.0 * (double)ar / (double)(no ? no : 1));
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* 1 when text, not a crisis to the check, would get the direct question (safety.c
 * safety_after, out of any conversation): an ask phrase of crisis.json, or the classifier
 * at least at its "ask" on a message of five words or more (safety.c ASK_MIN_WORDS),
 * leaning to a category with a question of its own (ask "by_category"). */
static int asked_directly(const sb_dialogs *d, const char *text)
{
    if (crisis_match(dialogs_safety_matcher(d, SAFETY_ASK), text) > 0)
        return 1;
    const json_t *crisis = dialogs_data(d, "crisis");
    double ask = json_number_value(json_object_get(json_object_get(crisis, "classifier"), "ask"));
    const json_t *fits = json_object_get(json_object_get(crisis, "ask"), "by_category");
    long words = 0;
    for (const char *p = text; *p; p++)
        words += *p != ' ' && (p == text || p[-1] == ' ');
    crisis_guess g;
    return ask > 0 && words >= 5 &&
           crisis_model_guess(dialogs_crisis_model(d), dialogs_normalizer(d), text, &g) == SB_OK &&
           g.category && g.p >= ask && (!fits || json_object_get(fits, g.category));
}

static void heldout(const sb_dialogs *d, const char *path, int show)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        printf("\nheld-out: %s not found, skipped\n", path);
        return;
    }
    group cats[GROUPS_MAX], langs[GROUPS_MAX];
    size_t ncats = 0, nlangs = 0;
    memset(cats, 0, sizeof cats);
    memset(langs, 0, sizeof langs);
    double *cost = calloc(4096, sizeof *cost);
    size_t ncost = 0;
    long missed = 0, missed_asked = 0, quiet = 0, quiet_asked = 0;
    char line[LINE_MAX_LEN];
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
        if (line[0] == '#' || !tab2)
            continue;
        *tab1 = *tab2 = '\0';
        const char *truth = line, *lang = tab1 + 1, *text = tab2 + 1;
        double t0 = now_s();
        const char *got = engine_crisis_category(d, text);
        int rules = crisis_match(dialogs_crisis_matcher(d), text) != 0;
        if (cost && ncost < 4096)
            cost[ncost++] = now_s() - t0;
        group *c = group_of(cats, &ncats, truth), *l = group_of(langs, &nlangs, lang);
        if (is_none(truth)) {
            c->none++;
            l->none++;
            c->alarms += got != NULL;
            l->alarms += got != NULL;
            c->rules_alarms += rules;
            l->rules_alarms += rules;
            if (got) /* which answer the false alarm would have got */
                group_of(cats, &ncats, got)->taken++;
        } else {
            c->crisis++;
            l->crisis++;
            c->caught += got != NULL;
            l->caught += got != NULL;
            c->by_rules += rules;
            l->by_rules += rules;
            c->right += got && strcmp(got, truth) == 0;
            l->right += got && strcmp(got, truth) == 0;
        }
        if (!got) { /* not the crisis answer: would the direct question come? */
            int asked = asked_directly(d, text);
            missed += !is_none(truth);
            missed_asked += !is_none(truth) && asked;
            quiet += is_none(truth);
            quiet_asked += is_none(truth) && asked;
        }
        if (show && (got != NULL) == is_none(truth)) {
            crisis_guess g;
            crisis_model_guess(dialogs_crisis_model(d), dialogs_normalizer(d), text, &g);
            printf("%s\t%s\t%s\t%.2f %s\t%s\n", got ? "ALARM" : "MISS", truth, lang, g.p,
                   g.category ? g.category : "-", text);
        }
    }
    fclose(fp);
    printf("\n%s (%s), through the real check, rules and classifier:\n",
           strstr(path, "heldout") ? "held-out" : "dev set", path);
    print_groups("category", cats, ncats);
    printf("  false alarms by the answer they would get:");
    for (size_t i = 0; i < ncats; i++)
        if (!is_none(cats[i].name))
            printf(" %s %ld", cats[i].name, cats[i].taken);
    printf("\n  not given the crisis answer, asked directly instead (the classifier at its "
           "\"ask\" or an ask phrase): crisis lines %ld of %ld missed, none lines %ld of %ld\n\n",
           missed_asked, missed, quiet_asked, quiet);
    print_groups("language", langs, nlangs);
    if (cost && ncost) {
        qsort(cost, ncost, sizeof *cost, by_double);
        printf("\ncost of the check per message over %zu held-out lines: p50 %.1f us, p99 %.1f us, "
               "max %.1f us\n",
               ncost, 1e6 * cost[ncost / 2], 1e6 * cost[ncost * 99 / 100], 1e6 * cost[ncost - 1]);
    }
    free(cost);
}

/* 1 when s holds what only the crisis answer says (its helpline directories, the safety
 * plan's first question). */
static int crisis_marker(const char *s)
{
    return strstr(s, "findahelpline") || strstr(s, "hotpeachpages") ||
           strstr(s, "are you safe right now");
}

/* False alarms on ordinary conversation: the person's lines of the transcripts
 * (the .txt files of dir, "> " lines) whose expectations want no crisis answer, through the real
 * check one by one (without the conversation's state). A line is ordinary when no "<" or
 * "<=" of it holds the crisis answer's helplines, nor the direct question; in the
 * transcripts about a crisis (crisis-*, safety-*) only when a "<!" forbids the helplines
 * too, as a line there may be a crisis restated without them. */
static void conversation(const sb_dialogs *d, const char *dir, int show)
{
    char pattern[LINE_MAX_LEN];
    snprintf(pattern, sizeof pattern, "%s/*.txt", dir);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0) {
        printf("\nconversation: no transcripts in %s, skipped\n", dir);
        return;
    }
    long lines = 0, alarms = 0, files = 0;
    for (size_t f = 0; f < g.gl_pathc; f++) {
        FILE *fp = fopen(g.gl_pathv[f], "r");
        if (!fp)
            continue;
        files++;
        const char *base = strrchr(g.gl_pathv[f], '/');
        base = base ? base + 1 : g.gl_pathv[f];
        int about_crisis = strncmp(base, "crisis", 6) == 0 || strncmp(base, "safety", 6) == 0;
        char said[LINE_MAX_LEN] = "", line[LINE_MAX_LEN];
        int have = 0, wanted = 0, forbidden = 0;
        for (int more = 1; more;) {
            more = fgets(line, sizeof line, fp) != NULL;
            if (more)
                line[strcspn(line, "\r\n")] = '\0';
            int next = !more || strncmp(line, "> ", 2) == 0 || strncmp(line, "--", 2) == 0;
            if (next && have) {
                if (!wanted && (!about_crisis || forbidden)) {
                    const char *got = engine_crisis_category(d, said);
                    lines++;
                    alarms += got != NULL;
                    if (show && got)
                        printf("CONV-ALARM\t%s\t%s\t%s\n", got, base, said);
                }
                have = 0;
            }
            if (!more)
                break;
            if (strncmp(line, "> ", 2) == 0) {
                snprintf(said, sizeof said, "%s", line + 2);
                have = 1;
                wanted = forbidden = 0;
            } else if (have && strncmp(line, "<!", 2) == 0) {
                forbidden |= crisis_marker(line);
            } else if (have && line[0] == '<') {
                wanted |= crisis_marker(line) || strstr(line, "thoughts of ending your life");
            }
        }
        fclose(fp);
    }
    globfree(&g);
    printf("\nconversation (%s, %ld transcripts): false alarms on the person's ordinary lines "
           "%.1f%% %ld/%ld\n",
           dir, files, 100.0 * (double)alarms / (double)(lines ? lines : 1), alarms, lines);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "dialogs";
    const char *held = argc > 2 ? argv[2] : "tests/crisis/heldout.tsv";
    const char *dev = "tests/crisis/dev.tsv"; /* ours to read and tune against, unlike held */
    const char *fresh = "tests/crisis/fresh.tsv"; /* the same, written apart from the examples */
    long folds = FOLDS_DEFAULT;
    const char *show = getenv("EVAL_SAFETY_SHOW");
    show_lines = show && strcmp(show, "1") == 0 && !strstr(held, "heldout");
    if (argc > 3 && sb_parse_long(argv[3], 2, 20, &folds) != SB_OK)
        folds = FOLDS_DEFAULT;
    double t0 = now_s();
    sb_dialogs *d = NULL;
    if (dialogs_load(dir, &d, NULL, NULL) != SB_OK) {
        fprintf(stderr, "eval_safety: %s does not load (run securebase --check-dialogs)\n", dir);
        return 1;
    }
    double t1 = now_s();
    const json_t *examples = dialogs_safety_examples(d);
    const json_t *classifier = json_object_get(dialogs_data(d, "crisis"), "classifier");
    const char *over = getenv("EVAL_SAFETY_THRESHOLD"); /* another threshold to try */
    if (over && atof(over) > 0 && atof(over) < 1)
        json_object_set_new((json_t *)classifier, "threshold", json_real(atof(over)));
    double threshold = json_number_value(json_object_get(classifier, "threshold"));
    double c = json_number_value(json_object_get(classifier, "cost"));
    if (c <= 0)
        c = INTENT_C_DEFAULT;
    size_t total = 0;
    const char *name;
    const json_t *list;
    json_object_foreach((json_t *)examples, name, list)
        total += json_array_size(list);
    json_object_foreach((json_t *)dialogs_examples(d), name, list)
        total += json_array_size(list);
    printf("crisis check: %zu classes, %zu examples (safety/, and intents/ as none), %zu features; the set loaded in "
           "%.0f ms (C = %g, threshold %.2f)\n\n",
           json_object_size(examples), total,
           intent_features(crisis_model_intents(dialogs_crisis_model(d))), 1000 * (t1 - t0), c,
           threshold);
    const char *cv = getenv("EVAL_SAFETY_CV"); /* 0: no cross-validation (quicker) */
    size_t n = 0;
    scored *s = calloc(total ? total : 1, sizeof *s);
    if (!cv || strcmp(cv, "0") != 0) {
        n = cross_validate(d, folds, c, s);
        printf("%ld-fold cross-validation on safety/ (recall per category; none: false alarms), at "
               "the threshold in crisis.json:\n",
               folds);
        cv_report(d, s, n, threshold);
        double best = thresholds(s, n);
        if (threshold > best + 1e-9 || threshold < best - 1e-9)
            printf("  crisis.json's threshold %.2f differs from it\n", threshold);
    }
    if (show_lines)
        for (size_t i = 0; i < n; i++)
            if (!is_none(s[i].truth) ? !s[i].rules && s[i].p < threshold
                                     : s[i].rules || s[i].p >= threshold)
                printf("CV-%s\t%s\t%.2f%s\t%s\n", is_none(s[i].truth) ? "ALARM" : "MISS",
                       s[i].truth, s[i].p, s[i].rules ? " rules" : "", s[i].text ? s[i].text : "");
    int show_ours = show && strcmp(show, "1") == 0; /* the dev set and transcripts are ours */
    if (strcmp(dev, held) != 0)
        heldout(d, dev, show_ours);
    if (strcmp(fresh, held) != 0 && access(fresh, R_OK) == 0)
        heldout(d, fresh, show_ours);
    conversation(d, "tests/transcripts", show_ours);
    heldout(d, held, show_lines);
    const char *held2 = "tests/crisis/heldout2.tsv"; /* written apart, in many voices: figures only */
    if (strcmp(held2, held) != 0 && access(held2, R_OK) == 0)
        heldout(d, held2, 0);
    for (size_t i = 0; i < n; i++)
        free(s[i].text);
    free(s);
    dialogs_free(d);
    return 0;
}
