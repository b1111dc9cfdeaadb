/* irc_session.c — the client side of the IRC protocol for one connection: registration
 * with IRCv3 capability negotiation and SASL PLAIN, nick collisions, keep-alive, channel
 * membership, CTCP, and PRIVMSG → chat events. It decides what to say and when, never how
 * bytes travel (irc.c) or how replies are paced and split (irc_sendq, irc_split).
 * Registration (CAP, SASL, nick collisions, 001 and 005) is irc_register.c's. */
#include "irc_session.h"
#include "irc_session_impl.h"

#include "irc_line.h"
#include "irc_split.h"
#include "irc_text.h"
#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *copy_or_null(const char *s)
{
    return s ? sb_strdup(s) : NULL;
}

irc_session *irc_session_new(const irc_session_config *cfg)
{
    if (!cfg || !cfg->nick || !*cfg->nick || strlen(cfg->nick) >= 48 ||
        strpbrk(cfg->nick, " ,:!@#&*?\r\n\t") || (cfg->username && strpbrk(cfg->username, " \r\n")))
        return NULL;
    irc_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *cfg;
    s->cfg.nick = sb_strdup(cfg->nick);
    s->cfg.username = sb_strdup(cfg->username && *cfg->username ? cfg->username : cfg->nick);
    s->cfg.realname = sb_strdup(cfg->realname && *cfg->realname ? cfg->realname : cfg->nick);
    s->cfg.channels = copy_or_null(cfg->channels);
    s->cfg.sasl_user = copy_or_null(cfg->sasl_user);
    s->cfg.sasl_password = copy_or_null(cfg->sasl_password);
    s->cfg.version = sb_strdup(cfg->version ? cfg->version : "securebase");
    if (!s->cfg.nick || !s->cfg.username || !s->cfg.realname || !s->cfg.version ||
        (cfg->channels && !s->cfg.channels) || (cfg->sasl_user && !s->cfg.sasl_user) ||
        (cfg->sasl_password && !s->cfg.sasl_password)) {
        irc_session_free(s);
        return NULL;
    }
    if (s->cfg.ping_interval_ms <= 0)
        s->cfg.ping_interval_ms = 120000;
    if (s->cfg.ping_timeout_ms <= 0)
        s->cfg.ping_timeout_ms = 60000;
    snprintf(s->nick, sizeof s->nick, "%s", s->cfg.nick);
    return s;
}

static void clear_lines(irc_session *s)
{
    for (size_t i = 0; i < s->nlines; i++)
        free(s->lines[i]);
    s->nlines = 0;
}

void irc_session_free(irc_session *s)
{
    if (!s)
        return;
    clear_lines(s);
    for (size_t i = 0; i < s->nevents; i++)
        irc_event_clear(&s->events[i]);
    free(s->events);
    sb_buf_free(&s->cap_ls);
    free((char *)s->cfg.nick);
    free((char *)s->cfg.username);
    free((char *)s->cfg.realname);
    free((char *)s->cfg.channels);
    free((char *)s->cfg.sasl_user);
    if (s->cfg.sasl_password) {
        memset((char *)s->cfg.sasl_password, 0, strlen(s->cfg.sasl_password));
        free((char *)s->cfg.sasl_password);
    }
    free((char *)s->cfg.version);
    free(s);
}

void irc_session_set_state(irc_session *s, irc_session_state state, const char *reason)
{
    if (s->state == IRC_STATE_FATAL)
        return;
    s->state = state;
    if (reason) {
        snprintf(s->reason_buf, sizeof s->reason_buf, "%s", reason);
        s->reason = s->reason_buf;
    } else {
        s->reason = NULL;
    }
}

int irc_session_queue_line(irc_session *s, const char *line)
{
    if (s->nlines == LINES_MAX)
        return SB_ETOOBIG;
    char *copy = sb_strdup(line);
    if (!copy)
        return SB_ENOMEM;
    s->lines[s->nlines++] = copy;
    return SB_OK;
}

int irc_session_send(irc_session *s, const char *command, const char *p1, const char *p2,
                     const char *p3, const char *p4)
{
    const char *params[] = {p1, p2, p3, p4};
    size_t n = 0;
    while (n < 4 && params[n])
        n++;
    char line[IRC_LINE_BUF];
    size_t len;
    int rc = irc_line_format(line, sizeof line, &len, command, params, n);
    return rc == SB_OK ? irc_session_queue_line(s, line) : rc;
}

