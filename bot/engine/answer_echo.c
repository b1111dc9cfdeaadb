/* answer_echo.c — an answer in a listening state said back (answer_echo): echoed when it is
 * short, heard with its feelings named when it is long, met as what it is when it is a
 * question back, a nod, a correction of the coach ("you're not listening, i said ..."), and
 * gathered into {heard} for the summary that follows. Part of answer.h. */
#include "answer.h"

#include "flow.h"
#include "match.h"
#include "reflect.h"
#include "sb.h"
#include "sb_json.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_SHORT 80 /* bytes of an echo said back whole in a listening state */
#define FEELINGS_NAMED 3 /* feelings {feeling} lists when several are named */
#define FEELINGS_FEW_WORDS 6 /* an answer this short that names feelings is about them */
#define HEARD_ITEM 90   /* bytes of an echo kept for {heard} */
#define HEARD_ITEMS 3   /* echoes {heard} lists, the latest */

/* Adds echo (Markdown) to {heard}: the last HEARD_ITEMS echoes of a listening dialog as a
 * list, each cut at a word to HEARD_ITEM bytes, for the summary that gathers them up. */
static void keep_heard(turn *t, json_t *frame, const char *echo)
{
    const char *old = sb_json_str(flow_vars(t, frame), "heard");
    const char *from = old ? old : "";
    size_t lines = 0;
    for (const char *p = from; *p; p++)
        lines += *p == '\n';
    while (lines-- >= HEARD_ITEMS) { /* drop the oldest */
        const char *nl = strchr(from + 1, '\n');
        from = nl ? nl : from + strlen(from);
    }
    size_t n = strlen(echo);
    if (n > HEARD_ITEM) {
        n = HEARD_ITEM;
        while (n > 0 && echo[n] != ' ')
            n--;
    }
    char *joined = sb_asprintf("%s\n- %.*s%s", from, (int)n, echo, n < strlen(echo) ? "…" : "");
    if (!joined) {
        turn_fail(t, SB_ENOMEM);
        return;
    }
    flow_keep(t, frame, "heard", turn_var(t, joined));
    free(joined);
}

#define NOD_WORDS 3 /* words of a "yeah, that's it" that only agree */

/* 1 when text starts with a word of reflection.json "yes". */
static int starts_yes(const json_t *r, const char *text)
{
    size_t rest = 0;
    return match_words(json_object_get(r, "yes"), text, &rest) > 0;
}

static char *feelings_named(const json_t *r, const char *text);

/* 2 when text names several feelings, else 1. */
static int feelings_count(const json_t *r, const char *text)
{
    char *several = feelings_named(r, text);
    free(several);
    return several ? 2 : 1;
}

