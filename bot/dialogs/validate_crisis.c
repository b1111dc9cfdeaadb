/* validate_crisis.c — checks crisis.json (the categories with their phrases, answers and
 * dialogs, the lists around a crisis, the classifier's thresholds, the languages) and the
 * examples of safety/ that the crisis classifier learns from. Part of validate_data. */
#include "validate.h"

#include "crisis.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const crisis_vars[] = {"user", "crisis_message", "abuse_message", NULL};

/* The phrases of a crisis list: each with at least one word to match. */
static void check_phrases(validate_ctx *v, const char *f, const char *what, const json_t *phrases,
                          int required)
{
    if (!validate_words(v, f, what, phrases, required))
        return;
    size_t i;
    json_t *p;
    json_array_foreach(phrases, i, p) {
        char *norm = text_norm_phrase(json_string_value(p));
        if (norm && strspn(norm, "* ") == strlen(norm))
            validate_problem(v, f, "-", "%s: phrase %zu has no word to match", what, i + 1);
        free(norm);
    }
}

/* A crisis answer: its phrases, its reply (each with {crisis_message}), its dialog. what
 * prefixes the messages ("" for the file's own, "category \"abuse\": "). */
static void check_crisis_answer(validate_ctx *v, const char *f, const char *what, const json_t *c)
{
    char name[120];
    snprintf(name, sizeof name, "%sphrases", what);
    check_phrases(v, f, name, json_object_get(c, "phrases"), 1);
    snprintf(name, sizeof name, "%sreply", what);
    validate_contains(v, f, name, json_object_get(c, "reply"), crisis_vars, "{crisis_message}");
    snprintf(name, sizeof name, "%sdialog", what);
    validate_dialog_ref(v, f, name, json_object_get(c, "dialog"));
    snprintf(name, sizeof name, "%salso", what);
    if (json_object_get(c, "also"))
        validate_texts(v, f, "-", name, json_object_get(c, "also"), crisis_vars, NULL);
}

static void check_crisis_categories(validate_ctx *v, const char *f, const json_t *categories)
{
    static const char *const fields[] = {"id", "phrases", "reply", "dialog", "also", NULL};
    if (!json_is_array(categories) || json_array_size(categories) == 0 ||
        json_array_size(categories) > CRISIS_CATEGORIES_MAX) {
        validate_problem(v, f, "-", "categories must be a list of 1 to %d objects",
                         CRISIS_CATEGORIES_MAX);
        return;
    }
    json_t *seen = json_object();
    size_t i;
    json_t *category;
    json_array_foreach(categories, i, category) {
        const char *id = json_string_value(json_object_get(category, "id"));
        char what[96];
        if (!json_is_object(category) || !id || !*id) {
            validate_problem(v, f, "-", "category %zu needs an object with an id", i + 1);
            continue;
        }
        snprintf(what, sizeof what, "category \"%.40s\"", id);
        if (seen && json_object_get(seen, id))
            validate_problem(v, f, "-", "category \"%.40s\" is listed twice", id);
        else if (seen)
            json_object_set_new(seen, id, json_true());
        validate_keys(v, f, category, fields, what);
        snprintf(what, sizeof what, "category \"%.40s\": ", id);
        check_crisis_answer(v, f, what, category);
    }
    json_decref(seen);
}

/* One of the lists around a crisis (ask, downplay, restate, followup): an object with the
 * fields allowed; phrases when it has them, its dialog, its texts. */
static void check_crisis_list(validate_ctx *v, const char *f, const json_t *c, const char *name,
                              const char *const *fields, int phrases, int dialog,
                              const char *text)
{
    const json_t *list = json_object_get(c, name);
    if (!list)
        return;
    char what[80];
    if (!json_is_object(list)) {
        validate_problem(v, f, "-", "%s must be an object", name);
        return;
    }
    validate_keys(v, f, list, fields, name);
    snprintf(what, sizeof what, "%s: phrases", name);
    if (phrases)
        check_phrases(v, f, what, json_object_get(list, "phrases"), 1);
    snprintf(what, sizeof what, "%s: not", name);
    if (phrases)
        validate_words(v, f, what, json_object_get(list, "not"), 0);
    snprintf(what, sizeof what, "%s: dialog", name);
    if (dialog)
        validate_dialog_ref(v, f, what, json_object_get(list, "dialog"));
    snprintf(what, sizeof what, "%s: %s", name, text ? text : "");
    if (text && json_object_get(list, text))
        validate_texts(v, f, "-", what, json_object_get(list, text), crisis_vars, NULL);
}

