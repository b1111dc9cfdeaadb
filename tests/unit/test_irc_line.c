/* test_irc_line.c — table tests of the IRC line parser and formatter: each row is a raw
 * line and the parse it must give, written as one canonical dump string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "irc_line.h"
#include "sb.h"

/* "tags[k=v;k2=] src[...] nick[...] user[...] host[...] cmd[X] params[a|b] trailing" with
 * absent parts left out; CR/LF/';'/' ' in tag values shown as \r \n ; and _. */
static void dump(const irc_message *m, char *out, size_t cap)
{
    size_t at = 0;
#define PUT(...) at += (size_t)snprintf(out + at, at < cap ? cap - at : 0, __VA_ARGS__)
    if (m->ntags) {
        PUT("tags[");
        for (size_t i = 0; i < m->ntags; i++) {
            PUT("%s%s=", i ? ";" : "", m->tags[i].key);
            for (const char *v = m->tags[i].value; *v; v++) {
                if (*v == '\r')
                    PUT("\\r");
                else if (*v == '\n')
                    PUT("\\n");
                else if (*v == ' ')
                    PUT("_");
                else
                    PUT("%c", *v);
            }
        }
        PUT("] ");
    }
    if (m->source)
        PUT("src[%s] nick[%s] ", m->source, m->nick);
    if (m->user)
        PUT("user[%s] ", m->user);
    if (m->host)
        PUT("host[%s] ", m->host);
    PUT("cmd[%s] params[", m->command);
    for (size_t i = 0; i < m->nparams; i++)
        PUT("%s%s", i ? "|" : "", m->params[i]);
    PUT("]%s", m->trailing ? " trailing" : "");
#undef PUT
}

typedef struct parse_case {
    const char *line;
    int rc;
    const char *want; /* dump on success */
} parse_case;

static const parse_case parse_cases[] = {
    {"PING :irc.local", SB_OK, "cmd[PING] params[irc.local] trailing"},
    {"PING irc.local\r\n", SB_OK, "cmd[PING] params[irc.local]"},
    {"ping x\n", SB_OK, "cmd[PING] params[x]"},
    {":irc.local 001 coach :Welcome to the Localnet IRC Network coach!c@127.0.0.1", SB_OK,
     "src[irc.local] nick[irc.local] cmd[001] params[coach|Welcome to the Localnet IRC Network "
     "coach!c@127.0.0.1] trailing"},
    {":ann!~ann@host.example PRIVMSG coach :hello there", SB_OK,
     "src[ann!~ann@host.example] nick[ann] user[~ann] host[host.example] cmd[PRIVMSG] "
     "params[coach|hello there] trailing"},
    {":ann@host PRIVMSG coach hi", SB_OK,
     "src[ann@host] nick[ann] host[host] cmd[PRIVMSG] params[coach|hi]"},
    {":ann!ann PRIVMSG coach hi", SB_OK, "src[ann!ann] nick[ann] user[ann] cmd[PRIVMSG] params[coach|hi]"},
    {":ann NICK :anne", SB_OK, "src[ann] nick[ann] cmd[NICK] params[anne] trailing"},
    {"PRIVMSG #c :", SB_OK, "cmd[PRIVMSG] params[#c|] trailing"},
    {"PRIVMSG #c ::-)", SB_OK, "cmd[PRIVMSG] params[#c|:-)] trailing"},
    {"PRIVMSG   #c    hi   ", SB_OK, "cmd[PRIVMSG] params[#c|hi]"},
    {"CAP * LS :sasl=PLAIN,EXTERNAL message-tags", SB_OK,
     "cmd[CAP] params[*|LS|sasl=PLAIN,EXTERNAL message-tags] trailing"},
    {"QUIT", SB_OK, "cmd[QUIT] params[]"},
    {"@time=2024-01-02T03:04:05.678Z :a!b@c PRIVMSG coach :x", SB_OK,
     "tags[time=2024-01-02T03:04:05.678Z] src[a!b@c] nick[a] user[b] host[c] cmd[PRIVMSG] "
     "params[coach|x] trailing"},
    {"@account=ann;+draft/reply=1;flag :a!b@c PRIVMSG coach :x", SB_OK,
     "tags[account=ann;+draft/reply=1;flag=] src[a!b@c] nick[a] user[b] host[c] cmd[PRIVMSG] "
     "params[coach|x] trailing"},
    {"@k=a\\:b\\sc\\\\d\\re\\nf;k2=\\x\\ PING", SB_OK, "tags[k=a;b_c\\d\\re\\nf;k2=x] cmd[PING] params[]"},
    {"@a=;;b=2 PING", SB_OK, "tags[a=;b=2] cmd[PING] params[]"},
    {"@a=1 :s 005 coach CHANTYPES=# :are supported", SB_OK,
     "tags[a=1] src[s] nick[s] cmd[005] params[coach|CHANTYPES=#|are supported] trailing"},
    /* garbage and edge cases */
    {"", SB_EPARSE, NULL},
    {"\r\n", SB_EPARSE, NULL},
    {"   ", SB_EPARSE, NULL},
    {":only.prefix", SB_EPARSE, NULL},
    {": PING", SB_EPARSE, NULL},
    {"@tags-without-message", SB_EPARSE, NULL},
    {"@a=1 ", SB_EPARSE, NULL},
    {"12 x", SB_EPARSE, NULL},
    {"1234 x", SB_EPARSE, NULL},
    {"PRIV-MSG x", SB_EPARSE, NULL},
    {"PRIVMSG a\rb", SB_EPARSE, NULL},
    {"PRIVMSG a\nb :c", SB_EPARSE, NULL},
    {"PRIVMSG x :\xc3\xa9t\xc3\xa9", SB_OK, "cmd[PRIVMSG] params[x|\xc3\xa9t\xc3\xa9] trailing"},
};

