/* match.c — the matchers of match.h: commands ("!help", "help", "journal I slept well"),
 * dialog triggers, choices and word lists (ratings and clock times: match_number.c; a
 * choice meant in other words: match_label.c).
 * Matching is ASCII case-insensitive and runs on the command or phrase form of text.h;
 * words come from the data, never from here. */
#include "match.h"

#include "engine.h"
#include "sb.h"
#include "text.h"
#include "typo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WORD_MAX 256 /* longer words and labels never match */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Punctuation that may follow a word without being part of it ("help?", "yes, please"). */
static int is_boundary_mark(unsigned char c)
{
    return c != '\0' && strchr(".,!?;:", c) != NULL;
}

static const char *skip_space(const char *s)
{
    while (is_space((unsigned char)*s))
        s++;
    return s;
}

/* 0 when raw's command form cannot open with c (raw opens with another byte than space
 * that, lowered, is not c): most data words are told apart without making that form. */
static int may_open(const char *raw, unsigned char c)
{
    unsigned char r = raw ? (unsigned char)raw[0] : 0;
    return r == '\0' || is_space(r) || lower(r) == c;
}

/* The command form of a data word into buf; 0 when it does not fit (it then never matches). */
static int norm_word(const char *word, char *buf, size_t cap)
{
    size_t n = word ? text_norm_command_to(word, buf, cap) : (size_t)-1;
    return n != (size_t)-1 && n > 0;
}

/* Bytes of s (which starts at a non-space) taken by word (command form) when s begins with
 * it followed by the end, a space or a boundary mark; whitespace runs in s match one space.
 * -1 when s does not begin with word. */
static long prefix_len(const char *s, const char *word)
{
    size_t i = 0, j = 0;
    while (word[j]) {
        if (word[j] == ' ') {
            if (!is_space((unsigned char)s[i]))
                return -1;
            while (is_space((unsigned char)s[i]))
                i++;
            j++;
            continue;
        }
        if (lower((unsigned char)s[i]) != (unsigned char)word[j])
            return -1;
        i++;
        j++;
    }
    unsigned char c = (unsigned char)s[i];
    if (c == '\0' || is_space(c) || is_boundary_mark(c))
        return (long)i;
    return -1;
}

/* Offset after the word's trailing marks and spaces. */
static size_t skip_after(const char *s, size_t at)
{
    while (s[at] && (is_boundary_mark((unsigned char)s[at]) || is_space((unsigned char)s[at])))
        at++;
    return at;
}

/* The argument after a command word: trimmed, NULL when nothing but marks is left.
 * Returns SB_OK or SB_ENOMEM. */
static int make_arg(const char *rest, char **arg)
{
    *arg = NULL;
    const char *p = rest + skip_after(rest, 0);
    size_t n = strlen(p);
    while (n > 0 && is_space((unsigned char)p[n - 1]))
        n--;
    if (n == 0)
        return SB_OK;
    *arg = sb_strndup(p, n);
    return *arg ? SB_OK : SB_ENOMEM;
}

static const char *arg_kind(const json_t *cmd)
{
    return json_string_value(json_object_get(cmd, "argument"));
}

/* 1 when id (command form) is "list" or the id of a topic of exercises.json. */
static int is_topic(const sb_dialogs *d, const char *id)
{
    if (strcmp(id, "list") == 0)
        return 1;
    size_t i;
    json_t *topic;
    const json_t *each_list = json_object_get(dialogs_data(d, "exercises"), "topics");
    json_array_foreach(each_list, i, topic) {
        char norm[WORD_MAX];
        if (norm_word(json_string_value(json_object_get(topic, "id")), norm, sizeof norm) &&
            strcmp(norm, id) == 0)
            return 1;
    }
    return 0;
}

/* 1 when cmd takes rest, the text after its word in a message without "!": nothing but
 * marks always; any text when its "argument" is "text" (only when idle: while a dialog
 * waits, "journal ..." may be an answer); a topic id or "list" when it is "topic". So
 * "about my dad" is no about, "exercises are hard" no exercise topic. */
static int takes(const sb_dialogs *d, const json_t *cmd, const char *rest, int idle)
{
    char norm[WORD_MAX];
    size_t n = text_norm_command_to(rest + skip_after(rest, 0), norm, sizeof norm);
    const char *kind = arg_kind(cmd);
    if (n == 0)
        return 1;
    if (!kind)
        return 0;
    if (strcmp(kind, "text") == 0)
        return idle;
    return strcmp(kind, "topic") == 0 && n != (size_t)-1 && is_topic(d, norm);
}

/* The command whose word s starts with (longest word wins); *end is the word's length in s.
 * With check, only a command that takes the rest of s (takes(), with idle) counts. The
 * words were put in command form at load (dialogs_command_words). */
