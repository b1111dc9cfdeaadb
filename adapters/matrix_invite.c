/* matrix_invite.c — whose invite is accepted and when a group message is for the coach
 * (matrix_invite.h). */
#include "matrix_invite.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* ---- who may invite ---- */

const char *matrix_user_server(const char *user)
{
    if (!user || user[0] != '@')
        return NULL;
    const char *colon = strchr(user, ':');
    return colon && colon[1] ? colon + 1 : NULL;
}

/* 1 when item appears in the comma/space separated list. */
static int list_has(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; p && *p;) {
        p += strspn(p, ", \t");
        size_t len = strcspn(p, ", \t");
        if (len == n && strncmp(p, item, n) == 0)
            return 1;
        if (len == 1 && *p == '*')
            return 1;
        p += len;
    }
    return 0;
}

int matrix_user_allowed(const char *user, const char *allowed_users, const char *allowed_servers,
                        const char *self)
{
    const char *server = matrix_user_server(user);
    if (!server)
        return 0;
    int no_users = !allowed_users || !allowed_users[strspn(allowed_users, ", \t")];
    int no_servers = !allowed_servers || !allowed_servers[strspn(allowed_servers, ", \t")];
    if (no_users && no_servers) {
        const char *own = matrix_user_server(self);
        return own && strcmp(own, server) == 0;
    }
    if (!no_users && list_has(allowed_users, user))
        return 1;
    return !no_servers && list_has(allowed_servers, server);
}

/* ---- mentions and addressing ---- */

static int word_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.' || c == '=' || c >= 0x80;
}

/* Finds needle in hay as a whole word (case-insensitive); returns its start or NULL. */
static const char *find_word(const char *hay, const char *needle, size_t n)
{
    if (!hay || !needle || n == 0)
        return NULL;
    for (const char *p = hay; *p; p++) {
        if (strncasecmp(p, needle, n) != 0)
            continue;
        int before_ok = p == hay || !word_char((unsigned char)p[-1]);
        int after_ok = !word_char((unsigned char)p[n]) || p[n] == '\0';
        /* a trailing '.' or ':' ends a sentence or an address, not the name */
        if (!after_ok && (p[n] == '.' || p[n] == ':'))
            after_ok = !word_char((unsigned char)p[n + 1]) || p[n + 1] == '\0';
        if (before_ok && after_ok)
            return p;
    }
    return NULL;
}

static size_t localpart_len(const char *self)
{
    if (!self || self[0] != '@')
        return 0;
    const char *colon = strchr(self, ':');
    return colon ? (size_t)(colon - self - 1) : strlen(self) - 1;
}

int matrix_names_bot(const char *body, const char *self, const char *display_name)
{
    if (!body || !self)
        return 0;
    if (strstr(body, self))
        return 1;
    size_t lp = localpart_len(self);
    if (lp && find_word(body, self + 1, lp))
        return 1;
    return display_name && *display_name && find_word(body, display_name, strlen(display_name));
}

int matrix_addressed(const char *body, int mentions_bot, const char *self, const char *display_name)
{
    if (!body)
        return 0;
    const char *p = body;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    return *p == '!' || mentions_bot || matrix_names_bot(body, self, display_name);
}

/* Length of a leading name followed by ':' or ',' (and spaces), 0 when absent. */
static size_t leading_address(const char *body, const char *name, size_t n)
{
    if (!name || n == 0 || strncasecmp(body, name, n) != 0)
        return 0;
    if (body[n] != ':' && body[n] != ',')
        return 0;
    size_t i = n + 1;
    while (body[i] == ' ' || body[i] == '\t')
        i++;
    return i;
}

const char *matrix_strip_address(const char *body, const char *self, const char *display_name)
{
    if (!body)
        return NULL;
    const char *p = body;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t skip = 0;
    if (self) {
        size_t lp = localpart_len(self);
        skip = leading_address(p, self, strlen(self));
        if (!skip && p[0] == '@') {
            size_t after_at = leading_address(p + 1, self + 1, lp);
            skip = after_at ? 1 + after_at : 0;
        }
        if (!skip)
            skip = leading_address(p, self + 1, lp);
    }
    if (!skip && display_name)
        skip = leading_address(p, display_name, strlen(display_name));
    return skip ? p + skip : body;
}
