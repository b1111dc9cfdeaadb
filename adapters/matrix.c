/* matrix.c — the Matrix adapter's thread: logs in, long-polls /sync, hands each sync to the
 * core as one batch (resume key "next_batch") and asks for the next only after the commit;
 * sends replies with PUT .../send/m.room.message/sb{outbox id} so a re-send is idempotent.
 * Two request lanes share one curl multi handle, so the long-poll never delays a reply:
 * the sync lane (login, whoami, filter, syncs) and the work lane (sends, joins, leaves,
 * typing, receipts, in order). Meaning of messages is the core's; parsing is matrix_parse.c's.
 *
 * Config keys read from [matrix]: homeserver, user_id, password, access_token, device_name,
 * device_id, allowed_users, allowed_servers, msgtype, sync_timeout_ms, backoff_min_ms,
 * backoff_max_ms. Resume keys kept through the core: next_batch, device_id, filter_id.
 * Device keys are never uploaded (so people's clients open unencrypted chats with the bot). */
#include "matrix.h"
#include "matrix_http.h"
#include "matrix_parse.h"
#include "matrix_room.h"
#include "markdown.h"
#include "sb.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define API "/_matrix/client/v3/"
#define TIMELINE_LIMIT 100
#define SYNC_CAP (64u << 20)
#define SMALL_CAP (1u << 20)
#define REQUEST_TIMEOUT_MS 60000L
#define TYPING_TIMEOUT_MS 30000
#define BEST_EFFORT_TRIES 3
#define GAP_PAGES_MAX 100 /* pages of /messages fetched to fill one limited timeline */

typedef enum { JOB_SEND, JOB_JOIN, JOB_LEAVE, JOB_TYPING, JOB_RECEIPT } job_kind;

typedef struct job {
    job_kind kind;
    char *room;
    char *text;     /* SEND: Markdown */
    char *event_id; /* RECEIPT */
    int64_t id;     /* SEND: outbox row id (<= 0: a crisis fallback without a row) */
    int flag;       /* TYPING: on or off */
    int tries;
    struct job *next;
} job;

typedef struct lane {
    matrix_request req;
    int failures;
    int64_t not_before; /* monotonic ms */
} lane;

typedef enum {
    ST_LOGIN, ST_WHOAMI, ST_FILTER, ST_BOOT, ST_SYNC, ST_GAP, ST_WAIT_COMMIT, ST_DEAD
} sync_state;

static const char *const state_names[] = {"login", "whoami", "filter", "boot sync", "sync",
                                          "messages", "wait for commit", "stopped"};

typedef struct matrix {
    sb_adapter base;
    char *homeserver, *user_id, *password, *token, *device_name, *device_id;
    char *allowed_users, *allowed_servers, *msgtype;
    long sync_timeout_ms, backoff_min_ms, backoff_max_ms;
    sb_core *core;
    pthread_t thread;
    int started;
    CURLM *multi;
    pthread_mutex_t mu;        /* guards the four fields below */
    job *in_head, *in_tail;    /* sends queued by the core thread */
    uint64_t committed;        /* highest committed batch seq */
    int stopping;
    /* adapter thread only from here */
    sync_state state;
    lane sync, work;
    job *head, *tail, *current; /* work queue, and the job in flight */
    char *self;                 /* the bot's user id (whoami) */
    char *since, *pending_since;
    char *filter_id;
    int filter_stored;          /* filter_id came from the store: re-upload if refused */
    int booted, awaiting, first_start;
    uint64_t seq, awaited_seq;
    job *after_commit;          /* receipts and typing-off for the batch awaiting commit */
    matrix_rooms *rooms;
    matrix_sync *held;          /* ST_GAP: a sync waiting for its limited timelines to be filled */
    size_t gap_room;            /* the held room being filled */
    char *gap_from;             /* /messages token of the next page */
    int gap_pages;
    matrix_event *gap_events;   /* fetched so far, newest first */
    size_t gap_count, gap_cap;
    unsigned random_state;
    int64_t start_ms;
} matrix;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void job_free(job *j)
{
    while (j) {
        job *next = j->next;
        free(j->room);
        free(j->text);
        free(j->event_id);
        free(j);
        j = next;
    }
}

static job *job_new(job_kind kind, const char *room)
{
    job *j = calloc(1, sizeof *j);
    if (j && !(j->room = sb_strdup(room))) {
        free(j);
        return NULL;
    }
    if (j)
        j->kind = kind;
    return j;
}

static void queue_push(matrix *m, job *j)
{
    if (!j)
        return;
    j->next = NULL;
    if (m->tail)
        m->tail->next = j;
    else
        m->head = j;
    m->tail = j;
}

/* ---- the core's side: called on the core thread ---- */