static const json_t *longest_prefix(const sb_dialogs *d, const json_t *list, const char *s,
                                    long *end, int idle, int check)
{
    const json_t *best = NULL;
    size_t best_len = 0, nwords;
    const dialogs_form *words = dialogs_forms(d, DIALOGS_COMMAND_WORDS, &nwords);
    unsigned char first = lower((unsigned char)*s); /* a word never opens with a space */
    for (size_t i = 0; i < nwords; i++) {
        const char *word = words[i].form;
        if ((unsigned char)word[0] != first || words[i].len <= best_len)
            continue;
        long n = prefix_len(s, word);
        size_t len = words[i].len;
        if (n < 0)
            continue;
        const json_t *cmd = json_array_get(list, words[i].index);
        if (cmd && (!check || takes(d, cmd, s + n, idle))) {
            best = cmd;
            best_len = len;
            *end = n;
        }
    }
    return best;
}

/* *cmd and its argument from rest; a topic is put in command form ("Body." -> "body"). */
static int found(const json_t *c, const char *rest, const json_t **cmd, char **arg)
{
    *cmd = c;
    if (make_arg(rest, arg) != SB_OK)
        return SB_ENOMEM;
    const char *kind = arg_kind(c);
    if (*arg && kind && strcmp(kind, "topic") == 0) {
        char *norm = text_norm_command(*arg);
        free(*arg);
        *arg = norm;
        if (!norm)
            return SB_ENOMEM;
        if (!*norm) {
            free(norm);
            *arg = NULL;
        }
    }
    return 1;
}

/* The longest of phrases (phrase form, in bytes) found in hay, itself in phrase form; 0
 * when none is. */
static long phrases_in(const json_t *phrases, const char *hay)
{
    long best = 0;
    size_t i;
    json_t *p;
    json_array_foreach(phrases, i, p) {
        char needle[WORD_MAX];
        const char *s = json_string_value(p);
        size_t n = s ? text_norm_phrase_to(s, needle, sizeof needle) : (size_t)-1;
        if (n != (size_t)-1 && (long)n > best && text_find_words(hay, needle) >= 0)
            best = (long)n;
    }
    return best;
}

/* A slip in a command word (typo.h): the corrected text counts only as a whole command
 * word, a word with a topic argument ("exersise body") or a phrase ("give me an exersise"),
 * never as a word with a text argument ("journals are dumb" is no journal entry). */
static int match_typo(const sb_dialogs *d, const char *s, const json_t **cmd, char **arg)
{
    char *fixed = NULL;
    int rc = typo_fix(d, s, &fixed);
    if (rc == 1)
        rc = match_command(d, fixed, MATCH_WAITING, 1, cmd, arg);
    if (rc == 0 && fixed)
        rc = match_command_phrase(d, fixed, cmd);
    free(fixed);
    return rc;
}

int match_command(const sb_dialogs *d, const char *text, int mode, int direct,
                  const json_t **cmd, char **arg)
{
    int idle = mode == MATCH_IDLE;
    *cmd = NULL;
    *arg = NULL;
    const json_t *list = json_object_get(dialogs_data(d, "commands"), "commands");
    const char *s = skip_space(text ? text : "");
    long end = 0;
    if (*s == '!') {
        s = skip_space(s + 1);
        const json_t *c = longest_prefix(d, list, s, &end, 1, 0);
        return c ? found(c, s + end, cmd, arg) : 0;
    }
    if (!direct)
        return 0;
    char *norm = text_norm_command(s);
    if (!norm)
        return SB_ENOMEM;
    size_t nwords;
    const dialogs_form *words = dialogs_forms(d, DIALOGS_COMMAND_WORDS, &nwords);
    for (size_t i = 0; i < nwords; i++) {
        const char *word = words[i].form;
        if (word[0] != norm[0] || strcmp(norm, word) != 0)
            continue;
        const json_t *c = json_array_get(list, words[i].index);
        if (c) {
            free(norm);
            *cmd = c;
            return 1;
        }
    }
    free(norm);
    const json_t *prefixed = longest_prefix(d, list, s, &end, idle, 1);
    if (prefixed)
        return found(prefixed, s + end, cmd, arg);
    if (!idle)
        return 0;
    int rc = match_command_phrase(d, s, cmd);
    return rc == 0 ? match_typo(d, s, cmd, arg) : rc;
}

int match_command_phrase(const sb_dialogs *d, const char *text, const json_t **cmd)
{
    *cmd = NULL;
    const json_t *list = json_object_get(dialogs_data(d, "commands"), "commands");
    size_t nphrases;
    const dialogs_form *phrases = dialogs_forms(d, DIALOGS_COMMAND_PHRASES, &nphrases);
    if (nphrases == 0)
        return 0;
    char *hay = text_norm_phrase(text ? text : "");
    if (!hay)
        return SB_ENOMEM;
    /* The longest phrase found wins, the first in file order among equals (the phrases
     * were put in phrase form at load). */
    size_t best = 0;
    unsigned char starts[256];
    text_word_starts(hay, starts);
    for (size_t i = 0; i < nphrases; i++) {
        const char *phrase = phrases[i].form;
        size_t n = phrases[i].len;
        if (n <= best || !starts[(unsigned char)phrase[0]] || text_find_words(hay, phrase) < 0)
            continue;
        const json_t *c = json_array_get(list, phrases[i].index);
        if (c) {
            best = n;
            *cmd = c;
        }
    }
    free(hay);
    return *cmd != NULL;
}

