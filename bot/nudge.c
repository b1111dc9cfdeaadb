/* nudge.c — the nudge settings commands and the due-nudge pass over the store's index.
 * Owns the per-person "nudge" and "timezone" settings (format in nudge.h) and keeps the
 * store's next-due instant in step with them. When a nudge is due it picks and fills a
 * wording of nudges.json and queues it in the outbox; the caller's transaction makes the
 * send and the schedule move one step. Timing rules are schedule.c's, zones tz.c's. */
#include "nudge.h"

#include "adapter.h"
#include "clock.h"
#include "schedule.h"
#include "tz.h"
#include "tzname.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RECENT_KEEP 3             /* wordings not repeated */
#define CURRENT_EXERCISE_DAYS 14  /* an exercise given this recently and not done is current */

typedef struct conf {
    schedule_settings sch; /* zone borrowed from the tz cache */
    int on;                /* the person turned nudges on */
    int paused;            /* paused until !resume, no end date */
    char zone[128];        /* "" while unset */
    json_t *recent;        /* owned array of strings */
} conf;

/* ---------- settings ---------- */

/* "09:30" for minute 570; "" when no time is set. */
static void format_hhmm(int minute, char *buf, size_t size)
{
    if (minute < 0 || minute >= 1440)
        snprintf(buf, size, "%s", "");
    else
        snprintf(buf, size, "%02d:%02d", minute / 60 % 24, minute % 60);
}

static void conf_free(conf *c)
{
    json_decref(c->recent);
    c->recent = NULL;
}

