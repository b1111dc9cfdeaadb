/* test_markdown.c — the coach's Markdown as Matrix HTML and as plain text, and the escaping
 * of what a person wrote. Each table row: input, expected output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "markdown.h"
#include "text.h"

typedef struct row {
    const char *input;
    const char *expected;
} row;

static const row html_rows[] = {
    {"plain words", "plain words"},
    {"*emphasis* and **strong**", "<em>emphasis</em> and <strong>strong</strong>"},
    {"first line\nsecond line", "first line<br />\nsecond line"},
    {"one\n\ntwo", "<p>one</p>\n<p>two</p>"},
    {"- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"},
    {"1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>"},
    {"[site](https://example.org)", "<a href=\"https://example.org\">site</a>"},
    {"[x](javascript:alert(1))", "<a href=\"\">x</a>"},
    {"[x](JaVaScRiPt:alert(1))", "<a href=\"\">x</a>"},
    {"[x](vbscript:msgbox)", "<a href=\"\">x</a>"},
    {"hi <script>alert(1)</script>", "hi <!-- raw HTML omitted -->alert(1)<!-- raw HTML omitted -->"},
    {"<div>block</div>", "<!-- raw HTML omitted -->"},
    {"a & b < c", "a &amp; b &lt; c"},
    {"`code`", "<code>code</code>"},
    {"> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"},
    {"", ""},
};

static const row plain_rows[] = {
    {"plain words", "plain words"},
    {"*emphasis* and **strong**", "emphasis and strong"},
    {"first line\nsecond line", "first line\nsecond line"},
    {"one\n\ntwo", "one\n\ntwo"},
    {"- a\n- b", "- a\n- b"},
    {"intro\n\n- a\n- b\n\nafter", "intro\n\n- a\n- b\n\nafter"},
    {"3. c\n4. d", "3. c\n4. d"},
    {"- a\n  - inner\n- b", "- a\n  - inner\n- b"},
    {"- loose\n\n- list", "- loose\n\n- list"},
    {"[site](https://example.org)", "site (https://example.org)"},
    {"<https://example.org>", "https://example.org"},
    {"[x](javascript:alert(1))", "x"},
    {"# Title\n\nbody", "Title\n\nbody"},
    {"> quoted\n> more", "> quoted\n> more"},
    {"`code` & \\*stars\\*", "code & *stars*"},
    {"```\nline 1\nline 2\n```", "line 1\nline 2"},
    {"a &amp; b", "a & b"},
    {"above\n\n---\n\nbelow", "above\n\n---\n\nbelow"},
    {"", ""},
};

/* What a person wrote, echoed inside the coach's Markdown, must come back unchanged in the
 * plain text and as escaped text (no markup, no raw HTML) in the HTML. */
static const row echo_rows[] = {
    {"*not emphasis*", "*not emphasis*"},
    {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
    {"[click](javascript:alert(1))", "[click](javascript:alert(1))"},
    {"# not a heading", "# not a heading"},
    {"1. not a list", "1. not a list"},
    {"a & b <3", "a &amp; b &lt;3"},
    {"back\\slash `tick` _under_", "back\\slash `tick` _under_"},
    {"Grüße 🙂", "Grüße 🙂"},
};

static void test_html(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof html_rows / sizeof html_rows[0]; i++) {
        char *got = markdown_to_html(html_rows[i].input);
        assert_non_null(got);
        if (strcmp(got, html_rows[i].expected) != 0)
            fail_msg("html row %zu: input \"%s\": got \"%s\", want \"%s\"", i, html_rows[i].input,
                     got, html_rows[i].expected);
        free(got);
    }
}

static void test_plain(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof plain_rows / sizeof plain_rows[0]; i++) {
        char *got = markdown_to_plain(plain_rows[i].input);
        assert_non_null(got);
        if (strcmp(got, plain_rows[i].expected) != 0)
            fail_msg("plain row %zu: input \"%s\": got \"%s\", want \"%s\"", i,
                     plain_rows[i].input, got, plain_rows[i].expected);
        free(got);
    }
}

static void test_echo_escaped(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof echo_rows / sizeof echo_rows[0]; i++) {
        char *escaped = text_escape_markdown(echo_rows[i].input);
        assert_non_null(escaped);
        char *plain = markdown_to_plain(escaped);
        char *html = markdown_to_html(escaped);
        assert_non_null(plain);
        assert_non_null(html);
        if (strcmp(plain, echo_rows[i].input) != 0)
            fail_msg("echo row %zu: plain \"%s\", want \"%s\"", i, plain, echo_rows[i].input);
        if (strcmp(html, echo_rows[i].expected) != 0)
            fail_msg("echo row %zu: html \"%s\", want \"%s\"", i, html, echo_rows[i].expected);
        free(escaped);
        free(plain);
        free(html);
    }
}

static void test_escape_html(void **state)
{
    (void)state;
    static const row rows[] = {
        {"a & b", "a &amp; b"},
        {"<b>\"x\"</b>", "&lt;b&gt;&quot;x&quot;&lt;/b&gt;"},
        {"it's", "it&#39;s"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *got = markdown_escape_html(rows[i].input);
        assert_non_null(got);
        assert_string_equal(got, rows[i].expected);
        free(got);
    }
}

static void test_null_input(void **state)
{
    (void)state;
    assert_null(markdown_to_html(NULL));
    assert_null(markdown_to_plain(NULL));
    assert_null(text_escape_markdown(NULL));
    assert_null(markdown_escape_html(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_echo_escaped),
        cmocka_unit_test(test_escape_html),
        cmocka_unit_test(test_null_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
