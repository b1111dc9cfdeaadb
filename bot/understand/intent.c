/* intent.c — the classifier of intent.h: features of a normalised message, training with
 * liblinear, a model cache on disk keyed by the data it was trained from, and classifying.
 * It owns the mapping from hashed features to liblinear's dense indices and the weights;
 * reading the example files and checking them is dialog.c's and validate_understand.c's. */
#include "intent.h"

#include "sb.h"
#include "text.h"

#include <linear.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FEATURE_VERSION 1        /* bump when features_of changes: old caches stop fitting */
#define BUCKETS (1u << INTENT_FEATURE_BITS)
#define FEATURES_MAX 2048        /* features of one message; more are ignored */
#define CHAR_GRAM_MIN 3
#define CHAR_GRAM_MAX 5
#define CHAR_TEXT_MAX 600        /* bytes of a message's words made into character n-grams */
#define CLASSES_MAX 256          /* intents a model may have */
#define NAME_MAX_LEN 64          /* bytes of an intent id */
#define BIAS 1.0

struct intent_model {
    struct model *linear;  /* liblinear's model: labels 0..n-1 are indexes into names */
    char **names;          /* intent ids, owned */
    size_t n;
    uint32_t *index_of;    /* bucket -> liblinear feature index (1-based), 0: never seen */
    uint32_t *bucket_of;   /* feature index - 1 -> bucket (for saving) */
    uint32_t nfeatures;
};

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

static int by_bucket(const void *a, const void *b)
{
    const feature *x = a, *y = b;
    return x->bucket < y->bucket ? -1 : x->bucket > y->bucket;
}

