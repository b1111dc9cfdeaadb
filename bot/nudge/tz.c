/* tz.c — IANA zone math without the process-global TZ (no setenv/tzset/localtime).
 * Reads TZif files (RFC 8536): the 64-bit v2+ section when present, and its POSIX-TZ
 * footer for instants past the last transition (Debian may ship "slim" files that end
 * their table early); loads and caches zones by name. Which names exist, and the close
 * one to suggest for a wrong name, is tzname.c's; scheduling policy is schedule.c's. */
#include "tz.h"

#include "sb.h"

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TZ_MAX_FILE (1u << 20)

typedef struct tz_rule_date {
    char kind;     /* 'J' (1..365, no Feb 29), 'D' (0..365), 'M' (month.week.weekday) */
    int a, b, c;   /* J/D: day in a; M: month a, week b (5 = last), weekday c */
    int32_t time;  /* seconds after local midnight, may be negative or past 24 h */
} tz_rule_date;

typedef struct tz_rule {
    int32_t std_off, dst_off; /* seconds east of UTC */
    int has_dst;
    tz_rule_date start, end;
} tz_rule;

typedef struct tz_type {
    int32_t utoff;
    uint8_t isdst;
} tz_type;

struct tz_zone {
    char *name;
    int64_t *times;   /* transition instants, ascending */
    uint8_t *index;   /* type after each transition */
    size_t ntimes;
    tz_type *types;
    size_t ntypes;
    int has_rule;     /* the footer held a usable rule */
    tz_rule rule;
};

/* ---------- civil calendar (H. Hinnant's algorithms) ---------- */

int64_t tz_days_from_civil(int year, int month, int day)
{
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tz_civil_from_days(int64_t days, int *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = m;
    *day = d;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---------- POSIX TZ footer ---------- */

static const char *parse_abbr(const char *p)
{
    if (*p == '<') {
        const char *q = strchr(p, '>');
        return q && q - p >= 2 ? q + 1 : NULL;
    }
    const char *q = p;
    while (isalpha((unsigned char)*q))
        q++;
    return q - p >= 3 ? q : NULL;
}

/* [+-]hh[:mm[:ss]] with hours up to max_hours; *secs keeps the written sign. */
static const char *parse_hms(const char *p, int max_hours, int32_t *secs)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    long part[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (!isdigit((unsigned char)*p))
            return NULL;
        long v = 0;
        int n = 0;
        while (isdigit((unsigned char)*p) && n < 3) {
            v = v * 10 + (*p++ - '0');
            n++;
        }
        part[i] = v;
        if (*p != ':' || i == 2)
            break;
        p++;
    }
    if (part[0] > max_hours || part[1] > 59 || part[2] > 59)
        return NULL;
    *secs = (int32_t)(sign * (part[0] * 3600 + part[1] * 60 + part[2]));
    return p;
}

static const char *parse_num(const char *p, int lo, int hi, int *out)
{
    if (!isdigit((unsigned char)*p))
        return NULL;
    long v = 0;
    for (int n = 0; isdigit((unsigned char)*p) && n < 4; n++)
        v = v * 10 + (*p++ - '0');
    if (v < lo || v > hi)
        return NULL;
    *out = (int)v;
    return p;
}

static const char *parse_rule_date(const char *p, tz_rule_date *d)
{
    d->time = 7200;
    d->b = d->c = 0;
    if (*p == 'J') {
        d->kind = 'J';
        p = parse_num(p + 1, 1, 365, &d->a);
    } else if (*p == 'M') {
        d->kind = 'M';
        p = parse_num(p + 1, 1, 12, &d->a);
        if (p && *p == '.')
            p = parse_num(p + 1, 1, 5, &d->b);
        else
            p = NULL;
        if (p && *p == '.')
            p = parse_num(p + 1, 0, 6, &d->c);
        else
            p = NULL;
    } else {
        d->kind = 'D';
        p = parse_num(p, 0, 365, &d->a);
    }
    if (p && *p == '/')
        p = parse_hms(p + 1, 167, &d->time);
    return p;
}

/* Parses a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3". Returns 0 or -1. */
static int parse_rule(const char *s, tz_rule *r)
{
    memset(r, 0, sizeof *r);
    int32_t off;
    const char *p = parse_abbr(s);
    p = p ? parse_hms(p, 24, &off) : NULL;
    if (!p)
        return -1;
    r->std_off = -off;
    if (*p == '\0')
        return 0;
    p = parse_abbr(p);
    if (!p)
        return -1;
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        p = parse_hms(p, 24, &off);
        if (!p)
            return -1;
        r->dst_off = -off;
    }
    if (*p == '\0') { /* POSIX leaves the default open; use the US rules like glibc */
        r->start = (tz_rule_date){'M', 3, 2, 0, 7200};
        r->end = (tz_rule_date){'M', 11, 1, 0, 7200};
        return 0;
    }
    p = *p == ',' ? parse_rule_date(p + 1, &r->start) : NULL;
    p = p && *p == ',' ? parse_rule_date(p + 1, &r->end) : NULL;
    return p && *p == '\0' ? 0 : -1;
}

