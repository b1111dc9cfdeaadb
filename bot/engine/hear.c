/* hear.c — free text that no command or waiting answer takes, heard as what it is: the
 * listening dialog takes up what someone came to say (hear_listen), a report of a step
 * taken answers its follow-up, a message that tells of a moment starts the dialog it names
 * with that moment, and while the coach listens, a goodbye, a command or a question back is
 * still heard as one. An aside at a waiting question ("are you a bot?") is answered and the
 * question said again. Part of the step of engine.c (step.h). */
#include "step.h"

#include "answer.h"
#include "crisis.h"
#include "exercise.h"
#include "exercise_pick.h"
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
#include "understand.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LISTEN_OVER_MIN_WORDS 6 /* ... when it means leaving a waiting question for it */

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
int hear_listen(turn *t)
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
    long words = step_words(t->text);
    if (words < 0) {
        turn_fail(t, SB_ENOMEM);
        return 1;
    }
    /* "rough week" at a where-to-start menu: two words the model is sure are a vent */
    int vents = words >= 2 && !(top && flow_takes_yes_no(t)) && route_means(t, "vent");
    if (words < LISTEN_MIN_WORDS && !(t->missed && words >= 2) && !answer_names_feeling(t) &&
        !vents)
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
    if (top && ((words < least && !vents) || flow_about_choices(t) ||
                (starts_yes_no(t) && flow_takes_yes_no(t))))
        return 0;
    /* A menu that someone talks past to say what is on their mind is let go: after a
     * real conversation, "back to where we were" and the old menu would be cold. */
    flow_reset(t);
    if (words < LISTEN_MIN_WORDS && vents) /* too few words to say back: asked to go on */
        flow_start(t, id, NULL);
    else
        flow_start_heard(t, id, NULL, 0);
    return 1;
}

#define REPORT_MIN_WORDS 4 /* words that make a message the answer to a pending follow-up */
#define REPORT_MIN_GAP (20 * 60) /* ... once there was time to try it: not a comment right after */

/* Soon after an exercise whose follow-up is still to be asked ("I'll ask how it went next
 * time"), a message of a few words is most likely the answer already: "I did ask my son.
 * He helped, it was fine". Taken as the follow-up's answer; 1 when it was. */
int hear_reports_back(turn *t)
{
    const json_t *pending = person_get(t->state, PERSON_FOLLOWUP);
    if (!pending || t->in->now - json_integer_value(json_object_get(pending, "at")) < REPORT_MIN_GAP)
        return 0;
    long words = step_words(t->text);
    if (words < 0)
        turn_fail(t, SB_ENOMEM);
    return words >= REPORT_MIN_WORDS && followup_take(t);
}

#define HEARD_MIN_WORDS 8 /* words that make "can I tell you something: ..." more than a request */

/* 1 when the trigger found starts the listening dialog and the message says more than the
 * request to be heard: then the message is the first thing heard. */
int hear_heard(turn *t, const char *id)
{
    const char *listen_id = sb_json_str(dialogs_data(t->d, "commands"), "listen");
    if (!listen_id || strcmp(listen_id, id) != 0)
        return 0;
    long words = step_words(t->text);
    if (words < 0)
        turn_fail(t, SB_ENOMEM);
    if (words < HEARD_MIN_WORDS)
        return 0;
    /* "can we talk about the move in thing" is the request, however long its topic: one
     * sentence that asks to be heard. "can i tell you something? she left" says more. */
    size_t len = strlen(t->text);
    while (len > 0 && strchr("?!. \t\r\n", t->text[len - 1]))
        len--;
    if (memchr(t->text, '?', len) || memchr(t->text, '.', len) || memchr(t->text, ':', len) ||
        memchr(t->text, '!', len) || memchr(t->text, ',', len))
        return 1;
    int question = answer_is_question(t->d, t->text);
    if (question < 0)
        turn_fail(t, question);
    return !(question > 0 && route_means(t, "listen"));
}

#define TELLS_MIN_WORDS 6 /* words of a message that tells of a moment, not only names one */

/* 1 when a message that holds a dialog's trigger tells something of its own ("i went quiet
 * on my partner and felt my chest tighten"): a statement of a few words, which the model
 * reads as no command or chat act ("i want to do the withdrawal journal" reads as one). A
 * start menu marked "opening" then takes it (flow_start_heard). */
