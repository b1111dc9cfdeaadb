/* json_valid.h — an independent RFC 8259 recogniser for the Matrix fuzz targets: when it
 * says the bytes are one JSON document, matrix_json_load must parse them. It allows what
 * the RFC allows and jansson refuses (any \uXXXX escape: \u0000, lone surrogates). Numbers
 * are limited to 15 characters with a two-digit exponent and nesting to 512 levels, the range any homeserver emits
 * (Synapse's canonical JSON has no big integers or floats in events). Raw bytes must be
 * UTF-8, as the RFC requires. */
#ifndef SB_FUZZ_JSON_VALID_H
#define SB_FUZZ_JSON_VALID_H

#include <stddef.h>

typedef struct json_cursor {
    const unsigned char *p, *end;
    int depth;
} json_cursor;

static void jv_space(json_cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int jv_hex(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* Length of the UTF-8 sequence at p, 0 when invalid (no overlongs, surrogates, > U+10FFFF). */
static size_t jv_utf8(const unsigned char *p, const unsigned char *end)
{
    unsigned char b = p[0], lo = 0x80, hi = 0xbf;
    size_t n = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (!n || (size_t)(end - p) < n)
        return 0;
    if (b == 0xe0)
        lo = 0xa0;
    if (b == 0xed)
        hi = 0x9f;
    if (b == 0xf0)
        lo = 0x90;
    if (b == 0xf4)
        hi = 0x8f;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

static int jv_string(json_cursor *c)
{
    c->p++; /* the opening quote */
    while (c->p < c->end) {
        unsigned char ch = *c->p;
        if (ch == '"') {
            c->p++;
            return 1;
        }
        if (ch < 0x20)
            return 0;
        if (ch == '\\') {
            if (c->end - c->p < 2)
                return 0;
            unsigned char e = c->p[1];
            if (e == 'u') {
                if (c->end - c->p < 6 || !jv_hex(c->p[2]) || !jv_hex(c->p[3]) ||
                    !jv_hex(c->p[4]) || !jv_hex(c->p[5]))
                    return 0;
                c->p += 6;
                continue;
            }
            if (!(e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                  e == 'r' || e == 't'))
                return 0;
            c->p += 2;
            continue;
        }
        if (ch < 0x80) {
            c->p++;
            continue;
        }
        size_t n = jv_utf8(c->p, c->end);
        if (!n)
            return 0;
        c->p += n;
    }
    return 0;
}

static int jv_number(json_cursor *c)
{
    const unsigned char *start = c->p;
    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return 0;
    if (*c->p == '0')
        c->p++;
    else
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        const unsigned char *digits = c->p;
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
        if (c->p - digits > 2) /* 1e999 overflows a double: out of range, not invalid */
            return 0;
    }
    return c->p - start <= 15;
}

static int jv_literal(json_cursor *c, const char *word, size_t n)
{
    if ((size_t)(c->end - c->p) < n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (c->p[i] != (unsigned char)word[i])
            return 0;
    c->p += n;
    return 1;
}

static int jv_value(json_cursor *c);

static int jv_container(json_cursor *c, unsigned char close, int object)
{
    if (++c->depth > 512)
        return 0;
    c->p++;
    jv_space(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        c->depth--;
        return 1;
    }
    for (;;) {
        jv_space(c);
        if (object) {
            if (c->p >= c->end || *c->p != '"' || !jv_string(c))
                return 0;
            jv_space(c);
            if (c->p >= c->end || *c->p != ':')
                return 0;
            c->p++;
        }
        if (!jv_value(c))
            return 0;
        jv_space(c);
        if (c->p >= c->end)
            return 0;
        if (*c->p == close) {
            c->p++;
            c->depth--;
            return 1;
        }
        if (*c->p != ',')
            return 0;
        c->p++;
    }
}

static int jv_value(json_cursor *c)
{
    jv_space(c);
    if (c->p >= c->end)
        return 0;
    switch (*c->p) {
    case '{': return jv_container(c, '}', 1);
    case '[': return jv_container(c, ']', 0);
    case '"': return jv_string(c);
    case 't': return jv_literal(c, "true", 4);
    case 'f': return jv_literal(c, "false", 5);
    case 'n': return jv_literal(c, "null", 4);
    default: return jv_number(c);
    }
}

/* 1 when data[0..size) is exactly one JSON value (surrounding whitespace allowed). */
static int json_valid(const unsigned char *data, size_t size)
{
    json_cursor c = {data, data + size, 0};
    if (!jv_value(&c))
        return 0;
    jv_space(&c);
    return c.p == c.end;
}

#endif
