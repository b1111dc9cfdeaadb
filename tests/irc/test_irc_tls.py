#!/usr/bin/python3
"""wss:// with certificate checks, against InspIRCd's TLS WebSocket listener and a
self-signed certificate for "localhost": trusted through ca_file the coach registers and
answers; without ca_file (the certificate is not from a known authority), or when the url
names a host the certificate is not for, it never registers and keeps retrying."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ircd import IRCd, Coach, Conversation, Person, TAP, wait_for  # noqa: E402
from test_irc_e2e import check  # noqa: E402


def refused(tap, ircd, person, name, url, reason, **settings):
    coach = Coach(url, nick=name, reconnect_min_ms=100, reconnect_max_ms=200, **settings).start()
    try:
        def never_registers():
            wait_for(lambda: coach.log().count("connection failed") >= 2, 20,
                     "two failed connections")
            person.send("WHOIS %s" % name)
            reply = person.expect(lambda m: m[2] in ("311", "401"), 10, "WHOIS %s" % name)
            return (reply[3] == "401" and reason in coach.log()) or (reply[0], coach.log()[-800:])
        check(tap, "wss:// %s: the coach does not connect" % name.split("_", 1)[1].replace("_", " "),
              never_registers)
    finally:
        rc = coach.stop()
        tap.ok(rc == 0 and not coach.sanitizer_report(), "%s stops cleanly" % name,
               "exit %r\n%s" % (rc, coach.log()[-1500:]))
        coach.cleanup()


def main():
    tap = TAP()
    with IRCd(tls=True) as ircd:
        ann = Person(ircd.tcp_port, "ann")
        try:
            coach = Coach("wss://localhost:%d/" % ircd.wss_port, nick="coach",
                          ca_file=ircd.cert, burst=8, rate=20, channels="#tls").start()
            try:
                ann.send("JOIN #tls")
                check(tap, "wss:// with the certificate's CA in ca_file: the coach registers",
                      lambda: ann.wait_member("#tls", "coach", 30))
                dm = Conversation(ann, coach)
                check(tap, "over wss:// it answers a private message", lambda: dm.say("hello"))
            finally:
                rc = coach.stop()
                tap.ok(rc == 0 and not coach.sanitizer_report(), "coach stops cleanly",
                       "exit %r\n%s" % (rc, coach.log()[-1500:]))
                if tap.failed:
                    print("# coach log:\n# " + coach.log()[-3000:].replace("\n", "\n# "))
                coach.cleanup()
            refused(tap, ircd, ann, "coach_untrusted_certificate", "wss://localhost:%d/" % ircd.wss_port,
                    "self-signed certificate")
            refused(tap, ircd, ann, "coach_wrong_host_name", "wss://127.0.0.1:%d/" % ircd.wss_port,
                    "mismatch", ca_file=ircd.cert)
        finally:
            ann.close()
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
