/* test_match.c — the matchers as tables over tests/dialogs-fixture: engine_match_command
 * (with and without "!", idle or not, direct or group), choices, ratings, the crisis check
 * with its wildcard and figures of speech, and the normal forms of text.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "match.h"
#include "sb.h"
#include "text.h"

static sb_dialogs *dialogs;

static int setup(void **unused)
{
    (void)unused;
    return dialogs_load("tests/dialogs-fixture", &dialogs, NULL, NULL) == SB_OK ? 0 : -1;
}

static int teardown(void **unused)
{
    (void)unused;
    dialogs_free(dialogs);
    return 0;
}

typedef struct command_case {
    const char *text;
    int idle, direct;
    const char *name; /* NULL: no command */
    const char *arg;  /* NULL: no argument */
} command_case;

static const command_case commands[] = {
    {"!help", 0, 0, "help", NULL},
    {"  !HELP  ", 0, 0, "help", NULL},
    {"!help?", 0, 0, "help", NULL},
    {"! help", 0, 0, "help", NULL},
    {"!journal I felt Fine today.", 0, 0, "journal", "I felt Fine today."},
    {"!journal   spaced   out  ", 0, 0, "journal", "spaced   out"},
    {"!journal.", 0, 0, "journal", NULL},
    {"!what can you do", 0, 0, "help", NULL},
    {"!What  Can you do?", 0, 0, "help", NULL},
    {"!check in now", 1, 1, "checkin", "now"},
    {"!checkin", 0, 0, "checkin", NULL},
    {"!naming the pattern", 0, 0, "pattern", NULL},
    {"!pattern naming", 0, 0, "pattern", "naming"},
    {"!xyz", 1, 1, NULL, NULL},
    {"!", 1, 1, NULL, NULL},
    {"!helpful", 1, 1, NULL, NULL},
    {"help", 0, 1, "help", NULL},
    {"help", 1, 0, NULL, NULL},
    {"Help!", 0, 1, "help", NULL},
    {"help me", 0, 1, NULL, NULL},
    {"help me", 1, 1, NULL, NULL},        /* help takes no argument */
    {"!help me", 1, 1, "help", "me"},      /* after "!" the rest always is one */
    {"about my dad", 1, 1, NULL, NULL},
    {"about.", 1, 1, "about", NULL},
    {"about, please", 1, 1, NULL, NULL},
    {"journal I felt Fine", 1, 1, "journal", "I felt Fine"},
    {"journal I felt Fine", 0, 1, NULL, NULL}, /* waiting: may be an answer */
    {"exercise body", 0, 1, "exercise", "body"},  /* a topic is never an answer */
    {"exercise list", 0, 1, "exercise", "list"},
    {"exercises are hard", 0, 1, NULL, NULL},
    {"exercise body", 1, 1, "exercise", "body"},
    {"Exercise BODY.", 1, 1, "exercise", "body"},
    {"exercise list", 1, 1, "exercise", "list"},
    {"exercises are hard", 1, 1, NULL, NULL},
    {"exercise is hard", 1, 1, NULL, NULL},
    {"exercise", 1, 1, "exercise", NULL},
    {"!exercise body", 0, 1, "exercise", "body"},
    {"!exercise Body.", 0, 0, "exercise", "body"},
    {"!exercise are hard", 0, 1, "exercise", "are hard"},
    {"!exercise ?", 0, 1, "exercise", NULL},
    {"what can you do?", 0, 1, "help", NULL},
    {"so what can you do", 1, 1, "help", NULL},
    {"so what can you do", 0, 1, NULL, NULL},
    {"So, how does this work?", 1, 1, "help", NULL},
    {"helpful", 1, 1, NULL, NULL},
    {"stop", 0, 1, "stop", NULL},
    {"STOP.", 0, 1, "stop", NULL},
    {"stopping", 1, 1, NULL, NULL},
    {"please stop", 0, 1, NULL, NULL},
    {"give me an exercise please", 1, 1, "exercise", NULL},
    {"exercises are hard, give me an exercise", 1, 1, "exercise", NULL}, /* by its phrase */
    {"could you give me an exercise", 0, 1, NULL, NULL},
    {"check   in", 0, 1, "checkin", NULL},
    {"nudge 9:00", 1, 1, "nudge", "9:00"},
    {"nudge 9:00", 0, 1, NULL, NULL},
    {"", 1, 1, NULL, NULL},
    {"   ", 1, 1, NULL, NULL},
    /* a slip in a command word of 5 letters or more, when nothing waits */
    {"exersise", 1, 1, "exercise", NULL},
    {"Jornal!", 1, 1, "journal", NULL},
    {"jounral", 1, 1, "journal", NULL},   /* two letters swapped */
    {"patern", 1, 1, "pattern", NULL},
    {"give me an exersise", 1, 1, "exercise", NULL}, /* in a phrase */
    {"exersise body", 1, 1, "exercise", "body"},
    {"exersise", 0, 1, NULL, NULL},        /* an answer while a dialog waits */
    {"journals are hard", 1, 1, NULL, NULL}, /* never a text argument from a slip */
    {"exercisse ideas", 1, 1, NULL, NULL},
    {"judge", 1, 1, NULL, NULL},           /* commands.json known_words */
    {"checking", 1, 1, NULL, NULL},        /* a word the set's own texts use */
    {"cancle", 1, 1, NULL, NULL},          /* stop is "exact" */
    {"nudg", 1, 1, NULL, NULL},            /* fewer than 5 letters */
    {"exrcse", 1, 1, NULL, NULL},          /* two edits */
    {"!exersise", 1, 1, NULL, NULL},       /* "!" names a command exactly */
};

