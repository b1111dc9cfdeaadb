/* route_impl.h — inside routing: what route.c (reading the guesses, leading to what they
 * name) and route_menu.c (the menu of guesses, a bare clock time or zone offered, the answer
 * to that menu) share. Not an interface: route.h is. */
#ifndef SB_ROUTE_IMPL_H
#define SB_ROUTE_IMPL_H

#include "route.h"
#include "turn.h"
#include "understand.h"

#include <jansson.h>

#define MENU_MAX INTENT_TOP_MAX /* guesses a menu offers */

/* understanding.json of the set. */
const json_t *route_understanding(const turn *t);
/* The command of commands.json called name, or NULL. */
const json_t *route_command_named(const turn *t, const char *name);
/* The chat act of understanding.json "acts" called intent, or NULL. */
const json_t *route_act_of(const turn *t, const char *intent);
/* Words of text (runs of letters and digits). */
long route_words_of(const char *text);
/* The reflection of the input ("It sounds like ..."), when it has words enough. */
void route_reflect_input(turn *t);
/* Leads to the listening dialog for act ("listen", "vent"), with the line heard; 1. */
int route_listen(turn *t, route *r, const char *act);
/* Leads to intent: the act's reply (and its "then"), or the line said back (heard=1) and
 * the dialog or command named in r; 1. */
int route_go(turn *t, const char *intent, route *r, int heard);
/* The label of intent in a menu, or NULL when it is not offered in menus (acts, and
 * commands without an "options" label). */
const char *route_label_of(const turn *t, const char *intent);
/* Offers intents (n of them) as a menu plus "just talk", pushed as a menu frame; sure when
 * the one offered is only to be confirmed; arg goes with a single one (a clock time). */
void route_offer(turn *t, const char *const *intents, size_t n, int sure, const char *arg);

#endif
