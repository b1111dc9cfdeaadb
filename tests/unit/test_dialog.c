/* test_dialog.c — the dialog loader and its validation. Each case of tests/dialogs-broken/
 * is a small set made of tests/dialogs-broken/base/ (a valid minimal set) with the case's
 * own files added or put in place of base files; loading it must fail with the expected
 * (file, state, message) and no more problems than the case expects. Also: the fixture
 * set loads clean, single-buffer loading, the crisis message override. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dialog.h"
#include "sb.h"

#define BROKEN "tests/dialogs-broken"
#define FIXTURE "tests/dialogs-fixture"

typedef struct problem {
    char file[128], state[64], message[512];
} problem;

typedef struct problems {
    problem list[32];
    size_t n;
} problems;

static void collect(void *ctx, const char *file, const char *state, const char *message)
{
    problems *p = ctx;
    if (p->n < sizeof p->list / sizeof p->list[0]) {
        problem *q = &p->list[p->n++];
        snprintf(q->file, sizeof q->file, "%s", file);
        snprintf(q->state, sizeof q->state, "%s", state);
        snprintf(q->message, sizeof q->message, "%s", message);
    }
}

static void print_problems(const problems *p)
{
    for (size_t i = 0; i < p->n; i++)
        print_message("# %s: %s: %s\n", p->list[i].file, p->list[i].state, p->list[i].message);
}

/* Links every *.json of dir into tmp unless tmp already has a file of that name. */
static void link_all(const char *dir, const char *tmp)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char from[PATH_MAX + 256], to[PATH_MAX + 256], abs_dir[PATH_MAX];
        assert_non_null(realpath(dir, abs_dir));
        snprintf(from, sizeof from, "%s/%s", abs_dir, e->d_name);
        snprintf(to, sizeof to, "%s/%s", tmp, e->d_name);
        if (access(to, F_OK) != 0)
            assert_int_equal(symlink(from, to), 0);
    }
    closedir(d);
}

static void remove_dir(const char *tmp)
{
    DIR *d = opendir(tmp);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(tmp);
}

typedef struct broken_case {
    const char *name; /* directory under tests/dialogs-broken, or a generated case */
    int with_base;
    const char *file, *state, *message; /* the problem that must be reported */
    size_t count;                        /* how many problems the case causes in all */
} broken_case;

