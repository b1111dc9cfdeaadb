/* exercise.c — guided exercises and their follow-up questions (exercise.h).
 *
 * The flow; its texts come from exercises.json "flow" when given there, else the defaults
 * below (the only coach wording in C, kept so a set without "flow" still works):
 * - start: "{intro}\n\n{step 1}\n\n{hint}" as one message, and SB_FX_EXERCISE_GIVEN.
 * - a whole-input next word ("next", "done", "ok", ...) says the next step with the hint;
 *   anything else says the hint again (commands such as stop and help still come first:
 *   the engine matches them before the exercise sees the input).
 * - "what is this for?" (flow "why_words") at any point says the exercise's "why", then
 *   what the frame waits for.
 * - after the last step: SB_FX_EXERCISE_DONE, the follow-up is remembered in the state as
 *   {"exercise": id, "at": now}, and the coach asks "how"; the answer is journaled
 *   (prompt: the exercise title) when the person consented, then "thanks" ends the frame.
 *   A next word there ("ok", "done") is no answer: "how_again" asks once more, then the
 *   frame ends with nothing journaled; so do "skip", "idk" and pushback (answer.h).
 * - follow-up: the first input of a new conversation (>= 4 h after the previous input,
 *   engine.c) that is no crisis, command or trigger and comes while no dialog runs is
 *   answered with the exercise's "followup" question instead of the fallback. The answer is
 *   journaled (prompt: the question) and reflected back without a check question (or
 *   "thanks" when the set has no reflection.json). Older than 30 days, it is dropped. */
#include "exercise.h"

#include "answer.h"
#include "flow.h"
#include "match.h"
#include "person.h"
#include "reflect.h"
#include "step.h"
#include "sb.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FOLLOWUP_MAX_AGE (30 * 24 * 3600)

const json_t *exercise_find(const sb_dialogs *d, const char *id)
{
    size_t i;
    json_t *x;
    if (!id)
        return NULL;
    const json_t *each_list = json_object_get(dialogs_data(d, "exercises"), "exercises");
    json_array_foreach(each_list, i, x) {
        const char *xid = json_string_value(json_object_get(x, "id"));
        if (xid && strcmp(xid, id) == 0)
            return x;
    }
    return NULL;
}

static size_t step_count(const json_t *x)
{
    return json_array_size(json_object_get(x, "steps"));
}

int exercise_frame_ok(const sb_dialogs *d, const json_t *frame)
{
    const json_t *followup = json_object_get(frame, "followup");
    if (followup) {
        const json_t *x = exercise_find(d, json_string_value(followup));
        return x && json_is_string(json_object_get(x, "followup"));
    }
    const json_t *x = exercise_find(d, json_string_value(json_object_get(frame, "exercise")));
    const json_t *step = json_object_get(frame, "step");
    const json_t *how = json_object_get(frame, "how");
    return x && json_is_integer(step) && json_integer_value(step) >= 0 &&
           (size_t)json_integer_value(step) < step_count(x) && (!how || json_is_boolean(how));
}

/* The flow text name from exercises.json (new reference; NULL on ENOMEM). Validation
 * requires every text the engine says without asking; a missing one is "". */
static json_t *flow_text(turn *t, const char *name)
{
    const json_t *flow = json_object_get(dialogs_data(t->d, "exercises"), "flow");
    json_t *text = json_object_get(flow, name);
    if (text)
        return json_incref(text);
    text = json_string("");
    if (!text)
        turn_fail(t, SB_ENOMEM);
    return text;
}

/* Says flow text name (nothing when exercises.json has none) with vars (may be NULL). */
static void say_flow_vars(turn *t, const char *name, const json_t *vars)
{
    char key[64];
    snprintf(key, sizeof key, "exercises/%s", name);
    const json_t *flow = json_object_get(dialogs_data(t->d, "exercises"), "flow");
    if (!json_object_get(flow, name))
        return;
    json_t *text = flow_text(t, name);
    turn_say(t, key, text, vars);
    json_decref(text);
}

static void say_flow(turn *t, const char *name)
{
    say_flow_vars(t, name, NULL);
}

