/* irc_url.h — the WebSocket address of an IRC server: ws://HOST[:PORT][/PATH] or wss://...,
 * split into what a WebSocket client connects with. Pure; the caller owns the struct. */
#ifndef SB_IRC_URL_H
#define SB_IRC_URL_H

typedef struct irc_url {
    int tls;               /* 1 for wss:// */
    int port;              /* 80 or 443 unless given */
    char host[256];        /* without brackets for an IPv6 literal */
    char host_header[272]; /* Host header: host, with ":port" when not the default */
    char path[512];        /* "/" when absent; query kept */
    char origin[300];      /* default Origin: http(s)://host_header */
} irc_url;

/* Parses url into *out. Returns SB_OK, or SB_EINVAL when the scheme is not ws/wss (any
 * case), the host is empty, the port is not 1..65535, or a part does not fit; *out is then
 * unspecified. */
int irc_url_parse(const char *url, irc_url *out);

#endif
