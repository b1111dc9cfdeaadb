/* test_schedule.c — the nudge timetable as tables: next instants across the 2026
 * transitions of Berlin and New York (gaps, repeated times), Lord Howe's 30-minute shift,
 * weekdays, pauses, back-off and zone changes; the send/skip verdicts (downtime, quiet
 * hours, a recent message); and a year of simulated days per zone and time, all on
 * injected instants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "sb.h"
#include "schedule.h"
#include "tz.h"

static int64_t iso(const char *s)
{
    int64_t t = 0;
    if (!s)
        return 0;
    assert_int_equal(clock_parse_iso(s, &t), SB_OK);
    return t;
}

static schedule_settings settings(const char *zone, int hh, int mm, int weekdays,
                                  const char *last, int unanswered, const char *paused_until)
{
    schedule_settings s = {.enabled = 1, .minute = hh * 60 + mm, .weekdays = weekdays,
                           .paused_until = iso(paused_until), .unanswered = unanswered,
                           .last = iso(last)};
    assert_int_equal(tz_get(zone, &s.zone), SB_OK);
    return s;
}

typedef struct next_case {
    const char *what, *zone;
    int hh, mm, weekdays;
    const char *last;
    int unanswered;
    const char *paused_until, *now, *want;
} next_case;

static const next_case next_cases[] = {
    {"issue: Saturday before the change", "Europe/Berlin", 9, 0, 0, NULL, 0, NULL,
     "2026-03-27T12:00:00Z", "2026-03-28T08:00:00Z"},
    {"issue: the day of the change", "Europe/Berlin", 9, 0, 0, "2026-03-28T08:00:00Z", 0, NULL,
     "2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z"},
    {"due in one minute", "Europe/Berlin", 9, 0, 0, NULL, 0, NULL, "2026-03-28T07:59:00Z",
     "2026-03-28T08:00:00Z"},
    {"gap 02:30 -> 03:00", "Europe/Berlin", 2, 30, 0, NULL, 0, NULL, "2026-03-28T12:00:00Z",
     "2026-03-29T01:00:00Z"},
    {"after the gap", "Europe/Berlin", 2, 30, 0, "2026-03-29T01:00:00Z", 0, NULL,
     "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"},
    {"repeated 02:30: first", "Europe/Berlin", 2, 30, 0, NULL, 0, NULL, "2026-10-24T12:00:00Z",
     "2026-10-25T00:30:00Z"},
    {"repeated 02:30: once", "Europe/Berlin", 2, 30, 0, "2026-10-25T00:30:00Z", 0, NULL,
     "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"},
    {"repeated 02:30 after the first passed", "Europe/Berlin", 2, 30, 0, NULL, 0, NULL,
     "2026-10-25T00:45:00Z", "2026-10-26T01:30:00Z"},
    {"Berlin autumn 09:00", "Europe/Berlin", 9, 0, 0, "2026-10-24T07:00:00Z", 0, NULL,
     "2026-10-24T07:00:00Z", "2026-10-25T08:00:00Z"},
    {"New York gap", "America/New_York", 2, 30, 0, NULL, 0, NULL, "2026-03-07T12:00:00Z",
     "2026-03-08T07:00:00Z"},
    {"New York spring 09:00", "America/New_York", 9, 0, 0, "2026-03-07T14:00:00Z", 0, NULL,
     "2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z"},
    {"New York repeated 01:30: first", "America/New_York", 1, 30, 0, NULL, 0, NULL,
     "2026-10-31T12:00:00Z", "2026-11-01T05:30:00Z"},
    {"New York repeated 01:30: once", "America/New_York", 1, 30, 0, "2026-11-01T05:30:00Z", 0,
     NULL, "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"},
    {"Lord Howe 30-minute gap", "Australia/Lord_Howe", 2, 15, 0, NULL, 0, NULL,
     "2026-10-03T00:00:00Z", "2026-10-03T15:30:00Z"},
    {"Lord Howe repeated 01:45", "Australia/Lord_Howe", 1, 45, 0, "2026-04-04T14:45:00Z", 0,
     NULL, "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"},
    {"Kolkata", "Asia/Kolkata", 9, 0, 0, NULL, 0, NULL, "2026-03-29T00:00:00Z",
     "2026-03-29T03:30:00Z"},
    {"UTC midnight", "UTC", 0, 0, 0, NULL, 0, NULL, "2026-12-31T23:59:00Z",
     "2027-01-01T00:00:00Z"},
    {"weekdays: Friday passed -> Monday", "Europe/Berlin", 9, 0, 1, NULL, 0, NULL,
     "2026-03-27T09:00:00Z", "2026-03-30T07:00:00Z"},
    {"weekdays, every 2 days from Friday", "Europe/Berlin", 9, 0, 1, "2026-04-03T07:00:00Z", 3,
     NULL, "2026-04-03T07:00:00Z", "2026-04-06T07:00:00Z"},
    {"pause until a date", "Europe/Berlin", 9, 0, 0, NULL, 0, "2026-04-02T00:00:00Z",
     "2026-03-28T00:00:00Z", "2026-04-02T07:00:00Z"},
    {"pause past the day's time", "Europe/Berlin", 9, 0, 0, NULL, 0, "2026-04-02T10:00:00Z",
     "2026-03-28T00:00:00Z", "2026-04-03T07:00:00Z"},
    {"expired pause", "Europe/Berlin", 9, 0, 0, NULL, 0, "2026-03-01T00:00:00Z",
     "2026-03-28T00:00:00Z", "2026-03-28T08:00:00Z"},
    {"2 unanswered: daily", "Europe/Berlin", 9, 0, 0, "2026-04-01T07:00:00Z", 2, NULL,
     "2026-04-01T07:00:00Z", "2026-04-02T07:00:00Z"},
    {"3 unanswered: every 2 days", "Europe/Berlin", 9, 0, 0, "2026-04-01T07:00:00Z", 3, NULL,
     "2026-04-01T07:00:00Z", "2026-04-03T07:00:00Z"},
    {"5 unanswered: every 2 days", "Europe/Berlin", 9, 0, 0, "2026-04-01T07:00:00Z", 5, NULL,
     "2026-04-01T07:00:00Z", "2026-04-03T07:00:00Z"},
    {"6 unanswered: weekly", "Europe/Berlin", 9, 0, 0, "2026-04-01T07:00:00Z", 6, NULL,
     "2026-04-01T07:00:00Z", "2026-04-08T07:00:00Z"},
    {"back to daily after a reply", "Europe/Berlin", 9, 0, 0, "2026-04-01T07:00:00Z", 0, NULL,
     "2026-04-01T15:00:00Z", "2026-04-02T07:00:00Z"},
    {"zone change to New York", "America/New_York", 9, 0, 0, NULL, 0, NULL,
     "2026-03-27T12:00:00Z", "2026-03-27T13:00:00Z"},
    {"zone change: not twice that local day", "America/New_York", 9, 0, 0,
     "2026-03-27T08:00:00Z", 0, NULL, "2026-03-27T12:00:00Z", "2026-03-28T13:00:00Z"},
    {"downtime skip: next day", "Europe/Berlin", 9, 0, 0, "2026-03-28T08:00:00Z", 0, NULL,
     "2026-03-28T11:00:00Z", "2026-03-29T07:00:00Z"},
};

static void test_next_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof next_cases / sizeof next_cases[0]; i++) {
        const next_case *c = &next_cases[i];
        schedule_settings s = settings(c->zone, c->hh, c->mm, c->weekdays, c->last,
                                       c->unanswered, c->paused_until);
        int64_t next = 0;
        int rc = schedule_next(&s, iso(c->now), &next);
        char got[32] = "-";
        if (rc == SB_OK)
            clock_format_iso(next, got, sizeof got);
        if (rc != SB_OK || strcmp(got, c->want) != 0)
            fail_msg("%s: got %s (rc %d), want %s", c->what, got, rc, c->want);
    }
}

static void test_next_nothing(void **state)
{
    (void)state;
    schedule_settings s = settings("Europe/Berlin", 9, 0, 0, NULL, 0, NULL);
    int64_t next = 0, now = iso("2026-03-28T00:00:00Z");
    s.enabled = 0;
    assert_int_equal(schedule_next(&s, now, &next), SB_ENOTFOUND);
    s.enabled = 1;
    s.zone = NULL;
    assert_int_equal(schedule_next(&s, now, &next), SB_ENOTFOUND);
    s = settings("Europe/Berlin", 9, 0, 0, NULL, 0, NULL);
    s.minute = 1440;
    assert_int_equal(schedule_next(&s, now, &next), SB_ENOTFOUND);
}

typedef struct decide_case {
    const char *what;
    int hh, mm;
    int64_t late;     /* now - due, seconds */
    int64_t seen_ago; /* now - last_seen; -1: never wrote */
    int paused;       /* paused until an hour after now */
    int enabled;
    schedule_verdict want;
} decide_case;

