/* intent_train.c — training an intent model of intent.h with liblinear, one class against
 * the rest at a time, and the key a trained model is cached under. It maps hashed features
 * to liblinear's dense indices while training and leaves only the quantized weights;
 * features are intent_features.c's, the cache on disk intent_cache.c's. */
#include "intent_impl.h"

#include "sb.h"
#include "text.h"

#include <linear.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void mark_known(void *ctx, uint32_t bucket)
{
    unsigned char *known = ctx;
    known[bucket / 8] |= (unsigned char)(1u << (bucket % 8));
}

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
            intent_row_q(m, r)[c] = (int8_t)lrintf(row[c] / scale);
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
    intent_model *m = intent_model_new(examples);
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
            intent_each_word(t, mark_known, m->known);
            size_t count = intent_features_of(t, f);
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
    if (intent_model_alloc(m) != SB_OK)
        goto done;
    for (size_t i = 0, k = 0; i < m->n; i++)
        if (seen[i])
            m->label[k++] = (int32_t)i;
    for (uint32_t b = 0; b < BUCKETS; b++)
        if (index_of[b])
            memcpy(m->rows + (size_t)(index_of[b] - 1) * m->rec, &b, sizeof b);
    free(index_of);
    index_of = NULL;
    intent_index_rows(m);
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
