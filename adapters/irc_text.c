/* irc_text.c — the text rules of IRC that sit above the line format: casemapping, how a
 * channel line addresses someone, CTCP framing, and UTF-8 cleaning. Nothing here knows
 * about connections or the core. */
#include "irc_text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int fold(int c, const char *casemapping)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 'a';
    int rfc = casemapping && strcmp(casemapping, "rfc1459") == 0;
    int strict = casemapping && strcmp(casemapping, "strict-rfc1459") == 0;
    if (rfc || strict) {
        if (c == '[' || c == ']' || c == '\\')
            return c + 32; /* { } | */
        if (rfc && c == '~')
            return '^';
    }
    return c;
}

static int nick_prefix_equal(const char *a, const char *b, size_t n, const char *casemapping)
{
    for (size_t i = 0; i < n; i++)
        if (!a[i] || !b[i] || fold((unsigned char)a[i], casemapping) != fold((unsigned char)b[i], casemapping))
            return 0;
    return 1;
}

int irc_nick_equal(const char *a, const char *b, const char *casemapping)
{
    size_t n = strlen(a);
    return n == strlen(b) && nick_prefix_equal(a, b, n, casemapping);
}

const char *irc_addressed(const char *text, const char *nick, const char *casemapping)
{
    size_t n = strlen(nick);
    if (!n || !nick_prefix_equal(text, nick, n, casemapping))
        return NULL;
    if (text[n] != ':' && text[n] != ',')
        return NULL;
    const char *rest = text + n + 1;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return rest;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    if (!len || len > n || p[0] > 0xF4)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) ||
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F))
        return 0; /* overlong, surrogate, beyond U+10FFFF */
    return len;
}

char *irc_text_clean(const char *text, int keep_newlines)
{
    if (!text)
        return NULL;
    size_t n = strlen(text);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)text;
    size_t at = 0;
    for (size_t i = 0; i < n;) {
        if (p[i] == 0x03) { /* colour: \x03[NN[,NN]] */
            i++;
            for (int k = 0; k < 2 && i < n && p[i] >= '0' && p[i] <= '9'; k++)
                i++;
            if (i + 1 < n && p[i] == ',' && p[i + 1] >= '0' && p[i + 1] <= '9') {
                i += 2;
                if (i < n && p[i] >= '0' && p[i] <= '9')
                    i++;
            }
            continue;
        }
        if (p[i] < 0x20 && p[i] != '\t' && !(keep_newlines && p[i] == '\n')) {
            i++;
            continue;
        }
        size_t len = utf8_sequence(p + i, n - i);
        if (!len) {
            out[at++] = '?';
            i++;
            continue;
        }
        memcpy(out + at, p + i, len);
        at += len;
        i += len;
    }
    out[at] = '\0';
    return out;
}

int irc_ctcp_parse(const char *text, char *command, size_t cap, const char **args,
                   size_t *args_len)
{
    if (!text || text[0] != '\x01' || cap == 0)
        return 0;
    const char *p = text + 1;
    const char *end = strchr(p, '\x01');
    if (!end)
        end = p + strlen(p);
    size_t cmd_len = strcspn(p, " \x01");
    size_t i = 0;
    for (; i < cmd_len && i + 1 < cap; i++)
        command[i] = (char)toupper((unsigned char)p[i]);
    command[i] = '\0';
    const char *a = p + cmd_len;
    if (a < end && *a == ' ')
        a++;
    *args = a < end ? a : end;
    *args_len = (size_t)(end - *args);
    return 1;
}

char *irc_base64(const void *data, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *in = data;
    char *out = malloc((n + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    size_t at = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[at++] = abc[v >> 18 & 63];
        out[at++] = abc[v >> 12 & 63];
        out[at++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
        out[at++] = i + 2 < n ? abc[v & 63] : '=';
    }
    out[at] = '\0';
    return out;
}

int irc_cap_find(const char *list, const char *name, const char **value, size_t *value_len)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (n && len >= n && strncmp(p, name, n) == 0 && (len == n || p[n] == '=')) {
            *value = len == n ? p + n : p + n + 1;
            *value_len = len == n ? 0 : len - n - 1;
            return 1;
        }
        p += len;
    }
    return 0;
}