static void test_match_command(void **unused)
{
    (void)unused;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const command_case *c = &commands[i];
        const char *name = (const char *)1;
        char *arg = (char *)1;
        int found = engine_match_command(dialogs, c->text, c->idle, c->direct, &name, &arg);
        print_message("# \"%s\" idle=%d direct=%d -> %s [%s]\n", c->text, c->idle, c->direct,
                      found ? name : "-", found && arg ? arg : "");
        assert_int_equal(found, c->name != NULL);
        if (!found)
            continue;
        assert_string_equal(name, c->name);
        if (c->arg)
            assert_string_equal(arg, c->arg);
        else
            assert_null(arg);
        free(arg);
    }
}

typedef struct choice_case {
    const char *text;
    int index; /* -1: none */
} choice_case;

static const choice_case choices[] = {
    {"1", 0}, {"2.", 1}, {" 2 ", 1}, {"yes", 0}, {"Yes, let's start", 0}, {"later", 1},
    {"no thanks", 1}, {"sure thing", 0}, {"Not now", 1}, {"not now, sorry", 1}, {"2 please", 1},
    {"3", -1}, {"0", -1}, {"maybe", -1}, {"nope", -1}, {"", -1}, {"yesterday", -1},
    {"OK!", 0},
};

static void test_match_choice(void **unused)
{
    (void)unused;
    const json_t *states = json_object_get(dialogs_dialog(dialogs, "naming-the-pattern"), "states");
    const json_t *list = json_object_get(json_object_get(states, "intro"), "choices");
    assert_non_null(list);
    for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
        size_t index = 99;
        int rc = match_choice(list, choices[i].text, &index);
        print_message("# \"%s\" -> %d %zu\n", choices[i].text, rc, index);
        assert_int_equal(rc, choices[i].index >= 0);
        if (rc == 1)
            assert_int_equal(index, (size_t)choices[i].index);
    }
}

/* Labels as the welcome menu has them; the answer matched no number, word or label start. */
static const char menu[] =
    "[{\"label\": \"Does this sound like me? (a two-minute self-check)\"},"
    " {\"label\": \"What is avoidant attachment, anyway?\"},"
    " {\"label\": \"Give me a short exercise\"},"
    " {\"label\": \"Show me everything you can do\"},"
    " {\"label\": \"Nothing yet, I'm just looking\"}]";

static const choice_case labels[] = {
    {"what is avoidant attachment", 1},    /* contained in one label */
    {"What is avoidant attachment?", 1},
    {"avoidant attachment what is it", 1}, /* all significant words, any order */
    {"attachment", 1},
    {"a short exercise please", 2},
    {"self-check", 0},
    {"sound like me", 0},
    {"just looking", 4},
    {"im just looking", 4},                /* filler "i" is no "im": still a word of the label */
    {"me", -1},                            /* only filler words */
    {"what is it", -1},
    {"the", -1},
    {"everything exercise", -1},           /* the words are in two labels, not in one */
    {"short", 2},
    {"a long exercise", -1},               /* "long" is in no label */
    {"pattern", -1},
    {"", -1},
    {"one two three four five six seven eight nine ten eleven twelve thirteen", -1},
};

