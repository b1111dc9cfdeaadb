/* matrix_e2ee.c — the encryption state of the Matrix adapter: the maps that hold it, how each
 * part is stored (one state value per account, device, session or pending message, written
 * when it changed), this device's key uploads and the device lists of others. Decrypting
 * what comes in is matrix_e2ee_in.c's, sharing and encrypting what goes out
 * matrix_e2ee_out.c's; the libolm calls are all in matrix_crypto.c. */
#include "matrix_e2ee_impl.h"

#include "sb.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- maps ---- */

static size_t hash(const char *s)
{
    size_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % E2EE_MAP_BUCKETS;
}

void *e2ee_map_get(const e2ee_map *m, const char *key)
{
    for (e2ee_entry *x = m->bucket[hash(key)]; x; x = x->next)
        if (strcmp(x->key, key) == 0)
            return x->value;
    return NULL;
}

int e2ee_map_put(e2ee_map *m, const char *key, void *value)
{
    size_t h = hash(key);
    for (e2ee_entry *x = m->bucket[h]; x; x = x->next)
        if (strcmp(x->key, key) == 0) {
            if (x->value != value)
                m->free_value(x->value);
            x->value = value;
            return SB_OK;
        }
    e2ee_entry *x = calloc(1, sizeof *x);
    if (!x || !(x->key = sb_strdup(key))) {
        free(x);
        return SB_ENOMEM;
    }
    x->value = value;
    x->next = m->bucket[h];
    m->bucket[h] = x;
    m->count++;
    return SB_OK;
}

void e2ee_map_del(e2ee_map *m, const char *key)
{
    for (e2ee_entry **p = &m->bucket[hash(key)]; *p; p = &(*p)->next)
        if (strcmp((*p)->key, key) == 0) {
            e2ee_entry *x = *p;
            *p = x->next;
            m->free_value(x->value);
            free(x->key);
            free(x);
            m->count--;
            return;
        }
}

void e2ee_map_clear(e2ee_map *m)
{
    for (size_t i = 0; i < E2EE_MAP_BUCKETS; i++)
        while (m->bucket[i]) {
            e2ee_entry *x = m->bucket[i];
            m->bucket[i] = x->next;
            m->free_value(x->value);
            free(x->key);
            free(x);
        }
    m->count = 0;
}

void e2ee_map_each(const e2ee_map *m, void (*fn)(void *ctx, const char *key, void *value),
                   void *ctx)
{
    for (size_t i = 0; i < E2EE_MAP_BUCKETS; i++)
        for (e2ee_entry *x = m->bucket[i]; x; x = x->next)
            fn(ctx, x->key, x->value);
}

/* ---- values ---- */

static void free_olm(void *v)
{
    olm_sessions *o = v;
    for (size_t i = 0; o && i < o->n; i++)
        matrix_olm_free(o->items[i]);
    free(o);
}

static void free_user(void *v)
{
    user_devices *u = v;
    for (size_t i = 0; u && i < u->n; i++) {
        free(u->items[i].id);
        free(u->items[i].curve);
        free(u->items[i].ed);
    }
    if (u)
        free(u->items);
    free(u);
}

void e2ee_free_inbound(void *v)
{
    inbound *in = v;
    if (!in)
        return;
    matrix_megolm_in_free(in->s);
    free(in->room);
    free(in->sender);
    free(in->sender_key);
    free(in->ed);
    free(in);
}

void e2ee_free_outbound(void *v)
{
    outbound *out = v;
    if (!out)
        return;
    matrix_megolm_out_free(out->s);
    json_decref(out->shared);
    free(out);
}

static void free_room(void *v)
{
    room_info *r = v;
    for (size_t i = 0; r && i < r->n; i++)
        free(r->members[i]);
    if (r)
        free(r->members);
    free(r);
}

static void free_pending(void *v)
{
    pending *p = v;
    if (!p)
        return;
    free(p->type);
    json_decref(p->messages);
    free(p);
}

/* ---- the machine ---- */

