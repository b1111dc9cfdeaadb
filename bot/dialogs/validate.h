/* validate.h — the checks dialogs_load runs over a whole loaded set (design.md invariant 2):
 * dialogs in validate.c, data files (commands, crisis, reflection, exercises, measures,
 * nudges, views) in validate_data.c. Every problem goes out as (file, state, message)
 * through the caller's report function; nothing is changed, nothing is allocated that
 * outlives a call. Messages are one line of English naming what to fix. */
#ifndef SB_VALIDATE_H
#define SB_VALIDATE_H

#include "dialog.h"

#include <jansson.h>

#define VALIDATE_TEXT_MAX 4096 /* bytes in one text */

typedef struct validate_ctx {
    sb_problem_fn report;       /* may be NULL */
    void *ctx;                  /* passed to report */
    int problems;               /* count so far */
    const json_t *dialogs;      /* id -> dialog object */
    const json_t *dialog_files; /* id -> file name (string) */
    const json_t *data;         /* kind -> data file object */
    const json_t *data_files;   /* kind -> file name (string) */
} validate_ctx;

/* Reports one problem (message printf-style, cut to one line of 511 bytes) and counts it. */
void validate_problem(validate_ctx *v, const char *file, const char *state, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Checks every dialog of the set: fields, targets, reachability, ways out, variables. */
void validate_dialogs(validate_ctx *v);
/* Checks the paths of one dialog's states (an object, state name -> state) in file from
 * start, a state of them: every state reached, a way to an end from each, no loop that
 * never waits. Reports with validate_problem. Cannot fail otherwise (a lack of memory
 * skips the check). */
void validate_graph(validate_ctx *v, const char *file, const json_t *states, const char *start);
/* A state's "expect", "none" when it has none. Borrowed. */
const char *validate_expect_of(const json_t *st);

/* Checks every data file of the set and its references into the dialogs. */
void validate_data(validate_ctx *v);

/* Checks exercises.json, measures.json (validate_exercises.c) and views.json
 * (validate_views.c); f is the file's name. */
void validate_exercises(validate_ctx *v, const char *f, const json_t *exercises);
void validate_measures(validate_ctx *v, const char *f, const json_t *measures);
void validate_views(validate_ctx *v, const char *f, const json_t *views);

/* Checks crisis.json (validate_crisis.c); f is the file's name. */
void validate_crisis(validate_ctx *v, const char *f, const json_t *crisis);

/* Reports ref when it names no dialog of the set; what names the field in the message. */
void validate_dialog_ref(validate_ctx *v, const char *file, const char *what, const json_t *ref);
/* Checks texts (validate_texts with vars) and that each contains var ("{echo}"). */
void validate_contains(validate_ctx *v, const char *f, const char *what, const json_t *texts,
                       const char *const *vars, const char *var);

/* Reports every field of obj that is neither in known (NULL-terminated) nor a comment: a
 * misspelt optional field ("filler_word") would otherwise be ignored without a word. where
 * names obj in the message. */
void validate_keys(validate_ctx *v, const char *f, const json_t *obj, const char *const *known,
                   const char *where);
/* A list of non-empty texts (words, phrases), required or not; returns 1 when fine. */
int validate_words(validate_ctx *v, const char *file, const char *what, const json_t *list,
                   int required);

/* Checks understanding.json, spellings.json, languages.json and the examples of intents/
 * (examples.h: intent id -> utterances, and -> their line numbers; both may be NULL). */
void validate_understanding(validate_ctx *v, const json_t *examples, const json_t *lines);

#define SAFETY_EXAMPLES_MIN 20 /* examples a crisis category (or none) needs at least */

/* The examples of safety/ (category id -> [utterance], line numbers alike): each file a
 * category of crisis.json or none.txt, none.txt present, at least SAFETY_EXAMPLES_MIN each,
 * no utterance in two files, and a classifier threshold in crisis.json. */
void validate_safety_examples(validate_ctx *v, const json_t *examples, const json_t *lines);

/* The examples of name (list, read from file; numbers their line numbers) against seen, a
 * JSON object from phrase form to the name it is an example of: an utterance that is
 * already another name's is reported ("also an example of NAME", or "in NAME.txt" when
 * files), the others are added. Shared by intents/ and safety/. */
void validate_examples_unique(validate_ctx *v, json_t *seen, const char *file, const char *name,
                              const json_t *list, const json_t *numbers, int files);

/* Checks that value is a text: a non-empty string, or a non-empty list of them, whose
 * {variables} are in vars (NULL-terminated) or keys of saved (may be NULL). what names the
 * field in messages. Returns 1 when fine, else 0. (The size cap of VALIDATE_TEXT_MAX is
 * checked for every string of every file by validate_data.) */
int validate_texts(validate_ctx *v, const char *file, const char *state, const char *what,
                   const json_t *value, const char *const *vars, const json_t *saved);

/* 1 when action names a built-in action (engine.h SB_FX_ACTION); "stop" and "where" (which
 * the engine runs itself, for commands) only if allow_stop. */
int validate_is_action(const char *action, int allow_stop);

/* 1 when key is a comment an author may add anywhere: "comment" or starting with "_". */
int validate_is_comment(const char *key);

#endif
