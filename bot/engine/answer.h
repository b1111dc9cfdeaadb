/* answer.h — the person's free-text and rating answers to a waiting dialog state: what kind
 * of answer it is (a question aimed at the coach, pushback, a non-committal "idk", or a
 * plain answer), and what follows: saved, journaled, reflected back with a check question,
 * the check's yes/no/correction. The word lists and texts are data (reflection.json,
 * commands.json; dialogs/README.md). flow.c hands these states over; exercise.c reads the
 * kind of a follow-up answer. */
#ifndef SB_ANSWER_H
#define SB_ANSWER_H

#include "turn.h"

#include <jansson.h>

typedef enum answer_kind {
    ANSWER_PLAIN = 0, /* an answer to keep (and reflect) */
    ANSWER_QUESTION,  /* aimed at the coach: "why are you asking me this?" */
    ANSWER_PUSHBACK,  /* "you wouldn't understand": no answer, and that is fine */
    ANSWER_UNSURE,    /* commits to nothing: "idk", "whatever", "i guess" */
    ANSWER_SKIP       /* commands.json skip_words: "skip", "pass", "next question" */
} answer_kind;

/* The kind of text: ANSWER_SKIP for a whole answer of commands.json "skip_words" (when it
 * has a "skip" text), else by reflection.json: "questions" (phrases it starts with, one-word ones
 * only as the whole answer; a "?" alone proves nothing: "could you give me a lift?" may be
 * the words of an ask the dialog wants); "pushback"
 * (phrases it starts with, at most 4 words after); "noncommittal" (and "hedges") covering
 * all of it. A kind whose reply text (question_reply, pushback_reply, noncommittal_reply)
 * the set lacks is ANSWER_PLAIN. Returns the kind, or SB_ENOMEM. Pure. */
int answer_kind_of(const sb_dialogs *d, const char *text);

/* Bytes of text taken by the laughs and fillers it opens with (reflection.json "laughs":
 * "lol", "jaja", "um"), with their punctuation; 0 for none. */
size_t answer_laugh_len(const sb_dialogs *d, const char *text);

/* 1 when text asks something: it holds a "?", or starts (after laughs) with a phrase of
 * reflection.json "question_starts" ("what", "is this", "so what"). 0 when not, SB_ENOMEM. */
int answer_is_question(const sb_dialogs *d, const char *text);

/* The reply for a kind other than ANSWER_PLAIN, said on the turn. */
void answer_say_kind(turn *t, int kind);

/* For a one-word echo that names no feeling (feeling NULL; "work"): says reflection.json
 * "brief_reply" with the word as {echo} and returns 1, in place of a reflection and its check
 * question. Returns 0 (nothing said) for longer echoes, a feeling, or a set without it. */
int answer_say_brief(turn *t, const char *echo, const char *feeling);

/* A listening state's reflection ("reflect": "echo"): text reflected back without a check
 * question (a short echo whole, with the feeling named; a long one is not parroted but
 * acknowledged with reflection.json "heard_reply" or "heard_feeling_reply"), and st's
 * "save" name set to the echo. The caller moves on. */
void answer_echo(turn *t, json_t *frame, const json_t *st, const char *text);

/* The input (t->text) answers frame's text state st. */
void answer_text(turn *t, json_t *frame, const json_t *st);

/* The input answers frame's rating state st. */
void answer_rating(turn *t, json_t *frame, const json_t *st);

/* The input answers the reflection check (or the correction asked for) of frame's state. */
void answer_reflection(turn *t, json_t *frame, const json_t *st);

/* Says the reflection and its check question again (frame waits for it). */
void answer_resay_reflection(turn *t, json_t *frame);

/* 1 when the input names a feeling of reflection.json without a negation before it ("sad",
 * "numb", "relieved, a bit exposed"); 0 otherwise (turn_fail on ENOMEM). */
int answer_names_feeling(turn *t);


/* --- the small readings answer_kind.c shares with answer.c (hay: phrase form) --- */

/* Bytes of hay taken by the longest phrase of list that hay starts with, at a word
 * boundary; 0 for none. */
size_t answer_longest_start(const json_t *list, const char *hay);
/* Words of hay[0..len). */
size_t answer_count_words(const char *hay, size_t len);
/* Whether text as a whole (2) or its start (1) is a word of commands.json list name; 0, or
 * SB_ENOMEM. */
int answer_whole_word_of(const sb_dialogs *d, const char *name, const char *text);
/* 1 when hay holds a word of list as a whole word. */
int answer_has_word(const json_t *list, const char *hay);
/* 1 when text opens with reflection.json "correction_starts" ("i mean", "actually"); 0,
 * or SB_ENOMEM. */
int answer_starts_correction(const json_t *r, const char *text);
/* Bytes of text taken by a laugh that opens it ("jaja no, ..."), reflection.json r. */
size_t answer_laugh_of(const json_t *r, const char *text);
/* Bytes of text taken by a correction's lead ("no, i mean "), reflection.json r. */
size_t answer_lead_len(const json_t *r, const char *text);

#endif
