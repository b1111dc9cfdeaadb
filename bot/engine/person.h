/* person.h — the person's state: the JSON object the store keeps as text for each person,
 * and the only code that knows its shape. The engine, the router and the actions read and
 * change it through these calls; consent is decided here, in person_consents, and nowhere
 * else. Setters take the value they are given and return SB_OK or SB_ENOMEM; getters
 * borrow from the state and never fail (NULL or 0 for what is absent or malformed).
 *
 * The shape:
 *   "v": 1                    shape version
 *   "met": true               first contact has run (commands.json first_contact)
 *   "hello": true             before it: the one-line hello for a first command was said
 *   "consent": "yes" | "no"   absent until a state's "set" decides it; journal needs "yes"
 *   "turn": 42                engine calls so far; with input.now it seeds variant picks
 *   "last": 1767225600        input.now of the previous direct input (follow-up gap)
 *   "missed": true            the previous reply was commands.json "fallback" (never twice)
 *   "picked": {"key": 1}      last variant used per text ("dialog/state", "commands/x")
 *   "followup": {"exercise": "id", "at": 1767225600}   to ask at the next conversation, or
 *               {"dialog": "id", "state": "name", "at": ..., "vars": {...} | "unkept": true}
 *                             a planned step's check-back (a state's "followup"; its words
 *                             only with consent)
 *   "safety": {"at": 1767225600, "cat": "suicide", "due": true, "checked": true,
 *              "asked": 1767225600}   after a crisis answer (safety.h): when, its category
 *                             id (never the words), the check of the next conversation still
 *                             to come, the one check after a downplay made; and when the
 *                             direct question on unclear risk was last asked. Dropped after
 *                             SAFETY_FOLLOWUP_WINDOW.
 *   "stack": [frame, ...]     bottom first, at most 4 (turn.h); the top frame waits
 *   "journal_next": 10        where the next page of !journal more starts (actions.c)
 * Frames are the dialog machine's (flow.c, exercise.c); this module hands them out whole:
 *   {"dialog": "id", "state": "name", "vars": {"name": "text", ...},   Markdown: what the
 *                              person wrote is stored escaped (turn_var_said)
 *    "called": true            pushed by a "call" state: when it ends, the caller goes on
 *                              to its call state's next; otherwise the frame interrupted
 *                              the one below, which then resumes (commands.json "resume"
 *                              and its question again)
 *    "told": true              "no_consent" was said in this run
 *    "nudged": true            a bare yes/no to an open question was asked about (answer.c)
 *    "misses": 2               answers in a row that fit nothing asked (flow_missed)
 *    "reflect": "check" | "correct", "reflection": "Markdown", "pending": "text"}
 *                              a reflection awaiting yes/no: the coach's reflection, and the
 *                              answer as written only when it is to be journaled (consent)
 * Of what the person wrote, "vars" keeps only what a text of the dialog still shows
 * (flow_keep); all of it goes with the frame when the dialog ends, stops or is dropped.
 *   {"exercise": "id", "step": 0, "how": true, "asked": true, "told": true}   see exercise.c
 *   {"followup": "id", "told": true}                          see exercise.c
 */
#ifndef SB_PERSON_H
#define SB_PERSON_H

#include <jansson.h>
#include <stdint.h>

/* A fresh state for a person the coach has never met. Owned by the caller; NULL on ENOMEM. */
json_t *person_new(void);

/* Makes the fields this module knows the right type: shape version and "met" added when
 * missing, a "consent" other than "yes"/"no", a "last" that is no integer, a "picked" that
 * is no object dropped; and counts the turn (person_turns + 1). SB_OK or SB_ENOMEM. */
int person_repair(json_t *state);

/* Consent: "yes", "no", or NULL while undecided. */
const char *person_consent(const json_t *state);
/* 1 only when the person said yes: what they write may be journaled and kept. */
int person_consents(const json_t *state);
/* Records "yes" or "no" (anything else is SB_EINVAL). */
int person_set_consent(json_t *state, const char *value);

/* Marks of the first contact and of the last reply. */
typedef enum person_mark {
    PERSON_MET,    /* first contact has run */
    PERSON_HELLO,  /* before it: the one-line hello for a first command was said */
    PERSON_MISSED, /* the previous reply was commands.json "fallback" */
} person_mark;
int person_is(const json_t *state, person_mark mark);
/* Sets the mark, or clears it (on 0). */
int person_set(json_t *state, person_mark mark, int on);

/* Engine calls so far (with input.now it seeds variant picks). */
int64_t person_turns(const json_t *state);
/* input.now of the previous direct input, -1 when none. */
int64_t person_last(const json_t *state);
int person_set_last(json_t *state, int64_t now);

/* The last variant used per text key, made when missing (NULL on ENOMEM). */
json_t *person_picked(json_t *state);

/* The dialog stack (bottom first) as stored: NULL when missing, and before the engine's
 * repair possibly no array. person_stack_reset puts an empty one (stack NULL) or stack
 * (taken) in its place. */
json_t *person_stack(const json_t *state);
int person_stack_reset(json_t *state, json_t *stack);
/* The waiting frame (the top of the stack) or NULL. */
json_t *person_top(const json_t *state);

/* The parts of the state the engine keeps whole: the follow-up to ask at the next
 * conversation (a planned step, a given exercise), and what follows a crisis answer
 * (safety.c). person_get is NULL when there is none; person_put takes value. */
typedef enum person_part { PERSON_FOLLOWUP, PERSON_SAFETY } person_part;
json_t *person_get(const json_t *state, person_part part);
int person_put(json_t *state, person_part part, json_t *value);
void person_drop(json_t *state, person_part part);

/* Where the next page of the journal starts, 0 when there is none. */
int64_t person_journal_next(const json_t *state);
int person_set_journal_next(json_t *state, int64_t offset); /* 0 clears it */

/* The state's instants ("last", the follow-up's "at") as ISO 8601 UTC strings, for the
 * export; the state is no longer one the engine takes afterwards. */
void person_times_iso(json_t *state);

#endif
