/* clock.h — the one clock interface (design.md invariant 7). Production reads the real
 * time; tests and --fake-clock use a fake clock that moves only when told: asked by an
 * adapter (the console's "/clock" line, clock_ask) or by a file it reads (a test drives a
 * running process from outside). The core waits on the clock and lets it catch up without
 * knowing which one it is; the engine never reads a clock: the core passes the time in. */
#ifndef SB_CLOCK_H
#define SB_CLOCK_H

#include <stdint.h>
#include <time.h>

typedef struct sb_clock sb_clock;

/* The core's due work (nudges) as the clock sees it while it waits or moves. */
typedef struct clock_dues {
    /* Sets *due to the next instant something is due (UTC seconds), 0 when nothing is.
     * Returns SB_OK, or an SB_E* code (then nothing is taken to be due). */
    int (*next)(void *ctx, int64_t *due);
    /* Runs what is due at clock_now(). Cannot fail (it keeps its own failures). */
    void (*run)(void *ctx);
    void *ctx;
    int64_t not_before; /* the real clock wakes for nothing due before this (UTC seconds):
                           after a failed pass the core waits before trying again */
} clock_dues;

/* The real clock. Returns NULL on ENOMEM. */
sb_clock *clock_new_real(void);
/* A fake clock standing at spec, an ISO time (clock_parse_iso), or, as "@path", at the
 * time the file path holds, read again whenever the clock catches up. Sets *out and
 * returns SB_OK, or SB_EINVAL (not a time, or a file holding none) or SB_ENOMEM, with *out
 * NULL. The caller frees it with clock_free. */
int clock_new_fake(const char *spec, sb_clock **out);
/* Frees c (NULL is fine). */
void clock_free(sb_clock *c);

/* 1 for a fake clock, 0 for the real one. */
int clock_is_fake(const sb_clock *c);
/* UTC seconds now. On the core thread only, for a fake clock. */
int64_t clock_now(const sb_clock *c);

/* The wait: when the core, with nothing to do, must look at the clock again. The real
 * clock wakes it at the next due instant (d->next, not before d->not_before); a fake
 * clock fed by a file a tenth of a second from now, to read the file; a fake clock moved
 * by asking never wakes it by itself. Returns 1 with *at set (CLOCK_REALTIME), or 0 when
 * only new work should wake the core. */
int clock_next_wake(const sb_clock *c, const clock_dues *d, struct timespec *at);
/* The core woke at clock_next_wake's time: the real clock runs what is due now (d->run);
 * a fake clock catches up (clock_catch_up). */
void clock_woke(sb_clock *c, const clock_dues *d);
/* Moves a fake clock to the time asked for (clock_ask, then its file), through every due
 * instant on the way: at each the clock stands there while d->run runs, so a jump of a
 * day delivers the day's nudge at its instant rather than finding it hours late. A time
 * earlier than now is taken at once. On the core thread. Returns 1 when the time moved,
 * 0 when not (always for the real clock). */
int clock_catch_up(sb_clock *c, const clock_dues *d);

/* Asks a fake clock to move at its next catch-up; thread-safe (an adapter's thread calls
 * it). text is an ISO time (clock_parse_iso) or "+N" with a unit s, m, h or d, ahead of
 * where the clock stands then (N up to 100000000). Returns SB_OK, or SB_EINVAL for other
 * text or for the real clock (then nothing is asked). */
int clock_ask(sb_clock *c, const char *text);

/* Parses "2026-03-28T07:00:00Z" / "2026-03-28T07:00Z" / "2026-03-28" (UTC) into *out.
 * Returns SB_EINVAL on anything else. */
int clock_parse_iso(const char *s, int64_t *out);
/* Formats t as "2026-03-28T07:00:00Z" into buf (at least 21 bytes). */
void clock_format_iso(int64_t t, char *buf, unsigned long size);

#endif
