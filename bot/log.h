/* log.h — logging for every module and adapter: sb_log(), and how much is logged and in what
 * shape. adapter.h includes it, so adapters log without knowing more. A line is "TIME LEVEL MODULE: text key=value ...";
 * under systemd (JOURNAL_STREAM names our stderr) it is "<PRIORITY>MODULE: text ..." and
 * the journal adds the time. Callers put identifiers in key=value fields (person=#12
 * adapter=matrix state=dialog/state), never a person's words and never a secret. */
#ifndef SB_LOG_H
#define SB_LOG_H

/* Logging shared by all modules: never pass secrets or a person's words; identifiers go in
 * key=value fields. level: "debug", "info", "warn", "error". */
void sb_log(const char *level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* sb_log of a line a library hands over (libwebsockets' log callback): its trailing line
 * breaks taken off. */
void sb_log_line(const char *level, const char *module, const char *line);

enum { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* The level named by name: "debug", "info", "warn" (or "warning"), "error"; "0" is warn and
 * "1" info (the older SECUREBASE_LOG switch). Returns the LOG_LEVEL_* or -1 when unknown. */
int log_level_parse(const char *name);
/* Sets the level from SECUREBASE_LOG when it is set, else from configured ([log] level,
 * may be NULL), else info. Call once at start, before other threads log. Returns 0, or -1
 * when the value in use is unknown (the level stays info). */
int log_configure(const char *configured);
/* 1 when a line of this level ("debug", "info", "warn", "error") would be written. */
int log_enabled(const char *level);

#endif
