/* turn.h — one engine step in the making, shared by engine.c and exercise.c: the working
 * copy of the person's state, the replies and effects gathered so far, variant picks that
 * never repeat, {variable} substitution, and the dialog stack's frames.
 * Errors are sticky: after the first ENOMEM every call does nothing and turn_end reports it,
 * so callers need not check each step. The state's shape is documented in person.h. */
#ifndef SB_TURN_H
#define SB_TURN_H

#include "crisis.h"
#include "crisis_model.h"
#include "engine.h"
#include "intent.h"

#include <jansson.h>

#define TURN_STACK_MAX 4      /* frames on the dialog stack */
#define TURN_TEXT_MAX 16384   /* bytes of an input the engine looks at (and journals) */
#define TURN_VAR_MAX 2048     /* bytes of a person's answer kept in a variable */

typedef struct turn {
    const sb_dialogs *d;
    const sb_input *in;
    json_t *state;     /* working copy, owned until turn_end */
    char *text;        /* the input, valid UTF-8, capped at TURN_TEXT_MAX; owned */
    char *text_md;     /* text Markdown-escaped for {answer}, made on first use; owned */
    char *user_md;     /* input.user Markdown-escaped for {user}, made on first use; owned */
    char **replies;    /* owned */
    size_t nreplies, replies_cap;
    sb_effect *effects; /* owned */
    size_t neffects, effects_cap;
    int rc;            /* SB_OK, or the first error */
    unsigned entries;  /* states entered this turn (guards against loops) */
    unsigned picks;    /* variant picks this turn (varies the hash) */
    int ended;         /* a non-dialog frame (exercise, follow-up) just ended */
    int scratch;       /* a dialog runs on a scratch stack in a group room: its choices are
                          not shown, since they could not be answered there */
    int recent;        /* the person's previous direct input came less than four hours ago
                          (a state's "say_recent" is said instead of its "say") */
    int unsure;        /* the answer just taken said nothing of its own ("idk", "skip"):
                          the next state says its "say_unsure", without praise for it */
    int released;      /* the dialogs were left after repeated misses (flow_missed): the
                          input is to be read as if nothing waited */
    int missed;        /* the coach's previous reply was commands.json "fallback" (state
                          "missed"): it is not said twice in a row */
    char *guessed;     /* the text the model last read this turn (owned), and what it guessed:
                          routing asks about one message several times, the model reads it once */
    intent_guess guesses[INTENT_TOP_MAX];
    size_t nguesses;
    const char *crisis_of; /* the text (t->text) whose reading by the crisis classifier is
                              in crisis: the check and the question whether to ask both
                              want it, and the model reads it once; NULL for none */
    crisis_guess crisis;
    crisis_text folds; /* t->text as the crisis lists read it, folded once for all of them */
    char *chosen_by;   /* the text (owned copy) whose choice at state chosen_at was read, and
                          what it chose: whether an answer would be retried and the answer
                          itself ask the same question (flow.c choose) */
    const json_t *chosen_at;
    int chosen_rc;
    size_t chosen_index;
    char *commanded_by; /* the text (owned copy) whose command was looked for, and what was
                           found for each match_mode (known[mode]): the engine asks up to
                           eight times a step (engine.c command_of) */
    struct {
        int known, rc;
        const json_t *cmd;
        char *arg; /* owned */
    } commanded[2];
} turn;

/* Starts a turn on a copy of state (NULL or malformed: see engine.c). Returns SB_OK or
 * SB_ENOMEM (then t holds nothing to free). */
int turn_begin(turn *t, const sb_dialogs *d, const json_t *state, const sb_input *in);

/* turn_begin on state itself, a reference the caller gives up (engine_step_take): changed
 * in place, no copy; freed on failure. */
int turn_begin_take(turn *t, const sb_dialogs *d, json_t *state, const sb_input *in);

/* Moves the results into out (zeroed first) and returns SB_OK, or frees everything and
 * returns the turn's error. A step that neither says anything nor has an effect for the
 * router to answer gets commands.json "fallback": never silence. */
int turn_end(turn *t, sb_step *out);

/* Records rc as the turn's error (the first one stays). SB_OK does nothing, so
 * turn_fail(t, person_put(...)) keeps a setter's failure. */
void turn_fail(turn *t, int rc);
/* obj.key = value, taking value; a NULL value (ENOMEM making it) or a failed set fails the turn. */
void turn_set(turn *t, json_t *obj, const char *key, json_t *value);

/* Replies and effects (an effect's strings are copied). */
void turn_reply_owned(turn *t, char *text); /* takes text; NULL means ENOMEM */
/* Moves the last reply said to index at (the replies from at on move one down): a line that
 * belongs before what was already said ("I'll keep our place" before the new dialog). */
void turn_reply_move_last(turn *t, size_t at);
void turn_effect(turn *t, sb_effect_kind kind, const char *key, const char *value, long number);

/* Index of the variant to use for texts (a string or a list) under key: derived from a
 * hash of input.now, the turn counter and key, never the one used last time for key. */
size_t turn_pick(turn *t, const char *key, const json_t *texts);
/* The picked variant with {variables} filled from vars (a frame's "vars", Markdown, may be
 * NULL) and the built-ins; {answer} and {user} come from the person and are Markdown-escaped.
 * Owned by the caller; NULL on error (the turn's rc is set). */
char *turn_render(turn *t, const char *key, const json_t *texts, const json_t *vars);
/* turn_render + turn_reply_owned. A NULL or empty texts says nothing. */
void turn_say(turn *t, const char *key, const json_t *texts, const json_t *vars);
/* turn_say of commands.json's field name ("fallback", "resume", ...). */
void turn_say_data(turn *t, const char *name);

/* The dialog stack. Frames are JSON objects (person.h documents them). */
json_t *turn_stack(turn *t);
json_t *turn_top(turn *t);                   /* NULL when idle */
void turn_push(turn *t, json_t *frame);      /* takes frame; drops the bottom frame when full */
json_t *turn_pop(turn *t);                   /* the popped frame (owned) or NULL */

/* A text answer that may be journaled under prompt: an SB_FX_JOURNAL when the person's
 * consent is "yes", else commands.json "no_consent", once per frame (flag "told"). */
void turn_journal(turn *t, json_t *frame, const char *prompt, const char *text);

/* Frame variables hold Markdown, ready to be put into a reply. turn_var: a copy of text (the
 * coach's own Markdown) cut to TURN_VAR_MAX at a UTF-8 boundary, as a JSON string.
 * turn_var_said: what the person wrote, cut the same way and then Markdown-escaped
 * (text_escape_markdown), so it shows exactly as written. NULL on ENOMEM (rc is set). */
json_t *turn_var(turn *t, const char *text);
json_t *turn_var_said(turn *t, const char *text);

#endif
