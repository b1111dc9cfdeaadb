/* choose.c — which choice of a menu an answer picks: by number, word or label (match.c),
 * by mood (a shrug, an "ok"), or as words of its own for an "own_words" choice. Moved out of
 * flow.c, which runs the dialog the choice then leads on in. */
#include "choose.h"

#include "answer.h"
#include "match.h"
#include "route.h"
#include "safety.h"
#include "sb.h"
#include "sb_json.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

#define CHOICES_MAX 64 /* choices of a state the label rule looks at */

/* 1 when choice ch of state st leads straight to a state that changes a setting or runs an
 * action (consent, forget, ...): such a choice wants its number or one of its words. */
static int consequential(turn *t, const json_t *frame, const json_t *st, const json_t *ch)
{
    const char *next = sb_json_str(ch, "next") ? sb_json_str(ch, "next") : sb_json_str(st, "next");
    const json_t *dialog = dialogs_dialog(t->d, sb_json_str(frame, "dialog"));
    if (next && strncmp(next, "dialog:", 7) == 0) {
        dialog = dialogs_dialog(t->d, next + 7);
        next = sb_json_str(dialog, "start");
    }
    const json_t *target = next ? json_object_get(json_object_get(dialog, "states"), next) : NULL;
    return json_object_get(target, "set") || json_object_get(target, "action");
}

/* 1 when choice ch of frame's state st closes the dialog: it leads to a final state of the
 * same dialog that runs no action ("That's enough for now"). */
static int closing(turn *t, const json_t *frame, const json_t *st, const json_t *ch)
{
    const char *next = sb_json_str(ch, "next") ? sb_json_str(ch, "next") : sb_json_str(st, "next");
    const json_t *dialog = dialogs_dialog(t->d, sb_json_str(frame, "dialog"));
    const json_t *target = next ? json_object_get(json_object_get(dialog, "states"), next) : NULL;
    return json_is_true(json_object_get(target, "final")) && !json_object_get(target, "action");
}

/* 1 when the last question mark of st's first say variant ends its text ("... Shall we?"). */
static int ends_on_question(const json_t *st)
{
    const json_t *say = json_object_get(st, "say");
    const char *s = json_string_value(json_is_array(say) ? json_array_get(say, 0) : say);
    size_t n = s ? strlen(s) : 0;
    while (n > 0 && strchr(" \n*_", s[n - 1]))
        n--;
    return n > 0 && s[n - 1] == '?';
}

/* The one choice i (not skipped) for which pick(i) holds; 1 with *index, else 0. */
static int only_one(const json_t *choices, const unsigned char *skip, const unsigned char *pick,
                    size_t *index)
{
    size_t found = 0, count = 0;
    for (size_t i = 0; i < json_array_size(choices); i++)
        if (pick[i] && !skip[i]) {
            found = i;
            count++;
        }
    if (count == 1)
        *index = found;
    return count == 1;
}

#define SENTENCE_WORDS 3 /* words before the model, not the word lists, reads a shrug */

/* 1 when text has SENTENCE_WORDS words or more ("maybe" is a word list's to read). */
static int sentence(const char *text)
{
    size_t words = 0;
    for (const char *p = text; *p;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (*p)
            words++;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
    }
    return words >= SENTENCE_WORDS;
}

/* An answer of commands.json "unsure_words" ("idk", "not sure"), or a sentence the model is sure
 * means "unsure" ("honestly idk why im here") where a choice is marked so, picks the one choice marked
 * "unsure": true ("I can't find one", "Tell me more first"). One of "agree_words" ("ok",
 * "sure", "fine") picks, after a question, the one choice that has "yes" among its words;
 * else the one choice that closes the dialog ("That's enough for now"): a shrug at a menu is
 * a way to finish, not a reason to be asked again. Consequential choices (skip) never. */
