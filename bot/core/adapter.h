/* adapter.h — the one seam between the core and a chat platform (design.md invariants 3, 4, 8).
 * An adapter owns its network loop on its own thread. It hands the core batches of
 * inbound events (with the resume position to commit alongside) and sends the outbound
 * messages the core gives it, reporting each result back. It never touches the store or
 * the engine. All sb_core_* functions below are thread-safe and never block for long. */
#ifndef SB_ADAPTER_H
#define SB_ADAPTER_H

#include "log.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sb_core sb_core;
typedef struct sb_adapter sb_adapter;

typedef enum sb_inbound_kind {
    SB_IN_MESSAGE,   /* a person wrote text */
    SB_IN_ROOM,      /* the bot is in room; direct tells whether it is one-to-one */
    SB_IN_LEFT,      /* the bot left or was removed from room */
    SB_IN_ENCRYPTED, /* an encrypted message arrived in room and the adapter does not do
                        encryption (it cannot read any) */
    SB_IN_UNREADABLE /* an encrypted message arrived that the adapter could not decrypt (its
                        keys never came): the person is asked, once, to send it again */
} sb_inbound_kind;

typedef struct sb_inbound {
    sb_inbound_kind kind;
    char *room;      /* platform room / channel / query partner; owned */
    char *sender;    /* platform person id (Matrix user id, IRC account or nick); owned, may be NULL for SB_IN_ROOM/LEFT */
    char *text;      /* UTF-8 message body, owned; NULL unless SB_IN_MESSAGE */
    char *event_id;  /* platform event id (for read receipts), owned, may be NULL */
    int direct;      /* 1: a one-to-one conversation with the bot */
    int addressed;   /* 1: in a group room, the message mentioned or addressed the bot */
} sb_inbound;

/* A change to what the adapter keeps in the store besides its resume position (Matrix: its
 * encryption keys and sessions, pickled), committed in the batch's transaction. */
typedef struct sb_state_change {
    char *key;   /* owned */
    char *value; /* owned; NULL deletes key */
    char *owner; /* owned, may be NULL: the platform id of the person the value belongs to,
                    whose forget deletes it */
} sb_state_change;

typedef struct sb_batch {
    sb_inbound *events; /* owned array */
    size_t count;
    char *resume_key;   /* adapter resume position committed with the batch (e.g. "next_batch"); owned, may be NULL */
    char *resume_value; /* owned, may be NULL */
    sb_state_change *changes; /* owned array, applied in order after the events */
    size_t change_count;
    uint64_t seq;       /* chosen by the adapter, echoed back in committed() */
} sb_batch;

/* A reply to send. The adapter copies what it keeps. */
typedef struct sb_outbound {
    int64_t id;        /* outbox row id: the idempotency key (Matrix txnId derives from it) */
    const char *room;
    const char *text;  /* Markdown */
} sb_outbound;

struct sb_adapter {
    const char *name; /* "console", "matrix", "irc": also the store's adapter key */
    void *impl;
    /* Starts the adapter's thread. Returns SB_OK or an SB_E* code (the core then stops). */
    int (*start)(sb_adapter *a, sb_core *core);
    /* Queues a message for sending (called on the core thread; must not block). The
     * adapter retries as its platform requires and reports with sb_core_sent(). */
    void (*send)(sb_adapter *a, const sb_outbound *msg);
    /* The batch with this seq is durable: the adapter may ask its platform for more.
     * seq 0 (never a batch's) means the core has finished starting: every reply pending
     * from before was handed to send(). */
    void (*committed)(sb_adapter *a, uint64_t seq);
    /* Optional (NULL when unused): a committed batch forgot the person with this platform
     * id; the adapter drops what it holds of theirs in memory as the store did (their
     * state changes, sb_state_change.owner). Called on the core thread; must not block. */
    void (*forgot)(sb_adapter *a, const char *person);
    /* Asks the thread to finish and joins it. Safe to call when never started. */
    void (*stop)(sb_adapter *a);
    /* Frees everything; after stop. */
    void (*destroy)(sb_adapter *a);
};

/* Hands a batch to the core; the core takes ownership of batch and everything in it
 * (the adapter must not touch it again). */
void sb_core_post_batch(sb_core *core, sb_adapter *a, sb_batch *batch);
/* Reports that outbox row id was delivered (ok=1) or given up for good (ok=0, e.g. the
 * room no longer exists). Transient failures are retried by the adapter, never reported. */
void sb_core_sent(sb_core *core, sb_adapter *a, int64_t id, int ok);
/* The adapter cannot go on (e.g. bad credentials): the core logs reason and shuts down. */
void sb_core_fatal(sb_core *core, sb_adapter *a, const char *reason);
/* The adapter reached the end of its input (console EOF): the core flushes and stops. */
void sb_core_eof(sb_core *core, sb_adapter *a);

/* A copy of the resume value the core has committed for this adapter under key
 * (e.g. Matrix "next_batch", "device_id"), or NULL. Caller frees. Served from memory:
 * the adapter thread never touches the store. */
char *sb_core_resume_get(sb_core *core, sb_adapter *a, const char *key);

/* For start() only (it runs on the core thread): calls fn for every state value this
 * adapter's batches left in the store (sb_state_change), in key order; owner "" for nobody.
 * Returns SB_OK, fn's non-zero result (which stops the walk), or a store error. */
typedef int (*sb_state_fn)(void *ctx, const char *key, const char *value, const char *owner);
int sb_core_state_each(sb_core *core, sb_adapter *a, sb_state_fn fn, void *ctx);

/* Frees what each of count events owns, then the array itself. */
void sb_inbound_free_all(sb_inbound *events, size_t count);

/* Frees a batch and all it owns (for adapters that give up on one). */
void sb_batch_free(sb_batch *b);

#endif
