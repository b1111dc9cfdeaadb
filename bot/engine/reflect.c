/* reflect.c — turns a person's sentence around for a reflection, ELIZA-style: word by word
 * (and two- or three-word runs, so the data can say "i was" -> "you were"), keeping their
 * other words, punctuation and case (the feeling it names: reflect_feeling.c). Which words swap,
 * which words are feelings and what the coach says around them is data (reflection.json);
 * the saying around them (templates, engine_reflect) is reflect_render.c's. */
#include "reflect.h"
#include "reflect_impl.h"

#include "engine.h"
#include "sb.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

#define SWAP_RUN_MAX 3 /* words in the longest swap key */

/* Used when reflection.json gives no "clause_words" (negations and linking words:
 * reflect_feeling.c). */
static const char *const no_words[] = {NULL};
static const char *const default_clause_words[] = {
    "and", "but", "that", "because", "when", "if", "so", "or", "while", "though",
    "although", "since", "until", "before", "after", "cause", NULL};
/* Words that begin a sentence without being a name (most start a clause); a capital on
 * any other first word is kept ("Sam said ..."). Phrase form: "it's" is "its". */
static const char *const default_lowercase_starts[] = {
    "a", "an", "the", "he", "she", "it", "its", "they", "theyre", "hes", "shes", "this", "that",
    "these", "those", "there", "theres", "here", "when", "whenever", "while", "if", "because",
    "but", "and", "so", "or", "then", "after", "before", "since", "until", "as", "though",
    "although", "what", "why", "how", "who", "where", "which", "nobody", "nothing", "everyone",
    "everybody", "everything", "someone", "somebody", "something", "anyone", "anything",
    "people", "sometimes", "often", "always", "never", "maybe", "perhaps", "probably", "yesterday",
    "today", "tonight", "tomorrow", "last", "every", "each", "all", "some", "most", "not", "no",
    "yes", "well", "just", "only", "even", "still", "also", "really", "honestly", "actually",
    "mostly", "usually", "lately", "recently", "now", "once", "at", "in", "on", "with", "without",
    "for", "from", "to", "of", "by", "about", "his", "her", "their", "your", "you", "being",
    "feeling", "having", "getting", "trying", "was", "were", "is", "are", "do", "does", "did",
    "dont", "didnt", "cant", "cannot", "couldnt", "wouldnt", "shouldnt", NULL};
typedef struct token {
    const char *start; /* the whole token in the cleaned text */
    size_t len;
    size_t core_off, core_len; /* the word inside it, without surrounding marks */
    char key[64];              /* the core, lowercased, curly apostrophes made straight */
} token;

static int word_byte(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void make_key(token *t)
{
    size_t k = 0;
    const char *p = t->start + t->core_off;
    for (size_t i = 0; i < t->core_len && k + 1 < sizeof t->key; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == 0xE2 && i + 2 < t->core_len && (unsigned char)p[i + 1] == 0x80 &&
            ((unsigned char)p[i + 2] == 0x98 || (unsigned char)p[i + 2] == 0x99)) {
            t->key[k++] = '\'';
            i += 2;
            continue;
        }
        t->key[k++] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    }
    t->key[k] = '\0';
}

/* Splits the cleaned text at spaces into tokens (at most cap). */
static size_t tokenize(const char *s, token *tokens, size_t cap)
{
    size_t n = 0;
    while (*s && n < cap) {
        const char *end = strchr(s, ' ');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        token *t = &tokens[n++];
        memset(t, 0, sizeof *t);
        t->start = s;
        t->len = len;
        size_t a = 0, b = len;
        while (a < b && !word_byte((unsigned char)s[a]))
            a++;
        while (b > a && !word_byte((unsigned char)s[b - 1]))
            b--;
        t->core_off = a;
        t->core_len = b - a;
        make_key(t);
        s += len;
        while (*s == ' ')
            s++;
    }
    return n;
}

/* Whitespace collapsed, trimmed, trailing punctuation and ellipses removed. */
static char *clean_text(const char *text)
{
    char *norm = text_utf8_clean(text, 16384);
    if (!norm)
        return NULL;
    size_t len = 0;
    int space = 0;
    for (const char *p = norm; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || (c >= '\t' && c <= '\r')) {
            space = len > 0;
            continue;
        }
        if (space)
            norm[len++] = ' ';
        space = 0;
        norm[len++] = (char)c;
    }
    for (;;) {
        if (len > 0 && strchr(".!?,;: ", norm[len - 1]))
            len--;
        else if (len >= 3 && memcmp(norm + len - 3, "\xE2\x80\xA6", 3) == 0)
            len -= 3;
        else
            break;
    }
    norm[len] = '\0';
    return norm;
}

