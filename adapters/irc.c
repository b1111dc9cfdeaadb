/* irc.c — the IRC adapter's transport: one thread runs a libwebsockets client loop to the
 * server's WebSocket listener (one IRC line per frame), feeds lines to irc_session, posts
 * its events to the core, and writes protocol lines and replies paced by a token bucket.
 * It reconnects with exponential backoff and jitter and keeps undelivered replies across
 * reconnects. Protocol decisions live in irc_session, pacing and cutting in irc_sendq,
 * reading the [irc] keys in irc_config.
 *
 * [irc] keys: url (ws:// or wss://, required), origin (default http(s)://HOST), nick,
 * username, realname, channels ("#a,#b"), sasl_user, sasl_password (or the environment
 * variable SECUREBASE_IRC_PASSWORD), sasl_required, burst (lines), rate (lines per second),
 * ping_interval and ping_timeout (seconds), reconnect_min_ms, reconnect_max_ms, ca_file. */
#include "irc.h"

#include "backoff.h"
#include "irc_config.h"
#include "irc_line.h"
#include "irc_sendq.h"
#include "irc_session.h"
#include "irc_url.h"
#include "markdown.h"
#include "metrics.h"
#include "sb.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RX_MAX (IRC_TAGS_MAX + IRC_BODY_MAX + 64) /* one frame; longer ones are dropped */
#define QUEUE_MAX 5000                            /* replies held while disconnected */
#define STOP_GRACE_MS 2000                        /* time for QUIT on stop */
#define CLOSE_GRACE_S 2                           /* then a connection is closed by force */
#define TICK_MAX_MS 1000
#define SUBPROTOCOLS "text.ircv3.net,binary.ircv3.net,text.inspircd.org,binary.inspircd.org"

typedef struct pending {
    int64_t id;
    char *room, *text;
    struct pending *next;
} pending;

typedef struct irc_impl {
    sb_adapter base;
    sb_core *core;
    /* configuration */
    irc_url url;
    char *origin, *ca_file;
    long burst, rate, reconnect_min_ms, reconnect_max_ms;
    /* shared with the core thread, under lock */
    pthread_mutex_t lock;
    pending *in_head, **in_tail;
    int stop_requested;
    struct lws_context *ctx;
    /* the adapter thread's own */
    pthread_t thread;
    int started;
    irc_session *session;
    irc_sendq *sendq;
    irc_bucket bucket;
    struct lws *wsi;
    int live;        /* a connection is being made or open */
    int established; /* the WebSocket handshake is done */
    int binary;      /* the server chose a binary.* subprotocol */
    int close_wanted, waiting, stopping, done, fatal;
    unsigned attempt;
    int64_t reconnect_at, stop_deadline;
    lws_sorted_usec_list_t tick;
    sb_buf rx;
    int rx_overflow;
    uint64_t seq;
    uint32_t rng;
} irc_impl;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t next_random(irc_impl *im)
{
    im->rng ^= im->rng << 13;
    im->rng ^= im->rng >> 17;
    im->rng ^= im->rng << 5;
    return im->rng;
}

static int wants_write(irc_impl *im)
{
    return irc_session_peek_line(im->session) ||
           (irc_session_get_state(im->session) == IRC_STATE_READY && irc_sendq_count(im->sendq));
}

static void on_tick(lws_sorted_usec_list_t *sul);

/* Wakes on_tick when the next timer is due (at most TICK_MAX_MS from now). */
static void schedule_tick(irc_impl *im)
{
    int64_t now = now_ms(), next = now + TICK_MAX_MS;
    if (!im->live && im->waiting && im->reconnect_at < next)
        next = im->reconnect_at;
    if (im->established) {
        int64_t t = irc_session_next_timer(im->session);
        if (t < next)
            next = t;
        if (wants_write(im) && now + irc_bucket_wait_ms(&im->bucket, now) < next)
            next = now + irc_bucket_wait_ms(&im->bucket, now);
    }
    if (im->stopping && im->stop_deadline < next)
        next = im->stop_deadline;
    int64_t delay = next > now ? next - now : 1;
    lws_sul_schedule(im->ctx, 0, &im->tick, on_tick, (lws_usec_t)delay * 1000);
}

