/* matrix_e2ee_out.c — what goes out encrypted: the room's members and their devices (from
 * joined_members and /keys/query, each device's self-signature checked, its keys trusted on
 * first use and a changed key refused and logged), Olm sessions from claimed one-time keys,
 * the room's outbound Megolm session (rotated by age, message count and departures) shared
 * with every device that lacks it as one pending to-device message, and the encrypted event
 * contents. Pending to-device messages wait here until the homeserver took them. */
#include "matrix_e2ee_impl.h"

#include "sb.h"
#include "sb_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLAIM_ALGORITHM "signed_curve25519"

/* The devices of user we encrypt to: every one but this one, with keys we trust. */
static int wanted_device(const matrix_e2ee *e, const char *user, const device *d)
{
    return !(strcmp(user, e->user) == 0 && strcmp(d->id, e->device) == 0);
}

/* ---- what a send needs ---- */

int matrix_e2ee_prepare(matrix_e2ee *e, const char *room, matrix_e2ee_need *need, json_t **body)
{
    *need = MATRIX_E2EE_READY;
    *body = NULL;
    room_info *r = e2ee_room(e, room);
    if (!r)
        return SB_ENOMEM;
    if (!r->known) {
        *need = MATRIX_E2EE_MEMBERS;
        return SB_OK;
    }
    json_t *query = json_object();
    for (size_t i = 0; query && i < r->n; i++) {
        user_devices *u = e2ee_user(e, r->members[i]);
        if (!u || (u->outdated && json_object_set_new(query, r->members[i], json_array()) != 0)) {
            json_decref(query);
            return SB_ENOMEM;
        }
    }
    if (!query)
        return SB_ENOMEM;
    if (json_object_size(query)) {
        json_decref(e->querying);
        e->querying = json_deep_copy(query);
        *body = json_pack("{s:o, s:i}", "device_keys", query, "timeout", 10000);
        *need = MATRIX_E2EE_QUERY;
        return *body && e->querying ? SB_OK : SB_ENOMEM;
    }
    json_decref(query);
    json_t *claim = json_object();
    json_t *claiming = json_object();
    for (size_t i = 0; claim && claiming && i < r->n; i++) {
        user_devices *u = e2ee_map_get(&e->users, r->members[i]);
        for (size_t k = 0; u && k < u->n; k++) {
            const device *d = &u->items[k];
            if (!wanted_device(e, r->members[i], d) || d->no_key || e2ee_map_get(&e->olm, d->curve))
                continue;
            json_t *mine = json_object_get(claim, r->members[i]);
            if (!mine) {
                mine = json_object();
                json_object_set_new(claim, r->members[i], mine);
            }
            char pair[1024];
            snprintf(pair, sizeof pair, "%s|%s", r->members[i], d->id);
            if (!mine || json_object_set_new(mine, d->id, json_string(CLAIM_ALGORITHM)) != 0 ||
                json_object_set_new(claiming, pair, json_true()) != 0) {
                json_decref(claim);
                json_decref(claiming);
                return SB_ENOMEM;
            }
        }
    }
    if (!claim || !claiming) {
        json_decref(claim);
        json_decref(claiming);
        return SB_ENOMEM;
    }
    if (json_object_size(claim)) {
        json_decref(e->claiming);
        e->claiming = claiming;
        *body = json_pack("{s:o, s:i}", "one_time_keys", claim, "timeout", 10000);
        *need = MATRIX_E2EE_CLAIM;
        return *body ? SB_OK : SB_ENOMEM;
    }
    json_decref(claim);
    json_decref(claiming);
    return SB_OK;
}

void matrix_e2ee_members(matrix_e2ee *e, const char *room, const char *answer, size_t len)
{
    room_info *r = e2ee_room(e, room);
    if (!r)
        return;
    json_t *v = answer ? json_loadb(answer, len, 0, NULL) : NULL;
    const json_t *joined = json_object_get(v, "joined");
    for (size_t i = 0; i < r->n; i++)
        free(r->members[i]);
    free(r->members);
    r->members = NULL;
    r->n = 0;
    size_t n = json_object_size(joined);
    r->members = n ? calloc(n, sizeof *r->members) : NULL;
    const char *user;
    const json_t *info;
    json_object_foreach((json_t *)joined, user, info) {
        if (r->members && user[0] == '@' && (r->members[r->n] = sb_strdup(user)))
            r->n++;
    }
    json_decref(v);
    r->known = 1; /* a refused answer counts as nobody: the send goes on to those we know */
}