static int in_words(const json_t *list, const char *const *fallback, const char *key)
{
    if (json_is_array(list)) {
        size_t i;
        json_t *w;
        json_array_foreach(list, i, w) {
            const char *s = json_string_value(w);
            if (s && strcmp(s, key) == 0)
                return 1;
        }
        return 0;
    }
    for (size_t i = 0; fallback[i]; i++)
        if (strcmp(fallback[i], key) == 0)
            return 1;
    return 0;
}

/* 1 when word (phrase form) is in the data's list name (compared in phrase form too, so
 * "don't" there matches "dont" here), or in fallback when the data has no such list. */
int reflect_in_list(const json_t *r, const char *name, const char *const *fallback,
                          const char *word, int *rc)
{
    const json_t *list = json_object_get(r, name);
    if (!json_is_array(list))
        return in_words(NULL, fallback, word);
    size_t i;
    json_t *w;
    json_array_foreach(list, i, w) {
        const char *s = json_string_value(w);
        char buf[256]; /* most list words fit: no allocation for them */
        if (s && text_norm_phrase_to(s, buf, sizeof buf) != (size_t)-1) {
            if (strcmp(buf, word) == 0)
                return 1;
            continue;
        }
        char *norm = s ? text_norm_phrase(s) : NULL;
        if (s && !norm) {
            *rc = SB_ENOMEM;
            return 0;
        }
        int same = norm && strcmp(norm, word) == 0;
        free(norm);
        if (same)
            return 1;
    }
    return 0;
}

/* 1 when tokens[i] starts a clause: the first, after a mark, or after one of clause_words
 * (reflection.json "clause_words", else the defaults). */
static int clause_start_after(const json_t *clause_words, const token *tokens, size_t i)
{
    if (i == 0)
        return 1;
    const token *prev = &tokens[i - 1];
    for (size_t k = prev->core_off + prev->core_len; k < prev->len; k++)
        if (strchr(",;:.!?", prev->start[k]))
            return 1;
    return in_words(clause_words, default_clause_words, prev->key);
}

static int clause_start(const json_t *r, const token *tokens, size_t i)
{
    return clause_start_after(json_object_get(r, "clause_words"), tokens, i);
}

/* The lists of reflection.json swap_for reads, looked up once per echo. */
typedef struct swap_lists {
    const json_t *question_swaps, *object_swaps, *swaps, *question_words, *clause_words;
} swap_lists;

/* The swap for tokens[i..i+run) or NULL; runs must have no marks between their words. */
static const char *swap_for(const swap_lists *r, const token *tokens, size_t n, size_t i,
                            size_t run)
{
    if (i + run > n)
        return NULL;
    char key[SWAP_RUN_MAX * 64 + SWAP_RUN_MAX];
    size_t len = 0;
    for (size_t k = 0; k < run; k++) {
        const token *t = &tokens[i + k];
        if (t->core_len == 0)
            return NULL;
        if (k > 0 && t->core_off != 0)
            return NULL;
        if (k + 1 < run && t->core_off + t->core_len != t->len)
            return NULL;
        size_t kl = strlen(t->key);
        if (k > 0)
            key[len++] = ' ';
        memcpy(key + len, t->key, kl);
        len += kl;
    }
    key[len] = '\0';
    /* "was i wrong", "why was i so cold": an inversion asks, so it swaps at the start of a
     * clause or after a question word; in "how my day was i just say fine" the "i" starts a
     * clause of its own, and "was" stays */
    const char *asked = json_string_value(json_object_get(r->question_swaps, key));
    if (asked && (clause_start_after(r->clause_words, tokens, i) ||
                  in_words(r->question_words, no_words, tokens[i - 1].key)))
        return asked;
    if (run == 1 && !clause_start_after(r->clause_words, tokens, i)) {
        const char *obj = json_string_value(json_object_get(r->object_swaps, key));
        if (obj)
            return obj;
    }
    return json_string_value(json_object_get(r->swaps, key));
}

/* 1 when token t, the first of the echo, is a word that only has its capital because it
 * starts the sentence (reflection.json "lowercase_starts", else the defaults). */
