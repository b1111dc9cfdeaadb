/* test_engine_state.c — the engine's handling of the person's state: variants never repeat
 * twice in a row, malformed or outdated states are repaired gently, the dialog stack stays
 * within 4 frames, engine_start / engine_start_exercise on odd ids, and the step is pure
 * (the input state is not modified; the same input gives the same output). */
#include "engine_fixture.h"

static json_t *state_of(const char *text)
{
    json_error_t err;
    json_t *st = json_loads(text, JSON_DECODE_ANY, &err);
    assert_non_null(st);
    return st;
}

static void test_variants_never_repeat(void **unused)
{
    (void)unused;
    char *st = fresh_state();
    int64_t now = T0;
    static const exchange met[] = {{"hi", {"WELCOME"}, NULL, 0, 0}, {"no", {"CONSENT_NO"}, "S(consent=no)", 0, 0}, END};
    run(met, &st, &now);
    char previous[256] = "";
    int seen[3] = {0};
    for (int i = 0; i < 60; i++) {
        sb_step s;
        exchange x = {"blah", {NULL}, NULL, 0, 0};
        step_one(&x, &st, now += 7, &s);
        assert_int_equal(s.nreplies, 1);
        assert_string_not_equal(s.replies[0], previous);
        for (int k = 0; k < 3; k++) {
            static const char *const markers[] = {"FALLBACK one", "FALLBACK two", "FALLBACK three"};
            seen[k] |= strstr(s.replies[0], markers[k]) != NULL;
        }
        snprintf(previous, sizeof previous, "%s", s.replies[0]);
        engine_step_free(&s);
    }
    assert_true(seen[0] && seen[1] && seen[2]);
    free(st);
}

typedef struct repair_case {
    const char *name;
    const char *state;  /* JSON text of the stored state */
    const char *reply;  /* substring of the replies to "hello" */
    const char *consent; /* consent afterwards, or NULL */
} repair_case;

static const repair_case repairs[] = {
    {"not an object", "[1, 2, 3]", "WELCOME", NULL},
    {"unknown dialog", "{\"met\": true, \"stack\": [{\"dialog\": \"ghost\", \"state\": \"x\"}]}", "RESET", NULL},
    {"unknown state", "{\"met\": true, \"consent\": \"yes\", \"stack\": [{\"dialog\": \"naming-the-pattern\", \"state\": \"gone\"}]}", "RESET", "yes"},
    {"a state that never waits", "{\"met\": true, \"stack\": [{\"dialog\": \"naming-the-pattern\", \"state\": \"done\"}]}", "RESET", NULL},
    {"frame of the wrong type", "{\"met\": true, \"stack\": [\"naming-the-pattern\"]}", "RESET", NULL},
    {"stack of the wrong type", "{\"met\": true, \"stack\": {\"dialog\": \"help\"}}", "RESET", NULL},
    {"too deep", "{\"met\": true, \"stack\": [{\"dialog\": \"naming-the-pattern\", \"state\": \"intro\"},{\"dialog\": \"naming-the-pattern\", \"state\": \"intro\"},{\"dialog\": \"naming-the-pattern\", \"state\": \"intro\"},{\"dialog\": \"naming-the-pattern\", \"state\": \"intro\"},{\"dialog\": \"naming-the-pattern\", \"state\": \"intro\"}]}", "RESET", NULL},
    {"exercise step out of range", "{\"met\": true, \"stack\": [{\"exercise\": \"body-scan\", \"step\": 7}]}", "RESET", NULL},
    {"unknown exercise", "{\"met\": true, \"stack\": [{\"exercise\": \"juggling\", \"step\": 0}]}", "RESET", NULL},
    {"reflection without its text", "{\"met\": true, \"stack\": [{\"dialog\": \"naming-the-pattern\", \"state\": \"situations\", \"reflect\": \"check\"}]}", "RESET", NULL},
    {"odd fields", "{\"met\": \"yes\", \"consent\": \"maybe\", \"turn\": \"x\", \"last\": [], \"picked\": 3, \"followup\": {\"exercise\": \"juggling\"}, \"stack\": []}", "WELCOME", NULL},
    {"a call state on top", "{\"met\": true, \"stack\": [{\"dialog\": \"checkin\", \"state\": \"pause\"}]}", "RESET", NULL},
    {"vars of the wrong type", "{\"met\": true, \"stack\": [{\"dialog\": \"naming-the-pattern\", \"state\": \"intro\", \"vars\": 5}]}", "RESET", NULL},
    {"safety memory of the wrong type", "{\"met\": false, \"safety\": [1], \"stack\": []}", "WELCOME", NULL},
    {"safety fields of the wrong type", "{\"met\": false, \"safety\": {\"at\": \"x\", \"cat\": 3, \"due\": 1, \"asked\": []}, \"stack\": []}", "WELCOME", NULL},
    {"safety memory long past", "{\"met\": false, \"safety\": {\"at\": 1000, \"cat\": \"ghost\", \"due\": true}, \"stack\": []}", "WELCOME", NULL},
};

