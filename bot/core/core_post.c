/* core_post.c — the adapters' side of the core (adapter.h): what they hand it from their
 * own threads (a batch, a send result, EOF, a fatal error, a new dialog set) is queued for
 * the core thread, in order; the resume positions and adapter state they read back. */
#include "core.h"
#include "core_impl.h"
#include "resume.h"
#include "sb.h"

#include <pthread.h>
#include <stdlib.h>

static void push(sb_core *c, item *it)
{
    pthread_mutex_lock(&c->mu);
    if (c->tail)
        c->tail->next = it;
    else
        c->head = it;
    c->tail = it;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

void sb_core_post_batch(sb_core *core, sb_adapter *a, sb_batch *batch)
{
    item *it = calloc(1, sizeof *it);
    if (!it) {
        /* Without memory the batch cannot be queued; its resume position is not
         * committed, so the adapter's platform will deliver it again after a restart. */
        sb_log("error", "core", "out of memory queueing a batch from %s", a->name);
        sb_batch_free(batch);
        return;
    }
    it->kind = ITEM_BATCH;
    it->adapter = a;
    it->batch = batch;
    push(core, it);
}

void sb_core_sent(sb_core *core, sb_adapter *a, int64_t id, int ok)
{
    item *it = calloc(1, sizeof *it);
    if (!it)
        return; /* the row stays unsent and is re-sent (same id) after a restart */
    it->kind = ITEM_SENT;
    it->adapter = a;
    it->id = id;
    it->ok = ok;
    push(core, it);
}

void sb_core_eof(sb_core *core, sb_adapter *a)
{
    item *it = calloc(1, sizeof *it);
    if (!it) {
        core_request_stop(core);
        return;
    }
    it->kind = ITEM_EOF;
    it->adapter = a;
    push(core, it);
}

void sb_core_fatal(sb_core *core, sb_adapter *a, const char *reason)
{
    item *it = calloc(1, sizeof *it);
    if (it) {
        it->kind = ITEM_FATAL;
        it->adapter = a;
        it->reason = sb_strdup(reason);
        push(core, it);
    } else {
        core_request_stop(core);
    }
}

int core_swap_dialogs(sb_core *core, sb_dialogs *d)
{
    item *it = calloc(1, sizeof *it);
    if (!it) {
        dialogs_free(d);
        return SB_ENOMEM;
    }
    it->kind = ITEM_DIALOGS;
    it->dialogs = d;
    push(core, it);
    return SB_OK;
}

char *sb_core_resume_get(sb_core *core, sb_adapter *a, const char *key)
{
    return resume_get(core->resume, a->name, key);
}

int sb_core_state_each(sb_core *core, sb_adapter *a, sb_state_fn fn, void *ctx)
{
    return store_adapter_state_each(core->store, a->name, fn, ctx);
}

void core_item_free(item *it)
{
    sb_batch_free(it->batch);
    dialogs_free(it->dialogs);
    free(it->reason);
    free(it);
}
