/* input.h — what the router makes of a person's raw text before anything reads it: no NUL,
 * C0 or C1 control characters (a terminal escape stored in a journal would be replayed by
 * every console that shows it), and no more than INPUT_MAX_BYTES, cut between words so the
 * person can be told how many words were kept. Pure. */
#ifndef SB_INPUT_H
#define SB_INPUT_H

#include <stddef.h>

/* Below the engine's own limit (turn.h TURN_TEXT_MAX), so nothing is ever cut unsaid. */
#define INPUT_MAX_BYTES 16000

typedef struct input_clean_result {
    char *text;        /* owned by the caller */
    int stripped;      /* control characters were removed */
    int cut;           /* the text was longer than the limit and was cut */
    size_t kept_words; /* when cut: the words kept */
} input_clean_result;

/* Copies text without control characters (tab and newline stay; a carriage return
 * becomes a newline unless one follows) and, when longer than max bytes, cut at the last
 * word boundary within max (never inside a UTF-8 sequence). Returns SB_OK and fills *out,
 * or SB_ENOMEM with out->text NULL. */
int input_clean(const char *text, size_t max, input_clean_result *out);

#endif
