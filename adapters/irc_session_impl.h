/* irc_session_impl.h — the inside of an IRC session, shared by irc_session.c (the
 * connection, keep-alive, messages, events) and irc_register.c (registration). Not for
 * other files: the adapter uses irc_session.h. */
#ifndef SB_IRC_SESSION_IMPL_H
#define SB_IRC_SESSION_IMPL_H

#include "irc_line.h"
#include "irc_session.h"
#include "sb.h"

#include <stddef.h>
#include <stdint.h>

#define LINES_MAX 64       /* protocol lines waiting; a flood of PINGs cannot grow it */
#define CTCP_LINES_MAX 16  /* CTCP answers are dropped beyond this many waiting lines */
#define NICK_ATTEMPTS 20
#define CAP_LS_MAX 8192    /* bytes of offered capabilities kept */
#define WANTED_CAPS "message-tags server-time account-tag extended-join chghost"

struct irc_session {
    irc_session_config cfg; /* strings owned */
    irc_session_state state;
    const char *reason;
    char reason_buf[160];
    char nick[64];
    unsigned nick_attempt;
    char user[64], host[256]; /* as the server shows us; "" until known */
    char chantypes[16], casemapping[24];
    size_t userlen, hostlen;
    sb_buf cap_ls;          /* capabilities offered, accumulated over CAP LS lines */
    int cap_end_sent, sasl_wanted, sasl_started, sasl_ok;
    int64_t connected_at, last_rx, ping_sent_at;
    int64_t regain_at; /* when to ask for the configured nick again while using another */
    char *lines[LINES_MAX];
    size_t nlines;
    irc_event *events;
    size_t nevents, events_cap;
    irc_message msg; /* the line being handled (large, so not on the stack) */
};

/* Moves to state (FATAL stays); reason is copied (NULL for none). */
void irc_session_set_state(irc_session *s, irc_session_state state, const char *reason);
/* Formats and queues "COMMAND params..." (up to four, the first NULL ends them).
 * SB_OK, SB_ETOOBIG (too many lines waiting or too long), SB_ENOMEM. */
int irc_session_send(irc_session *s, const char *command, const char *p1, const char *p2,
                     const char *p3, const char *p4);

/* Registration (irc_register.c), called by the session's dispatch. */
void irc_register_fail(irc_session *s, const char *reason); /* FATAL, and QUIT */
void irc_register_cap(irc_session *s, const irc_message *m);   /* CAP LS/ACK/NAK */
void irc_register_authenticate(irc_session *s);                /* AUTHENTICATE + */
void irc_register_sasl_result(irc_session *s, int ok);         /* 903/907 or 902/904-906 */
void irc_register_next_nick(irc_session *s);                   /* 433/436/437 */
void irc_register_welcome(irc_session *s, const irc_message *m); /* 001 */
void irc_register_isupport(irc_session *s, const irc_message *m); /* 005 */

#endif