/* "classifier": {"threshold": 0 < t < 1, "ask": 0 < a < threshold, "unclear": threshold..1,
 * "cost": > 0, "turns": [word, ...] (words that turn to another statement),
 * "concepts": {name: [word, ...]}} for the examples of safety/. */
static void check_crisis_classifier(validate_ctx *v, const char *f, const json_t *c)
{
    static const char *const fields[] = {"threshold", "ask", "unclear", "cost", "concepts",
                                         "turns", NULL};
    const json_t *k = json_object_get(c, "classifier");
    if (!k)
        return;
    if (!json_is_object(k)) {
        validate_problem(v, f, "-", "classifier must be an object");
        return;
    }
    validate_keys(v, f, k, fields, "classifier");
    const json_t *t = json_object_get(k, "threshold"), *cost = json_object_get(k, "cost");
    if (!json_is_number(t) || json_number_value(t) <= 0 || json_number_value(t) >= 1)
        validate_problem(v, f, "-", "classifier: threshold must be a number between 0 and 1");
    if (cost && (!json_is_number(cost) || json_number_value(cost) <= 0))
        validate_problem(v, f, "-", "classifier: cost must be a number above 0");
    const json_t *ask = json_object_get(k, "ask");
    if (ask && (!json_is_number(ask) || json_number_value(ask) <= 0 ||
                json_number_value(ask) >= json_number_value(t)))
        validate_problem(v, f, "-", "classifier: ask must be a number above 0 and below threshold");
    const json_t *unclear = json_object_get(k, "unclear");
    if (unclear && (!json_is_number(unclear) || json_number_value(unclear) < json_number_value(t) ||
                    json_number_value(unclear) > 1))
        validate_problem(v, f, "-", "classifier: unclear must be a number from threshold to 1");
    const json_t *turns = json_object_get(k, "turns");
    size_t i;
    const json_t *w;
    if (turns && !json_is_array(turns))
        validate_problem(v, f, "-", "classifier: turns must be a list of words");
    json_array_foreach(turns, i, w) {
        const char *word = json_string_value(w);
        if (!word || !*word || strlen(word) > 32 || strchr(word, ' '))
            validate_problem(v, f, "-", "classifier: turns: each must be one word of at most 32 bytes");
    }
    const json_t *concepts = json_object_get(k, "concepts");
    if (concepts && (!json_is_object(concepts) || json_object_size(concepts) > 128))
        validate_problem(v, f, "-", "classifier: concepts must be an object of at most 128 lists");
    const char *name;
    const json_t *words;
    json_object_foreach((json_t *)concepts, name, words) {
        if (validate_is_comment(name))
            continue;
        size_t i;
        const json_t *w;
        int ok = json_is_array(words) && json_array_size(words) > 0;
        for (const char *p = name; ok && *p; p++)
            ok = (*p >= 'a' && *p <= 'z');
        json_array_foreach(words, i, w) {
            ok = ok && json_is_string(w) && json_string_length(w) > 0;
        }
        if (!ok)
            validate_problem(v, f, "-",
                             "classifier: concept %s must be named in a-z and list words", name);
    }
}

/* "languages": {"es": {"words": [...], "line": [...]}}: words that tell the language, and
 * the line said in it after a crisis reply. */
static void check_crisis_languages(validate_ctx *v, const char *f, const json_t *c)
{
    static const char *const fields[] = {"words", "line", NULL};
    const json_t *langs = json_object_get(c, "languages");
    if (!langs)
        return;
    if (!json_is_object(langs)) {
        validate_problem(v, f, "-", "languages must be an object of language code: {words, line}");
        return;
    }
    const char *code;
    json_t *lang;
    json_object_foreach((json_t *)langs, code, lang) {
        char what[64];
        snprintf(what, sizeof what, "languages: %.8s", code);
        if (!json_is_object(lang)) {
            validate_problem(v, f, "-", "%s must be an object", what);
            continue;
        }
        validate_keys(v, f, lang, fields, what);
        snprintf(what, sizeof what, "languages: %.8s: words", code);
        validate_words(v, f, what, json_object_get(lang, "words"), 1);
        snprintf(what, sizeof what, "languages: %.8s: line", code);
        validate_texts(v, f, "-", what, json_object_get(lang, "line"), crisis_vars, NULL);
    }
}
/* "ask": "by_category": {category id: dialog}: the direct question that fits what the
 * classifier leans to (self-harm: "are you hurting yourself?"), each a category's id. */
