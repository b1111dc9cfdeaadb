/* test_matrix_parse.c — the Matrix parser on what a real homeserver (Synapse) sent, read at
 * test time from tests/matrix/synapse/ (a copy of shared/matrix-transcripts), odd but valid
 * JSON a person can make a server relay, and the small rules: who may invite, what
 * addresses the bot, Retry-After. Each table row: input, expected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix_json.h"
#include "matrix_http.h"
#include "matrix_invite.h"
#include "matrix_parse.h"
#include "sb.h"

#define TRANSCRIPTS "tests/matrix/synapse/"
#define BOT "@botuser:test.local"
#define DM "!SaleGqYWYUjCOXGuyM:test.local"
#define GROUP "!BFNmrDPMQuVKwMUsRw:test.local"
#define ENC "!CxEnaeyWHpVdlxsSWX:test.local"

/* The response body of a transcript file as JSON text (caller frees); fails the test when
 * the file is missing. */
static char *response_body(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, TRANSCRIPTS "%s", file);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root)
        fail_msg("cannot read %s: %s", path, err.text);
    char *text = json_dumps(json_object_get(json_object_get(root, "response"), "body"), JSON_COMPACT);
    json_decref(root);
    assert_non_null(text);
    return text;
}

static matrix_sync *load_sync(const char *file)
{
    char *body = response_body(file);
    matrix_sync *s = NULL;
    int rc = matrix_sync_parse(body, strlen(body), BOT, &s);
    free(body);
    if (rc != SB_OK)
        fail_msg("%s: matrix_sync_parse: %s", file, sb_strerror(rc));
    return s;
}

/* ---- whole responses ---- */

typedef struct sync_row {
    const char *file;
    const char *next_batch;
    size_t invites, joined, left;
    int has_direct;
} sync_row;

static const sync_row sync_rows[] = {
    {"08-sync-initial.json", "s155_1_16_7_7_1_1_42_0", 0, 1, 0, 1},
    {"11-sync-invite.json", "s162_1_16_7_8_1_1_42_0", 1, 0, 0, 0},
    {"13-sync-joined.json", NULL, 0, 1, 0, 0},
    {"15-sync-message-hi.json", "s164_1_16_7_8_1_1_42_0", 0, 1, 0, 0},
    {"16-sync-longpoll-empty.json", "s164_1_16_7_8_1_1_42_0", 0, 0, 0, 0},
    {"24-sync-ephemeral-accountdata.json", NULL, 0, 1, 0, 1},
    {"25-sync-notice-edit-reply-emote-image.json", "s170_1_20_9_9_1_1_42_0", 0, 1, 0, 0},
    {"27-sync-redaction-filtered.json", NULL, 0, 1, 0, 0},
    {"28-sync-redaction-unfiltered.json", NULL, 0, 1, 0, 0},
    {"32-sync-invite-encrypted.json", NULL, 1, 0, 0, 0},
    {"34-sync-joined-encrypted.json", NULL, 0, 1, 0, 0},
    {"36-sync-encrypted-event.json", NULL, 0, 1, 0, 0},
    {"39-sync-invite-group.json", NULL, 1, 0, 0, 0},
    {"41-sync-joined-group.json", NULL, 0, 1, 0, 0},
    {"42-sync-group-mention.json", NULL, 0, 1, 0, 0},
    {"44-sync-leave.json", NULL, 0, 0, 1, 0},
};

static void test_sync_shapes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sync_rows / sizeof sync_rows[0]; i++) {
        const sync_row *r = &sync_rows[i];
        matrix_sync *s = load_sync(r->file);
        assert_non_null(s->next_batch);
        if (r->next_batch)
            assert_string_equal(s->next_batch, r->next_batch);
        if (s->invite_count != r->invites || s->joined_count != r->joined ||
            s->left_count != r->left || s->has_direct != r->has_direct)
            fail_msg("%s: invites %zu joined %zu left %zu direct %d", r->file, s->invite_count,
                     s->joined_count, s->left_count, s->has_direct);
        matrix_sync_free(s);
    }
}

/* ---- timeline events ---- */

typedef struct event_row {
    const char *file;
    size_t index;             /* in the first joined room's timeline, after deduplication */
    matrix_event_kind kind;
    const char *reason;       /* IGNORED only */
    const char *sender;
    const char *body;         /* TEXT only */
    int mentions_bot;
} event_row;

