/* dialog_impl.h — the inside of sb_dialogs, shared by the loader (dialog.c) and the
 * compiler (dialog_compile.c) only; everyone else reads a set through dialog.h. */
#ifndef SB_DIALOG_IMPL_H
#define SB_DIALOG_IMPL_H

#include "dialog.h"

#include "crisis.h"
#include "crisis_model.h"
#include "intent.h"
#include "understand.h"

#define DATA_KINDS 10 /* entries of data_kinds below */

struct sb_dialogs {
    json_t *dialogs;         /* id -> dialog object */
    json_t *dialog_files;    /* id -> file name */
    json_t *data;            /* kind -> data file object */
    const json_t *by_kind[DATA_KINDS]; /* the same, by index in data_kinds (dialogs_data) */
    json_t *data_files;      /* kind -> file name */
    json_t *triggers;        /* [[phrase-form trigger, dialog id], ...], longest first */
    json_t *command_words;   /* [[command-form word, index in commands.json "commands"], ...] */
    json_t *command_phrases; /* [[phrase-form phrase, index in "commands"], ...] */
    json_t *commands_by_name; /* "name" -> the first command of that name in "commands" */
    dialogs_form *forms[DIALOGS_FORM_KINDS]; /* the three lists above as arrays */
    size_t nforms[DIALOGS_FORM_KINDS];
    json_t *vocabulary;      /* every word of the set's files (typo.h), as a set */
    json_t *used_vars;       /* dialog id -> {name: true} for each {name} its texts use */
    crisis_matcher *crisis;  /* compiled crisis.json phrases */
    crisis_matcher *safety[SAFETY_LISTS]; /* crisis.json ask, downplay, restate */
    json_t *safety_examples; /* category -> [utterance, ...] of safety/ (examples.h) */
    json_t *safety_lines;    /* category -> [line number, ...] */
    crisis_model *crisis_model; /* trained from safety_examples; NULL when none (or ENOMEM) */
    json_t *examples;        /* intent id -> [utterance, ...] of intents/ (examples.h) */
    json_t *example_lines;   /* intent id -> [line number, ...] */
    normalizer *normalizer;  /* spellings.json compiled (normalize.h) */
    intent_model *intents;   /* trained from examples, NULL when there are none */
    language *language;      /* languages.json with its fingerprints, or NULL */
    char *crisis_message;    /* config override, or NULL for crisis.json default_message */
    char *abuse_message;     /* config override, or NULL for default_abuse_message */
};

/* Compiles a validated set: the crisis rules and lists, the understanding (normalizer,
 * intents, language), the crisis classifier, triggers longest first, command words and
 * phrases in their match forms, the vocabulary of typo.h and the variables each dialog
 * uses. Returns SB_OK, SB_EINVAL or SB_ENOMEM (the set is then freed by the caller). */
int dialogs_compile(sb_dialogs *d);

#endif
