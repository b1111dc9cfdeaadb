/* schedule.h — when a person's next nudge is due, and whether a due nudge goes out.
 * Pure: settings and "now" in, a UTC instant or a verdict out; no store, no clock.
 * The rules (issue 6): the chosen local time in the person's zone, daily or on weekdays;
 * a spring-forward gap moves the time to the first valid minute after it, a fall-back
 * repeated time is used once (its first occurrence); never two nudges on one local day;
 * quiet hours 22:00-07:00 unless the person chose such a time; back-off after 3
 * unanswered nudges to every 2 days and after 6 to weekly; after downtime a nudge
 * missed by less than 2 hours is sent late, one missed by more is skipped. */
#ifndef SB_SCHEDULE_H
#define SB_SCHEDULE_H

#include "tz.h"

#include <stdint.h>

#define SCHEDULE_LATE_LIMIT 7200   /* seconds a nudge may be late and still be sent */
#define SCHEDULE_RECENT 1800       /* a person who wrote this recently is not nudged */
#define SCHEDULE_QUIET_FROM (22 * 60)
#define SCHEDULE_QUIET_UNTIL (7 * 60)
#define SCHEDULE_MAX_PAUSE_DAYS 366

/* A person's nudge settings as the schedule sees them. */
typedef struct schedule_settings {
    int enabled;           /* 0: nudges off */
    int minute;            /* chosen local time, minutes after midnight, 0..1439 */
    const tz_zone *zone;   /* borrowed; NULL while the person has not set a zone */
    int weekdays;          /* 1: Monday to Friday only; 0: every day */
    int64_t paused_until;  /* UTC seconds; no nudge before it (0: not paused) */
    int unanswered;        /* nudges sent since the person last wrote */
    int64_t last;          /* UTC instant of the last slot used, sent or skipped; 0: none */
} schedule_settings;

typedef enum schedule_verdict {
    SCHEDULE_SEND,         /* send now (on time, or late by less than the limit) */
    SCHEDULE_SKIP_OFF,     /* nudges are off or no zone is set */
    SCHEDULE_SKIP_PAUSED,  /* paused_until is still ahead */
    SCHEDULE_SKIP_LATE,    /* missed by SCHEDULE_LATE_LIMIT or more (downtime) */
    SCHEDULE_SKIP_RECENT,  /* the person wrote in the last SCHEDULE_RECENT seconds */
    SCHEDULE_SKIP_QUIET    /* a late send would land in quiet hours the person did not choose */
} schedule_verdict;

/* Days between nudges for this many unanswered ones: 1, then 2 from 3, then 7 from 6. */
int schedule_interval_days(int unanswered);

/* 1 when minute (after local midnight) lies in the quiet hours 22:00-07:00. */
int schedule_is_quiet(int minute);

/* The first nudge instant strictly after now that the settings allow: on a local day
 * after the last slot's day plus the back-off interval, not on a weekend with weekdays,
 * not before paused_until. Returns SB_OK and *next, or SB_ENOTFOUND (nothing to
 * schedule: off, no zone, or no day found within a year). */
int schedule_next(const schedule_settings *s, int64_t now, int64_t *next);

/* Whether the nudge due at due goes out at now, given when the person last wrote
 * (last_seen, 0 when never). */
schedule_verdict schedule_decide(const schedule_settings *s, int64_t due, int64_t now,
                                 int64_t last_seen);

/* Uses up the slot due: records it as the last one and, when sent, counts it as
 * unanswered. Returns the new back-off interval in days when this send changed it
 * (the nudge should say so), 0 otherwise. */
int schedule_consume(schedule_settings *s, int64_t due, int sent);

/* Parses a time of day as people type it: "09:00", "9:00", "9", "21.30", "7pm", "7:30 am"
 * into minutes after midnight. SB_OK, or SB_EINVAL (and *minute untouched). Pure. */
int schedule_parse_time(const char *s, int *minute);

/* Parses how long to pause: "3d", "3 days", "2w", "12h", "until 2026-12-01" (that day's
 * local midnight in zone, UTC midnight when zone is NULL) or "until 2026-12-01T10:00:00Z".
 * The end must lie after now and at most SCHEDULE_MAX_PAUSE_DAYS ahead. SB_OK and *until,
 * or SB_EINVAL. Pure. */
int schedule_parse_pause(const char *s, const tz_zone *zone, int64_t now, int64_t *until);

/* The local day number (days since 1970-01-01 on the zone's wall clock) of instant t. */
int64_t schedule_local_day(const tz_zone *z, int64_t t);

#endif
