/* nudge_due.c — the due-nudge pass and the operator's preview. The core calls
 * nudge_run_due with its "now": each person due in the store's index is sent a nudge
 * (an outbox row, in the caller's transaction) or skipped by schedule.c's rules, and their
 * next instant moves on. nudge_preview replays the same rules over a window without
 * writing. The settings commands are nudge.c's, the wording nudge_text.c's. */
#include "nudge.h"

#include "log.h"
#include "clock.h"
#include "metrics.h"
#include "nudge_conf.h"
#include "nudge_text.h"
#include "schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURRENT_EXERCISE_DAYS 14 /* an exercise given this recently and not done is current */

/* The person's current exercise: the newest log entry, when it is a recent "given". */
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

/* The people due up to an instant, as the store's index gives them (earliest first). */
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

/* Appends the nudge due for person to text: about the exercise they were given in the
 * last CURRENT_EXERCISE_DAYS and have not done, or their focus topic, when there is one. */
static int compose(store *s, const sb_dialogs *d, int64_t person, nudge_conf *c, int64_t due,
                   int backoff_days, sb_buf *text)
{
    exercise_seen ex = {.now = due};
    char *focus = NULL;
    int rc = store_exercise_list(s, person, 1, newest_exercise, &ex);
    if (rc == SB_OK)
        rc = store_setting_get(s, person, "focus", &focus);
    if (rc == SB_OK)
        rc = nudge_text_compose(d, c->crisis > 0, ex.id[0] ? ex.id : NULL, focus, person, due,
                                backoff_days, c->recent, text);
    c->crisis = 0; /* asked once; the engine checks again when the person comes back */
    free(focus);
    return rc;
}

/* Why a nudge was not sent, for the log (indexed by schedule_verdict). */
static const char *skip_reason(schedule_verdict v)
{
    switch (v) {
    case SCHEDULE_SEND:
        return "none";
    case SCHEDULE_SKIP_OFF:
        return "off";
    case SCHEDULE_SKIP_PAUSED:
        return "paused";
    case SCHEDULE_SKIP_LATE:
        return "late";
    case SCHEDULE_SKIP_RECENT:
        return "wrote-recently";
    case SCHEDULE_SKIP_QUIET:
        return "quiet-hours";
    }
    return "unknown";
}

/* Sends or skips one person's due nudge and moves their next instant past now. */
static int run_one(store *s, const sb_dialogs *d, int64_t person, int64_t due, int64_t now,
                   nudge_sink_fn sink, void *ctx)
{
    nudge_conf c;
    char *adapter = NULL, *platform_id = NULL, *room = NULL;
    sb_buf text = {0};
    int64_t seen = 0;
    int rc = nudge_conf_load(s, person, &c, 1);
    if (rc == SB_OK)
        rc = store_person_last_seen(s, person, &seen);
    if (rc == SB_ENOTFOUND) { /* never wrote */
        seen = 0;
        rc = SB_OK;
    }
    if (rc != SB_OK)
        goto done;
    schedule_verdict v = schedule_decide(&c.sch, due, now, seen);
    const char *why = NULL; /* a reason to skip that the schedule does not know */
    if (v == SCHEDULE_SEND) {
        rc = store_person_direct_room(s, person, &room);
        if (rc == SB_ENOTFOUND) { /* no direct chat (yet): nothing personal goes elsewhere */
            why = "no-direct-room";
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
        sb_log("info", "nudge", "nudge sent person=#%lld adapter=%s outbox=%lld backoff_days=%d",
               (long long)person, adapter, (long long)id, backoff);
        metrics_add(METRIC_NUDGES_SENT, adapter, 1);
    } else {
        metrics_add(METRIC_NUDGES_SKIPPED, why ? why : skip_reason(v), 1);
        sb_log("info", "nudge", "nudge skipped person=#%lld reason=%s", (long long)person,
               why ? why : skip_reason(v));
    }
    rc = nudge_conf_save(s, person, &c);
    if (rc == SB_OK)
        rc = nudge_conf_reschedule(s, person, &c, now, NULL);
done:
    nudge_conf_free(&c);
    free(adapter);
    free(platform_id);
    free(room);
    sb_buf_free(&text);
    return rc;
}

int nudge_run_due(store *s, const sb_dialogs *d, int64_t now, int limit, int *more,
                  nudge_sink_fn sink, void *ctx)
{
    *more = 0;
    if (!s || limit <= 0)
        return SB_EINVAL;
    due_list l = {0};
    int rc = store_nudge_due(s, now, limit, collect_due, &l);
    if (rc == SB_OK && l.failed)
        rc = SB_ENOMEM;
    for (size_t i = 0; i < l.n && rc == SB_OK; i++)
        rc = run_one(s, d, l.person[i], l.due[i], now, sink, ctx);
    if (rc == SB_OK)
        *more = l.n == (size_t)limit;
    due_list_free(&l);
    return rc;
}

int nudge_next_due(store *s, int64_t *due)
{
    return store_nudge_next(s, due);
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
        nudge_conf c;
        char *adapter = NULL, *who = NULL;
        int64_t seen = 0;
        rc = nudge_conf_load(s, l.person[i], &c, 1);
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
        nudge_conf_free(&c);
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
