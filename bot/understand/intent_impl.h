/* intent_impl.h — the inside of an intent model, shared by the files of intent.h only:
 * intent.c (the model and classifying), intent_features.c (a message's features),
 * intent_train.c (training with liblinear) and intent_cache.c (the model on disk).
 * Everyone else reads a model through intent.h. */
#ifndef SB_INTENT_IMPL_H
#define SB_INTENT_IMPL_H

#include "intent.h"

#include <stdint.h>
#include <string.h>

#define FEATURE_VERSION 5        /* bump when intent_features_of or the model changes: old caches stop fitting */
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

#define ROW_HEAD (sizeof(uint32_t) + sizeof(float)) /* a record's bucket and scale */

/* A record's bucket, scale and quanta (stride of them). */
static inline uint32_t intent_row_bucket(const intent_model *m, uint32_t r)
{
    uint32_t b;
    memcpy(&b, m->rows + (size_t)r * m->rec, sizeof b);
    return b;
}

static inline float intent_row_scale(const intent_model *m, uint32_t r)
{
    float scale;
    memcpy(&scale, m->rows + (size_t)r * m->rec + sizeof(uint32_t), sizeof scale);
    return scale;
}

static inline int8_t *intent_row_q(const intent_model *m, uint32_t r)
{
    return (int8_t *)(m->rows + (size_t)r * m->rec + ROW_HEAD);
}

/* --- intent_features.c --- */

/* The bucket of each stem of t (a word unigram's) to fn. */
void intent_each_word(const norm_text *t, void (*fn)(void *ctx, uint32_t bucket), void *ctx);
/* The features of t into f (FEATURES_MAX): word uni- and bigrams of the stems (with the
 * start and end of the message as words), and character n-grams of the words, each kind
 * scaled to unit length, then the whole. Sorted by bucket; returns the count. */
size_t intent_features_of(const norm_text *t, feature *f);

/* --- intent.c --- */

/* A model with examples' intent ids and no weights; NULL on ENOMEM. Free with intent_free. */
intent_model *intent_model_new(const json_t *examples);
/* Allocates m's arrays for its nclasses, nw and nfeatures. SB_OK or SB_ENOMEM. */
int intent_model_alloc(intent_model *m);
/* Fills m->first from the rows' buckets (increasing). Cannot fail. */
void intent_index_rows(intent_model *m);

#endif
