/* flow.c — runs dialogs (flow.h): entering states and following those that do not wait
 * (say-only, call, final, dialog:ID), the answers to choice, text and rating states, the
 * reflect-and-check exchange. What a waiting question waits for, and asking it again (after
 * a miss, on resume), is flow_ask.c's. States change only through go_to() and enter(). The
 * state's JSON shape is documented in person.h. */
#include "flow.h"

#include "answer.h"
#include "choose.h"
#include "exercise.h"
#include "match.h"
#include "person.h"
#include "reflect.h"
#include "route.h"
#include "safety.h"
#include "sb.h"
#include "sb_json.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY_MAX 64 /* states entered in one step before it counts as a loop */

const char *flow_expect_of(const json_t *st)
{
    const char *e = sb_json_str(st, "expect");
    return e ? e : "none";
}

const json_t *flow_state_of(turn *t, const json_t *frame)
{
    const json_t *dialog = dialogs_dialog(t->d, sb_json_str(frame, "dialog"));
    const char *name = sb_json_str(frame, "state");
    return name ? json_object_get(json_object_get(dialog, "states"), name) : NULL;
}

json_t *flow_vars(turn *t, json_t *frame)
{
    json_t *vars = json_object_get(frame, "vars");
    if (!json_is_object(vars)) {
        vars = json_object();
        turn_set(t, frame, "vars", vars);
    }
    return vars;
}

void flow_keep(turn *t, json_t *frame, const char *name, json_t *value)
{
    json_t *vars = flow_vars(t, frame);
    if (!value) {
        turn_fail(t, SB_ENOMEM);
        return;
    }
    if (json_object_get(dialogs_used_vars(t->d, sb_json_str(frame, "dialog")), name)) {
        turn_set(t, vars, name, value);
        return;
    }
    json_decref(value);
    json_object_del(vars, name);
}

/* A fresh frame for dialog id at its start; {answer} is arg when given. */
static json_t *dialog_frame(turn *t, const char *id, const char *arg, int called)
{
    const char *start = sb_json_str(dialogs_dialog(t->d, id), "start");
    json_t *frame = json_pack("{s:s, s:s, s:{}}", "dialog", id, "state", start ? start : "", "vars");
    if (frame && called)
        turn_set(t, frame, "called", json_true());
    if (frame && arg)
        flow_keep(t, frame, "answer", turn_var_said(t, arg));
    return frame;
}

/* --- saying things --- */

/* text (owned; NULL means ENOMEM) and, for a choice state, the numbered choices under it,
 * as one reply; nothing when both are empty. */
void flow_say_with_choices(turn *t, const json_t *st, char *text)
{
    sb_buf b = {0};
    int rc = text ? sb_buf_puts(&b, text) : SB_ENOMEM;
    free(text);
    if (strcmp(flow_expect_of(st), "choice") == 0 && !t->scratch) {
        size_t i;
        json_t *ch;
        const json_t *each_list = json_object_get(st, "choices");
        json_array_foreach(each_list, i, ch) {
            if (rc == SB_OK)
                rc = sb_buf_printf(&b, "%s%zu. %s", i == 0 ? (b.len ? "\n\n" : "") : "\n", i + 1,
                                   sb_json_str(ch, "label") ? sb_json_str(ch, "label") : "");
        }
    }
    if (rc != SB_OK) {
        sb_buf_free(&b);
        turn_fail(t, SB_ENOMEM);
        return;
    }
    if (b.len == 0) {
        sb_buf_free(&b);
        return;
    }
    turn_reply_owned(t, sb_buf_take(&b));
}

/* 1 when the listening summary {heard} holds a single line (answer.c keeps it as "\n- "
 * items). */
static int heard_one(turn *t, json_t *frame)
{
    const char *heard = sb_json_str(flow_vars(t, frame), "heard");
    return heard && strstr(heard, "\n- ") == heard && !strstr(heard + 1, "\n- ");
}

/* 1 when nothing was kept for the listening summary {heard} (every answer passed over). */
static int heard_none(turn *t, json_t *frame)
{
    const char *heard = sb_json_str(flow_vars(t, frame), "heard");
    return !heard || !strstr(heard, "\n- ");
}

