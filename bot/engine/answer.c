/* answer.c — free-text and rating answers to a dialog state (answer.h). A guarded person
 * often answers sideways: with a question back ("why are you asking?"), with pushback
 * ("you wouldn't understand"), with "idk". None of those is echoed back as if it were their
 * view of themselves: each gets a short line of its own and the dialog goes on (or, after a
 * question, waits). A plain answer is saved, journaled after consent and, where the state
 * asks for it, reflected back (a one-word answer gets a short acknowledgement instead of a
 * reflection) with a check question whose yes/no/correction is handled here too. What
 * kind of answer a text is (a question, pushback, a shrug) is answer_kind.c's; an answer in
 * a listening state said back is answer_echo.c's. */
#include "answer.h"

#include "flow.h"
#include "match.h"
#include "person.h"
#include "reflect.h"
#include "safety.h"
#include "sb.h"
#include "sb_json.h"
#include "step.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* A question put to the coach where a question of the dialog waits ("you think she hates
 * me?" at "what did you feel?"): 1 when it was met with reflection.json "heard_question"
 * and the waiting question asked again (the check only, after a reflection), so it is
 * not saved as the answer. Once per state: asked back a second time, it is the answer.
 * Never in a safety plan, which takes every answer as it comes, nor where the state asks
 * for words meant for someone else ("quote": the message to send). SB_ENOMEM. */
static int met_question_back(turn *t, json_t *frame, const json_t *st)
{
    if (json_is_true(json_object_get(st, "quote"))) /* "could you give me a lift?" to Jo */
        return 0;
    const json_t *r = dialogs_data(t->d, "reflection");
    const json_t *texts = json_object_get(r, "heard_question");
    const char *state = sb_json_str(frame, "state");
    const char *asked = sb_json_str(frame, "asked_back");
    if (!texts || !state || (asked && strcmp(asked, state) == 0) ||
        safety_is_plan(t->d, sb_json_str(frame, "dialog")))
        return 0;
    int question = answer_is_question(t->d, t->text);
    char *hay = question > 0 ? text_norm_phrase(t->text) : NULL;
    if (question > 0 && !hay)
        return SB_ENOMEM;
    int coach = hay && answer_has_word(json_object_get(r, "asking_words"), hay); /* to the coach */
    free(hay);
    if (question <= 0 || !coach)
        return question < 0 ? question : 0;
    turn_set(t, frame, "asked_back", json_string(state));
    turn_say(t, "reflection/heard_question", texts, NULL);
    if (sb_json_str(frame, "reflect") && strcmp(sb_json_str(frame, "reflect"), "check") == 0)
        turn_say(t, "reflection/check", json_object_get(r, "check"), NULL);
    else
        flow_ask_again(t);
    return 1;
}

void answer_say_kind(turn *t, int kind)
{
    static const char *const names[] = {NULL, "question_reply", "pushback_reply",
                                        "noncommittal_reply"};
    if (kind == ANSWER_SKIP) {
        turn_say_data(t, "skip");
        return;
    }
    if (kind <= ANSWER_PLAIN || kind > ANSWER_UNSURE)
        return;
    char key[64];
    snprintf(key, sizeof key, "reflection/%s", names[kind]);
    turn_say(t, key, json_object_get(dialogs_data(t->d, "reflection"), names[kind]), NULL);
}

/* --- moving on --- */

#define CLOSING_ANSWER_WORDS 3 /* "ok thanks", "thanks a lot": a goodbye, not an answer */

/* Moves frame past st without an answer: a saved name gets the state's "skipped", else
 * commands.json "skipped_answer" (or nothing), so later texts read "(no answer)" rather
 * than a blank. */
static void pass_over(turn *t, json_t *frame, const json_t *st)
{
    const char *save = sb_json_str(st, "save");
    const char *skipped = sb_json_str(st, "skipped"); /* "whenever it fits" for a time */
    if (!skipped)
        skipped = sb_json_str(dialogs_data(t->d, "commands"), "skipped_answer");
    if (save)
        flow_keep(t, frame, save, turn_var(t, skipped ? skipped : ""));
    t->unsure = 1;
    flow_go(t, frame, sb_json_str(st, "next"));
    t->unsure = 0;
}

int answer_names_feeling(turn *t)
{
    int named = reflect_names_feeling(dialogs_data(t->d, "reflection"), t->text);
    if (named < 0)
        turn_fail(t, named);
    return named > 0;
}

/* --- reflection --- */