static void matrix_send(sb_adapter *a, const sb_outbound *msg)
{
    matrix *m = a->impl;
    job *j = job_new(JOB_SEND, msg->room);
    if (!j || !(j->text = sb_strdup(msg->text))) {
        job_free(j); /* the row stays unsent in the outbox and goes out after a restart */
        sb_log("error", "matrix", "out of memory queueing reply %lld", (long long)msg->id);
        return;
    }
    j->id = msg->id;
    pthread_mutex_lock(&m->mu);
    if (m->in_tail)
        m->in_tail->next = j;
    else
        m->in_head = j;
    m->in_tail = j;
    pthread_mutex_unlock(&m->mu);
    curl_multi_wakeup(m->multi);
}

static void matrix_committed(sb_adapter *a, uint64_t seq)
{
    matrix *m = a->impl;
    pthread_mutex_lock(&m->mu);
    if (seq > m->committed)
        m->committed = seq;
    pthread_mutex_unlock(&m->mu);
    curl_multi_wakeup(m->multi);
}

/* Moves queued sends onto the work queue; returns 1 when stopping. */
static int take_inbox(matrix *m, uint64_t *committed)
{
    pthread_mutex_lock(&m->mu);
    job *in = m->in_head;
    m->in_head = m->in_tail = NULL;
    *committed = m->committed;
    int stopping = m->stopping;
    pthread_mutex_unlock(&m->mu);
    while (in) {
        job *next = in->next;
        queue_push(m, in);
        in = next;
    }
    return stopping;
}

/* ---- batches to the core ---- */

static uint64_t post_batch(matrix *m, matrix_batch *b, const char *key, const char *value)
{
    sb_batch *batch = calloc(1, sizeof *batch);
    if (!batch || (key && (!(batch->resume_key = sb_strdup(key)) ||
                           !(batch->resume_value = sb_strdup(value))))) {
        sb_batch_free(batch);
        matrix_batch_clear(b);
        return 0;
    }
    batch->events = b ? b->events : NULL;
    batch->count = b ? b->count : 0;
    if (b)
        b->events = NULL, b->count = b->cap = 0;
    uint64_t seq = batch->seq = ++m->seq;
    sb_core_post_batch(m->core, &m->base, batch); /* batch belongs to the core from here */
    return seq;
}

/* ---- requests ---- */

static int start(matrix *m, lane *l, const char *method, sb_buf *path, json_t *body, int auth,
                 long timeout_ms, size_t cap)
{
    char *url = sb_asprintf("%s%s", m->homeserver, path->data ? path->data : "");
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    sb_buf_free(path);
    int rc = url && (text || !body) ? SB_OK : SB_ENOMEM;
    if (rc == SB_OK)
        rc = matrix_request_start(&l->req, m->multi, method, url, auth ? m->token : NULL, text,
                                  timeout_ms, cap);
    else
        free(text);
    free(url);
    if (rc != SB_OK) {
        l->failures++;
        l->not_before = now_ms() + matrix_backoff_ms(l->failures, m->backoff_min_ms,
                                                    m->backoff_max_ms, rand_r(&m->random_state));
    }
    return rc;
}

static void lane_retry(matrix *m, lane *l, matrix_outcome o, long wait_ms, const char *what,
                       long status, const char *errcode)
{
    long delay = wait_ms;
    if (o != MATRIX_RATE_LIMITED || wait_ms < 0) {
        l->failures++;
        delay = matrix_backoff_ms(l->failures, m->backoff_min_ms, m->backoff_max_ms,
                                  rand_r(&m->random_state));
    }
    l->not_before = now_ms() + delay;
    sb_log(o == MATRIX_RATE_LIMITED ? "info" : "warn", "matrix",
           "%s: %s (HTTP %ld%s%s%s%s); retrying in %ld ms", what, matrix_outcome_name(o), status,
           errcode[0] ? " " : "", errcode, l->req.error[0] ? ": " : "", l->req.error, delay);
}

/* The homeserver no longer accepts the token: log in again, or stop when we cannot. */
static void auth_lost(matrix *m, const char *errcode)
{
    if (!m->password) {
        sb_log("error", "matrix", "the access token was refused (%s)", errcode);
        sb_core_fatal(m->core, &m->base,
                      "matrix: the homeserver refused the access token; set a new access_token "
                      "(or SECUREBASE_MATRIX_TOKEN) or a password");
        m->state = ST_DEAD;
        return;
    }
    sb_log("warn", "matrix", "the access token was refused (%s): logging in again", errcode);
    free(m->token);
    m->token = NULL;
    matrix_request_clear(&m->sync.req, m->multi);
    if (m->current) { /* back to the front of the queue: the same job goes again */
        matrix_request_clear(&m->work.req, m->multi);
        m->current->next = m->head;
        m->head = m->current;
        if (!m->tail)
            m->tail = m->current;
        m->current = NULL;
    }
    m->state = ST_LOGIN;
}