int engine_match_command(const sb_dialogs *d, const char *text, int idle, int direct,
                         const char **name, char **arg)
{
    const json_t *cmd = NULL;
    *name = NULL;
    int rc = match_command(d, text, idle ? MATCH_IDLE : MATCH_WAITING, direct, &cmd, arg);
    if (rc != 1) {
        free(*arg);
        *arg = NULL;
        return 0;
    }
    *name = json_string_value(json_object_get(cmd, "name"));
    return 1;
}

long match_phrases(const json_t *phrases, const char *text)
{
    if (json_array_size(phrases) == 0)
        return 0;
    char *hay = text_norm_phrase(text);
    if (!hay)
        return SB_ENOMEM;
    long best = phrases_in(phrases, hay);
    free(hay);
    return best;
}

int match_trigger(const sb_dialogs *d, const char *text, const char **dialog_id)
{
    *dialog_id = NULL;
    size_t ntriggers;
    const dialogs_form *triggers = dialogs_forms(d, DIALOGS_TRIGGERS, &ntriggers);
    if (ntriggers == 0)
        return 0;
    char *hay = text_norm_phrase(text);
    if (!hay)
        return SB_ENOMEM;
    unsigned char starts[256]; /* a trigger no word of hay opens as is not searched for */
    text_word_starts(hay, starts);
    for (size_t i = 0; i < ntriggers; i++) {
        if (starts[(unsigned char)triggers[i].form[0]] &&
            text_find_words(hay, triggers[i].form) >= 0) {
            *dialog_id = triggers[i].dialog;
            break;
        }
    }
    free(hay);
    return *dialog_id != NULL;
}

/* 2: norm equals word; 1: norm starts with word and a boundary (sets *len); 0: neither. */
static int compare_word(const char *norm, const char *raw, size_t *len)
{
    char word[WORD_MAX];
    if (!may_open(raw, (unsigned char)norm[0]) || !norm_word(raw, word, sizeof word))
        return 0;
    if (strcmp(norm, word) == 0)
        return 2;
    long n = prefix_len(norm, word);
    if (n < 0)
        return 0;
    *len = strlen(word);
    return 1;
}

int match_choice(const json_t *choices, const char *text, size_t *index)
{
    char *norm = text_norm_command(text ? text : "");
    if (!norm)
        return SB_ENOMEM;
    long number;
    int result = -1;
    size_t n = json_array_size(choices);
    if (sb_parse_long(norm, 1, (long)n, &number) == SB_OK) {
        free(norm);
        *index = (size_t)number - 1;
        return 1;
    }
    size_t best_len = 0;
    int best = -1;
    size_t i, k;
    json_t *ch, *w;
    json_array_foreach(choices, i, ch) {
        char digits[24];
        size_t len = 0;
        int how = compare_word(norm, json_string_value(json_object_get(ch, "label")), &len);
        if (how == 2) {
            result = (int)i;
            break;
        }
        if (how == 1 && len > best_len) {
            best = (int)i;
            best_len = len;
        }
        const json_t *each_list = json_object_get(ch, "words");
        json_array_foreach(each_list, k, w) {
            how = compare_word(norm, json_string_value(w), &len);
            if (how == 2)
                break;
            if (how == 1 && len > best_len) {
                best = (int)i;
                best_len = len;
            }
        }
        if (how == 2) {
            result = (int)i;
            break;
        }
        size_t dn = (size_t)snprintf(digits, sizeof digits, "%zu", i + 1);
        if (prefix_len(norm, digits) >= 0 && dn > best_len) {
            best = (int)i;
            best_len = dn;
        }
    }
    free(norm);
    if (result < 0)
        result = best;
    if (result < 0)
        return 0;
    *index = (size_t)result;
    return 1;
}

int match_words(const json_t *words, const char *text, size_t *rest)
{
    const char *s = skip_space(text ? text : "");
    char *norm = text_norm_command(s);
    if (!norm)
        return SB_ENOMEM;
    int result = 0;
    size_t best_len = 0;
    size_t i;
    json_t *w;
    json_array_foreach(words, i, w) {
        char word[WORD_MAX];
        if (!may_open(json_string_value(w), lower((unsigned char)*s)) ||
            !norm_word(json_string_value(w), word, sizeof word))
            continue;
        if (strcmp(norm, word) == 0) {
            result = 2;
            break;
        }
        long n = prefix_len(s, word);
        if (n >= 0 && strlen(word) > best_len) {
            best_len = strlen(word);
            result = 1;
            *rest = (size_t)(s - (text ? text : "")) + skip_after(s, (size_t)n);
        }
    }
    free(norm);
    return result;
}
