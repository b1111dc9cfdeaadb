/* fuzz_dialogs.c — libFuzzer target for the dialog loader: arbitrary bytes as one dialog
 * file through dialogs_load_buffer. Whatever loads must also run: a few inputs go through
 * the engine on the loaded set, and every step must answer or hand an action to the
 * router and leave a state that serializes. Any JSON object is also compiled as crisis
 * phrase lists (whether or not it validates) and matched against its own phrases. */
#include "crisis.h"
#include "dialog.h"
#include "engine.h"
#include "sb.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void ignore(void *ctx, const char *file, const char *state, const char *message)
{
    (void)ctx;
    if (!file || !state || !message || !*message)
        abort(); /* every problem names a file, a state (or "-") and what is wrong */
}

static void run_some_steps(const sb_dialogs *d)
{
    static const char *const inputs[] = {"hello", "1", "yes", "!help", "I want to die", "5", "next"};
    json_t *state = engine_new_state();
    for (size_t i = 0; state && i < sizeof inputs / sizeof inputs[0]; i++) {
        sb_input in = {inputs[i], 1767225600 + (int64_t)i * 60, 0, "fuzz"};
        sb_step s;
        if (engine_step(d, state, &in, &s) != SB_OK)
            abort();
        int action = 0;
        for (size_t k = 0; k < s.neffects; k++)
            action |= s.effects[k].kind == SB_FX_ACTION;
        /* never silence, where the set has words to say it with: a full set must have
         * commands.json "fallback"; a one-file set without it has no English in C to fall
         * back on (every word lives in dialogs/) */
        if (s.nreplies == 0 && !action &&
            json_object_get(dialogs_data(d, "commands"), "fallback"))
            abort();
        char *text = json_dumps(s.state, JSON_COMPACT);
        if (!text)
            abort();
        free(text);
        json_decref(state);
        state = json_incref(s.state);
        engine_step_free(&s);
    }
    json_decref(state);
    char *r = engine_reflect(d, "I am tired of my job");
    free(r);
}

static void compile_as_crisis(const uint8_t *data, size_t size)
{
    json_t *root = json_loadb((const char *)data, size, 0, NULL);
    crisis_matcher *m = NULL;
    if (json_is_object(root) && crisis_compile(root, &m) == SB_OK) {
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(root, "phrases"), i, p) {
            const char *s = json_string_value(p);
            if (s && crisis_match(m, s) < 0)
                abort();
        }
        if (crisis_match(m, "i want to die, this is killing me") < 0)
            abort();
        crisis_free(m);
    }
    json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    compile_as_crisis(data, size);
    sb_dialogs *d = NULL;
    int rc = dialogs_load_buffer("fuzz.json", (const char *)data, size, &d, ignore, NULL);
    if (rc == SB_OK) {
        if (!d)
            abort();
        run_some_steps(d);
        dialogs_free(d);
    } else if (d) {
        abort(); /* a failed load leaves nothing behind */
    }
    return 0;
}
