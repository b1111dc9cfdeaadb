/* matrix_split.c — cutting a long Markdown reply into event-sized parts at the gentlest
 * boundary in reach (paragraph, line, word, character). It knows nothing of HTTP or
 * transaction ids: matrix_work.c sends each part under its own id. */
#include "matrix_split.h"

#include "sb.h"

#include <stdlib.h>
#include <string.h>

#define FENCE "```"

/* 1 when the line starting at p opens or closes a code fence. */
static int fence_line(const char *p)
{
    while (*p == ' ')
        p++;
    return strncmp(p, FENCE, 3) == 0;
}

/* Whether a code fence is open at the end of text[0..len): counts fence lines. */
static int fence_open(const char *text, size_t len)
{
    int open = 0;
    for (size_t i = 0; i < len; i++)
        if ((i == 0 || text[i - 1] == '\n') && i + 3 <= len && fence_line(text + i))
            open = !open;
    return open;
}

/* Where to end a part that starts at text and may hold at most room bytes (text is longer
 * than room): the end of the last paragraph that fits, else of the last line, else of the
 * last word, else the last character boundary. Always > 0. */
static size_t cut_at(const char *text, size_t room)
{
    size_t best = 0;
    for (size_t i = room; i > 0 && !best; i--)
        if (text[i] == '\n' && text[i - 1] == '\n')
            best = i - 1;
    for (size_t i = room; i > 0 && !best; i--)
        if (text[i] == '\n')
            best = i;
    for (size_t i = room; i > 0 && !best; i--)
        if (text[i] == ' ')
            best = i;
    if (!best) {
        best = room;
        while (best > 1 && ((unsigned char)text[best] & 0xC0) == 0x80)
            best--; /* never inside a UTF-8 sequence */
    }
    while (best > 1 && (text[best - 1] == ' ' || text[best - 1] == '\n'))
        best--;
    return best;
}

static int parts_add(char ***parts, size_t *n, char *part)
{
    char **p = part ? realloc(*parts, (*n + 1) * sizeof *p) : NULL;
    if (!p) {
        free(part);
        return SB_ENOMEM;
    }
    p[(*n)++] = part;
    *parts = p;
    return SB_OK;
}

size_t matrix_split(const char *text, size_t max, char ***parts)
{
    *parts = NULL;
    size_t n = 0;
    if (!text)
        text = "";
    if (max < 64)
        max = 64;
    int reopen = 0; /* the previous part ended inside a code fence */
    const char *p = text;
    for (;;) {
        size_t len = strlen(p);
        size_t prefix = reopen ? 4 : 0; /* "```\n" */
        /* The rest fits whole, or a part leaves room for "\n```" to close a fence. */
        size_t take = len + prefix <= max ? len : cut_at(p, max - prefix - 4);
        if (n > 0)
            while (take > 0 && (p[take - 1] == ' ' || p[take - 1] == '\n'))
                take--; /* the tail of a split text, like every cut, sheds its whitespace */
        int open = reopen ^ fence_open(p, take);
        sb_buf b = {0};
        int rc = reopen ? sb_buf_puts(&b, FENCE "\n") : SB_OK;
        if (rc == SB_OK)
            rc = sb_buf_append(&b, p, take);
        if (rc == SB_OK && open && take < len)
            rc = sb_buf_puts(&b, "\n" FENCE);
        if (rc != SB_OK || parts_add(parts, &n, sb_buf_take(&b)) != SB_OK) {
            sb_buf_free(&b);
            matrix_split_free(*parts, n);
            *parts = NULL;
            return 0;
        }
        if (take >= len)
            return n;
        reopen = open;
        p += take;
        while (*p == ' ' || *p == '\n')
            p++;
        if (!*p)
            return n;
    }
}

void matrix_split_free(char **parts, size_t count)
{
    for (size_t i = 0; parts && i < count; i++)
        free(parts[i]);
    free(parts);
}
