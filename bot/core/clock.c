/* clock.c — the real and the fake clock, the core's wait on them, and ISO-8601 UTC
 * parsing/formatting. A fake clock moves only at catch-up, on the core thread, walking
 * through the dues on its way; what asked it to move (the console's line, a file) is
 * not the core's business. Zone arithmetic lives in tz.c; this file only knows UTC. */
#include "clock.h"
#include "sb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_LOOK_MS 100L   /* a file-driven fake clock reads its file ten times a second */
#define WALK_MAX_DUES 100000 /* a walk stops after this many dues, whatever the store says */

struct sb_clock {
    int fake;            /* 1: the fake clock */
    int64_t now;         /* fake: UTC seconds; written on the core thread only */
    char *file;          /* fake: read for the time at each catch-up; owned, may be NULL */
    pthread_mutex_t mu;  /* guards the request below (clock_ask runs on adapter threads) */
    int asked;           /* 1: a move was asked since the last catch-up */
    int asked_absolute;  /* 1: to asked_at (then ahead); 0: ahead of where the clock stands */
    int64_t asked_at;
    int64_t ahead;       /* seconds */
};

static sb_clock *clock_alloc(int fake)
{
    sb_clock *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fake = fake;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

sb_clock *clock_new_real(void)
{
    return clock_alloc(0);
}

/* The time a clock file holds (its first line, ISO). SB_EINVAL when it cannot be read or
 * holds no time. */
static int read_clock_file(const char *path, int64_t *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return SB_EINVAL;
    char buf[64] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    return clock_parse_iso(buf, out);
}

int clock_new_fake(const char *spec, sb_clock **out)
{
    *out = NULL;
    int64_t t;
    int rc = spec && spec[0] == '@' ? read_clock_file(spec + 1, &t) : clock_parse_iso(spec, &t);
    if (rc != SB_OK)
        return rc;
    sb_clock *c = clock_alloc(1);
    if (!c)
        return SB_ENOMEM;
    c->now = t;
    if (spec[0] == '@' && !(c->file = sb_strdup(spec + 1))) {
        clock_free(c);
        return SB_ENOMEM;
    }
    *out = c;
    return SB_OK;
}

void clock_free(sb_clock *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->mu);
    free(c->file);
    free(c);
}

int clock_is_fake(const sb_clock *c)
{
    return c->fake;
}

int64_t clock_now(const sb_clock *c)
{
    if (c && c->fake)
        return c->now;
    return (int64_t)time(NULL);
}

int clock_next_wake(const sb_clock *c, const clock_dues *d, struct timespec *at)
{
    if (c->fake) {
        if (!c->file)
            return 0;
        clock_gettime(CLOCK_REALTIME, at);
        at->tv_nsec += FILE_LOOK_MS * 1000000L;
        if (at->tv_nsec >= 1000000000L) {
            at->tv_sec++;
            at->tv_nsec -= 1000000000L;
        }
        return 1;
    }
    int64_t due = 0;
    if (d->next(d->ctx, &due) != SB_OK || due <= 0)
        return 0;
    if (due < d->not_before)
        due = d->not_before;
    at->tv_sec = (time_t)due;
    at->tv_nsec = 0;
    return 1;
}

void clock_woke(sb_clock *c, const clock_dues *d)
{
    if (c->fake)
        clock_catch_up(c, d);
    else
        d->run(d->ctx);
}

/* Moves the fake clock to target, standing at each due instant on the way while its due
 * work runs. */
static void walk_to(sb_clock *c, int64_t target, const clock_dues *d)
{
    int64_t last = -1;
    for (int guard = 0; guard < WALK_MAX_DUES; guard++) {
        int64_t due = 0;
        if (d->next(d->ctx, &due) != SB_OK || due <= 0 || due > target || due == last)
            break;
        last = due;
        if (due > c->now)
            c->now = due;
        d->run(d->ctx);
    }
    c->now = target;
}

int clock_catch_up(sb_clock *c, const clock_dues *d)
{
    if (!c->fake)
        return 0;
    int64_t start = c->now;
    pthread_mutex_lock(&c->mu);
    int asked = c->asked, absolute = c->asked_absolute;
    int64_t at = c->asked_at, ahead = c->ahead;
    c->asked = c->asked_absolute = 0;
    c->asked_at = c->ahead = 0;
    pthread_mutex_unlock(&c->mu);
    if (asked)
        walk_to(c, (absolute ? at : c->now) + ahead, d);
    int64_t t;
    if (c->file && read_clock_file(c->file, &t) == SB_OK && t != c->now) {
        if (t > c->now)
            walk_to(c, t, d);
        else
            c->now = t;
    }
    return c->now != start;
}

int clock_ask(sb_clock *c, const char *text)
{
    if (!c->fake || !text)
        return SB_EINVAL;
    size_t len = strlen(text);
    char unit = len ? text[len - 1] : 0;
    long mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
    int64_t at = 0, ahead = 0;
    int relative = text[0] == '+' && mult && len > 2;
    if (relative) {
        char num[32];
        size_t nl = len - 2 < sizeof num - 1 ? len - 2 : sizeof num - 1;
        memcpy(num, text + 1, nl);
        num[nl] = '\0';
        long n;
        if (sb_parse_long(num, 0, 100000000L, &n) != SB_OK)
            return SB_EINVAL;
        ahead = (int64_t)n * mult;
    } else if (clock_parse_iso(text, &at) != SB_OK) {
        return SB_EINVAL;
    }
    pthread_mutex_lock(&c->mu);
    if (!relative) { /* an instant: where to go, whatever was asked before */
        c->asked_absolute = 1;
        c->asked_at = at;
        c->ahead = 0;
    } else {
        c->ahead += ahead;
    }
    c->asked = 1;
    pthread_mutex_unlock(&c->mu);
    return SB_OK;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int clock_parse_iso(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0;
    size_t n = s ? strlen(s) : 0;
    if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d))
        return SB_EINVAL;
    const char *p = s + 10;
    if (*p == 'T' || *p == ' ') {
        if (strlen(p) < 6 || digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi))
            return SB_EINVAL;
        p += 6;
        if (*p == ':') {
            if (digits(p + 1, 2, &sec))
                return SB_EINVAL;
            p += 3;
        }
        if (*p == 'Z')
            p++;
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return SB_EINVAL;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (tm.tm_mday != d) /* 2026-02-31 normalised into March */
        return SB_EINVAL;
    *out = (int64_t)t;
    return SB_OK;
}

void clock_format_iso(int64_t t, char *buf, unsigned long size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