/* One step as a message: the intro first when with_intro, then the step, then the hint. */
static void say_step(turn *t, const json_t *x, size_t step, int with_intro)
{
    sb_buf b = {0};
    int rc = sb_buf_append(&b, "", 0);
    if (with_intro) {
        char minutes[24];
        snprintf(minutes, sizeof minutes, "%lld",
                 (long long)json_integer_value(json_object_get(x, "minutes")));
        const char *title = json_string_value(json_object_get(x, "title"));
        json_t *vars = json_pack("{s:s, s:s}", "title", title ? title : "", "minutes", minutes);
        json_t *intro = flow_text(t, "intro");
        char *text = vars && intro ? turn_render(t, "exercises/intro", intro, vars) : NULL;
        if (!text || rc != SB_OK)
            rc = SB_ENOMEM;
        if (rc == SB_OK)
            rc = sb_buf_printf(&b, "%s\n\n", text);
        free(text);
        json_decref(intro);
        json_decref(vars);
    }
    const char *step_text = json_string_value(json_array_get(json_object_get(x, "steps"), step));
    if (rc == SB_OK)
        rc = sb_buf_puts(&b, step_text ? step_text : "");
    json_t *hint = flow_text(t, "hint");
    char *hint_text = hint ? turn_render(t, "exercises/hint", hint, NULL) : NULL;
    json_decref(hint);
    if (!hint_text)
        rc = SB_ENOMEM;
    if (rc == SB_OK)
        rc = sb_buf_printf(&b, "\n\n%s", hint_text);
    free(hint_text);
    if (rc != SB_OK) {
        sb_buf_free(&b);
        turn_fail(t, SB_ENOMEM);
        return;
    }
    turn_reply_owned(t, sb_buf_take(&b));
}

void exercise_start(turn *t, const char *id)
{
    const json_t *x = exercise_find(t->d, id);
    if (!x || step_count(x) == 0) {
        turn_say_data(t, "fallback");
        return;
    }
    json_t *top = turn_top(t);
    if (top && json_object_get(top, "exercise"))
        json_decref(turn_pop(t));
    turn_push(t, json_pack("{s:s, s:i}", "exercise", id, "step", 0));
    turn_effect(t, SB_FX_EXERCISE_GIVEN, id, NULL, 0);
    say_step(t, x, 0, 1);
}

static int is_next_word(turn *t)
{
    const json_t *flow = json_object_get(dialogs_data(t->d, "exercises"), "flow");
    const json_t *words = json_object_get(flow, "next_words");
    size_t rest = 0;
    int rc = match_words(words, t->text, &rest);
    if (rc < 0)
        turn_fail(t, rc);
    return rc == 2;
}

static void end_frame(turn *t)
{
    json_decref(turn_pop(t));
    t->ended = 1;
}

/* The answer to a follow-up question: journaled, reflected back, done. */
static void followup_answer(turn *t, json_t *frame)
{
    const json_t *x = exercise_find(t->d, json_string_value(json_object_get(frame, "followup")));
    const char *question = json_string_value(json_object_get(x, "followup"));
    if (text_is_blank(t->text)) {
        exercise_resay(t, frame);
        return;
    }
    int kind = answer_kind_of(t->d, t->text);
    if (kind < 0) {
        turn_fail(t, kind);
        return;
    }
    if (kind != ANSWER_PLAIN) { /* a question waits on; pushback and "idk" end it unsaved */
        answer_say_kind(t, kind);
        if (kind != ANSWER_QUESTION)
            end_frame(t);
        return;
    }
    turn_journal(t, frame, question, t->text);
    const json_t *r = dialogs_data(t->d, "reflection");
    char *echo = NULL, *feeling = NULL;
    if (r && reflect_parts(r, t->text, &echo, &feeling) != SB_OK)
        turn_fail(t, SB_ENOMEM);
    if (echo && *echo && answer_say_brief(t, echo, feeling)) {
        /* one word: acknowledged, not echoed */
    } else if (echo && *echo) {
        const char *key = feeling ? "reflection/feeling_templates" : "reflection/templates";
        size_t pick = turn_pick(t, key, json_object_get(r, feeling ? "feeling_templates" : "templates"));
        char *echo_md = text_escape_markdown(echo);
        turn_reply_owned(t, echo_md ? reflect_render(r, echo_md, feeling, pick) : NULL);
        free(echo_md);
    } else {
        say_flow(t, "thanks");
    }
    free(echo);
    free(feeling);
    end_frame(t);
}

