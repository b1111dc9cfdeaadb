/* engine.c — the pure dialog state machine of engine.h, top level: repairs the state it is
 * given, runs the crisis check first on every input, then what follows a crisis (safety.c),
 * then first contact, commands, the
 * waiting frame (flow.c, exercise.c) or idle input (follow-up, triggers, fallback). An
 * answer that fits no choice or rating of the waiting state may start a command phrase or
 * trigger on top instead (interrupt()), so nobody is stuck being asked the same question.
 * Matching lives in match.c, reflection in reflect.c, crisis phrases in crisis.c, the
 * crisis answers and what follows them in safety.c, the bookkeeping of a step (replies,
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

#define FOLLOWUP_GAP (4 * 3600) /* seconds of quiet that make the next input a new talk */

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

/* match_command of the turn's text (direct), looked for once per mode: *arg is a copy the
 * caller frees. */
static int command_of(turn *t, int mode, const json_t **cmd, char **arg)
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

static void command(turn *t, const json_t *cmd, const char *arg)
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
    char clock[16]; /* "nudge me at 8am": the time in it (commands.json "argument_time") */
    if (arg && match_time(cmd, arg, clock, sizeof clock))
        arg = clock;
    if (action)
        turn_effect(t, SB_FX_ACTION, action, arg, 0);
    turn_say(t, key, reply, NULL);
    if (dialog && in_group)
        flow_start_in_group(t, dialog, arg);
    else if (dialog)
        flow_start(t, dialog, arg);
}

#define LISTEN_MIN_WORDS 3   /* words of free text that the listening dialog takes up */
#define LISTEN_OVER_MIN_WORDS 6 /* ... when it means leaving a waiting question for it */
#define CLOSING_MAX_WORDS 7  /* words of a message that a closing phrase makes a goodbye */

static long word_count(const char *text);

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
static int is_closing(turn *t)
{
    const json_t *words = json_object_get(dialogs_data(t->d, "commands"), "closing_words");
    if (!words)
        return 0;
    long found = match_phrases(words, t->text);
    long n = found > 0 ? word_count(t->text) : 0;
    if (found < 0 || n < 0) {
        turn_fail(t, SB_ENOMEM);
        return 0;
    }
    return found > 0 && n <= CLOSING_MAX_WORDS;
}

/* 1 when the input starts with a word of reflection.json "yes" or "no". */
static int starts_yes_no(turn *t)
{
    const json_t *r = dialogs_data(t->d, "reflection");
    size_t rest = 0;
    int yes = match_words(json_object_get(r, "yes"), t->text, &rest);
    int no = match_words(json_object_get(r, "no"), t->text, &rest);
    if (yes < 0 || no < 0)
        turn_fail(t, SB_ENOMEM);
    return yes > 0 || no > 0;
}


/* Free text that no trigger, command or waiting question takes: the listening dialog
 * (commands.json "listen") hears it when it is a few words or more, or when the coach has
 * just said it did not follow. Returns 1 when it started. */
static int listen(turn *t)
{
    const char *id = sb_json_str(dialogs_data(t->d, "commands"), "listen");
    const char *top = sb_json_str(turn_top(t), "dialog");
    if (turn_top(t) && !top) /* an exercise step: a comment on it is the exercise's to take */
        return 0;
    /* never over the safety plan, nor over a question that sets something (consent): it
     * must be answered, or a later "2" would be read as a reply to the listening */
    if (!id || !dialogs_dialog(t->d, id) || (top && strcmp(top, id) == 0) ||
        (top && safety_is_plan(t->d, top)) || (top && flow_waits_consequence(t)))
        return 0;
    long words = word_count(t->text);
    if (words < 0) {
        turn_fail(t, SB_ENOMEM);
        return 1;
    }
    if (words < LISTEN_MIN_WORDS && !(t->missed && words >= 2) && !answer_names_feeling(t))
        return 0;
    /* over a waiting question only what is plainly something else to say: a few words, or
     * a try at the menu's answer ("yes but wait"), are asked again instead */
    /* at a menu of where-to-start ("hello again, what would you like to do?") a few words
     * of how it is going ("not great tbh", "we fought again") are what is on their mind */
    /* so is how they feel, said instead of an answer ("i feel kinda numb tbh") */
    long least = top && flow_waits_choice(t) &&
                         (!flow_takes_yes_no(t) ||
                          (answer_names_feeling(t) && route_reads_feeling(t)))
                     ? LISTEN_MIN_WORDS
                     : LISTEN_OVER_MIN_WORDS;
    if (top && (words < least || flow_about_choices(t) ||
                (starts_yes_no(t) && flow_takes_yes_no(t))))
        return 0;
    /* A menu that someone talks past to say what is on their mind is let go: after a
     * real conversation, "back to where we were" and the old menu would be cold. */
    flow_reset(t);
    flow_start_heard(t, id, NULL, 0);
    return 1;
}