static void test_parse_table(void **state)
{
    (void)state;
    static irc_message m;
    char got[2048];
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const parse_case *c = &parse_cases[i];
        int rc = irc_line_parse(c->line, strlen(c->line), &m);
        if (rc != c->rc)
            fail_msg("case %zu \"%s\": rc %d, want %d", i, c->line, rc, c->rc);
        if (rc != SB_OK)
            continue;
        dump(&m, got, sizeof got);
        if (strcmp(got, c->want) != 0)
            fail_msg("case %zu \"%s\":\n got  %s\n want %s", i, c->line, got, c->want);
    }
}

/* Embedded NUL: the length, not the terminator, bounds the line. */
static void test_parse_nul(void **state)
{
    (void)state;
    static irc_message m;
    assert_int_equal(irc_line_parse("PING a\0b", 8, &m), SB_EPARSE);
    assert_int_equal(irc_line_parse("PING ab", 6, &m), SB_OK);
    assert_string_equal(m.params[0], "a");
}

/* Builds "<tags>CMD x :" + filler up to total body length body_len. */
static char *long_line(size_t tags_len, size_t body_len)
{
    char *s = malloc(tags_len + body_len + 1);
    size_t at = 0;
    if (tags_len) {
        s[at++] = '@';
        s[at++] = 'k';
        s[at++] = '=';
        while (at < tags_len - 1)
            s[at++] = 'v';
        s[at++] = ' ';
    }
    memcpy(s + at, "PRIVMSG x :", 11);
    for (size_t i = 11; i < body_len; i++)
        s[at + i] = 'y';
    at += body_len;
    s[at] = '\0';
    return s;
}