static int sentence_word(const json_t *r, const token *t, int *rc)
{
    char word[sizeof t->key + 2];
    size_t n = text_norm_phrase_to(t->key, word, sizeof word);
    return n != (size_t)-1 && n > 0 &&
           reflect_in_list(r, "lowercase_starts", default_lowercase_starts, word, rc);
}

static int ends_sentence(const token *t)
{
    return t->len > 0 && strchr(".!?", t->start[t->len - 1]) != NULL;
}

/* Appends the swapped text of all tokens to b. */
static int swap_all(const json_t *r, const token *tokens, size_t n, sb_buf *b)
{
    const swap_lists lists = {json_object_get(r, "question_swaps"),
                              json_object_get(r, "object_swaps"), json_object_get(r, "swaps"),
                              json_object_get(r, "question_words"),
                              json_object_get(r, "clause_words")};
    int rc = sb_buf_append(b, "", 0);
    for (size_t i = 0; i < n && rc == SB_OK;) {
        if (i > 0)
            rc = sb_buf_puts(b, " ");
        size_t run = SWAP_RUN_MAX;
        const char *swap = NULL;
        for (; run > 0 && !swap; run--)
            swap = swap_for(&lists, tokens, n, i, run);
        if (swap) {
            run++; /* the loop stepped one past the run that matched */
            const token *first = &tokens[i], *last = &tokens[i + run - 1];
            if (rc == SB_OK)
                rc = sb_buf_append(b, first->start, first->core_off);
            size_t at = b->len;
            if (rc == SB_OK)
                rc = sb_buf_puts(b, swap);
            /* "I did it. I told her" -> "you did it. You told her": a sentence inside the
             * echo keeps its capital (the echo's own first word is the template's to place) */
            if (rc == SB_OK && i > 0 && ends_sentence(&tokens[i - 1]) && b->data[at] >= 'a' &&
                b->data[at] <= 'z')
                b->data[at] = (char)(b->data[at] - 'a' + 'A');
            if (rc == SB_OK)
                rc = sb_buf_append(b, last->start + last->core_off + last->core_len,
                                   last->len - last->core_off - last->core_len);
            i += run;
            continue;
        }
        const token *t = &tokens[i];
        size_t at = b->len;
        if (rc == SB_OK)
            rc = sb_buf_append(b, t->start, t->len);
        /* "When she called" -> "when she called": a capital that only starts the sentence;
         * "Sam said" and "NASA called" keep theirs */
        if (rc == SB_OK && i == 0 && t->core_len > 0) {
            char *c = b->data + at + t->core_off;
            int second_upper = t->core_len > 1 && c[1] >= 'A' && c[1] <= 'Z';
            if (*c >= 'A' && *c <= 'Z' && !second_upper && sentence_word(r, t, &rc))
                *c = (char)(*c - 'A' + 'a');
        }
        i++;
    }
    return rc;
}

/* Cuts b to REFLECT_ECHO_MAX bytes at a word and UTF-8 boundary and adds "…". */
static int cap_echo(sb_buf *b)
{
    if (b->len <= REFLECT_ECHO_MAX)
        return SB_OK;
    size_t cut = text_utf8_cut(b->data, b->len, REFLECT_ECHO_MAX);
    size_t space = cut;
    while (space > 0 && b->data[space] != ' ')
        space--;
    if (space > 0)
        cut = space;
    while (cut > 0 && strchr(" ,;:.", b->data[cut - 1]))
        cut--;
    b->len = cut;
    b->data[cut] = '\0';
    return sb_buf_puts(b, "\xE2\x80\xA6");
}


/* --- hedges: "i guess", "kind of", "maybe" are left out of the echo --- */

static int has_trailing_mark(const token *t)
{
    return t->core_off + t->core_len < t->len;
}

static size_t token_count(const char *s)
{
    size_t n = 1;
    for (; *s; s++)
        n += *s == ' ';
    return n;
}

/* 0 when s opens with a letter or digit that, lowered, is not c: its phrase form cannot open
 * with c, and it is told apart without making that form; else 1. */
static int plain_start(const char *s, unsigned char c)
{
    unsigned char s0 = s ? (unsigned char)s[0] : 0;
    if ((s0 >= 'A' && s0 <= 'Z'))
        s0 = (unsigned char)(s0 - 'A' + 'a');
    else if (!((s0 >= 'a' && s0 <= 'z') || (s0 >= '0' && s0 <= '9')))
        return 1;
    return s0 == c;
}

