/* irc_sendq.h — the replies waiting to go out over IRC, cut into lines as they leave, and
 * the token bucket that paces every line the coach writes so that a burst of replies
 * stays under the server's flood limit. Pure: the time comes in as milliseconds. */
#ifndef SB_IRC_SENDQ_H
#define SB_IRC_SENDQ_H

#include <stddef.h>
#include <stdint.h>

/* Token bucket: holds up to burst lines, refills rate lines per second. */
typedef struct irc_bucket {
    int64_t milli;   /* thousandths of a line available */
    int64_t last_ms; /* when milli was last brought up to date */
    int64_t burst;   /* lines, >= 1 */
    int64_t rate;    /* lines per second, >= 1 */
} irc_bucket;

/* Starts full. burst and rate below 1 count as 1. Cannot fail. */
void irc_bucket_init(irc_bucket *b, long burst, long rate, int64_t now_ms);
/* Takes one line's token: 1 when there was one, 0 (nothing taken) when the bucket is empty. */
int irc_bucket_take(irc_bucket *b, int64_t now_ms);
/* Milliseconds until a token is available (0: now). */
int64_t irc_bucket_wait_ms(irc_bucket *b, int64_t now_ms);

typedef struct irc_sendq irc_sendq;

enum {
    IRC_SENDQ_QUEUED = 0,    /* added */
    IRC_SENDQ_DUPLICATE = 1, /* a reply with this id is already waiting: nothing changed */
    IRC_SENDQ_EMPTY = 2      /* the text has nothing to send (blank): nothing queued */
};

/* A queue holding at most max_items replies. NULL on ENOMEM. */
irc_sendq *irc_sendq_new(size_t max_items);
void irc_sendq_free(irc_sendq *q);

/* Queues reply id (the outbox id) to target. text is plain text, copied and cleaned (no
 * control characters but newlines, valid UTF-8). Returns one of the IRC_SENDQ_* values
 * above, SB_EINVAL when target cannot be an IRC target (empty, spaces, control
 * characters, leading ':'), SB_ETOOBIG when the queue is full, SB_ENOMEM. */
int irc_sendq_add(irc_sendq *q, int64_t id, const char *target, const char *text);

size_t irc_sendq_count(const irc_sendq *q);
/* The target of the reply at the head, or NULL when empty. Borrowed. */
const char *irc_sendq_head_target(const irc_sendq *q);

/* Formats the next line of the head reply, "COMMAND target :piece" with a piece of at
 * most budget bytes of text, into out (cap bytes; IRC_LINE_BUF is enough) without taking
 * it. Returns 1 with *len set, 0 when the queue is empty, or SB_ETOOBIG when no line
 * fits (drop the reply with irc_sendq_drop). */
int irc_sendq_peek(irc_sendq *q, const char *command, size_t budget, char *out, size_t cap,
                   size_t *len);
/* The line from the last peek was written. Returns 1 and sets *done_id when that line
 * finished its reply (removed from the queue), else 0. */
int irc_sendq_advance(irc_sendq *q, int64_t *done_id);
/* Removes the head reply unsent. Returns 1 and sets *id, or 0 when empty. */
int irc_sendq_drop(irc_sendq *q, int64_t *id);

#endif