const char *irc_session_peek_line(const irc_session *s)
{
    return s->nlines ? s->lines[0] : NULL;
}

void irc_session_pop_line(irc_session *s)
{
    if (!s->nlines)
        return;
    free(s->lines[0]);
    memmove(s->lines, s->lines + 1, (s->nlines - 1) * sizeof s->lines[0]);
    s->nlines--;
}

void irc_session_connected(irc_session *s, int64_t now_ms)
{
    clear_lines(s);
    sb_buf_free(&s->cap_ls);
    s->state = IRC_STATE_FATAL == s->state ? s->state : IRC_STATE_REGISTERING;
    s->reason = NULL;
    snprintf(s->nick, sizeof s->nick, "%s", s->cfg.nick);
    s->nick_attempt = 0;
    s->user[0] = s->host[0] = '\0';
    snprintf(s->chantypes, sizeof s->chantypes, "#&");
    snprintf(s->casemapping, sizeof s->casemapping, "rfc1459");
    s->userlen = 11; /* USERLEN 10 plus a '~' the server may add */
    s->hostlen = 64;
    s->cap_end_sent = s->sasl_wanted = s->sasl_started = s->sasl_ok = 0;
    s->connected_at = s->last_rx = now_ms;
    s->ping_sent_at = 0;
    irc_session_send(s, "CAP", "LS", "302", NULL, NULL);
    irc_session_send(s, "NICK", s->nick, NULL, NULL, NULL);
    irc_session_send(s, "USER", s->cfg.username, "0", "*", s->cfg.realname);
}

void irc_session_disconnected(irc_session *s)
{
    clear_lines(s);
    if (s->state != IRC_STATE_FATAL)
        irc_session_set_state(s, IRC_STATE_IDLE, NULL);
}

irc_session_state irc_session_get_state(const irc_session *s)
{
    return s->state;
}

const char *irc_session_reason(const irc_session *s)
{
    return s->reason;
}

/* ---- events ---- */

void irc_event_clear(irc_event *e)
{
    free(e->room);
    free(e->sender);
    free(e->text);
    free(e->event_id);
    memset(e, 0, sizeof *e);
}

int irc_session_take_event(irc_session *s, irc_event *out)
{
    if (!s->nevents)
        return 0;
    *out = s->events[0];
    memmove(s->events, s->events + 1, (s->nevents - 1) * sizeof s->events[0]);
    s->nevents--;
    return 1;
}

static int push_event(irc_session *s, irc_event_kind kind, const char *room, const char *sender,
                      const char *text, const char *event_id, int direct)
{
    if (!room || !*room)
        return SB_OK; /* ":!u@h PRIVMSG ..." or "JOIN :": nobody to talk to */
    if (s->nevents == s->events_cap) {
        size_t cap = s->events_cap ? s->events_cap * 2 : 8;
        irc_event *grown = realloc(s->events, cap * sizeof *grown);
        if (!grown)
            return SB_ENOMEM;
        s->events = grown;
        s->events_cap = cap;
    }
    irc_event e = {.kind = kind, .direct = direct, .addressed = kind == IRC_EVENT_MESSAGE};
    e.room = sb_strdup(room);
    e.sender = copy_or_null(sender);
    e.text = text ? irc_text_clean(text, 0) : NULL;
    e.event_id = copy_or_null(event_id);
    if (!e.room || (sender && !e.sender) || (text && !e.text) || (event_id && !e.event_id)) {
        irc_event_clear(&e);
        return SB_ENOMEM;
    }
    s->events[s->nevents++] = e;
    return SB_OK;
}

int irc_session_is_channel(const irc_session *s, const char *target)
{
    return target && *target && strchr(s->chantypes, *target) != NULL;
}

const char *irc_session_reply_command(const irc_session *s, const char *target)
{
    return irc_session_is_channel(s, target) ? "NOTICE" : "PRIVMSG";
}

size_t irc_session_budget(const irc_session *s, const char *target)
{
    return irc_split_budget(s->nick, s->user[0] ? s->user : NULL, s->host[0] ? s->host : NULL,
                            s->userlen, s->hostlen, irc_session_reply_command(s, target), target);
}

/* ---- messages ---- */

static int is_self(const irc_session *s, const char *nick)
{
    return nick && irc_nick_equal(nick, s->nick, s->casemapping);
}

