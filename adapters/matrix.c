/* matrix.c — the Matrix adapter: its config, its thread and what the core calls. The adapter
 * long-polls /sync, hands each sync to the core as one batch (resume key "next_batch") and
 * asks for the next only after the commit; it sends replies with PUT .../send/m.room.message/
 * sb{outbox id} so a re-send is idempotent. Two request lanes share one curl multi handle, so
 * the long-poll never delays a reply: the sync lane (matrix_poll.c) and the work lane
 * (matrix_work.c). Meaning of messages is the core's; parsing is matrix_parse.c's.
 *
 * Config keys read from [matrix]: homeserver, user_id, password, access_token, device_name,
 * device_id, allowed_users, allowed_servers, msgtype, sync_timeout_ms, backoff_min_ms,
 * backoff_max_ms, typing_delay_ms, encryption. Resume keys kept through the core: next_batch (with the
 * receipts owed), device_id, access_token, filter_id; with encryption, the account and
 * sessions are adapter state (matrix_e2ee.h) committed with every batch.
 * With encryption off, device keys are never uploaded (so people's clients open
 * unencrypted chats with the bot); with it on, the pickle key must be set (matrix_crypto.h). */
#include "matrix_crypto.h"
#include "matrix_impl.h"
#include "sb.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t matrix_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void matrix_job_free(job *j)
{
    while (j) {
        job *next = j->next;
        free(j->room);
        free(j->text);
        free(j->event_id);
        matrix_e2ee_strings_free(j->cipher, j->parts);
        free(j->share_txn);
        free(j);
        j = next;
    }
}

job *matrix_job_new(job_kind kind, const char *room)
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

void matrix_job_push(matrix *m, job *j)
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

void matrix_job_push_front(matrix *m, job *j)
{
    if (!j)
        return;
    j->next = m->head;
    m->head = j;
    if (!m->tail)
        m->tail = j;
}

void matrix_queue_pending(matrix *m, int front, job **list)
{
    char **txns = NULL;
    size_t n = m->e2ee ? matrix_e2ee_take_pending(m->e2ee, &txns) : 0;
    job *first = NULL, **end = &first;
    for (size_t i = 0; i < n; i++) {
        job *j = matrix_job_new(JOB_TODEVICE, "");
        if (j && !(j->text = sb_strdup(txns[i]))) {
            matrix_job_free(j);
            j = NULL;
        }
        if (!j)
            continue; /* it stays pending and goes after the next restart */
        *end = j;
        end = &j->next;
    }
    matrix_e2ee_strings_free(txns, n);
    if (!first)
        return;
    if (front) {
        *end = m->head;
        m->head = first;
        if (!m->tail)
            for (m->tail = first; m->tail->next; m->tail = m->tail->next)
                ;
    } else {
        job **at = list;
        while (*at)
            at = &(*at)->next;
        *at = first;
    }
}

/* ---- the core's side: called on the core thread ---- */

