/* test_normalize.c — the normal form of normalize.h as a table: Unicode folding (full
 * width, accents, zero-width and format characters, curly quotes), squeezed letter runs,
 * chat spellings from dialogs/spellings.json, tokens (emoji, "?"), Snowball stems, and
 * the caps on long input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "normalize.h"
#include "sb.h"

static void test_fold(void **unused)
{
    (void)unused;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"Hello World", "hello world"},
        {"ＨＥＬＬＯ", "hello"},                  /* full width */
        {"Café naïve", "cafe naive"},            /* marks stripped */
        {"do\xe2\x80\x8bnt", "dont"},            /* zero-width space dropped */
        {"wo\xc2\xadrd", "word"},                /* soft hyphen dropped */
        {"can\xe2\x80\x99t", "can't"},           /* curly apostrophe lumped */
        {"STRASSE straße", "strasse strasse"},   /* case fold */
        {"\xef\xac\x81ne", "fine"},              /* ligature fi */
        {"❤\xef\xb8\x8f", "❤"},                  /* variation selector dropped */
        {"", ""},
        {"bad \xff utf8", ""},                   /* invalid UTF-8: nothing */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[256];
        size_t n = normalize_fold(cases[i].in, out, sizeof out);
        assert_string_equal(out, cases[i].want);
        assert_int_equal(n, strlen(cases[i].want));
    }
    char small[4];
    assert_int_equal(normalize_fold("héllo", small, sizeof small), 3);
    assert_string_equal(small, "hel");
}

/* Printable ASCII takes a short way (no decomposition): it must fold exactly as the long
 * way does, which a character outside ASCII at the end ("é" folds to "e") forces. */
static void test_fold_ascii_as_unicode(void **unused)
{
    (void)unused;
    char ascii[100], mixed[104], fast[256], slow[256];
    size_t n = 0;
    for (int c = 0x20; c <= 0x7e; c++)
        ascii[n++] = (char)c;
    ascii[n] = '\0';
    snprintf(mixed, sizeof mixed, "%s\xc3\xa9", ascii);
    size_t fn = normalize_fold(ascii, fast, sizeof fast);
    size_t sn = normalize_fold(mixed, slow, sizeof slow);
    assert_int_equal(sn, fn + 1);
    assert_int_equal(slow[fn], 'e');
    slow[fn] = '\0';
    assert_string_equal(fast, slow);
    char small[4];
    assert_int_equal(normalize_fold("HELLO", small, sizeof small), 3);
    assert_string_equal(small, "hel");
}

static void test_words(void **unused)
{
    (void)unused;
    json_error_t err;
    json_t *spellings = json_load_file("dialogs/spellings.json", 0, &err);
    assert_non_null(spellings);
    normalizer *n = NULL;
    assert_int_equal(normalizer_new(spellings, &n), SB_OK);
    static const struct {
        const char *in, *words, *stems;
    } cases[] = {
        {"I don't know", "i do not know", "i do not know"},
        {"idk tbh", "i do not know to be honest", "i do not know to be honest"},
        {"im soooo tired", "i am so tired", "i am so tire"},
        {"nooooot", "noot", "noot"},
        {"sooooo", "so", "so"}, /* squeezed to "soo", which spellings make "so" */
        {"u gonna leave?", "you going to leave ?", "you go to leav ?"},
        {"why??? why!!", "why ? why", "whi ? whi"},
        {"thank you ❤️", "thank you love", "thank you love"},
        {"👍", "ok", "ok"},
        {"I keep pulling away from people", "i keep pulling away from people",
         "i keep pull away from peopl"},
        {"ＤＯＮ’Ｔ", "do not", "do not"},
        {"sad. ashamed. kind of numb", "sad ashamed kind of numb", "sad asham kind of numb"},
        {"  ", "", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        norm_text t;
        normalizer_run(n, cases[i].in, &t);
        assert_string_equal(t.words, cases[i].words);
        assert_string_equal(t.stems, cases[i].stems);
    }
    /* caps: a very long message is looked at in part, never overflows */
    size_t big = 100000;
    char *longtext = malloc(big + 1);
    assert_non_null(longtext);
    for (size_t i = 0; i < big; i++)
        longtext[i] = i % 7 == 6 ? ' ' : "abcdef"[i % 6];
    longtext[big] = '\0';
    norm_text t;
    normalizer_run(n, longtext, &t);
    assert_true(t.nwords > 0 && t.nwords <= NORM_WORDS_MAX);
    assert_true(strlen(t.words) < NORM_BYTES_MAX);
    free(longtext);
    normalizer_free(n);
    json_decref(spellings);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_fold_ascii_as_unicode),
        cmocka_unit_test(test_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
