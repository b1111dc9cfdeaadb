/* test_reflect.c — engine_reflect as a table over tests/dialogs-fixture/reflection.json:
 * what the person says, what the coach reflects; pronoun swaps (one word and multi-word,
 * subject and object "you"), feelings (and negated ones), punctuation, case, curly
 * apostrophes, UTF-8 and the cap on long echoes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "reflect.h"
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

typedef struct reflect_case {
    const char *says, *reflects;
} reflect_case;

static const reflect_case cases[] = {
    {"I am tired", "It sounds like you are tired."},
    {"I am tired.", "It sounds like you are tired."},
    {"I'm tired!!!", "It sounds like you're tired."},
    {"I’m tired", "It sounds like you're tired."},
    {"My partner says I'm distant", "It sounds like your partner says you're distant."},
    {"I was quiet with my friend", "It sounds like you were quiet with your friend."},
    {"You don't understand me", "It sounds like I don't understand you."},
    {"She told you that", "It sounds like she told me that."},
    {"I know you are right", "It sounds like you know I am right."},
    {"I told him, you were wrong", "It sounds like you told him, I was wrong."},
    {"that is mine, not yours", "It sounds like that is yours, not mine."},
    {"I shut myself off", "It sounds like you shut yourself off."},
    {"I was angry at my brother", "It sounds like you felt angry: you were angry at your brother."},
    {"I'm not angry, just tired", "It sounds like you're not angry, just tired."},
    {"I'm not angry but I am scared", "It sounds like you felt scared: you're not angry but you are scared."},
    {"When I feel let down I pull away", "It sounds like you felt let down: when you feel let down you pull away."},
    {"I don't feel angry", "It sounds like you don't feel angry."},
    {"I am not feeling angry", "It sounds like you are not feeling angry."},
    {"I never felt let down by her", "It sounds like you never felt let down by her."},
    {"I wasn't really feeling sad", "It sounds like you wasn't really feeling sad."},
    {"I don't feel angry, I feel sad", "It sounds like you felt sad: you don't feel angry, you feel sad."},
    {"I don't know why I feel lonely", "It sounds like you felt lonely: you don't know why you feel lonely."},
    {"I feel angry", "It sounds like you felt angry: you feel angry."},
    {"When she called I froze", "It sounds like when she called you froze."},
    {"MY BOSS yelled", "It sounds like your BOSS yelled."},
    {"NASA called me", "It sounds like NASA called you."},
    {"Ich bin müde", "It sounds like Ich bin müde."}, /* no common English start: kept */
    {"Sam said I was cold", "It sounds like Sam said you were cold."},
    {"Sam, I said, was cold", "It sounds like Sam, you said, was cold."},
    {"She said I was cold", "It sounds like she said you were cold."},
    {"It's mine", "It sounds like it's yours."},
    {"  spaced\t out   words  ", "It sounds like spaced out words."},
    {"(I hid)", "It sounds like (you hid)."},
    {"\"I hid\", I said", "It sounds like \"you hid\", you said."},
    /* hedges that open or close a clause are left out; inside one they stay */
    {"work i guess", "It sounds like work."},
    {"I guess, work", "It sounds like work."},
    {"I think I am tired", "It sounds like you are tired."},
    {"I think about her a lot", "It sounds like you think about her a lot."}, /* hedge_not_before */
    {"kind of tired", "It sounds like tired."},
    {"I kind of froze", "It sounds like you kind of froze."},
    {"tired I guess, and sad", "It sounds like you felt sad: tired, and sad."},
    {"I'm not sure. Maybe angry?", "It sounds like you felt angry: you're not sure. Angry."},
    {"Maybe I was cold", "It sounds like you were cold."},
    {"maybe not", "It sounds like maybe not."},
    {"i guess", ""},
    {"...", ""},
    {"", ""},
};

static void test_reflect_table(void **unused)
{
    (void)unused;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = engine_reflect(dialogs, cases[i].says);
        assert_non_null(got);
        print_message("# %s -> %s\n", cases[i].says, got);
        assert_string_equal(got, cases[i].reflects);
        free(got);
    }
}

static void test_reflect_long_text_is_capped(void **unused)
{
    (void)unused;
    sb_buf b = {0};
    for (int i = 0; i < 60; i++)
        sb_buf_puts(&b, "I felt é ");
    const json_t *r = dialogs_data(dialogs, "reflection");
    char *echo = NULL, *feeling = NULL;
    assert_int_equal(reflect_parts(r, b.data, &echo, &feeling), SB_OK);
    size_t len = strlen(echo);
    assert_true(len <= REFLECT_ECHO_MAX + 3);
    assert_true(len > REFLECT_ECHO_MAX / 2);
    assert_string_equal(echo + len - 3, "\xE2\x80\xA6");    /* ends with … */
    assert_true(echo[len - 4] != ' ');                       /* on a word boundary */
    assert_memory_equal(echo, "you felt \xC3\xA9 you felt", 18);
    char *clean = text_utf8_clean(echo, 1000); /* still valid UTF-8 */
    assert_string_equal(clean, echo);
    free(clean);
    assert_null(feeling);
    free(echo);
    /* the full reflection ends "…", not "…." (the template's stop is dropped after a cut) */
    char *full = engine_reflect(dialogs, b.data);
    assert_non_null(full);
    size_t flen = strlen(full);
    print_message("# %s\n", full + flen - 20);
    assert_string_equal(full + flen - 3, "\xE2\x80\xA6");
    free(full);
    sb_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reflect_table),
        cmocka_unit_test(test_reflect_long_text_is_capped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
