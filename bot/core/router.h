/* router.h — event -> person -> safety -> engine step -> effects, one transaction per batch
 * (design.md invariants 4–6). The router is the only place where the engine's decisions
 * meet the store; it runs on the core thread. */
#ifndef SB_ROUTER_H
#define SB_ROUTER_H

#include "adapter.h"
#include "dialog.h"
#include "store.h"

typedef struct router router;

/* Hands one committed outbox row to its adapter. */
typedef void (*router_send_fn)(void *ctx, int64_t id, const char *adapter, const char *room,
                               const char *text);

/* Tells an adapter, after the commit, that a batch from it forgot the person with this
 * platform id. */
typedef void (*router_forgot_fn)(void *ctx, const char *adapter, const char *person);

/* Borrowed store and dialogs. NULL on ENOMEM. */
router *router_new(store *s, const sb_dialogs *d);
void router_free(router *r);
/* Uses d (borrowed) from the next batch or nudge pass on. Cannot fail. */
void router_set_dialogs(router *r, const sb_dialogs *d);

/* Applies a batch from adapter: for each event the engine step and its effects, one outbox
 * row per answered message, the batch's resume position and state changes, all in one
 * transaction. After the commit calls send for each new row, and the function set with
 * router_on_forget for each person forgotten. On failure nothing is committed and nothing is
 * sent; the code names the fault (SB_EFULL, SB_EREADONLY, SB_ECORRUPT, SB_EIO, SB_EDB,
 * SB_ENOMEM ...) and the caller may simply try the same batch again. */
int router_batch(router *r, const char *adapter, const sb_batch *b, int64_t now,
                 router_send_fn send, void *ctx);
/* Who hears about forgotten people (default: nobody); ctx is passed through. */
void router_on_forget(router *r, router_forgot_fn fn, void *ctx);
/* For a batch that could not be applied: hands the crisis message to send, with a negative
 * id and without touching the store, for each message of b that is a crisis (invariant 5:
 * sent even if everything else fails), followed by the abuse message for abuse at home.
 * Returns how many messages of b were answered. */
int router_crisis_fallback(router *r, const char *adapter, const sb_batch *b, int64_t now,
                           router_send_fn send, void *ctx);
/* Sends the nudges due at now (each in its own transaction with the schedule move). */
int router_nudges(router *r, int64_t now, router_send_fn send, void *ctx);
/* An adapter has sent outbox row id (ids <= 0 have no row). The mark is kept and written
 * with the next batch's transaction, or by router_flush, rather than in a commit of its
 * own; with it, now and then, rows sent more than a day ago are pruned. Until then a crash
 * leaves the row unsent, and it is sent again with the same id after a restart (the
 * platform drops the repeat: design.md invariant 4). Returns SB_OK, SB_ENOMEM, or the
 * store's failure when too many marks waited and writing them failed. */
int router_sent(router *r, int64_t id, int64_t now);
/* 1 when marks wait for router_flush. */
int router_sent_pending(const router *r);
/* Writes the waiting marks (and prunes when due) in a transaction of their own. SB_OK, or
 * the store's failure (the marks then wait for the next try). */
int router_flush(router *r, int64_t now);
/* The earliest due nudge (UTC seconds), 0 when none. */
int router_next_nudge(router *r, int64_t *due);

#endif
