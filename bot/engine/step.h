/* step.h — inside the engine step: what engine.c (the step and interruptions), command.c
 * (commands, idle input, setting aside), hear.c (free text heard as what it is) and arrive.c
 * (the first message of a talk) ask of each other. Not an interface for the rest of the program: engine.h is. */
#ifndef SB_STEP_H
#define SB_STEP_H

#include "route.h"
#include "turn.h"

#include <stdint.h>

#define FOLLOWUP_GAP (4 * 3600) /* seconds of quiet that make the next input a new talk */
#define LISTEN_MIN_WORDS 3      /* words of free text that the listening dialog takes up */

/* --- command.c --- */

/* match_command of the turn's text, looked for once per mode (MATCH_*): *arg is a copy the
 * caller frees. 1 found, 0 not, SB_ENOMEM. */
int step_command_of(turn *t, int mode, const json_t **cmd, char **arg);
/* Runs command cmd with its argument arg (may be NULL). */
void step_command(turn *t, const json_t *cmd, const char *arg);
/* Words of text in phrase form; -1 on ENOMEM. */
long step_words(const char *text);
/* 1 when the input is a short goodbye (commands.json "closing_words"). */
int step_is_closing(turn *t);
/* Starts what a routing named (route.h), if anything. */
void step_start(turn *t, const route *r, int64_t gap);
/* Nothing waits: a follow-up after a quiet spell, a trigger, else what understanding makes
 * of the words, and the fallback only when there is no understanding. */
void step_idle(turn *t, int64_t gap);
/* Something starts on top of the waiting dialog: said so (commands.json "set_aside"), or
 * a where-to-start menu is let go. */
void step_set_aside(turn *t);

/* --- engine.c --- */

/* 1 when s opens with "!" (after spaces). */
int step_is_bang(const char *s);

/* --- hear.c --- */

/* Free text the listening dialog takes up; 1 when it started. */
int hear_listen(turn *t);
/* A report of a step taken, soon after an exercise, answers its pending follow-up; 1 when. */
int hear_reports_back(turn *t);
/* 1 when trigger id starts the listening dialog and the message says more than the request. */
int hear_heard(turn *t, const char *id);
/* 1 when a message holding a trigger tells a moment of its own. */
int hear_tells(turn *t);
/* At the listening menu, a question back met with "heard_question"; 1 when. */
int hear_question(turn *t);
/* 1 when the coach listens: at a listening state or the listening dialog's menu. */
int hear_in_listening(turn *t);
/* While listening: a goodbye, a command or a request is still heard as one; 1 when done. */
int hear_interrupt(turn *t);
/* An aside at a waiting question, answered and the question said again; 1 when done. */
int hear_aside(turn *t);
/* The exercise topic that fits what the listening dialog on top has heard ("an exercise on
 * that" after talking of a tight chest: body), or NULL; borrowed from the data. */
const char *hear_topic(turn *t);

/* --- arrive.c --- */

/* Coming back after FOLLOWUP_GAP with a dialog waiting; 1 when it did something. */
int arrive_returning(turn *t, int64_t gap, int greeting);
/* 1 when the text is a greeting ("hey", "hi coach"). */
int arrive_is_greeting(turn *t);
/* The first message of someone never met; 1 when handled. */
int arrive_first_contact(turn *t);
/* A command; a greeting may bring back an exercise or its follow-up instead. */
void arrive_command(turn *t, const json_t *cmd, const char *arg, int64_t gap);
/* The first message of a later talk after a crisis; 1 when nothing else is to be done. */
int arrive_after_crisis(turn *t, const json_t *cmd);
/* Time since the previous direct input (-1 for none), now remembered as the last. */
int64_t arrive_note_time(turn *t);
/* Something said before consent is answered, kept as the welcome's {opening}; 1 when kept. */
int arrive_keep_opening(turn *t);

#endif
