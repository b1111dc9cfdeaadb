/* test_matrix_e2ee.c — the encryption state machine between two of itself, with a tiny
 * homeserver in the test (device keys, one-time keys, to-device delivery): the bot and a
 * person's device upload keys, find each other, share room keys over Olm and read each
 * other's Megolm messages; the bot is rebuilt from its stored changes between steps (what a
 * restart does); rotation by message count and by departure; a person's changed keys are
 * refused; an unknown session asks for its key once; forget leaves earlier messages
 * unreadable and later ones readable; one-time keys are topped up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix_crypto.h"
#include "matrix_e2ee.h"
#include "sb.h"

#define ROOM "!dm:example.org"
#define BOT "@bot:example.org"
#define ANN "@ann:example.org"
#define KEY "unit test pickle key, long enough to pass"

/* ---- a homeserver in a few lines ---- */

typedef struct server {
    json_t *device_keys;   /* user -> device -> keys */
    json_t *one_time_keys; /* "user device" -> {name: key} */
    json_t *inbox;         /* "user device" -> [to-device events] */
    json_t *state;         /* the bot's stored state: key -> value */
} server;

static void upload(server *sv, matrix_e2ee *e, const char *user, const char *device)
{
    json_t *body = matrix_e2ee_upload_body(e);
    assert_non_null(body);
    json_t *dk = json_object_get(body, "device_keys");
    if (dk) {
        if (!json_object_get(sv->device_keys, user))
            json_object_set_new(sv->device_keys, user, json_object());
        json_object_set(json_object_get(sv->device_keys, user), device, dk);
    }
    char who[256];
    snprintf(who, sizeof who, "%s %s", user, device);
    if (!json_object_get(sv->one_time_keys, who))
        json_object_set_new(sv->one_time_keys, who, json_object());
    json_t *held = json_object_get(sv->one_time_keys, who);
    json_object_update(held, json_object_get(body, "one_time_keys"));
    char answer[128];
    snprintf(answer, sizeof answer, "{\"one_time_key_counts\":{\"signed_curve25519\":%zu}}",
             json_object_size(held));
    matrix_e2ee_uploaded(e, answer, strlen(answer));
    json_decref(body);
}

/* Runs prepare until READY, answering members, query and claim like a server. */
static void prepare(server *sv, matrix_e2ee *e, const char *members)
{
    for (int round = 0; round < 6; round++) {
        matrix_e2ee_need need;
        json_t *body = NULL;
        assert_int_equal(matrix_e2ee_prepare(e, ROOM, &need, &body), SB_OK);
        if (need == MATRIX_E2EE_READY) {
            assert_null(body);
            return;
        }
        if (need == MATRIX_E2EE_MEMBERS) {
            matrix_e2ee_members(e, ROOM, members, strlen(members));
        } else if (need == MATRIX_E2EE_QUERY) {
            json_t *answer = json_pack("{s:{}}", "device_keys");
            const char *user;
            json_t *x;
            json_object_foreach(json_object_get(body, "device_keys"), user, x) {
                json_t *devices = json_object_get(sv->device_keys, user);
                json_object_set(json_object_get(answer, "device_keys"), user,
                                devices ? devices : json_object());
            }
            char *text = json_dumps(answer, 0);
            matrix_e2ee_query_result(e, text, strlen(text));
            free(text);
            json_decref(answer);
        } else {
            json_t *answer = json_pack("{s:{}}", "one_time_keys");
            const char *user, *device;
            json_t *devices, *x;
            json_object_foreach(json_object_get(body, "one_time_keys"), user, devices) {
                json_object_foreach(devices, device, x) {
                    char who[256];
                    snprintf(who, sizeof who, "%s %s", user, device);
                    json_t *held = json_object_get(sv->one_time_keys, who);
                    void *it = json_object_iter(held);
                    if (!it)
                        continue;
                    json_t *claimed = json_pack("{s:{s:O}}", device, json_object_iter_key(it),
                                                json_object_iter_value(it));
                    json_object_set_new(json_object_get(answer, "one_time_keys"), user, claimed);
                    json_object_del(held, json_object_iter_key(it));
                }
            }
            char *text = json_dumps(answer, 0);
            matrix_e2ee_claim_result(e, text, strlen(text));
            free(text);
            json_decref(answer);
        }
        json_decref(body);
    }
    fail_msg("prepare never became ready");
}

