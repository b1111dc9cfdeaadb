/* validate_data.c — checks the data files of a set (commands, reflection, and through their
 * own files crisis, exercises, measures, views; nudges): required fields, texts and their
 * variables, references into
 * the dialogs, duplicate names; and, for every file, the size cap on single texts.
 * The formats are those of dialogs/README.md and the comments at the top of engine.c. */
#include "validate.h"

#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const user_vars[] = {"user", "answer", "crisis_message", "abuse_message", NULL};
static const char *const echo_vars[] = {"echo", NULL};
static const char *const feeling_vars[] = {"echo", "feeling", NULL};
static const char *const title_vars[] = {"title", NULL};

static const char *const command_fields[] = {"name",  "words",   "phrases", "dialog",      "action",
                                             "group", "private", "reply",   "description", "argument",
                                             "exact", "greeting", "argument_time", "argument_zone", "asked_reads",
                                             NULL};

static int has(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

void validate_keys(validate_ctx *v, const char *f, const json_t *obj, const char *const *known,
                   const char *where)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value) {
        if (!has(known, key) && !validate_is_comment(key))
            validate_problem(v, f, "-", "unknown field \"%.60s\" in %s", key, where);
    }
}

int validate_words(validate_ctx *v, const char *file, const char *what, const json_t *list,
                   int required)
{
    if (!list && !required)
        return 1;
    if (!json_is_array(list) || (required && json_array_size(list) == 0)) {
        validate_problem(v, file, "-", "%s must be a non-empty list of texts", what);
        return 0;
    }
    size_t i;
    json_t *w;
    json_array_foreach(list, i, w) {
        if (!json_is_string(w) || json_string_length(w) == 0) {
            validate_problem(v, file, "-", "%s has an empty or non-text entry (%zu)", what, i + 1);
            return 0;
        }
    }
    return 1;
}

void validate_dialog_ref(validate_ctx *v, const char *file, const char *what, const json_t *ref)
{
    const char *id = json_string_value(ref);
    if (!id || !json_object_get(v->dialogs, id))
        validate_problem(v, file, "-", "%s: dialog \"%.80s\" does not exist", what, id ? id : "?");
}

/* answer_words: an object of whole messages in phrase form, each standing for a non-empty
 * text, short enough for the engine's lookup (turn.c reads 40 bytes). */
static void check_answer_words(validate_ctx *v, const char *f, const json_t *words)
{
    if (!words)
        return;
    if (!json_is_object(words)) {
        validate_problem(v, f, "-", "answer_words must be an object of message -> word");
        return;
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)words, key, value) {
        char form[64];
        size_t len = strlen(key);
        if (len == 0 || len > 40 || text_norm_phrase_to(key, form, sizeof form) != len ||
            strcmp(form, key) != 0)
            validate_problem(v, f, "-", "answer_words: \"%.60s\" is not in phrase form (lower case, "
                             "no punctuation, at most 40 bytes)", key);
        if (!json_is_string(value) || json_string_length(value) == 0)
            validate_problem(v, f, "-", "answer_words: \"%.60s\" must stand for a non-empty text", key);
    }
}

