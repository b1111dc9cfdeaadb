/* test_irc_split.c — table tests of reply splitting: text and piece size in, the pieces
 * out (joined with '|'), plus the budget arithmetic and invariants over generated text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "irc_line.h"
#include "irc_split.h"

#define E_ACUTE "\xc3\xa9"          /* é, 2 bytes */
#define EURO "\xe2\x82\xac"         /* €, 3 bytes */
#define SMILE "\xf0\x9f\x98\x80"    /* 😀, 4 bytes */

typedef struct split_case {
    const char *text;
    size_t max;
    const char *want; /* pieces joined with '|' */
} split_case;

static const split_case split_cases[] = {
    {"hello", 10, "hello"},
    {"", 10, ""},
    {"one\ntwo\n\nthree", 10, "one|two|three"},
    {"one\r\ntwo\r\n", 10, "one|two"},
    {"  \n\t\n  indented line", 20, "  indented line"},
    {"trailing spaces   \nnext", 20, "trailing spaces|next"},
    {"the quick brown fox", 10, "the quick|brown fox"},
    {"the quick brown fox", 9, "the quick|brown fox"},
    {"the quick brown fox", 8, "the|quick|brown|fox"},
    {"word    spaced   out", 6, "word|spaced|out"},
    {"abcdefghijklmnop", 5, "abcde|fghij|klmno|p"},
    {"ab verylongword", 5, "ab|veryl|ongwo|rd"},
    /* multi-byte characters at the boundary: never cut inside one */
    {"abc" E_ACUTE "de", 4, "abc|" E_ACUTE "de"},
    {"ab" E_ACUTE E_ACUTE "d", 5, "ab" E_ACUTE "|" E_ACUTE "d"},
    {"a" EURO EURO, 5, "a" EURO "|" EURO},
    {"a" EURO EURO, 4, "a" EURO "|" EURO},
    {"abc" EURO, 5, "abc|" EURO},
    {SMILE SMILE SMILE, 7, SMILE "|" SMILE "|" SMILE},
    {SMILE SMILE, 4, SMILE "|" SMILE},
    {"caf" E_ACUTE " cr" E_ACUTE "me br" E_ACUTE "l" E_ACUTE "e", 12,
     "caf" E_ACUTE " cr" E_ACUTE "me|br" E_ACUTE "l" E_ACUTE "e"},
    /* max below one character is raised to IRC_SPLIT_MIN */
    {SMILE "x", 1, SMILE "|x"},
    /* invalid UTF-8 (continuation bytes only) is cut hard at max */
    {"\x80\x80\x80\x80\x80\x80", 4, "\x80\x80\x80\x80|\x80\x80"},
};

static void test_split_table(void **state)
{
    (void)state;
    char got[512];
    for (size_t i = 0; i < sizeof split_cases / sizeof split_cases[0]; i++) {
        const split_case *c = &split_cases[i];
        irc_split s;
        const char *piece;
        size_t n, at = 0;
        irc_split_init(&s, c->text, strlen(c->text), c->max);
        got[0] = '\0';
        while (irc_split_next(&s, &piece, &n)) {
            at += (size_t)snprintf(got + at, sizeof got - at, "%s%.*s", at ? "|" : "", (int)n, piece);
            assert_true(at < sizeof got);
        }
        if (strcmp(got, c->want) != 0)
            fail_msg("case %zu (max %zu):\n got  \"%s\"\n want \"%s\"", i, c->max, got, c->want);
    }
}

/* A tiny generator (xorshift) of text mixing ASCII words, spaces, newlines and 2-4 byte
 * characters; every piece must fit, start on a character boundary, hold no line break,
 * and together the pieces must keep every non-blank byte in order. */
static uint32_t rng = 2463534242u;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void test_split_invariants(void **state)
{
    (void)state;
    static const char *atoms[] = {"a", "bc", " ", "  ", "\n", E_ACUTE, EURO, SMILE, "word", "x"};
    char text[600], joined[1200], want[1200];
    for (int round = 0; round < 2000; round++) {
        size_t len = 0;
        size_t target = next_rand() % 500;
        while (len < target) {
            const char *a = atoms[next_rand() % (sizeof atoms / sizeof atoms[0])];
            memcpy(text + len, a, strlen(a));
            len += strlen(a);
        }
        text[len] = '\0';
        size_t max = 4 + next_rand() % 60;
        irc_split s;
        const char *piece;
        size_t n, jl = 0, wl = 0;
        irc_split_init(&s, text, len, max);
        while (irc_split_next(&s, &piece, &n)) {
            assert_true(n > 0 && n <= max);
            assert_true(((unsigned char)piece[0] & 0xC0) != 0x80);
            assert_true(piece + n == text + len || ((unsigned char)piece[n] & 0xC0) != 0x80);
            assert_null(memchr(piece, '\n', n));
            for (size_t i = 0; i < n; i++)
                if (piece[i] != ' ')
                    joined[jl++] = piece[i];
        }
        for (size_t i = 0; i < len; i++)
            if (text[i] != ' ' && text[i] != '\n')
                want[wl++] = text[i];
        assert_int_equal(jl, wl);
        assert_memory_equal(joined, want, jl);
    }
}

static void test_budget(void **state)
{
    (void)state;
    /* ":coach!sb@127.0.0.1 PRIVMSG ann :" is 33 bytes */
    assert_int_equal(irc_split_budget("coach", "sb", "127.0.0.1", 10, 64, "PRIVMSG", "ann"),
                     IRC_BODY_MAX - 33);
    /* unknown user and host: the longest allowed is assumed */
    assert_int_equal(irc_split_budget("coach", NULL, NULL, 10, 64, "NOTICE", "#room"),
                     IRC_BODY_MAX - (1 + 5 + 1 + 10 + 1 + 64 + 1 + 6 + 1 + 5 + 2));
    char huge[600];
    memset(huge, 'h', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    assert_int_equal(irc_split_budget("coach", "sb", huge, 10, 64, "PRIVMSG", "ann"), IRC_SPLIT_MIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_table),
        cmocka_unit_test(test_split_invariants),
        cmocka_unit_test(test_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