/* Delivers a pending to-device message of sender into the recipients' inboxes. */
static void deliver(server *sv, matrix_e2ee *e, const char *sender, const char *txn)
{
    const char *type;
    json_t *body = NULL;
    assert_int_equal(matrix_e2ee_pending_body(e, txn, &type, &body), SB_OK);
    const char *user, *device;
    json_t *devices, *content;
    json_object_foreach(json_object_get(body, "messages"), user, devices)
        json_object_foreach(devices, device, content) {
            char who[256];
            snprintf(who, sizeof who, "%s %s", user, device);
            if (!json_object_get(sv->inbox, who))
                json_object_set_new(sv->inbox, who, json_array());
            json_array_append_new(json_object_get(sv->inbox, who),
                                  json_pack("{s:s, s:s, s:O}", "type", type, "sender", sender,
                                            "content", content));
        }
    json_decref(body);
    matrix_e2ee_pending_sent(e, txn);
}

/* The device's inbox handed to its machine (and emptied); returns room keys added. */
static int receive(server *sv, matrix_e2ee *e, const char *who)
{
    json_t *events = json_object_get(sv->inbox, who);
    int added = events ? matrix_e2ee_to_device(e, events) : 0;
    json_object_del(sv->inbox, who);
    return added;
}

/* Commits the bot's changes into the server's copy of its store, then rebuilds it from there
 * (a restart after every step). */
static matrix_e2ee *restart(server *sv, matrix_e2ee *e)
{
    sb_state_change *c = NULL;
    size_t n = 0;
    assert_int_equal(matrix_e2ee_changes(e, &c, &n), SB_OK);
    for (size_t i = 0; i < n; i++) {
        if (c[i].value)
            json_object_set_new(sv->state, c[i].key, json_string(c[i].value));
        else
            json_object_del(sv->state, c[i].key);
        if (strncmp(c[i].key, "in|", 3) == 0 && c[i].value)
            assert_string_equal(c[i].owner, ANN); /* forget finds her sessions */
        free(c[i].key);
        free(c[i].value);
        free(c[i].owner);
    }
    free(c);
    matrix_e2ee_free(e);
    matrix_e2ee *back = matrix_e2ee_new(BOT, "BOTDEV", KEY, strlen(KEY));
    const char *key;
    json_t *value;
    json_object_foreach(sv->state, key, value)
        assert_int_equal(matrix_e2ee_load(back, key, json_string_value(value)), SB_OK);
    assert_int_equal(matrix_e2ee_ready(back), SB_OK);
    return back;
}

/* sender encrypts text for the room; returns the content (caller frees) after delivering
 * the room key share, if any. */
static char *say_at(server *sv, matrix_e2ee *e, const char *sender, const char *text,
                    int64_t now_ms, char **txn_out)
{
    char content[256];
    snprintf(content, sizeof content, "{\"msgtype\":\"m.text\",\"body\":\"%s\"}", text);
    const char *contents[] = {content};
    char **out = NULL, *txn = NULL;
    assert_int_equal(matrix_e2ee_encrypt(e, ROOM, contents, 1, now_ms, &out, &txn), SB_OK);
    if (txn)
        deliver(sv, e, sender, txn);
    if (txn_out)
        *txn_out = txn;
    else
        free(txn);
    char *result = out[0];
    free(out);
    return result;
}

#define NOW 1795000000000

static char *say(server *sv, matrix_e2ee *e, const char *sender, const char *text, char **txn_out)
{
    return say_at(sv, e, sender, text, NOW, txn_out);
}

static void expect_reads(matrix_e2ee *e, const char *sender, const char *content,
                         const char *text)
{
    char *plain = NULL;
    assert_int_equal(matrix_e2ee_decrypt(e, ROOM, sender, content, &plain), SB_OK);
    assert_non_null(strstr(plain, text));
    assert_non_null(strstr(plain, "\"room_id\":\"" ROOM "\""));
    free(plain);
}

static const char *session_of(const char *content, char *buf)
{
    json_t *c = json_loads(content, 0, NULL);
    snprintf(buf, 64, "%s", json_string_value(json_object_get(c, "session_id")));
    json_decref(c);
    return buf;
}

#define MEMBERS "{\"joined\":{\"@bot:example.org\":{},\"@ann:example.org\":{}}}"

