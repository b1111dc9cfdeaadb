/* arrive.c — the first message of a talk: the very first one (first contact, and what
 * someone says before the consent question is answered), a greeting, and coming back after
 * a quiet spell, when what was left waiting is offered again, let go, or a pending
 * follow-up comes first; after a crisis, a gentle check on how the person is. Part of the
 * step of engine.c (step.h). */
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


/* After the stale conversation was let go and no follow-up was due: a greeting gets its
 * command (the hello menu), anything else is read as if nothing waited. */
static void command_or_fallback(turn *t, int greeting)
{
    const json_t *cmd = NULL;
    char *arg = NULL;
    int rc = greeting ? step_command_of(t, MATCH_IDLE, &cmd, &arg) : 0;
    if (rc < 0)
        turn_fail(t, rc);
    else if (rc == 1)
        step_command(t, cmd, arg);
    else
        step_idle(t, 0);
    free(arg);
}

/* Someone comes back after a quiet spell (FOLLOWUP_GAP) while a dialog question or an
 * exercise step was left waiting: it is never silently resumed. An answer that plainly fits a waiting menu or
 * rating goes on as usual. A greeting or a few words get commands.json "return" (the
 * welcome-back dialog: pick it up, or start fresh), naming what was left open; a message
 * of its own is what matters now: "return_dropped" names what is let go, and the message
 * is read as if nothing waited. Returns 1 when it did one of those. */
/* The title of what waits on top that a returning person is asked about: a dialog at a
 * question (not the welcome-back one, not a safety plan) whose answer would not plainly
 * fit, or an exercise left at a step (a next word goes on with it). NULL for nothing. */
static const char *left_open(turn *t, const json_t *top, const char *back, int greeting)
{
    const char *id = sb_json_str(top, "dialog");
    if (!id) { /* a greeting hears the step it is at instead (greet) */
        if (!top || json_object_get(top, "followup") || json_is_true(json_object_get(top, "how")) ||
            greeting || !exercise_would_retry(t, top))
            return NULL;
        return sb_json_str(exercise_find(t->d, sb_json_str(top, "exercise")), "title");
    }
    if (strcmp(id, back) == 0 || safety_is_plan(t->d, id))
        return NULL;
    const json_t *dialog = dialogs_dialog(t->d, id);
    const json_t *st = json_object_get(json_object_get(dialog, "states"), sb_json_str(top, "state"));
    const char *expect = sb_json_str(st, "expect");
    int text = json_object_get(top, "reflect") || (expect && strcmp(expect, "text") == 0);
    if (!greeting && !text && !flow_would_retry(t))
        return NULL;
    return sb_json_str(dialog, "title") ? sb_json_str(dialog, "title") : id;
}

int arrive_returning(turn *t, int64_t gap, int greeting)
{
    const json_t *commands = dialogs_data(t->d, "commands");
    const char *back = sb_json_str(commands, "return");
    json_t *top = turn_top(t);
    int stale = top && json_is_true(json_object_get(top, "stale")); /* arrive_command */
    if (stale)
        json_object_del(top, "stale"); /* this message is the return, whatever it does */
    if ((gap < FOLLOWUP_GAP && !stale) || !top || !back || !dialogs_dialog(t->d, back))
        return 0;
    const char *id = sb_json_str(top, "dialog");
    int back_left = id && strcmp(id, back) == 0; /* "pick it up?" itself was left unanswered */
    const char *title = back_left ? NULL : left_open(t, top, back, greeting);
    if (!title && !back_left)
        return 0;
    const json_t *dialog = id ? dialogs_dialog(t->d, id) : NULL;
    long words = step_words(t->text);
    if (words < 0) {
        turn_fail(t, SB_ENOMEM);
        return 1;
    }
    if (back_left || person_get(t->state, PERSON_FOLLOWUP)) {
        /* what they set out to do since matters more than a menu left days ago, and what
         * "pick it up?" asked about is older still */
        flow_reset(t);
        if (greeting || words <= LISTEN_MIN_WORDS) {
            if (!followup_ask(t))
                command_or_fallback(t, greeting);
        } else {
            step_idle(t, 0);
        }
        return 1;
    }
    const char *listen_id = sb_json_str(commands, "listen");
    if ((listen_id && id && strcmp(id, listen_id) == 0) ||
        json_is_true(json_object_get(dialog, "opener"))) {
        /* listening days ago, or hello's menu, is nothing to "pick up": today starts fresh */
        flow_reset(t);
        if (greeting || words <= LISTEN_MIN_WORDS)
            command_or_fallback(t, greeting);
        else
            step_idle(t, 0);
        return 1;
    }
    if (greeting || words <= LISTEN_MIN_WORDS) {
        flow_start_with(t, back, "left_open", title);
        return 1;
    }
    json_t *vars = json_pack("{s:s}", "title", title);
    if (!vars)
        turn_fail(t, SB_ENOMEM);
    turn_say(t, "commands/return_dropped", json_object_get(commands, "return_dropped"), vars);
    json_decref(vars);
    flow_reset(t);
    step_idle(t, 0);
    return 1;
}

