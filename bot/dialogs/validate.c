/* validate.c — checks every dialog of a loaded set: fields and their types, targets of
 * next/call/dialog:, states no path reaches, states with no way out or no way to an end,
 * {variables} nothing saves, empty or oversized texts (which states are reached, lead out
 * and never loop without waiting: validate_graph.c). Also the helpers validate_data.c
 * shares. Field meanings are documented in dialogs/README.md. */
#include "validate.h"

#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Variables every dialog text may use without a state saving them. */
static const char *const builtin_vars[] = {"user", "answer", "reflection", "crisis_message",
                                           "abuse_message", "opening", "left_open", "heard", NULL};

/* Actions the router performs (engine.h SB_FX_ACTION, bot/actions.c); "stop" is done by
 * the engine and only exists as a command. */
static const char *const actions[] = {"journal", "progress", "export", "forget", "exercise",
                                      "nudge",   "timezone", "pause",  "resume", "focus", NULL};

static const char *const dialog_fields[] = {"kind",   "id",    "title",       "topic", "triggers",
                                            "start",  "states", "description", "group", "opener", NULL};
static const char *const state_fields[] = {"say",     "expect", "choices", "next",   "save",
                                           "journal", "reflect", "measure", "set",   "action",
                                           "call",    "retry",  "final",   "say_recent", "fresh", "followup",
                                           "say_unkept", "hear", "other", "crisis", "say_heard_one", "say_heard_none", "quote", "say_unsure",
                                           "opening", "unanswered", "skipped", NULL};
static const char *const choice_fields[] = {"label", "words", "next", "unsure", "own_words",
                                            "opening", "feelings", NULL};

void validate_problem(validate_ctx *v, const char *file, const char *state, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    v->problems++;
    if (v->report)
        v->report(v->ctx, file, state, msg);
}

static int in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

int validate_is_action(const char *action, int allow_stop)
{
    return action && (in_list(action, actions) ||
                      (allow_stop && (strcmp(action, "stop") == 0 || strcmp(action, "where") == 0)));
}

int validate_is_comment(const char *key)
{
    return key[0] == '_' || strcmp(key, "comment") == 0;
}

typedef struct var_check {
    validate_ctx *v;
    const char *file, *state, *what;
    const char *const *vars;
    const json_t *saved;
    int bad;
} var_check;

static int check_var(void *ctx, const char *name, size_t len)
{
    var_check *c = ctx;
    char buf[48];
    snprintf(buf, sizeof buf, "%.*s", (int)len, name);
    if (in_list(buf, c->vars) || (c->saved && json_object_get(c->saved, buf)))
        return 0;
    validate_problem(c->v, c->file, c->state,
                     "%s uses {%s}, which no state of this dialog saves and is no built-in",
                     c->what, buf);
    c->bad = 1;
    return 0;
}

static int check_one_text(validate_ctx *v, const char *file, const char *state, const char *what,
                          const json_t *s, var_check *vc)
{
    const char *text = json_string_value(s);
    if (!text) {
        validate_problem(v, file, state, "%s must be a text or a list of texts", what);
        return 0;
    }
    if (!*text) {
        validate_problem(v, file, state, "%s has an empty text", what);
        return 0;
    }
    text_each_var(text, check_var, vc);
    return !vc->bad;
}

int validate_texts(validate_ctx *v, const char *file, const char *state, const char *what,
                   const json_t *value, const char *const *vars, const json_t *saved)
{
    var_check vc = {v, file, state, what, vars, saved, 0};
    if (json_is_array(value)) {
        if (json_array_size(value) == 0) {
            validate_problem(v, file, state, "%s is an empty list: give at least one text", what);
            return 0;
        }
        int ok = 1;
        size_t i;
        json_t *s;
        json_array_foreach(value, i, s) {
            ok &= check_one_text(v, file, state, what, s, &vc);
        }
        return ok;
    }
    if (!value) {
        validate_problem(v, file, state, "missing %s", what);
        return 0;
    }
    return check_one_text(v, file, state, what, value, &vc);
}

