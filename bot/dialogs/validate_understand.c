/* validate_understand.c — checks what understanding reads (validate.h): understanding.json
 * (thresholds, the lines said back, the chat acts and their replies), spellings.json,
 * languages.json, and the examples of intents/ (each file an intent the set knows, enough
 * examples, no utterance under two intents), naming file and line. */
#include "validate.h"

#include "sb_json.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_EXAMPLES_DEFAULT 40
#define INTENT_NAME_MAX 64
#define SPELLING_WORDS_MAX 8

static const char *const user_vars[] = {"user", NULL};
static const char *const understanding_fields[] = {
    "kind",   "min_examples", "cost",      "sure", "margin", "maybe", "sure_waiting",
    "confirm", "listen_dialog", "listen", "unclear", "heard", "options", "unsure",
    "just_talk", "acts", "asides", "asides_listening", "sure_aside_question", "confirm_offer",
    "feeling_intents", "report_intents", "request_starts", "bare_time", "bare_zone", NULL};

static int in(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

static const char *file_of(validate_ctx *v, const char *kind, const char *fallback)
{
    const char *f = json_string_value(json_object_get(v->data_files, kind));
    return f ? f : fallback;
}

static const json_t *command_named(validate_ctx *v, const char *name)
{
    size_t i;
    const json_t *cmd;
    json_array_foreach(json_object_get(json_object_get(v->data, "commands"), "commands"), i, cmd) {
        const char *n = json_string_value(json_object_get(cmd, "name"));
        if (n && strcmp(n, name) == 0)
            return cmd;
    }
    return NULL;
}

/* 1 when name is something an intent may lead to: a dialog, a command or a chat act. */
static int known_intent(validate_ctx *v, const json_t *u, const char *name)
{
    return json_object_get(v->dialogs, name) || command_named(v, name) ||
           json_object_get(json_object_get(u, "acts"), name);
}

static void check_unit(validate_ctx *v, const char *f, const json_t *u, const char *field)
{
    const json_t *x = json_object_get(u, field);
    double d = json_number_value(x);
    if (x && (!json_is_number(x) || d < 0 || d > 1))
        validate_problem(v, f, "-", "%s must be a number from 0 to 1", field);
}

static void check_understanding(validate_ctx *v, const json_t *u)
{
    const char *f = file_of(v, "understanding", "understanding.json");
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)u, key, value) {
        if (!in(understanding_fields, key) && !validate_is_comment(key))
            validate_problem(v, f, "-", "unknown field \"%.60s\"", key);
    }
    check_unit(v, f, u, "sure");
    check_unit(v, f, u, "margin");
    check_unit(v, f, u, "maybe");
    check_unit(v, f, u, "sure_waiting");
    check_unit(v, f, u, "sure_aside_question");
    validate_texts(v, f, "-", "unclear", json_object_get(u, "unclear"), user_vars, NULL);
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(u, "confirm"), i, c) {
        const char *name = json_string_value(c);
        if (!name || (!json_object_get(v->dialogs, name) && !command_named(v, name)))
            validate_problem(v, f, "-", "confirm: entry %zu is no dialog or command", i + 1);
        else if (!json_object_get(json_object_get(u, "options"), name) &&
                 !json_object_get(v->dialogs, name))
            validate_problem(v, f, "-", "confirm: \"%.60s\" needs a label in options", name);
    }
    validate_words(v, f, "request_starts", json_object_get(u, "request_starts"), 0);
    static const char *const intent_lists[] = {"feeling_intents", "report_intents", NULL};
    for (const char *const *list = intent_lists; *list; list++) {
        const json_t *names = json_object_get(u, *list);
        if (names && !json_is_array(names))
            validate_problem(v, f, "-", "%s must list intents", *list);
        json_array_foreach(names, i, c) {
            if (!json_is_string(c) || !known_intent(v, u, json_string_value(c)))
                validate_problem(v, f, "-", "%s: entry %zu is no intent", *list, i + 1);
        }
    }
    const json_t *min = json_object_get(u, "min_examples");
    if (min && (!json_is_integer(min) || json_integer_value(min) < 1))
        validate_problem(v, f, "-", "min_examples must be a whole number of at least 1");
    const json_t *cost = json_object_get(u, "cost");
    if (cost && (!json_is_number(cost) || json_number_value(cost) <= 0))
        validate_problem(v, f, "-", "cost must be a number above 0");
    const json_t *listen = json_object_get(u, "listen_dialog");
    if (listen && !json_object_get(v->dialogs, json_string_value(listen) ? json_string_value(listen) : ""))
        validate_problem(v, f, "-", "listen_dialog \"%.60s\" is no dialog of the set",
                         json_string_value(listen) ? json_string_value(listen) : "?");
    if (json_object_get(u, "bare_time") &&
        !json_object_get(command_named(v, sb_json_str(u, "bare_time") ? sb_json_str(u, "bare_time") : ""), "argument_time"))
        validate_problem(v, f, "-", "bare_time must name a command with argument_time");
    if (json_object_get(u, "bare_zone") &&
        !json_object_get(command_named(v, sb_json_str(u, "bare_zone") ? sb_json_str(u, "bare_zone") : ""), "argument"))
        validate_problem(v, f, "-", "bare_zone must name a command that takes an argument");
    validate_texts(v, f, "-", "listen", json_object_get(u, "listen"), user_vars, NULL);
    validate_texts(v, f, "-", "unsure", json_object_get(u, "unsure"), user_vars, NULL);
    if (json_object_get(u, "confirm_offer"))
        validate_texts(v, f, "-", "confirm_offer", json_object_get(u, "confirm_offer"), user_vars, NULL);
    if (!json_is_string(json_object_get(u, "just_talk")))
        validate_problem(v, f, "-", "just_talk must be a text (the label of the choice to just talk)");
    json_object_foreach((json_t *)json_object_get(u, "acts"), key, value) {
        char what[96];
        snprintf(what, sizeof what, "acts/%.60s", key);
        const json_t *then = json_object_get(value, "then");
        const char *target = json_string_value(then);
        if (!json_is_object(value)) {
            validate_problem(v, f, "-", "%s must be an object with \"reply\"", what);
            continue;
        }
        json_t *field;
        const char *name;
        json_object_foreach(value, name, field) {
            if (strcmp(name, "reply") != 0 && strcmp(name, "then") != 0 &&
                strcmp(name, "aside") != 0 && !validate_is_comment(name))
                validate_problem(v, f, "-", "%s: unknown field \"%.60s\"", what, name);
        }
        if (json_object_get(value, "reply"))
            validate_texts(v, f, "-", what, json_object_get(value, "reply"), user_vars, NULL);
        else if (!then)
            validate_problem(v, f, "-", "%s needs a reply, a then, or both", what);
        if (json_object_get(value, "aside"))
            validate_texts(v, f, "-", what, json_object_get(value, "aside"), user_vars, NULL);
        if (then && (!target || (!json_object_get(v->dialogs, target) && !command_named(v, target))))
            validate_problem(v, f, "-", "%s: then \"%.60s\" is no dialog or command", what,
                             target ? target : "?");
    }
    static const char *const lists[] = {"asides", "asides_listening", NULL};
    for (size_t l = 0; lists[l]; l++) {
        const json_t *asides = json_object_get(u, lists[l]);
        if (asides && !json_is_array(asides))
            validate_problem(v, f, "-", "%s must list chat acts", lists[l]);
        json_array_foreach(asides, i, c) {
            const char *name = json_string_value(c) ? json_string_value(c) : "";
            const json_t *act = json_object_get(json_object_get(u, "acts"), name);
            if (!act)
                validate_problem(v, f, "-", "%s: entry %zu is no chat act of acts", lists[l], i + 1);
            else if (!json_object_get(act, "aside") && !json_object_get(act, "reply"))
                validate_problem(v, f, "-", "%s: \"%.60s\" needs an aside or a reply", lists[l], name);
        }
    }
    json_object_foreach((json_t *)json_object_get(u, "heard"), key, value) {
        char what[96];
        snprintf(what, sizeof what, "heard/%.60s", key);
        if (!json_object_get(v->dialogs, key) && !command_named(v, key))
            validate_problem(v, f, "-", "%s: \"%.60s\" is no dialog or command", what, key);
        validate_texts(v, f, "-", what, value, user_vars, NULL);
    }
    json_object_foreach((json_t *)json_object_get(u, "options"), key, value) {
        if (!known_intent(v, u, key))
            validate_problem(v, f, "-", "options/%.60s: no dialog, command or act of that name", key);
        if (!json_is_string(value) || json_string_length(value) == 0)
            validate_problem(v, f, "-", "options/%.60s must be a text (the choice's label)", key);
    }
}

