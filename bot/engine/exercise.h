/* exercise.h — guided exercises from exercises.json inside the engine: one step a message,
 * "how did it go?" at the end, and the follow-up question asked at the person's next
 * conversation. Works on a turn (turn.h); engine.c decides when these run. */
#ifndef SB_EXERCISE_H
#define SB_EXERCISE_H

#include "turn.h"

#include <jansson.h>

/* The exercise with this id in exercises.json, or NULL. Borrowed. */
const json_t *exercise_find(const sb_dialogs *d, const char *id);

/* 1 when frame is a well-formed exercise or follow-up frame for this set. */
int exercise_frame_ok(const sb_dialogs *d, const json_t *frame);

/* Pushes exercise id as a frame, says its title, time and first step, emits
 * SB_FX_EXERCISE_GIVEN. An unknown id gets commands.json "fallback" and changes nothing. */
void exercise_start(turn *t, const char *id);

/* Handles the input for the top frame, an exercise or follow-up frame. When the frame is
 * done it is popped and t->ended is set, so the engine can resume what lies below. */
void exercise_answer(turn *t, json_t *frame);

/* In a group room: an exercise anyone may try, all its steps in one message (flow
 * "group_intro" with {title} and {minutes}, the steps as a numbered list, "group_outro"),
 * of topic when it names one, picked by the turn's variant rule. Records nothing and
 * touches no stack: it is general, not the person's. */
void exercise_say_general(turn *t, const char *topic);

/* 1 when frame is an exercise step (not "how did it go?", not a follow-up) and the input
 * is no next word, so exercise_answer would only repeat the hint. Changes nothing. */
int exercise_would_retry(turn *t, const json_t *frame);

/* Says again what frame waits for (after an interruption). */
/* (A step's answer that is no next word is a comment: see exercise.c step_comment.) */
void exercise_resay(turn *t, json_t *frame);

/* Where the person is in frame (after a break, "where were we", a greeting): flow
 * "in_progress" with the exercise's {title}, {step} and {steps}, then what the frame waits
 * for (the step and how to go on, or "how did it go?"); a follow-up asks its question. */
void exercise_where(turn *t, json_t *frame);

/* When the state holds a pending follow-up (younger than 30 days), pushes a follow-up frame,
 * says flow "followup_intro" (with the exercise's {title}) when the set has one, asks its
 * question and returns 1; else returns 0. The pending follow-up is cleared. */
int followup_ask(turn *t);

/* The input is the answer to a pending follow-up the coach has not asked yet ("I did ask my
 * son. He helped"): flow "followup_report" (with {title}) when the set has it, then the
 * answer is journaled and reflected as after followup_ask. Returns 1 when a follow-up was
 * pending (and is now cleared), else 0. */
int followup_take(turn *t);

#endif