static void fatal(matrix *m, const char *reason)
{
    sb_log("error", "matrix", "%s", reason);
    sb_core_fatal(m->core, &m->base, reason);
    m->state = ST_DEAD;
}

/* ---- the sync lane: login, whoami, filter, boot sync, then /sync after each commit ---- */

static sync_state state_after_auth(const matrix *m)
{
    if (!m->filter_id)
        return ST_FILTER;
    if (!m->booted)
        return ST_BOOT;
    if (m->held)
        return ST_GAP;
    return m->awaiting ? ST_WAIT_COMMIT : ST_SYNC;
}

static json_t *filter_json(void)
{
    return json_pack("{s:{s:[]}, s:{s:[s]}, s:{s:{s:b}, s:{s:i, s:[s,s,s,s], s:b}, "
                     "s:{s:[]}, s:{s:[]}}}",
                     "presence", "types", "account_data", "types", "m.direct", "room", "state",
                     "lazy_load_members", 1, "timeline", "limit", TIMELINE_LIMIT, "types",
                     "m.room.message", "m.room.member", "m.room.encrypted", "m.room.encryption",
                     "lazy_load_members", 1, "ephemeral", "types", "account_data", "types");
}

static void start_sync_step(matrix *m)
{
    sb_buf path = {0};
    int rc = SB_OK;
    switch (m->state) {
    case ST_LOGIN: {
        json_t *body = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s}", "type", "m.login.password",
                                 "identifier", "type", "m.id.user", "user", m->user_id,
                                 "password", m->password, "initial_device_display_name",
                                 m->device_name);
        if (body && m->device_id)
            json_object_set_new(body, "device_id", json_string(m->device_id));
        if (!body || sb_buf_puts(&path, API "login") != SB_OK)
            rc = SB_ENOMEM;
        start(m, &m->sync, "POST", &path, body, 0, REQUEST_TIMEOUT_MS, SMALL_CAP);
        break;
    }
    case ST_WHOAMI:
        if (sb_buf_puts(&path, API "account/whoami") != SB_OK)
            rc = SB_ENOMEM;
        start(m, &m->sync, "GET", &path, NULL, 1, REQUEST_TIMEOUT_MS, SMALL_CAP);
        break;
    case ST_FILTER:
        if (sb_buf_puts(&path, API "user/") != SB_OK || matrix_url_segment(&path, m->self) ||
            sb_buf_puts(&path, "/filter") != SB_OK)
            rc = SB_ENOMEM;
        start(m, &m->sync, "POST", &path, filter_json(), 1, REQUEST_TIMEOUT_MS, SMALL_CAP);
        break;
    case ST_BOOT:
    case ST_SYNC: {
        long timeout = m->state == ST_BOOT ? 0 : m->sync_timeout_ms;
        if (sb_buf_puts(&path, API "sync?filter=") != SB_OK ||
            matrix_url_segment(&path, m->filter_id) != SB_OK ||
            sb_buf_printf(&path, "&timeout=%ld", timeout) != SB_OK ||
            (m->state == ST_SYNC && m->since &&
             (sb_buf_puts(&path, "&since=") != SB_OK ||
              matrix_url_segment(&path, m->since) != SB_OK)))
            rc = SB_ENOMEM;
        start(m, &m->sync, "GET", &path, NULL, 1, timeout + REQUEST_TIMEOUT_MS, SYNC_CAP);
        break;
    }
    case ST_GAP: {
        const matrix_room *jr = &m->held->joined[m->gap_room];
        if (sb_buf_puts(&path, API "rooms/") != SB_OK ||
            matrix_url_segment(&path, jr->room_id) != SB_OK ||
            sb_buf_printf(&path, "/messages?dir=b&limit=%d&filter=", TIMELINE_LIMIT) != SB_OK ||
            matrix_url_segment(&path, "{\"types\":[\"m.room.message\",\"m.room.member\","
                                      "\"m.room.encrypted\",\"m.room.encryption\"]}") != SB_OK ||
            sb_buf_puts(&path, "&from=") != SB_OK || matrix_url_segment(&path, m->gap_from) ||
            sb_buf_puts(&path, "&to=") != SB_OK || matrix_url_segment(&path, m->since))
            rc = SB_ENOMEM;
        start(m, &m->sync, "GET", &path, NULL, 1, REQUEST_TIMEOUT_MS, SYNC_CAP);
        break;
    }
    case ST_WAIT_COMMIT:
    case ST_DEAD:
        break;
    }
    if (rc != SB_OK)
        matrix_request_clear(&m->sync.req, m->multi); /* start() backed the lane off */
}