static void test_conversation_across_restarts(void **state)
{
    (void)state;
    server sv = {json_object(), json_object(), json_object(), json_object()};
    matrix_e2ee *bot = matrix_e2ee_new(BOT, "BOTDEV", KEY, strlen(KEY));
    matrix_e2ee *ann = matrix_e2ee_new(ANN, "ANNDEV", KEY, strlen(KEY));
    assert_int_equal(matrix_e2ee_ready(bot), SB_OK);
    assert_int_equal(matrix_e2ee_ready(ann), SB_OK);
    assert_true(matrix_e2ee_needs_upload(bot));
    upload(&sv, bot, BOT, "BOTDEV");
    upload(&sv, ann, ANN, "ANNDEV");
    assert_false(matrix_e2ee_needs_upload(bot));
    assert_int_equal(json_object_size(json_object_get(sv.one_time_keys, BOT " BOTDEV")), 50);
    bot = restart(&sv, bot);
    assert_false(matrix_e2ee_needs_upload(bot)); /* uploaded, stored as such */

    /* ann writes first: her device claims one of the bot's keys and shares her room key */
    prepare(&sv, ann, MEMBERS);
    char *hello = say(&sv, ann, ANN, "hello coach", NULL);
    assert_int_equal(receive(&sv, bot, BOT " BOTDEV"), 1);
    bot = restart(&sv, bot);
    expect_reads(bot, ANN, hello, "hello coach");

    /* the bot answers: ann's devices are queried, the Olm session she started is reused */
    prepare(&sv, bot, MEMBERS);
    char *txn = NULL;
    char *answer = say(&sv, bot, BOT, "hello ann", &txn);
    assert_non_null(txn);
    free(txn);
    assert_int_equal(receive(&sv, ann, ANN " ANNDEV"), 1);
    expect_reads(ann, BOT, answer, "hello ann");
    bot = restart(&sv, bot);

    /* a second answer after a restart: same session, next index, no new share */
    prepare(&sv, bot, MEMBERS);
    char *again = say(&sv, bot, BOT, "still here", &txn);
    assert_null(txn);
    char a[64], b[64];
    assert_string_equal(session_of(answer, a), session_of(again, b));
    expect_reads(ann, BOT, again, "still here");
    /* the bot does not read its own room: its own session is not an inbound one */
    char *plain = NULL;
    assert_int_equal(matrix_e2ee_decrypt(bot, ROOM, BOT, again, &plain), SB_ENOTFOUND);
    char **pending = NULL;
    assert_int_equal(matrix_e2ee_take_pending(bot, &pending), 1); /* a key request */
    matrix_e2ee_strings_free(pending, 1);

    /* someone leaves: the next message starts a new session, shared again */
    matrix_e2ee_membership(bot, ROOM, 1);
    prepare(&sv, bot, MEMBERS);
    char *after_leave = say(&sv, bot, BOT, "new session", &txn);
    assert_non_null(txn);
    free(txn);
    assert_string_not_equal(session_of(again, a), session_of(after_leave, b));
    assert_int_equal(receive(&sv, ann, ANN " ANNDEV"), 1);
    expect_reads(ann, BOT, after_leave, "new session");

    /* rotation by message count */
    matrix_e2ee_rotation(bot, ROOM, 0, 2);
    char *r1 = say(&sv, bot, BOT, "one", NULL);
    char *r2 = say(&sv, bot, BOT, "two", NULL);
    assert_string_not_equal(session_of(r1, a), session_of(r2, b));
    receive(&sv, ann, ANN " ANNDEV");
    expect_reads(ann, BOT, r2, "two");

    /* forget: what ann wrote before is unreadable from the store, what comes next is not */
    char *later = say(&sv, ann, ANN, "after forget", NULL);
    matrix_e2ee_forget(bot, ANN);
    bot = restart(&sv, bot);
    assert_int_equal(matrix_e2ee_decrypt(bot, ROOM, ANN, hello, &plain), SB_ENOTFOUND);
    assert_null(plain);
    expect_reads(bot, ANN, later, "after forget");

    /* logged in as a new device: a new identity; the old one's Olm and outbound sessions
     * leave the store, what others sent stays readable */
    bot = restart(&sv, bot);
    matrix_e2ee *moved = matrix_e2ee_new(BOT, "NEWDEV", KEY, strlen(KEY));
    const char *key;
    json_t *value;
    json_object_foreach(sv.state, key, value)
        assert_int_equal(matrix_e2ee_load(moved, key, json_string_value(value)), SB_OK);
    assert_int_equal(matrix_e2ee_ready(moved), SB_OK);
    assert_string_not_equal(matrix_e2ee_curve25519(moved), matrix_e2ee_curve25519(bot));
    assert_true(matrix_e2ee_needs_upload(moved));
    sb_state_change *c = NULL;
    size_t n = 0, deleted = 0;
    assert_int_equal(matrix_e2ee_changes(moved, &c, &n), SB_OK);
    for (size_t i = 0; i < n; i++) {
        if (strncmp(c[i].key, "olm|", 4) == 0 || strncmp(c[i].key, "out|", 4) == 0) {
            assert_null(c[i].value);
            deleted++;
        }
        free(c[i].key);
        free(c[i].value);
        free(c[i].owner);
    }
    free(c);
    assert_true(deleted >= 2);
    expect_reads(moved, ANN, later, "after forget");
    matrix_e2ee_free(moved);

    free(hello);
    free(answer);
    free(again);
    free(after_leave);
    free(r1);
    free(r2);
    free(later);
    matrix_e2ee_free(bot);
    matrix_e2ee_free(ann);
    json_decref(sv.device_keys);
    json_decref(sv.one_time_keys);
    json_decref(sv.inbox);
    json_decref(sv.state);
}

