/* monitor.c — the loopback HTTP listener of monitor.h. Each request is answered from a
 * report built on the spot (metrics.c); the only state is the listener and its thread.
 * Only two paths exist and only GET: anything else is 404 or 405. */
#include "monitor.h"

#include "adapter.h"
#include "metrics.h"
#include "sb.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct monitor {
    struct lws_context *ctx;
    pthread_t thread;
    atomic_int stop;
    long stale_seconds;
    int port;
};

/* One connection's answer in flight (HTTP/1.1 keeps a connection for several). */
typedef struct session {
    unsigned char *frame; /* LWS_PRE bytes of headroom, then the body; owned */
    size_t len;
} session;

static void session_clear(session *s)
{
    free(s->frame);
    s->frame = NULL;
    s->len = 0;
}

/* Builds the answer to a request for path: status, content type and body. */
static int answer(monitor *m, const char *path, int *status, const char **type, sb_buf *body)
{
    *type = "text/plain; charset=utf-8";
    if (strcmp(path, "/metrics") == 0) {
        *status = HTTP_STATUS_OK;
        *type = "text/plain; version=0.0.4; charset=utf-8";
        return metrics_render(body);
    }
    if (strcmp(path, "/healthz") == 0) {
        int healthy = 0;
        int rc = metrics_health(body, (int64_t)time(NULL), m->stale_seconds, &healthy);
        *status = healthy ? HTTP_STATUS_OK : HTTP_STATUS_SERVICE_UNAVAILABLE;
        *type = "application/json";
        return rc;
    }
    *status = HTTP_STATUS_NOT_FOUND;
    return sb_buf_puts(body, "not found: try /healthz or /metrics\n");
}

static int on_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
    session *s = user;
    monitor *m = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        session_clear(s);
        int status;
        const char *type;
        sb_buf body = {0};
        if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0) {
            /* Not a GET: lws would wait for a body; answer at once and close. */
            lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "only GET");
            return -1;
        }
        if (answer(m, in ? (const char *)in : "/", &status, &type, &body) != SB_OK ||
            !(s->frame = malloc(LWS_PRE + body.len + 1))) {
            sb_buf_free(&body);
            return -1; /* out of memory: drop the connection */
        }
        memcpy(s->frame + LWS_PRE, body.data, body.len);
        s->len = body.len;
        sb_buf_free(&body);
        unsigned char headers[LWS_PRE + 512];
        unsigned char *p = headers + LWS_PRE, *end = headers + sizeof headers - 1;
        if (lws_add_http_common_headers(wsi, (unsigned)status, type, s->len, &p, end) ||
            lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                         (const unsigned char *)"no-store", 8, &p, end) ||
            lws_finalize_write_http_header(wsi, headers + LWS_PRE, &p, end))
            return -1;
        lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!s->frame)
            return 0;
        if (lws_write(wsi, s->frame + LWS_PRE, s->len, LWS_WRITE_HTTP_FINAL) < (int)s->len) {
            session_clear(s);
            return -1;
        }
        session_clear(s);
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        session_clear(s);
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"http", on_http, sizeof(session), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void *serve(void *arg)
{
    monitor *m = arg;
    while (!atomic_load(&m->stop))
        if (lws_service(m->ctx, 0) < 0)
            break;
    return NULL;
}

static void lws_log_emit(int level, const char *line)
{
    sb_log_line(level == LLL_ERR ? "error" : "warn", "lws", line);
}

/* Splits "HOST:PORT" or "[V6]:PORT" into host (hostsize bytes) and port. */
static int parse_listen(const char *listen, char *host, size_t hostsize, int *port)
{
    const char *colon = strrchr(listen, ':');
    const char *h = listen, *hend = colon;
    if (!colon || colon == listen)
        return SB_EINVAL;
    if (listen[0] == '[') {
        h = listen + 1;
        if (colon[-1] != ']')
            return SB_EINVAL;
        hend = colon - 1;
    } else if (memchr(listen, ':', (size_t)(colon - listen))) {
        return SB_EINVAL; /* a bare IPv6 address needs brackets */
    }
    size_t n = (size_t)(hend - h);
    long p;
    if (n == 0 || n >= hostsize || sb_parse_long(colon + 1, 0, 65535, &p) != SB_OK)
        return SB_EINVAL;
    memcpy(host, h, n);
    host[n] = '\0';
    if (strcmp(host, "localhost") == 0)
        snprintf(host, hostsize, "127.0.0.1");
    *port = (int)p;
    return SB_OK;
}

int monitor_start(const char *listen, long stale_seconds, monitor **out, char *err,
                  size_t errsize)
{
    *out = NULL;
    char host[128];
    int port;
    if (!listen || parse_listen(listen, host, sizeof host, &port) != SB_OK) {
        snprintf(err, errsize, "[metrics] listen: '%s' is not HOST:PORT (e.g. 127.0.0.1:9464)",
                 listen ? listen : "");
        return SB_EINVAL;
    }
    int v6 = strchr(host, ':') != NULL;
    if (strncmp(host, "127.", 4) != 0 && strcmp(host, "::1") != 0)
        sb_log("warn", "metrics", "listening on %s, which is not a loopback address: anyone "
               "who can reach it sees the counters", host);
    monitor *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errsize, "out of memory");
        return SB_ENOMEM;
    }
    m->stale_seconds = stale_seconds;
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = port; /* 0: the kernel picks a free port */
    info.iface = host;
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = m;
    info.options = v6 ? 0 : LWS_SERVER_OPTION_DISABLE_IPV6;
    m->ctx = lws_create_context(&info);
    struct lws_vhost *vh = m->ctx ? lws_get_vhost_by_name(m->ctx, "default") : NULL;
    m->port = vh ? lws_get_vhost_listen_port(vh) : -1;
    if (!m->ctx || m->port <= 0) {
        snprintf(err, errsize, "[metrics] listen: cannot listen on %s", listen);
        monitor_stop(m);
        return SB_ENET;
    }
    if (pthread_create(&m->thread, NULL, serve, m) != 0) {
        snprintf(err, errsize, "cannot start the metrics thread");
        lws_context_destroy(m->ctx);
        free(m);
        return SB_ENOMEM;
    }
    sb_log("info", "metrics", "serving /healthz and /metrics on %s%s%s:%d", v6 ? "[" : "", host,
           v6 ? "]" : "", m->port);
    *out = m;
    return SB_OK;
}

void monitor_stop(monitor *m)
{
    if (!m)
        return;
    if (m->thread) {
        atomic_store(&m->stop, 1);
        lws_cancel_service(m->ctx);
        pthread_join(m->thread, NULL);
    }
    if (m->ctx)
        lws_context_destroy(m->ctx);
    free(m);
}
