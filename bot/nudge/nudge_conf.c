/* nudge_conf.c — a person's nudge settings between the store and the nudge files: the
 * "nudge" JSON setting and the "timezone" name read into a nudge_conf (the zone looked up
 * in the tz cache), written back, and the store's next-due instant recomputed from them
 * by schedule.c's rules. What the settings mean to the person is nudge.c's. */
#include "nudge_conf.h"

#include "sb.h"
#include "sb_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nudge_conf_format_time(int minute, char *buf, size_t size)
{
    if (minute < 0 || minute >= 1440)
        snprintf(buf, size, "%s", "");
    else
        snprintf(buf, size, "%02d:%02d", minute / 60 % 24, minute % 60);
}

void nudge_conf_free(nudge_conf *c)
{
    json_decref(c->recent);
    c->recent = NULL;
}

int nudge_conf_load(store *s, int64_t person, nudge_conf *c, int with_zone)
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
        c->sch.paused_until = sb_json_int(o, "paused_until", 0);
        c->sch.unanswered = (int)sb_json_int(o, "unanswered", 0);
        c->sch.last = sb_json_int(o, "last", 0);
        c->crisis = sb_json_int(o, "crisis", 0);
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
    nudge_conf_refresh(c);
done:
    free(text);
    free(zone);
    return rc;
}

int nudge_conf_save(store *s, int64_t person, const nudge_conf *c)
{
    char hhmm[16];
    nudge_conf_format_time(c->sch.minute, hhmm, sizeof hhmm);
    json_t *o = json_pack("{s:b, s:b, s:s, s:s, s:I, s:i, s:I, s:O}", "on", c->on, "paused",
                          c->paused, "time", hhmm, "days", c->sch.weekdays ? "weekdays" : "daily",
                          "paused_until", (json_int_t)c->sch.paused_until, "unanswered",
                          c->sch.unanswered, "last", (json_int_t)c->sch.last, "recent", c->recent);
    if (o && c->crisis > 0 && json_object_set_new(o, "crisis", json_integer(c->crisis)) != 0) {
        json_decref(o);
        o = NULL;
    }
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    int rc = text ? store_setting_set(s, person, "nudge", text) : SB_ENOMEM;
    free(text);
    return rc;
}

int nudge_conf_reschedule(store *s, int64_t person, const nudge_conf *c, int64_t now, int64_t *next)
{
    int64_t t = 0;
    if (schedule_next(&c->sch, now, &t) != SB_OK)
        t = 0;
    if (next)
        *next = t;
    return store_nudge_set(s, person, t);
}

void nudge_conf_refresh(nudge_conf *c)
{
    c->sch.enabled = c->on && !c->paused && c->sch.minute >= 0;
}