matrix_e2ee *matrix_e2ee_new(const char *user, const char *device, const char *pickle_key,
                             size_t key_len)
{
    matrix_e2ee *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->olm.free_value = free_olm;
    e->users.free_value = free_user;
    e->inbound.free_value = e2ee_free_inbound;
    e->outbound.free_value = e2ee_free_outbound;
    e->rooms.free_value = free_room;
    e->pending.free_value = free_pending;
    e->user = sb_strdup(user);
    e->device = sb_strdup(device);
    e->pickle_key = sb_strndup(pickle_key, key_len);
    e->key_len = key_len;
    e->server_keys = -1;
    e->fallback_unused = -1;
    e->dirty = json_object();
    e->requested = json_object();
    if (!e->user || !e->device || !e->pickle_key || !e->dirty || !e->requested) {
        matrix_e2ee_free(e);
        return NULL;
    }
    return e;
}

void matrix_e2ee_free(matrix_e2ee *e)
{
    if (!e)
        return;
    e2ee_map_clear(&e->olm);
    e2ee_map_clear(&e->users);
    e2ee_map_clear(&e->inbound);
    e2ee_map_clear(&e->outbound);
    e2ee_map_clear(&e->rooms);
    e2ee_map_clear(&e->pending);
    matrix_account_free(e->account);
    if (e->pickle_key)
        matrix_crypto_wipe_free(e->pickle_key, e->key_len);
    free(e->user);
    free(e->device);
    free(e->account_device);
    json_decref(e->dirty);
    json_decref(e->requested);
    json_decref(e->querying);
    json_decref(e->claiming);
    free(e);
}

const char *matrix_e2ee_curve25519(const matrix_e2ee *e)
{
    return e->account ? matrix_account_curve25519(e->account) : NULL;
}

const char *matrix_e2ee_ed25519(const matrix_e2ee *e)
{
    return e->account ? matrix_account_ed25519(e->account) : NULL;
}

