/* command.c — what an input leads to when a command names it or nothing waits for it: a
 * command run (its action as an effect, its reply, its dialog started), idle input (a
 * follow-up after a quiet spell, a goodbye, a trigger, what understanding makes of the
 * words, the listening dialog, the fallback), and what waits set aside when something starts
 * on top of it. Part of the step of engine.c (step.h). */
#include "step.h"

#include "exercise.h"
#include "flow.h"
#include "match.h"
#include "person.h"
#include "route.h"
#include "sb.h"
#include "sb_json.h"
#include "text.h"
#include "turn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* match_command of the turn's text (direct), looked for once per mode: *arg is a copy the
 * caller frees. */
int step_command_of(turn *t, int mode, const json_t **cmd, char **arg)
{
    *cmd = NULL;
    *arg = NULL;
    if (!t->commanded_by || strcmp(t->commanded_by, t->text) != 0) {
        free(t->commanded_by);
        free(t->commanded[0].arg);
        free(t->commanded[1].arg);
        memset(t->commanded, 0, sizeof t->commanded);
        t->commanded_by = sb_strdup(t->text);
    }
    int m = mode == MATCH_IDLE;
    if (!t->commanded_by || !t->commanded[m].known) {
        const json_t *c = NULL;
        char *a = NULL;
        int rc = match_command(t->d, t->text, mode, 1, &c, &a);
        if (rc < 0 || !t->commanded_by) {
            *cmd = c;
            *arg = a;
            return rc;
        }
        t->commanded[m].known = 1;
        t->commanded[m].rc = rc;
        t->commanded[m].cmd = c;
        t->commanded[m].arg = a;
    }
    *cmd = t->commanded[m].cmd;
    if (t->commanded[m].arg && !(*arg = sb_strdup(t->commanded[m].arg)))
        return SB_ENOMEM;
    return t->commanded[m].rc;
}

/* --- what an input leads to --- */

/* "Where were we?": what the top frame waits for, with the exercise and step it is at.
 * Returns 0 when nothing waits. */
static int where(turn *t)
{
    json_t *top = turn_top(t);
    if (!top)
        return 0;
    if (json_object_get(top, "dialog"))
        flow_resume(t);
    else
        exercise_where(t, top);
    return 1;
}

/* 1 when the welcome's closing menu waited and is let go: what starts answers its "where
 * would you like to start?" (a dialog, or an exercise: it would come back days later as
 * "back to where we were"). */
static int let_go_welcome(turn *t)
{
    const char *top = sb_json_str(turn_top(t), "dialog");
    const char *first = sb_json_str(dialogs_data(t->d, "commands"), "first_contact");
    if (!top || !first || strcmp(top, first) != 0 || flow_waits_consequence(t))
        return 0;
    flow_reset(t);
    return 1;
}

void step_command(turn *t, const json_t *cmd, const char *arg)
{
    const char *name = sb_json_str(cmd, "name");
    const char *action = sb_json_str(cmd, "action");
    const char *dialog = sb_json_str(cmd, "dialog");
    const json_t *reply = json_object_get(cmd, "reply");
    char key[120];
    snprintf(key, sizeof key, "command/%.100s", name ? name : "");
    int in_group = t->in->group;
    if (in_group && (json_is_true(json_object_get(cmd, "private")) ||
                     (dialog && !json_is_true(json_object_get(cmd, "group"))))) {
        turn_say_data(t, "group_private");
        return;
    }
    if (action && strcmp(action, "stop") == 0) {
        if (!in_group)
            flow_reset(t);
        turn_say(t, key, reply, NULL);
        return;
    }
    if (action && strcmp(action, "where") == 0) {
        if (in_group || !where(t))
            turn_say(t, key, reply, NULL);
        return;
    }
    if (in_group && action && strcmp(action, "exercise") == 0) {
        exercise_say_general(t, arg); /* one anyone may try: nothing of the person's */
        return;
    }
    if (action && strcmp(action, "exercise") == 0) {
        if (!arg) /* "an exercise on that" while listening: a topic that fits what was said */
            arg = hear_topic(t);
        let_go_welcome(t);
    }
    /* "nudge me at 8am": the time in it (commands.json "argument_time"); a phrase matched
     * anywhere ("remind me every day at 7:30") leaves no argument: the time is in the text */
    char clock[16];
    if (match_time(cmd, arg ? arg : t->text, clock, sizeof clock))
        arg = clock;
    char zone[64]; /* "my timezone is europe/madrid": the zone in the text, as the argument */
    if (match_zone(cmd, arg ? arg : t->text, zone, sizeof zone))
        arg = zone;
    if (action)
        turn_effect(t, SB_FX_ACTION, action, arg, 0);
    turn_say(t, key, reply, NULL);
    if (dialog && in_group)
        flow_start_in_group(t, dialog, arg);
    else if (dialog)
        flow_start(t, dialog, arg);
}
#define CLOSING_MAX_WORDS 7  /* words of a message that a closing phrase makes a goodbye */

