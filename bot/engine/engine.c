/* engine.c — the pure dialog state machine of engine.h, top level: repairs the state it is
 * given, runs the crisis check first on every input, then what follows a crisis (safety.c),
 * then first contact, commands, the
 * waiting frame (flow.c, exercise.c) or idle input (follow-up, triggers, fallback: what a
 * command or idle input leads to is command.c's). An
 * answer that fits no choice or rating of the waiting state may start a command phrase or
 * trigger on top instead (interrupt()), so nobody is stuck being asked the same question.
 * The first message of a talk (first contact, greetings, coming back) is arrive.c's; free
 * text heard as what it is (listening, asides, reports) is hear.c's; the four share
 * step.h. Matching lives in match.c, reflection in reflect.c, crisis phrases in crisis.c,
 * the crisis answers and what follows them in safety.c, the bookkeeping of a step (replies,
 * effects, variant picks, the stack) in turn.c.
 *
 * The person's state, a JSON object the store keeps as text, and its frames: person.h,
 * whose module is the only code that knows its shape.
 * A state that does not fit (unknown dialog or state, a dialog changed since) is repaired:
 * the stack is dropped, commands.json "reset" is said if the set has one, and the input is
 * handled as if the person were idle — they get an answer, never an error.
 *
 * In a group room (input.group) only crisis, commands and group_private answers happen;
 * "!" is optional there only for a whole-input command word (a mention the router passed
 * on). Dialogs allowed in groups run on a scratch stack and the person's own is untouched. */
#include "engine.h"
#include "step.h"

#include "answer.h"
#include "crisis.h"
#include "exercise.h"
#include "flow.h"
#include "match.h"
#include "person.h"
#include "reflect.h"
#include "repair.h"
#include "route.h"
#include "safety.h"
#include "sb.h"
#include "sb_json.h"
#include "text.h"
#include "turn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


json_t *engine_new_state(void)
{
    return person_new();
}

void engine_step_free(sb_step *s)
{
    if (!s)
        return;
    json_decref(s->state);
    for (size_t i = 0; i < s->nreplies; i++)
        free(s->replies[i]);
    free(s->replies);
    for (size_t i = 0; i < s->neffects; i++) {
        free(s->effects[i].key);
        free(s->effects[i].value);
    }
    free(s->effects);
    memset(s, 0, sizeof *s);
}

/* 1 when what waits on top is a menu that opens a conversation: the welcome's (consent
 * answered) or one marked "opener" (hello's). */
static int opening_menu(turn *t)
{
    const char *top = sb_json_str(turn_top(t), "dialog");
    const char *first = sb_json_str(dialogs_data(t->d, "commands"), "first_contact");
    if (!top)
        return 0;
    if (first && strcmp(top, first) == 0)
        return !flow_waits_consequence(t);
    return json_is_true(json_object_get(dialogs_dialog(t->d, top), "opener"));
}

/* 1 when what waits is only a where-to-start menu: the welcome's closing one (consent
 * answered) or a dialog marked "opener" (hello's). */
static int where_to_start(turn *t)
{
    return json_array_size(turn_stack(t)) == 1 && opening_menu(t);
}

/* After an action taken while a dialog's question waits ("progress" at "Shall we find
 * yours?"): the question is asked again (commands.json "resume"), so a "thanks" after the
 * action is not taken unseen as its answer. Only after an action (the router says its
 * reply, after the engine's); not at an exercise step (its "next" always waits) nor a
 * where-to-start menu; not when the action changed or starts what waits. */
static void ask_again_after(turn *t, const json_t *cmd, const json_t *before, size_t depth)
{
    json_t *top = turn_top(t);
    const char *action = sb_json_str(cmd, "action");
    if (t->rc != SB_OK || !top || top != before || json_array_size(turn_stack(t)) != depth ||
        !json_object_get(top, "dialog") || opening_menu(t) || sb_json_str(cmd, "dialog") ||
        !action || strcmp(action, "where") == 0 || strcmp(action, "stop") == 0 ||
        strcmp(action, "exercise") == 0) /* an exercise starts on top: nothing to go back to */
        return;
    size_t said = t->nreplies;
    flow_resume(t);
    /* said after the action's own reply, which the router adds after these */
    for (size_t i = said; i < t->nreplies; i++) {
        turn_effect(t, SB_FX_SAY, NULL, t->replies[i], 0);
        free(t->replies[i]);
    }
    t->nreplies = said;
}

