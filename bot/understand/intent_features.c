/* intent_features.c — what a message is to the classifier of intent.h: hashed word uni-
 * and bigrams of its stems and character n-grams of its words, merged by bucket and scaled
 * to unit length. It leaves the normal form to normalize.c and the weights to intent.c. */
#include "intent_impl.h"

#include "text.h"

#include <string.h>

static void add(feature *f, size_t *n, uint64_t h)
{
    if (*n < FEATURES_MAX) {
        f[*n].bucket = (uint32_t)(h & (BUCKETS - 1));
        f[*n].value = 1.0;
        (*n)++;
    }
}

#define RADIX_BITS ((INTENT_FEATURE_BITS + 2) / 3)
#define RADIX (1u << RADIX_BITS)
#define SMALL_SORT 64 /* this many features or fewer are sorted by insertion */

/* Sorts f[0..n) (n <= FEATURES_MAX) by bucket: two stable counting passes over the halves
 * of a bucket's bits, cheaper than qsort's calls of a comparison (the features of every
 * message are sorted three times); a short list by insertion, cheaper still than clearing
 * and summing the radix tables. Both are stable, so duplicates add up in the same order. */
static void sort_by_bucket(feature *f, size_t n)
{
    if (n <= SMALL_SORT) { /* a message's few features: stable insertion, no radix tables */
        for (size_t i = 1; i < n; i++) {
            feature x = f[i];
            size_t j = i;
            for (; j > 0 && f[j - 1].bucket > x.bucket; j--)
                f[j] = f[j - 1];
            f[j] = x;
        }
        return;
    }
    feature tmp[FEATURES_MAX];
    feature *from = f, *to = tmp;
    for (unsigned shift = 0; shift < INTENT_FEATURE_BITS; shift += RADIX_BITS) {
        uint32_t count[RADIX + 1] = {0};
        for (size_t i = 0; i < n; i++)
            count[((from[i].bucket >> shift) & (RADIX - 1)) + 1]++;
        for (unsigned b = 1; b <= RADIX; b++)
            count[b] += count[b - 1];
        for (size_t i = 0; i < n; i++)
            to[count[(from[i].bucket >> shift) & (RADIX - 1)]++] = from[i];
        feature *t = from;
        from = to;
        to = t;
    }
    if (from != f)
        memcpy(f, from, n * sizeof *f);
}

/* Sorts f[0..n) by bucket and adds up duplicates; returns the new count. */
static size_t merge(feature *f, size_t n)
{
    if (n == 0)
        return 0;
    sort_by_bucket(f, n);
    size_t out = 0;
    for (size_t i = 1; i < n; i++) {
        if (f[i].bucket == f[out].bucket)
            f[out].value += f[i].value;
        else
            f[++out] = f[i];
    }
    return out + 1;
}

/* f[0..a) and f[a..a+b), each sorted by bucket without duplicates, as one such list:
 * what merge gives for them, by a linear pass instead of a sort (equal buckets add up in
 * the same order, the first list's first). Returns the new count. */
static size_t merge_sorted(feature *f, size_t a, size_t b)
{
    feature tmp[FEATURES_MAX];
    size_t i = 0, j = a, out = 0;
    while (i < a || j < a + b) {
        feature x = j >= a + b || (i < a && f[i].bucket <= f[j].bucket) ? f[i++] : f[j++];
        if (out > 0 && tmp[out - 1].bucket == x.bucket)
            tmp[out - 1].value += x.value;
        else
            tmp[out++] = x;
    }
    memcpy(f, tmp, out * sizeof *f);
    return out;
}

static void scale_unit(feature *f, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += f[i].value * f[i].value;
    if (sum <= 0)
        return;
    double inv = 1.0 / __builtin_sqrt(sum);
    for (size_t i = 0; i < n; i++)
        f[i].value *= inv;
}

static const uint64_t seed_word = TEXT_HASH_SEED ^ 0x5157;

void intent_each_word(const norm_text *t, void (*fn)(void *ctx, uint32_t bucket), void *ctx)
{
    for (const char *p = t->stems; *p;) {
        size_t len = strcspn(p, " ");
        if (len)
            fn(ctx, (uint32_t)(text_hash(p, len, seed_word) & (BUCKETS - 1)));
        p += len + (p[len] == ' ');
    }
}

/* Word n-grams first, each kind merged and scaled alone, then the two lists as one. */
size_t intent_features_of(const norm_text *t, feature *f)
{
    static const uint64_t seed_pair = TEXT_HASH_SEED ^ 0xb16a;
    static const uint64_t seed_char = TEXT_HASH_SEED ^ 0xc4a7;
    size_t n = 0;
    if (t->nwords == 0)
        return 0;
    const char *prev = "^";
    size_t prev_len = 1;
    for (const char *p = t->stems; *p;) {
        size_t len = strcspn(p, " ");
        add(f, &n, text_hash(p, len, seed_word));
        add(f, &n, text_hash(p, len, text_hash(prev, prev_len, seed_pair)));
        prev = p;
        prev_len = len;
        p += len + (p[len] == ' ');
    }
    add(f, &n, text_hash("$", 1, text_hash(prev, prev_len, seed_pair)));
    size_t words = merge(f, n);
    scale_unit(f, words);

    char padded[CHAR_TEXT_MAX + 3];
    size_t len = text_utf8_cut(t->words, strlen(t->words), CHAR_TEXT_MAX);
    padded[0] = ' ';
    memcpy(padded + 1, t->words, len);
    padded[len + 1] = ' ';
    len += 2;
    size_t start = words;
    n = words;
    for (size_t i = 0; i < len; i++)
        for (size_t k = CHAR_GRAM_MIN; k <= CHAR_GRAM_MAX && i + k <= len; k++)
            add(f, &n, text_hash(padded + i, k, seed_char));
    size_t chars = merge(f + start, n - start);
    scale_unit(f + start, chars);
    n = merge_sorted(f, words, chars);
    scale_unit(f, n);
    return n;
}
