#!/usr/bin/python3
"""The coach against a scripted WebSocket IRC server (fakeircd), for what the real InspIRCd
here cannot show: the IRCv3 subprotocol names with binary frames, the Origin header, SASL
PLAIN with the account-tag as the person's identity, a server that offers no subprotocol and
knows no CAP, a server that goes silent (the coach's own PING, then a reconnect), and a SASL
failure while sasl_required (the coach stops, never continuing unauthenticated). The SASL
password must never appear in the coach's log."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeircd import FakeIRCd  # noqa: E402
from ircd import Coach, TAP, parse_line, wait_for  # noqa: E402
from test_irc_e2e import check  # noqa: E402

PASSWORD = "s3cret pass phrase"


def replies_to(conn, target, start=0):
    return [parse_line(l)[3][1] for l in conn.lines[start:]
            if parse_line(l)[2] == "PRIVMSG" and parse_line(l)[3][:1] == [target]]


def sasl_binary(tap):
    with FakeIRCd(["binary.ircv3.net"], sasl_password=PASSWORD) as server:
        coach = Coach(server.url, nick="coach", sasl_user="coachacct", sasl_required="yes",
                      origin="https://coach.example", burst=10, rate=10,
                      env={"SECUREBASE_IRC_PASSWORD": PASSWORD})
        coach.start()
        try:
            conn = server.wait_conns(1, 20)[0]

            def registered():
                return conn.registered.wait(20) or conn.lines
            check(tap, "binary.ircv3.net: SASL PLAIN, then registration", registered)
            check(tap, "SASL PLAIN carries the configured account and password",
                  lambda: conn.sasl == [[b"coachacct", b"coachacct", PASSWORD.encode()]] or conn.sasl)
            check(tap, "the handshake sends the configured Origin and offers the IRCv3 and "
                       "InspIRCd subprotocols",
                  lambda: (conn.origin == "https://coach.example" and
                           conn.offered.replace(" ", "").split(",") ==
                           ["text.ircv3.net", "binary.ircv3.net", "text.inspircd.org",
                            "binary.inspircd.org"]) or (conn.origin, conn.offered))
            start = len(conn.lines)
            conn.send_threadsafe("@account=annacct;msgid=m1 :ann!a@h PRIVMSG coach :hello")

            def answered():
                wait_for(lambda: coach.outbox() and all(r[3] for r in coach.outbox()), 20,
                         "the reply to be sent")
                rows = coach.outbox()
                return len(replies_to(conn, "ann", start)) >= 3 and rows[0][1] == "ann"
            check(tap, "a private message is answered with PRIVMSG in binary frames", answered)
            check(tap, "every frame from the coach is binary and holds one line without CR/LF",
                  lambda: (conn.frame_kinds == {"BINARY"} and not conn.bad_frames) or
                  (conn.frame_kinds, conn.bad_frames[:2]))
            check(tap, "the person is known by the account the server tagged",
                  lambda: coach.query("SELECT platform_id FROM people WHERE adapter = 'irc'") ==
                  [("annacct",)])
        finally:
            rc = coach.stop()
            log = coach.log()
            tap.ok(rc == 0 and not coach.sanitizer_report() and PASSWORD not in log,
                   "stops cleanly; the password is not in the log", "exit %r\n%s" % (rc, log[-2000:]))
            coach.cleanup()


def plain_silent(tap):
    with FakeIRCd([], cap=False, answer_ping=False) as server:
        coach = Coach(server.url, nick="coach", ping_interval=1, ping_timeout=1,
                      reconnect_min_ms=200, reconnect_max_ms=400, burst=10, rate=10)
        coach.start()
        try:
            first = server.wait_conns(1, 20)[0]
            check(tap, "no subprotocol and no CAP: the coach registers with text frames",
                  lambda: (first.registered.wait(20) and first.protocol is None and
                           first.frame_kinds == {"TEXT"}) or (first.protocol, first.lines))

            def reconnects():
                second = server.wait_conns(2, 15)[1]
                pinged = any(parse_line(l)[2] == "PING" for l in first.lines)
                return (pinged and second.registered.wait(15)) or first.lines[-3:]
            check(tap, "a silent server: the coach's own PING goes unanswered, it reconnects",
                  reconnects)
        finally:
            rc = coach.stop()
            tap.ok(rc == 0 and not coach.sanitizer_report(), "stops cleanly",
                   "exit %r\n%s" % (rc, coach.log()[-2000:]))
            coach.cleanup()


def sasl_refused(tap):
    with FakeIRCd(["text.ircv3.net"], sasl_password="not the one") as server:
        coach = Coach(server.url, nick="coach", sasl_user="coachacct", sasl_password=PASSWORD,
                      sasl_required="yes", reconnect_min_ms=200, reconnect_max_ms=400,
                      burst=10, rate=10)  # the default 5 and 2 a second paced each SASL step
        coach.start()
        try:
            conn = server.wait_conns(1, 20)[0]

            def stops():
                wait_for(lambda: coach.proc.poll() is not None, 20, "the coach to stop")
                return coach.proc.returncode != 0 or coach.proc.returncode
            check(tap, "SASL refused while sasl_required: the coach stops with an error", stops)
            check(tap, "it never registered and did not try again",
                  lambda: (not conn.registered.is_set() and len(server.conns) == 1 and
                           not any(parse_line(l)[2] == "CAP" and parse_line(l)[3][:1] == ["END"]
                                   for l in conn.lines)) or conn.lines)
            log = coach.log()
            check(tap, "the log says why, without the password",
                  lambda: ("SASL" in log and PASSWORD not in log) or log[-1500:])
        finally:
            coach.stop()
            tap.ok(not coach.sanitizer_report(), "no sanitizer report", coach.sanitizer_report())
            coach.cleanup()


def main():
    tap = TAP()
    start = time.monotonic()
    for part in (sasl_binary, plain_silent, sasl_refused):
        part(tap)
    print("# %.1f s" % (time.monotonic() - start))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