/* Words of text in phrase form; -1 on ENOMEM. */
long step_words(const char *text)
{
    char *norm = text_norm_phrase(text);
    if (!norm)
        return -1;
    long n = *norm != '\0';
    for (const char *p = norm; *p; p++)
        n += *p == ' ';
    free(norm);
    return n;
}

/* The coach did not understand. Never the same "I didn't follow" twice in a row: after one,
 * commands.json "fallback_again" (an invitation to say it in a sentence) when the set has
 * it. The state remembers that this reply was the fallback. */
static void fallback(turn *t)
{
    const json_t *commands = dialogs_data(t->d, "commands");
    if (t->missed && json_object_get(commands, "fallback_again"))
        turn_say_data(t, "fallback_again");
    else
        turn_say_data(t, "fallback");
    turn_fail(t, person_set(t->state, PERSON_MISSED, 1));
}

/* 1 when the input is a short goodbye: a phrase of commands.json "closing_words" ("that's
 * all for today", "bye", "goodnight") in a message of at most CLOSING_MAX_WORDS words. */
int step_is_closing(turn *t)
{
    const json_t *words = json_object_get(dialogs_data(t->d, "commands"), "closing_words");
    if (!words)
        return 0;
    long found = match_phrases(words, t->text);
    long n = found > 0 ? step_words(t->text) : 0;
    if (found < 0 || n < 0) {
        turn_fail(t, SB_ENOMEM);
        return 0;
    }
    return found > 0 && n <= CLOSING_MAX_WORDS;
}

/* Starts what a routing named (route.h), if anything. */
void step_start(turn *t, const route *r, int64_t gap)
{
    if (r->command)
        arrive_command(t, r->command, r->arg, gap);
    else if (r->dialog && (r->heard || r->opening))
        flow_start_heard(t, r->dialog, r->said, !r->heard);
    else if (r->dialog)
        flow_start(t, r->dialog, NULL);
}

#define SAYS_ITS_OWN_WORDS 6 /* words that make a message after a quiet spell its own subject */

/* Nothing waits: a follow-up after a quiet spell, a trigger, else what understanding makes
 * of the words (route.c), and the fallback only when there is no understanding. */
void step_idle(turn *t, int64_t gap)
{
    /* back after a quiet spell with the report already ("I did it. I told her..."): it is
     * the follow-up's answer, not met with the follow-up's question */
    if (gap >= FOLLOWUP_GAP && route_reads_report(t) && hear_reports_back(t))
        return;
    /* a message of its own ("my boss yelled at me today and im furious") is what matters
     * now: it is heard, and the follow-up waits for a hello; a hello or a word or two gets
     * the follow-up's question */
    long words = gap >= FOLLOWUP_GAP ? step_words(t->text) : 0;
    if (words < 0)
        turn_fail(t, SB_ENOMEM);
    if (gap >= FOLLOWUP_GAP && (words <= SAYS_ITS_OWN_WORDS || arrive_is_greeting(t)) &&
        followup_ask(t))
        return;
    if (step_is_closing(t)) {
        turn_say_data(t, "closing");
        return;
    }
    /* "next" with no exercise or question waiting: no goodbye (the model's weak guess) */
    size_t rest = 0;
    int next = match_words(json_object_get(dialogs_data(t->d, "commands"), "nothing_next_words"),
                           t->text, &rest);
    if (next < 0)
        turn_fail(t, next);
    if (next == 2) {
        turn_say_data(t, "nothing_next");
        return;
    }
    const char *id = NULL;
    route r;
    int rc = match_trigger(t->d, t->text, &id);
    if (rc < 0)
        turn_fail(t, rc);
    else if (rc == 1 && hear_heard(t, id))
        flow_start_heard(t, id, NULL, 0);
    else if (rc == 1 && hear_tells(t)) { /* "i went quiet on my partner when...": the moment */
        size_t before = t->nreplies;
        if (flow_start_heard(t, id, NULL, 1)) { /* not asked: what was heard, said first */
            route_say_heard(t, id);
            turn_reply_move_last(t, before);
        }
    }
    else if (rc == 1)
        flow_start(t, id, NULL);
    else if ((gap < FOLLOWUP_GAP || route_reads_report(t)) && hear_reports_back(t))
        ; /* soon after, a few words are the report; after a quiet spell, what reads as one */
    else if (route_idle(t, &r))
        step_start(t, &r, gap);
    else if (!hear_listen(t))
        fallback(t);
}

/* Says commands.json "set_aside" when a dialog waits: something starts on top of it and it
 * will resume afterwards. The welcome's closing menu (first_contact, consent answered) is not
 * set aside but let go: what started answers its "where would you like to start?"; a dialog
 * marked "opener" (hello's menu) stays without a word. */
void step_set_aside(turn *t)
{
    const char *top = sb_json_str(turn_top(t), "dialog");
    if (let_go_welcome(t))
        return;
    /* hello's "what would you like to do?" is no conversation in the middle: it stays, to
     * be asked again after, without being announced as kept */
    if (top && !json_is_true(json_object_get(dialogs_dialog(t->d, top), "opener")))
        turn_say_data(t, "set_aside");
}
