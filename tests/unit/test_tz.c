/* test_tz.c — zone math as tables: UTC -> local readings around the 2026 transitions of
 * Europe/Berlin, America/New_York, Australia/Lord_Howe (30-minute DST), Asia/Kolkata and
 * UTC; local -> UTC with gaps and repeated times; footer-only ("slim") and v1 files built
 * here; malformed files; names and suggestions; and a cross-check against glibc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "sb.h"
#include "tz.h"
#include "tzname.h"

static int64_t iso(const char *s)
{
    int64_t t = 0;
    assert_int_equal(clock_parse_iso(s, &t), SB_OK);
    return t;
}

typedef struct to_local_case {
    const char *zone, *utc;
    const char *local; /* "YYYY-MM-DD HH:MM:SS" */
    int32_t utoff;
    int isdst, weekday;
} to_local_case;

static const to_local_case to_local_cases[] = {
    {"Europe/Berlin", "2026-03-28T08:00:00Z", "2026-03-28 09:00:00", 3600, 0, 6},
    {"Europe/Berlin", "2026-03-29T00:59:59Z", "2026-03-29 01:59:59", 3600, 0, 0},
    {"Europe/Berlin", "2026-03-29T01:00:00Z", "2026-03-29 03:00:00", 7200, 1, 0},
    {"Europe/Berlin", "2026-03-29T07:00:00Z", "2026-03-29 09:00:00", 7200, 1, 0},
    {"Europe/Berlin", "2026-10-25T00:59:59Z", "2026-10-25 02:59:59", 7200, 1, 0},
    {"Europe/Berlin", "2026-10-25T01:00:00Z", "2026-10-25 02:00:00", 3600, 0, 0},
    {"America/New_York", "2026-03-08T06:59:59Z", "2026-03-08 01:59:59", -18000, 0, 0},
    {"America/New_York", "2026-03-08T07:00:00Z", "2026-03-08 03:00:00", -14400, 1, 0},
    {"America/New_York", "2026-11-01T05:59:59Z", "2026-11-01 01:59:59", -14400, 1, 0},
    {"America/New_York", "2026-11-01T06:00:00Z", "2026-11-01 01:00:00", -18000, 0, 0},
    {"America/New_York", "2026-01-01T04:59:00Z", "2025-12-31 23:59:00", -18000, 0, 3},
    {"Asia/Kolkata", "2026-06-01T00:00:00Z", "2026-06-01 05:30:00", 19800, 0, 1},
    {"Asia/Kolkata", "2026-12-31T18:30:00Z", "2027-01-01 00:00:00", 19800, 0, 5},
    {"Australia/Lord_Howe", "2026-04-04T14:59:59Z", "2026-04-05 01:59:59", 39600, 1, 0},
    {"Australia/Lord_Howe", "2026-04-04T15:00:00Z", "2026-04-05 01:30:00", 37800, 0, 0},
    {"Australia/Lord_Howe", "2026-10-03T15:29:59Z", "2026-10-04 01:59:59", 37800, 0, 0},
    {"Australia/Lord_Howe", "2026-10-03T15:30:00Z", "2026-10-04 02:30:00", 39600, 1, 0},
    {"UTC", "2026-03-29T01:00:00Z", "2026-03-29 01:00:00", 0, 0, 0},
    {"UTC", "1969-12-31T23:59:59Z", "1969-12-31 23:59:59", 0, 0, 3},
};

static void test_to_local(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof to_local_cases / sizeof to_local_cases[0]; i++) {
        const to_local_case *c = &to_local_cases[i];
        const tz_zone *z;
        assert_int_equal(tz_get(c->zone, &z), SB_OK);
        tz_local l;
        tz_to_local(z, iso(c->utc), &l);
        char got[32];
        snprintf(got, sizeof got, "%04d-%02d-%02d %02d:%02d:%02d", l.year, l.month, l.day, l.hour,
                 l.minute, l.second);
        if (strcmp(got, c->local) != 0 || l.utoff != c->utoff || l.isdst != c->isdst ||
            l.weekday != c->weekday)
            fail_msg("%s %s: got %s %d dst=%d wd=%d, want %s %d dst=%d wd=%d", c->zone, c->utc,
                     got, l.utoff, l.isdst, l.weekday, c->local, c->utoff, c->isdst, c->weekday);
    }
}

