/* matrix_e2ee_store.c — how the encryption state is kept: one adapter state value per
 * account, device list, session or pending to-device message (matrix_e2ee_impl.h names the
 * keys), written as JSON with its secrets pickled under the pickle key when it changed
 * (matrix_e2ee_changes), read back at start (matrix_e2ee_load), and a new identity when the
 * stored one is missing or another device's (matrix_e2ee_ready). */
#include "matrix_e2ee_impl.h"

#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- stored form: one JSON value per state key ---- */

static json_t *save_account(matrix_e2ee *e)
{
    char *pickle = matrix_account_pickle(e->account, e->pickle_key, e->key_len);
    json_t *v = pickle ? json_pack("{s:s, s:s, s:b, s:I}", "pickle", pickle, "device",
                                   e->device, "uploaded", e->uploaded, "counter",
                                   (json_int_t)e->counter)
                       : NULL;
    free(pickle);
    return v;
}

static json_t *save_olm(matrix_e2ee *e, olm_sessions *o)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < o->n; i++) {
        char *pickle = matrix_olm_pickle(o->items[i], e->pickle_key, e->key_len);
        json_t *item = pickle ? json_pack("{s:s, s:I}", "pickle", pickle, "used",
                                          (json_int_t)o->used[i])
                              : NULL;
        free(pickle);
        if (!item || json_array_append_new(list, item) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list ? json_pack("{s:o}", "sessions", list) : NULL;
}

static json_t *save_user(const user_devices *u)
{
    json_t *devices = json_object();
    for (size_t i = 0; devices && i < u->n; i++) {
        json_t *d = json_pack("{s:s, s:s}", "curve", u->items[i].curve, "ed", u->items[i].ed);
        if (!d || json_object_set_new(devices, u->items[i].id, d) != 0) {
            json_decref(devices);
            return NULL;
        }
    }
    return devices ? json_pack("{s:b, s:o}", "outdated", u->outdated, "devices", devices) : NULL;
}

static json_t *save_inbound(matrix_e2ee *e, inbound *in)
{
    char *pickle = matrix_megolm_in_pickle(in->s, e->pickle_key, e->key_len);
    json_t *v = pickle ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "pickle", pickle,
                                   "room", in->room, "sender", in->sender, "sender_key",
                                   in->sender_key, "ed", in->ed, "last", (json_int_t)in->last,
                                   "added", (json_int_t)in->added)
                       : NULL;
    free(pickle);
    return v;
}

static json_t *save_outbound(matrix_e2ee *e, outbound *out)
{
    char *pickle = matrix_megolm_out_pickle(out->s, e->pickle_key, e->key_len);
    json_t *v = pickle ? json_pack("{s:s, s:I, s:I, s:O, s:I, s:I}", "pickle", pickle,
                                   "created", (json_int_t)out->created_ms, "count",
                                   (json_int_t)out->count, "shared", out->shared, "period_ms",
                                   (json_int_t)out->period_ms, "messages",
                                   (json_int_t)out->messages)
                       : NULL;
    free(pickle);
    return v;
}