int answer_say_brief(turn *t, const char *echo, const char *feeling)
{
    const json_t *r = dialogs_data(t->d, "reflection");
    const json_t *brief = json_object_get(r, "brief_reply");
    if (!brief || feeling || strchr(echo, ' '))
        return 0;
    char *echo_md = text_escape_markdown(echo);
    json_t *vars = echo_md ? json_pack("{s:s}", "echo", echo_md) : NULL;
    if (vars)
        turn_say(t, "reflection/brief_reply", brief, vars);
    else
        turn_fail(t, SB_ENOMEM);
    json_decref(vars);
    free(echo_md);
    return 1;
}

static void begin_reflection(turn *t, json_t *frame, const json_t *st)
{
    const json_t *r = dialogs_data(t->d, "reflection");
    char *echo = NULL, *feeling = NULL;
    if (reflect_parts(r, t->text, &echo, &feeling) != SB_OK) {
        turn_fail(t, SB_ENOMEM);
        return;
    }
    /* nothing to reflect ("..."), or one word: take the answer as it is */
    if (!*echo || !r || answer_say_brief(t, echo, feeling)) {
        free(echo);
        free(feeling);
        if (sb_json_str(st, "journal"))
            turn_journal(t, frame, sb_json_str(st, "journal"), t->text);
        flow_go(t, frame, sb_json_str(st, "next"));
        return;
    }
    const char *list = feeling ? "feeling_templates" : "templates";
    char key[64];
    snprintf(key, sizeof key, "reflection/%s", list);
    char *echo_md = text_escape_markdown(echo);
    size_t pick = turn_pick(t, key, json_object_get(r, list));
    char *reflection = echo_md ? reflect_render(r, echo_md, feeling, pick) : NULL;
    free(echo_md);
    char *check = turn_render(t, "reflection/check", json_object_get(r, "check"), NULL);
    if (reflection && check) {
        turn_reply_owned(t, sb_asprintf("%s %s", reflection, check));
        /* kept only while the check waits: to say it again, and (with consent) to journal
         * the answer once it is confirmed */
        turn_set(t, frame, "reflection", turn_var(t, reflection));
        flow_keep(t, frame, "reflection", turn_var(t, reflection));
        turn_set(t, frame, "reflect", json_string("check"));
        if (sb_json_str(st, "journal") && person_consents(t->state))
            turn_set(t, frame, "pending", json_string(t->text));
    } else {
        turn_fail(t, SB_ENOMEM);
    }
    free(reflection);
    free(check);
    free(echo);
    free(feeling);
}

void answer_resay_reflection(turn *t, json_t *frame)
{
    const json_t *r = dialogs_data(t->d, "reflection");
    const char *phase = sb_json_str(frame, "reflect");
    if (phase && strcmp(phase, "correct") == 0) {
        turn_say(t, "reflection/correct", json_object_get(r, "correct"), NULL);
        return;
    }
    char *check = turn_render(t, "reflection/check", json_object_get(r, "check"), NULL);
    const char *reflection = sb_json_str(frame, "reflection");
    if (!reflection) /* a state stored by an older version keeps it among the vars */
        reflection = sb_json_str(flow_vars(t, frame), "reflection");
    if (check)
        turn_reply_owned(t, sb_asprintf("%s %s", reflection ? reflection : "", check));
    free(check);
}

/* The reflection was right, or close enough, or the person moves on without saying: the
 * answer stands as they first gave it. */
static void reflection_stands(turn *t, json_t *frame, const json_t *st)
{
    if (sb_json_str(st, "journal"))
        turn_journal(t, frame, sb_json_str(st, "journal"), sb_json_str(frame, "pending") ? sb_json_str(frame, "pending") : "");
    flow_go(t, frame, sb_json_str(st, "next"));
}

/* The person's answer to "did I get that right?", or to the "how would you put it?" that
 * followed a bare no. Only an answer that starts like a correction ("no, ...", "actually
 * ...", a word of "correction_starts") replaces what they said; yes, "sort of", "idk",
 * "whatever" or anything else moves on with the first answer: "idk" is no new version of
 * it. Asked for one, "never mind" or "idk" keeps the first answer too. */