/* Day of the year (0-based) on which date d falls in year y. */
static int rule_yday(const tz_rule_date *d, int y)
{
    if (d->kind == 'J')
        return d->a - 1 + (is_leap(y) && d->a >= 60);
    if (d->kind == 'D')
        return d->a;
    int64_t first = tz_days_from_civil(y, d->a, 1);
    int wday_first = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    int day = 1 + (d->c - wday_first + 7) % 7 + (d->b - 1) * 7;
    while (day > month_days(y, d->a))
        day -= 7;
    return (int)(tz_days_from_civil(y, d->a, day) - tz_days_from_civil(y, 1, 1));
}

static int64_t rule_instant(const tz_rule_date *d, int y, int32_t off_before)
{
    int64_t local = (tz_days_from_civil(y, 1, 1) + rule_yday(d, y)) * 86400 + d->time;
    return local - off_before;
}

static int32_t rule_offset(const tz_rule *r, int64_t t, int *isdst)
{
    *isdst = 0;
    if (!r->has_dst)
        return r->std_off;
    int y, m, d;
    tz_civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
    int64_t best = INT64_MIN;
    int best_dst = 0;
    for (int yy = y - 1; yy <= y + 1; yy++) {
        int64_t end = rule_instant(&r->end, yy, r->dst_off);
        int64_t start = rule_instant(&r->start, yy, r->std_off);
        if (end <= t && end > best) {
            best = end;
            best_dst = 0;
        }
        if (start <= t && start >= best) { /* ties go to DST: all-year DST rules */
            best = start;
            best_dst = 1;
        }
    }
    *isdst = best_dst;
    return best_dst ? r->dst_off : r->std_off;
}