static const event_row event_rows[] = {
    {"08-sync-initial.json", 3, MATRIX_EVENT_TEXT, NULL, "@alice:test.local", "hello bot, ping 42", 0},
    {"15-sync-message-hi.json", 0, MATRIX_EVENT_TEXT, NULL, "@alice:test.local", "hi", 0},
    {"24-sync-ephemeral-accountdata.json", 0, MATRIX_EVENT_IGNORED, "own", BOT, NULL, 0},
    {"25-sync-notice-edit-reply-emote-image.json", 0, MATRIX_EVENT_IGNORED, "notice", "@alice:test.local", NULL, 0},
    {"25-sync-notice-edit-reply-emote-image.json", 1, MATRIX_EVENT_IGNORED, "edit", "@alice:test.local", NULL, 0},
    {"25-sync-notice-edit-reply-emote-image.json", 2, MATRIX_EVENT_TEXT, NULL, "@alice:test.local", "thanks bot", 0},
    {"25-sync-notice-edit-reply-emote-image.json", 3, MATRIX_EVENT_IGNORED, "emote", "@alice:test.local", NULL, 0},
    {"25-sync-notice-edit-reply-emote-image.json", 4, MATRIX_EVENT_IGNORED, "not text", "@alice:test.local", NULL, 0},
    {"27-sync-redaction-filtered.json", 0, MATRIX_EVENT_IGNORED, "redacted", "@alice:test.local", NULL, 0},
    {"28-sync-redaction-unfiltered.json", 0, MATRIX_EVENT_IGNORED, "redaction", "@alice:test.local", NULL, 0},
    {"28-sync-redaction-unfiltered.json", 1, MATRIX_EVENT_IGNORED, "redacted", "@alice:test.local", NULL, 0},
    {"36-sync-encrypted-event.json", 0, MATRIX_EVENT_ENCRYPTED, NULL, "@alice:test.local", NULL, 0},
    {"42-sync-group-mention.json", 0, MATRIX_EVENT_TEXT, NULL, "@bob:test.local", "hello everyone", 0},
    {"42-sync-group-mention.json", 1, MATRIX_EVENT_TEXT, NULL, "@alice:test.local", "botuser: what is the status?", 1},
    {"13-sync-joined.json", 2, MATRIX_EVENT_MEMBER, NULL, BOT, NULL, 0},
};

static void test_timeline_events(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof event_rows / sizeof event_rows[0]; i++) {
        const event_row *r = &event_rows[i];
        matrix_sync *s = load_sync(r->file);
        assert_true(s->joined_count >= 1);
        if (r->index >= s->joined[0].event_count)
            fail_msg("%s: only %zu events", r->file, s->joined[0].event_count);
        const matrix_event *e = &s->joined[0].events[r->index];
        if (e->kind != r->kind)
            fail_msg("%s #%zu: kind %d, want %d (reason %s)", r->file, r->index, e->kind, r->kind,
                     e->reason ? e->reason : "-");
        if (r->reason)
            assert_string_equal(e->reason, r->reason);
        assert_string_equal(e->sender, r->sender);
        assert_non_null(e->event_id);
        if (r->body)
            assert_string_equal(e->body, r->body);
        else
            assert_null(e->body);
        assert_int_equal(e->mentions_bot, r->mentions_bot);
        matrix_sync_free(s);
    }
}

/* ---- rooms: membership counts, dedup, encryption, invites, m.direct ---- */

typedef struct room_row {
    const char *file;
    const char *room_id;
    long joined_count, joined_seen, member_delta;
    size_t events;
    int encrypted, limited;
} room_row;

static const room_row room_rows[] = {
    /* the bot's own join comes twice in 13, 34 and 41: one event after dedup */
    {"13-sync-joined.json", DM, 2, 2, 2, 3, 0, 1},
    {"15-sync-message-hi.json", DM, -1, 0, 0, 1, 0, 0},
    {"34-sync-joined-encrypted.json", ENC, 2, 2, 2, 3, 1, 1},
    {"41-sync-joined-group.json", GROUP, 3, 3, 3, 5, 0, 1},
};

static void test_rooms(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof room_rows / sizeof room_rows[0]; i++) {
        const room_row *r = &room_rows[i];
        matrix_sync *s = load_sync(r->file);
        assert_int_equal(s->joined_count, 1);
        const matrix_room *room = &s->joined[0];
        assert_string_equal(room->room_id, r->room_id);
        if (room->joined_count != r->joined_count || room->joined_seen != r->joined_seen ||
            room->member_delta != r->member_delta || room->event_count != r->events ||
            room->encrypted != r->encrypted || room->limited != r->limited)
            fail_msg("%s: count %ld seen %ld delta %ld events %zu encrypted %d limited %d", r->file,
                     room->joined_count, room->joined_seen, room->member_delta, room->event_count,
                     room->encrypted, room->limited);
        assert_non_null(room->prev_batch);
        matrix_sync_free(s);
    }
}

