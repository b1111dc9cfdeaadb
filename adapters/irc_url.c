/* irc_url.c — splits the [irc] url setting into host, port, path and the Host and Origin
 * header values. It checks the shape only; resolving and connecting are irc.c's. */
#include "irc_url.h"

#include "sb.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        return SB_EINVAL;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return SB_OK;
}

int irc_url_parse(const char *url, irc_url *out)
{
    const char *p;
    memset(out, 0, sizeof *out);
    if (!url)
        return SB_EINVAL;
    if (strncasecmp(url, "wss://", 6) == 0) {
        out->tls = 1;
        p = url + 6;
    } else if (strncasecmp(url, "ws://", 5) == 0) {
        p = url + 5;
    } else {
        return SB_EINVAL;
    }
    const char *after;
    int bracketed = *p == '[';
    if (bracketed) { /* [IPv6] */
        const char *close = strchr(p, ']');
        if (!close || copy(out->host, sizeof out->host, p + 1, (size_t)(close - p - 1)) != SB_OK)
            return SB_EINVAL;
        after = close + 1;
    } else {
        size_t n = strcspn(p, ":/?#");
        if (copy(out->host, sizeof out->host, p, n) != SB_OK)
            return SB_EINVAL;
        after = p + n;
    }
    if (!out->host[0] || strpbrk(out->host, " \t\r\n@"))
        return SB_EINVAL;
    long port = out->tls ? 443 : 80;
    if (*after == ':') {
        char digits[8];
        size_t n = strcspn(after + 1, "/?#");
        if (n == 0 || copy(digits, sizeof digits, after + 1, n) != SB_OK ||
            sb_parse_long(digits, 1, 65535, &port) != SB_OK)
            return SB_EINVAL;
        after += 1 + n;
    } else if (*after && *after != '/' && *after != '?') {
        return SB_EINVAL;
    }
    out->port = (int)port;
    const char *path = *after == '/' ? after : *after == '?' ? after : "/";
    if (*path == '?') {
        if (snprintf(out->path, sizeof out->path, "/%s", path) >= (int)sizeof out->path)
            return SB_EINVAL;
    } else if (copy(out->path, sizeof out->path, path, strlen(path)) != SB_OK) {
        return SB_EINVAL;
    }
    if (strpbrk(out->path, " \t\r\n#"))
        return SB_EINVAL;
    int n = port == (out->tls ? 443 : 80)
                ? snprintf(out->host_header, sizeof out->host_header, bracketed ? "[%s]" : "%s", out->host)
                : snprintf(out->host_header, sizeof out->host_header, bracketed ? "[%s]:%ld" : "%s:%ld",
                           out->host, port);
    if (n < 0 || n >= (int)sizeof out->host_header)
        return SB_EINVAL;
    n = snprintf(out->origin, sizeof out->origin, "%s://%s", out->tls ? "https" : "http",
                 out->host_header);
    return n < 0 || n >= (int)sizeof out->origin ? SB_EINVAL : SB_OK;
}
