/* crisis_model.c — the crisis classifier of crisis_model.h: an intent model (intent.c)
 * over the safety examples, read sentence by sentence. Which threshold makes a crisis, and
 * what to say, is safety.c's; the examples are read by dialog.c and checked by
 * validate_data.c. */
#include "crisis_model.h"

#include "crisis.h"
#include "sb.h"
#include "text.h"
#include "understand.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CLASSES_MAX 32 /* categories and none */

#define CONCEPTS_MAX 128 /* concepts of crisis.json classifier "concepts" looked at */
#define FOLD_PIECE 240 /* bytes folded at a time (normalize_fold reads at most NORM_INPUT_MAX) */
#define WORD_MAX 64 /* bytes of a word looked up squeezed; longer ones only as written */
#define CONCEPT_PREFIX "zq" /* a concept's token: "zq" and its name, a word no language has */

/* One word of a concept: borrowed from the concepts JSON the model holds a reference to. */
typedef struct concept_word {
    const char *word;
    size_t len;      /* bytes of word, without the * of a prefix */
    int prefix;      /* 1: any word starting with it */
    unsigned concept; /* index of its concept, < CONCEPTS_MAX */
} concept_word;

struct crisis_model {
    intent_model *intents;
    size_t none;          /* index of "none" among the model's intents */
    json_t *concepts;     /* concept -> [word or prefix*], a reference; NULL for none */
    const char *names[CONCEPTS_MAX]; /* concept names, borrowed from concepts */
    concept_word *words;  /* every word of every concept, owned */
    size_t nwords;
    /* words by their first byte: by_first[b] .. by_first[b + 1] index into order, which
     * lists them by their second byte (0 for a word of one byte), then in increasing
     * index: a message's word meets only the concepts that could match it, still in the
     * order of words[] (as a scan of them all would), by merging its runs (with_concepts) */
    uint32_t by_first[257];
    uint32_t *order;      /* nwords indices, owned */
};

/* The byte after a concept word's first, which a word that matches it has too; 0 for a
 * word of one byte (or a one-byte prefix), which any word with that first byte may match. */
static unsigned char second_of(const concept_word *c)
{
    return c->len >= 2 ? (unsigned char)c->word[1] : 0;
}

/* Reads concepts into m (a reference, names and words). SB_OK or SB_ENOMEM. */
static int concepts_load(crisis_model *m, const json_t *concepts)
{
    size_t total = 0, k = 0;
    const char *name;
    const json_t *list;
    json_object_foreach((json_t *)concepts, name, list) {
        total += json_array_size(list);
    }
    m->words = calloc(total ? total : 1, sizeof *m->words);
    if (!m->words)
        return SB_ENOMEM;
    m->concepts = json_incref((json_t *)concepts);
    json_object_foreach((json_t *)concepts, name, list) {
        if (!json_is_array(list) || json_array_size(list) == 0)
            continue;
        if (k >= CONCEPTS_MAX)
            break;
        m->names[k] = name;
        size_t i;
        const json_t *w;
        json_array_foreach(list, i, w) {
            size_t len = json_string_length(w);
            if (!json_is_string(w) || len == 0)
                continue;
            concept_word *c = &m->words[m->nwords++];
            c->word = json_string_value(w);
            c->prefix = len > 1 && c->word[len - 1] == '*';
            c->len = len - (size_t)c->prefix;
            c->concept = (unsigned)k;
        }
        k++;
    }
    m->order = malloc((m->nwords ? m->nwords : 1) * sizeof *m->order);
    if (!m->order)
        return SB_ENOMEM;
    for (size_t i = 0; i < m->nwords; i++)
        m->by_first[(unsigned char)m->words[i].word[0] + 1]++;
    for (unsigned b = 1; b <= 256; b++)
        m->by_first[b] += m->by_first[b - 1];
    uint32_t at[256];
    memcpy(at, m->by_first, sizeof at);
    for (size_t i = 0; i < m->nwords; i++)
        m->order[at[(unsigned char)m->words[i].word[0]]++] = (uint32_t)i;
    for (unsigned b = 0; b < 256; b++) { /* each run by second byte, stably (insertion) */
        uint32_t *run = m->order + m->by_first[b];
        size_t n = m->by_first[b + 1] - m->by_first[b];
        for (size_t i = 1; i < n; i++) {
            uint32_t x = run[i];
            size_t j = i;
            for (; j > 0 && second_of(&m->words[run[j - 1]]) > second_of(&m->words[x]); j--)
                run[j] = run[j - 1];
            run[j] = x;
        }
    }
    return SB_OK;
}