static const decide_case decide_cases[] = {
    {"on time", 9, 0, 0, -1, 0, 1, SCHEDULE_SEND},
    {"late 1h59m59s: sent late", 9, 0, 7199, -1, 0, 1, SCHEDULE_SEND},
    {"late 2h: skipped", 9, 0, 7200, -1, 0, 1, SCHEDULE_SKIP_LATE},
    {"late a day", 9, 0, 86400, -1, 0, 1, SCHEDULE_SKIP_LATE},
    {"wrote 10 minutes ago", 9, 0, 0, 600, 0, 1, SCHEDULE_SKIP_RECENT},
    {"wrote 29 minutes ago", 9, 0, 0, 1799, 0, 1, SCHEDULE_SKIP_RECENT},
    {"wrote 30 minutes ago", 9, 0, 0, 1800, 0, 1, SCHEDULE_SEND},
    {"21:30, late into 22:10", 21, 30, 2400, -1, 0, 1, SCHEDULE_SKIP_QUIET},
    {"21:30, late to 21:50", 21, 30, 1200, -1, 0, 1, SCHEDULE_SEND},
    {"06:30 chosen (quiet): sent", 6, 30, 0, -1, 0, 1, SCHEDULE_SEND},
    {"23:00 chosen, late to 23:30", 23, 0, 1800, -1, 0, 1, SCHEDULE_SEND},
    {"paused", 9, 0, 0, -1, 1, 1, SCHEDULE_SKIP_PAUSED},
    {"off", 9, 0, 0, -1, 0, 0, SCHEDULE_SKIP_OFF},
};

