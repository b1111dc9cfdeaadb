/* language.h — which language a message is in, for answering a message the coach cannot
 * follow in the person's own language (languages.json): libexttextcat's n-gram
 * fingerprints over the languages the data lists, and a check against the English words
 * of the examples so that short English messages are never taken for something else.
 * The crisis check never depends on this (engine.c runs it first). One thread at a time:
 * libexttextcat keeps scratch state in its handle. */
#ifndef SB_LANGUAGE_H
#define SB_LANGUAGE_H

#include "normalize.h"

#include <jansson.h>

typedef struct language language;

/* A detector for the "detect" languages of a languages data file (fingerprints read from
 * its "fingerprints" folder), knowing the English words of examples (intent id ->
 * [utterance]; may be NULL). languages NULL: *out NULL, SB_OK (nothing is detected).
 * Returns SB_OK, SB_ENOMEM, or SB_EIO when the fingerprints cannot be read (*out NULL). */
int language_new(const json_t *languages, const json_t *examples, normalizer *n,
                 language **out);
void language_free(language *l);

/* The codes ("es") of the languages text is in, best first, when it is not English: at
 * least "min_words" words, fewer than half of them English words of the examples, and
 * English not among libexttextcat's candidates (it names two or more when they are close:
 * Spanish and Italian, say). Fills up to max codes (borrowed from the languages data) and
 * returns how many; 0 for English, too short, unknown, or l NULL. */
size_t language_detect(language *l, normalizer *n, const char *text, const char **codes,
                       size_t max);

#endif