int hear_tells(turn *t)
{
    long words = step_words(t->text);
    int question = words >= TELLS_MIN_WORDS ? answer_is_question(t->d, t->text) : 1;
    if (words < 0 || question < 0)
        turn_fail(t, SB_ENOMEM);
    return words >= TELLS_MIN_WORDS && question == 0 && route_tells(t);
}

/* At a menu of the listening dialog, a question back ("what would you do?") is met with
 * reflection.json "heard_question" and the menu's question again, not "that didn't fit"
 * (and not the summary of what was heard, said just before); one that asks what there is
 * to do ("what else is there?") with "heard_options" and the menu. */
int hear_question(turn *t)
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
    /* "what else is there?" asks what can be done: the menu is the answer to that */
    const json_t *options = json_object_get(dialogs_data(t->d, "reflection"), "heard_options");
    if (options && flow_waits_choice(t) && route_asks_for(t, "help"))
        turn_say(t, "reflection/heard_options", options, NULL);
    else if (route_asks_to_start(t))
        return 0; /* "can we do one of those exercises?": route_interrupt's */
    else
        turn_say(t, "reflection/heard_question", texts, NULL);
    flow_ask_briefly(t);
    return 1;
}

/* 1 when the coach listens: at a listening state, or at the menu of the listening dialog. */
int hear_in_listening(turn *t)
{
    const char *id = sb_json_str(dialogs_data(t->d, "commands"), "listen");
    const char *top = sb_json_str(turn_top(t), "dialog");
    return flow_listening(t) || (id && top && strcmp(id, top) == 0);
}

#define ACK_WORDS_MAX 3 /* words of an "ok cool" that hear_ack takes */
#define ACK_HOPS_MAX 8  /* states followed from a listening question to its menu */

/* While the coach listens, "ok cool" or "no thats it" is no more of the story, nor an
 * answer to the question it follows: it is met with reflection.json "heard_ack" and the menu the
 * listening questions lead to, with what was heard so far ({heard}); before anything was
 * told, with the "ack" act's reply, and the question still waits. Only when the model is
 * sure the message is an "ack" or a "no" (not a goodbye). */
static int hear_ack(turn *t)
{
    json_t *frame = turn_top(t);
    const json_t *texts = json_object_get(dialogs_data(t->d, "reflection"), "heard_ack");
    if (!texts || !flow_listening(t))
        return 0;
    const char *heard = sb_json_str(flow_vars(t, frame), "heard");
    long words = step_words(t->text);
    if (words < 1 || words > ACK_WORDS_MAX ||
        !(route_means(t, "ack") || (route_means(t, "no") && !step_is_closing(t))))
        return 0;
    if (!heard || !*heard) /* nothing told yet: the act's "Okay. I'm here...", and it waits */
        return route_say_aside(t, "ack", 1) == 0;
    const json_t *dialog = dialogs_dialog(t->d, sb_json_str(frame, "dialog"));
    const json_t *states = json_object_get(dialog, "states");
    const char *next = sb_json_str(flow_state_of(t, frame), "next");
    for (int hops = 0; next && hops < ACK_HOPS_MAX; hops++) { /* the menu the questions lead to */
        const json_t *st = json_object_get(states, next);
        if (!st)
            return 0;
        if (strcmp(flow_expect_of(st), "choice") == 0) {
            turn_say(t, "reflection/heard_ack", texts, NULL);
            flow_go(t, frame, next);
            return 1;
        }
        next = sb_json_str(st, "next");
    }
    return 0;
}

/* While the coach listens, "thanks for not judging" is thanks in passing, not a goodbye:
 * a message opening with reflection.json "thanks_leads" whose rest has no closing word
 * ("thanks for listening, bye" still closes) is met with "heard_thanks", and the question
 * still waits. */
static int hear_thanks(turn *t)
{
    const json_t *r = dialogs_data(t->d, "reflection");
    const json_t *texts = json_object_get(r, "heard_thanks");
    if (!texts || !flow_listening(t))
        return 0;
    char *hay = text_norm_phrase(t->text);
    if (!hay) {
        turn_fail(t, SB_ENOMEM);
        return 0;
    }
    size_t lead = answer_longest_start(json_object_get(r, "thanks_leads"), hay);
    const json_t *closing_words = json_object_get(dialogs_data(t->d, "commands"), "closing_words");
    long closing = lead > 0 ? match_phrases(closing_words, hay + lead) : 1;
    free(hay);
    if (closing < 0)
        turn_fail(t, SB_ENOMEM);
    if (closing != 0)
        return 0;
    turn_say(t, "reflection/heard_thanks", texts, NULL);
    return 1;
}

