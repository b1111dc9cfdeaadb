/* core.c — the core thread: a queue of what adapters report (batches, send results,
 * EOF, fatal errors), drained in order; each batch goes through the router in one
 * transaction, then the adapter hears "committed" and gets the replies to send.
 * Between items the core sleeps until the next due nudge. It leaves the meaning of a
 * message to router.c and the platforms' rules to the adapters; what adapters post from
 * their threads is queued by core_post.c. */
#include "core.h"
#include "core_impl.h"
#include "metrics.h"
#include "resume.h"
#include "router.h"
#include "sb.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A batch the store refuses is tried again after 0.1 s, doubling up to 5 s: quick to
 * recover from a passing fault, cheap while a full disk waits for an operator. */
#define BATCH_BACKOFF_MIN_MS 100L
#define BATCH_BACKOFF_MAX_MS 5000L
#define NUDGE_BACKOFF_MIN_S 1  /* a failed nudge pass is tried again after this, doubling */
#define NUDGE_BACKOFF_MAX_S 60 /* up to this, so a store that keeps failing is no spin */
/* Replies reported sent are marked with the next batch, or after this long without one. */
#define SENT_FLUSH_MS 100L

/* Between batches: the next batch and nudge pass use the new set. A person whose waiting
 * state it lacks is repaired by the engine at their next message (told, and answered). */
static void swap_dialogs(sb_core *c, item *it)
{
    router_set_dialogs(c->router, it->dialogs);
    c->dialogs = it->dialogs;
    dialogs_free(c->reloaded);
    c->reloaded = it->dialogs;
    it->dialogs = NULL;
    metrics_dialogs((long)dialogs_count(c->dialogs));
    sb_log("info", "core", "dialogs reloaded: %zu dialogs now serving", dialogs_count(c->dialogs));
}

/* Records a committed resume position in the in-memory copy adapters read. Without memory
 * an adapter reads the older position: it asks its platform again from there, which is
 * safe (invariant 4). */
static void resume_remember(sb_core *c, const char *adapter, const char *key, const char *value)
{
    if (resume_set(c->resume, adapter, key, value) != SB_OK)
        sb_log("warn", "core", "out of memory keeping the resume position %s of %s", key,
               adapter);
}

static sb_adapter *adapter_named(sb_core *c, const char *name);

/* router_on_forget callback: the adapter drops what it holds of a forgotten person. */
static void tell_forgot(void *ctx, const char *adapter, const char *person)
{
    sb_adapter *a = adapter_named(ctx, adapter);
    if (a && a->forgot)
        a->forgot(a, person);
}

sb_core *core_new(store *s, const sb_dialogs *d, sb_clock *clock)
{
    sb_core *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->store = s;
    c->dialogs = d;
    c->clock = clock;
    c->router = router_new(s, d);
    c->resume = resume_new();
    if (!c->router || !c->resume) {
        core_free(c);
        return NULL;
    }
    router_on_forget(c->router, tell_forgot, c);
    return c;
}

void core_set_hooks(sb_core *core, const core_hooks *hooks)
{
    core->hooks = *hooks;
}

