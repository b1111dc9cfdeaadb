/* match_label.c — which choice an answer in other words means (match.h): a label that
 * holds every significant word of the answer, or the choice sharing the most content words
 * with it by a crude stem. For answers the number, label and word matchers of match.c did
 * not place; the filler words come from the data. */
#include "match.h"

#include "sb.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

#define LABEL_WORDS_MAX 12 /* significant words of an answer that is compared with labels */

int match_choice_label(const json_t *choices, const json_t *filler, const char *text,
                       const unsigned char *skip, size_t *index)
{
    char *answer = text_norm_phrase(text ? text : "");
    if (!answer)
        return SB_ENOMEM;
    const char *words[LABEL_WORDS_MAX]; /* the significant words, cut out of answer in place */
    size_t n = 0;
    int too_many = 0;
    for (char *p = answer; *p && !too_many;) {
        char *end = strchr(p, ' ');
        if (end)
            *end = '\0';
        if (!dialogs_word_listed(filler, p)) {
            too_many = n == LABEL_WORDS_MAX;
            if (!too_many)
                words[n++] = p;
        }
        p = end ? end + 1 : p + strlen(p);
    }
    int rc = 0;
    size_t found = 0, count = 0;
    size_t i;
    json_t *ch;
    json_array_foreach(choices, i, ch) {
        if (n == 0 || too_many)
            break;
        if (skip && skip[i])
            continue;
        const char *label = json_string_value(json_object_get(ch, "label"));
        const char *compiled = json_string_value(json_object_get(ch, DIALOGS_LABEL_PHRASE));
        char *formed = label && !compiled ? text_norm_phrase(label) : NULL;
        const char *hay = compiled ? compiled : formed;
        if (label && !hay) {
            rc = SB_ENOMEM;
            break;
        }
        size_t k = 0;
        while (hay && k < n && text_find_words(hay, words[k]) >= 0)
            k++;
        if (hay && k == n) {
            found = i;
            count++;
        }
        free(formed);
    }
    free(answer);
    if (rc < 0)
        return rc;
    if (count != 1)
        return 0;
    *index = found;
    return 1;
}

#define STEM_MIN 3 /* letters a crude stem keeps */
#define OVERLAP_WORDS_MAX 48

/* Length of word's crude stem: "talking", "talked", "talks" -> "talk"; "exercises",
 * "exercise" -> "exercis". */
static size_t stem_len(const char *w, size_t n)
{
    static const char *const endings[] = {"ing", "ed", "es", "s", "ly", NULL};
    for (size_t i = 0; endings[i]; i++) {
        size_t e = strlen(endings[i]);
        if (n >= e + STEM_MIN && memcmp(w + n - e, endings[i], e) == 0)
            return n - e;
    }
    return n > STEM_MIN && w[n - 1] == 'e' ? n - 1 : n;
}

/* 1 when two words (phrase form) are the same word by their crude stems. */
static int same_word(const char *a, size_t an, const char *b, size_t bn)
{
    size_t sa = stem_len(a, an), sb = stem_len(b, bn);
    return sa == sb && memcmp(a, b, sa) == 0;
}

#define HAY_WORDS_MAX 128 /* words of a choice's label and words compared by their stems */

/* The words of hay (phrase form, space-separated) with their stems' lengths, for
 * holds_stem: their count, or (size_t)-1 when there are more than HAY_WORDS_MAX. */
static size_t stems_of(const char *hay, const char **at, size_t *stem)
{
    size_t count = 0;
    for (const char *p = hay; *p; count++) {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (count == HAY_WORDS_MAX)
            return (size_t)-1;
        at[count] = p;
        stem[count] = stem_len(p, n);
        p += n + (end != NULL);
    }
    return count;
}

/* 1 when one of the count words at[] (stems of length stem[]) is word by its stem (of
 * length wstem): same_word, with each stem found once. */