/* An answer that fits nothing the waiting state or exercise step asks may be a request of
 * its own: a command word with an argument ("journal I hate this", "nudge 08:30"), a
 * command phrase ("what can you do"), else a dialog trigger ("what is avoidant
 * attachment"), starts on top like a command, and the waiting dialog resumes when it ends.
 * Not in a safety plan (a stray phrase must not lead away from it) and not for the dialog
 * that already waits (asking again serves better). Returns 1 when something started. */
static int interrupt(turn *t)
{
    const char *top = sb_json_str(turn_top(t), "dialog");
    if (safety_is_plan(t->d, top))
        return flow_own_words(t); /* "keep talking with me": what they wrote is the talk */
    if (step_is_closing(t)) { /* "thanks, that's all for today": a goodbye, not a wrong answer */
        flow_reset(t);
        turn_say_data(t, "closing");
        return 1;
    }
    if (route_is_bare_time(t) && where_to_start(t)) {
        /* "8:30" at "where would you like to start?": most likely the time for a nudge,
         * offered in the menu's place */
        flow_reset(t);
        return route_bare_time(t);
    }
    const char *back = sb_json_str(dialogs_data(t->d, "commands"), "return");
    if (top && back && strcmp(top, back) == 0) {
        /* asked "pick it up or start fresh?", they say something else ("not great tbh"):
         * that is today's conversation, and the old one is let go */
        flow_reset(t);
        step_idle(t, 0);
        return 1;
    }
    const json_t *cmd = NULL;
    char *arg = NULL;
    int rc = step_command_of(t, MATCH_IDLE, &cmd, &arg);
    const char *dialog = sb_json_str(cmd, "dialog");
    if (rc == 1 && !(dialog && top && strcmp(dialog, top) == 0)) {
        const json_t *waits = turn_top(t);
        size_t depth = json_array_size(turn_stack(t));
        if (dialog)
            step_set_aside(t);
        step_command(t, cmd, arg);
        free(arg);
        ask_again_after(t, cmd, waits, depth);
        return 1;
    }
    free(arg);
    const char *id = NULL;
    if (rc >= 0)
        rc = match_trigger(t->d, t->text, &id);
    if (rc < 0) {
        turn_fail(t, rc);
        return 1;
    }
    if (rc == 1 && !(top && strcmp(id, top) == 0)) {
        const char *listen_id = sb_json_str(dialogs_data(t->d, "commands"), "listen");
        int listen = listen_id && strcmp(id, listen_id) == 0;
        if (listen)
            flow_reset(t); /* see hear_listen(): the menu is let go, not brought back after */
        else
            step_set_aside(t);
        if (listen && hear_heard(t, id)) /* "ugh. we had another fight...": heard, not asked */
            flow_start_heard(t, id, NULL, 0);
        else
            flow_start(t, id, NULL);
        return 1;
    }
    if (flow_own_words(t) || hear_question(t))
        return 1;
    route r;
    size_t before = t->nreplies;
    if (route_interrupt(t, &r)) {
        size_t said = t->nreplies;
        int starts = r.dialog || sb_json_str(r.command, "dialog");
        const json_t *waits = turn_top(t);
        size_t depth = json_array_size(turn_stack(t));
        if (starts)
            step_set_aside(t); /* an action ("nudge") leaves the question as it was */
        if (t->nreplies > said) /* said first: the line heard then belongs to what starts */
            turn_reply_move_last(t, before);
        step_start(t, &r, -1);
        if (!starts)
            ask_again_after(t, r.command, waits, depth);
        return 1;
    }
    return hear_listen(t);
}

int step_is_bang(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '!';
}

/* Direct input that nothing around a crisis took (safety_after). menu is the menu frame
 * that waited on top (route.h), popped by the caller and taken here: answered or left now. */