static struct timespec after_ms(struct timespec t, long ms)
{
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static int earlier(struct timespec a, struct timespec b)
{
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

/* Calls the tick hook when it is due, whatever woke the core: a busy core is alive too. */
static void tick_if_due(sb_core *c)
{
    if (!c->hooks.tick || c->hooks.tick_ms <= 0)
        return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (earlier(now, c->next_tick))
        return;
    c->hooks.tick(c->hooks.ctx);
    c->next_tick = after_ms(now, c->hooks.tick_ms);
}

static clock_dues dues_of(sb_core *c);

/* When the core must wake with no item: when the clock says (clock_next_wake: the next
 * due nudge on the real clock, the file clock's next look) or at the next tick, whichever
 * comes first. Returns 0 when nothing but an item should wake it. */
static int next_wake(sb_core *c, struct timespec *ts)
{
    clock_dues dues = dues_of(c);
    int have = clock_next_wake(c->clock, &dues, ts);
    if (c->hooks.tick && c->hooks.tick_ms > 0 && (!have || earlier(c->next_tick, *ts))) {
        *ts = c->next_tick;
        have = 1;
    }
    return have;
}

int core_add_adapter(sb_core *core, sb_adapter *a)
{
    if (core->nadapters == MAX_ADAPTERS)
        return SB_EINVAL;
    core->adapters[core->nadapters++] = a;
    return SB_OK;
}

void core_request_stop(sb_core *core)
{
    pthread_mutex_lock(&core->mu);
    core->stop = 1;
    pthread_cond_signal(&core->cv);
    pthread_mutex_unlock(&core->mu);
}

static sb_adapter *adapter_named(sb_core *c, const char *name)
{
    for (size_t i = 0; i < c->nadapters; i++)
        if (strcmp(c->adapters[i]->name, name) == 0)
            return c->adapters[i];
    return NULL;
}

/* router_send callback: hands one committed outbox row to its adapter. */
static void send_row(void *ctx, int64_t id, const char *adapter, const char *room, const char *text)
{
    sb_core *c = ctx;
    sb_adapter *a = adapter_named(c, adapter);
    if (!a)
        return; /* that adapter is not running now; the row waits in the outbox */
    sb_outbound msg = {.id = id, .room = room, .text = text};
    sb_log("debug", "core", "reply queued outbox=%lld adapter=%s", (long long)id, adapter);
    if (id > 0) /* a crisis fallback (id < 0) is never reported back */
        metrics_add(METRIC_REPLIES_PENDING, adapter, 1);
    a->send(a, &msg);
}

typedef struct pending_ctx {
    sb_core *core;
    sb_adapter *adapter;
} pending_ctx;

static int send_pending_row(void *ctx, int64_t id, const char *room, const char *text)
{
    pending_ctx *p = ctx;
    sb_outbound msg = {.id = id, .room = room, .text = text};
    sb_log("info", "core", "reply resent outbox=%lld adapter=%s (committed before the restart)",
           (long long)id, p->adapter->name);
    metrics_add(METRIC_REPLIES_PENDING, p->adapter->name, 1);
    p->adapter->send(p->adapter, &msg);
    return 0;
}

static void run_due_nudges(sb_core *c);

/* clock_dues: the next nudge due, as the store's index has it. */
static int next_nudge_due(void *ctx, int64_t *due)
{
    sb_core *c = ctx;
    return router_next_nudge(c->router, due);
}

static void run_nudges_now(void *ctx)
{
    run_due_nudges(ctx);
}

/* The nudges as the clock sees them while the core waits or the clock moves. */
static clock_dues dues_of(sb_core *c)
{
    return (clock_dues){.next = next_nudge_due, .run = run_nudges_now, .ctx = c,
                        .not_before = c->nudge_retry_at};
}

/* Waits ms milliseconds or until a stop is requested. Returns 1 when asked to stop. */
static int pause_unless_stopped(sb_core *c, long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->mu);
    while (!c->stop && pthread_cond_timedwait(&c->cv, &c->mu, &until) != ETIMEDOUT)
        ;
    int stop = c->stop;
    pthread_mutex_unlock(&c->mu);
    return stop;
}

/* A batch whose transaction failed (rc): a full disk, a read-only or corrupt file, a busy
 * lock. The adapter has not heard "committed", so it asks its platform for nothing more
 * (Matrix re-delivers from the last committed since after a restart); the core keeps
 * trying with a capped backoff until the store takes it, so room made on the disk brings
 * the coach back by itself. A person in crisis hears where to find help at once, sent
 * through the adapter without the outbox (invariant 5). The fault is named in the log
 * when it starts, when it changes, and now and then while it lasts. Returns 1 once
 * committed, 0 when a stop was requested first. */
static int commit_until_done(sb_core *c, sb_adapter *a, sb_batch *b, int64_t now, int rc)
{
    router_crisis_fallback(c->router, a->name, b, now, send_row, c);
    long wait_ms = BATCH_BACKOFF_MIN_MS;
    int last = 0;
    for (long attempt = 1; rc != SB_OK; attempt++) {
        if (rc != last || attempt % 20 == 0)
            sb_log(last ? "warn" : "error", "core",
                   "batch from %s not committed: %s (%s); not acknowledged, trying again "
                   "every %ld ms at most", a->name, sb_strerror(rc), store_errmsg(c->store),
                   (long)BATCH_BACKOFF_MAX_MS);
        last = rc;
        if (pause_unless_stopped(c, wait_ms)) {
            sb_log("warn", "core", "stopping with the batch from %s not committed: %s",
                   a->name, sb_strerror(rc));
            return 0;
        }
        tick_if_due(c); /* waiting out a full disk is alive, not wedged: keep the watchdog fed */
        wait_ms = wait_ms * 2 > BATCH_BACKOFF_MAX_MS ? BATCH_BACKOFF_MAX_MS : wait_ms * 2;
        rc = router_batch(c->router, a->name, b, now, send_row, c);
        if (rc == SB_OK)
            sb_log("info", "core", "batch from %s committed after %ld retries: the store "
                   "works again", a->name, attempt);
    }
    return 1;
}

static void handle_batch(sb_core *c, sb_adapter *a, sb_batch *b)
{
    /* A fake clock asked to move (the console's clock line) or fed by a file gets there
     * before the batch, delivering the nudges due on the way. */
    clock_dues dues = dues_of(c);
    clock_catch_up(c->clock, &dues);
    int64_t now = clock_now(c->clock);
    long messages = 0;
    for (size_t i = 0; i < b->count; i++)
        messages += b->events[i].kind == SB_IN_MESSAGE;
    metrics_add(METRIC_MESSAGES_RECEIVED, a->name, messages);
    struct timespec began, ended;
    clock_gettime(CLOCK_MONOTONIC, &began);
    int rc = router_batch(c->router, a->name, b, now, send_row, c);
    if (rc != SB_OK && !commit_until_done(c, a, b, now, rc))
        return; /* asked to stop: nothing committed, the platform delivers it again */
    clock_gettime(CLOCK_MONOTONIC, &ended);
    metrics_batch_committed(a->name, (int64_t)time(NULL),
                            (double)(ended.tv_sec - began.tv_sec) +
                                (double)(ended.tv_nsec - began.tv_nsec) / 1e9);
    if (b->resume_key && b->resume_value)
        resume_remember(c, a->name, b->resume_key, b->resume_value);
    /* Nudges due by now go out before the adapter hears "committed", so a console reader
     * sees them before it reads its next line. */
    run_due_nudges(c);
    a->committed(a, b->seq);
}

/* A pass over the due nudges; after a failure the next pass waits, doubling the wait, so
 * a due nudge the store cannot take does not wake the loop at once again and again. */
static void run_due_nudges(sb_core *c)
{
    int64_t now = clock_now(c->clock);
    if (now < c->nudge_retry_at)
        return;
    int rc = router_nudges(c->router, now, send_row, c);
    if (rc == SB_OK) {
        c->nudge_retry_at = c->nudge_backoff_s = 0;
        return;
    }
    c->nudge_backoff_s = c->nudge_backoff_s ? c->nudge_backoff_s * 2 : NUDGE_BACKOFF_MIN_S;
    if (c->nudge_backoff_s > NUDGE_BACKOFF_MAX_S)
        c->nudge_backoff_s = NUDGE_BACKOFF_MAX_S;
    c->nudge_retry_at = now + c->nudge_backoff_s;
    sb_log("warn", "core", "nudge pass failed: %s (%s); tried again in %lld s", sb_strerror(rc),
           store_errmsg(c->store), (long long)c->nudge_backoff_s);
}

static void flush_sent(sb_core *c)
{
    int rc = router_flush(c->router, clock_now(c->clock));
    if (rc != SB_OK)
        sb_log("warn", "core", "could not mark sent replies: %s", sb_strerror(rc));
}

typedef struct resume_load {
    sb_core *c;
    const char *adapter;
} resume_load;

static int resume_row(void *ctx, const char *key, const char *value, const char *owner)
{
    (void)owner;
    resume_load *l = ctx;
    resume_remember(l->c, l->adapter, key, value);
    return 0;
}

/* Every resume position each adapter committed, whatever its keys: the adapter names them. */
static int load_resume(sb_core *c)
{
    for (size_t i = 0; i < c->nadapters; i++) {
        resume_load l = {c, c->adapters[i]->name};
        int rc = store_resume_each(c->store, c->adapters[i]->name, resume_row, &l);
        if (rc != SB_OK)
            return rc;
    }
    return SB_OK;
}

int core_run(sb_core *c)
{
    if (load_resume(c) != SB_OK) {
        sb_log("error", "core", "cannot read the adapters' resume positions: %s",
               store_errmsg(c->store));
        return 1;
    }
    size_t started = 0;
    for (; started < c->nadapters; started++) {
        sb_adapter *a = c->adapters[started];
        int rc = a->start(a, c);
        if (rc != SB_OK) {
            sb_log("error", "core", "adapter %s did not start: %s", a->name, sb_strerror(rc));
            c->fatal = 1;
            break;
        }
    }
    /* Replies committed before a crash or restart go out again with their own ids, all of
     * them before committed(0) says so (adapter.h): an adapter may hold back what must
     * follow them (Matrix: the read receipts the last run owed). A store that cannot list
     * them stops the coach rather than leave them unsent for a whole run. */
    for (size_t i = 0; i < c->nadapters && !c->fatal; i++) {
        pending_ctx p = {c, c->adapters[i]};
        int rc = store_outbox_pending(c->store, c->adapters[i]->name, send_pending_row, &p);
        if (rc != SB_OK) {
            sb_log("error", "core", "cannot read the replies waiting in the outbox for %s: "
                   "%s (%s)", c->adapters[i]->name, sb_strerror(rc), store_errmsg(c->store));
            c->fatal = 1;
            core_request_stop(c);
        }
    }
    if (!c->fatal) {
        run_due_nudges(c);
        for (size_t i = 0; i < c->nadapters; i++)
            c->adapters[i]->committed(c->adapters[i], 0);
        if (c->hooks.ready)
            c->hooks.ready(c->hooks.ctx);
        tick_if_due(c);
    }
    for (;;) {
        pthread_mutex_lock(&c->mu);
        if (!c->head && !c->stop && router_sent_pending(c->router)) {
            /* Sent marks ride with the next batch; after a quiet spell they get their own
             * transaction, one for all of them rather than one each. */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += SENT_FLUSH_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&c->cv, &c->mu, &ts);
            if (!c->head) {
                pthread_mutex_unlock(&c->mu);
                flush_sent(c);
                continue;
            }
        }
        while (!c->head && !c->stop) {
            struct timespec ts;
            if (!next_wake(c, &ts))
                pthread_cond_wait(&c->cv, &c->mu);
            else if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) == ETIMEDOUT)
                break; /* look at the clocks outside the lock: nudges call adapters */
        }
        if (c->stop && !c->head) {
            pthread_mutex_unlock(&c->mu);
            break;
        }
        item *it = c->head;
        if (it) {
            c->head = it->next;
            if (!c->head)
                c->tail = NULL;
        }
        pthread_mutex_unlock(&c->mu);
        tick_if_due(c);
        if (!it) {
            clock_dues dues = dues_of(c);
            clock_woke(c->clock, &dues);
            continue;
        }
        switch (it->kind) {
        case ITEM_BATCH:
            handle_batch(c, it->adapter, it->batch);
            break;
        case ITEM_SENT:
            if (router_sent(c->router, it->id, clock_now(c->clock)) != SB_OK)
                sb_log("warn", "core", "could not mark reply %lld sent", (long long)it->id);
            metrics_add(METRIC_REPLIES_PENDING, it->adapter->name, -1);
            metrics_add(it->ok ? METRIC_REPLIES_SENT : METRIC_REPLIES_GIVEN_UP, it->adapter->name, 1);
            if (!it->ok)
                sb_log("warn", "core", "reply given up outbox=%lld adapter=%s", (long long)it->id,
                       it->adapter->name);
            else
                sb_log("debug", "core", "reply sent outbox=%lld adapter=%s", (long long)it->id,
                       it->adapter->name);
            break;
        case ITEM_EOF:
            core_request_stop(c);
            break;
        case ITEM_FATAL:
            sb_log("error", it->adapter->name, "%s", it->reason ? it->reason : "fatal error");
            c->fatal = 1;
            core_request_stop(c);
            break;
        case ITEM_DIALOGS:
            swap_dialogs(c, it);
            break;
        }
        core_item_free(it);
    }
    for (size_t i = 0; i < started; i++)
        c->adapters[i]->stop(c->adapters[i]);
    /* Send results that arrived while stopping still count. */
    pthread_mutex_lock(&c->mu);
    item *rest = c->head;
    c->head = c->tail = NULL;
    pthread_mutex_unlock(&c->mu);
    while (rest) {
        item *next = rest->next;
        if (rest->kind == ITEM_SENT)
            router_sent(c->router, rest->id, clock_now(c->clock));
        core_item_free(rest);
        rest = next;
    }
    flush_sent(c);
    return c->fatal ? 1 : 0;
}

void core_free(sb_core *c)
{
    if (!c)
        return;
    while (c->head) {
        item *next = c->head->next;
        core_item_free(c->head);
        c->head = next;
    }
    resume_free(c->resume);
    router_free(c->router);
    dialogs_free(c->reloaded);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}