static void check_command(validate_ctx *v, const char *f, size_t index, const json_t *cmd,
                          json_t *words_seen)
{
    char what[120];
    const char *name = json_string_value(json_object_get(cmd, "name"));
    if (!json_is_object(cmd) || !name || !*name) {
        validate_problem(v, f, "-", "command %zu needs an object with a name", index + 1);
        return;
    }
    snprintf(what, sizeof what, "command \"%.60s\"", name);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)cmd, key, value) {
        if (!has(command_fields, key) && !validate_is_comment(key))
            validate_problem(v, f, "-", "%s: unknown field \"%.60s\"", what, key);
    }
    char words_what[160];
    snprintf(words_what, sizeof words_what, "%s: words", what);
    const json_t *words = json_object_get(cmd, "words");
    if (validate_words(v, f, words_what, words, 1)) {
        size_t i;
        json_t *w;
        json_array_foreach(words, i, w) {
            char *norm = text_norm_command(json_string_value(w));
            if (!norm)
                return;
            const char *other = json_string_value(json_object_get(words_seen, norm));
            if (norm[0] == '!' || !*norm)
                validate_problem(v, f, "-", "%s: write the word \"%.40s\" without \"!\" or punctuation",
                                 what, norm);
            else if (other)
                validate_problem(v, f, "-", "%s: the word \"%.40s\" also belongs to \"%.60s\"",
                                 what, norm, other);
            else
                json_object_set_new(words_seen, norm, json_string(name));
            free(norm);
        }
    }
    snprintf(words_what, sizeof words_what, "%s: phrases", what);
    validate_words(v, f, words_what, json_object_get(cmd, "phrases"), 0);
    const json_t *dialog = json_object_get(cmd, "dialog");
    const json_t *action = json_object_get(cmd, "action");
    const json_t *reply = json_object_get(cmd, "reply");
    if (dialog && action)
        validate_problem(v, f, "-", "%s: give either a dialog or an action, not both", what);
    if (!dialog && !action && !reply)
        validate_problem(v, f, "-", "%s: needs a dialog, an action or a reply", what);
    if (dialog)
        validate_dialog_ref(v, f, what, dialog);
    if (json_is_string(action) && strcmp(json_string_value(action), "stop") == 0 && !reply)
        validate_problem(v, f, "-", "%s: the stop action needs a reply", what);
    if (action && !validate_is_action(json_string_value(action), 1))
        validate_problem(v, f, "-", "%s: unknown action \"%.40s\"", what,
                         json_string_value(action) ? json_string_value(action) : "?");
    if (reply) {
        char reply_what[160];
        snprintf(reply_what, sizeof reply_what, "%s: reply", what);
        validate_texts(v, f, "-", reply_what, reply, user_vars, NULL);
    }
    const json_t *argument = json_object_get(cmd, "argument");
    const char *kind = json_string_value(argument);
    if (argument && (!kind || (strcmp(kind, "text") != 0 && strcmp(kind, "topic") != 0)))
        validate_problem(v, f, "-", "%s: argument must be \"text\" or \"topic\"", what);
    const json_t *at = json_object_get(cmd, "argument_time");
    if (at) {
        static const char *const at_fields[] = {"before", "pm", NULL};
        if (!json_is_object(at) || !argument)
            validate_problem(v, f, "-", "%s: argument_time must be an object, on a command with an argument", what);
        else
            validate_keys(v, f, at, at_fields, "argument_time");
        for (size_t i = 0; json_is_object(at) && at_fields[i]; i++)
            validate_words(v, f, at_fields[i], json_object_get(at, at_fields[i]), 1);
    }
    if (json_is_true(json_object_get(cmd, "argument_zone")) && !argument)
        validate_problem(v, f, "-", "%s: argument_zone is for a command with an argument", what);
    const char *flags[] = {"group", "private", "exact", "greeting", "argument_zone", "asked_reads"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const json_t *flag = json_object_get(cmd, flags[i]);
        if (flag && !json_is_boolean(flag))
            validate_problem(v, f, "-", "%s: %s must be true or false", what, flags[i]);
    }
}

static void check_commands(validate_ctx *v, const char *f, const json_t *c)
{
    static const char *const required[] = {"fallback", "unknown", "group_private", "resume",
                                           "retry",    "no_consent", NULL};
    static const char *const fields[] = {"kind",  "first_contact", "fallback", "unknown",
                                         "group_private", "resume", "retry", "no_consent",
                                         "reset", "filler_words", "known_words", "commands",
                                         "skipped_answer", "skip_words", "unsure_words",
                                         "open_question_words", "skip", "yes_no_text",
                                         "retry_again", "retry_again_rating", "retry_leave",
                                         "agree_words", "first_command", "first_text",
                                         "first_text_waiting", "first_text_more", "group_continue", "listen", "fallback_again",
                                         "answer_words",
                                         "closing_words", "closing", "set_aside", "return",
                                         "return_dropped", "thinking_words", "retry_thinking", "retry_number",
                                         "nothing_next_words", "nothing_next", NULL};
    validate_keys(v, f, c, fields, "commands.json");
    for (size_t i = 0; required[i]; i++)
        validate_texts(v, f, "-", required[i], json_object_get(c, required[i]), user_vars, NULL);
    if (json_object_get(c, "reset"))
        validate_texts(v, f, "-", "reset", json_object_get(c, "reset"), user_vars, NULL);
    if (json_object_get(c, "nothing_next"))
        validate_texts(v, f, "-", "nothing_next", json_object_get(c, "nothing_next"), user_vars,
                       NULL);
    validate_words(v, f, "nothing_next_words", json_object_get(c, "nothing_next_words"), 0);
    const json_t *skipped = json_object_get(c, "skipped_answer");
    if (skipped && (!json_is_string(skipped) || json_string_length(skipped) == 0))
        validate_problem(v, f, "-", "skipped_answer must be one non-empty text");
    validate_dialog_ref(v, f, "first_contact", json_object_get(c, "first_contact"));
    if (json_object_get(c, "listen"))
        validate_dialog_ref(v, f, "listen", json_object_get(c, "listen"));
    if (json_object_get(c, "return"))
        validate_dialog_ref(v, f, "return", json_object_get(c, "return"));
    if (json_object_get(c, "return_dropped"))
        validate_texts(v, f, "-", "return_dropped", json_object_get(c, "return_dropped"), title_vars, NULL);
    validate_words(v, f, "filler_words", json_object_get(c, "filler_words"), 0);
    validate_words(v, f, "known_words", json_object_get(c, "known_words"), 0);
    check_answer_words(v, f, json_object_get(c, "answer_words"));
    static const char *const lists[] = {"skip_words", "unsure_words", "open_question_words",
                                        "agree_words", "closing_words", "thinking_words", NULL};
    for (size_t i = 0; lists[i]; i++)
        validate_words(v, f, lists[i], json_object_get(c, lists[i]), 0);
    static const char *const texts[] = {"skip",        "yes_no_text",   "retry_again",
                                        "retry_again_rating", "retry_leave", "first_command",
                                        "first_text",  "first_text_waiting", "first_text_more", "group_continue",
                                        "fallback_again", "closing", "set_aside", "retry_thinking", "retry_number", NULL};
    for (size_t i = 0; texts[i]; i++)
        if (json_object_get(c, texts[i]))
            validate_texts(v, f, "-", texts[i], json_object_get(c, texts[i]), user_vars, NULL);
    const json_t *list = json_object_get(c, "commands");
    if (!json_is_array(list) || json_array_size(list) == 0) {
        validate_problem(v, f, "-", "commands must be a non-empty list");
        return;
    }
    json_t *words_seen = json_object();
    if (!words_seen)
        return;
    size_t i;
    json_t *cmd;
    json_array_foreach(list, i, cmd) {
        check_command(v, f, i, cmd, words_seen);
    }
    json_decref(words_seen);
}

