/* reflect_feeling.c — which feeling a person names (reflect_parts' {feeling}): the first
 * word of reflection.json "feelings" in the text that is theirs, not negated ("not angry",
 * "don't feel loved") nor said of someone else ("when he got upset", "my partner was
 * angry"). */
#include "reflect_impl.h"

#include "sb.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

#define LINK_MAX 4 /* linking words looked past between a negation and a feeling */

/* Used when reflection.json gives no "negations" / "linking_words". */
static const char *const default_negations[] = {
    "not", "never", "no", "dont", "didnt", "doesnt", "wasnt", "isnt", "arent", "werent",
    "hardly", "barely", "without", NULL};
static const char *const default_linking_words[] = {
    "feel", "feels", "felt", "feeling", "am", "is", "are", "was", "were", "be", "being", "been",
    "get", "gets", "got", "getting", "really", "very", "so", "too", "that", NULL};

/* The word of hay ending right before hay[end] (a space), into word; 0 when it does not fit. */
static int word_before(const char *hay, long end, char *word, size_t size, long *start)
{
    long s = end;
    while (s > 0 && hay[s - 1] != ' ')
        s--;
    if (end - s >= (long)size)
        return 0;
    memcpy(word, hay + s, (size_t)(end - s));
    word[end - s] = '\0';
    *start = s;
    return 1;
}

/* 1 when the feeling at hay[pos] is not the person's: negated (a negation right before it,
 * or before up to LINK_MAX linking words: "not angry", "don't feel loved", "wasn't really
 * feeling safe"), or said of someone else (reflection.json "others" as its subject past the
 * linking words: "when he got upset"; or a noun after one of "others_owners": "my partner
 * was angry"). */
static int negated(const json_t *r, const char *hay, long pos, int *rc)
{
    for (int back = 0; back <= LINK_MAX && pos > 1 && *rc == SB_OK; back++) {
        char word[64];
        long start;
        if (!word_before(hay, pos - 1, word, sizeof word, &start))
            return 0;
        if (reflect_in_list(r, "negations", default_negations, word, rc))
            return 1;
        if (reflect_in_list(r, "linking_words", default_linking_words, word, rc)) {
            pos = start;
            continue;
        }
        static const char *const none[] = {NULL};
        if (reflect_in_list(r, "others", none, word, rc))
            return 1;
        char owner[64]; /* "my partner was angry", not "my angry text" */
        return back > 0 && start > 1 && word_before(hay, start - 1, owner, sizeof owner, &start) &&
               reflect_in_list(r, "others_owners", none, owner, rc);
    }
    return 0;
}

/* The first feeling of the list used in text that is the person's (not negated()). */
const char *reflect_find_feeling(const json_t *r, const char *text, int *rc)
{
    *rc = SB_OK;
    char *hay = text_norm_phrase(text);
    if (!hay) {
        *rc = SB_ENOMEM;
        return NULL;
    }
    const char *best = NULL;
    long best_at = -1;
    size_t i;
    json_t *f;
    unsigned char starts[256];
    text_word_starts(hay, starts);
    const json_t *each_list = json_object_get(r, "feelings");
    json_array_foreach(each_list, i, f) {
        const char *feeling = json_string_value(f);
        unsigned char c = feeling ? (unsigned char)feeling[0] : 0;
        c = c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
        if (((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) && !starts[c])
            continue; /* no word of hay opens as this feeling's phrase form does */
        char *needle = feeling ? text_norm_phrase(feeling) : NULL;
        if (feeling && !needle) {
            *rc = SB_ENOMEM;
            break;
        }
        size_t nlen = needle ? strlen(needle) : 0;
        for (long base = 0; nlen > 0 && *rc == SB_OK;) {
            long at = text_find_words(hay + base, needle);
            if (at < 0)
                break;
            long pos = base + at;
            if (!negated(r, hay, pos, rc) && *rc == SB_OK) {
                if (best_at < 0 || pos < best_at) {
                    best_at = pos;
                    best = feeling;
                }
                break;
            }
            base = pos + (long)nlen; /* hay[base] is a space or the end */
        }
        free(needle);
    }
    free(hay);
    return *rc == SB_OK ? best : NULL;
}