typedef struct from_local_case {
    const char *zone;
    int y, m, d, h, mi;
    const char *utc;
    int gap;
} from_local_case;

static const from_local_case from_local_cases[] = {
    {"Europe/Berlin", 2026, 3, 28, 9, 0, "2026-03-28T08:00:00Z", 0},
    {"Europe/Berlin", 2026, 3, 29, 9, 0, "2026-03-29T07:00:00Z", 0},
    {"Europe/Berlin", 2026, 3, 29, 2, 30, "2026-03-29T01:00:00Z", 1},  /* gap -> 03:00 */
    {"Europe/Berlin", 2026, 3, 29, 2, 0, "2026-03-29T01:00:00Z", 1},
    {"Europe/Berlin", 2026, 3, 29, 3, 0, "2026-03-29T01:00:00Z", 0},
    {"Europe/Berlin", 2026, 10, 25, 2, 30, "2026-10-25T00:30:00Z", 0}, /* first of two */
    {"Europe/Berlin", 2026, 10, 25, 3, 0, "2026-10-25T02:00:00Z", 0},
    {"America/New_York", 2026, 3, 8, 2, 30, "2026-03-08T07:00:00Z", 1},
    {"America/New_York", 2026, 11, 1, 1, 30, "2026-11-01T05:30:00Z", 0},
    {"America/New_York", 2026, 11, 1, 9, 0, "2026-11-01T14:00:00Z", 0},
    {"Australia/Lord_Howe", 2026, 10, 4, 2, 15, "2026-10-03T15:30:00Z", 1},
    {"Australia/Lord_Howe", 2026, 4, 5, 1, 45, "2026-04-04T14:45:00Z", 0},
    {"Asia/Kolkata", 2026, 3, 29, 9, 0, "2026-03-29T03:30:00Z", 0},
    {"UTC", 2026, 2, 28, 23, 59, "2026-02-28T23:59:00Z", 0},
    /* past the transition table of a fat file (2037): the footer rule decides */
    {"Europe/Berlin", 2100, 3, 28, 2, 30, "2100-03-28T01:00:00Z", 1},
    {"America/New_York", 2100, 11, 7, 1, 30, "2100-11-07T05:30:00Z", 0},
};

static void test_from_local(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof from_local_cases / sizeof from_local_cases[0]; i++) {
        const from_local_case *c = &from_local_cases[i];
        const tz_zone *z;
        assert_int_equal(tz_get(c->zone, &z), SB_OK);
        int64_t t = 0;
        int gap = -1;
        assert_int_equal(tz_from_local(z, c->y, c->m, c->d, c->h, c->mi, &t, &gap), SB_OK);
        char got[32];
        clock_format_iso(t, got, sizeof got);
        if (strcmp(got, c->utc) != 0 || gap != c->gap)
            fail_msg("%s %04d-%02d-%02d %02d:%02d: got %s gap=%d, want %s gap=%d", c->zone, c->y,
                     c->m, c->d, c->h, c->mi, got, gap, c->utc, c->gap);
    }
    const tz_zone *z;
    int64_t t;
    assert_int_equal(tz_get("UTC", &z), SB_OK);
    assert_int_equal(tz_from_local(z, 2026, 2, 29, 9, 0, &t, NULL), SB_EINVAL);
    assert_int_equal(tz_from_local(z, 2026, 13, 1, 9, 0, &t, NULL), SB_EINVAL);
    assert_int_equal(tz_from_local(z, 2026, 1, 1, 24, 0, &t, NULL), SB_EINVAL);
}

/* ---- TZif files built here ---- */

typedef struct bytes {
    unsigned char b[512];
    size_t n;
} bytes;