static void check_swaps(validate_ctx *v, const char *f, const char *what, const json_t *swaps,
                        int required)
{
    if (!swaps && !required)
        return;
    if (!json_is_object(swaps) || json_object_size(swaps) == 0) {
        validate_problem(v, f, "-", "%s must be an object of word: replacement", what);
        return;
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)swaps, key, value) {
        if (!*key || !json_is_string(value) || json_string_length(value) == 0)
            validate_problem(v, f, "-", "%s: \"%.40s\" needs a non-empty replacement", what, key);
    }
}

/* Texts that must each contain {var}. */
void validate_contains(validate_ctx *v, const char *f, const char *what, const json_t *texts,
                       const char *const *vars, const char *var)
{
    if (!validate_texts(v, f, "-", what, texts, vars, NULL))
        return;
    size_t n = json_is_array(texts) ? json_array_size(texts) : 1;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_is_array(texts) ? json_array_get(texts, i) : texts);
        if (s && !strstr(s, var))
            validate_problem(v, f, "-", "%s %zu must contain %s", what, i + 1, var);
    }
}

static void check_reflection(validate_ctx *v, const char *f, const json_t *r)
{
    static const char *const fields[] = {
        "kind",      "swaps",      "object_swaps", "feelings",         "negations",
        "clause_words", "linking_words", "lowercase_starts", "templates", "feeling_templates",
        "check",     "yes",        "no",           "correct",          "thanks",
        "hedges",    "hedge_not_before", "noncommittal", "pushback",      "questions",
        "correction_starts", "question_reply", "pushback_reply", "noncommittal_reply", "brief_reply",
        "heard_reply", "heard_feeling_reply", "laughs", "correction_leads", "question_starts",
        "heard_question", "closing_hedges", "asking_words", "question_swaps", "question_words", "leading_words", "leading_marked",
        "misheard_leads", "misheard", "misheard_plain", "others", "others_owners", "heard_options", "heard_ack",
        "thanks_leads", "heard_thanks",
        NULL};
    validate_keys(v, f, r, fields, "reflection.json");
    check_swaps(v, f, "swaps", json_object_get(r, "swaps"), 1);
    check_swaps(v, f, "object_swaps", json_object_get(r, "object_swaps"), 0);
    check_swaps(v, f, "question_swaps", json_object_get(r, "question_swaps"), 0);
    /* word lists, and whether one is required (a reflection needs feelings, yes and no) */
    static const struct {
        const char *name;
        int required;
    } lists[] = {{"question_words", 0}, {"leading_words", 0},    {"leading_marked", 0},
                 {"feelings", 1},
                 {"negations", 0},      {"clause_words", 0},     {"linking_words", 0},
                 {"lowercase_starts", 0}, {"yes", 1},            {"no", 1},
                 {"hedges", 0},         {"hedge_not_before", 0}, {"noncommittal", 0},
                 {"pushback", 0},       {"questions", 0},        {"correction_starts", 0},
                 {"laughs", 0},         {"correction_leads", 0}, {"question_starts", 0},
                 {"closing_hedges", 0}, {"asking_words", 0},     {"misheard_leads", 0},
                 {"others", 0},         {"others_owners", 0},    {"thanks_leads", 0}};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        validate_words(v, f, lists[i].name, json_object_get(r, lists[i].name), lists[i].required);
    validate_contains(v, f, "templates", json_object_get(r, "templates"), echo_vars, "{echo}");
    validate_contains(v, f, "feeling_templates", json_object_get(r, "feeling_templates"),
                   feeling_vars, "{feeling}");
    static const char *const texts[] = {"check", "correct", "thanks", NULL};
    for (size_t i = 0; texts[i]; i++)
        validate_texts(v, f, "-", texts[i], json_object_get(r, texts[i]), user_vars, NULL);
    static const char *const replies[] = {"question_reply", "pushback_reply", "noncommittal_reply",
                                          "heard_reply", "heard_question", "heard_options", "heard_ack",
        "thanks_leads", "heard_thanks", NULL};
    for (size_t i = 0; replies[i]; i++)
        if (json_object_get(r, replies[i]))
            validate_texts(v, f, "-", replies[i], json_object_get(r, replies[i]), user_vars, NULL);
    if (json_object_get(r, "misheard_leads")) { /* a lead needs both answers */
        validate_contains(v, f, "misheard", json_object_get(r, "misheard"), echo_vars, "{echo}");
        validate_texts(v, f, "-", "misheard_plain", json_object_get(r, "misheard_plain"), user_vars,
                       NULL);
    }
    if (json_object_get(r, "brief_reply"))
        validate_contains(v, f, "brief_reply", json_object_get(r, "brief_reply"), echo_vars, "{echo}");
    if (json_object_get(r, "heard_feeling_reply"))
        validate_contains(v, f, "heard_feeling_reply", json_object_get(r, "heard_feeling_reply"),
                       feeling_vars, "{feeling}");
}

