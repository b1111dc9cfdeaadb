/* engine_fixture.h — shared by the engine tests: the fixture set, transcripts of
 * exchanges (what the person says, substrings the coach's replies must contain in order,
 * "~x" for text that must not appear, the exact effects), and running them with the state
 * passed through JSON text between steps, as the store keeps it. */
#ifndef ENGINE_FIXTURE_H
#define ENGINE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "sb.h"

#define FIXTURE "tests/dialogs-fixture"
#define T0 1767225600 /* 2026-01-01 00:00 UTC */

static sb_dialogs *dialogs; /* loaded by setup_dialogs */

typedef struct exchange {
    const char *in;     /* what the person says; "@exercise:ID" / "@start:ID" call those */
    const char *out[5]; /* substrings of the joined replies, in order; "~x": x must not appear */
    const char *fx;     /* the effects, as fx_string writes them; NULL for none */
    long wait;          /* seconds since the previous input; 0 means 60 */
    int group;          /* said in a group room */
} exchange;

/* "S(consent=yes) R(trust:4) J(prompt=text) G(id) D(id) A(journal=arg) C X(id)" */
static inline void fx_string(const sb_step *s, char *buf, size_t cap)
{
    static const char letters[] = {'J', 'R', 'S', 'G', 'D', 'A', 'C', 'K', 'X', 'Y'};
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->neffects && len < cap; i++) {
        const sb_effect *e = &s->effects[i];
        int n;
        if (e->kind == SB_FX_CRISIS)
            n = snprintf(buf + len, cap - len, "%sC", len ? " " : "");
        else if (e->kind == SB_FX_RATING)
            n = snprintf(buf + len, cap - len, "%sR(%s:%ld)", len ? " " : "", e->key, e->number);
        else
            n = snprintf(buf + len, cap - len, "%s%c(%s%s%s)", len ? " " : "",
                         letters[e->kind], e->key ? e->key : "", e->value ? "=" : "",
                         e->value ? e->value : "");
        len += n > 0 ? (size_t)n : 0;
    }
}

/* Runs one input on *state (JSON text in and out, as the store keeps it). */
static inline void step_one(const exchange *x, char **state, int64_t now, sb_step *out)
{
    json_t *st = json_loads(*state, 0, NULL);
    assert_non_null(st);
    sb_input in = {x->in, now, x->group, "Ann"};
    int rc;
    if (strncmp(x->in, "@exercise:", 10) == 0)
        rc = engine_start_exercise(dialogs, st, x->in + 10, &in, out);
    else if (strncmp(x->in, "@start:", 7) == 0)
        rc = engine_start(dialogs, st, x->in + 7, &in, out);
    else
        rc = engine_step(dialogs, st, &in, out);
    json_decref(st);
    assert_int_equal(rc, SB_OK);
    assert_non_null(out->state);
    free(*state);
    *state = json_dumps(out->state, JSON_COMPACT);
    assert_non_null(*state);
}

static inline char *fresh_state(void)
{
    json_t *st = engine_new_state();
    char *text = json_dumps(st, JSON_COMPACT);
    json_decref(st);
    return text;
}

/* Runs a transcript on *state; *now moves on by each exchange's wait. */
static inline void run(const exchange *xs, char **state, int64_t *now)
{
    for (const exchange *x = xs; x->in; x++) {
        *now += x->wait ? x->wait : 60;
        sb_step s;
        step_one(x, state, *now, &s);
        sb_buf joined = {0};
        sb_buf_puts(&joined, "");
        for (size_t i = 0; i < s.nreplies; i++)
            sb_buf_printf(&joined, "%s%s", i ? "\n|\n" : "", s.replies[i]);
        char fx[4096];
        fx_string(&s, fx, sizeof fx);
        for (char *c = joined.data; *c; c++)
            if (*c == '\n')
                *c = '~';
        print_message("# > %s\n#   %s\n#   [%s]\n", x->in, joined.data, fx);
        for (char *c = joined.data; *c; c++)
            if (*c == '~')
                *c = '\n';
        int has_action = strstr(fx, "A(") != NULL;
        assert_true(s.nreplies > 0 || has_action); /* never silence */
        const char *at = joined.data;
        for (size_t k = 0; k < 5 && x->out[k]; k++) {
            if (x->out[k][0] == '~') {
                if (strstr(joined.data, x->out[k] + 1))
                    fail_msg("after \"%s\": \"%s\" must not appear", x->in, x->out[k] + 1);
                continue;
            }
            const char *found = strstr(at, x->out[k]);
            if (!found)
                fail_msg("after \"%s\": expected \"%s\" in order", x->in, x->out[k]);
            at = found + strlen(x->out[k]);
        }
        assert_string_equal(fx, x->fx ? x->fx : "");
        sb_buf_free(&joined);
        engine_step_free(&s);
    }
}

static inline void transcript(void **state)
{
    const exchange *xs = *state;
    char *st = fresh_state();
    int64_t now = T0;
    run(xs, &st, &now);
    free(st);
}

#define CONSENT {"hi", {"WELCOME Ann"}, NULL, 0, 0}, {"yes", {"CONSENT_YES"}, "S(consent=yes)", 0, 0}
#define DECLINE {"hi", {"WELCOME Ann"}, NULL, 0, 0}, {"no", {"CONSENT_NO"}, "S(consent=no)", 0, 0}
#define END {NULL, {NULL}, NULL, 0, 0}
#define SITUATION_TEXT "When I was tired my partner asked me how I felt and I went quiet."
#define TO_SITUATIONS {"pattern", {"INTRO", "1. Yes, let's start\n2. Not now"}, NULL, 0, 0}, \
                      {"sure", {"SITUATIONS"}, NULL, 0, 0}

static inline int setup_dialogs(void **unused)
{
    (void)unused;
    return dialogs_load(FIXTURE, &dialogs, NULL, NULL) == SB_OK ? 0 : -1;
}

static inline int teardown_dialogs(void **unused)
{
    (void)unused;
    dialogs_free(dialogs);
    dialogs = NULL;
    return 0;
}

/* A transcript with the name cmocka shows for it. */
typedef struct named {
    const char *name;
    const exchange *xs;
} named;

/* Runs the n transcripts of list, then the nextra tests of extra, as the cmocka group
 * name over the fixture set; returns what cmocka returns. */
static inline int run_transcripts(const char *name, const named *list, size_t n,
                                  const struct CMUnitTest *extra, size_t nextra)
{
    struct CMUnitTest *tests = calloc(n + nextra, sizeof *tests);
    if (!tests)
        return 1;
    for (size_t i = 0; i < n; i++)
        tests[i] = (struct CMUnitTest){.name = list[i].name, .test_func = transcript,
                                       .initial_state = (void *)list[i].xs};
    for (size_t i = 0; i < nextra; i++)
        tests[n + i] = extra[i];
    int rc = _cmocka_run_group_tests(name, tests, n + nextra, setup_dialogs, teardown_dialogs);
    free(tests);
    return rc;
}

#endif
