/* router.c — turns a batch of platform events into engine steps and outbox rows inside
 * one transaction, together with the adapter's resume position (design.md invariant 4).
 * It decides nothing about coaching (the engine does) or about platforms (adapters do):
 * it finds the person, keeps group rooms impersonal, and applies effects to the store. */
#include "router.h"
#include "actions.h"
#include "engine.h"
#include "input.h"
#include "log.h"
#include "metrics.h"
#include "nudge.h"
#include "person.h"
#include "sb.h"
#include "text.h"
#include "visits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sent_mark {
    int64_t id, at; /* an outbox row an adapter sent, and when it said so */
} sent_mark;

struct router {
    store *store;
    const sb_dialogs *dialogs;
    router_forgot_fn forgot;
    void *forgot_ctx;
    int64_t last_prune; /* when sent outbox rows were last pruned */
    sent_mark *marks;   /* rows reported sent, not yet marked so in the store */
    size_t nmarks, capmarks;
    visits *recent;     /* recently active people, read and parsed once (visits.h) */
};

/* Sent replies stay this long (for operators and tests to look at), then go; the prune
 * runs at most every PRUNE_EVERY seconds. */
#define OUTBOX_KEEP_SECONDS (24 * 3600)
#define PRUNE_EVERY 600
/* Sent marks wait for a transaction at most this many; then they get one of their own. */
#define MARKS_MAX 1024

typedef struct sent_row {
    int64_t id;
    const char *room; /* borrowed from the batch */
    char *text;
} sent_row;

typedef struct row_list {
    sent_row *rows;
    size_t n, cap;
    const char *forgotten[8]; /* senders forgotten in this batch (borrowed from it) */
    size_t nforgotten;
} row_list;

static int rows_add(row_list *l, int64_t id, const char *room, char *text)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        sent_row *p = realloc(l->rows, cap * sizeof *p);
        if (!p)
            return SB_ENOMEM;
        l->rows = p;
        l->cap = cap;
    }
    l->rows[l->n++] = (sent_row){id, room, text};
    return SB_OK;
}

static void rows_free(row_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->rows[i].text);
    free(l->rows);
    l->rows = NULL;
    l->n = l->cap = 0;
}

router *router_new(store *s, const sb_dialogs *d)
{
    router *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->store = s;
    r->dialogs = d;
    r->recent = visits_new(); /* NULL (out of memory) only means no memory of visits */
    return r;
}

void router_free(router *r)
{
    if (r) {
        free(r->marks);
        visits_free(r->recent);
    }
    free(r);
}

void router_set_dialogs(router *r, const sb_dialogs *d)
{
    r->dialogs = d;
}

/* Queues text for room in the outbox and remembers it for sending after the commit. */
static int enqueue(router *r, const char *adapter, const char *room, char *text, int64_t now,
                   int transient, row_list *out)
{
    int64_t id;
    int rc = transient ? store_outbox_add_transient(r->store, adapter, room, text, now, &id)
                       : store_outbox_add(r->store, adapter, room, text, now, &id);
    if (rc != SB_OK) {
        free(text);
        return rc;
    }
    rc = rows_add(out, id, room, text);
    if (rc != SB_OK)
        free(text);
    return rc;
}

/* Logs what a step decided, by identifiers only: a crisis answer always, and at debug
 * where the person now waits ("dialog/state", "exercise/step" or "idle"). */
