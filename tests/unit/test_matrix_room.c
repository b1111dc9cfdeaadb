/* test_matrix_room.c — what a sequence of real /sync answers (Synapse transcripts in
 * tests/matrix/synapse/, a copy of shared/matrix-transcripts) means for the core and the
 * adapter's actions: the DM flow (invite, join, message), group privacy, encrypted rooms,
 * leaving; plus the HTTP outcome and backoff rules of matrix_http. Each step is a table row: file, expected results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix_http.h"
#include "matrix_room.h"

#define BOT "@botuser:test.local"
#define DM "!SaleGqYWYUjCOXGuyM:test.local"
#define GROUP "!BFNmrDPMQuVKwMUsRw:test.local"
#define ENC "!CxEnaeyWHpVdlxsSWX:test.local"

static matrix_sync *load_sync(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "tests/matrix/synapse/%s", file);
    json_t *root = json_load_file(path, 0, NULL);
    if (!root)
        fail_msg("cannot read %s", path);
    char *text = json_dumps(json_object_get(json_object_get(root, "response"), "body"), 0);
    json_decref(root);
    matrix_sync *s = NULL;
    assert_int_equal(matrix_sync_parse(text, strlen(text), BOT, &s), SB_OK);
    free(text);
    return s;
}

/* One step: the sync file, whether it is the boot sync, and what must come out, written as
 * short strings: events "M:room:direct:addressed:text", "R:room:direct", "E:room", "L:room";
 * actions "join:room", "decline:room", "leave:room", "typing+:room", "typing-:room",
 * "receipt:room". NULL ends a list. */
typedef struct step {
    const char *file;
    int boot, announce;
    const char *events[6];
    const char *now[4];
    const char *later[4];
} step;

static void describe_event(const sb_inbound *e, char *out, size_t n)
{
    switch (e->kind) {
    case SB_IN_MESSAGE:
        snprintf(out, n, "M:%s:%d:%d:%s", e->room, e->direct, e->addressed, e->text);
        break;
    case SB_IN_ROOM: snprintf(out, n, "R:%s:%d", e->room, e->direct); break;
    case SB_IN_ENCRYPTED: snprintf(out, n, "E:%s", e->room); break;
    case SB_IN_UNREADABLE: snprintf(out, n, "U:%s", e->room); break;
    case SB_IN_LEFT: snprintf(out, n, "L:%s", e->room); break;
    default: snprintf(out, n, "?"); break;
    }
}

static void describe_action(const matrix_action *a, char *out, size_t n)
{
    static const char *const names[] = {"join", "decline", "leave", "typing", "receipt"};
    snprintf(out, n, "%s%s:%s", names[a->kind],
             a->kind == MATRIX_ACT_TYPING ? (a->on ? "+" : "-") : "", a->room);
}

static void check_list(const char *file, const char *what, const char *const *want, size_t got_n,
                       char got[][160])
{
    size_t want_n = 0;
    while (want_n < 6 && want[want_n])
        want_n++;
    for (size_t i = 0; i < want_n || i < got_n; i++) {
        const char *w = i < want_n ? want[i] : "(nothing)";
        const char *g = i < got_n ? got[i] : "(nothing)";
        if (strcmp(w, g) != 0)
            fail_msg("%s: %s #%zu: got \"%s\", want \"%s\"", file, what, i, g, w);
    }
}

static void run_steps(const step *steps, size_t n, const char *allowed_servers)
{
    matrix_rooms *rooms = matrix_rooms_new();
    assert_non_null(rooms);
    matrix_policy p = {BOT, NULL, allowed_servers};
    for (size_t i = 0; i < n; i++) {
        const step *st = &steps[i];
        matrix_sync *s = load_sync(st->file);
        matrix_batch b = {0};
        matrix_actions now = {0}, later = {0};
        assert_int_equal(matrix_rooms_apply(rooms, s, &p, st->boot, st->announce, &b, &now, &later),
                         SB_OK);
        char got[8][160];
        size_t k;
        for (k = 0; k < b.count && k < 8; k++)
            describe_event(&b.events[k], got[k], sizeof got[k]);
        check_list(st->file, "event", st->events, k, got);
        for (k = 0; k < now.count && k < 8; k++)
            describe_action(&now.items[k], got[k], sizeof got[k]);
        check_list(st->file, "action now", st->now, k, got);
        for (k = 0; k < later.count && k < 8; k++)
            describe_action(&later.items[k], got[k], sizeof got[k]);
        check_list(st->file, "action later", st->later, k, got);
        matrix_batch_clear(&b);
        matrix_actions_clear(&now);
        matrix_actions_clear(&later);
        matrix_sync_free(s);
    }
    matrix_rooms_free(rooms);
}