/* Sorts f[0..n) by bucket and adds up duplicates; returns the new count. */
static size_t merge(feature *f, size_t n)
{
    if (n == 0)
        return 0;
    qsort(f, n, sizeof *f, by_bucket);
    size_t out = 0;
    for (size_t i = 1; i < n; i++) {
        if (f[i].bucket == f[out].bucket)
            f[out].value += f[i].value;
        else
            f[++out] = f[i];
    }
    return out + 1;
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

/* The features of t into f (FEATURES_MAX): word uni- and bigrams of the stems (with the
 * start and end of the message as words), and character n-grams of the words, each kind
 * scaled to unit length, then the whole. Sorted by bucket; returns the count. */
static size_t features_of(const norm_text *t, feature *f)
{
    static const uint64_t seed_word = TEXT_HASH_SEED ^ 0x5157;
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
    n = merge(f, words + chars);
    scale_unit(f, n);
    return n;
}

/* The liblinear nodes of f (model indices; unknown buckets dropped, bias appended, -1
 * ends) into x (FEATURES_MAX + 2). Buckets are indexed in increasing order, so x stays
 * sorted. */
static void nodes_of(const intent_model *m, const feature *f, size_t n, struct feature_node *x)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t index = m->index_of[f[i].bucket];
        if (index) {
            x[j].index = (int)index;
            x[j].value = f[i].value;
            j++;
        }
    }
    x[j].index = (int)m->nfeatures + 1;
    x[j].value = BIAS;
    x[j + 1].index = -1;
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
    m->index_of = calloc(BUCKETS, sizeof *m->index_of);
    if (!m->names || !m->index_of) {
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
    if (m->linear)
        free_and_destroy_model(&m->linear);
    for (size_t i = 0; i < m->n; i++)
        free(m->names[i]);
    free(m->names);
    free(m->index_of);
    free(m->bucket_of);
    free(m);
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
    feature **rows = calloc(total, sizeof *rows);
    size_t *counts = calloc(total, sizeof *counts);
    double *y = calloc(total, sizeof *y);
    struct feature_node **x = calloc(total, sizeof *x);
    if (!m || !f || !t || !rows || !counts || !y || !x)
        goto done;
    size_t row = 0, label = 0;
    json_object_foreach((json_t *)examples, name, list) {
        size_t i;
        const json_t *u;
        json_array_foreach(list, i, u) {
            normalizer_run(nz, json_string_value(u) ? json_string_value(u) : "", t);
            counts[row] = features_of(t, f);
            rows[row] = malloc((counts[row] ? counts[row] : 1) * sizeof **rows);
            if (!rows[row])
                goto done;
            memcpy(rows[row], f, counts[row] * sizeof *f);
            for (size_t j = 0; j < counts[row]; j++)
                m->index_of[f[j].bucket] = 1; /* seen; numbered below */
            y[row] = (double)label;
            row++;
        }
        label++;
    }
    for (uint32_t b = 0; b < BUCKETS; b++)
        if (m->index_of[b])
            m->index_of[b] = ++m->nfeatures;
    m->bucket_of = malloc((m->nfeatures ? m->nfeatures : 1) * sizeof *m->bucket_of);
    if (!m->bucket_of)
        goto done;
    for (uint32_t b = 0; b < BUCKETS; b++)
        if (m->index_of[b])
            m->bucket_of[m->index_of[b] - 1] = b;
    for (size_t r = 0; r < total; r++) {
        x[r] = malloc((counts[r] + 2) * sizeof **x);
        if (!x[r])
            goto done;
        nodes_of(m, rows[r], counts[r], x[r]);
    }
    struct problem prob = {.l = (int)total, .n = (int)m->nfeatures + 1, .y = y, .x = x,
                           .bias = BIAS};
    struct parameter param = {.solver_type = L2R_LR, .eps = 0.01, .C = c};
    set_print_string_function(quiet);
    if (check_parameter(&prob, &param)) {
        rc = SB_EINVAL;
        goto done;
    }
    m->linear = train(&prob, &param);
    if (!m->linear)
        goto done;
    rc = SB_OK;
    *out = m;
    m = NULL;
done:
    for (size_t r = 0; r < total && rows; r++) {
        free(rows[r]);
        if (x)
            free(x[r]);
    }
    free(rows);
    free(x);
    free(counts);
    free(y);
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
    struct feature_node x[FEATURES_MAX + 2];
    double p[CLASSES_MAX];
    if (k > INTENT_TOP_MAX)
        k = INTENT_TOP_MAX;
    normalizer_run(nz, text ? text : "", &t);
    size_t n = features_of(&t, f);
    if (!m || !m->linear || n == 0 || k == 0)
        return 0;
    nodes_of(m, f, n, x);
    predict_probability(m->linear, x, p);
    size_t classes = (size_t)get_nr_class(m->linear), got = 0;
    for (size_t i = 0; i < k && i < classes; i++) {
        size_t best = classes;
        for (size_t c = 0; c < classes; c++) {
            int taken = 0;
            for (size_t j = 0; j < got; j++)
                taken |= top[j].intent == m->names[m->linear->label[c]];
            if (!taken && (best == classes || p[c] > p[best]))
                best = c;
        }
        top[got].intent = m->names[m->linear->label[best]];
        top[got].p = p[best];
        got++;
    }
    return got;
}

size_t intent_probabilities(const intent_model *m, normalizer *nz, const char *text, double *p)
{
    norm_text t;
    feature f[FEATURES_MAX];
    struct feature_node x[FEATURES_MAX + 2];
    double by_label[CLASSES_MAX];
    normalizer_run(nz, text ? text : "", &t);
    size_t n = features_of(&t, f);
    if (!m || !m->linear || n == 0)
        return 0;
    nodes_of(m, f, n, x);
    predict_probability(m->linear, x, by_label);
    size_t classes = (size_t)get_nr_class(m->linear);
    for (size_t i = 0; i < m->n; i++)
        p[i] = 0;
    for (size_t c = 0; c < classes; c++)
        p[m->linear->label[c]] = by_label[c];
    return m->n;
}

/* --- the cache --- */

static const char magic[8] = {'S', 'B', 'I', 'N', 'T', 'N', 'T', '1'};

