/* intent.h — intents learned from authored examples (design.md invariant 5): a linear
 * classifier (liblinear, L2-regularised logistic regression) over the normal form of
 * normalize.h: stemmed word unigrams and bigrams and character 3-5-grams, hashed into a
 * fixed space and L2-normalised per kind. Once trained, liblinear's problem and model are
 * freed: a model keeps a row of signed bytes (and a scale) per feature any example had, so
 * the resident size is about features x intents bytes, not eight times that plus a table of
 * all buckets. The examples are dialogs/intents/<intent>.txt
 * (loaded by dialog.c); what a guess leads to is the engine's business (route.c).
 * A trained model is immutable; classifying needs the set's normalizer (one thread at a
 * time, see normalize.h). */
#ifndef SB_INTENT_H
#define SB_INTENT_H

#include "normalize.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define INTENT_FEATURE_BITS 18  /* hashed feature space: 2^18 buckets */
#define INTENT_TOP_MAX 3        /* guesses intent_classify reports at most */
#define INTENT_C_DEFAULT 8.0    /* liblinear cost C when the data names none */

typedef struct intent_model intent_model;

/* One guess: an intent id (borrowed from the model) and its probability. */
typedef struct intent_guess {
    const char *intent;
    double p;
} intent_guess;

/* The examples: intent id -> array of utterances (JSON strings), as dialog.c reads them. */

/* A hash of everything a model trained from examples with cost c depends on (the
 * examples in order, the spellings as the normalizer expands them, the feature version,
 * c): a model is reused only under the same key. Cannot fail. */
uint64_t intent_key(const json_t *examples, const json_t *spellings, double c);

/* Trains a model on examples (at least two intents with at least one utterance each).
 * Returns SB_OK with *out set (free with intent_free), SB_EINVAL for too few intents,
 * SB_ENOMEM. liblinear's printing is silenced. */
int intent_train(normalizer *n, const json_t *examples, double c, intent_model **out);
void intent_free(intent_model *m);

/* Writes m under key to path (binary, this machine's byte order; written to a temporary
 * file and renamed). Returns SB_OK or SB_EIO. */
int intent_save(const intent_model *m, uint64_t key, const char *path);

/* Reads a model saved under key for exactly these examples' intents from path. Returns
 * SB_OK with *out set, SB_ENOTFOUND when there is none or it was made for other data
 * (another key, other intents, another format), SB_ENOMEM. */
int intent_load(const json_t *examples, uint64_t key, const char *path, intent_model **out);

/* Distinct features the model has weights for (its size is this times the intents). */
size_t intent_features(const intent_model *m);

/* Intents of the model, in the order of examples' keys. Borrowed. */
size_t intent_count(const intent_model *m);
const char *intent_name(const intent_model *m, size_t i);

/* The k (<= INTENT_TOP_MAX) most probable intents of text, most probable first, into top;
 * returns how many were filled (0 when text has no words, or none that some example has:
 * gibberish is not guessed at from its letters). Probabilities sum to 1 over all intents.
 * No allocation. */
size_t intent_classify(const intent_model *m, normalizer *n, const char *text,
                       intent_guess *top, size_t k);

/* The probability of every intent of the model for text, in the order of intent_name, into
 * p (intent_count entries). Returns the count, 0 when text has no words (p untouched). No
 * allocation. For a caller that needs them all (the crisis check sums the crisis ones). */
size_t intent_probabilities(const intent_model *m, normalizer *n, const char *text, double *p);

#endif