static void queue_actions(matrix *m, const matrix_actions *a, job **list)
{
    static const job_kind kinds[] = {[MATRIX_ACT_JOIN] = JOB_JOIN, [MATRIX_ACT_DECLINE] = JOB_LEAVE,
                                     [MATRIX_ACT_LEAVE] = JOB_LEAVE, [MATRIX_ACT_TYPING] = JOB_TYPING,
                                     [MATRIX_ACT_RECEIPT] = JOB_RECEIPT};
    for (size_t i = 0; i < a->count; i++) {
        const matrix_action *x = &a->items[i];
        if (x->kind == MATRIX_ACT_DECLINE)
            sb_log("info", "matrix", "declining an invite to %s from someone not allowed", x->room);
        if (x->kind == MATRIX_ACT_LEAVE)
            sb_log("info", "matrix", "leaving %s: nobody else is there", x->room);
        job *j = job_new(kinds[x->kind], x->room);
        if (j && x->event_id && !(j->event_id = sb_strdup(x->event_id))) {
            job_free(j);
            j = NULL;
        }
        if (!j)
            continue; /* joins and leaves come again with the next sync; receipts can wait */
        j->flag = x->on;
        if (list) { /* after the commit: kept in order */
            job **end = list;
            while (*end)
                end = &(*end)->next;
            *end = j;
        } else {
            queue_push(m, j);
        }
    }
}

/* Applies a parsed sync (taken over); boot: the first sync of this start (no since). */
static int apply_sync(matrix *m, matrix_sync *s, int boot)
{
    int rc;
    matrix_policy policy = {m->self, m->allowed_users, m->allowed_servers};
    matrix_batch batch = {0};
    matrix_actions now = {0}, later = {0};
    int announce = boot && m->first_start;
    rc = matrix_rooms_apply(m->rooms, s, &policy, boot, announce, &batch, &now, &later);
    if (rc == SB_OK) {
        queue_actions(m, &now, NULL);
        int idle = !announce && batch.count == 0 && m->since && strcmp(m->since, s->next_batch) == 0;
        if (boot && !m->first_start) {
            m->state = ST_SYNC; /* carry on from the stored position */
        } else if (idle) {
            m->state = ST_SYNC;
        } else {
            free(m->pending_since);
            m->pending_since = sb_strdup(s->next_batch);
            uint64_t seq = m->pending_since ? post_batch(m, &batch, "next_batch", s->next_batch) : 0;
            if (seq) {
                job_free(m->after_commit);
                m->after_commit = NULL;
                queue_actions(m, &later, &m->after_commit);
                m->awaited_seq = seq;
                m->awaiting = 1;
                m->state = ST_WAIT_COMMIT;
            } else {
                rc = SB_ENOMEM;
            }
        }
        if (boot && rc == SB_OK)
            m->booted = 1;
    }
    matrix_batch_clear(&batch);
    matrix_actions_clear(&now);
    matrix_actions_clear(&later);
    matrix_sync_free(s);
    if (rc != SB_OK)
        m->state = ST_SYNC; /* the same since again */
    return rc;
}

static void gap_clear(matrix *m)
{
    for (size_t i = 0; i < m->gap_count; i++)
        matrix_event_clear(&m->gap_events[i]);
    free(m->gap_events);
    m->gap_events = NULL;
    m->gap_count = m->gap_cap = 0;
    free(m->gap_from);
    m->gap_from = NULL;
    m->gap_pages = 0;
}

/* Moves to the next held room whose timeline was cut short; 0 when none is left. */
static int next_gap(matrix *m)
{
    gap_clear(m);
    for (; m->gap_room < m->held->joined_count; m->gap_room++) {
        const matrix_room *jr = &m->held->joined[m->gap_room];
        if (jr->limited && jr->prev_batch) {
            m->gap_from = sb_strdup(jr->prev_batch);
            sb_log("info", "matrix", "timeline of %s was cut short: fetching the rest",
                   jr->room_id);
            return m->gap_from != NULL;
        }
    }
    return 0;
}

/* The fetched events go before the held room's timeline; then the next room, or the sync. */
static int gap_done(matrix *m)
{
    matrix_event *older = calloc(m->gap_count + 1, sizeof *older);
    if (!older)
        return SB_ENOMEM;
    for (size_t i = 0; i < m->gap_count; i++) /* newest first -> oldest first */
        older[i] = m->gap_events[m->gap_count - 1 - i];
    size_t n = m->gap_count;
    free(m->gap_events);
    m->gap_events = NULL;
    m->gap_count = m->gap_cap = 0;
    int rc = matrix_room_prepend(&m->held->joined[m->gap_room], older, n);
    if (rc != SB_OK)
        return rc;
    m->gap_room++;
    if (next_gap(m))
        return SB_OK;
    matrix_sync *s = m->held;
    m->held = NULL;
    return apply_sync(m, s, 0);
}

