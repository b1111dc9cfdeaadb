/* typo.h — a command word typed with one slip ("exersise", "jornal", "progres"): the set's
 * vocabulary (every word its own files use) and a conservative edit-distance-1 match against
 * the command words of commands.json. Pure; used by match_command when nothing waits for an
 * answer or the answer fits nothing that waits, never for the answer to a text question. */
#ifndef SB_TYPO_H
#define SB_TYPO_H

#include "dialog.h"

#include <jansson.h>

#define TYPO_MIN_LEN 5 /* letters a word needs before a slip in it is corrected */

/* Adds every word of every string in file (phrase form, at least TYPO_MIN_LEN bytes) to
 * vocabulary, a JSON object used as a set. Returns SB_OK or SB_ENOMEM. */
int typo_collect(json_t *vocabulary, const json_t *file);

/* A copy of text in phrase form in which each word that is a slip of a command word is that
 * word: a word of at least TYPO_MIN_LEN ASCII letters, not in the set's vocabulary nor in
 * commands.json "known_words", one edit (a letter added, dropped, changed, or two neighbours
 * swapped) away from the single-word command words of exactly one command that allows it
 * (no "exact": true), themselves at least TYPO_MIN_LEN letters. Returns 1 with *fixed
 * (owned) when a word changed, 0 when none did (*fixed NULL), SB_ENOMEM. */
int typo_fix(const sb_dialogs *d, const char *text, char **fixed);

/* 1 when a and b (lowercase ASCII) differ by exactly one edit: a letter added, dropped or
 * changed, or two neighbouring letters swapped ("jounral"). */
int typo_one_edit(const char *a, const char *b);

/* The set's vocabulary as collected at load. Defined in dialog.c, which owns it. */
const json_t *dialogs_vocabulary(const sb_dialogs *d);

#endif