void answer_reflection(turn *t, json_t *frame, const json_t *st)
{
    const json_t *r = dialogs_data(t->d, "reflection");
    if (text_is_blank(t->text)) {
        answer_resay_reflection(t, frame);
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
    if (kind == ANSWER_SKIP) {
        reflection_stands(t, frame, st);
        return;
    }
    int back = met_question_back(t, frame, st);
    if (back != 0) {
        if (back < 0)
            turn_fail(t, back);
        return;
    }
    const char *said = t->text + answer_laugh_of(r, t->text); /* "jaja no, i mean ..." */
    const char *correction = said;
    if (strcmp(sb_json_str(frame, "reflect"), "check") == 0) {
        size_t yes_rest = 0, no_rest = 0;
        int yes = match_words(json_object_get(r, "yes"), said, &yes_rest);
        int no = match_words(json_object_get(r, "no"), said, &no_rest);
        int corrects = answer_starts_correction(r, said);
        if (yes < 0 || no < 0 || corrects < 0) {
            turn_fail(t, SB_ENOMEM);
            return;
        }
        /* "no you don't get it" is a no that corrects nothing: asked again, not kept */
        if (no == 2 || (no == 1 && (text_is_blank(said + no_rest) || kind == ANSWER_PUSHBACK))) {
            turn_set(t, frame, "reflect", json_string("correct"));
            turn_say(t, "reflection/correct", json_object_get(r, "correct"), NULL);
            return;
        }
        if (no == 1) {
            correction = said + no_rest; /* "no, it was more that ..." */
        }
        else if (!corrects) {
            reflection_stands(t, frame, st);
            return;
        }
    } else if (kind != ANSWER_PLAIN) {
        reflection_stands(t, frame, st);
        return;
    }
    correction += answer_lead_len(r, correction); /* "no, i mean i get scared": "i get scared" */
    if (sb_json_str(st, "save"))
        flow_keep(t, frame, sb_json_str(st, "save"), turn_var_said(t, correction));
    flow_keep(t, frame, "answer", turn_var_said(t, correction));
    if (sb_json_str(st, "journal"))
        turn_journal(t, frame, sb_json_str(st, "journal"), correction);
    turn_say(t, "reflection/thanks", json_object_get(r, "thanks"), NULL);
    flow_go(t, frame, sb_json_str(st, "next"));
}

/* --- text and rating states --- */

/* 1 when a state's text (every variant) asks an open question: a question with a word of
 * commands.json "open_question_words" (what, how, ...), or an instruction without any "?".
 * "Anything you want to add?" is no open question: "no" answers it. */
static int asks_open_question(const sb_dialogs *d, const json_t *st)
{
    static const char *const defaults[] = {"what", "how", "where", "when", "who", "which",
                                           "why", NULL};
    const json_t *words = json_object_get(dialogs_data(d, "commands"), "open_question_words");
    const json_t *say = json_object_get(st, "say");
    size_t n = json_is_array(say) ? json_array_size(say) : 1;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_is_array(say) ? json_array_get(say, i) : say);
        int open = s && !strchr(s, '?');
        for (const char *q = s ? strchr(s, '?') : NULL; q && !open; q = strchr(q + 1, '?')) {
            const char *start = q; /* back to the start of the question's sentence */
            while (start > s && !strchr(".!?\n:", start[-1]))
                start--;
            char *hay = sb_strndup(start, (size_t)(q - start));
            char *norm = hay ? text_norm_phrase(hay) : NULL;
            free(hay);
            if (!norm)
                return SB_ENOMEM;
            size_t k;
            json_t *w;
            if (words) {
                json_array_foreach(words, k, w) {
                    char needle[64];
                    const char *ws = json_string_value(w);
                    size_t len = ws ? text_norm_phrase_to(ws, needle, sizeof needle) : (size_t)-1;
                    open |= len != (size_t)-1 && len > 0 && text_find_words(norm, needle) >= 0;
                }
            } else {
                for (k = 0; defaults[k]; k++)
                    open |= text_find_words(norm, defaults[k]) >= 0;
            }
            free(norm);
        }
        if (!open)
            return 0;
    }
    return 1;
}

/* 1 when the answer is a bare yes or no (reflection.json "yes"/"no", as the whole answer) to
 * an open question the coach has not nudged about in this state yet: "What happened?" "no".
 * Not in a safety plan, where no answer should meet friction. SB_ENOMEM. */
