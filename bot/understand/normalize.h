/* normalize.h — person-written text in the form understanding compares (design.md:
 * "understanding: normalise"): Unicode folded with utf8proc (NFKC, case fold, marks
 * stripped, zero-width and format characters dropped, curly quotes lumped), letter runs of
 * three or more squeezed to two ("soooo" -> "soo"), chat spellings and contractions
 * expanded from data (dialogs/spellings.json: "dont" -> "do not"), split into words, and
 * each word's Snowball English stem. Bounded: the first NORM_INPUT_MAX bytes of a message
 * are looked at and the result lives in a fixed struct the caller provides. */
#ifndef SB_NORMALIZE_H
#define SB_NORMALIZE_H

#include <jansson.h>
#include <stddef.h>

#define NORM_INPUT_MAX 1024 /* bytes of a message looked at; the rest is ignored */
#define NORM_BYTES_MAX 4096 /* bytes of words (or stems), NUL included */
#define NORM_WORDS_MAX 192  /* words kept; later ones are ignored */
#define NORM_SPELLING_MAX 8 /* words one spelling may expand to */

typedef struct normalizer normalizer;

/* One message, normalised. Words are tokens: runs of letters and digits (an apostrophe
 * inside one is dropped: "can't" -> "cant"), each emoji or other symbol on its own
 * ("❤", "👍"), and "?". */
typedef struct norm_text {
    char words[NORM_BYTES_MAX]; /* the words after spellings, one space between */
    char stems[NORM_BYTES_MAX]; /* their stems in the same order, one space between */
    size_t nwords;              /* words in both */
} norm_text;

/* A normalizer for the spellings of a spellings data file (its "words" object: chat
 * spelling -> what it stands for; may be NULL for none). Keys and values are folded here.
 * Returns SB_OK with *out set (free with normalizer_free), SB_ENOMEM, or SB_EINVAL when the
 * Snowball English stemmer is missing. One thread at a time: the stemmer keeps scratch
 * state (the core thread owns the set's normalizer). */
int normalizer_new(const json_t *spellings, normalizer **out);
void normalizer_free(normalizer *n);

/* Folds text (UTF-8; invalid sequences end it) into out: NFKC, case folded, marks
 * stripped, default-ignorable and control characters dropped, quotes and dashes lumped to
 * ASCII. At most NORM_INPUT_MAX bytes of text are read. Returns the length written (out is
 * NUL-terminated; the result is cut at a character boundary to fit cap, cap >= 1). Pure,
 * no allocation, cannot fail. */
size_t normalize_fold(const char *text, char *out, size_t cap);

/* The words and stems of text into *out (see norm_text). Never fails: text the caps cut
 * is simply shorter. */
void normalizer_run(normalizer *n, const char *text, norm_text *out);

/* What word stands for by the spellings ("im" -> "i am"), or NULL. Borrowed. */
const char *normalizer_spelling(const normalizer *n, const char *word);

#endif