/* 1 when the input asks what the exercise is for: a phrase of flow "why_words" it starts
 * with (a one-word phrase such as "why" only as the whole input). */
static int is_why_question(turn *t)
{
    const json_t *words = json_object_get(json_object_get(dialogs_data(t->d, "exercises"), "flow"),
                                          "why_words");
    char *hay = words ? text_norm_phrase(t->text) : NULL;
    if (words && !hay) {
        turn_fail(t, SB_ENOMEM);
        return 0;
    }
    int found = 0;
    size_t i;
    json_t *w;
    json_array_foreach(words, i, w) {
        char needle[128];
        const char *s = json_string_value(w);
        size_t n = s ? text_norm_phrase_to(s, needle, sizeof needle) : (size_t)-1;
        if (n != (size_t)-1 && n > 0 && strncmp(hay, needle, n) == 0 &&
            (hay[n] == '\0' || (hay[n] == ' ' && strchr(needle, ' '))))
            found = 1;
    }
    free(hay);
    return found;
}

/* What the exercise is for (its "why"), then what the frame waits for: the hint on a step,
 * the "how did it go?" at the end. Without a "why", only that. */
static void say_why(turn *t, const json_t *frame, const json_t *x)
{
    char key[160];
    snprintf(key, sizeof key, "why/%.100s", json_string_value(json_object_get(x, "id")));
    turn_say(t, key, json_object_get(x, "why"), NULL);
    if (json_is_true(json_object_get(frame, "how")))
        say_flow(t, "how");
    else
        say_flow(t, "hint");
}

/* The answer to "how did it go?": journaled (prompt: the title) when it is one. A next word
 * ("ok", "done") is no answer: asked once more gently (flow "how_again"), then taken as no
 * words. "skip", "idk" or pushback end it unsaved too; a question back is answered. */
static void how_answer(turn *t, json_t *frame, const json_t *x)
{
    if (text_is_blank(t->text)) {
        say_flow(t, "how");
        return;
    }
    int kind = answer_kind_of(t->d, t->text);
    if (kind < 0) {
        turn_fail(t, kind);
        return;
    }
    if (kind == ANSWER_QUESTION) {
        answer_say_kind(t, kind);
        return;
    }
    int nothing = kind != ANSWER_PLAIN || is_next_word(t);
    if (nothing && kind == ANSWER_PLAIN && !json_is_true(json_object_get(frame, "asked"))) {
        if (json_object_set_new(frame, "asked", json_true()))
            turn_fail(t, SB_ENOMEM);
        say_flow(t, "how_again");
        return;
    }
    if (kind == ANSWER_UNSURE || kind == ANSWER_PUSHBACK)
        answer_say_kind(t, kind);
    if (!nothing)
        turn_journal(t, frame, json_string_value(json_object_get(x, "title")), t->text);
    say_flow(t, "thanks");
    end_frame(t);
}

/* 1 when the input is a phrase of flow list name: the whole input ("another one"), or
 * anywhere in it when anywhere is set ("I find this step difficult"). */
static int is_flow_word(turn *t, const char *name, int anywhere)
{
    const json_t *words = json_object_get(json_object_get(dialogs_data(t->d, "exercises"), "flow"), name);
    size_t rest = 0;
    int rc = words ? match_words(words, t->text, &rest) : 0;
    long found = words && anywhere && rc == 0 ? match_phrases(words, t->text) : 0;
    if (rc < 0 || found < 0)
        turn_fail(t, SB_ENOMEM);
    return rc == 2 || (anywhere && (rc == 1 || found > 0));
}

#define COMMENT_ECHO 70 /* bytes of a later comment at one step that are said back */