/* The stored form of state key (NULL value: delete it) and its owner. SB_OK or SB_ENOMEM. */
static int stored_form(matrix_e2ee *e, const char *key, char **value, const char **owner)
{
    *value = NULL;
    *owner = NULL;
    json_t *v = NULL;
    int present = 1;
    if (strcmp(key, "account") == 0) {
        v = e->account ? save_account(e) : NULL;
        present = e->account != NULL;
    } else if (strncmp(key, "olm|", 4) == 0) {
        olm_sessions *o = e2ee_map_get(&e->olm, key + 4);
        present = o && o->n;
        v = present ? save_olm(e, o) : NULL;
    } else if (strncmp(key, "dev|", 4) == 0) {
        user_devices *u = e2ee_map_get(&e->users, key + 4);
        present = u != NULL;
        v = u ? save_user(u) : NULL;
    } else if (strncmp(key, "in|", 3) == 0) {
        inbound *in = e2ee_map_get(&e->inbound, key + 3);
        present = in != NULL;
        v = in ? save_inbound(e, in) : NULL;
        *owner = in && in->sender[0] ? in->sender : NULL;
    } else if (strncmp(key, "out|", 4) == 0) {
        outbound *out = e2ee_map_get(&e->outbound, key + 4);
        present = out != NULL;
        v = out ? save_outbound(e, out) : NULL;
    } else if (strncmp(key, "td|", 3) == 0) {
        pending *p = e2ee_map_get(&e->pending, key + 3);
        present = p != NULL;
        v = p ? json_pack("{s:s, s:O, s:I}", "type", p->type, "messages", p->messages, "order",
                          (json_int_t)p->order)
              : NULL;
    } else {
        return SB_OK; /* nothing of ours */
    }
    if (!present)
        return SB_OK;
    *value = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(v);
    return *value ? SB_OK : SB_ENOMEM;
}

int matrix_e2ee_changes(matrix_e2ee *e, sb_state_change **changes, size_t *count)
{
    size_t n = json_object_size(e->dirty);
    if (n == 0)
        return SB_OK;
    sb_state_change *grown = realloc(*changes, (*count + n) * sizeof *grown);
    if (!grown)
        return SB_ENOMEM;
    *changes = grown;
    size_t start = *count;
    const char *key;
    json_t *flag;
    int rc = SB_OK;
    json_object_foreach(e->dirty, key, flag) {
        sb_state_change *c = &grown[*count];
        const char *owner;
        memset(c, 0, sizeof *c);
        rc = stored_form(e, key, &c->value, &owner);
        c->key = sb_strdup(key);
        c->owner = owner ? sb_strdup(owner) : NULL;
        if (rc != SB_OK || !c->key || (owner && !c->owner)) {
            free(c->key);
            free(c->value);
            free(c->owner);
            rc = SB_ENOMEM;
            break;
        }
        (*count)++;
    }
    if (rc != SB_OK) { /* nothing taken: the same changes come next time */
        for (size_t i = start; i < *count; i++) {
            free(grown[i].key);
            free(grown[i].value);
            free(grown[i].owner);
        }
        *count = start;
        return rc;
    }
    json_object_clear(e->dirty);
    return SB_OK;
}

/* ---- loading ---- */

static int load_account(matrix_e2ee *e, const json_t *v)
{
    const char *pickle = json_string_value(json_object_get(v, "pickle"));
    const char *device = json_string_value(json_object_get(v, "device"));
    if (!pickle || !device)
        return SB_EPARSE;
    if (strcmp(device, e->device) != 0) {
        /* Another device's: this one gets an identity of its own (matrix_e2ee_ready), so the
         * old account need not open, as after a lost pickle key. */
        free(e->account_device);
        e->account_device = sb_strdup(device);
        return SB_OK;
    }
    matrix_account *a = NULL;
    int rc = matrix_account_unpickle(pickle, e->pickle_key, e->key_len, &a);
    if (rc != SB_OK)
        return rc;
    matrix_account_free(e->account);
    e->account = a;
    free(e->account_device);
    e->account_device = sb_strdup(device);
    e->uploaded = json_is_true(json_object_get(v, "uploaded"));
    e->counter = (long)json_integer_value(json_object_get(v, "counter"));
    return e->account_device ? SB_OK : SB_ENOMEM;
}

static int load_olm(matrix_e2ee *e, const char *curve, const json_t *v)
{
    olm_sessions *o = calloc(1, sizeof *o);
    if (!o)
        return SB_ENOMEM;
    size_t i;
    const json_t *item;
    json_array_foreach(json_object_get(v, "sessions"), i, item) {
        const char *pickle = json_string_value(json_object_get(item, "pickle"));
        matrix_olm *s = NULL;
        if (o->n == E2EE_OLM_PER_DEVICE || !pickle ||
            matrix_olm_unpickle(pickle, e->pickle_key, e->key_len, &s) != SB_OK)
            continue;
        o->used[o->n] = (uint64_t)json_integer_value(json_object_get(item, "used"));
        if (o->used[o->n] > e->clock)
            e->clock = o->used[o->n];
        o->items[o->n++] = s;
    }
    if (e2ee_map_put(&e->olm, curve, o) != SB_OK) {
        e2ee_free_olm(o);
        return SB_ENOMEM;
    }
    return SB_OK;
}

