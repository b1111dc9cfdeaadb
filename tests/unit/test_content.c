/* test_content.c — the real coaching content in dialogs/, loaded as the coach loads it.
 * Tables: tests/crisis/phrases.tsv (every row through engine_crisis_category),
 * tests/crisis/around.tsv (the lists around a crisis: ask, downplay, restate), tests/reflection/
 * cases.tsv (every row through the reflection rules), and tables below of plain questions
 * and command phrasings. Rules the issue sets for the content: the seven measures, at
 * least 30 exercises in 7 topics, every dialog reachable, the coach saying it is no
 * therapist or emergency service, and no sentence copied from the source articles.
 * Each mismatching row is printed with its line, so one run shows every problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialog.h"
#include "engine.h"
#include "match.h"
#include "reflect.h"
#include "safety.h"
#include "sb.h"
#include "understand.h"

#define DIALOGS "dialogs"
#define CRISIS_TABLE "tests/crisis/phrases.tsv"
#define AROUND_TABLE "tests/crisis/around.tsv"
#define REFLECTION_TABLE "tests/reflection/cases.tsv"
/* The articles the coach is modelled on are not part of the repository; their fingerprint
 * is (tests/content/make_shingles.py). When they are at hand, the fingerprint is checked. */
#define ARTICLES "../shared/articles"
#define SHINGLES "tests/content/article-shingles.txt"
#define SHINGLE 8 /* words in a row that count as a copied sentence */

static sb_dialogs *set;

static void report(void *ctx, const char *file, const char *state, const char *message)
{
    int *n = ctx;
    (*n)++;
    print_message("# %s: %s: %s\n", file, state, message);
}

static int setup(void **state)
{
    (void)state;
    int problems = 0;
    int rc = dialogs_load(DIALOGS, &set, report, &problems);
    if (rc != SB_OK)
        print_message("# dialogs/ did not load: %s (%d problems)\n", sb_strerror(rc), problems);
    return 0; /* test_load_clean reports the failure; the others skip without a set */
}

static int teardown(void **state)
{
    (void)state;
    dialogs_free(set);
    set = NULL;
    return 0;
}

static void need_set(void)
{
    if (!set)
        skip();
}

static void test_load_clean(void **state)
{
    (void)state;
    assert_non_null(set);
}

/* --- tables read from files: one row a line, columns split at tabs --- */

typedef struct row {
    int line;
    char *col[4];
    int ncol;
} row;

