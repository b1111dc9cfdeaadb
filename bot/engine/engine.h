/* engine.h — the pure dialog state machine (design.md invariant 1).
 * engine_step(dialogs, state, input) -> new state, replies, effects. No I/O, no clock,
 * no globals: the time comes in with the input, randomness is derived from the state.
 * The person's state is a JSON object the engine alone interprets; the store keeps it
 * as text. */
#ifndef SB_ENGINE_H
#define SB_ENGINE_H

#include "dialog.h"

#include <jansson.h>
#include <stdint.h>

typedef enum sb_effect_kind {
    SB_FX_JOURNAL,        /* key: prompt/topic, value: the person's text (only emitted after consent) */
    SB_FX_RATING,         /* key: measure id, number: 1..7 */
    SB_FX_SETTING,        /* key: setting name, value: new value (e.g. consent=yes) */
    SB_FX_EXERCISE_GIVEN, /* key: exercise id */
    SB_FX_EXERCISE_DONE,  /* key: exercise id */
    SB_FX_ACTION,         /* key: action name the router performs with the store
                             ("journal", "progress", "export", "forget", "exercise",
                             "nudge", "timezone", "pause", "resume"), value: argument or NULL */
    SB_FX_CRISIS,         /* the crisis check matched (key: the category id, may be NULL);
                             the router pauses nudges for 24 h and makes the next one a
                             check on how the person is */
    SB_FX_CHECKED,        /* the person was asked how they are after a crisis: the next
                             nudge needn't ask again */
    SB_FX_EXERCISE_STOPPED, /* key: exercise id; left before its last step (stop, another
                              exercise, a crisis): no nudge or follow-up refers to it */
    SB_FX_SAY              /* value: Markdown said after what the actions before it said
                              (the waiting question asked again after "progress") */
} sb_effect_kind;

typedef struct sb_effect {
    sb_effect_kind kind;
    char *key;   /* owned, may be NULL */
    char *value; /* owned, may be NULL */
    long number;
} sb_effect;

typedef struct sb_input {
    const char *text;   /* the person's message, UTF-8 */
    int64_t now;        /* UTC seconds */
    int group;          /* 1 in a group room: only commands reach the engine and personal
                           content is refused with a suggestion to open a direct chat */
    const char *user;   /* how to address the person ({user}); may be NULL */
} sb_input;

typedef struct sb_step {
    json_t *state;       /* new state, owned by the caller after the step */
    char **replies;      /* Markdown texts in order, owned */
    size_t nreplies;
    sb_effect *effects;  /* owned */
    size_t neffects;
} sb_step;

/* A fresh state for a person the coach has never met. Owned by the caller; NULL on ENOMEM. */
json_t *engine_new_state(void);

/* Runs one input through the machine. state is borrowed and not modified.
 * On success fills *out (caller releases with engine_step_free) and returns SB_OK.
 * Returns SB_ENOMEM (out zeroed) on allocation failure. Never fails on odd input:
 * unknown or malformed state is reset to idle with a gentle reply. */
int engine_step(const sb_dialogs *d, const json_t *state, const sb_input *in, sb_step *out);

/* engine_step on a state the caller gives up (its one reference, held nowhere else): the
 * step changes it in place instead of on a copy, and it becomes out->state (on an error it
 * is freed). Same results as engine_step; for the router, which reads each state afresh. */
int engine_step_take(const sb_dialogs *d, json_t *state, const sb_input *in, sb_step *out);

/* Starts dialog id for the person as if they had asked for it. Same contract as
 * engine_step. No production caller: the engine tests enter a dialog with it ("@start:"). */
int engine_start(const sb_dialogs *d, const json_t *state, const char *dialog_id,
                 const sb_input *in, sb_step *out);

/* Starts exercise id of exercises.json as a guided flow (steps one message at a time, then
 * "how was it?"); emits SB_FX_EXERCISE_GIVEN now and SB_FX_EXERCISE_DONE at the end, and
 * remembers the follow-up question for the person's next conversation. */
int engine_start_exercise(const sb_dialogs *d, const json_t *state, const char *exercise_id,
                          const sb_input *in, sb_step *out);

void engine_step_free(sb_step *s);

/* The reflection of text by the rules of reflection.json ("It sounds like you ..."), without
 * the check question. Caller frees; NULL on ENOMEM. Pure; used by the table tests. */
char *engine_reflect(const sb_dialogs *d, const char *text);

/* The command parser: which global command text invokes, if any. idle=1 when no dialog
 * waits for an answer (natural phrases count then), direct=1 in a one-to-one chat (the "!"
 * is optional there). Returns 1 and sets *name (borrowed from the set) and *arg (owned,
 * NULL when none) on a match, 0 when text is no command. */
int engine_match_command(const sb_dialogs *d, const char *text, int idle, int direct,
                         const char **name, char **arg);

/* 1 when text signals a crisis by the set's crisis check (any category), 0 when not; 1 too
 * when it could not tell (out of memory): safety first. Pure. */
int engine_is_crisis(const sb_dialogs *d, const char *text);

/* What the crisis answer to text must carry even when nothing else can be done (the
 * router's fallback when a batch cannot be committed): lines[0] the crisis message, and
 * lines[1] the abuse message when the answer would hold it (its category's reply or an
 * "also" line of a category found uses {abuse_message}). Returns how many lines (0 when
 * text is no crisis; 1 when the check could not tell). Borrowed from d. Pure. */
size_t engine_crisis_lines(const sb_dialogs *d, const char *text, const char *lines[2]);

/* The id of the crisis category text signals (the most urgent when several: crisis.json
 * lists them in that order), NULL when none, "" for a set whose crisis.json has no
 * categories. Borrowed from d. Pure. */
const char *engine_crisis_category(const sb_dialogs *d, const char *text);

#endif
