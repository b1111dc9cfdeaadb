/* safety.h — what the coach does around a crisis (design.md invariant 5), on an engine turn:
 * the answer of a crisis category (its reply with the crisis line, its own dialog, the
 * effect that pauses nudges), and what comes after it, by the lists of crisis.json:
 *   restate   "i did mean it" after a recent crisis: the crisis answer again;
 *   downplay  "lol jk im fine": one kind check (its dialog), then respected;
 *   ask       hopelessness without a clear statement: a direct question (its dialog);
 *   followup  the first message of a later conversation: how the person is (its dialog).
 * What it remembers lives in the person's state under "safety" (person.h documents it).
 * Which words signal a crisis is crisis.c's; this file decides what follows. */
#ifndef SB_SAFETY_H
#define SB_SAFETY_H

#include "crisis.h"
#include "turn.h"

#include <stdint.h>

#define SAFETY_DOWNPLAY_WINDOW (4 * 3600)       /* after a crisis answer: a downplay is checked */
#define SAFETY_RESTATE_WINDOW (3 * 86400)       /* ... a restatement is a crisis again */
#define SAFETY_FOLLOWUP_WINDOW (14 * 86400)     /* ... a later conversation starts with a check */
#define SAFETY_ASK_QUIET (86400)                /* after the direct question: not asked again */

/* The crisis check of text (design.md invariant 5): the categories it signals as bits,
 * 0 for none, SB_ENOMEM when it could not tell. The rules of crisis.json first; when they
 * find nothing (and no figure of speech of its "not" list), the classifier of
 * dialogs/safety/ (crisis_model.h) at crisis.json classifier "threshold". Pure. */
int safety_check(const sb_dialogs *d, const char *text);

/* safety_check that also tells, in *learned (may be NULL), whether only the classifier
 * found it (the rules found nothing). */
int safety_check_how(const sb_dialogs *d, const char *text, int *learned);
/* safety_check_how on the turn's text, keeping what the classifier read in the turn for
 * the question whether to ask (safety_after), which then does not read it again. */
int safety_check_turn(turn *t, int *learned);

/* The category object of crisis.json with index i (its "id", "reply", "dialog", "also"):
 * categories[i], or for a file without categories the file itself as category 0. NULL when
 * there is no such category. Borrowed from d. */
const json_t *safety_category(const sb_dialogs *d, int i);

/* Index of the category with id (NULL or unknown: 0, the most urgent). */
int safety_category_index(const sb_dialogs *d, const char *id);

/* The category a match stands for: the lowest bit of mask (the data lists categories most
 * urgent first); -1 when mask is 0. */
int safety_primary(int mask);

/* 1 when id is the dialog of a crisis category (a safety plan): it is never interrupted by
 * a command or trigger, never left after missed answers, and resumes nothing below it. */
int safety_is_plan(const sb_dialogs *d, const char *id);

/* 1 when id is a dialog of crisis.json: a category's, or that of ask, downplay or followup.
 * When it ends, what it interrupted is dropped rather than resumed: after talk of ending
 * one's life, a menu or an exercise picked up where it was would be jarring. */
int safety_is_own(const sb_dialogs *d, const char *id);

/* The crisis answer for the categories in mask (non-zero; SB_ENOMEM counts as the most
 * urgent): the primary category's reply (it holds {crisis_message}), then the "also" line
 * of each other category found, an SB_FX_CRISIS effect, and, in a direct chat, the primary
 * category's dialog (resaid when it already waits). Remembers the answer in the state. */
void safety_answer(turn *t, int mask);

/* The crisis answer for the category with id (NULL: the last one answered, else the
 * first), as safety_answer. For a dialog state with "crisis" (a yes to a direct question). */
void safety_answer_category(turn *t, const char *id);

/* Direct input in which the crisis check found nothing: a restatement after a recent
 * crisis, a downplay after one, or unclear risk. gap is the time since the previous
 * input (-1 for none); when the next-day check is due (safety_followup_due) only a
 * restatement is handled here. Returns 1 when the input was answered, 0 when the engine
 * goes on as usual. */
int safety_after(turn *t, int64_t gap);

/* 1 when this input, gap after the previous one, starts a later conversation after a crisis
 * whose check has not been made. */
int safety_followup_due(turn *t, int64_t gap);

/* The check of a later conversation: crisis.json followup's dialog replaces what waits;
 * with answered, the input answers its first question instead of hearing it ("better,
 * thanks" after the check-in nudge). Emits SB_FX_CHECKED. safety_followup_line is the
 * short form said before a command the person asked for. */
void safety_followup(turn *t, int answered);
void safety_followup_line(turn *t);

#endif