static int on_ctcp(irc_session *s, const char *from, const char *text)
{
    char cmd[32];
    const char *args;
    size_t args_len;
    if (!irc_ctcp_parse(text, cmd, sizeof cmd, &args, &args_len) || s->nlines >= CTCP_LINES_MAX)
        return SB_OK;
    char reply[IRC_LINE_BUF];
    if (strcmp(cmd, "VERSION") == 0)
        snprintf(reply, sizeof reply, "\x01VERSION %s\x01", s->cfg.version);
    else if (strcmp(cmd, "PING") == 0) {
        /* echoed back: only valid UTF-8 without control characters (a text frame must be
         * UTF-8, and a stray \x01 would break the CTCP framing) */
        char *raw = sb_strndup(args, args_len < 400 ? args_len : 400);
        char *clean = irc_text_clean(raw, 0);
        free(raw);
        if (!clean)
            return SB_ENOMEM;
        snprintf(reply, sizeof reply, "\x01PING %s\x01", clean);
        free(clean);
    } else if (strcmp(cmd, "CLIENTINFO") == 0)
        snprintf(reply, sizeof reply, "\x01" "CLIENTINFO CLIENTINFO PING VERSION\x01");
    else
        return SB_OK;
    int rc = irc_session_send(s, "NOTICE", from, reply, NULL, NULL);
    return rc == SB_ENOMEM ? rc : SB_OK;
}

#define IRC_NICK_ID_MAX 520 /* "~" + a nick of at most one line */

static int on_privmsg(irc_session *s, const irc_message *m)
{
    if (!m->nick || !*m->nick || !m->user || m->nparams < 2 || is_self(s, m->nick))
        return SB_OK;
    const char *target = m->params[0], *text = m->params[1];
    if (text[0] == '\x01')
        return on_ctcp(s, m->nick, text);
    /* A person is their services account when the server vouches for it; otherwise the
     * bare nick, marked with "~" so that someone merely using the nick "ann" is never the
     * person whose account is "ann" (and never sees that person's journal). */
    const char *account = irc_message_tag(m, "account");
    char nick_id[IRC_NICK_ID_MAX];
    const char *sender = account;
    if (!account || !*account || strcmp(account, "*") == 0) {
        snprintf(nick_id, sizeof nick_id, "~%s", m->nick);
        sender = nick_id;
    }
    const char *msgid = irc_message_tag(m, "msgid");
    if (irc_session_is_channel(s, target)) {
        const char *rest = text[0] == '!' ? text : irc_addressed(text, s->nick, s->casemapping);
        if (!rest || !*rest)
            return SB_OK;
        return push_event(s, IRC_EVENT_MESSAGE, target, sender, rest, msgid, 0);
    }
    if (!is_self(s, target) || !*text)
        return SB_OK;
    return push_event(s, IRC_EVENT_MESSAGE, m->nick, sender, text, msgid, 1);
}

