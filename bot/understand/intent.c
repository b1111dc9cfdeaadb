/* intent.c — an intent model of intent.h: its compact weights, looking a feature's row up,
 * and classifying a message with them. Features are intent_features.c's, training
 * intent_train.c's and the cache on disk intent_cache.c's; reading the example files and
 * checking them is dialog.c's and validate_understand.c's. */
#include "intent_impl.h"

#include "sb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

typedef float lanes __attribute__((vector_size(LANES * sizeof(float))));
typedef int8_t lane_bytes __attribute__((vector_size(LANES)));

typedef struct known_ctx {
    const unsigned char *known;
    int any;
} known_ctx;

static void find_known(void *ctx, uint32_t bucket)
{
    known_ctx *k = ctx;
    k->any |= (k->known[bucket / 8] >> (bucket % 8)) & 1;
}

/* 1 when some word of t was a word of some example: a message made only of words the
 * examples never used (gibberish, another language) gets no guess rather than the guess of
 * its letters alone. */
static int has_known_word(const intent_model *m, const norm_text *t)
{
    known_ctx k = {m->known, 0};
    intent_each_word(t, find_known, &k);
    return k.any;
}

/* The row of bucket b, NO_ROW when no example had it. */
static uint32_t row_of(const intent_model *m, uint32_t b)
{
    uint32_t top = b >> (INTENT_FEATURE_BITS - PREFIX_BITS);
    for (uint32_t r = m->first[top]; r < m->first[top + 1]; r++)
        if (intent_row_bucket(m, r) == b)
            return r;
    return NO_ROW;
}

/* The probability of each intent (by index into names) for the features f[0..n), as
 * liblinear's predict_probability gives them for L2R_LR: the logistic of each class's
 * decision value, the second class 1 - the first when there are two, else normalised to
 * sum 1. Intents without examples get 0. */
/* The decision sums: floats, LANES classes at a time (GCC/Clang vector extensions; plain
 * SSE2 does them as two halves and widens the bytes in several steps): a sum of a few
 * hundred terms loses nothing that matters here. */
#define SUMS_BODY                                                                            \
    for (size_t i = 0; i < n; i++) {                                                         \
        uint32_t r = row_of(m, f[i].bucket);                                                 \
        if (r == NO_ROW)                                                                     \
            continue;                                                                        \
        float v = (float)f[i].value * intent_row_scale(m, r);                                \
        const int8_t *q = intent_row_q(m, r);                                                \
        for (uint32_t c = 0; c < m->stride / LANES; c++) {                                   \
            lane_bytes b;                                                                    \
            memcpy(&b, q + (size_t)c * LANES, sizeof b);                                     \
            sums[c] += v * __builtin_convertvector(b, lanes);                                \
        }                                                                                    \
    }

