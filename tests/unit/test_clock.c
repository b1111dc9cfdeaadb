/* test_clock.c — the fake clock as the core sees it: what it may be asked (a table of
 * texts), how it walks through the dues on its way (standing at each while they run), a
 * file it reads, and when it wakes the core. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "sb.h"

#define START 1796374800 /* 2026-12-04T09:00:00Z */

typedef struct ask_case {
    const char *text;
    int rc;
    int64_t want; /* where the clock stands after catching up */
} ask_case;

static const ask_case asks[] = {
    {"+1d", SB_OK, START + 86400},
    {"+90m", SB_OK, START + 5400},
    {"+2h", SB_OK, START + 7200},
    {"+30s", SB_OK, START + 30},
    {"+0d", SB_OK, START},
    {"2026-12-10T08:00:00Z", SB_OK, 1796889600},
    {"2026-12-01", SB_OK, 1796083200}, /* earlier: taken at once */
    {"+1w", SB_EINVAL, START},
    {"+d", SB_EINVAL, START},
    {"+-1d", SB_EINVAL, START},
    {"tomorrow", SB_EINVAL, START},
    {"", SB_EINVAL, START},
};

/* Dues: a list of instants; run marks the first one not after the clock as done and
 * records where the clock stood. */
typedef struct dues_fake {
    sb_clock *clock;
    int64_t due[4];
    int done[4];
    int64_t ran_at[8];
    size_t runs;
} dues_fake;

static int fake_next(void *ctx, int64_t *due)
{
    dues_fake *f = ctx;
    *due = 0;
    for (size_t i = 0; i < 4; i++)
        if (f->due[i] && !f->done[i] && (!*due || f->due[i] < *due))
            *due = f->due[i];
    return SB_OK;
}

static void fake_run(void *ctx)
{
    dues_fake *f = ctx;
    int64_t now = clock_now(f->clock);
    if (f->runs < 8)
        f->ran_at[f->runs++] = now;
    for (size_t i = 0; i < 4; i++)
        if (f->due[i] && f->due[i] <= now)
            f->done[i] = 1;
}

static void test_ask_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
        sb_clock *c = NULL;
        assert_int_equal(clock_new_fake("2026-12-04T09:00:00Z", &c), SB_OK);
        dues_fake f = {.clock = c};
        clock_dues d = {.next = fake_next, .run = fake_run, .ctx = &f};
        int rc = clock_ask(c, asks[i].text);
        if (rc != asks[i].rc)
            fail_msg("ask '%s': rc %d, want %d", asks[i].text, rc, asks[i].rc);
        clock_catch_up(c, &d);
        if (clock_now(c) != asks[i].want)
            fail_msg("ask '%s': at %lld, want %lld", asks[i].text, (long long)clock_now(c),
                     (long long)asks[i].want);
        clock_free(c);
    }
}

static void test_walk_stands_at_each_due(void **state)
{
    (void)state;
    sb_clock *c = NULL;
    assert_int_equal(clock_new_fake("2026-12-04T09:00:00Z", &c), SB_OK);
    dues_fake f = {.clock = c, .due = {START + 3600, START + 7200, START + 200000}};
    clock_dues d = {.next = fake_next, .run = fake_run, .ctx = &f};
    assert_int_equal(clock_catch_up(c, &d), 0); /* nothing asked: no move, nothing run */
    assert_int_equal(f.runs, 0);
    assert_int_equal(clock_ask(c, "+1d"), SB_OK);
    assert_int_equal(clock_catch_up(c, &d), 1);
    assert_int_equal(f.runs, 2);
    assert_int_equal(f.ran_at[0], START + 3600);
    assert_int_equal(f.ran_at[1], START + 7200);
    assert_int_equal(f.done[2], 0); /* beyond the target: left for later */
    assert_int_equal(clock_now(c), START + 86400);
    /* Two asks before one catch-up: an instant, then a step ahead of it. */
    assert_int_equal(clock_ask(c, "2026-12-04T09:00:00Z"), SB_OK);
    assert_int_equal(clock_ask(c, "+1h"), SB_OK);
    clock_catch_up(c, &d);
    assert_int_equal(clock_now(c), START + 3600);
    /* The fake clock never wakes the core by itself; asking the real clock is refused. */
    struct timespec at;
    assert_int_equal(clock_next_wake(c, &d, &at), 0);
    clock_free(c);
    sb_clock *real = clock_new_real();
    assert_non_null(real);
    assert_int_equal(clock_ask(real, "+1d"), SB_EINVAL);
    assert_int_equal(clock_catch_up(real, &d), 0);
    assert_int_equal(clock_is_fake(real), 0);
    clock_free(real);
}

static void test_file_clock(void **state)
{
    (void)state;
    char path[] = "/tmp/sb-clock-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char spec[64];
    snprintf(spec, sizeof spec, "@%s", path);
    sb_clock *c = NULL;
    assert_int_equal(clock_new_fake(spec, &c), SB_EINVAL); /* an empty file holds no time */
    FILE *f = fopen(path, "w");
    fputs("2026-12-04T09:00:00Z\n", f);
    fclose(f);
    assert_int_equal(clock_new_fake(spec, &c), SB_OK);
    assert_int_equal(clock_now(c), START);
    dues_fake fk = {.clock = c, .due = {START + 60}};
    clock_dues d = {.next = fake_next, .run = fake_run, .ctx = &fk};
    struct timespec at;
    assert_int_equal(clock_next_wake(c, &d, &at), 1); /* it reads its file again soon */
    f = fopen(path, "w");
    fputs("2026-12-04T10:00:00Z\n", f);
    fclose(f);
    clock_woke(c, &d);
    assert_int_equal(clock_now(c), START + 3600);
    assert_int_equal(fk.runs, 1);
    assert_int_equal(fk.ran_at[0], START + 60);
    clock_free(c);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ask_table),
        cmocka_unit_test(test_walk_stands_at_each_due),
        cmocka_unit_test(test_file_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