static void schedule_reconnect(irc_impl *im, const char *why)
{
    int64_t delay = backoff_ms(im->attempt++, im->reconnect_min_ms, im->reconnect_max_ms,
                                   next_random(im));
    sb_log("warn", "irc", "%s; reconnecting in %lld ms", why, (long long)delay);
    im->waiting = 1;
    im->reconnect_at = now_ms() + delay;
}

static void connect_now(irc_impl *im)
{
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = im->ctx;
    i.address = im->url.host;
    i.port = im->url.port;
    i.path = im->url.path;
    i.host = im->url.host_header;
    i.origin = im->origin;
    i.protocol = SUBPROTOCOLS;
    i.local_protocol_name = "text.ircv3.net";
    i.ssl_connection = im->url.tls ? LCCSCF_USE_SSL : 0;
    i.pwsi = &im->wsi;
    im->waiting = 0;
    im->live = 1;
    im->established = im->binary = im->close_wanted = 0;
    if (!lws_client_connect_via_info(&i) && im->live) {
        im->live = 0;
        im->wsi = NULL;
        schedule_reconnect(im, "cannot start a connection");
    }
}

/* Hands every event the session produced to the core, one batch each. */
static void deliver_events(irc_impl *im)
{
    irc_event e;
    while (irc_session_take_event(im->session, &e)) {
        sb_batch *b = calloc(1, sizeof *b);
        sb_inbound *in = calloc(1, sizeof *in);
        if (!b || !in) {
            sb_log("error", "irc", "out of memory: an incoming message is lost");
            free(b);
            free(in);
            irc_event_clear(&e);
            continue;
        }
        in->kind = e.kind == IRC_EVENT_MESSAGE ? SB_IN_MESSAGE
                   : e.kind == IRC_EVENT_JOINED ? SB_IN_ROOM : SB_IN_LEFT;
        in->room = e.room;
        in->sender = e.sender;
        in->text = e.text;
        in->event_id = e.event_id;
        in->direct = e.direct;
        in->addressed = e.addressed;
        b->events = in;
        b->count = 1;
        b->seq = ++im->seq;
        sb_core_post_batch(im->core, &im->base, b);
    }
}

/* Closes the connection once the protocol lines still queued (QUIT) are out; a connection
 * that cannot even be written to any more is killed by libwebsockets after CLOSE_GRACE_S. */
static void want_close(irc_impl *im)
{
    if (im->close_wanted)
        return;
    im->close_wanted = 1;
    if (im->wsi && im->established)
        lws_set_timeout(im->wsi, PENDING_TIMEOUT_USER_OK, CLOSE_GRACE_S);
}

/* After anything touched the session: events out, state changes acted on, writes asked for. */
static void pump(irc_impl *im)
{
    deliver_events(im);
    irc_session_state st = irc_session_get_state(im->session);
    if (st == IRC_STATE_READY)
        im->attempt = 0; /* registered: the next reconnect starts from the minimum delay */
    if (st == IRC_STATE_FATAL && !im->fatal) {
        im->fatal = 1;
        sb_log("error", "irc", "%s", irc_session_reason(im->session));
        sb_core_fatal(im->core, &im->base, irc_session_reason(im->session));
    }
    if ((st == IRC_STATE_RECONNECT || st == IRC_STATE_FATAL) && im->live && !im->close_wanted) {
        if (st == IRC_STATE_RECONNECT)
            sb_log("warn", "irc", "%s: closing the connection", irc_session_reason(im->session));
        want_close(im);
    }
    if (im->wsi && im->established && (wants_write(im) || im->close_wanted))
        lws_callback_on_writable(im->wsi);
    schedule_tick(im);
}

