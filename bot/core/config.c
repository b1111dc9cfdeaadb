/* config.c — the INI configuration, parsed by libinih against one table of known keys.
 * The table is the single source of truth: what is valid, what is numeric, which
 * environment variable may carry a secret, and the default. The README and
 * securebase.conf.example document the same keys; tests/unit/test_config.c checks them. */
#include "config.h"
#include "sb.h"
#include "service.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

enum { TEXT, NUMBER, BOOL };

typedef struct key_spec {
    const char *section;
    const char *key;
    int type;
    const char *env;     /* environment variable that may carry the value, or NULL */
    const char *def;     /* default, or NULL */
} key_spec;

static const key_spec keys[] = {
    {"store", "path", TEXT, NULL, "securebase.db"},
    {"dialogs", "path", TEXT, NULL, NULL},
    {"safety", "crisis_message", TEXT, NULL, NULL},
    {"safety", "abuse_message", TEXT, NULL, NULL},
    {"console", "user", TEXT, NULL, NULL},
    {"matrix", "homeserver", TEXT, NULL, NULL},
    {"matrix", "user_id", TEXT, NULL, NULL},
    {"matrix", "password", TEXT, "SECUREBASE_MATRIX_PASSWORD", NULL},
    {"matrix", "access_token", TEXT, "SECUREBASE_MATRIX_TOKEN", NULL},
    {"matrix", "device_name", TEXT, NULL, "securebase"},
    {"matrix", "device_id", TEXT, NULL, NULL},
    {"matrix", "allowed_users", TEXT, NULL, NULL},
    {"matrix", "allowed_servers", TEXT, NULL, NULL},
    {"matrix", "msgtype", TEXT, NULL, "notice"},
    {"matrix", "encryption", BOOL, NULL, "yes"},
    {"matrix", "sync_timeout_ms", NUMBER, NULL, "30000"},
    {"matrix", "backoff_min_ms", NUMBER, NULL, "1000"},
    {"matrix", "backoff_max_ms", NUMBER, NULL, "300000"},
    {"matrix", "typing_delay_ms", NUMBER, NULL, "1500"},
    {"irc", "url", TEXT, NULL, NULL},
    {"irc", "origin", TEXT, NULL, NULL},
    {"irc", "nick", TEXT, NULL, "securebase"},
    {"irc", "username", TEXT, NULL, "securebase"},
    {"irc", "realname", TEXT, NULL, "securebase coach"},
    {"irc", "channels", TEXT, NULL, NULL},
    {"irc", "sasl_user", TEXT, NULL, NULL},
    {"irc", "sasl_password", TEXT, "SECUREBASE_IRC_PASSWORD", NULL},
    {"irc", "sasl_required", BOOL, NULL, "no"},
    {"irc", "burst", NUMBER, NULL, "4"},
    {"irc", "rate", NUMBER, NULL, "1"},
    {"irc", "ping_interval", NUMBER, NULL, "120"},
    {"irc", "ping_timeout", NUMBER, NULL, "60"},
    {"irc", "reconnect_min_ms", NUMBER, NULL, "10000"},
    {"irc", "reconnect_max_ms", NUMBER, NULL, "300000"},
    {"irc", "ca_file", TEXT, NULL, NULL},
    {"log", "level", TEXT, NULL, "info"},
    {"metrics", "listen", TEXT, NULL, NULL},
};
#define NKEYS (sizeof keys / sizeof keys[0])

struct sb_config {
    char *values[NKEYS];   /* from the file, owned; NULL when absent */
    int lines[NKEYS];      /* the line each value came from, for "given twice" */
    unsigned sections;     /* bit per distinct section name seen (index in section_names) */
    char err[256];
    int err_line;          /* the line of err when the reader found it (inih never saw it) */
    int line;              /* the line the reader handed to inih last */
    int continued;         /* that line starts with white space: inih reads it as a
                              continuation of the key before */
    char warning[512];     /* for config_warning; "" when none */
};

/* inih reads lines into a fixed buffer of INI_MAX_LINE bytes and would cut a longer line
 * in two, reporting the rest as the next line with key '?'. This reader counts lines
 * itself and refuses a long one, naming its line and key. */