static void test_direct_chat_flow(void **state)
{
    (void)state;
    static const step steps[] = {
        /* first start: rooms announced, history ("hello bot, ping 42") not answered */
        {"08-sync-initial.json", 1, 1, {"R:!viNNkfSgUKXEmebOun:test.local:1"}, {NULL}, {NULL}},
        {"11-sync-invite.json", 0, 0, {NULL}, {"join:" DM}, {NULL}},
        {"13-sync-joined.json", 0, 0, {"R:" DM ":1"}, {NULL}, {NULL}},
        {"15-sync-message-hi.json", 0, 0, {"M:" DM ":1:0:hi"}, {"typing+:" DM},
         {"receipt:" DM, "typing-:" DM}},
        /* notice, edit, emote, image ignored; the reply answered without its quote */
        {"25-sync-notice-edit-reply-emote-image.json", 0, 0, {"M:" DM ":1:0:thanks bot"},
         {"typing+:" DM}, {"receipt:" DM, "typing-:" DM}},
        {"24-sync-ephemeral-accountdata.json", 0, 0, {NULL}, {NULL}, {NULL}}, /* own notice */
        {"27-sync-redaction-filtered.json", 0, 0, {NULL}, {NULL}, {NULL}},
    };
    run_steps(steps, sizeof steps / sizeof steps[0], NULL);
}

static void test_group_and_encrypted(void **state)
{
    (void)state;
    static const step steps[] = {
        {"32-sync-invite-encrypted.json", 0, 0, {NULL}, {"join:" ENC}, {NULL}},
        {"34-sync-joined-encrypted.json", 0, 0, {"R:" ENC ":1"}, {NULL}, {NULL}},
        {"36-sync-encrypted-event.json", 0, 0, {"E:" ENC}, {NULL}, {"receipt:" ENC}},
        {"39-sync-invite-group.json", 0, 0, {NULL}, {"join:" GROUP}, {NULL}},
        {"41-sync-joined-group.json", 0, 0, {"R:" GROUP ":0"}, {NULL}, {NULL}},
        /* bob talks to people: dropped; alice addresses the bot: passed, address removed */
        {"42-sync-group-mention.json", 0, 0, {"M:" GROUP ":0:1:what is the status?"},
         {"typing+:" GROUP}, {"receipt:" GROUP, "typing-:" GROUP}},
        {"44-sync-leave.json", 0, 0, {"L:" GROUP}, {NULL}, {NULL}},
    };
    run_steps(steps, sizeof steps / sizeof steps[0], NULL);
}

/* With encryption: the room is known to be encrypted from its invite on, for good; an event
 * the adapter could not decrypt is reported as unreadable (asked to send again). */
static void test_encrypted_rooms_known(void **state)
{
    (void)state;
    matrix_rooms *rooms = matrix_rooms_new();
    matrix_policy p = {BOT, NULL, NULL};
    const char *files[] = {"32-sync-invite-encrypted.json", "34-sync-joined-encrypted.json",
                           "36-sync-encrypted-event.json"};
    assert_int_equal(matrix_rooms_encrypted(rooms, ENC), -1);
    for (size_t i = 0; i < 3; i++) {
        matrix_sync *s = load_sync(files[i]);
        if (i == 2)
            s->joined[0].events[0].unreadable = 1;
        matrix_batch b = {0};
        matrix_actions now = {0}, later = {0};
        assert_int_equal(matrix_rooms_apply(rooms, s, &p, 0, 0, &b, &now, &later), SB_OK);
        assert_int_equal(matrix_rooms_encrypted(rooms, ENC), 1);
        if (i == 2) {
            assert_int_equal(b.count, 1);
            assert_int_equal(b.events[0].kind, SB_IN_UNREADABLE);
        }
        matrix_batch_clear(&b);
        matrix_actions_clear(&now);
        matrix_actions_clear(&later);
        matrix_sync_free(s);
    }
    assert_int_equal(matrix_rooms_encrypted(rooms, DM), -1);
    matrix_rooms_free(rooms);
}

