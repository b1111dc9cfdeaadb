/* clock.c — the real and the fake clock, and ISO-8601 UTC parsing/formatting.
 * Zone arithmetic lives in tz.c; this file only knows UTC. */
#include "clock.h"
#include "sb.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t clock_now(const sb_clock *c)
{
    if (c && c->fake)
        return c->fake_now;
    return (int64_t)time(NULL);
}

int clock_refresh(sb_clock *c)
{
    if (!c->fake || !c->file)
        return 0;
    FILE *f = fopen(c->file, "r");
    if (!f)
        return 0;
    char buf[64] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    int64_t t;
    if (clock_parse_iso(buf, &t) != SB_OK || t == c->fake_now)
        return 0;
    c->fake_now = t;
    return 1;
}

void clock_set(sb_clock *c, int64_t now)
{
    if (c->fake)
        c->fake_now = now;
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
