/* irc_split.c — breaks reply text into IRC-sized pieces. It knows bytes, lines, spaces
 * and UTF-8 lead/continuation bytes; what the pieces are sent with (PRIVMSG or NOTICE,
 * the flood control) is irc_session's and irc_sendq's business. */
#include "irc_split.h"

#include "irc_line.h"

#include <string.h>

void irc_split_init(irc_split *s, const char *text, size_t len, size_t max)
{
    s->text = text;
    s->len = text ? len : 0;
    s->at = 0;
    s->max = max < IRC_SPLIT_MIN ? IRC_SPLIT_MIN : max;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Length of the longest prefix of p[0..limit) that ends at a space and keeps some
 * non-blank text once the spaces before the break are trimmed; 0 when there is none.
 * p[limit] must be readable: a space there means the whole limit fits. */
static size_t word_break(const char *p, size_t limit)
{
    for (size_t i = limit; i > 0; i--) {
        if (p[i] != ' ')
            continue;
        size_t end = i;
        while (end > 0 && is_blank(p[end - 1]))
            end--;
        return end;
    }
    return 0;
}

/* The last UTF-8 character boundary at or before limit; limit when p holds no lead
 * byte there (invalid UTF-8 is cut where it must be). */
static size_t char_break(const char *p, size_t limit)
{
    size_t cut = limit;
    while (cut > 0 && ((unsigned char)p[cut] & 0xC0) == 0x80)
        cut--;
    return cut ? cut : limit;
}

/* Bytes before the first CR or LF in p[0..n), or n. */
static size_t line_length(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != '\n' && p[i] != '\r')
        i++;
    return i;
}

int irc_split_next(irc_split *s, const char **piece, size_t *piece_len)
{
    while (s->at < s->len) {
        const char *p = s->text + s->at;
        size_t rest = s->len - s->at;
        size_t line = line_length(p, rest);
        size_t after_line = line < rest ? line + 1 : line;
        size_t n = line;
        while (n > 0 && is_blank(p[n - 1]))
            n--;
        if (n == 0) {
            s->at += after_line;
            continue;
        }
        if (n <= s->max) {
            *piece = p;
            *piece_len = n;
            s->at += after_line;
            return 1;
        }
        size_t cut = word_break(p, s->max);
        size_t next = cut;
        if (cut > 0) {
            while (next < n && is_blank(p[next]))
                next++;
        } else {
            cut = next = char_break(p, s->max);
        }
        *piece = p;
        *piece_len = cut;
        s->at += next;
        return 1;
    }
    return 0;
}

size_t irc_split_budget(const char *nick, const char *user, const char *host, size_t userlen,
                        size_t hostlen, const char *command, const char *target)
{
    /* ":" nick "!" user "@" host " " command " " target " :" */
    size_t used = 1 + strlen(nick ? nick : "") + 1 + (user ? strlen(user) : userlen) + 1 +
                  (host ? strlen(host) : hostlen) + 1 + strlen(command ? command : "") + 1 +
                  strlen(target ? target : "") + 2;
    if (used + IRC_SPLIT_MIN >= IRC_BODY_MAX)
        return IRC_SPLIT_MIN;
    return IRC_BODY_MAX - used;
}
