/* typo.c — correcting a slip in a command word (typo.h). Conservative on purpose: a word the
 * coach's own texts use, or commands.json lists as "known_words" ("cancer", "judge"), is never
 * a typo; only a word one edit away from the command words of a single command is; and what
 * the corrected text may then mean is decided by match_command, which accepts only a whole
 * command word, a topic argument or a phrase from it (never "journals are dumb" as a journal
 * entry "are dumb"). */
#include "typo.h"

#include "sb.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

#define TYPO_WORD_MAX 64 /* longer words are never corrected */

static int add_words(json_t *vocabulary, const char *s)
{
    char *norm = text_norm_phrase(s);
    if (!norm)
        return SB_ENOMEM;
    int rc = SB_OK;
    for (char *p = norm; *p && rc == SB_OK;) {
        char *end = strchr(p, ' ');
        if (end)
            *end = '\0';
        if (strlen(p) >= TYPO_MIN_LEN && !json_object_get(vocabulary, p) &&
            json_object_set_new(vocabulary, p, json_true()))
            rc = SB_ENOMEM;
        p = end ? end + 1 : p + strlen(p);
    }
    free(norm);
    return rc;
}

int typo_collect(json_t *vocabulary, const json_t *file)
{
    if (json_is_string(file))
        return add_words(vocabulary, json_string_value(file));
    int rc = SB_OK;
    size_t i;
    json_t *item;
    const char *key;
    if (json_is_array(file)) {
        json_array_foreach(file, i, item) {
            if (rc == SB_OK)
                rc = typo_collect(vocabulary, item);
        }
    } else if (json_is_object(file)) {
        json_object_foreach((json_t *)file, key, item) {
            if (rc == SB_OK)
                rc = typo_collect(vocabulary, item);
        }
    }
    return rc;
}

int typo_one_edit(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > lb) {
        const char *s = a;
        a = b;
        b = s;
        size_t n = la;
        la = lb;
        lb = n;
    }
    if (lb - la > 1)
        return 0;
    size_t i = 0;
    while (i < la && a[i] == b[i])
        i++;
    if (la < lb)
        return memcmp(a + i, b + i + 1, la - i) == 0;
    if (i == la)
        return 0; /* the same word */
    if (memcmp(a + i + 1, b + i + 1, la - i - 1) == 0)
        return 1;
    return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
           memcmp(a + i + 2, b + i + 2, la - i - 2) == 0;
}

static int letters_only(const char *s)
{
    for (; *s; s++)
        if (*s < 'a' || *s > 'z')
            return 0;
    return 1;
}

/* The command word that word is a slip of, or NULL (none, or words of two commands). */
static const char *command_word_for(const json_t *commands, const char *word, char *buf,
                                    size_t cap)
{
    const json_t *owner = NULL;
    size_t i, k;
    json_t *cmd, *w;
    const json_t *each_list = json_object_get(commands, "commands");
    json_array_foreach(each_list, i, cmd) {
        if (json_is_true(json_object_get(cmd, "exact")))
            continue;
        const json_t *each_words = json_object_get(cmd, "words");
        json_array_foreach(each_words, k, w) {
            char norm[TYPO_WORD_MAX];
            const char *s = json_string_value(w);
            size_t n = s ? text_norm_command_to(s, norm, sizeof norm) : (size_t)-1;
            if (n == (size_t)-1 || n < TYPO_MIN_LEN || !letters_only(norm) || !typo_one_edit(norm, word))
                continue;
            if (owner && owner != cmd)
                return NULL;
            if (!owner && n < cap)
                memcpy(buf, norm, n + 1);
            owner = cmd;
        }
    }
    return owner ? buf : NULL;
}

int typo_fix(const sb_dialogs *d, const char *text, char **fixed)
{
    *fixed = NULL;
    const json_t *commands = dialogs_data(d, "commands");
    const json_t *vocabulary = dialogs_vocabulary(d);
    const json_t *known = json_object_get(commands, "known_words");
    char *norm = text_norm_phrase(text ? text : "");
    if (!norm)
        return SB_ENOMEM;
    sb_buf out = {0};
    int rc = sb_buf_append(&out, "", 0);
    int changed = 0;
    for (char *p = norm; *p && rc == SB_OK;) {
        char *end = strchr(p, ' ');
        if (end)
            *end = '\0';
        char word[TYPO_WORD_MAX];
        const char *use = p;
        size_t len = strlen(p);
        if (len >= TYPO_MIN_LEN && len < TYPO_WORD_MAX && letters_only(p) &&
            !json_object_get(vocabulary, p) && !dialogs_word_listed(known, p)) {
            const char *fix = command_word_for(commands, p, word, sizeof word);
            if (fix) {
                use = fix;
                changed = 1;
            }
        }
        rc = out.len ? sb_buf_puts(&out, " ") : SB_OK;
        rc = rc == SB_OK ? sb_buf_puts(&out, use) : rc;
        p = end ? end + 1 : p + len;
    }
    free(norm);
    if (rc != SB_OK || !changed) {
        sb_buf_free(&out);
        return rc == SB_OK ? 0 : SB_ENOMEM;
    }
    *fixed = sb_buf_take(&out);
    return *fixed ? 1 : SB_ENOMEM;
}