static int on_messages(matrix *m, const char *body, size_t len)
{
    matrix_event *events = NULL;
    size_t n = 0;
    char *end = NULL;
    int rc = matrix_messages_parse(body, len, m->self, &events, &n, &end);
    if (rc != SB_OK)
        return rc;
    if (m->gap_count + n > m->gap_cap) {
        size_t cap = (m->gap_count + n) * 2;
        matrix_event *grown = realloc(m->gap_events, cap * sizeof *grown);
        if (!grown) {
            for (size_t i = 0; i < n; i++)
                matrix_event_clear(&events[i]);
            free(events);
            free(end);
            return SB_ENOMEM;
        }
        m->gap_events = grown;
        m->gap_cap = cap;
    }
    memcpy(m->gap_events + m->gap_count, events, n * sizeof *events);
    m->gap_count += n;
    free(events);
    if (end && n > 0 && ++m->gap_pages < GAP_PAGES_MAX && strcmp(end, m->gap_from) != 0) {
        free(m->gap_from);
        m->gap_from = end;
        return SB_OK;
    }
    free(end);
    return gap_done(m);
}

/* A sync answer: parsed, its cut-short timelines filled (ST_GAP), then applied. */
static int on_sync(matrix *m, const char *body, size_t len, int boot)
{
    matrix_sync *s = NULL;
    int rc = matrix_sync_parse(body, len, m->self, &s);
    if (rc != SB_OK)
        return rc;
    if (!boot && m->since) {
        m->held = s;
        m->gap_room = 0;
        if (next_gap(m)) {
            m->state = ST_GAP;
            return SB_OK;
        }
        m->held = NULL;
    }
    return apply_sync(m, s, boot);
}

static void remember(matrix *m, const char *key, char **slot, char *value)
{
    int changed = !*slot || strcmp(*slot, value) != 0;
    free(*slot);
    *slot = value;
    if (changed)
        post_batch(m, NULL, key, value); /* kept with the next commit, read at the next start */
}

static int on_answer(matrix *m, const char *body, size_t len)
{
    char *v = NULL;
    int rc = SB_OK;
    switch (m->state) {
    case ST_LOGIN:
        if ((rc = matrix_field_parse(body, len, "access_token", &v)) != SB_OK)
            return rc;
        free(m->token);
        m->token = v;
        if (matrix_field_parse(body, len, "device_id", &v) == SB_OK)
            remember(m, "device_id", &m->device_id, v);
        m->state = ST_WHOAMI;
        return SB_OK;
    case ST_WHOAMI:
        if ((rc = matrix_field_parse(body, len, "user_id", &v)) != SB_OK)
            return rc;
        if (m->user_id && strcmp(m->user_id, v) != 0)
            sb_log("warn", "matrix", "configured as %s but the token belongs to %s", m->user_id, v);
        free(m->self);
        m->self = v;
        sb_log("info", "matrix", "signed in as %s", m->self);
        m->state = state_after_auth(m);
        return SB_OK;
    case ST_FILTER:
        if ((rc = matrix_field_parse(body, len, "filter_id", &v)) != SB_OK)
            return rc;
        remember(m, "filter_id", &m->filter_id, v);
        m->filter_stored = 0;
        m->state = state_after_auth(m);
        return SB_OK;
    case ST_BOOT:
        return on_sync(m, body, len, 1);
    case ST_SYNC:
        return on_sync(m, body, len, 0);
    case ST_GAP:
        return on_messages(m, body, len);
    default:
        return SB_OK;
    }
}

static void sync_done(matrix *m, CURLcode result)
{
    long status = 0, wait = -1;
    char errcode[64];
    matrix_outcome o = matrix_request_finish(&m->sync.req, m->multi, result, &status, &wait,
                                             errcode, sizeof errcode);
    sb_buf *resp = &m->sync.req.response;
    const char *what = state_names[m->state];
    if (o == MATRIX_OK) {
        int rc = on_answer(m, resp->data ? resp->data : "", resp->len);
        sb_buf_free(resp);
        if (rc == SB_OK) {
            m->sync.failures = 0;
            return;
        }
        o = MATRIX_TRANSIENT;
        snprintf(m->sync.req.error, sizeof m->sync.req.error, "unusable answer: %s",
                 sb_strerror(rc));
    }
    sb_buf_free(resp);
    if (o == MATRIX_UNAUTHORIZED && m->state != ST_LOGIN) {
        auth_lost(m, errcode);
        return;
    }
    if (o == MATRIX_REFUSED || o == MATRIX_UNAUTHORIZED) {
        if (m->state == ST_LOGIN || m->state == ST_WHOAMI) {
            char reason[256];
            snprintf(reason, sizeof reason,
                     "matrix: the homeserver refused the %s (HTTP %ld %s); check homeserver, "
                     "user_id and password or access_token", what, status, errcode);
            fatal(m, reason);
            return;
        }
        if (m->state == ST_GAP) {
            sb_log("warn", "matrix", "/messages refused (HTTP %ld %s): going on without the "
                   "rest of that timeline", status, errcode);
            if (gap_done(m) != SB_OK)
                lane_retry(m, &m->sync, MATRIX_TRANSIENT, -1, what, status, errcode);
            return;
        }
        if ((m->state == ST_BOOT || m->state == ST_SYNC) && m->filter_stored) {
            sb_log("warn", "matrix", "sync refused with the stored filter; uploading it again");
            free(m->filter_id);
            m->filter_id = NULL;
            m->filter_stored = 0;
            m->state = ST_FILTER;
            return;
        }
    }
    lane_retry(m, &m->sync, o, wait, what, status, errcode);
}