/* A greeting (a command with "greeting": true) that is more than hello: after a quiet
 * spell of FOLLOWUP_GAP the pending follow-up question comes instead of the menu, and in
 * the middle of an exercise (after a restart, say) the person hears which one and how to
 * go on. Returns 1 when it did one of those. */
static int greet(turn *t, int64_t gap)
{
    json_t *top = turn_top(t);
    if (!top)
        return gap >= FOLLOWUP_GAP && followup_ask(t);
    if (json_object_get(top, "dialog"))
        return arrive_returning(t, gap, 1);
    exercise_where(t, top); /* which step, and how to go on or leave it */
    return 1;
}

#define OPENING_MIN_WORDS 3 /* words that make a first message more than a hello */
#define GREETING_MAX_EXTRA 2 /* words after a greeting word that keep it a greeting ("hi coach") */

/* 1 when text is a greeting: a word of a "greeting" command with at most
 * GREETING_MAX_EXTRA words after it ("hey", "hi coach", "hello there you"). */
int arrive_is_greeting(turn *t)
{
    size_t i;
    json_t *cmd;
    const json_t *each_list = json_object_get(dialogs_data(t->d, "commands"), "commands");
    json_array_foreach(each_list, i, cmd) {
        size_t rest = 0;
        if (!json_is_true(json_object_get(cmd, "greeting")))
            continue;
        int rc = match_words(json_object_get(cmd, "words"), t->text, &rest);
        long extra = rc == 1 ? step_words(t->text + rest) : 0;
        if (rc < 0 || extra < 0) {
            turn_fail(t, SB_ENOMEM);
            return 0;
        }
        if (rc == 2 || (rc == 1 && extra <= GREETING_MAX_EXTRA))
            return 1;
    }
    return 0;
}

/* The first message of someone the coach has never met (no "!" command, nothing waits).
 * A greeting or a word or two gets the first-contact dialog. A command or a dialog's trigger
 * ("nudge off", "what is avoidant attachment") is run, after a one-line hello (commands.json
 * "first_command", said once); first contact waits for a later message. Anything longer is
 * something the person came to say: "first_text" acknowledges it, and the first-contact
 * dialog starts with it as {opening} (in that dialog's frame only: never journaled, gone
 * when the dialog ends). Returns 1 when the input was handled. */
int arrive_first_contact(turn *t)
{
    const json_t *commands = dialogs_data(t->d, "commands");
    const char *first = sb_json_str(commands, "first_contact");
    if (!first) {
        turn_fail(t, person_set(t->state, PERSON_MET, 1));
        return 0;
    }
    const json_t *cmd = NULL;
    char *arg = NULL;
    const char *trigger = NULL;
    int rc = step_command_of(t, MATCH_IDLE, &cmd, &arg);
    if (rc == 0)
        rc = match_trigger(t->d, t->text, &trigger);
    long words = rc >= 0 ? step_words(t->text) : -1;
    int greeting = rc >= 0 && words >= 0 && arrive_is_greeting(t);
    if (rc < 0 || words < 0) {
        free(arg);
        turn_fail(t, SB_ENOMEM);
        return 1;
    }
    if ((cmd || trigger) && !greeting) {
        if (!person_is(t->state, PERSON_HELLO))
            turn_say_data(t, "first_command");
        turn_fail(t, person_set(t->state, PERSON_HELLO, 1));
        if (cmd)
            step_command(t, cmd, arg);
        else
            flow_start(t, trigger, NULL);
        free(arg);
        return 1;
    }
    free(arg);
    route r;
    if (!greeting && route_first(t, &r)) { /* a command in other words, another language */
        if (r.command || r.dialog) {
            if (!person_is(t->state, PERSON_HELLO))
                turn_say_data(t, "first_command");
            turn_fail(t, person_set(t->state, PERSON_HELLO, 1));
            step_start(t, &r, -1);
        }
        return 1;
    }
    turn_fail(t, person_set(t->state, PERSON_MET, 1));
    person_set(t->state, PERSON_HELLO, 0);
    if (!greeting && words >= OPENING_MIN_WORDS && json_object_get(commands, "first_text")) {
        turn_say_data(t, "first_text");
        flow_start_with(t, first, "opening", t->text);
    } else {
        flow_start(t, first, NULL);
    }
    return 1;
}