typedef struct line_reader {
    FILE *f;
    sb_config *c;
    char *buf;    /* getline's, owned */
    size_t cap;
} line_reader;

static char *read_line(char *str, int num, void *stream)
{
    line_reader *r = stream;
    if (r->c->err_line)
        return NULL; /* stop at the error: inih then reports no line of its own */
    ssize_t len = getline(&r->buf, &r->cap, r->f);
    if (len < 0)
        return NULL;
    r->c->line++;
    size_t body = (size_t)len;
    while (body > 0 && (r->buf[body - 1] == '\n' || r->buf[body - 1] == '\r'))
        body--;
    if (body + 2 > (size_t)num) {
        /* The key is what comes before '=' (or ':'), trimmed. */
        size_t start = strspn(r->buf, " \t");
        size_t end = start + strcspn(r->buf + start, "=:");
        while (end > start && (r->buf[end - 1] == ' ' || r->buf[end - 1] == '\t'))
            end--;
        if (end > start + 64)
            end = start + 64;
        snprintf(r->c->err, sizeof r->c->err, "key '%.*s': line too long (%zu bytes; at most %d)",
                 end > start && end < body ? (int)(end - start) : 1,
                 end > start && end < body ? r->buf + start : "?", body, num - 2);
        r->c->err_line = r->c->line;
        return NULL;
    }
    r->c->continued = r->buf[0] == ' ' || r->buf[0] == '\t';
    memcpy(str, r->buf, (size_t)len < (size_t)num - 1 ? (size_t)len : (size_t)num - 1);
    str[(size_t)len < (size_t)num - 1 ? (size_t)len : (size_t)num - 1] = '\0';
    return str;
}

/* An http(s) URL with a host: the homeserver's client API. */
static int valid_url(const char *v)
{
    const char *host = strncmp(v, "https://", 8) == 0 ? v + 8
                       : strncmp(v, "http://", 7) == 0 ? v + 7 : NULL;
    if (!host || !*host || *host == '/' || *host == ':')
        return 0;
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

/* A Matrix user id: @localpart:server, neither part empty, no white space. */
static int valid_user_id(const char *v)
{
    if (v[0] != '@')
        return 0;
    const char *colon = strchr(v, ':');
    if (!colon || colon == v + 1 || !colon[1])
        return 0;
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

static const char *const section_names[] = {"store", "dialogs", "safety", "console", "matrix", "irc",
                                            "log", "metrics"};
#define NSECTIONS (sizeof section_names / sizeof section_names[0])

static int section_index(const char *section)
{
    for (size_t i = 0; i < NSECTIONS; i++)
        if (strcmp(section_names[i], section) == 0)
            return (int)i;
    return -1;
}

static int key_index(const char *section, const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
            return (int)i;
    return -1;
}

static int parse_bool(const char *v)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1"))
        return 1;
    if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcmp(v, "0"))
        return 0;
    return -1;
}

/* inih calls this per key; returning 0 makes ini_parse report the line. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
    sb_config *c = user;
    if (c->err[0])
        return 1; /* keep the first error only */
    int s = section_index(section);
    if (s < 0) {
        snprintf(c->err, sizeof c->err, "key '%s': unknown section [%s]", name, section);
        return 0;
    }
    c->sections |= 1u << s;
    int k = key_index(section, name);
    if (k < 0) {
        snprintf(c->err, sizeof c->err, "key '%s': unknown key in [%s]", name, section);
        return 0;
    }
    if (c->values[k] && !c->continued) {
        snprintf(c->err, sizeof c->err, "key '%s': given twice (first on line %d)", name,
                 c->lines[k]);
        return 0;
    }
    if (strcmp(section, "matrix") == 0 && strcmp(name, "homeserver") == 0 && !valid_url(value)) {
        snprintf(c->err, sizeof c->err, "key '%s': '%.80s' is not an http:// or https:// URL "
                 "with a host (e.g. https://matrix.example.org)", name, value);
        return 0;
    }
    if (strcmp(section, "matrix") == 0 && strcmp(name, "user_id") == 0 && !valid_user_id(value)) {
        snprintf(c->err, sizeof c->err, "key '%s': '%.80s' is not a Matrix user id "
                 "(@name:server)", name, value);
        return 0;
    }
    long n;
    if (keys[k].type == NUMBER && sb_parse_long(value, 0, 1000000000L, &n) != SB_OK) {
        snprintf(c->err, sizeof c->err, "key '%s': '%s' is not a whole number", name, value);
        return 0;
    }
    if (keys[k].type == BOOL && parse_bool(value) < 0) {
        snprintf(c->err, sizeof c->err, "key '%s': expected yes or no", name);
        return 0;
    }
    free(c->values[k]);
    c->lines[k] = c->line;
    c->values[k] = sb_strdup(value);
    if (!c->values[k]) {
        snprintf(c->err, sizeof c->err, "key '%s': out of memory", name);
        return 0;
    }
    return 1;
}

