/* fuzz_schedule_parse.c — libFuzzer target for what people type after !nudge and !pause:
 * schedule_parse_time ("9", "7pm", "21.30", "7:30 am") and schedule_parse_pause ("3d",
 * "2 weeks", "until 2026-12-01", "until 2026-12-01T10:00:00Z"), each on the whole input
 * as text, in UTC, Berlin and New York (and with no zone yet), at a few "now"s around the
 * 2026 changes. What they accept must be in range and mean what it says. */
#include "clock.h"
#include "sb.h"
#include "schedule.h"
#include "tz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tz_zone *zones[4]; /* the last stays NULL: no zone set yet */

/* 2026-01-01, the evening before Berlin's spring change, New York's fall-back night. */
static const int64_t nows[] = {1767225600LL, 1774720800LL, 1793505600LL};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char *const names[] = {"UTC", "Europe/Berlin", "America/New_York"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (tz_get(names[i], &zones[i]) != SB_OK) {
            fprintf(stderr, "fuzz_schedule_parse: no zone %s in the system's zoneinfo\n",
                    names[i]);
            abort();
        }
    return 0;
}

static void check_time(const char *text)
{
    int minute = -7;
    int rc = schedule_parse_time(text, &minute);
    if (rc != SB_OK) {
        if (rc != SB_EINVAL || minute != -7) /* a refusal leaves *minute alone */
            abort();
        return;
    }
    if (minute < 0 || minute >= 1440)
        abort();
    /* The 24-hour spelling of what was understood reads back the same. */
    char again[8];
    int back = -1;
    snprintf(again, sizeof again, "%02d:%02d", minute / 60, minute % 60);
    if (schedule_parse_time(again, &back) != SB_OK || back != minute)
        abort();
}

static void check_pause(const char *text)
{
    const int64_t max = (int64_t)SCHEDULE_MAX_PAUSE_DAYS * 86400;
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++)
        for (size_t i = 0; i < sizeof nows / sizeof nows[0]; i++) {
            int64_t until = -7;
            int rc = schedule_parse_pause(text, zones[z], nows[i], &until);
            if (rc != SB_OK) {
                if (rc != SB_EINVAL || until != -7)
                    abort();
                continue;
            }
            if (until <= nows[i] || until - nows[i] > max)
                abort();
            /* The nudge schedule resumes after a pause it can represent. */
            if (zones[z]) {
                schedule_settings s = {.enabled = 1, .minute = 540, .zone = zones[z],
                                       .paused_until = until};
                int64_t next = 0;
                if (schedule_next(&s, nows[i], &next) != SB_OK || next < until)
                    abort();
            }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256) /* the commands cut their argument far below this */
        return 0;
    char text[257];
    memcpy(text, data, size);
    text[size] = '\0';
    check_time(text);
    check_pause(text);
    return 0;
}
