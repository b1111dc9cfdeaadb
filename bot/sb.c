/* sb.c — error names and the bounded string helpers declared in sb.h. */
#include "sb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sb_strerror(int code)
{
    switch (code) {
#define SB_CASE(name, value, text) case value: return text;
    SB_ERRORS(SB_CASE)
#undef SB_CASE
    }
    return "unknown error";
}

char *sb_strdup(const char *s)
{
    return s ? sb_strndup(s, strlen(s)) : NULL;
}

char *sb_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *vasprintf_alloc(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return NULL;
    char *p = malloc((size_t)n + 1);
    if (!p)
        return NULL;
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *sb_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = vasprintf_alloc(fmt, ap);
    va_end(ap);
    return p;
}

int sb_parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return SB_EINVAL;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end != '\0' || v < min || v > max)
        return SB_EINVAL;
    *out = v;
    return SB_OK;
}

int sb_buf_append(sb_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return SB_ENOMEM;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return SB_OK;
}

int sb_buf_puts(sb_buf *b, const char *s)
{
    return sb_buf_append(b, s, strlen(s));
}

int sb_buf_printf(sb_buf *b, const char *fmt, ...)
{
    /* Formatted straight into the room the buffer has when it fits (one pass, no copy);
     * else as a string of its own. Either way the text up to its first NUL is appended. */
    va_list ap;
    va_start(ap, fmt);
    if (b->data && b->cap > b->len + 1) {
        va_list copy;
        va_copy(copy, ap);
        int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, copy);
        va_end(copy);
        if (n >= 0 && (size_t)n < b->cap - b->len) {
            va_end(ap);
            b->len += strlen(b->data + b->len);
            return SB_OK;
        }
        b->data[b->len] = '\0';
    }
    char *p = vasprintf_alloc(fmt, ap);
    va_end(ap);
    if (!p)
        return SB_ENOMEM;
    int rc = sb_buf_puts(b, p);
    free(p);
    return rc;
}

void sb_buf_free(sb_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *sb_buf_take(sb_buf *b)
{
    char *p = b->data ? b->data : sb_strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

int sb_buf_paragraph(sb_buf *b, const char *text)
{
    int rc = b->len ? sb_buf_puts(b, "\n\n") : SB_OK;
    return rc == SB_OK ? sb_buf_puts(b, text) : rc;
}
