/* test_nudge.c — the nudge settings commands and the due pass against a real store file,
 * on a fake clock moved by hand: a conversation table of settings commands (stored next
 * instant after each), a month of nudges for three people in three zones across both 2026
 * transitions with restarts and a crash before commit (each nudge counted, checked by
 * instant and person, and compared with the preview), downtime, quiet and back-off rules,
 * crisis pause, wording rotation and references to the current exercise and focus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "dialog.h"
#include "nudge.h"
#include "sb.h"
#include "store.h"
#include "tz.h"
#include "tzname.h"

static const char nudges_json[] =
    "{\"kind\":\"nudges\","
    "\"nudges\":[\"N0 hello\",\"N1 hello\",\"N2 hello\",\"N3 hello\",\"N4 hello\"],"
    "\"with_exercise\":[\"E0 {exercise}\",\"E1 {exercise}\",\"E2 {exercise}\",\"E3 {exercise}\"],"
    "\"with_focus\":[\"F0 {topic}\",\"F1 {topic}\",\"F2 {topic}\",\"F3 {topic}\"],"
    "\"backoff\":[\"B-two {days}\",\"B-week {days}\"]}";

typedef struct sent {
    int64_t id, when;
    char room[32];
    char text[256];
} sent;

typedef struct fixture {
    char path[64];
    store *s;
    sb_dialogs *d;     /* nudges_json alone: the daily nudges */
    sb_dialogs *words; /* dialogs/views.json alone: the settings answers */
    sent log[2048];
    size_t n;
    int64_t now; /* the fake clock */
} fixture;

static int64_t iso(const char *s)
{
    int64_t t = 0;
    assert_int_equal(clock_parse_iso(s, &t), SB_OK);
    return t;
}

static void sink(void *ctx, int64_t id, const char *adapter, const char *room, const char *text)
{
    fixture *f = ctx;
    assert_string_equal(adapter, "console");
    assert_true(f->n < sizeof f->log / sizeof f->log[0]);
    sent *e = &f->log[f->n++];
    e->id = id;
    e->when = f->now;
    snprintf(e->room, sizeof e->room, "%s", room);
    snprintf(e->text, sizeof e->text, "%s", text);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->path, sizeof f->path, "/tmp/test_nudge_%d.db", (int)getpid());
    unlink(f->path);
    assert_int_equal(store_open(f->path, &f->s), SB_OK);
    assert_int_equal(dialogs_load_buffer("nudges.json", nudges_json, sizeof nudges_json - 1,
                                         &f->d, NULL, NULL), SB_OK);
    /* The real views.json, loaded alone: the settings answers are the coach's own. */
    FILE *views = fopen("dialogs/views.json", "rb");
    assert_non_null(views);
    static char bytes[65536];
    size_t len = fread(bytes, 1, sizeof bytes, views);
    assert_true(len > 0 && len < sizeof bytes);
    fclose(views);
    assert_int_equal(dialogs_load_buffer("views.json", bytes, len, &f->words, NULL, NULL), SB_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_close(f->s);
    dialogs_free(f->d);
    dialogs_free(f->words);
    char p[96];
    unlink(f->path);
    snprintf(p, sizeof p, "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", f->path);
    unlink(p);
    free(f);
    tz_cache_clear();
    tzname_clear();
    return 0;
}

static void reopen(fixture *f)
{
    store_close(f->s);
    assert_int_equal(store_open(f->path, &f->s), SB_OK);
}

/* A person with a direct room "room-NAME" on the console adapter. */
static int64_t person(fixture *f, const char *name)
{
    int64_t id;
    char room[32];
    snprintf(room, sizeof room, "room-%s", name);
    assert_int_equal(store_begin(f->s), SB_OK);
    assert_int_equal(store_person_get(f->s, "console", name, f->now, &id), SB_OK);
    assert_int_equal(store_room_set(f->s, "console", room, 1, id), SB_OK);
    assert_int_equal(store_commit(f->s), SB_OK);
    return id;
}

