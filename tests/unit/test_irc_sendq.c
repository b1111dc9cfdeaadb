/* test_irc_sendq.c — the outgoing reply queue and its token bucket: replies come out as
 * lines in order, a reply counts as sent only after its last line, a lost connection
 * resumes at the next line, and a burst is paced to burst + rate per second. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "irc_line.h"
#include "irc_sendq.h"
#include "sb.h"

/* Sends everything in q with the given budget; returns lines joined with '|' and the
 * finished ids in order (as "id,id"). */
static void drain(irc_sendq *q, size_t budget, char *lines, size_t lcap, char *ids, size_t icap)
{
    size_t la = 0, ia = 0;
    lines[0] = ids[0] = '\0';
    char buf[IRC_LINE_BUF];
    size_t len;
    int rc;
    while ((rc = irc_sendq_peek(q, "PRIVMSG", budget, buf, sizeof buf, &len)) == 1) {
        assert_int_equal(len, strlen(buf));
        la += (size_t)snprintf(lines + la, lcap - la, "%s%s", la ? "|" : "", buf);
        int64_t id;
        if (irc_sendq_advance(q, &id))
            ia += (size_t)snprintf(ids + ia, icap - ia, "%s%lld", ia ? "," : "", (long long)id);
    }
    assert_int_equal(rc, 0);
}

static void test_queue_table(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t budget;
        int add_rc;
        const char *lines;
    } cases[] = {
        {"hello", 100, IRC_SENDQ_QUEUED, "PRIVMSG ann hello"},
        {"two words\n\nnext paragraph", 100, IRC_SENDQ_QUEUED,
         "PRIVMSG ann :two words|PRIVMSG ann :next paragraph"},
        {"one two three", 6, IRC_SENDQ_QUEUED, "PRIVMSG ann one|PRIVMSG ann two|PRIVMSG ann three"},
        {":-) smile", 100, IRC_SENDQ_QUEUED, "PRIVMSG ann ::-) smile"},
        {"no \x01" "CTCP\x01 here", 100, IRC_SENDQ_QUEUED, "PRIVMSG ann :no CTCP here"},
        {"  \n \n", 100, IRC_SENDQ_EMPTY, ""},
        {"", 100, IRC_SENDQ_EMPTY, ""},
    };
    char lines[2048], ids[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        irc_sendq *q = irc_sendq_new(4);
        assert_non_null(q);
        int rc = irc_sendq_add(q, 7, "ann", cases[i].text);
        if (rc != cases[i].add_rc)
            fail_msg("queue case %zu: add %d want %d", i, rc, cases[i].add_rc);
        drain(q, cases[i].budget, lines, sizeof lines, ids, sizeof ids);
        if (strcmp(lines, cases[i].lines) != 0)
            fail_msg("queue case %zu:\n got  %s\n want %s", i, lines, cases[i].lines);
        assert_string_equal(ids, rc == IRC_SENDQ_QUEUED ? "7" : "");
        irc_sendq_free(q);
    }
}

static void test_add_rules(void **state)
{
    (void)state;
    irc_sendq *q = irc_sendq_new(2);
    static const char *bad_targets[] = {"", "two words", ":x", "a,b", "bell\x07", NULL};
    for (size_t i = 0; i < sizeof bad_targets / sizeof bad_targets[0]; i++)
        assert_int_equal(irc_sendq_add(q, 1, bad_targets[i], "hi"), SB_EINVAL);
    assert_int_equal(irc_sendq_add(q, -3, "ann", "first"), IRC_SENDQ_QUEUED);
    assert_int_equal(irc_sendq_add(q, -3, "ann", "first again"), IRC_SENDQ_DUPLICATE);
    assert_int_equal(irc_sendq_add(q, 4, "#room", "second"), IRC_SENDQ_QUEUED);
    assert_int_equal(irc_sendq_add(q, 5, "ann", "third"), SB_ETOOBIG);
    assert_int_equal(irc_sendq_count(q), 2);
    assert_string_equal(irc_sendq_head_target(q), "ann");
    int64_t id;
    assert_int_equal(irc_sendq_drop(q, &id), 1);
    assert_int_equal(id, -3);
    assert_string_equal(irc_sendq_head_target(q), "#room");
    irc_sendq_free(q);
}

/* A line peeked but never written (the connection dropped) comes out again; the reply is
 * reported only after its last line, and nothing is repeated once written. */