static void test_invites_from_strangers_declined(void **state)
{
    (void)state;
    static const step steps[] = {
        {"11-sync-invite.json", 0, 0, {NULL}, {"decline:" DM}, {NULL}},
    };
    run_steps(steps, 1, "other.example");
}

/* A restart: the boot sync rebuilds the rooms without announcing or answering anything;
 * a room the boot sync did not show (size unknown, no flags) counts as a group room, so an
 * unaddressed message there is not passed on (privacy first). */
static void test_restart_boot_is_silent(void **state)
{
    (void)state;
    matrix_rooms *rooms = matrix_rooms_new();
    matrix_policy p = {BOT, NULL, NULL};
    matrix_sync *s = load_sync("08-sync-initial.json");
    matrix_batch b = {0};
    matrix_actions now = {0}, later = {0};
    assert_int_equal(matrix_rooms_apply(rooms, s, &p, 1, 0, &b, &now, &later), SB_OK);
    assert_int_equal(b.count, 0);
    assert_int_equal(now.count, 0);
    assert_int_equal(matrix_rooms_direct(rooms, "!viNNkfSgUKXEmebOun:test.local"), 1);
    matrix_sync_free(s);
    s = load_sync("15-sync-message-hi.json");
    assert_int_equal(matrix_rooms_apply(rooms, s, &p, 0, 0, &b, &now, &later), SB_OK);
    assert_int_equal(b.count, 1); /* only the room announcement */
    assert_int_equal(b.events[0].kind, SB_IN_ROOM);
    assert_int_equal(b.events[0].direct, 0);
    matrix_batch_clear(&b);
    matrix_actions_clear(&now);
    matrix_actions_clear(&later);
    matrix_sync_free(s);
    matrix_rooms_free(rooms);
}

/* A limited timeline filled from /messages: older events first, repeats dropped. */
static void test_prepend_gap(void **state)
{
    (void)state;
    const char *page = "{\"start\":\"s9\",\"end\":\"s5\",\"chunk\":["
                       "{\"type\":\"m.room.message\",\"sender\":\"@alice:test.local\","
                       "\"event_id\":\"$CcNLhQogmvj18ecSNrxdQ4GWOluKNg6Lk8pHsv2u2zM\","
                       "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\"}},"
                       "{\"type\":\"m.room.message\",\"sender\":\"@alice:test.local\","
                       "\"event_id\":\"$b\",\"content\":{\"msgtype\":\"m.text\",\"body\":\"second\"}},"
                       "{\"type\":\"m.room.message\",\"sender\":\"@alice:test.local\","
                       "\"event_id\":\"$a\",\"content\":{\"msgtype\":\"m.text\",\"body\":\"first\"}}]}";
    matrix_event *events = NULL;
    size_t n = 0;
    char *end = NULL;
    assert_int_equal(matrix_messages_parse(page, strlen(page), BOT, &events, &n, &end), SB_OK);
    assert_int_equal(n, 3);
    assert_string_equal(end, "s5");
    free(end);
    matrix_event *older = calloc(n, sizeof *older);
    for (size_t i = 0; i < n; i++)
        older[i] = events[n - 1 - i];
    free(events);
    matrix_sync *s = load_sync("15-sync-message-hi.json");
    assert_int_equal(matrix_room_prepend(&s->joined[0], older, n), SB_OK);
    assert_int_equal(s->joined[0].event_count, 3); /* "hi" was already in the timeline */
    assert_string_equal(s->joined[0].events[0].body, "first");
    assert_string_equal(s->joined[0].events[1].body, "second");
    assert_string_equal(s->joined[0].events[2].body, "hi");
    matrix_sync_free(s);
    assert_int_equal(matrix_messages_parse("{\"chunk\":{}}", 11, BOT, &events, &n, &end), SB_EPARSE);
    assert_null(events);
}

/* ---- matrix_http rules ---- */

