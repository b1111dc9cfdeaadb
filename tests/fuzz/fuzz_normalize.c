/* fuzz_normalize.c — libFuzzer target: any bytes as a person's message through the
 * understanding layer's normaliser (utf8proc folding, spellings from dialogs/spellings.json,
 * Snowball stems): it never overruns its fixed buffers, every result is NUL-terminated
 * valid UTF-8 within its caps, and words and stems come in equal numbers. Seeds:
 * tests/fuzz/corpus/fuzz_normalize. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "normalize.h"
#include "sb.h"

static size_t count_words(const char *s)
{
    size_t n = *s != '\0';
    for (; *s; s++)
        n += *s == ' ';
    return n;
}

static int valid_utf8(const unsigned char *s)
{
    while (*s) {
        size_t n = *s < 0x80 ? 1 : (*s >> 5) == 6 ? 2 : (*s >> 4) == 14 ? 3 : (*s >> 3) == 30 ? 4 : 0;
        if (!n)
            return 0;
        for (size_t i = 1; i < n; i++)
            if ((s[i] & 0xc0) != 0x80)
                return 0;
        s += n;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static normalizer *n;
    if (!n) {
        json_t *spellings = json_load_file("dialogs/spellings.json", 0, NULL);
        if (normalizer_new(json_object_get(spellings, "words"), &n) != SB_OK)
            abort();
        json_decref(spellings);
    }
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char folded[64];
    size_t len = normalize_fold(text, folded, sizeof folded);
    if (len >= sizeof folded || strlen(folded) != len || !valid_utf8((unsigned char *)folded))
        abort();
    norm_text out;
    normalizer_run(n, text, &out);
    if (memchr(out.words, '\0', sizeof out.words) == NULL ||
        memchr(out.stems, '\0', sizeof out.stems) == NULL)
        abort();
    if (out.nwords > NORM_WORDS_MAX || count_words(out.words) != out.nwords ||
        count_words(out.stems) != out.nwords)
        abort();
    free(text);
    return 0;
}