/* A state's "say" (or its retry), with the numbered choices under it for a choice state. */
void flow_say_state(turn *t, json_t *frame, const json_t *st, int retry)
{
    char key[200];
    snprintf(key, sizeof key, "%.90s/%.90s%s", sb_json_str(frame, "dialog"), sb_json_str(frame, "state"),
             retry ? "/retry" : "");
    const json_t *texts = json_object_get(st, retry ? "retry" : "say");
    if (retry && !texts)
        texts = json_object_get(dialogs_data(t->d, "commands"), "retry");
    if (!retry && json_is_true(json_object_get(frame, "unkept")) && json_object_get(st, "say_unkept")) {
        texts = json_object_get(st, "say_unkept"); /* their words were not kept */
        snprintf(key, sizeof key, "%.90s/%.90s/unkept", sb_json_str(frame, "dialog"), sb_json_str(frame, "state"));
    } else if (!retry && json_object_get(st, "say_heard_none") && heard_none(t, frame)) {
        texts = json_object_get(st, "say_heard_none"); /* no empty "what I'm taking from all that" */
        snprintf(key, sizeof key, "%.90s/%.90s/heard_none", sb_json_str(frame, "dialog"), sb_json_str(frame, "state"));
    } else if (!retry && json_object_get(st, "say_heard_one") && heard_one(t, frame)) {
        texts = json_object_get(st, "say_heard_one"); /* no "gather up" of a single line */
        snprintf(key, sizeof key, "%.90s/%.90s/heard_one", sb_json_str(frame, "dialog"), sb_json_str(frame, "state"));
    } else if (!retry && t->unsure && json_object_get(st, "say_unsure")) {
        texts = json_object_get(st, "say_unsure"); /* no "you're saying it straight" to "idk" */
        snprintf(key, sizeof key, "%.90s/%.90s/unsure", sb_json_str(frame, "dialog"), sb_json_str(frame, "state"));
    } else if (!retry && t->recent && json_object_get(st, "say_recent")) {
        texts = json_object_get(st, "say_recent"); /* no "glad you came back" minutes later */
        snprintf(key, sizeof key, "%.90s/%.90s/recent", sb_json_str(frame, "dialog"), sb_json_str(frame, "state"));
    }
    if (!texts && !json_object_get(st, "choices"))
        return;
    flow_say_with_choices(t, st, texts ? turn_render(t, key, texts, flow_vars(t, frame)) : sb_strdup(""));
}

/* --- moving between states --- */

void flow_reset(turn *t)
{
    json_array_clear(turn_stack(t));
}

/* Points frame at target: a state of its dialog, or "dialog:ID" (a new run there). */
static void go_to(turn *t, json_t *frame, const char *target)
{
    json_object_del(frame, "reflect");
    json_object_del(frame, "pending");
    json_object_del(frame, "reflection");
    json_object_del(frame, "nudged");
    json_object_del(frame, "misses");
    if (target && strncmp(target, "dialog:", 7) == 0) {
        const char *start = sb_json_str(dialogs_dialog(t->d, target + 7), "start");
        turn_set(t, frame, "dialog", json_string(target + 7));
        turn_set(t, frame, "state", json_string(start ? start : ""));
        turn_set(t, frame, "vars", json_object());
        json_object_del(frame, "told");
        return;
    }
    turn_set(t, frame, "state", json_string(target ? target : ""));
}

/* Pops the finished top frame. Returns 1 when the frame below goes on (it had called the
 * finished one), 0 when the step is done: idle, or an interrupted dialog was resumed.
 * A dialog of crisis.json (a safety plan, the direct question, ...) resumes nothing: after
 * it, going back to an exercise or a self-check would be jarring, so what it interrupted
 * is dropped (the person can start it again). With quiet, an interrupted dialog waits on
 * without being said again. */
static int finish(turn *t, int quiet)
{
    json_t *done = turn_pop(t);
    int called = json_is_true(json_object_get(done, "called"));
    int after_crisis = !called && safety_is_own(t->d, sb_json_str(done, "dialog"));
    json_decref(done);
    if (after_crisis) {
        flow_reset(t);
        return 0;
    }
    json_t *top = turn_top(t);
    if (!top)
        return 0;
    if (called && json_object_get(top, "dialog")) {
        go_to(t, top, sb_json_str(flow_state_of(t, top), "next"));
        return 1;
    }
    if (!quiet)
        flow_resume(t);
    return 0;
}