static void check_fields(validate_ctx *v, const char *file, const char *state, const json_t *obj,
                         const char *const *known, const char *where)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value) {
        if (!in_list(key, known) && !validate_is_comment(key))
            validate_problem(v, file, state, "unknown field \"%.60s\" in %s", key, where);
    }
}

static int is_name(const char *s, const char *extra)
{
    if (!s || !*s || strlen(s) > 40)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr(extra, *p)))
            return 0;
    return 1;
}

/* One dialog's context while it is checked. */
typedef struct dialog_check {
    validate_ctx *v;
    const char *file;
    const json_t *states;
    json_t *saved; /* names any state saves */
} dialog_check;

/* Checks a next/choice target; returns 1 when it is a state of this dialog. */
static int check_target(dialog_check *c, const char *state, const char *what, const json_t *t)
{
    const char *target = json_string_value(t);
    if (!target || !*target) {
        validate_problem(c->v, c->file, state, "%s must name a state or dialog:ID", what);
        return 0;
    }
    if (strncmp(target, "dialog:", 7) == 0) {
        if (!json_object_get(c->v->dialogs, target + 7))
            validate_problem(c->v, c->file, state, "%s leads to dialog \"%.80s\", which does not exist",
                             what, target + 7);
        return 0;
    }
    if (!json_object_get(c->states, target)) {
        validate_problem(c->v, c->file, state, "%s leads to state \"%.80s\", which does not exist",
                         what, target);
        return 0;
    }
    return 1;
}

const char *validate_expect_of(const json_t *st)
{
    const char *e = json_string_value(json_object_get(st, "expect"));
    return e ? e : "none";
}

/* 1 when choice ch of st leads to a state of this dialog that expects text. */
static int leads_to_text(dialog_check *c, const json_t *st, const json_t *ch)
{
    const char *next = json_string_value(json_object_get(ch, "next"));
    if (!next)
        next = json_string_value(json_object_get(st, "next"));
    if (next && strncmp(next, "dialog:", 7) == 0) {
        /* another dialog whose start menu has an own words choice of its own: the same
         * words answer both (flow_own_words) */
        const json_t *d = json_object_get(c->v->dialogs, next + 7);
        const json_t *states = json_object_get(d, "states");
        const json_t *start = json_object_get(states, json_string_value(json_object_get(d, "start")));
        size_t i;
        const json_t *other;
        json_array_foreach(json_object_get(start, "choices"), i, other) {
            if (!json_is_true(json_object_get(other, "own_words")))
                continue;
            dialog_check there = {c->v, c->file, states, NULL};
            const char *then = json_string_value(json_object_get(other, "next"));
            return strcmp(validate_expect_of(start), "choice") == 0 &&
                   (!then || strncmp(then, "dialog:", 7) != 0) && /* one step, no further */
                   leads_to_text(&there, start, other);
        }
        return 0;
    }
    const json_t *target = next ? json_object_get(c->states, next) : NULL;
    return target && strcmp(validate_expect_of(target), "text") == 0;
}