static void log_step(const char *adapter, int64_t person, const sb_step *step)
{
    for (size_t i = 0; i < step->neffects; i++)
        if (step->effects[i].kind == SB_FX_CRISIS) {
            metrics_add(METRIC_CRISIS_ANSWERS, adapter, 1);
            sb_log("info", "router", "crisis answer person=#%lld adapter=%s", (long long)person,
                   adapter);
        }
    if (!log_enabled("debug"))
        return;
    const json_t *top = person_top(step->state);
    const char *dialog = json_string_value(json_object_get(top, "dialog"));
    const char *exercise = json_string_value(json_object_get(top, "exercise"));
    const char *name = json_string_value(json_object_get(top, "state"));
    if (dialog)
        sb_log("debug", "router", "message person=#%lld adapter=%s state=%s/%s",
               (long long)person, adapter, dialog, name ? name : "?");
    else if (exercise)
        sb_log("debug", "router", "message person=#%lld adapter=%s state=%s/%lld",
               (long long)person, adapter, exercise,
               (long long)json_integer_value(json_object_get(top, "step")));
    else
        sb_log("debug", "router", "message person=#%lld adapter=%s state=idle", (long long)person,
               adapter);
}

/* One message, its text already cleaned (input.h); note, when not NULL, is said after
 * the answer (a long text was cut). */
static int on_text(router *r, const char *adapter, const sb_inbound *ev, const char *text,
                   const char *note, int64_t now, row_list *out)
{
    /* In a group room only "!" commands and lines addressed to the bot are ours. */
    if (!ev->direct && !ev->addressed && ev->text[0] != '!')
        return SB_OK;
    /* Someone who wrote lately is remembered (visits.h): no statement, no parse. Else one
     * statement reads what the message needs (id, state, whose direct room this is, the
     * nudge setting); a new person is then created. */
    visit_hit seen;
    int rc = SB_OK;
    if (!visits_take(r->recent, r->store, adapter, ev->sender, ev->room, &seen)) {
        store_visit v;
        rc = store_person_visit(r->store, adapter, ev->sender, ev->room, "nudge", &v);
        if (rc == SB_ENOTFOUND)
            rc = store_person_get(r->store, adapter, ev->sender, now, &v.person);
        seen.person = v.person;
        seen.room_person = v.room_person;
        /* the room row is written only when it changes (it is a direct room, theirs) */
        if (rc == SB_OK && ev->direct && v.room_person != v.person) {
            rc = store_room_set(r->store, adapter, ev->room, 1, v.person);
            seen.room_person = v.person;
        }
        if (rc != SB_OK) {
            store_visit_free(&v);
            return rc;
        }
        seen.state = v.state ? json_loads(v.state, 0, NULL) : NULL;
        seen.nudge_pending = nudge_inbound_pending(v.setting);
        store_visit_free(&v);
    }
    int64_t person = seen.person;
    int nudge_pending = seen.nudge_pending;
    json_t *state = seen.state;
    uint64_t mark = visits_mark(r->recent, r->store);
    if (!state || !json_is_object(state)) {
        json_decref(state);
        state = engine_new_state();
        if (!state)
            return SB_ENOMEM;
    }
    sb_input in = {.text = text, .now = now, .group = !ev->direct, .user = ev->sender};
    sb_step step;
    rc = engine_step_take(r->dialogs, state, &in, &step); /* read for this step alone */
    if (rc != SB_OK)
        return rc;
    log_step(adapter, person, &step);
    state = step.state;
    step.state = NULL;

    sb_buf reply = {0};
    for (size_t i = 0; i < step.nreplies && rc == SB_OK; i++)
        rc = sb_buf_paragraph(&reply, step.replies[i]);
    action_ctx a = {.store = r->store, .dialogs = r->dialogs, .person = person, .now = now,
                    .direct = ev->direct, .state = &state, .input = &in, .reply = &reply};
    if (rc == SB_OK)
        rc = actions_apply(&a, &step);
    engine_step_free(&step);
    if (rc == SB_OK && a.forgotten && out->nforgotten < sizeof out->forgotten / sizeof *out->forgotten)
        out->forgotten[out->nforgotten++] = ev->sender;
    if (rc == SB_OK && !a.forgotten) {
        char *text = json_dumps(state, JSON_COMPACT);
        rc = text ? store_state_save(r->store, person, text, now) : SB_ENOMEM;
        free(text);
        /* no store_person_touch: the session row's "updated" is when they last wrote */
        if (rc == SB_OK && ev->direct && nudge_pending)
            rc = nudge_on_inbound(r->store, person, now);
    }
    /* Without consent a reply may still echo the person's words: such a row keeps its
     * text only until it is sent (design.md invariant 6). */
    int keeps = a.forgotten ? 0 : person_consents(state);
    if (rc == SB_OK && !a.forgotten) {
        /* remembered as saved; trusted only if nothing but that save changed the store */
        seen.state = state;
        visits_put(r->recent, r->store, mark, adapter, ev->sender, ev->room, &seen);
    } else {
        json_decref(state);
        visits_clear(r->recent);
    }
    if (rc != SB_OK) {
        sb_buf_free(&reply);
        return rc;
    }
    if (note && !a.forgotten && (rc = sb_buf_paragraph(&reply, note)) != SB_OK) {
        sb_buf_free(&reply);
        return rc;
    }
    if (reply.len == 0) {
        sb_buf_free(&reply);
        return SB_OK;
    }
    return enqueue(r, adapter, ev->room, sb_buf_take(&reply), now, !keeps, out);
}

