/* answer_kind.c — what kind of answer a text is, before anything is made of it: a question
 * to the coach, pushback, a shrug, a skip (answer_kind_of); a question at all
 * (answer_is_question); and the small readings answer.c shares: a laugh or a linking word
 * that opens it, a correction ("no, i mean ..."), words of a list. Pure: reads the
 * dialogs' reflection.json and commands.json, says nothing. */
#include "answer.h"

#include "match.h"
#include "sb.h"
#include "text.h"
#include "typo.h"

#include <stdlib.h>
#include <string.h>

#define PUSHBACK_EXTRA_WORDS 4 /* words after a pushback phrase that still make it pushback */

size_t answer_laugh_len(const sb_dialogs *d, const char *text)
{
    return answer_laugh_of(dialogs_data(d, "reflection"), text);
}

/* Bytes of hay (phrase form) taken by the longest phrase of list that hay starts with, at a
 * word boundary; 0 for none. */
size_t answer_longest_start(const json_t *list, const char *hay)
{
    size_t best = 0, i;
    json_t *p;
    json_array_foreach(list, i, p) {
        char needle[256];
        const char *s = json_string_value(p);
        /* a phrase opening with a letter or digit has it first, lowered, in its phrase
         * form: most are told apart from hay without making that form */
        unsigned char c = s ? (unsigned char)s[0] : 0;
        if (((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) &&
            (unsigned char)hay[0] != (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c))
            continue;
        size_t n = s ? text_norm_phrase_to(s, needle, sizeof needle) : (size_t)-1;
        if (n == (size_t)-1 || n == 0 || n <= best || strncmp(hay, needle, n) != 0 ||
            (hay[n] != '\0' && hay[n] != ' '))
            continue;
        best = n;
    }
    return best;
}

size_t answer_count_words(const char *hay, size_t len)
{
    size_t n = len > 0;
    for (size_t i = 0; i < len; i++)
        n += hay[i] == ' ';
    return n;
}

/* 1 when phrases of a or b cover all of hay, one after the other, at least one of a. */
static int covered(const json_t *a, const json_t *b, const char *hay)
{
    int from_a = 0; /* "yeah" or "honestly" alone is no shrug: a hedge needs company */
    while (*hay) {
        size_t n = answer_longest_start(a, hay), m = answer_longest_start(b, hay);
        size_t k = n > m ? n : m;
        if (k == 0)
            return 0;
        from_a |= n > 0;
        hay += k;
        hay += *hay == ' ';
    }
    return from_a;
}

/* 1 when text, as a whole, is a word of commands.json list name. */
int answer_whole_word_of(const sb_dialogs *d, const char *name, const char *text)
{
    size_t rest = 0;
    return match_words(json_object_get(dialogs_data(d, "commands"), name), text, &rest);
}

int answer_kind_of(const sb_dialogs *d, const char *text)
{
    const json_t *r = dialogs_data(d, "reflection");
    int skip = answer_whole_word_of(d, "skip_words", text);
    if (skip < 0)
        return skip;
    if (skip == 2 && json_object_get(dialogs_data(d, "commands"), "skip"))
        return ANSWER_SKIP;
    char *hay = text_norm_phrase(text ? text : "");
    if (!hay)
        return SB_ENOMEM;
    int kind = ANSWER_PLAIN;
    size_t words = answer_count_words(hay, strlen(hay));
    size_t q = answer_longest_start(json_object_get(r, "questions"), hay);
    int question = q && (hay[q] == '\0' || memchr(hay, ' ', q));
    size_t p = answer_longest_start(json_object_get(r, "pushback"), hay);
    if (!p) { /* "no you don't get it", "nah, drop it": pushback after a "no" */
        size_t no = answer_longest_start(json_object_get(r, "no"), hay);
        size_t more = no && hay[no] == ' ' ? answer_longest_start(json_object_get(r, "pushback"), hay + no + 1) : 0;
        p = more ? no + 1 + more : 0;
    }
    if (question && json_object_get(r, "question_reply"))
        kind = ANSWER_QUESTION;
    else if (p && words <= answer_count_words(hay, p) + PUSHBACK_EXTRA_WORDS &&
             json_object_get(r, "pushback_reply"))
        kind = ANSWER_PUSHBACK;
    else if (json_object_get(r, "noncommittal_reply") &&
             covered(json_object_get(r, "noncommittal"), json_object_get(r, "hedges"), hay))
        kind = ANSWER_UNSURE;
    free(hay);
    return kind;
}

/* 1 when hay (phrase form) holds one of the words of list as a whole word. */
int answer_has_word(const json_t *list, const char *hay)
{
    size_t i;
    const json_t *w;
    json_array_foreach(list, i, w) {
        char word[64];
        const char *s = json_string_value(w);
        size_t n = s ? text_norm_phrase_to(s, word, sizeof word) : (size_t)-1;
        if (n != (size_t)-1 && n > 0 && text_find_words(hay, word) >= 0)
            return 1;
    }
    return 0;
}

#define QUESTION_MARK_WORDS 4 /* words a text ending in "?" needs to count as a question */

#define SLIP_MIN_LEN 5 /* letters of a second word that a slip in it is looked past */

/* 1 when hay (phrase form) opens with a two-word phrase of list whose second word it has
 * with one slip ("what shoud i do": "what should"): a word of at least SLIP_MIN_LEN letters
 * the set's own words do not have. */
static int slipped_start(const sb_dialogs *d, const json_t *list, const char *hay)
{
    const char *sp = strchr(hay, ' ');
    if (!sp)
        return 0;
    char second[32];
    size_t n = strcspn(sp + 1, " ");
    if (n < SLIP_MIN_LEN || n >= sizeof second)
        return 0;
    memcpy(second, sp + 1, n);
    second[n] = '\0';
    for (size_t k = 0; k < n; k++)
        if (second[k] < 'a' || second[k] > 'z')
            return 0;
    if (json_object_get(dialogs_vocabulary(d), second))
        return 0; /* a word of its own ("what about"), no slip */
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) {
        char phrase[64];
        const char *s = json_string_value(p);
        if (!s || text_norm_phrase_to(s, phrase, sizeof phrase) == (size_t)-1)
            continue;
        const char *gap = strchr(phrase, ' ');
        if (gap && !strchr(gap + 1, ' ') && (size_t)(gap - phrase) == (size_t)(sp - hay) &&
            strncmp(phrase, hay, (size_t)(sp - hay)) == 0 && typo_one_edit(gap + 1, second))
            return 1;
    }
    return 0;
}