/* order[*lo .. *hi): the words of first byte first and second byte second (0: one byte). */
static void run_of(const crisis_model *m, unsigned char first, unsigned char second,
                   uint32_t *lo, uint32_t *hi)
{
    uint32_t a = m->by_first[first], z = m->by_first[first + 1];
    while (a < z) { /* the first with a second byte >= second */
        uint32_t mid = a + (z - a) / 2;
        if (second_of(&m->words[m->order[mid]]) < second)
            a = mid + 1;
        else
            z = mid;
    }
    *lo = a;
    z = m->by_first[first + 1];
    while (a < z && second_of(&m->words[m->order[a]]) == second)
        a++;
    *hi = a;
}

/* text (folded) followed by one token for each concept one of its words belongs to, so
 * that what the examples teach about "hit" in one language carries to the words of the
 * same concept in another. Returns a new string (the caller frees it) or NULL on ENOMEM. */
static char *with_concepts(const crisis_model *m, const char *text)
{
    sb_buf out = {0};
    int rc = sb_buf_append(&out, text, strlen(text));
    unsigned char seen[CONCEPTS_MAX / 8] = {0}; /* a bit per concept already added */
    for (const char *p = text; rc == SB_OK && *p;) {
        size_t len = 0;
        while (p[len] && (((unsigned char)p[len] >= 0x80) || (p[len] >= 'a' && p[len] <= 'z') ||
                          (p[len] >= '0' && p[len] <= '9')))
            len++;
        /* the word with its runs of three or more letters as one ("aliiive" is "alive") */
        char squeezed[WORD_MAX];
        size_t slen = 0;
        for (size_t i = 0; len < WORD_MAX && i < len;) {
            size_t j = i;
            while (j < len && p[j] == p[i])
                j++;
            for (size_t k = i; k < (j - i >= 3 ? i + 1 : j); k++)
                squeezed[slen++] = p[k];
            i = j;
        }
        /* a word and its squeezed form start with the same byte, as must a concept word
         * that matches either */
        unsigned char first = (unsigned char)*p;
        /* the runs that can match: one-byte words, and words whose second byte is the
         * word's as written or squeezed; merged back into the order of words[] */
        uint32_t lo[3] = {0}, hi[3] = {0};
        if (len) {
            run_of(m, first, 0, &lo[0], &hi[0]);
            if (len >= 2)
                run_of(m, first, (unsigned char)p[1], &lo[1], &hi[1]);
            if (slen >= 2 && squeezed[1] != p[1])
                run_of(m, first, (unsigned char)squeezed[1], &lo[2], &hi[2]);
        }
        for (;;) {
            int pick = -1;
            for (int r = 0; r < 3; r++)
                if (lo[r] < hi[r] && (pick < 0 || m->order[lo[r]] < m->order[lo[pick]]))
                    pick = r;
            if (pick < 0)
                break;
            const concept_word *c = &m->words[m->order[lo[pick]++]];
            if (seen[c->concept / 8] & (1u << (c->concept % 8)))
                continue;
            int as_written = len >= c->len && (c->prefix || len == c->len) &&
                             memcmp(p, c->word, c->len) == 0;
            int as_squeezed = slen && slen >= c->len && (c->prefix || slen == c->len) &&
                              memcmp(squeezed, c->word, c->len) == 0;
            if (!as_written && !as_squeezed)
                continue;
            seen[c->concept / 8] |= (unsigned char)(1u << (c->concept % 8));
            rc = rc == SB_OK ? sb_buf_append(&out, " " CONCEPT_PREFIX, 3) : rc;
            rc = rc == SB_OK ? sb_buf_puts(&out, m->names[c->concept]) : rc;
        }
        p += len;
        p += *p != '\0';
    }
    if (rc != SB_OK) {
        free(out.data);
        return NULL;
    }
    return out.data;
}