/* Splits line in place at tabs; strips the newline. Returns the number of columns. */
static int split_row(char *line, row *r)
{
    line[strcspn(line, "\r\n")] = '\0';
    r->ncol = 0;
    char *p = line;
    while (r->ncol < 4) {
        r->col[r->ncol++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return r->ncol;
}

static FILE *open_table(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        print_message("# cannot open %s\n", path);
    assert_non_null(f);
    return f;
}

static void test_crisis_table(void **state)
{
    (void)state;
    need_set();
    FILE *f = open_table(CRISIS_TABLE);
    char line[1024];
    int number = 0, positives = 0, negatives = 0, wrong = 0;
    while (fgets(line, sizeof line, f)) {
        number++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        row r = {.line = number};
        if (split_row(line, &r) != 2 || !r.col[0][0]) {
            print_message("# %s:%d: want \"CATEGORY<TAB>text\" or \"0<TAB>text\"\n", CRISIS_TABLE,
                          number);
            wrong++;
            continue;
        }
        int want = strcmp(r.col[0], "0") != 0;
        want ? positives++ : negatives++;
        const char *got = engine_crisis_category(set, r.col[1]);
        if (!got != !want) {
            print_message("# %s:%d: %s: \"%s\"\n", CRISIS_TABLE, number,
                          want ? "missed crisis" : "false alarm", r.col[1]);
            wrong++;
        } else if (want && strcmp(r.col[0], "1") != 0 && strcmp(r.col[0], got) != 0) {
            print_message("# %s:%d: %s instead of %s: \"%s\"\n", CRISIS_TABLE, number, got,
                          r.col[0], r.col[1]);
            wrong++;
        }
    }
    fclose(f);
    print_message("# crisis table: %d positive, %d negative rows, %d wrong\n", positives,
                  negatives, wrong);
    assert_true(positives >= 100);
    assert_true(negatives >= 100);
    assert_int_equal(wrong, 0);
}

/* The lists around a crisis: LIST<TAB>1|0<TAB>text, through the list's compiled matcher. */
static void test_crisis_around_table(void **state)
{
    (void)state;
    need_set();
    static const char *const lists[SAFETY_LISTS] = {"ask", "downplay", "restate"};
    FILE *f = open_table(AROUND_TABLE);
    char line[1024];
    int number = 0, rows[SAFETY_LISTS] = {0}, wrong = 0;
    while (fgets(line, sizeof line, f)) {
        number++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        row r = {.line = number};
        int list = -1;
        if (split_row(line, &r) == 3)
            for (int i = 0; i < SAFETY_LISTS; i++)
                if (strcmp(r.col[0], lists[i]) == 0)
                    list = i;
        if (list < 0 || (strcmp(r.col[1], "0") != 0 && strcmp(r.col[1], "1") != 0)) {
            print_message("# %s:%d: want \"ask|downplay|restate<TAB>1|0<TAB>text\"\n", AROUND_TABLE,
                          number);
            wrong++;
            continue;
        }
        rows[list]++;
        int want = r.col[1][0] == '1';
        int got = crisis_match(dialogs_safety_matcher(set, (safety_list)list), r.col[2]);
        if ((got > 0) != want) {
            print_message("# %s:%d: %s %s: \"%s\"\n", AROUND_TABLE, number, lists[list],
                          want ? "missed" : "matched", r.col[2]);
            wrong++;
        }
        if (list == SAFETY_ASK && engine_is_crisis(set, r.col[2])) {
            print_message("# %s:%d: a crisis, not unclear risk: \"%s\"\n", AROUND_TABLE, number,
                          r.col[2]);
            wrong++;
        }
    }
    fclose(f);
    for (int i = 0; i < SAFETY_LISTS; i++)
        assert_true(rows[i] >= 10);
    assert_int_equal(wrong, 0);
}

/* Row: what the person says, the exact echo (their words turned around), the feeling the
 * coach names or "-" for none. The full reflection must contain the echo (and feeling). */
static void test_reflection_table(void **state)
{
    (void)state;
    need_set();
    const json_t *rules = dialogs_data(set, "reflection");
    assert_non_null(rules);
    FILE *f = open_table(REFLECTION_TABLE);
    char line[1024];
    int number = 0, rows = 0, wrong = 0;
    while (fgets(line, sizeof line, f)) {
        number++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        row r = {.line = number};
        if (split_row(line, &r) != 3) {
            print_message("# %s:%d: want text<TAB>echo<TAB>feeling-or-dash\n", REFLECTION_TABLE, number);
            wrong++;
            continue;
        }
        rows++;
        const char *want_feeling = strcmp(r.col[2], "-") == 0 ? NULL : r.col[2];
        char *echo = NULL, *feeling = NULL;
        assert_int_equal(reflect_parts(rules, r.col[0], &echo, &feeling), SB_OK);
        char *full = engine_reflect(set, r.col[0]);
        assert_non_null(full);
        int bad = strcmp(echo, r.col[1]) != 0 ||
                  (want_feeling ? !feeling || strcmp(feeling, want_feeling) != 0 : feeling != NULL) ||
                  !strstr(full, r.col[1]) || (want_feeling && !strstr(full, want_feeling));
        if (bad) {
            print_message("# %s:%d: \"%s\"\n#   want echo \"%s\", feeling %s\n#   got  echo \"%s\", "
                          "feeling %s\n#   reflection: %s\n",
                          REFLECTION_TABLE, number, r.col[0], r.col[1], r.col[2], echo,
                          feeling ? feeling : "-", full);
            wrong++;
        }
        free(echo);
        free(feeling);
        free(full);
    }
    fclose(f);
    print_message("# reflection table: %d rows, %d wrong\n", rows, wrong);
    assert_true(rows >= 30);
    assert_int_equal(wrong, 0);
}

/* --- plain questions and command phrasings --- */

static const struct {
    const char *text;
    const char *dialog;
} trigger_table[] = {
    {"What is avoidant attachment?", "learn-what"},
    {"what's avoidant attachment", "learn-what"},
    {"Where does it come from?", "learn-origins"},
    {"why am I like this", "learn-origins"},
    {"is it my fault?", "learn-fault"},
    {"Is this my parents' fault?", "learn-fault"},
    {"is something wrong with me", "learn-fault"},
    {"Can it heal?", "learn-healing"},
    {"will I always be like this?", "learn-healing"},
    {"what are the signs", "learn-signs"},
    {"who is Mary Ainsworth", "learn-research"},
    {"what does secure attachment look like", "learn-secure"},
    {"what is push and pull", "learn-push-pull"},
    {"does this sound familiar", "sound-familiar"},
    {"I'd like to try naming the pattern", "naming-the-pattern"},
    {"I pulled away again yesterday", "withdrawal-journal"},
    {"I don't know what I feel", "naming-feelings"},
    {"my chest gets tight when she hugs me", "body-signals"},
    {"I hate asking for help", "independence-myth"},
    {"how was it received? I told her about work", "small-vulnerability"},
    {"thank the protector", "thank-the-protector"},
    {"I keep pulling away from him", "push-pull"},
    {"should I find a therapist", "therapy"},
    {"one small step", "one-small-step"},
};

static void test_triggers(void **state)
{
    (void)state;
    need_set();
    int wrong = 0;
    for (size_t i = 0; i < sizeof trigger_table / sizeof trigger_table[0]; i++) {
        const char *got = NULL;
        assert_true(match_trigger(set, trigger_table[i].text, &got) >= 0);
        if (!got || strcmp(got, trigger_table[i].dialog) != 0) {
            print_message("# \"%s\" starts %s, want %s\n", trigger_table[i].text,
                          got ? got : "nothing", trigger_table[i].dialog);
            wrong++;
        }
    }
    assert_int_equal(wrong, 0);
}

static const struct {
    const char *text;
    int idle, direct;
    const char *command; /* NULL: no command */
    const char *arg;     /* NULL: no argument */
} command_table[] = {
    {"!help", 0, 0, "help", NULL},
    {"help", 0, 1, "help", NULL},
    {"help", 1, 0, NULL, NULL},
    {"what can you do?", 1, 1, "help", NULL},
    {"give me an exercise", 1, 1, "exercise", NULL},
    {"I need something to practise", 1, 1, "exercise", NULL},
    {"i need something to practice today", 1, 1, "exercise", NULL},
    {"!exercise body", 0, 1, "exercise", "body"},
    {"!exercise list", 0, 0, "exercise", "list"},
    {"!checkin", 0, 1, "checkin", NULL},
    {"check in", 0, 1, "checkin", NULL},
    {"how am I doing?", 1, 1, "progress", NULL},
    {"!journal I told her how I felt", 0, 1, "journal", "I told her how I felt"},
    {"journal", 0, 1, "journal", NULL},
    {"!pause 3d", 0, 1, "pause", "3d"},
    {"stop reminding me", 1, 1, "pause", NULL},
    {"pause the nudges", 1, 1, "pause", NULL},
    {"start the nudges again", 1, 1, "resume", NULL},
    {"stop", 1, 1, "stop", NULL},
    {"!resume", 0, 1, "resume", NULL},
    {"stop", 0, 1, "stop", NULL},
    {"cancel", 0, 1, "stop", NULL},
    {"!export", 0, 1, "export", NULL},
    {"delete my data", 1, 1, "forget", NULL},
    {"!forget", 0, 1, "forget", NULL},
    {"!nudge 08:30", 0, 1, "nudge", "08:30"},
    {"!timezone Europe/Berlin", 0, 1, "timezone", "Europe/Berlin"},
    {"about", 0, 1, "about", NULL},
    {"are you a therapist?", 1, 1, "about", NULL},
    {"learn", 0, 1, "learn", NULL},
    {"privacy", 0, 1, "privacy", NULL},
    {"!focus", 0, 1, "focus", NULL},
    {"hello", 0, 1, "hello", NULL},
    /* free text inside a dialog is an answer, not a command */
    {"I need something to practise", 0, 1, NULL, NULL},
    {"I felt like I wanted to stop talking", 0, 1, NULL, NULL},
    {"I pulled away when she asked for help", 1, 1, NULL, NULL},
};

static void test_commands(void **state)
{
    (void)state;
    need_set();
    int wrong = 0;
    for (size_t i = 0; i < sizeof command_table / sizeof command_table[0]; i++) {
        const char *name = NULL;
        char *arg = NULL;
        int hit = engine_match_command(set, command_table[i].text, command_table[i].idle,
                                       command_table[i].direct, &name, &arg);
        const char *want = command_table[i].command, *want_arg = command_table[i].arg;
        int ok = want ? hit && name && strcmp(name, want) == 0 : !hit;
        if (ok && want)
            ok = want_arg ? arg && strcmp(arg, want_arg) == 0 : !arg || !*arg;
        if (!ok) {
            print_message("# \"%s\" (idle %d, direct %d): got %s \"%s\", want %s \"%s\"\n",
                          command_table[i].text, command_table[i].idle, command_table[i].direct,
                          hit ? name : "no command", arg ? arg : "", want ? want : "no command",
                          want_arg ? want_arg : "");
            wrong++;
        }
        free(arg);
    }
    assert_int_equal(wrong, 0);
}

/* --- the rules of the content --- */

static void test_commands_present(void **state)
{
    (void)state;
    need_set();
    static const char *const needed[] = {"help",  "about",  "learn",  "exercise", "checkin",
                                         "progress", "journal", "pause", "resume", "stop",
                                         "export", "forget", "nudge", "timezone", NULL};
    const json_t *list = json_object_get(dialogs_data(set, "commands"), "commands");
    for (size_t k = 0; needed[k]; k++) {
        const json_t *found = NULL;
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c) {
            if (strcmp(json_string_value(json_object_get(c, "name")) ?: "", needed[k]) == 0)
                found = c;
        }
        if (!found)
            print_message("# commands.json has no \"%s\"\n", needed[k]);
        assert_non_null(found);
        assert_true(json_object_get(found, "dialog") || json_object_get(found, "action"));
    }
}

static void test_measures(void **state)
{
    (void)state;
    need_set();
    static const char *const ids[] = {"attachment_anxiety", "attachment_avoidance",
                                      "emotional_awareness", "trust", "therapy_engagement",
                                      "self_compassion", "relationship_satisfaction", NULL};
    const json_t *list = json_object_get(dialogs_data(set, "measures"), "measures");
    assert_int_equal(json_array_size(list), 7);
    for (size_t k = 0; ids[k]; k++) {
        int found = 0;
        size_t i;
        json_t *m;
        json_array_foreach(list, i, m) {
            if (strcmp(json_string_value(json_object_get(m, "id")) ?: "", ids[k]) == 0) {
                found = 1;
                assert_non_null(json_string_value(json_object_get(m, "low")));
                assert_non_null(json_string_value(json_object_get(m, "high")));
            }
        }
        if (!found)
            print_message("# measures.json lacks %s\n", ids[k]);
        assert_true(found);
    }
    /* the check-in asks each of them once, as a rating */
    const json_t *states = json_object_get(dialogs_dialog(set, "checkin"), "states");
    int asked[7] = {0};
    const char *name;
    json_t *st;
    json_object_foreach((json_t *)states, name, st) {
        const char *m = json_string_value(json_object_get(st, "measure"));
        for (size_t k = 0; m && ids[k]; k++)
            asked[k] += strcmp(m, ids[k]) == 0;
    }
    for (size_t k = 0; ids[k]; k++)
        assert_int_equal(asked[k], 1);
}

static void test_exercises(void **state)
{
    (void)state;
    need_set();
    const json_t *ex = dialogs_data(set, "exercises");
    const json_t *list = json_object_get(ex, "exercises");
    const json_t *topics = json_object_get(ex, "topics");
    assert_true(json_array_size(list) >= 30);
    size_t used = 0, i, k;
    json_t *t, *x;
    json_array_foreach(topics, i, t) {
        int n = 0;
        json_array_foreach(list, k, x) {
            n += strcmp(json_string_value(json_object_get(x, "topic")) ?: "",
                        json_string_value(json_object_get(t, "id")) ?: "") == 0;
        }
        used += n > 0;
    }
    assert_true(used >= 7);
    json_array_foreach(list, k, x) {
        const char *id = json_string_value(json_object_get(x, "id"));
        int ok = json_array_size(json_object_get(x, "steps")) >= 2 &&
                 json_integer_value(json_object_get(x, "minutes")) > 0 &&
                 json_string_length(json_object_get(x, "followup")) > 0;
        if (!ok)
            print_message("# exercise %s needs steps, minutes and a follow-up question\n", id);
        assert_true(ok);
    }
}

static int contains_ci(const char *hay, const char *needle)
{
    for (; *hay; hay++) {
        size_t i = 0;
        while (needle[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (!needle[i])
            return 1;
    }
    return 0;
}

/* All texts of a JSON value joined (dialog "say" texts, data lists). */
static void gather(const json_t *j, sb_buf *b)
{
    if (json_is_string(j)) {
        sb_buf_puts(b, json_string_value(j));
        sb_buf_puts(b, "\n");
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) gather(v, b);
    } else if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) gather(v, b);
    }
}

