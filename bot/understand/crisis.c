/* crisis.c — compiles crisis.json's phrase lists into token arrays once, and matches
 * person-written text against them: normalize, cut out figures of speech, then look for a
 * phrase at word boundaries. Each phrase belongs to a category (thoughts of suicide, a plan,
 * self-harm, ...), and a match reports the set of categories found. The same matcher serves
 * the smaller lists around a crisis (unclear risk, downplaying, restating: safety.c). What to
 * say on a match is the engine's business (safety.c). What the check reads, the text
 * folded, is crisis_fold.c's. */
#include "crisis.h"

#include "normalize.h"
#include "sb.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define WILDCARD_MAX 3 /* words a "*" may stand for */
#define SQUEEZE_MAX 64 /* bytes of a word tried with its repeated letters squeezed */

/* Words are numbered by their place in the sorted vocabulary of both lists, so matching
 * compares integers; these mark the other cases. */
#define WORD_WILD (-1)    /* "*" in a phrase */
#define WORD_UNKNOWN (-2) /* an input word no phrase uses */
#define WORD_CUT (-3)     /* an input word inside a figure of speech */

typedef struct phrase {
    int *words; /* vocabulary numbers or WORD_WILD; never starts or ends with WORD_WILD */
    size_t n;
    int category; /* index in the data's category order (0 for a list without categories) */
} phrase;

typedef struct phrase_list {
    phrase *items; /* sorted by first word */
    size_t n;
    size_t *start; /* items[start[w] .. start[w + 1]) begin with word w */
} phrase_list;

struct crisis_matcher {
    char **vocab; /* sorted, unique */
    size_t nvocab;
    phrase_list phrases;
    phrase_list excluded; /* the "not" list */
};

/* The phrase lists of a data object: its categories' "phrases" in order, else its own. */
typedef struct phrase_source {
    const json_t *lists[CRISIS_CATEGORIES_MAX];
    size_t n;
} phrase_source;

static void sources_of(const json_t *data, phrase_source *src)
{
    const json_t *categories = json_object_get(data, "categories");
    src->n = 0;
    if (json_is_array(categories)) {
        for (size_t i = 0; i < json_array_size(categories) && i < CRISIS_CATEGORIES_MAX; i++)
            src->lists[src->n++] = json_object_get(json_array_get(categories, i), "phrases");
    } else {
        src->lists[src->n++] = json_object_get(data, "phrases");
    }
}

/* The phrase form of a data phrase, keeping each "*" word as a wildcard: folded as the
 * input is, so that "myślę" in the data meets "mysle" or "MYŚLĘ" in a message. NULL on
 * ENOMEM. */
static char *phrase_form(const char *s)
{
    sb_buf b = {0};
    int rc = sb_buf_append(&b, "", 0);
    const char *p = s;
    while (rc == SB_OK && *p) {
        p += strspn(p, " \t\r\n");
        size_t len = strcspn(p, " \t\r\n");
        if (len == 0)
            break;
        char *word = sb_strndup(p, len);
        int wild = len == 1 && *p == '*';
        char *folded = word && !wild ? crisis_fold(word, 0) : NULL;
        char *norm = folded ? text_norm_phrase(folded) : NULL;
        const char *piece = wild ? "*" : norm;
        if (!word || !piece)
            rc = SB_ENOMEM;
        else if (*piece)
            rc = sb_buf_printf(&b, "%s%s", b.len ? " " : "", piece);
        free(norm);
        free(folded);
        free(word);
        p += len;
    }
    if (rc != SB_OK) {
        sb_buf_free(&b);
        return NULL;
    }
    return sb_buf_take(&b);
}