static void direct_input(turn *t, int64_t gap, json_t *menu)
{
    int idle = turn_top(t) == NULL;
    char zone[64];
    const json_t *cmd = NULL;
    char *arg = NULL;
    route r;
    int due = safety_followup_due(t, gap) && !step_is_bang(t->text);
    if (due) {
        int rc = step_command_of(t, MATCH_IDLE, &cmd, &arg);
        if (rc < 0 || arrive_after_crisis(t, rc == 1 ? cmd : NULL)) {
            if (rc < 0)
                turn_fail(t, rc);
            free(arg);
            json_decref(menu);
            return;
        }
        free(arg);
        cmd = NULL;
        arg = NULL;
        idle = turn_top(t) == NULL;
    }
    if (!person_is(t->state, PERSON_MET) && idle && !step_is_bang(t->text) && arrive_first_contact(t)) {
        json_decref(menu);
        return;
    }
    int rc = step_command_of(t, idle ? MATCH_IDLE : MATCH_WAITING, &cmd, &arg);
    if (rc == 0 && !idle && flow_waits_choice(t)) {
        /* "journal I called my brother back today" at a menu is a journal entry, not the
         * menu's "Read my journal": a command word with its argument is a command there */
        rc = step_command_of(t, MATCH_IDLE, &cmd, &arg);
        if (rc == 1 && !arg)
            rc = 0;
    }
    const json_t *waits = turn_top(t);
    size_t depth = json_array_size(turn_stack(t));
    if (rc < 0)
        turn_fail(t, rc);
    else if (rc == 1) {
        arrive_command(t, cmd, arg, gap);
        ask_again_after(t, cmd, waits, depth);
    }
    else if (menu && route_menu_answer(t, menu, &r))
        step_start(t, &r, gap);
    else if (step_is_bang(t->text))
        turn_say_data(t, "unknown");
    else if (idle)
        step_idle(t, gap);
    else if ((cmd = route_zone_command(t, zone, sizeof zone)) != NULL)
    {
        step_command(t, cmd, zone); /* "Europe/Berlin" answers no question: the setting */
        ask_again_after(t, cmd, waits, depth);
    }
    else if (!arrive_returning(t, gap, 0) && !arrive_keep_opening(t) && !hear_aside(t) &&
             !(hear_in_listening(t) && (route_other_language(t) || hear_interrupt(t))) &&
             !(flow_would_retry(t) && interrupt(t)))
        flow_answer(t);
    if (t->released) { /* left a menu it fitted nothing of three times: what's on their mind */
        t->missed = 1; /* they were just told twice that it did not fit */
        step_idle(t, 0);
    }
    free(arg);
    json_decref(menu);
}

/* In a group room, what is general is answered there: a command, or a question that is
 * the trigger of a dialog marked "group": true ("coach: what is avoidant attachment?"), run
 * on a scratch stack. Anything else may be personal and gets group_private. */
static void group_input(turn *t)
{
    const json_t *cmd = NULL;
    char *arg = NULL;
    const char *id = NULL;
    int rc = step_command_of(t, MATCH_WAITING, &cmd, &arg);
    if (rc == 0 && !step_is_bang(t->text))
        rc = match_trigger(t->d, t->text, &id);
    if (rc < 0)
        turn_fail(t, rc);
    else if (cmd)
        step_command(t, cmd, arg);
    else if (step_is_bang(t->text))
        turn_say_data(t, "unknown");
    else if (rc == 1 && json_is_true(json_object_get(dialogs_dialog(t->d, id), "group")))
        flow_start_in_group(t, id, NULL);
    else
        turn_say_data(t, "group_private");
    free(arg);
}

/* 1 when stack (an array of frames) holds an exercise frame for id. */
static int holds_exercise(const json_t *stack, const char *id)
{
    size_t i;
    json_t *frame;
    json_array_foreach(stack, i, frame) {
        const char *x = sb_json_str(frame, "exercise");
        if (x && strcmp(x, id) == 0)
            return 1;
    }
    return 0;
}

/* The exercises under way in state (a frame still at a step, not at "how did it go?"), as
 * an array of their ids (copies: the step may change state in place); NULL on ENOMEM. */
static json_t *running_exercises(const json_t *state)
{
    json_t *ids = json_array();
    size_t i;
    json_t *frame;
    const json_t *each_list = person_stack(state);
    json_array_foreach(each_list, i, frame) {
        const char *id = sb_json_str(frame, "exercise");
        if (ids && id && !json_is_true(json_object_get(frame, "how")) &&
            json_array_append_new(ids, json_string(id)) != 0) {
            json_decref(ids);
            ids = NULL;
        }
    }
    return ids;
}

/* An exercise that was under way before this step (running_exercises) and is gone after
 * it without being done was stopped: by *stop*, another exercise, a crisis, a menu left.
 * SB_FX_EXERCISE_STOPPED tells the router, so no nudge asks about it. */
static void note_stopped(turn *t, const json_t *before)
{
    size_t i;
    json_t *name;
    if (!before)
        turn_fail(t, SB_ENOMEM);
    json_array_foreach(before, i, name) {
        const char *id = json_string_value(name);
        if (holds_exercise(person_stack(t->state), id))
            continue;
        int done = 0;
        for (size_t k = 0; k < t->neffects; k++)
            done |= t->effects[k].kind == SB_FX_EXERCISE_DONE && t->effects[k].key &&
                    strcmp(t->effects[k].key, id) == 0;
        if (!done)
            turn_effect(t, SB_FX_EXERCISE_STOPPED, id, NULL, 0);
    }
}