static void test_repair(void **unused)
{
    (void)unused;
    for (size_t i = 0; i < sizeof repairs / sizeof repairs[0]; i++) {
        const repair_case *c = &repairs[i];
        print_message("# repair: %s\n", c->name);
        json_t *st = state_of(c->state);
        sb_input in = {"hello", T0, 0, "Ann"};
        sb_step s;
        assert_int_equal(engine_step(dialogs, st, &in, &s), SB_OK);
        assert_true(s.nreplies >= 1);
        sb_buf all = {0};
        for (size_t k = 0; k < s.nreplies; k++)
            sb_buf_printf(&all, "%s\n", s.replies[k]);
        print_message("#   %s", all.data);
        assert_non_null(strstr(all.data, c->reply));
        if (strcmp(c->reply, "RESET") == 0)
            assert_non_null(strstr(all.data, "FALLBACK")); /* then handled as idle input */
        const json_t *stack = json_object_get(s.state, "stack");
        assert_true(json_is_array(stack));
        assert_true(json_array_size(stack) <= 1);
        const char *consent = json_string_value(json_object_get(s.state, "consent"));
        if (c->consent)
            assert_string_equal(consent, c->consent);
        else
            assert_null(consent);
        assert_true(json_is_integer(json_object_get(s.state, "turn")));
        const json_t *safety = json_object_get(s.state, "safety");
        if (safety) { /* kept only when sound, and only while recent */
            assert_true(json_is_object(safety));
            const json_t *at = json_object_get(safety, "at"), *cat = json_object_get(safety, "cat");
            assert_true(!at || json_is_integer(at));
            assert_true(!cat || json_is_string(cat));
            assert_true(!json_object_get(safety, "due") || json_is_true(json_object_get(safety, "due")));
        }
        if (strstr(c->name, "long past"))
            assert_null(safety);
        sb_buf_free(&all);
        engine_step_free(&s);
        json_decref(st);
    }
}

static void test_stack_depth(void **unused)
{
    (void)unused;
    char *st = fresh_state();
    int64_t now = T0;
    static const exchange x[] = {
        CONSENT,
        {"pattern", {"INTRO"}, NULL, 0, 0},
        {"checkin", {"CHECKIN_TRUST"}, NULL, 0, 0},
        {"@start:welcome", {"WELCOME"}, NULL, 0, 0},
        {"@exercise:notice-urge", {"STEP1"}, "G(notice-urge)", 0, 0},
        {"I want to die", {"CRISIS", "SAFETY_OFFER"}, "C", 0, 0},
        END};
    run(x, &st, &now);
    json_t *state = state_of(st);
    const json_t *stack = json_object_get(state, "stack");
    assert_int_equal(json_array_size(stack), 4);
    /* the oldest frame (pattern) made room; the newest is the safety plan */
    assert_string_equal(json_string_value(json_object_get(json_array_get(stack, 0), "dialog")), "checkin");
    assert_string_equal(json_string_value(json_object_get(json_array_get(stack, 3), "dialog")), "safety-plan");
    json_decref(state);
    /* the end of the safety plan drops everything it interrupted */
    static const exchange unwind[] = {
        {"no", {"SAFETY_END", "~RESUME", "~STEP1"}, "X(notice-urge)", 0, 0},
        {"next", {"FALLBACK", "~STEP2"}, NULL, 0, 0},
        END};
    run(unwind, &st, &now);
    state = state_of(st);
    assert_int_equal(json_array_size(json_object_get(state, "stack")), 0);
    json_decref(state);
    free(st);
}

