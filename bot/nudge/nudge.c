/* nudge.c — the nudge settings commands (!nudge, !timezone, !pause, !resume) and the
 * two hooks that change a person's rhythm (they wrote; a crisis). Each command updates
 * the person's settings (nudge_conf.c) and the store's next-due instant, then answers
 * with the settings and the next nudge in the person's own time. The due pass and the
 * preview are nudge_due.c's, the words nudge_text.c's, timing rules schedule.c's. */
#include "nudge.h"

#include "nudge_conf.h"
#include "nudge_text.h"
#include "schedule.h"
#include "tz.h"
#include "tzname.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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
static int show(store *s, const sb_dialogs *d, int64_t person, const nudge_conf *c, int64_t now,
                const char *key, sb_buf *reply)
{
    int64_t next = 0;
    int rc = store_nudge_get(s, person, &next);
    if (rc != SB_OK)
        return rc;
    nudge_answer_vars w;
    nudge_text_answer_vars(d, c, now, next, &w);
    rc = nudge_text_say(reply, d, key, now, w.v, w.n);
    if (rc == SB_OK && c->on && !c->sch.zone)
        rc = nudge_text_say(reply, d, "nudge_need_zone", now,
                            w.v, w.n);
    else if (rc == SB_OK && c->paused)
        rc = nudge_text_say(reply, d, "nudge_paused_open", now, w.v, w.n);
    else if (rc == SB_OK && c->on && c->sch.paused_until > now)
        rc = nudge_text_say(reply, d, "nudge_paused", now, w.v,
                            w.n);
    if (rc == SB_OK && next > 0)
        rc = nudge_text_say(reply, d, "nudge_next", now, w.v, w.n);
    return rc;
}

static int do_nudge(store *s, const sb_dialogs *d, int64_t person, nudge_conf *c, const char *arg,
                    int64_t now, sb_buf *reply)
{
    char buf[64];
    trimmed(arg, buf, sizeof buf);
    int minute, rc = SB_OK;
    if (!buf[0])
        return c->on ? show(s, d, person, c, now, "nudge_show", reply)
                     : show(s, d, person, c, now, "nudge_show_off", reply);
    const char *key;
    if (!strcasecmp(buf, "off") || !strcasecmp(buf, "stop")) {
        c->on = 0;
        key = "nudge_off";
    } else if (!strcasecmp(buf, "daily") || !strcasecmp(buf, "weekdays") ||
               !strcasecmp(buf, "weekday")) {
        c->sch.weekdays = tolower((unsigned char)buf[0]) == 'w';
        key = "nudge_days";
    } else if (!strcasecmp(buf, "on") && c->sch.minute >= 0) {
        c->on = 1;
        key = "nudge_on";
    } else if (schedule_parse_time(buf, &minute) == SB_OK) {
        c->on = 1;
        c->sch.minute = minute;
        key = schedule_is_quiet(minute) ? "nudge_on_quiet" : "nudge_on";
    } else {
        return nudge_text_say(reply, d, "nudge_bad_time", now, NULL, 0);
    }
    nudge_conf_refresh(c);
    rc = nudge_conf_save(s, person, c);
    if (rc == SB_OK)
        rc = nudge_conf_reschedule(s, person, c, now, NULL);
    return rc == SB_OK ? show(s, d, person, c, now, key, reply) : rc;
}

static int do_timezone(store *s, const sb_dialogs *d, int64_t person, nudge_conf *c,
                       const char *arg, int64_t now, sb_buf *reply)
{
    char buf[128], canon[128], guess[128];
    trimmed(arg, buf, sizeof buf);
    if (!buf[0])
        return c->zone[0]
                   ? show(s, d, person, c, now, "timezone_show", reply)
                   : nudge_text_say(reply, d, "timezone_unset", now,
                                    NULL, 0);
    int rc = tzname_validate(buf, canon, sizeof canon);
    if (rc == SB_ENOMEM || rc == SB_EIO)
        return rc;
    if (rc != SB_OK) {
        /* The person's words are echoed only in a zone name's own alphabet. */
        int plain = strlen(buf) <= 64;
        for (const char *p = buf; *p && plain; p++)
            plain = isalnum((unsigned char)*p) || strchr("/_+- ", *p);
        nudge_var v[2] = {{"given", plain ? buf : "?"}, {"suggestion", guess}};
        if (tzname_suggest(buf, guess, sizeof guess) == SB_OK)
            return nudge_text_say(reply, d, "timezone_suggest", now,
                                  v, 2);
        return nudge_text_say(reply, d, "timezone_unknown", now,
                              v, 1);
    }
    rc = store_setting_set(s, person, "timezone", canon);
    if (rc != SB_OK)
        return rc;
    snprintf(c->zone, sizeof c->zone, "%s", canon);
    if (tz_get(canon, &c->sch.zone) != SB_OK)
        return SB_EIO;
    rc = nudge_conf_reschedule(s, person, c, now, NULL);
    return rc == SB_OK ? show(s, d, person, c, now, "timezone_set", reply)
                       : rc;
}

