/* test_exercise_pick.c — which exercise !exercise gives, as a table: never given first,
 * then the one given longest ago; a topic narrows the choice; ties go by the person and
 * the day; nothing when nothing fits. Then the spread itself: ties spread evenly, and no
 * two person-day pairs share a spread. Last, the topic that fits what was heard: intents
 * summed over the lines heard, the best topic only when it reaches the bar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "exercise_pick.h"

#define LIST                                                                              \
    "[{\"id\": \"breath\", \"topic\": \"calm\"}, {\"id\": \"scan\", \"topic\": \"calm\"}," \
    " {\"id\": \"letter\", \"topic\": \"words\"}, {\"topic\": \"calm\"},"                 \
    " {\"id\": \"walk\"}]"

typedef struct pick_case {
    const char *what;
    const char *topic;
    const char *recent[4]; /* newest first, NULL-terminated */
    int64_t person, day;   /* the spread: exercise_pick_spread(person, day) */
    const char *want;      /* NULL: none */
} pick_case;

#define DAY 20000 /* 2024-10-04, any day does */

static const pick_case cases[] = {
    {"all given: the one given longest ago", NULL, {"breath", "scan", "letter", "walk"}, 1, DAY, "walk"},
    {"the one never given beats all", NULL, {"breath", "scan", "walk"}, 1, DAY, "letter"},
    {"topic: only its exercises", "calm", {"scan"}, 1, DAY, "breath"},
    {"topic: given longest ago of the topic", "calm", {"breath", "scan"}, 2, DAY, "scan"},
    {"topic with one exercise", "words", {"letter"}, 3, DAY, "letter"},
    {"unknown topic: none", "sleep", {NULL}, 1, DAY, NULL},
    {"a list entry without id is never picked", "calm", {"breath", "scan"}, 5, DAY, "scan"},
    /* Ties (nothing given yet): the spread chooses, each person and day their own. */
    {"ties: person 1", NULL, {NULL}, 1, DAY, "letter"},
    {"ties: person 3", NULL, {NULL}, 3, DAY, "walk"},
    {"ties: person 4", NULL, {NULL}, 4, DAY, "scan"},
    {"ties: person 3 the next day", NULL, {NULL}, 3, DAY + 1, "breath"},
    {"ties within a topic: person 2", "calm", {NULL}, 2, DAY, "scan"},
    {"ties within a topic: person 2 the next day", "calm", {NULL}, 2, DAY + 1, "breath"},
    {"ties among the never given, one given: person 1", NULL, {"letter"}, 1, DAY, "scan"},
    {"ties among the never given, one given: person 3", NULL, {"letter"}, 3, DAY, "walk"},
};

static void test_pick_table(void **state)
{
    (void)state;
    json_t *list = json_loads(LIST, 0, NULL);
    assert_non_null(list);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const pick_case *c = &cases[i];
        size_t n = 0;
        while (n < 4 && c->recent[n])
            n++;
        const char *got = exercise_pick(list, c->topic, c->recent, n,
                                        exercise_pick_spread(c->person, c->day));
        if ((got == NULL) != (c->want == NULL) || (got && strcmp(got, c->want) != 0))
            fail_msg("%s: got %s, want %s", c->what, got ? got : "(none)",
                     c->want ? c->want : "(none)");
    }
    assert_null(exercise_pick(NULL, NULL, NULL, 0, 0));
    json_decref(list);
}

/* Ties are spread: over many people on one day each of the four equals is given to about
 * a quarter of them, and one person meets more than one of them over a month. */
static void test_ties_spread(void **state)
{
    (void)state;
    json_t *list = json_loads(LIST, 0, NULL);
    assert_non_null(list);
    static const char *const ids[] = {"breath", "scan", "letter", "walk"};
    int count[4] = {0};
    for (int64_t person = 1; person <= 1000; person++) {
        const char *got = exercise_pick(list, NULL, NULL, 0, exercise_pick_spread(person, DAY));
        for (int k = 0; k < 4; k++)
            count[k] += got && strcmp(got, ids[k]) == 0;
    }
    for (int k = 0; k < 4; k++)
        if (count[k] < 150 || count[k] > 350)
            fail_msg("%s given to %d of 1000 people with the same ties", ids[k], count[k]);
    int seen[4] = {0}, kinds = 0;
    for (int64_t day = DAY; day < DAY + 28; day++) {
        const char *got = exercise_pick(list, NULL, NULL, 0, exercise_pick_spread(7, day));
        for (int k = 0; k < 4; k++)
            if (got && strcmp(got, ids[k]) == 0 && !seen[k]++)
                kinds++;
    }
    assert_true(kinds >= 3);
    json_decref(list);
}

static int u64_order(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The spread of person and day: the same pair always gives the same, and no two of the
 * first hundred people on a hundred days share one (a sum would: 1+2 == 2+1). */
static void test_spread_distinct(void **state)
{
    (void)state;
    assert_true(exercise_pick_spread(1, 2) != exercise_pick_spread(2, 1));
    assert_true(exercise_pick_spread(5, DAY) == exercise_pick_spread(5, DAY));
    enum { N = 100 };
    static uint64_t all[N * N];
    for (int p = 0; p < N; p++)
        for (int d = 0; d < N; d++)
            all[p * N + d] = exercise_pick_spread(p + 1, DAY + d);
    qsort(all, N * N, sizeof all[0], u64_order);
    for (size_t i = 1; i < N * N; i++)
        if (all[i] == all[i - 1])
            fail_msg("two person-day pairs share a spread");
}

#define TOPICS                                                                         \
    "[{\"id\": \"body\", \"intents\": [\"body-signals\"]},"                             \
    " {\"id\": \"feelings\", \"intents\": [\"naming-feelings\", \"vent\"]},"            \
    " {\"id\": \"asking\"}]"

static void test_topic_heard(void **state)
{
    (void)state;
    json_t *topics = json_loads(TOPICS, 0, NULL);
    assert_non_null(topics);
    double score[3] = {0};
    /* one line is mostly something else, the next plainly the body: together, body */
    const char *first[] = {"about-coach", "body-signals", "vent"};
    const double p1[] = {0.68, 0.10, 0.05};
    exercise_topic_score(topics, first, p1, 3, score);
    assert_null(exercise_topic_best(topics, score, 0.5)); /* 0.10 and 0.05: not yet */
    const char *second[] = {"body-signals", "naming-feelings"};
    const double p2[] = {0.75, 0.20};
    exercise_topic_score(topics, second, p2, 2, score);
    assert_string_equal(exercise_topic_best(topics, score, 0.5), "body"); /* 0.85 vs 0.25 */
    /* two intents of one topic add up; a topic listing no intents never scores */
    double two[3] = {0};
    const char *both[] = {"vent", "naming-feelings", "yes"};
    const double p3[] = {0.30, 0.30, 0.40};
    exercise_topic_score(topics, both, p3, 3, two);
    assert_string_equal(exercise_topic_best(topics, two, 0.5), "feelings");
    assert_true(two[2] == 0.0);
    assert_null(exercise_topic_best(topics, two, 0.7)); /* the bar holds */
    json_decref(topics);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_table),
        cmocka_unit_test(test_ties_spread),
        cmocka_unit_test(test_spread_distinct),
        cmocka_unit_test(test_topic_heard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
