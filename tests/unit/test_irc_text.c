/* test_irc_text.c — table tests of IRC's text rules: casemapping, addressing, CTCP
 * framing, and cleaning text into valid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "irc_text.h"

static void test_nick_equal(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b, *map;
        int equal;
    } cases[] = {
        {"Coach", "coach", "ascii", 1},       {"coach", "coach_", "ascii", 0},
        {"co[a]ch", "co{a}ch", "rfc1459", 1}, {"co[a]ch", "co{a}ch", "ascii", 0},
        {"a\\b", "a|b", "strict-rfc1459", 1}, {"a~b", "a^b", "rfc1459", 1},
        {"a~b", "a^b", "strict-rfc1459", 0},  {"", "", "ascii", 1},
        {"ÄNN", "änn", "ascii", 0},           {"x", "X", NULL, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (irc_nick_equal(cases[i].a, cases[i].b, cases[i].map) != cases[i].equal)
            fail_msg("nick case %zu: %s vs %s under %s", i, cases[i].a, cases[i].b,
                     cases[i].map ? cases[i].map : "NULL");
}

static void test_addressed(void **state)
{
    (void)state;
    static const struct {
        const char *text, *nick, *rest; /* rest NULL: not addressed */
    } cases[] = {
        {"coach: hi there", "coach", "hi there"}, {"coach, hi", "coach", "hi"},
        {"Coach:hi", "coach", "hi"},             {"coach:   \thi", "coach", "hi"},
        {"coach:", "coach", ""},                 {"coach hi", "coach", NULL},
        {"coachy: hi", "coach", NULL},           {"hi coach: x", "coach", NULL},
        {"coa: hi", "coach", NULL},              {"", "coach", NULL},
        {"c[1]: hi", "C{1}", "hi"},              {"anything", "", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *rest = irc_addressed(cases[i].text, cases[i].nick, "rfc1459");
        if ((rest == NULL) != (cases[i].rest == NULL) || (rest && strcmp(rest, cases[i].rest) != 0))
            fail_msg("addressed case %zu \"%s\": got \"%s\"", i, cases[i].text, rest ? rest : "(null)");
    }
}

static void test_ctcp(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int is_ctcp;
        const char *command, *args;
    } cases[] = {
        {"\x01VERSION\x01", 1, "VERSION", ""},
        {"\x01ping 123 456\x01", 1, "PING", "123 456"},
        {"\x01PING 1", 1, "PING", "1"},
        {"\x01\x01", 1, "", ""},
        {"\x01" "ACTION waves at you\x01", 1, "ACTION", "waves at you"},
        {"\x01" "AVERYLONGCOMMANDNAMETHATGETSCUT x\x01", 1, "AVERYLONG", "x"},
        {"hello \x01VERSION\x01", 0, NULL, NULL},
        {"", 0, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[10] = "unset";
        const char *args = NULL;
        size_t len = 0;
        int got = irc_ctcp_parse(cases[i].text, cmd, sizeof cmd, &args, &len);
        if (got != cases[i].is_ctcp)
            fail_msg("ctcp case %zu: %d", i, got);
        if (!got)
            continue;
        if (strcmp(cmd, cases[i].command) != 0 || len != strlen(cases[i].args) ||
            strncmp(args, cases[i].args, len) != 0)
            fail_msg("ctcp case %zu: command \"%s\" args \"%.*s\"", i, cmd, (int)len, args);
    }
}

static void test_clean(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int keep_newlines;
        const char *out;
    } cases[] = {
        {"plain text", 0, "plain text"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"\x02" "bold\x02 \x1ditalic\x1d \x1funder\x1f \x0freset", 0, "bold italic under reset"},
        {"\x03" "4red \x03" "04,12both\x03 none \x03" "12,x", 0, "red both none ,x"},
        {"\x01" "ACTION x\x01", 0, "ACTION x"},
        {"two\nlines\r\n", 0, "twolines"},
        {"two\nlines\r\n", 1, "two\nlines\n"},
        {"tab\there", 0, "tab\there"},
        {"bad \xff byte", 0, "bad ? byte"},
        {"cut \xe2\x82", 0, "cut ??"},
        {"overlong \xc0\xaf", 0, "overlong ??"},
        {"surrogate \xed\xa0\x80", 0, "surrogate ???"},
        {"too big \xf4\x90\x80\x80", 0, "too big ????"},
        {"", 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = irc_text_clean(cases[i].in, cases[i].keep_newlines);
        assert_non_null(got);
        if (strcmp(got, cases[i].out) != 0)
            fail_msg("clean case %zu: got \"%s\" want \"%s\"", i, got, cases[i].out);
        free(got);
    }
    assert_null(irc_text_clean(NULL, 0));
}

static void test_base64(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
        {"", 0, ""}, {"f", 1, "Zg=="}, {"fo", 2, "Zm8="}, {"foo", 3, "Zm9v"},
        {"foob", 4, "Zm9vYg=="}, {"fooba", 5, "Zm9vYmE="}, {"foobar", 6, "Zm9vYmFy"},
        {"coach\0coach\0secret", 18, "Y29hY2gAY29hY2gAc2VjcmV0"},
        {"\xff\xfe\xfd", 3, "//79"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = irc_base64(cases[i].in, cases[i].n);
        assert_non_null(got);
        if (strcmp(got, cases[i].out) != 0)
            fail_msg("base64 case %zu: got %s want %s", i, got, cases[i].out);
        free(got);
    }
}

static void test_cap_find(void **state)
{
    (void)state;
    static const struct {
        const char *list, *name;
        int found;
        const char *value;
    } cases[] = {
        {"sasl=PLAIN,EXTERNAL message-tags", "sasl", 1, "PLAIN,EXTERNAL"},
        {"sasl=PLAIN,EXTERNAL message-tags", "message-tags", 1, ""},
        {"multi-prefix  sasl", "sasl", 1, ""},
        {"sasl= x", "sasl", 1, ""},
        {"sasl-ish=1 message-tags", "sasl", 0, NULL},
        {"draft/sasl", "sasl", 0, NULL},
        {"", "sasl", 0, NULL},
        {"sasl", "", 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *v = NULL;
        size_t n = 99;
        int got = irc_cap_find(cases[i].list, cases[i].name, &v, &n);
        if (got != cases[i].found || (got && (n != strlen(cases[i].value) ||
                                              strncmp(v, cases[i].value, n) != 0)))
            fail_msg("cap case %zu: %d \"%.*s\"", i, got, got ? (int)n : 0, got ? v : "");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nick_equal),
        cmocka_unit_test(test_addressed),
        cmocka_unit_test(test_ctcp),
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_cap_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