/* The kind word for a text that was cut: views.json input_cut with {words}. Caller frees;
 * NULL on ENOMEM. */
static const char *words_of(void *ctx, const char *name, size_t len)
{
    return len == 5 && strncmp(name, "words", 5) == 0 ? ctx : NULL;
}

static char *cut_note(router *r, size_t words, int64_t now)
{
    const char *view = dialogs_view(r->dialogs, "input_cut", (unsigned)now);
    char count[32];
    snprintf(count, sizeof count, "%zu", words);
    return text_substitute(view, words_of, count);
}

static int on_message(router *r, const char *adapter, const sb_inbound *ev, int64_t now,
                      row_list *out)
{
    if (!ev->text || !ev->sender || !ev->room)
        return SB_OK;
    /* Control characters go before anything reads the text (a terminal escape kept in a
     * journal would be replayed by every console showing it), and a text longer than any
     * chat message is cut between words, with a word about it rather than silently. */
    input_clean_result clean;
    int rc = input_clean(ev->text, INPUT_MAX_BYTES, &clean);
    if (rc != SB_OK)
        return rc;
    char *note = clean.cut ? cut_note(r, clean.kept_words, now) : NULL;
    rc = clean.cut && !note ? SB_ENOMEM : on_text(r, adapter, ev, clean.text, note, now, out);
    free(note);
    free(clean.text);
    return rc;
}

/* An encrypted message the bot cannot read: said once per room (the room flag), whether
 * the adapter does no encryption at all (SB_IN_ENCRYPTED, view "encrypted") or could not
 * decrypt this one (SB_IN_UNREADABLE, view "unreadable": send it again). */
static int on_encrypted(router *r, const char *adapter, const sb_inbound *ev, int64_t now,
                        row_list *out)
{
    int unreadable = ev->kind == SB_IN_UNREADABLE;
    const char *flag = unreadable ? "unreadable_notice" : "encrypted_notice";
    int set = 0;
    int rc = store_room_flag_get(r->store, adapter, ev->room, flag, &set);
    if (rc != SB_OK || set)
        return rc;
    if ((rc = store_room_flag_set(r->store, adapter, ev->room, flag)) != SB_OK)
        return rc;
    const char *text = unreadable
                           ? dialogs_view(r->dialogs, "unreadable", 0)
                           : dialogs_view(r->dialogs, "encrypted", 0);
    char *copy = sb_strdup(text);
    return copy ? enqueue(r, adapter, ev->room, copy, now, 0, out) : SB_ENOMEM;
}

