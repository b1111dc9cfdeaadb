/* matrix_poll.c — the Matrix adapter's sync lane, one request at a time: log in (password),
 * check the token (whoami), upload the filter, a boot sync without since (rooms rebuilt,
 * history skipped), then /sync with since after each commit; a timeline cut short (limited)
 * is completed from /messages before the sync goes to the core as one batch. What login and
 * whoami answer is matrix_login.c's. */
#include "matrix_crypto.h"
#include "matrix_impl.h"
#include "metrics.h"
#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const state_names[] = {"login", "whoami", "key upload", "filter",
                                          "boot sync", "sync", "messages", "wait for commit",
                                          "stopped"};

sync_state matrix_state_after(matrix *m, int keys)
{
    if (keys && m->e2ee && matrix_e2ee_needs_upload(m->e2ee))
        return ST_KEYS;
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

/* Starts the sync lane's request when its path and body were made (rc SB_OK); otherwise
 * nothing is started, and the lane backs off as after a failed request. */
static void start(matrix *m, int rc, const char *method, sb_buf *path, json_t *body, int auth,
                  long timeout_ms, size_t cap)
{
    if (rc == SB_OK) {
        matrix_lane_start(m, &m->sync, method, path, body, auth, timeout_ms, cap);
        return;
    }
    sb_buf_free(path);
    json_decref(body);
    matrix_lane_back_off(m, &m->sync);
}

void matrix_poll_step(matrix *m)
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
        start(m, rc, "POST", &path, body, 0, REQUEST_TIMEOUT_MS, SMALL_CAP);
        break;
    }
    case ST_WHOAMI:
        if (sb_buf_puts(&path, API "account/whoami") != SB_OK)
            rc = SB_ENOMEM;
        start(m, rc, "GET", &path, NULL, 1, REQUEST_TIMEOUT_MS, SMALL_CAP);
        break;
    case ST_KEYS:
        /* The keys are made, then committed, then uploaded: a one-time key the server hands
         * out is always one the store keeps. */
        if (!m->keys_body) {
            m->keys_body = matrix_e2ee_upload_body(m->e2ee);
            if (!m->keys_body) { /* nothing to upload after all (or no memory: next time) */
                m->state = matrix_state_after(m, 0);
                return;
            }
            if (matrix_post_batch(m, NULL, NULL, NULL, &m->keys_seq) != SB_OK) {
                json_decref(m->keys_body);
                m->keys_body = NULL;
                m->sync.failures++;
                m->sync.not_before = matrix_now_ms() + m->backoff_min_ms;
                return;
            }
        }
        if (m->seen_committed < m->keys_seq)
            return;
        if (sb_buf_puts(&path, API "keys/upload") != SB_OK)
            rc = SB_ENOMEM;
        start(m, rc, "POST", &path, json_incref(m->keys_body), 1,
                          REQUEST_TIMEOUT_MS, SMALL_CAP);
        break;
    case ST_FILTER:
        if (sb_buf_puts(&path, API "user/") != SB_OK || matrix_url_segment(&path, m->self) ||
            sb_buf_puts(&path, "/filter") != SB_OK)
            rc = SB_ENOMEM;
        start(m, rc, "POST", &path, filter_json(), 1, REQUEST_TIMEOUT_MS, SMALL_CAP);
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
        start(m, rc, "GET", &path, NULL, 1, timeout + REQUEST_TIMEOUT_MS, SYNC_CAP);
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
        start(m, rc, "GET", &path, NULL, 1, REQUEST_TIMEOUT_MS, SYNC_CAP);
        break;
    }
    case ST_WAIT_COMMIT:
    case ST_DEAD:
        break;
    }
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
        job *j = matrix_job_new(kinds[x->kind], x->room);
        if (j && x->event_id && !(j->event_id = sb_strdup(x->event_id))) {
            matrix_job_free(j);
            j = NULL;
        }
        if (!j)
            continue; /* joins and leaves come again with the next sync; receipts can wait */
        j->flag = x->on;
        if (!list && j->kind == JOB_TYPING && j->flag && m->typing_delay_ms > 0) {
            /* A reply that comes quickly needs no typing indicator (two requests saved):
             * it shows only when the batch is not committed within the delay. */
            j->next = m->typing_wait;
            m->typing_wait = j;
            m->typing_at = matrix_now_ms() + m->typing_delay_ms;
        } else if (list) { /* after the commit: kept in order */
            job **end = list;
            while (*end)
                end = &(*end)->next;
            *end = j;
        } else {
            matrix_job_push(m, j);
        }
    }
}

/* The resume value committed with a sync batch: the next since token and every read receipt
 * still owed (earlier ones not yet sent, and this batch's), so that receipts lost with a
 * killed process are sent after the restart ({"since": "...", "receipts": {"!room":
 * "$event"}}). m->owed becomes that set. NULL when memory runs out (m->owed unchanged). */
