/* irc_register.c — registering one IRC connection (irc_session_impl.h): IRCv3 capability
 * negotiation (CAP LS 302, REQ, END), SASL PLAIN, nick collisions and the alternates
 * tried, and what 001 (welcome: ready, join the channels) and 005 (ISUPPORT) say. The
 * SASL password is only ever written into the AUTHENTICATE line it is meant for. */
#include "irc_session_impl.h"

#include "irc_line.h"
#include "irc_text.h"
#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void irc_register_fail(irc_session *s, const char *reason)
{
    irc_session_set_state(s, IRC_STATE_FATAL, reason);
    irc_session_send(s, "QUIT", "securebase cannot log in", NULL, NULL, NULL);
}

static void cap_end(irc_session *s)
{
    if (s->cap_end_sent)
        return;
    s->cap_end_sent = 1;
    irc_session_send(s, "CAP", "END", NULL, NULL, NULL);
}

/* The complete CAP LS list is in: requests what we can use. */
static void cap_request(irc_session *s)
{
    const char *list = s->cap_ls.data ? s->cap_ls.data : "";
    const char *value;
    size_t vlen;
    int have_sasl = s->cfg.sasl_user && s->cfg.sasl_password;
    if (have_sasl && irc_cap_find(list, "sasl", &value, &vlen)) {
        char mechs[128];
        snprintf(mechs, sizeof mechs, ",%.*s,", (int)(vlen < 120 ? vlen : 120), value);
        s->sasl_wanted = vlen == 0 || strstr(mechs, ",PLAIN,") != NULL;
    }
    if (s->cfg.sasl_required && !s->sasl_wanted) {
        irc_register_fail(s, "sasl_required is set but the server offers no SASL PLAIN");
        return;
    }
    sb_buf req = {0};
    if (s->sasl_wanted)
        sb_buf_puts(&req, "sasl");
    char wanted[] = WANTED_CAPS;
    for (char *w = wanted; *w;) {
        size_t len = strcspn(w, " ");
        char save = w[len];
        w[len] = '\0';
        if (irc_cap_find(list, w, &value, &vlen))
            sb_buf_printf(&req, "%s%s", req.len ? " " : "", w);
        w[len] = save;
        w += len + (save ? 1 : 0);
    }
    if (req.len)
        irc_session_send(s, "CAP", "REQ", req.data, NULL, NULL);
    else
        cap_end(s);
    sb_buf_free(&req);
}

/* AUTHENTICATE +: sends authzid NUL authcid NUL password in 400-byte pieces, then wipes
 * every copy of the password it made. */
void irc_register_authenticate(irc_session *s)
{
    sb_buf plain = {0};
    const char *u = s->cfg.sasl_user, *pw = s->cfg.sasl_password;
    sb_buf_append(&plain, u, strlen(u));
    sb_buf_append(&plain, "", 1);
    sb_buf_append(&plain, u, strlen(u));
    sb_buf_append(&plain, "", 1);
    sb_buf_append(&plain, pw, strlen(pw));
    char *encoded = plain.data ? irc_base64(plain.data, plain.len) : NULL;
    size_t len = encoded ? strlen(encoded) : 0;
    char piece[401];
    for (size_t at = 0; at < len; at += 400) {
        size_t n = len - at < 400 ? len - at : 400;
        memcpy(piece, encoded + at, n);
        piece[n] = '\0';
        irc_session_send(s, "AUTHENTICATE", piece, NULL, NULL, NULL);
    }
    if (len % 400 == 0)
        irc_session_send(s, "AUTHENTICATE", "+", NULL, NULL, NULL);
    if (plain.data)
        memset(plain.data, 0, plain.len);
    if (encoded)
        memset(encoded, 0, len);
    memset(piece, 0, sizeof piece);
    sb_buf_free(&plain);
    free(encoded);
}