/* Runs a command in its own transaction; returns the reply (static buffer). */
static const char *command(fixture *f, int64_t who, const char *action, const char *arg)
{
    static char out[1024];
    sb_buf reply = {0};
    assert_int_equal(store_begin(f->s), SB_OK);
    assert_int_equal(nudge_action(f->s, f->words, who, action, arg, f->now, &reply), SB_OK);
    assert_int_equal(store_commit(f->s), SB_OK);
    snprintf(out, sizeof out, "%s", reply.data ? reply.data : "");
    sb_buf_free(&reply);
    return out;
}

static int64_t due_of(fixture *f, int64_t who)
{
    int64_t due = -1;
    assert_int_equal(store_nudge_get(f->s, who, &due), SB_OK);
    return due;
}

/* What the core does when it wakes at f->now: passes of 2 people per transaction. */
static void tick(fixture *f)
{
    int more;
    do {
        assert_int_equal(store_begin(f->s), SB_OK);
        assert_int_equal(nudge_run_due(f->s, f->d, f->now, 2, &more, sink, f), SB_OK);
        assert_int_equal(store_commit(f->s), SB_OK);
    } while (more);
}

typedef struct step {
    const char *now, *action, *arg;
    const char *reply_has;  /* a piece the answer must contain */
    const char *due;        /* the stored next instant after it; NULL: none */
} step;

static void test_commands(void **state)
{
    fixture *f = *state;
    static const step steps[] = {
        {"2026-03-27T12:00:00Z", "nudge", NULL, "!nudge 09:00", NULL},
        /* nothing to pause while nudges are off, and no pause is kept for later: the
         * zone step below schedules the 28th */
        {"2026-03-27T12:00:00Z", "pause", "3d", "Nudges are off", NULL},
        {"2026-03-27T12:00:00Z", "nudge", "09:00", "!timezone Europe/Berlin", NULL},
        {"2026-03-27T12:00:00Z", "timezone", "Europe/Berln", "`Europe/Berlin`", NULL},
        {"2026-03-27T12:00:00Z", "timezone", "Mars/Base", "Europe/Berlin", NULL},
        {"2026-03-27T12:00:00Z", "timezone", "<b>x</b>", "`?`", NULL},
        {"2026-03-27T12:00:00Z", "timezone", "europe/berlin", "Europe/Berlin", "2026-03-28T08:00:00Z"},
        {"2026-03-27T12:00:00Z", "nudge", "", "2026-03-28 09:00", "2026-03-28T08:00:00Z"},
        {"2026-03-27T12:00:00Z", "nudge", "", "2026-03-28 08:00 UTC", "2026-03-28T08:00:00Z"},
        {"2026-03-27T12:00:00Z", "nudge", "weekdays", "2026-03-30 09:00", "2026-03-30T07:00:00Z"},
        {"2026-03-27T12:00:00Z", "nudge", "daily", "every day", "2026-03-28T08:00:00Z"},
        {"2026-03-27T12:00:00Z", "pause", "3d", "2026-03-30 14:00", "2026-03-31T07:00:00Z"},
        {"2026-03-27T12:00:00Z", "resume", NULL, "2026-03-28 09:00", "2026-03-28T08:00:00Z"},
        {"2026-03-27T12:00:00Z", "pause", "until 2026-04-02", "2026-04-02 00:00", "2026-04-02T07:00:00Z"},
        {"2026-03-27T12:00:00Z", "pause", "forever and ever", "!pause 3d", "2026-04-02T07:00:00Z"},
        /* too long: the limit, and a date example that lies ahead of the day it is read */
        {"2026-03-27T12:00:00Z", "pause", "400d", "up to a year", "2026-04-02T07:00:00Z"},
        {"2026-03-27T12:00:00Z", "pause", "400d", "`!pause until 2026-05-01`", "2026-04-02T07:00:00Z"},
        {"2026-12-20T12:00:00Z", "pause", "x", "`!pause until 2027-02-01`", "2026-04-02T07:00:00Z"},
        {"2026-03-27T12:00:00Z", "resume", NULL, "", "2026-03-28T08:00:00Z"},
        {"2026-03-27T12:00:00Z", "pause", NULL, "!resume", NULL},
        {"2026-03-27T12:00:00Z", "resume", NULL, "", "2026-03-28T08:00:00Z"},
        {"2026-03-27T12:00:00Z", "timezone", "America/New_York", "America/New_York", "2026-03-27T13:00:00Z"},
        {"2026-03-27T12:00:00Z", "timezone", NULL, "America/New_York", "2026-03-27T13:00:00Z"},
        {"2026-03-27T12:00:00Z", "nudge", "25:00", "!nudge 09:00", "2026-03-27T13:00:00Z"},
        {"2026-03-27T12:00:00Z", "nudge", "7:30pm", "19:30", "2026-03-27T23:30:00Z"},
        {"2026-03-27T12:00:00Z", "nudge", "23:00", "quiet hours", "2026-03-28T03:00:00Z"},
        {"2026-03-27T12:00:00Z", "nudge", "off", "!nudge 09:00", NULL},
        {"2026-03-27T12:00:00Z", "resume", NULL, "off", NULL},
        {"2026-03-27T12:00:00Z", "pause", NULL, "Nudges are off", NULL},
        {"2026-03-27T12:00:00Z", "nudge", "on", "23:00", "2026-03-28T03:00:00Z"},
        {"2026-03-27T12:00:00Z", "export", NULL, "", "2026-03-28T03:00:00Z"},
    };
    int64_t who = person(f, "alice");
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const step *c = &steps[i];
        f->now = iso(c->now);
        const char *reply = command(f, who, c->action, c->arg);
        int64_t due = due_of(f, who);
        int64_t want = c->due ? iso(c->due) : 0;
        if (!strstr(reply, c->reply_has) || due != want || !reply[0])
            fail_msg("step %zu (!%s %s): due %lld want %lld; reply: %s", i, c->action,
                     c->arg ? c->arg : "", (long long)due, (long long)want, reply);
    }
    char *zone = NULL;
    assert_int_equal(store_setting_get(f->s, who, "timezone", &zone), SB_OK);
    assert_string_equal(zone, "America/New_York");
    free(zone);
}

