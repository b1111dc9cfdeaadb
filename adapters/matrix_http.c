/* matrix_http.c — a Matrix request as a curl easy handle on the adapter's multi handle, and
 * the classification of its result (rate limit, backoff, re-login, refusal). It knows HTTP
 * and the Matrix error shapes; what to request, and what to do about it, is matrix.c's. */
#include "matrix_http.h"

#include "backoff.h"
#include "matrix_json.h"
#include "matrix_parse.h"
#include "sb_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *matrix_outcome_name(matrix_outcome o)
{
    switch (o) {
    case MATRIX_OK: return "ok";
    case MATRIX_RATE_LIMITED: return "rate limited";
    case MATRIX_TRANSIENT: return "temporary failure";
    case MATRIX_UNAUTHORIZED: return "unauthorized";
    case MATRIX_REFUSED: return "refused";
    }
    return "?";
}

matrix_outcome matrix_outcome_of(int transport_ok, long status, const char *body, size_t len,
                                 long header_wait_ms, long *wait_ms, char *errcode,
                                 size_t errcode_size)
{
    long body_wait = -1;
    *wait_ms = -1;
    if (errcode_size)
        errcode[0] = '\0';
    if (!transport_ok || status == 0)
        return MATRIX_TRANSIENT;
    if (status >= 200 && status < 300)
        return MATRIX_OK;
    int is_json = matrix_error_parse(body ? body : "", body ? len : 0, errcode, errcode_size,
                                     &body_wait) == SB_OK;
    if (status == 429 || strcmp(errcode, "M_LIMIT_EXCEEDED") == 0) {
        *wait_ms = header_wait_ms > body_wait ? header_wait_ms : body_wait;
        return MATRIX_RATE_LIMITED;
    }
    if (strcmp(errcode, "M_UNKNOWN_TOKEN") == 0 || strcmp(errcode, "M_MISSING_TOKEN") == 0)
        return MATRIX_UNAUTHORIZED;
    if (status >= 500 || !is_json || errcode[0] == '\0')
        return MATRIX_TRANSIENT; /* a proxy's error page, or a server in trouble */
    if (status == 401)
        return MATRIX_UNAUTHORIZED;
    return MATRIX_REFUSED;
}

int matrix_error_parse(const char *json, size_t len, char *errcode, size_t errcode_size,
                       long *retry_after_ms)
{
    if (errcode_size)
        errcode[0] = '\0';
    *retry_after_ms = -1;
    json_t *root = matrix_json_load(json, len);
    if (!json_is_object(root)) {
        json_decref(root);
        return SB_EPARSE;
    }
    const char *code = sb_json_str(root, "errcode");
    if (code && errcode_size)
        snprintf(errcode, errcode_size, "%s", code);
    const json_t *ms = json_object_get(root, "retry_after_ms");
    if (json_is_integer(ms) && json_integer_value(ms) >= 0 && json_integer_value(ms) <= 86400000)
        *retry_after_ms = (long)json_integer_value(ms);
    json_decref(root);
    return SB_OK;
}

long matrix_retry_after_ms(const char *value, time_t now)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    long seconds;
    char digits[16];
    size_t n = strspn(value, "0123456789");
    if (n > 0 && n < sizeof digits && value[n + strspn(value + n, " \t\r\n")] == '\0') {
        memcpy(digits, value, n);
        digits[n] = '\0';
        if (sb_parse_long(digits, 0, 86400, &seconds) == SB_OK)
            return seconds * 1000;
        return -1;
    }
    struct tm tm = {0};
    const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end)
        return -1;
    time_t when = timegm(&tm);
    if (when == (time_t)-1)
        return -1;
    if (when <= now)
        return 0;
    return when - now > 86400 ? 86400000L : (long)(when - now) * 1000;
}

long matrix_backoff_ms(int failures, long min_ms, long max_ms, unsigned random)
{
    return (long)backoff_ms(failures > 1 ? (unsigned)failures - 1 : 0, min_ms, max_ms, random);
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    matrix_request *r = ctx;
    size_t bytes = size * n;
    if (r->response.len + bytes > r->cap) {
        r->too_big = 1;
        return 0; /* curl stops the transfer: CURLE_WRITE_ERROR */
    }
    return sb_buf_append(&r->response, data, bytes) == SB_OK ? bytes : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    matrix_request *r = ctx;
    size_t bytes = size * n;
    static const char name[] = "retry-after:";
    if (bytes > sizeof name - 1 && bytes < 256 && strncasecmp(data, name, sizeof name - 1) == 0) {
        char value[256];
        memcpy(value, data + sizeof name - 1, bytes - (sizeof name - 1));
        value[bytes - (sizeof name - 1)] = '\0';
        r->header_wait_ms = matrix_retry_after_ms(value, time(NULL));
    }
    return bytes;
}

void matrix_request_clear(matrix_request *r, CURLM *multi)
{
    if (r->easy) {
        curl_multi_remove_handle(multi, r->easy);
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
    }
    curl_slist_free_all(r->headers);
    r->headers = NULL;
    free(r->body);
    r->body = NULL;
    sb_buf_free(&r->response);
    r->too_big = 0;
    r->header_wait_ms = -1;
}

int matrix_request_start(matrix_request *r, CURLM *multi, const char *method, const char *url,
                         const char *token, char *body, long timeout_ms, size_t cap)
{
    matrix_request_clear(r, multi);
    r->body = body;
    r->cap = cap;
    r->error[0] = '\0';
    r->easy = curl_easy_init();
    if (!r->easy)
        goto nomem;
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
    r->headers = h;
    if (h && body)
        h = curl_slist_append(r->headers, "Content-Type: application/json");
    if (h && token) {
        char *auth = sb_asprintf("Authorization: Bearer %s", token);
        h = auth ? curl_slist_append(r->headers, auth) : NULL;
        free(auth);
    }
    if (!h)
        goto nomem;
    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    if (body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
    }
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "securebase/" SB_VERSION);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* whatever curl can decode */
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    if (curl_multi_add_handle(multi, e) != CURLM_OK) {
        matrix_request_clear(r, multi);
        return SB_ENET;
    }
    return SB_OK;
nomem:
    matrix_request_clear(r, multi);
    return SB_ENOMEM;
}

matrix_outcome matrix_request_finish(matrix_request *r, CURLM *multi, CURLcode result,
                                     long *status, long *wait_ms, char *errcode,
                                     size_t errcode_size)
{
    *status = 0;
    if (r->easy)
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, status);
    if (result != CURLE_OK && !r->error[0])
        snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(result));
    matrix_outcome o = matrix_outcome_of(result == CURLE_OK && !r->too_big, *status,
                                         r->response.data, r->response.len, r->header_wait_ms,
                                         wait_ms, errcode, errcode_size);
    if (r->easy) {
        curl_multi_remove_handle(multi, r->easy);
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
    }
    curl_slist_free_all(r->headers);
    r->headers = NULL;
    free(r->body);
    r->body = NULL;
    return o;
}

int matrix_url_segment(sb_buf *url, const char *segment)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = SB_OK;
    for (const unsigned char *p = (const unsigned char *)segment; *p && rc == SB_OK; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            rc = sb_buf_append(url, (const char *)p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = sb_buf_append(url, esc, 3);
        }
    }
    return rc;
}
