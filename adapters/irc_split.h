/* irc_split.h — cuts a reply into pieces that each fit one IRC message: one piece per
 * line of the text, long lines broken at word boundaries and never inside a UTF-8
 * sequence. No allocation: pieces point into the caller's text. */
#ifndef SB_IRC_SPLIT_H
#define SB_IRC_SPLIT_H

#include <stddef.h>

#define IRC_SPLIT_MIN 4 /* the smallest max: one whole UTF-8 sequence */

typedef struct irc_split {
    const char *text; /* borrowed; must outlive the iteration */
    size_t len;
    size_t at;        /* bytes consumed so far */
    size_t max;       /* bytes per piece */
} irc_split;

/* Starts splitting len bytes of text into pieces of at most max bytes (raised to
 * IRC_SPLIT_MIN when smaller). Cannot fail. */
void irc_split_init(irc_split *s, const char *text, size_t len, size_t max);

/* The next piece: returns 1 and sets *piece and *piece_len, or 0 when the text is used up.
 * Pieces never hold '\n' or '\r' and are never empty or only blanks (such lines are
 * skipped). A line longer than max breaks after the last space that fits (the spaces at
 * the break are dropped), else at the last UTF-8 character boundary that fits; bytes that
 * are not valid UTF-8 are cut at max. */
int irc_split_next(irc_split *s, const char **piece, size_t *piece_len);

/* Bytes of text that fit one message from nick!user@host with the given command and
 * target: IRC_BODY_MAX minus ":nick!user@host COMMAND target :". user and host may be NULL
 * when unknown; the longest the server allows (userlen, hostlen) is assumed then.
 * Never less than IRC_SPLIT_MIN. */
size_t irc_split_budget(const char *nick, const char *user, const char *host, size_t userlen,
                        size_t hostlen, const char *command, const char *target);

#endif
