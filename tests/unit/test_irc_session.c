/* test_irc_session.c — the IRC client protocol as conversations: each script is what the
 * server says ("< line"), what the coach must send ("> line"), the chat events it must
 * produce ("! ..."), and the time moving ("tick MS"). Nothing may be sent or produced that
 * the script does not expect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "irc_line.h"
#include "irc_session.h"
#include "sb.h"

typedef struct script {
    const char *name;
    const char *sasl_user, *sasl_password;
    int sasl_required;
    const char *steps[40];
} script;

#define WELCOME "< :irc.test 001 coach :Welcome to the TestNet IRC Network coach!sb@10.0.0.1"
#define REGISTER "> CAP LS 302", "> NICK coach", "> USER sb 0 * :Secure Base"
#define INSPIRCD_CAPS "< :irc.test CAP * LS :account-notify account-tag away-notify extended-join " \
                      "message-tags server-time"

static const script scripts[] = {
    {"registration without SASL, channels joined, ISUPPORT read", NULL, NULL, 0, {
        REGISTER, INSPIRCD_CAPS,
        "> CAP REQ :message-tags server-time account-tag extended-join",
        "< :irc.test CAP * ACK :message-tags server-time account-tag extended-join",
        "> CAP END", "state REGISTERING", WELCOME, "> JOIN #room", "> JOIN #other", "state READY",
        "< :irc.test 005 coach CHANTYPES=#+ CASEMAPPING=ascii :are supported by this server",
        "< :coach!sb@10.0.0.1 JOIN #room", "! JOINED #room", "< PING :irc.test",
        "> PONG irc.test", "end"}},
    {"messages: private, channel commands and mentions, never notices", NULL, NULL, 0, {
        REGISTER, "< :irc.test CAP * LS :server-time", "> CAP REQ server-time",
        "< :irc.test CAP * NAK :server-time", "> CAP END", WELCOME, "> JOIN #room", "> JOIN #other",
        "< :ann!a@h PRIVMSG coach :hello there", "! MESSAGE ann ~ann direct hello there",
        "< @account=ann_acct;msgid=m1 :ann!a@h PRIVMSG Coach :hi", "! MESSAGE ann ann_acct direct hi m1",
        "< @account=* :bob!b@h PRIVMSG coach :hi", "! MESSAGE bob ~bob direct hi",
        "< :ann!a@h PRIVMSG #room :!help", "! MESSAGE #room ~ann group !help",
        "< :ann!a@h PRIVMSG #room :coach: how are you", "! MESSAGE #room ~ann group how are you",
        "< :ann!a@h PRIVMSG #room :COACH,   start", "! MESSAGE #room ~ann group start",
        "< :ann!a@h PRIVMSG #room :coachy: no", "< :ann!a@h PRIVMSG #room :hello all",
        "< :ann!a@h PRIVMSG #room :coach:", "< :ann!a@h NOTICE coach :!help",
        "< :ann!a@h NOTICE #room :coach: hi", "< :coach!sb@h PRIVMSG #room :!loop",
        "< :irc.test PRIVMSG coach :server text", "< :ann!a@h PRIVMSG other :not for us",
        "< :ann!a@h PRIVMSG coach :\x02" "bold\x02 \x03" "04,12red\x03 caf\xc3\xa9 \xff",
        "! MESSAGE ann ~ann direct bold red caf\xc3\xa9 ?",
        "< garbage\x01 line", "< :only.a.prefix", "< :!u@h PRIVMSG coach :no nick",
        "< :coach!sb@h JOIN :", "end"}},
    {"CTCP VERSION, PING and CLIENTINFO are answered by NOTICE, others ignored", NULL, NULL, 0, {
        REGISTER, "< :irc.test 421 * CAP :Unknown command", WELCOME, "> JOIN #room", "> JOIN #other",
        "< :ann!a@h PRIVMSG coach :\x01VERSION\x01",
        "> NOTICE ann :\x01VERSION securebase test\x01",
        "< :ann!a@h PRIVMSG #room :\x01PING 12345 678\x01", "> NOTICE ann :\x01PING 12345 678\x01",
        "< :ann!a@h PRIVMSG coach :\x01" "clientinfo\x01",
        "> NOTICE ann :\x01" "CLIENTINFO CLIENTINFO PING VERSION\x01",
        "< :ann!a@h PRIVMSG coach :\x01PING \xff\x02x\x01",
        "> NOTICE ann :\x01PING ?x\x01",
        "< :ann!a@h PRIVMSG coach :\x01" "ACTION waves\x01", "< :ann!a@h NOTICE coach :\x01VERSION\x01",
        "end"}},
    {"SASL PLAIN succeeds", "coach", "secret", 1, {
        REGISTER, "< :irc.test CAP * LS * :multi-prefix sasl=PLAIN,EXTERNAL",
        "< :irc.test CAP * LS :server-time chghost", "> CAP REQ :sasl server-time chghost",
        "< :irc.test CAP * ACK :sasl server-time chghost", "> AUTHENTICATE PLAIN", "< AUTHENTICATE +",
        "> AUTHENTICATE Y29hY2gAY29hY2gAc2VjcmV0",
        "< :irc.test 900 coach coach!sb@h coach :You are now logged in as coach",
        "< :irc.test 903 coach :SASL authentication successful", "> CAP END", WELCOME,
        "> JOIN #room", "> JOIN #other", "state READY", "end"}},
    {"SASL refused while required: fatal, no registration", "coach", "wrong", 1, {
        REGISTER, "< :irc.test CAP * LS :sasl", "> CAP REQ sasl", "< :irc.test CAP * ACK sasl",
        "> AUTHENTICATE PLAIN", "< AUTHENTICATE +", "> AUTHENTICATE Y29hY2gAY29hY2gAd3Jvbmc=",
        "< :irc.test 904 coach :SASL authentication failed", "> QUIT :securebase cannot log in",
        "state FATAL", "end"}},
    {"SASL refused but optional: registration goes on", "coach", "wrong", 0, {
        REGISTER, "< :irc.test CAP * LS :sasl=EXTERNAL,PLAIN", "> CAP REQ sasl",
        "< :irc.test CAP * ACK sasl", "> AUTHENTICATE PLAIN", "< AUTHENTICATE +",
        "> AUTHENTICATE Y29hY2gAY29hY2gAd3Jvbmc=", "< :irc.test 904 coach :SASL authentication failed",
        "> CAP END", WELCOME, "> JOIN #room", "> JOIN #other", "state READY", "end"}},
    {"SASL required, the server offers none: fatal", "coach", "secret", 1, {
        REGISTER, INSPIRCD_CAPS, "> QUIT :securebase cannot log in", "state FATAL", "end"}},
    {"SASL required, only EXTERNAL offered: fatal", "coach", "secret", 1, {
        REGISTER, "< :irc.test CAP * LS :sasl=EXTERNAL", "> QUIT :securebase cannot log in",
        "state FATAL", "end"}},
    {"SASL required, the server knows no CAP: fatal", "coach", "secret", 1, {
        REGISTER, "< :irc.test 421 coach CAP :Unknown command", "> QUIT :securebase cannot log in",
        "state FATAL", "end"}},
    {"SASL required, registered without it: fatal", "coach", "secret", 1, {
        REGISTER, WELCOME, "> QUIT :securebase cannot log in", "state FATAL", "end"}},
    {"nick in use: alternates until one is free; mentions follow the nick", NULL, NULL, 0, {
        REGISTER, "< :irc.test 433 * coach :Nickname is already in use", "> NICK coach_",
        "< :irc.test 433 * coach_ :Nickname is already in use", "> NICK coach__",
        "< :irc.test 433 * coach__ :Nickname is already in use", "> NICK coach3",
        "< :irc.test 001 coach3 :Welcome", "> JOIN #room", "> JOIN #other",
        "< :ann!a@h PRIVMSG #room :coach3: hi", "! MESSAGE #room ~ann group hi",
        "< :ann!a@h PRIVMSG #room :coach: hi", "< :ann!a@h PRIVMSG coach3 :hey",
        "! MESSAGE ann ~ann direct hey", "< :coach3!sb@h NICK :coach", "< :ann!a@h PRIVMSG #room :coach: hi",
        "! MESSAGE #room ~ann group hi", "end"}},
    {"keep-alive: our PING after silence, reconnect when unanswered", NULL, NULL, 0, {
        REGISTER, WELCOME, "> JOIN #room", "> JOIN #other", "tick 9999", "tick 10000",
        "> PING securebase", "tick 14999", "< :irc.test PONG irc.test :securebase", "tick 15000",
        "tick 24998", "tick 24999", "> PING securebase", "tick 29998", "state READY", "tick 29999",
        "state RECONNECT", "end"}},
    {"registration that never finishes times out", NULL, NULL, 0, {
        REGISTER, "tick 4999", "state REGISTERING", "tick 5000", "state RECONNECT", "end"}},
    {"ERROR from the server: reconnect; kicked: the channel is left", NULL, NULL, 0, {
        REGISTER, WELCOME, "> JOIN #room", "> JOIN #other", "< :op!o@h KICK #room coach :bye",
        "! LEFT #room", "< :op!o@h KICK #room ann :bye", "< :coach!sb@h PART #other",
        "! LEFT #other", "< ERROR :Closing link: (sb@10.0.0.1) [Quit]", "state RECONNECT", "end"}},
};

static void format_event(const irc_event *e, char *out, size_t cap)
{
    if (e->kind == IRC_EVENT_MESSAGE)
        snprintf(out, cap, "! MESSAGE %s %s %s %s%s%s", e->room, e->sender,
                 e->direct ? "direct" : "group", e->text, e->event_id ? " " : "",
                 e->event_id ? e->event_id : "");
    else
        snprintf(out, cap, "! %s %s", e->kind == IRC_EVENT_JOINED ? "JOINED" : "LEFT", e->room);
}

static const char *state_name(irc_session_state st)
{
    static const char *names[] = {"IDLE", "REGISTERING", "READY", "RECONNECT", "FATAL"};
    return names[st];
}

/* The next thing the session produced: a line ("> ..."), an event ("! ..."), or "" when none. */
static void next_output(irc_session *s, char *out, size_t cap)
{
    const char *line = irc_session_peek_line(s);
    irc_event e;
    if (line) {
        snprintf(out, cap, "> %s", line);
        irc_session_pop_line(s);
    } else if (irc_session_take_event(s, &e)) {
        format_event(&e, out, cap);
        irc_event_clear(&e);
    } else {
        out[0] = '\0';
    }
}