static int load_user(matrix_e2ee *e, const char *user, const json_t *v)
{
    const json_t *devices = json_object_get(v, "devices");
    user_devices *u = calloc(1, sizeof *u);
    if (!u || (json_object_size(devices) &&
               !(u->items = calloc(json_object_size(devices), sizeof *u->items)))) {
        free(u);
        return SB_ENOMEM;
    }
    u->outdated = json_is_true(json_object_get(v, "outdated"));
    const char *id;
    const json_t *d;
    json_object_foreach((json_t *)devices, id, d) {
        const char *curve = json_string_value(json_object_get(d, "curve"));
        const char *ed = json_string_value(json_object_get(d, "ed"));
        if (!curve || !ed)
            continue;
        device *x = &u->items[u->n];
        x->id = sb_strdup(id);
        x->curve = sb_strdup(curve);
        x->ed = sb_strdup(ed);
        u->n++;
        if (!x->id || !x->curve || !x->ed) {
            e2ee_free_user(u);
            return SB_ENOMEM;
        }
    }
    if (e2ee_map_put(&e->users, user, u) != SB_OK) {
        e2ee_free_user(u);
        return SB_ENOMEM;
    }
    return SB_OK;
}

static int load_inbound(matrix_e2ee *e, const json_t *v)
{
    const char *pickle = json_string_value(json_object_get(v, "pickle"));
    const char *room = json_string_value(json_object_get(v, "room"));
    if (!pickle || !room)
        return SB_EPARSE;
    matrix_megolm_in *s = NULL;
    int rc = matrix_megolm_in_unpickle(pickle, e->pickle_key, e->key_len, &s);
    if (rc != SB_OK)
        return rc;
    char key[1024];
    snprintf(key, sizeof key, "%s|%s", room, matrix_megolm_in_id(s));
    rc = e2ee_inbound_add(e, room, json_string_value(json_object_get(v, "sender")),
                          json_string_value(json_object_get(v, "sender_key")),
                          json_string_value(json_object_get(v, "ed")), s,
                          (int64_t)json_integer_value(json_object_get(v, "last")));
    inbound *in = rc == SB_OK ? e2ee_map_get(&e->inbound, key) : NULL;
    uint64_t added = (uint64_t)json_integer_value(json_object_get(v, "added"));
    if (in && added) {
        in->added = added;
        if (added > e->clock)
            e->clock = added;
    }
    return rc;
}

static int load_outbound(matrix_e2ee *e, const char *room, const json_t *v)
{
    const char *pickle = json_string_value(json_object_get(v, "pickle"));
    const json_t *shared = json_object_get(v, "shared");
    if (!pickle || !json_is_object(shared))
        return SB_EPARSE;
    outbound *out = calloc(1, sizeof *out);
    if (!out)
        return SB_ENOMEM;
    int rc = matrix_megolm_out_unpickle(pickle, e->pickle_key, e->key_len, &out->s);
    out->created_ms = (int64_t)json_integer_value(json_object_get(v, "created"));
    out->count = (long)json_integer_value(json_object_get(v, "count"));
    out->period_ms = (int64_t)json_integer_value(json_object_get(v, "period_ms"));
    out->messages = (long)json_integer_value(json_object_get(v, "messages"));
    out->shared = json_deep_copy(shared);
    if (rc == SB_OK && !out->shared)
        rc = SB_ENOMEM;
    if (rc == SB_OK)
        rc = e2ee_map_put(&e->outbound, room, out);
    if (rc != SB_OK)
        e2ee_free_outbound(out);
    return rc;
}