static void test_match_choice_label(void **unused)
{
    (void)unused;
    json_t *list = json_loads(menu, 0, NULL);
    assert_non_null(list);
    const json_t *filler = json_object_get(dialogs_data(dialogs, "commands"), "filler_words");
    assert_non_null(filler);
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        size_t index = 99;
        int rc = match_choice_label(list, filler, labels[i].text, NULL, &index);
        print_message("# \"%s\" -> %d %zu\n", labels[i].text, rc, index);
        assert_int_equal(rc, labels[i].index >= 0);
        if (rc == 1)
            assert_int_equal(index, (size_t)labels[i].index);
    }
    size_t index = 99; /* without filler words every word counts */
    assert_int_equal(match_choice_label(list, NULL, "what is avoidant attachment", NULL, &index), 1);
    assert_int_equal(index, 1);
    assert_int_equal(match_choice_label(list, NULL, "me", NULL, &index), 0);
    const unsigned char skip[5] = {0, 1, 0, 0, 0}; /* a choice the caller rules out */
    assert_int_equal(match_choice_label(list, filler, "avoidant attachment", skip, &index), 0);
    assert_int_equal(match_choice_label(list, filler, "short exercise", skip, &index), 1);
    assert_int_equal(index, 2);
    json_decref(list);
}

/* Other words, same meaning: most of the content words shared with one choice (crude
 * stems); a long message about something else is no pick and shares little. */
static const struct {
    const char *text;
    int index;  /* -1: none */
    int shared; /* 1 when *shared should be non-zero */
} overlaps[] = {
    {"some exercises please", 2, 1},
    {"show everything", 3, 1},
    {"just looking around", 4, 1},
    {"attachment stuff", 1, 1},
    {"exercise", -1, 1}, /* one word: the word rules decide */
    {"me and my husband had a huge fight last night and now he is not talking to me", -1, 0},
    {"show me a short exercise", 2, 1}, /* the label that shares most */
    {"show short", -1, 1}, /* two labels share as much: no pick */
};

static void test_match_choice_overlap(void **unused)
{
    (void)unused;
    json_t *list = json_loads(menu, 0, NULL);
    assert_non_null(list);
    const json_t *filler = json_object_get(dialogs_data(dialogs, "commands"), "filler_words");
    for (size_t i = 0; i < sizeof overlaps / sizeof overlaps[0]; i++) {
        size_t index = 99, shared = 0;
        int rc = match_choice_overlap(list, filler, overlaps[i].text, NULL, &index, &shared);
        print_message("# \"%s\" -> %d %zu shared %zu\n", overlaps[i].text, rc, index, shared);
        assert_int_equal(rc, overlaps[i].index >= 0);
        if (rc == 1)
            assert_int_equal(index, (size_t)overlaps[i].index);
        assert_int_equal(shared > 0, overlaps[i].shared);
    }
    json_decref(list);
}

typedef struct rating_case {
    const char *text;
    int rating; /* 0: none */
} rating_case;

static const rating_case ratings[] = {
    {"5", 5}, {"5/7", 5}, {"5 / 7", 5}, {"5 out of 7", 5}, {"five", 5}, {"Seven!", 7},
    {"I'd say 6", 6}, {"maybe a 4.", 4}, {"1", 1}, {"7", 7}, {"(3)", 3}, {"three out of seven", 3},
    {"0", 0}, {"8", 0}, {"10", 0}, {"4 or 5", 0}, {"lots", 0}, {"", 0}, {"5/10", 0},
    {"I guess it was around 5 that day but hard to say really", 0}, {"-3", 0},
};

static void test_match_rating(void **unused)
{
    (void)unused;
    for (size_t i = 0; i < sizeof ratings / sizeof ratings[0]; i++) {
        int got = match_rating(ratings[i].text);
        print_message("# \"%s\" -> %d\n", ratings[i].text, got);
        assert_int_equal(got, ratings[i].rating);
    }
}

typedef struct crisis_case {
    const char *text;
    int crisis;
} crisis_case;

static const crisis_case crises[] = {
    {"I want to die", 1},
    {"i WANT to DIE.", 1},
    {"Sometimes I think I want to kill myself", 1},
    {"I can't do this anymore", 1},
    {"I can’t do this anymore", 1},
    {"I cant do this anymore", 1},
    {"everyone would be better off without me", 1},
    {"I might hurt myself", 1},
    {"I might hurt really badly myself", 1},
    {"I want to end it all", 1},
    {"thinking about suicide", 1},
    {"This deadline is killing me", 0},
    {"I killed it at the presentation", 0},
    {"I'm dying to see you", 0},
    {"I nearly died of laughter", 0},
    {"I want to diet", 0},
    {"I might hurt my back, my arm and my leg myself", 0}, /* more than 3 words in between */
    {"my suicidal thoughts are gone", 0},                  /* words match whole, not as prefix */
    {"It's killing me and I want to die", 1},
    {"killing me want to die", 1},
    {"", 0},
};

static void test_crisis(void **unused)
{
    (void)unused;
    for (size_t i = 0; i < sizeof crises / sizeof crises[0]; i++) {
        print_message("# \"%s\"\n", crises[i].text);
        assert_int_equal(engine_is_crisis(dialogs, crises[i].text), crises[i].crisis);
    }
}