/* Whom a room belongs to, by index into names. */
static size_t owner(const char *room, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(room + 5, names[i]))
            return i;
    fail_msg("unknown room %s", room);
    return 0;
}

/* How many daily slots at local minute lie in (start, end): one per local day. */
static int64_t slots_between(const tz_zone *z, int minute, int64_t start, int64_t end)
{
    int64_t n = 0;
    for (int64_t day = start / 86400 - 2; day <= end / 86400 + 2; day++) {
        int y, m, d;
        int64_t slot;
        tz_civil_from_days(day, &y, &m, &d);
        assert_int_equal(tz_from_local(z, y, m, d, minute / 60, minute % 60, &slot, NULL), SB_OK);
        n += slot > start && slot < end;
    }
    return n;
}

/* A month across both 2026 transitions of Berlin and New York for three people who
 * answer every nudge; the store is closed and reopened every few days and one pass is
 * rolled back as if the process died before its commit. */
static void test_month_with_restarts(void **state)
{
    fixture *f = *state;
    static const char *const names[] = {"berlin", "newyork", "kolkata"};
    static const char *const zones[] = {"Europe/Berlin", "America/New_York", "Asia/Kolkata"};
    static const char *const times[] = {"09:00", "02:30", "07:15"};
    static const int minutes[] = {9 * 60, 2 * 60 + 30, 7 * 60 + 15};
    int64_t ids[3];
    f->now = iso("2026-02-20T00:00:00Z");
    for (int i = 0; i < 3; i++) {
        ids[i] = person(f, names[i]);
        command(f, ids[i], "timezone", zones[i]);
        command(f, ids[i], "nudge", times[i]);
    }
    const int64_t start = f->now, end = iso("2026-11-10T00:00:00Z");
    size_t wakeups = 0;
    int crashed = 0;
    int64_t due;
    while (nudge_next_due(f->s, &due) == SB_OK && due > 0 && due < end) {
        f->now = due + (wakeups % 7 == 3 ? 600 : 0); /* sometimes the core wakes late */
        if (!crashed && f->now > iso("2026-03-29T00:00:00Z")) {
            size_t before = f->n; /* the pass runs, then the process dies before commit */
            assert_int_equal(store_begin(f->s), SB_OK);
            int more;
            assert_int_equal(nudge_run_due(f->s, f->d, f->now, 64, &more, sink, f), SB_OK);
            assert_true(f->n > before);
            store_close(f->s); /* no commit: sqlite rolls the transaction back */
            assert_int_equal(store_open(f->path, &f->s), SB_OK);
            f->n = before;
            crashed = 1;
        }
        tick(f);
        for (size_t i = 0; i < f->n; i++) /* each answers ten minutes later */
            if (f->log[i].when == f->now) {
                int64_t who = ids[owner(f->log[i].room, names, 3)];
                int64_t saved = f->now;
                f->now += 600;
                assert_int_equal(store_begin(f->s), SB_OK);
                assert_int_equal(store_person_touch(f->s, who, f->now), SB_OK);
                assert_int_equal(nudge_on_inbound(f->s, who, f->now), SB_OK);
                assert_int_equal(store_commit(f->s), SB_OK);
                f->now = saved;
            }
        if (++wakeups % 5 == 0)
            reopen(f);
    }
    assert_true(crashed);
    /* Check every nudge: one per local day per person, at the chosen local time (or the
     * end of the gap that swallowed it), on consecutive local days, sent on time or late
     * by the core's 10 minutes. */
    size_t count[3] = {0};
    int64_t prev_day[3] = {0};
    for (size_t i = 0; i < f->n; i++) {
        size_t p = owner(f->log[i].room, names, 3);
        const tz_zone *z;
        assert_int_equal(tz_get(zones[p], &z), SB_OK);
        tz_local l;
        int64_t day = 0;
        /* the slot is the last one at or before the send */
        int64_t slot = 0;
        tz_to_local(z, f->log[i].when, &l);
        day = tz_days_from_civil(l.year, l.month, l.day);
        int y, m, d;
        tz_civil_from_days(day, &y, &m, &d);
        assert_int_equal(tz_from_local(z, y, m, d, minutes[p] / 60, minutes[p] % 60, &slot, NULL),
                         SB_OK);
        if (slot > f->log[i].when || f->log[i].when - slot > 600)
            fail_msg("%s: sent at %lld, slot %lld", names[p], (long long)f->log[i].when,
                     (long long)slot);
        if (prev_day[p] && day != prev_day[p] + 1)
            fail_msg("%s: %lld days between nudges", names[p], (long long)(day - prev_day[p]));
        prev_day[p] = day;
        count[p]++;
    }
    for (int p = 0; p < 3; p++) {
        const tz_zone *z;
        assert_int_equal(tz_get(zones[p], &z), SB_OK);
        int64_t first = slots_between(z, minutes[p], start, end);
        if ((int64_t)count[p] != first)
            fail_msg("%s: %zu nudges, %lld local days", names[p], count[p], (long long)first);
    }
    int64_t sent_rows, unsent;
    assert_int_equal(store_outbox_count(f->s, "console", &sent_rows, &unsent), SB_OK);
    assert_int_equal(sent_rows + unsent, (int64_t)f->n);
}

