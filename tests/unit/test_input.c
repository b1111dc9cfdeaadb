/* test_input.c — cleaning a person's text at the door: control characters out (C0, DEL,
 * C1), tab and newline kept, a carriage return made a newline, and a long text cut between
 * words with the words kept counted. Table cases, then the cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "sb.h"

static const struct {
    const char *in, *want;
    int stripped;
} cases[] = {
    {"hello", "hello", 0},
    {"", "", 0},
    {"tab\tand\nnewline", "tab\tand\nnewline", 0},
    {"a\r\nb\rc", "a\nb\nc", 0},
    {"\x1b[31mred\x1b[0m", "[31mred[0m", 1},
    {"bell\a and \x7f del", "bell and  del", 1},
    {"csi \xc2\x9b" "2J gone", "csi 2J gone", 1},
    {"caf\xc3\xa9 \xc2\xa0nbsp stays", "caf\xc3\xa9 \xc2\xa0nbsp stays", 0},
    /* found by fuzz_input: cutting the CSI out of bad UTF-8 must not leave C2 8E (SS2) */
    {"x\xc2\xc2\x9b\x8ey", "x\xef\xbf\xbd\xef\xbf\xbdy", 1},
};

static void test_clean_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        input_clean_result r;
        assert_int_equal(input_clean(cases[i].in, INPUT_MAX_BYTES, &r), SB_OK);
        if (strcmp(r.text, cases[i].want) != 0)
            fail_msg("case %zu: got '%s' want '%s'", i, r.text, cases[i].want);
        assert_int_equal(r.stripped, cases[i].stripped);
        assert_false(r.cut);
        free(r.text);
    }
}

static void test_cut_between_words(void **state)
{
    (void)state;
    input_clean_result r;
    assert_int_equal(input_clean("one two three four", 10, &r), SB_OK);
    assert_string_equal(r.text, "one two");
    assert_true(r.cut);
    assert_int_equal(r.kept_words, 2);
    free(r.text);
    assert_int_equal(input_clean("abcdefghijklmnop", 10, &r), SB_OK);
    assert_string_equal(r.text, "abcdefghij"); /* one endless word: cut where it must be */
    assert_int_equal(r.kept_words, 1);
    free(r.text);
    assert_int_equal(input_clean("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 5, &r), SB_OK);
    assert_string_equal(r.text, "\xc3\xa9\xc3\xa9"); /* never inside a character */
    free(r.text);
    assert_int_equal(input_clean("exactly10!", 10, &r), SB_OK);
    assert_false(r.cut);
    free(r.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_table),
        cmocka_unit_test(test_cut_between_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