static void test_changed_keys_and_forgeries(void **state)
{
    (void)state;
    server sv = {json_object(), json_object(), json_object(), json_object()};
    matrix_e2ee *bot = matrix_e2ee_new(BOT, "BOTDEV", KEY, strlen(KEY));
    matrix_e2ee *ann = matrix_e2ee_new(ANN, "ANNDEV", KEY, strlen(KEY));
    matrix_e2ee *eve = matrix_e2ee_new(ANN, "ANNDEV", KEY, strlen(KEY)); /* same ids, new keys */
    assert_int_equal(matrix_e2ee_ready(bot), SB_OK);
    assert_int_equal(matrix_e2ee_ready(ann), SB_OK);
    assert_int_equal(matrix_e2ee_ready(eve), SB_OK);
    upload(&sv, bot, BOT, "BOTDEV");
    upload(&sv, ann, ANN, "ANNDEV");
    prepare(&sv, bot, MEMBERS); /* the bot knows ann's device from now on */

    /* the device's keys change on the server: the bot keeps the first ones */
    json_t *saved = json_deep_copy(json_object_get(sv.device_keys, ANN));
    upload(&sv, eve, ANN, "ANNDEV");
    char *changed[] = {ANN};
    matrix_e2ee_device_lists(bot, changed, 1, NULL, 0);
    prepare(&sv, bot, MEMBERS);
    char *txn = NULL;
    char *answer = say(&sv, bot, BOT, "for ann only", &txn);
    free(txn);
    assert_int_equal(receive(&sv, eve, ANN " ANNDEV"), 0); /* eve cannot take the key */
    json_object_set_new(sv.device_keys, ANN, saved);

    /* eve's room key claims to be from ann's device: refused (wrong ed25519 key) */
    prepare(&sv, eve, MEMBERS);
    char *forged = say(&sv, eve, ANN, "forged", NULL);
    assert_int_equal(receive(&sv, bot, BOT " BOTDEV"), 0);
    char *plain = NULL;
    assert_int_equal(matrix_e2ee_decrypt(bot, ROOM, ANN, forged, &plain), SB_ENOTFOUND);

    /* ann's real message, replayed into another room or under another sender: refused */
    prepare(&sv, ann, MEMBERS);
    char *real = say(&sv, ann, ANN, "real", NULL);
    assert_int_equal(receive(&sv, bot, BOT " BOTDEV"), 1);
    expect_reads(bot, ANN, real, "real");
    assert_int_equal(matrix_e2ee_decrypt(bot, ROOM, "@mallory:example.org", real, &plain),
                     SB_EAUTH);
    assert_int_equal(matrix_e2ee_decrypt(bot, ROOM, ANN, "{\"algorithm\":\"x\"}", &plain),
                     SB_EPARSE);
    free(answer);
    free(forged);
    free(real);
    matrix_e2ee_free(bot);
    matrix_e2ee_free(ann);
    matrix_e2ee_free(eve);
    json_decref(sv.device_keys);
    json_decref(sv.one_time_keys);
    json_decref(sv.inbox);
    json_decref(sv.state);
}

/* A person's client moves on to a new session every so often: the bot keeps the newest
 * five per device and room, so its store does not grow for ever. */
