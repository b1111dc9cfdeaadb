/* test_irc_url.c — table tests of the [irc] url: what a WebSocket client connects to, and
 * which urls are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "irc_url.h"
#include "sb.h"

typedef struct url_case {
    const char *url;
    int rc;
    int tls, port;
    const char *host, *host_header, *path, *origin;
} url_case;

static const url_case cases[] = {
    {"ws://127.0.0.1:8097/", SB_OK, 0, 8097, "127.0.0.1", "127.0.0.1:8097", "/", "http://127.0.0.1:8097"},
    {"wss://irc.example.org:8097/", SB_OK, 1, 8097, "irc.example.org", "irc.example.org:8097", "/",
     "https://irc.example.org:8097"},
    {"wss://irc.example.org", SB_OK, 1, 443, "irc.example.org", "irc.example.org", "/",
     "https://irc.example.org"},
    {"WS://Irc.Example.org/webirc/ws?x=1", SB_OK, 0, 80, "Irc.Example.org", "Irc.Example.org",
     "/webirc/ws?x=1", "http://Irc.Example.org"},
    {"ws://host?x=1", SB_OK, 0, 80, "host", "host", "/?x=1", "http://host"},
    {"wss://[::1]:6697/irc", SB_OK, 1, 6697, "::1", "[::1]:6697", "/irc", "https://[::1]:6697"},
    {"ws://host:443/", SB_OK, 0, 443, "host", "host:443", "/", "http://host:443"},
    {"https://irc.example.org/", SB_EINVAL, 0, 0, NULL, NULL, NULL, NULL},
    {"irc.example.org:8097", SB_EINVAL, 0, 0, NULL, NULL, NULL, NULL},
    {"ws://", SB_EINVAL, 0, 0, NULL, NULL, NULL, NULL},
    {"ws://:8097/", SB_EINVAL, 0, 0, NULL, NULL, NULL, NULL},
    {"ws://host:/", SB_EINVAL, 0, 0, NULL, NULL, NULL, NULL},
    {"ws://host:0/", SB_EINVAL, 0, 0, NULL, NULL, NULL, NULL},
    {"ws://host:65536/", SB_EINVAL, 0, 0, NULL, NULL, NULL, NULL},
    {"ws://host:80x/", SB_EINVAL, 0, 0, NULL, NULL, NULL, NULL},
    {"ws://user@host/", SB_EINVAL, 0, 0, NULL, NULL, NULL, NULL},
    {"ws://[::1/", SB_EINVAL, 0, 0, NULL, NULL, NULL, NULL},
    {"ws://host/a b", SB_EINVAL, 0, 0, NULL, NULL, NULL, NULL},
    {"ws://host/#frag", SB_EINVAL, 0, 0, NULL, NULL, NULL, NULL},
    {NULL, SB_EINVAL, 0, 0, NULL, NULL, NULL, NULL},
};

static void test_url_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const url_case *c = &cases[i];
        irc_url u;
        int rc = irc_url_parse(c->url, &u);
        if (rc != c->rc)
            fail_msg("url case %zu \"%s\": rc %d want %d", i, c->url ? c->url : "NULL", rc, c->rc);
        if (rc != SB_OK)
            continue;
        if (u.tls != c->tls || u.port != c->port || strcmp(u.host, c->host) ||
            strcmp(u.host_header, c->host_header) || strcmp(u.path, c->path) ||
            strcmp(u.origin, c->origin))
            fail_msg("url case %zu \"%s\": tls %d port %d host %s header %s path %s origin %s", i,
                     c->url, u.tls, u.port, u.host, u.host_header, u.path, u.origin);
    }
}

static void test_url_too_long(void **state)
{
    (void)state;
    char url[1200] = "ws://";
    memset(url + 5, 'h', 300);
    url[305] = '\0';
    irc_url u;
    assert_int_equal(irc_url_parse(url, &u), SB_EINVAL);
    memcpy(url, "ws://h/", 7);
    memset(url + 7, 'p', 600);
    url[607] = '\0';
    assert_int_equal(irc_url_parse(url, &u), SB_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_table),
        cmocka_unit_test(test_url_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
