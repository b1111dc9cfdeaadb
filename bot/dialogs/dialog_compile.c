/* dialog_compile.c — what a loaded, validated set compiles once so that matching a message
 * is cheap (dialog_impl.h): rules, models, triggers, command words, vocabulary, variables.
 * Loading and validating are dialog.c's; the matching itself is the engine's. */
#include "dialog_impl.h"

#include "examples.h"
#include "log.h"
#include "sb.h"
#include "text.h"
#include "typo.h"

#include <stdlib.h>
#include <string.h>

/* crisis.json's lists by safety_list, in order. */
static const char *const safety_lists[SAFETY_LISTS] = {"ask", "downplay", "restate"};

/* A trigger while sorting: longest first, then in load order, so the most specific
 * phrase wins and ties are decided the same way on every machine. */
typedef struct trigger_item {
    json_t *pair;
    size_t len;
    size_t index;
} trigger_item;

static int trigger_cmp(const void *a, const void *b)
{
    const trigger_item *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? 1 : -1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Appends [normal form, index] to into for each text of words that normalises (norm) to
 * something that fits. */
static int compile_list(const json_t *words, size_t (*norm)(const char *, char *, size_t),
                        json_t *into, size_t index)
{
    size_t k;
    const json_t *w;
    json_array_foreach(words, k, w) {
        char form[COMMAND_WORD_MAX];
        const char *raw = json_string_value(w);
        size_t n = raw ? norm(raw, form, sizeof form) : (size_t)-1;
        if (n == (size_t)-1 || n == 0)
            continue;
        json_t *pair = json_pack("[s,I]", form, (json_int_t)index);
        if (!pair || json_array_append_new(into, pair))
            return SB_ENOMEM;
    }
    return SB_OK;
}

/* The command words of commands.json in command form (text_norm_command), once at load
 * rather than at every message; words that normalise to nothing or do not fit never match
 * and are left out. */
static int compile_command_words(sb_dialogs *d)
{
    const json_t *list = json_object_get(json_object_get(d->data, "commands"), "commands");
    size_t i;
    const json_t *cmd;
    json_array_foreach(list, i, cmd) {
        const char *name = json_string_value(json_object_get(cmd, "name"));
        if (name && !json_object_get(d->commands_by_name, name) &&
            json_object_set(d->commands_by_name, name, (json_t *)cmd))
            return SB_ENOMEM;
        if (compile_list(json_object_get(cmd, "words"), text_norm_command_to, d->command_words,
                         i) != SB_OK ||
            compile_list(json_object_get(cmd, "phrases"), text_norm_phrase_to,
                         d->command_phrases, i) != SB_OK)
            return SB_ENOMEM;
    }
    return SB_OK;
}

static int compile_triggers(sb_dialogs *d)
{
    const char *id;
    json_t *dialog;
    size_t n = 0;
    json_object_foreach(d->dialogs, id, dialog) {
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(dialog, "triggers"), i, t) {
            const char *s = json_string_value(t);
            char *norm = s ? text_norm_phrase(s) : NULL;
            if (s && !norm)
                return SB_ENOMEM;
            if (norm && *norm) {
                json_t *pair = json_pack("[ss]", norm, id);
                if (!pair || json_array_append_new(d->triggers, pair)) {
                    free(norm);
                    return SB_ENOMEM;
                }
                n++;
            }
            free(norm);
        }
    }
    if (n < 2)
        return SB_OK;
    trigger_item *items = malloc(n * sizeof *items);
    if (!items)
        return SB_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        items[i].pair = json_incref(json_array_get(d->triggers, i));
        items[i].len = strlen(json_string_value(json_array_get(items[i].pair, 0)));
        items[i].index = i;
    }
    qsort(items, n, sizeof *items, trigger_cmp);
    json_array_clear(d->triggers);
    int rc = SB_OK;
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(d->triggers, items[i].pair))
            rc = SB_ENOMEM;
    free(items);
    return rc;
}

static int note_var(void *ctx, const char *name, size_t len)
{
    char key[48];
    if (len >= sizeof key)
        return 0;
    memcpy(key, name, len);
    key[len] = '\0';
    return json_object_set_new(ctx, key, json_true()) ? SB_ENOMEM : 0;
}

/* Adds each {name} used by a string in j to the set used. */
static int collect_vars(json_t *used, const json_t *j)
{
    if (json_is_string(j))
        return text_each_var(json_string_value(j), note_var, used);
    int rc = SB_OK;
    size_t i;
    const char *key;
    json_t *item;
    if (json_is_array(j)) {
        json_array_foreach(j, i, item) {
            if (rc == SB_OK)
                rc = collect_vars(used, item);
        }
    } else if (json_is_object(j)) {
        json_object_foreach((json_t *)j, key, item) {
            if (rc == SB_OK)
                rc = collect_vars(used, item);
        }
    }
    return rc;
}

/* The variables each dialog's texts use, so a run keeps no answer it never shows again. */
static int compile_used_vars(sb_dialogs *d)
{
    const char *id;
    json_t *dialog;
    json_object_foreach(d->dialogs, id, dialog) {
        json_t *used = json_object();
        if (!used || json_object_set_new(d->used_vars, id, used))
            return SB_ENOMEM;
        int rc = collect_vars(used, json_object_get(dialog, "states"));
        if (rc != SB_OK)
            return rc;
    }
    return SB_OK;
}

/* The crisis classifier from safety/. Out of memory leaves the set without it (the rules
 * still run: design.md invariant 5) rather than without a coach. SB_OK or SB_EINVAL. */
