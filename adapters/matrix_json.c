/* matrix_json.c — JSON from a homeserver, parsed even when jansson would refuse a valid
 * document over one odd string (matrix_json.h). The fast path is jansson alone; only a
 * refused document is repaired and parsed again. What the values mean is matrix_parse's. */
#include "matrix_json.h"

#include <stdlib.h>
#include <string.h>

static const char REPLACEMENT_ESCAPE[] = "\\ufffd";   /* 6 bytes, like the escape it replaces */
static const char REPLACEMENT_UTF8[] = "\xef\xbf\xbd"; /* U+FFFD */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The code unit of the escape "\uXXXX" at s (len bytes left), or -1 when s holds none. */
static long escape_unit(const char *s, size_t len)
{
    if (len < 6 || s[0] != '\\' || s[1] != 'u')
        return -1;
    long v = 0;
    for (int i = 2; i < 6; i++) {
        int h = hex_value(s[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Length of the well-formed UTF-8 sequence at s (len bytes left, s[0] >= 0x80), 0 when the
 * bytes there are not one (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF). */
static size_t utf8_sequence(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

char *matrix_json_repair(const char *json, size_t len, size_t *out_len)
{
    /* An invalid byte (1) grows to 3; every other replacement keeps its length. */
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)json[i];
        if (c == '\\' && i + 1 < len && json[i + 1] != 'u') {
            memcpy(out + o, json + i, 2); /* a two-byte escape such as \\ or \" */
            o += 2;
            i += 2;
            continue;
        }
        long unit = c == '\\' ? escape_unit(json + i, len - i) : -1;
        if (unit >= 0xd800 && unit <= 0xdbff) {
            long low = escape_unit(json + i + 6, len - i - 6);
            if (low >= 0xdc00 && low <= 0xdfff) {
                memcpy(out + o, json + i, 12);
                o += 12;
                i += 12;
                continue;
            }
        }
        if (unit == 0 || (unit >= 0xd800 && unit <= 0xdfff)) {
            memcpy(out + o, REPLACEMENT_ESCAPE, 6);
            o += 6;
            i += 6;
            continue;
        }
        if (c < 0x80 || unit >= 0) {
            out[o++] = json[i++];
            continue;
        }
        size_t n = utf8_sequence((const unsigned char *)json + i, len - i);
        if (n) {
            memcpy(out + o, json + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, REPLACEMENT_UTF8, 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

json_t *matrix_json_load(const char *json, size_t len)
{
    json_t *v = json_loadb(json, len, JSON_DECODE_ANY, NULL);
    if (v)
        return v;
    size_t fixed_len;
    char *fixed = matrix_json_repair(json, len, &fixed_len);
    if (!fixed)
        return NULL;
    if (fixed_len != len || memcmp(fixed, json, len) != 0)
        v = json_loadb(fixed, fixed_len, JSON_DECODE_ANY, NULL);
    free(fixed);
    return v;
}