static void test_old_room_keys_pruned(void **state)
{
    (void)state;
    server sv = {json_object(), json_object(), json_object(), json_object()};
    matrix_e2ee *bot = matrix_e2ee_new(BOT, "BOTDEV", KEY, strlen(KEY));
    matrix_e2ee *ann = matrix_e2ee_new(ANN, "ANNDEV", KEY, strlen(KEY));
    assert_int_equal(matrix_e2ee_ready(bot), SB_OK);
    assert_int_equal(matrix_e2ee_ready(ann), SB_OK);
    upload(&sv, bot, BOT, "BOTDEV");
    upload(&sv, ann, ANN, "ANNDEV");
    matrix_e2ee_rotation(ann, ROOM, 0, 1); /* a new session for every message */
    prepare(&sv, ann, MEMBERS);
    char *said[7];
    for (int i = 0; i < 7; i++) {
        said[i] = say(&sv, ann, ANN, "again", NULL);
        assert_int_equal(receive(&sv, bot, BOT " BOTDEV"), 1);
        bot = restart(&sv, bot);
    }
    size_t kept = 0;
    const char *key;
    json_t *value;
    json_object_foreach(sv.state, key, value)
        kept += strncmp(key, "in|", 3) == 0;
    assert_int_equal(kept, 5);
    char *plain = NULL;
    assert_int_equal(matrix_e2ee_decrypt(bot, ROOM, ANN, said[0], &plain), SB_ENOTFOUND);
    expect_reads(bot, ANN, said[6], "again");
    for (int i = 0; i < 7; i++)
        free(said[i]);
    matrix_e2ee_free(bot);
    matrix_e2ee_free(ann);
    json_decref(sv.device_keys);
    json_decref(sv.one_time_keys);
    json_decref(sv.inbox);
    json_decref(sv.state);
}

/* The room's rotation settings (m.room.encryption) hold across a restart, when the bot's
 * memory of the room is gone until its state comes again: by message count and by age. A
 * member's departure from every shared room (device_lists.left) drops their devices, so
 * they are asked for again before the next share. */