static void commit_reached(matrix *m)
{
    free(m->since);
    m->since = m->pending_since;
    m->pending_since = NULL;
    m->awaiting = 0;
    while (m->after_commit) { /* receipts and typing-off go after the replies just queued */
        job *j = m->after_commit;
        m->after_commit = j->next;
        queue_push(m, j);
    }
    m->state = ST_SYNC;
}

/* ---- the work lane: sends, joins, leaves, typing, receipts, one at a time in order ---- */

static int start_job(matrix *m, job *j)
{
    sb_buf path = {0};
    json_t *body = NULL;
    const char *method = "POST";
    int rc = sb_buf_puts(&path, API);
    switch (j->kind) {
    case JOB_SEND: {
        char txn[64];
        if (j->id > 0)
            snprintf(txn, sizeof txn, "sb%lld", (long long)j->id);
        else /* a crisis fallback has no outbox row: an id unique to this run */
            snprintf(txn, sizeof txn, "sbc%lld_%lld", (long long)m->start_ms, (long long)-j->id);
        char *plain = markdown_to_plain(j->text);
        char *html = markdown_to_html(j->text);
        body = json_pack("{s:s, s:s, s:s, s:s}", "msgtype", m->msgtype, "body",
                         plain ? plain : j->text, "format", "org.matrix.custom.html",
                         "formatted_body", html ? html : "");
        free(plain);
        free(html);
        method = "PUT";
        if (rc == SB_OK && (rc = sb_buf_puts(&path, "rooms/")) == SB_OK &&
            (rc = matrix_url_segment(&path, j->room)) == SB_OK &&
            (rc = sb_buf_puts(&path, "/send/m.room.message/")) == SB_OK)
            rc = matrix_url_segment(&path, txn);
        break;
    }
    case JOB_JOIN:
        body = json_object();
        if (rc == SB_OK && (rc = sb_buf_puts(&path, "join/")) == SB_OK)
            rc = matrix_url_segment(&path, j->room);
        break;
    case JOB_LEAVE:
        body = json_object();
        if (rc == SB_OK && (rc = sb_buf_puts(&path, "rooms/")) == SB_OK &&
            (rc = matrix_url_segment(&path, j->room)) == SB_OK)
            rc = sb_buf_puts(&path, "/leave");
        break;
    case JOB_TYPING:
        method = "PUT";
        body = j->flag ? json_pack("{s:b, s:i}", "typing", 1, "timeout", TYPING_TIMEOUT_MS)
                       : json_pack("{s:b}", "typing", 0);
        if (rc == SB_OK && (rc = sb_buf_puts(&path, "rooms/")) == SB_OK &&
            (rc = matrix_url_segment(&path, j->room)) == SB_OK &&
            (rc = sb_buf_puts(&path, "/typing/")) == SB_OK)
            rc = matrix_url_segment(&path, m->self);
        break;
    case JOB_RECEIPT:
        body = json_object();
        if (rc == SB_OK && (rc = sb_buf_puts(&path, "rooms/")) == SB_OK &&
            (rc = matrix_url_segment(&path, j->room)) == SB_OK &&
            (rc = sb_buf_puts(&path, "/receipt/m.read/")) == SB_OK)
            rc = matrix_url_segment(&path, j->event_id);
        break;
    }
    if (rc != SB_OK || !body) {
        sb_buf_free(&path);
        json_decref(body);
        m->work.failures++;
        m->work.not_before = now_ms() + matrix_backoff_ms(m->work.failures, m->backoff_min_ms,
                                                         m->backoff_max_ms, rand_r(&m->random_state));
        return SB_ENOMEM;
    }
    return start(m, &m->work, method, &path, body, 1, REQUEST_TIMEOUT_MS, SMALL_CAP);
}

