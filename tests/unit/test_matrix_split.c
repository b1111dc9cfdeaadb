/* test_matrix_split.c — a long reply as several Matrix events: table cases (text and part
 * size in, parts joined with '|' out) and invariants over generated text: every part fits,
 * no part is empty, every code fence is balanced, no word is lost or cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix_split.h"
#include "sb.h"

#define P40A "aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa" /* 39 bytes */
#define P40B "bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb"
#define EURO "\xe2\x82\xac"

typedef struct split_case {
    const char *text;
    size_t max;
    const char *want; /* parts joined with '|' */
} split_case;

static const split_case cases[] = {
    {"hello", 64, "hello"},
    {"", 64, ""},
    /* paragraphs first */
    {P40A "\n\n" P40B, 64, P40A "|" P40B},
    {P40A "\n\n\n\n" P40B "\n\n", 64, P40A "|" P40B},
    /* then lines (a list stays a list in each part) */
    {"- " P40A "\n- " P40B, 64, "- " P40A "|- " P40B},
    /* then words */
    {P40A " " P40B, 64, P40A " bbbb bbbb bbbb bbbb|bbbb bbbb bbbb bbbb"},
    /* a paragraph break earlier beats a line break later */
    {"intro\n\n" P40A "\n" P40B, 64, "intro|" P40A "|" P40B},
    /* then characters, never inside one */
    {EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO
     EURO EURO EURO EURO EURO EURO, 64,
     EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO
     EURO EURO "|" EURO EURO EURO EURO},
    /* a code fence cut in two is closed and opened again */
    {"```json\n" P40A "\n" P40B "\n```", 64, "```json\n" P40A "\n```|```\n" P40B "\n```"},
    {"```\nx\n```\n\n" P40A "\n\n" P40B, 64, "```\nx\n```\n\n" P40A "|" P40B},
};

static void test_split_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char **parts = NULL;
        size_t n = matrix_split(cases[i].text, cases[i].max, &parts);
        assert_true(n > 0);
        sb_buf joined = {0};
        for (size_t k = 0; k < n; k++) {
            if (k)
                sb_buf_puts(&joined, "|");
            sb_buf_puts(&joined, parts[k]);
            assert_true(strlen(parts[k]) <= cases[i].max);
        }
        char *got = sb_buf_take(&joined);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu:\n  got  '%s'\n  want '%s'", i, got, cases[i].want);
        free(got);
        matrix_split_free(parts, n);
    }
}

static int fences(const char *s)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, "```")); p += 3)
        n++;
    return n;
}

/* The words of s, in order, separated by single spaces (fence markers dropped). */
static char *words(const char *s)
{
    sb_buf b = {0};
    sb_buf_puts(&b, "");
    const char *p = s;
    while (*p) {
        size_t skip = strspn(p, " \n");
        p += skip;
        size_t len = strcspn(p, " \n");
        if (!len)
            continue;
        if (!(len >= 3 && strncmp(p, "```", 3) == 0)) {
            if (b.len)
                sb_buf_puts(&b, " ");
            sb_buf_append(&b, p, len);
        }
        p += len;
    }
    return sb_buf_take(&b);
}

static void test_split_invariants(void **state)
{
    (void)state;
    unsigned seed = 7;
    for (int round = 0; round < 300; round++) {
        sb_buf text = {0};
        int in_fence = 0;
        int pieces = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 120;
        for (int i = 0; i < pieces; i++) {
            unsigned r = (seed = seed * 1103515245u + 12345u) >> 16;
            switch (r % 9) {
            case 0: sb_buf_puts(&text, "\n\n"); break;
            case 1: sb_buf_puts(&text, "\n- "); break;
            case 2:
                sb_buf_puts(&text, in_fence ? "\n```\n" : "\n```json\n");
                in_fence = !in_fence;
                break;
            case 3: sb_buf_puts(&text, "caf\xc3\xa9 "); break;
            default: sb_buf_printf(&text, "w%u%.*s ", r % 1000, (int)(r % 30), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
            }
        }
        if (in_fence)
            sb_buf_puts(&text, "\n```");
        char *t = sb_buf_take(&text);
        size_t max = 64 + (seed >> 16) % 400;
        char **parts = NULL;
        size_t n = matrix_split(t, max, &parts);
        assert_true(n > 0);
        sb_buf all = {0};
        sb_buf_puts(&all, "");
        for (size_t k = 0; k < n; k++) {
            assert_true(strlen(parts[k]) <= max);
            assert_true(n == 1 || parts[k][0] != '\0');
            assert_int_equal(fences(parts[k]) % 2, 0);
            sb_buf_puts(&all, parts[k]);
            sb_buf_puts(&all, "\n");
        }
        char *joined = sb_buf_take(&all);
        char *want = words(t), *got = words(joined);
        assert_string_equal(got, want);
        free(want);
        free(got);
        free(joined);
        free(t);
        /* the same text gives the same parts: a re-send reuses the same ids */
        char **again = NULL;
        size_t m = matrix_split(parts[0], max, &again);
        assert_int_equal(m, 1);
        assert_string_equal(again[0], parts[0]);
        matrix_split_free(again, m);
        matrix_split_free(parts, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_table),
        cmocka_unit_test(test_split_invariants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