/* Words of s that hold a letter of the Latin alphabet ("ok 👍" has one). */
static size_t lettered_words(const char *s)
{
    size_t n = 0;
    int in_word = 0, lettered = 0;
    for (const char *p = s;; p++) {
        if (*p == '\0' || *p == ' ') {
            n += in_word && lettered;
            in_word = lettered = 0;
            if (*p == '\0')
                break;
            continue;
        }
        in_word = 1;
        lettered |= (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z');
    }
    return n;
}

/* The feelings of reflection.json text names, in the order said, as "sad, ashamed and
 * numb" (at most FEELINGS_NAMED; a feeling with a negation right before it is left out).
 * NULL when fewer than two are named or on ENOMEM. */
static char *feelings_named(const json_t *r, const char *text)
{
    char *hay = text_norm_phrase(text);
    if (!hay)
        return NULL;
    const char *found[FEELINGS_NAMED];
    long at[FEELINGS_NAMED];
    size_t n = 0, i;
    json_t *f;
    const json_t *each_list = json_object_get(r, "feelings");
    json_array_foreach(each_list, i, f) {
        char needle[64];
        const char *s = json_string_value(f);
        size_t len = s ? text_norm_phrase_to(s, needle, sizeof needle) : (size_t)-1;
        long pos = len != (size_t)-1 && len > 0 ? text_find_words(hay, needle) : -1;
        if (pos < 0 || n == FEELINGS_NAMED)
            continue;
        if (pos >= 4 && (strncmp(hay + pos - 4, "not ", 4) == 0 ||
                         (pos >= 5 && strncmp(hay + pos - 5, "dont ", 5) == 0)))
            continue;
        size_t k = n++;
        while (k > 0 && at[k - 1] > pos) {
            found[k] = found[k - 1];
            at[k] = at[k - 1];
            k--;
        }
        found[k] = s;
        at[k] = pos;
    }
    free(hay);
    if (n < 2)
        return NULL;
    if (n == 2)
        return sb_asprintf("%s and %s", found[0], found[1]);
    return sb_asprintf("%s, %s and %s", found[0], found[1], found[2]);
}

void answer_echo(turn *t, json_t *frame, const json_t *st, const char *text)
{
    const json_t *r = dialogs_data(t->d, "reflection");
    /* "no you're not listening, i said i freeze": the coach owns the mistake and says back
     * what follows the lead (reflection.json "misheard_leads", "misheard") */
    size_t lead = 0;
    int misheard = match_words(json_object_get(r, "misheard_leads"), text, &lead);
    if (misheard < 0) {
        turn_fail(t, misheard);
        return;
    }
    if (misheard == 1) {
        text += lead;
        text += answer_lead_len(r, text); /* "..., i said i freeze" */
    }
    char *echo = NULL, *feeling = NULL;
    if (reflect_parts(r, text, &echo, &feeling) != SB_OK) {
        turn_fail(t, SB_ENOMEM);
        return;
    }
    char *echo_md = text_escape_markdown(echo);
    int question = answer_is_question(t->d, text);
    if (!echo_md || question < 0) {
        turn_fail(t, SB_ENOMEM);
    } else if (misheard == 1) {
        int whole = *echo && strchr(echo, ' ') && !strstr(echo, ". ") &&
                    strlen(echo) <= 2 * ECHO_SHORT; /* one clause is said back */
        json_t *vars = json_pack("{s:s}", "echo", echo_md);
        if (!vars)
            turn_fail(t, SB_ENOMEM);
        else
            turn_say(t, whole ? "reflection/misheard" : "reflection/misheard_plain",
                     json_object_get(r, whole ? "misheard" : "misheard_plain"), vars);
        json_decref(vars);
    } else if (question && json_object_get(r, "heard_question")) {
        /* a question back is not echoed as if it were their view: met, then the next one */
        turn_say(t, "reflection/heard_question", json_object_get(r, "heard_question"), NULL);
        free(echo_md);
        echo_md = NULL;
    } else if (!*echo) {
        /* nothing to reflect: the next question follows on its own */
    } else if (!feeling && lettered_words(echo) <= 1) {
        /* "lol", "yeah", "ok 👍": no echo; the next question carries on */
        free(echo_md);
        echo_md = NULL;
    } else if (!feeling && lettered_words(text) <= NOD_WORDS && starts_yes(r, text)) {
        /* "yeah thats it": a nod to what was said before, not news to echo */
        free(echo_md);
        echo_md = NULL;
    } else if (strlen(echo) > ECHO_SHORT || !strchr(echo, ' ') ||
               (strstr(echo, ". ") && strlen(echo) > ECHO_SHORT / 2) ||
               (feeling && answer_count_words(echo, strlen(echo)) < FEELINGS_FEW_WORDS &&
                feelings_count(r, text) > 1)) {
        /* a long vent is not parroted back: heard, with the feelings named when there are
         * some; a few words that name feelings ("idk. sad? ashamed maybe") get them named */
        const char *name = feeling ? "heard_feeling_reply" : "heard_reply";
        const json_t *texts = json_object_get(r, name);
        char *several = feeling ? feelings_named(r, text) : NULL;
        json_t *vars = json_pack("{s:s}", "feeling", several ? several : feeling ? feeling : "");
        if (feeling && echo_md) { /* {heard} keeps the feelings, not half a sentence */
            free(echo_md);
            echo_md = text_escape_markdown(several ? several : feeling);
            if (!echo_md)
                turn_fail(t, SB_ENOMEM);
        }
        free(several);
        char key[64];
        snprintf(key, sizeof key, "reflection/%s", name);
        if (!vars)
            turn_fail(t, SB_ENOMEM);
        else if (texts)
            turn_say(t, key, texts, vars);
        json_decref(vars);
    } else {
        const char *list = feeling ? "feeling_templates" : "templates";
        char key[64];
        snprintf(key, sizeof key, "reflection/%s", list);
        size_t pick = turn_pick(t, key, json_object_get(r, list));
        turn_reply_owned(t, reflect_render(r, echo_md, feeling, pick));
    }
    if (echo_md && *echo && sb_json_str(st, "save"))
        flow_keep(t, frame, sb_json_str(st, "save"), turn_var(t, echo_md));
    if (echo_md && (strchr(echo, ' ') || feeling))
        keep_heard(t, frame, echo_md);
    free(echo_md);
    free(echo);
    free(feeling);
}