void irc_register_cap(irc_session *s, const irc_message *m)
{
    if (m->nparams < 3)
        return;
    const char *sub = m->params[1];
    if (strcmp(sub, "LS") == 0 && !s->cap_end_sent) {
        int more = m->nparams >= 4 && strcmp(m->params[2], "*") == 0;
        const char *caps = m->params[m->nparams - 1];
        if (s->cap_ls.len < CAP_LS_MAX) { /* a server cannot make the list grow forever */
            if (s->cap_ls.len)
                sb_buf_puts(&s->cap_ls, " ");
            sb_buf_puts(&s->cap_ls, caps);
        }
        if (!more)
            cap_request(s);
    } else if (strcmp(sub, "ACK") == 0 && !s->cap_end_sent) {
        const char *value;
        size_t vlen;
        if (s->sasl_wanted && irc_cap_find(m->params[2], "sasl", &value, &vlen)) {
            s->sasl_started = 1;
            irc_session_send(s, "AUTHENTICATE", "PLAIN", NULL, NULL, NULL);
        } else {
            cap_end(s);
        }
    } else if (strcmp(sub, "NAK") == 0 && !s->cap_end_sent) {
        if (s->cfg.sasl_required)
            irc_register_fail(s, "the server refused the SASL capability");
        else
            cap_end(s);
    }
}

void irc_register_sasl_result(irc_session *s, int ok)
{
    if (!s->sasl_started || s->sasl_ok)
        return;
    s->sasl_started = 0;
    s->sasl_ok = ok;
    if (!ok && s->cfg.sasl_required)
        irc_register_fail(s, "SASL authentication failed (check sasl_user and the password)");
    else
        cap_end(s);
}

void irc_register_next_nick(irc_session *s)
{
    if (++s->nick_attempt > NICK_ATTEMPTS) {
        irc_session_set_state(s, IRC_STATE_RECONNECT, "every nick tried is in use");
        return;
    }
    if (s->nick_attempt <= 2)
        snprintf(s->nick, sizeof s->nick, "%s%s", s->cfg.nick, s->nick_attempt == 1 ? "_" : "__");
    else
        snprintf(s->nick, sizeof s->nick, "%s%u", s->cfg.nick, s->nick_attempt);
    irc_session_send(s, "NICK", s->nick, NULL, NULL, NULL);
}

/* 001: "Welcome ... nick!user@host" usually ends with our full mask. */
void irc_register_welcome(irc_session *s, const irc_message *m)
{
    if (s->cfg.sasl_required && !s->sasl_ok) {
        irc_register_fail(s, "the server registered us without SASL although sasl_required is set");
        return;
    }
    snprintf(s->nick, sizeof s->nick, "%s", m->params[0]);
    if (m->nparams >= 2) {
        const char *mask = strrchr(m->params[1], ' ');
        mask = mask ? mask + 1 : m->params[1];
        const char *bang = strchr(mask, '!'), *at = bang ? strchr(bang, '@') : NULL;
        if (bang && at && at[1]) {
            snprintf(s->user, sizeof s->user, "%.*s", (int)(at - bang - 1), bang + 1);
            snprintf(s->host, sizeof s->host, "%s", at + 1);
        }
    }
    irc_session_set_state(s, IRC_STATE_READY, NULL);
    s->regain_at = s->last_rx + s->cfg.ping_interval_ms;
    char *channels = (s->cfg.channels ? sb_strdup(s->cfg.channels) : NULL);
    for (char *c = channels; c && *c;) {
        c += strspn(c, " ,");
        size_t len = strcspn(c, " ,");
        if (!len)
            break;
        char save = c[len];
        c[len] = '\0';
        irc_session_send(s, "JOIN", c, NULL, NULL, NULL);
        c[len] = save;
        c += len;
    }
    free(channels);
}

void irc_register_isupport(irc_session *s, const irc_message *m)
{
    for (size_t i = 1; i < m->nparams; i++) {
        const char *t = m->params[i];
        long v;
        if (strncmp(t, "CHANTYPES=", 10) == 0)
            snprintf(s->chantypes, sizeof s->chantypes, "%s", t + 10);
        else if (strncmp(t, "CASEMAPPING=", 12) == 0)
            snprintf(s->casemapping, sizeof s->casemapping, "%s", t + 12);
        else if (strncmp(t, "USERLEN=", 8) == 0 && sb_parse_long(t + 8, 1, 255, &v) == SB_OK)
            s->userlen = (size_t)v + 1;
        else if (strncmp(t, "HOSTLEN=", 8) == 0 && sb_parse_long(t + 8, 1, 255, &v) == SB_OK)
            s->hostlen = (size_t)v;
    }
}