static void test_start_odd_ids(void **unused)
{
    (void)unused;
    char *st = fresh_state();
    int64_t now = T0;
    static const exchange x[] = {
        CONSENT,
        {"@start:ghost", {"FALLBACK"}, NULL, 0, 0},
        {"@exercise:juggling", {"FALLBACK"}, NULL, 0, 0},
        {"@start:checkin", {"CHECKIN_TRUST"}, NULL, 0, 0},
        {"@exercise:body-scan", {"GROUP_PRIVATE", "~SCAN1"}, NULL, 0, 1},
        {"2", {"CHECKIN_PAUSE"}, "R(trust:2)", 0, 0},
        END};
    run(x, &st, &now);
    free(st);
}

static void test_step_is_pure(void **unused)
{
    (void)unused;
    json_t *st = state_of("{\"v\": 1, \"met\": true, \"consent\": \"yes\", \"turn\": 5, \"stack\": "
                          "[{\"dialog\": \"naming-the-pattern\", \"state\": \"situations\", \"vars\": {}}]}");
    char *before = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS);
    sb_input in = {"I hid in my room", T0, 0, "Ann"};
    sb_step a, b;
    assert_int_equal(engine_step(dialogs, st, &in, &a), SB_OK);
    assert_int_equal(engine_step(dialogs, st, &in, &b), SB_OK);
    char *after = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(before, after); /* the input state is borrowed, never changed */
    assert_int_equal(a.nreplies, b.nreplies);
    for (size_t i = 0; i < a.nreplies; i++)
        assert_string_equal(a.replies[i], b.replies[i]);
    assert_true(json_equal(a.state, b.state));
    free(before);
    free(after);
    engine_step_free(&a);
    engine_step_free(&b);
    json_decref(st);
}

static void test_odd_input(void **unused)
{
    (void)unused;
    json_t *st = state_of("{\"v\": 1, \"met\": true, \"consent\": \"yes\", \"stack\": "
                          "[{\"dialog\": \"naming-the-pattern\", \"state\": \"situations\"}]}");
    /* invalid UTF-8, a long text, blanks: each gets an answer and a state that dumps */
    static char long_text[40000];
    memset(long_text, 'a', sizeof long_text - 1);
    const char *inputs[] = {"\xff\xfe bad \xc3", long_text, "   ", "", "!", "!!!", "1/0"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        sb_input in = {inputs[i], T0, 0, NULL};
        sb_step s;
        assert_int_equal(engine_step(dialogs, st, &in, &s), SB_OK);
        assert_true(s.nreplies >= 1);
        char *text = json_dumps(s.state, JSON_COMPACT);
        assert_non_null(text);
        assert_true(strlen(text) < 40000); /* saved answers are capped */
        free(text);
        engine_step_free(&s);
    }
    sb_input none = {NULL, T0, 0, NULL};
    sb_step s;
    assert_int_equal(engine_step(dialogs, st, &none, &s), SB_OK);
    engine_step_free(&s);
    json_decref(st);
}

/* Privacy (design.md invariant 6): what the person wrote stays in their state only while a
 * text of the running dialog may still show it, and the raw answer of a reflection check
 * only when it is to be journaled. Each row: an exchange, then a text the stored state must
 * not hold after it (and one it must, to show the row can tell). */
typedef struct kept_case {
    exchange x;
    const char *absent, *present;
} kept_case;