/* First contact and "about" say what the coach is not, and give the crisis line. */
static void test_not_a_therapist(void **state)
{
    (void)state;
    need_set();
    static const char *const ids[] = {"welcome", "about", NULL};
    for (size_t k = 0; ids[k]; k++) {
        sb_buf b = {0};
        gather(dialogs_dialog(set, ids[k]), &b);
        assert_non_null(b.data);
        assert_true(contains_ci(b.data, "not a therapist"));
        assert_true(contains_ci(b.data, "emergency service"));
        assert_true(contains_ci(b.data, "{crisis_message}"));
        sb_buf_free(&b);
    }
    const char *first = json_string_value(json_object_get(dialogs_data(set, "commands"), "first_contact"));
    assert_string_equal(first, "welcome");
    const json_t *crisis = dialogs_data(set, "crisis");
    const char *msg = json_string_value(json_object_get(crisis, "default_message"));
    assert_true(msg && contains_ci(msg, "findahelpline.com") && contains_ci(msg, "emergency"));
    sb_buf b = {0};
    gather(dialogs_dialog(set, "checkin"), &b);
    assert_true(contains_ci(b.data, "not a clinical test"));
    sb_buf_free(&b);
}

/* The safety plans (each crisis category's dialog) give the crisis line once: the crisis
 * reply holds it, so their first state and their retries never repeat it (a missed answer
 * is no risk said again; issue 10: "the helpline paragraph is repeated in each of five
 * messages"); their later states point back to it instead. Every choice state has retry
 * texts of its own (or takes any answer), so an answer that fits nothing never gets the
 * stock "didn't catch that". The plan for abuse at home never shows the person's words
 * back: no reflection, no {answer}, no saved answer shown. */