/* Walks every string of a file: none longer than the text cap; with empty_too, none empty.
 * path names where the string sits ("states.intro.say[1]"); state is taken from it. */
static void walk_strings(validate_ctx *v, const char *f, const json_t *j, char *path, size_t len,
                         size_t cap, int empty_too, const char *state)
{
    if (json_is_string(j)) {
        if (json_string_length(j) > VALIDATE_TEXT_MAX)
            validate_problem(v, f, state, "text longer than %d bytes at %s", VALIDATE_TEXT_MAX, path);
        else if (empty_too && json_string_length(j) == 0)
            validate_problem(v, f, state, "empty text at %s", path);
        return;
    }
    if (json_is_array(j)) {
        size_t i;
        json_t *item;
        json_array_foreach(j, i, item) {
            int k = snprintf(path + len, cap - len, "[%zu]", i);
            size_t nlen = k > 0 && (size_t)k < cap - len ? len + (size_t)k : len;
            walk_strings(v, f, item, path, nlen, cap, empty_too, state);
            path[len] = '\0';
        }
    } else if (json_is_object(j)) {
        const char *key;
        json_t *item;
        int in_states = len == 6 && memcmp(path, "states", 6) == 0;
        json_object_foreach((json_t *)j, key, item) {
            int k = snprintf(path + len, cap - len, "%s%.60s", len ? "." : "", key);
            size_t nlen = k > 0 && (size_t)k < cap - len ? len + (size_t)k : len;
            const char *st = in_states ? key : state;
            walk_strings(v, f, item, path, nlen, cap, empty_too, st);
            path[len] = '\0';
        }
    }
}

static void walk_file(validate_ctx *v, const char *f, const json_t *root, int empty_too)
{
    char path[256] = "";
    walk_strings(v, f, root, path, 0, sizeof path, empty_too, "-");
}

void validate_data(validate_ctx *v)
{
    const char *kind;
    json_t *data;
    json_object_foreach((json_t *)v->data, kind, data) {
        const char *f = json_string_value(json_object_get(v->data_files, kind));
        if (strcmp(kind, "commands") == 0)
            check_commands(v, f, data);
        else if (strcmp(kind, "crisis") == 0)
            validate_crisis(v, f, data);
        else if (strcmp(kind, "reflection") == 0)
            check_reflection(v, f, data);
        else if (strcmp(kind, "exercises") == 0)
            validate_exercises(v, f, data);
        else if (strcmp(kind, "measures") == 0)
            validate_measures(v, f, data);
        else if (strcmp(kind, "views") == 0)
            validate_views(v, f, data);
        walk_file(v, f, data, strcmp(kind, "nudges") == 0 || strcmp(kind, "views") == 0);
    }
    const char *id;
    json_t *dialog;
    json_object_foreach((json_t *)v->dialogs, id, dialog) {
        walk_file(v, json_string_value(json_object_get(v->dialog_files, id)), dialog, 0);
    }
}
