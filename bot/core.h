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
/* Adds an adapter (borrowed; at most 8). Returns SB_EINVAL when full. */
int core_add_adapter(sb_core *core, sb_adapter *a);
/* Starts the adapters, re-sends every unsent outbox row, then serves until
 * core_request_stop, an adapter's EOF, or a fatal adapter error. Stops and joins the
 * adapters before returning. Returns 0 on a clean stop, 1 after a fatal error. */
int core_run(sb_core *core);
/* Asks core_run to finish after the item in hand (thread-safe, not async-signal-safe:
 * call it from a thread that waited for the signal). */
void core_request_stop(sb_core *core);
void core_free(sb_core *core);

#endif