static void check_spellings(validate_ctx *v, const json_t *s)
{
    const char *f = file_of(v, "spellings", "spellings.json");
    const json_t *words = json_object_get(s, "words");
    if (!json_is_object(words)) {
        validate_problem(v, f, "-", "words must be an object: chat spelling -> what it stands for");
        return;
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)words, key, value) {
        const char *to = json_string_value(value);
        size_t n = 1;
        for (const char *p = to ? to : ""; *p; p++)
            n += *p == ' ';
        if (!*key || strchr(key, ' '))
            validate_problem(v, f, "-", "words: \"%.60s\" must be one word", key);
        if (!to || !*to || n > SPELLING_WORDS_MAX)
            validate_problem(v, f, "-", "words/%.60s must stand for one to %d words", key,
                             SPELLING_WORDS_MAX);
    }
}

static void check_languages(validate_ctx *v, const json_t *l)
{
    const char *f = file_of(v, "languages", "languages.json");
    const json_t *detect = json_object_get(l, "detect");
    if (!json_is_string(json_object_get(l, "fingerprints")))
        validate_problem(v, f, "-", "fingerprints must name the folder of libexttextcat's .lm files");
    if (!json_is_array(detect) || json_array_size(detect) < 2)
        validate_problem(v, f, "-", "detect must list at least two language codes (with \"en\")");
    size_t i;
    const json_t *c;
    int english = 0;
    json_array_foreach(detect, i, c) {
        const char *code = json_string_value(c);
        size_t len = code ? strlen(code) : 0;
        if (!code || len < 2 || len > 12 || strspn(code, "abcdefghijklmnopqrstuvwxyz-") != len)
            validate_problem(v, f, "-", "detect: entry %zu is no language code such as \"es\"", i + 1);
        else if (strcmp(code, "en") == 0)
            english = 1;
    }
    if (json_is_array(detect) && !english)
        validate_problem(v, f, "-", "detect must include \"en\"");
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)json_object_get(l, "words"), key, value) {
        int listed = 0;
        json_array_foreach(detect, i, c) {
            listed |= json_is_string(c) && strcmp(json_string_value(c), key) == 0;
        }
        if (!listed)
            validate_problem(v, f, "-", "words/%.40s: \"%.40s\" is not in detect", key, key);
        char what[64];
        snprintf(what, sizeof what, "words/%.40s", key);
        validate_words(v, f, what, value, 1);
    }
    json_object_foreach((json_t *)json_object_get(l, "replies"), key, value) {
        char what[64];
        snprintf(what, sizeof what, "replies/%.40s", key);
        int listed = 0;
        json_array_foreach(detect, i, c) {
            listed |= json_is_string(c) && strcmp(json_string_value(c), key) == 0;
        }
        if (!listed)
            validate_problem(v, f, "-", "%s: \"%.40s\" is not in detect", what, key);
        validate_texts(v, f, "-", what, value, user_vars, NULL);
    }
}