static void put(bytes *o, const void *p, size_t n)
{
    assert_true(o->n + n <= sizeof o->b);
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void put32(bytes *o, uint32_t v)
{
    unsigned char b[4] = {v >> 24, v >> 16, v >> 8, v};
    put(o, b, 4);
}

static void put64(bytes *o, int64_t v)
{
    put32(o, (uint32_t)((uint64_t)v >> 32));
    put32(o, (uint32_t)v);
}

/* A TZif file of version ver ('\0' or '2') with the given transitions (type index alternating
 * 0/1 starting with 1) over types std (utoff0) and dst (utoff1), and footer (v2 only). */
static void make_tzif(bytes *o, char ver, const int64_t *times, size_t n, int32_t utoff0,
                      int32_t utoff1, const char *footer)
{
    o->n = 0;
    for (int pass = 0; pass < (ver ? 2 : 1); pass++) {
        size_t tsize = pass ? 8 : 4;
        put(o, "TZif", 4);
        put(o, &ver, 1);
        put(o, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15);
        uint32_t counts[6] = {0, 0, 0, (uint32_t)n, 2, 8};
        for (int i = 0; i < 6; i++)
            put32(o, counts[i]);
        for (size_t i = 0; i < n; i++) {
            if (tsize == 8)
                put64(o, times[i]);
            else
                put32(o, (uint32_t)(int32_t)times[i]);
        }
        for (size_t i = 0; i < n; i++) {
            unsigned char idx = (unsigned char)((i + 1) % 2);
            put(o, &idx, 1);
        }
        put32(o, (uint32_t)utoff0);
        put(o, "\0\0", 2);
        put32(o, (uint32_t)utoff1);
        put(o, "\1\4", 2);
        put(o, "STD\0DST\0", 8);
    }
    if (ver && footer) {
        put(o, "\n", 1);
        put(o, footer, strlen(footer));
        put(o, "\n", 1);
    }
}

/* A footer-only (slim) Berlin agrees with the system's Berlin at every hour of 2026-2030
 * and around each March and October from 2031 to 2100. */
static void test_slim_footer_matches_system(void **state)
{
    (void)state;
    bytes f;
    make_tzif(&f, '2', NULL, 0, 3600, 7200, "CET-1CEST,M3.5.0,M10.5.0/3");
    tz_zone *slim = NULL;
    assert_int_equal(tz_parse("slim", f.b, f.n, &slim), SB_OK);
    const tz_zone *sys;
    assert_int_equal(tz_get("Europe/Berlin", &sys), SB_OK);
    long checked = 0;
    for (int64_t t = iso("2026-01-01T00:00:00Z"); t < iso("2031-01-01T00:00:00Z"); t += 3600) {
        assert_int_equal(tz_offset_at(slim, t, NULL), tz_offset_at(sys, t, NULL));
        checked++;
    }
    for (int y = 2031; y <= 2100; y++) {
        for (int m = 3; m <= 10; m += 7) {
            int64_t start = tz_days_from_civil(y, m, 24) * 86400;
            for (int64_t t = start; t < start + 8 * 86400; t += 900) {
                assert_int_equal(tz_offset_at(slim, t, NULL), tz_offset_at(sys, t, NULL));
                checked++;
            }
        }
    }
    assert_true(checked > 40000);
    tz_free(slim);
}

/* Southern rule (Lord Howe) and a fixed-offset footer, and a v1 file without footer. */
static void test_footer_rules_and_v1(void **state)
{
    (void)state;
    bytes f;
    tz_zone *z = NULL;
    make_tzif(&f, '2', NULL, 0, 37800, 39600, "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
    assert_int_equal(tz_parse("lh", f.b, f.n, &z), SB_OK);
    const tz_zone *sys;
    assert_int_equal(tz_get("Australia/Lord_Howe", &sys), SB_OK);
    for (int64_t t = iso("2026-01-01T00:00:00Z"); t < iso("2028-01-01T00:00:00Z"); t += 1800)
        assert_int_equal(tz_offset_at(z, t, NULL), tz_offset_at(sys, t, NULL));
    tz_free(z);

    make_tzif(&f, '2', NULL, 0, 19800, 19800, "IST-5:30");
    assert_int_equal(tz_parse("ist", f.b, f.n, &z), SB_OK);
    assert_int_equal(tz_offset_at(z, iso("2090-07-01T00:00:00Z"), NULL), 19800);
    tz_free(z);

    /* v1: two transitions in 32-bit; before the first the first type holds. */
    int64_t times[2] = {iso("2026-03-29T01:00:00Z"), iso("2026-10-25T01:00:00Z")};
    make_tzif(&f, '\0', times, 2, 3600, 7200, NULL);
    assert_int_equal(tz_parse("v1", f.b, f.n, &z), SB_OK);
    assert_int_equal(tz_offset_at(z, times[0] - 1, NULL), 3600);
    assert_int_equal(tz_offset_at(z, times[0], NULL), 7200);
    assert_int_equal(tz_offset_at(z, times[1] - 1, NULL), 7200);
    assert_int_equal(tz_offset_at(z, times[1], NULL), 3600);
    assert_int_equal(tz_offset_at(z, iso("2030-07-01T00:00:00Z"), NULL), 3600);
    tz_free(z);

    /* v2 with transitions and a footer: the table until its end, the rule after it. */
    make_tzif(&f, '2', times, 2, 3600, 7200, "CET-1CEST,M3.5.0,M10.5.0/3");
    assert_int_equal(tz_parse("v2", f.b, f.n, &z), SB_OK);
    assert_int_equal(tz_offset_at(z, iso("2027-07-01T00:00:00Z"), NULL), 7200);
    assert_int_equal(tz_offset_at(z, iso("2027-12-01T00:00:00Z"), NULL), 3600);
    tz_free(z);
}

/* Instants far past any calendar (a file's big-bang transition, a corrupt clock) are read
 * as the bound TZ_INSTANT_MAX, for a table zone and a rule-only one, without overflow. */
static void test_far_instants(void **state)
{
    (void)state;
    bytes f;
    tz_zone *slim = NULL;
    make_tzif(&f, '2', NULL, 0, 3600, 7200, "CET-1CEST,M3.5.0,M10.5.0/3");
    assert_int_equal(tz_parse("slim", f.b, f.n, &slim), SB_OK);
    const tz_zone *sys;
    assert_int_equal(tz_get("Europe/Berlin", &sys), SB_OK);
    const tz_zone *zones[2] = {slim, sys};
    static const struct {
        int64_t given, read_as;
    } cases[] = {
        {INT64_MAX, TZ_INSTANT_MAX},       {TZ_INSTANT_MAX + 1, TZ_INSTANT_MAX},
        {INT64_MIN, -TZ_INSTANT_MAX},      {-TZ_INSTANT_MAX - 1, -TZ_INSTANT_MAX},
        {TZ_INSTANT_MAX, TZ_INSTANT_MAX},  {-TZ_INSTANT_MAX, -TZ_INSTANT_MAX},
    };
    for (size_t z = 0; z < 2; z++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            tz_local got, want;
            tz_to_local(zones[z], cases[i].given, &got);
            tz_to_local(zones[z], cases[i].read_as, &want);
            if (memcmp(&got, &want, sizeof got) != 0 || got.month < 1 || got.month > 12 ||
                got.hour > 23 || got.weekday > 6)
                fail_msg("zone %zu, instant %lld: %d-%d-%d %d:%d, want %d-%d-%d %d:%d", z,
                         (long long)cases[i].given, got.year, got.month, got.day, got.hour,
                         got.minute, want.year, want.month, want.day, want.hour, want.minute);
            assert_int_equal(tz_offset_at(zones[z], cases[i].given, NULL), got.utoff);
        }
    }
    tz_free(slim);
}

typedef struct bad_case {
    const char *what;
    size_t cut;          /* truncate to this many bytes (0: keep) */
    size_t poke_at;      /* overwrite one byte (0: none) */
    unsigned char poke;
    const char *footer;
} bad_case;

static void test_malformed(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"empty", 1, 0, 0, "CET-1CEST,M3.5.0,M10.5.0/3"},
        {"short header", 43, 0, 0, "CET-1CEST,M3.5.0,M10.5.0/3"},
        {"truncated data", 70, 0, 0, "CET-1CEST,M3.5.0,M10.5.0/3"},
        {"bad magic", 0, 1, 'X', "CET-1CEST,M3.5.0,M10.5.0/3"},
        {"zero types", 0, 39, 0, "CET-1CEST,M3.5.0,M10.5.0/3"},
        {"footer month 13", 0, 0, 0, "CET-1CEST,M13.5.0,M10.5.0/3"},
        {"footer junk", 0, 0, 0, "CET-1CEST,M3.5.0,M10.5.0/3x"},
        {"footer no offset", 0, 0, 0, "CET"},
        {"footer short name", 0, 0, 0, "C-1"},
    };
    int64_t times[2] = {1000, 2000};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bytes f;
        make_tzif(&f, '2', times, 2, 3600, 7200, cases[i].footer);
        size_t n = cases[i].cut ? cases[i].cut : f.n;
        if (cases[i].poke_at)
            f.b[cases[i].poke_at] = cases[i].poke;
        tz_zone *z = (tz_zone *)1;
        int rc = tz_parse("bad", f.b, n, &z);
        if (rc != SB_EPARSE || z != NULL)
            fail_msg("%s: rc %d", cases[i].what, rc);
    }
    /* transitions out of order and a type index out of range */
    int64_t backwards[2] = {2000, 1000};
    bytes f;
    tz_zone *z = NULL;
    make_tzif(&f, '2', backwards, 2, 3600, 7200, "");
    assert_int_equal(tz_parse("bad", f.b, f.n, &z), SB_EPARSE);
    make_tzif(&f, '\0', times, 2, 3600, 7200, NULL);
    f.b[44 + 8] = 7;
    assert_int_equal(tz_parse("bad", f.b, f.n, &z), SB_EPARSE);
}

