/* choose.h — the choice of a menu (a dialog state "expect": "choice") an answer picks.
 * flow.c asks; match.c reads numbers, words and labels; this file adds the rules on top
 * (consequential choices only by number or word, a shrug or an "ok", words of one's own). */
#ifndef SB_CHOOSE_H
#define SB_CHOOSE_H

#include "turn.h"

/* The choice of state st (of dialog frame frame) that the input t->text selects: by number,
 * word or label start, else the one label holding all its significant words, else by an
 * unsure or agreeing answer, else by shared content words; never a consequential choice
 * (one leading to a setting or action) but by number or word. Read once per text and state
 * (kept on t). Returns 1 with *index, 0 when none, SB_ENOMEM. */
int choose_choice(turn *t, const json_t *frame, const json_t *st, size_t *index);

/* The one choice of choices marked "own_words", when the input is a few words of its own
 * (or names a feeling) and no question. Returns 1 with *index, 0 when none, SB_ENOMEM. */
int choose_own_words(turn *t, const json_t *choices, size_t *index);

#endif
