/* sb.h — the project-wide error convention and a few bounded string helpers.
 * Every fallible function returns SB_OK (0) or a negative SB_E* code; sb_strerror()
 * names it. Where a function also answers a question, its header says so and the answer
 * is positive (1: found, a row, more to come), never mistaken for an error: test rc < 0.
 * Where resources are taken, a function frees them at one cleanup label at its end.
 * Nothing here allocates except sb_strdup/sb_strndup/sb_asprintf. */
#ifndef SB_H
#define SB_H

#include <stddef.h>
#include <stdint.h>

#define SB_VERSION "0.1.0"

#define SB_ERRORS(X)                                   \
    X(SB_OK, 0, "success")                             \
    X(SB_ENOMEM, -1, "out of memory")                  \
    X(SB_EIO, -2, "input/output error")                \
    X(SB_EINVAL, -3, "invalid argument")               \
    X(SB_ENOTFOUND, -4, "not found")                   \
    X(SB_EDB, -5, "database error")                    \
    X(SB_EPARSE, -6, "parse error")                    \
    X(SB_ETOOBIG, -7, "input too large")               \
    X(SB_ENET, -8, "network error")                    \
    X(SB_EAUTH, -9, "authentication failed")           \
    X(SB_ESTOP, -10, "stopped")                        \
    X(SB_EBUSY, -11, "in use by another process")     \
    X(SB_EACCES, -12, "permission denied")            \
    X(SB_EREADONLY, -13, "the database is read-only") \
    X(SB_EFULL, -14, "the disk is full")              \
    X(SB_ECORRUPT, -15, "the database file is corrupt or not a database")

enum sb_error {
#define SB_ENUM(name, value, text) name = value,
    SB_ERRORS(SB_ENUM)
#undef SB_ENUM
};

/* Returns a static description of an SB_E* code; never NULL. */
const char *sb_strerror(int code);

/* Allocating copies; return NULL on allocation failure (or when s is NULL). Caller frees. */
char *sb_strdup(const char *s);
char *sb_strndup(const char *s, size_t n);
/* printf into a fresh allocation; NULL on failure. Caller frees. */
char *sb_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Checked decimal conversion of the whole string s into [min,max]; SB_EINVAL otherwise. */
int sb_parse_long(const char *s, long min, long max, long *out);

/* Growable byte buffer, always NUL-terminated once anything was appended. */
typedef struct sb_buf {
    char *data;  /* owned; NULL until the first append */
    size_t len;  /* bytes used, excluding the NUL */
    size_t cap;  /* bytes allocated */
} sb_buf;

int sb_buf_append(sb_buf *b, const char *s, size_t n); /* SB_ENOMEM leaves b unchanged */
int sb_buf_puts(sb_buf *b, const char *s);
int sb_buf_printf(sb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* text as a paragraph of its own: a blank line first unless b is empty. */
int sb_buf_paragraph(sb_buf *b, const char *text);
void sb_buf_free(sb_buf *b);
/* Hands the contents to the caller (never NULL on success: "" for an empty buffer). */
char *sb_buf_take(sb_buf *b);

#endif
