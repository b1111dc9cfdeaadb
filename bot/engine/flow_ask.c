/* flow_ask.c — the question a dialog waits on: what it waits for, asked before an answer
 * is taken (a choice, a question that sets something such as consent or forget, a yes/no,
 * a listening state, whether the answer would be asked again), and asking it again: after
 * a miss (with the retries of commands.json), after an aside, and when the dialog resumes
 * after an interruption (its last question, not the whole text). flow.h. */
#include "flow.h"

#include "answer.h"
#include "choose.h"
#include "exercise.h"
#include "match.h"
#include "safety.h"
#include "sb.h"
#include "sb_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int flow_waits_consequence(turn *t)
{
    json_t *frame = turn_top(t);
    if (!flow_waits_choice(t))
        return 0;
    const json_t *st = flow_state_of(t, frame);
    size_t i;
    const json_t *ch;
    const json_t *each_list = json_object_get(st, "choices");
    json_array_foreach(each_list, i, ch) {
        const char *next = sb_json_str(ch, "next") ? sb_json_str(ch, "next") : sb_json_str(st, "next");
        const json_t *dialog = dialogs_dialog(t->d, sb_json_str(frame, "dialog"));
        const json_t *target = next ? json_object_get(json_object_get(dialog, "states"), next)
                                    : NULL;
        const char *action = sb_json_str(target, "action");
        if (json_object_get(target, "set") || (action && strcmp(action, "forget") == 0))
            return 1;
    }
    return 0;
}

int flow_takes_yes_no(turn *t)
{
    json_t *frame = turn_top(t);
    if (!flow_waits_choice(t))
        return 0;
    const json_t *choices = json_object_get(flow_state_of(t, frame), "choices");
    size_t index;
    int yes = match_choice(choices, "yes", &index);
    int no = yes == 0 ? match_choice(choices, "no", &index) : 0;
    if (yes < 0 || no < 0)
        turn_fail(t, SB_ENOMEM);
    return yes > 0 || no > 0;
}

int flow_about_choices(turn *t)
{
    json_t *frame = turn_top(t);
    if (!flow_waits_choice(t))
        return 0;
    const json_t *st = flow_state_of(t, frame);
    const json_t *filler = json_object_get(dialogs_data(t->d, "commands"), "filler_words");
    size_t index = 0, shared = 0;
    if (match_choice_overlap(json_object_get(st, "choices"), filler, t->text, NULL, &index,
                             &shared) < 0)
        turn_fail(t, SB_ENOMEM);
    return shared > 0;
}

int flow_listening(turn *t)
{
    json_t *frame = turn_top(t);
    if (!frame || !json_object_get(frame, "dialog") || json_object_get(frame, "reflect"))
        return 0;
    const char *reflect = sb_json_str(flow_state_of(t, frame), "reflect");
    return reflect && strcmp(reflect, "echo") == 0;
}

int flow_waits_choice(turn *t)
{
    json_t *frame = turn_top(t);
    if (!frame || !json_object_get(frame, "dialog") || json_object_get(frame, "reflect"))
        return 0;
    return strcmp(flow_expect_of(flow_state_of(t, frame)), "choice") == 0;
}

int flow_would_retry(turn *t)
{
    json_t *frame = turn_top(t);
    if (frame && !json_object_get(frame, "dialog"))
        return exercise_would_retry(t, frame);
    if (!frame || json_object_get(frame, "reflect"))
        return 0;
    const json_t *st = flow_state_of(t, frame);
    const char *expect = flow_expect_of(st);
    size_t index = 0;
    int rc = 1;
    if (strcmp(expect, "choice") == 0 && !json_object_get(st, "other"))
        rc = choose_choice(t, frame, st, &index);
    else if (strcmp(expect, "rating") == 0)
        rc = match_rating(t->text);
    if (rc < 0)
        turn_fail(t, rc);
    return rc == 0;
}

