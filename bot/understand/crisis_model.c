/* crisis_model.c — the crisis classifier of crisis_model.h: an intent model (intent.c)
 * over the safety examples, read sentence by sentence. Which threshold makes a crisis, and
 * what to say, is safety.c's; the examples are read by dialog.c and checked by
 * validate_data.c. */
#include "crisis_model.h"

#include "crisis.h"
#include "sb.h"
#include "understand.h"

#include <stdlib.h>
#include <string.h>

#define CLASSES_MAX 32 /* categories and none */

struct crisis_model {
    intent_model *intents;
    size_t none; /* index of "none" among the model's intents */
};

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

int crisis_model_new(const json_t *examples, const json_t *spellings, double c, normalizer *n,
                     crisis_model **out)
{
    *out = NULL;
    if (!json_object_get(examples, CRISIS_MODEL_NONE) || json_object_size(examples) < 2 ||
        json_object_size(examples) > CLASSES_MAX)
        return SB_EINVAL;
    crisis_model *m = calloc(1, sizeof *m);
    if (!m)
        return SB_ENOMEM;
    int rc = understand_train(examples, spellings, c, n, &m->intents);
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

int crisis_model_guess(const crisis_model *m, normalizer *n, const char *text, crisis_guess *g)
{
    g->p = 0;
    g->category = NULL;
    if (!m || !text)
        return SB_OK;
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