static void run_script(const script *sc)
{
    irc_session_config cfg = {.nick = "coach", .username = "sb", .realname = "Secure Base",
                              .channels = "#room, #other", .sasl_user = sc->sasl_user,
                              .sasl_password = sc->sasl_password,
                              .sasl_required = sc->sasl_required, .version = "securebase test",
                              .ping_interval_ms = 10000, .ping_timeout_ms = 5000};
    irc_session *s = irc_session_new(&cfg);
    assert_non_null(s);
    irc_session_connected(s, 0);
    int64_t now = 0;
    char got[1024];
    for (size_t i = 0; sc->steps[i]; i++) {
        const char *step = sc->steps[i];
        if (step[0] == '>' || step[0] == '!') {
            next_output(s, got, sizeof got);
            if (strcmp(got, step) != 0)
                fail_msg("%s, step %zu:\n want %s\n got  %s", sc->name, i, step, got[0] ? got : "(nothing)");
            continue;
        }
        /* before any input, everything expected so far must have been consumed */
        next_output(s, got, sizeof got);
        if (got[0])
            fail_msg("%s, step %zu (%s): unexpected output %s", sc->name, i, step, got);
        if (step[0] == '<') {
            assert_int_equal(irc_session_receive(s, step + 2, strlen(step + 2), now), SB_OK);
        } else if (strncmp(step, "tick ", 5) == 0) {
            long ms;
            assert_int_equal(sb_parse_long(step + 5, 0, 1000000, &ms), SB_OK);
            now = ms;
            irc_session_tick(s, now);
        } else if (strncmp(step, "state ", 6) == 0) {
            if (strcmp(state_name(irc_session_get_state(s)), step + 6) != 0)
                fail_msg("%s, step %zu: state %s, want %s", sc->name, i,
                         state_name(irc_session_get_state(s)), step + 6);
        } else if (strcmp(step, "end") != 0) {
            fail_msg("bad script step %s", step);
        }
    }
    irc_session_free(s);
}