static int apply_batch(router *r, const char *adapter, const sb_batch *b, int64_t now,
                       row_list *out)
{
    int rc = SB_OK;
    for (size_t i = 0; i < b->count && rc == SB_OK; i++) {
        const sb_inbound *ev = &b->events[i];
        switch (ev->kind) {
        case SB_IN_MESSAGE:
            rc = on_message(r, adapter, ev, now, out);
            break;
        case SB_IN_ROOM:
            rc = ev->room ? store_room_set(r->store, adapter, ev->room, ev->direct, 0) : SB_OK;
            break;
        case SB_IN_LEFT:
            rc = ev->room ? store_room_forget(r->store, adapter, ev->room) : SB_OK;
            break;
        case SB_IN_ENCRYPTED:
        case SB_IN_UNREADABLE:
            rc = ev->room ? on_encrypted(r, adapter, ev, now, out) : SB_OK;
            break;
        }
    }
    if (rc == SB_OK && b->resume_key && b->resume_value)
        rc = store_resume_set(r->store, adapter, b->resume_key, b->resume_value);
    for (size_t i = 0; i < b->change_count && rc == SB_OK; i++)
        rc = store_adapter_state_set(r->store, adapter, b->changes[i].key, b->changes[i].owner,
                                     b->changes[i].value);
    return rc;
}

void router_on_forget(router *r, router_forgot_fn fn, void *ctx)
{
    r->forgot = fn;
    r->forgot_ctx = ctx;
}

/* Invariant 5: when the batch could not be applied, a person in crisis still hears
 * where to find help. The id is negative: it has no outbox row to mark. */
int router_crisis_fallback(router *r, const char *adapter, const sb_batch *b, int64_t now,
                           router_send_fn send, void *ctx)
{
    int n = 0;
    /* Derived from the time so that a restart never reuses one: a platform that drops
     * duplicate transaction ids (Matrix) must not swallow a later crisis reply. */
    static unsigned counter;
    for (size_t i = 0; i < b->count; i++) {
        const sb_inbound *ev = &b->events[i];
        const char *lines[2];
        size_t nlines = ev->kind == SB_IN_MESSAGE && ev->text && ev->room
                            ? engine_crisis_lines(r->dialogs, ev->text, lines)
                            : 0;
        for (size_t k = 0; k < nlines; k++) { /* abuse at home: its services too */
            int64_t id = -(now * 1000 + (int64_t)(counter++ % 1000));
            send(ctx, id, adapter, ev->room, lines[k]);
            sb_log("warn", "router", "crisis answer sent without the store adapter=%s", adapter);
            metrics_add(METRIC_CRISIS_ANSWERS, adapter, 1);
        }
        n += nlines > 0;
    }
    return n;
}

/* Marks the rows adapters reported sent, and prunes when it is time; inside the caller's
 * transaction. A row a forget deleted meanwhile is no failure. */
static int apply_marks(router *r, int64_t now)
{
    int rc = SB_OK;
    for (size_t i = 0; i < r->nmarks && rc == SB_OK; i++) {
        rc = store_outbox_mark_sent(r->store, r->marks[i].id, r->marks[i].at);
        if (rc == SB_ENOTFOUND)
            rc = SB_OK;
    }
    if (rc == SB_OK && now - r->last_prune >= PRUNE_EVERY) {
        r->last_prune = now;
        rc = store_outbox_prune(r->store, now - OUTBOX_KEEP_SECONDS);
    }
    return rc;
}

int router_batch(router *r, const char *adapter, const sb_batch *b, int64_t now,
                 router_send_fn send, void *ctx)
{
    row_list out = {0};
    int rc = store_begin(r->store);
    if (rc == SB_OK) {
        rc = apply_marks(r, now);
        rc = rc == SB_OK ? apply_batch(r, adapter, b, now, &out) : rc;
        rc = rc == SB_OK ? store_commit(r->store) : rc;
        if (rc != SB_OK)
            store_rollback(r->store);
    }
    if (rc != SB_OK) {
        visits_clear(r->recent); /* what it learnt in the batch is undone */
        rows_free(&out);
        return rc;
    }
    r->nmarks = 0; /* committed with the batch */
    for (size_t i = 0; i < out.n; i++)
        send(ctx, out.rows[i].id, adapter, out.rows[i].room, out.rows[i].text);
    for (size_t i = 0; i < out.nforgotten && r->forgot; i++)
        r->forgot(r->forgot_ctx, adapter, out.forgotten[i]);
    rows_free(&out);
    return SB_OK;
}

