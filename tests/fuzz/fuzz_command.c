/* fuzz_command.c — libFuzzer target for the command parser and the engine's handling of
 * person-written text. The fixture set (tests/dialogs-fixture, or $SB_DIALOGS) is loaded
 * once; each input is matched as a command in every mode, searched for a zone name,
 * checked for a crisis, reflected,
 * and stepped through the engine from states that wait for each kind of answer. Every step
 * must succeed, answer (or hand an action on), and leave a state that serializes. */
#include "dialog.h"
#include "engine.h"
#include "match.h"
#include "sb.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sb_dialogs *dialogs;
static json_t *states[16];
static json_t *zone_cmd; /* a command that takes a zone from its sentence */
static size_t nstates;

static const char *const state_texts[] = {
    "{\"v\":1,\"met\":false,\"stack\":[]}",
    "{\"v\":1,\"met\":true,\"consent\":\"yes\",\"last\":1767200000,\"followup\":{\"exercise\":\"notice-urge\",\"at\":1767200000},\"stack\":[]}",
    "{\"v\":1,\"met\":true,\"consent\":\"yes\",\"stack\":[{\"dialog\":\"naming-the-pattern\",\"state\":\"intro\",\"vars\":{}}]}",
    "{\"v\":1,\"met\":true,\"consent\":\"yes\",\"stack\":[{\"dialog\":\"naming-the-pattern\",\"state\":\"situations\",\"vars\":{}}]}",
    "{\"v\":1,\"met\":true,\"consent\":\"yes\",\"stack\":[{\"dialog\":\"naming-the-pattern\",\"state\":\"situations\",\"vars\":{\"reflection\":\"It sounds like x.\"},\"reflect\":\"check\",\"pending\":\"x\"}]}",
    "{\"v\":1,\"met\":true,\"consent\":\"no\",\"stack\":[{\"dialog\":\"naming-the-pattern\",\"state\":\"rate\",\"vars\":{}}]}",
    "{\"v\":1,\"met\":true,\"stack\":[{\"dialog\":\"checkin\",\"state\":\"pause\",\"vars\":{}},{\"dialog\":\"breath\",\"state\":\"out\",\"called\":true}]}",
    "{\"v\":1,\"met\":true,\"stack\":[{\"exercise\":\"notice-urge\",\"step\":1}]}",
    "{\"v\":1,\"met\":true,\"consent\":\"no\",\"stack\":[{\"dialog\":\"private-note\",\"state\":\"ask\",\"reflect\":\"check\",\"reflection\":\"It sounds like x.\"}]}",
    "{\"v\":1,\"met\":true,\"stack\":[{\"dialog\":\"learn-more\",\"state\":\"answer\",\"misses\":2}]}",
    "{\"v\":1,\"met\":true,\"stack\":[{\"exercise\":\"notice-urge\",\"step\":2,\"how\":true,\"asked\":true}]}",
    "{\"v\":1,\"met\":false,\"hello\":true,\"last\":1767225000,\"stack\":[]}",
    "{\"v\":1,\"met\":true,\"consent\":\"yes\",\"stack\":[{\"dialog\":\"naming-the-pattern\",\"state\":\"situations\",\"nudged\":true}]}",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("SB_DIALOGS") ? getenv("SB_DIALOGS") : "tests/dialogs-fixture";
    if (dialogs_load(dir, &dialogs, NULL, NULL) != SB_OK) {
        fprintf(stderr, "fuzz_command: cannot load %s (run from the repository root)\n", dir);
        abort();
    }
    zone_cmd = json_pack("{s:s, s:s, s:b}", "name", "timezone", "argument", "text",
                         "argument_zone", 1);
    for (size_t i = 0; i < sizeof state_texts / sizeof state_texts[0]; i++) {
        states[nstates] = json_loads(state_texts[i], 0, NULL);
        if (!states[nstates])
            abort();
        nstates++;
    }
    return 0;
}

static void check_step(const json_t *state, const char *text, int group)
{
    sb_input in = {text, 1767225600, group, "fuzz"};
    sb_step s;
    if (engine_step(dialogs, state, &in, &s) != SB_OK)
        abort();
    int action = 0;
    for (size_t k = 0; k < s.neffects; k++)
        action |= s.effects[k].kind == SB_FX_ACTION;
    if (s.nreplies == 0 && !action)
        abort();
    for (size_t k = 0; k < s.nreplies; k++)
        if (!s.replies[k] || !*s.replies[k])
            abort();
    char *dump = json_dumps(s.state, JSON_COMPACT);
    if (!dump)
        abort();
    free(dump);
    engine_step_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    for (int mode = 0; mode < 4; mode++) {
        const char *name = NULL;
        char *arg = NULL;
        if (engine_match_command(dialogs, text, mode & 1, mode >> 1, &name, &arg)) {
            if (!name)
                abort();
            if (arg && (!*arg || arg[0] == ' ' || arg[strlen(arg) - 1] == ' '))
                abort(); /* arguments come trimmed, never empty */
        }
        free(arg);
    }
    /* a zone inside a sentence: found or not, what comes out is one zone-shaped word */
    char zone[64];
    if (zone_cmd && match_zone(zone_cmd, text, zone, sizeof zone) &&
        (!*zone || !match_zone_shaped(zone, strlen(zone)) || !strstr(text, zone)))
        abort();
    (void)engine_is_crisis(dialogs, text);
    char *r = engine_reflect(dialogs, text);
    if (!r)
        abort();
    free(r);
    for (size_t i = 0; i < nstates; i++)
        check_step(states[i], text, 0);
    check_step(states[2], text, 1);
    free(text);
    return 0;
}
