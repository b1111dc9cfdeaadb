/* normalize.c — the normal form understanding works in (normalize.h): Unicode folding with
 * utf8proc, squeezing, tokens, chat spellings from data, Snowball stems. It owns the
 * stemmer and the folded spelling table; what the words mean is the classifier's business
 * (intent.c), and the phrase form of the older matchers stays in text.c. */
#include "normalize.h"

#include "sb.h"
#include "text.h"

#include <libstemmer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define FOLD_OPTIONS                                                                       \
    (UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |            \
     UTF8PROC_IGNORE | UTF8PROC_STRIPCC | UTF8PROC_LUMP | UTF8PROC_STRIPMARK)
#define FOLD_CODEPOINTS (NORM_INPUT_MAX * 4) /* room for what compatibility forms expand to */
#define TOKEN_MAX 64                         /* bytes of one word; a longer one is cut */
#define RUN_MAX 2                            /* a letter repeated more is squeezed to this */

#define STEM_SLOTS 1024 /* words whose stems are remembered (direct-mapped by hash) */
#define STEM_WORD 24     /* bytes of a remembered word or stem; longer ones are stemmed each time */

/* A word and its stem, as Snowball gave it: the same words come back in every message
 * and every model (the intents, then the crisis classifier's windows), and Snowball is a
 * third of what normalising a word costs. */
typedef struct stem_slot {
    unsigned char wlen, slen; /* 0: empty */
    char word[STEM_WORD], stem[STEM_WORD];
} stem_slot;

struct normalizer {
    struct sb_stemmer *stemmer; /* Snowball English, UTF-8 */
    json_t *spellings;          /* folded chat spelling -> folded words it stands for */
    stem_slot *stems;           /* STEM_SLOTS; NULL: every word is stemmed */
};

/* Printable ASCII (' ' to '~') folds to itself with A-Z lowered: no compatibility form,
 * mark, ignorable or control character to deal with. Most messages are that; this saves
 * them the decomposition. Returns the length written, or (size_t)-1 when text[0..len) is
 * not all printable ASCII. */
static size_t fold_ascii(const char *text, size_t len, char *out, size_t cap)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e)
            return (size_t)-1;
    size_t keep = len < cap - 1 ? len : cap - 1;
    for (size_t i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)text[i];
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    out[keep] = '\0';
    return keep;
}

size_t normalize_fold(const char *text, char *out, size_t cap)
{
    int32_t buf[FOLD_CODEPOINTS];
    size_t len = text_utf8_cut(text, strnlen(text, NORM_INPUT_MAX + 1), NORM_INPUT_MAX);
    size_t ascii = fold_ascii(text, len, out, cap);
    if (ascii != (size_t)-1)
        return ascii;
    utf8proc_ssize_t n;
    out[0] = '\0';
    for (;;) { /* a text whose compatibility forms do not fit is looked at in part */
        n = utf8proc_decompose((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len, buf,
                               FOLD_CODEPOINTS - 1, FOLD_OPTIONS);
        if (n < 0)
            return 0;
        if (n < FOLD_CODEPOINTS - 1)
            break;
        len = text_utf8_cut(text, len, len / 2);
    }
    n = utf8proc_reencode(buf, n, FOLD_OPTIONS);
    if (n < 0)
        return 0;
    size_t keep = text_utf8_cut((const char *)buf, (size_t)n, cap - 1);
    memcpy(out, buf, keep);
    out[keep] = '\0';
    return keep;
}

/* --- tokens --- */

typedef void (*token_fn)(void *ctx, const char *token, size_t len);

static int is_word_part(utf8proc_category_t c)
{
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_NO);
}

/* Calls fn for each token of folded text (normalize.h norm_text): words with runs
 * squeezed and inner apostrophes dropped, each symbol, and "?". */
static void each_token(const char *s, token_fn fn, void *ctx)
{
    char token[TOKEN_MAX + 4];
    size_t len = 0;
    int32_t last = -1;
    int run = 0, asked = 0;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    for (;;) {
        int32_t c = 0;
        utf8proc_ssize_t k = *p ? utf8proc_iterate(p, -1, &c) : 0;
        if (k <= 0)
            break;
        utf8proc_category_t cat = utf8proc_category(c);
        if (is_word_part(cat)) {
            run = c == last ? run + 1 : 1;
            last = c;
            if (run <= RUN_MAX && len + (size_t)k <= TOKEN_MAX) {
                memcpy(token + len, p, (size_t)k);
                len += (size_t)k;
            }
            asked = 0;
        } else if (c == '\'' && len > 0) {
            /* inside a word: "can't" is "cant" */
        } else {
            if (len > 0)
                fn(ctx, token, len);
            len = 0;
            last = -1;
            if (cat == UTF8PROC_CATEGORY_SO && (size_t)k <= TOKEN_MAX) {
                fn(ctx, (const char *)p, (size_t)k);
            } else if (c == '?' && !asked) {
                fn(ctx, "?", 1);
                asked = 1;
            }
        }
        p += k;
    }
    if (len > 0)
        fn(ctx, token, len);
}

/* --- spellings --- */

typedef struct joined {
    char text[NORM_BYTES_MAX];
    size_t len;
    size_t n;
    int full;
} joined;