static int dispatch(irc_session *s, const irc_message *m)
{
    const char *c = m->command;
    const char *p0 = m->nparams > 0 ? m->params[0] : "";
    if (strcmp(c, "PING") == 0)
        return irc_session_send(s, "PONG", m->nparams ? p0 : s->nick, NULL, NULL, NULL);
    if (strcmp(c, "PRIVMSG") == 0)
        return on_privmsg(s, m);
    if (strcmp(c, "CAP") == 0)
        irc_register_cap(s, m);
    else if (strcmp(c, "AUTHENTICATE") == 0 && s->sasl_started && strcmp(p0, "+") == 0)
        irc_register_authenticate(s);
    else if (strcmp(c, "903") == 0 || strcmp(c, "907") == 0)
        irc_register_sasl_result(s, 1);
    else if (!strcmp(c, "902") || !strcmp(c, "904") || !strcmp(c, "905") || !strcmp(c, "906"))
        irc_register_sasl_result(s, 0);
    else if (strcmp(c, "001") == 0 && m->nparams >= 1 && s->state == IRC_STATE_REGISTERING)
        irc_register_welcome(s, m);
    else if (strcmp(c, "005") == 0)
        irc_register_isupport(s, m);
    else if (strcmp(c, "396") == 0 && m->nparams >= 2 && *m->params[1])
        snprintf(s->host, sizeof s->host, "%s", m->params[1]);
    else if (strcmp(c, "CHGHOST") == 0 && is_self(s, m->nick) && m->nparams >= 2) {
        snprintf(s->user, sizeof s->user, "%s", m->params[0]);
        snprintf(s->host, sizeof s->host, "%s", m->params[1]);
    }
    else if ((!strcmp(c, "433") || !strcmp(c, "436") || !strcmp(c, "437")) &&
             s->state == IRC_STATE_REGISTERING)
        irc_register_next_nick(s);
    else if (strcmp(c, "432") == 0 && s->state == IRC_STATE_REGISTERING)
        irc_register_fail(s, "the server does not accept the configured nick");
    else if (strcmp(c, "421") == 0 && strcmp(m->nparams > 1 ? m->params[1] : "", "CAP") == 0 &&
             s->cfg.sasl_required)
        irc_register_fail(s, "sasl_required is set but the server knows no CAP");
    else if (strcmp(c, "NICK") == 0 && is_self(s, m->nick) && m->nparams >= 1)
        snprintf(s->nick, sizeof s->nick, "%s", p0);
    else if ((strcmp(c, "NICK") == 0 || strcmp(c, "QUIT") == 0) && m->nick &&
             irc_nick_equal(m->nick, s->cfg.nick, s->casemapping))
        s->regain_at = 0; /* the configured nick is free now */
    else if (strcmp(c, "JOIN") == 0 && is_self(s, m->nick) && m->nparams >= 1) {
        if (m->user && m->host) {
            snprintf(s->user, sizeof s->user, "%s", m->user);
            snprintf(s->host, sizeof s->host, "%s", m->host);
        }
        return push_event(s, IRC_EVENT_JOINED, p0, NULL, NULL, NULL, 0);
    } else if ((strcmp(c, "PART") == 0 && is_self(s, m->nick) && m->nparams >= 1) ||
               (strcmp(c, "KICK") == 0 && m->nparams >= 2 && is_self(s, m->params[1])))
        return push_event(s, IRC_EVENT_LEFT, p0, NULL, NULL, NULL, 0);
    else if (strcmp(c, "ERROR") == 0)
        irc_session_set_state(s, IRC_STATE_RECONNECT, "the server closed the link");
    return SB_OK;
}

int irc_session_receive(irc_session *s, const char *line, size_t len, int64_t now_ms)
{
    irc_message *m = &s->msg;
    if (s->state != IRC_STATE_REGISTERING && s->state != IRC_STATE_READY)
        return SB_OK;
    s->last_rx = now_ms;
    s->ping_sent_at = 0;
    if (irc_line_parse(line, len, m) != SB_OK)
        return SB_OK; /* not a line: nothing a server should send, nothing to answer */
    return dispatch(s, m) == SB_ENOMEM ? SB_ENOMEM : SB_OK;
}

/* Using an alternate nick after a collision: asks for the configured one now and then. */
static int wants_regain(const irc_session *s)
{
    return s->state == IRC_STATE_READY && !irc_nick_equal(s->nick, s->cfg.nick, s->casemapping);
}

void irc_session_tick(irc_session *s, int64_t now_ms)
{
    if (wants_regain(s) && now_ms >= s->regain_at &&
        irc_session_send(s, "NICK", s->cfg.nick, NULL, NULL, NULL) == SB_OK)
        s->regain_at = now_ms + s->cfg.ping_interval_ms;
    if (s->state == IRC_STATE_REGISTERING && now_ms - s->connected_at >= s->cfg.ping_timeout_ms) {
        irc_session_set_state(s, IRC_STATE_RECONNECT, "registration timed out");
    } else if (s->state == IRC_STATE_READY) {
        if (s->ping_sent_at && now_ms - s->ping_sent_at >= s->cfg.ping_timeout_ms)
            irc_session_set_state(s, IRC_STATE_RECONNECT, "ping timeout");
        else if (!s->ping_sent_at && now_ms - s->last_rx >= s->cfg.ping_interval_ms &&
                 irc_session_send(s, "PING", "securebase", NULL, NULL, NULL) == SB_OK)
            s->ping_sent_at = now_ms;
    }
}

int64_t irc_session_next_timer(const irc_session *s)
{
    if (s->state == IRC_STATE_REGISTERING)
        return s->connected_at + s->cfg.ping_timeout_ms;
    if (s->state != IRC_STATE_READY)
        return INT64_MAX;
    int64_t next = s->ping_sent_at ? s->ping_sent_at + s->cfg.ping_timeout_ms
                                   : s->last_rx + s->cfg.ping_interval_ms;
    return wants_regain(s) && s->regain_at < next ? s->regain_at : next;
}
