/* intent.c — the classifier of intent.h: features of a normalised message, training with
 * liblinear, a model cache on disk keyed by the data it was trained from, and classifying.
 * It owns the mapping from hashed features to liblinear's dense indices (while training)
 * and the compact weights kept after it; reading the example files and checking them is dialog.c's and validate_understand.c's. */
#include "intent.h"

#include "sb.h"
#include "text.h"

#include <linear.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FEATURE_VERSION 5        /* bump when features_of or the model changes: old caches stop fitting */
#define BUCKETS (1u << INTENT_FEATURE_BITS)
#define FEATURES_MAX 2048        /* features of one message; more are ignored */
#define CHAR_GRAM_MIN 3
#define CHAR_GRAM_MAX 5
#define CHAR_TEXT_MAX 600        /* bytes of a message's words made into character n-grams */
#define CLASSES_MAX 256          /* intents a model may have */
#define NAME_MAX_LEN 64          /* bytes of an intent id */
#define BIAS 1.0
#define PREFIX_BITS 14           /* top bits of a bucket indexed to find its row */
#define PREFIXES (1u << PREFIX_BITS)
#define NO_ROW UINT32_MAX
#define LANES 8                  /* classes added at a time (rows are padded to a multiple) */

typedef float lanes __attribute__((vector_size(LANES * sizeof(float))));
typedef int8_t lane_bytes __attribute__((vector_size(LANES)));

/* After training only the weights stay: liblinear's problem and model are freed once
 * converted. A row per feature that any example had, in increasing bucket order, holds its
 * weight for each class as a signed byte times the row's scale (the largest weight of the
 * row maps to 127: the rounding moves a decision value by far less than the weights of one
 * word do); the bias weights stay floats. A bucket finds its row through the sorted buckets
 * and an index of their top bits, so no table of all 2^18 buckets is resident. */
struct intent_model {
    char **names;          /* intent ids, owned */
    size_t n;
    uint32_t nclasses;     /* classes with examples: liblinear's nr_class */
    uint32_t nw;           /* weights per row: 1 for two classes, else nclasses */
    uint32_t stride;       /* weight bytes per row: nw rounded up to LANES */
    int32_t *label;        /* class -> index into names (nclasses) */
    uint32_t nfeatures;    /* rows */
    unsigned char *rows;   /* nfeatures records of size rec, in increasing bucket order:
                              uint32_t bucket, float scale (what a quantum of its weights is
                              worth), int8_t q[stride] (weights in quanta, zeros after nw);
                              one record is what a feature costs to look up and add: for 49
                              to 56 classes exactly a cache line */
    size_t rec;            /* bytes of a record: ROW_HEAD + stride */
    uint32_t *first;       /* top PREFIX_BITS of a bucket -> its first row (PREFIXES + 1) */
    float *bias;           /* class -> bias weight (nw) */
    unsigned char *known;  /* bit per bucket: a word of some example (a unigram) hashes there
                              (KNOWN_BYTES); a message with none of them is not guessed at */
};

#define KNOWN_BYTES (BUCKETS / 8)

typedef struct feature {
    uint32_t bucket;
    double value;
} feature;

/* --- features --- */

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

/* The bucket of each stem of t (a word unigram's) to fn. */
static void each_word(const norm_text *t, void (*fn)(void *ctx, uint32_t bucket), void *ctx)
{
    for (const char *p = t->stems; *p;) {
        size_t len = strcspn(p, " ");
        if (len)
            fn(ctx, (uint32_t)(text_hash(p, len, seed_word) & (BUCKETS - 1)));
        p += len + (p[len] == ' ');
    }
}

static void mark_known(void *ctx, uint32_t bucket)
{
    unsigned char *known = ctx;
    known[bucket / 8] |= (unsigned char)(1u << (bucket % 8));
}

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
    each_word(t, find_known, &k);
    return k.any;
}

/* The features of t into f (FEATURES_MAX): word uni- and bigrams of the stems (with the
 * start and end of the message as words), and character n-grams of the words, each kind
 * scaled to unit length, then the whole. Sorted by bucket; returns the count. */
static size_t features_of(const norm_text *t, feature *f)
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

#define ROW_HEAD (sizeof(uint32_t) + sizeof(float)) /* a record's bucket and scale */

static uint32_t row_bucket(const intent_model *m, uint32_t r)
{
    uint32_t b;
    memcpy(&b, m->rows + (size_t)r * m->rec, sizeof b);
    return b;
}

static float row_scale(const intent_model *m, uint32_t r)
{
    float scale;
    memcpy(&scale, m->rows + (size_t)r * m->rec + sizeof(uint32_t), sizeof scale);
    return scale;
}