/* Under systemd, a secret the file and the environment leave unset may come as a
 * credential named after its variable (SECUREBASE_MATRIX_PASSWORD -> matrix-password). */
static void secrets_from_credentials(sb_config *c)
{
    for (size_t k = 0; k < NKEYS; k++) {
        const char *env = keys[k].env ? getenv(keys[k].env) : NULL;
        char name[64];
        if (!keys[k].env || c->values[k] || (env && *env) ||
            service_credential_name(keys[k].env, name, sizeof name) != SB_OK)
            continue;
        c->values[k] = service_credential(name);
    }
}

/* Notes a file that holds a secret yet is readable by group or others. */
static void check_mode(sb_config *c, const char *path, FILE *f)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !(st.st_mode & 077))
        return;
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].env && c->values[i]) {
            snprintf(c->warning, sizeof c->warning,
                     "%s holds [%s] %s and is readable by %s (mode %04o): chmod 600 %s, or "
                     "give it through %s instead", path, keys[i].section, keys[i].key,
                     st.st_mode & 007 ? "others" : "its group", (unsigned)(st.st_mode & 07777),
                     path, keys[i].env);
            return;
        }
}

int config_load(const char *path, sb_config **out, char *err, unsigned long errsize)
{
    *out = NULL;
    sb_config *c = calloc(1, sizeof *c);
    if (!c)
        return SB_ENOMEM;
    if (path) {
        FILE *f = fopen(path, "r");
        if (!f) {
            int denied = errno == EACCES || errno == EPERM;
            snprintf(err, errsize, "%s: cannot read the configuration file: %s", path,
                     denied ? sb_strerror(SB_EACCES) : strerror(errno));
            config_free(c);
            return denied ? SB_EACCES : SB_EIO;
        }
        line_reader r = {.f = f, .c = c};
        int line = ini_parse_stream(read_line, &r, on_key, c);
        free(r.buf);
        if (line == 0 && c->err_line)
            line = c->err_line;
        if (line == 0)
            check_mode(c, path, f);
        fclose(f);
        if (line != 0) {
            if (!c->err[0])
                snprintf(c->err, sizeof c->err, "key '?': not a 'key = value' line or [section]");
            snprintf(err, errsize, "%s:%d: %s", path, line, c->err);
            config_free(c);
            return SB_EPARSE;
        }
    }
    secrets_from_credentials(c);
    *out = c;
    return SB_OK;
}

const char *config_warning(const sb_config *c)
{
    return c && c->warning[0] ? c->warning : NULL;
}

void config_free(sb_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < NKEYS; i++)
        free(c->values[i]);
    free(c);
}

const char *config_get(const sb_config *c, const char *section, const char *key)
{
    int k = key_index(section, key);
    if (k < 0)
        return NULL;
    if (c && c->values[k])
        return c->values[k];
    if (keys[k].env) {
        const char *v = getenv(keys[k].env);
        if (v && *v)
            return v;
    }
    return keys[k].def;
}

int config_has_section(const sb_config *c, const char *section)
{
    int s = section_index(section);
    return c && s >= 0 && (c->sections & (1u << s));
}

long config_get_long(const sb_config *c, const char *section, const char *key, long def)
{
    const char *v = config_get(c, section, key);
    long n;
    if (!v || sb_parse_long(v, 0, 1000000000L, &n) != SB_OK)
        return def;
    return n;
}

int config_get_bool(const sb_config *c, const char *section, const char *key, int def)
{
    const char *v = config_get(c, section, key);
    int b = v ? parse_bool(v) : -1;
    return b < 0 ? def : b;
}
