/* route.h — routing by confidence (design.md: understanding -> engine step): what an input
 * that no command word, phrase or trigger placed leads to, by the intents the set's model
 * guesses (understand.h) and understanding.json. Sure of one intent: a line said back and
 * its dialog or command, or the reply of a chat act. Unsure between two or three: a short
 * reflection and a menu of them plus "just talk" (a menu frame on the stack). Unclear,
 * venting, or asking to be listened to: listening. Another language: a line in it.
 * route.c says what it decides; the engine starts what it names (route). */
#ifndef SB_ROUTE_H
#define SB_ROUTE_H

#include "turn.h"

#include <jansson.h>

/* What the engine is to start after a routing said its part. */
typedef struct route {
    const char *dialog;    /* a dialog id (borrowed from the set), or NULL */
    const json_t *command; /* a command of commands.json (borrowed), or NULL */
    int heard;             /* the dialog starts with the message as the first thing heard */
    int opening;           /* the dialog was chosen by what the message means: a start menu
                              marked "opening" takes it (flow_start_heard) */
    const char *said;      /* that message, when it came before the menu answered (borrowed) */
    const char *arg;       /* the command's argument found in the message ("at 8"), or NULL */
    char clock[16];        /* where arg is kept when it was found here */
} route;

/* Idle input (nothing waits) that no command or trigger placed. Returns 1 when it was
 * answered (and *r names what to start, if anything), 0 when the set has no understanding
 * (then the engine says its fallback). */
int route_idle(turn *t, route *r);

/* An answer that fits nothing a waiting dialog asks: 1 with *r when the model is sure (by
 * "sure_waiting") of a dialog that is not already waiting nor to be confirmed, or of a
 * command (with its time as r->arg when "argument_time" finds one), never while the
 * first-contact dialog waits for its consequential answer (consent), never a chat act or
 * listening, after the line said back; 1 with nothing to start when it was in another
 * language and got the line in it; 0 otherwise, nothing said. */
int route_interrupt(turn *t, route *r);

/* 1 when a message asks, as a question or a request, for a dialog or command that is not
 * already waiting ("can we do one of those exercises?"), leaning to it as route_aside's
 * questions must ("sure_aside_question"); route_interrupt takes those too. Says nothing. */
int route_asks_to_start(turn *t);

/* A message while a question waits that is plainly an aside, not an answer: the name (borrowed)
 * of the chat act of understanding.json "asides" the model is sure of ("sure", or
 * "sure_aside_question" when it is phrased as a question), else NULL; listening (the
 * listening dialog waits), those of "asides_listening" too. Says nothing. */
const char *route_aside(turn *t, int listening);
/* Says the aside of act: its "aside" (else its "reply"); while listening (the question that
 * waits is "go on"), its "reply", which asks its own open question, and the aside only for
 * asking to be listened to or for an act with no reply. Returns 1 for an act with no reply
 * of its own (its aside asks nothing, so the waiting question is the caller's to say
 * again), else 0. */
int route_say_aside(turn *t, const char *act, int listening);

/* 1 when the model is sure ("sure") that text asks for a command in other words ("fine.
 * give me something short", "show me what ive written"): a command's name, not only a
 * dialog's. Says nothing. */
int route_asks_command(turn *t);

/* A message that is only a clock time ("8:30", "at 7pm"): offers understanding.json
 * "bare_time" (the nudge command) with that time, "Is this what you're after?", as a menu
 * that waits alone (nothing may wait below it). 1 when offered, 0 when the message is more
 * than a time or the set names no such command. route_is_bare_time only tells. */
int route_bare_time(turn *t);
int route_is_bare_time(turn *t);

/* A message that is only a time-zone name ("Europe/Berlin"): offers understanding.json
 * "bare_zone" (the timezone command) with it, as route_bare_time does. */
int route_bare_zone(turn *t);
/* The bare_zone command when the whole message is a time-zone name (copied to zone), else
 * NULL: while something waits, no answer looks like "Europe/Berlin", so it is the setting. */
const json_t *route_zone_command(turn *t, char *zone, size_t size);

/* Says understanding.json "heard" of intent, the line said back before its dialog starts
 * ("It sounds like you pulled away from someone recently..."); nothing when it has none. */
void route_say_heard(turn *t, const char *intent);

/* 1 when the model's best guess for the input (however sure) is a dialog, not a command or
 * a chat act: it tells of something rather than asking for something. */
int route_tells(turn *t);

/* 1 when text says something of its own: the model's top guess is no chat act other than
 * venting or asking to be heard ("idk a friend sent me", "ok sure", "hi again" are not). */
int route_says_something(turn *t);

/* 1 when the model's best guess for the input (however sure) is one of understanding.json
 * "feeling_intents" (venting, naming a feeling): the words say how the person feels, not
 * what they want or plan ("i feel kinda numb tbh", not "tell my sister im sad"). */
int route_reads_feeling(turn *t);

/* 1 when the model's best guess is one of understanding.json "report_intents": the words
 * tell how a planned step or an exercise went ("I did it. I told her. She was kind"). */
int route_reads_report(turn *t);

/* Says the line in the person's language (languages.json) when text is in one we have a
 * line for (in the two best candidates' languages when the detector hesitates: Spanish or
 * Italian); 1 when it said one. */
int route_other_language(turn *t);

/* A first message that is a command in other words ("can you remind me every morning") or
 * in another language: 1 when it was answered (*r as for route_idle), 0 otherwise. */
int route_first(turn *t, route *r);

/* 1 when the model is sure (by "sure" and "margin") that the input means intent (an
 * intents/ name, e.g. "unsure" for "honestly idk why im here"), 0 otherwise or without
 * understanding. Says nothing. */
int route_means(turn *t, const char *intent);

/* The same for a message already known to be a question, by the lower bar an aside asked
 * as a question has ("sure_aside_question"): "what else is there?" asks for help. */
int route_asks_for(turn *t, const char *intent);

/* Menu frames ({"menu": [intent, ...]}) wait on top of an otherwise empty stack. */
int route_is_menu(const json_t *frame);
/* 1 when frame is a menu this set can still offer. */
int route_menu_ok(const sb_dialogs *d, const json_t *frame);

/* The answer to menu (a frame the engine popped; borrowed): 1 with *r when the answer picked
 * one of its intents or "just talk" (a sure "yes" picks the one intent of a menu of one), 0
 * when it picked none (then it is read as idle input). */
int route_menu_answer(turn *t, const json_t *menu, route *r);

#endif