static int choose_by_mood(turn *t, const json_t *frame, const json_t *st,
                          const unsigned char *skip, size_t *index)
{
    const json_t *commands = dialogs_data(t->d, "commands");
    const json_t *choices = json_object_get(st, "choices");
    size_t rest = 0;
    const char *said = t->text + answer_laugh_len(t->d, t->text); /* "lol ok" */
    int unsure = match_words(json_object_get(commands, "unsure_words"), said, &rest);
    int agree = match_words(json_object_get(commands, "agree_words"), said, &rest);
    if (unsure < 0 || agree < 0)
        return SB_ENOMEM;
    unsigned char pick[CHOICES_MAX] = {0};
    size_t i;
    json_t *ch;
    int has_unsure = 0; /* the model's "unsure" only picks such a choice, never closes */
    json_array_foreach(choices, i, ch) {
        has_unsure |= json_is_true(json_object_get(ch, "unsure"));
    }
    if (unsure != 2 && agree != 2 && has_unsure && sentence(t->text) && route_means(t, "unsure"))
        unsure = 2;
    if (unsure == 2) {
        json_array_foreach(choices, i, ch) {
            pick[i] = json_is_true(json_object_get(ch, "unsure"));
        }
        if (only_one(choices, skip, pick, index))
            return 1;
        if (safety_is_plan(t->d, sb_json_str(frame, "dialog")))
            return 0; /* in the safety plan a shrug never ends it */
        memset(pick, 0, sizeof pick); /* no "not sure" choice: a shrug finishes, as below */
    } else if (agree != 2) {
        return 0;
    }
    if (agree == 2 && ends_on_question(st)) {
        json_array_foreach(choices, i, ch) {
            size_t k;
            json_t *w;
            const json_t *each_list = json_object_get(ch, "words");
            json_array_foreach(each_list, k, w) {
                char word[16];
                const char *raw = json_string_value(w);
                pick[i] |= raw && text_norm_command_to(raw, word, sizeof word) != (size_t)-1 &&
                           strcmp(word, "yes") == 0;
            }
        }
        if (only_one(choices, skip, pick, index))
            return 1;
        memset(pick, 0, sizeof pick);
    }
    json_array_foreach(choices, i, ch) {
        pick[i] = (unsigned char)closing(t, frame, st, ch);
    }
    return only_one(choices, skip, pick, index);
}

#define OWN_WORDS_MIN 3 /* words of an answer that an "own_words" choice takes as said */

/* The one choice marked "own_words" ("Yes, I have a moment in mind", "Keep talking"), when
 * the answer is a few words of its own: the person went straight to what that choice
 * asks for. Returns 1 with *index, 0 when none, SB_ENOMEM. */
int choose_own_words(turn *t, const json_t *choices, size_t *index)
{
    size_t i, found = 0, count = 0;
    json_t *ch;
    json_array_foreach(choices, i, ch) {
        if (json_is_true(json_object_get(ch, "own_words"))) {
            found = i;
            count++;
        }
    }
    int question = count == 1 ? answer_is_question(t->d, t->text) : 0;
    if (question < 0)
        return question;
    if (count != 1 || question) /* "so what do I do?" is no moment, word or idea */
        return 0;
    char *norm = text_norm_phrase(t->text);
    if (!norm)
        return SB_ENOMEM;
    size_t words = *norm != '\0';
    for (const char *p = norm; *p; p++)
        words += *p == ' ';
    free(norm);
    int feeling = answer_names_feeling(t);
    if (words < OWN_WORDS_MIN && !feeling) /* "numb" at "keep talking?" is talk */
        return 0;
    if (feeling && json_is_false(json_object_get(json_array_get(choices, found), "feelings")) &&
        route_reads_feeling(t))
        return 0; /* "i feel kinda numb tbh" is no idea for a step: said, not planned */
    *index = found;
    return 1;
}

/* The choice the input selects: by number, word or label start (match_choice), else the
 * one label that holds all of its significant words (match_choice_label), else by an
 * unsure or agreeing answer (choose_by_mood), never a consequential choice those ways. */
#define PASSING_REST_WORDS 4 /* words after a closing choice's word that make it a word in passing */

/* 1 when choice index of st closes the dialog but was picked by its word opening a longer
 * message that says something else: "no you don't get it", "no i want to keep talking",
 * "done, he never listens anyway". Pushback, a question, or PASSING_REST_WORDS more words
 * after it; "no thanks im good" still closes. */
static int closes_in_passing(turn *t, const json_t *frame, const json_t *st, size_t index)
{
    const json_t *ch = json_array_get(json_object_get(st, "choices"), index);
    size_t rest = 0;
    if (!closing(t, frame, st, ch) || match_words(json_object_get(ch, "words"), t->text, &rest) != 1)
        return 0;
    const char *more = t->text + rest;
    int kind = answer_kind_of(t->d, more);
    if (kind == ANSWER_PUSHBACK || kind == ANSWER_QUESTION || answer_is_question(t->d, more) == 1)
        return 1;
    char *hay = text_norm_phrase(more);
    if (!hay)
        turn_fail(t, SB_ENOMEM);
    size_t words = hay ? answer_count_words(hay, strlen(hay)) : 0;
    free(hay);
    return words >= PASSING_REST_WORDS;
}

#define OTHERWISE_MIN_WORDS 2 /* words of another choice's phrase that outweigh an opening word */

