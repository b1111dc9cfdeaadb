/* log.c — one line per event on stderr: time, level, module, message. Callers never pass
 * secrets; this file adds none. Safe from any thread (one fprintf per line). */
#include "adapter.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void sb_log(const char *level, const char *module, const char *fmt, ...)
{
    static int quiet = -1;
    if (quiet < 0) {
        const char *q = getenv("SECUREBASE_LOG");
        quiet = q && q[0] == '0';
    }
    if (quiet && level[0] == 'i')
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    time_t t = time(NULL);
    struct tm tm;
    char stamp[32];
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s %s %s: %s\n", stamp, level, module, line);
}
