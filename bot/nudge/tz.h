/* tz.h — IANA time zones without the process-global TZ: TZif files from the system's
 * zoneinfo (v1, and the 64-bit v2+ section with its POSIX-TZ footer rule for instants
 * past the last transition), UTC <-> local conversion. A loaded zone is immutable and
 * may be shared. Which zone names exist (and suggestions for wrong ones): tzname.h. */
#ifndef SB_TZ_H
#define SB_TZ_H

#include <stddef.h>
#include <stdint.h>

#define TZ_NAME_MAX 128 /* bytes of the longest zone name accepted, with its NUL */

typedef struct tz_zone tz_zone;

/* A local wall-clock reading of one instant. */
typedef struct tz_local {
    int year, month, day;      /* month 1..12, day 1..31 */
    int hour, minute, second;
    int weekday;               /* 0 = Sunday .. 6 = Saturday */
    int32_t utoff;             /* seconds east of UTC in effect (local = utc + utoff) */
    int isdst;
} tz_local;

/* Parses the bytes of a TZif file (any version) as zone name. Returns SB_OK and *out
 * (caller frees with tz_free), SB_EPARSE on malformed data, SB_ENOMEM. Pure: no I/O. */
int tz_parse(const char *name, const unsigned char *bytes, size_t len, tz_zone **out);
/* Reads and parses zoneinfo file name from the zoneinfo directory (SECUREBASE_ZONEINFO
 * or /usr/share/zoneinfo). SB_EINVAL for a name that is not a zone name's shape (".."
 * parts, absolute paths), SB_ENOTFOUND when no such zone exists, SB_EPARSE, SB_ENOMEM. */
int tz_load(const char *name, tz_zone **out);
void tz_free(tz_zone *z);
/* The zone's name as given to tz_parse/tz_load. Borrowed. */
const char *tz_name(const tz_zone *z);

/* A shared, cached zone for name (loaded on first use; the cache lives until
 * tz_cache_clear). *out is borrowed. Thread-safe. Same errors as tz_load. */
int tz_get(const char *name, const tz_zone **out);
/* Frees every cached zone (callers must no longer hold any). */
void tz_cache_clear(void);

/* Instants are read within +-TZ_INSTANT_MAX seconds of 1970 (about a million years);
 * one further out is read as that bound. */
#define TZ_INSTANT_MAX (INT64_C(1) << 45)

/* Seconds east of UTC in effect at instant utc. Cannot fail. */
int32_t tz_offset_at(const tz_zone *z, int64_t utc, int *isdst);
/* Converts instant utc to its local reading. Cannot fail. */
void tz_to_local(const tz_zone *z, int64_t utc, tz_local *out);
/* The instant at which the local wall clock of z reads year-month-day hour:minute:00.
 * A repeated time (fall-back) gives its first occurrence; a time that does not exist
 * (spring-forward gap) gives the first instant after the gap (the gap's end, e.g. 03:00)
 * and sets *in_gap to 1 (in_gap may be NULL). Returns SB_EINVAL for an invalid date. */
int tz_from_local(const tz_zone *z, int year, int month, int day, int hour, int minute,
                  int64_t *utc, int *in_gap);

/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian). Pure. */
int64_t tz_days_from_civil(int year, int month, int day);
void tz_civil_from_days(int64_t days, int *year, int *month, int *day);

/* The zoneinfo directory zones are read from: $SECUREBASE_ZONEINFO when set and not
 * empty, else /usr/share/zoneinfo. Borrowed (the environment's or a constant). */
const char *tz_zoneinfo_dir(void);
/* 1 when name has a zone name's shape and is safe to join to the zoneinfo directory:
 * not empty, shorter than TZ_NAME_MAX, relative, no ".." and no leading ".", only
 * letters, digits and "/_+-.". 0 otherwise (also for NULL). Says nothing about whether
 * such a zone exists. */
int tz_name_ok(const char *name);

#endif