static size_t weights_of(const struct model *lm)
{
    size_t nw = lm->nr_class == 2 ? 1 : (size_t)lm->nr_class;
    return ((size_t)lm->nr_feature + 1) * nw;
}

int intent_save(const intent_model *m, uint64_t key, const char *path)
{
    char *tmp = sb_asprintf("%s.%ld.tmp", path, (long)getpid());
    if (!tmp)
        return SB_EIO;
    FILE *fp = fopen(tmp, "wb");
    int ok = fp != NULL;
    const struct model *lm = m->linear;
    uint32_t head[4] = {FEATURE_VERSION, (uint32_t)m->n, m->nfeatures, (uint32_t)lm->nr_class};
    ok = ok && fwrite(magic, sizeof magic, 1, fp) == 1 && fwrite(&key, sizeof key, 1, fp) == 1 &&
         fwrite(head, sizeof head, 1, fp) == 1;
    for (size_t i = 0; ok && i < m->n; i++) {
        uint32_t len = (uint32_t)strlen(m->names[i]);
        ok = fwrite(&len, sizeof len, 1, fp) == 1 && fwrite(m->names[i], 1, len, fp) == len;
    }
    size_t nw = weights_of(lm);
    ok = ok && fwrite(lm->label, sizeof *lm->label, (size_t)lm->nr_class, fp) == (size_t)lm->nr_class &&
         fwrite(m->bucket_of, sizeof *m->bucket_of, m->nfeatures, fp) == m->nfeatures &&
         fwrite(lm->w, sizeof *lm->w, nw, fp) == nw;
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
    struct model *lm = calloc(1, sizeof *lm);
    char got_magic[sizeof magic];
    uint64_t got_key = 0;
    uint32_t head[4];
    if (!m || !lm) {
        rc = SB_ENOMEM;
        goto done;
    }
    if (fread(got_magic, sizeof got_magic, 1, fp) != 1 || memcmp(got_magic, magic, sizeof magic) ||
        fread(&got_key, sizeof got_key, 1, fp) != 1 || got_key != key ||
        fread(head, sizeof head, 1, fp) != 1 || head[0] != FEATURE_VERSION || head[1] != m->n ||
        head[2] == 0 || head[2] > BUCKETS || head[3] != m->n)
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
    lm->param.solver_type = L2R_LR;
    lm->nr_class = (int)head[3];
    lm->nr_feature = (int)m->nfeatures;
    lm->bias = BIAS;
    size_t nw = weights_of(lm);
    lm->label = malloc((size_t)lm->nr_class * sizeof *lm->label);
    m->bucket_of = malloc(m->nfeatures * sizeof *m->bucket_of);
    lm->w = malloc(nw * sizeof *lm->w);
    if (!lm->label || !m->bucket_of || !lm->w) {
        rc = SB_ENOMEM;
        goto done;
    }
    if (fread(lm->label, sizeof *lm->label, (size_t)lm->nr_class, fp) != (size_t)lm->nr_class ||
        fread(m->bucket_of, sizeof *m->bucket_of, m->nfeatures, fp) != m->nfeatures ||
        fread(lm->w, sizeof *lm->w, nw, fp) != nw || fgetc(fp) != EOF)
        goto done;
    for (int i = 0; i < lm->nr_class; i++)
        if (lm->label[i] < 0 || (size_t)lm->label[i] >= m->n)
            goto done;
    for (uint32_t i = 0; i < m->nfeatures; i++) {
        if (m->bucket_of[i] >= BUCKETS || (i > 0 && m->bucket_of[i] <= m->bucket_of[i - 1]))
            goto done;
        m->index_of[m->bucket_of[i]] = i + 1;
    }
    m->linear = lm;
    lm = NULL;
    *out = m;
    m = NULL;
    rc = SB_OK;
done:
    if (lm)
        free_and_destroy_model(&lm);
    intent_free(m);
    fclose(fp);
    return rc;
}