static size_t sent_to(const fixture *f, const char *room)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += !strcmp(f->log[i].room, room);
    return n;
}

/* Downtime: late by under 2 hours is sent late, by more is skipped for the next day.
 * Quiet: a person who wrote 10 minutes before is not nudged that day. */
static void test_downtime_and_recent(void **state)
{
    fixture *f = *state;
    f->now = iso("2026-06-01T00:00:00Z");
    int64_t who = person(f, "bob");
    command(f, who, "timezone", "Europe/Berlin");
    command(f, who, "nudge", "09:00");
    assert_int_equal(due_of(f, who), iso("2026-06-01T07:00:00Z"));
    f->now = iso("2026-06-01T08:59:00Z"); /* down for 1 h 59 min */
    tick(f);
    assert_int_equal(sent_to(f, "room-bob"), 1);
    assert_int_equal(f->log[0].when, f->now);
    assert_int_equal(due_of(f, who), iso("2026-06-02T07:00:00Z"));
    f->now = iso("2026-06-02T09:00:00Z"); /* down for 2 h */
    tick(f);
    assert_int_equal(sent_to(f, "room-bob"), 1);
    assert_int_equal(due_of(f, who), iso("2026-06-03T07:00:00Z"));
    f->now = iso("2026-06-03T06:50:00Z"); /* wrote ten minutes before */
    assert_int_equal(store_person_touch(f->s, who, f->now), SB_OK);
    f->now = iso("2026-06-03T07:00:00Z");
    tick(f);
    assert_int_equal(sent_to(f, "room-bob"), 1);
    assert_int_equal(due_of(f, who), iso("2026-06-04T07:00:00Z"));
    f->now = iso("2026-06-04T07:00:00Z");
    tick(f);
    assert_int_equal(sent_to(f, "room-bob"), 2);
    /* a late send that would land in quiet hours the person did not choose is skipped */
    command(f, who, "nudge", "21:30");
    assert_int_equal(due_of(f, who), iso("2026-06-05T19:30:00Z"));
    f->now = iso("2026-06-05T20:10:00Z"); /* 22:10 local */
    tick(f);
    assert_int_equal(sent_to(f, "room-bob"), 2);
    assert_int_equal(due_of(f, who), iso("2026-06-06T19:30:00Z"));
}