static int do_pause(store *s, const sb_dialogs *d, int64_t person, nudge_conf *c, const char *arg,
                    int64_t now, sb_buf *reply)
{
    char buf[64];
    trimmed(arg, buf, sizeof buf);
    if (!c->on) /* nothing to pause; a pause kept for later would surprise them then */
        return show(s, d, person, c, now, "nudge_show_off", reply);
    const char *key = "pause_set";
    if (!buf[0]) {
        c->paused = 1;
        key = "pause_open";
    } else {
        int64_t until;
        if (schedule_parse_pause(buf, c->sch.zone, now, &until) != SB_OK) {
            nudge_answer_vars w;
            nudge_text_answer_vars(d, c, now, 0, &w);
            return nudge_text_say(reply, d, "pause_bad", now,
                                  w.v, w.n);
        }
        c->sch.paused_until = until;
    }
    nudge_conf_refresh(c);
    int rc = nudge_conf_save(s, person, c);
    if (rc == SB_OK)
        rc = nudge_conf_reschedule(s, person, c, now, NULL);
    if (rc != SB_OK)
        return rc;
    nudge_answer_vars w;
    nudge_text_answer_vars(d, c, now, 0, &w);
    return nudge_text_say(reply, d, key, now, w.v, w.n);
}

static int do_resume(store *s, const sb_dialogs *d, int64_t person, nudge_conf *c, int64_t now,
                     sb_buf *reply)
{
    int was_paused = c->paused || c->sch.paused_until > now;
    c->paused = 0;
    c->sch.paused_until = 0;
    nudge_conf_refresh(c);
    int rc = nudge_conf_save(s, person, c);
    if (rc == SB_OK)
        rc = nudge_conf_reschedule(s, person, c, now, NULL);
    if (rc != SB_OK)
        return rc;
    if (!c->on)
        return show(s, d, person, c, now, "resume_off", reply);
    return show(s, d, person, c, now, was_paused ? "resume" : "resume_not_paused", reply);
}

int nudge_action(store *s, const sb_dialogs *d, int64_t person, const char *action, const char *arg,
                 int64_t now, sb_buf *reply)
{
    if (!s || !action || !reply)
        return SB_EINVAL;
    nudge_conf c;
    int rc = nudge_conf_load(s, person, &c, 1);
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
        rc = nudge_text_say(reply, d, "unknown_action", now, NULL, 0);
done:
    nudge_conf_free(&c);
    return rc;
}

int nudge_on_inbound(store *s, int64_t person, int64_t now)
{
    nudge_conf c;
    int rc = nudge_conf_load(s, person, &c, 0);
    if (rc != SB_OK || c.sch.unanswered == 0)
        goto done;
    nudge_conf_free(&c);
    rc = nudge_conf_load(s, person, &c, 1);
    if (rc != SB_OK)
        goto done;
    c.sch.unanswered = 0;
    rc = nudge_conf_save(s, person, &c);
    if (rc == SB_OK)
        rc = nudge_conf_reschedule(s, person, &c, now, NULL);
done:
    nudge_conf_free(&c);
    return rc;
}

int nudge_inbound_pending(const char *setting)
{
    if (!setting)
        return 0;
    json_t *o = json_loads(setting, 0, NULL);
    const json_t *u = json_object_get(o, "unanswered");
    int pending = !json_is_object(o) ? 0 : json_is_integer(u) && (int)json_integer_value(u) != 0;
    json_decref(o);
    return pending;
}

int nudge_on_crisis(store *s, int64_t person, int64_t now)
{
    nudge_conf c;
    int rc = nudge_conf_load(s, person, &c, 1);
    if (rc == SB_OK) {
        if (c.sch.paused_until < now + 86400)
            c.sch.paused_until = now + 86400;
        c.crisis = now;
        rc = nudge_conf_save(s, person, &c);
        if (rc == SB_OK)
            rc = nudge_conf_reschedule(s, person, &c, now, NULL);
    }
    nudge_conf_free(&c);
    return rc;
}

int nudge_on_checked(store *s, int64_t person)
{
    nudge_conf c;
    int rc = nudge_conf_load(s, person, &c, 0);
    if (rc == SB_OK && c.crisis > 0) {
        c.crisis = 0;
        rc = nudge_conf_save(s, person, &c);
    }
    nudge_conf_free(&c);
    return rc;
}
