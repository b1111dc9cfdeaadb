/* safety.c — the crisis answer of each category and what follows it (safety.h): a
 * restatement answered again, one kind check after a downplay, the direct question on
 * unclear risk, the check when the person comes back. The words are crisis.json's and its
 * dialogs'; the matching is crisis.c's; starting dialogs is flow.c's. */
#include "safety.h"

#include "crisis_model.h"
#include "engine.h"
#include "flow.h"
#include "person.h"
#include "sb_json.h"
#include "understand.h"
#include "sb.h"
#include "text.h"

#include <stdio.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int safety_check(const sb_dialogs *d, const char *text)
{
    return safety_check_how(d, text, NULL);
}

/* The category whose thoughts the direct question asks about ("are you having thoughts of
 * ending your life?"): hopelessness is read as near to it, never to a plan or to abuse. */
#define SAFETY_UNCLEAR_CATEGORY "suicide"
/* ... or to a plan, when nothing but the hopelessness says so ("i'm done with everything"):
 * a plan the rules do not see and the classifier is not sure of beyond "unclear" */
#define SAFETY_UNCLEAR_PLAN "imminent"

/* 1 when text holds hopelessness the coach asks about directly (crisis.json "ask" phrases:
 * "whats even the point anymore"), the classifier reads it as thoughts of suicide and is
 * not sure beyond classifier "unclear": then it is the direct question's, not the crisis
 * answer's; so when it reads a plan in nothing but such words. 0 without "unclear", for
 * any other category, and when the phrases cannot be read (ENOMEM): safety first. */
static int hopeless_only(const sb_dialogs *d, turn *t, const json_t *classifier,
                         const char *text, const crisis_guess *g)
{
    double unclear = json_number_value(json_object_get(classifier, "unclear"));
    const crisis_matcher *ask = dialogs_safety_matcher(d, SAFETY_ASK);
    return unclear > 0 && g->p < unclear &&
           (strcmp(g->category, SAFETY_UNCLEAR_CATEGORY) == 0 ||
            strcmp(g->category, SAFETY_UNCLEAR_PLAN) == 0) &&
           (t ? crisis_check_text(ask, &t->folds, text, NULL) : crisis_match(ask, text)) > 0;
}

/* The crisis classifier's reading of text into g, through t's memo when t is not NULL
 * (t->text is then text). SB_OK or SB_ENOMEM. */
static int classifier_read(const sb_dialogs *d, turn *t, const char *text, crisis_guess *g)
{
    if (t && t->crisis_of && t->crisis_of == text) {
        *g = t->crisis;
        return SB_OK;
    }
    int rc = crisis_model_guess(dialogs_crisis_model(d), dialogs_normalizer(d), text, g);
    if (t && rc == SB_OK) {
        t->crisis = *g;
        t->crisis_of = text;
    }
    return rc;
}

static int check_how(const sb_dialogs *d, turn *t, const char *text, int *learned);

/* 1 when a dialog around a crisis waits for t: there hopelessness said again is no longer
 * unclear, and it is never asked about (aside() and the ask step leave those dialogs alone),
 * so the classifier's reading stands. */
static int in_safety_dialog(turn *t)
{
    return t && safety_is_own(t->d, json_string_value(json_object_get(turn_top(t), "dialog")));
}

int safety_check_how(const sb_dialogs *d, const char *text, int *learned)
{
    return check_how(d, NULL, text, learned);
}

int safety_check_turn(turn *t, int *learned)
{
    return check_how(t->d, t, t->text, learned);
}

#define FIGURE_REST_WORDS 4 /* words beside a figure of speech that the classifier reads */

/* Words of s (runs of non-spaces). */
static long words_in(const char *s)
{
    long n = 0;
    for (const char *p = s; *p; p++)
        n += !isspace((unsigned char)*p) && (p == s || isspace((unsigned char)p[-1]));
    return n;
}

/* The sentences of text (cut at . ! ? ; and line breaks) in which the rules find no figure
 * of speech (a clause after "but" is one of its own), joined by ". "; owned, NULL on ENOMEM. A sentence with a figure keeps its
 * context to itself: "i took the pills the doctor gave me" is never read without "the
 * doctor gave me". */
#define TURN_MAX 32 /* bytes of a word of classifier "turns" */

/* Bytes of p before its sentence ends (. ! ? ; line break) or a word of turns begins:
 * crisis.json classifier "turns", the words that turn to another statement, so a figure of
 * speech before one does not speak for what follows ("i dont want to kill myself but i
 * wouldnt mind if a bus hit me"). */