/* ---------- TZif ---------- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

typedef struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
} tzif_counts;

static int read_header(const unsigned char *b, size_t len, tzif_counts *c, int *version)
{
    if (len < 44 || memcmp(b, "TZif", 4) != 0)
        return -1;
    *version = b[4] ? b[4] - '0' : 1;
    c->isut = be32(b + 20);
    c->isstd = be32(b + 24);
    c->leap = be32(b + 28);
    c->time = be32(b + 32);
    c->type = be32(b + 36);
    c->chars = be32(b + 40);
    if (c->type == 0 || c->type > 256 || c->time > 100000 || c->chars > 4096 ||
        c->leap > 10000 || (c->isut && c->isut != c->type) || (c->isstd && c->isstd != c->type))
        return -1;
    return 0;
}

static size_t block_size(const tzif_counts *c, size_t tsize)
{
    return (size_t)c->time * tsize + c->time + (size_t)c->type * 6 + c->chars +
           (size_t)c->leap * (tsize + 4) + c->isstd + c->isut;
}

void tz_free(tz_zone *z)
{
    if (!z)
        return;
    free(z->name);
    free(z->times);
    free(z->index);
    free(z->types);
    free(z);
}

int tz_parse(const char *name, const unsigned char *b, size_t len, tz_zone **out)
{
    *out = NULL;
    tzif_counts c;
    int version;
    if (read_header(b, len, &c, &version) != 0)
        return SB_EPARSE;
    size_t tsize = 4;
    const unsigned char *p = b + 44;
    size_t v1 = block_size(&c, 4);
    if (44 + v1 > len)
        return SB_EPARSE;
    if (version >= 2) { /* skip to the 64-bit section */
        p += v1;
        if (read_header(p, len - (size_t)(p - b), &c, &version) != 0)
            return SB_EPARSE;
        p += 44;
        tsize = 8;
        if ((size_t)(p - b) + block_size(&c, 8) > len)
            return SB_EPARSE;
    }
    int rc = SB_ENOMEM;
    tz_zone *z = calloc(1, sizeof *z);
    if (!z)
        return SB_ENOMEM;
    z->name = sb_strdup(name ? name : "");
    z->times = malloc((c.time ? c.time : 1) * sizeof *z->times);
    z->index = malloc(c.time ? c.time : 1);
    z->types = malloc(c.type * sizeof *z->types);
    if (!z->name || !z->times || !z->index || !z->types)
        goto fail;
    rc = SB_EPARSE;
    z->ntimes = c.time;
    z->ntypes = c.type;
    for (uint32_t i = 0; i < c.time; i++) {
        z->times[i] = tsize == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
        if (i && z->times[i] <= z->times[i - 1])
            goto fail;
    }
    p += (size_t)c.time * tsize;
    for (uint32_t i = 0; i < c.time; i++) {
        z->index[i] = p[i];
        if (p[i] >= c.type)
            goto fail;
    }
    p += c.time;
    for (uint32_t i = 0; i < c.type; i++) {
        z->types[i].utoff = (int32_t)be32(p + i * 6);
        z->types[i].isdst = p[i * 6 + 4] ? 1 : 0;
        if (z->types[i].utoff < -25 * 3600 || z->types[i].utoff > 26 * 3600)
            goto fail;
    }
    p += (size_t)c.type * 6 + c.chars + (size_t)c.leap * (tsize + 4) + c.isstd + c.isut;
    if (version >= 2 && (size_t)(p - b) < len && *p == '\n') {
        const unsigned char *end = memchr(p + 1, '\n', len - (size_t)(p - b) - 1);
        char footer[256];
        size_t n = end ? (size_t)(end - p - 1) : 0;
        if (!end || n >= sizeof footer)
            goto fail;
        memcpy(footer, p + 1, n);
        footer[n] = '\0';
        if (n > 0) {
            if (parse_rule(footer, &z->rule) != 0)
                goto fail;
            z->has_rule = 1;
        }
    }
    *out = z;
    return SB_OK;
fail:
    tz_free(z);
    return rc;
}

const char *tz_name(const tz_zone *z)
{
    return z->name;
}

/* t within +-TZ_INSTANT_MAX, so that local readings and rule years cannot overflow. */
static int64_t clamp_instant(int64_t t)
{
    return t > TZ_INSTANT_MAX ? TZ_INSTANT_MAX : t < -TZ_INSTANT_MAX ? -TZ_INSTANT_MAX : t;
}

int32_t tz_offset_at(const tz_zone *z, int64_t t, int *isdst)
{
    int dummy;
    if (!isdst)
        isdst = &dummy;
    t = clamp_instant(t);
    if (z->ntimes == 0 || t < z->times[0]) {
        if (z->ntimes == 0 && z->has_rule)
            return rule_offset(&z->rule, t, isdst);
        *isdst = z->types[0].isdst;
        return z->types[0].utoff;
    }
    if (t > z->times[z->ntimes - 1] && z->has_rule)
        return rule_offset(&z->rule, t, isdst);
    size_t lo = 0, hi = z->ntimes; /* last i with times[i] <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->times[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    const tz_type *ty = &z->types[z->index[lo]];
    *isdst = ty->isdst;
    return ty->utoff;
}

void tz_to_local(const tz_zone *z, int64_t utc, tz_local *out)
{
    utc = clamp_instant(utc);
    out->utoff = tz_offset_at(z, utc, &out->isdst);
    int64_t local = utc + out->utoff;
    int64_t days = floor_div(local, 86400);
    int64_t secs = local - days * 86400;
    tz_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(secs / 3600);
    out->minute = (int)(secs / 60 % 60);
    out->second = (int)(secs % 60);
    out->weekday = (int)(((days % 7) + 11) % 7);
}

int tz_from_local(const tz_zone *z, int year, int month, int day, int hour, int minute,
                  int64_t *utc, int *in_gap)
{
    if (in_gap)
        *in_gap = 0;
    if (month < 1 || month > 12 || day < 1 || day > month_days(year, month) || hour < 0 ||
        hour > 23 || minute < 0 || minute > 59)
        return SB_EINVAL;
    int64_t wall = tz_days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60;
    /* Offsets two days either side cover any single transition near this wall time. */
    int32_t before = tz_offset_at(z, wall - 2 * 86400, NULL);
    int32_t after = tz_offset_at(z, wall + 2 * 86400, NULL);
    int64_t best = INT64_MAX;
    if (tz_offset_at(z, wall - before, NULL) == before)
        best = wall - before;
    if (tz_offset_at(z, wall - after, NULL) == after && wall - after < best)
        best = wall - after;
    if (best != INT64_MAX) {
        *utc = best;
        return SB_OK;
    }
    if (after <= before) { /* two transitions within days: fall back to the earlier offset */
        *utc = wall - before;
        return SB_OK;
    }
    /* A gap: find the transition, the first instant whose offset is the new one. */
    int64_t lo = wall - after, hi = wall - before;
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (tz_offset_at(z, mid, NULL) == after)
            hi = mid;
        else
            lo = mid;
    }
    *utc = hi;
    if (in_gap)
        *in_gap = 1;
    return SB_OK;
}

