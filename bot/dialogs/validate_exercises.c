/* validate_exercises.c — the checks of exercises.json (topics, exercises, their steps and
 * the guided flow's texts) and measures.json (validate.h). */
#include "validate.h"

#include <stdio.h>
#include <string.h>

static const char *const no_vars[] = {NULL};
static const char *const title_vars[] = {"title", NULL};
static const char *const feeling_vars[] = {"feeling", NULL};
static const char *const echo_vars[] = {"echo", NULL};
static const char *const intro_vars[] = {"title", "minutes", NULL};
static const char *const progress_vars[] = {"title", "step", "steps", NULL};

/* Checks a list of objects with unique "id"s and the given text fields; collects the ids. */
static void check_items(validate_ctx *v, const char *f, const char *what, const json_t *list,
                        const char *const *fields, json_t *ids)
{
    if (!json_is_array(list) || json_array_size(list) == 0) {
        validate_problem(v, f, "-", "%s must be a non-empty list", what);
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        const char *id = json_string_value(json_object_get(item, "id"));
        if (!json_is_object(item) || !id || !*id) {
            validate_problem(v, f, "-", "%s: entry %zu needs an id", what, i + 1);
            continue;
        }
        if (json_object_get(ids, id))
            validate_problem(v, f, "-", "%s: duplicate id \"%.60s\"", what, id);
        json_object_set_new(ids, id, json_true());
        for (size_t k = 0; fields[k]; k++) {
            char field_what[160];
            snprintf(field_what, sizeof field_what, "%s \"%.60s\": %s", what, id, fields[k]);
            validate_texts(v, f, "-", field_what, json_object_get(item, fields[k]), no_vars, NULL);
        }
    }
}

void validate_exercises(validate_ctx *v, const char *f, const json_t *e)
{
    static const char *const topic_fields[] = {"title", "description", NULL};
    static const char *const exercise_fields[] = {"title", NULL};
    static const char *const fields[] = {"kind", "flow", "topics", "exercises", NULL};
    static const char *const flow_fields[] = {"intro",      "hint",      "how",       "thanks",
                                              "next_words", "how_again", "why_words",
                                              "in_progress", "followup_intro", "another_words",
                                              "another", "hard_words", "hard", "comment",
                                              "comment_feeling", "comment_more", "comment_echo", "decline_words",
                                              "decline", "group_intro",
                                              "group_outro", "followup_report",
                                              NULL};
    static const char *const topic_keys[] = {"id", "title", "description", "intents", NULL};
    static const char *const exercise_keys[] = {"id",    "topic",    "title", "minutes",
                                                "steps", "followup", "why",   NULL};
    validate_keys(v, f, e, fields, "exercises.json");
    size_t k;
    json_t *item;
    json_array_foreach(json_object_get(e, "topics"), k, item) {
        validate_keys(v, f, item, topic_keys, "a topic");
        validate_words(v, f, "a topic's intents", json_object_get(item, "intents"), 0);
    }
    json_array_foreach(json_object_get(e, "exercises"), k, item) {
        validate_keys(v, f, item, exercise_keys, "an exercise");
    }
    if (json_object_get(e, "flow"))
        validate_keys(v, f, json_object_get(e, "flow"), flow_fields, "flow");
    json_t *topics = json_object(), *ids = json_object();
    if (!topics || !ids)
        goto done;
    check_items(v, f, "topics", json_object_get(e, "topics"), topic_fields, topics);
    const json_t *list = json_object_get(e, "exercises");
    check_items(v, f, "exercises", list, exercise_fields, ids);
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        const char *id = json_string_value(json_object_get(x, "id"));
        if (!id)
            continue;
        char what[120];
        snprintf(what, sizeof what, "exercise \"%.60s\"", id);
        const char *topic = json_string_value(json_object_get(x, "topic"));
        if (!topic || !json_object_get(topics, topic))
            validate_problem(v, f, "-", "%s: unknown topic \"%.60s\"", what, topic ? topic : "?");
        const json_t *minutes = json_object_get(x, "minutes");
        if (!json_is_integer(minutes) || json_integer_value(minutes) < 1 ||
            json_integer_value(minutes) > 240)
            validate_problem(v, f, "-", "%s: minutes must be a whole number from 1 to 240", what);
        const json_t *steps = json_object_get(x, "steps");
        char steps_what[160];
        snprintf(steps_what, sizeof steps_what, "%s: steps", what);
        if (!json_is_array(steps))
            validate_problem(v, f, "-", "%s must be a list of texts", steps_what);
        else
            validate_texts(v, f, "-", steps_what, steps, no_vars, NULL);
        static const char *const optional[] = {"followup", "why", NULL};
        for (size_t k = 0; optional[k]; k++) {
            if (!json_object_get(x, optional[k]))
                continue;
            snprintf(steps_what, sizeof steps_what, "%s: %s", what, optional[k]);
            validate_texts(v, f, "-", steps_what, json_object_get(x, optional[k]), no_vars, NULL);
        }
    }
    /* The texts the exercise flow says are required: the engine has no words of its own. */
    const json_t *flow = json_object_get(e, "flow");
    static const struct {
        const char *name;
        const char *const *vars;
        int required;
    } flow_texts[] = {
        {"intro", intro_vars, 1},          {"hint", no_vars, 1},
        {"how", no_vars, 1},               {"thanks", no_vars, 1},
        {"how_again", no_vars, 1},         {"in_progress", progress_vars, 1},
        {"group_intro", intro_vars, 0},    {"followup_report", title_vars, 0},
        {"followup_intro", title_vars, 0}, {"another", no_vars, 0},
        {"hard", no_vars, 0},              {"comment", no_vars, 0},
        {"group_outro", no_vars, 0},       {"comment_feeling", feeling_vars, 0},
        {"comment_more", no_vars, 0},      {"comment_echo", echo_vars, 0},
        {"decline", no_vars, 0},
    };
    for (size_t k = 0; k < sizeof flow_texts / sizeof flow_texts[0]; k++) {
        char what[64];
        snprintf(what, sizeof what, "flow: %s", flow_texts[k].name);
        const json_t *text = json_object_get(flow, flow_texts[k].name);
        if (text || flow_texts[k].required)
            validate_texts(v, f, "-", what, text, flow_texts[k].vars, NULL);
    }
    validate_words(v, f, "flow: next_words", json_object_get(flow, "next_words"), 1);
    validate_words(v, f, "flow: another_words", json_object_get(flow, "another_words"), 0);
    validate_words(v, f, "flow: hard_words", json_object_get(flow, "hard_words"), 0);
    validate_words(v, f, "flow: decline_words", json_object_get(flow, "decline_words"), 0);
    validate_words(v, f, "flow: why_words", json_object_get(flow, "why_words"), 0);
done:
    json_decref(topics);
    json_decref(ids);
}

void validate_measures(validate_ctx *v, const char *f, const json_t *m)
{
    static const char *const fields[] = {"label", NULL};
    static const char *const keys[] = {"kind", "measures", NULL};
    static const char *const measure_keys[] = {"id", "label", "low", "high", NULL};
    validate_keys(v, f, m, keys, "measures.json");
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(m, "measures"), i, item) {
        validate_keys(v, f, item, measure_keys, "a measure");
    }
    json_t *ids = json_object();
    if (ids)
        check_items(v, f, "measures", json_object_get(m, "measures"), fields, ids);
    json_decref(ids);
}