static void on_gone(irc_impl *im, const char *why)
{
    if (!im->live)
        return;
    im->live = im->established = 0;
    im->wsi = NULL;
    sb_buf_free(&im->rx);
    im->rx_overflow = 0;
    irc_session_disconnected(im->session);
    if (im->stopping)
        im->done = 1;
    else if (!im->fatal)
        schedule_reconnect(im, why);
    schedule_tick(im);
}

static void begin_stop(irc_impl *im)
{
    im->stopping = 1;
    im->stop_deadline = now_ms() + STOP_GRACE_MS;
    if (!im->live || !im->established) {
        im->done = 1;
        return;
    }
    irc_session_queue_line(im->session, "QUIT :securebase is stopping");
    want_close(im);
}

static void take_pending(irc_impl *im)
{
    pthread_mutex_lock(&im->lock);
    pending *list = im->in_head;
    im->in_head = NULL;
    im->in_tail = &im->in_head;
    int stop = im->stop_requested;
    pthread_mutex_unlock(&im->lock);
    while (list) {
        pending *p = list;
        list = p->next;
        char *plain = markdown_to_plain(p->text);
        int rc = irc_sendq_add(im->sendq, p->id, p->room, plain ? plain : p->text);
        if (rc == IRC_SENDQ_EMPTY)
            sb_core_sent(im->core, &im->base, p->id, 1);
        else if (rc == SB_EINVAL)
            sb_core_sent(im->core, &im->base, p->id, 0);
        else if (rc < 0)
            sb_log("warn", "irc", "reply %lld not queued (%s); the outbox keeps it",
                   (long long)p->id, sb_strerror(rc));
        free(plain);
        free(p->room);
        free(p->text);
        free(p);
    }
    if (stop && !im->stopping)
        begin_stop(im);
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    irc_impl *im = lws_container_of(sul, irc_impl, tick);
    int64_t now = now_ms();
    if (im->stopping && now >= im->stop_deadline) {
        im->done = 1;
        return;
    }
    if (!im->live && im->waiting && now >= im->reconnect_at && !im->fatal && !im->stopping)
        connect_now(im);
    if (im->established)
        irc_session_tick(im->session, now);
    pump(im);
}

/* Splits a received frame into lines (servers may put CR LF in it) for the session. */
static void on_frame(irc_impl *im)
{
    int64_t now = now_ms();
    const char *p = im->rx.data, *end = im->rx.data + im->rx.len;
    while (p && p < end) {
        const char *q = p;
        while (q < end && *q != '\r' && *q != '\n')
            q++;
        if (q > p && irc_session_receive(im->session, p, (size_t)(q - p), now) != SB_OK)
            sb_log("error", "irc", "out of memory handling a line");
        p = q + 1;
    }
}

static int on_receive(irc_impl *im, struct lws *wsi, const void *in, size_t len)
{
    if (im->rx.len + len > RX_MAX)
        im->rx_overflow = 1;
    else if (len && sb_buf_append(&im->rx, in, len) != SB_OK)
        im->rx_overflow = 1;
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return 0;
    if (im->rx_overflow)
        sb_log("warn", "irc", "dropped a frame longer than %d bytes", RX_MAX);
    else
        on_frame(im);
    im->rx.len = 0;
    im->rx_overflow = 0;
    pump(im);
    return 0;
}

/* Writes one line (lws allows one write per WRITEABLE callback): protocol lines first,
 * then replies once registered, each only with a token from the bucket. */