typedef struct nudge_rows {
    row_list rows;
    char *adapters[64]; /* parallel to rows; a pass handles at most 64 people */
    int failed;
} nudge_rows;

/* nudge_run_due reports each queued nudge here, inside the transaction; they are sent
 * only after the commit. */
static void collect_nudge(void *ctx, int64_t id, const char *adapter, const char *room,
                          const char *text)
{
    nudge_rows *n = ctx;
    char *t = sb_strdup(text), *a = sb_strdup(adapter), *rm = sb_strdup(room);
    if (n->rows.n >= 64 || !t || !a || !rm ||
        rows_add(&n->rows, id, rm, t) != SB_OK) {
        free(t);
        free(a);
        free(rm);
        n->failed = 1;
        return;
    }
    n->adapters[n->rows.n - 1] = a;
}

static void nudge_rows_free(nudge_rows *n)
{
    for (size_t i = 0; i < n->rows.n; i++) {
        free(n->adapters[i]);
        free((char *)n->rows.rows[i].room);
    }
    rows_free(&n->rows);
}

int router_nudges(router *r, int64_t now, router_send_fn send, void *ctx)
{
    int rc, more;
    do {
        nudge_rows n = {0};
        rc = store_begin(r->store);
        if (rc != SB_OK)
            return rc;
        rc = nudge_run_due(r->store, r->dialogs, now, 64, &more, collect_nudge, &n);
        if (rc == SB_OK && n.failed)
            rc = SB_ENOMEM;
        if (rc == SB_OK)
            rc = store_commit(r->store);
        if (rc == SB_OK) {
            for (size_t i = 0; i < n.rows.n; i++)
                send(ctx, n.rows.rows[i].id, n.adapters[i], n.rows.rows[i].room,
                     n.rows.rows[i].text);
        } else {
            store_rollback(r->store);
        }
        nudge_rows_free(&n);
    } while (rc == SB_OK && more);
    return rc;
}

int router_sent(router *r, int64_t id, int64_t now)
{
    if (id <= 0)
        return SB_OK;
    if (r->nmarks == r->capmarks) {
        if (r->nmarks >= MARKS_MAX) {
            int rc = router_flush(r, now);
            if (rc != SB_OK)
                return rc; /* not remembered: sent again with the same id after a restart */
        }
        if (r->nmarks == r->capmarks) {
            size_t cap = r->capmarks ? r->capmarks * 2 : 64;
            sent_mark *p = realloc(r->marks, cap * sizeof *p);
            if (!p)
                return SB_ENOMEM;
            r->marks = p;
            r->capmarks = cap;
        }
    }
    r->marks[r->nmarks++] = (sent_mark){id, now};
    return SB_OK;
}

int router_sent_pending(const router *r)
{
    return r->nmarks > 0;
}

int router_flush(router *r, int64_t now)
{
    if (r->nmarks == 0 && now - r->last_prune < PRUNE_EVERY)
        return SB_OK;
    int rc = store_begin(r->store);
    if (rc != SB_OK)
        return rc;
    rc = apply_marks(r, now);
    rc = rc == SB_OK ? store_commit(r->store) : rc;
    if (rc != SB_OK) {
        store_rollback(r->store);
        return rc;
    }
    r->nmarks = 0;
    return SB_OK;
}

int router_next_nudge(router *r, int64_t *due)
{
    return nudge_next_due(r->store, due);
}
