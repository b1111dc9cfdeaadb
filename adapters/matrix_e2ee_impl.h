/* matrix_e2ee_impl.h — the private state of matrix_e2ee, shared by its four files:
 * matrix_e2ee.c (the state, this device's keys, device lists), matrix_e2ee_store.c (how the
 * state is stored and loaded),
 * matrix_e2ee_in.c (to-device messages and room events coming in) and matrix_e2ee_out.c
 * (sharing room keys and encrypting replies). Not a public header. */
#ifndef SB_MATRIX_E2EE_IMPL_H
#define SB_MATRIX_E2EE_IMPL_H

#include "matrix_crypto.h"
#include "matrix_e2ee.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define E2EE_OLM_PER_DEVICE 4       /* Olm sessions kept per device (most recently used) */
#define E2EE_INBOUND_PER_DEVICE 5   /* room keys kept per sending device and room (newest) */
#define E2EE_ROTATION_MS 604800000  /* the spec's default Megolm rotation: a week ... */
#define E2EE_ROTATION_MSGS 100      /* ... or 100 messages */
#define E2EE_MAP_BUCKETS 256

/* A string-keyed hash map of owned values; the key is copied. */
typedef struct e2ee_entry {
    char *key;
    void *value;
    struct e2ee_entry *next;
} e2ee_entry;

typedef struct e2ee_map {
    e2ee_entry *bucket[E2EE_MAP_BUCKETS];
    size_t count;
    void (*free_value)(void *value);
} e2ee_map;

void *e2ee_map_get(const e2ee_map *m, const char *key);
/* Puts value under key, freeing a value it replaces. SB_OK or SB_ENOMEM (value not taken). */
int e2ee_map_put(e2ee_map *m, const char *key, void *value);
void e2ee_map_del(e2ee_map *m, const char *key);
void e2ee_map_clear(e2ee_map *m);
/* Calls fn for every entry; fn must not change the map. */
void e2ee_map_each(const e2ee_map *m, void (*fn)(void *ctx, const char *key, void *value),
                   void *ctx);

/* Olm sessions with one device (keyed by its curve25519 key), most recently used first. */
typedef struct olm_sessions {
    matrix_olm *items[E2EE_OLM_PER_DEVICE];
    uint64_t used[E2EE_OLM_PER_DEVICE];
    size_t n;
} olm_sessions;

typedef struct device {
    char *id, *curve, *ed;
    int no_key;      /* memory only: /keys/claim had no key for it (skipped until re-queried) */
} device;

/* A user's devices as /keys/query gave them (trusted on first use). */
typedef struct user_devices {
    device *items;
    size_t n;
    int outdated;    /* device_lists said they changed: query before the next share */
} user_devices;

/* Someone's Megolm session (keyed by "<room>|<session id>"). */
typedef struct inbound {
    matrix_megolm_in *s;
    char *room, *sender, *sender_key, *ed;
    int64_t last;    /* highest message index read, -1 before the first */
    uint64_t added;  /* when it came (the machine's clock): the oldest go first */
} inbound;

/* Our Megolm session for a room (keyed by the room id). */
typedef struct outbound {
    matrix_megolm_out *s;
    int64_t created_ms;
    long count;      /* messages encrypted with it */
    int64_t period_ms; /* the room's rotation settings when it was made (stored: after a */
    long messages;     /* restart they hold until the room's m.room.encryption is seen again) */
    json_t *shared;  /* "user|device" -> true: devices that have its key */
} outbound;

/* What we know of a room (memory only). */
typedef struct room_info {
    char **members;
    size_t n;
    int known;       /* members fetched since the last membership change */
    int rotation_known; /* its m.room.encryption settings were seen this run */
    int64_t period_ms;
    long messages;
} room_info;

/* A to-device message to send with its own txn id (keyed by the txn id). */
typedef struct pending {
    char *type;
    json_t *messages;
    uint64_t order;
    int handed;      /* memory only: given out by matrix_e2ee_take_pending */
} pending;

struct matrix_e2ee {
    char *user, *device;
    char *pickle_key;
    size_t key_len;
    matrix_account *account;
    char *account_device;   /* the device the stored account was made for */
    int uploaded;           /* device keys are on the server */
    long counter;           /* txn ids of to-device messages and request ids */
    long server_keys;       /* one-time keys on the server, -1 unknown */
    int fallback_unused;    /* the server holds an unused fallback key: 1, 0, -1 unknown */
    e2ee_map olm;           /* curve25519 -> olm_sessions */
    e2ee_map users;         /* user id -> user_devices */
    e2ee_map inbound;       /* "room|session" -> inbound */
    e2ee_map outbound;      /* room -> outbound */
    e2ee_map rooms;         /* room -> room_info */
    e2ee_map pending;       /* txn -> pending */
    json_t *dirty;          /* state keys changed since matrix_e2ee_changes */
    json_t *requested;      /* session ids whose keys we asked for (this run) */
    json_t *querying;       /* users in the /keys/query in flight */
    json_t *claiming;       /* "user|device" in the /keys/claim in flight */
    uint64_t clock;         /* orders Olm session use and pending messages */
};

/* Marks a state key as changed ("account", "olm|<curve>", "dev|<user>", "in|<room>|<id>",
 * "out|<room>", "td|<txn>"). */
void e2ee_dirty(matrix_e2ee *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The next value of the persisted counter (marks the account changed). */
long e2ee_next_counter(matrix_e2ee *e);

/* The user's devices, created (empty, outdated) when absent; NULL on ENOMEM. */
user_devices *e2ee_user(matrix_e2ee *e, const char *user);
/* The device of any known user whose curve25519 key is curve, and its user; NULL if none. */
const device *e2ee_device_by_curve(const matrix_e2ee *e, const char *curve, const char **user);
/* The room's info, created when absent; NULL on ENOMEM. */
room_info *e2ee_room(matrix_e2ee *e, const char *room);
/* Adds an Olm session for the device with curve key curve (taken; freed on failure), most
 * recently used first, dropping the least recently used beyond E2EE_OLM_PER_DEVICE. */
int e2ee_olm_add(matrix_e2ee *e, const char *curve, matrix_olm *s);
/* Queues a to-device message (messages taken) under a new txn id. SB_OK or SB_ENOMEM. */
int e2ee_pending_add(matrix_e2ee *e, const char *type, json_t *messages, char **txn);
/* Stores (or replaces) an inbound session; s taken (freed on failure). */
int e2ee_inbound_add(matrix_e2ee *e, const char *room, const char *sender, const char *sender_key,
                     const char *ed, matrix_megolm_in *s, int64_t last);
/* Drops the oldest room keys of the device with sender_key in room beyond
 * E2EE_INBOUND_PER_DEVICE: clients move on to a new session every week or 100 messages, and
 * only the newest read what comes next. */
void e2ee_inbound_prune(matrix_e2ee *e, const char *room, const char *sender_key);

void e2ee_free_olm(void *v);
void e2ee_free_user(void *v);
void e2ee_free_inbound(void *v);
void e2ee_free_outbound(void *v);
void e2ee_free_pending(void *v);

#endif