static void matrix_send(sb_adapter *a, const sb_outbound *msg)
{
    matrix *m = a->impl;
    job *j = matrix_job_new(JOB_SEND, msg->room);
    if (!j || !(j->text = sb_strdup(msg->text))) {
        matrix_job_free(j); /* the row stays unsent in the outbox and goes out after a restart */
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

static void matrix_forgot(sb_adapter *a, const char *person)
{
    matrix *m = a->impl;
    pthread_mutex_lock(&m->mu);
    if (m->forgotten)
        json_array_append_new(m->forgotten, json_string(person));
    pthread_mutex_unlock(&m->mu);
    curl_multi_wakeup(m->multi);
}

static void matrix_committed(sb_adapter *a, uint64_t seq)
{
    matrix *m = a->impl;
    pthread_mutex_lock(&m->mu);
    if (seq > m->committed)
        m->committed = seq;
    m->core_started = 1;
    pthread_mutex_unlock(&m->mu);
    curl_multi_wakeup(m->multi);
}

/* Moves queued sends onto the work queue, and once the core has started, the receipts
 * the last run owed behind them; returns 1 when stopping. */
static int take_inbox(matrix *m, uint64_t *committed)
{
    pthread_mutex_lock(&m->mu);
    job *in = m->in_head;
    m->in_head = m->in_tail = NULL;
    *committed = m->committed;
    int started = m->core_started;
    int stopping = m->stopping;
    json_t *forgotten = NULL;
    if (json_array_size(m->forgotten)) {
        forgotten = m->forgotten;
        m->forgotten = json_array();
    }
    pthread_mutex_unlock(&m->mu);
    size_t i;
    json_t *person;
    json_array_foreach(forgotten, i, person)
        if (m->e2ee)
            matrix_e2ee_forget(m->e2ee, json_string_value(person));
    json_decref(forgotten);
    while (in) {
        job *next = in->next;
        matrix_job_push(m, in);
        in = next;
    }
    /* A receipt the last run owed marks messages whose replies it may not have sent: the
     * core re-sends those before it says it has started (under mu, so they are all in the
     * inbox taken above or earlier), and the receipt follows them, as it would have. */
    while (started && m->owed_jobs) {
        job *j = m->owed_jobs;
        m->owed_jobs = j->next;
        matrix_job_push(m, j);
    }
    return stopping;
}

/* ---- batches to the core ---- */

int matrix_post_batch(matrix *m, matrix_batch *b, const char *key, const char *value,
                      uint64_t *seq)
{
    if (seq)
        *seq = 0;
    int rc = SB_OK;
    sb_batch *batch = calloc(1, sizeof *batch);
    if (!batch || (key && (!(batch->resume_key = sb_strdup(key)) ||
                           !(batch->resume_value = sb_strdup(value)))))
        rc = SB_ENOMEM;
    else if (m->e2ee)
        rc = matrix_e2ee_changes(m->e2ee, &batch->changes, &batch->change_count);
    if (rc != SB_OK)
        goto fail;
    batch->events = b ? b->events : NULL;
    batch->count = b ? b->count : 0;
    if (b)
        b->events = NULL, b->count = b->cap = 0;
    batch->seq = ++m->seq;
    if (seq)
        *seq = batch->seq;
    sb_core_post_batch(m->core, &m->base, batch); /* batch belongs to the core from here */
    return SB_OK;
fail:
    sb_batch_free(batch);
    matrix_batch_clear(b);
    return rc;
}

int matrix_keep_resume(matrix *m, const char *key, const char *value)
{
    return matrix_post_batch(m, NULL, key, value, NULL);
}

/* ---- requests ---- */

int matrix_lane_start(matrix *m, lane *l, const char *method, sb_buf *path, json_t *body, int auth,
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
    if (rc != SB_OK)
        matrix_lane_back_off(m, l);
    return rc;
}

void matrix_lane_back_off(matrix *m, lane *l)
{
    l->failures++;
    l->not_before = matrix_now_ms() + matrix_backoff_ms(l->failures, m->backoff_min_ms,
                                                        m->backoff_max_ms, rand_r(&m->random_state));
}

void matrix_lane_retry(matrix *m, lane *l, matrix_outcome o, long wait_ms, const char *what,
                       long status, const char *errcode)
{
    long delay = wait_ms;
    if (o != MATRIX_RATE_LIMITED || wait_ms < 0) {
        l->failures++;
        delay = matrix_backoff_ms(l->failures, m->backoff_min_ms, m->backoff_max_ms,
                                  rand_r(&m->random_state));
    }
    l->not_before = matrix_now_ms() + delay;
    sb_log(o == MATRIX_RATE_LIMITED ? "info" : "warn", "matrix",
           "%s: %s (HTTP %ld%s%s%s%s); retrying in %ld ms", what, matrix_outcome_name(o), status,
           errcode[0] ? " " : "", errcode, l->req.error[0] ? ": " : "", l->req.error, delay);
}

/* The homeserver no longer accepts the token: log in again, or stop when we cannot. */
void matrix_auth_lost(matrix *m, const char *errcode)
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

void matrix_fatal(matrix *m, const char *reason)
{
    sb_log("error", "matrix", "%s", reason);
    sb_core_fatal(m->core, &m->base, reason);
    m->state = ST_DEAD;
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
        int64_t now = matrix_now_ms();
        m->seen_committed = committed;
        if (m->state == ST_WAIT_COMMIT && committed >= m->awaited_seq)
            matrix_poll_committed(m);
        if (m->state != ST_WAIT_COMMIT && m->state != ST_DEAD && !m->sync.req.easy &&
            now >= m->sync.not_before)
            matrix_poll_step(m);
        matrix_poll_typing(m, now);
        matrix_work_step(m, now);
        long wait = 1000;
        if (m->typing_wait)
            wait = until(m->typing_at, now, wait);
        if (!m->sync.req.easy && m->state != ST_WAIT_COMMIT)
            wait = until(m->sync.not_before, now, wait);
        if (!m->work.req.easy && (m->head || m->current))
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
                matrix_poll_done(m, result);
            else if (easy == m->work.req.easy)
                matrix_work_done(m, result);
        }
    }
    matrix_request_clear(&m->sync.req, m->multi);
    matrix_request_clear(&m->work.req, m->multi);
    return NULL;
}

/* ---- the adapter interface ---- */

/* sb_core_state_each callback: keeps a copy of each stored value for the e2ee machine,
 * which is made once whoami has named the user and device. */
static int keep_state(void *ctx, const char *key, const char *value, const char *owner)
{
    (void)owner;
    matrix *m = ctx;
    json_t *pair = json_pack("[s,s]", key, value);
    return pair && json_array_append_new(m->stored, pair) == 0 ? SB_OK : SB_ENOMEM;
}