/* ---- /keys/query ---- */

/* Whether keys is the self-signed DeviceKeys of user's device id; *curve and *ed borrowed. */
static int device_keys_ok(const json_t *keys, const char *user, const char *id, const char **curve,
                          const char **ed)
{
    char curve_id[512], ed_id[512];
    snprintf(curve_id, sizeof curve_id, "curve25519:%s", id);
    snprintf(ed_id, sizeof ed_id, "ed25519:%s", id);
    *curve = sb_json_str(json_object_get(keys, "keys"), curve_id);
    *ed = sb_json_str(json_object_get(keys, "keys"), ed_id);
    if (!*curve || !*ed || !sb_json_str(keys, "user_id") || strcmp(sb_json_str(keys, "user_id"), user) != 0 ||
        !sb_json_str(keys, "device_id") || strcmp(sb_json_str(keys, "device_id"), id) != 0)
        return 0;
    int olm = 0, megolm = 0;
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(keys, "algorithms"), i, a) {
        olm |= json_is_string(a) && strcmp(json_string_value(a), MATRIX_OLM_ALGORITHM) == 0;
        megolm |= json_is_string(a) && strcmp(json_string_value(a), MATRIX_MEGOLM_ALGORITHM) == 0;
    }
    return olm && megolm && matrix_verify_json(keys, user, ed_id, *ed) == SB_OK;
}

typedef struct retired {
    matrix_e2ee *e;
    const char *user;
    const user_devices *now;
} retired;

/* A device gone from a user's list had the room key of every room shared with it: those
 * sessions retire, so it cannot read what comes next. */
static void retire_if_shared(void *ctx, const char *room, void *value)
{
    retired *r = ctx;
    outbound *out = value;
    const char *pair;
    json_t *flag;
    size_t prefix = strlen(r->user);
    json_object_foreach(out->shared, pair, flag) {
        if (strncmp(pair, r->user, prefix) != 0 || pair[prefix] != '|')
            continue;
        int still = 0;
        for (size_t i = 0; i < r->now->n && !still; i++)
            still = strcmp(r->now->items[i].id, pair + prefix + 1) == 0;
        if (!still) {
            out->count = -1; /* retired: replaced before the next message (see encrypt) */
            e2ee_dirty(r->e, "out|%s", room);
            break;
        }
    }
}

/* Replaces user's device list with the answer's, keeping known devices' first keys. */
static void take_devices(matrix_e2ee *e, const char *user, const json_t *answered)
{
    user_devices *old = e2ee_map_get(&e->users, user);
    size_t n = json_object_size(answered);
    user_devices *u = calloc(1, sizeof *u);
    if (!u || (n && !(u->items = calloc(n, sizeof *u->items)))) {
        free(u);
        return;
    }
    const char *id;
    const json_t *keys;
    json_object_foreach((json_t *)answered, id, keys) {
        const char *curve, *ed;
        if (!device_keys_ok(keys, user, id, &curve, &ed)) {
            sb_log("warn", "matrix", "a device's keys do not verify: ignored device=%s", id);
            continue;
        }
        const device *before = NULL;
        for (size_t i = 0; old && i < old->n && !before; i++)
            if (strcmp(old->items[i].id, id) == 0)
                before = &old->items[i];
        if (before && (strcmp(before->curve, curve) != 0 || strcmp(before->ed, ed) != 0)) {
            /* Trust on first use: a device id keeps the keys it first had. */
            sb_log("warn", "matrix", "a device changed its keys: not trusted, its first keys stay and nothing "
                   "is shared with the new ones device=%s", id);
            curve = before->curve;
            ed = before->ed;
        }
        device *d = &u->items[u->n];
        d->id = sb_strdup(id);
        d->curve = sb_strdup(curve);
        d->ed = sb_strdup(ed);
        d->no_key = 0;
        if (!d->id || !d->curve || !d->ed) {
            free(d->id);
            free(d->curve);
            free(d->ed);
            continue;
        }
        u->n++;
    }
    retired r = {e, user, u};
    if (old)
        e2ee_map_each(&e->outbound, retire_if_shared, &r);
    if (e2ee_map_put(&e->users, user, u) != SB_OK) {
        for (size_t i = 0; i < u->n; i++) {
            free(u->items[i].id);
            free(u->items[i].curve);
            free(u->items[i].ed);
        }
        free(u->items);
        free(u);
        return;
    }
    e2ee_dirty(e, "dev|%s", user);
}