/* examples (category -> [utterance]) folded, with their concept tokens. New or NULL. */
static json_t *examples_with_concepts(const crisis_model *m, const json_t *examples)
{
    json_t *all = json_object();
    int ok = all != NULL;
    const char *name;
    const json_t *list;
    json_object_foreach((json_t *)examples, name, list) {
        json_t *copy = json_array();
        ok = ok && copy && json_object_set_new(all, name, copy) == 0;
        size_t i;
        const json_t *u;
        json_array_foreach(list, i, u) {
            char *folded = ok ? crisis_fold(json_string_value(u), 1) : NULL;
            char *text = folded ? with_concepts(m, folded) : NULL;
            free(folded);
            ok = ok && text && json_array_append_new(copy, json_string(text)) == 0;
            free(text);
        }
    }
    if (!ok) {
        json_decref(all);
        return NULL;
    }
    return all;
}

json_t *crisis_model_examples(const json_t *safety, const json_t *chat)
{
    json_t *all = json_deep_copy(safety);
    json_t *none = all ? json_object_get(all, CRISIS_MODEL_NONE) : NULL;
    int ok = all && none;
    const char *name;
    const json_t *list;
    json_object_foreach((json_t *)chat, name, list) {
        size_t i;
        const json_t *u;
        json_array_foreach(list, i, u) {
            ok = ok && json_array_append((json_t *)none, (json_t *)u) == 0;
        }
    }
    if (!ok) {
        json_decref(all);
        return NULL;
    }
    return all;
}

int crisis_model_new(const json_t *examples, const json_t *spellings, double c,
                     const json_t *concepts, normalizer *n, crisis_model **out)
{
    *out = NULL;
    if (!json_object_get(examples, CRISIS_MODEL_NONE) || json_object_size(examples) < 2 ||
        json_object_size(examples) > CLASSES_MAX)
        return SB_EINVAL;
    crisis_model *m = calloc(1, sizeof *m);
    if (!m)
        return SB_ENOMEM;
    int rc = json_object_size(concepts) ? concepts_load(m, concepts) : SB_OK;
    json_t *taught = rc == SB_OK && m->nwords ? examples_with_concepts(m, examples) : NULL;
    if (rc == SB_OK && m->nwords && !taught)
        rc = SB_ENOMEM;
    if (rc == SB_OK)
        rc = understand_train(taught ? taught : examples, spellings, c, n, &m->intents);
    json_decref(taught);
    for (size_t i = 0; rc == SB_OK && i < intent_count(m->intents); i++)
        if (strcmp(intent_name(m->intents, i), CRISIS_MODEL_NONE) == 0)
            m->none = i;
    if (rc != SB_OK) {
        crisis_model_free(m);
        return rc;
    }
    *out = m;
    return SB_OK;
}

void crisis_model_free(crisis_model *m)
{
    if (!m)
        return;
    intent_free(m->intents);
    json_decref(m->concepts);
    free(m->words);
    free(m->order);
    free(m);
}

const intent_model *crisis_model_intents(const crisis_model *m)
{
    return m ? m->intents : NULL;
}