static void test_decide_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof decide_cases / sizeof decide_cases[0]; i++) {
        const decide_case *c = &decide_cases[i];
        schedule_settings s = settings("Europe/Berlin", c->hh, c->mm, 0, NULL, 0, NULL);
        s.enabled = c->enabled;
        const tz_zone *z = s.zone;
        int64_t due;
        assert_int_equal(tz_from_local(z, 2026, 6, 10, c->hh, c->mm, &due, NULL), SB_OK);
        int64_t now = due + c->late;
        if (c->paused)
            s.paused_until = now + 3600;
        schedule_verdict v = schedule_decide(&s, due, now, c->seen_ago < 0 ? 0 : now - c->seen_ago);
        if (v != c->want)
            fail_msg("%s: got verdict %d, want %d", c->what, (int)v, (int)c->want);
    }
    schedule_settings s = settings("Europe/Berlin", 9, 0, 0, NULL, 0, NULL);
    s.zone = NULL;
    assert_int_equal(schedule_decide(&s, 100, 100, 0), SCHEDULE_SKIP_OFF);
}

static void test_consume_and_backoff(void **state)
{
    (void)state;
    schedule_settings s = settings("Europe/Berlin", 9, 0, 0, NULL, 0, NULL);
    static const int announce[9] = {0, 0, 2, 0, 0, 7, 0, 0, 0};
    static const int interval[9] = {1, 1, 2, 2, 2, 7, 7, 7, 7};
    for (int i = 0; i < 9; i++) {
        assert_int_equal(schedule_consume(&s, 1000 + i, 1), announce[i]);
        assert_int_equal(s.unanswered, i + 1);
        assert_int_equal(s.last, 1000 + i);
        assert_int_equal(schedule_interval_days(s.unanswered), interval[i]);
    }
    assert_int_equal(schedule_consume(&s, 5000, 0), 0); /* a skip is not unanswered */
    assert_int_equal(s.unanswered, 9);
    assert_int_equal(s.last, 5000);
    assert_true(schedule_is_quiet(22 * 60));
    assert_true(schedule_is_quiet(6 * 60 + 59));
    assert_false(schedule_is_quiet(7 * 60));
    assert_false(schedule_is_quiet(21 * 60 + 59));
}

/* Every day of 2026 from a person's first setting: exactly one nudge per local day, each
 * at the chosen local time (or at the end of a gap that swallowed it), instants rising. */
static void test_year_of_days(void **state)
{
    (void)state;
    static const char *zones[] = {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                                  "Asia/Kolkata", "UTC"};
    static const int times[][2] = {{9, 0}, {2, 30}, {1, 30}, {2, 15}, {23, 59}, {0, 0}};
    for (size_t zi = 0; zi < sizeof zones / sizeof zones[0]; zi++) {
        for (size_t ti = 0; ti < sizeof times / sizeof times[0]; ti++) {
            schedule_settings s = settings(zones[zi], times[ti][0], times[ti][1], 0, NULL, 0, NULL);
            int64_t now = iso("2026-01-01T00:00:00Z"), end = iso("2027-01-01T00:00:00Z");
            int64_t due = 0, prev_day = 0, count = 0, gaps = 0;
            while (schedule_next(&s, now, &due) == SB_OK && due < end) {
                tz_local l;
                tz_to_local(s.zone, due, &l);
                int64_t day = tz_days_from_civil(l.year, l.month, l.day);
                int minute = l.hour * 60 + l.minute;
                if (prev_day && day != prev_day + 1)
                    fail_msg("%s %02d:%02d: %lld days apart", zones[zi], times[ti][0],
                             times[ti][1], (long long)(day - prev_day));
                if (minute != s.minute) {
                    int64_t exact; /* only a gap may move it, and only to its end */
                    int gap = 0;
                    assert_int_equal(tz_from_local(s.zone, l.year, l.month, l.day, s.minute / 60,
                                                   s.minute % 60, &exact, &gap), SB_OK);
                    assert_int_equal(gap, 1);
                    assert_int_equal(exact, due);
                    assert_true(minute > s.minute);
                    gaps++;
                }
                schedule_consume(&s, due, 1);
                s.unanswered = 0; /* the person always answers here */
                prev_day = day;
                now = due;
                count++;
            }
            int64_t days = schedule_local_day(s.zone, end - 1) - schedule_local_day(s.zone, iso("2026-01-01T00:00:00Z"));
            assert_true(count == days || count == days + 1);
            /* the gap times hit exactly once a year where there is a gap at that hour */
            if (times[ti][0] == 2 && times[ti][1] == 30 && strcmp(zones[zi], "Europe/Berlin") == 0)
                assert_int_equal(gaps, 1);
        }
    }
}