static void apply_settings(turn *t, const json_t *st)
{
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(st, "set"), key, value) {
        const char *v = json_string_value(value);
        if (!v)
            continue;
        if (strcmp(key, "consent") == 0 && person_set_consent(t->state, v) == SB_ENOMEM)
            turn_fail(t, SB_ENOMEM);
        turn_effect(t, SB_FX_SETTING, key, v, 0);
    }
}

static void answer_dialog(turn *t, json_t *frame);

/* A state with "followup": the person planned something; the state named there asks how it
 * went on their next conversation (exercise.c asks pending follow-ups). The frame's
 * variables go with it only with consent (design.md invariant 6); without, the question is
 * asked in its "say_unkept" words. Replaces an older pending follow-up. */
static void remember_followup(turn *t, json_t *frame, const char *target)
{
    int keep = person_consents(t->state);
    json_t *pending = json_pack("{s:s, s:s, s:I}", "dialog", sb_json_str(frame, "dialog"), "state",
                                target, "at", (json_int_t)t->in->now);
    if (pending && keep)
        turn_set(t, pending, "vars", json_deep_copy(flow_vars(t, frame)));
    else if (pending)
        turn_set(t, pending, "unkept", json_true());
    turn_fail(t, person_put(t->state, PERSON_FOLLOWUP, pending));
}

void flow_followup(turn *t, const json_t *pending, int heard)
{
    const json_t *kept = json_object_get(pending, "vars");
    json_t *vars = json_is_object(kept) ? json_deep_copy(kept) : json_object();
    json_t *frame = vars ? json_pack("{s:s, s:s, s:o}", "dialog", sb_json_str(pending, "dialog"), "state",
                                     sb_json_str(pending, "state"), "vars", vars)
                         : NULL;
    if (frame && json_is_true(json_object_get(pending, "unkept")))
        turn_set(t, frame, "unkept", json_true());
    turn_push(t, frame);
    frame = turn_top(t);
    if (!frame)
        return;
    if (heard)
        answer_dialog(t, frame);
    else
        flow_say_state(t, frame, flow_state_of(t, frame), 0);
}

/* A state's "hear" ("{opening}": what the person wrote before the welcome): when it holds
 * something, this dialog ends here and the listening dialog (commands.json "listen") hears
 * it, so the first thing a person said is answered, not dropped. Returns 1 when it did. */
static int hear(turn *t, json_t *frame, const json_t *st)
{
    const char *listen = sb_json_str(dialogs_data(t->d, "commands"), "listen");
    char *said = listen && dialogs_dialog(t->d, listen)
                     ? turn_render(t, "hear", json_object_get(st, "hear"), flow_vars(t, frame))
                     : NULL;
    if (!said || !*said) {
        free(said);
        return 0;
    }
    size_t k = 0; /* the variable holds Markdown: back to the words as written */
    for (size_t i = 0; said[i]; i++) {
        if (said[i] == '\\' && said[i + 1])
            i++;
        said[k++] = said[i];
    }
    said[k] = '\0';
    json_decref(turn_pop(t));
    flow_start_heard(t, listen, said, 0);
    free(said);
    return 1;
}

/* Enters the top frame's current state and follows states that do not wait (say-only,
 * calls, finals) until one waits for the person or the stack is empty. */
static void enter(turn *t)
{
    while (t->rc == SB_OK) {
        json_t *frame = turn_top(t);
        if (!frame || !json_object_get(frame, "dialog"))
            return;
        const json_t *st = flow_state_of(t, frame);
        if (!st || ++t->entries > ENTRY_MAX) {
            flow_reset(t); /* a dialog changed under us, or states that never wait loop */
            turn_say_data(t, "fallback");
            return;
        }
        if (json_object_get(st, "crisis")) {
            /* a yes to "are you having thoughts of ending your life?": the crisis answer,
             * whose safety plan takes this dialog's place */
            const json_t *category = json_object_get(st, "crisis");
            json_decref(turn_pop(t));
            safety_answer_category(t, json_string_value(category));
            return;
        }
        apply_settings(t, st);
        if (sb_json_str(st, "hear") && hear(t, frame, st))
            return;
        if (sb_json_str(st, "followup"))
            remember_followup(t, frame, sb_json_str(st, "followup"));
        if (json_is_true(json_object_get(st, "fresh"))) { /* what it interrupted is let go */
            json_t *stack = turn_stack(t);
            while (json_array_size(stack) > 1)
                json_array_remove(stack, 0);
            json_object_del(frame, "called");
        }
        const char *action = sb_json_str(st, "action");
        if (action)
            turn_effect(t, SB_FX_ACTION, action, NULL, 0);
        if (json_object_get(st, "say"))
            flow_say_state(t, frame, st, 0);
        if (action && strcmp(action, "forget") == 0) {
            /* Everything goes, the waiting frames too: nothing below may resume, for a
             * resumed reflection check would say the person's words back after the
             * wipe (and the router would post them). */
            flow_reset(t);
            return;
        }
        const char *call = sb_json_str(st, "call");
        if (call && dialogs_dialog(t->d, call) && json_array_size(turn_stack(t)) < TURN_STACK_MAX) {
            turn_push(t, dialog_frame(t, call, NULL, 1));
            continue;
        }
        if (json_is_true(json_object_get(st, "final"))) {
            /* a final state that gives an exercise: the exercise goes on top (the router
             * starts it) and what lies below resumes when it ends, not before it */
            if (!finish(t, action && strcmp(action, "exercise") == 0))
                return;
            continue;
        }
        if (call || strcmp(flow_expect_of(st), "none") == 0) {
            go_to(t, frame, sb_json_str(st, "next")); /* a call too deep for the stack is skipped */
            continue;
        }
        return;
    }
}