static int64_t json_int(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* Reads the person's settings; with_zone=0 skips the zone (for the cheap inbound path). */
static int conf_load(store *s, int64_t person, conf *c, int with_zone)
{
    memset(c, 0, sizeof *c);
    c->sch.minute = -1;
    char *text = NULL, *zone = NULL;
    int rc = store_setting_get(s, person, "nudge", &text);
    if (rc == SB_OK && with_zone)
        rc = store_setting_get(s, person, "timezone", &zone);
    if (rc != SB_OK)
        goto done;
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    if (json_is_object(o)) {
        const json_t *t = json_object_get(o, "time");
        c->on = json_is_true(json_object_get(o, "on"));
        c->paused = json_is_true(json_object_get(o, "paused"));
        if (json_is_string(t) && schedule_parse_time(json_string_value(t), &c->sch.minute) != SB_OK)
            c->sch.minute = -1;
        const json_t *days = json_object_get(o, "days");
        c->sch.weekdays = json_is_string(days) && !strcmp(json_string_value(days), "weekdays");
        c->sch.paused_until = json_int(o, "paused_until");
        c->sch.unanswered = (int)json_int(o, "unanswered");
        c->sch.last = json_int(o, "last");
        json_t *r = json_object_get(o, "recent");
        if (json_is_array(r))
            c->recent = json_incref(r);
    }
    json_decref(o);
    if (!c->recent)
        c->recent = json_array();
    if (!c->recent) {
        rc = SB_ENOMEM;
        goto done;
    }
    if (zone) {
        snprintf(c->zone, sizeof c->zone, "%s", zone);
        if (tz_get(zone, &c->sch.zone) != SB_OK)
            c->sch.zone = NULL; /* the zone vanished from this machine: nothing is scheduled */
    }
    c->sch.enabled = c->on && !c->paused && c->sch.minute >= 0;
done:
    free(text);
    free(zone);
    return rc;
}

static int conf_save(store *s, int64_t person, const conf *c)
{
    char hhmm[16];
    format_hhmm(c->sch.minute, hhmm, sizeof hhmm);
    json_t *o = json_pack("{s:b, s:b, s:s, s:s, s:I, s:i, s:I, s:O}", "on", c->on, "paused",
                          c->paused, "time", hhmm, "days", c->sch.weekdays ? "weekdays" : "daily",
                          "paused_until", (json_int_t)c->sch.paused_until, "unanswered",
                          c->sch.unanswered, "last", (json_int_t)c->sch.last, "recent", c->recent);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    int rc = text ? store_setting_set(s, person, "nudge", text) : SB_ENOMEM;
    free(text);
    return rc;
}

/* Stores the next instant the settings give after now (or none); *next may be NULL. */
static int conf_reschedule(store *s, int64_t person, const conf *c, int64_t now, int64_t *next)
{
    int64_t t = 0;
    if (schedule_next(&c->sch, now, &t) != SB_OK)
        t = 0;
    if (next)
        *next = t;
    return store_nudge_set(s, person, t);
}

/* ---------- texts ---------- */

typedef struct var {
    const char *name;
    const char *value;
} var;

/* Appends tmpl with {name} replaced by the value of vars; unknown names stay as written. */
static int fill(sb_buf *out, const char *tmpl, const var *vars, size_t n)
{
    int rc = SB_OK;
    for (const char *p = tmpl; *p && rc == SB_OK;) {
        const char *open = strchr(p, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        if (!close) {
            rc = sb_buf_puts(out, p);
            break;
        }
        rc = sb_buf_append(out, p, (size_t)(open - p));
        const char *value = NULL;
        for (size_t i = 0; i < n && !value; i++)
            if (strlen(vars[i].name) == (size_t)(close - open - 1) &&
                !strncmp(vars[i].name, open + 1, (size_t)(close - open - 1)))
                value = vars[i].value;
        if (rc == SB_OK)
            rc = value ? sb_buf_puts(out, value) : sb_buf_append(out, open, (size_t)(close - open + 1));
        p = close + 1;
    }
    return rc;
}

/* A text of views.json by key (a string, or a list picked from by pick), else fallback.
 * (The same lookup as actions_view; repeated so that nudge.c needs only the dialogs.) */
static const char *view(const sb_dialogs *d, const char *key, unsigned pick, const char *fallback)
{
    const json_t *v = d ? json_object_get(dialogs_data(d, "views"), key) : NULL;
    if (json_is_array(v) && json_array_size(v) > 0)
        v = json_array_get(v, pick % json_array_size(v));
    return json_is_string(v) ? json_string_value(v) : fallback;
}

static int say(sb_buf *reply, const sb_dialogs *d, const char *key, int64_t now,
               const char *fallback, const var *vars, size_t n)
{
    int rc = reply->len ? sb_buf_puts(reply, "\n\n") : SB_OK;
    return rc == SB_OK ? fill(reply, view(d, key, (unsigned)now, fallback), vars, n) : rc;
}

static void format_local(const tz_zone *z, int64_t t, char *buf, size_t size)
{
    tz_local l;
    tz_to_local(z, t, &l);
    snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", l.year, l.month, l.day, l.hour, l.minute);
}

/* The variables every settings answer may use; times in the person's zone (UTC until set). */
typedef struct view_vars {
    char time[16], local_next[32], utc_next[32], pause_end[32], local_now[32];
    var v[7];
} view_vars;

static size_t vars_make(const sb_dialogs *d, const conf *c, int64_t now, int64_t next,
                        view_vars *w)
{
    const tz_zone *utc = NULL, *z = c->sch.zone;
    tz_get("UTC", &utc);
    if (!z)
        z = utc;
    format_hhmm(c->sch.minute, w->time, sizeof w->time);
    w->local_next[0] = w->utc_next[0] = w->pause_end[0] = w->local_now[0] = '\0';
    if (z && next > 0)
        format_local(z, next, w->local_next, sizeof w->local_next);
    if (utc && next > 0)
        format_local(utc, next, w->utc_next, sizeof w->utc_next);
    if (z && c->sch.paused_until > 0)
        format_local(z, c->sch.paused_until, w->pause_end, sizeof w->pause_end);
    if (z)
        format_local(z, now, w->local_now, sizeof w->local_now);
    const char *days = c->sch.weekdays ? view(d, "nudge_days_weekdays", 0, "on weekdays")
                                       : view(d, "nudge_days_daily", 0, "every day");
    var v[7] = {{"time", w->time},          {"zone", c->zone[0] ? c->zone : "UTC"},
                {"days", days},             {"next_local", w->local_next},
                {"next_utc", w->utc_next},  {"until", w->pause_end},
                {"now_local", w->local_now}};
    memcpy(w->v, v, sizeof v);
    return 7;
}

/* ---------- the commands ---------- */

static const char *trimmed(const char *arg, char *buf, size_t size)
{
    if (!arg)
        arg = "";
    while (isspace((unsigned char)*arg))
        arg++;
    snprintf(buf, size, "%s", arg);
    size_t n = strlen(buf);
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
    return buf;
}

/* Answers with the settings (and the next nudge when one is scheduled). */
static int show(store *s, const sb_dialogs *d, int64_t person, const conf *c, int64_t now,
                const char *key, const char *fallback, sb_buf *reply)
{
    int64_t next = 0;
    int rc = store_nudge_get(s, person, &next);
    if (rc != SB_OK)
        return rc;
    view_vars w;
    size_t n = vars_make(d, c, now, next, &w);
    rc = say(reply, d, key, now, fallback, w.v, n);
    if (rc == SB_OK && c->on && !c->sch.zone)
        rc = say(reply, d, "nudge_need_zone",  now,
                 "Which time zone are you in? Tell me with `!timezone Area/City`, for "
                 "example `!timezone Europe/Berlin`.", w.v, n);
    else if (rc == SB_OK && c->paused)
        rc = say(reply, d, "nudge_paused_open", now,
                 "Nudges are paused until you say `!resume`.", w.v, n);
    else if (rc == SB_OK && c->on && c->sch.paused_until > now)
        rc = say(reply, d, "nudge_paused", now, "Paused until {until} ({zone}).", w.v, n);
    if (rc == SB_OK && next > 0)
        rc = say(reply, d, "nudge_next", now,
                 "Next nudge: {next_local} ({zone}), that is {next_utc} UTC.", w.v, n);
    return rc;
}

static int do_nudge(store *s, const sb_dialogs *d, int64_t person, conf *c, const char *arg,
                    int64_t now, sb_buf *reply)
{
    char buf[64];
    trimmed(arg, buf, sizeof buf);
    int minute, rc = SB_OK;
    if (!buf[0])
        return c->on ? show(s, d, person, c, now, "nudge_show", "Nudges: {time}, {days}.", reply)
                     : show(s, d, person, c, now, "nudge_show_off",
                            "Nudges are off. Turn them on with `!nudge HH:MM`, for example "
                            "`!nudge 09:00`.", reply);
    const char *key, *fallback;
    if (!strcasecmp(buf, "off") || !strcasecmp(buf, "stop")) {
        c->on = 0;
        key = "nudge_off";
        fallback = "Nudges are off. `!nudge HH:MM` turns them on again.";
    } else if (!strcasecmp(buf, "daily") || !strcasecmp(buf, "weekdays") ||
               !strcasecmp(buf, "weekday")) {
        c->sch.weekdays = tolower((unsigned char)buf[0]) == 'w';
        key = "nudge_days";
        fallback = "Nudges {days} from now on.";
    } else if (!strcasecmp(buf, "on") && c->sch.minute >= 0) {
        c->on = 1;
        key = "nudge_on";
        fallback = "Nudges are on: {time}, {days}.";
    } else if (schedule_parse_time(buf, &minute) == SB_OK) {
        c->on = 1;
        c->sch.minute = minute;
        key = schedule_is_quiet(minute) ? "nudge_on_quiet" : "nudge_on";
        fallback = schedule_is_quiet(minute)
                       ? "Nudges are on: {time}, {days}. That is in the quiet hours "
                         "(22:00-07:00), but you chose it, so I'll use it."
                       : "Nudges are on: {time}, {days}.";
    } else {
        return say(reply, d, "nudge_bad_time", now,
                   "I didn't catch that. Try `!nudge 09:00` (24-hour clock), `!nudge off`, "
                   "`!nudge weekdays` or `!nudge daily`.", NULL, 0);
    }
    c->sch.enabled = c->on && !c->paused && c->sch.minute >= 0;
    rc = conf_save(s, person, c);
    if (rc == SB_OK)
        rc = conf_reschedule(s, person, c, now, NULL);
    return rc == SB_OK ? show(s, d, person, c, now, key, fallback, reply) : rc;
}

static int do_timezone(store *s, const sb_dialogs *d, int64_t person, conf *c, const char *arg,
                       int64_t now, sb_buf *reply)
{
    char buf[128], canon[128], guess[128];
    trimmed(arg, buf, sizeof buf);
    if (!buf[0])
        return c->zone[0] ? show(s, d, person, c, now, "timezone_show",
                                 "Your time zone: {zone} (it is {now_local} there now).", reply)
                          : say(reply, d, "timezone_unset", now,
                                "No time zone yet. Set yours with `!timezone Area/City`, for "
                                "example `!timezone Europe/Berlin`.", NULL, 0);
    int rc = tzname_validate(buf, canon, sizeof canon);
    if (rc == SB_ENOMEM || rc == SB_EIO)
        return rc;
    if (rc != SB_OK) {
        /* The person's words are echoed only in a zone name's own alphabet. */
        int plain = strlen(buf) <= 64;
        for (const char *p = buf; *p && plain; p++)
            plain = isalnum((unsigned char)*p) || strchr("/_+- ", *p);
        var v[2] = {{"given", plain ? buf : "?"}, {"suggestion", guess}};
        if (tzname_suggest(buf, guess, sizeof guess) == SB_OK)
            return say(reply, d, "timezone_suggest", now,
                       "I don't know a time zone called `{given}`. Did you mean "
                       "`{suggestion}`? Then say `!timezone {suggestion}`.", v, 2);
        return say(reply, d, "timezone_unknown", now,
                   "I don't know a time zone called `{given}`. Zone names look like "
                   "`Europe/Berlin` or `America/New_York`.", v, 1);
    }
    rc = store_setting_set(s, person, "timezone", canon);
    if (rc != SB_OK)
        return rc;
    snprintf(c->zone, sizeof c->zone, "%s", canon);
    if (tz_get(canon, &c->sch.zone) != SB_OK)
        return SB_EIO;
    rc = conf_reschedule(s, person, c, now, NULL);
    return rc == SB_OK ? show(s, d, person, c, now, "timezone_set",
                              "Time zone set: {zone} (it is {now_local} there now).", reply)
                       : rc;
}

static int do_pause(store *s, const sb_dialogs *d, int64_t person, conf *c, const char *arg,
                    int64_t now, sb_buf *reply)
{
    char buf[64];
    trimmed(arg, buf, sizeof buf);
    const char *key = "pause_set", *fallback = "Nudges paused until {until} ({zone}). "
                                               "`!resume` brings them back sooner.";
    if (!buf[0]) {
        c->paused = 1;
        key = "pause_open";
        fallback = "Nudges paused until you say `!resume`.";
    } else {
        int64_t until;
        if (schedule_parse_pause(buf, c->sch.zone, now, &until) != SB_OK)
            return say(reply, d, "pause_bad", now,
                       "For how long? Try `!pause 3d` or `!pause until 2026-12-01`.", NULL, 0);
        c->sch.paused_until = until;
    }
    c->sch.enabled = c->on && !c->paused && c->sch.minute >= 0;
    int rc = conf_save(s, person, c);
    if (rc == SB_OK)
        rc = conf_reschedule(s, person, c, now, NULL);
    if (rc != SB_OK)
        return rc;
    view_vars w;
    size_t n = vars_make(d, c, now, 0, &w);
    return say(reply, d, key, now, fallback, w.v, n);
}

static int do_resume(store *s, const sb_dialogs *d, int64_t person, conf *c, int64_t now,
                     sb_buf *reply)
{
    int was_paused = c->paused || c->sch.paused_until > now;
    c->paused = 0;
    c->sch.paused_until = 0;
    c->sch.enabled = c->on && c->sch.minute >= 0;
    int rc = conf_save(s, person, c);
    if (rc == SB_OK)
        rc = conf_reschedule(s, person, c, now, NULL);
    if (rc != SB_OK)
        return rc;
    if (!c->on)
        return show(s, d, person, c, now, "resume_off",
                    "Nothing to resume: nudges are off. `!nudge HH:MM` turns them on.", reply);
    return show(s, d, person, c, now, was_paused ? "resume" : "resume_not_paused",
                was_paused ? "Nudges are back." : "Nudges weren't paused.", reply);
}

int nudge_action(store *s, const sb_dialogs *d, int64_t person, const char *action,
                 const char *arg, int64_t now, sb_buf *reply)
{
    if (!s || !action || !reply)
        return SB_EINVAL;
    conf c;
    int rc = conf_load(s, person, &c, 1);
    if (rc != SB_OK)
        goto done;
    if (!strcmp(action, "nudge"))
        rc = do_nudge(s, d, person, &c, arg, now, reply);
    else if (!strcmp(action, "timezone"))
        rc = do_timezone(s, d, person, &c, arg, now, reply);
    else if (!strcmp(action, "pause"))
        rc = do_pause(s, d, person, &c, arg, now, reply);
    else if (!strcmp(action, "resume"))
        rc = do_resume(s, d, person, &c, now, reply);
    else
        rc = say(reply, d, "unknown_action", now, "I can't do that yet.", NULL, 0);
done:
    conf_free(&c);
    return rc;
}

int nudge_on_inbound(store *s, int64_t person, int64_t now)
{
    conf c;
    int rc = conf_load(s, person, &c, 0);
    if (rc != SB_OK || c.sch.unanswered == 0)
        goto done;
    conf_free(&c);
    rc = conf_load(s, person, &c, 1);
    if (rc != SB_OK)
        goto done;
    c.sch.unanswered = 0;
    rc = conf_save(s, person, &c);
    if (rc == SB_OK)
        rc = conf_reschedule(s, person, &c, now, NULL);
done:
    conf_free(&c);
    return rc;
}

int nudge_on_crisis(store *s, int64_t person, int64_t now)
{
    conf c;
    int rc = conf_load(s, person, &c, 1);
    if (rc == SB_OK && c.sch.paused_until < now + 86400) {
        c.sch.paused_until = now + 86400;
        rc = conf_save(s, person, &c);
        if (rc == SB_OK)
            rc = conf_reschedule(s, person, &c, now, NULL);
    }
    conf_free(&c);
    return rc;
}

int nudge_next_due(store *s, int64_t *due)
{
    return store_nudge_next(s, due);
}

/* ---------- the wording of a nudge ---------- */

typedef struct exercise_seen {
    int64_t now;
    char id[128];
} exercise_seen;

static int newest_exercise(void *ctx, int64_t when, const char *exercise, const char *event)
{
    exercise_seen *e = ctx;
    if (!strcmp(event, "given") && e->now - when <= CURRENT_EXERCISE_DAYS * 86400)
        snprintf(e->id, sizeof e->id, "%s", exercise);
    return 1; /* only the newest entry counts: "done" means nothing is current */
}

/* The title of entry id in list (an array of objects with "id", or an object by id). */
static const char *title_of(const json_t *list, const char *id)
{
    const json_t *e = json_is_object(list) ? json_object_get(list, id) : NULL;
    for (size_t i = 0; !e && json_is_array(list) && i < json_array_size(list); i++) {
        const json_t *x = json_array_get(list, i);
        if (json_is_string(json_object_get(x, "id")) &&
            !strcmp(json_string_value(json_object_get(x, "id")), id))
            e = x;
    }
    if (json_is_string(e))
        return json_string_value(e);
    const json_t *t = json_object_get(e, "title");
    return json_is_string(t) ? json_string_value(t) : NULL;
}

static const char *entry_text(const json_t *e)
{
    if (json_is_object(e))
        e = json_object_get(e, "text");
    return json_is_string(e) ? json_string_value(e) : NULL;
}

static int recently_used(const json_t *recent, const char *tag)
{
    for (size_t i = 0; i < json_array_size(recent); i++)
        if (json_is_string(json_array_get(recent, i)) &&
            !strcmp(json_string_value(json_array_get(recent, i)), tag))
            return 1;
    return 0;
}

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Picks an index of pool not among the recent ones (when that leaves any), varied by seed. */
static size_t pick_index(const json_t *pool, char letter, const json_t *recent, uint64_t seed)
{
    size_t n = json_array_size(pool), fresh = 0;
    char tag[24];
    for (size_t i = 0; i < n; i++) {
        snprintf(tag, sizeof tag, "%c%zu", letter, i);
        fresh += !recently_used(recent, tag);
    }
    size_t k = (size_t)(mix(seed) % (fresh ? fresh : n));
    for (size_t i = 0; i < n && fresh; i++) {
        snprintf(tag, sizeof tag, "%c%zu", letter, i);
        if (!recently_used(recent, tag) && k-- == 0)
            return i;
    }
    return k;
}

/* Fills text with the nudge for person: a wording about their current exercise or focus
 * topic when they have one, else a general one; plus the back-off notice when this nudge
 * changes the rhythm. Records the wording in c->recent. */
static int compose(store *s, const sb_dialogs *d, int64_t person, conf *c, int64_t due,
                   int backoff_days, sb_buf *text)
{
    const json_t *data = dialogs_data(d, "nudges");
    const json_t *exercises = dialogs_data(d, "exercises");
    exercise_seen ex = {.now = due};
    char *focus = NULL;
    int rc = store_exercise_list(s, person, 1, newest_exercise, &ex);
    if (rc == SB_OK)
        rc = store_setting_get(s, person, "focus", &focus);
    if (rc != SB_OK)
        goto done;
    const char *exercise = ex.id[0] ? title_of(json_object_get(exercises, "exercises"), ex.id) : NULL;
    if (!exercise && ex.id[0])
        exercise = ex.id;
    const char *topic = focus && *focus ? title_of(json_object_get(exercises, "topics"), focus) : NULL;
    if (!topic && focus && *focus)
        topic = focus;
    char letter = 'n';
    const json_t *pool = json_object_get(data, "nudges");
    if (exercise && json_array_size(json_object_get(data, "with_exercise")) > 0) {
        letter = 'e';
        pool = json_object_get(data, "with_exercise");
    } else if (topic && json_array_size(json_object_get(data, "with_focus")) > 0) {
        letter = 'f';
        pool = json_object_get(data, "with_focus");
    }
    char days[16];
    snprintf(days, sizeof days, "%d", backoff_days);
    var v[3] = {{"exercise", exercise ? exercise : ""}, {"topic", topic ? topic : ""},
                {"days", days}};
    const char *wording = NULL;
    if (json_array_size(pool) > 0) {
        size_t i = pick_index(pool, letter, c->recent, (uint64_t)person * 1000003u ^ (uint64_t)due);
        wording = entry_text(json_array_get(pool, i));
        char tag[24];
        snprintf(tag, sizeof tag, "%c%zu", letter, i);
        if (json_array_append_new(c->recent, json_string(tag)) != 0) {
            rc = SB_ENOMEM;
            goto done;
        }
        while (json_array_size(c->recent) > RECENT_KEEP)
            json_array_remove(c->recent, 0);
    }
    rc = fill(text, wording ? wording : view(d, "nudge_fallback", (unsigned)due,
                                                     "A small step for today: how are you, "
                                                     "really? Reply whenever you like."), v, 3);
    const json_t *notice = json_object_get(data, "backoff");
    if (rc == SB_OK && backoff_days > 0 && json_array_size(notice) > 0) {
        /* One notice per rhythm: the first for every 2 days, the last for weekly. */
        size_t i = backoff_days >= 7 ? json_array_size(notice) - 1 : 0;
        const char *t = entry_text(json_array_get(notice, i));
        if (t)
            rc = sb_buf_puts(text, "\n\n");
        if (t && rc == SB_OK)
            rc = fill(text, t, v, 3);
    }
done:
    free(focus);
    return rc;
}

/* ---------- the due pass ---------- */

typedef struct due_list {
    int64_t *person, *due;
    size_t n, cap;
    int failed; /* an allocation failed: the list is incomplete */
} due_list;

static int collect_due(void *ctx, int64_t person, int64_t due)
{
    due_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        int64_t *p = realloc(l->person, cap * sizeof *p);
        if (p)
            l->person = p;
        int64_t *q = p ? realloc(l->due, cap * sizeof *q) : NULL;
        if (!q) {
            l->failed = 1;
            return -1; /* stops the walk */
        }
        l->due = q;
        l->cap = cap;
    }
    l->person[l->n] = person;
    l->due[l->n++] = due;
    return 0;
}

static void due_list_free(due_list *l)
{
    free(l->person);
    free(l->due);
}

/* Sends or skips one person's due nudge and moves their next instant past now. */
static int run_one(store *s, const sb_dialogs *d, int64_t person, int64_t due, int64_t now,
                   nudge_sink_fn sink, void *ctx)
{
    conf c;
    char *adapter = NULL, *platform_id = NULL, *room = NULL;
    sb_buf text = {0};
    int64_t seen = 0;
    int rc = conf_load(s, person, &c, 1);
    if (rc == SB_OK)
        rc = store_person_last_seen(s, person, &seen);
    if (rc == SB_ENOTFOUND) { /* never wrote */
        seen = 0;
        rc = SB_OK;
    }
    if (rc != SB_OK)
        goto done;
    schedule_verdict v = schedule_decide(&c.sch, due, now, seen);
    if (v == SCHEDULE_SEND) {
        rc = store_person_direct_room(s, person, &room);
        if (rc == SB_ENOTFOUND) { /* no direct chat (yet): nothing personal goes elsewhere */
            sb_log("info", "nudge", "person %lld has no direct room; nudge skipped",
                   (long long)person);
            v = SCHEDULE_SKIP_OFF;
            rc = SB_OK;
        } else if (rc == SB_OK) {
            rc = store_person_identity(s, person, &adapter, &platform_id);
        }
        if (rc != SB_OK)
            goto done;
    }
    int backoff = schedule_consume(&c.sch, due, v == SCHEDULE_SEND);
    if (v == SCHEDULE_SEND) {
        int64_t id = 0;
        rc = compose(s, d, person, &c, due, backoff, &text);
        if (rc == SB_OK)
            rc = store_outbox_add(s, adapter, room, text.data ? text.data : "", now, &id);
        if (rc != SB_OK)
            goto done;
        if (sink)
            sink(ctx, id, adapter, room, text.data ? text.data : "");
    }
    rc = conf_save(s, person, &c);
    if (rc == SB_OK)
        rc = conf_reschedule(s, person, &c, now, NULL);
done:
    conf_free(&c);
    free(adapter);
    free(platform_id);
    free(room);
    sb_buf_free(&text);
    return rc;
}

int nudge_run_due(store *s, const sb_dialogs *d, int64_t now, int limit, nudge_sink_fn sink,
                  void *ctx)
{
    if (!s || limit <= 0)
        return SB_EINVAL;
    due_list l = {0};
    int rc = store_nudge_due(s, now, limit, collect_due, &l);
    if (rc == SB_OK && l.failed)
        rc = SB_ENOMEM;
    for (size_t i = 0; i < l.n && rc == SB_OK; i++)
        rc = run_one(s, d, l.person[i], l.due[i], now, sink, ctx);
    if (rc == SB_OK)
        rc = l.n == (size_t)limit ? 1 : 0;
    due_list_free(&l);
    return rc;
}

/* ---------- the operator's preview ---------- */

typedef struct preview_line {
    int64_t when;
    char *who;
} preview_line;

static int line_order(const void *a, const void *b)
{
    const preview_line *x = a, *y = b;
    if (x->when != y->when)
        return x->when < y->when ? -1 : 1;
    return strcmp(x->who, y->who);
}

int nudge_preview(store *s, int64_t from, int64_t to, FILE *out)
{
    due_list l = {0};
    preview_line *lines = NULL;
    size_t nlines = 0, cap = 0;
    int rc = store_nudge_due(s, to - 1, 0x7fffffff, collect_due, &l);
    if (rc == SB_OK && l.failed)
        rc = SB_ENOMEM;
    for (size_t i = 0; i < l.n && rc == SB_OK; i++) {
        conf c;
        char *adapter = NULL, *who = NULL;
        int64_t seen = 0;
        rc = conf_load(s, l.person[i], &c, 1);
        if (rc == SB_OK)
            rc = store_person_identity(s, l.person[i], &adapter, &who);
        if (rc == SB_OK && store_person_last_seen(s, l.person[i], &seen) != SB_OK)
            seen = 0;
        /* Replays what the due pass would do if the core woke at each due instant. */
        for (int64_t t = l.due[i]; rc == SB_OK && t > 0 && t < to;) {
            int sent = schedule_decide(&c.sch, t, t, seen) == SCHEDULE_SEND;
            if (sent && t >= from) {
                if (nlines == cap) {
                    size_t nc = cap ? cap * 2 : 256;
                    preview_line *p = realloc(lines, nc * sizeof *p);
                    if (!p) {
                        rc = SB_ENOMEM;
                        break;
                    }
                    lines = p;
                    cap = nc;
                }
                lines[nlines].who = sb_strdup(who);
                if (!lines[nlines].who) {
                    rc = SB_ENOMEM;
                    break;
                }
                lines[nlines++].when = t;
            }
            schedule_consume(&c.sch, t, sent);
            if (schedule_next(&c.sch, t, &t) != SB_OK)
                t = 0;
        }
        conf_free(&c);
        free(adapter);
        free(who);
    }
    if (rc == SB_OK && lines)
        qsort(lines, nlines, sizeof *lines, line_order);
    for (size_t i = 0; i < nlines; i++) {
        char iso[32];
        clock_format_iso(lines[i].when, iso, sizeof iso);
        if (rc == SB_OK && fprintf(out, "%s %s\n", lines[i].who, iso) < 0)
            rc = SB_EIO;
        free(lines[i].who);
    }
    free(lines);
    due_list_free(&l);
    return rc == SB_OK && fflush(out) != 0 ? SB_EIO : rc;
}