typedef struct invite_row {
    const char *file;
    const char *room_id;
    const char *inviter;
    int is_direct, encrypted;
} invite_row;

static const invite_row invite_rows[] = {
    {"11-sync-invite.json", DM, "@alice:test.local", 1, 0},
    {"32-sync-invite-encrypted.json", ENC, "@alice:test.local", 0, 1},
    {"39-sync-invite-group.json", GROUP, "@alice:test.local", 0, 0},
};

static void test_invites(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof invite_rows / sizeof invite_rows[0]; i++) {
        const invite_row *r = &invite_rows[i];
        matrix_sync *s = load_sync(r->file);
        assert_int_equal(s->invite_count, 1);
        assert_string_equal(s->invites[0].room_id, r->room_id);
        assert_string_equal(s->invites[0].inviter, r->inviter);
        assert_int_equal(s->invites[0].is_direct, r->is_direct);
        assert_int_equal(s->invites[0].encrypted, r->encrypted);
        matrix_sync_free(s);
    }
}

static void test_left_and_direct(void **state)
{
    (void)state;
    matrix_sync *s = load_sync("44-sync-leave.json");
    assert_int_equal(s->left_count, 1);
    assert_string_equal(s->left[0], GROUP);
    matrix_sync_free(s);

    s = load_sync("24-sync-ephemeral-accountdata.json");
    assert_int_equal(s->direct_count, 1);
    assert_string_equal(s->direct_rooms[0], DM);
    matrix_sync_free(s);
}

/* ---- single events (GET /event answers carry legacy top-level fields) ---- */

static void test_single_events(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        matrix_event_kind kind;
        const char *reason;
    } rows[] = {
        {"29-get-event-edited.json", MATRIX_EVENT_TEXT, NULL}, /* the original, not the edit */
        {"30-get-event-redacted.json", MATRIX_EVENT_IGNORED, "redacted"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *body = response_body(rows[i].file);
        matrix_event e;
        assert_int_equal(matrix_event_parse(body, strlen(body), BOT, &e), SB_OK);
        assert_int_equal(e.kind, rows[i].kind);
        if (rows[i].reason)
            assert_string_equal(e.reason, rows[i].reason);
        matrix_event_clear(&e);
        free(body);
    }
    matrix_event e;
    assert_int_equal(matrix_event_parse("[1]", 3, BOT, &e), SB_EPARSE);
    assert_int_equal(matrix_event_parse("{\"type\":1}", 10, BOT, &e), SB_OK);
    assert_int_equal(e.kind, MATRIX_EVENT_IGNORED);
    assert_string_equal(e.reason, "malformed");
    matrix_event_clear(&e);
}

/* ---- encryption: what a sync says, and a decrypted event classified like any other ---- */

