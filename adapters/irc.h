/* irc.h — the IRC adapter: talks to an IRC server's WebSocket listener (IRCv3 WebSocket
 * transport, ws:// or wss://) on its own thread with libwebsockets. People write to the
 * coach privately; in channels it answers "!" commands and lines addressed to it. */
#ifndef SB_IRC_H
#define SB_IRC_H

#include "adapter.h"
#include "config.h"

/* An IRC adapter configured from cfg's [irc] section (the keys are listed at the top of
 * irc.c). Returns NULL, after logging which key is wrong, when the configuration cannot
 * work (no url or a url that is not ws:// or wss://, a bad nick, sasl_required without
 * credentials), or on ENOMEM. The caller destroys it with a->destroy after a->stop. */
sb_adapter *irc_adapter_new(const sb_config *cfg);

#endif