/* While the coach listens, a goodbye, a command phrase ("is this a bot?", "what can you
 * do"), a command with the words it takes ("nudge 19:00") or one in other words the model
 * is sure of ("give me something short") is still heard as what it is; triggers are not
 * looked for: a vent that happens to name a topic is still being told. A question back that
 * the model is sure asks for a dialog ("what does the research say?", "is there something
 * practical I could do this week?") is a request, not more of the story: it starts on top,
 * and listening resumes after. Returns 1 when something was done. */
int hear_interrupt(turn *t)
{
    if (hear_ack(t) || hear_thanks(t))
        return 1;
    if (step_is_closing(t)) {
        flow_reset(t);
        turn_say_data(t, "closing");
        return 1;
    }
    const json_t *cmd = NULL;
    char *arg = NULL;
    int rc = step_command_of(t, MATCH_IDLE, &cmd, &arg);
    if (rc < 0)
        turn_fail(t, rc);
    /* with words after it, only a command that takes them ("nudge 19:00", "journal ...");
     * "help me understand why i do this" is still being told */
    int taken = rc == 1 && (!arg || json_object_get(cmd, "argument"));
    if (taken)
        step_command(t, cmd, arg);
    free(arg);
    if (rc != 0)
        return taken;
    /* at the listening menu "whats next?" is answered by the menu (hear_question) */
    int menu_answers = flow_waits_choice(t) && route_means(t, "help");
    if (menu_answers)
        return 0;
    if (route_asks_command(t)) {
        /* a command in other words ("fine. give me something short"): listening is let go
         * and the message read as if nothing waited, where routing offers or starts it */
        flow_reset(t);
        step_idle(t, 0);
        return 1;
    }
    int question = answer_is_question(t->d, t->text);
    if (question < 0)
        turn_fail(t, question);
    route r;
    if (question <= 0 || !route_interrupt(t, &r))
        return 0;
    step_set_aside(t);
    step_start(t, &r, -1);
    return 1;
}

/* A message at a waiting question that is plainly an aside (route_aside: "are you a bot?",
 * "should I leave him?", "can you just listen"): met with the act's aside, and the question
 * still waits, said again; it is never taken as the answer. Asking to be listened to leaves
 * the exercise or dialog for the listening conversation, and inside that one is met as it
 * is (at its menu, the menu is said again). Not in the dialogs around a crisis (safety_is_own): there what they write is the
 * talk. Returns 1 when done. */
int hear_aside(turn *t)
{
    const char *top = sb_json_str(turn_top(t), "dialog");
    if (safety_is_own(t->d, top) || step_is_bang(t->text))
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
    /* an act with no reply of its own for the talk ("are you judging me?") is an aside
     * there too: answered, and the listening question said again */
    if (route_say_aside(t, act, talking) || !talking)
        flow_ask_briefly(t);
    return 1;
}

#define TOPIC_BAR 0.5  /* summed probability of a topic's intents over what was heard */
#define TOPICS_MAX 32  /* topics scored; more are not chosen this way */

const char *hear_topic(turn *t)
{
    const char *listen_id = sb_json_str(dialogs_data(t->d, "commands"), "listen");
    json_t *frame = turn_top(t);
    const char *id = sb_json_str(frame, "dialog");
    const char *heard = frame ? sb_json_str(flow_vars(t, frame), "heard") : NULL;
    const json_t *topics = json_object_get(dialogs_data(t->d, "exercises"), "topics");
    if (!listen_id || !id || strcmp(id, listen_id) != 0 || !heard ||
        json_array_size(topics) > TOPICS_MAX)
        return NULL;
    double score[TOPICS_MAX] = {0};
    char line[TURN_VAR_MAX];
    for (const char *p = heard; *p;) { /* each thing heard on its own ("- ..." a line) */
        size_t len = strcspn(p, "\n");
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        p += len + (p[len] == '\n');
        intent_guess g[INTENT_TOP_MAX];
        size_t n = line[0] ? understand_guess(t->d, line, g) : 0;
        const char *intents[INTENT_TOP_MAX];
        double prob[INTENT_TOP_MAX];
        for (size_t i = 0; i < n; i++) {
            intents[i] = g[i].intent;
            prob[i] = g[i].p;
        }
        exercise_topic_score(topics, intents, prob, n, score);
    }
    return exercise_topic_best(topics, score, TOPIC_BAR);
}
