/* console.c — the terminal adapter. A reader thread turns each input line into a batch of
 * one message and waits until the core has committed it, so replies appear in order
 * before the next line is read. Replies are printed as plain text on the core thread.
 * With a fake clock, a "/clock" line moves it (console_options.clock_line). It knows
 * nothing of coaching; the Markdown rendering is markdown.c's. */
#include "console.h"
#include "markdown.h"
#include "sb.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_LINE 65536 /* longer lines are cut: a chat message, not a file (the router cuts
                          a long text again between words, and says so) */

typedef struct console {
    sb_adapter base;
    console_options opt;
    char *user;
    FILE *in, *out;
    sb_core *core;
    pthread_t thread;
    int started;
    int wake[2];             /* stop() writes here to end a blocked poll */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t seq, committed; /* guarded by mu */
    int ready;               /* guarded by mu: the core's start-up sends are done */
    int stopping;            /* guarded by mu */
    char rbuf[4096];         /* reader thread only */
    size_t pos, have;
} console;

static void prompt(console *c)
{
    if (c->opt.interactive) {
        fputs("you> ", c->out);
        fflush(c->out);
    }
}

/* Writes text wrapped at width columns on spaces (UTF-8 aware: continuation bytes take no
 * column), indenting continuation lines by indent spaces. Words longer than a line stay whole. */
static void put_wrapped(FILE *out, const char *text, int width, int indent)
{
    int col = indent;
    const char *p = text;
    while (*p) {
        if (*p == '\n') {
            fputc('\n', out);
            fprintf(out, "%*s", indent, "");
            col = indent;
            p++;
            continue;
        }
        size_t len = strcspn(p, " \n");
        int cols = 0;
        for (size_t i = 0; i < len; i++)
            cols += ((unsigned char)p[i] & 0xC0) != 0x80;
        if (col > indent && col + cols > width) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        }
        fwrite(p, 1, len, out);
        col += cols;
        p += len;
        if (*p == ' ') {
            if (col < width)
                fputc(' ', out);
            col++;
            p++;
        }
    }
}

/* Removes C0 and C1 control characters but newline and tab, in place: text from the
 * store (a journal kept before input was cleaned, say) must never drive the terminal. */
static void strip_controls(char *s)
{
    char *w = s;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            continue;
        if (c == 0xC2 && (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0x9F) {
            p++;
            continue;
        }
        *w++ = (char)c;
    }
    *w = '\0';
}

static int terminal_width(FILE *out)
{
    struct winsize ws;
    int w = ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
    return w > 100 ? 100 : w < 30 ? 30 : w;
}

static void console_send(sb_adapter *a, const sb_outbound *msg)
{
    console *c = a->impl;
    /* One terminal is one person: replies and nudges for anyone else who has used this
     * store stay in the outbox until that person opens their own console. */
    if (!msg->room || strcmp(msg->room, c->user) != 0)
        return;
    char *plain = markdown_to_plain(msg->text);
    if (plain)
        strip_controls(plain);
    const char *text = plain ? plain : "";
    if (c->opt.interactive) {
        fputs("\ncoach> ", c->out);
        put_wrapped(c->out, text, terminal_width(c->out) - 1, 7);
        fputs("\n\n", c->out);
    } else {
        fprintf(c->out, "%s\n\n", text);
    }
    fflush(c->out);
    free(plain);
    if (msg->id > 0)
        sb_core_sent(c->core, a, msg->id, 1);
}