/* ---------- loading and the cache ---------- */

const char *tz_zoneinfo_dir(void)
{
    const char *d = getenv("SECUREBASE_ZONEINFO");
    return d && *d ? d : "/usr/share/zoneinfo";
}

int tz_name_ok(const char *name)
{
    if (!name)
        return 0;
    size_t n = strlen(name);
    if (n == 0 || n >= TZ_NAME_MAX || name[0] == '/' || name[0] == '.')
        return 0;
    for (const char *p = name; *p; p++) {
        if (!isalnum((unsigned char)*p) && !strchr("/_+-.", *p))
            return 0;
        if (p[0] == '.' && p[1] == '.')
            return 0;
    }
    return 1;
}

int tz_load(const char *name, tz_zone **out)
{
    *out = NULL;
    if (!name || !tz_name_ok(name))
        return SB_EINVAL;
    char path[512];
    int n = snprintf(path, sizeof path, "%s/%s", tz_zoneinfo_dir(), name);
    if (n < 0 || (size_t)n >= sizeof path)
        return SB_EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return SB_ENOTFOUND;
    int rc = SB_ENOTFOUND;
    unsigned char *buf = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        goto done;
    rc = SB_ETOOBIG;
    if (st.st_size <= 0 || (size_t)st.st_size > TZ_MAX_FILE)
        goto done;
    rc = SB_ENOMEM;
    buf = malloc((size_t)st.st_size);
    if (!buf)
        goto done;
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    rc = tz_parse(name, buf, got, out);
    if (rc == SB_EPARSE && (got < 4 || memcmp(buf, "TZif", 4) != 0))
        rc = SB_ENOTFOUND; /* zone.tab, tzdata.zi and friends are no zones */
done:
    free(buf);
    close(fd);
    return rc;
}

#define CACHE_SLOTS 1024 /* more than the ~600 names tzdata knows */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static tz_zone *cache[CACHE_SLOTS];

static size_t name_hash(const char *s)
{
    size_t h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

int tz_get(const char *name, const tz_zone **out)
{
    *out = NULL;
    if (!name || !tz_name_ok(name))
        return SB_EINVAL;
    int rc = SB_OK;
    pthread_mutex_lock(&cache_lock);
    size_t slot = name_hash(name) % CACHE_SLOTS;
    for (size_t i = 0; i < CACHE_SLOTS; i++, slot = (slot + 1) % CACHE_SLOTS) {
        if (cache[slot] && strcmp(cache[slot]->name, name) == 0) {
            *out = cache[slot];
            break;
        }
        if (!cache[slot]) {
            tz_zone *z = NULL;
            rc = tz_load(name, &z);
            if (rc == SB_OK)
                *out = cache[slot] = z;
            break;
        }
    }
    if (!*out && rc == SB_OK) { /* cache full: an unusual zoneinfo; load uncached is no option */
        rc = SB_ETOOBIG;
    }
    pthread_mutex_unlock(&cache_lock);
    return rc;
}

void tz_cache_clear(void)
{
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        tz_free(cache[i]);
        cache[i] = NULL;
    }
    pthread_mutex_unlock(&cache_lock);
}