static void test_outcomes(void **state)
{
    (void)state;
    static const struct {
        int transport_ok;
        long status;
        const char *body;
        long header_ms;
        matrix_outcome want;
        long want_wait;
    } rows[] = {
        {1, 200, "{\"event_id\":\"$x\"}", -1, MATRIX_OK, -1},
        {1, 429, "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"retry_after_ms\":4926}", -1, MATRIX_RATE_LIMITED, 4926},
        {1, 429, "{\"errcode\":\"M_LIMIT_EXCEEDED\"}", 2000, MATRIX_RATE_LIMITED, 2000},
        {1, 429, "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"retry_after_ms\":300}", 1000, MATRIX_RATE_LIMITED, 1000},
        {1, 429, "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"retry_after_ms\":3000}", 1000, MATRIX_RATE_LIMITED, 3000},
        {1, 429, "", -1, MATRIX_RATE_LIMITED, -1},
        {1, 500, "{\"errcode\":\"M_UNKNOWN\"}", -1, MATRIX_TRANSIENT, -1},
        {1, 502, "<html><body>502 Bad Gateway</body></html>", -1, MATRIX_TRANSIENT, -1},
        {0, 0, NULL, -1, MATRIX_TRANSIENT, -1},
        {1, 401, "{\"errcode\":\"M_UNKNOWN_TOKEN\",\"soft_logout\":false}", -1, MATRIX_UNAUTHORIZED, -1},
        {1, 401, "{\"errcode\":\"M_MISSING_TOKEN\"}", -1, MATRIX_UNAUTHORIZED, -1},
        {1, 403, "{\"errcode\":\"M_FORBIDDEN\",\"error\":\"Unknown room\"}", -1, MATRIX_REFUSED, -1},
        {1, 400, "{\"errcode\":\"M_UNRECOGNIZED\"}", -1, MATRIX_REFUSED, -1},
        {1, 404, "not json", -1, MATRIX_TRANSIENT, -1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        long wait = 0;
        char code[32];
        matrix_outcome o = matrix_outcome_of(rows[i].transport_ok, rows[i].status, rows[i].body,
                                             rows[i].body ? strlen(rows[i].body) : 0,
                                             rows[i].header_ms, &wait, code, sizeof code);
        if (o != rows[i].want || wait != rows[i].want_wait)
            fail_msg("row %zu: %s wait %ld, want %s wait %ld", i, matrix_outcome_name(o), wait,
                     matrix_outcome_name(rows[i].want), rows[i].want_wait);
    }
}

static void test_backoff(void **state)
{
    (void)state;
    static const struct {
        int failures;
        long min, max;
        long low, high; /* the delay lies in [low, high] */
    } rows[] = {
        {1, 1000, 300000, 500, 1000},      {2, 1000, 300000, 1000, 2000},
        {3, 1000, 300000, 2000, 4000},     {9, 1000, 300000, 128000, 256000},
        {10, 1000, 300000, 150000, 300000}, {60, 1000, 300000, 150000, 300000},
        {1000, 1000, 300000, 150000, 300000}, {5, 10, 200, 80, 160}, {6, 10, 200, 100, 200},
        {1, 1, 1, 1, 1},
    };
    unsigned randoms[] = {0, 1, 12345, 0x7fffffffu, 0xffffffffu};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        for (size_t r = 0; r < sizeof randoms / sizeof randoms[0]; r++) {
            long d = matrix_backoff_ms(rows[i].failures, rows[i].min, rows[i].max, randoms[r]);
            if (d < rows[i].low || d > rows[i].high)
                fail_msg("failures %d random %u: %ld not in [%ld, %ld]", rows[i].failures,
                         randoms[r], d, rows[i].low, rows[i].high);
        }
}

static void test_url_segment(void **state)
{
    (void)state;
    sb_buf b = {0};
    assert_int_equal(matrix_url_segment(&b, "!SaleGqYWYUjCOXGuyM:test.local"), SB_OK);
    assert_string_equal(b.data, "%21SaleGqYWYUjCOXGuyM%3Atest.local");
    sb_buf_free(&b);
    assert_int_equal(matrix_url_segment(&b, "$a/b+c d~"), SB_OK);
    assert_string_equal(b.data, "%24a%2Fb%2Bc%20d~");
    sb_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct_chat_flow),
        cmocka_unit_test(test_group_and_encrypted),
        cmocka_unit_test(test_encrypted_rooms_known),
        cmocka_unit_test(test_invites_from_strangers_declined),
        cmocka_unit_test(test_restart_boot_is_silent),
        cmocka_unit_test(test_prepend_gap),
        cmocka_unit_test(test_outcomes),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_url_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