/* 1 when tokens[i..] spell phrase (phrase form, one space between words), with no marks
 * between its words ("i guess", not "i, guess"); *run is then the tokens it spans. */
static int spells(const char *phrase, const token *tokens, size_t n, size_t i, size_t *run)
{
    size_t k = 0;
    for (const char *p = phrase; *p; k++) {
        if (i + k >= n)
            return 0;
        const token *t = &tokens[i + k];
        char word[sizeof t->key + 2];
        size_t wl = strcspn(p, " ");
        size_t len = text_norm_phrase_to(t->key, word, sizeof word);
        if (len != wl || memcmp(word, p, wl) != 0 || (k > 0 && t->core_off != 0))
            return 0;
        p += wl;
        if (*p == ' ') {
            if (has_trailing_mark(t))
                return 0;
            p++;
        }
    }
    *run = k;
    return k > 0;
}

/* Tokens from i on that spell one of "hedges" (the longest wins), 0 for none. */
static size_t hedge_run(const json_t *hedges, const token *tokens, size_t n, size_t i)
{
    size_t best = 0, k;
    json_t *h;
    char first[sizeof tokens->key + 2]; /* tokens[i] in phrase form: a hedge must open with it */
    if (i >= n || text_norm_phrase_to(tokens[i].key, first, sizeof first) == (size_t)-1)
        return 0;
    json_array_foreach(hedges, k, h) {
        char phrase[128];
        const char *s = json_string_value(h);
        if (!plain_start(s, (unsigned char)first[0]))
            continue;
        size_t len = s ? text_norm_phrase_to(s, phrase, sizeof phrase) : (size_t)-1;
        size_t run = 0;
        if (len != (size_t)-1 && len > 0 && spells(phrase, tokens, n, i, &run) && run > best)
            best = run;
    }
    return best;
}

enum { KEEP = 0, DROP = 1, DROP_KEEP_MARKS = 2 };

/* Marks in drop[] the hedges that open a clause ("I guess it was work", unless the next
 * word is in "hedge_not_before": "I think about her", or the hedge is one of
 * "closing_hedges") or close one ("work, I guess", "it
 * was work I guess because ..."). A hedge inside a clause stays ("you kind of froze"). */
static void mark_hedges(const json_t *r, const token *tokens, size_t n, unsigned char *drop,
                        int *rc)
{
    static const char *const none[] = {NULL};
    const json_t *hedges = json_object_get(r, "hedges");
    /* "because it is fine mostly", "well, she left": a word that only links the answer to
     * the question ("leading_words") is not said back, when something follows it; so a
     * word of "leading_marked" with a mark after it ("fine. i go quiet", not "fine by me") */
    const json_t *leading = json_object_get(r, "leading_words");
    const json_t *marked = json_object_get(r, "leading_marked");
    for (size_t i = 0; i < n;) {
        size_t run = hedge_run(leading, tokens, n, i);
        if (!run) {
            run = hedge_run(marked, tokens, n, i);
            if (run && !has_trailing_mark(&tokens[i + run - 1]))
                run = 0;
        }
        if (!run || i + run >= n)
            break;
        memset(drop + i, DROP, run);
        i += run;
    }
    for (size_t i = 0; i < n && *rc == SB_OK; i++) {
        if (drop[i])
            continue;
        size_t run = hedge_run(hedges, tokens, n, i);
        if (!run)
            continue;
        size_t last = i + run - 1;
        const token *next = last + 1 < n ? &tokens[last + 1] : NULL;
        int start = clause_start(r, tokens, i);
        /* "closing_hedges" go only where they close a clause ("trapped maybe"): opening one
         * ("maybe she's right") they carry the meaning, and said back without them the
         * sentence would claim what the person did not */
        if (start && hedge_run(json_object_get(r, "closing_hedges"), tokens, n, i) == run)
            start = 0;
        char word[sizeof next->key + 2];
        if (start && next && text_norm_phrase_to(next->key, word, sizeof word) != (size_t)-1 &&
            reflect_in_list(r, "hedge_not_before", none, word, rc))
            start = 0;
        int end = !next || has_trailing_mark(&tokens[last]) ||
                  in_words(json_object_get(r, "clause_words"), default_clause_words, next->key);
        if (!start && !end)
            continue;
        memset(drop + i, start ? DROP : DROP_KEEP_MARKS, run);
        i = last;
    }
}