static void test_scripts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++)
        run_script(&scripts[i]);
}

/* A SASL payload of exactly 400 base64 bytes is followed by "AUTHENTICATE +"; longer ones
 * go in 400-byte pieces. */
static void test_sasl_long_credentials(void **state)
{
    (void)state;
    char password[400];
    for (int round = 0; round < 2; round++) {
        size_t n = round == 0 ? 296 : 399;
        memset(password, 'p', n);
        password[n] = '\0';
        irc_session_config cfg = {.nick = "coach", .sasl_user = "u", .sasl_password = password};
        irc_session *s = irc_session_new(&cfg);
        assert_non_null(s);
        irc_session_connected(s, 0);
        const char *in[] = {":s CAP * LS :sasl", ":s CAP * ACK :sasl", "AUTHENTICATE +"};
        for (size_t i = 0; i < 3; i++)
            assert_int_equal(irc_session_receive(s, in[i], strlen(in[i]), 0), SB_OK);
        size_t total = 0, pieces = 0, plus = 0;
        for (const char *l; (l = irc_session_peek_line(s)); irc_session_pop_line(s)) {
            if (strncmp(l, "AUTHENTICATE ", 13) != 0 || strcmp(l, "AUTHENTICATE PLAIN") == 0)
                continue;
            size_t len = strlen(l + 13);
            assert_true(len <= 400);
            if (strcmp(l + 13, "+") == 0)
                plus++;
            else
                total += len, pieces++;
        }
        size_t want = (2 + 2 + n + 2) / 3 * 4; /* base64 of "u\0u\0" + password */
        assert_int_equal(total, want);
        assert_int_equal(pieces, (want + 399) / 400);
        assert_int_equal(plus, want % 400 == 0 ? 1 : 0);
        irc_session_free(s);
    }
}