/* Calls fn for each space-separated word of s (which it modifies in place). */
static int each_word(char *s, int (*fn)(void *, const char *), void *ctx)
{
    char *p = s;
    while (*p) {
        char *space = strchr(p, ' ');
        if (space)
            *space = '\0';
        int rc = fn(ctx, p);
        if (rc != SB_OK || !space)
            return rc;
        p = space + 1;
    }
    return SB_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int word_number(const crisis_matcher *m, const char *word)
{
    if (strcmp(word, "*") == 0)
        return WORD_WILD;
    char **hit = m->nvocab ? bsearch(&word, m->vocab, m->nvocab, sizeof *m->vocab, cmp_str) : NULL;
    return hit ? (int)(hit - m->vocab) : WORD_UNKNOWN;
}

static int add_vocab(void *ctx, const char *word)
{
    json_t *set = ctx;
    if (strcmp(word, "*") == 0)
        return SB_OK;
    return json_object_set_new(set, word, json_true()) ? SB_ENOMEM : SB_OK;
}

/* Every word of all lists, sorted. */
static int build_vocab(crisis_matcher *m, const json_t *const *lists, size_t nlists)
{
    json_t *set = json_object();
    int rc = set ? SB_OK : SB_ENOMEM;
    for (size_t l = 0; l < nlists && rc == SB_OK; l++) {
        size_t i;
        json_t *item;
        json_array_foreach(lists[l], i, item) {
            const char *s = json_string_value(item);
            char *norm = s ? phrase_form(s) : NULL;
            if (s && !norm)
                rc = SB_ENOMEM;
            if (norm && rc == SB_OK)
                rc = each_word(norm, add_vocab, set);
            free(norm);
        }
    }
    size_t n = rc == SB_OK ? json_object_size(set) : 0;
    m->vocab = calloc(n ? n : 1, sizeof *m->vocab);
    if (!m->vocab)
        rc = SB_ENOMEM;
    const char *key;
    json_t *value;
    json_object_foreach(set, key, value) {
        if (rc != SB_OK)
            break;
        if (!(m->vocab[m->nvocab++] = sb_strdup(key)))
            rc = SB_ENOMEM;
    }
    json_decref(set);
    if (rc == SB_OK)
        qsort(m->vocab, m->nvocab, sizeof *m->vocab, cmp_str);
    return rc;
}

typedef struct numbering {
    const crisis_matcher *m;
    phrase *p;
} numbering;

static int add_number(void *ctx, const char *word)
{
    numbering *c = ctx;
    c->p->words[c->p->n++] = word_number(c->m, word);
    return SB_OK;
}

static int cmp_first(const void *a, const void *b)
{
    const phrase *x = a, *y = b;
    return (x->words[0] > y->words[0]) - (x->words[0] < y->words[0]);
}

/* Adds phrase s (a data phrase) of category to out (room for it is there). */
static int add_phrase(const crisis_matcher *m, const char *s, int category, phrase_list *out)
{
    char *norm = phrase_form(s);
    if (!norm)
        return SB_ENOMEM;
    phrase *p = &out->items[out->n];
    p->words = malloc((strlen(norm) / 2 + 1) * sizeof *p->words);
    if (!p->words) {
        free(norm);
        return SB_ENOMEM;
    }
    p->n = 0;
    p->category = category;
    numbering c = {m, p};
    if (*norm)
        each_word(norm, add_number, &c);
    free(norm);
    /* a "*" at either end adds nothing: every start position is tried anyway */
    size_t first = 0;
    while (first < p->n && p->words[first] == WORD_WILD)
        first++;
    memmove(p->words, p->words + first, (p->n - first) * sizeof *p->words);
    p->n -= first;
    while (p->n > 0 && p->words[p->n - 1] == WORD_WILD)
        p->n--;
    if (p->n > 0)
        out->n++;
    else
        free(p->words);
    return SB_OK;
}

/* Compiles the phrases of lists[0..nlists), each tagged with its list's index as category.
 * Non-string entries are skipped. */
static int compile_list(const crisis_matcher *m, const json_t *const *lists, size_t nlists,
                        phrase_list *out)
{
    size_t n = 0;
    for (size_t l = 0; l < nlists; l++)
        n += json_is_array(lists[l]) ? json_array_size(lists[l]) : 0;
    out->items = calloc(n ? n : 1, sizeof *out->items);
    out->start = calloc(m->nvocab + 1, sizeof *out->start);
    if (!out->items || !out->start)
        return SB_ENOMEM;
    for (size_t l = 0; l < nlists; l++) {
        size_t i;
        json_t *item;
        json_array_foreach(lists[l], i, item) {
            const char *s = json_string_value(item);
            int rc = s ? add_phrase(m, s, (int)l, out) : SB_OK;
            if (rc != SB_OK)
                return rc;
        }
    }
    qsort(out->items, out->n, sizeof *out->items, cmp_first);
    for (size_t w = 0, i = 0; w <= m->nvocab; w++) {
        while (i < out->n && (size_t)out->items[i].words[0] < w)
            i++;
        out->start[w] = i;
    }
    return SB_OK;
}

static void free_list(phrase_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].words);
    free(l->items);
    free(l->start);
}

