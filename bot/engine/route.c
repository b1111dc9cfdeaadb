/* route.c — routing by confidence (route.h): reads the guesses of understand.h against the
 * thresholds and texts of understanding.json and languages.json, says the line said back,
 * the act's reply, the menu or the listening line, and names what the engine starts. It
 * never runs a dialog or command itself (engine.c and flow.c do). The menus it offers, and
 * their answers, are route_menu.c's. */
#include "route.h"
#include "route_impl.h"

#include "answer.h"
#include "flow.h"
#include "match.h"
#include "reflect.h"
#include "person.h"
#include "sb.h"
#include "sb_json.h"
#include "text.h"
#include "understand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SURE_DEFAULT 0.5
#define MARGIN_DEFAULT 0.15
#define MAYBE_DEFAULT 0.15
#define SURE_WAITING_DEFAULT 0.7
#define UNCLEAR_WORDS 5 /* an unplaced message shorter than this is asked about, not reflected */
#define STATEMENT_WORDS 6   /* an unsure statement this long is listened to, not given a menu */
#define SHORT_ACT_WORDS 4   /* an act that is not sure is taken only from a message this short */
#define REFLECT_MIN_WORDS 3 /* words a message needs before listening reflects it */

const json_t *route_understanding(const turn *t)
{
    return dialogs_data(t->d, "understanding");
}

const json_t *route_command_named(const turn *t, const char *name)
{
    return dialogs_command_named(t->d, name); /* indexed at load */
}

/* The model's guesses for t->text into g (INTENT_TOP_MAX), read once per text and turn. */
static size_t guess(turn *t, intent_guess *g)
{
    if (!t->guessed || strcmp(t->guessed, t->text) != 0) {
        free(t->guessed);
        t->guessed = sb_strdup(t->text);
        t->nguesses = understand_guess(t->d, t->text, t->guesses); /* no copy: read again */
    }
    memcpy(g, t->guesses, t->nguesses * sizeof *g);
    return t->nguesses;
}

/* 1 when the message has words in the normal form understanding reads (not only emoji or
 * punctuation). */
static int has_words(const turn *t)
{
    norm_text *w = malloc(sizeof *w);
    if (!w)
        return 0;
    normalizer_run(dialogs_normalizer(t->d), t->text, w);
    int any = w->nwords > 0;
    free(w);
    return any;
}

const json_t *route_act_of(const turn *t, const char *intent)
{
    return json_object_get(json_object_get(route_understanding(t), "acts"), intent);
}

static int is_listening(const char *intent)
{
    return strcmp(intent, "vent") == 0 || strcmp(intent, "listen") == 0;
}

static void say(turn *t, const char *key, const json_t *texts)
{
    char k[160];
    snprintf(k, sizeof k, "understanding/%.140s", key);
    turn_say(t, k, texts, NULL);
}

long route_words_of(const char *text)
{
    long n = 0;
    int in = 0;
    for (const char *p = text; *p; p++) {
        int space = *p == ' ' || *p == '\t' || *p == '\n';
        n += !space && !in;
        in = !space;
    }
    return n;
}

/* The reflection of the input ("It sounds like ..."), when it has words enough. */
void route_reflect_input(turn *t)
{
    if (route_words_of(t->text) < REFLECT_MIN_WORDS)
        return;
    const json_t *r = dialogs_data(t->d, "reflection");
    char *echo = NULL, *feeling = NULL;
    if (reflect_parts(r, t->text, &echo, &feeling) != SB_OK) {
        turn_fail(t, SB_ENOMEM);
        return;
    }
    char *safe = *echo ? text_escape_markdown(echo) : NULL;
    if (*echo && safe) {
        size_t pick = (size_t)text_hash(t->text, strlen(t->text), TEXT_HASH_SEED);
        turn_reply_owned(t, reflect_render(r, safe, feeling, pick));
    } else if (*echo) {
        turn_fail(t, SB_ENOMEM);
    }
    free(safe);
    free(echo);
    free(feeling);
}

/* Listening: the listening dialog when the set names one, else a reflection (or the act's
 * own reply) and an open question of "listen". */