void matrix_e2ee_query_result(matrix_e2ee *e, const char *answer, size_t len)
{
    json_t *v = answer ? json_loadb(answer, len, 0, NULL) : NULL;
    const json_t *all = json_object_get(v, "device_keys");
    const char *user;
    json_t *flag;
    json_object_foreach(e->querying, user, flag) {
        const json_t *answered = json_object_get(all, user);
        if (json_is_object(answered)) {
            take_devices(e, user, answered);
        } else {
            user_devices *u = e2ee_user(e, user); /* no answer: no devices, for now */
            if (u) {
                u->outdated = 0;
                e2ee_dirty(e, "dev|%s", user);
            }
        }
    }
    json_decref(e->querying);
    e->querying = NULL;
    json_decref(v);
}

/* ---- /keys/claim ---- */

void matrix_e2ee_claim_result(matrix_e2ee *e, const char *answer, size_t len)
{
    json_t *v = answer ? json_loadb(answer, len, 0, NULL) : NULL;
    const json_t *all = json_object_get(v, "one_time_keys");
    const char *pair;
    json_t *flag;
    json_object_foreach(e->claiming, pair, flag) {
        char user[512];
        const char *bar = strchr(pair, '|');
        if (!bar || (size_t)(bar - pair) >= sizeof user)
            continue;
        memcpy(user, pair, (size_t)(bar - pair));
        user[bar - pair] = '\0';
        const char *id = bar + 1;
        user_devices *u = e2ee_map_get(&e->users, user);
        device *d = NULL;
        for (size_t i = 0; u && i < u->n && !d; i++)
            if (strcmp(u->items[i].id, id) == 0)
                d = &u->items[i];
        if (!d)
            continue;
        int made = 0;
        const char *name;
        const json_t *key;
        char ed_id[512];
        snprintf(ed_id, sizeof ed_id, "ed25519:%s", id);
        json_object_foreach((json_t *)json_object_get(json_object_get(all, user), id), name, key) {
            matrix_olm *s = NULL;
            if (made || strncmp(name, CLAIM_ALGORITHM ":", sizeof CLAIM_ALGORITHM) != 0 ||
                !sb_json_str(key, "key") || matrix_verify_json(key, user, ed_id, d->ed) != SB_OK ||
                matrix_olm_outbound(e->account, d->curve, sb_json_str(key, "key"), &s) != SB_OK)
                continue;
            made = e2ee_olm_add(e, d->curve, s) == SB_OK;
            if (made)
                sb_log("info", "matrix", "new Olm session device=%s", id);
        }
        if (!made) {
            d->no_key = 1; /* until its user's devices are queried again */
            sb_log("warn", "matrix", "no usable one-time key: the device will not get the room key "
                   "device=%s", id);
        }
    }
    json_decref(e->claiming);
    e->claiming = NULL;
    json_decref(v);
}

/* ---- sharing and encrypting ---- */

/* The room's outbound session for n more messages, new when there is none or it is due
 * for rotation (also when the n would take it past the room's message limit: one reply's
 * parts share a session, so they start a new one rather than overrun the old). */
static outbound *current_outbound(matrix_e2ee *e, const char *room, int64_t now_ms, size_t n)
{
    room_info *r = e2ee_room(e, room);
    outbound *out = e2ee_map_get(&e->outbound, room);
    /* The room's settings when seen this run; after a restart (room_info is memory only)
     * the ones stored with the session, so a room asking for quick rotation keeps it. */
    int64_t period = E2EE_ROTATION_MS;
    long messages = E2EE_ROTATION_MSGS;
    if (r && r->rotation_known) {
        period = r->period_ms > 0 ? r->period_ms : period;
        messages = r->messages > 0 ? r->messages : messages;
    } else if (out) {
        period = out->period_ms > 0 ? out->period_ms : period;
        messages = out->messages > 0 ? out->messages : messages;
    }
    if (out && (out->period_ms != period || out->messages != messages)) {
        out->period_ms = period;
        out->messages = messages;
        e2ee_dirty(e, "out|%s", room);
    }
    if (out && out->count >= 0 && out->count < messages &&
        (out->count == 0 || out->count + (long)n <= messages) &&
        now_ms - out->created_ms < period && now_ms >= out->created_ms)
        return out;
    outbound *fresh = calloc(1, sizeof *fresh);
    if (!fresh || matrix_megolm_out_new(&fresh->s) != SB_OK || !(fresh->shared = json_object())) {
        e2ee_free_outbound(fresh);
        return NULL;
    }
    fresh->created_ms = now_ms;
    fresh->period_ms = period;
    fresh->messages = messages;
    if (e2ee_map_put(&e->outbound, room, fresh) != SB_OK) {
        e2ee_free_outbound(fresh);
        return NULL;
    }
    e2ee_dirty(e, "out|%s", room);
    return fresh;
}

