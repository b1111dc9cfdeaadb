/* matrix_work.c — the Matrix adapter's work lane: replies (PUT .../send/m.room.message/
 * sb{outbox id}, Markdown rendered to body and formatted_body; a long one as several
 * events sb{id}, sb{id}.1, ... cut by matrix_split.c), joins, leaves, typing and
 * read receipts, one request at a time in queue order, so receipts and typing-off follow
 * the replies they belong to. Transient failures retry the same job; refusals give it up. */
#include "markdown.h"
#include "matrix_impl.h"
#include "matrix_split.h"
#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int start_job(matrix *m, job *j)
{
    sb_buf path = {0};
    json_t *body = NULL;
    const char *method = "POST";
    int rc = sb_buf_puts(&path, API);
    switch (j->kind) {
    case JOB_SEND: {
        /* A text too long for one event goes as several, each under its own transaction
         * id: part 0 keeps the row's id, part k adds ".k". Splitting is deterministic, so
         * a re-send after a restart reuses every id and the server drops the repeats. */
        char **parts = NULL;
        size_t nparts = matrix_split(j->text, MATRIX_PART_MAX, &parts);
        if (nparts == 0) {
            rc = SB_ENOMEM;
            break;
        }
        j->parts = nparts;
        if (j->part >= nparts)
            j->part = nparts - 1;
        const char *text = parts[j->part];
        char txn[80], suffix[24] = "";
        if (j->part > 0)
            snprintf(suffix, sizeof suffix, ".%zu", j->part);
        if (j->id > 0)
            snprintf(txn, sizeof txn, "sb%lld%s", (long long)j->id, suffix);
        else /* a crisis fallback has no outbox row: an id unique to this run */
            snprintf(txn, sizeof txn, "sbc%lld_%lld%s", (long long)m->start_ms,
                     (long long)-j->id, suffix);
        char *plain = markdown_to_plain(text);
        char *html = markdown_to_html(text);
        body = json_pack("{s:s, s:s, s:s, s:s}", "msgtype", m->msgtype, "body",
                         plain ? plain : text, "format", "org.matrix.custom.html",
                         "formatted_body", html ? html : "");
        free(plain);
        free(html);
        matrix_split_free(parts, nparts);
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
        m->work.not_before = matrix_now_ms() + matrix_backoff_ms(m->work.failures, m->backoff_min_ms,
                                                         m->backoff_max_ms, rand_r(&m->random_state));
        return SB_ENOMEM;
    }
    return matrix_lane_start(m, &m->work, method, &path, body, 1, REQUEST_TIMEOUT_MS, SMALL_CAP);
}

void matrix_work_step(matrix *m, int64_t now)
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

void matrix_work_done(matrix *m, CURLcode result)
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
        matrix_auth_lost(m, errcode);
        return;
    }
    if (o == MATRIX_OK || o == MATRIX_REFUSED) {
        m->work.failures = o == MATRIX_OK ? 0 : m->work.failures;
        if (o == MATRIX_REFUSED)
            sb_log("warn", "matrix", "%s in %s refused (HTTP %ld %s): giving it up",
                   job_name(j->kind), j->room, status, errcode);
        else if (j->kind == JOB_JOIN)
            sb_log("info", "matrix", "joined %s", j->room);
        if (o == MATRIX_OK && j->kind == JOB_SEND && j->part + 1 < j->parts) {
            j->part++; /* the next part goes first: a reply's parts arrive in order */
            m->current = NULL;
            j->next = m->head;
            m->head = j;
            if (!m->tail)
                m->tail = j;
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
    m->current = NULL;
    const char *what = job_name(j->kind);
    if (j->kind == JOB_TYPING && ++j->tries >= BEST_EFFORT_TRIES) {
        matrix_job_free(j); /* cosmetic: not worth holding up the replies behind it */
    } else {
        j->next = m->head;
        m->head = j;
        if (!m->tail)
            m->tail = j;
    }
    matrix_lane_retry(m, &m->work, o, wait, what, status, errcode);
}
