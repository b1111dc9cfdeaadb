/* irc_line.c — parses and formats single IRC lines (IRCv3 message tags, prefix, command,
 * parameters). It only looks at bytes: what a command means, casemapping, CTCP and line
 * splitting belong to irc_session and irc_split. Every length is checked against the
 * limits of the IRCv3 message-tags and RFC 1459 specifications. */
#include "irc_line.h"

#include "sb.h"

#include <ctype.h>
#include <string.h>

/* Unescapes an IRCv3 tag value in place ("\:" → ';', "\s" → ' ', "\\" → '\', "\r", "\n";
 * any other escaped character stands for itself, a lone trailing '\' is dropped). */
static void unescape_tag_value(char *v)
{
    char *out = v;
    for (const char *in = v; *in; in++) {
        if (*in != '\\') {
            *out++ = *in;
            continue;
        }
        in++;
        if (!*in)
            break;
        switch (*in) {
        case ':': *out++ = ';'; break;
        case 's': *out++ = ' '; break;
        case 'r': *out++ = '\r'; break;
        case 'n': *out++ = '\n'; break;
        default: *out++ = *in; break;
        }
    }
    *out = '\0';
}

/* Splits the NUL-terminated tag list s ("a=1;b;c=x\sy") into m->tags. */
static void parse_tags(char *s, irc_message *m)
{
    while (s && *s) {
        char *next = strchr(s, ';');
        if (next)
            *next++ = '\0';
        char *eq = strchr(s, '=');
        const char *value = "";
        if (eq) {
            *eq = '\0';
            unescape_tag_value(eq + 1);
            value = eq + 1;
        }
        if (*s && m->ntags < IRC_TAGS_KEPT) {
            m->tags[m->ntags].key = s;
            m->tags[m->ntags].value = value;
            m->ntags++;
        }
        s = next;
    }
}

/* Copies source into m->parts as three strings and points nick/user/host at them. */
static void split_source(irc_message *m)
{
    const char *src = m->source;
    size_t n = strlen(src);
    size_t nick_end = strcspn(src, "!@");
    char *out = m->parts;

    memcpy(out, src, nick_end);
    out[nick_end] = '\0';
    m->nick = out;
    out += nick_end + 1;
    m->user = NULL;
    m->host = NULL;
    const char *rest = src + nick_end;
    if (*rest == '!') {
        rest++;
        size_t user_len = strcspn(rest, "@");
        memcpy(out, rest, user_len);
        out[user_len] = '\0';
        m->user = out;
        out += user_len + 1;
        rest += user_len;
    }
    if (*rest == '@') {
        rest++;
        size_t host_len = (size_t)(src + n - rest);
        memcpy(out, rest, host_len);
        out[host_len] = '\0';
        m->host = out;
    }
}

static int valid_command(char *cmd)
{
    size_t n = strlen(cmd);
    if (n == 0)
        return 0;
    if (isdigit((unsigned char)cmd[0]))
        return n == 3 && isdigit((unsigned char)cmd[1]) && isdigit((unsigned char)cmd[2]);
    for (char *p = cmd; *p; p++) {
        if (!isalpha((unsigned char)*p))
            return 0;
        *p = (char)toupper((unsigned char)*p);
    }
    return 1;
}

int irc_line_parse(const char *data, size_t len, irc_message *m)
{
    if (!data || !m)
        return SB_EINVAL;
    if (len > 0 && data[len - 1] == '\n')
        len--;
    if (len > 0 && data[len - 1] == '\r')
        len--;
    if (len == 0)
        return SB_EPARSE;
    if (memchr(data, '\0', len) || memchr(data, '\r', len) || memchr(data, '\n', len))
        return SB_EPARSE;
    if (len >= sizeof m->line)
        return SB_ETOOBIG;
    memcpy(m->line, data, len);
    m->line[len] = '\0';
    m->ntags = 0;
    m->source = m->nick = m->user = m->host = NULL;
    m->command = NULL;
    m->nparams = 0;
    m->trailing = 0;

    char *p = m->line;
    if (*p == '@') {
        char *space = strchr(p, ' ');
        if (!space)
            return SB_EPARSE;
        if ((size_t)(space - p) + 1 > IRC_TAGS_MAX)
            return SB_ETOOBIG;
        *space = '\0';
        parse_tags(p + 1, m);
        p = space + 1;
        while (*p == ' ')
            p++;
    }
    if (strlen(p) > IRC_BODY_MAX)
        return SB_ETOOBIG;

    if (*p == ':') {
        char *space = strchr(p, ' ');
        if (!space || space == p + 1)
            return SB_EPARSE;
        *space = '\0';
        m->source = p + 1;
        split_source(m);
        p = space + 1;
        while (*p == ' ')
            p++;
    }

    char *cmd = p;
    p += strcspn(p, " ");
    if (*p)
        *p++ = '\0';
    if (!valid_command(cmd))
        return SB_EPARSE;
    m->command = cmd;

    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (m->nparams == IRC_PARAMS_MAX)
            return SB_ETOOBIG;
        if (*p == ':') {
            m->params[m->nparams++] = p + 1;
            m->trailing = 1;
            break;
        }
        m->params[m->nparams++] = p;
        p += strcspn(p, " ");
        if (*p)
            *p++ = '\0';
    }
    return SB_OK;
}

const char *irc_message_tag(const irc_message *m, const char *key)
{
    for (size_t i = m->ntags; i > 0; i--)
        if (strcmp(m->tags[i - 1].key, key) == 0)
            return m->tags[i - 1].value;
    return NULL;
}

static int append(char *out, size_t cap, size_t *at, const char *s, size_t n)
{
    if (*at + n + 1 > cap || *at + n > IRC_BODY_MAX)
        return SB_ETOOBIG;
    memcpy(out + *at, s, n);
    *at += n;
    out[*at] = '\0';
    return SB_OK;
}

int irc_line_format(char *out, size_t cap, size_t *len, const char *command,
                    const char *const *params, size_t nparams)
{
    int rc = SB_EINVAL;
    size_t at = 0;
    if (!out || cap == 0 || !len)
        return SB_EINVAL;
    out[0] = '\0';
    if (!command || !*command || (nparams && !params))
        goto fail;
    for (const char *c = command; *c; c++)
        if (!isalnum((unsigned char)*c))
            goto fail;
    rc = append(out, cap, &at, command, strlen(command));
    if (rc != SB_OK)
        goto fail;
    for (size_t i = 0; i < nparams; i++) {
        const char *p = params[i];
        rc = SB_EINVAL;
        if (!p || strpbrk(p, "\r\n"))
            goto fail;
        int last = i + 1 == nparams;
        int needs_colon = !*p || strchr(p, ' ') || *p == ':';
        if (needs_colon && !last)
            goto fail;
        rc = append(out, cap, &at, needs_colon ? " :" : " ", needs_colon ? 2 : 1);
        if (rc == SB_OK)
            rc = append(out, cap, &at, p, strlen(p));
        if (rc != SB_OK)
            goto fail;
    }
    *len = at;
    return SB_OK;
fail:
    out[0] = '\0';
    return rc;
}