static void test_rotation_across_restarts(void **state)
{
    (void)state;
    server sv = {json_object(), json_object(), json_object(), json_object()};
    matrix_e2ee *bot = matrix_e2ee_new(BOT, "BOTDEV", KEY, strlen(KEY));
    matrix_e2ee *ann = matrix_e2ee_new(ANN, "ANNDEV", KEY, strlen(KEY));
    assert_int_equal(matrix_e2ee_ready(bot), SB_OK);
    assert_int_equal(matrix_e2ee_ready(ann), SB_OK);
    upload(&sv, bot, BOT, "BOTDEV");
    upload(&sv, ann, ANN, "ANNDEV");
    char a[64], b[64];

    /* every 3 messages: 2 before a restart, 1 after it in the same session, then a new one */
    matrix_e2ee_rotation(bot, ROOM, 0, 3);
    prepare(&sv, bot, MEMBERS);
    char *m1 = say(&sv, bot, BOT, "one", NULL);
    char *m2 = say(&sv, bot, BOT, "two", NULL);
    bot = restart(&sv, bot);
    prepare(&sv, bot, MEMBERS);
    char *m3 = say(&sv, bot, BOT, "three", NULL);
    char *m4 = say(&sv, bot, BOT, "four", NULL);
    assert_string_equal(session_of(m1, a), session_of(m2, b));
    assert_string_equal(session_of(m2, a), session_of(m3, b));
    assert_string_not_equal(session_of(m3, a), session_of(m4, b));
    receive(&sv, ann, ANN " ANNDEV");
    expect_reads(ann, BOT, m3, "three");
    expect_reads(ann, BOT, m4, "four");

    /* a reply in 3 parts after one message: the parts would take the session past 3, so
     * they start a new one together */
    const char *parts[] = {"{\"msgtype\":\"m.notice\",\"body\":\"part a\"}",
                           "{\"msgtype\":\"m.notice\",\"body\":\"part b\"}",
                           "{\"msgtype\":\"m.notice\",\"body\":\"part c\"}"};
    char **three = NULL, *share_txn = NULL;
    assert_int_equal(matrix_e2ee_encrypt(bot, ROOM, parts, 3, NOW, &three, &share_txn), SB_OK);
    assert_non_null(share_txn); /* a new session, shared first */
    deliver(&sv, bot, BOT, share_txn);
    free(share_txn);
    assert_string_not_equal(session_of(m4, a), session_of(three[0], b));
    assert_string_equal(session_of(three[0], a), session_of(three[2], b));
    receive(&sv, ann, ANN " ANNDEV");
    expect_reads(ann, BOT, three[2], "part c");
    char full[64];
    session_of(three[0], full);
    matrix_e2ee_strings_free(three, 3);
    char *m5 = say(&sv, bot, BOT, "five", NULL); /* that session is full: the next is new */
    assert_string_not_equal(full, session_of(m5, b));

    /* every 10 seconds from now on (the session of "five" was made at NOW): a restart in
     * between does not bring back the week */
    matrix_e2ee_rotation(bot, ROOM, 10000, 0);
    char *t1 = say_at(&sv, bot, BOT, "at one", NOW + 1000, NULL);
    assert_string_equal(session_of(m5, a), session_of(t1, b));
    bot = restart(&sv, bot);
    prepare(&sv, bot, MEMBERS);
    char *t2 = say_at(&sv, bot, BOT, "at six", NOW + 6000, NULL);
    char *t3 = say_at(&sv, bot, BOT, "at twelve", NOW + 12000, NULL);
    assert_string_equal(session_of(t1, a), session_of(t2, b));
    assert_string_not_equal(session_of(t2, a), session_of(t3, b));
    receive(&sv, ann, ANN " ANNDEV");
    expect_reads(ann, BOT, t3, "at twelve");

    /* ann no longer shares a room with the bot: her devices go, and are queried again */
    char *left[] = {ANN};
    matrix_e2ee_device_lists(bot, NULL, 0, left, 1);
    matrix_e2ee_need need;
    json_t *body = NULL;
    assert_int_equal(matrix_e2ee_prepare(bot, ROOM, &need, &body), SB_OK);
    assert_int_equal(need, MATRIX_E2EE_QUERY);
    assert_non_null(json_object_get(json_object_get(body, "device_keys"), ANN));
    json_decref(body);

    char *mine[] = {m1, m2, m3, m4, m5, t1, t2, t3};
    for (size_t i = 0; i < sizeof mine / sizeof *mine; i++)
        free(mine[i]);
    matrix_e2ee_free(bot);
    matrix_e2ee_free(ann);
    json_decref(sv.device_keys);
    json_decref(sv.one_time_keys);
    json_decref(sv.inbox);
    json_decref(sv.state);
}

static void test_keys_topped_up(void **state)
{
    (void)state;
    server sv = {json_object(), json_object(), json_object(), json_object()};
    matrix_e2ee *bot = matrix_e2ee_new(BOT, "BOTDEV", KEY, strlen(KEY));
    assert_int_equal(matrix_e2ee_ready(bot), SB_OK);
    upload(&sv, bot, BOT, "BOTDEV");
    matrix_e2ee_key_counts(bot, 50, 1);
    assert_false(matrix_e2ee_needs_upload(bot));
    matrix_e2ee_key_counts(bot, 10, -1);
    assert_true(matrix_e2ee_needs_upload(bot));
    json_t *body = matrix_e2ee_upload_body(bot);
    assert_int_equal(json_object_size(json_object_get(body, "one_time_keys")), 40);
    assert_null(json_object_get(body, "device_keys"));
    assert_null(json_object_get(body, "fallback_keys"));
    json_t *same = matrix_e2ee_upload_body(bot); /* asked again before the answer: same keys */
    assert_true(json_equal(json_object_get(body, "one_time_keys"),
                           json_object_get(same, "one_time_keys")));
    json_decref(same);
    json_decref(body);
    matrix_e2ee_uploaded(bot, "{\"one_time_key_counts\":{\"signed_curve25519\":50}}", 49);
    matrix_e2ee_key_counts(bot, 50, 0); /* the fallback key was used: a new one */
    body = matrix_e2ee_upload_body(bot);
    assert_int_equal(json_object_size(json_object_get(body, "fallback_keys")), 1);
    json_decref(body);
    matrix_e2ee_free(bot);
    json_decref(sv.device_keys);
    json_decref(sv.one_time_keys);
    json_decref(sv.inbox);
    json_decref(sv.state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conversation_across_restarts),
        cmocka_unit_test(test_changed_keys_and_forgeries),
        cmocka_unit_test(test_old_room_keys_pruned),
        cmocka_unit_test(test_rotation_across_restarts),
        cmocka_unit_test(test_keys_topped_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
