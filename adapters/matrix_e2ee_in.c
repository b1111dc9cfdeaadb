/* matrix_e2ee_in.c — what comes in encrypted: Olm to-device messages (decrypted with the
 * session they belong to, or a new one from a pre-key message), the room keys they carry
 * (kept as inbound Megolm sessions, checked against the device that sent them), room
 * events decrypted with those sessions, key requests for events whose key never came, and
 * forgetting a person's sessions. Everything here reads outside input: it is fuzzed
 * (tests/fuzz/fuzz_matrix_e2ee.c). */
#include "matrix_e2ee_impl.h"

#include "sb.h"
#include "sb_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decrypts an Olm message from the device with curve key sender_key: with a session we
 * have, else (a pre-key message) with a new inbound one. *plain is the payload text. */
static int olm_decrypt(matrix_e2ee *e, const char *sender_key, int type, const char *body,
                       char **plain)
{
    olm_sessions *o = e2ee_map_get(&e->olm, sender_key);
    for (size_t i = 0; o && i < o->n; i++) {
        if (type == 0 && !matrix_olm_matches(o->items[i], sender_key, body))
            continue;
        if (matrix_olm_decrypt(o->items[i], type, body, plain) == SB_OK) {
            o->used[i] = ++e->clock;
            e2ee_dirty(e, "olm|%s", sender_key);
            return SB_OK;
        }
        if (type == 0)
            return SB_EAUTH; /* it was this session's, and it does not decrypt */
    }
    if (type != 0)
        return SB_ENOTFOUND;
    matrix_olm *s = NULL;
    int rc = matrix_olm_inbound(e->account, sender_key, body, &s);
    if (rc != SB_OK)
        return rc;
    rc = matrix_olm_decrypt(s, type, body, plain);
    if (rc != SB_OK) {
        matrix_olm_free(s);
        return rc;
    }
    e2ee_dirty(e, "account"); /* the one-time key is used up */
    return e2ee_olm_add(e, sender_key, s);
}

/* The payload of an Olm message must be for us, from its sender, signed by the device the
 * sender_key belongs to (trust on first use when that device is not known yet). */
static int payload_ok(matrix_e2ee *e, const json_t *p, const char *sender, const char *sender_key)
{
    const char *ed = sb_json_str(json_object_get(p, "keys"), "ed25519");
    if (!sb_json_str(p, "type") || !json_is_object(json_object_get(p, "content")) || !ed ||
        !sb_json_str(p, "sender") || strcmp(sb_json_str(p, "sender"), sender) != 0 || !sb_json_str(p, "recipient") ||
        strcmp(sb_json_str(p, "recipient"), e->user) != 0 ||
        !sb_json_str(json_object_get(p, "recipient_keys"), "ed25519") ||
        strcmp(sb_json_str(json_object_get(p, "recipient_keys"), "ed25519"),
               matrix_account_ed25519(e->account)) != 0)
        return 0;
    const char *owner = NULL;
    const device *d = e2ee_device_by_curve(e, sender_key, &owner);
    if (d && (strcmp(owner, sender) != 0 || strcmp(d->ed, ed) != 0)) {
        sb_log("warn", "matrix", "an Olm message claims a signing key its device does not "
               "have: ignored device=%s", d->id);
        return 0;
    }
    /* A device we know under its id but with other keys: its keys changed (or someone
     * claims its id). Trust stays with the first keys. */
    const char *named = sb_json_str(p, "sender_device");
    const user_devices *u = named && !d ? e2ee_map_get(&e->users, sender) : NULL;
    for (size_t i = 0; u && i < u->n; i++)
        if (strcmp(u->items[i].id, named) == 0) {
            sb_log("warn", "matrix", "an Olm message comes from keys its device does not have: "
                   "ignored device=%s", named);
            return 0;
        }
    return 1;
}

/* m.room_key: a sender's Megolm session for a room, over Olm. */
static int room_key(matrix_e2ee *e, const json_t *content, const char *sender,
                    const char *sender_key, const char *ed)
{
    const char *room = sb_json_str(content, "room_id"), *id = sb_json_str(content, "session_id");
    const char *key = sb_json_str(content, "session_key");
    if (!room || !id || !key || !sb_json_str(content, "algorithm") ||
        strcmp(sb_json_str(content, "algorithm"), MATRIX_MEGOLM_ALGORITHM) != 0)
        return 0;
    matrix_megolm_in *s = NULL;
    if (matrix_megolm_in_new(key, &s) != SB_OK)
        return 0;
    char map_key[1024];
    snprintf(map_key, sizeof map_key, "%s|%s", room, id);
    const inbound *have = e2ee_map_get(&e->inbound, map_key);
    if (strcmp(matrix_megolm_in_id(s), id) != 0 ||
        (have && (strcmp(have->sender_key, sender_key) != 0 ||
                  matrix_megolm_in_first_index(have->s) <= matrix_megolm_in_first_index(s)))) {
        matrix_megolm_in_free(s); /* not what it says, or no better than what we hold */
        return 0;
    }
    if (e2ee_inbound_add(e, room, sender, sender_key, ed, s, -1) != SB_OK)
        return 0;
    e2ee_inbound_prune(e, room, sender_key);
    sb_log("info", "matrix", "room key received room=%s", room);
    return 1;
}

