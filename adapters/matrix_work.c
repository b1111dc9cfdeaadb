/* matrix_work.c — the Matrix adapter's work lane: replies (PUT .../send/m.room.message/
 * sb{outbox id}, Markdown rendered to body and formatted_body; a long one as several
 * events sb{id}, sb{id}.1, ... cut by matrix_split.c), joins, leaves, typing and
 * read receipts, one request at a time in queue order, so receipts and typing-off follow
 * the replies they belong to. Transient failures retry the same job; refusals give it up.
 * In an encrypted room a reply goes through stages (matrix_impl.h send_stage): members,
 * device keys and Olm sessions are fetched, the parts are encrypted, the ratchets that
 * made them are committed with a batch of their own, the room key goes to the devices
 * that lack it (PUT /sendToDevice, its own txn id), then the parts go out as
 * m.room.encrypted under the same txn ids as ever, so a re-send after a crash is still
 * dropped by the homeserver. Pending to-device messages (key shares and key requests
 * left by a crash) are jobs of their own. */
#include "markdown.h"
#include "matrix_crypto.h"
#include "matrix_impl.h"
#include "matrix_split.h"
#include "metrics.h"
#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What start_job did: a request is in flight, or the job waits (for a commit), or it has
 * nothing left to do. Negative: an SB_E* error (the job is retried after a backoff). */
enum { STARTED = 0, PARKED = 1, FINISHED = 2 };

/* The content of one reply part: its Markdown as plain body and HTML. */
static json_t *reply_content(const matrix *m, const char *text)
{
    char *plain = markdown_to_plain(text);
    char *html = markdown_to_html(text);
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "msgtype", m->msgtype, "body",
                             plain ? plain : text, "format", "org.matrix.custom.html",
                             "formatted_body", html ? html : "");
    free(plain);
    free(html);
    return body;
}

/* The transaction id of the job's current part: sb{id}[.k], or for a crisis fallback
 * without an outbox row an id unique to this run. */
static void part_txn(const matrix *m, const job *j, char *txn, size_t size)
{
    char suffix[24] = "";
    if (j->part > 0)
        snprintf(suffix, sizeof suffix, ".%zu", j->part);
    if (j->id > 0)
        snprintf(txn, size, "sb%lld%s", (long long)j->id, suffix);
    else
        snprintf(txn, size, "sbc%lld_%lld%s", (long long)m->start_ms, (long long)-j->id, suffix);
}

static int room_path(sb_buf *path, const char *room, const char *what, const char *type,
                     const char *txn)
{
    int rc = sb_buf_puts(path, "rooms/");
    if (rc == SB_OK)
        rc = matrix_url_segment(path, room);
    if (rc == SB_OK)
        rc = sb_buf_puts(path, what);
    if (rc == SB_OK && type && (rc = matrix_url_segment(path, type)) == SB_OK)
        rc = sb_buf_puts(path, "/");
    if (rc == SB_OK && txn)
        rc = matrix_url_segment(path, txn);
    return rc;
}

/* Splits the job's text (deterministically: re-sends reuse every part's id) into parts;
 * their count goes into j->parts. */
static size_t split_job(job *j, char ***parts)
{
    size_t n = matrix_split(j->text, MATRIX_PART_MAX, parts);
    if (n) {
        j->parts = n;
        if (j->part >= n)
            j->part = n - 1;
    }
    return n;
}

static int start_plain_send(matrix *m, job *j, sb_buf *path, json_t **body)
{
    char **parts = NULL;
    size_t nparts = split_job(j, &parts);
    if (nparts == 0)
        return SB_ENOMEM;
    char txn[80];
    part_txn(m, j, txn, sizeof txn);
    *body = reply_content(m, parts[j->part]);
    matrix_split_free(parts, nparts);
    return room_path(path, j->room, "/send/", "m.room.message", txn);
}

/* Encrypts every part at once (the ratchets advance once per part), then parks the job
 * until the batch carrying them is committed; a crisis fallback goes at once (invariant 5:
 * it is sent exactly when the store is failing). */
