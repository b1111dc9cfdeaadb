/* match.h — what a piece of person-written text selects: a global command (commands.json),
 * a dialog trigger, a numbered or worded choice, a 1-7 rating, a word of a list (yes/no).
 * Pure functions; the texts and words come from the loaded set, the rules are documented
 * on each function. engine_match_command (engine.h) is implemented here too. */
#ifndef SB_MATCH_H
#define SB_MATCH_H

#include "dialog.h"

#include <jansson.h>
#include <stddef.h>

/* What may count as a command depends on what waits for the message (match_command). */
enum match_mode {
    MATCH_WAITING = 0, /* a dialog or exercise waits for an answer: a command word alone,
                          or followed by a "topic" argument ("exercise body", "exercise list") */
    MATCH_IDLE = 1     /* nothing waits, or the answer fits nothing that waits: also a word
                          followed by any argument its command takes, and "phrases" */
};

/* The command that text invokes, by the rules of engine_match_command, in the set's
 * commands.json; mode is a match_mode (engine_match_command's idle is one). A "!word" takes
 * the rest as its argument; without "!", a word followed by more words counts only when the
 * command's "argument" takes them ("text": anything; "topic": an exercise topic id or
 * "list", passed on in command form) and the mode allows it. Returns 1 with *cmd
 * (borrowed) and *arg (owned, NULL when none), 0 when text is no command, SB_ENOMEM. */
int match_command(const sb_dialogs *d, const char *text, int mode, int direct,
                  const json_t **cmd, char **arg);

/* The command one of whose "phrases" occurs in text (the longest phrase wins, the first in
 * commands.json among equals; the phrases as d compiled them, dialogs_command_phrases).
 * Returns 1 with *cmd (borrowed), 0 when none, SB_ENOMEM. */
int match_command_phrase(const sb_dialogs *d, const char *text, const json_t **cmd);

/* The dialog whose trigger occurs in text at word boundaries (phrase form, longest trigger
 * first). Returns 1 with *dialog_id (borrowed from d), 0 when none, SB_ENOMEM. */
int match_trigger(const sb_dialogs *d, const char *text, const char **dialog_id);

/* Like match_trigger for a list of phrases (command "phrases"): the length of the longest
 * phrase found in the phrase form of text, 0 when none, SB_ENOMEM. */
long match_phrases(const json_t *phrases, const char *text);

/* The choice text selects: its number ("2", "2."), then a whole-input match of a label or
 * word, then the longest label, word or number the input starts with ("yes please").
 * Returns 1 with *index set, 0 when none, SB_ENOMEM. */
int match_choice(const json_t *choices, const char *text, size_t *index);

/* The choice whose label holds every significant word of text (phrase form, at word
 * boundaries), when exactly one label does: "what is avoidant attachment" or "attachment"
 * picks "What is avoidant attachment, anyway?". Words of filler (commands.json
 * "filler_words", may be NULL) are not significant; text needs at least one word that is,
 * and at most 12. Choices i with skip[i] set (skip may be NULL) are never picked. For an
 * answer match_choice did not place. Returns 1 with *index set,
 * 0 when no label or several do, SB_ENOMEM. */
int match_choice_label(const json_t *choices, const json_t *filler, const char *text,
                       const unsigned char *skip, size_t *index);

/* The choice meant by an answer in other words: the one whose label and words share the
 * most content words with text (words of at least three letters that are not filler,
 * compared by a crude stem: "talking" is "talk"), when that is at least half of them and
 * no other choice shares as many. *shared is set to the most content words any choice
 * (skipped ones too) shares when that is at least half of them, else 0: the answer is
 * about something else. Choices with
 * skip[i] set are never picked. Returns 1 with *index, 0 when none, SB_ENOMEM. */
int match_choice_overlap(const json_t *choices, const json_t *filler, const char *text,
                         const unsigned char *skip, size_t *index, size_t *shared);

/* A 1-7 rating: "5", "5/7", "5 out of 7", "five", or a short answer with exactly one number
 * in it ("I'd say 5"). Returns 1..7, 0 when text holds no usable rating, SB_ENOMEM. */
int match_rating(const char *text);

/* A clock time in free text, for a command with "argument_time" ({"before": [words],
 * "pm": [words]}): "8:30", "8.30", "8am", "8 pm", or a bare hour after a word of "before"
 * ("at 8"); a bare hour of 1-11 is afternoon or evening when a word of "pm" is in the text
 * ("every evening at 8"). Writes it as "H:MM" or "H:MM pm" to out. Returns 1 when found,
 * 0 when not (or without "argument_time"). */
int match_time(const json_t *cmd, const char *text, char *out, size_t size);

/* 1 when w (n bytes, one word) is shaped like a time-zone name: letters, "_", "-" and "+"
 * in two or three parts joined by "/" ("Europe/Berlin", "America/Argentina/Buenos_Aires"). */
int match_zone_shaped(const char *w, size_t n);

/* 1 when cmd has "argument_zone": true and a word of text has the shape of a zone name
 * (letters, a slash, letters: "europe/madrid" in "my timezone is europe/madrid"): copied to
 * out (size bytes); whether it is a zone is the zone table's to say. 0 otherwise. */
int match_zone(const json_t *cmd, const char *text, char *out, size_t size);

/* Whether text (any form) is one of words: 2 for the whole input, 1 when it starts with
 * one followed by more (then *rest is the byte offset in text after the word and its
 * punctuation), 0 when neither, SB_ENOMEM. */
int match_words(const json_t *words, const char *text, size_t *rest);

/* The set's triggers as [[phrase, dialog id], ...], longest first. Defined in dialog.c,
 * which compiles them at load. */
const json_t *dialogs_triggers(const sb_dialogs *d);


#endif
