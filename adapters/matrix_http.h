/* matrix_http.h — one Matrix HTTP request on a curl multi handle, and the rules that turn its
 * result into what the adapter does next (go on, wait for the rate limit, back off, log in
 * again, give up). The adapter (matrix.c) decides which requests to make and when. */
#ifndef SB_MATRIX_HTTP_H
#define SB_MATRIX_HTTP_H

#include "sb.h"

#include <curl/curl.h>
#include <time.h>

typedef enum matrix_outcome {
    MATRIX_OK,           /* 2xx */
    MATRIX_RATE_LIMITED, /* 429: wait *wait_ms, then the same request again */
    MATRIX_TRANSIENT,    /* 5xx, 2xx/4xx without a usable body, timeouts, network: back off */
    MATRIX_UNAUTHORIZED, /* M_UNKNOWN_TOKEN / M_MISSING_TOKEN: log in again (or stop) */
    MATRIX_REFUSED       /* any other 4xx: this request will never succeed */
} matrix_outcome;

/* Names an outcome for logs ("ok", "rate limited", ...). */
const char *matrix_outcome_name(matrix_outcome o);

/* What a finished request means. transport_ok: curl completed the transfer. status: HTTP
 * status. body/len: response body. header_wait_ms: the Retry-After header in ms, -1 when
 * absent. For a 429 *wait_ms is the larger of the header and the body's retry_after_ms,
 * or -1 when neither is there (the caller backs off instead). errcode receives the Matrix
 * errcode ("" when none). Pure; cannot fail. */
matrix_outcome matrix_outcome_of(int transport_ok, long status, const char *body, size_t len,
                                 long header_wait_ms, long *wait_ms, char *errcode,
                                 size_t errcode_size);

/* Reads a Matrix error body {"errcode": ..., "retry_after_ms": ...}. Copies errcode (cut to
 * errcode_size-1 bytes; "" when absent) and sets *retry_after_ms (-1 when absent or not a
 * non-negative integer). Returns SB_OK, or SB_EPARSE when the body is not a JSON object
 * (errcode "" and -1 then). */
int matrix_error_parse(const char *json, size_t len, char *errcode, size_t errcode_size,
                       long *retry_after_ms);

/* The wait a Retry-After header value asks for, in milliseconds: delta-seconds or an
 * HTTP-date (compared with now). Returns -1 when the value is neither; 0 for a past date. */
long matrix_retry_after_ms(const char *value, time_t now);

/* backoff_ms (backoff.h) for the n-th consecutive failure (n >= 1, not 0-based). */
long matrix_backoff_ms(int failures, long min_ms, long max_ms, unsigned random);

/* One request in flight. Zero-initialise; the fields after start are read-only to callers. */
typedef struct matrix_request {
    CURL *easy;                  /* NULL when idle */
    struct curl_slist *headers;
    char *body;                  /* request body (owned) */
    sb_buf response;             /* response body, at most cap bytes */
    size_t cap;
    int too_big;                 /* the response passed cap and was cut off */
    long header_wait_ms;         /* Retry-After, -1 when absent */
    char error[CURL_ERROR_SIZE]; /* curl's message for a failed transfer */
} matrix_request;

/* Starts method url on multi with an optional JSON body (taken over: freed even on failure)
 * and an optional bearer token (never logged). timeout_ms bounds the whole transfer;
 * cap bounds the response body. Returns SB_OK or SB_ENOMEM/SB_ENET (r left idle). */
int matrix_request_start(matrix_request *r, CURLM *multi, const char *method, const char *url,
                         const char *token, char *body, long timeout_ms, size_t cap);

/* For CURLMSG_DONE of r->easy: classifies the result (see matrix_outcome_of), sets *status
 * (0 without a response), then detaches and resets r to idle. The response stays in
 * r->response until the next start or matrix_request_clear. */
matrix_outcome matrix_request_finish(matrix_request *r, CURLM *multi, CURLcode result,
                                     long *status, long *wait_ms, char *errcode,
                                     size_t errcode_size);

/* Stops r if in flight and frees everything it holds; r is idle afterwards. */
void matrix_request_clear(matrix_request *r, CURLM *multi);

/* Appends a URL path segment, percent-encoded (room ids, user ids, event ids, txn ids).
 * Returns SB_OK or SB_ENOMEM. */
int matrix_url_segment(sb_buf *url, const char *segment);

#endif