static int texts_any_have(const json_t *texts, const char *needle)
{
    if (json_is_string(texts))
        return contains_ci(json_string_value(texts), needle);
    size_t i;
    json_t *t;
    json_array_foreach(texts, i, t) {
        if (json_is_string(t) && contains_ci(json_string_value(t), needle))
            return 1;
    }
    return 0;
}

static int check_plan(const char *category, const json_t *plan, int quiet)
{
    const char *id = json_string_value(json_object_get(plan, "id"));
    const char *start = json_string_value(json_object_get(plan, "start"));
    int wrong = 0;
    const char *name;
    json_t *st;
    json_object_foreach(json_object_get(plan, "states"), name, st) {
        int first = start && strcmp(name, start) == 0;
        if (first && texts_any_have(json_object_get(st, "say"), "{crisis_message}")) {
            print_message("# %s: %s: says the crisis line right after the crisis reply\n", id, name);
            wrong++;
        }
        if (texts_any_have(json_object_get(st, "retry"), "{crisis_message}")) {
            print_message("# %s: %s: a retry repeats the crisis line\n", id, name);
            wrong++;
        }
        const char *expect = json_string_value(json_object_get(st, "expect"));
        if (expect && strcmp(expect, "choice") == 0 && !json_object_get(st, "retry") &&
            !json_object_get(st, "other")) {
            print_message("# %s: %s: a choice state needs retry texts of its own\n", id, name);
            wrong++;
        }
        if (quiet && (json_is_true(json_object_get(st, "reflect")) ||
                      texts_any_have(json_object_get(st, "say"), "{answer}") ||
                      json_object_get(st, "save") || json_object_get(st, "journal"))) {
            print_message("# %s (%s): %s: shows or keeps the person's words\n", id, category, name);
            wrong++;
        }
    }
    return wrong;
}

