/* repair.c — a stored state made to fit the set of dialogs loaded now (repair.h). */
#include "repair.h"

#include "exercise.h"
#include "person.h"
#include "route.h"
#include "safety.h"
#include "sb.h"
#include "sb_json.h"

#include <string.h>

/* Frames are stored only in states that wait: for an answer, or (below the top) on the
 * dialog they called. */
static int dialog_frame_ok(const sb_dialogs *d, const json_t *frame, int top)
{
    const json_t *dialog = dialogs_dialog(d, sb_json_str(frame, "dialog"));
    const char *name = sb_json_str(frame, "state");
    const json_t *st = name ? json_object_get(json_object_get(dialog, "states"), name) : NULL;
    const char *expect = sb_json_str(st, "expect");
    int answers = expect && strcmp(expect, "none") != 0;
    if (!st || !(answers || (!top && json_object_get(st, "call"))))
        return 0;
    const json_t *vars = json_object_get(frame, "vars");
    if (vars && !json_is_object(vars))
        return 0;
    const char *phase = sb_json_str(frame, "reflect");
    const json_t *pending = json_object_get(frame, "pending");
    if (json_object_get(frame, "reflect"))
        return phase && (strcmp(phase, "check") == 0 || strcmp(phase, "correct") == 0) &&
               expect && strcmp(expect, "text") == 0 && (!pending || json_is_string(pending)) &&
               (pending || json_is_string(json_object_get(frame, "reflection")));
    return 1;
}

/* The "safety" memory: fields of the wrong type go, and all of it once it is old. */
static void repair_safety(turn *t)
{
    json_t *safety = person_get(t->state, PERSON_SAFETY);
    if (!safety)
        return;
    const json_t *at = json_object_get(safety, "at");
    const json_t *asked = json_object_get(safety, "asked");
    int64_t newest = json_is_integer(at) ? (int64_t)json_integer_value(at) : 0;
    if (json_is_integer(asked) && json_integer_value(asked) > newest)
        newest = (int64_t)json_integer_value(asked);
    if (!json_is_object(safety) || t->in->now - newest > SAFETY_FOLLOWUP_WINDOW) {
        person_drop(t->state, PERSON_SAFETY);
        return;
    }
    if (at && !json_is_integer(at))
        json_object_del(safety, "at");
    if (asked && !json_is_integer(asked))
        json_object_del(safety, "asked");
    if (json_object_get(safety, "cat") && !json_is_string(json_object_get(safety, "cat")))
        json_object_del(safety, "cat");
    if (!json_is_true(json_object_get(safety, "due")))
        json_object_del(safety, "due");
    if (!json_is_true(json_object_get(safety, "checked")))
        json_object_del(safety, "checked");
}

int repair_state(turn *t)
{
    json_t *s = t->state;
    turn_fail(t, person_repair(s));
    const json_t *followup = person_get(s, PERSON_FOLLOWUP);
    const json_t *fdialog = dialogs_dialog(t->d, sb_json_str(followup, "dialog"));
    const json_t *fstate = json_object_get(json_object_get(fdialog, "states"), sb_json_str(followup, "state"));
    const char *fexpect = sb_json_str(fstate, "expect");
    int dialog_ok = fexpect && strcmp(fexpect, "text") == 0 &&
                    (!json_object_get(followup, "vars") || json_is_object(json_object_get(followup, "vars")));
    if (followup && (!json_is_integer(json_object_get(followup, "at")) ||
                     !(exercise_find(t->d, sb_json_str(followup, "exercise")) || dialog_ok)))
        person_drop(s, PERSON_FOLLOWUP);
    repair_safety(t);

    const json_t *stack = person_stack(s);
    int ok = json_is_array(stack) && json_array_size(stack) <= TURN_STACK_MAX;
    size_t i;
    json_t *frame;
    json_array_foreach(stack, i, frame) {
        if (!ok)
            break;
        int top = i + 1 == json_array_size(stack);
        if (json_is_object(frame) && route_is_menu(frame)) /* a menu waits alone */
            ok = json_array_size(stack) == 1 && route_menu_ok(t->d, frame);
        else
            ok = json_is_object(frame) && (json_object_get(frame, "dialog")
                                               ? dialog_frame_ok(t->d, frame, top)
                                               : exercise_frame_ok(t->d, frame));
    }
    if (ok)
        return 0;
    turn_fail(t, person_stack_reset(s, NULL));
    return stack != NULL;
}