/* The Olm-encrypted m.room.encrypted content carrying payload to device d of user. */
static json_t *olm_content(matrix_e2ee *e, const char *user, const device *d, json_t *payload)
{
    olm_sessions *o = e2ee_map_get(&e->olm, d->curve);
    if (!o || o->n == 0)
        return NULL;
    json_object_set_new(payload, "recipient", json_string(user));
    json_object_set_new(payload, "recipient_keys", json_pack("{s:s}", "ed25519", d->ed));
    char *plain = json_dumps(payload, JSON_COMPACT);
    size_t best = 0; /* the most recently used session */
    for (size_t i = 1; i < o->n; i++)
        if (o->used[i] > o->used[best])
            best = i;
    int type = 0;
    char *body = NULL;
    int rc = plain ? matrix_olm_encrypt(o->items[best], plain, &type, &body) : SB_ENOMEM;
    if (plain)
        matrix_crypto_wipe_string(plain);
    if (rc != SB_OK)
        return NULL;
    o->used[best] = ++e->clock;
    e2ee_dirty(e, "olm|%s", d->curve);
    json_t *content = json_pack("{s:s, s:s, s:{s:{s:i, s:s}}}", "algorithm", MATRIX_OLM_ALGORITHM,
                                "sender_key", matrix_account_curve25519(e->account), "ciphertext",
                                d->curve, "type", type, "body", body);
    free(body);
    return content;
}

/* Shares out's key with every device of room's members that lacks it: one pending
 * to-device message, its txn id in *txn (NULL when nobody needed it). */
static int share(matrix_e2ee *e, const char *room, outbound *out, char **txn)
{
    *txn = NULL;
    room_info *r = e2ee_room(e, room);
    char *key = matrix_megolm_out_key(out->s);
    json_t *messages = json_object();
    if (!r || !key || !messages) {
        matrix_crypto_wipe_string(key);
        json_decref(messages);
        return SB_ENOMEM;
    }
    size_t shared = 0;
    for (size_t i = 0; i < r->n; i++) {
        const char *user = r->members[i];
        user_devices *u = e2ee_map_get(&e->users, user);
        for (size_t k = 0; u && k < u->n; k++) {
            const device *d = &u->items[k];
            char pair[1024];
            snprintf(pair, sizeof pair, "%s|%s", user, d->id);
            if (!wanted_device(e, user, d) || json_object_get(out->shared, pair))
                continue;
            json_t *payload = json_pack(
                "{s:s, s:{s:s, s:s, s:s, s:s}, s:s, s:s, s:{s:s}}", "type", "m.room_key",
                "content", "algorithm", MATRIX_MEGOLM_ALGORITHM, "room_id", room, "session_id",
                matrix_megolm_out_id(out->s), "session_key", key, "sender", e->user,
                "sender_device", e->device, "keys", "ed25519",
                matrix_account_ed25519(e->account));
            json_t *content = payload ? olm_content(e, user, d, payload) : NULL;
            json_decref(payload);
            if (!content)
                continue; /* no Olm session with it (no one-time key): it cannot read us */
            json_t *mine = json_object_get(messages, user);
            if (!mine) {
                mine = json_object();
                json_object_set_new(messages, user, mine);
            }
            if (mine && json_object_set_new(mine, d->id, content) == 0) {
                json_object_set_new(out->shared, pair, json_true());
                shared++;
            }
        }
    }
    matrix_crypto_wipe_string(key);
    if (shared == 0) {
        json_decref(messages);
        return SB_OK;
    }
    e2ee_dirty(e, "out|%s", room);
    sb_log("info", "matrix", "sharing the room key devices=%zu room=%s", shared, room);
    int rc = e2ee_pending_add(e, "m.room.encrypted", messages, txn);
    pending *p = rc == SB_OK ? e2ee_map_get(&e->pending, *txn) : NULL;
    if (p)
        p->handed = 1; /* the send that made it sends it, before its own events */
    return rc;
}

