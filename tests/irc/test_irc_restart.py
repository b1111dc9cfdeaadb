#!/usr/bin/python3
"""The IRC server goes away in the middle of a conversation. The coach is sending a long
reply slowly (burst 2, 4 lines a second) when InspIRCd stops; it comes back (first for the
person only, then with the WebSocket listener, so the person is there to receive); the
coach reconnects with backoff, registers again, rejoins its channel, sends the rest of the
reply that was queued during the gap, and answers what the person asks after the restart.
The whole reply must arrive exactly once, in order (Conversation compares it with the
outbox row)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ircd import IRCd, Coach, Conversation, Person, TAP, wait_for  # noqa: E402
from test_irc_e2e import check, choose  # noqa: E402


def main():
    tap = TAP()
    with IRCd() as ircd:
        coach = Coach(ircd.url, nick="coach", channels="#room", burst=2, rate=4,
                      reconnect_min_ms=300, reconnect_max_ms=1500).start()
        people = []
        try:
            ann = Person(ircd.tcp_port, "ann")
            people.append(ann)
            ann.send("JOIN #room")
            check(tap, "the coach joins #room", lambda: ann.wait_member("#room", "coach", 30))
            dm = Conversation(ann, coach)
            state = {}

            def stop_mid_reply():
                ann.privmsg("coach", "hello")

                def some_lines():
                    dm._collect()
                    return len(dm.received) >= 3
                wait_for(some_lines, 20, "the first lines of the welcome")
                ircd.stop()
                state["before"] = len(dm.received)
                rows = [r for r in coach.outbox() if r[1] == "ann"]
                lines = [l for l in rows[0][2].splitlines() if l.strip()] if rows else []
                return len(lines) > state["before"] or "the reply was already complete: %r" % lines
            check(tap, "the server stops while the coach is still sending a reply", stop_mid_reply)

            def come_back():
                ircd.start(ws=False)
                again = Person(ircd.tcp_port, "ann")
                people.append(again)
                again.send("JOIN #room")
                again.expect(lambda m: m[2] == "366", 10, "ann back in #room")
                dm.person = again
                ircd.enable_ws()
                return again.wait_member("#room", "coach", 30)
            check(tap, "after the restart the coach registers again and rejoins #room", come_back)

            def rest_of_reply():
                dm.wait(20, "the rest of the welcome")
                after = len(dm.received) - state["before"]
                state["reply"] = "\n".join(dm.received)
                return after > 0 or "nothing was sent after the restart"
            check(tap, "the lines queued during the gap go out once, in order, none lost",
                  rest_of_reply)

            def answered():
                reply = dm.say(choose(state["reply"], r"\byes\b"))
                return bool(reply)
            check(tap, "what the person asks after the restart is answered", answered)

            check(tap, "the coach logged the reconnect",
                  lambda: "reconnecting" in coach.log() or coach.log()[-2000:])
        finally:
            for p in people:
                p.close()
            rc = coach.stop()
            tap.ok(rc == 0 and not coach.sanitizer_report(), "the coach stops cleanly on SIGTERM",
                   "exit %r\n%s" % (rc, coach.sanitizer_report()))
            if tap.failed or os.environ.get("SHOWLOG"):
                print("# coach log:\n# " + coach.log()[-4000:].replace("\n", "\n# "))
            coach.cleanup()
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
