/* irc_sendq.c — the IRC adapter's outgoing replies and its token bucket. A reply stays at
 * the head until its last line was written, so a connection lost halfway resumes with the
 * next line after the reconnect and no reply is reported sent before it is. Which command
 * and how many bytes per line come from irc_session; the cutting is irc_split's. */
#include "irc_sendq.h"

#include "irc_line.h"
#include "irc_split.h"
#include "irc_text.h"
#include "sb.h"

#include <stdlib.h>
#include <string.h>

void irc_bucket_init(irc_bucket *b, long burst, long rate, int64_t now_ms)
{
    b->burst = burst < 1 ? 1 : burst;
    b->rate = rate < 1 ? 1 : rate;
    b->milli = b->burst * 1000;
    b->last_ms = now_ms;
}

static void refill(irc_bucket *b, int64_t now_ms)
{
    if (now_ms <= b->last_ms)
        return;
    int64_t elapsed = now_ms - b->last_ms;
    int64_t room = b->burst * 1000 - b->milli;
    /* elapsed * rate could overflow after a very long pause; room caps it anyway */
    b->milli += elapsed > room ? room : (elapsed * b->rate > room ? room : elapsed * b->rate);
    b->last_ms = now_ms;
}

int irc_bucket_take(irc_bucket *b, int64_t now_ms)
{
    refill(b, now_ms);
    if (b->milli < 1000)
        return 0;
    b->milli -= 1000;
    return 1;
}

int64_t irc_bucket_wait_ms(irc_bucket *b, int64_t now_ms)
{
    refill(b, now_ms);
    if (b->milli >= 1000)
        return 0;
    return (1000 - b->milli + b->rate - 1) / b->rate;
}

typedef struct reply {
    int64_t id;
    char *target;
    char *text;
    irc_split split;  /* where the next line starts */
    size_t peeked_at; /* split.at after the peeked line */
} reply;

struct irc_sendq {
    reply *items; /* ring of max_items */
    size_t head, count, max;
    int peeked;
};

irc_sendq *irc_sendq_new(size_t max_items)
{
    irc_sendq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->max = max_items ? max_items : 1;
    q->items = calloc(q->max, sizeof *q->items);
    if (!q->items) {
        free(q);
        return NULL;
    }
    return q;
}

static reply *at(const irc_sendq *q, size_t i)
{
    return &q->items[(q->head + i) % q->max];
}

static void pop(irc_sendq *q)
{
    reply *r = at(q, 0);
    free(r->target);
    free(r->text);
    memset(r, 0, sizeof *r);
    q->head = (q->head + 1) % q->max;
    q->count--;
    q->peeked = 0;
}

void irc_sendq_free(irc_sendq *q)
{
    if (!q)
        return;
    while (q->count)
        pop(q);
    free(q->items);
    free(q);
}

static int valid_target(const char *t)
{
    if (!t || !*t || *t == ':' || strlen(t) > 200)
        return 0;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++)
        if (*p <= ' ' || *p == ',')
            return 0;
    return 1;
}

int irc_sendq_add(irc_sendq *q, int64_t id, const char *target, const char *text)
{
    if (!valid_target(target))
        return SB_EINVAL;
    for (size_t i = 0; i < q->count; i++)
        if (at(q, i)->id == id)
            return IRC_SENDQ_DUPLICATE;
    if (q->count == q->max)
        return SB_ETOOBIG;
    reply r = {.id = id};
    r.text = irc_text_clean(text ? text : "", 1);
    r.target = sb_strdup(target);
    if (!r.text || !r.target) {
        free(r.text);
        free(r.target);
        return SB_ENOMEM;
    }
    irc_split_init(&r.split, r.text, strlen(r.text), IRC_SPLIT_MIN);
    irc_split probe = r.split;
    const char *piece;
    size_t n;
    if (!irc_split_next(&probe, &piece, &n)) {
        free(r.text);
        free(r.target);
        return IRC_SENDQ_EMPTY;
    }
    *at(q, q->count) = r;
    q->count++;
    return IRC_SENDQ_QUEUED;
}

size_t irc_sendq_count(const irc_sendq *q)
{
    return q->count;
}

const char *irc_sendq_head_target(const irc_sendq *q)
{
    return q->count ? at(q, 0)->target : NULL;
}

int irc_sendq_peek(irc_sendq *q, const char *command, size_t budget, char *out, size_t cap,
                   size_t *len)
{
    if (!q->count)
        return 0;
    reply *r = at(q, 0);
    irc_split it = r->split;
    it.max = budget < IRC_SPLIT_MIN ? IRC_SPLIT_MIN : budget;
    const char *piece;
    size_t n;
    char text[IRC_LINE_BUF];
    if (!irc_split_next(&it, &piece, &n) || n >= sizeof text)
        return SB_ETOOBIG; /* cannot happen for a queued reply; reported as undeliverable */
    memcpy(text, piece, n);
    text[n] = '\0';
    const char *params[] = {r->target, text};
    int rc = irc_line_format(out, cap, len, command, params, 2);
    if (rc != SB_OK)
        return SB_ETOOBIG;
    r->peeked_at = it.at;
    q->peeked = 1;
    return 1;
}

int irc_sendq_advance(irc_sendq *q, int64_t *done_id)
{
    if (!q->count || !q->peeked)
        return 0;
    reply *r = at(q, 0);
    r->split.at = r->peeked_at;
    q->peeked = 0;
    irc_split probe = r->split;
    const char *piece;
    size_t n;
    if (irc_split_next(&probe, &piece, &n))
        return 0;
    *done_id = r->id;
    pop(q);
    return 1;
}

int irc_sendq_drop(irc_sendq *q, int64_t *id)
{
    if (!q->count)
        return 0;
    *id = at(q, 0)->id;
    pop(q);
    return 1;
}