static void test_safety_plans_say_help_once(void **state)
{
    (void)state;
    need_set();
    const json_t *categories = json_object_get(dialogs_data(set, "crisis"), "categories");
    assert_true(json_array_size(categories) >= 5);
    int wrong = 0;
    size_t i;
    json_t *c;
    json_array_foreach(categories, i, c) {
        const char *id = json_string_value(json_object_get(c, "id"));
        const json_t *plan = dialogs_dialog(set, json_string_value(json_object_get(c, "dialog")));
        assert_non_null(plan);
        wrong += check_plan(id, plan, strcmp(id, "abuse") == 0);
        if (strcmp(id, "abuse") == 0)
            assert_true(texts_any_have(json_object_get(c, "reply"), "{abuse_message}"));
    }
    assert_int_equal(wrong, 0);
}

/* --- every dialog reachable: by a command, a trigger, first contact, crisis.json,
 * or a dialog:ID / call from a reachable dialog --- */

typedef struct ids {
    char name[128][48];
    int reached[128];
    size_t n;
} ids;

static int id_index(const ids *s, const char *id)
{
    for (size_t i = 0; id && i < s->n; i++)
        if (strcmp(s->name[i], id) == 0)
            return (int)i;
    return -1;
}

static void reach(ids *s, const char *id)
{
    int i = id_index(s, id);
    if (i >= 0)
        s->reached[i] = 1;
}

