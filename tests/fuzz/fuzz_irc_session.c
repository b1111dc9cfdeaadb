/* fuzz_irc_session.c — libFuzzer target for the IRC client state machine: the input is a
 * server's side of a conversation, one line per '\n' (a byte before each line moves the
 * clock). Besides crashes it checks that every line the session wants to send is one
 * valid IRC line and that every event carries a room and clean text. */
#include "irc_line.h"
#include "irc_session.h"
#include "irc_text.h"
#include "sb.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static irc_message parsed;

static void check_outputs(irc_session *s)
{
    const char *line;
    while ((line = irc_session_peek_line(s))) {
        size_t n = strlen(line);
        if (n == 0 || n > IRC_BODY_MAX || strpbrk(line, "\r\n") ||
            irc_line_parse(line, n, &parsed) != SB_OK)
            abort();
        irc_session_pop_line(s);
    }
    irc_event e;
    while (irc_session_take_event(s, &e)) {
        if (!e.room || !*e.room)
            abort();
        if (e.kind == IRC_EVENT_MESSAGE) {
            char *again = e.text ? irc_text_clean(e.text, 0) : NULL;
            if (!e.sender || !again || strcmp(again, e.text) != 0)
                abort(); /* cleaning clean text changes nothing */
            free(again);
        }
        irc_event_clear(&e);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    irc_session_config cfg = {.nick = "coach", .username = "sb", .realname = "Secure Base",
                              .channels = "#room,#other", .sasl_user = "coach",
                              .sasl_password = "secret", .version = "securebase fuzz",
                              .ping_interval_ms = 1000, .ping_timeout_ms = 500};
    cfg.sasl_required = size > 0 && (data[0] & 1);
    irc_session *s = irc_session_new(&cfg);
    if (!s)
        return 0;
    int64_t now = 0;
    irc_session_connected(s, now);
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        now += (unsigned char)*p++ * 10;
        irc_session_tick(s, now);
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        irc_session_receive(s, p, (size_t)(stop - p), now);
        check_outputs(s);
        if (irc_session_get_state(s) == IRC_STATE_RECONNECT) {
            irc_session_disconnected(s);
            irc_session_connected(s, now);
        }
        p = nl ? nl + 1 : end;
    }
    check_outputs(s);
    irc_session_free(s);
    return 0;
}