static void join_token(void *ctx, const char *token, size_t len)
{
    joined *j = ctx;
    if (j->full || j->len + len + 2 > sizeof j->text) {
        j->full = 1;
        return;
    }
    if (j->len)
        j->text[j->len++] = ' ';
    memcpy(j->text + j->len, token, len);
    j->len += len;
    j->text[j->len] = '\0';
    j->n++;
}

/* The tokens of s (folded first), one space between, into j. */
static void tokens_of(const char *s, joined *j)
{
    char folded[NORM_BYTES_MAX];
    memset(j, 0, sizeof *j);
    normalize_fold(s, folded, sizeof folded);
    each_token(folded, join_token, j);
}

int normalizer_new(const json_t *spellings, normalizer **out)
{
    *out = NULL;
    normalizer *n = calloc(1, sizeof *n);
    if (!n)
        return SB_ENOMEM;
    int rc = SB_OK;
    n->spellings = json_object();
    n->stemmer = sb_stemmer_new("english", NULL);
    n->stems = calloc(STEM_SLOTS, sizeof *n->stems); /* without it, only slower */
    if (!n->spellings) {
        rc = SB_ENOMEM;
        goto done;
    }
    if (!n->stemmer) {
        rc = SB_EINVAL;
        goto done;
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)json_object_get(spellings, "words"), key, value) {
        joined k, v;
        if (!json_is_string(value))
            continue;
        tokens_of(key, &k);
        tokens_of(json_string_value(value), &v);
        if (k.n != 1 || v.n < 1 || v.n > NORM_SPELLING_MAX)
            continue; /* validate_understand.c reports these */
        if (json_object_set_new(n->spellings, k.text, json_string(v.text))) {
            rc = SB_ENOMEM;
            goto done;
        }
    }
done:
    if (rc != SB_OK) {
        normalizer_free(n);
        return rc;
    }
    *out = n;
    return SB_OK;
}

void normalizer_free(normalizer *n)
{
    if (!n)
        return;
    if (n->stemmer)
        sb_stemmer_delete(n->stemmer);
    json_decref(n->spellings);
    free(n->stems);
    free(n);
}

const char *normalizer_spelling(const normalizer *n, const char *word)
{
    return json_string_value(json_object_get(n->spellings, word));
}

/* --- words and stems --- */

typedef struct run_ctx {
    normalizer *n;
    norm_text *out;
    size_t wlen, slen;
} run_ctx;

static int append(char *buf, size_t *len, const char *s, size_t n)
{
    if (*len + n + 2 > NORM_BYTES_MAX)
        return 0;
    if (*len)
        buf[(*len)++] = ' ';
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
    return 1;
}

static void add_word(run_ctx *r, const char *w, size_t len)
{
    if (r->out->nwords >= NORM_WORDS_MAX)
        return;
    const char *stem = w;
    size_t slen = len;
    int32_t first = 0;
    utf8proc_iterate((const utf8proc_uint8_t *)w, (utf8proc_ssize_t)len, &first);
    if (first != '?' && utf8proc_category(first) != UTF8PROC_CATEGORY_SO) {
        stem_slot *slot = r->n->stems && len < STEM_WORD
                              ? &r->n->stems[text_hash(w, len, TEXT_HASH_SEED) % STEM_SLOTS]
                              : NULL;
        if (slot && slot->wlen == len && memcmp(slot->word, w, len) == 0) {
            stem = slot->stem;
            slen = slot->slen;
        } else {
            const sb_symbol *s = sb_stemmer_stem(r->n->stemmer, (const sb_symbol *)w, (int)len);
            if (s) {
                stem = (const char *)s;
                slen = (size_t)sb_stemmer_length(r->n->stemmer);
            }
            if (slot && slen > 0 && slen < STEM_WORD) {
                memcpy(slot->word, w, len);
                memcpy(slot->stem, stem, slen);
                slot->wlen = (unsigned char)len;
                slot->slen = (unsigned char)slen;
            }
        }
    }
    size_t wlen = r->wlen, stlen = r->slen;
    if (!append(r->out->words, &wlen, w, len) || !append(r->out->stems, &stlen, stem, slen))
        return;
    r->wlen = wlen;
    r->slen = stlen;
    r->out->nwords++;
}

static void run_token(void *ctx, const char *token, size_t len)
{
    run_ctx *r = ctx;
    char word[TOKEN_MAX + 4];
    memcpy(word, token, len);
    word[len] = '\0';
    const char *spelled = normalizer_spelling(r->n, word);
    if (!spelled) {
        add_word(r, word, len);
        return;
    }
    while (*spelled) { /* its words, one space between (tokens_of) */
        size_t k = strcspn(spelled, " ");
        add_word(r, spelled, k);
        spelled += k + (spelled[k] == ' ');
    }
}

void normalizer_run(normalizer *n, const char *text, norm_text *out)
{
    char folded[NORM_BYTES_MAX];
    out->words[0] = out->stems[0] = '\0';
    out->nwords = 0;
    normalize_fold(text, folded, sizeof folded);
    run_ctx r = {n, out, 0, 0};
    each_token(folded, run_token, &r);
}