static void reach_from(ids *s, const json_t *dialog)
{
    const char *name;
    json_t *st;
    json_object_foreach(json_object_get(dialog, "states"), name, st) {
        const char *next = json_string_value(json_object_get(st, "next"));
        if (next && strncmp(next, "dialog:", 7) == 0)
            reach(s, next + 7);
        reach(s, json_string_value(json_object_get(st, "call")));
        size_t i;
        json_t *ch;
        json_array_foreach(json_object_get(st, "choices"), i, ch) {
            const char *t = json_string_value(json_object_get(ch, "next"));
            if (t && strncmp(t, "dialog:", 7) == 0)
                reach(s, t + 7);
        }
    }
}

static void test_every_dialog_reachable(void **state)
{
    (void)state;
    need_set();
    ids s = {0};
    DIR *dir = opendir(DIALOGS);
    assert_non_null(dir);
    struct dirent *e;
    while ((e = readdir(dir)) && s.n < 128) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", DIALOGS, e->d_name);
        json_t *j = json_load_file(path, 0, NULL);
        const char *kind = json_string_value(json_object_get(j, "kind"));
        const char *id = json_string_value(json_object_get(j, "id"));
        if (id && (!kind || strcmp(kind, "dialog") == 0))
            snprintf(s.name[s.n++], sizeof s.name[0], "%s", id);
        json_decref(j);
    }
    closedir(dir);
    assert_int_equal(s.n, dialogs_count(set));
    const json_t *commands = dialogs_data(set, "commands");
    reach(&s, json_string_value(json_object_get(commands, "first_contact")));
    reach(&s, json_string_value(json_object_get(commands, "listen")));
    reach(&s, json_string_value(json_object_get(commands, "return")));
    const json_t *crisis = dialogs_data(set, "crisis");
    size_t k0;
    json_t *category;
    json_array_foreach(json_object_get(crisis, "categories"), k0, category)
        reach(&s, json_string_value(json_object_get(category, "dialog")));
    const char *lists[] = {"ask", "downplay", "followup"};
    for (size_t l = 0; l < 3; l++)
        reach(&s, json_string_value(json_object_get(json_object_get(crisis, lists[l]), "dialog")));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(commands, "commands"), i, c)
        reach(&s, json_string_value(json_object_get(c, "dialog")));
    for (size_t k = 0; k < s.n; k++)
        if (json_array_size(json_object_get(dialogs_dialog(set, s.name[k]), "triggers")) > 0)
            s.reached[k] = 1;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t k = 0; k < s.n; k++) {
            if (!s.reached[k])
                continue;
            ids before = s;
            reach_from(&s, dialogs_dialog(set, s.name[k]));
            changed |= memcmp(before.reached, s.reached, sizeof s.reached) != 0;
        }
    }
    int unreached = 0;
    for (size_t k = 0; k < s.n; k++) {
        if (!s.reached[k]) {
            print_message("# dialog %s: no command, trigger or other dialog leads to it\n", s.name[k]);
            unreached++;
        }
    }
    assert_int_equal(unreached, 0);
}

