/* understand.h — the understanding step of design.md ("normalise, safety check, intents
 * learned from dialogs/ examples"), as the dialog set holds it: the normalizer of
 * spellings.json, the intent model trained from intents/ and the language detector of
 * languages.json, compiled once by the loader (dialog.c) and asked by the engine
 * (route.c). Depends on the dialog model and its text libraries only. */
#ifndef SB_UNDERSTAND_H
#define SB_UNDERSTAND_H

#include "dialog.h"
#include "intent.h"
#include "language.h"
#include "normalize.h"

#include <jansson.h>

/* Compiles what understanding needs from the loaded data: *n always, *m when examples has
 * intents (trained, or read from the model cache when one was made from exactly these
 * examples: see understand_set_cache), *l when languages is given. Returns SB_OK, or the
 * first error (SB_ENOMEM, SB_EIO for unreadable fingerprints) with nothing set. */
int understand_compile(const json_t *examples, const json_t *spellings,
                       const json_t *understanding, const json_t *languages, normalizer **n,
                       intent_model **m, language **l);

/* The folder where trained models are kept, keyed by a hash of everything they were
 * trained from (NULL: none, every load trains). Set before loading; read by
 * understand_compile. The string is copied; SB_ENOMEM or SB_OK. When a model is trained
 * and written there, the models no load has used for CACHE_UNUSED_DAYS are removed. */
#define CACHE_UNUSED_DAYS 14
int understand_set_cache(const char *dir);

/* A model trained from examples with cost c (or read from the model cache when one was
 * made from exactly these examples and spellings): for the crisis check's classifier,
 * which learns from dialogs/safety/ the same way. SB_OK with *m, SB_EINVAL, SB_ENOMEM. */
int understand_train(const json_t *examples, const json_t *spellings, double c, normalizer *n,
                     intent_model **m);

/* The liblinear cost of the understanding data ("cost"), else INTENT_C_DEFAULT. */
double understand_cost(const json_t *understanding);

/* The intents of text by the set's model, most probable first, into top
 * (INTENT_TOP_MAX); returns how many (0 when the set has no examples). */
size_t understand_guess(const sb_dialogs *d, const char *text, intent_guess *top);

/* The languages text is in when it is not English, best first (language.h). */
size_t understand_language(const sb_dialogs *d, const char *text, const char **codes, size_t max);

/* What the set holds (dialog.c owns all four; NULL when absent). Borrowed. */
const json_t *dialogs_examples(const sb_dialogs *d);
normalizer *dialogs_normalizer(const sb_dialogs *d);
const intent_model *dialogs_intents(const sb_dialogs *d);
language *dialogs_language(const sb_dialogs *d);

#endif