/* Nobody answers: daily, then every 2 days after the third (which says so), weekly after
 * the sixth (which says so); a message restores the daily rhythm. */
static void test_backoff_and_reset(void **state)
{
    fixture *f = *state;
    f->now = iso("2026-05-01T00:00:00Z");
    int64_t who = person(f, "cleo");
    command(f, who, "timezone", "UTC");
    command(f, who, "nudge", "10:00");
    static const char *const expect[] = {"2026-05-01", "2026-05-02", "2026-05-03", "2026-05-05",
                                         "2026-05-07", "2026-05-09", "2026-05-16", "2026-05-23"};
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        int64_t due = due_of(f, who);
        char want[32];
        snprintf(want, sizeof want, "%sT10:00:00Z", expect[i]);
        assert_int_equal(due, iso(want));
        f->now = due;
        tick(f);
        assert_int_equal(f->n, i + 1);
        int says_two = strstr(f->log[i].text, "B-two 2") != NULL;
        int says_week = strstr(f->log[i].text, "B-week 7") != NULL;
        assert_int_equal(says_two, i == 2);
        assert_int_equal(says_week, i == 5);
    }
    f->now = iso("2026-05-24T18:00:00Z");
    /* unanswered nudges: the router asks nudge_on_inbound (nudge_inbound_pending) */
    char *setting = NULL;
    assert_int_equal(store_setting_get(f->s, who, "nudge", &setting), SB_OK);
    assert_true(nudge_inbound_pending(setting));
    free(setting);
    assert_int_equal(nudge_on_inbound(f->s, who, f->now), SB_OK);
    assert_int_equal(due_of(f, who), iso("2026-05-25T10:00:00Z"));
    assert_int_equal(store_setting_get(f->s, who, "nudge", &setting), SB_OK);
    assert_false(nudge_inbound_pending(setting));
    free(setting);
    assert_false(nudge_inbound_pending(NULL));
    assert_false(nudge_inbound_pending("not json"));
    /* inbound with nothing backed off changes nothing */
    assert_int_equal(nudge_on_inbound(f->s, who, f->now), SB_OK);
    assert_int_equal(due_of(f, who), iso("2026-05-25T10:00:00Z"));
}

static void test_crisis_pause(void **state)
{
    fixture *f = *state;
    f->now = iso("2026-07-01T06:00:00Z");
    int64_t who = person(f, "dana");
    command(f, who, "timezone", "Europe/Berlin");
    command(f, who, "nudge", "09:00");
    assert_int_equal(due_of(f, who), iso("2026-07-01T07:00:00Z"));
    assert_int_equal(nudge_on_crisis(f->s, who, f->now), SB_OK);
    assert_int_equal(due_of(f, who), iso("2026-07-02T07:00:00Z")); /* 25 h later, not the 1 h */
    const char *reply = command(f, who, "resume", NULL);
    assert_non_null(strstr(reply, "2026-07-01 09:00"));
    assert_int_equal(due_of(f, who), iso("2026-07-01T07:00:00Z"));
    /* a crisis for someone without nudges stores the pause and schedules nothing */
    int64_t other = person(f, "eli");
    assert_int_equal(nudge_on_crisis(f->s, other, f->now), SB_OK);
    assert_int_equal(due_of(f, other), 0);
}