static int holds_stem(const char *const *at, const size_t *stem, size_t count, const char *word,
                      size_t wstem)
{
    for (size_t i = 0; i < count; i++)
        if (stem[i] == wstem && memcmp(at[i], word, wstem) == 0)
            return 1;
    return 0;
}

/* 1 when hay (phrase form, space-separated) holds word by its stem. */
static int holds_word(const char *hay, const char *word)
{
    size_t wn = strlen(word);
    for (const char *p = hay; *p;) {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (same_word(p, n, word, wn))
            return 1;
        p += n + (end != NULL);
    }
    return 0;
}

/* The label and words of choice ch in phrase form, joined by spaces, into hay (as the
 * set compiles them at load: DIALOGS_CHOICE_PHRASES). 0 on ENOMEM. */
static int choice_phrases(const json_t *ch, sb_buf *hay)
{
    const char *label = json_string_value(json_object_get(ch, "label"));
    char *norm = text_norm_phrase(label ? label : "");
    int ok = norm && sb_buf_puts(hay, norm) == SB_OK;
    free(norm);
    size_t k;
    json_t *w;
    const json_t *each_list = json_object_get(ch, "words");
    json_array_foreach(each_list, k, w) {
        norm = ok ? text_norm_phrase(json_string_value(w) ? json_string_value(w) : "") : NULL;
        ok = norm && sb_buf_puts(hay, " ") == SB_OK && sb_buf_puts(hay, norm) == SB_OK;
        free(norm);
    }
    return ok;
}

int match_choice_overlap(const json_t *choices, const json_t *filler, const char *text,
                         const unsigned char *skip, size_t *index, size_t *shared)
{
    *shared = 0;
    char *answer = text_norm_phrase(text ? text : "");
    if (!answer)
        return SB_ENOMEM;
    const char *words[OVERLAP_WORDS_MAX];
    size_t wstem[OVERLAP_WORDS_MAX];
    size_t n = 0;
    for (char *p = answer; *p && n < OVERLAP_WORDS_MAX;) {
        char *end = strchr(p, ' ');
        if (end)
            *end = '\0';
        size_t len = strlen(p);
        if (len >= STEM_MIN && !dialogs_word_listed(filler, p)) {
            wstem[n] = stem_len(p, len);
            words[n++] = p;
        }
        p = end ? end + 1 : p + len;
    }
    if (n == 0) { /* no word to share with any choice */
        free(answer);
        return 0;
    }
    int rc = 0;
    size_t best = 0, best_i = 0, ties = 0, i;
    json_t *ch;
    json_array_foreach(choices, i, ch) {
        sb_buf hay = {0};
        const char *compiled = json_string_value(json_object_get(ch, DIALOGS_CHOICE_PHRASES));
        int ok = compiled ? sb_buf_puts(&hay, compiled) == SB_OK : choice_phrases(ch, &hay);
        if (!ok) {
            sb_buf_free(&hay);
            rc = SB_ENOMEM;
            break;
        }
        size_t score = 0;
        const char *at[HAY_WORDS_MAX];
        size_t stem[HAY_WORDS_MAX];
        size_t count = stems_of(hay.data ? hay.data : "", at, stem);
        for (size_t j = 0; j < n; j++)
            score += count != (size_t)-1 ? holds_stem(at, stem, count, words[j], wstem[j])
                                         : holds_word(hay.data ? hay.data : "", words[j]);
        sb_buf_free(&hay);
        if (score * 2 >= n && score > *shared)
            *shared = score;
        if (skip && skip[i])
            continue;
        if (score > best) {
            best = score;
            best_i = i;
            ties = 0;
        } else if (score == best && score > 0) {
            ties++;
        }
    }
    free(answer);
    if (rc < 0)
        return rc;
    /* most of what was said must be about that one choice, not a word in passing */
    if (best == 0 || ties > 0 || best * 2 < n || n < 2) /* one word: the word rules decide */
        return 0;
    *index = best_i;
    return 1;
}