/* 1 when the top frame is the safety plan of the category mask stands for. */
static int in_own_plan(turn *t, int mask)
{
    const char *top = sb_json_str(turn_top(t), "dialog");
    const char *plan = sb_json_str(safety_category(t->d, safety_primary(mask)), "dialog");
    return top && plan && strcmp(top, plan) == 0;
}

/* The start of every entry point: a repaired copy of state, or taken itself when not NULL
 * (a state the caller gives up; freed here on failure). */
static int begin(turn *t, const sb_dialogs *d, const json_t *state, json_t *taken,
                 const sb_input *in, sb_step *out, int *repaired)
{
    static const sb_input none = {"", 0, 0, NULL};
    memset(out, 0, sizeof *out);
    if ((taken ? turn_begin_take(t, d, taken, in ? in : &none)
               : turn_begin(t, d, state, in ? in : &none)) != SB_OK)
        return SB_ENOMEM;
    *repaired = repair_state(t);
    return SB_OK;
}

/* engine_step, on taken when not NULL (then state is taken). */
static int step(const sb_dialogs *d, const json_t *state, json_t *taken, const sb_input *in,
                sb_step *out)
{
    turn t;
    int repaired;
    json_t *before = running_exercises(state); /* before the step changes a state it takes */
    if (begin(&t, d, state, taken, in, out, &repaired) != SB_OK) {
        json_decref(before);
        return SB_ENOMEM;
    }
    /* Safety first (design.md invariant 5): before first contact, consent or anything else. */
    int learned = 0;
    int rc = safety_check_turn(&t, &learned);
    /* Inside the safety plan of that very category, the classifier alone does not start
     * the crisis answer again: more words about it are no new risk (the rules, and so a
     * plain "i want to die", still do). */
    if (rc > 0 && learned && !t.in->group && in_own_plan(&t, rc))
        rc = 0;
    if (rc != 0) {
        if (rc < 0)
            turn_fail(&t, rc);
        if (!t.in->group && route_is_menu(turn_top(&t)))
            json_decref(turn_pop(&t));
        safety_answer(&t, rc);
        if (!t.in->group)
            turn_fail(&t, person_set_last(t.state, t.in->now));
    } else if (t.in->group) {
        group_input(&t);
    } else {
        int64_t gap = arrive_note_time(&t);
        if (repaired)
            turn_say_data(&t, "reset");
        json_t *menu = route_is_menu(turn_top(&t)) ? turn_pop(&t) : NULL;
        if (safety_after(&t, gap))
            json_decref(menu);
        else
            direct_input(&t, gap, menu);
    }
    if (!t.in->group)
        note_stopped(&t, before);
    json_decref(before);
    return turn_end(&t, out);
}

int engine_step(const sb_dialogs *d, const json_t *state, const sb_input *in, sb_step *out)
{
    return step(d, state, NULL, in, out);
}

int engine_step_take(const sb_dialogs *d, json_t *state, const sb_input *in, sb_step *out)
{
    return step(d, state, state, in, out);
}

/* Starts dialog or exercise id (exercise 1) for the person as if they had asked for it;
 * in a group room a dialog runs on a scratch stack, an exercise is only offered in private. */
static int start_named(const sb_dialogs *d, const json_t *state, const sb_input *in,
                       sb_step *out, const char *id, int exercise)
{
    turn t;
    int repaired;
    json_t *before = running_exercises(state);
    if (begin(&t, d, state, NULL, in, out, &repaired) != SB_OK) {
        json_decref(before);
        return SB_ENOMEM;
    }
    if (exercise && t.in->group)
        turn_say_data(&t, "group_private");
    else if (exercise)
        exercise_start(&t, id);
    else if (t.in->group)
        flow_start_in_group(&t, id, NULL);
    else
        flow_start(&t, id, NULL);
    note_stopped(&t, before);
    json_decref(before);
    return turn_end(&t, out);
}

int engine_start(const sb_dialogs *d, const json_t *state, const char *dialog_id,
                 const sb_input *in, sb_step *out)
{
    return start_named(d, state, in, out, dialog_id, 0);
}

int engine_start_exercise(const sb_dialogs *d, const json_t *state, const char *exercise_id,
                          const sb_input *in, sb_step *out)
{
    return start_named(d, state, in, out, exercise_id, 1);
}