#define RESUME_FULL 300       /* bytes of a text or rating state's say repeated whole on resume */
#define RESUME_FULL_CHOICE 160 /* ... of a choice state's say without a question */

/* 1 when p (inside s) starts a sentence: at s, after a newline, or after ". " "! " "? ". */
static int sentence_starts(const char *s, const char *p)
{
    return p == s || p[-1] == '\n' ||
           (p - s >= 2 && p[-1] == ' ' && strchr(".!?", p[-2]));
}

/* What of a state's text to say again when its dialog resumes after an interruption (an
 * exercise, help): its last question ("What would help today?", not the greeting or the
 * long answer before it); else, for a choice state, the whole text only when short (the
 * choices say the rest); for a text or rating state the whole text when short, else its
 * last paragraph. A copy (NULL on ENOMEM; "" for nothing). */
static char *resume_part(const char *text, int choice)
{
    size_t len = strlen(text);
    if (!choice && len <= RESUME_FULL)
        return sb_strdup(text);
    const char *para = text;
    for (const char *p = strstr(text, "\n\n"); p; p = strstr(p + 2, "\n\n"))
        para = p + 2;
    para += strspn(para, " \n");
    const char *q = strrchr(text, '?');
    if (q) {
        const char *start = q;
        while (start > text && !sentence_starts(text, start))
            start--;
        const char *end = q + 1 + strspn(q + 1, "*_)\"'");
        size_t stars = 0;
        for (const char *p = start; p < end; p++)
            stars += *p == '*';
        if (stars % 2 == 0) /* never cut a *phrase* or **bold** in half */
            return sb_strndup(start, (size_t)(end - start));
    }
    if (choice)
        return sb_strdup(len <= RESUME_FULL_CHOICE ? text : "");
    return sb_strdup(para);
}

/* flow_say_state for a dialog that resumes: resume_part of the say, then the choices. */
static void say_state_again(turn *t, json_t *frame, const json_t *st)
{
    char key[200];
    snprintf(key, sizeof key, "%.90s/%.90s", sb_json_str(frame, "dialog"), sb_json_str(frame, "state"));
    const json_t *texts = json_object_get(st, "say");
    char *text = texts ? turn_render(t, key, texts, flow_vars(t, frame)) : sb_strdup("");
    char *part = text ? resume_part(text, strcmp(flow_expect_of(st), "choice") == 0) : NULL;
    free(text);
    flow_say_with_choices(t, st, part);
}

void flow_resay(turn *t)
{
    json_t *frame = turn_top(t);
    if (!frame)
        return;
    if (!json_object_get(frame, "dialog")) {
        exercise_resay(t, frame);
        return;
    }
    if (json_object_get(frame, "reflect"))
        answer_resay_reflection(t, frame);
    else
        flow_say_state(t, frame, flow_state_of(t, frame), 0);
}

void flow_ask_again(turn *t)
{
    json_t *frame = turn_top(t);
    if (json_object_get(frame, "dialog"))
        say_state_again(t, frame, flow_state_of(t, frame));
}

void flow_ask_briefly(turn *t)
{
    if (flow_waits_choice(t))
        flow_ask_again(t);
    else
        flow_resay(t);
}

void flow_resume(turn *t)
{
    json_t *frame = turn_top(t);
    /* hello's menu comes back as "what next?", not as a conversation resumed */
    if (!json_is_true(json_object_get(dialogs_dialog(t->d, sb_json_str(frame, "dialog")), "opener")))
        turn_say_data(t, "resume");
    if (frame && json_object_get(frame, "dialog") && !json_object_get(frame, "reflect"))
        say_state_again(t, frame, flow_state_of(t, frame));
    else
        flow_resay(t);
}

/* The whole message a number ("5", " 12. "): a choice by number that is not one of those
 * offered (a number in range was matched before this is asked). */