static void test_e2ee_parts(void **state)
{
    (void)state;
    matrix_sync *s = load_sync("36-sync-encrypted-event.json");
    assert_int_equal(s->keys_changed_count, 2);
    assert_string_equal(s->keys_changed[0], "@alice:test.local");
    assert_int_equal(s->one_time_keys, 2);
    assert_int_equal(s->fallback_unused, 0);
    assert_null(s->to_device);
    matrix_event *e = &s->joined[0].events[0];
    assert_int_equal(e->kind, MATRIX_EVENT_ENCRYPTED);
    assert_non_null(strstr(e->encrypted, "\"session_id\":\"FsWxnVSe2RkvQGLvFVCz/LZ7cUMLV9k8vHdbQhdfPIs\""));
    /* decrypted: a text from alice, with the server's event id and sender kept */
    assert_int_equal(matrix_event_decrypted(e, "{\"type\":\"m.room.message\",\"content\":"
                                               "{\"msgtype\":\"m.text\",\"body\":\"hi bot\"},"
                                               "\"room_id\":\"" ENC "\",\"sender\":\"@eve:x\"}",
                                            BOT),
                     SB_OK);
    assert_int_equal(e->kind, MATRIX_EVENT_TEXT);
    assert_string_equal(e->body, "hi bot");
    assert_string_equal(e->sender, "@alice:test.local");
    assert_string_equal(e->event_id, "$GBFmndErxydeGwxeySl1-0YBAotH2u30qpKHYN30jgM");
    matrix_sync_free(s);

    static const char *const bodies[] = {
        /* to-device, device lists, key counts, fallback types (the unstable name too) */
        "{\"next_batch\":\"s1\",\"to_device\":{\"events\":[{\"type\":\"m.dummy\"}]},"
        "\"device_lists\":{\"changed\":[\"@a:x\",7],\"left\":[\"@b:x\"]},"
        "\"device_one_time_keys_count\":{},"
        "\"org.matrix.msc2732.device_unused_fallback_key_types\":[\"signed_curve25519\"]}",
        "{\"next_batch\":\"s1\"}",
    };
    assert_int_equal(matrix_sync_parse(bodies[0], strlen(bodies[0]), BOT, &s), SB_OK);
    assert_int_equal(json_array_size(s->to_device), 1);
    assert_int_equal(s->keys_changed_count, 1);
    assert_int_equal(s->keys_left_count, 1);
    assert_int_equal(s->one_time_keys, 0);
    assert_int_equal(s->fallback_unused, 1);
    matrix_sync_free(s);
    assert_int_equal(matrix_sync_parse(bodies[1], strlen(bodies[1]), BOT, &s), SB_OK);
    assert_int_equal(s->one_time_keys, -1);
    assert_int_equal(s->fallback_unused, -1);
    matrix_sync_free(s);

    /* what a decrypted event may not be: a membership change, or not an event at all */
    matrix_event x;
    const char *enc = "{\"type\":\"m.room.encrypted\",\"sender\":\"@a:x\",\"event_id\":\"$1\","
                      "\"content\":{\"algorithm\":\"m.megolm.v1.aes-sha2\"}}";
    assert_int_equal(matrix_event_parse(enc, strlen(enc), BOT, &x), SB_OK);
    assert_int_equal(matrix_event_decrypted(&x, "[1]", BOT), SB_EPARSE);
    assert_int_equal(x.kind, MATRIX_EVENT_ENCRYPTED);
    assert_int_equal(matrix_event_decrypted(&x, "{\"type\":\"m.room.member\",\"state_key\":"
                                                "\"@a:x\",\"content\":{\"membership\":\"join\"}}",
                                            BOT),
                     SB_OK);
    assert_int_equal(x.kind, MATRIX_EVENT_IGNORED);
    matrix_event_clear(&x);
}

/* ---- errors, logins, small answers ---- */

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        const char *errcode;
        long retry_after_ms;
    } rows[] = {
        {"46-err-unknown-token.json", "M_UNKNOWN_TOKEN", -1},
        {"45-err-missing-token.json", "M_MISSING_TOKEN", -1},
        {"55-err-send-not-in-room.json", "M_FORBIDDEN", -1},
        {"58-err-sync-bad-since.json", "M_UNKNOWN", -1},
        {"61-ratelimit-send-3.json", "M_LIMIT_EXCEEDED", 4926},
        {"65-after-logout-sync.json", "M_UNKNOWN_TOKEN", -1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *body = response_body(rows[i].file);
        char code[32];
        long ms = 0;
        assert_int_equal(matrix_error_parse(body, strlen(body), code, sizeof code, &ms), SB_OK);
        assert_string_equal(code, rows[i].errcode);
        assert_int_equal(ms, rows[i].retry_after_ms);
        free(body);
    }
    char code[8];
    long ms;
    assert_int_equal(matrix_error_parse("<html>502</html>", 16, code, sizeof code, &ms), SB_EPARSE);
    assert_string_equal(code, "");
    assert_int_equal(ms, -1);
    const char *cut = "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"retry_after_ms\":-5}";
    assert_int_equal(matrix_error_parse(cut, strlen(cut), code, sizeof code, &ms), SB_OK);
    assert_string_equal(code, "M_LIMIT"); /* cut to the buffer */
    assert_int_equal(ms, -1);
}