static size_t clause_len(const json_t *turns, const char *p)
{
    size_t len = strcspn(p, ".!?;\n");
    size_t i;
    const json_t *w;
    json_array_foreach(turns, i, w) {
        char needle[TURN_MAX + 3];
        const char *word = json_string_value(w);
        if (!word || len == 0 || strlen(word) > TURN_MAX)
            continue;
        snprintf(needle, sizeof needle, " %s ", word);
        const char *at = strcasestr(p + 1, needle); /* past a turn that opens this one */
        if (at && (size_t)(at - p) < len)
            len = (size_t)(at - p);
    }
    return len;
}

static char *beside_figures(const crisis_matcher *rules, const json_t *turns, const char *text)
{
    sb_buf b = {0};
    int rc = sb_buf_append(&b, "", 0);
    for (const char *p = text; rc == SB_OK && *p;) {
        size_t len = clause_len(turns, p);
        char *sentence = sb_strndup(p, len);
        int figure = 0;
        int found = sentence ? crisis_check(rules, sentence, &figure) : SB_ENOMEM;
        if (found < 0)
            rc = found;
        else if (!figure && words_in(sentence) > 0)
            rc = sb_buf_printf(&b, "%s%s", b.len ? ". " : "", sentence);
        free(sentence);
        p += len;
        p += strspn(p, ".!?;\n");
    }
    if (rc != SB_OK) {
        sb_buf_free(&b);
        return NULL;
    }
    return sb_buf_take(&b);
}

static int check_how(const sb_dialogs *d, turn *t, const char *text, int *learned)
{
    if (learned)
        *learned = 0;
    /* The rules first: auditable and precise. When they find nothing, the classifier reads
     * the message too; either one is enough. A known figure of speech ("i cut myself
     * shaving") is the rules' to judge: the classifier, even when sure, reads "i cut myself
     * shaving" as a crisis (tests/crisis/phrases.tsv), so it reads only the sentences
     * without one, when they hold FIGURE_REST_WORDS words. When the rules cannot tell
     * (ENOMEM) that is a crisis; when the classifier cannot tell, the rules' answer stands. */
    int figure = 0;
    const crisis_matcher *rules = dialogs_crisis_matcher(d);
    int mask = t ? crisis_check_text(rules, &t->folds, text, &figure)
                 : crisis_check(rules, text, &figure);
    const crisis_model *model = dialogs_crisis_model(d);
    const json_t *classifier = json_object_get(dialogs_data(d, "crisis"), "classifier");
    if (mask != 0 || !model || !text)
        return mask;
    /* "this deadline is killing me" hides nothing said in another sentence */
    const json_t *turns = json_object_get(
        json_object_get(dialogs_data(d, "crisis"), "classifier"), "turns");
    char *rest = figure ? beside_figures(rules, turns, text) : NULL;
    if (figure && !rest)
        return SB_ENOMEM;
    if (figure && words_in(rest) < FIGURE_REST_WORDS) {
        free(rest);
        return mask;
    }
    double threshold = json_number_value(json_object_get(classifier, "threshold"));
    crisis_guess g;
    int read = rest ? classifier_read(d, NULL, rest, &g) : classifier_read(d, t, text, &g);
    free(rest);
    if (threshold > 0 && read == SB_OK &&
        g.category && g.p >= threshold &&
        (in_safety_dialog(t) || !hopeless_only(d, t, classifier, text, &g))) {
        mask = 1 << safety_category_index(d, g.category);
        if (learned)
            *learned = 1;
    }
    return mask;
}

int engine_is_crisis(const sb_dialogs *d, const char *text)
{
    return safety_check(d, text) != 0; /* safety first: when it cannot tell (ENOMEM), a crisis */
}

const char *engine_crisis_category(const sb_dialogs *d, const char *text)
{
    int mask = safety_check(d, text);
    if (mask == 0)
        return NULL;
    const char *id = sb_json_str(safety_category(d, mask < 0 ? 0 : safety_primary(mask)), "id");
    return id ? id : "";
}

/* 1 when texts (a text or a list) use {abuse_message}. */
static int uses_abuse_message(const json_t *texts)
{
    if (json_is_string(texts))
        return strstr(json_string_value(texts), "{abuse_message}") != NULL;
    size_t i;
    json_t *t;
    json_array_foreach(texts, i, t) {
        if (uses_abuse_message(t))
            return 1;
    }
    return 0;
}