/* Wordings rotate without repeating the last three; the current exercise or the focus
 * topic is named when there is one; without a direct room nothing is sent. */
static void test_wording(void **state)
{
    fixture *f = *state;
    f->now = iso("2026-08-01T00:00:00Z");
    int64_t who = person(f, "finn");
    command(f, who, "timezone", "Asia/Kolkata");
    command(f, who, "nudge", "08:00");
    int used[5] = {0};
    for (int day = 0; day < 20; day++) {
        f->now = due_of(f, who);
        tick(f);
        assert_int_equal(f->n, (size_t)day + 1);
        const char *t = f->log[day].text;
        assert_true(t[0] == 'N' && t[1] >= '0' && t[1] <= '4');
        used[t[1] - '0']++;
        for (int back = 1; back <= 3 && back <= day; back++)
            assert_true(f->log[day - back].text[1] != t[1]);
        assert_int_equal(nudge_on_inbound(f->s, who, f->now), SB_OK); /* keeps it daily */
    }
    for (int i = 0; i < 5; i++)
        assert_true(used[i] > 0);
    assert_int_equal(store_setting_set(f->s, who, "focus", "body-signals"), SB_OK);
    f->now = due_of(f, who);
    tick(f);
    assert_non_null(strstr(f->log[f->n - 1].text, "body-signals"));
    assert_int_equal(f->log[f->n - 1].text[0], 'F');
    assert_int_equal(store_exercise_log(f->s, who, "box-breathing", "given", f->now), SB_OK);
    f->now = due_of(f, who);
    tick(f);
    assert_string_equal(f->log[f->n - 1].text + 3, "box-breathing");
    assert_int_equal(store_exercise_log(f->s, who, "box-breathing", "done", f->now), SB_OK);
    f->now = due_of(f, who);
    tick(f);
    assert_int_equal(f->log[f->n - 1].text[0], 'F');

    int64_t lost;
    assert_int_equal(store_begin(f->s), SB_OK);
    assert_int_equal(store_person_get(f->s, "console", "nora", f->now, &lost), SB_OK);
    assert_int_equal(store_commit(f->s), SB_OK);
    command(f, lost, "timezone", "UTC");
    command(f, lost, "nudge", "12:00");
    size_t before = f->n;
    int64_t due = due_of(f, lost);
    f->now = due;
    tick(f);
    assert_int_equal(f->n, before);
    assert_true(due_of(f, lost) > due);
}

/* The preview prints what the due pass then sends, for people who never answer. */
static void test_preview_matches_run(void **state)
{
    fixture *f = *state;
    static const char *const names[] = {"gus", "hana", "ivo"};
    static const char *const zones[] = {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe"};
    static const char *const times[] = {"09:00", "01:30", "02:15"};
    f->now = iso("2026-09-20T00:00:00Z");
    for (int i = 0; i < 3; i++) {
        int64_t who = person(f, names[i]);
        command(f, who, "timezone", zones[i]);
        command(f, who, "nudge", times[i]);
        if (i == 1)
            command(f, who, "nudge", "weekdays");
    }
    int64_t from = iso("2026-09-25T00:00:00Z"), to = iso("2026-11-30T00:00:00Z");
    char *preview = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&preview, &len);
    assert_non_null(out);
    assert_int_equal(nudge_preview(f->s, from, to, out), SB_OK);
    fclose(out);
    int64_t due;
    sb_buf run = {0};
    while (nudge_next_due(f->s, &due) == SB_OK && due > 0 && due < to) {
        f->now = due;
        size_t before = f->n;
        tick(f);
        if ((f->n - before) % 2 == 0)
            reopen(f);
        for (size_t i = before; i < f->n; i++) {
            char when[32];
            clock_format_iso(f->log[i].when, when, sizeof when);
            if (f->log[i].when >= from)
                assert_int_equal(sb_buf_printf(&run, "%s %s\n", f->log[i].room + 5, when), SB_OK);
        }
    }
    assert_non_null(run.data);
    assert_true(strlen(run.data) > 200);
    assert_string_equal(preview, run.data);
    free(preview);
    sb_buf_free(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_month_with_restarts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_downtime_and_recent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backoff_and_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crisis_pause, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wording, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preview_matches_run, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