static int encrypt_parts(matrix *m, job *j)
{
    char **parts = NULL;
    size_t nparts = split_job(j, &parts);
    if (nparts == 0)
        return SB_ENOMEM;
    char **contents = calloc(nparts, sizeof *contents);
    int rc = contents ? SB_OK : SB_ENOMEM;
    for (size_t i = 0; i < nparts && rc == SB_OK; i++) {
        json_t *c = reply_content(m, parts[i]);
        contents[i] = c ? json_dumps(c, JSON_COMPACT) : NULL;
        json_decref(c);
        if (!contents[i])
            rc = SB_ENOMEM;
    }
    matrix_split_free(parts, nparts);
    if (rc == SB_OK)
        rc = matrix_e2ee_encrypt(m->e2ee, j->room, (const char *const *)contents, nparts,
                                 (int64_t)time(NULL) * 1000, &j->cipher, &j->share_txn);
    for (size_t i = 0; contents && i < nparts; i++)
        if (contents[i])
            matrix_crypto_wipe_string(contents[i]);
    free(contents);
    if (rc != SB_OK)
        return rc;
    if (j->id <= 0) {
        j->stage = SEND_SHARE;
        return SB_OK;
    }
    rc = matrix_post_batch(m, NULL, NULL, NULL, &j->awaited);
    if (rc != SB_OK) {
        /* Not committed: these ciphertexts must never leave. Encrypt again next time. */
        matrix_e2ee_strings_free(j->cipher, nparts);
        j->cipher = NULL;
        free(j->share_txn);
        j->share_txn = NULL;
        return rc;
    }
    j->stage = SEND_WAIT_COMMIT;
    return SB_OK;
}

/* The next request of a reply to an encrypted room, or PARKED while its commit is due. */
static int start_encrypted_send(matrix *m, job *j, sb_buf *path, json_t **body,
                                const char **method)
{
    for (;;) {
        switch (j->stage) {
        case SEND_PREPARE: {
            matrix_e2ee_need need;
            json_t *request = NULL;
            int rc = matrix_e2ee_prepare(m->e2ee, j->room, &need, &request);
            if (rc != SB_OK)
                return rc;
            j->asked = (int)need;
            if (need == MATRIX_E2EE_MEMBERS) {
                *method = "GET";
                return room_path(path, j->room, "/joined_members", NULL, NULL);
            }
            if (need == MATRIX_E2EE_QUERY || need == MATRIX_E2EE_CLAIM) {
                *method = "POST";
                *body = request;
                return sb_buf_puts(path, need == MATRIX_E2EE_QUERY ? "keys/query" : "keys/claim");
            }
            if ((rc = encrypt_parts(m, j)) != SB_OK)
                return rc;
            continue;
        }
        case SEND_WAIT_COMMIT:
            if (m->seen_committed < j->awaited)
                return PARKED;
            j->stage = SEND_SHARE;
            continue;
        case SEND_SHARE: {
            const char *type = NULL;
            if (!j->share_txn ||
                matrix_e2ee_pending_body(m->e2ee, j->share_txn, &type, body) == SB_ENOTFOUND) {
                j->stage = SEND_PARTS;
                continue;
            }
            *method = "PUT";
            int rc = sb_buf_puts(path, "sendToDevice/");
            if (rc == SB_OK && (rc = matrix_url_segment(path, type)) == SB_OK &&
                (rc = sb_buf_puts(path, "/")) == SB_OK)
                rc = matrix_url_segment(path, j->share_txn);
            return *body ? rc : SB_ENOMEM;
        }
        case SEND_PARTS: {
            char txn[80];
            part_txn(m, j, txn, sizeof txn);
            *method = "PUT";
            *body = json_loads(j->cipher[j->part], 0, NULL);
            return room_path(path, j->room, "/send/", "m.room.encrypted", txn);
        }
        }
    }
}