static int compile_crisis_model(sb_dialogs *d)
{
    const json_t *classifier = json_object_get(json_object_get(d->data, "crisis"), "classifier");
    double cost = json_number_value(json_object_get(classifier, "cost"));
    json_t *examples = crisis_model_examples(d->safety_examples, d->examples);
    int rc = examples ? crisis_model_new(examples, json_object_get(d->data, "spellings"),
                                         cost > 0 ? cost : INTENT_C_DEFAULT,
                                         json_object_get(classifier, "concepts"), d->normalizer,
                                         &d->crisis_model)
                      : SB_ENOMEM;
    json_decref(examples);
    if (rc == SB_ENOMEM) {
        sb_log("warn", "dialogs", "no memory to train the crisis classifier; the crisis rules "
                                  "alone check messages");
        rc = SB_OK;
    }
    return rc;
}

/* The phrase forms of choice ch (DIALOGS_LABEL_PHRASE, DIALOGS_CHOICE_PHRASES), exactly as
 * match_label.c forms them from the choice at each message. */
static int compile_choice(json_t *ch)
{
    const char *label = json_string_value(json_object_get(ch, "label"));
    char *norm = text_norm_phrase(label ? label : "");
    sb_buf all = {0};
    int rc = norm ? sb_buf_puts(&all, norm) : SB_ENOMEM;
    if (rc == SB_OK && label && json_object_set_new(ch, DIALOGS_LABEL_PHRASE, json_string(norm)))
        rc = SB_ENOMEM;
    free(norm);
    size_t k;
    json_t *w;
    json_array_foreach(json_object_get(ch, "words"), k, w) {
        norm = rc == SB_OK ? text_norm_phrase(json_string_value(w) ? json_string_value(w) : "")
                           : NULL;
        rc = norm && sb_buf_puts(&all, " ") == SB_OK && sb_buf_puts(&all, norm) == SB_OK
                 ? SB_OK
                 : SB_ENOMEM;
        free(norm);
    }
    if (rc == SB_OK &&
        json_object_set_new(ch, DIALOGS_CHOICE_PHRASES, json_string(all.data ? all.data : "")))
        rc = SB_ENOMEM;
    sb_buf_free(&all);
    return rc;
}

/* compile_choice for every choice object of every "choices" list under j. */
static int compile_choices(json_t *j)
{
    int rc = SB_OK;
    size_t i;
    json_t *item;
    if (json_is_array(j)) {
        json_array_foreach(j, i, item) {
            if (rc == SB_OK)
                rc = compile_choices(item);
        }
        return rc;
    }
    const char *key;
    json_object_foreach(j, key, item) {
        if (rc == SB_OK && strcmp(key, "choices") == 0 && json_is_array(item)) {
            json_t *ch;
            json_array_foreach(item, i, ch) {
                if (rc == SB_OK && json_is_object(ch))
                    rc = compile_choice(ch);
            }
        } else if (rc == SB_OK) {
            rc = compile_choices(item);
        }
    }
    return rc;
}

/* The pairs of list ([[form, index or dialog id], ...]) as an array of kind. */
static int compile_forms(sb_dialogs *d, const json_t *list, dialogs_form_kind kind)
{
    size_t n = json_array_size(list), i;
    const json_t *pair;
    d->forms[kind] = n ? calloc(n, sizeof *d->forms[kind]) : NULL;
    if (n && !d->forms[kind])
        return SB_ENOMEM;
    json_array_foreach(list, i, pair) {
        const json_t *second = json_array_get(pair, 1);
        dialogs_form *f = &d->forms[kind][d->nforms[kind]];
        f->form = json_string_value(json_array_get(pair, 0));
        if (!f->form || !*f->form)
            continue;
        f->len = strlen(f->form);
        f->index = json_is_integer(second) ? (size_t)json_integer_value(second) : 0;
        f->dialog = json_string_value(second);
        d->nforms[kind]++;
    }
    return SB_OK;
}

int dialogs_compile(sb_dialogs *d)
{
    const json_t *crisis = json_object_get(d->data, "crisis");
    int rc = crisis_compile(crisis, &d->crisis);
    for (size_t i = 0; i < SAFETY_LISTS && rc == SB_OK; i++)
        rc = crisis_compile(json_object_get(crisis, safety_lists[i]), &d->safety[i]);
    if (rc == SB_OK)
        rc = understand_compile(d->examples, json_object_get(d->data, "spellings"),
                                json_object_get(d->data, "understanding"),
                                json_object_get(d->data, "languages"), &d->normalizer,
                                &d->intents, &d->language);
    if (rc == SB_OK && json_object_size(d->safety_examples) > 0)
        rc = compile_crisis_model(d);
    if (rc == SB_OK)
        rc = compile_triggers(d);
    if (rc == SB_OK)
        rc = compile_command_words(d);
    if (rc == SB_OK)
        rc = compile_forms(d, d->command_words, DIALOGS_COMMAND_WORDS);
    if (rc == SB_OK)
        rc = compile_forms(d, d->command_phrases, DIALOGS_COMMAND_PHRASES);
    if (rc == SB_OK)
        rc = compile_forms(d, d->triggers, DIALOGS_TRIGGERS);
    if (rc == SB_OK)
        rc = typo_collect(d->vocabulary, d->dialogs);
    if (rc == SB_OK)
        rc = typo_collect(d->vocabulary, d->data);
    if (rc == SB_OK)
        rc = compile_used_vars(d);
    /* last: what walks the data above never meets these forms */
    if (rc == SB_OK)
        rc = compile_choices(d->dialogs);
    if (rc == SB_OK)
        rc = compile_choices(d->data);
    return rc;
}