#define NOTE "I hid from my sister"
static const kept_case kept[] = {
    {{"no", {"CONSENT_NO"}, "S(consent=no)", 0, 0}, NULL, NULL},
    {{"private note", {"NOTE_ASK"}, NULL, 0, 0}, NULL, NULL},
    {{NOTE, {"you hid from your sister. Did I get that right?"}, NULL, 0, 0}, NOTE, "you hid from your sister"},
    {{"yes", {"NOTE_RATE"}, NULL, 0, 0}, "hid", "private-note"},
    {{"5", {"NOTE_END Weight 5."}, NULL, 0, 0}, "private-note", NULL},
    {{"@start:welcome", {"WELCOME"}, NULL, 0, 0}, NULL, NULL},
    {{"yes", {"CONSENT_YES"}, "S(consent=yes)", 0, 0}, NULL, NULL},
    {{"private note", {"NOTE_ASK"}, NULL, 0, 0}, NULL, NULL},
    {{NOTE, {"Did I get that right?"}, NULL, 0, 0}, NULL, NOTE}, /* to journal it on yes */
    {{"yes", {"NOTE_RATE"}, "J(A private note=" NOTE ")", 0, 0}, "hid", "private-note"},
    {{"stop", {"STOPPED"}, NULL, 0, 0}, "private-note", NULL},
    {{"private note", {"NOTE_ASK"}, NULL, 0, 0}, NULL, NULL},
    {{NOTE, {"Did I get that right?"}, NULL, 0, 0}, NULL, NOTE},
    {{"stop", {"STOPPED"}, NULL, 0, 0}, "hid", NULL},
    {{"private note", {"NOTE_ASK"}, NULL, 0, 0}, NULL, NULL},
    {{NOTE, {"Did I get that right?"}, NULL, 0, 0}, NULL, NOTE},
    {{"I want to die", {"CRISIS", "SAFETY_OFFER"}, "C", 0, 0}, NULL, NULL},
    {{"no", {"SAFETY_END"}, NULL, 0, 0}, "hid", NULL},
};

static void test_state_keeps_only_what_is_needed(void **unused)
{
    (void)unused;
    char *st = fresh_state();
    int64_t now = T0;
    static const exchange hello[] = {{"hi", {"WELCOME"}, NULL, 0, 0}, END};
    run(hello, &st, &now);
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        exchange x[] = {kept[i].x, END};
        run(x, &st, &now);
        print_message("#   state: %s\n", st);
        if (kept[i].absent && strstr(st, kept[i].absent))
            fail_msg("after \"%s\" the state still holds \"%s\"", kept[i].x.in, kept[i].absent);
        if (kept[i].present && !strstr(st, kept[i].present))
            fail_msg("after \"%s\" the state lacks \"%s\"", kept[i].x.in, kept[i].present);
    }
    free(st);
}

/* The opening words of a first message live in the welcome's run only. */
static void test_opening_goes_with_the_welcome(void **unused)
{
    (void)unused;
    char *st = fresh_state();
    int64_t now = T0;
    static const exchange x[] = {
        {"I keep pushing my partner away", {"FIRST_TEXT", "WELCOME"}, NULL, 0, 0}, END};
    run(x, &st, &now);
    assert_non_null(strstr(st, "pushing")); /* the welcome's texts still show it */
    static const exchange y[] = {{"no", {"CONSENT_NO"}, "S(consent=no)", 0, 0}, END};
    run(y, &st, &now);
    print_message("#   state: %s\n", st);
    assert_null(strstr(st, "pushing"));
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variants_never_repeat),
        cmocka_unit_test(test_repair),
        cmocka_unit_test(test_stack_depth),
        cmocka_unit_test(test_start_odd_ids),
        cmocka_unit_test(test_step_is_pure),
        cmocka_unit_test(test_odd_input),
        cmocka_unit_test(test_state_keeps_only_what_is_needed),
        cmocka_unit_test(test_opening_goes_with_the_welcome),
    };
    return cmocka_run_group_tests(tests, setup_dialogs, teardown_dialogs);
}