size_t engine_crisis_lines(const sb_dialogs *d, const char *text, const char *lines[2])
{
    int mask = safety_check(d, text);
    if (mask == 0)
        return 0;
    lines[0] = dialogs_crisis_message(d);
    if (mask < 0)
        return 1;
    int primary = safety_primary(mask);
    int abuse = uses_abuse_message(json_object_get(safety_category(d, primary), "reply"));
    const json_t *other;
    for (int i = primary + 1; !abuse && (other = safety_category(d, i)) != NULL; i++)
        abuse = (mask & (1 << i)) && uses_abuse_message(json_object_get(other, "also"));
    lines[1] = dialogs_abuse_message(d);
    return abuse ? 2 : 1;
}

const json_t *safety_category(const sb_dialogs *d, int i)
{
    const json_t *c = dialogs_data(d, "crisis");
    const json_t *categories = json_object_get(c, "categories");
    if (i < 0)
        return NULL;
    if (!categories)
        return i == 0 ? c : NULL;
    return json_array_get(categories, (size_t)i);
}

int safety_category_index(const sb_dialogs *d, const char *id)
{
    const json_t *categories = json_object_get(dialogs_data(d, "crisis"), "categories");
    for (size_t i = 0; id && i < json_array_size(categories) && i < CRISIS_CATEGORIES_MAX; i++) {
        const char *name = sb_json_str(json_array_get(categories, i), "id");
        if (name && strcmp(name, id) == 0)
            return (int)i;
    }
    return 0;
}

int safety_primary(int mask)
{
    for (int i = 0; i < CRISIS_CATEGORIES_MAX; i++)
        if (mask & (1 << i))
            return i;
    return -1;
}

/* 1 when id is a direct question of crisis.json "ask" (its dialog, or one of by_category). */
static int is_ask(const sb_dialogs *d, const char *id)
{
    const json_t *ask = json_object_get(dialogs_data(d, "crisis"), "ask");
    const char *own = sb_json_str(ask, "dialog");
    const char *key;
    const json_t *other;
    if (!id)
        return 0;
    if (own && strcmp(own, id) == 0)
        return 1;
    json_object_foreach((json_t *)json_object_get(ask, "by_category"), key, other) {
        if (json_is_string(other) && strcmp(json_string_value(other), id) == 0)
            return 1;
    }
    return 0;
}

int safety_is_own(const sb_dialogs *d, const char *id)
{
    static const char *const lists[] = {"downplay", "followup", NULL};
    const json_t *c = dialogs_data(d, "crisis");
    for (size_t i = 0; id && lists[i]; i++) {
        const char *own = sb_json_str(json_object_get(c, lists[i]), "dialog");
        if (own && strcmp(own, id) == 0)
            return 1;
    }
    return is_ask(d, id) || safety_is_plan(d, id);
}

int safety_is_plan(const sb_dialogs *d, const char *id)
{
    const json_t *category;
    for (int i = 0; id && (category = safety_category(d, i)) != NULL; i++) {
        const char *plan = sb_json_str(category, "dialog");
        if (plan && strcmp(plan, id) == 0)
            return 1;
    }
    return 0;
}

/* The person's "safety" object, made when missing. Borrowed from the state. */
static json_t *memory(turn *t)
{
    json_t *s = person_get(t->state, PERSON_SAFETY);
    if (!json_is_object(s)) {
        s = json_object();
        turn_fail(t, person_put(t->state, PERSON_SAFETY, s));
    }
    return s;
}

#define LANGUAGE_MIN_WORDS 2 /* words of a language's list a message needs to be taken for it */

/* The code of crisis.json "languages" whose "words" hold most words of the input (at least
 * LANGUAGE_MIN_WORDS), or NULL: only to add one line in that language to the crisis answer.
 * Recognising the crisis never depends on it. */
static const char *language_of(turn *t)
{
    const json_t *langs = json_object_get(dialogs_data(t->d, "crisis"), "languages");
    if (!json_object_size(langs))
        return NULL;
    const char *norm = crisis_text_joined(&t->folds, t->text);
    if (!norm)
        return NULL; /* the line is a courtesy: without memory it is left out */
    const char *best = NULL;
    size_t best_hits = 0;
    const char *code;
    const json_t *lang;
    json_object_foreach((json_t *)langs, code, lang) {
        size_t hits = 0, i;
        const json_t *w;
        const json_t *each_list = json_object_get(lang, "words");
        json_array_foreach(each_list, i, w) {
            hits += json_is_string(w) && text_find_words(norm, json_string_value(w)) >= 0;
        }
        if (hits > best_hits) {
            best = code;
            best_hits = hits;
        }
    }
    return best_hits >= LANGUAGE_MIN_WORDS ? best : NULL;
}

