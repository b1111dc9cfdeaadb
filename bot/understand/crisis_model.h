/* crisis_model.h — the learned half of the crisis check (design.md invariant 5): a logistic
 * regression (intent.h: liblinear over stemmed words, word pairs and character n-grams of
 * the normal form of normalize.h) with one class per crisis category of crisis.json and
 * "none", trained when the set loads from dialogs/safety/<category>.txt and none.txt. It
 * knows no language: the examples hold several, and character n-grams carry them. The
 * rules of crisis.c stay beside it; safety.c asks both, and a message is a crisis when
 * either says so. Classifying needs the set's normalizer (one thread at a time). */
#ifndef SB_CRISIS_MODEL_H
#define SB_CRISIS_MODEL_H

#include "dialog.h"
#include "intent.h"
#include "normalize.h"

#include <jansson.h>

#define CRISIS_MODEL_NONE "none"    /* the class of examples that are no crisis */
#define CRISIS_MODEL_WINDOWS 16     /* sentences of a message read one by one at most */
#define CRISIS_MODEL_WINDOW_WORDS 3 /* words a sentence needs to be read on its own */

typedef struct crisis_model crisis_model;

/* How crisis-like a message is: p, the probability of any crisis category (1 - p(none))
 * in the most crisis-like part of it, and category, the most probable crisis category
 * there (borrowed from the model; NULL when the text has no words). */
typedef struct crisis_guess {
    double p;
    const char *category;
} crisis_guess;

/* The examples the model learns from: safety (category -> [utterance], with "none") and,
 * as more of "none", every utterance of chat (intent -> [utterance]: what people say to a
 * coach when nothing is wrong, so that "hey its me" or "not now" is plainly no crisis).
 * Owned by the caller; NULL on ENOMEM. */
json_t *crisis_model_examples(const json_t *safety, const json_t *chat);

/* Trains a model on examples (category id -> [utterance, ...], with "none"), with cost c,
 * through the model cache of understand.h. concepts (crisis.json classifier "concepts":
 * concept -> [word, or prefix ending in *], in any language; NULL or empty for none) adds a
 * token for each concept a word of a message belongs to, in training and in guessing, so
 * that what is learnt from one language's words carries to another's; the model keeps a
 * reference. Returns SB_OK with *out (free with
 * crisis_model_free), SB_EINVAL when examples lack "none" or a crisis category, SB_ENOMEM.
 * spellings is the set's spellings data (part of the cache key). */
int crisis_model_new(const json_t *examples, const json_t *spellings, double c,
                     const json_t *concepts, normalizer *n, crisis_model **out);
void crisis_model_free(crisis_model *m);

/* The guess for text: the whole message (when it has at least CRISIS_MODEL_WINDOW_WORDS
 * words: shorter ones are the rules' alone), and each of its sentences of that many words
 * on its own (so a long message cannot dilute one
 * sentence that matters); the highest p wins. Emoji inside a word are dropped first
 * (crisis_fold). Returns SB_OK, or SB_ENOMEM (then *g says nothing: p 0). */
int crisis_model_guess(const crisis_model *m, normalizer *n, const char *text, crisis_guess *g);

/* The model's classes (categories and "none"), for evaluation. Borrowed. */
const intent_model *crisis_model_intents(const crisis_model *m);

/* The set's crisis classifier (NULL when dialogs/safety/ has no examples, or there was no
 * memory to train it) and the examples it learnt from (category -> [utterance]; may be
 * empty). Defined in dialog.c, which owns both. Borrowed. */
const crisis_model *dialogs_crisis_model(const sb_dialogs *d);
const json_t *dialogs_safety_examples(const sb_dialogs *d);

#endif