static int start_job(matrix *m, job *j)
{
    sb_buf path = {0};
    json_t *body = NULL;
    const char *method = "POST";
    int rc = sb_buf_puts(&path, API);
    switch (j->kind) {
    case JOB_SEND:
        method = "PUT";
        if (rc != SB_OK)
            break;
        if (m->e2ee && matrix_rooms_encrypted(m->rooms, j->room) == 1)
            rc = start_encrypted_send(m, j, &path, &body, &method);
        else
            rc = start_plain_send(m, j, &path, &body);
        if (rc == PARKED) {
            sb_buf_free(&path);
            json_decref(body);
            return PARKED;
        }
        if (rc == SB_OK && strcmp(method, "GET") == 0) {
            rc = matrix_lane_start(m, &m->work, method, &path, NULL, 1, REQUEST_TIMEOUT_MS,
                                   SMALL_CAP);
            return rc == SB_OK ? STARTED : rc;
        }
        break;
    case JOB_TODEVICE: {
        const char *type = NULL;
        if (!m->e2ee || matrix_e2ee_pending_body(m->e2ee, j->text, &type, &body) == SB_ENOTFOUND) {
            sb_buf_free(&path);
            return FINISHED;
        }
        method = "PUT";
        if (rc == SB_OK && (rc = sb_buf_puts(&path, "sendToDevice/")) == SB_OK &&
            (rc = matrix_url_segment(&path, type)) == SB_OK &&
            (rc = sb_buf_puts(&path, "/")) == SB_OK)
            rc = matrix_url_segment(&path, j->text);
        break;
    }
    case JOB_JOIN:
        body = json_object();
        if (rc == SB_OK && (rc = sb_buf_puts(&path, "join/")) == SB_OK)
            rc = matrix_url_segment(&path, j->room);
        break;
    case JOB_LEAVE:
        body = json_object();
        if (rc == SB_OK)
            rc = room_path(&path, j->room, "/leave", NULL, NULL);
        break;
    case JOB_TYPING:
        method = "PUT";
        body = j->flag ? json_pack("{s:b, s:i}", "typing", 1, "timeout", TYPING_TIMEOUT_MS)
                       : json_pack("{s:b}", "typing", 0);
        if (rc == SB_OK && (rc = room_path(&path, j->room, "/typing/", NULL, NULL)) == SB_OK)
            rc = matrix_url_segment(&path, m->self);
        break;
    case JOB_RECEIPT:
        body = json_object();
        if (rc == SB_OK && (rc = room_path(&path, j->room, "/receipt/m.read/", NULL, NULL)) == SB_OK)
            rc = matrix_url_segment(&path, j->event_id);
        break;
    }
    if (rc != SB_OK || !body) {
        sb_buf_free(&path);
        json_decref(body);
        m->work.failures++;
        m->work.not_before = matrix_now_ms() + matrix_backoff_ms(m->work.failures, m->backoff_min_ms,
                                                         m->backoff_max_ms, rand_r(&m->random_state));
        return rc != SB_OK ? rc : SB_ENOMEM;
    }
    rc = matrix_lane_start(m, &m->work, method, &path, body, 1, REQUEST_TIMEOUT_MS, SMALL_CAP);
    return rc == SB_OK ? STARTED : rc;
}

/* With encryption on, no reply goes out before the boot sync said which rooms are
 * encrypted: one sent in plain text to an encrypted room cannot be taken back. */
static int held_back(const matrix *m, const job *j)
{
    return j->kind == JOB_SEND && m->encryption && (!m->e2ee || !m->booted);
}

static void requeue_front(matrix *m, job *j)
{
    m->current = NULL;
    matrix_job_push_front(m, j);
}

void matrix_work_step(matrix *m, int64_t now)
{
    if (m->work.req.easy || !m->token || !m->self || m->state == ST_LOGIN ||
        m->state == ST_DEAD || now < m->work.not_before)
        return;
    job *j = m->current;
    if (!j) {
        if (!m->head || held_back(m, m->head))
            return;
        j = m->head;
        m->head = j->next;
        if (!m->head)
            m->tail = NULL;
        j->next = NULL;
        m->current = j;
    }
    int rc = start_job(m, j);
    if (rc == PARKED)
        return; /* stays current: goes on once its batch is committed */
    if (rc == FINISHED) {
        m->current = NULL;
        matrix_job_free(j);
        return;
    }
    if (rc != STARTED)
        requeue_front(m, j);
}

static const char *job_name(const job *j)
{
    static const char *const names[] = {"send", "join", "leave", "typing", "receipt",
                                        "to-device"};
    if (j->kind == JOB_SEND && j->stage == SEND_PREPARE && j->cipher == NULL && j->asked)
        return j->asked == MATRIX_E2EE_MEMBERS ? "members" :
               j->asked == MATRIX_E2EE_QUERY   ? "key query" : "key claim";
    if (j->kind == JOB_SEND && j->stage == SEND_SHARE)
        return "room key share";
    return names[j->kind];
}

/* An encrypted send's request finished with outcome o: 1 when the job was moved on (and
 * put back at the front), 0 when the ordinary handling of a part applies. */
