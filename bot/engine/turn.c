/* turn.c — the bookkeeping of one engine step (turn.h): a private copy of the state,
 * growing lists of replies and effects, no-repeat variant picks, {variable} filling and
 * the dialog stack. What the coach decides lives in engine.c and exercise.c. */
#include "turn.h"

#include "person.h"
#include "sb.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_WORD_MAX 40 /* bytes of a message looked up in answer_words */

/* Said only when a step would otherwise stay silent and the set has no fallback text
 * (a set loaded from one buffer); dialogs_load always brings commands.json. */

/* What a whole message of commands.json "answer_words" stands for ("sí" and "yah" for
 * "yes", "gracias" for "thanks"): the word that menus and understanding know. NULL when the
 * message is not one of them. */
static const char *answer_word(const sb_dialogs *d, const char *text)
{
    const json_t *words = json_object_get(dialogs_data(d, "commands"), "answer_words");
    if (!json_is_object(words) || strlen(text) > ANSWER_WORD_MAX)
        return NULL;
    char key[ANSWER_WORD_MAX + 2];
    if (text_norm_phrase_to(text, key, sizeof key) == (size_t)-1)
        return NULL;
    return json_string_value(json_object_get(words, key));
}

/* The turn on owned (NULL: ENOMEM), which it holds from then on. */
static int begin_owned(turn *t, const sb_dialogs *d, json_t *owned, const sb_input *in)
{
    memset(t, 0, sizeof *t);
    t->d = d;
    t->in = in;
    t->state = owned;
    const char *text = in && in->text ? in->text : "";
    const char *stands_for = d ? answer_word(d, text) : NULL;
    t->text = text_utf8_clean(stands_for ? stands_for : text, TURN_TEXT_MAX);
    if (!t->state || !t->text) {
        json_decref(t->state);
        free(t->text);
        memset(t, 0, sizeof *t);
        return SB_ENOMEM;
    }
    return SB_OK;
}

int turn_begin(turn *t, const sb_dialogs *d, const json_t *state, const sb_input *in)
{
    return begin_owned(t, d, json_is_object(state) ? json_deep_copy(state) : json_object(), in);
}

int turn_begin_take(turn *t, const sb_dialogs *d, json_t *state, const sb_input *in)
{
    if (!json_is_object(state)) {
        json_decref(state);
        state = json_object();
    }
    return begin_owned(t, d, state, in);
}

static void free_results(turn *t)
{
    for (size_t i = 0; i < t->nreplies; i++)
        free(t->replies[i]);
    free(t->replies);
    for (size_t i = 0; i < t->neffects; i++) {
        free(t->effects[i].key);
        free(t->effects[i].value);
    }
    free(t->effects);
    t->replies = NULL;
    t->effects = NULL;
    t->nreplies = t->neffects = 0;
}

int turn_end(turn *t, sb_step *out)
{
    memset(out, 0, sizeof *out);
    if (t->rc == SB_OK && t->nreplies == 0 && t->neffects == 0) {
        /* commands.json's fallback is required in a full set; a set loaded from one
         * buffer (tests, fuzzing) may have none, and then the turn says nothing. */
        const json_t *fallback = json_object_get(dialogs_data(t->d, "commands"), "fallback");
        if (fallback)
            turn_say(t, "commands/fallback", fallback, NULL);
    }
    int rc = t->rc;
    if (rc == SB_OK) {
        out->state = t->state;
        out->replies = t->replies;
        out->nreplies = t->nreplies;
        out->effects = t->effects;
        out->neffects = t->neffects;
    } else {
        free_results(t);
        json_decref(t->state);
    }
    free(t->text);
    free(t->text_md);
    free(t->user_md);
    free(t->guessed);
    crisis_text_free(&t->folds);
    free(t->chosen_by);
    free(t->commanded_by);
    free(t->commanded[0].arg);
    free(t->commanded[1].arg);
    memset(t, 0, sizeof *t);
    return rc;
}

void turn_fail(turn *t, int rc)
{
    if (t->rc == SB_OK)
        t->rc = rc;
}

