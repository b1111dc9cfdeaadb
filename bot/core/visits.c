/* visits.c — the router's bounded memory of recent visits (visits.h). A flat array
 * searched by a 64-bit hash of (adapter, sender, room), the key itself compared on a
 * match; the least recently used entry makes room. VISITS_MAX is small, so a scan of
 * hashes costs less than the statement and the JSON parse it saves. */
#include "visits.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    uint64_t hash, used; /* used 0: a free slot */
    char *key;           /* adapter \0 sender \0 room \0 */
    size_t keylen;
    visit_hit hit;
} entry;

struct visits {
    entry e[VISITS_MAX];
    uint64_t seen; /* the store_generation every entry is valid for */
    uint64_t tick;
};

/* The key of (adapter, sender, room) in buf when it fits, else NULL. */
static size_t key_of(char *buf, size_t cap, const char *adapter, const char *sender,
                     const char *room)
{
    size_t a = strlen(adapter) + 1, s = strlen(sender) + 1, r = strlen(room) + 1;
    if (a + s + r > cap)
        return 0;
    memcpy(buf, adapter, a);
    memcpy(buf + a, sender, s);
    memcpy(buf + a + s, room, r);
    return a + s + r;
}

static void drop(entry *e)
{
    json_decref(e->hit.state);
    free(e->key);
    memset(e, 0, sizeof *e);
}

visits *visits_new(void)
{
    return calloc(1, sizeof(visits));
}

void visits_clear(visits *v)
{
    for (size_t i = 0; v && i < VISITS_MAX; i++)
        if (v->e[i].used)
            drop(&v->e[i]);
}

void visits_free(visits *v)
{
    visits_clear(v);
    free(v);
}

/* Empties the memory when the store changed behind it. */
static void sync(visits *v, store *s)
{
    uint64_t g = store_generation(s);
    if (g != v->seen) {
        visits_clear(v);
        v->seen = g;
    }
}

int visits_take(visits *v, store *s, const char *adapter, const char *sender, const char *room,
                visit_hit *hit)
{
    memset(hit, 0, sizeof *hit);
    if (!v)
        return 0;
    sync(v, s);
    char key[512];
    size_t n = key_of(key, sizeof key, adapter, sender, room);
    if (!n)
        return 0;
    uint64_t h = text_hash(key, n, TEXT_HASH_SEED);
    for (size_t i = 0; i < VISITS_MAX; i++) {
        entry *e = &v->e[i];
        if (e->used && e->hash == h && e->keylen == n && memcmp(e->key, key, n) == 0) {
            *hit = e->hit;
            e->hit.state = NULL; /* given away */
            drop(e);
            return 1;
        }
    }
    return 0;
}

uint64_t visits_mark(visits *v, store *s)
{
    (void)v;
    return store_generation(s);
}

void visits_put(visits *v, store *s, uint64_t mark, const char *adapter, const char *sender,
                const char *room, const visit_hit *hit)
{
    if (!v) {
        json_decref(hit->state);
        return;
    }
    uint64_t g = store_generation(s);
    char key[512];
    size_t n = key_of(key, sizeof key, adapter, sender, room);
    /* trusted only when the one change since mark is the router's own save, and nothing
     * changed before mark that the memory has not seen */
    if (mark != v->seen || g != mark + 1 || !n || !hit->state) {
        json_decref(hit->state);
        visits_clear(v);
        v->seen = g;
        return;
    }
    v->seen = g;
    entry *slot = &v->e[0];
    for (size_t i = 0; i < VISITS_MAX; i++) {
        if (!v->e[i].used) {
            slot = &v->e[i];
            break;
        }
        if (v->e[i].used < slot->used)
            slot = &v->e[i];
    }
    if (slot->used)
        drop(slot);
    char *copy = malloc(n);
    if (!copy) {
        json_decref(hit->state);
        return;
    }
    memcpy(copy, key, n);
    *slot = (entry){.hash = text_hash(key, n, TEXT_HASH_SEED), .used = ++v->tick, .key = copy,
                    .keylen = n, .hit = *hit};
}