/* What the person says at a step ("it felt like relief and then guilt") is theirs to keep:
 * journaled under the exercise's title (with consent), and a feeling named in it is said
 * back (flow "comment_feeling"), else the flow's "comment"; a later comment at the same step
 * gets a shorter answer without the hint again. */
static void comment(turn *t, json_t *frame)
{
    const json_t *x = exercise_find(t->d, json_string_value(json_object_get(frame, "exercise")));
    const char *title = json_string_value(json_object_get(x, "title"));
    turn_journal(t, frame, title ? title : "", t->text);
    const json_t *r = dialogs_data(t->d, "reflection");
    char *echo = NULL, *feeling = NULL;
    if (r && reflect_parts(r, t->text, &echo, &feeling) != SB_OK)
        turn_fail(t, SB_ENOMEM);
    const json_t *flow = json_object_get(dialogs_data(t->d, "exercises"), "flow");
    /* the step's hint went with the first comment; after it, a shorter answer, the words said
     * back when they are few (flow "comment_echo", else "comment_more") */
    const json_t *step = json_object_get(frame, "step");
    const json_t *last = json_object_get(frame, "commented");
    int again = last && json_integer_value(last) == json_integer_value(step);
    if (!again && json_object_set_new(frame, "commented", json_integer(json_integer_value(step))))
        turn_fail(t, SB_ENOMEM);
    if (again && echo && strlen(echo) <= COMMENT_ECHO && strchr(echo, ' ') &&
        json_object_get(flow, "comment_echo")) {
        char *md = text_escape_markdown(echo);
        json_t *vars = md ? json_pack("{s:s}", "echo", md) : NULL;
        if (!vars)
            turn_fail(t, SB_ENOMEM);
        say_flow_vars(t, "comment_echo", vars);
        json_decref(vars);
        free(md);
    } else if (again && !feeling && json_object_get(flow, "comment_more")) {
        say_flow(t, "comment_more");
    } else if (feeling && json_object_get(flow, "comment_feeling")) {
        json_t *vars = json_pack("{s:s}", "feeling", feeling);
        if (!vars)
            turn_fail(t, SB_ENOMEM);
        say_flow_vars(t, "comment_feeling", vars);
        json_decref(vars);
    } else {
        say_flow(t, "comment");
    }
    free(echo);
    free(feeling);
}

/* Something said at a step that is no next word: a request for another exercise (flow
 * "another_words": this one is stopped and the router gives a different one), "this is
 * hard" (flow "hard_words": "hard", which offers slower, another or stopping), or any other
 * comment (flow "comment"). Without those texts in the set, the hint again. */
static void step_comment(turn *t, json_t *frame)
{
    const json_t *flow = json_object_get(dialogs_data(t->d, "exercises"), "flow");
    if (json_object_get(flow, "another") && is_flow_word(t, "another_words", 0)) {
        say_flow(t, "another");
        json_decref(turn_pop(t)); /* engine.c notes it as stopped */
        turn_effect(t, SB_FX_ACTION, "exercise", NULL, 0);
        return;
    }
    if (json_object_get(flow, "decline") && is_flow_word(t, "decline_words", 0) &&
        (json_integer_value(json_object_get(frame, "step")) == 0 || step_words(t->text) >= 3)) {
        /* "nah", "not now" as the exercise arrives; "i dont want to do this" at any step */
        say_flow(t, "decline");
        json_decref(turn_pop(t)); /* engine.c notes it as stopped */
        return;
    }
    if (json_object_get(flow, "hard") && is_flow_word(t, "hard_words", 1)) {
        say_flow(t, "hard");
        return;
    }
    if (json_object_get(flow, "comment") && !text_is_blank(t->text)) {
        comment(t, frame);
        return;
    }
    say_flow(t, "hint");
}