/* --- no sentence of the source articles in the coach's words --- */

/* Lowercase words of s (letters and digits; apostrophes dropped) appended to list. */
static void words_of(const char *s, char ***list, size_t *n, size_t *cap)
{
    char word[64];
    size_t len = 0;
    for (const char *p = s;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\'' || (c == 0xE2 && p[1] == (char)0x80 && p[2] == (char)0x99)) {
            if (c == 0xE2)
                p += 2;
            continue;
        }
        if (isalnum(c) && len + 1 < sizeof word) {
            word[len++] = (char)tolower(c);
            continue;
        }
        if (len) {
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 1024;
                *list = realloc(*list, *cap * sizeof **list);
                assert_non_null(*list);
            }
            (*list)[(*n)++] = sb_strndup(word, len);
            len = 0;
        }
        if (!c)
            break;
    }
}

/* The replies to text said in a group room by someone the coach has met, joined. */
static char *group_reply(const char *text)
{
    json_t *st = json_pack("{s:i, s:b, s:i, s:[], s:s}", "v", 1, "met", 1, "turn", 3, "stack",
                           "consent", "yes");
    sb_input in = {text, 1796212800, 1, "Ann"};
    sb_step out;
    assert_int_equal(engine_step(set, st, &in, &out), SB_OK);
    json_decref(st);
    sb_buf b = {0};
    for (size_t i = 0; i < out.nreplies; i++)
        sb_buf_printf(&b, "%s\n", out.replies[i]);
    for (size_t i = 0; i < out.neffects; i++) /* nothing of the person's is touched */
        assert_true(out.effects[i].kind != SB_FX_EXERCISE_GIVEN &&
                    out.effects[i].kind != SB_FX_ACTION && out.effects[i].kind != SB_FX_JOURNAL);
    engine_step_free(&out);
    return sb_buf_take(&b);
}

/* Issue 9: in a group room "coach: what is avoidant attachment?" and `!exercise` are
 * general and answered there; a personal request still is not. */
static void test_group_room_general(void **state)
{
    (void)state;
    need_set();
    const char *personal = json_string_value(
        json_array_get(json_object_get(dialogs_data(set, "commands"), "group_private"), 0));
    char *learn = group_reply("what is avoidant attachment?");
    print_message("# %s\n", learn);
    assert_non_null(strstr(learn, "attachment"));
    assert_null(strstr(learn, "personal"));
    char *ex = group_reply("!exercise");
    print_message("# %s\n", ex);
    assert_non_null(strstr(ex, "1. "));
    assert_non_null(strstr(ex, "direct"));
    assert_null(strstr(ex, "personal"));
    char *journal = group_reply("!journal");
    assert_non_null(personal);
    assert_non_null(strstr(journal, "personal"));
    free(learn);
    free(ex);
    free(journal);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    sb_buf b = {0};
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        sb_buf_append(&b, chunk, got);
    fclose(f);
    return sb_buf_take(&b);
}