/* m.forwarded_room_key: only for a session we asked for, from the user we asked. */
static int forwarded_key(matrix_e2ee *e, const json_t *content, const char *sender)
{
    const char *room = sb_json_str(content, "room_id"), *id = sb_json_str(content, "session_id");
    const char *key = sb_json_str(content, "session_key"), *original = sb_json_str(content, "sender_key");
    const json_t *asked = id ? json_object_get(e->requested, id) : NULL;
    if (!room || !key || !original || !json_is_string(asked) ||
        strcmp(json_string_value(asked), sender) != 0)
        return 0;
    matrix_megolm_in *s = NULL;
    if (matrix_megolm_in_import(key, &s) != SB_OK)
        return 0;
    char map_key[1024];
    snprintf(map_key, sizeof map_key, "%s|%s", room, id);
    if (strcmp(matrix_megolm_in_id(s), id) != 0 || e2ee_map_get(&e->inbound, map_key)) {
        matrix_megolm_in_free(s);
        return 0;
    }
    if (e2ee_inbound_add(e, room, sender, original, sb_json_str(content, "sender_claimed_ed25519_key"),
                         s, -1) != SB_OK)
        return 0;
    sb_log("info", "matrix", "forwarded room key received room=%s", room);
    return 1;
}

/* One to-device event; returns 1 when it added a room key. */
static int to_device_event(matrix_e2ee *e, const json_t *ev)
{
    const char *sender = sb_json_str(ev, "sender");
    const json_t *content = json_object_get(ev, "content");
    const char *algorithm = sb_json_str(content, "algorithm"), *sender_key = sb_json_str(content, "sender_key");
    if (!sender || !sb_json_str(ev, "type") || strcmp(sb_json_str(ev, "type"), "m.room.encrypted") != 0 ||
        !algorithm || strcmp(algorithm, MATRIX_OLM_ALGORITHM) != 0 || !sender_key)
        return 0;
    const json_t *mine = json_object_get(json_object_get(content, "ciphertext"),
                                         matrix_account_curve25519(e->account));
    const json_t *type = json_object_get(mine, "type");
    const char *body = sb_json_str(mine, "body");
    if (!json_is_integer(type) || !body)
        return 0;
    char *plain = NULL;
    int rc = olm_decrypt(e, sender_key, (int)json_integer_value(type), body, &plain);
    if (rc != SB_OK) {
        sb_log("warn", "matrix", "could not decrypt an Olm message reason=\"%s\"",
               sb_strerror(rc));
        return 0;
    }
    json_t *p = json_loads(plain, 0, NULL);
    matrix_crypto_wipe_string(plain);
    int added = 0;
    if (json_is_object(p) && payload_ok(e, p, sender, sender_key)) {
        const char *kind = sb_json_str(p, "type");
        const json_t *inner = json_object_get(p, "content");
        const char *ed = sb_json_str(json_object_get(p, "keys"), "ed25519");
        if (strcmp(kind, "m.room_key") == 0)
            added = room_key(e, inner, sender, sender_key, ed);
        else if (strcmp(kind, "m.forwarded_room_key") == 0)
            added = forwarded_key(e, inner, sender);
        if (!e2ee_device_by_curve(e, sender_key, NULL)) {
            user_devices *u = e2ee_user(e, sender); /* a device we have not queried yet */
            if (u && !u->outdated) {
                u->outdated = 1;
                e2ee_dirty(e, "dev|%s", sender);
            }
        }
    }
    json_decref(p);
    return added;
}

int matrix_e2ee_to_device(matrix_e2ee *e, const json_t *events)
{
    if (!e->account || !json_is_array(events))
        return 0;
    int added = 0;
    size_t i;
    const json_t *ev;
    json_array_foreach(events, i, ev)
        added += to_device_event(e, ev);
    return added;
}

/* Asks sender's devices for the key of session (once per session and run). */
static void request_key(matrix_e2ee *e, const char *room, const char *sender,
                        const char *sender_key, const char *session)
{
    if (json_object_get(e->requested, session))
        return;
    char request_id[32];
    snprintf(request_id, sizeof request_id, "sbr%ld", e2ee_next_counter(e));
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "algorithm", MATRIX_MEGOLM_ALGORITHM,
                             "room_id", room, "sender_key", sender_key ? sender_key : "",
                             "session_id", session);
    json_t *request = body ? json_pack("{s:s, s:o, s:s, s:s}", "action", "request", "body", body,
                                       "request_id", request_id, "requesting_device_id",
                                       e->device)
                           : NULL;
    json_t *messages = request ? json_pack("{s:{s:o}}", sender, "*", request) : NULL;
    char *txn = NULL;
    if (messages && e2ee_pending_add(e, "m.room_key_request", messages, &txn) == SB_OK) {
        json_object_set_new(e->requested, session, json_string(sender));
        sb_log("info", "matrix", "no room key for a message: asked for it room=%s", room);
    }
    free(txn);
}

