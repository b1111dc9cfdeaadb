/* crisis.c — compiles crisis.json's phrase lists into token arrays once, and matches
 * person-written text against them: normalize, cut out figures of speech, then look for a
 * phrase at word boundaries. What to say on a match is the engine's business (engine.c). */
#include "crisis.h"

#include "engine.h"
#include "sb.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

#define WILDCARD_MAX 3 /* words a "*" may stand for */

typedef struct phrase {
    char *buf;    /* the phrase in phrase form, split in place at spaces */
    char **words; /* pointers into buf */
    size_t nwords;
} phrase;

struct crisis_matcher {
    phrase *phrases;
    size_t nphrases;
    phrase *excluded; /* the "not" list */
    size_t nexcluded;
};

/* Splits a phrase-form string in place; returns the number of words (at most cap). */
static size_t split_words(char *s, char **words, size_t cap)
{
    size_t n = 0;
    char *p = s;
    while (*p && n < cap) {
        words[n++] = p;
        char *space = strchr(p, ' ');
        if (!space)
            break;
        *space = '\0';
        p = space + 1;
    }
    return n;
}

/* The phrase form of a data phrase, keeping each "*" word as a wildcard. NULL on ENOMEM. */
static char *phrase_form(const char *s)
{
    sb_buf b = {0};
    int rc = sb_buf_append(&b, "", 0);
    const char *p = s;
    while (rc == SB_OK && *p) {
        size_t skip = strspn(p, " \t\r\n");
        p += skip;
        size_t len = strcspn(p, " \t\r\n");
        if (len == 0)
            break;
        char *word = len == 1 && *p == '*' ? sb_strdup("*") : sb_strndup(p, len);
        char *norm = word && strcmp(word, "*") != 0 ? text_norm_phrase(word) : NULL;
        const char *piece = norm ? norm : word;
        if (!word || (strcmp(word, "*") != 0 && !norm))
            rc = SB_ENOMEM;
        else if (*piece)
            rc = sb_buf_printf(&b, "%s%s", b.len ? " " : "", piece);
        free(norm);
        free(word);
        p += len;
    }
    if (rc != SB_OK) {
        sb_buf_free(&b);
        return NULL;
    }
    return sb_buf_take(&b);
}

static int compile_list(const json_t *list, phrase **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    if (n == 0)
        return SB_OK;
    phrase *ps = calloc(n, sizeof *ps);
    if (!ps)
        return SB_ENOMEM;
    *out = ps;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(list, i));
        if (!s)
            continue;
        char *norm = phrase_form(s);
        if (!norm)
            return SB_ENOMEM;
        if (!*norm) {
            free(norm);
            continue;
        }
        size_t cap = 1;
        for (const char *c = norm; *c; c++)
            cap += *c == ' ';
        phrase *p = &ps[(*count)++];
        p->buf = norm;
        p->words = malloc(cap * sizeof *p->words);
        if (!p->words)
            return SB_ENOMEM;
        p->nwords = split_words(norm, p->words, cap);
    }
    return SB_OK;
}

static void free_list(phrase *ps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ps[i].buf);
        free(ps[i].words);
    }
    free(ps);
}

int crisis_compile(const json_t *crisis, crisis_matcher **out)
{
    *out = NULL;
    crisis_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return SB_ENOMEM;
    int rc = compile_list(json_object_get(crisis, "phrases"), &m->phrases, &m->nphrases);
    if (rc == SB_OK)
        rc = compile_list(json_object_get(crisis, "not"), &m->excluded, &m->nexcluded);
    if (rc != SB_OK) {
        crisis_free(m);
        return rc;
    }
    *out = m;
    return SB_OK;
}

void crisis_free(crisis_matcher *m)
{
    if (!m)
        return;
    free_list(m->phrases, m->nphrases);
    free_list(m->excluded, m->nexcluded);
    free(m);
}

/* The input as words; a NULL word is a cut that no phrase spans. */
typedef struct words {
    char **w;
    size_t n;
} words;

/* End index (exclusive) of the shortest match of p's words from pi on at input word ti,
 * or -1. Wildcards try 0, 1, 2, 3 words in turn. */
static long match_from(const phrase *p, size_t pi, const words *in, size_t ti)
{
    if (pi == p->nwords)
        return (long)ti;
    if (strcmp(p->words[pi], "*") == 0) {
        for (size_t k = 0; k <= WILDCARD_MAX && ti + k <= in->n; k++) {
            if (k > 0 && !in->w[ti + k - 1])
                break;
            long end = match_from(p, pi + 1, in, ti + k);
            if (end >= 0)
                return end;
        }
        return -1;
    }
    if (ti >= in->n || !in->w[ti] || strcmp(in->w[ti], p->words[pi]) != 0)
        return -1;
    return match_from(p, pi + 1, in, ti + 1);
}

int crisis_match(const crisis_matcher *m, const char *text)
{
    if (!m || m->nphrases == 0 || !text)
        return 0;
    char *norm = text_norm_phrase(text);
    if (!norm)
        return SB_ENOMEM;
    size_t cap = 1;
    for (const char *c = norm; *c; c++)
        cap += *c == ' ';
    words in = {malloc(cap * sizeof(char *)), 0};
    if (!in.w) {
        free(norm);
        return SB_ENOMEM;
    }
    in.n = *norm ? split_words(norm, in.w, cap) : 0;

    /* Cut out figures of speech first, so "this deadline is killing me" never reaches
     * the phrase list, while "it's killing me and I want to die" still does. */
    unsigned char *cut = calloc(in.n ? in.n : 1, 1);
    if (!cut) {
        free(in.w);
        free(norm);
        return SB_ENOMEM;
    }
    for (size_t e = 0; e < m->nexcluded; e++) {
        for (size_t ti = 0; ti < in.n; ti++) {
            long end = match_from(&m->excluded[e], 0, &in, ti);
            for (long k = (long)ti; k < end; k++)
                cut[k] = 1;
        }
    }
    for (size_t ti = 0; ti < in.n; ti++)
        if (cut[ti])
            in.w[ti] = NULL;

    int found = 0;
    for (size_t i = 0; i < m->nphrases && !found; i++)
        for (size_t ti = 0; ti < in.n && !found; ti++)
            found = match_from(&m->phrases[i], 0, &in, ti) > (long)ti;
    free(cut);
    free(in.w);
    free(norm);
    return found;
}

int engine_is_crisis(const sb_dialogs *d, const char *text)
{
    int rc = crisis_match(dialogs_crisis_matcher(d), text);
    return rc != 0; /* safety first: when it cannot tell (ENOMEM), treat it as a crisis */
}
