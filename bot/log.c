/* log.c — one line per event on stderr (log.h). Callers never pass secrets or a person's
 * words; this file adds neither. Safe from any thread: the level is read atomically and
 * each line goes out with one write. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static atomic_int level = -1;   /* -1: not configured yet (SECUREBASE_LOG, else info) */
static atomic_int journal = -1; /* -1: not looked at yet; 1: stderr is the journal */

int log_level_parse(const char *name)
{
    static const struct {
        const char *name;
        int level;
    } names[] = {{"debug", LOG_LEVEL_DEBUG}, {"info", LOG_LEVEL_INFO}, {"1", LOG_LEVEL_INFO},
                 {"warn", LOG_LEVEL_WARN},   {"warning", LOG_LEVEL_WARN}, {"0", LOG_LEVEL_WARN},
                 {"error", LOG_LEVEL_ERROR}};
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, name) == 0)
            return names[i].level;
    return -1;
}

int log_configure(const char *configured)
{
    const char *env = getenv("SECUREBASE_LOG");
    const char *name = env && *env ? env : configured;
    int l = name ? log_level_parse(name) : LOG_LEVEL_INFO;
    atomic_store(&level, l < 0 ? LOG_LEVEL_INFO : l);
    return l < 0 ? -1 : 0;
}

static int level_of(const char *name)
{
    int l = log_level_parse(name);
    return l < 0 ? LOG_LEVEL_ERROR : l; /* an unknown level is never filtered out */
}

int log_enabled(const char *name)
{
    if (atomic_load(&level) < 0)
        log_configure(NULL);
    return level_of(name) >= atomic_load(&level);
}

/* systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connected to stderr; a
 * child that redirected stderr elsewhere must not pretend to talk to the journal. */
static int stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    struct stat st;
    unsigned long long dev, ino;
    char tail;
    if (!js || sscanf(js, "%llu:%llu%c", &dev, &ino, &tail) != 2 || fstat(2, &st) != 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void sb_log(const char *lvl, const char *module, const char *fmt, ...)
{
    if (!log_enabled(lvl))
        return;
    if (atomic_load(&journal) < 0)
        atomic_store(&journal, stderr_is_journal());
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    char line[1200];
    int n;
    if (atomic_load(&journal)) {
        /* sd-daemon(3) priorities: error 3, warning 4, info 6, debug 7. */
        static const char prio[] = {'7', '6', '4', '3'};
        n = snprintf(line, sizeof line, "<%c>%s: %s\n", prio[level_of(lvl)], module, text);
    } else {
        time_t t = time(NULL);
        struct tm tm;
        char stamp[32];
        gmtime_r(&t, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
        n = snprintf(line, sizeof line, "%s %s %s: %s\n", stamp, lvl, module, text);
    }
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (len && line[len - 1] != '\n')
        line[len - 1] = '\n'; /* a cut line still ends */
    ssize_t ignored = write(2, line, len);
    (void)ignored;
}

void sb_log_line(const char *level, const char *module, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    sb_log(level, module, "%.*s", (int)n, line);
}