static void console_committed(sb_adapter *a, uint64_t seq)
{
    console *c = a->impl;
    pthread_mutex_lock(&c->mu);
    c->ready = 1;
    if (seq > c->committed)
        c->committed = seq;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Reads one line into buf (NUL-terminated, newline dropped, cut at MAX_LINE) straight from
 * the descriptor, so a poll on it and on the wake pipe never misses buffered input.
 * Returns 1 on a line, 0 at end of input or when stopped. */
static int read_line(console *c, char *buf)
{
    size_t n = 0;
    for (;;) {
        while (c->pos < c->have) {
            char ch = c->rbuf[c->pos++];
            if (ch == '\n')
                goto done;
            if (ch == '\0')
                continue; /* a NUL would end the text early and silently */
            if (n < MAX_LINE - 1)
                buf[n++] = ch;
        }
        struct pollfd fds[2] = {{fileno(c->in), POLLIN, 0}, {c->wake[0], POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 0;
        }
        if (fds[1].revents)
            return 0;
        ssize_t got = read(fileno(c->in), c->rbuf, sizeof c->rbuf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (n == 0)
                return 0;
            goto done;
        }
        c->pos = 0;
        c->have = (size_t)got;
    }
done:
    if (n && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    return 1;
}

/* A batch of one message, or, for a clock line, of none: the core lets the clock catch up
 * before each batch. NULL on ENOMEM. */
static sb_batch *batch_of(console *c, const char *line)
{
    sb_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    if (c->opt.clock_line && strncmp(line, "/clock ", 7) == 0) {
        c->opt.clock_line(c->opt.clock_ctx, line + 7); /* a time it cannot read: no move */
        return b;
    }
    sb_inbound *ev = calloc(1, sizeof *ev);
    if (!ev) {
        free(b);
        return NULL;
    }
    b->events = ev;
    b->count = 1;
    ev->kind = SB_IN_MESSAGE;
    ev->text = sb_strdup(line);
    ev->room = sb_strdup(c->user);
    ev->sender = sb_strdup(c->user);
    ev->direct = 1;
    if (!ev->text || !ev->room || !ev->sender) {
        sb_batch_free(b);
        return NULL;
    }
    return b;
}

static void *reader(void *arg)
{
    console *c = arg;
    char *line = malloc(MAX_LINE);
    if (!line) {
        sb_core_fatal(c->core, &c->base, "out of memory");
        return NULL;
    }
    /* Replies and nudges waiting from before print first, then the prompt. */
    pthread_mutex_lock(&c->mu);
    while (!c->ready && !c->stopping)
        pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
    prompt(c);
    while (read_line(c, line)) {
        if (line[0] == '\0') {
            prompt(c);
            continue;
        }
        if (c->opt.echo) {
            fprintf(c->out, "> %s\n", line);
            fflush(c->out);
        }
        sb_batch *b = batch_of(c, line);
        if (!b) {
            sb_core_fatal(c->core, &c->base, "out of memory");
            break;
        }
        pthread_mutex_lock(&c->mu);
        b->seq = ++c->seq;
        uint64_t want = b->seq;
        pthread_mutex_unlock(&c->mu);
        sb_core_post_batch(c->core, &c->base, b);
        pthread_mutex_lock(&c->mu);
        while (c->committed < want && !c->stopping)
            pthread_cond_wait(&c->cv, &c->mu);
        int stop = c->stopping;
        pthread_mutex_unlock(&c->mu);
        if (stop)
            break;
        prompt(c);
    }
    free(line);
    pthread_mutex_lock(&c->mu);
    int stopping = c->stopping;
    pthread_mutex_unlock(&c->mu);
    if (!stopping)
        sb_core_eof(c->core, &c->base);
    return NULL;
}

static int console_start(sb_adapter *a, sb_core *core)
{
    console *c = a->impl;
    c->core = core;
    if (c->opt.interactive) {
        fprintf(c->out, "securebase %s: you're talking to the coach as %s. "
                        "Say hi to begin, help any time; Ctrl-D leaves.\n\n",
                SB_VERSION, c->user);
        fflush(c->out);
    }
    if (pthread_create(&c->thread, NULL, reader, c) != 0)
        return SB_ENOMEM;
    c->started = 1;
    return SB_OK;
}

static void console_stop(sb_adapter *a)
{
    console *c = a->impl;
    if (!c->started)
        return;
    pthread_mutex_lock(&c->mu);
    c->stopping = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    ssize_t w = write(c->wake[1], "x", 1);
    (void)w;
    pthread_join(c->thread, NULL);
    c->started = 0;
}

static void console_destroy(sb_adapter *a)
{
    if (!a)
        return;
    console *c = a->impl;
    close(c->wake[0]);
    close(c->wake[1]);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c->user);
    free(c);
}

sb_adapter *console_adapter_new(const console_options *opt, FILE *in, FILE *out)
{
    console *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->opt = *opt;
    c->user = sb_strdup(opt->user ? opt->user : "you");
    if (!c->user || pipe(c->wake) != 0) {
        free(c->user);
        free(c);
        return NULL;
    }
    c->in = in;
    c->out = out;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->base = (sb_adapter){.name = "console", .impl = c, .start = console_start,
                           .send = console_send, .committed = console_committed,
                           .stop = console_stop, .destroy = console_destroy};
    return &c->base;
}
