/* config.c — the INI configuration, parsed by libinih against one table of known keys.
 * The table is the single source of truth: what is valid, what is numeric, which
 * environment variable may carry a secret, and the default. The README and
 * securebase.conf.example document the same keys; tests/unit/test_config.c checks them. */
#include "config.h"
#include "sb.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    {"dialogs", "path", TEXT, NULL, "dialogs"},
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
    {"matrix", "sync_timeout_ms", NUMBER, NULL, "30000"},
    {"matrix", "backoff_min_ms", NUMBER, NULL, "1000"},
    {"matrix", "backoff_max_ms", NUMBER, NULL, "300000"},
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
};
#define NKEYS (sizeof keys / sizeof keys[0])

struct sb_config {
    char *values[NKEYS];   /* from the file, owned; NULL when absent */
    unsigned sections;     /* bit per distinct section name seen (index in section_names) */
    const char *path;      /* borrowed during load only */
    char err[256];
    const char *err_key;
};

static const char *const section_names[] = {"store", "dialogs", "safety", "console", "matrix", "irc"};
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
    c->values[k] = sb_strdup(value);
    if (!c->values[k]) {
        snprintf(c->err, sizeof c->err, "key '%s': out of memory", name);
        return 0;
    }
    return 1;
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
            snprintf(err, errsize, "%s: cannot read the configuration file", path);
            config_free(c);
            return SB_EIO;
        }
        int line = ini_parse_file(f, on_key, c);
        fclose(f);
        if (line != 0) {
            if (!c->err[0])
                snprintf(c->err, sizeof c->err, "key '?': not a 'key = value' line or [section]");
            snprintf(err, errsize, "%s:%d: %s", path, line, c->err);
            config_free(c);
            return SB_EPARSE;
        }
    }
    *out = c;
    return SB_OK;
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