#define REPORT_MIN_WORDS 4 /* words that make a message the answer to a pending follow-up */
#define REPORT_MIN_GAP (20 * 60) /* ... once there was time to try it: not a comment right after */

/* Soon after an exercise whose follow-up is still to be asked ("I'll ask how it went next
 * time"), a message of a few words is most likely the answer already: "I did ask my son.
 * He helped, it was fine". Taken as the follow-up's answer; 1 when it was. */
static int reports_back(turn *t)
{
    const json_t *pending = person_get(t->state, PERSON_FOLLOWUP);
    if (!pending || t->in->now - json_integer_value(json_object_get(pending, "at")) < REPORT_MIN_GAP)
        return 0;
    long words = word_count(t->text);
    if (words < 0)
        turn_fail(t, SB_ENOMEM);
    return words >= REPORT_MIN_WORDS && followup_take(t);
}

#define HEARD_MIN_WORDS 8 /* words that make "can I tell you something: ..." more than a request */

/* 1 when the trigger found starts the listening dialog and the message says more than the
 * request to be heard: then the message is the first thing heard. */
static int listen_heard(turn *t, const char *id)
{
    const char *listen_id = sb_json_str(dialogs_data(t->d, "commands"), "listen");
    if (!listen_id || strcmp(listen_id, id) != 0)
        return 0;
    long words = word_count(t->text);
    if (words < 0)
        turn_fail(t, SB_ENOMEM);
    return words >= HEARD_MIN_WORDS;
}

static void command_or_greeting(turn *t, const json_t *cmd, const char *arg, int64_t gap);

/* Starts what a routing named (route.h), if anything. */
static void start(turn *t, const route *r, int64_t gap)
{
    if (r->command)
        command_or_greeting(t, r->command, r->arg, gap);
    else if (r->dialog && (r->heard || r->opening))
        flow_start_heard(t, r->dialog, r->said, !r->heard);
    else if (r->dialog)
        flow_start(t, r->dialog, NULL);
}

#define TELLS_MIN_WORDS 6 /* words of a message that tells of a moment, not only names one */

/* 1 when a message that holds a dialog's trigger tells something of its own ("i went quiet
 * on my partner and felt my chest tighten"): a statement of a few words, which the model
 * reads as no command or chat act ("i want to do the withdrawal journal" reads as one). A
 * start menu marked "opening" then takes it (flow_start_heard). */
static int tells(turn *t)
{
    long words = word_count(t->text);
    int question = words >= TELLS_MIN_WORDS ? answer_is_question(t->d, t->text) : 1;
    if (words < 0 || question < 0)
        turn_fail(t, SB_ENOMEM);
    return words >= TELLS_MIN_WORDS && question == 0 && route_tells(t);
}

/* Nothing waits: a follow-up after a quiet spell, a trigger, else what understanding makes
 * of the words (route.c), and the fallback only when there is no understanding. */