#define HEARD_WORDS 8 /* words that make "can I tell you something: ..." more than a request */


int route_listen(turn *t, route *r, const char *act)
{
    const json_t *u = route_understanding(t);
    const char *dialog = sb_json_str(u, "listen_dialog");
    long words = route_words_of(t->text);
    if (!act && words < UNCLEAR_WORDS && answer_names_feeling(t))
        words = UNCLEAR_WORDS;
    if (dialog && dialogs_dialog(t->d, dialog) && (act || words >= UNCLEAR_WORDS)) {
        /* the listening conversation hears the message itself, unless it only asked to be
         * heard ("can you just listen"): then it asks what is on their mind */
        r->dialog = dialog;
        r->heard = !act || strcmp(act, "listen") != 0 || words >= HEARD_WORDS;
        return 1;
    }
    if (!act && route_words_of(t->text) < UNCLEAR_WORDS) { /* too little to place: ask for more */
        say(t, "unclear", json_object_get(u, "unclear"));
        return 1;
    }
    if (!act) /* words enough that fit no topic: most likely something on their mind */
        act = "vent";
    const json_t *reply = json_object_get(route_act_of(t, act), "reply");
    size_t before = t->nreplies;
    if (strcmp(act, "listen") != 0)
        route_reflect_input(t);
    if (t->nreplies == before && reply) {
        char key[80];
        snprintf(key, sizeof key, "acts/%.60s", act);
        say(t, key, reply);
    }
    if (strcmp(act, "listen") != 0)
        say(t, "listen", json_object_get(u, "listen"));
    return 1;
}

/* 1 when intent is one to offer rather than start ("confirm"). */
static int to_confirm(const turn *t, const char *intent)
{
    size_t i;
    const json_t *c;
    const json_t *each_list = json_object_get(route_understanding(t), "confirm");
    json_array_foreach(each_list, i, c) {
        if (json_is_string(c) && strcmp(json_string_value(c), intent) == 0)
            return 1;
    }
    return 0;
}

/* Leads to intent: the act's reply (and its "then"), or the line said back (heard=1) and
 * the dialog or command. */
int route_go(turn *t, const char *intent, route *r, int heard)
{
    const json_t *act = route_act_of(t, intent);
    if (act && is_listening(intent))
        return route_listen(t, r, intent);
    if (act) {
        char key[80];
        snprintf(key, sizeof key, "acts/%.60s", intent);
        say(t, key, json_object_get(act, "reply"));
        const char *then = sb_json_str(act, "then");
        if (then && route_command_named(t, then))
            r->command = route_command_named(t, then);
        else if (then)
            r->dialog = then;
        return 1;
    }
    if (heard)
        route_say_heard(t, intent);
    if (dialogs_dialog(t->d, intent)) {
        r->dialog = intent;
        r->opening = heard;
    } else
        r->command = route_command_named(t, intent);
    return 1;
}

void route_say_heard(turn *t, const char *intent)
{
    char key[80];
    snprintf(key, sizeof key, "heard/%.60s", intent);
    say(t, key, json_object_get(json_object_get(route_understanding(t), "heard"), intent));
}

#define LANGUAGES_SAID 2 /* lines said when the detector hesitates between languages */

/* A language's reply (languages.json "replies"): its first line the first time the person
 * writes in it, then one of the others, so the introduction is not said over and over. */
static void say_language(turn *t, const char *key, const json_t *reply)
{
    size_t n = json_is_array(reply) ? json_array_size(reply) : 1;
    json_t *picked = person_picked(t->state);
    if (!picked) {
        turn_fail(t, SB_ENOMEM);
        return;
    }
    if (n <= 1 || !json_object_get(picked, key)) {
        turn_say(t, key, json_is_array(reply) ? json_array_get(reply, 0) : reply, NULL);
        if (json_object_set_new(picked, key, json_integer(0)))
            turn_fail(t, SB_ENOMEM);
        return;
    }
    json_t *rest = json_array();
    for (size_t i = 1; rest && i < n; i++)
        if (json_array_append(rest, json_array_get(reply, i)))
            json_decref(rest), rest = NULL;
    if (!rest) {
        turn_fail(t, SB_ENOMEM);
        return;
    }
    char again[64];
    snprintf(again, sizeof again, "%.50s/again", key);
    turn_say(t, again, rest, NULL);
    json_decref(rest);
}