void turn_set(turn *t, json_t *obj, const char *key, json_t *value)
{
    if (!value || json_object_set_new(obj, key, value))
        turn_fail(t, SB_ENOMEM);
}

void turn_reply_owned(turn *t, char *text)
{
    if (t->rc != SB_OK || !text) {
        free(text);
        turn_fail(t, SB_ENOMEM);
        return;
    }
    if (t->nreplies == t->replies_cap) {
        size_t cap = t->replies_cap ? t->replies_cap * 2 : 4;
        char **p = realloc(t->replies, cap * sizeof *p);
        if (!p) {
            free(text);
            turn_fail(t, SB_ENOMEM);
            return;
        }
        t->replies = p;
        t->replies_cap = cap;
    }
    t->replies[t->nreplies++] = text;
}

void turn_reply_move_last(turn *t, size_t at)
{
    if (at + 1 >= t->nreplies)
        return;
    char *last = t->replies[t->nreplies - 1];
    memmove(t->replies + at + 1, t->replies + at, (t->nreplies - 1 - at) * sizeof *t->replies);
    t->replies[at] = last;
}

void turn_effect(turn *t, sb_effect_kind kind, const char *key, const char *value, long number)
{
    if (t->rc != SB_OK)
        return;
    if (t->neffects == t->effects_cap) {
        size_t cap = t->effects_cap ? t->effects_cap * 2 : 4;
        sb_effect *p = realloc(t->effects, cap * sizeof *p);
        if (!p) {
            turn_fail(t, SB_ENOMEM);
            return;
        }
        t->effects = p;
        t->effects_cap = cap;
    }
    sb_effect e = {kind, sb_strdup(key), sb_strdup(value), number};
    if ((key && !e.key) || (value && !e.value)) {
        free(e.key);
        free(e.value);
        turn_fail(t, SB_ENOMEM);
        return;
    }
    t->effects[t->neffects++] = e;
}

size_t turn_pick(turn *t, const char *key, const json_t *texts)
{
    size_t n = json_is_array(texts) ? json_array_size(texts) : 1;
    if (n <= 1 || t->rc != SB_OK)
        return 0;
    int64_t now = t->in ? t->in->now : 0;
    json_int_t count = (json_int_t)person_turns(t->state);
    uint64_t h = text_hash(&now, sizeof now, TEXT_HASH_SEED);
    h = text_hash(&count, sizeof count, h);
    h = text_hash(&t->picks, sizeof t->picks, h);
    h = text_hash(key, strlen(key), h);
    t->picks++;
    size_t index = (size_t)(h % n);
    json_t *picked = person_picked(t->state);
    if (!picked) {
        turn_fail(t, SB_ENOMEM);
        return 0;
    }
    const json_t *last = json_object_get(picked, key);
    if (json_is_integer(last) && (size_t)json_integer_value(last) == index)
        index = (index + 1 + (size_t)((h >> 32) % (n - 1))) % n;
    if (json_object_set_new(picked, key, json_integer((json_int_t)index)))
        turn_fail(t, SB_ENOMEM);
    return index;
}

typedef struct lookup_ctx {
    turn *t;
    const json_t *vars;
} lookup_ctx;

static int name_is(const char *name, size_t len, const char *s)
{
    return strlen(s) == len && memcmp(name, s, len) == 0;
}

/* *cache, made from s by text_escape_markdown on first use; "" on ENOMEM (rc is set). */
static const char *escaped(turn *t, char **cache, const char *s)
{
    if (!*cache)
        *cache = text_escape_markdown(s);
    if (!*cache)
        turn_fail(t, SB_ENOMEM);
    return *cache ? *cache : "";
}

