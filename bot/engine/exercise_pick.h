/* exercise_pick.h — which exercise `!exercise` gives: a pure choice over exercises.json,
 * table-tested (tests/unit/test_exercise_pick.c). The caller (actions.c) reads what was
 * given lately and the person's focus from the store, and runs the chosen one. */
#ifndef SB_EXERCISE_PICK_H
#define SB_EXERCISE_PICK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The id of the exercise of list (exercises.json "exercises") least recently given,
 * of topic only when topic is not NULL: one never given (not in recent, newest first)
 * beats one given long ago, which beats one given lately. Among equals the choice follows
 * spread (exercise_pick_spread): the same spread always picks the same one, other spreads
 * others, so two people (or one person on two days) do not walk the list in the same
 * order. NULL when no exercise fits. Borrowed from list. */
const char *exercise_pick(const json_t *list, const char *topic, const char *const *recent,
                          size_t nrecent, uint64_t spread);

/* The spread of a person (their store id) on a day (days since the epoch): well mixed,
 * so no two pairs of small numbers share it (person 1 on day 2 is not person 2 on day 1).
 * Cannot fail. */
uint64_t exercise_pick_spread(int64_t person, int64_t day);

/* Adds to score[i] (one per topic of exercises.json "topics", in order) the probability of
 * each of n intents guessed from something the person said that topic i lists in its
 * "intents". Cannot fail. */
void exercise_topic_score(const json_t *topics, const char *const *intents, const double *p,
                          size_t n, double *score);

/* The id of the topic with the highest score, when it reaches bar; NULL otherwise.
 * Borrowed from topics. */
const char *exercise_topic_best(const json_t *topics, const double *score, double bar);

#endif