static void answer(turn *t, int mask)
{
    int primary = safety_primary(mask);
    const json_t *category = safety_category(t->d, primary < 0 ? 0 : primary);
    char key[80];
    snprintf(key, sizeof key, "crisis/%.40s", sb_json_str(category, "id") ? sb_json_str(category, "id") : "reply");
    turn_say(t, key, json_object_get(category, "reply"), NULL);
    const char *lang = language_of(t);
    if (lang) { /* in the person's language too: one line, with where to find help */
        snprintf(key, sizeof key, "crisis/language/%.20s", lang);
        const json_t *langs = json_object_get(dialogs_data(t->d, "crisis"), "languages");
        turn_say(t, key, json_object_get(json_object_get(langs, lang), "line"), NULL);
    }
    const json_t *other;
    for (int i = primary + 1; mask > 0 && (other = safety_category(t->d, i)) != NULL; i++) {
        if (!(mask & (1 << i)) || !json_object_get(other, "also"))
            continue;
        snprintf(key, sizeof key, "crisis/%.40s/also", sb_json_str(other, "id") ? sb_json_str(other, "id") : "");
        turn_say(t, key, json_object_get(other, "also"), NULL);
    }
    turn_effect(t, SB_FX_CRISIS, sb_json_str(category, "id"), NULL, 0);
    if (t->in->group)
        return;
    /* Remembered for what follows: a downplay is checked once per crisis answer, a
     * restatement gets this category's answer again, a later conversation starts with a
     * check. Only the category is kept, never the words. */
    json_t *s = memory(t);
    turn_set(t, s, "at", json_integer(t->in->now));
    if (sb_json_str(category, "id"))
        turn_set(t, s, "cat", json_string(sb_json_str(category, "id")));
    turn_set(t, s, "due", json_true());
    json_object_del(s, "checked");
    const char *id = sb_json_str(category, "dialog");
    const char *top = sb_json_str(turn_top(t), "dialog");
    if (top && id && strcmp(top, id) == 0)
        flow_resay(t); /* already in this safety plan: carry on there */
    else if (id)
        flow_start(t, id, NULL);
}

void safety_answer(turn *t, int mask)
{
    if (mask < 0) /* could not tell (ENOMEM): safety first */
        mask = 1;
    answer(t, mask);
}

void safety_answer_category(turn *t, const char *id)
{
    if (!id)
        id = sb_json_str(person_get(t->state, PERSON_SAFETY), "cat");
    answer(t, 1 << safety_category_index(t->d, id));
}

/* Whether text is in list: 1, 0, or SB_ENOMEM (the turn fails). */
static int said(turn *t, safety_list list)
{
    int rc = crisis_check_text(dialogs_safety_matcher(t->d, list), &t->folds, t->text, NULL);
    if (rc < 0)
        turn_fail(t, rc);
    return rc > 0;
}

static const json_t *list_data(turn *t, const char *name)
{
    return json_object_get(dialogs_data(t->d, "crisis"), name);
}

int safety_followup_due(turn *t, int64_t gap)
{
    const json_t *s = person_get(t->state, PERSON_SAFETY);
    return json_is_true(json_object_get(s, "due")) && gap >= SAFETY_DOWNPLAY_WINDOW &&
           sb_json_str(list_data(t, "followup"), "dialog") != NULL;
}

/* Downplaying after a crisis answer: the first time, the check of crisis.json downplay
 * (its dialog replaces the safety plan: one question, and whatever the answer, no loop);
 * after that, its "again" line, and what waits is said again. */
static void downplayed(turn *t, json_t *s)
{
    const json_t *downplay = list_data(t, "downplay");
    if (!json_is_true(json_object_get(s, "checked")) && sb_json_str(downplay, "dialog")) {
        turn_set(t, s, "checked", json_true());
        flow_reset(t);
        flow_start(t, sb_json_str(downplay, "dialog"), NULL);
        return;
    }
    turn_say(t, "crisis/downplay/again", json_object_get(downplay, "again"), NULL);
    if (turn_top(t))
        flow_resay(t);
}

/* Words a message needs before the classifier alone has it asked about: shorter ones only
 * for an ask phrase (at cost 512 "at the train station" reads near a plan). */
#define ASK_MIN_WORDS 5

/* 1 when the classifier sees some risk in the message, below its crisis threshold but at
 * or above crisis.json classifier "ask": then it is asked about directly instead of
 * answered as a crisis, so an ordinary answer that merely sounds heavy ("i think it will be
 * hard") meets a gentle question, never the whole crisis answer. Only a leaning with a
 * question of its own is asked about (ask "by_category", when given): a fight told in
 * passing that leans to abuse ("he slammed the door and went to his moms") is not met with
 * "are you having thoughts of ending your life?". */