static char *resume_value(matrix *m, const char *since, const matrix_actions *later)
{
    json_t *owed = m->owed ? json_deep_copy(m->owed) : json_object();
    for (size_t i = 0; owed && i < later->count; i++)
        if (later->items[i].kind == MATRIX_ACT_RECEIPT)
            json_object_set_new(owed, later->items[i].room, json_string(later->items[i].event_id));
    json_t *v = owed ? json_pack("{s:s, s:O}", "since", since, "receipts", owed) : NULL;
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!text) {
        json_decref(owed);
        return NULL;
    }
    json_decref(m->owed);
    m->owed = owed;
    return text;
}

void matrix_poll_resume(matrix *m, const char *value)
{
    json_t *v = value && value[0] == '{' ? json_loads(value, 0, NULL) : NULL;
    const char *since = v ? json_string_value(json_object_get(v, "since")) : value;
    free(m->since);
    m->since = sb_strdup(since);
    const char *room;
    json_t *event;
    json_t *owed = json_object_get(v, "receipts");
    if (json_is_object(owed)) {
        json_decref(m->owed);
        m->owed = json_incref(owed);
    }
    /* A receipt still owed means the last run died after answering there and before its
     * after-commit jobs went out: the typing indicator it set is still on, so it goes off
     * too (pushed first, it is sent after the receipt). They wait in m->owed_jobs until the
     * core has handed over the replies they follow (matrix.c take_inbox). */
    json_object_foreach(owed, room, event) {
        job *off = matrix_job_new(JOB_TYPING, room);
        if (off) {
            off->flag = 0;
            off->next = m->owed_jobs;
            m->owed_jobs = off;
        }
        job *j = matrix_job_new(JOB_RECEIPT, room);
        if (j && !(j->event_id = sb_strdup(json_string_value(event)))) {
            matrix_job_free(j);
            continue;
        }
        if (j) {
            j->next = m->owed_jobs;
            m->owed_jobs = j;
        }
    }
    json_decref(v);
}

/* Where the lane goes after a sync is handled: a key upload when the sync asked for one. */
static sync_state after_sync(matrix *m)
{
    return m->e2ee && matrix_e2ee_needs_upload(m->e2ee) ? ST_KEYS : ST_SYNC;
}

/* The encryption side of a sync, before its rooms are applied: key counts, device lists,
 * room keys from to-device messages, then each encrypted event decrypted in place (or
 * marked unreadable, a key request queued). A non-first boot sync is not committed: its
 * to-device messages come again with the stored since, and its timelines are history. */
static void crypto_sync(matrix *m, matrix_sync *s, int boot)
{
    matrix_e2ee *e = m->e2ee;
    if (!e)
        return;
    matrix_e2ee_key_counts(e, s->one_time_keys, s->fallback_unused);
    if (!boot || m->first_start) {
        matrix_e2ee_device_lists(e, s->keys_changed, s->keys_changed_count, s->keys_left,
                                 s->keys_left_count);
        matrix_e2ee_to_device(e, s->to_device);
    }
    for (size_t r = 0; r < s->joined_count; r++) {
        matrix_room *jr = &s->joined[r];
        if (jr->rotation_ms > 0 || jr->rotation_msgs > 0)
            matrix_e2ee_rotation(e, jr->room_id, jr->rotation_ms, jr->rotation_msgs);
        for (size_t i = 0; i < jr->event_count; i++) {
            matrix_event *ev = &jr->events[i];
            if (ev->kind == MATRIX_EVENT_MEMBER) {
                matrix_e2ee_membership(e, jr->room_id,
                                       strcmp(ev->membership, "leave") == 0 ||
                                           strcmp(ev->membership, "ban") == 0);
                continue;
            }
            if (boot || ev->kind != MATRIX_EVENT_ENCRYPTED || !ev->encrypted || !ev->sender)
                continue;
            char *plain = NULL;
            int rc = matrix_e2ee_decrypt(e, jr->room_id, ev->sender, ev->encrypted, &plain);
            if (rc == SB_OK)
                rc = matrix_event_decrypted(ev, plain, m->self);
            if (plain)
                matrix_crypto_wipe_string(plain);
            if (rc != SB_OK && ev->kind == MATRIX_EVENT_ENCRYPTED) {
                ev->unreadable = 1;
                sb_log("warn", "matrix", "could not decrypt an event room=%s event=%s reason=\"%s\"", jr->room_id,
                       ev->event_id ? ev->event_id : "?", sb_strerror(rc));
            }
        }
    }
}