static const broken_case cases[] = {
    {"invalid-json", 1, "talk.json", "-", "invalid JSON at line 3", 1},
    {"unknown-state", 1, "talk.json", "ask", "next leads to state \"nowhere\", which does not exist", 1},
    {"unknown-dialog-next", 1, "talk.json", "ask", "leads to dialog \"ghost\", which does not exist", 1},
    {"unknown-call", 1, "talk.json", "ask", "call: dialog \"ghost\" does not exist", 1},
    {"unknown-choice-target", 1, "talk.json", "ask", "choice 2 leads to state \"nope\"", 1},
    {"command-dialog", 1, "commands.json", "-", "command \"help\": dialog \"ghost\" does not exist", 1},
    {"first-contact", 1, "commands.json", "-", "first_contact: dialog \"greeting\" does not exist", 1},
    {"crisis-dialog", 1, "crisis.json", "-", "dialog: dialog \"ghost\" does not exist", 1},
    {"crisis-message", 1, "crisis.json", "-", "reply 1 must contain {crisis_message}", 1},
    {"unreachable", 1, "talk.json", "orphan", "no path reaches this state", 1},
    {"dead-end", 1, "talk.json", "ask", "not final and no way out", 1},
    {"opening-without-own-words", 1, "talk.json", "ask", "choice 1: opening is only for the own_words choice", 1},
    /* own words may lead to a dialog only when its start menu takes them too */
    {"own-words-dialog", 1, "talk.json", "ask", "choice 1: own_words needs a next state", 1},
    {"quote-on-choice", 1, "talk.json", "ask", "quote must be true or false, on a text state", 1},
    {"skipped-without-save", 1, "talk.json", "ask", "skipped must be a non-empty text, on a state that saves", 1},
    {"unanswered-on-text", 1, "talk.json", "ask", "unanswered needs expect \"choice\", after (1 or more) and next", 1},
    {"no-final", 1, "talk.json", "ping", "no path from here reaches a final state", 2},
    {"loop-never-waits", 1, "talk.json", "spin", "a loop of states that never wait", 3},
    {"duplicate-id", 1, "b-talk.json", "-", "duplicate dialog id \"talk\" (also in a-talk.json)", 1},
    {"unknown-variable", 1, "talk.json", "end", "uses {mood}, which no state of this dialog saves", 1},
    {"empty-text", 1, "talk.json", "end", "say has an empty text", 1},
    {"empty-variants", 1, "talk.json", "end", "say is an empty list", 1},
    {"missing-say", 1, "talk.json", "ask", "missing say", 1},
    {"unknown-kind", 1, "talk.json", "-", "unknown kind \"dialogue\"", 1},
    {"unknown-expect", 1, "talk.json", "ask", "unknown expect \"number\"", 1},
    {"choice-without-choices", 1, "talk.json", "ask", "a choice state needs a non-empty list of choices", 1},
    {"unknown-measure", 1, "talk.json", "rate", "unknown measure \"happiness\" (not in measures.json)", 1},
    {"text-too-long", 1, "talk.json", "end", "text longer than 4096 bytes at states.end.say", 1},
    {"unknown-field", 1, "talk.json", "ask", "unknown field \"nxt\"", 1},
    {"missing-start", 1, "talk.json", "-", "missing start", 1},
    {"journal-not-text", 1, "talk.json", "rate", "journal only works with expect \"text\"", 1},
    {"bad-consent", 1, "talk.json", "end", "consent must be \"yes\" or \"no\"", 1},
    {"unknown-action", 1, "talk.json", "end", "unknown action \"dance\"", 1},
    {"duplicate-command-word", 1, "commands.json", "-", "the word \"menu\" also belongs to \"help\"", 1},
    {"missing-fallback", 1, "commands.json", "-", "missing fallback", 1},
    {"unknown-data-field", 1, "commands.json", "-", "unknown field \"filler_word\" in commands.json", 1},
    {"unknown-flow-field", 1, "exercises.json", "-", "unknown field \"hints\" in flow", 1},
    {"command-argument", 1, "commands.json", "-", "command \"journal\": argument must be \"text\" or \"topic\"", 1},
    {"exercise-topic", 1, "exercises.json", "-", "exercise \"pause\": unknown topic \"body\"", 1},
    {"exercise-steps", 1, "exercises.json", "-", "exercise \"pause\": steps is an empty list", 1},
    {"reflection-template", 1, "reflection.json", "-", "templates 1 must contain {echo}", 1},
    {"reflection-brief", 1, "reflection.json", "-", "brief_reply 1 must contain {echo}", 1},
    {"nudge-empty", 1, "nudges.json", "-", "empty text at messages[1]", 1},
    {"intent-unknown", 1, "intents/ghost.txt", "-", "unknown intent \"ghost\"", 1},
    {"intent-few", 1, "intents/bye.txt", "-", "only 2 examples; an intent needs at least 3", 1},
    {"intent-duplicate", 1, "intents/welcome.txt", "-", "line 4: \"See you!\" is also an example of bye", 1},
    {"missing-view", 1, "views.json", "-", "missing journal_header", 1},
    {"answer-words", 1, "commands.json", "-", "answer_words: \"Gracias!\" is not in phrase form", 2},
    {"missing-commands", 0, "commands.json", "-", "missing: no file of kind \"commands\"", 3},
    {"generated:too-big", 1, "big.json", "-", "file is larger than 1 MiB", 1},
};

/* Writes a file of just over 1 MiB into dir. */
static void write_big_file(const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/big.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"kind\": \"nudges\", \"messages\": [\"", f);
    for (int i = 0; i < 1024 * 1024; i++)
        fputc('x', f);
    fputs("\"]}", f);
    assert_int_equal(fclose(f), 0);
}

static void test_broken_set(void **state)
{
    const broken_case *c = *state;
    {
        char tmp[] = "/tmp/sb-dialogs-XXXXXX";
        assert_non_null(mkdtemp(tmp));
        if (strncmp(c->name, "generated:", 10) == 0) {
            write_big_file(tmp);
        } else {
            char dir[PATH_MAX];
            snprintf(dir, sizeof dir, "%s/%s", BROKEN, c->name);
            link_all(dir, tmp);
        }
        if (c->with_base)
            link_all(BROKEN "/base", tmp);
        problems p = {0};
        sb_dialogs *d = (sb_dialogs *)1;
        int rc = dialogs_load(tmp, &d, collect, &p);
        remove_dir(tmp);
        print_message("# case %s\n", c->name);
        print_problems(&p);
        assert_int_equal(rc, SB_EPARSE);
        assert_null(d);
        int found = 0;
        for (size_t k = 0; k < p.n; k++)
            found |= strcmp(p.list[k].file, c->file) == 0 && strcmp(p.list[k].state, c->state) == 0 &&
                     strstr(p.list[k].message, c->message) != NULL;
        if (!found)
            fail_msg("case %s: no problem %s: %s: ...%s...", c->name, c->file, c->state, c->message);
        assert_int_equal(p.n, c->count);
    }
}

static void test_base_and_fixture_load_clean(void **unused)
{
    (void)unused;
    const char *dirs[] = {BROKEN "/base", FIXTURE};
    for (size_t i = 0; i < 2; i++) {
        problems p = {0};
        sb_dialogs *d = NULL;
        int rc = dialogs_load(dirs[i], &d, collect, &p);
        print_problems(&p);
        assert_int_equal(rc, SB_OK);
        assert_int_equal(p.n, 0);
        assert_non_null(d);
        dialogs_free(d);
    }
}