int route_other_language(turn *t)
{
    const char *codes[LANGUAGES_SAID];
    size_t n = understand_language(t->d, t->text, codes, LANGUAGES_SAID);
    const json_t *replies = json_object_get(dialogs_data(t->d, "languages"), "replies");
    int said = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *reply = json_object_get(replies, codes[i]);
        char key[40];
        snprintf(key, sizeof key, "languages/%.20s", codes[i]);
        if (reply) {
            say_language(t, key, reply);
            said = 1;
        }
    }
    return said;
}

/* 1 when the guesses make the model sure of guesses[0]. */
static int is_sure(const turn *t, const intent_guess *g, size_t n)
{
    const json_t *u = route_understanding(t);
    double second = n > 1 ? g[1].p : 0;
    return g[0].p >= sb_json_number(u, "sure", SURE_DEFAULT) &&
           g[0].p - second >= sb_json_number(u, "margin", MARGIN_DEFAULT);
}

#define SURE_ASIDE_QUESTION_DEFAULT 0.45

/* 1 when the guesses lean to guesses[0] enough for a message phrased as a question: the
 * lower bar "sure_aside_question", with the usual margin. */
static int leans_as_question(const turn *t, const intent_guess *g, size_t n)
{
    const json_t *u = route_understanding(t);
    double second = n > 1 ? g[1].p : 0;
    return g[0].p >= sb_json_number(u, "sure_aside_question", SURE_ASIDE_QUESTION_DEFAULT) &&
           g[0].p - second >= sb_json_number(u, "margin", MARGIN_DEFAULT);
}

/* 1 when the text opens as a request (understanding.json "request_starts": "i want to",
 * "can we", "help me") or reads as a question: it asks to be taken somewhere. */
static int asks(turn *t)
{
    int question = answer_is_question(t->d, t->text);
    if (question != 0)
        return question;
    const json_t *starts = json_object_get(route_understanding(t), "request_starts");
    char *hay = json_array_size(starts) ? text_norm_phrase(t->text) : NULL;
    if (!hay)
        return json_array_size(starts) ? SB_ENOMEM : 0;
    int yes = answer_longest_start(starts, hay) > 0;
    free(hay);
    return yes;
}

/* 1 when text is asked as a question or a request ("can we do one of those exercises?")
 * and leans to a dialog or command (not a chat act) as a question must (leans_as_question).
 * Not help: "what else is there?" at a menu is answered by the menu (hear_question). */
static int asks_to_start(turn *t, const intent_guess *g, size_t n)
{
    if (n == 0 || route_act_of(t, g[0].intent) || strcmp(g[0].intent, "help") == 0 ||
        (!dialogs_dialog(t->d, g[0].intent) && !route_command_named(t, g[0].intent)) ||
        !leans_as_question(t, g, n))
        return 0;
    int ask = asks(t);
    if (ask < 0)
        turn_fail(t, ask);
    return ask > 0;
}

int route_asks_to_start(turn *t)
{
    intent_guess g[INTENT_TOP_MAX];
    size_t n = guess(t, g);
    const char *top = sb_json_str(turn_top(t), "dialog");
    return !(top && n > 0 && strcmp(top, g[0].intent) == 0) && asks_to_start(t, g, n);
}