int matrix_e2ee_encrypt(matrix_e2ee *e, const char *room, const char *const *contents,
                        size_t n, int64_t now_ms, char ***out, char **share_txn)
{
    *out = NULL;
    *share_txn = NULL;
    outbound *o = current_outbound(e, room, now_ms, n);
    if (!o)
        return SB_ENOMEM;
    int rc = share(e, room, o, share_txn);
    char **result = rc == SB_OK ? calloc(n ? n : 1, sizeof *result) : NULL;
    if (!result) {
        free(*share_txn);
        *share_txn = NULL;
        return SB_ENOMEM;
    }
    for (size_t i = 0; i < n && rc == SB_OK; i++) {
        json_t *content = json_loads(contents[i], 0, NULL);
        json_t *event = content ? json_pack("{s:s, s:o, s:s}", "type", "m.room.message",
                                            "content", content, "room_id", room)
                                : NULL;
        char *plain = event ? json_dumps(event, JSON_COMPACT) : NULL;
        json_decref(event);
        char *cipher = NULL;
        rc = plain ? matrix_megolm_out_encrypt(o->s, plain, &cipher) : SB_ENOMEM;
        if (plain)
            matrix_crypto_wipe_string(plain);
        json_t *enc = rc == SB_OK ? json_pack("{s:s, s:s, s:s, s:s, s:s}", "algorithm",
                                              MATRIX_MEGOLM_ALGORITHM, "sender_key",
                                              matrix_account_curve25519(e->account), "ciphertext",
                                              cipher, "session_id", matrix_megolm_out_id(o->s),
                                              "device_id", e->device)
                                  : NULL;
        free(cipher);
        result[i] = enc ? json_dumps(enc, JSON_COMPACT) : NULL;
        json_decref(enc);
        if (!result[i])
            rc = SB_ENOMEM;
        o->count++;
        e2ee_dirty(e, "out|%s", room);
    }
    if (rc != SB_OK) {
        matrix_e2ee_strings_free(result, n);
        return rc; /* the share (if any) stays pending: it is committed and sent anyway */
    }
    *out = result;
    return SB_OK;
}

/* ---- pending to-device messages ---- */

typedef struct pending_list {
    const char **keys;
    const pending **items;
    size_t n, cap;
    int all;
} pending_list;

static void collect_pending(void *ctx, const char *key, void *value)
{
    pending_list *l = ctx;
    const pending *p = value;
    if (p->handed || l->n == l->cap)
        return;
    l->keys[l->n] = key;
    l->items[l->n++] = p;
}

size_t matrix_e2ee_take_pending(matrix_e2ee *e, char ***txns)
{
    *txns = NULL;
    size_t cap = e->pending.count;
    if (cap == 0)
        return 0;
    pending_list l = {calloc(cap, sizeof *l.keys), calloc(cap, sizeof *l.items), 0, cap, 0};
    char **out = calloc(cap, sizeof *out);
    if (!l.keys || !l.items || !out) {
        free(l.keys);
        free(l.items);
        free(out);
        return 0;
    }
    e2ee_map_each(&e->pending, collect_pending, &l);
    for (size_t i = 1; i < l.n; i++) /* oldest first: insertion sort by order */
        for (size_t k = i; k > 0 && l.items[k]->order < l.items[k - 1]->order; k--) {
            const pending *p = l.items[k];
            const char *key = l.keys[k];
            l.items[k] = l.items[k - 1];
            l.keys[k] = l.keys[k - 1];
            l.items[k - 1] = p;
            l.keys[k - 1] = key;
        }
    size_t n = 0;
    for (size_t i = 0; i < l.n; i++) {
        out[n] = sb_strdup(l.keys[i]);
        if (out[n]) {
            ((pending *)l.items[i])->handed = 1;
            n++;
        }
    }
    free(l.keys);
    free(l.items);
    if (n == 0) {
        free(out);
        return 0;
    }
    *txns = out;
    return n;
}

int matrix_e2ee_pending_body(matrix_e2ee *e, const char *txn, const char **type, json_t **body)
{
    pending *p = e2ee_map_get(&e->pending, txn);
    *type = NULL;
    *body = NULL;
    if (!p)
        return SB_ENOTFOUND;
    *type = p->type;
    *body = json_pack("{s:O}", "messages", p->messages);
    return *body ? SB_OK : SB_ENOMEM;
}

void matrix_e2ee_pending_sent(matrix_e2ee *e, const char *txn)
{
    if (e2ee_map_get(&e->pending, txn)) {
        e2ee_map_del(&e->pending, txn);
        e2ee_dirty(e, "td|%s", txn);
    }
}
