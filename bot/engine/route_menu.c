/* route_menu.c — the menus of routing (route.h): the guesses offered as a menu plus "just
 * talk" when the coach is unsure, a message that is only a clock time or a zone name offered
 * as its command, and the answer to such a menu read back into a route. */
#include "route.h"
#include "route_impl.h"

#include "answer.h"
#include "match.h"
#include "reflect.h"
#include "sb.h"
#include "sb_json.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The label of intent in a menu, or NULL when it is not offered in menus (acts, and
 * commands without an "options" label). */
const char *route_label_of(const turn *t, const char *intent)
{
    const char *label = sb_json_str(json_object_get(route_understanding(t), "options"), intent);
    if (label || route_act_of(t, intent))
        return route_act_of(t, intent) ? NULL : label;
    return sb_json_str(dialogs_dialog(t->d, intent), "title");
}

/* Offers intents as a menu plus "just talk". Unsure: what was heard first, then the
 * question "unsure". Sure of one that is only confirmed ("confirm"): "confirm_offer", for
 * a request is no news to say back. */
void route_offer(turn *t, const char *const *intents, size_t n, int sure, const char *arg)
{
    json_t *frame = json_object();
    json_t *list = json_array();
    if (!frame || !list || json_object_set_new(frame, "menu", list)) {
        json_decref(frame);
        turn_fail(t, SB_ENOMEM);
        return;
    }
    const json_t *u = route_understanding(t);
    const char *kind = sure && json_object_get(u, "confirm_offer") ? "confirm_offer" : "unsure";
    /* what was heard first, then the question (issue 9: reflect, offer); a question ("ok
     * what now") is not said back as if it were news */
    if (strcmp(kind, "unsure") == 0 && answer_is_question(t->d, t->text) == 0)
        route_reflect_input(t);
    char key[40];
    snprintf(key, sizeof key, "understanding/%s", kind);
    char *intro = turn_render(t, key, json_object_get(u, kind), NULL);
    sb_buf b = {0};
    int rc = intro ? sb_buf_puts(&b, intro) : SB_ENOMEM;
    free(intro);
    for (size_t i = 0; i < n && rc == SB_OK; i++) {
        rc = sb_buf_printf(&b, "%s%zu. %s", i ? "\n" : "\n\n", i + 1, route_label_of(t, intents[i]));
        if (rc == SB_OK && json_array_append_new(list, json_string(intents[i])))
            rc = SB_ENOMEM;
    }
    if (rc == SB_OK)
        rc = sb_buf_printf(&b, "\n%zu. %s", n + 1, sb_json_str(u, "just_talk") ? sb_json_str(u, "just_talk") : "");
    if (rc != SB_OK) {
        sb_buf_free(&b);
        json_decref(frame);
        turn_fail(t, SB_ENOMEM);
        return;
    }
    if ((arg && json_object_set_new(frame, "arg", json_string(arg))) ||
        (!sure && json_object_set_new(frame, "said", json_string(t->text)))) {
        sb_buf_free(&b);
        json_decref(frame);
        turn_fail(t, SB_ENOMEM);
        return;
    }
    turn_reply_owned(t, sb_buf_take(&b));
    turn_push(t, frame);
}

#define BARE_TIME_WORDS 2 /* words of a message that is only a clock time ("at 8", "8:30") */

/* The command understanding.json "bare_time" names, when the text is only a clock time
 * for it (written to clock); else NULL. */
static const char *bare_time(turn *t, char *clock, size_t size)
{
    const char *name = sb_json_str(route_understanding(t), "bare_time");
    const json_t *cmd = name ? route_command_named(t, name) : NULL;
    if (!cmd || route_words_of(t->text) > BARE_TIME_WORDS || !match_time(cmd, t->text, clock, size))
        return NULL;
    return name;
}

/* 1 when text is one word shaped like a time-zone name (match_zone_shaped), spaces aside. */
static int zone_shaped(const char *text)
{
    text += strspn(text, " ");
    size_t n = strcspn(text, " ");
    return n > 0 && text[n + strspn(text + n, " ")] == '\0' && match_zone_shaped(text, n);
}

