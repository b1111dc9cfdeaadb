/* language.c — the detector of language.h over libexttextcat. It writes the fingerprint
 * list the data asks for into an anonymous file (libexttextcat reads its configuration
 * from a path), keeps the handle and the set of English example words; what to say in
 * which language is the data's and route.c's. */
#include "language.h"

#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <textcat.h>
#include <unistd.h>

#define MIN_WORDS_DEFAULT 4  /* words of a message before its language is guessed */
#define LONG_WORD 3          /* bytes of a word that counts as English or not */
#define LANGUAGES_MAX 16     /* candidates weighed by their words (by_words) */

struct language {
    void *textcat;      /* libexttextcat handle */
    json_t *english;    /* set of words of the examples (normal form) */
    json_t *codes;      /* the "detect" list, borrowed strings live here */
    json_t *words;      /* "words": code -> [its common short words, normal form]; may be NULL */
    long min_words;
};

/* Adds each word of every example to set. SB_ENOMEM or SB_OK. */
static int collect_words(json_t *set, const json_t *examples, normalizer *n)
{
    norm_text *t = malloc(sizeof *t);
    if (!t)
        return SB_ENOMEM;
    int rc = SB_OK;
    const char *name;
    const json_t *list;
    json_object_foreach((json_t *)examples, name, list) {
        size_t i;
        const json_t *u;
        json_array_foreach(list, i, u) {
            normalizer_run(n, json_string_value(u) ? json_string_value(u) : "", t);
            for (char *p = t->words; *p && rc == SB_OK;) {
                size_t len = strcspn(p, " ");
                char keep = p[len];
                p[len] = '\0';
                if (json_object_set_new(set, p, json_true()))
                    rc = SB_ENOMEM;
                p[len] = keep;
                p += len + (keep == ' ');
            }
        }
    }
    free(t);
    return rc;
}

/* The examples hold a few lines in other languages: their common words ("words" of the
 * languages data: "que", "hacer") are no English words, however often the examples use them. */
static void forget_words(json_t *set, const json_t *words)
{
    const char *code;
    const json_t *list;
    json_object_foreach((json_t *)words, code, list) {
        size_t i;
        const json_t *w;
        json_array_foreach(list, i, w) {
            if (json_is_string(w))
                json_object_del(set, json_string_value(w));
        }
    }
}

/* The fingerprint list for libexttextcat ("es.lm es" a line) in an anonymous file; its
 * descriptor, or -1. */
static int write_conf(const json_t *codes)
{
    int fd = memfd_create("securebase-textcat", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t i;
    const json_t *c;
    json_array_foreach(codes, i, c) {
        char line[64];
        int n = snprintf(line, sizeof line, "%s.lm %s\n", json_string_value(c), json_string_value(c));
        if (n < 0 || (size_t)n >= sizeof line || write(fd, line, (size_t)n) != n) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

int language_new(const json_t *languages, const json_t *examples, normalizer *n,
                 language **out)
{
    *out = NULL;
    if (!languages)
        return SB_OK;
    language *l = calloc(1, sizeof *l);
    if (!l)
        return SB_ENOMEM;
    int rc = SB_ENOMEM;
    char *conf = NULL, *prefix = NULL;
    int fd = -1;
    l->english = json_object();
    l->codes = json_incref(json_object_get(languages, "detect"));
    l->words = json_incref(json_object_get(languages, "words"));
    json_int_t min = json_integer_value(json_object_get(languages, "min_words"));
    l->min_words = min > 0 ? (long)min : MIN_WORDS_DEFAULT;
    if (!l->english || collect_words(l->english, examples, n) != SB_OK)
        goto done;
    forget_words(l->english, l->words);
    rc = SB_EIO;
    fd = write_conf(l->codes);
    const char *dir = json_string_value(json_object_get(languages, "fingerprints"));
    if (fd < 0 || !dir)
        goto done;
    conf = sb_asprintf("/proc/self/fd/%d", fd);
    prefix = sb_asprintf("%s/", dir);
    if (!conf || !prefix) {
        rc = SB_ENOMEM;
        goto done;
    }
    l->textcat = special_textcat_Init(conf, prefix);
    if (l->textcat)
        rc = SB_OK;
done:
    if (fd >= 0)
        close(fd);
    free(conf);
    free(prefix);
    if (rc != SB_OK) {
        language_free(l);
        return rc;
    }
    *out = l;
    return SB_OK;
}

void language_free(language *l)
{
    if (!l)
        return;
    if (l->textcat)
        textcat_Done(l->textcat);
    json_decref(l->english);
    json_decref(l->codes);
    json_decref(l->words);
    free(l);
}

/* Of several close candidates ("[es][pt]": the fingerprints of short messages are close),
 * the one with clearly more of its own common words ("soy", "muy" against "sou", "muito")
 * when there is one: codes[0] and 1. Else all of them, as found. */
static size_t by_words(const language *l, const norm_text *t, const char **codes, size_t found)
{
    size_t best = 0, score[LANGUAGES_MAX] = {0};
    for (size_t k = 0; k < found && k < LANGUAGES_MAX; k++) {
        const json_t *list = json_object_get(l->words, codes[k]);
        for (const char *p = t->words; *p;) {
            size_t len = strcspn(p, " ");
            size_t i;
            const json_t *w;
            json_array_foreach(list, i, w) {
                if (json_string_length(w) == len && memcmp(json_string_value(w), p, len) == 0) {
                    score[k]++;
                    break;
                }
            }
            p += len + (p[len] == ' ');
        }
        if (score[k] > score[best])
            best = k;
    }
    for (size_t k = 0; k < found && k < LANGUAGES_MAX; k++)
        if (k != best && score[k] >= score[best])
            return found; /* a tie: no one language stands out */
    codes[0] = codes[best];
    return 1;
}

size_t language_detect(language *l, normalizer *n, const char *text, const char **codes,
                       size_t max)
{
    if (!l || max == 0)
        return 0;
    norm_text t;
    normalizer_run(n, text, &t);
    long words = 0, long_words = 0, known = 0;
    for (char *p = t.words; *p;) {
        size_t len = strcspn(p, " ");
        char keep = p[len];
        p[len] = '\0';
        words++;
        if (len >= LONG_WORD) { /* "a", "me", "no" are words of many languages */
            long_words++;
            known += json_object_get(l->english, p) != NULL;
        }
        p[len] = keep;
        p += len + (keep == ' ');
    }
    if (words < l->min_words || known * 2 >= long_words)
        return 0;
    const char *got = textcat_Classify(l->textcat, text, strnlen(text, NORM_INPUT_MAX));
    size_t found = 0;
    for (const char *p = got; p && *p == '[' && found < max;) { /* "[es][it]": best first */
        const char *end = strchr(p, ']');
        if (!end)
            break;
        size_t i;
        const json_t *c;
        json_array_foreach(l->codes, i, c) {
            const char *code = json_string_value(c);
            if (strlen(code) == (size_t)(end - p - 1) && strncmp(p + 1, code, strlen(code)) == 0) {
                if (strcmp(code, "en") == 0)
                    return 0; /* English is among the candidates: it is no other language */
                codes[found++] = code;
            }
        }
        p = end + 1;
    }
    return found > 1 ? by_words(l, &t, codes, found) : found;
}