int crisis_compile(const json_t *crisis, crisis_matcher **out)
{
    *out = NULL;
    crisis_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return SB_ENOMEM;
    phrase_source src;
    sources_of(crisis, &src);
    const json_t *all[CRISIS_CATEGORIES_MAX + 1];
    memcpy(all, src.lists, src.n * sizeof *all);
    all[src.n] = json_object_get(crisis, "not");
    int rc = build_vocab(m, all, src.n + 1);
    if (rc == SB_OK)
        rc = compile_list(m, src.lists, src.n, &m->phrases);
    if (rc == SB_OK)
        rc = compile_list(m, all + src.n, 1, &m->excluded);
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
    for (size_t i = 0; i < m->nvocab; i++)
        free(m->vocab[i]);
    free(m->vocab);
    free_list(&m->phrases);
    free_list(&m->excluded);
    free(m);
}

/* End index (exclusive) of the shortest match of p's words from pi on at input word ti,
 * or -1. Wildcards try 0, 1, 2, 3 words in turn and never span a cut. */
static long match_from(const phrase *p, size_t pi, const int *in, size_t n, size_t ti)
{
    if (pi == p->n)
        return (long)ti;
    if (p->words[pi] == WORD_WILD) {
        for (size_t k = 0; k <= WILDCARD_MAX && ti + k <= n; k++) {
            if (k > 0 && in[ti + k - 1] == WORD_CUT)
                break;
            long end = match_from(p, pi + 1, in, n, ti + k);
            if (end >= 0)
                return end;
        }
        return -1;
    }
    if (ti >= n || in[ti] != p->words[pi])
        return -1;
    return match_from(p, pi + 1, in, n, ti + 1);
}

typedef struct input_words {
    const crisis_matcher *m;
    int *ids;
    size_t n;
} input_words;

/* word with every run of a repeated character longer than keep cut to keep, into out
 * (SQUEEZE_MAX). 0 when it does not fit or nothing changed. */
static int squeezed(const char *word, size_t keep, char *out)
{
    size_t n = 0, run = 0;
    int changed = 0;
    for (const char *p = word; *p; p++) {
        run = p > word && *p == p[-1] ? run + 1 : 1;
        if (run > keep) {
            changed = 1;
            continue;
        }
        if (n + 1 >= SQUEEZE_MAX)
            return 0;
        out[n++] = *p;
    }
    out[n] = '\0';
    return changed;
}

/* An input word's number: as written, else with its repeated letters squeezed to two
 * ("killll" is "kill"), else to one ("dieeee" is "die"), else with a dropped g put back
 * ("endin" is "ending"), when that is a word of a phrase. */
static int add_input(void *ctx, const char *word)
{
    input_words *w = ctx;
    int id = word_number(w->m, word);
    char squeeze[SQUEEZE_MAX];
    for (size_t keep = 2; id < 0 && keep >= 1; keep--)
        if (squeezed(word, keep, squeeze))
            id = word_number(w->m, squeeze);
    size_t len = strlen(word);
    if (id < 0 && len >= 4 && len + 2 <= SQUEEZE_MAX && memcmp(word + len - 2, "in", 2) == 0) {
        memcpy(squeeze, word, len);
        memcpy(squeeze + len, "g", 2);
        id = word_number(w->m, squeeze);
    }
    w->ids[w->n++] = id == WORD_WILD ? WORD_UNKNOWN : id;
    return SB_OK;
}

static int match_norm(const crisis_matcher *m, const char *norm, int *figure);

/* The phrase form of c's text folded without emoji joins (or of the text itself when it
 * could not be folded), read once for every list: SB_OK or SB_ENOMEM. */
static int read_plain(crisis_text *c)
{
    if (c->norm)
        return SB_OK;
    if (!c->folded)
        c->folded = crisis_fold(c->text, 0);
    c->norm = text_norm_phrase(c->folded ? c->folded : c->text);
    return c->norm ? SB_OK : SB_ENOMEM;
}

/* The same for the fold with emoji inside words dropped ("d😭ie"): c->joined and its
 * phrase form (both NULL when it could not be folded). SB_OK or SB_ENOMEM. */
static int read_joined(crisis_text *c)
{
    if (!c->joined)
        c->joined = crisis_fold(c->text, 1);
    if (c->joined && !c->joined_norm)
        c->joined_norm = text_norm_phrase(c->joined);
    return !c->joined || c->joined_norm ? SB_OK : SB_ENOMEM;
}