int matrix_e2ee_decrypt(matrix_e2ee *e, const char *room, const char *sender,
                        const char *content, char **plain)
{
    *plain = NULL;
    json_t *c = json_loads(content, 0, NULL);
    const char *algorithm = sb_json_str(c, "algorithm"), *session = sb_json_str(c, "session_id");
    const char *cipher = sb_json_str(c, "ciphertext");
    if (!algorithm || strcmp(algorithm, MATRIX_MEGOLM_ALGORITHM) != 0 || !session || !cipher) {
        json_decref(c);
        return SB_EPARSE;
    }
    char key[1024];
    snprintf(key, sizeof key, "%s|%s", room, session);
    inbound *in = e2ee_map_get(&e->inbound, key);
    if (!in) {
        request_key(e, room, sender, sb_json_str(c, "sender_key"), session);
        json_decref(c);
        return SB_ENOTFOUND;
    }
    char *text = NULL;
    uint32_t index = 0;
    int rc = matrix_megolm_in_decrypt(in->s, cipher, &text, &index);
    json_decref(c);
    if (rc != SB_OK)
        return rc == SB_ENOTFOUND ? SB_ENOTFOUND : SB_EAUTH;
    /* The session must be the sender's, and the event this room's: a homeserver could
     * otherwise replay someone's message into another room or under another name. */
    json_t *event = json_loads(text, 0, NULL);
    const char *in_room = sb_json_str(event, "room_id");
    if (!json_is_object(event) || !in_room || strcmp(in_room, room) != 0 || !sb_json_str(event, "type") ||
        !json_is_object(json_object_get(event, "content")) ||
        (in->sender[0] && strcmp(in->sender, sender) != 0)) {
        json_decref(event);
        matrix_crypto_wipe_string(text);
        return SB_EAUTH;
    }
    json_decref(event);
    if ((int64_t)index > in->last) {
        in->last = index;
        e2ee_dirty(e, "in|%s", key);
    }
    *plain = text;
    return SB_OK;
}

void matrix_e2ee_membership(matrix_e2ee *e, const char *room, int left)
{
    room_info *r = e2ee_room(e, room);
    if (r)
        r->known = 0;
    if (left && e2ee_map_get(&e->outbound, room)) {
        e2ee_map_del(&e->outbound, room);
        e2ee_dirty(e, "out|%s", room);
    }
}

void matrix_e2ee_rotation(matrix_e2ee *e, const char *room, int64_t period_ms, long messages)
{
    room_info *r = e2ee_room(e, room);
    if (r) {
        r->rotation_known = 1;
        r->period_ms = period_ms;
        r->messages = messages;
    }
}

typedef struct forget_ctx {
    matrix_e2ee *e;
    const char *person;
    char **keys;
    size_t n, cap;
} forget_ctx;

static void collect_person(void *ctx, const char *key, void *value)
{
    forget_ctx *f = ctx;
    const inbound *in = value;
    if (strcmp(in->sender, f->person) != 0)
        return;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        char **grown = realloc(f->keys, cap * sizeof *grown);
        if (!grown)
            return;
        f->keys = grown;
        f->cap = cap;
    }
    f->keys[f->n] = sb_strdup(key);
    if (f->keys[f->n])
        f->n++;
}

void matrix_e2ee_forget(matrix_e2ee *e, const char *person)
{
    forget_ctx f = {e, person, NULL, 0, 0};
    e2ee_map_each(&e->inbound, collect_person, &f);
    for (size_t i = 0; i < f.n; i++) {
        inbound *in = e2ee_map_get(&e->inbound, f.keys[i]);
        uint32_t from = (uint32_t)(in->last + 1);
        if (from < matrix_megolm_in_first_index(in->s))
            from = matrix_megolm_in_first_index(in->s);
        char *exported = matrix_megolm_in_export(in->s, from);
        matrix_megolm_in *later = NULL;
        if (exported && matrix_megolm_in_import(exported, &later) == SB_OK) {
            matrix_megolm_in_free(in->s);
            in->s = later; /* reads their next message on, nothing before it */
        } else {
            e2ee_map_del(&e->inbound, f.keys[i]);
        }
        if (exported)
            matrix_crypto_wipe_string(exported);
        e2ee_dirty(e, "in|%s", f.keys[i]);
        free(f.keys[i]);
    }
    free(f.keys);
    if (f.n)
        sb_log("info", "matrix", "forget: room keys moved past what was read keys=%zu", f.n);
}