typedef struct norm_case {
    const char *in, *command, *phrase;
} norm_case;

static const norm_case norms[] = {
    {"  Help  me!! ", "help me", "help me"},
    {"What\tcan\nyou do?", "what can you do", "what can you do"},
    {"I can’t — really…", "i can’t — really…", "i cant really"},
    {"“Quoted” text.", "“quoted” text", "quoted text"},
    {"Ünïcode STAYS", "Ünïcode stays", "Ünïcode stays"},
    {"...", "", ""},
    {"", "", ""},
};

typedef struct escape_case {
    const char *in, *out;
} escape_case;

static const escape_case escapes[] = {
    {"plain words", "plain words"},
    {"*stars* and _under_", "\\*stars\\* and \\_under\\_"},
    {"<b>tags</b>", "\\<b\\>tags\\<\\/b\\>"},
    {"[link](x)", "\\[link\\]\\(x\\)"},
    {"# 1. - > ` ~ | \\ & ' \" ! ?", "\\# 1\\. \\- \\> \\` \\~ \\| \\\\ \\& \\' \\\" \\! \\?"},
    {"caf\xC3\xA9 \xE2\x80\x94 \xE2\x80\x9Cquoted\xE2\x80\x9D", "caf\xC3\xA9 \xE2\x80\x94 \xE2\x80\x9Cquoted\xE2\x80\x9D"},
    {"line\nbreak", "line\nbreak"},
    {"", ""},
};

static void test_escape_markdown(void **unused)
{
    (void)unused;
    for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
        char *got = text_escape_markdown(escapes[i].in);
        print_message("# \"%s\" -> \"%s\"\n", escapes[i].in, got);
        assert_string_equal(got, escapes[i].out);
        free(got);
    }
    assert_null(text_escape_markdown(NULL));
}

/* A value that ends a sentence inside one of the template's: its full stop goes where the
 * template has punctuation of its own next, or goes on with the sentence. */
static const char *one_var(void *ctx, const char *name, size_t len)
{
    (void)name;
    (void)len;
    return ctx;
}

static void test_substitute_stops(void **unused)
{
    (void)unused;
    static const struct {
        const char *tmpl, *value, *out;
    } rows[] = {
        {"step: **{v}**, then.", "come back\\.", "step: **come back**, then."},
        {"You named it: {v}.", "fear.", "You named it: fear."},
        {"If {v} could speak", "fear.", "If fear could speak"},
        {"If {v} Could", "fear.", "If fear. Could"},
        {"- {v}\n", "fear.", "- fear.\n"},
        {"{v}.", "wait...", "wait."},
        {"{v}?", "why.", "why?"},
        {"{v}.", "", "."},
        {"{v}.", "really?", "really."},
        {"{v}, then.", "really\\?", "really, then."},
        {"{v}!", "now?", "now?!"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *got = text_substitute(rows[i].tmpl, one_var, (void *)rows[i].value);
        assert_non_null(got);
        assert_string_equal(got, rows[i].out);
        free(got);
    }
}

static void test_normal_forms(void **unused)
{
    (void)unused;
    for (size_t i = 0; i < sizeof norms / sizeof norms[0]; i++) {
        char *c = text_norm_command(norms[i].in);
        char *p = text_norm_phrase(norms[i].in);
        assert_string_equal(c, norms[i].command);
        assert_string_equal(p, norms[i].phrase);
        free(c);
        free(p);
    }
    assert_int_equal(text_find_words("i want to die now", "want to die"), 2);
    assert_int_equal(text_find_words("i want to diet", "want to die"), -1);
    assert_int_equal(text_find_words("unwant to die", "want to die"), -1);
    char *clean = text_utf8_clean("ok\xff\xc3(\xe2\x82", 100);
    assert_string_equal(clean, "ok\xEF\xBF\xBD\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD");
    free(clean);
    clean = text_utf8_clean("\xc3\xa9\xc3\xa9\xc3\xa9", 5); /* never cut inside a character */
    assert_string_equal(clean, "\xc3\xa9\xc3\xa9");
    free(clean);
    assert_int_equal(text_utf8_cut("\xc3\xa9\xc3\xa9", 4, 3), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_command),
        cmocka_unit_test(test_match_choice),
        cmocka_unit_test(test_match_choice_label),
        cmocka_unit_test(test_match_choice_overlap),
        cmocka_unit_test(test_match_rating),
        cmocka_unit_test(test_crisis),
        cmocka_unit_test(test_normal_forms),
        cmocka_unit_test(test_escape_markdown),
        cmocka_unit_test(test_substitute_stops),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