static void check_choices(dialog_check *c, const char *name, const json_t *st)
{
    const json_t *choices = json_object_get(st, "choices");
    int is_choice = strcmp(validate_expect_of(st), "choice") == 0;
    if (!is_choice) {
        if (choices)
            validate_problem(c->v, c->file, name, "choices only work with expect \"choice\"");
        return;
    }
    if (!json_is_array(choices) || json_array_size(choices) == 0) {
        validate_problem(c->v, c->file, name, "a choice state needs a non-empty list of choices");
        return;
    }
    size_t i;
    json_t *ch;
    json_array_foreach(choices, i, ch) {
        char what[64];
        snprintf(what, sizeof what, "choice %zu", i + 1);
        if (!json_is_object(ch)) {
            validate_problem(c->v, c->file, name, "%s must be an object with a label", what);
            continue;
        }
        check_fields(c->v, c->file, name, ch, choice_fields, what);
        const json_t *unsure = json_object_get(ch, "unsure");
        if (unsure && !json_is_boolean(unsure))
            validate_problem(c->v, c->file, name, "%s: unsure must be true or false", what);
        const json_t *own = json_object_get(ch, "own_words");
        if (own && !json_is_boolean(own))
            validate_problem(c->v, c->file, name, "%s: own_words must be true or false", what);
        if (json_is_true(own) && !leads_to_text(c, st, ch))
            validate_problem(c->v, c->file, name, "%s: own_words needs a next state of this dialog that expects text, or a dialog whose start menu takes own words", what);
        static const char *const own_flags[] = {"opening", "feelings", NULL};
        for (const char *const *f = own_flags; *f; f++) {
            const json_t *flag = json_object_get(ch, *f);
            if (flag && !json_is_boolean(flag))
                validate_problem(c->v, c->file, name, "%s: %s must be true or false", what, *f);
            else if (flag && !json_is_true(own))
                validate_problem(c->v, c->file, name, "%s: %s is only for the own_words choice", what, *f);
        }
        const json_t *label = json_object_get(ch, "label");
        if (!json_is_string(label) || json_string_length(label) == 0)
            validate_problem(c->v, c->file, name, "%s has an empty or missing label", what);
        const json_t *words = json_object_get(ch, "words");
        size_t k;
        json_t *w;
        if (words && !json_is_array(words))
            validate_problem(c->v, c->file, name, "%s: words must be a list of texts", what);
        json_array_foreach(words, k, w) {
            if (!json_is_string(w) || json_string_length(w) == 0)
                validate_problem(c->v, c->file, name, "%s has an empty word", what);
        }
        if (json_object_get(ch, "next"))
            check_target(c, name, what, json_object_get(ch, "next"));
        else if (!json_object_get(st, "next"))
            validate_problem(c->v, c->file, name, "%s leads nowhere: give it (or the state) a next",
                             what);
    }
}

static void check_set(dialog_check *c, const char *name, const json_t *set)
{
    if (!json_is_object(set) || json_object_size(set) == 0) {
        validate_problem(c->v, c->file, name, "set must be an object of settings, e.g. {\"consent\": \"yes\"}");
        return;
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)set, key, value) {
        const char *s = json_string_value(value);
        if (!s || !*s)
            validate_problem(c->v, c->file, name, "set: %.60s must be a non-empty text", key);
        else if (strcmp(key, "consent") == 0 && strcmp(s, "yes") != 0 && strcmp(s, "no") != 0)
            validate_problem(c->v, c->file, name, "set: consent must be \"yes\" or \"no\"");
    }
}

/* A state with "crisis" hands over to the crisis answer of a category (true: the last one
 * answered): it says, waits for and leads to nothing itself. */
static void check_crisis_state(dialog_check *c, const char *name, const json_t *st)
{
    static const char *const alone[] = {"say", "expect", "choices", "next", "call", "final",
                                        "other", "retry", NULL};
    const json_t *crisis = json_object_get(st, "crisis");
    for (size_t i = 0; alone[i]; i++)
        if (json_object_get(st, alone[i]))
            validate_problem(c->v, c->file, name,
                             "a crisis state hands over to the crisis answer: remove %s",
                             alone[i]);
    if (json_is_true(crisis))
        return;
    const char *id = json_string_value(crisis);
    const json_t *categories = json_object_get(json_object_get(c->v->data, "crisis"), "categories");
    int found = 0;
    size_t i;
    json_t *category;
    json_array_foreach(categories, i, category) {
        const char *cid = json_string_value(json_object_get(category, "id"));
        found |= id && cid && strcmp(id, cid) == 0;
    }
    if (!found)
        validate_problem(c->v, c->file, name,
                         "crisis must be true or the id of a category of crisis.json");
}