static int8_t *row_q(const intent_model *m, uint32_t r)
{
    return (int8_t *)(m->rows + (size_t)r * m->rec + ROW_HEAD);
}

/* The row of bucket b, NO_ROW when no example had it. */
static uint32_t row_of(const intent_model *m, uint32_t b)
{
    uint32_t top = b >> (INTENT_FEATURE_BITS - PREFIX_BITS);
    for (uint32_t r = m->first[top]; r < m->first[top + 1]; r++)
        if (row_bucket(m, r) == b)
            return r;
    return NO_ROW;
}

/* The probability of each intent (by index into names) for the features f[0..n), as
 * liblinear's predict_probability gives them for L2R_LR: the logistic of each class's
 * decision value, the second class 1 - the first when there are two, else normalised to
 * sum 1. Intents without examples get 0. */
static void probabilities_of(const intent_model *m, const feature *f, size_t n, double *p)
{
    /* Floats, LANES classes at a time (GCC/Clang vector extensions; plain SSE2 does them
     * as two halves): a sum of a few hundred terms loses nothing that matters here. */
    lanes sums[CLASSES_MAX / LANES] = {0};
    for (size_t i = 0; i < n; i++) {
        uint32_t r = row_of(m, f[i].bucket);
        if (r == NO_ROW)
            continue;
        float v = (float)f[i].value * row_scale(m, r);
        const int8_t *q = row_q(m, r);
        for (uint32_t c = 0; c < m->stride / LANES; c++) {
            lane_bytes b;
            memcpy(&b, q + (size_t)c * LANES, sizeof b);
            sums[c] += v * __builtin_convertvector(b, lanes);
        }
    }
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

/* --- training --- */

static void quiet(const char *s)
{
    (void)s;
}

uint64_t intent_key(const json_t *examples, const json_t *spellings, double c)
{
    uint64_t h = text_hash("securebase-intent", 17, TEXT_HASH_SEED);
    int version = FEATURE_VERSION;
    h = text_hash(&version, sizeof version, h);
    h = text_hash(&c, sizeof c, h);
    char *s = json_dumps(spellings, JSON_COMPACT | JSON_SORT_KEYS);
    if (s)
        h = text_hash(s, strlen(s), h);
    free(s);
    const char *name;
    const json_t *list;
    json_object_foreach((json_t *)examples, name, list) {
        h = text_hash(name, strlen(name) + 1, h);
        size_t i;
        const json_t *u;
        json_array_foreach(list, i, u) {
            const char *text = json_string_value(u);
            if (text)
                h = text_hash(text, strlen(text) + 1, h);
        }
    }
    return h;
}

static intent_model *model_new(const json_t *examples)
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

/* Allocates m's arrays for its nclasses, nw and nfeatures. SB_OK or SB_ENOMEM. */
static int model_alloc(intent_model *m)
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

/* Fills m->first from the rows' buckets (increasing). */
static void index_rows(intent_model *m)
{
    uint32_t r = 0;
    for (uint32_t top = 0; top <= PREFIXES; top++) {
        while (r < m->nfeatures && (row_bucket(m, r) >> (INTENT_FEATURE_BITS - PREFIX_BITS)) < top)
            r++;
        m->first[top] = r;
    }
}

/* Quantizes the weights w (row * nw + class, liblinear's layout without the bias) into
 * the rows' scales and quanta. */
static void quantize(intent_model *m, const float *w)
{
    for (uint32_t r = 0; r < m->nfeatures; r++) {
        const float *row = w + (size_t)r * m->nw;
        float most = 0;
        for (uint32_t c = 0; c < m->nw; c++)
            most = fabsf(row[c]) > most ? fabsf(row[c]) : most;
        float scale = most > 0 ? most / 127.0f : 1.0f;
        memcpy(m->rows + (size_t)r * m->rec + sizeof(uint32_t), &scale, sizeof scale);
        for (uint32_t c = 0; c < m->nw; c++)
            row_q(m, r)[c] = (int8_t)lrintf(row[c] / scale);
    }
}

/* Trains one class against the rest (y: +1 for it, -1 else) on prob and stores its weights
 * as column c of w (nfeatures rows of nw) and bias[c]. liblinear's multi-class
 * L2R_LR is exactly this, one class at a time; doing it here keeps one column of doubles
 * alive instead of the whole matrix. SB_OK, SB_EINVAL, SB_ENOMEM. */
static int train_column(intent_model *m, struct problem *prob, const double *labels, int cls,
                        double c, float *w, uint32_t col)
{
    for (int r = 0; r < prob->l; r++)
        prob->y[r] = (int)labels[r] == cls ? 1.0 : -1.0;
    struct parameter param = {.solver_type = L2R_LR, .eps = 0.01, .C = c};
    if (check_parameter(prob, &param))
        return SB_EINVAL;
    struct model *lm = train(prob, &param);
    if (!lm)
        return SB_ENOMEM;
    double sign = lm->nr_class == 2 && lm->label[0] == -1 ? -1.0 : 1.0;
    for (uint32_t r = 0; r < m->nfeatures; r++)
        w[(size_t)r * m->nw + col] = (float)(sign * lm->w[r]);
    m->bias[col] = (float)(sign * lm->w[m->nfeatures]);
    free_and_destroy_model(&lm);
    return SB_OK;
}

int intent_train(normalizer *nz, const json_t *examples, double c, intent_model **out)
{
    *out = NULL;
    size_t total = 0;
    const char *name;
    const json_t *list;
    json_object_foreach((json_t *)examples, name, list)
        total += json_array_size(list);
    if (json_object_size(examples) < 2 || json_object_size(examples) > CLASSES_MAX || !total)
        return SB_EINVAL;
    int rc = SB_ENOMEM;
    intent_model *m = model_new(examples);
    feature *f = malloc(FEATURES_MAX * sizeof *f);
    norm_text *t = malloc(sizeof *t);
    uint32_t *index_of = calloc(BUCKETS, sizeof *index_of); /* while training only */
    double *labels = calloc(total, sizeof *labels);
    double *y = calloc(total, sizeof *y);
    struct feature_node **x = calloc(total, sizeof *x);
    float *w = NULL;
    if (!m || !f || !t || !index_of || !labels || !y || !x)
        goto done;
    /* The nodes hold bucket + 1 as their index until the buckets are numbered: numbering
     * keeps bucket order, so the nodes stay sorted. */
    size_t row = 0, label = 0;
    int seen[CLASSES_MAX] = {0};
    m->known = calloc(KNOWN_BYTES, 1);
    if (!m->known)
        goto done;
    json_object_foreach((json_t *)examples, name, list) {
        size_t i;
        const json_t *u;
        json_array_foreach(list, i, u) {
            normalizer_run(nz, json_string_value(u) ? json_string_value(u) : "", t);
            each_word(t, mark_known, m->known);
            size_t count = features_of(t, f);
            x[row] = malloc((count + 2) * sizeof **x);
            if (!x[row])
                goto done;
            for (size_t j = 0; j < count; j++) {
                x[row][j].index = (int)f[j].bucket + 1;
                x[row][j].value = f[j].value;
                index_of[f[j].bucket] = 1; /* seen; numbered below */
            }
            x[row][count].index = 0; /* the bias, numbered below */
            x[row][count].value = BIAS;
            x[row][count + 1].index = -1;
            labels[row] = (double)label;
            seen[label] = 1;
            row++;
        }
        label++;
    }
    for (uint32_t b = 0; b < BUCKETS; b++)
        if (index_of[b])
            index_of[b] = ++m->nfeatures;
    for (size_t r = 0; r < total; r++) {
        struct feature_node *node = x[r];
        for (; node->index > 0; node++)
            node->index = (int)index_of[node->index - 1];
        node->index = (int)m->nfeatures + 1;
    }
    for (size_t i = 0; i < m->n; i++)
        m->nclasses += seen[i] != 0;
    m->nw = m->nclasses == 2 ? 1 : m->nclasses;
    if (m->nclasses < 2) {
        rc = SB_EINVAL;
        goto done;
    }
    if (model_alloc(m) != SB_OK)
        goto done;
    for (size_t i = 0, k = 0; i < m->n; i++)
        if (seen[i])
            m->label[k++] = (int32_t)i;
    for (uint32_t b = 0; b < BUCKETS; b++)
        if (index_of[b])
            memcpy(m->rows + (size_t)(index_of[b] - 1) * m->rec, &b, sizeof b);
    free(index_of);
    index_of = NULL;
    index_rows(m);
    w = malloc(((size_t)m->nfeatures * m->nw + 1) * sizeof *w);
    if (!w)
        goto done;
    struct problem prob = {.l = (int)total, .n = (int)m->nfeatures + 1, .y = y, .x = x,
                           .bias = BIAS};
    set_print_string_function(quiet);
    for (uint32_t col = 0; col < m->nw; col++) {
        rc = train_column(m, &prob, labels, m->label[col], c, w, col);
        if (rc != SB_OK)
            goto done;
    }
    quantize(m, w);
    rc = SB_OK;
    *out = m;
    m = NULL;
done:
    for (size_t r = 0; r < total && x; r++)
        free(x[r]);
    free(x);
    free(w);
    free(labels);
    free(y);
    free(index_of);
    free(t);
    free(f);
    intent_free(m);
    return rc;
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
    size_t n = features_of(&t, f);
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
    size_t n = features_of(&t, f);
    if (!m || n == 0)
        return 0;
    probabilities_of(m, f, n, p);
    return m->n;
}

/* --- the cache --- */

static const char magic[8] = {'S', 'B', 'I', 'N', 'T', 'N', 'T', '2'};

int intent_save(const intent_model *m, uint64_t key, const char *path)
{
    char *tmp = sb_asprintf("%s.%ld.tmp", path, (long)getpid());
    if (!tmp)
        return SB_EIO;
    FILE *fp = fopen(tmp, "wb");
    int ok = fp != NULL;
    uint32_t head[4] = {FEATURE_VERSION, (uint32_t)m->n, m->nfeatures, m->nclasses};
    ok = ok && fwrite(magic, sizeof magic, 1, fp) == 1 && fwrite(&key, sizeof key, 1, fp) == 1 &&
         fwrite(head, sizeof head, 1, fp) == 1;
    for (size_t i = 0; ok && i < m->n; i++) {
        uint32_t len = (uint32_t)strlen(m->names[i]);
        ok = fwrite(&len, sizeof len, 1, fp) == 1 && fwrite(m->names[i], 1, len, fp) == len;
    }
    size_t bytes = (size_t)m->nfeatures * m->rec;
    ok = ok && fwrite(m->label, sizeof *m->label, m->nclasses, fp) == m->nclasses &&
         fwrite(m->bias, sizeof *m->bias, m->nw, fp) == m->nw &&
         fwrite(m->rows, 1, bytes, fp) == bytes && fwrite(m->known, 1, KNOWN_BYTES, fp) == KNOWN_BYTES;
    if (fp && fclose(fp) != 0)
        ok = 0;
    if (ok && rename(tmp, path) != 0)
        ok = 0;
    if (!ok)
        unlink(tmp);
    free(tmp);
    return ok ? SB_OK : SB_EIO;
}

int intent_load(const json_t *examples, uint64_t key, const char *path, intent_model **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return SB_ENOTFOUND;
    int rc = SB_ENOTFOUND;
    intent_model *m = model_new(examples);
    char got_magic[sizeof magic];
    uint64_t got_key = 0;
    uint32_t head[4];
    if (!m) {
        rc = SB_ENOMEM;
        goto done;
    }
    if (fread(got_magic, sizeof got_magic, 1, fp) != 1 || memcmp(got_magic, magic, sizeof magic) ||
        fread(&got_key, sizeof got_key, 1, fp) != 1 || got_key != key ||
        fread(head, sizeof head, 1, fp) != 1 || head[0] != FEATURE_VERSION || head[1] != m->n ||
        head[2] == 0 || head[2] > BUCKETS || head[3] < 2 || head[3] > m->n)
        goto done;
    for (size_t i = 0; i < m->n; i++) {
        char name[NAME_MAX_LEN + 1];
        uint32_t len = 0;
        if (fread(&len, sizeof len, 1, fp) != 1 || len > NAME_MAX_LEN || fread(name, 1, len, fp) != len)
            goto done;
        name[len] = '\0';
        if (strcmp(name, m->names[i]) != 0)
            goto done;
    }
    m->nfeatures = head[2];
    m->nclasses = head[3];
    m->nw = m->nclasses == 2 ? 1 : m->nclasses;
    if (model_alloc(m) != SB_OK) {
        rc = SB_ENOMEM;
        goto done;
    }
    size_t bytes = (size_t)m->nfeatures * m->rec;
    if (fread(m->label, sizeof *m->label, m->nclasses, fp) != m->nclasses ||
        fread(m->bias, sizeof *m->bias, m->nw, fp) != m->nw ||
        fread(m->rows, 1, bytes, fp) != bytes || fread(m->known, 1, KNOWN_BYTES, fp) != KNOWN_BYTES ||
        fgetc(fp) != EOF)
        goto done;
    for (uint32_t c = 0; c < m->nclasses; c++)
        if (m->label[c] < 0 || (size_t)m->label[c] >= m->n)
            goto done;
    for (uint32_t i = 0; i < m->nfeatures; i++)
        if (row_bucket(m, i) >= BUCKETS || (i > 0 && row_bucket(m, i) <= row_bucket(m, i - 1)))
            goto done;
    index_rows(m);
    *out = m;
    m = NULL;
    rc = SB_OK;
done:
    intent_free(m);
    fclose(fp);
    return rc;
}