static int encrypted_step_done(matrix *m, job *j, matrix_outcome o, const sb_buf *resp)
{
    const char *data = resp->data ? resp->data : "";
    if (j->stage == SEND_PREPARE && j->asked != MATRIX_E2EE_READY) {
        /* A refusal counts as "none": the send goes on to the devices that are known. */
        const char *answer = o == MATRIX_OK ? data : NULL;
        if (j->asked == MATRIX_E2EE_MEMBERS)
            matrix_e2ee_members(m->e2ee, j->room, answer, resp->len);
        else if (j->asked == MATRIX_E2EE_QUERY)
            matrix_e2ee_query_result(m->e2ee, answer, resp->len);
        else
            matrix_e2ee_claim_result(m->e2ee, answer, resp->len);
        j->asked = MATRIX_E2EE_READY;
        requeue_front(m, j);
        return 1;
    }
    if (j->stage == SEND_SHARE) {
        if (o == MATRIX_REFUSED)
            sb_log("warn", "matrix", "the room key share was refused: its devices cannot read what follows "
                   "room=%s", j->room);
        matrix_e2ee_pending_sent(m->e2ee, j->share_txn);
        free(j->share_txn);
        j->share_txn = NULL;
        j->stage = SEND_PARTS;
        requeue_front(m, j);
        return 1;
    }
    return 0;
}

void matrix_work_done(matrix *m, CURLcode result)
{
    long status = 0, wait = -1;
    char errcode[64];
    job *j = m->current;
    matrix_outcome o = matrix_request_finish(&m->work.req, m->multi, result, &status, &wait,
                                             errcode, sizeof errcode);
    sb_buf *resp = &m->work.req.response;
    /* A reply part (plain, or encrypted once prepared and shared) answers its event id. */
    int part = j->kind == JOB_SEND && !(j->stage == SEND_PREPARE && j->asked) &&
               j->stage != SEND_SHARE;
    if (o == MATRIX_OK && part) {
        char *event_id = NULL;
        if (matrix_field_parse(resp->data ? resp->data : "", resp->len, "event_id", &event_id) != SB_OK) {
            o = MATRIX_TRANSIENT; /* not known to be sent: the same txn id again is safe */
            snprintf(m->work.req.error, sizeof m->work.req.error, "no event_id in the answer");
        }
        free(event_id);
    }
    if (o == MATRIX_UNAUTHORIZED) {
        sb_buf_free(resp);
        matrix_auth_lost(m, errcode);
        return;
    }
    if ((o == MATRIX_OK || o == MATRIX_REFUSED) && j->kind == JOB_SEND && m->e2ee &&
        encrypted_step_done(m, j, o, resp)) {
        sb_buf_free(resp);
        m->work.failures = o == MATRIX_OK ? 0 : m->work.failures;
        return;
    }
    sb_buf_free(resp);
    if (o == MATRIX_OK || o == MATRIX_REFUSED) {
        m->work.failures = o == MATRIX_OK ? 0 : m->work.failures;
        if (o == MATRIX_REFUSED)
            sb_log("warn", "matrix", "%s in %s refused (HTTP %ld %s): giving it up",
                   job_name(j), j->room, status, errcode);
        else if (j->kind == JOB_JOIN)
            sb_log("info", "matrix", "joined %s", j->room);
        if (j->kind == JOB_TODEVICE && m->e2ee)
            matrix_e2ee_pending_sent(m->e2ee, j->text); /* sent, or never will be */
        if (o == MATRIX_OK && j->kind == JOB_SEND && j->part + 1 < j->parts) {
            j->part++; /* the next part goes first: a reply's parts arrive in order */
            requeue_front(m, j);
            return;
        }
        if (j->kind == JOB_SEND && j->id > 0)
            sb_core_sent(m->core, &m->base, j->id, o == MATRIX_OK);
        const char *owed = j->kind == JOB_RECEIPT
                               ? json_string_value(json_object_get(m->owed, j->room))
                               : NULL;
        if (owed && strcmp(owed, j->event_id) == 0)
            json_object_del(m->owed, j->room); /* sent; a newer one for the room stays owed */
        m->current = NULL;
        matrix_job_free(j);
        return;
    }
    char what[64]; /* the job, and for a reply its outbox row, for the retry's log line */
    if (part) {
        snprintf(what, sizeof what, "reply retry outbox=%lld adapter=matrix", (long long)j->id);
        metrics_add(METRIC_REPLY_RETRIES, "matrix", 1);
    } else {
        snprintf(what, sizeof what, "%s", job_name(j));
    }
    if (j->kind == JOB_TYPING && ++j->tries >= BEST_EFFORT_TRIES) {
        m->current = NULL;
        matrix_job_free(j); /* cosmetic: not worth holding up the replies behind it */
    } else {
        requeue_front(m, j);
    }
    matrix_lane_retry(m, &m->work, o, wait, what, status, errcode);
}
