/* irc_session.h — the IRC client protocol of one connection, as a pure state machine:
 * lines in (with the time), lines to send and chat events out. Registration (CAP LS 302,
 * SASL PLAIN, NICK/USER, nick collisions), PING/PONG and silence detection, channels,
 * CTCP, and the translation of PRIVMSG into the core's terms. No I/O and no clock: the
 * adapter (irc.c) moves the bytes and passes the time in milliseconds of any monotonic
 * clock. Not thread-safe: one thread owns a session. */
#ifndef SB_IRC_SESSION_H
#define SB_IRC_SESSION_H

#include <stddef.h>
#include <stdint.h>

typedef struct irc_session irc_session;

typedef struct irc_session_config {
    const char *nick;          /* wanted nick (required) */
    const char *username;      /* USER name; NULL: nick */
    const char *realname;      /* NULL: nick */
    const char *channels;      /* "#a,#b" or "#a #b"; may be NULL */
    const char *sasl_user;     /* SASL PLAIN when both are set */
    const char *sasl_password; /* secret: never logged, never in an event */
    int sasl_required;         /* 1: no registration without a successful SASL login */
    const char *version;       /* CTCP VERSION answer */
    int64_t ping_interval_ms;  /* our PING after this much silence */
    int64_t ping_timeout_ms;   /* no answer (or no 001) for this long: reconnect */
} irc_session_config;

typedef enum irc_session_state {
    IRC_STATE_IDLE,        /* not connected */
    IRC_STATE_REGISTERING, /* connected, before 001 */
    IRC_STATE_READY,       /* registered: replies may go out */
    IRC_STATE_RECONNECT,   /* the connection is dead or useless: close it and reconnect */
    IRC_STATE_FATAL        /* reconnecting cannot help (e.g. SASL refused): stop */
} irc_session_state;

typedef enum irc_event_kind {
    IRC_EVENT_MESSAGE, /* someone wrote to the coach */
    IRC_EVENT_JOINED,  /* the coach is in channel room */
    IRC_EVENT_LEFT     /* the coach left or was kicked from channel room */
} irc_event_kind;

typedef struct irc_event {
    irc_event_kind kind;
    char *room;     /* channel, or the person's nick for a private message; owned */
    char *sender;   /* services account when the server tags it, else nick; owned, NULL unless MESSAGE */
    char *text;     /* valid UTF-8 (bad bytes become '?'), the address to the coach removed; owned */
    char *event_id; /* IRCv3 msgid tag; owned, may be NULL */
    int direct;     /* 1: a private message */
    int addressed;  /* 1: always, for messages: unaddressed channel lines never become events */
} irc_event;

/* Copies cfg (strings included). Returns NULL when cfg->nick is missing or memory runs out. */
irc_session *irc_session_new(const irc_session_config *cfg);
void irc_session_free(irc_session *s);

/* A new connection is open: resets per-connection state (queued lines are dropped, queued
 * events are kept) and queues CAP LS 302, NICK and USER. */
void irc_session_connected(irc_session *s, int64_t now_ms);
/* The connection is gone: state IDLE. Events not taken are kept. */
void irc_session_disconnected(irc_session *s);
/* Handles one received line (CR/LF optional). Malformed lines are counted and ignored.
 * Returns SB_ENOMEM when an event or line could not be queued, else SB_OK. */
int irc_session_receive(irc_session *s, const char *line, size_t len, int64_t now_ms);
/* Timers: queues our PING after silence, moves to RECONNECT when it or 001 does not come. */
void irc_session_tick(irc_session *s, int64_t now_ms);
/* When irc_session_tick next needs to run; INT64_MAX when no timer is pending. */
int64_t irc_session_next_timer(const irc_session *s);

irc_session_state irc_session_get_state(const irc_session *s);
/* Why the state is RECONNECT or FATAL (static or session-owned text), else NULL. */
const char *irc_session_reason(const irc_session *s);

/* The oldest protocol line waiting to be sent (no CR/LF), or NULL; borrowed until pop. */
const char *irc_session_peek_line(const irc_session *s);
void irc_session_pop_line(irc_session *s);
/* Queues a protocol line (e.g. QUIT). Returns SB_OK, SB_ENOMEM, or SB_ETOOBIG when the
 * queue is full. */
int irc_session_queue_line(irc_session *s, const char *line);

/* Moves the oldest event into *out (the caller owns its strings, free with
 * irc_event_clear) and returns 1, or returns 0 when none is waiting. */
int irc_session_take_event(irc_session *s, irc_event *out);
void irc_event_clear(irc_event *e);

/* 1 when target names a channel on this server (CHANTYPES, default "#&"). */
int irc_session_is_channel(const irc_session *s, const char *target);
/* How a reply to target is sent: "NOTICE" to channels, "PRIVMSG" to people. Static. */
const char *irc_session_reply_command(const irc_session *s, const char *target);
/* Bytes of reply text that fit one line to target, from the coach's nick!user@host as the
 * server shows it (the longest allowed when not yet known). */
size_t irc_session_budget(const irc_session *s, const char *target);

#endif