typedef struct name_case {
    const char *given;
    int rc;
    const char *canon;      /* for tzname_validate */
    const char *suggestion; /* for tzname_suggest, NULL: none */
} name_case;

static void test_names(void **state)
{
    (void)state;
    static const name_case cases[] = {
        {"Europe/Berlin", SB_OK, "Europe/Berlin", "Europe/Berlin"},
        {"europe/berlin", SB_OK, "Europe/Berlin", "Europe/Berlin"},
        {"America/New_York", SB_OK, "America/New_York", "America/New_York"},
        {"US/Eastern", SB_OK, "US/Eastern", "US/Eastern"},
        {"UTC", SB_OK, "UTC", "UTC"},
        {"Europe/Berln", SB_ENOTFOUND, NULL, "Europe/Berlin"},
        {"Berlin", SB_ENOTFOUND, NULL, "Europe/Berlin"},
        {"new york", SB_EINVAL, NULL, "America/New_York"},
        {"Asia/Kolkatta", SB_ENOTFOUND, NULL, "Asia/Kolkata"},
        {"Lord Howe", SB_EINVAL, NULL, "Australia/Lord_Howe"},
        {"Europe", SB_ENOTFOUND, NULL, NULL},
        {"Europe/Berlin/Mitte/Alexanderplatz", SB_ENOTFOUND, NULL, NULL},
        {"Amerika/Sao_Paolo", SB_ENOTFOUND, NULL, "America/Sao_Paulo"},
        /* abbreviations: one that means one zone gets a zone of its rules; a near miss of
         * an abbreviation-like name is another place (PST is not EST), and Etc/GMT+2 is
         * UTC-2, not what "GMT+2" means */
        {"PST", SB_ENOTFOUND, NULL, "America/Los_Angeles"},
        {"pdt", SB_ENOTFOUND, NULL, "America/Los_Angeles"},
        {"CEST", SB_ENOTFOUND, NULL, "CET"},
        {"IST", SB_ENOTFOUND, NULL, NULL},
        {"GMT+2", SB_ENOTFOUND, NULL, NULL},
        {"utc", SB_OK, "UTC", "UTC"},
        {"Indianapolis", SB_ENOTFOUND, NULL, "America/Indianapolis"},
        {"Mars/Olympus_Mons", SB_ENOTFOUND, NULL, NULL},
        {"zone.tab", SB_ENOTFOUND, NULL, NULL},
        {"posix/Europe/Berlin", SB_ENOTFOUND, NULL, NULL},
        {"../../etc/passwd", SB_EINVAL, NULL, NULL},
        {"/etc/localtime", SB_EINVAL, NULL, NULL},
        {"", SB_EINVAL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const name_case *c = &cases[i];
        char canon[128] = "", sugg[128] = "";
        int rc = tzname_validate(c->given, canon, sizeof canon);
        if (rc != c->rc || (c->canon && strcmp(canon, c->canon) != 0))
            fail_msg("validate %s: rc %d canon %s", c->given, rc, canon);
        rc = tzname_suggest(c->given, sugg, sizeof sugg);
        if (c->suggestion ? rc != SB_OK || strcmp(sugg, c->suggestion) != 0 : rc != SB_ENOTFOUND)
            fail_msg("suggest %s: rc %d got %s", c->given, rc, sugg);
    }
    const tz_zone *z;
    assert_int_equal(tz_get("Nowhere/Atall", &z), SB_ENOTFOUND);
    assert_int_equal(tz_get("../x", &z), SB_EINVAL);
}

/* glibc reads the same files with its own code: an independent oracle (the test sets TZ;
 * tz.c never does). Random instants 1901..2100 in zones with unusual histories. */
static void test_against_glibc(void **state)
{
    (void)state;
    static const char *zones[] = {"Europe/Berlin", "America/New_York", "Asia/Kolkata",
                                  "Australia/Lord_Howe", "UTC", "America/Sao_Paulo",
                                  "Africa/Casablanca", "Pacific/Chatham", "Europe/Dublin",
                                  "Antarctica/Troll", "America/Nuuk", "Pacific/Apia"};
    uint64_t x = 88172645463325252ULL;
    for (size_t zi = 0; zi < sizeof zones / sizeof zones[0]; zi++) {
        const tz_zone *z;
        assert_int_equal(tz_get(zones[zi], &z), SB_OK);
        setenv("TZ", zones[zi], 1);
        tzset();
        for (int i = 0; i < 20000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int64_t t = -2147483648LL + (int64_t)(x % 6250000000ULL);
            time_t tt = (time_t)t;
            struct tm tm;
            assert_non_null(localtime_r(&tt, &tm));
            tz_local l;
            tz_to_local(z, t, &l);
            if (l.utoff != tm.tm_gmtoff || l.hour != tm.tm_hour || l.minute != tm.tm_min ||
                l.day != tm.tm_mday || l.month != tm.tm_mon + 1 || l.weekday != tm.tm_wday)
                fail_msg("%s at %lld: %d vs glibc %ld", zones[zi], (long long)t, l.utoff,
                         (long)tm.tm_gmtoff);
            int64_t back;
            int gap;
            assert_int_equal(tz_from_local(z, l.year, l.month, l.day, l.hour, l.minute, &back,
                                           &gap), SB_OK);
            tz_local again;
            tz_to_local(z, back, &again);
            assert_int_equal(gap, 0);
            assert_int_equal(again.hour * 60 + again.minute, l.hour * 60 + l.minute);
            assert_true(back <= t - l.second); /* the first occurrence, never a later one */
        }
    }
    unsetenv("TZ");
    tzset();
}

static int teardown(void **state)
{
    (void)state;
    tz_cache_clear();
    tzname_clear();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_to_local),
        cmocka_unit_test(test_from_local),
        cmocka_unit_test(test_slim_footer_matches_system),
        cmocka_unit_test(test_footer_rules_and_v1),
        cmocka_unit_test(test_far_instants),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_against_glibc),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