int route_idle(turn *t, route *r)
{
    memset(r, 0, sizeof *r);
    if (route_bare_time(t) || route_bare_zone(t))
        return 1;
    if (route_other_language(t))
        return 1;
    intent_guess g[INTENT_TOP_MAX];
    size_t n = guess(t, g);
    if (!route_understanding(t))
        return 0;
    if (n == 0) /* words, none of which any example has ("asdf"): asked about like any
                   message too far from every intent; no words at all are not routed */
        return has_words(t) ? route_listen(t, r, NULL) : 0;
    if (is_sure(t, g, n) && to_confirm(t, g[0].intent)) {
        char clock[16]; /* "remind me every morning at 8": the 8 is kept for the yes */
        const json_t *cmd = route_command_named(t, g[0].intent);
        int timed = match_time(cmd, t->text, clock, sizeof clock);
        int question = !timed && json_is_true(json_object_get(cmd, "asked_reads"))
                           ? answer_is_question(t->d, t->text)
                           : 0;
        if (question < 0)
            turn_fail(t, question);
        if (question > 0) /* "what time is my nudge?": how it stands, nothing changed */
            return route_go(t, g[0].intent, r, 0);
        route_offer(t, &g[0].intent, 1, 1, timed ? clock : NULL);
        return 1;
    }
    /* "kinda surprised tbh" reads as unsure, yet it names how they feel: that is heard */
    if (is_sure(t, g, n) && strcmp(g[0].intent, "unsure") == 0 && answer_names_feeling(t))
        return route_listen(t, r, NULL);
    if (is_sure(t, g, n))
        return route_go(t, g[0].intent, r, 1);
    /* a statement that fits no one topic surely ("I noticed four pulls today, mostly at
     * work") is listened to; a menu of guesses answers a request or a question ("I want
     * to work on opening up"), which asks to be taken somewhere */
    if (route_words_of(t->text) >= STATEMENT_WORDS) {
        int asking = asks(t);
        if (asking < 0) {
            turn_fail(t, asking);
            return 1;
        }
        if (!asking)
            return route_listen(t, r, is_listening(g[0].intent) ? g[0].intent : NULL);
    }
    double maybe = sb_json_number(route_understanding(t), "maybe", MAYBE_DEFAULT);
    const char *options[MENU_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (g[i].p >= maybe && route_label_of(t, g[i].intent))
            options[k++] = g[i].intent;
    if (k >= 2 || (k == 1 && options[0] == g[0].intent)) {
        route_offer(t, options, k, 0, NULL);
        return 1;
    }
    if (is_listening(g[0].intent))
        return route_listen(t, r, g[0].intent);
    /* a few words that name a feeling ("happy tbh") are listened to, not taken for an act
     * the model is not sure of ("not sure" is no answer to them) */
    if (route_act_of(t, g[0].intent) && g[0].p >= maybe && route_words_of(t->text) <= SHORT_ACT_WORDS &&
        !answer_names_feeling(t))
        return route_go(t, g[0].intent, r, 0);
    return route_listen(t, r, NULL);
}

int route_interrupt(turn *t, route *r)
{
    memset(r, 0, sizeof *r);
    if (route_other_language(t))
        return 1;
    intent_guess g[INTENT_TOP_MAX];
    size_t n = guess(t, g);
    const char *top = sb_json_str(turn_top(t), "dialog");
    const char *first = sb_json_str(dialogs_data(t->d, "commands"), "first_contact");
    /* a command in other words ("remind me every morning at 8") is one too, at the
     * sureness a waiting question asks for; it runs on top, its time found in the words */
    const json_t *cmd = n > 0 ? route_command_named(t, g[0].intent) : NULL;
    if (n == 0 || (!dialogs_dialog(t->d, g[0].intent) && !cmd) || route_act_of(t, g[0].intent) ||
        (to_confirm(t, g[0].intent) && !cmd) || (top && strcmp(top, g[0].intent) == 0) ||
        (top && first && strcmp(top, first) == 0 && flow_waits_consequence(t)))
        return 0;
    if ((!is_sure(t, g, n) ||
         g[0].p < sb_json_number(route_understanding(t), "sure_waiting", SURE_WAITING_DEFAULT)) &&
        !asks_to_start(t, g, n))
        return 0;
    r->arg = cmd && match_time(cmd, t->text, r->clock, sizeof r->clock) ? r->clock : NULL;
    return route_go(t, g[0].intent, r, 1);
}

int route_asks_command(turn *t)
{
    intent_guess g[INTENT_TOP_MAX];
    size_t n = guess(t, g);
    return n > 0 && route_command_named(t, g[0].intent) && is_sure(t, g, n);
}

int route_tells(turn *t)
{
    intent_guess g[INTENT_TOP_MAX];
    size_t n = guess(t, g);
    return n > 0 && dialogs_dialog(t->d, g[0].intent) != NULL;
}

int route_says_something(turn *t)
{
    intent_guess g[INTENT_TOP_MAX];
    size_t n = guess(t, g);
    /* a chat act only when the model is sure of it: "i dont relly know why im here. my
     * therapst said to try this" leans to "unsure" and still says something */
    return n == 0 || !route_act_of(t, g[0].intent) || is_listening(g[0].intent) || !is_sure(t, g, n);
}


const char *route_aside(turn *t, int listening)
{
    const json_t *u = route_understanding(t);
    const json_t *asides = json_object_get(u, "asides");
    if (json_array_size(asides) == 0 && json_array_size(json_object_get(u, "asides_listening")) == 0)
        return NULL;
    intent_guess g[INTENT_TOP_MAX];
    size_t n = guess(t, g);
    if (n == 0 || !route_act_of(t, g[0].intent))
        return NULL;
    size_t i;
    const json_t *a;
    const char *act = NULL;
    json_array_foreach(asides, i, a) {
        if (json_is_string(a) && strcmp(json_string_value(a), g[0].intent) == 0)
            act = json_string_value(a);
    }
    /* "this is kinda dumb" while listening is said to the coach, not about the story;
     * at an exercise's question pushback is the answer's to take (answer.h) */
    const json_t *each_list = json_object_get(u, "asides_listening");
    json_array_foreach(each_list, i, a) {
        if (listening && json_is_string(a) && strcmp(json_string_value(a), g[0].intent) == 0)
            act = json_string_value(a);
    }
    if (!act)
        return NULL;
    if (is_sure(t, g, n))
        return act;
    if (!leans_as_question(t, g, n))
        return NULL;
    int question = answer_is_question(t->d, t->text);
    if (question < 0)
        turn_fail(t, question);
    return question > 0 ? act : NULL;
}

int route_say_aside(turn *t, const char *act, int listening)
{
    const json_t *a = route_act_of(t, act);
    const json_t *texts = listening && !is_listening(act) && json_object_get(a, "reply")
                              ? NULL
                              : json_object_get(a, "aside"); /* an act with no reply: its aside */
    char key[80];
    snprintf(key, sizeof key, "acts/%.50s/%s", act, texts ? "aside" : "reply");
    say(t, key, texts ? texts : json_object_get(a, "reply"));
    return json_object_get(a, "reply") == NULL;
}

int route_means(turn *t, const char *intent)
{
    intent_guess g[INTENT_TOP_MAX];
    size_t n = guess(t, g);
    return n > 0 && route_understanding(t) && strcmp(g[0].intent, intent) == 0 && is_sure(t, g, n);
}

int route_asks_for(turn *t, const char *intent)
{
    intent_guess g[INTENT_TOP_MAX];
    size_t n = guess(t, g);
    return n > 0 && route_understanding(t) && strcmp(g[0].intent, intent) == 0 &&
           leans_as_question(t, g, n);
}

/* 1 when the model's first guess is an intent of understanding.json list (a key). */
static int reads_as(turn *t, const char *list)
{
    intent_guess g[INTENT_TOP_MAX];
    size_t n = guess(t, g);
    size_t i;
    const json_t *name;
    const json_t *each_list = json_object_get(route_understanding(t), list);
    json_array_foreach(each_list, i, name) {
        if (n > 0 && json_is_string(name) && strcmp(json_string_value(name), g[0].intent) == 0)
            return 1;
    }
    return 0;
}

int route_reads_feeling(turn *t)
{
    return reads_as(t, "feeling_intents");
}

int route_reads_report(turn *t)
{
    return reads_as(t, "report_intents");
}

int route_first(turn *t, route *r)
{
    memset(r, 0, sizeof *r);
    if (route_other_language(t))
        return 1;
    intent_guess g[INTENT_TOP_MAX];
    size_t n = guess(t, g);
    if (n == 0 || !is_sure(t, g, n) || !route_command_named(t, g[0].intent) ||
        dialogs_dialog(t->d, g[0].intent))
        return 0;
    return route_go(t, g[0].intent, r, 1);
}