static int yes_no_to_open_question(turn *t, const json_t *frame, const json_t *st)
{
    const json_t *r = dialogs_data(t->d, "reflection");
    if (json_is_true(json_object_get(frame, "nudged")) || !json_object_get(dialogs_data(t->d, "commands"), "yes_no_text") ||
        safety_is_plan(t->d, sb_json_str(frame, "dialog")))
        return 0;
    size_t rest = 0;
    int yes = match_words(json_object_get(r, "yes"), t->text, &rest);
    int no = match_words(json_object_get(r, "no"), t->text, &rest);
    if (yes < 0 || no < 0)
        return SB_ENOMEM;
    return yes == 2 || no == 2 ? asks_open_question(t->d, st) : 0;
}

void answer_text(turn *t, json_t *frame, const json_t *st)
{
    if (text_is_blank(t->text)) {
        flow_say_state(t, frame, st, 0);
        return;
    }
    int kind = answer_kind_of(t->d, t->text);
    if (kind < 0) {
        turn_fail(t, kind);
        return;
    }
    if (kind == ANSWER_QUESTION) { /* answered; the question still waits */
        answer_say_kind(t, kind);
        return;
    }
    if (kind == ANSWER_PUSHBACK || kind == ANSWER_SKIP) {
        answer_say_kind(t, kind);
        pass_over(t, frame, st);
        return;
    }
    /* "thanks" at "When in your day could that fit?" is no time to keep ("after work,
     * thanks"): a goodbye word alone passes the question, as a skip does */
    if (sb_json_str(st, "save") && step_is_closing(t) && step_words(t->text) <= CLOSING_ANSWER_WORDS) {
        pass_over(t, frame, st);
        return;
    }
    int nudge = kind == ANSWER_PLAIN ? yes_no_to_open_question(t, frame, st) : 0;
    if (nudge < 0) {
        turn_fail(t, nudge);
        return;
    }
    if (nudge) {
        turn_set(t, frame, "nudged", json_true());
        turn_say_data(t, "yes_no_text");
        return;
    }
    const char *reflect = sb_json_str(st, "reflect");
    int back = reflect && strcmp(reflect, "echo") == 0 ? 0 : met_question_back(t, frame, st);
    if (back != 0) { /* the listening dialog's echo meets a question back its own way */
        if (back < 0)
            turn_fail(t, back);
        return;
    }
    if (sb_json_str(st, "save"))
        flow_keep(t, frame, sb_json_str(st, "save"), turn_var_said(t, t->text));
    flow_keep(t, frame, "answer", turn_var_said(t, t->text));
    if (kind == ANSWER_UNSURE) { /* their words, kept for later texts, but not journaled */
        answer_say_kind(t, kind);
        t->unsure = 1;
        flow_go(t, frame, sb_json_str(st, "next"));
        t->unsure = 0;
        return;
    }
    if (json_is_true(json_object_get(st, "reflect"))) {
        begin_reflection(t, frame, st);
        return;
    }
    if (reflect && strcmp(reflect, "echo") == 0) {
        if (sb_json_str(st, "journal"))
            turn_journal(t, frame, sb_json_str(st, "journal"), t->text);
        answer_echo(t, frame, st, t->text);
        flow_go(t, frame, sb_json_str(st, "next"));
        return;
    }
    if (sb_json_str(st, "journal"))
        turn_journal(t, frame, sb_json_str(st, "journal"), t->text);
    flow_go(t, frame, sb_json_str(st, "next"));
}

void answer_rating(turn *t, json_t *frame, const json_t *st)
{
    int rating = match_rating(t->text);
    int skip = rating == 0 ? answer_whole_word_of(t->d, "skip_words", t->text) : 0;
    int unsure = rating == 0 ? answer_whole_word_of(t->d, "unsure_words", t->text) : 0;
    if (rating < 0 || skip < 0 || unsure < 0) {
        turn_fail(t, SB_ENOMEM);
        return;
    }
    if ((skip == 2 || unsure == 2) && json_object_get(dialogs_data(t->d, "commands"), "skip")) {
        answer_say_kind(t, ANSWER_SKIP); /* no rating recorded: a scale may be left out */
        pass_over(t, frame, st);
        return;
    }
    if (rating == 0) {
        flow_missed(t, frame, st);
        return;
    }
    char number[4] = {(char)('0' + rating), '\0'};
    if (sb_json_str(st, "save"))
        flow_keep(t, frame, sb_json_str(st, "save"), json_string(number));
    flow_keep(t, frame, "answer", turn_var_said(t, t->text));
    if (sb_json_str(st, "measure"))
        turn_effect(t, SB_FX_RATING, sb_json_str(st, "measure"), NULL, rating);
    flow_go(t, frame, sb_json_str(st, "next"));
}
