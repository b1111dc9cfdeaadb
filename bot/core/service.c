/* service.c — the systemd side of running as a service (service.h), over libsystemd's
 * sd_notify. It decides nothing about when the coach is ready or alive: main.c and the
 * core's hooks say so. Credentials are plain files systemd prepared; nothing here logs a
 * secret or where one came from beyond its name. */
#include "service.h"
#include "sb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#define CREDENTIAL_MAX 4096 /* a password or token, never a file */

void service_ready(const char *status)
{
    sd_notifyf(0, "READY=1\nSTATUS=%s", status ? status : "serving");
}

void service_reloading(void)
{
    sd_notify(0, "RELOADING=1\nSTATUS=reloading the dialogs");
}

void service_reloaded(const char *status)
{
    sd_notifyf(0, "READY=1\nSTATUS=%s", status ? status : "serving");
}

void service_stopping(void)
{
    sd_notify(0, "STOPPING=1\nSTATUS=stopping after the batch in hand");
}

long service_watchdog_interval_ms(void)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    long ms = (long)(usec / 2000); /* ping at half the timeout, as sd_watchdog_enabled(3) advises */
    return ms > 0 ? ms : 1;
}

void service_watchdog_ping(void)
{
    sd_notify(0, "WATCHDOG=1");
}

int service_credential_name(const char *env, char *out, unsigned long size)
{
    static const char prefix[] = "SECUREBASE_";
    if (!env || strncmp(env, prefix, sizeof prefix - 1) != 0 || size == 0)
        return SB_EINVAL;
    const char *p = env + sizeof prefix - 1;
    size_t n = strlen(p);
    if (n == 0 || n >= size)
        return SB_EINVAL;
    for (size_t i = 0; i < n; i++)
        out[i] = p[i] == '_' ? '-' : (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] - 'A' + 'a') : p[i];
    out[n] = '\0';
    return 0;
}

char *service_credential(const char *name)
{
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    if (!dir || !*dir || !name || !*name || strchr(name, '/'))
        return NULL;
    char path[4096];
    int len = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (len < 0 || (size_t)len >= sizeof path)
        return NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char buf[CREDENTIAL_MAX + 1];
    size_t have = 0;
    for (;;) {
        ssize_t got = read(fd, buf + have, sizeof buf - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        have += (size_t)got;
        if (have == sizeof buf)
            break;
    }
    close(fd);
    char *secret = NULL;
    if (have > 0 && have <= CREDENTIAL_MAX) {
        while (have > 0 && (buf[have - 1] == '\n' || buf[have - 1] == '\r'))
            have--;
        if (have > 0 && !memchr(buf, '\0', have))
            secret = sb_strndup(buf, have);
    }
    explicit_bzero(buf, sizeof buf); /* the copy on the stack goes; the caller owns the other */
    return secret;
}