static void check_ask_by_category(validate_ctx *v, const char *f, const json_t *c)
{
    const json_t *by = json_object_get(json_object_get(c, "ask"), "by_category");
    if (!by)
        return;
    if (!json_is_object(by)) {
        validate_problem(v, f, "-", "ask: by_category must be an object");
        return;
    }
    const char *id;
    const json_t *dialog;
    json_object_foreach((json_t *)by, id, dialog) {
        int known = 0;
        size_t i;
        const json_t *category;
        json_array_foreach(json_object_get(c, "categories"), i, category)
            known |= json_is_string(json_object_get(category, "id")) &&
                     strcmp(json_string_value(json_object_get(category, "id")), id) == 0;
        if (!known)
            validate_problem(v, f, "-", "ask: by_category: %s is no category", id);
        char what[96];
        snprintf(what, sizeof what, "ask: by_category: %.40s", id);
        validate_dialog_ref(v, f, what, dialog);
    }
}

void validate_crisis(validate_ctx *v, const char *f, const json_t *c)
{
    static const char *const fields[] = {"kind",     "phrases",  "not",     "reply",
                                         "dialog",   "default_message", "categories",
                                         "ask",      "downplay", "restate", "followup",
                                         "default_abuse_message", "classifier", "languages",
                                         NULL};
    static const char *const ask_fields[] = {"phrases", "not", "dialog", "again", "by_category",
                                             NULL};
    static const char *const downplay_fields[] = {"phrases", "not", "dialog", "again", NULL};
    static const char *const restate_fields[] = {"phrases", "not", NULL};
    static const char *const followup_fields[] = {"dialog", "line", NULL};
    validate_keys(v, f, c, fields, "crisis.json");
    const json_t *categories = json_object_get(c, "categories");
    if (categories) {
        check_crisis_categories(v, f, categories);
        static const char *const own[] = {"phrases", "reply", "dialog", NULL};
        for (size_t i = 0; own[i]; i++)
            if (json_object_get(c, own[i]))
                validate_problem(v, f, "-",
                                 "%s belongs in a category when the file has categories",
                                 own[i]);
    } else {
        check_crisis_answer(v, f, "", c);
    }
    validate_words(v, f, "not", json_object_get(c, "not"), 0);
    check_crisis_list(v, f, c, "ask", ask_fields, 1, 1, "again");
    check_ask_by_category(v, f, c);
    check_crisis_list(v, f, c, "downplay", downplay_fields, 1, 1, "again");
    check_crisis_list(v, f, c, "restate", restate_fields, 1, 0, NULL);
    check_crisis_list(v, f, c, "followup", followup_fields, 0, 1, "line");
    check_crisis_classifier(v, f, c);
    check_crisis_languages(v, f, c);
    const json_t *msg = json_object_get(c, "default_message");
    if (!json_is_string(msg) || json_string_length(msg) == 0)
        validate_problem(v, f, "-", "default_message must be a non-empty text");
    msg = json_object_get(c, "default_abuse_message");
    if (msg && (!json_is_string(msg) || json_string_length(msg) == 0))
        validate_problem(v, f, "-", "default_abuse_message must be a non-empty text");
}

void validate_safety_examples(validate_ctx *v, const json_t *examples, const json_t *lines)
{
    if (json_object_size(examples) == 0)
        return;
    const json_t *crisis = json_object_get(v->data, "crisis");
    const json_t *categories = json_object_get(crisis, "categories");
    if (!json_object_get(examples, "none"))
        validate_problem(v, "safety/none.txt", "-",
                         "missing: the crisis classifier needs examples that are no crisis");
    if (!json_object_get(crisis, "classifier"))
        validate_problem(v, "crisis.json", "-",
                         "safety/ has examples but crisis.json has no classifier threshold");
    json_t *seen = json_object(); /* phrase form -> category */
    const char *name;
    const json_t *list;
    json_object_foreach((json_t *)examples, name, list) {
        char file[96];
        snprintf(file, sizeof file, "safety/%.60s.txt", name);
        int known = strcmp(name, "none") == 0;
        size_t i;
        const json_t *category;
        json_array_foreach(categories, i, category) {
            const char *id = json_string_value(json_object_get(category, "id"));
            known |= id && strcmp(id, name) == 0;
        }
        if (!known)
            validate_problem(v, file, "-",
                             "unknown category \"%.60s\": name the file after a category id of "
                             "crisis.json, or none.txt",
                             name);
        if (json_array_size(list) < SAFETY_EXAMPLES_MIN)
            validate_problem(v, file, "-", "only %zu examples; a category needs at least %d",
                             json_array_size(list), SAFETY_EXAMPLES_MIN);
        validate_examples_unique(v, seen, file, name, list, json_object_get(lines, name), 1);
    }
    json_decref(seen);
}