static int unclear_to_classifier(turn *t, const char **category)
{
    const crisis_model *model = dialogs_crisis_model(t->d);
    const json_t *crisis = dialogs_data(t->d, "crisis");
    const json_t *k = json_object_get(crisis, "classifier");
    const json_t *fits = json_object_get(json_object_get(crisis, "ask"), "by_category");
    double ask = json_number_value(json_object_get(k, "ask"));
    if (!model || ask <= 0)
        return 0;
    size_t words = 0;
    for (const char *p = t->text; *p; p++)
        words += (p == t->text || p[-1] == ' ') && *p != ' ';
    crisis_guess g;
    int unclear = words >= ASK_MIN_WORDS && classifier_read(t->d, t, t->text, &g) == SB_OK &&
                  g.category && g.p >= ask && (!fits || json_object_get(fits, g.category));
    *category = unclear ? g.category : NULL;
    return unclear;
}

int safety_after(turn *t, int64_t gap)
{
    json_t *s = person_get(t->state, PERSON_SAFETY);
    int64_t since = t->in->now - sb_json_int(s, "at", 0);
    int recent = json_is_object(s) && sb_json_int(s, "at", 0) > 0 && since >= 0;
    /* "no im not ok" at the plan's "are you safe right now?" is its answer (a choice of
     * it), not a restatement to be met with the crisis answer and the same question again */
    const char *plan = sb_json_str(turn_top(t), "dialog");
    int plan_takes = plan && safety_is_plan(t->d, plan) && flow_waits_choice(t) &&
                     !flow_would_retry(t);
    if (recent && since <= SAFETY_RESTATE_WINDOW && !plan_takes && said(t, SAFETY_RESTATE)) {
        safety_answer_category(t, NULL);
        return 1;
    }
    if (safety_followup_due(t, gap) || t->rc != SB_OK)
        return t->rc != SB_OK;
    const char *check = sb_json_str(list_data(t, "downplay"), "dialog");
    const char *waiting = sb_json_str(turn_top(t), "dialog");
    int checking = check && waiting && strcmp(check, waiting) == 0; /* the check takes it */
    if (recent && !checking && since <= SAFETY_DOWNPLAY_WINDOW && said(t, SAFETY_DOWNPLAY)) {
        downplayed(t, s);
        return 1;
    }
    const json_t *ask = list_data(t, "ask");
    const char *dialog = sb_json_str(ask, "dialog");
    const char *top = sb_json_str(turn_top(t), "dialog");
    int asked = json_is_object(s) && sb_json_int(s, "asked", 0) > 0 &&
                t->in->now - sb_json_int(s, "asked", 0) < SAFETY_ASK_QUIET;
    const char *lean = NULL;
    if (!dialog || (top && (safety_is_plan(t->d, top) || is_ask(t->d, top))) ||
        !(said(t, SAFETY_ASK) || unclear_to_classifier(t, &lean)))
        return t->rc != SB_OK;
    /* the classifier leaning to self-harm asks about that ("are you hurting yourself?"),
     * not about ending one's life; hopelessness said in words asks the general question */
    const char *fits = lean ? sb_json_str(json_object_get(ask, "by_category"), lean) : NULL;
    if (fits && dialogs_dialog(t->d, fits))
        dialog = fits;
    if (asked) { /* asked already today: heard, not questioned again */
        turn_say(t, "crisis/ask/again", json_object_get(ask, "again"), NULL);
        if (turn_top(t))
            flow_resay(t);
        return 1;
    }
    turn_set(t, memory(t), "asked", json_integer(t->in->now));
    flow_start(t, dialog, NULL);
    return 1;
}

static void followup_done(turn *t)
{
    json_t *s = person_get(t->state, PERSON_SAFETY);
    if (json_is_object(s))
        json_object_del(s, "due");
    turn_effect(t, SB_FX_CHECKED, NULL, NULL, 0);
}

void safety_followup(turn *t, int answered)
{
    const char *dialog = sb_json_str(list_data(t, "followup"), "dialog");
    followup_done(t);
    flow_reset(t); /* yesterday's safety plan or exercise is not today's first question */
    if (answered)
        flow_start_answered(t, dialog);
    else
        flow_start(t, dialog, NULL);
}

void safety_followup_line(turn *t)
{
    followup_done(t);
    turn_say(t, "crisis/followup/line", json_object_get(list_data(t, "followup"), "line"), NULL);
}