int answer_is_question(const sb_dialogs *d, const char *text)
{
    const json_t *r = dialogs_data(d, "reflection");
    size_t start = text ? answer_laugh_of(r, text) : 0;
    char *hay = text_norm_phrase(text ? text + start : "");
    if (!hay)
        return SB_ENOMEM;
    int yes = answer_longest_start(json_object_get(r, "question_starts"), hay) > 0 ||
              slipped_start(d, json_object_get(r, "question_starts"), hay);
    size_t len = text ? strlen(text) : 0;
    while (len > 0 && strchr(" \t\r\n", text[len - 1]))
        len--;
    /* "sad?" is a feeling said hesitantly, and so is "idk, like i want to run??"; "you
     * think he'll come back?" asks: a "?" makes a question of a few words that speak to
     * the coach (reflection.json "asking_words") */
    if (!yes && len > 0 && text[len - 1] == '?' &&
        answer_count_words(hay, strlen(hay)) >= QUESTION_MARK_WORDS) {
        const json_t *asking = json_object_get(r, "asking_words");
        yes = json_array_size(asking) == 0 || answer_has_word(asking, hay);
    }
    free(hay);
    return yes;
}

/* 1 when text starts like a correction: a word of reflection.json "correction_starts"
 * ("actually ...", "more like ...", "not at work, at home"). SB_ENOMEM. */
int answer_starts_correction(const json_t *r, const char *text)
{
    char *hay = text_norm_phrase(text);
    if (!hay)
        return SB_ENOMEM;
    int yes = answer_longest_start(json_object_get(r, "correction_starts"), hay) > 0;
    free(hay);
    return yes;
}

/* Bytes of text taken by the laughs and fillers that open it (reflection.json "laughs":
 * "jaja", "haha", "um"), with their punctuation and spaces; 0 for none. */
size_t answer_laugh_of(const json_t *r, const char *text)
{
    size_t at = 0;
    for (int guard = 0; guard < 4; guard++) {
        size_t rest = 0;
        int rc = match_words(json_object_get(r, "laughs"), text + at, &rest);
        if (rc != 1)
            break;
        at += rest;
    }
    return at;
}

/* Bytes of text taken by a phrase of reflection.json "correction_leads" it opens with ("i
 * mean", "what i meant was": words that only announce the correction), with the
 * punctuation and spaces after it; 0 for none. */
size_t answer_lead_len(const json_t *r, const char *text)
{
    size_t rest = 0;
    return match_words(json_object_get(r, "correction_leads"), text, &rest) == 1 ? rest : 0;
}
