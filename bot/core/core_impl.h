/* core_impl.h — inside the core: the queue between the adapters' threads and the core
 * thread, and the core's own fields, shared by core.c (the core thread) and core_post.c
 * (what adapters post). Not an interface: core.h and adapter.h are. */
#ifndef SB_CORE_IMPL_H
#define SB_CORE_IMPL_H

#include "adapter.h"
#include "core.h"
#include "resume.h"
#include "router.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define MAX_ADAPTERS 8

typedef enum { ITEM_BATCH, ITEM_SENT, ITEM_EOF, ITEM_FATAL, ITEM_DIALOGS } item_kind;

typedef struct item {
    item_kind kind;
    sb_adapter *adapter;
    sb_batch *batch;  /* ITEM_BATCH, owned */
    int64_t id;       /* ITEM_SENT */
    int ok;           /* ITEM_SENT */
    char *reason;     /* ITEM_FATAL, owned */
    sb_dialogs *dialogs; /* ITEM_DIALOGS, owned */
    struct item *next;
} item;

struct sb_core {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    item *head, *tail;          /* queue, guarded by mu */
    int stop;                   /* guarded by mu */
    resume_positions *resume;   /* committed resume positions, for the adapters to read */
    sb_adapter *adapters[MAX_ADAPTERS];
    size_t nadapters;
    store *store;
    const sb_dialogs *dialogs;
    sb_dialogs *reloaded;       /* the set swapped in last (owned), NULL before any */
    sb_clock *clock;
    router *router;
    int fatal;
    core_hooks hooks;
    struct timespec next_tick;  /* CLOCK_REALTIME: when hooks.tick is due next */
    int64_t nudge_retry_at;     /* after a failed nudge pass: no pass before (clock seconds) */
    int64_t nudge_backoff_s;    /* the wait after the last failure, 0 after a good pass */
};

/* Frees it and what it owns (a batch, a dialog set, a reason). */
void core_item_free(item *it);

#endif