void flow_start_with(turn *t, const char *id, const char *name, const char *said)
{
    if (!dialogs_dialog(t->d, id)) {
        turn_say_data(t, "fallback");
        return;
    }
    json_t *top = turn_top(t);
    const char *top_id = sb_json_str(top, "dialog");
    if (top_id && strcmp(top_id, id) == 0 && !json_is_true(json_object_get(top, "called")))
        json_decref(turn_pop(t));
    json_t *frame = dialog_frame(t, id, NULL, 0);
    if (frame && name && said)
        flow_keep(t, frame, name, turn_var_said(t, said));
    turn_push(t, frame);
    enter(t);
}

/* 1 when the start state st is a menu whose "own_words" choice is also marked "opening" and
 * the input is words of its own for it (choose_own_words), with that choice's index. */
static int opening_choice(turn *t, const json_t *st, size_t *index)
{
    if (strcmp(flow_expect_of(st), "choice") != 0)
        return 0;
    const json_t *choices = json_object_get(st, "choices");
    int rc = choose_own_words(t, choices, index);
    if (rc < 0)
        turn_fail(t, rc);
    return rc > 0 && json_is_true(json_object_get(json_array_get(choices, *index), "opening"));
}

static int start_heard(turn *t, const char *id, int opening_only)
{
    const json_t *dialog = dialogs_dialog(t->d, id);
    const char *start = sb_json_str(dialog, "start");
    const json_t *st = start ? json_object_get(json_object_get(dialog, "states"), start) : NULL;
    size_t index = 0;
    int text = st && strcmp(flow_expect_of(st), "text") == 0 &&
               (!opening_only || json_is_true(json_object_get(st, "opening")));
    if (!st || (!text && !opening_choice(t, st, &index))) {
        if (t->rc == SB_OK)
            flow_start(t, id, NULL);
        return 0;
    }
    json_t *top = turn_top(t);
    const char *top_id = sb_json_str(top, "dialog");
    if (top_id && strcmp(top_id, id) == 0 && !json_is_true(json_object_get(top, "called")))
        json_decref(turn_pop(t));
    turn_push(t, dialog_frame(t, id, NULL, 0));
    json_t *frame = turn_top(t);
    if (!frame)
        return 0;
    if (!text) { /* "my friend invited me and i never replied": the moment it asks for */
        const json_t *ch = json_array_get(json_object_get(st, "choices"), index);
        go_to(t, frame, sb_json_str(ch, "next") ? sb_json_str(ch, "next") : sb_json_str(st, "next"));
    }
    answer_dialog(t, frame);
    return 1;
}

int flow_start_heard(turn *t, const char *id, const char *said, int opening_only)
{
    if (!said)
        return start_heard(t, id, opening_only);
    char *own = t->text, *own_md = t->text_md, *copy = sb_strdup(said);
    if (!copy) {
        turn_fail(t, SB_ENOMEM);
        return 0;
    }
    t->text = copy;
    t->text_md = NULL;
    int heard = start_heard(t, id, opening_only);
    free(t->text_md);
    free(copy);
    t->text = own;
    t->text_md = own_md;
    return heard;
}

void flow_start(turn *t, const char *id, const char *arg)
{
    flow_start_with(t, id, "answer", arg);
}

