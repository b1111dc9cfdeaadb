/* schedule.c — the nudge timetable: next due instant and the send/skip verdict.
 * Pure functions over schedule_settings and injected instants; zone math comes from
 * tz.c, persistence and delivery from nudge.c. Working in local *days* (not 24-hour
 * steps) is what makes daylight-saving changes neither skip nor double a nudge. */
#include "schedule.h"

#include "clock.h"
#include "sb.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define SEARCH_DAYS 400 /* a weekly back-off on weekdays still finds a day well within this */

int schedule_interval_days(int unanswered)
{
    if (unanswered >= 6)
        return 7;
    if (unanswered >= 3)
        return 2;
    return 1;
}

int schedule_is_quiet(int minute)
{
    return minute >= SCHEDULE_QUIET_FROM || minute < SCHEDULE_QUIET_UNTIL;
}

int64_t schedule_local_day(const tz_zone *z, int64_t t)
{
    tz_local l;
    tz_to_local(z, t, &l);
    return tz_days_from_civil(l.year, l.month, l.day);
}

static int weekday_of_day(int64_t day)
{
    return (int)(((day % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
}

int schedule_next(const schedule_settings *s, int64_t now, int64_t *next)
{
    if (!s->enabled || !s->zone || s->minute < 0 || s->minute >= 1440)
        return SB_ENOTFOUND;
    int64_t first = schedule_local_day(s->zone, now);
    int64_t after_last = 0;
    if (s->last > 0) {
        after_last = schedule_local_day(s->zone, s->last) + schedule_interval_days(s->unanswered);
        if (after_last > first)
            first = after_last;
    }
    if (s->paused_until > now) {
        int64_t pause_day = schedule_local_day(s->zone, s->paused_until);
        if (pause_day > first)
            first = pause_day;
    }
    for (int64_t day = first; day < first + SEARCH_DAYS; day++) {
        int wd = weekday_of_day(day);
        if (s->weekdays && (wd == 0 || wd == 6))
            continue;
        int y, m, d;
        tz_civil_from_days(day, &y, &m, &d);
        int64_t t;
        if (tz_from_local(s->zone, y, m, d, s->minute / 60, s->minute % 60, &t, NULL) != SB_OK)
            continue;
        if (t <= now || t < s->paused_until)
            continue;
        if (s->last > 0 && schedule_local_day(s->zone, t) < after_last)
            continue; /* an odd zone history moved the time onto an earlier day */
        *next = t;
        return SB_OK;
    }
    return SB_ENOTFOUND;
}

schedule_verdict schedule_decide(const schedule_settings *s, int64_t due, int64_t now,
                                 int64_t last_seen)
{
    if (!s->enabled || !s->zone)
        return SCHEDULE_SKIP_OFF;
    if (s->paused_until > now)
        return SCHEDULE_SKIP_PAUSED;
    if (now - due >= SCHEDULE_LATE_LIMIT)
        return SCHEDULE_SKIP_LATE;
    if (last_seen > 0 && last_seen <= now && now - last_seen < SCHEDULE_RECENT)
        return SCHEDULE_SKIP_RECENT;
    if (now > due) {
        tz_local l;
        tz_to_local(s->zone, now, &l);
        if (schedule_is_quiet(l.hour * 60 + l.minute) && !schedule_is_quiet(s->minute))
            return SCHEDULE_SKIP_QUIET;
    }
    return SCHEDULE_SEND;
}

int schedule_consume(schedule_settings *s, int64_t due, int sent)
{
    s->last = due;
    if (!sent)
        return 0;
    int before = schedule_interval_days(s->unanswered);
    s->unanswered++;
    int after = schedule_interval_days(s->unanswered);
    return after != before ? after : 0;
}

/* Up to max_digits decimal digits at *s into *value; returns how many were read. */
static int read_number(const char **s, int max_digits, long *value)
{
    int n = 0;
    *value = 0;
    while (n < max_digits && isdigit((unsigned char)**s)) {
        *value = *value * 10 + (**s - '0');
        (*s)++;
        n++;
    }
    return n;
}

int schedule_parse_time(const char *s, int *minute)
{
    long h, m = 0;
    if (!s || read_number(&s, 2, &h) == 0)
        return SB_EINVAL;
    if (*s == ':' || *s == '.') {
        s++;
        if (read_number(&s, 2, &m) != 2)
            return SB_EINVAL;
    }
    while (*s == ' ')
        s++;
    if (!strcasecmp(s, "am") || !strcasecmp(s, "pm")) {
        if (h < 1 || h > 12)
            return SB_EINVAL;
        h = h % 12 + (tolower((unsigned char)*s) == 'p' ? 12 : 0);
    } else if (*s) {
        return SB_EINVAL;
    }
    if (h > 23 || m > 59)
        return SB_EINVAL;
    *minute = (int)(h * 60 + m);
    return SB_OK;
}

int schedule_parse_pause(const char *s, const tz_zone *zone, int64_t now, int64_t *until)
{
    const int64_t max = (int64_t)SCHEDULE_MAX_PAUSE_DAYS * 86400;
    int64_t t;
    if (!s)
        return SB_EINVAL;
    if (!strncasecmp(s, "until ", 6)) {
        s += 6;
        while (*s == ' ')
            s++;
        if (clock_parse_iso(s, &t) != SB_OK)
            return SB_EINVAL;
        if (!strchr(s, 'T') && zone) { /* a date: its local midnight */
            int y, m, d;
            tz_civil_from_days(t / 86400, &y, &m, &d);
            if (tz_from_local(zone, y, m, d, 0, 0, &t, NULL) != SB_OK)
                return SB_EINVAL;
        }
    } else {
        static const struct {
            const char *word;
            int64_t seconds;
        } units[] = {{"d", 86400},     {"day", 86400},       {"days", 86400},
                     {"w", 7 * 86400}, {"week", 7 * 86400},  {"weeks", 7 * 86400},
                     {"h", 3600},      {"hour", 3600},       {"hours", 3600}};
        long n;
        if (read_number(&s, 4, &n) == 0 || n == 0)
            return SB_EINVAL;
        while (*s == ' ')
            s++;
        int64_t unit = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0] && !unit; i++)
            if (!strcasecmp(s, units[i].word))
                unit = units[i].seconds;
        if (!unit)
            return SB_EINVAL;
        t = now + n * unit;
    }
    if (t <= now || t - now > max)
        return SB_EINVAL;
    *until = t;
    return SB_OK;
}