static void drive_work(matrix *m, int64_t now)
{
    if (m->current || !m->head || !m->token || !m->self || m->state == ST_LOGIN ||
        m->state == ST_DEAD || now < m->work.not_before)
        return;
    job *j = m->head;
    m->head = j->next;
    if (!m->head)
        m->tail = NULL;
    j->next = NULL;
    m->current = j;
    if (start_job(m, j) != SB_OK) {
        j->next = m->head;
        m->head = j;
        if (!m->tail)
            m->tail = j;
        m->current = NULL;
    }
}

static const char *job_name(job_kind k)
{
    static const char *const names[] = {"send", "join", "leave", "typing", "receipt"};
    return names[k];
}

static void work_done(matrix *m, CURLcode result)
{
    long status = 0, wait = -1;
    char errcode[64];
    job *j = m->current;
    matrix_outcome o = matrix_request_finish(&m->work.req, m->multi, result, &status, &wait,
                                             errcode, sizeof errcode);
    sb_buf *resp = &m->work.req.response;
    if (o == MATRIX_OK && j->kind == JOB_SEND) {
        char *event_id = NULL;
        if (matrix_field_parse(resp->data ? resp->data : "", resp->len, "event_id", &event_id) != SB_OK) {
            o = MATRIX_TRANSIENT; /* not known to be sent: the same txn id again is safe */
            snprintf(m->work.req.error, sizeof m->work.req.error, "no event_id in the answer");
        }
        free(event_id);
    }
    sb_buf_free(resp);
    if (o == MATRIX_UNAUTHORIZED) {
        auth_lost(m, errcode);
        return;
    }
    if (o == MATRIX_OK || o == MATRIX_REFUSED) {
        m->work.failures = o == MATRIX_OK ? 0 : m->work.failures;
        if (o == MATRIX_REFUSED)
            sb_log("warn", "matrix", "%s in %s refused (HTTP %ld %s): giving it up",
                   job_name(j->kind), j->room, status, errcode);
        else if (j->kind == JOB_JOIN)
            sb_log("info", "matrix", "joined %s", j->room);
        if (j->kind == JOB_SEND && j->id > 0)
            sb_core_sent(m->core, &m->base, j->id, o == MATRIX_OK);
        m->current = NULL;
        job_free(j);
        return;
    }
    m->current = NULL;
    const char *what = job_name(j->kind);
    if (j->kind == JOB_TYPING && ++j->tries >= BEST_EFFORT_TRIES) {
        job_free(j); /* cosmetic: not worth holding up the replies behind it */
    } else {
        j->next = m->head;
        m->head = j;
        if (!m->tail)
            m->tail = j;
    }
    lane_retry(m, &m->work, o, wait, what, status, errcode);
}

/* ---- the thread ---- */

static long until(int64_t when, int64_t now, long cap)
{
    return when > now && when - now < cap ? (long)(when - now) : cap;
}

static void *thread_main(void *arg)
{
    matrix *m = arg;
    for (;;) {
        uint64_t committed;
        if (take_inbox(m, &committed))
            break;
        int64_t now = now_ms();
        if (m->state == ST_WAIT_COMMIT && committed >= m->awaited_seq)
            commit_reached(m);
        if (m->state != ST_WAIT_COMMIT && m->state != ST_DEAD && !m->sync.req.easy &&
            now >= m->sync.not_before)
            start_sync_step(m);
        drive_work(m, now);
        long wait = 1000;
        if (!m->sync.req.easy && m->state != ST_WAIT_COMMIT)
            wait = until(m->sync.not_before, now, wait);
        if (!m->work.req.easy && m->head)
            wait = until(m->work.not_before, now, wait);
        curl_multi_poll(m->multi, NULL, 0, (int)(wait > 0 ? wait : 1), NULL);
        int running = 0;
        curl_multi_perform(m->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m->multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *easy = msg->easy_handle;
            CURLcode result = msg->data.result;
            if (easy == m->sync.req.easy)
                sync_done(m, result);
            else if (easy == m->work.req.easy)
                work_done(m, result);
        }
    }
    matrix_request_clear(&m->sync.req, m->multi);
    matrix_request_clear(&m->work.req, m->multi);
    return NULL;
}

/* ---- the adapter interface ---- */

static int matrix_start(sb_adapter *a, sb_core *core)
{
    matrix *m = a->impl;
    m->core = core;
    m->since = sb_core_resume_get(core, a, "next_batch");
    m->first_start = m->since == NULL;
    if (!m->device_id)
        m->device_id = sb_core_resume_get(core, a, "device_id");
    m->filter_id = sb_core_resume_get(core, a, "filter_id");
    m->filter_stored = m->filter_id != NULL;
    m->state = m->token ? ST_WHOAMI : ST_LOGIN;
    m->start_ms = (int64_t)time(NULL) * 1000;
    m->random_state = (unsigned)time(NULL) ^ (unsigned)getpid();
    if (pthread_create(&m->thread, NULL, thread_main, m) != 0)
        return SB_ENOMEM;
    m->started = 1;
    sb_log("info", "matrix", "starting against %s (%s)", m->homeserver,
           m->first_start ? "first start: history is skipped" : "resuming");
    return SB_OK;
}