static void test_parse_lengths(void **state)
{
    (void)state;
    static irc_message m;
    static const struct {
        size_t tags, body;
        int rc;
    } cases[] = {
        {0, IRC_BODY_MAX, SB_OK},
        {0, IRC_BODY_MAX + 1, SB_ETOOBIG},
        {IRC_TAGS_MAX, IRC_BODY_MAX, SB_OK},
        {IRC_TAGS_MAX + 1, 20, SB_ETOOBIG},
        {100, IRC_BODY_MAX + 1, SB_ETOOBIG},
        {0, 20000, SB_ETOOBIG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = long_line(cases[i].tags, cases[i].body);
        int rc = irc_line_parse(s, strlen(s), &m);
        if (rc != cases[i].rc)
            fail_msg("length case %zu: rc %d want %d", i, rc, cases[i].rc);
        if (rc == SB_OK)
            assert_int_equal(strlen(m.params[1]), cases[i].body - 11);
        free(s);
    }
}

static void test_parse_limits(void **state)
{
    (void)state;
    static irc_message m;
    char s[400];
    size_t at = 0;
    at += (size_t)snprintf(s, sizeof s, "X");
    for (int i = 0; i < IRC_PARAMS_MAX; i++)
        at += (size_t)snprintf(s + at, sizeof s - at, " p");
    assert_int_equal(irc_line_parse(s, at, &m), SB_OK);
    assert_int_equal(m.nparams, IRC_PARAMS_MAX);
    at += (size_t)snprintf(s + at, sizeof s - at, " :one more");
    assert_int_equal(irc_line_parse(s, at, &m), SB_ETOOBIG);

    /* tags beyond IRC_TAGS_KEPT are ignored, not an error */
    at = (size_t)snprintf(s, sizeof s, "@");
    for (int i = 0; i < IRC_TAGS_KEPT + 5; i++)
        at += (size_t)snprintf(s + at, sizeof s - at, "%st%d=%d", i ? ";" : "", i, i);
    at += (size_t)snprintf(s + at, sizeof s - at, " PING");
    assert_int_equal(irc_line_parse(s, at, &m), SB_OK);
    assert_int_equal(m.ntags, IRC_TAGS_KEPT);
    assert_null(irc_message_tag(&m, "t40"));
    assert_string_equal(irc_message_tag(&m, "t3"), "3");
}

static void test_tag_lookup(void **state)
{
    (void)state;
    static irc_message m;
    const char *s = "@account=ann;time=t;account=bob;empty PING";
    assert_int_equal(irc_line_parse(s, strlen(s), &m), SB_OK);
    assert_string_equal(irc_message_tag(&m, "account"), "bob");
    assert_string_equal(irc_message_tag(&m, "time"), "t");
    assert_string_equal(irc_message_tag(&m, "empty"), "");
    assert_null(irc_message_tag(&m, "missing"));
}

typedef struct format_case {
    const char *command;
    const char *params[4];
    size_t nparams;
    int rc;
    const char *want;
} format_case;

static const format_case format_cases[] = {
    {"NICK", {"coach"}, 1, SB_OK, "NICK coach"},
    {"USER", {"coach", "0", "*", "Secure Base"}, 4, SB_OK, "USER coach 0 * :Secure Base"},
    {"PRIVMSG", {"ann", ""}, 2, SB_OK, "PRIVMSG ann :"},
    {"PRIVMSG", {"ann", ":)"}, 2, SB_OK, "PRIVMSG ann ::)"},
    {"PRIVMSG", {"ann", "hi"}, 2, SB_OK, "PRIVMSG ann hi"},
    {"CAP", {"REQ", "sasl message-tags"}, 2, SB_OK, "CAP REQ :sasl message-tags"},
    {"QUIT", {NULL}, 0, SB_OK, "QUIT"},
    {"PRIVMSG", {"a b", "x"}, 2, SB_EINVAL, ""},
    {"PRIVMSG", {"", "x"}, 2, SB_EINVAL, ""},
    {"PRIVMSG", {":a", "x"}, 2, SB_EINVAL, ""},
    {"PRIVMSG", {"ann", "two\r\nQUIT"}, 2, SB_EINVAL, ""},
    {"PRIV MSG", {"ann"}, 1, SB_EINVAL, ""},
    {"", {"ann"}, 1, SB_EINVAL, ""},
};

static void test_format_table(void **state)
{
    (void)state;
    char out[IRC_LINE_BUF];
    for (size_t i = 0; i < sizeof format_cases / sizeof format_cases[0]; i++) {
        const format_case *c = &format_cases[i];
        size_t len = 99;
        int rc = irc_line_format(out, sizeof out, &len, c->command, c->params, c->nparams);
        if (rc != c->rc || strcmp(out, c->want) != 0)
            fail_msg("format case %zu: rc %d \"%s\", want %d \"%s\"", i, rc, out, c->rc, c->want);
        if (rc == SB_OK)
            assert_int_equal(len, strlen(c->want));
    }
}

static void test_format_lengths(void **state)
{
    (void)state;
    char text[IRC_BODY_MAX + 2];
    char out[IRC_LINE_BUF];
    size_t len;
    /* "PRIVMSG a :" is 11 bytes: 499 bytes of text fill the line exactly */
    memset(text, 'x', sizeof text);
    text[IRC_BODY_MAX - 11] = '\0';
    text[0] = ' ';
    const char *params[] = {"a", text};
    assert_int_equal(irc_line_format(out, sizeof out, &len, "PRIVMSG", params, 2), SB_OK);
    assert_int_equal(len, IRC_BODY_MAX);
    text[IRC_BODY_MAX - 11] = 'x';
    text[IRC_BODY_MAX - 10] = '\0';
    assert_int_equal(irc_line_format(out, sizeof out, &len, "PRIVMSG", params, 2), SB_ETOOBIG);
    assert_string_equal(out, "");
    /* a small caller buffer is respected */
    char small[16];
    const char *nick[] = {"coach"};
    assert_int_equal(irc_line_format(small, 10, &len, "NICK", nick, 1), SB_ETOOBIG);
    assert_int_equal(irc_line_format(small, 11, &len, "NICK", nick, 1), SB_OK);
    assert_string_equal(small, "NICK coach");
}

/* What the formatter writes, the parser reads back unchanged. */
static void test_round_trip(void **state)
{
    (void)state;
    static irc_message m;
    char out[IRC_LINE_BUF];
    size_t len;
    const char *params[] = {"#room", "x", " spaced : text "};
    assert_int_equal(irc_line_format(out, sizeof out, &len, "NOTICE", params, 3), SB_OK);
    assert_int_equal(irc_line_parse(out, len, &m), SB_OK);
    assert_int_equal(m.nparams, 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(m.params[i], params[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),    cmocka_unit_test(test_parse_nul),
        cmocka_unit_test(test_parse_lengths),  cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_tag_lookup),     cmocka_unit_test(test_format_table),
        cmocka_unit_test(test_format_lengths), cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
