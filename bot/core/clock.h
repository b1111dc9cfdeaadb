/* clock.h — the one clock interface (design.md invariant 7). Production reads the real
 * time; tests and --fake-clock use a clock moved by hand. The engine never reads a clock:
 * the core reads this one and passes the time in. */
#ifndef SB_CLOCK_H
#define SB_CLOCK_H

#include <stdint.h>

typedef struct sb_clock {
    int fake;          /* 1: the fake clock */
    int64_t fake_now;  /* UTC seconds, when fake */
    const char *file;  /* fake clock read from this file (ISO text), for tests that drive a
                          running process from outside (e.g. the Matrix nudge test); borrowed */
} sb_clock;

/* UTC seconds now. */
int64_t clock_now(const sb_clock *c);
/* Moves a fake clock (no effect on the real one). */
void clock_set(sb_clock *c, int64_t now);

/* Re-reads the clock file of a file-driven fake clock. Returns 1 when the time moved,
 * 0 when not (or when there is no file, or it holds no valid time: the time stays). */
int clock_refresh(sb_clock *c);

/* Parses "2026-03-28T07:00:00Z" / "2026-03-28T07:00Z" / "2026-03-28" (UTC) into *out.
 * Returns SB_EINVAL on anything else. */
int clock_parse_iso(const char *s, int64_t *out);
/* Formats t as "2026-03-28T07:00:00Z" into buf (at least 21 bytes). */
void clock_format_iso(int64_t t, char *buf, unsigned long size);

#endif