static void test_fields(void **state)
{
    (void)state;
    static const struct {
        const char *file, *key, *value;
        int rc;
    } rows[] = {
        {"02-login-password.json", "access_token", "<TOKEN>", SB_OK},
        {"02-login-password.json", "device_id", "BOTDEVICE1", SB_OK},
        {"05-whoami.json", "user_id", BOT, SB_OK},
        {"06-filter-create.json", "filter_id", "0", SB_OK},
        {"17-send-notice.json", "event_id", NULL, SB_OK},
        {"12-join.json", "room_id", DM, SB_OK},
        {"05-whoami.json", "is_guest", NULL, SB_ENOTFOUND},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *body = response_body(rows[i].file);
        char *v = NULL;
        assert_int_equal(matrix_field_parse(body, strlen(body), rows[i].key, &v), rows[i].rc);
        if (rows[i].value)
            assert_string_equal(v, rows[i].value);
        else if (rows[i].rc == SB_OK)
            assert_true(v && v[0] == '$');
        free(v);
        free(body);
    }
}

static void test_retry_after(void **state)
{
    (void)state;
    time_t now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */
    static const struct {
        const char *value;
        long ms;
    } rows[] = {
        {"5", 5000},        {" 0", 0},       {"120\r\n", 120000},
        {"Wed, 21 Oct 2015 07:28:07 GMT", 7000}, {"Wed, 21 Oct 2015 07:27:00 GMT", 0},
        {"soon", -1},       {"", -1},        {"-3", -1},
        {"99999999999999999999", -1},         {NULL, -1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (matrix_retry_after_ms(rows[i].value, now) != rows[i].ms)
            fail_msg("Retry-After \"%s\": %ld, want %ld", rows[i].value ? rows[i].value : "(null)",
                     matrix_retry_after_ms(rows[i].value, now), rows[i].ms);
}

/* ---- policy: invites, addressing ---- */

static void test_user_allowed(void **state)
{
    (void)state;
    static const struct {
        const char *user, *users, *servers;
        int allowed;
    } rows[] = {
        {"@alice:test.local", NULL, NULL, 1},              /* default: the bot's server */
        {"@eve:evil.example", NULL, NULL, 0},
        {"@eve:evil.example", "", " ", 0},
        {"@eve:evil.example", "@eve:evil.example", NULL, 1},
        {"@alice:test.local", "@eve:evil.example", NULL, 0}, /* a list replaces the default */
        {"@bob:other.org", NULL, "other.org, third.net", 1},
        {"@bob:third.net", "@x:y.z", "other.org third.net", 1},
        {"@bob:nother.org", NULL, "other.org", 0},
        {"@anyone:any.where", NULL, "*", 1},
        {"not-a-user", NULL, "*", 0},
        {NULL, NULL, NULL, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (matrix_user_allowed(rows[i].user, rows[i].users, rows[i].servers, BOT) != rows[i].allowed)
            fail_msg("row %zu: %s allowed should be %d", i, rows[i].user ? rows[i].user : "(null)",
                     rows[i].allowed);
}

static void test_addressing(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int mentions;
        int addressed;
        const char *stripped;
    } rows[] = {
        {"!help", 0, 1, "!help"},
        {"  !journal", 0, 1, "  !journal"},
        {"hello everyone", 0, 0, "hello everyone"},
        {"botuser: what is the status?", 0, 1, "what is the status?"},
        {"Botuser, !help", 0, 1, "!help"},
        {"@botuser:test.local: hi", 0, 1, "hi"},
        {"@botuser: hi", 0, 1, "hi"},
        {"ask Coach please", 0, 1, "ask Coach please"},
        {"botusers are fun", 0, 0, "botusers are fun"},
        {"thanks", 1, 1, "thanks"},
        {"mybotuser: no", 0, 0, "mybotuser: no"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int got = matrix_addressed(rows[i].body, rows[i].mentions, BOT, "Coach");
        if (got != rows[i].addressed)
            fail_msg("\"%s\": addressed %d, want %d", rows[i].body, got, rows[i].addressed);
        assert_string_equal(matrix_strip_address(rows[i].body, BOT, "Coach"), rows[i].stripped);
    }
}

/* Truncated and mangled responses must fail cleanly or parse, never crash or leak. */
static void test_truncated(void **state)
{
    (void)state;
    char *body = response_body("42-sync-group-mention.json");
    size_t len = strlen(body);
    for (size_t cut = 0; cut < len; cut += 7) {
        matrix_sync *s = NULL;
        int rc = matrix_sync_parse(body, cut, BOT, &s);
        assert_int_equal(rc, SB_EPARSE);
        assert_null(s);
    }
    free(body);
    static const char *odd[] = {
        "{\"next_batch\":\"x\",\"rooms\":[]}",
        "{\"next_batch\":\"x\",\"rooms\":{\"join\":{\"!r:x\":[]},\"invite\":{\"!i:x\":{}}}}",
        "{\"next_batch\":\"x\",\"rooms\":{\"join\":{\"!r:x\":{\"timeline\":{\"events\":[1,{},null]}}}}}",
        "{\"next_batch\":\"x\",\"account_data\":{\"events\":[{\"type\":\"m.direct\",\"content\":{\"@a:x\":[1,\"!d:x\"]}}]}}",
    };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        matrix_sync *s = NULL;
        assert_int_equal(matrix_sync_parse(odd[i], strlen(odd[i]), BOT, &s), SB_OK);
        assert_string_equal(s->next_batch, "x");
        matrix_sync_free(s);
    }
    matrix_sync *s = NULL;
    assert_int_equal(matrix_sync_parse("{\"next_batch\":5}", 16, BOT, &s), SB_EPARSE);
}

/* ---- valid JSON jansson alone refuses ---- */

typedef struct odd_row {
    const char *body_json; /* the message body as it appears in the JSON text */
    const char *expected;  /* the body the core gets */
} odd_row;

static const odd_row odd_rows[] = {
    {"a\\\\u0000b", "a\\u0000b"}, /* an escaped backslash: no NUL at all */
    {"a\\\\u0000b\\u0000", "a\\u0000b\xef\xbf\xbd"},
    {"x\\u0000y", "x\xef\xbf\xbdy"},
    {"\\ud800", "\xef\xbf\xbd"},   /* a lone high surrogate */
    {"\\udc00!", "\xef\xbf\xbd!"}, /* a lone low surrogate */
    {"\\ud800\\ud83d\\ude00", "\xef\xbf\xbd\xf0\x9f\x98\x80"}, /* lone, then a pair */
    {"\\ud83d\\ude00 ok", "\xf0\x9f\x98\x80 ok"},               /* a pair is fine as it is */
    {"caf\xe9 \xc0\xaf", "caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd"}, /* not UTF-8 */
    {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},      /* a surrogate as UTF-8 */
};

/* A /sync answer carrying one odd message from @eve and an ordinary one from @bob: both
 * arrive, so one person's message can never stop everyone else's. */
static void test_odd_but_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof odd_rows / sizeof odd_rows[0]; i++) {
        char body[1024];
        int n = snprintf(body, sizeof body,
                         "{\"next_batch\":\"s2\",\"rooms\":{\"join\":{\"" DM "\":{\"timeline\":"
                         "{\"events\":[{\"type\":\"m.room.message\",\"event_id\":\"$1\","
                         "\"sender\":\"@eve:test.local\",\"content\":{\"msgtype\":\"m.text\","
                         "\"body\":\"%s\"}},{\"type\":\"m.room.message\",\"event_id\":\"$2\","
                         "\"sender\":\"@bob:test.local\",\"content\":{\"msgtype\":\"m.text\","
                         "\"body\":\"hi\"}}]}}}}}",
                         odd_rows[i].body_json);
        assert_true(n > 0 && (size_t)n < sizeof body);
        matrix_sync *s = NULL;
        if (matrix_sync_parse(body, (size_t)n, BOT, &s) != SB_OK)
            fail_msg("row %zu refused: %s", i, body);
        assert_int_equal(s->joined_count, 1);
        assert_int_equal(s->joined[0].event_count, 2);
        assert_int_equal(s->joined[0].events[0].kind, MATRIX_EVENT_TEXT);
        assert_string_equal(s->joined[0].events[0].body, odd_rows[i].expected);
        assert_string_equal(s->joined[0].events[1].body, "hi");
        matrix_sync_free(s);
    }
    /* Not JSON stays not JSON. */
    assert_null(matrix_json_load("{\"a\":\"\\u00\"}", 11));
    assert_null(matrix_json_load("{\"a\":\xff}", 7));
    json_t *v = matrix_json_load("\"\\ud800\"", 8);
    assert_non_null(v);
    assert_string_equal(json_string_value(v), "\xef\xbf\xbd");
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_shapes),     cmocka_unit_test(test_timeline_events),
        cmocka_unit_test(test_rooms),           cmocka_unit_test(test_invites),
        cmocka_unit_test(test_left_and_direct), cmocka_unit_test(test_single_events),
        cmocka_unit_test(test_errors),          cmocka_unit_test(test_fields),
        cmocka_unit_test(test_retry_after),     cmocka_unit_test(test_user_allowed),
        cmocka_unit_test(test_addressing),      cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_odd_but_valid),   cmocka_unit_test(test_e2ee_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