void validate_examples_unique(validate_ctx *v, json_t *seen, const char *file, const char *name,
                              const json_t *list, const json_t *numbers, int files)
{
    size_t i;
    const json_t *text;
    json_array_foreach(list, i, text) {
        char *form = seen ? text_norm_phrase(json_string_value(text)) : NULL;
        if (!form)
            continue;
        const char *other = json_string_value(json_object_get(seen, form));
        if (other && strcmp(other, name) != 0)
            validate_problem(v, file, "-", "line %lld: \"%.80s\" is also an example %s%.60s%s",
                             (long long)json_integer_value(json_array_get(numbers, i)),
                             json_string_value(text), files ? "in " : "of ", other,
                             files ? ".txt" : "");
        else if (!other)
            json_object_set_new(seen, form, json_string(name));
        free(form);
    }
}

static void check_examples(validate_ctx *v, const json_t *u, const json_t *examples,
                           const json_t *lines)
{
    json_int_t min = json_integer_value(json_object_get(u, "min_examples"));
    if (min <= 0)
        min = MIN_EXAMPLES_DEFAULT;
    json_t *seen = json_object(); /* phrase form -> "intent" */
    const char *name;
    const json_t *list;
    json_object_foreach((json_t *)examples, name, list) {
        char file[INTENT_NAME_MAX + 16];
        snprintf(file, sizeof file, "intents/%.*s.txt", INTENT_NAME_MAX, name);
        if (strlen(name) > INTENT_NAME_MAX || !known_intent(v, u, name))
            validate_problem(v, file, "-",
                             "unknown intent \"%.60s\": name the file after a dialog id, a "
                             "command or a chat act of understanding.json",
                             name);
        if ((json_int_t)json_array_size(list) < min)
            validate_problem(v, file, "-", "only %zu examples; an intent needs at least %lld",
                             json_array_size(list), (long long)min);
        validate_examples_unique(v, seen, file, name, list, json_object_get(lines, name), 0);
    }
    json_decref(seen);
}

void validate_understanding(validate_ctx *v, const json_t *examples, const json_t *lines)
{
    const json_t *u = json_object_get(v->data, "understanding");
    if (u)
        check_understanding(v, u);
    if (json_object_get(v->data, "spellings"))
        check_spellings(v, json_object_get(v->data, "spellings"));
    if (json_object_get(v->data, "languages"))
        check_languages(v, json_object_get(v->data, "languages"));
    if (json_object_size(examples) == 0)
        return;
    if (!u) {
        validate_problem(v, "understanding.json", "-",
                         "intents/ has examples but there is no file of kind \"understanding\"");
        return;
    }
    check_examples(v, u, examples, lines);
    /* exercise topics chosen by what was heard name intents that have examples */
    size_t i, k;
    const json_t *topic, *intent;
    const json_t *topics = json_object_get(json_object_get(v->data, "exercises"), "topics");
    json_array_foreach(topics, i, topic) {
        json_array_foreach(json_object_get(topic, "intents"), k, intent) {
            if (json_is_string(intent) && !json_object_get(examples, json_string_value(intent)))
                validate_problem(v, file_of(v, "exercises", "exercises.json"), "-",
                                 "topic %s: intent %s has no examples in intents/",
                                 sb_json_str(topic, "id") ? sb_json_str(topic, "id") : "?",
                                 json_string_value(intent));
        }
    }
}