/* A command; a greeting may bring back an exercise or its follow-up instead (greet). */
void arrive_command(turn *t, const json_t *cmd, const char *arg, int64_t gap)
{
    if (json_is_true(json_object_get(cmd, "greeting")) && greet(t, gap))
        return;
    /* "progress" the next day, then "what time is my nudge": what waited from before the
     * quiet spell is still left open then (arrive_returning), not answered by that */
    json_t *top = turn_top(t);
    if (gap >= FOLLOWUP_GAP && top)
        turn_set(t, top, "stale", json_true());
    step_command(t, cmd, arg);
}

/* The first message of a later conversation after a crisis: a gentle check on how the
 * person is comes first (safety.c). A greeting or anything but a command hears its
 * question, or answers it (the check-in nudge asked already); a command the person asked
 * for runs after its one-line form. Returns 1 when nothing else is to be done. */
int arrive_after_crisis(turn *t, const json_t *cmd)
{
    if (!cmd) {
        safety_followup(t, !arrive_is_greeting(t) && step_words(t->text) > 0);
        return 1;
    }
    if (json_is_true(json_object_get(cmd, "greeting"))) {
        safety_followup(t, 0);
        return 1;
    }
    safety_followup_line(t);
    return 0;
}

/* Time since the person's previous direct input (-1 for none), now remembered as the last. */
int64_t arrive_note_time(turn *t)
{
    int64_t last = person_last(t->state);
    int64_t gap = last >= 0 ? t->in->now - last : -1;
    turn_fail(t, person_set_last(t->state, t->in->now));
    t->recent = gap >= 0 && gap < FOLLOWUP_GAP;
    t->missed = person_is(t->state, PERSON_MISSED);
    person_set(t->state, PERSON_MISSED, 0);
    return gap;
}

/* At a question of the first-contact dialog before consent, something the person came to
 * say ("my therapist suggested I try this"; not a shrug or a hello: route_says_something)
 * is no wrong answer: the first such message is kept
 * as the dialog's {opening}, which its "hear" takes up once consent is given, and met with
 * commands.json "first_text_waiting" before the question's retry; what they go on to say
 * is added to it, met with "first_text_more". A question back goes the usual way. Returns
 * 1 when it kept one. */
int arrive_keep_opening(turn *t)
{
    const char *first = sb_json_str(dialogs_data(t->d, "commands"), "first_contact");
    json_t *frame = turn_top(t);
    const char *top = sb_json_str(frame, "dialog");
    const json_t *commands = dialogs_data(t->d, "commands");
    const char *kept = sb_json_str(flow_vars(t, frame), "opening");
    if (!first || !top || strcmp(top, first) != 0 || !flow_would_retry(t) ||
        person_consent(t->state) || !json_object_get(commands, "first_text_waiting") ||
        (kept && !json_object_get(commands, "first_text_more")) || !route_says_something(t))
        return 0;
    long words = step_words(t->text);
    int question = words >= OPENING_MIN_WORDS ? answer_is_question(t->d, t->text) : 0;
    if (words < 0 || question < 0) {
        turn_fail(t, SB_ENOMEM);
        return 1;
    }
    if (words < OPENING_MIN_WORDS || question)
        return 0;
    if (kept) { /* they go on talking: all of it is heard once consent is given */
        char *md = text_escape_markdown(t->text); /* kept is escaped already */
        size_t end = strlen(kept);
        while (end > 0 && strchr(" \t\r\n", kept[end - 1]))
            end--;
        /* one line, each message a sentence of it: said back and gathered up as one */
        int closed = end == 0 || strchr(".!?", kept[end - 1]) != NULL;
        char *more = md ? sb_asprintf("%.*s%s %s", (int)end, kept, closed ? "" : ".", md) : NULL;
        json_t *both = more ? json_stringn(more, text_utf8_cut(more, strlen(more), TURN_VAR_MAX))
                            : NULL;
        free(md);
        free(more);
        if (!both || json_object_set_new(flow_vars(t, frame), "opening", both)) {
            turn_fail(t, SB_ENOMEM);
            return 1;
        }
    } else {
        flow_keep(t, frame, "opening", turn_var_said(t, t->text));
        if (!json_object_get(flow_vars(t, frame), "opening"))
            return 0; /* the dialog does not hear an opening */
    }
    turn_say_data(t, kept ? "first_text_more" : "first_text_waiting");
    flow_answer(t); /* the question's retry */
    return 1;
}