static void test_budget_and_commands(void **state)
{
    (void)state;
    irc_session_config cfg = {.nick = "coach"};
    irc_session *s = irc_session_new(&cfg);
    irc_session_connected(s, 0);
    /* before 001 the longest user and host are assumed */
    size_t before = irc_session_budget(s, "ann");
    const char *w = ":irc.test 001 coach :Welcome coach!sb@10.0.0.1";
    irc_session_receive(s, w, strlen(w), 0);
    assert_int_equal(irc_session_budget(s, "ann"), IRC_BODY_MAX - strlen(":coach!sb@10.0.0.1 PRIVMSG ann :"));
    assert_true(before < irc_session_budget(s, "ann"));
    assert_int_equal(irc_session_budget(s, "#room"), IRC_BODY_MAX - strlen(":coach!sb@10.0.0.1 NOTICE #room :"));
    const char *cloak = ":irc.test 396 coach a-much-longer.cloaked.host :is now your displayed host";
    irc_session_receive(s, cloak, strlen(cloak), 0);
    assert_int_equal(irc_session_budget(s, "ann"),
                     IRC_BODY_MAX - strlen(":coach!sb@a-much-longer.cloaked.host PRIVMSG ann :"));
    const char *chghost = ":coach!sb@a-much-longer.cloaked.host CHGHOST ~securebase even.longer.vhost.example.org";
    irc_session_receive(s, chghost, strlen(chghost), 0);
    assert_int_equal(irc_session_budget(s, "ann"),
                     IRC_BODY_MAX - strlen(":coach!~securebase@even.longer.vhost.example.org PRIVMSG ann :"));
    const char *other = ":ann!a@h CHGHOST x short";
    irc_session_receive(s, other, strlen(other), 0);
    assert_int_equal(irc_session_budget(s, "ann"),
                     IRC_BODY_MAX - strlen(":coach!~securebase@even.longer.vhost.example.org PRIVMSG ann :"));
    assert_string_equal(irc_session_reply_command(s, "#room"), "NOTICE");
    assert_string_equal(irc_session_reply_command(s, "&local"), "NOTICE");
    assert_string_equal(irc_session_reply_command(s, "ann"), "PRIVMSG");
    irc_session_free(s);
}

static void test_config_rejected(void **state)
{
    (void)state;
    static const char *bad[] = {"", "two words", "a,b", "#chan", "x:y", "nick!", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        irc_session_config cfg = {.nick = bad[i]};
        assert_null(irc_session_new(&cfg));
    }
}

typedef struct backoff_case {
    unsigned attempt;
    int64_t min_ms, max_ms;
    int64_t lo, hi; /* the delay must fall in [lo, hi] for any random value */
} backoff_case;

static void test_backoff(void **state)
{
    (void)state;
    static const backoff_case cases[] = {
        {0, 10000, 300000, 5000, 10000},    {1, 10000, 300000, 10000, 20000},
        {4, 10000, 300000, 80000, 160000},  {5, 10000, 300000, 150000, 300000},
        {40, 10000, 300000, 150000, 300000}, {0, 200, 2000, 100, 200},
        {0, 0, 0, 1, 1},
    };
    static const uint32_t randoms[] = {0, 1, 12345, 0x7fffffffu, 0xffffffffu};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t seen_lo = INT64_MAX, seen_hi = 0;
        for (size_t r = 0; r < sizeof randoms / sizeof randoms[0]; r++) {
            int64_t d = backoff_ms(cases[i].attempt, cases[i].min_ms, cases[i].max_ms, randoms[r]);
            if (d < cases[i].lo || d > cases[i].hi)
                fail_msg("backoff case %zu random %u: %lld outside [%lld, %lld]", i, randoms[r],
                         (long long)d, (long long)cases[i].lo, (long long)cases[i].hi);
            seen_lo = d < seen_lo ? d : seen_lo;
            seen_hi = d > seen_hi ? d : seen_hi;
        }
        if (cases[i].hi > cases[i].lo)
            assert_true(seen_hi > seen_lo); /* the jitter actually spreads */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scripts),
        cmocka_unit_test(test_sasl_long_credentials),
        cmocka_unit_test(test_budget_and_commands),
        cmocka_unit_test(test_config_rejected),
        cmocka_unit_test(test_backoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
