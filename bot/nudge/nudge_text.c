/* nudge_text.c — the nudge module's words. The settings answers come from views.json by
 * key, filled with the answer variables; the daily
 * nudge comes from nudges.json: a wording about the person's current exercise or focus
 * when there is one, never one of the last few used, plus a notice when back-off
 * changes the rhythm. Which exercise is current, and storing anything, is the caller's. */
#include "nudge_text.h"

#include "text.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECENT_KEEP 3 /* wordings not repeated */

typedef struct fill_ctx {
    const nudge_var *vars;
    size_t n;
} fill_ctx;

static const char *fill_lookup(void *ctx, const char *name, size_t len)
{
    const fill_ctx *f = ctx;
    for (size_t i = 0; i < f->n; i++)
        if (strlen(f->vars[i].name) == len && !strncmp(f->vars[i].name, name, len))
            return f->vars[i].value;
    return NULL;
}

/* Appends tmpl with {name} replaced by the value of vars; unknown names stay as written. */
int nudge_text_fill(sb_buf *out, const char *tmpl, const nudge_var *vars, size_t n)
{
    fill_ctx f = {vars, n};
    return text_substitute_to(out, tmpl, fill_lookup, &f, 1);
}

int nudge_text_say(sb_buf *reply, const sb_dialogs *d, const char *key, int64_t now,
                   const nudge_var *vars, size_t n)
{
    int rc = reply->len ? sb_buf_puts(reply, "\n\n") : SB_OK;
    return rc == SB_OK
               ? nudge_text_fill(reply, dialogs_view(d, key, (unsigned)now), vars, n)
               : rc;
}

static void format_local(const tz_zone *z, int64_t t, char *buf, size_t size)
{
    tz_local l;
    tz_to_local(z, t, &l);
    snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", l.year, l.month, l.day, l.hour, l.minute);
}

void nudge_text_answer_vars(const sb_dialogs *d, const nudge_conf *c, int64_t now, int64_t next,
                            nudge_answer_vars *w)
{
    const tz_zone *utc = NULL, *z = c->sch.zone;
    tz_get("UTC", &utc);
    if (!z)
        z = utc;
    nudge_conf_format_time(c->sch.minute, w->time, sizeof w->time);
    w->next_local[0] = w->next_utc[0] = w->until[0] = w->now_local[0] = '\0';
    if (z && next > 0)
        format_local(z, next, w->next_local, sizeof w->next_local);
    if (utc && next > 0)
        format_local(utc, next, w->next_utc, sizeof w->next_utc);
    if (z && c->sch.paused_until > 0)
        format_local(z, c->sch.paused_until, w->until, sizeof w->until);
    if (z)
        format_local(z, now, w->now_local, sizeof w->now_local);
    w->example_date[0] = '\0';
    if (z) {
        tz_local ahead; /* the first of the month 45 days on: 15 to 45 days from now */
        tz_to_local(z, now + 45 * 86400, &ahead);
        snprintf(w->example_date, sizeof w->example_date, "%04d-%02d-01", ahead.year,
                 ahead.month);
    }
    const char *days = c->sch.weekdays ? dialogs_view(d, "nudge_days_weekdays", 0)
                                       : dialogs_view(d, "nudge_days_daily", 0);
    const nudge_var v[8] = {{"time", w->time},
                            {"zone", c->zone[0] ? c->zone : "UTC"},
                            {"days", days},
                            {"next_local", w->next_local},
                            {"next_utc", w->next_utc},
                            {"until", w->until},
                            {"now_local", w->now_local},
                            {"example_date", w->example_date}};
    memcpy(w->v, v, sizeof v);
    w->n = 8;
}

/* ---------- the daily nudge ---------- */

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

int nudge_text_compose(const sb_dialogs *d, int after_crisis, const char *exercise_id,
                       const char *focus, int64_t person, int64_t due, int backoff_days,
                       json_t *recent, sb_buf *text)
{
    const json_t *data = dialogs_data(d, "nudges");
    const json_t *exercises = dialogs_data(d, "exercises");
    const char *exercise = exercise_id && *exercise_id
                               ? title_of(json_object_get(exercises, "exercises"), exercise_id)
                               : NULL;
    if (!exercise && exercise_id && *exercise_id)
        exercise = exercise_id;
    const char *topic =
        focus && *focus ? title_of(json_object_get(exercises, "topics"), focus) : NULL;
    if (!topic && focus && *focus)
        topic = focus;
    char letter = 'n';
    const json_t *pool = json_object_get(data, "nudges");
    if (after_crisis && json_array_size(json_object_get(data, "after_crisis")) > 0) {
        letter = 'c'; /* how the person is matters more than any exercise the day after */
        pool = json_object_get(data, "after_crisis");
    } else if (exercise && json_array_size(json_object_get(data, "with_exercise")) > 0) {
        letter = 'e';
        pool = json_object_get(data, "with_exercise");
    } else if (topic && json_array_size(json_object_get(data, "with_focus")) > 0) {
        letter = 'f';
        pool = json_object_get(data, "with_focus");
    }
    char days[16];
    snprintf(days, sizeof days, "%d", backoff_days);
    const nudge_var v[3] = {
        {"exercise", exercise ? exercise : ""}, {"topic", topic ? topic : ""}, {"days", days}};
    const char *wording = NULL;
    if (json_array_size(pool) > 0) {
        size_t i = pick_index(pool, letter, recent, (uint64_t)person * 1000003u ^ (uint64_t)due);
        wording = entry_text(json_array_get(pool, i));
        char tag[24];
        snprintf(tag, sizeof tag, "%c%zu", letter, i);
        if (json_array_append_new(recent, json_string(tag)) != 0)
            return SB_ENOMEM;
        while (json_array_size(recent) > RECENT_KEEP)
            json_array_remove(recent, 0);
    }
    int rc = nudge_text_fill(text,
                             wording ? wording
                                     : dialogs_view(d, "nudge_fallback", (unsigned)due),
                             v, 3);
    const json_t *notice = json_object_get(data, "backoff");
    if (rc == SB_OK && backoff_days > 0 && json_array_size(notice) > 0) {
        /* One notice per rhythm: the first for every 2 days, the last for weekly. */
        size_t i = backoff_days >= 7 ? json_array_size(notice) - 1 : 0;
        const char *t = entry_text(json_array_get(notice, i));
        if (t)
            rc = sb_buf_puts(text, "\n\n");
        if (t && rc == SB_OK)
            rc = nudge_text_fill(text, t, v, 3);
    }
    return rc;
}
