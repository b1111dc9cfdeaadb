/* irc_config.h — the [irc] section of the configuration, read and checked: where the adapter
 * connects, how it paces and reconnects, and the session's identity. No I/O: the adapter
 * (irc.c) acts on what this reads. */
#ifndef SB_IRC_CONFIG_H
#define SB_IRC_CONFIG_H

#include "config.h"
#include "irc_session.h"
#include "irc_url.h"

typedef struct irc_options {
    irc_url url;             /* the server's WebSocket listener */
    const char *origin;      /* Origin header; NULL: url.origin */
    const char *ca_file;     /* CA bundle for wss://; NULL: the system's */
    long burst, rate;        /* token bucket: lines at once, lines per second */
    long reconnect_min_ms, reconnect_max_ms;
    irc_session_config session; /* nick, SASL, channels, keep-alive */
} irc_options;

/* Reads cfg's [irc] keys (irc.c lists them) into *out; strings are borrowed from cfg.
 * Returns NULL when they make a usable adapter, else a sentence naming the problem (static;
 * *out is then incomplete). */
const char *irc_options_read(const sb_config *cfg, irc_options *out);

#endif