void e2ee_dirty(matrix_e2ee *e, const char *fmt, ...)
{
    char key[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(key, sizeof key, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof key)
        json_object_set_new(e->dirty, key, json_true());
}

long e2ee_next_counter(matrix_e2ee *e)
{
    e2ee_dirty(e, "account");
    return ++e->counter;
}

user_devices *e2ee_user(matrix_e2ee *e, const char *user)
{
    user_devices *u = e2ee_map_get(&e->users, user);
    if (u)
        return u;
    u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->outdated = 1;
    if (e2ee_map_put(&e->users, user, u) != SB_OK) {
        free(u);
        return NULL;
    }
    return u;
}

typedef struct by_curve {
    const char *curve;
    const device *found;
    const char *user;
} by_curve;

static void find_curve(void *ctx, const char *user, void *value)
{
    by_curve *b = ctx;
    const user_devices *u = value;
    for (size_t i = 0; !b->found && i < u->n; i++)
        if (strcmp(u->items[i].curve, b->curve) == 0) {
            b->found = &u->items[i];
            b->user = user;
        }
}

const device *e2ee_device_by_curve(const matrix_e2ee *e, const char *curve, const char **user)
{
    by_curve b = {curve, NULL, NULL};
    e2ee_map_each(&e->users, find_curve, &b);
    if (user)
        *user = b.user;
    return b.found;
}

room_info *e2ee_room(matrix_e2ee *e, const char *room)
{
    room_info *r = e2ee_map_get(&e->rooms, room);
    if (r)
        return r;
    r = calloc(1, sizeof *r);
    if (!r || e2ee_map_put(&e->rooms, room, r) != SB_OK) {
        free(r);
        return NULL;
    }
    return r;
}

int e2ee_olm_add(matrix_e2ee *e, const char *curve, matrix_olm *s)
{
    olm_sessions *o = e2ee_map_get(&e->olm, curve);
    if (!o) {
        o = calloc(1, sizeof *o);
        if (!o || e2ee_map_put(&e->olm, curve, o) != SB_OK) {
            free(o);
            matrix_olm_free(s);
            return SB_ENOMEM;
        }
    }
    if (o->n == E2EE_OLM_PER_DEVICE)
        matrix_olm_free(o->items[--o->n]);
    memmove(o->items + 1, o->items, o->n * sizeof *o->items);
    memmove(o->used + 1, o->used, o->n * sizeof *o->used);
    o->items[0] = s;
    o->used[0] = ++e->clock;
    o->n++;
    e2ee_dirty(e, "olm|%s", curve);
    return SB_OK;
}

int e2ee_pending_add(matrix_e2ee *e, const char *type, json_t *messages, char **txn)
{
    *txn = NULL;
    pending *p = calloc(1, sizeof *p);
    char *id = sb_asprintf("sbd%ld", e2ee_next_counter(e));
    if (!p || !id || !(p->type = sb_strdup(type))) {
        free(p);
        free(id);
        json_decref(messages);
        return SB_ENOMEM;
    }
    p->messages = messages;
    p->order = ++e->clock;
    if (e2ee_map_put(&e->pending, id, p) != SB_OK) {
        free_pending(p);
        free(id);
        return SB_ENOMEM;
    }
    e2ee_dirty(e, "td|%s", id);
    *txn = id;
    return SB_OK;
}

int e2ee_inbound_add(matrix_e2ee *e, const char *room, const char *sender, const char *sender_key,
                     const char *ed, matrix_megolm_in *s, int64_t last)
{
    inbound *in = calloc(1, sizeof *in);
    char *key = sb_asprintf("%s|%s", room, matrix_megolm_in_id(s));
    if (!in || !key) {
        free(in);
        free(key);
        matrix_megolm_in_free(s);
        return SB_ENOMEM;
    }
    in->s = s;
    in->last = last;
    in->added = ++e->clock;
    in->room = sb_strdup(room);
    in->sender = sb_strdup(sender ? sender : "");
    in->sender_key = sb_strdup(sender_key ? sender_key : "");
    in->ed = sb_strdup(ed ? ed : "");
    int rc = in->room && in->sender && in->sender_key && in->ed ? e2ee_map_put(&e->inbound, key, in)
                                                                : SB_ENOMEM;
    if (rc != SB_OK)
        e2ee_free_inbound(in);
    else
        e2ee_dirty(e, "in|%s", key);
    free(key);
    return rc;
}

typedef struct prune_ctx {
    const char *room, *sender_key;
    const char *oldest;
    uint64_t oldest_added;
    size_t n;
} prune_ctx;

static void count_device_keys(void *ctx, const char *key, void *value)
{
    prune_ctx *p = ctx;
    const inbound *in = value;
    if (strcmp(in->room, p->room) != 0 || strcmp(in->sender_key, p->sender_key) != 0)
        return;
    p->n++;
    if (!p->oldest || in->added < p->oldest_added) {
        p->oldest = key;
        p->oldest_added = in->added;
    }
}

void e2ee_inbound_prune(matrix_e2ee *e, const char *room, const char *sender_key)
{
    for (;;) {
        prune_ctx p = {room, sender_key, NULL, 0, 0};
        e2ee_map_each(&e->inbound, count_device_keys, &p);
        if (p.n <= E2EE_INBOUND_PER_DEVICE || !p.oldest)
            return;
        char key[1024];
        snprintf(key, sizeof key, "%s", p.oldest);
        e2ee_map_del(&e->inbound, key);
        e2ee_dirty(e, "in|%s", key);
    }
}

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
    json_t *v = pickle ? json_pack("{s:s, s:I, s:I, s:O}", "pickle", pickle, "created",
                                   (json_int_t)out->created_ms, "count", (json_int_t)out->count,
                                   "shared", out->shared)
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
        free_olm(o);
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
            free_user(u);
            return SB_ENOMEM;
        }
    }
    if (e2ee_map_put(&e->users, user, u) != SB_OK) {
        free_user(u);
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
        free_pending(p);
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
        sb_log("warn", "matrix", "the stored encryption account is device %s's, this is %s: "
               "a new identity for this device", e->account_device ? e->account_device : "?",
               e->device);
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

/* ---- this device's keys ---- */

static size_t target_keys(const matrix_e2ee *e)
{
    return matrix_account_max_one_time_keys(e->account) / 2;
}

/* How many one-time keys are made but not yet published; -1 on ENOMEM. *fallback: an
 * unpublished fallback key exists. */
static long unpublished(matrix_e2ee *e, int *fallback)
{
    json_t *otk = NULL, *fb = NULL;
    if (matrix_account_unpublished_keys(e->account, e->user, e->device, &otk, &fb) != SB_OK)
        return -1;
    long n = (long)json_object_size(otk);
    *fallback = json_object_size(fb) > 0;
    json_decref(otk);
    json_decref(fb);
    return n;
}

int matrix_e2ee_needs_upload(matrix_e2ee *e)
{
    if (!e->account)
        return 0;
    int fallback = 0;
    long waiting = unpublished(e, &fallback);
    if (!e->uploaded || waiting > 0 || fallback || e->fallback_unused == 0)
        return 1;
    return e->server_keys >= 0 && (size_t)e->server_keys < target_keys(e);
}

json_t *matrix_e2ee_upload_body(matrix_e2ee *e)
{
    if (!e->account)
        return NULL;
    int fallback = 0;
    long waiting = unpublished(e, &fallback);
    if (waiting < 0)
        return NULL;
    long on_server = e->uploaded ? e->server_keys : 0;
    if (on_server >= 0) {
        long need = (long)target_keys(e) - on_server - waiting;
        if (need > 0 && matrix_account_generate_one_time_keys(e->account, (size_t)need) == SB_OK)
            e2ee_dirty(e, "account");
    }
    if (!fallback && (!e->uploaded || e->fallback_unused == 0) &&
        matrix_account_generate_fallback_key(e->account) == SB_OK)
        e2ee_dirty(e, "account");
    json_t *otk = NULL, *fb = NULL;
    if (matrix_account_unpublished_keys(e->account, e->user, e->device, &otk, &fb) != SB_OK)
        return NULL;
    json_t *body = json_object();
    if (body && !e->uploaded)
        json_object_set_new(body, "device_keys",
                            matrix_account_device_keys(e->account, e->user, e->device));
    if (body && json_object_size(otk))
        json_object_set(body, "one_time_keys", otk);
    if (body && json_object_size(fb))
        json_object_set(body, "fallback_keys", fb);
    json_decref(otk);
    json_decref(fb);
    if (body && (json_object_size(body) == 0 ||
                 (!e->uploaded && !json_object_get(body, "device_keys")))) {
        json_decref(body);
        body = NULL;
    }
    return body;
}

void matrix_e2ee_uploaded(matrix_e2ee *e, const char *answer, size_t len)
{
    int fallback = 0;
    unpublished(e, &fallback);
    matrix_account_mark_published(e->account);
    e->uploaded = 1;
    if (fallback)
        e->fallback_unused = 1;
    json_t *v = json_loadb(answer, len, 0, NULL);
    const json_t *count = json_object_get(json_object_get(v, "one_time_key_counts"),
                                          "signed_curve25519");
    e->server_keys = json_is_integer(count) ? (long)json_integer_value(count) : 0;
    json_decref(v);
    e2ee_dirty(e, "account");
}

int matrix_e2ee_upload_refused(matrix_e2ee *e)
{
    if (!e->uploaded)
        return 0;
    matrix_account_mark_published(e->account);
    e2ee_dirty(e, "account");
    return 1;
}

void matrix_e2ee_key_counts(matrix_e2ee *e, long one_time_keys, int fallback_unused)
{
    if (one_time_keys >= 0)
        e->server_keys = one_time_keys;
    if (fallback_unused >= 0)
        e->fallback_unused = fallback_unused;
}

/* ---- device lists ---- */

void matrix_e2ee_device_lists(matrix_e2ee *e, char *const *changed, size_t nchanged,
                              char *const *left, size_t nleft)
{
    for (size_t i = 0; i < nchanged; i++) {
        user_devices *u = e2ee_map_get(&e->users, changed[i]);
        if (u && !u->outdated) {
            u->outdated = 1;
            e2ee_dirty(e, "dev|%s", changed[i]);
        }
    }
    for (size_t i = 0; i < nleft; i++) {
        if (e2ee_map_get(&e->users, left[i])) {
            e2ee_map_del(&e->users, left[i]);
            e2ee_dirty(e, "dev|%s", left[i]);
        }
    }
}

void matrix_e2ee_strings_free(char **strings, size_t n)
{
    for (size_t i = 0; strings && i < n; i++)
        free(strings[i]);
    free(strings);
}