void flow_start_answered(turn *t, const char *id)
{
    const json_t *dialog = dialogs_dialog(t->d, id);
    const json_t *st = json_object_get(json_object_get(dialog, "states"), sb_json_str(dialog, "start"));
    if (!st || strcmp(flow_expect_of(st), "none") == 0) {
        flow_start(t, id, NULL);
        return;
    }
    turn_push(t, dialog_frame(t, id, NULL, 0));
    flow_answer(t);
}

void flow_start_in_group(turn *t, const char *id, const char *arg)
{
    json_t *own = json_incref(turn_stack(t));
    turn_fail(t, person_stack_reset(t->state, NULL));
    t->scratch = 1;
    flow_start(t, id, arg);
    t->scratch = 0;
    if (json_array_size(turn_stack(t)) > 0) /* it would wait for an answer: not here */
        turn_say_data(t, "group_continue");
    if (own)
        turn_fail(t, person_stack_reset(t->state, own));
}

/* --- answers to a waiting dialog state --- */

void flow_go(turn *t, json_t *frame, const char *target)
{
    go_to(t, frame, target);
    enter(t);
}

int flow_own_words(turn *t)
{
    json_t *frame = turn_top(t);
    if (!flow_waits_choice(t))
        return 0;
    const json_t *st = flow_state_of(t, frame);
    size_t index = 0;
    int rc = choose_own_words(t, json_object_get(st, "choices"), &index);
    if (rc <= 0) {
        if (rc < 0)
            turn_fail(t, rc);
        return 0;
    }
    const json_t *ch = json_array_get(json_object_get(st, "choices"), index);
    if (sb_json_str(st, "save"))
        flow_keep(t, frame, sb_json_str(st, "save"), json_string(sb_json_str(ch, "label") ? sb_json_str(ch, "label") : ""));
    go_to(t, frame, sb_json_str(ch, "next") ? sb_json_str(ch, "next") : sb_json_str(st, "next"));
    /* a dialog it leads to ("Yes, one small step") may open with a menu whose own words
     * choice ("I have an idea") takes the same words: the step said is its answer too */
    const json_t *then = flow_state_of(t, frame);
    if (then && strcmp(flow_expect_of(then), "choice") == 0) {
        rc = choose_own_words(t, json_object_get(then, "choices"), &index);
        if (rc < 0)
            turn_fail(t, rc);
        ch = rc > 0 ? json_array_get(json_object_get(then, "choices"), index) : NULL;
        const char *next = ch ? sb_json_str(ch, "next") : NULL;
        if (ch)
            go_to(t, frame, next ? next : sb_json_str(then, "next"));
    }
    answer_dialog(t, frame); /* the text state it leads to is answered already */
    return 1;
}

static void answer_dialog(turn *t, json_t *frame)
{
    const json_t *st = flow_state_of(t, frame);
    const char *expect = flow_expect_of(st);
    if (sb_json_str(frame, "reflect")) {
        answer_reflection(t, frame, st);
    } else if (strcmp(expect, "choice") == 0) {
        size_t index = 0;
        int rc = choose_choice(t, frame, st, &index);
        if (rc < 0) {
            turn_fail(t, rc);
        } else if (rc == 0 && sb_json_str(st, "other")) {
            flow_go(t, frame, sb_json_str(st, "other")); /* a question that takes any answer */
        } else if (rc == 0) {
            flow_missed(t, frame, st);
        } else {
            const json_t *ch = json_array_get(json_object_get(st, "choices"), index);
            const char *next = sb_json_str(ch, "next") ? sb_json_str(ch, "next") : sb_json_str(st, "next");
            if (sb_json_str(st, "save"))
                flow_keep(t, frame, sb_json_str(st, "save"), json_string(sb_json_str(ch, "label") ? sb_json_str(ch, "label") : ""));
            flow_keep(t, frame, "answer", turn_var_said(t, t->text));
            flow_go(t, frame, next);
        }
    } else if (strcmp(expect, "rating") == 0) {
        answer_rating(t, frame, st);
    } else {
        answer_text(t, frame, st);
    }
}

void flow_answer(turn *t)
{
    json_t *frame = turn_top(t);
    if (json_object_get(frame, "dialog"))
        answer_dialog(t, frame);
    else
        exercise_answer(t, frame);
    if (t->ended) {
        t->ended = 0;
        if (turn_top(t))
            flow_resume(t);
    }
}

