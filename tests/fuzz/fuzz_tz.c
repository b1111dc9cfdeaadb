/* fuzz_tz.c — libFuzzer target for the two parsers of outside input in the zone code.
 * An input that starts with "TZif" is a zone file: tz_parse must accept or refuse it
 * without harm, and a zone it accepts is read at its own transitions and at fixed instants
 * (UTC -> local -> UTC must agree with itself) and scheduled over. Any other input is a
 * zone name as a person types it: tzname_validate and tzname_suggest must answer with a
 * name of the system's list, or refuse. Zone names need the system's zoneinfo. Seeds
 * (tests/fuzz/corpus/fuzz_tz) are zone files built by hand: footer only, v1, Lord Howe's
 * half hour, all-year DST, a southern rule, transitions at the ends of time; and names. */
#include "schedule.h"
#include "sb.h"
#include "tz.h"
#include "tzname.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1900, 1970, 2026 either side of both changes in Berlin, 2037's 32-bit end, 2100, 9999. */
static const int64_t fixed_instants[] = {
    -2208988800LL, 0, 1774746000LL, 1774749600LL, 1792890000LL, 2147483647LL,
    2147483648LL,  4102444800LL,     253402300799LL,
};

static void check_local(const tz_local *l)
{
    if (l->month < 1 || l->month > 12 || l->day < 1 || l->day > 31 || l->hour < 0 ||
        l->hour > 23 || l->minute < 0 || l->minute > 59 || l->second < 0 || l->second > 59 ||
        l->weekday < 0 || l->weekday > 6 || l->utoff < -25 * 3600 || l->utoff > 26 * 3600)
        abort();
}

/* Reads z at instant t: the local reading is well formed, and the instant its wall time
 * names (first occurrence, or the end of a gap) reads as that wall time again. */
static void probe(const tz_zone *z, int64_t t)
{
    tz_local l;
    tz_to_local(z, t, &l);
    check_local(&l);
    int isdst = -1;
    if (tz_offset_at(z, t, &isdst) != l.utoff || (isdst != 0 && isdst != 1))
        abort();
    int64_t back = 0;
    int gap = 0;
    if (tz_from_local(z, l.year, l.month, l.day, l.hour, l.minute, &back, &gap) != SB_OK)
        abort();
    tz_local b;
    tz_to_local(z, back, &b);
    check_local(&b);
}

static void check_zone(const tz_zone *z, const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < sizeof fixed_instants / sizeof fixed_instants[0]; i++)
        probe(z, fixed_instants[i]);
    /* The file's own transition instants, read as 64-bit values wherever they may sit. */
    for (size_t off = 44; off + 8 <= size && off < 44 + 8 * 16; off += 8) {
        int64_t t = 0;
        for (int k = 0; k < 8; k++)
            t = (int64_t)((uint64_t)t << 8 | data[off + k]);
        probe(z, t);
        if (t > INT64_MIN)
            probe(z, t - 1);
    }
    /* A nudge at 02:30 (inside a typical gap) and at 09:00, on every day, from 2026. */
    static const int minutes[] = {150, 540};
    for (size_t i = 0; i < sizeof minutes / sizeof minutes[0]; i++) {
        schedule_settings s = {.enabled = 1, .minute = minutes[i], .zone = z};
        int64_t now = 1767225600LL, next = 0;
        for (int n = 0; n < 4 && schedule_next(&s, now, &next) == SB_OK; n++) {
            if (next <= now)
                abort();
            schedule_consume(&s, next, 1);
            now = next;
        }
    }
}

static void check_name(const uint8_t *data, size_t size)
{
    char name[TZ_NAME_MAX + 16];
    size_t n = size < sizeof name - 1 ? size : sizeof name - 1;
    memcpy(name, data, n);
    name[n] = '\0';
    char canon[TZ_NAME_MAX] = "", again[TZ_NAME_MAX] = "";
    int rc = tzname_validate(name, canon, sizeof canon);
    if (rc == SB_OK) {
        /* The canonical spelling is itself a valid name, spelled the same. */
        if (!tz_name_ok(canon) || tzname_validate(canon, again, sizeof again) != SB_OK ||
            strcmp(canon, again) != 0)
            abort();
    } else if (rc != SB_ENOTFOUND && rc != SB_EINVAL) {
        abort();
    }
    char guess[TZ_NAME_MAX] = "";
    rc = tzname_suggest(name, guess, sizeof guess);
    if (rc == SB_OK && tzname_validate(guess, again, sizeof again) != SB_OK)
        abort(); /* a suggestion the person cannot use */
    if (rc != SB_OK && rc != SB_ENOTFOUND)
        abort();
    char small[4];
    rc = tzname_suggest(name, small, sizeof small); /* a short buffer is cut, never overrun */
    if (rc == SB_OK && strlen(small) >= sizeof small)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 4 && memcmp(data, "TZif", 4) == 0) {
        tz_zone *z = NULL;
        int rc = tz_parse("Fuzz/Zone", data, size, &z);
        if (rc == SB_OK) {
            if (!z || strcmp(tz_name(z), "Fuzz/Zone") != 0)
                abort();
            check_zone(z, data, size);
        } else if (z || (rc != SB_EPARSE && rc != SB_ENOMEM)) {
            abort();
        }
        tz_free(z);
        return 0;
    }
    check_name(data, size);
    return 0;
}