static const char *lookup(void *ctx, const char *name, size_t len)
{
    lookup_ctx *c = ctx;
    char key[48];
    if (len >= sizeof key)
        return NULL;
    memcpy(key, name, len);
    key[len] = '\0';
    const json_t *v = json_object_get(c->vars, key);
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) /* exercise intro {minutes}: formatted by the caller instead */
        return NULL;
    turn *t = c->t;
    if (name_is(name, len, "user"))
        return escaped(t, &t->user_md, t->in && t->in->user ? t->in->user : "");
    if (name_is(name, len, "crisis_message"))
        return dialogs_crisis_message(t->d);
    if (name_is(name, len, "abuse_message"))
        return dialogs_abuse_message(t->d);
    if (name_is(name, len, "answer"))
        return escaped(t, &t->text_md, t->text);
    return NULL;
}

char *turn_render(turn *t, const char *key, const json_t *texts, const json_t *vars)
{
    if (t->rc != SB_OK)
        return NULL;
    size_t index = turn_pick(t, key, texts);
    const json_t *chosen = json_is_array(texts) ? json_array_get(texts, index) : texts;
    const char *tmpl = json_string_value(chosen);
    lookup_ctx c = {t, vars};
    char *out = text_substitute(tmpl ? tmpl : "", lookup, &c);
    if (!out)
        turn_fail(t, SB_ENOMEM);
    return out;
}

void turn_say(turn *t, const char *key, const json_t *texts, const json_t *vars)
{
    if (!texts || (json_is_array(texts) && json_array_size(texts) == 0))
        return;
    char *text = turn_render(t, key, texts, vars);
    if (text && !*text) {
        free(text);
        return;
    }
    if (text)
        turn_reply_owned(t, text);
}

void turn_say_data(turn *t, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "commands/%s", name);
    const json_t *texts = json_object_get(dialogs_data(t->d, "commands"), name);
    if (texts)
        turn_say(t, key, texts, NULL);
}

json_t *turn_stack(turn *t)
{
    json_t *stack = person_stack(t->state);
    if (!json_is_array(stack)) {
        int rc = person_stack_reset(t->state, NULL);
        if (rc != SB_OK) {
            turn_fail(t, rc);
            return NULL;
        }
        stack = person_stack(t->state);
    }
    return stack;
}

json_t *turn_top(turn *t)
{
    json_t *stack = turn_stack(t);
    size_t n = json_array_size(stack);
    return n ? json_array_get(stack, n - 1) : NULL;
}

void turn_push(turn *t, json_t *frame)
{
    json_t *stack = turn_stack(t);
    if (!frame || !stack || t->rc != SB_OK) {
        json_decref(frame);
        turn_fail(t, SB_ENOMEM);
        return;
    }
    while (json_array_size(stack) >= TURN_STACK_MAX)
        json_array_remove(stack, 0);
    if (json_array_append_new(stack, frame))
        turn_fail(t, SB_ENOMEM);
}

json_t *turn_pop(turn *t)
{
    json_t *stack = turn_stack(t);
    size_t n = json_array_size(stack);
    if (n == 0)
        return NULL;
    json_t *frame = json_incref(json_array_get(stack, n - 1));
    json_array_remove(stack, n - 1);
    return frame;
}

void turn_journal(turn *t, json_t *frame, const char *prompt, const char *text)
{
    if (person_consents(t->state)) {
        turn_effect(t, SB_FX_JOURNAL, prompt, text, 0);
        return;
    }
    if (json_is_true(json_object_get(frame, "told")))
        return;
    turn_say_data(t, "no_consent");
    if (json_object_set_new(frame, "told", json_true()))
        turn_fail(t, SB_ENOMEM);
}

json_t *turn_var(turn *t, const char *text)
{
    size_t n = text_utf8_cut(text, strlen(text), TURN_VAR_MAX);
    json_t *s = json_stringn(text, n);
    if (!s)
        turn_fail(t, SB_ENOMEM);
    return s;
}

json_t *turn_var_said(turn *t, const char *text)
{
    size_t n = text_utf8_cut(text, strlen(text), TURN_VAR_MAX);
    char *cut = sb_strndup(text, n);
    char *md = cut ? text_escape_markdown(cut) : NULL;
    json_t *s = md ? json_string(md) : NULL;
    if (!s)
        turn_fail(t, SB_ENOMEM);
    free(cut);
    free(md);
    return s;
}