const json_t *route_zone_command(turn *t, char *zone, size_t size)
{
    const char *name = sb_json_str(route_understanding(t), "bare_zone");
    const json_t *cmd = name ? route_command_named(t, name) : NULL;
    if (!cmd || !zone_shaped(t->text))
        return NULL;
    const char *s = t->text;
    while (*s == ' ')
        s++;
    snprintf(zone, size, "%.*s", (int)strcspn(s, " "), s);
    return cmd;
}

int route_bare_zone(turn *t)
{
    char zone[64];
    if (!route_zone_command(t, zone, sizeof zone))
        return 0;
    const char *name = sb_json_str(route_understanding(t), "bare_zone");
    route_offer(t, &name, 1, 1, zone);
    return 1;
}

int route_is_bare_time(turn *t)
{
    char clock[16];
    return bare_time(t, clock, sizeof clock) != NULL;
}

int route_bare_time(turn *t)
{
    char clock[16];
    const char *name = bare_time(t, clock, sizeof clock);
    if (!name)
        return 0;
    route_offer(t, &name, 1, 1, clock);
    return 1;
}

int route_is_menu(const json_t *frame)
{
    return json_is_array(json_object_get(frame, "menu"));
}

int route_menu_ok(const sb_dialogs *d, const json_t *frame)
{
    const json_t *list = json_object_get(frame, "menu");
    const json_t *u = dialogs_data(d, "understanding");
    if (!u || !json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > MENU_MAX)
        return 0;
    size_t i;
    const json_t *id;
    json_array_foreach(list, i, id) {
        const char *s = json_string_value(id);
        if (!s || (!dialogs_dialog(d, s) && !json_object_get(json_object_get(u, "options"), s)))
            return 0;
    }
    return 1;
}

int route_menu_answer(turn *t, const json_t *menu, route *r)
{
    memset(r, 0, sizeof *r);
    const json_t *list = json_object_get(menu, "menu");
    json_t *choices = json_array();
    int rc = choices ? SB_OK : SB_ENOMEM;
    size_t i;
    const json_t *id;
    json_array_foreach(list, i, id) {
        const char *label = route_label_of(t, json_string_value(id));
        if (rc == SB_OK && json_array_append_new(choices, json_pack("{s:s, s:[]}", "label",
                                                                    label ? label : "", "words")))
            rc = SB_ENOMEM;
    }
    const char *talk = sb_json_str(route_understanding(t), "just_talk");
    if (rc == SB_OK &&
        json_array_append_new(choices, json_pack("{s:s, s:[s, s, s]}", "label", talk ? talk : "",
                                                 "words", "talk", "just talk", "neither")))
        rc = SB_ENOMEM;
    size_t index = 0;
    int found = rc == SB_OK ? match_choice(choices, t->text, &index) : rc;
    if (found == 0)
        found = match_choice_label(choices, json_object_get(dialogs_data(t->d, "commands"),
                                                            "filler_words"),
                                   t->text, NULL, &index);
    json_decref(choices);
    if (found == 0 && json_array_size(list) == 1) {
        /* "Is this what you're after? 1. A daily nudge": "k", "sure", "yes" (as a word of
         * agree_words or reflection.json "yes", or as the model reads it) take that one */
        size_t rest = 0;
        const char *said = t->text + answer_laugh_len(t->d, t->text);
        int agree = match_words(json_object_get(dialogs_data(t->d, "commands"), "agree_words"),
                                said, &rest);
        int yes = agree == 2 ? 2 : match_words(json_object_get(dialogs_data(t->d, "reflection"),
                                                               "yes"), said, &rest);
        found = agree < 0 || yes < 0 ? SB_ENOMEM
                                     : (agree == 2 || yes == 2 || route_means(t, "yes"));
        index = 0;
    }
    if (found < 0) {
        turn_fail(t, found);
        return 1;
    }
    if (found == 0)
        return 0;
    if (index < json_array_size(list)) {
        r->arg = json_array_size(list) == 1 ? sb_json_str(menu, "arg") : NULL;
        r->said = sb_json_str(menu, "said"); /* what they wrote before "is it one of these?" */
        return route_go(t, json_string_value(json_array_get(list, index)), r, 1);
    }
    return route_listen(t, r, "listen");
}
