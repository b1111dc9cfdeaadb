/* flow.h — running dialogs on a turn (turn.h): starting one, entering states until one
 * waits, handling the answer the top frame waits for, resuming an interrupted dialog.
 * engine.c decides which of these an input leads to; exercise.c runs exercise frames. */
#ifndef SB_FLOW_H
#define SB_FLOW_H

#include "turn.h"

/* Pushes dialog id at its start (restarting it when it is already on top, {answer} = arg
 * when given) and enters it. An unknown id gets commands.json "fallback". */
void flow_start(turn *t, const char *id, const char *arg);

/* Pushes dialog id at its start without saying it, and takes the input as the answer to its
 * first question ("better, thanks" to a check-in the person was asked elsewhere). A dialog
 * whose start waits for nothing is started as flow_start does. */
void flow_start_answered(turn *t, const char *id);

/* flow_start with the person's text said kept as variable name of the new run ({opening}
 * of the first-contact dialog), Markdown-escaped like every answer. */
void flow_start_with(turn *t, const char *id, const char *name, const char *said);

/* Starts dialog id with what the person wrote (said, or the input t->text when NULL) as the
 * answer to its first state, which is not said: those words already answer it (the
 * listening dialog, reached by free text). A start menu whose "own_words" choice is marked
 * "opening" takes words of their own as that choice and the answer to its text state ("my
 * friend invited me and i never replied" is the moment a withdrawal journal asks for);
 * opening_only: only such a menu, or a start text state marked "opening" ("I did it, I
 * told her" is the report a "how did it go?" asks for); other text states are asked. Any other dialog
 * is started as by flow_start. Returns 1 when the words were taken as the answer, 0 when
 * the dialog started as usual. */
int flow_start_heard(turn *t, const char *id, const char *said, int opening_only);

/* flow_start on a scratch stack, for a group room: the person's own stack is left as it is,
 * so nothing of a private conversation is said or advanced there. A state that would wait
 * for an answer shows its text without choices (nobody could answer them there), followed
 * by commands.json "group_continue" ("message me directly to go on"). */
void flow_start_in_group(turn *t, const char *id, const char *arg);

/* Asks the top dialog frame's waiting question again in short, as when it resumes (its
 * last question, "In that moment, what did you feel?"), with its choices. */
void flow_ask_again(turn *t);

/* After an aside: a menu's question again (flow_ask_again, not the summary said before
 * it), anything else said again whole (flow_resay). */
void flow_ask_briefly(turn *t);

/* The input (t->text) answers the top frame: a choice, text or rating state, a reflection
 * check, or an exercise/follow-up frame. What follows is entered; a finished interrupting
 * frame resumes the one below. The stack must not be empty. */
void flow_answer(turn *t);

/* 1 when the input fits nothing the top frame waits for, so flow_answer would only ask
 * again: a choice state without "other" none of whose choices it selects (by number, word
 * or label), a
 * rating state it gives no 1-7 rating for, or an exercise step it does not move on
 * (exercise_would_retry). 0 for every other frame and state (free text always fits a text
 * state). Changes nothing. */
int flow_would_retry(turn *t);

/* At a menu with one choice marked "own_words" ("Yes, I have a moment in mind") that leads
 * to a text state, an answer of a few words that picks nothing is that choice plus the
 * answer to the text state (whose question is not asked: it was answered). Returns 1 when
 * it was taken so. */
int flow_own_words(turn *t);

/* 1 when the top frame waits at a menu and the input shares a content word with one of its
 * choices (match_choice_overlap): an attempt at an answer, not something else to say. */
int flow_about_choices(turn *t);
/* 1 when the top frame waits at a menu one of whose choices leads to a state that sets
 * something (consent) or forgets: a question that must be answered, never talked past. */
int flow_waits_consequence(turn *t);
/* 1 when the top frame waits at a menu that "yes" or "no" answers. */
int flow_takes_yes_no(turn *t);

/* 1 when the top frame waits at a listening state ("reflect": "echo"). */
int flow_listening(turn *t);

/* 1 when the top frame is a dialog waiting at a choice state (a menu). */
int flow_waits_choice(turn *t);

/* Points frame (a dialog frame on the stack) at target, a state of its dialog or
 * "dialog:ID", and enters states until one waits for the person or the stack is empty. */
void flow_go(turn *t, json_t *frame, const char *target);

/* The "vars" object of a dialog frame, made when missing. Borrowed from frame. */
json_t *flow_vars(turn *t, json_t *frame);

/* Keeps value (taken; NULL means ENOMEM) as variable name of frame only when a text of its
 * dialog uses {name}; otherwise drops it and any older value. What a person wrote stays in
 * their state only while a text of the running dialog may still show it (design.md
 * invariant 6: free text is stored only after consent; the journal does that, not this). */
void flow_keep(turn *t, json_t *frame, const char *name, json_t *value);

/* The {name}s the texts of dialog id use, as an object used as a set (NULL for an unknown
 * id). Defined in dialog.c, which collects them at load. Borrowed. */
const json_t *dialogs_used_vars(const sb_dialogs *d, const char *id);

/* Says state st of frame: its "say" (or its "retry" when retry), and the numbered choices
 * of a choice state. */
void flow_say_state(turn *t, json_t *frame, const json_t *st, int retry);

/* The answer fits nothing choice or rating state st of frame asks. The first miss gets the
 * state's "retry" (else commands.json "retry"), the second commands.json "retry_again" (or
 * "retry_again_rating"), which offers a way out in plain words: just say what's on your
 * mind, or stop; so the same retry never comes twice in a row. At the third the dialogs
 * are left ("retry_leave"; the stack is emptied) and t->released is set: the engine takes
 * the input as if nothing waited. Never left in the crisis dialog; without "retry_again"
 * the retry only repeats, as before. */
void flow_missed(turn *t, json_t *frame, const json_t *st);

/* Runs a pending dialog follow-up (the state's "followup" of an earlier run, as stored in
 * the person's state): pushes a frame at its state with the variables kept, and either asks
 * its question (heard = 0) or takes the input as the answer already (heard = 1). */
void flow_followup(turn *t, const json_t *pending, int heard);

/* Says again what the top frame waits for; flow_resume says commands.json "resume" first. */
void flow_resay(turn *t);
void flow_resume(turn *t);

/* Empties the stack: the person is idle. */
void flow_reset(turn *t);


/* --- shared by flow.c and flow_ask.c --- */

/* The state frame waits at (NULL when the dialog or state is unknown). */
const json_t *flow_state_of(turn *t, const json_t *frame);
/* What st expects ("choice", "text", "rating", ...; "none" without "expect"). */
const char *flow_expect_of(const json_t *st);
/* text (owned; NULL means ENOMEM) and, for a choice state, the numbered choices under it,
 * as one reply; nothing when both are empty. */
void flow_say_with_choices(turn *t, const json_t *st, char *text);

#endif