static int on_writable(irc_impl *im, struct lws *wsi)
{
    const char *line = irc_session_peek_line(im->session);
    char buf[IRC_LINE_BUF];
    size_t len = 0;
    int64_t now = now_ms();
    if (line) {
        len = strlen(line);
    } else if (im->close_wanted) {
        return -1;
    } else if (irc_session_get_state(im->session) == IRC_STATE_READY && irc_sendq_count(im->sendq)) {
        const char *target = irc_sendq_head_target(im->sendq);
        int rc = irc_sendq_peek(im->sendq, irc_session_reply_command(im->session, target),
                                irc_session_budget(im->session, target), buf, sizeof buf, &len);
        if (rc < 0) {
            int64_t id;
            if (irc_sendq_drop(im->sendq, &id))
                sb_core_sent(im->core, &im->base, id, 0);
            pump(im);
            return 0;
        }
        line = buf;
    } else {
        return 0;
    }
    if (!irc_bucket_take(&im->bucket, now)) {
        schedule_tick(im);
        return 0;
    }
    unsigned char frame[LWS_PRE + IRC_LINE_BUF + 1];
    if (len > IRC_LINE_BUF)
        len = IRC_LINE_BUF;
    memcpy(frame + LWS_PRE, line, len);
    int n = lws_write(wsi, frame + LWS_PRE, len, im->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    memset(frame, 0, sizeof frame); /* may have held the SASL credentials */
    if (n < 0)
        return -1;
    if (line == buf) {
        int64_t id;
        if (irc_sendq_advance(im->sendq, &id))
            sb_core_sent(im->core, &im->base, id, 1);
    } else {
        irc_session_pop_line(im->session);
    }
    if (wants_write(im) || im->close_wanted)
        lws_callback_on_writable(wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    (void)user;
    struct lws_context *ctx = lws_get_context(wsi);
    irc_impl *im = ctx ? lws_context_user(ctx) : NULL;
    if (!im)
        return 0;
    char proto[64] = "";
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        take_pending(im);
        pump(im);
        break;
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
        /* the only moment libwebsockets shows the subprotocol the server chose */
        if (lws_hdr_copy(wsi, proto, sizeof proto, WSI_TOKEN_PROTOCOL) < 0)
            proto[0] = '\0';
        im->binary = strncmp(proto, "binary.", 7) == 0;
        sb_log("info", "irc", "connected; subprotocol %s", proto[0] ? proto : "(none): text");
        break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        im->established = 1;
        irc_session_connected(im->session, now_ms());
        pump(im);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        metrics_adapter_contact("irc", (int64_t)time(NULL)); /* for /healthz */
        return on_receive(im, wsi, in, len);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writable(im, wsi);
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        snprintf(proto, sizeof proto, "connection failed: %.*s", in ? (int)(len < 40 ? len : 40) : 7,
                 in ? (const char *)in : "unknown");
        on_gone(im, proto);
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        on_gone(im, "connection closed");
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {.name = "text.ircv3.net", .callback = callback, .rx_buffer_size = 4096},
    {.name = "binary.ircv3.net", .callback = callback, .rx_buffer_size = 4096},
    {.name = "text.inspircd.org", .callback = callback, .rx_buffer_size = 4096},
    {.name = "binary.inspircd.org", .callback = callback, .rx_buffer_size = 4096},
    {.name = NULL, .callback = NULL},
};

static void *thread_main(void *arg)
{
    irc_impl *im = arg;
    im->waiting = 1;
    im->reconnect_at = now_ms();
    take_pending(im);
    schedule_tick(im);
    while (!im->done)
        if (lws_service(im->ctx, 0) < 0)
            break;
    return NULL;
}

static void lws_log_emit(int level, const char *line)
{
    sb_log_line(level == LLL_ERR ? "error" : "warn", "lws", line);
}

static int irc_start(sb_adapter *a, sb_core *core)
{
    irc_impl *im = a->impl;
    im->core = core;
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = im;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.client_ssl_ca_filepath = im->ca_file;
    struct lws_context *ctx = lws_create_context(&info);
    if (!ctx) {
        sb_log("error", "irc", "cannot create the libwebsockets context");
        return SB_ENET;
    }
    irc_bucket_init(&im->bucket, im->burst, im->rate, now_ms());
    pthread_mutex_lock(&im->lock);
    im->ctx = ctx;
    pthread_mutex_unlock(&im->lock);
    if (pthread_create(&im->thread, NULL, thread_main, im) != 0) {
        pthread_mutex_lock(&im->lock);
        im->ctx = NULL;
        pthread_mutex_unlock(&im->lock);
        lws_context_destroy(ctx);
        return SB_ENOMEM;
    }
    im->started = 1;
    return SB_OK;
}

static void irc_send(sb_adapter *a, const sb_outbound *msg)
{
    irc_impl *im = a->impl;
    pending *p = calloc(1, sizeof *p);
    if (p) {
        p->id = msg->id;
        p->room = sb_strdup(msg->room);
        p->text = sb_strdup(msg->text ? msg->text : "");
    }
    if (!p || !p->room || !p->text) {
        sb_log("error", "irc", "out of memory: reply %lld waits for the next start",
               (long long)msg->id);
        if (p) {
            free(p->room);
            free(p->text);
        }
        free(p);
        return;
    }
    pthread_mutex_lock(&im->lock);
    *im->in_tail = p;
    im->in_tail = &p->next;
    if (im->ctx)
        lws_cancel_service(im->ctx);
    pthread_mutex_unlock(&im->lock);
}

static void irc_committed(sb_adapter *a, uint64_t seq)
{
    /* IRC cannot be asked to hold messages back: nothing waits for the commit. */
    (void)a;
    (void)seq;
}

static void irc_stop(sb_adapter *a)
{
    irc_impl *im = a->impl;
    pthread_mutex_lock(&im->lock);
    im->stop_requested = 1;
    if (im->ctx)
        lws_cancel_service(im->ctx);
    pthread_mutex_unlock(&im->lock);
    if (!im->started)
        return;
    pthread_join(im->thread, NULL);
    im->started = 0;
    pthread_mutex_lock(&im->lock);
    struct lws_context *ctx = im->ctx;
    im->ctx = NULL;
    pthread_mutex_unlock(&im->lock);
    lws_context_destroy(ctx);
}

static void irc_destroy(sb_adapter *a)
{
    if (!a)
        return;
    irc_impl *im = a->impl;
    while (im->in_head) {
        pending *p = im->in_head;
        im->in_head = p->next;
        free(p->room);
        free(p->text);
        free(p);
    }
    irc_session_free(im->session);
    irc_sendq_free(im->sendq);
    sb_buf_free(&im->rx);
    pthread_mutex_destroy(&im->lock);
    free(im->origin);
    free(im->ca_file);
    free(im);
}

sb_adapter *irc_adapter_new(const sb_config *cfg)
{
    irc_impl *im = calloc(1, sizeof *im);
    if (!im)
        return NULL;
    pthread_mutex_init(&im->lock, NULL);
    im->in_tail = &im->in_head;
    im->base.name = "irc";
    im->base.impl = im;
    im->base.start = irc_start;
    im->base.send = irc_send;
    im->base.committed = irc_committed;
    im->base.stop = irc_stop;
    im->base.destroy = irc_destroy;
    im->rng = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16) ^ 0x9e3779b9u;

    irc_options opt;
    const char *problem = irc_options_read(cfg, &opt);
    if (!problem) {
        im->url = opt.url;
        im->origin = sb_strdup(opt.origin ? opt.origin : im->url.origin);
        im->ca_file = opt.ca_file ? sb_strdup(opt.ca_file) : NULL;
        im->burst = opt.burst;
        im->rate = opt.rate;
        im->reconnect_min_ms = opt.reconnect_min_ms;
        im->reconnect_max_ms = opt.reconnect_max_ms;
        im->session = irc_session_new(&opt.session);
        im->sendq = irc_sendq_new(QUEUE_MAX);
        if (!im->session && opt.session.nick)
            problem = "nick or username: not a valid IRC nick (no spaces, ',', ':', '!', '@', '#')";
    }
    if (problem || !im->session || !im->sendq || !im->origin || (opt.ca_file && !im->ca_file)) {
        sb_log("error", "irc", "[irc] %s", problem ? problem : "out of memory");
        irc_destroy(&im->base);
        return NULL;
    }
    return &im->base;
}