/* Reads one window (folded with emoji inside words dropped) into g when it beats g. */
static int read_window(const crisis_model *m, normalizer *n, const char *text, size_t len,
                       crisis_guess *g)
{
    char *window = sb_strndup(text, len);
    char *folded = window ? crisis_fold(window, 1) : NULL;
    free(window);
    if (folded && m->nwords) {
        char *taught = with_concepts(m, folded);
        free(folded);
        folded = taught;
    }
    if (!folded)
        return SB_ENOMEM;
    double p[CLASSES_MAX];
    size_t classes = intent_probabilities(m->intents, n, folded, p);
    free(folded);
    if (classes == 0 || classes > CLASSES_MAX)
        return SB_OK;
    double crisis = 1.0 - p[m->none];
    size_t best = classes;
    for (size_t i = 0; i < classes; i++)
        if (i != m->none && (best == classes || p[i] > p[best]))
            best = i;
    if (best < classes && (!g->category || crisis > g->p)) {
        g->p = crisis;
        g->category = intent_name(m->intents, best);
    }
    return SB_OK;
}

static size_t words_in(const char *s, size_t len)
{
    size_t words = 0;
    int in = 0;
    for (size_t i = 0; i < len; i++) {
        int space = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
        words += !space && !in;
        in = !space;
    }
    return words;
}

/* text with its Unicode folded (normalize_fold, piece by piece so that no length is cut):
 * full-width letters and spaces read as ASCII before words and sentences are counted.
 * New string or NULL on ENOMEM. */
static char *folded_whole(const char *text)
{
    sb_buf out = {0};
    int rc = sb_buf_append(&out, "", 0);
    char piece[FOLD_PIECE + 1], folded[NORM_BYTES_MAX];
    for (size_t len = strlen(text); rc == SB_OK && len > 0;) {
        size_t k = text_utf8_cut(text, len, FOLD_PIECE);
        if (k == 0)
            break;
        memcpy(piece, text, k);
        piece[k] = '\0';
        rc = sb_buf_append(&out, folded, normalize_fold(piece, folded, sizeof folded));
        text += k;
        len -= k;
    }
    if (rc != SB_OK) {
        free(out.data);
        return NULL;
    }
    return out.data;
}

static int guess_folded(const crisis_model *m, normalizer *n, const char *text, crisis_guess *g);

int crisis_model_guess(const crisis_model *m, normalizer *n, const char *text, crisis_guess *g)
{
    g->p = 0;
    g->category = NULL;
    if (!m || !text)
        return SB_OK;
    char *folded = folded_whole(text);
    if (!folded)
        return SB_ENOMEM;
    int rc = guess_folded(m, n, folded, g);
    free(folded);
    return rc;
}

static int guess_folded(const crisis_model *m, normalizer *n, const char *text, crisis_guess *g)
{
    /* A word or two ("tonight", "the pills") carries no statement a model could read:
     * short messages are the rules' alone. */
    int rc = words_in(text, strlen(text)) >= CRISIS_MODEL_WINDOW_WORDS
                 ? read_window(m, n, text, strlen(text), g)
                 : SB_OK;
    /* Each sentence on its own too, when there are two or more: the examples are mostly one
     * sentence, and a long vent must not water down the one line in it that matters. */
    size_t windows = 0;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, ".!?;\n");
        windows += words_in(p, len) >= CRISIS_MODEL_WINDOW_WORDS;
        p += len;
        p += strspn(p, ".!?;\n");
    }
    size_t read = 0;
    for (const char *p = text; rc == SB_OK && windows >= 2 && *p && read < CRISIS_MODEL_WINDOWS;) {
        size_t len = strcspn(p, ".!?;\n");
        if (words_in(p, len) >= CRISIS_MODEL_WINDOW_WORDS) {
            rc = read_window(m, n, p, len, g);
            read++;
        }
        p += len;
        p += strspn(p, ".!?;\n");
    }
    if (rc != SB_OK) {
        g->p = 0;
        g->category = NULL;
    }
    return rc;
}
