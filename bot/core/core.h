/* core.h — the core loop: one thread owns the store, the engine and the scheduler
 * (design.md invariant 3). Adapters post to it through the thread-safe sb_core_* calls
 * of adapter.h; it answers through each adapter's send(). */
#ifndef SB_CORE_H
#define SB_CORE_H

#include "adapter.h"
#include "clock.h"
#include "dialog.h"
#include "store.h"

/* Creates a core over an open store and a loaded dialog set (both borrowed; they must
 * outlive the core). clock is borrowed too. Returns NULL on ENOMEM. */
sb_core *core_new(store *s, const sb_dialogs *d, sb_clock *clock);
/* What the core calls on its own thread, for a service manager or a monitor to see it
 * alive: ready once it serves (adapters started, pending replies handed out), and tick
 * at least every tick_ms while it runs (0: never), between items. A wedged core stops
 * ticking. Either function may be NULL. */
typedef struct core_hooks {
    void (*ready)(void *ctx);
    void (*tick)(void *ctx);
    long tick_ms;
    void *ctx;
} core_hooks;
/* Sets the hooks (copied) before core_run. Cannot fail. */
void core_set_hooks(sb_core *core, const core_hooks *hooks);
/* Adds an adapter (borrowed; at most 8). Returns SB_EINVAL when full. */
int core_add_adapter(sb_core *core, sb_adapter *a);
/* Starts the adapters, re-sends every unsent outbox row, then serves until
 * core_request_stop, an adapter's EOF, or a fatal adapter error. Stops and joins the
 * adapters before returning. Returns 0 on a clean stop, 1 after a fatal error. */
int core_run(sb_core *core);
/* Asks core_run to finish after the item in hand (thread-safe, not async-signal-safe:
 * call it from a thread that waited for the signal). */
void core_request_stop(sb_core *core);
/* Hands the core a new, validated dialog set (thread-safe; call it from any thread). The
 * core owns d from here: it swaps d in between batches and then frees the set d replaces,
 * unless that is the one core_new was given (the caller's). Returns SB_OK, or SB_ENOMEM
 * when it cannot be queued (d is freed, the old set keeps serving). */
int core_swap_dialogs(sb_core *core, sb_dialogs *d);
void core_free(sb_core *core);

#endif