static void check_state(dialog_check *c, const char *name, const json_t *st)
{
    validate_ctx *v = c->v;
    const char *f = c->file;
    if (!json_is_object(st)) {
        validate_problem(v, f, name, "a state must be an object {...}");
        return;
    }
    check_fields(v, f, name, st, state_fields, "a state");
    const json_t *expect = json_object_get(st, "expect");
    const char *e = validate_expect_of(st);
    int known = strcmp(e, "none") == 0 || strcmp(e, "choice") == 0 || strcmp(e, "text") == 0 ||
                strcmp(e, "rating") == 0;
    if (!known || (expect && !json_is_string(expect)))
        validate_problem(v, f, name, "unknown expect \"%.40s\" (choice, text, rating or none)", e);
    int waits = strcmp(e, "none") != 0;
    int is_final = json_is_true(json_object_get(st, "final"));
    const json_t *crisis = json_object_get(st, "crisis");
    const json_t *say = json_object_get(st, "say");
    if (crisis)
        check_crisis_state(c, name, st);
    else if (say || waits || !(json_object_get(st, "call") || json_object_get(st, "action") || is_final))
        validate_texts(v, f, name, "say", say, builtin_vars, c->saved);
    if (json_object_get(st, "retry"))
        validate_texts(v, f, name, "retry", json_object_get(st, "retry"), builtin_vars, c->saved);
    if (json_object_get(st, "say_recent") && !say)
        validate_problem(v, f, name, "say_recent needs a say for other times");
    if (json_object_get(st, "say_recent"))
        validate_texts(v, f, name, "say_recent", json_object_get(st, "say_recent"), builtin_vars,
                       c->saved);
    const json_t *opening = json_object_get(st, "opening");
    if (opening && (!json_is_boolean(opening) || strcmp(e, "text") != 0))
        validate_problem(v, f, name, "opening must be true or false, on a text state");
    const json_t *quote = json_object_get(st, "quote");
    if (quote && (!json_is_boolean(quote) || strcmp(e, "text") != 0))
        validate_problem(v, f, name, "quote must be true or false, on a text state");
    if (json_object_get(st, "say_unsure") && !say)
        validate_problem(v, f, name, "say_unsure needs a say for other answers");
    if (json_object_get(st, "say_unsure"))
        validate_texts(v, f, name, "say_unsure", json_object_get(st, "say_unsure"),
                       builtin_vars, c->saved);
    if (json_object_get(st, "say_heard_one") && !say)
        validate_problem(v, f, name, "say_heard_one needs a say for more than one");
    if (json_object_get(st, "say_heard_one"))
        validate_texts(v, f, name, "say_heard_one", json_object_get(st, "say_heard_one"),
                       builtin_vars, c->saved);
    if (json_object_get(st, "say_heard_none") && !say)
        validate_problem(v, f, name, "say_heard_none needs a say for what was heard");
    if (json_object_get(st, "say_heard_none"))
        validate_texts(v, f, name, "say_heard_none", json_object_get(st, "say_heard_none"),
                       builtin_vars, c->saved);
    check_choices(c, name, st);
    if (json_object_get(st, "next"))
        check_target(c, name, "next", json_object_get(st, "next"));
    const json_t *skipped = json_object_get(st, "skipped");
    if (skipped && (!json_is_string(skipped) || json_string_length(skipped) == 0 ||
                    !json_object_get(st, "save")))
        validate_problem(v, f, name, "skipped must be a non-empty text, on a state that saves");
    const json_t *unanswered = json_object_get(st, "unanswered");
    if (unanswered && (strcmp(e, "choice") != 0 ||
                       json_integer_value(json_object_get(unanswered, "after")) < 1 ||
                       !json_is_string(json_object_get(unanswered, "next"))))
        validate_problem(v, f, name, "unanswered needs expect \"choice\", after (1 or more) and next");
    else if (unanswered)
        check_target(c, name, "unanswered", json_object_get(unanswered, "next"));
    if (json_object_get(st, "other") && strcmp(e, "choice") != 0)
        validate_problem(v, f, name, "other only works with expect \"choice\"");
    else if (json_object_get(st, "other"))
        check_target(c, name, "other", json_object_get(st, "other"));

    const json_t *call = json_object_get(st, "call");
    if (call) {
        const char *id = json_string_value(call);
        if (!id || !json_object_get(v->dialogs, id))
            validate_problem(v, f, name, "call: dialog \"%.80s\" does not exist", id ? id : "?");
        if (!json_object_get(st, "next"))
            validate_problem(v, f, name, "a state that calls another dialog needs next");
        if (waits)
            validate_problem(v, f, name, "a state that calls another dialog cannot also expect an answer");
    }
    const json_t *followup = json_object_get(st, "followup");
    if (followup) {
        const json_t *target = json_is_string(followup)
                                   ? json_object_get(c->states, json_string_value(followup)) : NULL;
        if (!target || strcmp(validate_expect_of(target), "text") != 0)
            validate_problem(v, f, name, "followup must name a state of this dialog that expects text");
    }
    if (json_object_get(st, "hear"))
        validate_texts(v, f, name, "hear", json_object_get(st, "hear"), builtin_vars, c->saved);
    if (json_object_get(st, "say_unkept"))
        validate_texts(v, f, name, "say_unkept", json_object_get(st, "say_unkept"), builtin_vars, NULL);
    if (json_object_get(st, "fresh") && !json_is_boolean(json_object_get(st, "fresh")))
        validate_problem(v, f, name, "fresh must be true or false");
    if (json_object_get(st, "final") && !json_is_boolean(json_object_get(st, "final")))
        validate_problem(v, f, name, "final must be true or false");
    if (is_final && (waits || json_object_get(st, "next") || call))
        validate_problem(v, f, name, "a final state ends the dialog: remove expect, next and call");
    if (!is_final && !crisis && !json_object_get(st, "next") && !json_object_get(st, "choices"))
        validate_problem(v, f, name, "not final and no way out: add next (or final: true)");

    const json_t *save = json_object_get(st, "save");
    if (save) {
        const char *s = json_string_value(save);
        if (!is_name(s, "_"))
            validate_problem(v, f, name, "save must be a name of lowercase letters, digits and _");
        else if (in_list(s, builtin_vars))
            validate_problem(v, f, name, "save: {%s} is a built-in variable, pick another name", s);
        if (!waits)
            validate_problem(v, f, name, "save needs expect choice, text or rating");
    }
    const json_t *journal = json_object_get(st, "journal");
    if (journal) {
        if (!json_is_string(journal) || json_string_length(journal) == 0)
            validate_problem(v, f, name, "journal must be a non-empty text (the entry's prompt)");
        if (strcmp(e, "text") != 0)
            validate_problem(v, f, name, "journal only works with expect \"text\"");
    }
    const json_t *reflect = json_object_get(st, "reflect");
    if (reflect) {
        int echo = json_is_string(reflect) && strcmp(json_string_value(reflect), "echo") == 0;
        if (!json_is_boolean(reflect) && !echo)
            validate_problem(v, f, name, "reflect must be true, false or \"echo\"");
        if ((json_is_true(reflect) || echo) && strcmp(e, "text") != 0)
            validate_problem(v, f, name, "reflect only works with expect \"text\"");
        if ((json_is_true(reflect) || echo) && !json_object_get(v->data, "reflection"))
            validate_problem(v, f, name, "reflect needs reflection.json");
    }
    const json_t *measure = json_object_get(st, "measure");
    if (measure) {
        const char *m = json_string_value(measure);
        if (strcmp(e, "rating") != 0)
            validate_problem(v, f, name, "measure only works with expect \"rating\"");
        const json_t *measures = json_object_get(json_object_get(v->data, "measures"), "measures");
        int found = 0;
        size_t i;
        json_t *item;
        json_array_foreach(measures, i, item) {
            const char *id = json_string_value(json_object_get(item, "id"));
            found |= m && id && strcmp(id, m) == 0;
        }
        if (!m)
            validate_problem(v, f, name, "measure must be a text naming a measure");
        else if (json_object_get(v->data, "measures") && !found)
            validate_problem(v, f, name, "unknown measure \"%.60s\" (not in measures.json)", m);
    }
    if (json_object_get(st, "set"))
        check_set(c, name, json_object_get(st, "set"));
    const json_t *action = json_object_get(st, "action");
    if (action && !validate_is_action(json_string_value(action), 0))
        validate_problem(v, f, name, "unknown action \"%.40s\"", json_string_value(action) ? json_string_value(action) : "?");
}