static int bare_number(const char *text)
{
    size_t digits = 0;
    while (*text == ' ')
        text++;
    while (*text >= '0' && *text <= '9')
        text++, digits++;
    if (*text == '.' || *text == ')')
        text++;
    while (*text == ' ')
        text++;
    return digits > 0 && *text == '\0';
}

/* "4" at the check-in's "Shall we?" (a menu whose first choice leads to a rating): ready to
 * rate, so the first choice is taken and the first rating asked; the number answers no
 * question yet seen. 1 when taken. */
static int rating_ahead(turn *t, json_t *frame, const json_t *st)
{
    const char *next = sb_json_str(json_array_get(json_object_get(st, "choices"), 0), "next");
    const json_t *dialog = dialogs_dialog(t->d, sb_json_str(frame, "dialog"));
    const json_t *then = next ? json_object_get(json_object_get(dialog, "states"), next) : NULL;
    if (!then || strcmp(flow_expect_of(then), "rating") != 0)
        return 0;
    flow_go(t, frame, next);
    return 1;
}

void flow_missed(turn *t, json_t *frame, const json_t *st)
{
    const json_t *commands = dialogs_data(t->d, "commands");
    int rating = strcmp(flow_expect_of(st), "rating") == 0;
    const json_t *again = json_object_get(commands, rating ? "retry_again_rating" : "retry_again");
    int in_safety_plan = safety_is_plan(t->d, sb_json_str(frame, "dialog"));
    /* "5" where two choices are offered: an answer, only not one of these; no miss */
    const json_t *wrong_number = json_object_get(commands, "retry_number");
    if (strcmp(flow_expect_of(st), "choice") == 0 && bare_number(t->text) &&
        rating_ahead(t, frame, st))
        return;
    if (wrong_number && strcmp(flow_expect_of(st), "choice") == 0 && bare_number(t->text)) {
        flow_say_with_choices(t, st, turn_render(t, "commands/retry_number", wrong_number, NULL));
        return;
    }
    json_int_t misses = json_integer_value(json_object_get(frame, "misses")) + 1;
    if (frame == turn_top(t) && flow_waits_consequence(t)) {
        /* consent or forget: never let go of unanswered nor met with a vague "I don't
         * follow"; the state's own retry says how to answer it (to "maybe" too) */
        /* ... unless the state names a way on after so many ("unanswered": consent is
         * taken as a no after five messages that answer nothing, and said so) */
        const json_t *unanswered = json_object_get(st, "unanswered");
        const char *on = sb_json_str(unanswered, "next");
        if (on && misses >= json_integer_value(json_object_get(unanswered, "after"))) {
            json_object_del(frame, "misses");
            flow_go(t, frame, on);
            return;
        }
        turn_set(t, frame, "misses", json_integer(misses));
        flow_say_state(t, frame, st, 1);
        return;
    }
    /* "hmm", "maybe": thinking aloud is no miss; the choices again, without "didn't catch" */
    size_t rest = 0;
    int thinking = match_words(json_object_get(commands, "thinking_words"),
                               t->text + answer_laugh_len(t->d, t->text), &rest);
    if (thinking < 0)
        turn_fail(t, thinking);
    if (thinking == 2 && json_object_get(commands, "retry_thinking")) {
        flow_say_with_choices(t, st, turn_render(t, "commands/retry_thinking",
                                            json_object_get(commands, "retry_thinking"), NULL));
        return;
    }
    if (misses >= 3 && again && !in_safety_plan) {
        turn_say_data(t, "retry_leave"); /* they were told they could just say it */
        flow_reset(t);
        t->released = 1;
        return;
    }
    turn_set(t, frame, "misses", json_integer(misses));
    if (misses % 2 == 0 && again) {
        char key[64];
        snprintf(key, sizeof key, "commands/%s", rating ? "retry_again_rating" : "retry_again");
        flow_say_with_choices(t, st, turn_render(t, key, again, NULL));
    } else {
        flow_say_state(t, frame, st, 1);
    }
}