void exercise_answer(turn *t, json_t *frame)
{
    if (json_object_get(frame, "followup")) {
        followup_answer(t, frame);
        return;
    }
    const char *id = json_string_value(json_object_get(frame, "exercise"));
    const json_t *x = exercise_find(t->d, id);
    if (is_why_question(t)) {
        say_why(t, frame, x);
        return;
    }
    if (json_is_true(json_object_get(frame, "how"))) {
        how_answer(t, frame, x);
        return;
    }
    if (!is_next_word(t)) {
        step_comment(t, frame);
        return;
    }
    size_t step = (size_t)json_integer_value(json_object_get(frame, "step")) + 1;
    if (step < step_count(x)) {
        if (json_object_set_new(frame, "step", json_integer((json_int_t)step)))
            turn_fail(t, SB_ENOMEM);
        say_step(t, x, step, 0);
        return;
    }
    turn_effect(t, SB_FX_EXERCISE_DONE, id, NULL, 0);
    if (json_is_string(json_object_get(x, "followup"))) {
        json_t *pending = json_pack("{s:s, s:I}", "exercise", id, "at", (json_int_t)t->in->now);
        turn_fail(t, person_put(t->state, PERSON_FOLLOWUP, pending));
    }
    if (json_object_set_new(frame, "how", json_true()))
        turn_fail(t, SB_ENOMEM);
    say_flow(t, "how");
}

int exercise_would_retry(turn *t, const json_t *frame)
{
    if (json_object_get(frame, "followup") || json_is_true(json_object_get(frame, "how")))
        return 0;
    return !is_next_word(t) && !is_why_question(t);
}

void exercise_resay(turn *t, json_t *frame)
{
    const json_t *followup = json_object_get(frame, "followup");
    if (followup) {
        const json_t *x = exercise_find(t->d, json_string_value(followup));
        char key[160];
        snprintf(key, sizeof key, "followup/%.100s", json_string_value(followup));
        turn_say(t, key, json_object_get(x, "followup"), NULL);
        return;
    }
    if (json_is_true(json_object_get(frame, "how"))) {
        say_flow(t, "how");
        return;
    }
    const json_t *x = exercise_find(t->d, json_string_value(json_object_get(frame, "exercise")));
    say_step(t, x, (size_t)json_integer_value(json_object_get(frame, "step")), 0);
}

/* A pending follow-up of a dialog state (flow.c remember_followup) younger than
 * FOLLOWUP_MAX_AGE: run by flow_followup and cleared. Returns 1 when it ran. */
static int dialog_followup(turn *t, json_t *pending, int heard)
{
    json_int_t at = json_integer_value(json_object_get(pending, "at"));
    json_incref(pending);
    person_drop(t->state, PERSON_FOLLOWUP);
    int run = t->in->now - at <= FOLLOWUP_MAX_AGE;
    if (run)
        flow_followup(t, pending, heard);
    json_decref(pending);
    return run;
}

int followup_ask(turn *t)
{
    json_t *pending = person_get(t->state, PERSON_FOLLOWUP);
    if (!pending)
        return 0;
    if (json_object_get(pending, "dialog"))
        return dialog_followup(t, pending, 0);
    const char *id = json_string_value(json_object_get(pending, "exercise"));
    json_int_t at = json_integer_value(json_object_get(pending, "at"));
    const json_t *x = exercise_find(t->d, id);
    int ask = x && json_is_string(json_object_get(x, "followup")) &&
              t->in->now - at <= FOLLOWUP_MAX_AGE;
    json_t *frame = ask ? json_pack("{s:s}", "followup", id) : NULL;
    person_drop(t->state, PERSON_FOLLOWUP); /* frame holds a copy of id; x lives in the set */
    if (!ask)
        return 0;
    turn_push(t, frame);
    const char *title = json_string_value(json_object_get(x, "title"));
    json_t *vars = json_pack("{s:s}", "title", title ? title : "");
    if (!vars)
        turn_fail(t, SB_ENOMEM);
    say_flow_vars(t, "followup_intro", vars);
    json_decref(vars);
    exercise_resay(t, turn_top(t));
    return 1;
}

