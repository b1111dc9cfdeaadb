/* test_exercise_pick.c — which exercise !exercise gives, as a table: never given first,
 * then the one given longest ago; a topic narrows the choice; ties; nothing when nothing
 * fits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
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
    uint64_t spread;
    const char *want; /* NULL: none */
} pick_case;

static const pick_case cases[] = {
    {"all given: the one given longest ago", NULL, {"breath", "scan", "letter", "walk"}, 0, "walk"},
    {"the one never given beats all", NULL, {"breath", "scan", "walk"}, 0, "letter"},
    {"topic: only its exercises", "calm", {"scan"}, 0, "breath"},
    {"topic: given longest ago of the topic", "calm", {"breath", "scan"}, 0, "scan"},
    {"topic with one exercise", "words", {"letter"}, 3, "letter"},
    {"unknown topic: none", "sleep", {NULL}, 0, NULL},
    {"a list entry without id is never picked", "calm", {"breath", "scan"}, 5, "scan"},
    /* Ties: the first of the list, whatever the spread. The spread term, (i * 7 + spread)
     * % 7, is the same for every exercise, so it does not spread anything yet: these rows
     * hold today's behaviour and change when that is mended, in a change of its own. */
    {"ties: the first, spread 0", NULL, {NULL}, 0, "breath"},
    {"ties: the first, spread 1", NULL, {NULL}, 1, "breath"},
    {"ties: the first, spread 2", NULL, {NULL}, 2, "breath"},
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
        const char *got = exercise_pick(list, c->topic, c->recent, n, c->spread);
        if ((got == NULL) != (c->want == NULL) || (got && strcmp(got, c->want) != 0))
            fail_msg("%s: got %s, want %s", c->what, got ? got : "(none)",
                     c->want ? c->want : "(none)");
    }
    assert_null(exercise_pick(NULL, NULL, NULL, 0, 0));
    json_decref(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