/* 1 when the word before byte at of hay (phrase form) is one of reflection.json "negations". */
static int negated(turn *t, const char *hay, long at)
{
    long end = at;
    while (end > 0 && hay[end - 1] == ' ')
        end--;
    long start = end;
    while (start > 0 && hay[start - 1] != ' ')
        start--;
    if (end == start)
        return 0;
    size_t i;
    const json_t *w;
    json_array_foreach(json_object_get(dialogs_data(t->d, "reflection"), "negations"), i, w) {
        char neg[64];
        size_t n = json_is_string(w) ? text_norm_phrase_to(json_string_value(w), neg, sizeof neg)
                                     : (size_t)-1;
        if (n != (size_t)-1 && n == (size_t)(end - start) && memcmp(hay + start, neg, n) == 0)
            return 1;
    }
    return 0;
}

/* A message that opens with a word of choice index and goes on to say another choice in
 * more words than it opened with (OTHERWISE_MIN_WORDS at least, not negated) picks that one: "no really im
 * ok" at "are you safe? / Yes, I'm safe / Not really" is the first ("im ok"), not the "no"
 * it opens with; "yes but not really" is the second. Never a consequential choice (forget's
 * yes). 1 with *other set when so. */
static int said_otherwise(turn *t, const json_t *frame, const json_t *st, size_t index,
                          size_t *other)
{
    const json_t *choices = json_object_get(st, "choices");
    size_t rest = 0;
    if (match_words(json_object_get(json_array_get(choices, index), "words"), t->text, &rest) != 1)
        return 0;
    char *hay = text_norm_phrase(t->text + rest);
    char *opening = sb_strndup(t->text, rest);
    char *opening_norm = opening ? text_norm_phrase(opening) : NULL;
    free(opening);
    if (!hay || !opening_norm) {
        free(hay);
        free(opening_norm);
        turn_fail(t, SB_ENOMEM);
        return 0;
    }
    /* longer than the words it opens with: "i dunno, kind of tight" stays "i dunno" */
    size_t min_words = answer_count_words(opening_norm, strlen(opening_norm)) + 1;
    free(opening_norm);
    if (min_words < OTHERWISE_MIN_WORDS)
        min_words = OTHERWISE_MIN_WORDS;
    size_t best = 0, j, k;
    int found = 0;
    const json_t *ch, *w;
    json_array_foreach(choices, j, ch) {
        if (j == index || consequential(t, frame, st, ch)) /* those want their own word */
            continue;
        json_array_foreach(json_object_get(ch, "words"), k, w) {
            char needle[128];
            size_t n = json_is_string(w) ? text_norm_phrase_to(json_string_value(w), needle, sizeof needle)
                                         : (size_t)-1;
            if (n == (size_t)-1 || n <= best || answer_count_words(needle, n) < min_words)
                continue;
            long at = text_find_words(hay, needle);
            if (at < 0 || negated(t, hay, at))
                continue;
            best = n;
            *other = j;
            found = 1;
        }
    }
    free(hay);
    return found;
}

static int choose_now(turn *t, const json_t *frame, const json_t *st, size_t *index)
{
    const json_t *choices = json_object_get(st, "choices");
    int rc = match_choice(choices, t->text, index);
    if (rc == 1 && closes_in_passing(t, frame, st, *index))
        rc = 0;
    size_t other;
    if (rc == 1 && said_otherwise(t, frame, st, *index, &other))
        *index = other;
    if (rc != 0 || json_array_size(choices) > CHOICES_MAX)
        return rc;
    unsigned char skip[CHOICES_MAX] = {0};
    size_t i;
    json_t *ch;
    json_array_foreach(choices, i, ch) {
        skip[i] = (unsigned char)consequential(t, frame, st, ch);
    }
    const json_t *filler = json_object_get(dialogs_data(t->d, "commands"), "filler_words");
    rc = match_choice_label(choices, filler, t->text, skip, index);
    if (rc == 0)
        rc = choose_by_mood(t, frame, st, skip, index);
    size_t shared = 0;
    if (rc == 0)
        rc = match_choice_overlap(choices, filler, t->text, skip, index, &shared);
    return rc;
}

/* choose, read once per text and state: the engine asks whether an answer would be retried
 * before it answers it (st, from the dialogs, names the frame's dialog too). */
int choose_choice(turn *t, const json_t *frame, const json_t *st, size_t *index)
{
    if (t->chosen_by && t->chosen_at == st && strcmp(t->chosen_by, t->text) == 0) {
        *index = t->chosen_index;
        return t->chosen_rc;
    }
    int rc = choose_now(t, frame, st, index);
    if (rc >= 0) {
        free(t->chosen_by);
        t->chosen_by = sb_strdup(t->text);
        t->chosen_at = st;
        t->chosen_rc = rc;
        t->chosen_index = rc == 1 ? *index : 0;
    }
    return rc;
}