static void test_resume_after_loss(void **state)
{
    (void)state;
    irc_sendq *q = irc_sendq_new(4);
    assert_int_equal(irc_sendq_add(q, 1, "ann", "alpha beta\ngamma"), IRC_SENDQ_QUEUED);
    assert_int_equal(irc_sendq_add(q, 2, "bob", "delta"), IRC_SENDQ_QUEUED);
    char buf[IRC_LINE_BUF];
    size_t len;
    int64_t id = 0;
    assert_int_equal(irc_sendq_peek(q, "PRIVMSG", 100, buf, sizeof buf, &len), 1);
    assert_string_equal(buf, "PRIVMSG ann :alpha beta");
    assert_int_equal(irc_sendq_advance(q, &id), 0);
    assert_int_equal(irc_sendq_peek(q, "PRIVMSG", 100, buf, sizeof buf, &len), 1);
    assert_string_equal(buf, "PRIVMSG ann gamma");
    /* connection lost here: the same line is peeked again after the reconnect */
    assert_int_equal(irc_sendq_peek(q, "PRIVMSG", 100, buf, sizeof buf, &len), 1);
    assert_string_equal(buf, "PRIVMSG ann gamma");
    assert_int_equal(irc_sendq_advance(q, &id), 1);
    assert_int_equal(id, 1);
    assert_int_equal(irc_sendq_advance(q, &id), 0); /* nothing peeked: nothing happens */
    assert_int_equal(irc_sendq_peek(q, "NOTICE", 100, buf, sizeof buf, &len), 1);
    assert_string_equal(buf, "NOTICE bob delta");
    assert_int_equal(irc_sendq_advance(q, &id), 1);
    assert_int_equal(id, 2);
    assert_int_equal(irc_sendq_count(q), 0);
    irc_sendq_free(q);
}

/* A full-size line: the largest budget still formats within IRC_BODY_MAX. */
static void test_full_lines(void **state)
{
    (void)state;
    char text[2000];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    irc_sendq *q = irc_sendq_new(1);
    assert_int_equal(irc_sendq_add(q, 9, "ann", text), IRC_SENDQ_QUEUED);
    size_t budget = IRC_BODY_MAX - strlen(":coach!sb@host PRIVMSG ann :");
    char lines[4096], ids[16];
    drain(q, budget, lines, sizeof lines, ids, sizeof ids);
    assert_string_equal(ids, "9");
    size_t total = 0;
    for (char *l = lines; l; l = strchr(l, '|')) {
        l += *l == '|';
        size_t n = strcspn(l, "|") - strlen("PRIVMSG ann ");
        assert_true(n <= budget);
        total += n;
    }
    assert_int_equal(total, sizeof text - 1);
    irc_sendq_free(q);
}

typedef struct bucket_case {
    long burst, rate;
    int64_t until_ms; /* take every token available at each ms in [0, until_ms] */
    int taken;        /* tokens granted: burst + rate * seconds */
} bucket_case;

static void test_bucket(void **state)
{
    (void)state;
    static const bucket_case cases[] = {
        {5, 2, 0, 5},     {5, 2, 999, 6},    {5, 2, 1000, 7},  {10, 15, 1000, 25},
        {1, 1, 10000, 11}, {0, 0, 2000, 3},  {20, 20, 5000, 120},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        irc_bucket b;
        irc_bucket_init(&b, cases[i].burst, cases[i].rate, 0);
        int taken = 0;
        for (int64_t t = 0; t <= cases[i].until_ms; t++) {
            for (;;) {
                int64_t wait = irc_bucket_wait_ms(&b, t);
                int got = irc_bucket_take(&b, t);
                assert_int_equal(got, wait == 0);
                if (!got)
                    break;
                taken++;
            }
        }
        if (taken != cases[i].taken)
            fail_msg("bucket case %zu: %d tokens, want %d", i, taken, cases[i].taken);
    }
    /* a long pause refills to burst, never beyond */
    irc_bucket b;
    irc_bucket_init(&b, 3, 1, 0);
    while (irc_bucket_take(&b, 0))
        ;
    assert_int_equal(irc_bucket_wait_ms(&b, 0), 1000);
    assert_int_equal(irc_bucket_wait_ms(&b, 400), 600);
    int n = 0;
    while (irc_bucket_take(&b, INT64_MAX / 2))
        n++;
    assert_int_equal(n, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_table),
        cmocka_unit_test(test_add_rules),
        cmocka_unit_test(test_resume_after_loss),
        cmocka_unit_test(test_full_lines),
        cmocka_unit_test(test_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