/* clean without its hedges (mark_hedges), in *out (owned). A hedge that closed a clause
 * leaves its marks ("tired I guess, and sad" -> "tired, and sad"); the word after one that
 * opened a sentence gets the capital ("Not sure. Maybe anxious" -> "Not sure. Anxious"). */
static int strip_hedges(const json_t *r, const char *clean, char **out)
{
    *out = NULL;
    if (json_array_size(json_object_get(r, "hedges")) == 0) {
        *out = sb_strdup(clean);
        return *out ? SB_OK : SB_ENOMEM;
    }
    size_t cap = token_count(clean);
    token *tokens = calloc(cap, sizeof *tokens);
    unsigned char *drop = calloc(cap, 1);
    sb_buf b = {0};
    int rc = tokens && drop ? sb_buf_append(&b, "", 0) : SB_ENOMEM;
    size_t n = rc == SB_OK ? tokenize(clean, tokens, cap) : 0;
    mark_hedges(r, tokens, n, drop, &rc);
    int upper = 0;
    size_t kept = 0;
    for (size_t i = 0; i < n && rc == SB_OK; i++) {
        const token *t = &tokens[i];
        if (drop[i]) {
            int first_of_run = i == 0 || !drop[i - 1];
            if (first_of_run && (i == 0 || ends_sentence(&tokens[i - 1])))
                upper = 1;
            const char *marks = t->start + t->core_off + t->core_len;
            int last_of_run = i + 1 == n || !drop[i + 1];
            if (drop[i] == DROP_KEEP_MARKS && last_of_run && has_trailing_mark(t) && b.len &&
                !strchr(",;:.!?", b.data[b.len - 1]))
                rc = sb_buf_append(&b, marks, (size_t)(t->start + t->len - marks));
            continue;
        }
        if (kept++)
            rc = sb_buf_puts(&b, " ");
        size_t at = b.len;
        if (rc == SB_OK)
            rc = sb_buf_append(&b, t->start, t->len);
        char *c = rc == SB_OK ? b.data + at + t->core_off : NULL;
        if (c && upper && kept > 1 && *c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
        upper = 0;
    }
    while (rc == SB_OK && b.len > 0 && strchr(",;: ", b.data[b.len - 1]))
        b.data[--b.len] = '\0';
    if (rc == SB_OK)
        *out = sb_buf_take(&b);
    if (rc == SB_OK && !*out)
        rc = SB_ENOMEM;
    sb_buf_free(&b);
    free(tokens);
    free(drop);
    return rc;
}

int reflect_parts(const json_t *reflection, const char *text, char **echo, char **feeling)
{
    *echo = *feeling = NULL;
    char *clean = clean_text(text ? text : "");
    if (!clean)
        return SB_ENOMEM;
    char *bare = NULL;
    int rc = strip_hedges(reflection, clean, &bare);
    size_t cap = bare ? token_count(bare) : 0;
    token *tokens = rc == SB_OK ? calloc(cap, sizeof *tokens) : NULL;
    sb_buf b = {0};
    if (rc == SB_OK && !tokens)
        rc = SB_ENOMEM;
    if (rc == SB_OK) {
        size_t n = tokenize(bare, tokens, cap);
        rc = swap_all(reflection, tokens, n, &b);
    }
    if (rc == SB_OK)
        rc = cap_echo(&b);
    const char *found = rc == SB_OK ? reflect_find_feeling(reflection, clean, &rc) : NULL;
    if (rc == SB_OK && found) {
        *feeling = sb_strdup(found);
        if (!*feeling)
            rc = SB_ENOMEM;
    }
    if (rc == SB_OK)
        *echo = sb_buf_take(&b);
    if (rc == SB_OK && !*echo)
        rc = SB_ENOMEM;
    if (rc != SB_OK) {
        free(*feeling);
        *feeling = NULL;
    }
    sb_buf_free(&b);
    free(tokens);
    free(bare);
    free(clean);
    return rc;
}

int reflect_names_feeling(const json_t *reflection, const char *text)
{
    if (!reflection)
        return 0;
    char *echo = NULL, *feeling = NULL;
    int rc = reflect_parts(reflection, text, &echo, &feeling);
    int named = feeling != NULL;
    free(echo);
    free(feeling);
    return rc != SB_OK ? rc : named;
}
