/* irc_line.h — one IRC protocol line (RFC 1459/2812 with IRCv3 message tags): bytes in,
 * a parsed message out, and the reverse. No I/O, no allocation: the caller owns the
 * irc_message and every pointer in it points into the message's own storage. */
#ifndef SB_IRC_LINE_H
#define SB_IRC_LINE_H

#include <stddef.h>

#define IRC_BODY_MAX 510      /* bytes of a line after the tags, without CR LF */
#define IRC_TAGS_MAX 8191     /* bytes of the tag section, from '@' to the space after it */
#define IRC_TAGS_KEPT 32      /* tags kept per message; further ones are ignored */
#define IRC_PARAMS_MAX 32     /* parameters per message; more is an error */
#define IRC_LINE_BUF (IRC_BODY_MAX + 1) /* room for a formatted line and its NUL */

typedef struct irc_tag {
    const char *key;   /* e.g. "time", "account", "+example.com/foo" */
    const char *value; /* unescaped; "" when the tag has no value */
} irc_tag;

typedef struct irc_message {
    irc_tag tags[IRC_TAGS_KEPT];
    size_t ntags;
    const char *source;  /* the prefix without ':' ("nick!user@host", "irc.example.org"); NULL if none */
    const char *nick;    /* source up to '!' or '@' (a server name when the source is a server); NULL if no source */
    const char *user;    /* between '!' and '@'; NULL when absent */
    const char *host;    /* after '@'; NULL when absent */
    const char *command; /* upper-cased letters or a three-digit numeric */
    const char *params[IRC_PARAMS_MAX];
    size_t nparams;
    int trailing;        /* 1 when the last parameter was written with ':' (it may be empty) */
    /* storage the pointers above point into */
    char line[IRC_TAGS_MAX + IRC_BODY_MAX + 2];
    char parts[IRC_BODY_MAX + 4];
} irc_message;

/* Parses one line of len bytes (not NUL-terminated; one trailing "\r\n", "\n" or "\r" is
 * allowed and dropped). Returns SB_OK and fills *m; SB_ETOOBIG when the tag section or
 * the body is longer than IRC allows or there are more than IRC_PARAMS_MAX parameters;
 * SB_EPARSE for anything else that is not a line (empty, NUL/CR/LF inside, no command,
 * a command that is neither letters nor three digits). On error *m is unspecified. */
int irc_line_parse(const char *data, size_t len, irc_message *m);

/* The value of tag key (the last one when repeated), or NULL when the message lacks it. */
const char *irc_message_tag(const irc_message *m, const char *key);

/* Formats "COMMAND p1 p2 :last" (no CR LF) into out (cap bytes, IRC_LINE_BUF is enough for
 * any valid line) and sets *len. The last parameter is written as a trailing one when it
 * is empty, holds a space or starts with ':'. Returns SB_EINVAL when the command is not
 * letters/digits, a parameter holds CR, LF or NUL, or a middle parameter is empty, holds
 * a space or starts with ':'; SB_ETOOBIG when the line exceeds IRC_BODY_MAX or cap. out is
 * then "" (when cap > 0). */
int irc_line_format(char *out, size_t cap, size_t *len, const char *command,
                    const char *const *params, size_t nparams);

#endif