static void idle_input(turn *t, int64_t gap)
{
    if (gap >= FOLLOWUP_GAP && followup_ask(t))
        return;
    if (is_closing(t)) {
        turn_say_data(t, "closing");
        return;
    }
    const char *id = NULL;
    route r;
    int rc = match_trigger(t->d, t->text, &id);
    if (rc < 0)
        turn_fail(t, rc);
    else if (rc == 1 && listen_heard(t, id))
        flow_start_heard(t, id, NULL, 0);
    else if (rc == 1 && tells(t)) { /* "i went quiet on my partner when...": the moment */
        size_t before = t->nreplies;
        if (flow_start_heard(t, id, NULL, 1)) { /* not asked: what was heard, said first */
            route_say_heard(t, id);
            turn_reply_move_last(t, before);
        }
    }
    else if (rc == 1)
        flow_start(t, id, NULL);
    else if (reports_back(t))
        ;
    else if (route_idle(t, &r))
        start(t, &r, gap);
    else if (!listen(t))
        fallback(t);
}

/* At a menu of the listening dialog, a question back ("what would you do?") is met with
 * reflection.json "heard_question" and the menu again, not "that didn't fit". */
static int question_while_listening(turn *t)
{
    const char *id = sb_json_str(dialogs_data(t->d, "commands"), "listen");
    const char *top = sb_json_str(turn_top(t), "dialog");
    const json_t *texts = json_object_get(dialogs_data(t->d, "reflection"), "heard_question");
    if (!id || !top || strcmp(id, top) != 0 || !texts)
        return 0;
    int question = answer_is_question(t->d, t->text);
    if (question <= 0) {
        if (question < 0)
            turn_fail(t, question);
        return 0;
    }
    turn_say(t, "reflection/heard_question", texts, NULL);
    flow_resay(t);
    return 1;
}

/* Says commands.json "set_aside" when a dialog waits: something starts on top of it and it
 * will resume afterwards. The welcome's closing menu (first_contact, consent answered) is not
 * set aside but let go: what started answers its "where would you like to start?"; a dialog
 * marked "opener" (hello's menu) stays without a word. */
static void set_aside(turn *t)
{
    const char *top = sb_json_str(turn_top(t), "dialog");
    const char *first = sb_json_str(dialogs_data(t->d, "commands"), "first_contact");
    if (top && first && strcmp(top, first) == 0 && !flow_waits_consequence(t)) {
        flow_reset(t); /* the welcome's "where would you like to start?" is answered by it */
        return;
    }
    /* hello's "what would you like to do?" is no conversation in the middle: it stays, to
     * be asked again after, without being announced as kept */
    if (top && !json_is_true(json_object_get(dialogs_dialog(t->d, top), "opener")))
        turn_say_data(t, "set_aside");
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
    if (is_closing(t)) { /* "thanks, that's all for today": a goodbye, not a wrong answer */
        flow_reset(t);
        turn_say_data(t, "closing");
        return 1;
    }
    const char *back = sb_json_str(dialogs_data(t->d, "commands"), "return");
    if (top && back && strcmp(top, back) == 0) {
        /* asked "pick it up or start fresh?", they say something else ("not great tbh"):
         * that is today's conversation, and the old one is let go */
        flow_reset(t);
        idle_input(t, 0);
        return 1;
    }
    const json_t *cmd = NULL;
    char *arg = NULL;
    int rc = command_of(t, MATCH_IDLE, &cmd, &arg);
    const char *dialog = sb_json_str(cmd, "dialog");
    if (rc == 1 && !(dialog && top && strcmp(dialog, top) == 0)) {
        if (dialog)
            set_aside(t);
        command(t, cmd, arg);
        free(arg);
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
        if (listen_id && strcmp(id, listen_id) == 0)
            flow_reset(t); /* see listen(): the menu is let go, not brought back after */
        else
            set_aside(t);
        flow_start(t, id, NULL);
        return 1;
    }
    if (flow_own_words(t) || question_while_listening(t))
        return 1;
    route r;
    size_t before = t->nreplies;
    if (route_interrupt(t, &r)) {
        size_t said = t->nreplies;
        if (r.dialog || sb_json_str(r.command, "dialog"))
            set_aside(t); /* an action ("nudge") leaves the question as it was */
        if (t->nreplies > said) /* said first: the line heard then belongs to what starts */
            turn_reply_move_last(t, before);
        start(t, &r, -1);
        return 1;
    }
    return listen(t);
}