static void sums_of(const intent_model *m, const feature *f, size_t n, lanes *sums)
{
    SUMS_BODY
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The same sums with AVX2 where the processor has it: eight lanes in one register and the
 * eight bytes widened to floats in two instructions (GCC 12 converts the vector extension's
 * bytes one at a time). The same float operations in the same order (a multiply, then an
 * add: no FMA, a product is rounded before it is added), so the sums are bit for bit
 * those of sums_of. */
__attribute__((target("avx2"))) static void sums_of_avx2(const intent_model *m,
                                                         const feature *f, size_t n,
                                                         lanes *sums)
{
    uint32_t groups = m->stride / LANES;
    __m256 acc[CLASSES_MAX / LANES];
    for (uint32_t c = 0; c < groups; c++)
        acc[c] = _mm256_setzero_ps();
    for (size_t i = 0; i < n; i++) {
        uint32_t r = row_of(m, f[i].bucket);
        if (r == NO_ROW)
            continue;
        __m256 v = _mm256_set1_ps((float)f[i].value * intent_row_scale(m, r));
        const int8_t *q = intent_row_q(m, r);
        for (uint32_t c = 0; c < groups; c++) {
            __m128i b = _mm_loadl_epi64((const __m128i *)(const void *)(q + (size_t)c * LANES));
            __m256 w = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
            acc[c] = _mm256_add_ps(acc[c], _mm256_mul_ps(v, w));
        }
    }
    for (uint32_t c = 0; c < groups; c++)
        _mm256_storeu_ps((float *)(void *)&sums[c], acc[c]);
}

static void sums_dispatch(const intent_model *m, const feature *f, size_t n, lanes *sums)
{
    static int avx2 = -1;
    if (avx2 < 0) {
        __builtin_cpu_init();
        avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    if (avx2)
        sums_of_avx2(m, f, n, sums);
    else
        sums_of(m, f, n, sums);
}
#else
#define sums_dispatch sums_of
#endif

static void probabilities_of(const intent_model *m, const feature *f, size_t n, double *p)
{
    lanes sums[CLASSES_MAX / LANES] = {0};
    sums_dispatch(m, f, n, sums);
    double dec[CLASSES_MAX];
    for (uint32_t c = 0; c < m->nw; c++)
        dec[c] = (double)sums[c / LANES][c % LANES] + (double)m->bias[c] * BIAS;
    double by_class[CLASSES_MAX];
    for (uint32_t c = 0; c < m->nw; c++)
        by_class[c] = 1.0 / (1.0 + exp(-dec[c]));
    if (m->nclasses == 2) {
        by_class[1] = 1.0 - by_class[0];
    } else {
        double sum = 0;
        for (uint32_t c = 0; c < m->nclasses; c++)
            sum += by_class[c];
        for (uint32_t c = 0; c < m->nclasses; c++)
            by_class[c] /= sum;
    }
    for (size_t i = 0; i < m->n; i++)
        p[i] = 0;
    for (uint32_t c = 0; c < m->nclasses; c++)
        p[m->label[c]] = by_class[c];
}

/* --- the model --- */

intent_model *intent_model_new(const json_t *examples)
{
    intent_model *m = calloc(1, sizeof *m);
    size_t count = json_object_size(examples);
    if (!m)
        return NULL;
    m->names = calloc(count ? count : 1, sizeof *m->names);
    m->first = calloc(PREFIXES + 1, sizeof *m->first);
    if (!m->names || !m->first) {
        intent_free(m);
        return NULL;
    }
    const char *name;
    const json_t *list;
    json_object_foreach((json_t *)examples, name, list) {
        m->names[m->n] = sb_strdup(name);
        if (!m->names[m->n]) {
            intent_free(m);
            return NULL;
        }
        m->n++;
    }
    return m;
}

void intent_free(intent_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->names[i]);
    free(m->names);
    free(m->label);
    free(m->rows);
    free(m->first);
    free(m->bias);
    free(m->known);
    free(m);
}

int intent_model_alloc(intent_model *m)
{
    size_t rows = m->nfeatures ? m->nfeatures : 1;
    m->label = malloc(m->nclasses * sizeof *m->label);
    m->stride = (m->nw + LANES - 1) / LANES * LANES;
    m->rec = ROW_HEAD + m->stride;
    size_t bytes = (rows * m->rec + 63) / 64 * 64;
    m->rows = aligned_alloc(64, bytes);
    if (m->rows)
        memset(m->rows, 0, bytes);
    m->bias = malloc(m->nw * sizeof *m->bias);
    if (!m->known)
        m->known = calloc(KNOWN_BYTES, 1);
    return m->label && m->rows && m->bias && m->known ? SB_OK : SB_ENOMEM;
}

void intent_index_rows(intent_model *m)
{
    uint32_t r = 0;
    for (uint32_t top = 0; top <= PREFIXES; top++) {
        while (r < m->nfeatures && (intent_row_bucket(m, r) >> (INTENT_FEATURE_BITS - PREFIX_BITS)) < top)
            r++;
        m->first[top] = r;
    }
}

/* --- classifying --- */

size_t intent_features(const intent_model *m)
{
    return m ? m->nfeatures : 0;
}

size_t intent_count(const intent_model *m)
{
    return m ? m->n : 0;
}

const char *intent_name(const intent_model *m, size_t i)
{
    return m && i < m->n ? m->names[i] : NULL;
}

size_t intent_classify(const intent_model *m, normalizer *nz, const char *text,
                       intent_guess *top, size_t k)
{
    norm_text t;
    feature f[FEATURES_MAX];
    double p[CLASSES_MAX];
    if (k > INTENT_TOP_MAX)
        k = INTENT_TOP_MAX;
    normalizer_run(nz, text ? text : "", &t);
    size_t n = intent_features_of(&t, f);
    if (!m || n == 0 || k == 0 || !has_known_word(m, &t))
        return 0;
    probabilities_of(m, f, n, p);
    /* Classes in liblinear's order (first appearance in the examples), the first of equals
     * winning, as before. */
    size_t got = 0;
    for (size_t i = 0; i < k && i < m->nclasses; i++) {
        size_t best = m->nclasses;
        for (size_t c = 0; c < m->nclasses; c++) {
            int taken = 0;
            for (size_t j = 0; j < got; j++)
                taken |= top[j].intent == m->names[m->label[c]];
            if (!taken && (best == m->nclasses || p[m->label[c]] > p[m->label[best]]))
                best = c;
        }
        top[got].intent = m->names[m->label[best]];
        top[got].p = p[m->label[best]];
        got++;
    }
    return got;
}

size_t intent_probabilities(const intent_model *m, normalizer *nz, const char *text, double *p)
{
    norm_text t;
    feature f[FEATURES_MAX];
    normalizer_run(nz, text ? text : "", &t);
    size_t n = intent_features_of(&t, f);
    if (!m || n == 0)
        return 0;
    probabilities_of(m, f, n, p);
    return m->n;
}