static int load_pending(matrix_e2ee *e, const char *txn, const json_t *v)
{
    const char *type = json_string_value(json_object_get(v, "type"));
    const json_t *messages = json_object_get(v, "messages");
    if (!type || !json_is_object(messages))
        return SB_EPARSE;
    pending *p = calloc(1, sizeof *p);
    if (!p)
        return SB_ENOMEM;
    p->type = sb_strdup(type);
    p->messages = json_deep_copy(messages);
    p->order = (uint64_t)json_integer_value(json_object_get(v, "order"));
    if (p->order > e->clock)
        e->clock = p->order;
    int rc = p->type && p->messages ? e2ee_map_put(&e->pending, txn, p) : SB_ENOMEM;
    if (rc != SB_OK)
        e2ee_free_pending(p);
    return rc;
}

int matrix_e2ee_load(matrix_e2ee *e, const char *key, const char *value)
{
    json_t *v = json_loads(value, 0, NULL);
    if (!json_is_object(v)) {
        json_decref(v);
        return SB_EPARSE;
    }
    int rc = SB_OK;
    if (strcmp(key, "account") == 0)
        rc = load_account(e, v);
    else if (strncmp(key, "olm|", 4) == 0)
        rc = load_olm(e, key + 4, v);
    else if (strncmp(key, "dev|", 4) == 0)
        rc = load_user(e, key + 4, v);
    else if (strncmp(key, "in|", 3) == 0)
        rc = load_inbound(e, v);
    else if (strncmp(key, "out|", 4) == 0)
        rc = load_outbound(e, key + 4, v);
    else if (strncmp(key, "td|", 3) == 0)
        rc = load_pending(e, key + 3, v);
    json_decref(v);
    /* loading is not a change; inbound_add marked it */
    if (strncmp(key, "in|", 3) == 0)
        json_object_del(e->dirty, key);
    /* A session that does not open (another pickle key, or damaged) is of no use: it goes
     * from the store with the next batch. The account never goes this way: a wrong key for
     * it stops the adapter before anything is written. */
    if ((rc == SB_EAUTH || rc == SB_EPARSE) && strcmp(key, "account") != 0)
        e2ee_dirty(e, "%s", key);
    return rc;
}

typedef struct gone_ctx {
    matrix_e2ee *e;
    const char *kind;
} gone_ctx;

/* e2ee_map_each callback: the state key "<kind>|<key>" is to be deleted from the store. */
static void mark_gone(void *ctx, const char *key, void *value)
{
    (void)value;
    gone_ctx *g = ctx;
    e2ee_dirty(g->e, "%s|%s", g->kind, key);
}

int matrix_e2ee_ready(matrix_e2ee *e)
{
    if (e->account && e->account_device && strcmp(e->account_device, e->device) == 0)
        return SB_OK;
    if (e->account || e->account_device) {
        /* Logged in as another device: one identity per device. The Olm sessions and our
         * outbound sessions belong to the old identity and go, from the store too; what
         * others sent stays readable with the inbound sessions. */
        sb_log("warn", "matrix", "the stored encryption account is another device's: a new identity for "
               "this one device=%s was=%s", e->device,
               e->account_device ? e->account_device : "?");
        gone_ctx olm = {e, "olm"}, out = {e, "out"};
        e2ee_map_each(&e->olm, mark_gone, &olm);
        e2ee_map_each(&e->outbound, mark_gone, &out);
        e2ee_map_clear(&e->olm);
        e2ee_map_clear(&e->outbound);
        matrix_account_free(e->account);
        e->account = NULL;
    }
    int rc = matrix_account_new(&e->account);
    if (rc != SB_OK)
        return rc;
    free(e->account_device);
    e->account_device = sb_strdup(e->device);
    e->uploaded = 0;
    e->server_keys = -1;
    e->fallback_unused = -1;
    e2ee_dirty(e, "account");
    return e->account_device ? SB_OK : SB_ENOMEM;
}