static int matrix_start(sb_adapter *a, sb_core *core)
{
    matrix *m = a->impl;
    m->core = core;
    if (m->encryption) {
        int rc = sb_core_state_each(core, a, keep_state, m);
        if (rc != SB_OK) {
            sb_log("error", "matrix", "cannot read the stored encryption state: %s",
                   sb_strerror(rc));
            return rc;
        }
    }
    char *position = sb_core_resume_get(core, a, "next_batch");
    if (position)
        matrix_poll_resume(m, position);
    free(position);
    m->first_start = m->since == NULL; /* also when the stored value is unreadable */
    if (!m->device_id)
        m->device_id = sb_core_resume_get(core, a, "device_id");
    /* The token of the last login is reused: Synapse before 1.90 scopes transaction ids to
     * the access token, so a reply re-sent under a new token after a crash would be stored
     * twice (and every login leaves one more live token on the device). */
    if (!m->token && m->password) {
        m->token = sb_core_resume_get(core, a, "access_token");
        m->token_stored = m->token != NULL;
    }
    m->filter_id = sb_core_resume_get(core, a, "filter_id");
    m->filter_stored = m->filter_id != NULL;
    m->state = m->token ? ST_WHOAMI : ST_LOGIN;
    m->start_ms = (int64_t)time(NULL) * 1000;
    m->random_state = (unsigned)time(NULL) ^ (unsigned)getpid();
    if (pthread_create(&m->thread, NULL, thread_main, m) != 0)
        return SB_ENOMEM;
    m->started = 1;
    sb_log("info", "matrix", "starting against %s (%s; encryption %s)", m->homeserver,
           m->first_start ? "first start: history is skipped" : "resuming",
           m->encryption ? "on" : "off");
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
    matrix_job_free(m->in_head);
    matrix_job_free(m->head);
    matrix_job_free(m->current);
    matrix_job_free(m->after_commit);
    matrix_job_free(m->typing_wait);
    matrix_job_free(m->owed_jobs);
    matrix_request_clear(&m->sync.req, m->multi);
    matrix_request_clear(&m->work.req, m->multi);
    if (m->multi)
        curl_multi_cleanup(m->multi);
    matrix_rooms_free(m->rooms);
    json_decref(m->owed);
    matrix_e2ee_free(m->e2ee);
    json_decref(m->stored);
    json_decref(m->keys_body);
    json_decref(m->forgotten);
    if (m->pickle_key)
        matrix_crypto_wipe_free(m->pickle_key, m->pickle_key_len);
    matrix_gap_clear(m);
    matrix_sync_free(m->held);
    char *strings[] = {m->homeserver, m->user_id, m->password, m->token, m->device_name,
                       m->device_id, m->allowed_users, m->allowed_servers, m->msgtype,
                       m->self, m->since, m->pending_since, m->filter_id, m->config_device};
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
    m->config_device = setting(cfg, "device_id", &ok);
    m->allowed_users = setting(cfg, "allowed_users", &ok);
    m->allowed_servers = setting(cfg, "allowed_servers", &ok);
    const char *type = config_get(cfg, "matrix", "msgtype");
    m->msgtype = sb_strdup(!type || strcmp(type, "notice") == 0 ? "m.notice"
                           : strcmp(type, "text") == 0          ? "m.text"
                                                                : "");
    m->encryption = config_get_bool(cfg, "matrix", "encryption", 1);
    m->stored = json_array();
    m->forgotten = json_array();
    char key_problem[512] = "";
    if (m->encryption &&
        matrix_pickle_key_load(&m->pickle_key, &m->pickle_key_len, key_problem,
                               sizeof key_problem) != SB_OK)
        m->pickle_key = NULL;
    m->sync_timeout_ms = config_get_long(cfg, "matrix", "sync_timeout_ms", 30000);
    m->backoff_min_ms = config_get_long(cfg, "matrix", "backoff_min_ms", 1000);
    m->backoff_max_ms = config_get_long(cfg, "matrix", "backoff_max_ms", 300000);
    m->typing_delay_ms = config_get_long(cfg, "matrix", "typing_delay_ms", 1500);
    m->rooms = matrix_rooms_new();
    m->multi = curl_multi_init();
    pthread_mutex_init(&m->mu, NULL);
    m->base = (sb_adapter){.name = "matrix", .impl = m, .start = matrix_start,
                           .send = matrix_send, .committed = matrix_committed,
                           .forgot = matrix_forgot, .stop = matrix_stop,
                           .destroy = matrix_destroy};
    const char *problem = NULL;
    char encryption_problem[640];
    if (!ok || !m->msgtype || !m->rooms || !m->multi || !m->stored || !m->forgotten)
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
    else if (m->typing_delay_ms < 0 || m->typing_delay_ms > TYPING_TIMEOUT_MS)
        problem = "[matrix] typing_delay_ms must be between 0 and 30000";
    else if (m->encryption && !m->pickle_key) {
        snprintf(encryption_problem, sizeof encryption_problem,
                 "[matrix] encryption = yes needs a pickle key: %s (or set encryption = no)",
                 key_problem);
        problem = encryption_problem;
    }
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