static void command(turn *t, const json_t *cmd, const char *arg);

/* After the stale conversation was let go and no follow-up was due: a greeting gets its
 * command (the hello menu), anything else is read as if nothing waited. */
static void command_or_fallback(turn *t, int greeting)
{
    const json_t *cmd = NULL;
    char *arg = NULL;
    int rc = greeting ? command_of(t, MATCH_IDLE, &cmd, &arg) : 0;
    if (rc < 0)
        turn_fail(t, rc);
    else if (rc == 1)
        command(t, cmd, arg);
    else
        idle_input(t, 0);
    free(arg);
}

/* Someone comes back after a quiet spell (FOLLOWUP_GAP) while a dialog question was left
 * waiting: it is never silently resumed. An answer that plainly fits a waiting menu or
 * rating goes on as usual. A greeting or a few words get commands.json "return" (the
 * welcome-back dialog: pick it up, or start fresh), naming what was left open; a message
 * of its own is what matters now: "return_dropped" names what is let go, and the message
 * is read as if nothing waited. Returns 1 when it did one of those. */
static int returning(turn *t, int64_t gap, int greeting)
{
    const json_t *commands = dialogs_data(t->d, "commands");
    const char *back = sb_json_str(commands, "return");
    json_t *top = turn_top(t);
    const char *id = sb_json_str(top, "dialog");
    if (gap < FOLLOWUP_GAP || !id || !back || !dialogs_dialog(t->d, back) ||
        strcmp(id, back) == 0 || safety_is_plan(t->d, id))
        return 0;
    const json_t *dialog = dialogs_dialog(t->d, id);
    const json_t *st = json_object_get(json_object_get(dialog, "states"), sb_json_str(top, "state"));
    const char *expect = sb_json_str(st, "expect");
    int text = json_object_get(top, "reflect") || (expect && strcmp(expect, "text") == 0);
    if (!greeting && !text && !flow_would_retry(t))
        return 0;
    const char *title = sb_json_str(dialog, "title") ? sb_json_str(dialog, "title") : id;
    long words = word_count(t->text);
    if (words < 0) {
        turn_fail(t, SB_ENOMEM);
        return 1;
    }
    if (person_get(t->state, PERSON_FOLLOWUP)) {
        /* what they set out to do since matters more than a menu left days ago */
        flow_reset(t);
        if (greeting || words <= LISTEN_MIN_WORDS) {
            if (!followup_ask(t))
                command_or_fallback(t, greeting);
        } else {
            idle_input(t, 0);
        }
        return 1;
    }
    const char *listen_id = sb_json_str(commands, "listen");
    if ((listen_id && strcmp(id, listen_id) == 0) ||
        json_is_true(json_object_get(dialog, "opener"))) {
        /* listening days ago, or hello's menu, is nothing to "pick up": today starts fresh */
        flow_reset(t);
        if (greeting || words <= LISTEN_MIN_WORDS)
            command_or_fallback(t, greeting);
        else
            idle_input(t, 0);
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
    idle_input(t, 0);
    return 1;
}

/* 1 when the coach listens: at a listening state, or at the menu of the listening dialog. */
static int in_listening(turn *t)
{
    const char *id = sb_json_str(dialogs_data(t->d, "commands"), "listen");
    const char *top = sb_json_str(turn_top(t), "dialog");
    return flow_listening(t) || (id && top && strcmp(id, top) == 0);
}

/* While the coach listens, a goodbye, a command phrase ("is this a bot?", "what can you
 * do"), a command with the words it takes ("nudge 19:00") or one in other words the model
 * is sure of ("give me something short") is still heard as what it is; triggers are not
 * looked for: a vent that happens to name a topic is still being told. A question back that
 * the model is sure asks for a dialog ("what does the research say?", "is there something
 * practical I could do this week?") is a request, not more of the story: it starts on top,
 * and listening resumes after. Returns 1 when something was done. */
static int interrupt_listening(turn *t)
{
    if (is_closing(t)) {
        flow_reset(t);
        turn_say_data(t, "closing");
        return 1;
    }
    const json_t *cmd = NULL;
    char *arg = NULL;
    int rc = command_of(t, MATCH_IDLE, &cmd, &arg);
    if (rc < 0)
        turn_fail(t, rc);
    /* with words after it, only a command that takes them ("nudge 19:00", "journal ...");
     * "help me understand why i do this" is still being told */
    int taken = rc == 1 && (!arg || json_object_get(cmd, "argument"));
    if (taken)
        command(t, cmd, arg);
    free(arg);
    if (rc != 0)
        return taken;
    if (route_asks_command(t)) {
        /* a command in other words ("fine. give me something short"): listening is let go
         * and the message read as if nothing waited, where routing offers or starts it */
        flow_reset(t);
        idle_input(t, 0);
        return 1;
    }
    int question = answer_is_question(t->d, t->text);
    if (question < 0)
        turn_fail(t, question);
    route r;
    if (question <= 0 || !route_interrupt(t, &r))
        return 0;
    set_aside(t);
    start(t, &r, -1);
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
        return returning(t, gap, 1);
    exercise_where(t, top);
    return 1;
}

#define OPENING_MIN_WORDS 3 /* words that make a first message more than a hello */
#define GREETING_MAX_EXTRA 2 /* words after a greeting word that keep it a greeting ("hi coach") */

/* Words of text in phrase form; -1 on ENOMEM. */
static long word_count(const char *text)
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

/* 1 when text is a greeting: a word of a "greeting" command with at most
 * GREETING_MAX_EXTRA words after it ("hey", "hi coach", "hello there you"). */
static int is_greeting(turn *t)
{
    size_t i;
    json_t *cmd;
    json_array_foreach(json_object_get(dialogs_data(t->d, "commands"), "commands"), i, cmd) {
        size_t rest = 0;
        if (!json_is_true(json_object_get(cmd, "greeting")))
            continue;
        int rc = match_words(json_object_get(cmd, "words"), t->text, &rest);
        long extra = rc == 1 ? word_count(t->text + rest) : 0;
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
static int first_contact(turn *t)
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
    int rc = command_of(t, MATCH_IDLE, &cmd, &arg);
    if (rc == 0)
        rc = match_trigger(t->d, t->text, &trigger);
    long words = rc >= 0 ? word_count(t->text) : -1;
    int greeting = rc >= 0 && words >= 0 && is_greeting(t);
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
            command(t, cmd, arg);
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
            start(t, &r, -1);
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
static void command_or_greeting(turn *t, const json_t *cmd, const char *arg, int64_t gap)
{
    if (json_is_true(json_object_get(cmd, "greeting")) && greet(t, gap))
        return;
    command(t, cmd, arg);
}

static int is_bang(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '!';
}

/* The first message of a later conversation after a crisis: a gentle check on how the
 * person is comes first (safety.c). A greeting or anything but a command hears its
 * question, or answers it (the check-in nudge asked already); a command the person asked
 * for runs after its one-line form. Returns 1 when nothing else is to be done. */
static int followup_after_crisis(turn *t, const json_t *cmd)
{
    if (!cmd) {
        safety_followup(t, !is_greeting(t) && word_count(t->text) > 0);
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
static int64_t note_time(turn *t)
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
static int keep_opening(turn *t)
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
    long words = word_count(t->text);
    int question = words >= OPENING_MIN_WORDS ? answer_is_question(t->d, t->text) : 0;
    if (words < 0 || question < 0) {
        turn_fail(t, SB_ENOMEM);
        return 1;
    }
    if (words < OPENING_MIN_WORDS || question)
        return 0;
    if (kept) { /* they go on talking: all of it is heard once consent is given */
        char *md = text_escape_markdown(t->text); /* kept is escaped already */
        char *more = md ? sb_asprintf("%s\n%s", kept, md) : NULL;
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

/* A message at a waiting question that is plainly an aside (route_aside: "are you a bot?",
 * "should I leave him?", "can you just listen"): met with the act's aside, and the question
 * still waits, said again; it is never taken as the answer. Asking to be listened to leaves
 * the exercise or dialog for the listening conversation, and inside that one is met as it
 * is (at its menu, the menu is said again). Not in the dialogs around a crisis (safety_is_own): there what they write is the
 * talk. Returns 1 when done. */
static int aside(turn *t)
{
    const char *top = sb_json_str(turn_top(t), "dialog");
    if (safety_is_own(t->d, top) || is_bang(t->text))
        return 0;
    const char *listen_id = sb_json_str(dialogs_data(t->d, "commands"), "listen");
    int listening = listen_id && top && strcmp(top, listen_id) == 0;
    const char *act = route_aside(t, listening);
    if (!act)
        return 0;
    if (strcmp(act, "listen") == 0 && listening && !flow_listening(t))
        return 0; /* at the listening menu it is "Keep talking" (flow_own_words) */
    if (strcmp(act, "listen") == 0 && !listening && listen_id &&
        dialogs_dialog(t->d, listen_id)) {
        flow_reset(t); /* as the listen trigger does: what waited is let go */
        flow_start(t, listen_id, NULL);
        return 1;
    }
    /* in the listening conversation's own words the aside is part of the talk; at its menu
     * ("Where would you like to go from here?") it is an aside like anywhere else: answered,
     * and the menu said again */
    int talking = listening && flow_listening(t);
    route_say_aside(t, act, talking);
    if (!talking)
        flow_resay(t);
    return 1;
}

/* Direct input that nothing around a crisis took (safety_after). menu is the menu frame
 * that waited on top (route.h), popped by the caller and taken here: answered or left now. */
static void direct_input(turn *t, int64_t gap, json_t *menu)
{
    int idle = turn_top(t) == NULL;
    const json_t *cmd = NULL;
    char *arg = NULL;
    route r;
    int due = safety_followup_due(t, gap) && !is_bang(t->text);
    if (due) {
        int rc = command_of(t, MATCH_IDLE, &cmd, &arg);
        if (rc < 0 || followup_after_crisis(t, rc == 1 ? cmd : NULL)) {
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
    if (!person_is(t->state, PERSON_MET) && idle && !is_bang(t->text) && first_contact(t)) {
        json_decref(menu);
        return;
    }
    int rc = command_of(t, idle ? MATCH_IDLE : MATCH_WAITING, &cmd, &arg);
    if (rc == 0 && !idle && flow_waits_choice(t)) {
        /* "journal I called my brother back today" at a menu is a journal entry, not the
         * menu's "Read my journal": a command word with its argument is a command there */
        rc = command_of(t, MATCH_IDLE, &cmd, &arg);
        if (rc == 1 && !arg)
            rc = 0;
    }
    if (rc < 0)
        turn_fail(t, rc);
    else if (rc == 1)
        command_or_greeting(t, cmd, arg, gap);
    else if (menu && route_menu_answer(t, menu, &r))
        start(t, &r, gap);
    else if (is_bang(t->text))
        turn_say_data(t, "unknown");
    else if (idle)
        idle_input(t, gap);
    else if (!returning(t, gap, 0) && !keep_opening(t) && !aside(t) && !(in_listening(t) && interrupt_listening(t)) &&
             !(flow_would_retry(t) && interrupt(t)))
        flow_answer(t);
    if (t->released) { /* left a menu it fitted nothing of three times: what's on their mind */
        t->missed = 1; /* they were just told twice that it did not fit */
        idle_input(t, 0);
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
    int rc = command_of(t, MATCH_WAITING, &cmd, &arg);
    if (rc == 0 && !is_bang(t->text))
        rc = match_trigger(t->d, t->text, &id);
    if (rc < 0)
        turn_fail(t, rc);
    else if (cmd)
        command(t, cmd, arg);
    else if (is_bang(t->text))
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
    json_array_foreach(person_stack(state), i, frame) {
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
        int64_t gap = note_time(&t);
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