void exercise_say_general(turn *t, const char *topic)
{
    const json_t *list = json_object_get(dialogs_data(t->d, "exercises"), "exercises");
    json_t *pool = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        const char *xt = json_string_value(json_object_get(x, "topic"));
        if (!topic || (xt && strcasecmp(xt, topic) == 0))
            json_array_append(pool, x);
    }
    if (pool && json_array_size(pool) == 0) { /* "list" or an unknown topic: any of them */
        json_array_foreach(list, i, x) {
            json_array_append(pool, x);
        }
    }
    if (!pool || json_array_size(pool) == 0) {
        json_decref(pool);
        turn_say_data(t, "fallback");
        return;
    }
    x = json_array_get(pool, turn_pick(t, "exercises/group", pool));
    char minutes[24];
    snprintf(minutes, sizeof minutes, "%lld", (long long)json_integer_value(json_object_get(x, "minutes")));
    const char *title = json_string_value(json_object_get(x, "title"));
    json_t *vars = json_pack("{s:s, s:s}", "title", title ? title : "", "minutes", minutes);
    const json_t *flow = json_object_get(dialogs_data(t->d, "exercises"), "flow");
    json_t *intro = flow_text(t, json_object_get(flow, "group_intro") ? "group_intro" : "intro");
    char *text = vars && intro ? turn_render(t, "exercises/group_intro", intro, vars) : NULL;
    sb_buf b = {0};
    int rc = text ? sb_buf_puts(&b, text) : SB_ENOMEM;
    json_t *step;
    const json_t *each_list = json_object_get(x, "steps");
    json_array_foreach(each_list, i, step) {
        if (rc == SB_OK)
            rc = sb_buf_printf(&b, "\n%s%zu. %s", i == 0 ? "\n" : "", i + 1,
                               json_string_value(step) ? json_string_value(step) : "");
    }
    free(text);
    json_decref(intro);
    json_decref(vars);
    json_decref(pool);
    if (rc != SB_OK) {
        sb_buf_free(&b);
        turn_fail(t, SB_ENOMEM);
        return;
    }
    turn_reply_owned(t, sb_buf_take(&b));
    say_flow(t, "group_outro");
}

int followup_take(turn *t)
{
    json_t *pending = person_get(t->state, PERSON_FOLLOWUP);
    if (json_object_get(pending, "dialog"))
        return dialog_followup(t, pending, 1);
    const char *id = json_string_value(json_object_get(pending, "exercise"));
    const json_t *x = exercise_find(t->d, id);
    json_int_t at = json_integer_value(json_object_get(pending, "at"));
    if (!x || !json_is_string(json_object_get(x, "followup")) ||
        t->in->now - at > FOLLOWUP_MAX_AGE)
        return 0;
    json_t *frame = json_pack("{s:s}", "followup", id);
    person_drop(t->state, PERSON_FOLLOWUP);
    turn_push(t, frame);
    const char *title = json_string_value(json_object_get(x, "title"));
    json_t *vars = json_pack("{s:s}", "title", title ? title : "");
    if (!vars)
        turn_fail(t, SB_ENOMEM);
    say_flow_vars(t, "followup_report", vars);
    json_decref(vars);
    if (turn_top(t))
        followup_answer(t, turn_top(t));
    t->ended = 0; /* nothing lay below to resume: the person was idle */
    return 1;
}

void exercise_where(turn *t, json_t *frame)
{
    if (json_object_get(frame, "followup")) {
        exercise_resay(t, frame);
        return;
    }
    const json_t *x = exercise_find(t->d, json_string_value(json_object_get(frame, "exercise")));
    const char *title = json_string_value(json_object_get(x, "title"));
    size_t steps = step_count(x);
    size_t step = json_is_true(json_object_get(frame, "how"))
                      ? steps
                      : (size_t)json_integer_value(json_object_get(frame, "step")) + 1;
    char at[24], of[24];
    snprintf(at, sizeof at, "%zu", step);
    snprintf(of, sizeof of, "%zu", steps);
    json_t *vars = json_pack("{s:s, s:s, s:s}", "title", title ? title : "", "step", at,
                             "steps", of);
    if (!vars)
        turn_fail(t, SB_ENOMEM);
    say_flow_vars(t, "in_progress", vars);
    json_decref(vars);
    exercise_resay(t, frame);
}