/* c read for text: what it holds when it is of text, else emptied and set to a copy. */
static int crisis_text_of(crisis_text *c, const char *text)
{
    if (c->text && strcmp(c->text, text) == 0)
        return SB_OK;
    crisis_text_free(c);
    c->text = sb_strdup(text);
    return c->text ? SB_OK : SB_ENOMEM;
}

void crisis_text_free(crisis_text *c)
{
    free(c->text);
    free(c->folded);
    free(c->norm);
    free(c->joined);
    free(c->joined_norm);
    memset(c, 0, sizeof *c);
}

int crisis_check_text(const crisis_matcher *m, crisis_text *c, const char *text, int *figure)
{
    if (figure)
        *figure = 0;
    if (!m || m->phrases.n == 0 || !text)
        return 0;
    int rc = crisis_text_of(c, text);
    if (rc == SB_OK)
        rc = read_plain(c);
    if (rc == SB_OK)
        rc = match_norm(m, c->norm, figure);
    if (rc != 0 || !c->folded) /* an emoji inside a word hides nothing either */
        return rc;
    if ((rc = read_joined(c)) != SB_OK)
        return rc;
    return c->joined && strcmp(c->joined, c->folded) != 0 ? match_norm(m, c->joined_norm, figure)
                                                          : 0;
}

const char *crisis_text_joined(crisis_text *c, const char *text)
{
    if (crisis_text_of(c, text) != SB_OK || read_joined(c) != SB_OK)
        return NULL;
    return c->joined_norm;
}

int crisis_check(const crisis_matcher *m, const char *text, int *figure)
{
    crisis_text c = {0};
    int rc = crisis_check_text(m, &c, text, figure);
    crisis_text_free(&c);
    return rc;
}

int crisis_match(const crisis_matcher *m, const char *text)
{
    return crisis_check(m, text, NULL);
}

int crisis_match_folded(const crisis_matcher *m, const char *text)
{
    if (!m || m->phrases.n == 0 || !text)
        return 0;
    char *norm = text_norm_phrase(text);
    if (!norm)
        return SB_ENOMEM;
    int rc = match_norm(m, norm, NULL);
    free(norm);
    return rc;
}

/* The categories found in norm (a folded text in phrase form), as crisis_check tells them. */
static int match_norm(const crisis_matcher *m, const char *text, int *figure)
{
    char *norm = sb_strdup(text); /* each_word cuts its words apart */
    if (!norm)
        return SB_ENOMEM;
    input_words in = {m, malloc((strlen(norm) / 2 + 1) * sizeof(int)), 0};
    if (!in.ids) {
        free(norm);
        return SB_ENOMEM;
    }
    if (*norm)
        each_word(norm, add_input, &in);

    /* Cut out figures of speech first, so "this deadline is killing me" never reaches
     * the phrase list, while "it's killing me and I want to die" still does. */
    unsigned char *cut = calloc(in.n ? in.n : 1, 1);
    if (!cut) {
        free(in.ids);
        free(norm);
        return SB_ENOMEM;
    }
    for (size_t ti = 0; ti < in.n; ti++) {
        int w = in.ids[ti];
        for (size_t i = w >= 0 ? m->excluded.start[w] : 0; w >= 0 && i < m->excluded.start[w + 1]; i++) {
            long end = match_from(&m->excluded.items[i], 0, in.ids, in.n, ti);
            for (long k = (long)ti; k < end; k++)
                cut[k] = 1;
        }
    }
    for (size_t ti = 0; ti < in.n; ti++)
        if (cut[ti])
            in.ids[ti] = WORD_CUT;
    for (size_t ti = 0; figure && ti < in.n; ti++)
        *figure |= cut[ti];
    int found = 0;
    for (size_t ti = 0; ti < in.n; ti++) {
        int w = in.ids[ti];
        for (size_t i = w >= 0 ? m->phrases.start[w] : 0; w >= 0 && i < m->phrases.start[w + 1]; i++) {
            const phrase *p = &m->phrases.items[i];
            if (!(found & (1 << p->category)) && match_from(p, 0, in.ids, in.n, ti) >= 0)
                found |= 1 << p->category;
        }
    }
    free(cut);
    free(in.ids);
    free(norm);
    return found;
}
