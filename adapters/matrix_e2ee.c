/* matrix_e2ee.c — the encryption state of the Matrix adapter: the maps that hold it, the
 * machine's lifetime, this device's key uploads and the device lists of others. How it is
 * stored and loaded is matrix_e2ee_store.c's, decrypting what comes in matrix_e2ee_in.c's,
 * sharing and encrypting what goes out matrix_e2ee_out.c's; libolm is behind matrix_crypto. */
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

void e2ee_free_olm(void *v)
{
    olm_sessions *o = v;
    for (size_t i = 0; o && i < o->n; i++)
        matrix_olm_free(o->items[i]);
    free(o);
}

void e2ee_free_user(void *v)
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

void e2ee_free_pending(void *v)
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
    e->olm.free_value = e2ee_free_olm;
    e->users.free_value = e2ee_free_user;
    e->inbound.free_value = e2ee_free_inbound;
    e->outbound.free_value = e2ee_free_outbound;
    e->rooms.free_value = free_room;
    e->pending.free_value = e2ee_free_pending;
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
        e2ee_free_pending(p);
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