static void test_fixture_accessors(void **unused)
{
    (void)unused;
    sb_dialogs *d = NULL;
    assert_int_equal(dialogs_load(FIXTURE, &d, NULL, NULL), SB_OK);
    assert_int_equal(dialogs_count(d), 9);
    const char *kinds[] = {"commands", "crisis", "reflection", "exercises", "measures", "nudges", "views"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const json_t *data = dialogs_data(d, kinds[i]);
        assert_non_null(data);
        assert_string_equal(json_string_value(json_object_get(data, "kind")), kinds[i]);
    }
    assert_null(dialogs_data(d, "dialog"));
    assert_null(dialogs_data(d, "nothing"));
    const json_t *help = dialogs_dialog(d, "help");
    assert_non_null(help);
    assert_string_equal(json_string_value(json_object_get(help, "start")), "list");
    assert_null(dialogs_dialog(d, "ghost"));
    assert_null(dialogs_dialog(d, NULL));
    dialogs_free(d);
}

static void test_missing_directory(void **unused)
{
    (void)unused;
    problems p = {0};
    sb_dialogs *d = (sb_dialogs *)1;
    assert_int_equal(dialogs_load("tests/no-such-folder", &d, collect, &p), SB_EIO);
    assert_null(d);
    assert_int_equal(p.n, 1);
}

typedef struct buffer_case {
    const char *bytes;
    int rc;
    const char *state, *message;
} buffer_case;

static const buffer_case buffers[] = {
    {"{\"kind\": \"dialog\", \"id\": \"a\", \"title\": \"A\", \"start\": \"s\",\n"
     " \"states\": {\"s\": {\"say\": \"Hi.\", \"final\": true}}}", SB_OK, NULL, NULL},
    {"{\"kind\": \"dialog\",\n\n\n \"id\": }", SB_EPARSE, "-", "invalid JSON at line 4"},
    {"[1, 2]", SB_EPARSE, "-", "must hold one JSON object"},
    {"{\"kind\": 7}", SB_EPARSE, "-", "kind must be a text"},
    {"{\"kind\": \"dialog\", \"title\": \"A\"}", SB_EPARSE, "-", "missing id"},
    {"{\"kind\": \"dialog\", \"id\": \"a\", \"id\": \"b\"}", SB_EPARSE, "-", "invalid JSON at line 1"},
    {"{\"kind\": \"views\", \"title\": \"Progress\"}", SB_EPARSE, "-", "unknown view \"title\""},
    {"{\"kind\": \"views\"}", SB_EPARSE, "-", "missing journal_header"},
    {"{\"kind\": \"measures\", \"measures\": []}", SB_EPARSE, "-", "measures must be a non-empty list"},
};

static void test_load_buffer(void **unused)
{
    (void)unused;
    for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++) {
        const buffer_case *c = &buffers[i];
        problems p = {0};
        sb_dialogs *d = NULL;
        int rc = dialogs_load_buffer("one.json", c->bytes, strlen(c->bytes), &d, collect, &p);
        print_problems(&p);
        assert_int_equal(rc, c->rc);
        if (rc == SB_OK) {
            assert_non_null(d);
            assert_int_equal(p.n, 0);
            dialogs_free(d);
            continue;
        }
        assert_null(d);
        assert_true(p.n >= 1);
        assert_string_equal(p.list[0].file, "one.json");
        assert_string_equal(p.list[0].state, c->state);
        assert_non_null(strstr(p.list[0].message, c->message));
    }
}

static void test_crisis_message_override(void **unused)
{
    (void)unused;
    sb_dialogs *d = NULL;
    assert_int_equal(dialogs_load(FIXTURE, &d, NULL, NULL), SB_OK);
    assert_string_equal(dialogs_crisis_message(d), "DEFAULT-HELPLINES findahelpline.com");
    assert_int_equal(dialogs_set_crisis_message(d, "Call 116 123 (Samaritans)"), SB_OK);
    assert_string_equal(dialogs_crisis_message(d), "Call 116 123 (Samaritans)");
    assert_int_equal(dialogs_set_crisis_message(d, NULL), SB_OK);
    assert_string_equal(dialogs_crisis_message(d), "DEFAULT-HELPLINES findahelpline.com");
    dialogs_free(d);
}

int main(void)
{
    enum { NCASES = sizeof cases / sizeof cases[0] };
    struct CMUnitTest broken[NCASES];
    for (size_t i = 0; i < NCASES; i++)
        broken[i] = (struct CMUnitTest){.name = cases[i].name, .test_func = test_broken_set,
                                        .initial_state = (void *)&cases[i]};
    int failed = _cmocka_run_group_tests("broken dialog sets", broken, NCASES, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_and_fixture_load_clean),
        cmocka_unit_test(test_fixture_accessors),
        cmocka_unit_test(test_missing_directory),
        cmocka_unit_test(test_load_buffer),
        cmocka_unit_test(test_crisis_message_override),
    };
    return failed + cmocka_run_group_tests(tests, NULL, NULL);
}
