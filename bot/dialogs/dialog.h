/* dialog.h — the loaded, validated set of dialogs and data files from dialogs/.
 * The format is documented in dialogs/README.md. Loading validates the whole set
 * (design.md invariant 2) and reports every problem as (file, state, message).
 * The set is immutable after loading and may be read from any thread. */
#ifndef SB_DIALOG_H
#define SB_DIALOG_H

#include <jansson.h>
#include <stddef.h>

typedef struct sb_dialogs sb_dialogs;

/* Called once per problem found. file is the file name relative to the dialogs
 * directory ("naming-the-pattern.json"); state is the state id or "-" when the
 * problem is not inside a state; message is one line of English. */
typedef void (*sb_problem_fn)(void *ctx, const char *file, const char *state, const char *message);

/* Loads every *.json file in dir, validates the set and returns it in *out.
 * Returns SB_OK with *out set when there are no problems; otherwise reports each
 * problem through report (may be NULL), leaves *out NULL and returns SB_EPARSE
 * (SB_EIO when dir cannot be read). The caller frees *out with dialogs_free. */
int dialogs_load(const char *dir, sb_dialogs **out, sb_problem_fn report, void *ctx);

/* Parses and validates a single file's bytes as if it were the only file of a set
 * (plus nothing else); used by the fuzzer and unit tests. Same contract as dialogs_load. */
int dialogs_load_buffer(const char *name, const char *bytes, size_t len, sb_dialogs **out,
                        sb_problem_fn report, void *ctx);

void dialogs_free(sb_dialogs *d);

/* The parsed JSON of the data file whose "kind" is kind ("commands", "crisis",
 * "reflection", "exercises", "nudges", "views", ...), or NULL. Borrowed: valid until dialogs_free. */
const json_t *dialogs_data(const sb_dialogs *d, const char *kind);

/* The text of views.json under key: a string, or one of a list chosen by pick. Every key
 * the code asks for is required by validation (validate_data.c), so a loaded set always
 * has it; "" only when d is NULL or key is not a view. Borrowed: valid until dialogs_free. */
const char *dialogs_view(const sb_dialogs *d, const char *key, unsigned pick);

/* The parsed JSON of dialog id, or NULL. Borrowed. */
const json_t *dialogs_dialog(const sb_dialogs *d, const char *id);

#define COMMAND_WORD_MAX 256 /* bytes of a command word in command form; longer never match */

/* The command words of commands.json in command form (text_norm_command), as [[word, index
 * of its command in "commands"], ...] in file order, compiled once at load. */
const json_t *dialogs_command_words(const sb_dialogs *d);

/* The phrases of commands.json in phrase form (text_norm_phrase), as [[phrase, index of its
 * command in "commands"], ...] in file order, compiled once at load; phrases that normalise
 * to nothing or longer than COMMAND_WORD_MAX bytes never match and are left out. */
const json_t *dialogs_command_phrases(const sb_dialogs *d);

/* Keys a loaded set adds to every choice object of a "choices" list, compiled once at load
 * for the menu matchers (match_label.c): the label in phrase form (text_norm_phrase), and the
 * label and then each of the choice's "words" in phrase form, joined by spaces. A choice
 * built elsewhere has neither; the matchers then form them as they go. */
#define DIALOGS_LABEL_PHRASE "_label_phrase"
#define DIALOGS_CHOICE_PHRASES "_choice_phrases"

/* One compiled match form: the lists above as plain arrays, read at every message without a
 * JSON lookup. form is borrowed from the set (valid until dialogs_free). */
typedef struct dialogs_form {
    const char *form; /* command or phrase form, never empty */
    size_t len;       /* strlen(form) */
    size_t index;     /* the command's index in "commands" (command words and phrases) */
    const char *dialog; /* the dialog id (triggers), else NULL */
} dialogs_form;

typedef enum dialogs_form_kind {
    DIALOGS_COMMAND_WORDS,   /* as dialogs_command_words, in the same order */
    DIALOGS_COMMAND_PHRASES, /* as dialogs_command_phrases */
    DIALOGS_TRIGGERS,        /* as dialogs_triggers (match.h): longest first */
    DIALOGS_FORM_KINDS
} dialogs_form_kind;

/* The compiled forms of kind and their count in *n (0 and NULL when d is NULL). */
const dialogs_form *dialogs_forms(const sb_dialogs *d, dialogs_form_kind kind, size_t *n);

/* The first command of commands.json "commands" whose "name" is name, or NULL (also when d
 * or name is NULL). Borrowed. */
const json_t *dialogs_command_named(const sb_dialogs *d, const char *name);

/* Number of dialogs (kind "dialog") in the set. */
size_t dialogs_count(const sb_dialogs *d);

/* Overrides the crisis message that the crisis reply must contain verbatim
 * (config [safety] crisis_message). The string is copied. Returns SB_ENOMEM or SB_OK. */
int dialogs_set_crisis_message(sb_dialogs *d, const char *message);
const char *dialogs_crisis_message(const sb_dialogs *d);

/* The same for the services for abuse and violence at home (config [safety] abuse_message,
 * else crisis.json "default_abuse_message", else the crisis message): {abuse_message}. */
int dialogs_set_abuse_message(sb_dialogs *d, const char *message);
const char *dialogs_abuse_message(const sb_dialogs *d);

/* 1 when word (phrase form, text.h) is one of list's words (a JSON list of strings, such
 * as commands.json "known_words" or a state's filler words), compared in phrase form. */
int dialogs_word_listed(const json_t *list, const char *word);

#endif