typedef struct time_case {
    const char *text;
    int minute; /* -1: rejected */
} time_case;

static void test_parse_time(void **state)
{
    (void)state;
    static const time_case cases[] = {
        {"09:00", 540}, {"9:00", 540}, {"9", 540}, {"21.30", 1290}, {"00:00", 0},
        {"23:59", 1439}, {"7pm", 1140}, {"7:30 am", 450}, {"12am", 0}, {"12pm", 720},
        {"12:15 PM", 735}, {"24:00", -1}, {"9:60", -1}, {"9:5", -1}, {"13pm", -1},
        {"0am", -1}, {"", -1}, {"noon", -1}, {"9:00x", -1}, {"123", -1}, {"-1", -1},
        {"09:000", -1}, {":30", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int minute = -7;
        int rc = schedule_parse_time(cases[i].text, &minute);
        int got = rc == SB_OK ? minute : -1;
        if (got != cases[i].minute || (rc != SB_OK && minute != -7))
            fail_msg("\"%s\": got %d (rc %d), want %d", cases[i].text, got, rc, cases[i].minute);
    }
    assert_int_equal(schedule_parse_time(NULL, &(int){0}), SB_EINVAL);
}

typedef struct pause_case {
    const char *text, *zone; /* zone NULL: none set */
    const char *want;        /* NULL: rejected */
} pause_case;

static void test_parse_pause(void **state)
{
    (void)state;
    static const pause_case cases[] = {
        {"3d", "Europe/Berlin", "2026-03-30T12:00:00Z"},
        {"3 days", NULL, "2026-03-30T12:00:00Z"},
        {"1 day", NULL, "2026-03-28T12:00:00Z"},
        {"2w", NULL, "2026-04-10T12:00:00Z"},
        {"12h", NULL, "2026-03-28T00:00:00Z"},
        {"5 HOURS", NULL, "2026-03-27T17:00:00Z"},
        {"until 2026-12-01", "Europe/Berlin", "2026-11-30T23:00:00Z"},
        {"until 2026-12-01", "America/New_York", "2026-12-01T05:00:00Z"},
        {"until 2026-12-01", NULL, "2026-12-01T00:00:00Z"},
        {"until   2026-04-01T10:00:00Z", "Europe/Berlin", "2026-04-01T10:00:00Z"},
        {"52w", NULL, "2027-03-26T12:00:00Z"},
        {"53w", NULL, NULL},
        {"367d", NULL, NULL},
        {"until 2026-03-01", NULL, NULL},
        {"until 2028-01-01", NULL, NULL},
        {"until tomorrow", NULL, NULL},
        {"0d", NULL, NULL},
        {"3", NULL, NULL},
        {"3 fortnights", NULL, NULL},
        {"d", NULL, NULL},
        {"forever", NULL, NULL},
        {"", NULL, NULL},
    };
    const int64_t now = iso("2026-03-27T12:00:00Z");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const tz_zone *z = NULL;
        if (cases[i].zone)
            assert_int_equal(tz_get(cases[i].zone, &z), SB_OK);
        int64_t until = 0;
        int rc = schedule_parse_pause(cases[i].text, z, now, &until);
        char got[32] = "rejected";
        if (rc == SB_OK)
            clock_format_iso(until, got, sizeof got);
        if (strcmp(got, cases[i].want ? cases[i].want : "rejected") != 0)
            fail_msg("\"%s\": got %s", cases[i].text, got);
    }
}

static int teardown(void **state)
{
    (void)state;
    tz_cache_clear();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_table),
        cmocka_unit_test(test_next_nothing),
        cmocka_unit_test(test_decide_table),
        cmocka_unit_test(test_consume_and_backoff),
        cmocka_unit_test(test_year_of_days),
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_parse_pause),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
