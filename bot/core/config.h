/* config.h — the INI configuration (libinih): sections, `key = value`, `;`/`#` comments.
 * Every known key is listed in config.c's table (and documented in the README and in
 * securebase.conf.example); an unknown section or key is an error naming file, line and
 * key. Secrets may come from the environment instead (see config_get). */
#ifndef SB_CONFIG_H
#define SB_CONFIG_H

typedef struct sb_config sb_config;

/* Parses path. On error writes "FILE:LINE: key 'KEY': problem" into err (errsize bytes),
 * returns SB_EPARSE (or SB_EACCES / SB_EIO when the file cannot be read, the message
 * saying which) and *out is NULL. Refused: a line longer than inih's buffer (named by its
 * own line and key, never cut in two), a key given twice, a [matrix] homeserver that is
 * not an http(s) URL with a host, a user_id that is not @name:server.
 * path NULL gives an empty configuration (all defaults). Caller frees with config_free. */
int config_load(const char *path, sb_config **out, char *err, unsigned long errsize);
/* A warning for the operator about the loaded file (it holds a password or token and is
 * readable by group or others), or NULL. Borrowed: valid until config_free. */
const char *config_warning(const sb_config *c);
void config_free(sb_config *c);

/* The value of section.key: the file's value, else the environment variable named in the
 * table for that key (e.g. SECUREBASE_MATRIX_PASSWORD), else the table's default, else NULL.
 * Borrowed: valid until config_free. */
const char *config_get(const sb_config *c, const char *section, const char *key);
/* 1 when section appears in the file (an adapter runs when its section is present). */
int config_has_section(const sb_config *c, const char *section);
/* Integer value with checked conversion; def when unset; SB_EINVAL when not a number
 * (config_load already rejects such values for keys declared numeric). */
long config_get_long(const sb_config *c, const char *section, const char *key, long def);
/* "yes/true/on/1" → 1, "no/false/off/0" → 0, unset → def. */
int config_get_bool(const sb_config *c, const char *section, const char *key, int def);

#endif