/* Applies a parsed sync (taken over); boot: the first sync of this start (no since). */
static int apply_sync(matrix *m, matrix_sync *s, int boot)
{
    int rc;
    matrix_policy policy = {m->self, m->allowed_users, m->allowed_servers};
    crypto_sync(m, s, boot);
    matrix_batch batch = {0};
    matrix_actions now = {0}, later = {0};
    int announce = boot && m->first_start;
    rc = matrix_rooms_apply(m->rooms, s, &policy, boot, announce, &batch, &now, &later);
    if (rc == SB_OK) {
        queue_actions(m, &now, NULL);
        int idle = !announce && batch.count == 0 && m->since && strcmp(m->since, s->next_batch) == 0;
        if (boot && !m->first_start) {
            m->state = after_sync(m); /* carry on from the stored position */
        } else if (idle) {
            m->state = after_sync(m);
        } else {
            free(m->pending_since);
            m->pending_since = sb_strdup(s->next_batch);
            char *value = resume_value(m, s->next_batch, &later);
            uint64_t seq = 0;
            rc = m->pending_since && value
                     ? matrix_post_batch(m, &batch, "next_batch", value, &seq)
                     : SB_ENOMEM;
            free(value);
            if (rc == SB_OK) {
                matrix_job_free(m->after_commit);
                m->after_commit = NULL;
                queue_actions(m, &later, &m->after_commit);
                matrix_queue_pending(m, 0, &m->after_commit); /* key requests, once durable */
                m->awaited_seq = seq;
                m->awaiting = 1;
                m->state = ST_WAIT_COMMIT;
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

void matrix_gap_clear(matrix *m)
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
    matrix_gap_clear(m);
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
    if (n)
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
    metrics_adapter_contact("matrix", (int64_t)time(NULL)); /* for /healthz, even when idle */
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

static int on_answer(matrix *m, const char *body, size_t len)
{
    char *v = NULL;
    int rc = SB_OK;
    switch (m->state) {
    case ST_LOGIN:
        return matrix_login_answer(m, body, len);
    case ST_WHOAMI:
        return matrix_whoami_answer(m, body, len);
    case ST_KEYS:
        matrix_e2ee_uploaded(m->e2ee, body, len);
        json_decref(m->keys_body);
        m->keys_body = NULL;
        m->state = matrix_state_after(m, 0);
        return SB_OK;
    case ST_FILTER:
        if ((rc = matrix_field_parse(body, len, "filter_id", &v)) != SB_OK)
            return rc;
        matrix_remember(m, "filter_id", &m->filter_id, v);
        m->filter_stored = 0;
        m->state = matrix_state_after(m, 1);
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

void matrix_poll_done(matrix *m, CURLcode result)
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
        matrix_auth_lost(m, errcode);
        return;
    }
    if (o == MATRIX_REFUSED || o == MATRIX_UNAUTHORIZED) {
        if (m->state == ST_LOGIN || m->state == ST_WHOAMI) {
            char reason[256];
            snprintf(reason, sizeof reason,
                     "matrix: the homeserver refused the %s (HTTP %ld %s); check homeserver, "
                     "user_id and password or access_token", what, status, errcode);
            matrix_fatal(m, reason);
            return;
        }
        if (m->state == ST_KEYS) {
            json_decref(m->keys_body);
            m->keys_body = NULL;
            if (matrix_e2ee_upload_refused(m->e2ee)) {
                sb_log("warn", "matrix", "the homeserver refused our one-time keys (HTTP %ld "
                       "%s): dropped, new ones follow", status, errcode);
                m->state = matrix_state_after(m, 0);
                return;
            }
            char reason[256];
            snprintf(reason, sizeof reason, "matrix: the homeserver refused the encryption keys "
                     "(HTTP %ld %s); see the log, or set encryption = no", status, errcode);
            matrix_fatal(m, reason);
            return;
        }
        if (m->state == ST_GAP) {
            sb_log("warn", "matrix", "/messages refused (HTTP %ld %s): going on without the "
                   "rest of that timeline", status, errcode);
            if (gap_done(m) != SB_OK)
                matrix_lane_retry(m, &m->sync, MATRIX_TRANSIENT, -1, what, status, errcode);
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
    matrix_lane_retry(m, &m->sync, o, wait, what, status, errcode);
}

void matrix_poll_typing(matrix *m, int64_t now)
{
    while (m->typing_wait && now >= m->typing_at) {
        job *j = m->typing_wait;
        m->typing_wait = j->next;
        j->next = NULL;
        matrix_job_push(m, j);
    }
}

/* 1 when list holds a typing job for room. */
static int typing_for(const job *list, const char *room)
{
    for (; list; list = list->next)
        if (list->kind == JOB_TYPING && strcmp(list->room, room) == 0)
            return 1;
    return 0;
}

void matrix_poll_committed(matrix *m)
{
    free(m->since);
    m->since = m->pending_since;
    m->pending_since = NULL;
    m->awaiting = 0;
    /* Typing never shown needs no typing-off: both go. */
    for (job **at = &m->after_commit; *at;) {
        job *j = *at;
        if (j->kind == JOB_TYPING && !j->flag && typing_for(m->typing_wait, j->room)) {
            *at = j->next;
            j->next = NULL;
            matrix_job_free(j);
        } else {
            at = &j->next;
        }
    }
    matrix_job_free(m->typing_wait);
    m->typing_wait = NULL;
    while (m->after_commit) { /* receipts and typing-off go after the replies just queued */
        job *j = m->after_commit;
        m->after_commit = j->next;
        matrix_job_push(m, j);
    }
    m->state = after_sync(m);
}
