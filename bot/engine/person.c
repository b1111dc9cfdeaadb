/* person.c — the person's state (person.h), the one place its keys are written down. */
#include "person.h"

#include "sb.h"

#include <string.h>
#include <time.h>

#define PERSON_VERSION 1

static const char *const mark_key[] = {
    [PERSON_MET] = "met", [PERSON_HELLO] = "hello", [PERSON_MISSED] = "missed"};

/* Sets state.key to value (taken); SB_ENOMEM when value is NULL or the set fails. */
static int put(json_t *state, const char *key, json_t *value)
{
    return value && !json_object_set_new(state, key, value) ? SB_OK : SB_ENOMEM;
}

json_t *person_new(void)
{
    return json_pack("{s:i, s:b, s:i, s:[]}", "v", PERSON_VERSION, "met", 0, "turn", 0, "stack");
}

int person_repair(json_t *state)
{
    int rc = SB_OK;
    if (!json_is_integer(json_object_get(state, "v")))
        rc = put(state, "v", json_integer(PERSON_VERSION));
    if (rc == SB_OK && !json_is_boolean(json_object_get(state, "met")))
        rc = put(state, "met", json_false());
    if (json_object_get(state, "consent") && !person_consent(state))
        json_object_del(state, "consent");
    json_int_t count = json_integer_value(json_object_get(state, "turn"));
    if (rc == SB_OK)
        rc = put(state, "turn", json_integer(count >= 0 && count < INT32_MAX ? count + 1 : 1));
    if (json_object_get(state, "last") && !json_is_integer(json_object_get(state, "last")))
        json_object_del(state, "last");
    if (json_object_get(state, "picked") && !json_is_object(json_object_get(state, "picked")))
        json_object_del(state, "picked");
    return rc;
}

const char *person_consent(const json_t *state)
{
    const char *c = json_string_value(json_object_get(state, "consent"));
    return c && (strcmp(c, "yes") == 0 || strcmp(c, "no") == 0) ? c : NULL;
}

int person_consents(const json_t *state)
{
    const char *c = person_consent(state);
    return c && strcmp(c, "yes") == 0;
}

int person_set_consent(json_t *state, const char *value)
{
    if (!value || (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0))
        return SB_EINVAL;
    return put(state, "consent", json_string(value));
}

int person_is(const json_t *state, person_mark mark)
{
    return json_is_true(json_object_get(state, mark_key[mark]));
}

int person_set(json_t *state, person_mark mark, int on)
{
    if (on)
        return put(state, mark_key[mark], json_true());
    if (mark == PERSON_MET)
        return put(state, mark_key[mark], json_false());
    json_object_del(state, mark_key[mark]);
    return SB_OK;
}

int64_t person_turns(const json_t *state)
{
    return (int64_t)json_integer_value(json_object_get(state, "turn"));
}

int64_t person_last(const json_t *state)
{
    const json_t *last = json_object_get(state, "last");
    return json_is_integer(last) ? (int64_t)json_integer_value(last) : -1;
}

int person_set_last(json_t *state, int64_t now)
{
    return put(state, "last", json_integer((json_int_t)now));
}

json_t *person_picked(json_t *state)
{
    json_t *picked = json_object_get(state, "picked");
    if (json_is_object(picked))
        return picked;
    picked = json_object();
    return picked && put(state, "picked", picked) == SB_OK ? picked : NULL;
}

json_t *person_stack(const json_t *state)
{
    return json_object_get(state, "stack");
}

int person_stack_reset(json_t *state, json_t *stack)
{
    return put(state, "stack", stack ? stack : json_array());
}

json_t *person_top(const json_t *state)
{
    const json_t *stack = person_stack(state);
    size_t n = json_array_size(stack);
    return n ? json_array_get(stack, n - 1) : NULL;
}

static const char *const part_key[] = {[PERSON_FOLLOWUP] = "followup", [PERSON_SAFETY] = "safety"};

json_t *person_get(const json_t *state, person_part part)
{
    return json_object_get(state, part_key[part]);
}

int person_put(json_t *state, person_part part, json_t *value)
{
    return put(state, part_key[part], value);
}

void person_drop(json_t *state, person_part part)
{
    json_object_del(state, part_key[part]);
}

int64_t person_journal_next(const json_t *state)
{
    const json_t *next = json_object_get(state, "journal_next");
    return json_is_integer(next) && json_integer_value(next) > 0 &&
                   json_integer_value(next) <= INT32_MAX
               ? (int64_t)json_integer_value(next)
               : 0;
}

int person_set_journal_next(json_t *state, int64_t offset)
{
    if (offset <= 0) {
        json_object_del(state, "journal_next");
        return SB_OK;
    }
    return put(state, "journal_next", json_integer((json_int_t)offset));
}

void person_times_iso(json_t *state)
{
    json_t *holders[] = {state, person_get(state, PERSON_FOLLOWUP)};
    const char *keys[] = {"last", "at"};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(holders[i], keys[i]);
        if (!json_is_integer(v))
            continue;
        char iso[32];
        time_t t = (time_t)json_integer_value(v);
        struct tm tm;
        if (gmtime_r(&t, &tm) && strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm))
            json_object_set_new(holders[i], keys[i], json_string(iso));
    }
}