/* FNV-1a 64 of words[0..SHINGLE) joined by one space (as tests/content/make_shingles.py). */
static uint64_t shingle_hash(char **words)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t w = 0; w < SHINGLE; w++) {
        if (w)
            h = (h ^ ' ') * 0x100000001b3ULL;
        for (const char *p = words[w]; *p; p++)
            h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    }
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The fingerprint of the articles (SHINGLES): sorted hashes, one a line; "#" comments. */
static uint64_t *read_shingles(size_t *n)
{
    char *text = read_file(SHINGLES);
    assert_non_null(text);
    uint64_t *h = NULL;
    size_t cap = 0;
    *n = 0;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        if (*line && *line != '#') {
            if (*n == cap) {
                cap = cap ? cap * 2 : 4096;
                h = realloc(h, cap * sizeof *h);
                assert_non_null(h);
            }
            char *rest;
            h[(*n)++] = strtoull(line, &rest, 16);
            assert_true(rest == line + 16 && *rest == '\0');
        }
        if (!end)
            break;
        line = end + 1;
    }
    free(text);
    qsort(h, *n, sizeof *h, cmp_u64);
    return h;
}

static int has_shingle(const uint64_t *h, size_t n, char **words)
{
    uint64_t key = shingle_hash(words);
    return bsearch(&key, h, n, sizeof *h, cmp_u64) != NULL;
}

/* When the articles themselves are at hand (ARTICLES), the fingerprint must be theirs:
 * every run of SHINGLE words in them is in it. */
static void check_fingerprint(const uint64_t *h, size_t n)
{
    DIR *dir = opendir(ARTICLES);
    if (!dir) {
        print_message("# %s not here: the fingerprint is taken as it is\n", ARTICLES);
        return;
    }
    char **art = NULL;
    size_t nart = 0, cap = 0, missing = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".txt") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", ARTICLES, e->d_name);
        char *text = read_file(path);
        assert_non_null(text);
        size_t first = nart;
        words_of(text, &art, &nart, &cap);
        free(text);
        for (size_t k = first; k + SHINGLE <= nart; k++)
            missing += !has_shingle(h, n, art + k);
    }
    closedir(dir);
    for (size_t i = 0; i < nart; i++)
        free(art[i]);
    free(art);
    if (missing)
        print_message("# %zu runs of the articles are not in %s: run "
                      "tests/content/make_shingles.py %s\n", missing, SHINGLES, ARTICLES);
    assert_int_equal(missing, 0);
}

static void test_no_copied_sentences(void **state)
{
    (void)state;
    need_set();
    size_t nh;
    uint64_t *h = read_shingles(&nh);
    assert_true(nh > 1000);
    check_fingerprint(h, nh);

    /* the coach's words: every text of every file in dialogs/ */
    sb_buf all = {0};
    DIR *dir = opendir(DIALOGS);
    assert_non_null(dir);
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", DIALOGS, e->d_name);
        json_t *j = json_load_file(path, 0, NULL);
        gather(j, &all);
        json_decref(j);
    }
    closedir(dir);
    char **ours = NULL;
    size_t nours = 0, cap = 0;
    words_of(all.data, &ours, &nours, &cap);

    int copied = 0;
    for (size_t i = 0; i + SHINGLE <= nours; i++) {
        if (!has_shingle(h, nh, ours + i))
            continue;
        sb_buf run = {0};
        for (size_t w = 0; w < SHINGLE; w++)
            sb_buf_printf(&run, "%s%s", w ? " " : "", ours[i + w]);
        print_message("# copied from the articles: \"%s\"\n", run.data);
        sb_buf_free(&run);
        copied++;
    }
    for (size_t i = 0; i < nours; i++)
        free(ours[i]);
    free(ours);
    free(h);
    sb_buf_free(&all);
    assert_int_equal(copied, 0);
}

int main(void)
{
    /* dialogs/ loads with its trained models from tests/run's cache (as test_router does),
     * not a training of the whole set under ASan at each run. */
    if (getenv("SECUREBASE_MODEL_CACHE"))
        understand_set_cache(getenv("SECUREBASE_MODEL_CACHE"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_clean),
        cmocka_unit_test(test_crisis_table),
        cmocka_unit_test(test_crisis_around_table),
        cmocka_unit_test(test_reflection_table),
        cmocka_unit_test(test_triggers),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_commands_present),
        cmocka_unit_test(test_measures),
        cmocka_unit_test(test_exercises),
        cmocka_unit_test(test_not_a_therapist),
        cmocka_unit_test(test_safety_plans_say_help_once),
        cmocka_unit_test(test_every_dialog_reachable),
        cmocka_unit_test(test_group_room_general),
        cmocka_unit_test(test_no_copied_sentences),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