/* The state graph of one dialog, for the path checks. */
static void check_dialog(validate_ctx *v, const char *id, const json_t *dialog)
{
    dialog_check c = {v, json_string_value(json_object_get(v->dialog_files, id)), NULL, NULL};
    const char *f = c.file;
    check_fields(v, f, "-", dialog, dialog_fields, "the dialog");
    if (!is_name(id, "-"))
        validate_problem(v, f, "-", "id must be lowercase letters, digits and dashes");
    const json_t *title = json_object_get(dialog, "title");
    if (!json_is_string(title) || json_string_length(title) == 0)
        validate_problem(v, f, "-", "missing title");
    if (json_object_get(dialog, "group") && !json_is_boolean(json_object_get(dialog, "group")))
        validate_problem(v, f, "-", "group must be true or false");
    if (json_object_get(dialog, "opener") && !json_is_boolean(json_object_get(dialog, "opener")))
        validate_problem(v, f, "-", "opener must be true or false");
    const json_t *topic = json_object_get(dialog, "topic");
    if (topic) {
        const char *t = json_string_value(topic);
        const json_t *ex = json_object_get(v->data, "exercises");
        int found = 0;
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(ex, "topics"), i, item) {
            const char *tid = json_string_value(json_object_get(item, "id"));
            found |= t && tid && strcmp(t, tid) == 0;
        }
        if (!t || (ex && !found))
            validate_problem(v, f, "-", "unknown topic \"%.60s\" (not in exercises.json)", t ? t : "?");
    }
    const json_t *triggers = json_object_get(dialog, "triggers");
    if (triggers) {
        size_t i;
        json_t *t;
        if (!json_is_array(triggers))
            validate_problem(v, f, "-", "triggers must be a list of phrases");
        json_array_foreach(triggers, i, t) {
            if (!json_is_string(t) || json_string_length(t) == 0)
                validate_problem(v, f, "-", "triggers has an empty phrase");
        }
    }
    c.states = json_object_get(dialog, "states");
    if (!json_is_object(c.states) || json_object_size(c.states) == 0) {
        validate_problem(v, f, "-", "missing states: a dialog needs at least one state");
        return;
    }
    const char *start = json_string_value(json_object_get(dialog, "start"));
    if (!start)
        validate_problem(v, f, "-", "missing start: name the state the dialog begins in");
    else if (!json_object_get(c.states, start))
        validate_problem(v, f, "-", "start leads to state \"%.80s\", which does not exist", start);

    c.saved = json_object();
    if (!c.saved)
        return;
    const char *name;
    json_t *st;
    json_object_foreach((json_t *)c.states, name, st) {
        const char *s = json_string_value(json_object_get(st, "save"));
        if (s)
            json_object_set_new(c.saved, s, json_true());
    }
    json_object_foreach((json_t *)c.states, name, st) {
        check_state(&c, name, st);
    }
    if (start && json_object_get(c.states, start))
        validate_graph(v, c.file, c.states, start);
    json_decref(c.saved);
}

void validate_dialogs(validate_ctx *v)
{
    const char *id;
    json_t *dialog;
    json_object_foreach((json_t *)v->dialogs, id, dialog) {
        check_dialog(v, id, dialog);
    }
}