static void matrix_stop(sb_adapter *a)
{
    matrix *m = a->impl;
    pthread_mutex_lock(&m->mu);
    m->stopping = 1;
    pthread_mutex_unlock(&m->mu);
    curl_multi_wakeup(m->multi);
    if (m->started)
        pthread_join(m->thread, NULL);
    m->started = 0;
}

static void matrix_destroy(sb_adapter *a)
{
    if (!a)
        return;
    matrix *m = a->impl;
    job_free(m->in_head);
    job_free(m->head);
    job_free(m->current);
    job_free(m->after_commit);
    matrix_request_clear(&m->sync.req, m->multi);
    matrix_request_clear(&m->work.req, m->multi);
    if (m->multi)
        curl_multi_cleanup(m->multi);
    matrix_rooms_free(m->rooms);
    gap_clear(m);
    matrix_sync_free(m->held);
    char *strings[] = {m->homeserver, m->user_id, m->password, m->token, m->device_name,
                       m->device_id, m->allowed_users, m->allowed_servers, m->msgtype,
                       m->self, m->since, m->pending_since, m->filter_id};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        free(strings[i]);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static char *setting(const sb_config *cfg, const char *key, int *ok)
{
    const char *v = config_get(cfg, "matrix", key);
    if (!v || !*v)
        return NULL;
    char *copy = sb_strdup(v);
    if (!copy)
        *ok = 0;
    return copy;
}

sb_adapter *matrix_adapter_new(const sb_config *cfg)
{
    static int curl_ready;
    if (!curl_ready) { /* once, from the main thread, before any adapter thread exists */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return NULL;
        curl_ready = 1;
    }
    matrix *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    int ok = 1;
    m->homeserver = setting(cfg, "homeserver", &ok);
    m->user_id = setting(cfg, "user_id", &ok);
    m->password = setting(cfg, "password", &ok);
    m->token = setting(cfg, "access_token", &ok);
    m->device_name = setting(cfg, "device_name", &ok);
    m->device_id = setting(cfg, "device_id", &ok);
    m->allowed_users = setting(cfg, "allowed_users", &ok);
    m->allowed_servers = setting(cfg, "allowed_servers", &ok);
    const char *type = config_get(cfg, "matrix", "msgtype");
    m->msgtype = sb_strdup(!type || strcmp(type, "notice") == 0 ? "m.notice"
                           : strcmp(type, "text") == 0          ? "m.text"
                                                                : "");
    m->sync_timeout_ms = config_get_long(cfg, "matrix", "sync_timeout_ms", 30000);
    m->backoff_min_ms = config_get_long(cfg, "matrix", "backoff_min_ms", 1000);
    m->backoff_max_ms = config_get_long(cfg, "matrix", "backoff_max_ms", 300000);
    m->rooms = matrix_rooms_new();
    m->multi = curl_multi_init();
    pthread_mutex_init(&m->mu, NULL);
    m->base = (sb_adapter){.name = "matrix", .impl = m, .start = matrix_start,
                           .send = matrix_send, .committed = matrix_committed,
                           .stop = matrix_stop, .destroy = matrix_destroy};
    const char *problem = NULL;
    if (!ok || !m->msgtype || !m->rooms || !m->multi)
        problem = "out of memory";
    else if (!m->homeserver)
        problem = "[matrix] needs homeserver (the homeserver's URL, e.g. https://matrix.example.org)";
    else if (!m->token && !m->password)
        problem = "[matrix] needs password (or SECUREBASE_MATRIX_PASSWORD) or access_token "
                  "(or SECUREBASE_MATRIX_TOKEN)";
    else if (m->password && !m->token && !m->user_id)
        problem = "[matrix] needs user_id to log in with a password";
    else if (!m->msgtype[0])
        problem = "[matrix] msgtype must be notice or text";
    else if (m->sync_timeout_ms < 0 || m->backoff_min_ms < 1 || m->backoff_max_ms < m->backoff_min_ms)
        problem = "[matrix] sync_timeout_ms, backoff_min_ms and backoff_max_ms must be positive, "
                  "backoff_max_ms at least backoff_min_ms";
    if (problem) {
        fprintf(stderr, "securebase: %s\n", problem);
        matrix_destroy(&m->base);
        return NULL;
    }
    size_t n = strlen(m->homeserver);
    while (n > 0 && m->homeserver[n - 1] == '/')
        m->homeserver[--n] = '\0';
    if (!m->device_name)
        m->device_name = sb_strdup("securebase");
    return m->device_name ? &m->base : (matrix_destroy(&m->base), NULL);
}
