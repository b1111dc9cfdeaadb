#!/usr/bin/python3
"""Each homeserver fault during a conversation: 429 (retry_after_ms, Retry-After, both),
500, 502, dropped connections (before and after the server acted), slow answers, malformed
JSON, a simulated restart and a kill -9 of the server. For each, a new person has the same
conversation as a person who met no fault; every message must get as many replies as in
that baseline (nothing lost, nothing twice), counted at the homeserver. TAP output."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import Bot, Tap, converse, wait_handled  # noqa: E402
from hs_client import Homeserver  # noqa: E402

CONVERSATION = ["hi", "1", "!help", "help", "!help"]
BOT = "@botuser:test.local"


def rule(path, action, count=2, **extra):
    r = {"path_regex": path, "action": action, "count": count, "user": BOT}
    r.update(extra)
    return r


SCENARIOS = [
    ("429 with retry_after_ms on sends", [rule("/send/", "429_ms", retry_after_ms=300)]),
    ("429 with a Retry-After header on sends", [rule("/send/", "429_header", retry_after_ms=1000)]),
    ("429 with both forms on sends", [rule("/send/", "429_both", retry_after_ms=500)]),
    ("429 on /sync", [rule("/sync", "429_ms", count=1, retry_after_ms=300)]),
    ("500 on sends and /sync", [rule("/send/", "500"), rule("/sync", "500")]),
    ("502 from a proxy on sends and /sync", [rule("/send/", "502"), rule("/sync", "502")]),
    ("dropped connections", [rule("/send/", "drop"), rule("/sync", "drop")]),
    ("connection dropped after the send was done", [rule("/send/", "drop_after", count=3)]),
    ("slow answers", [rule("/send/", "slow", delay_ms=1500), rule("/sync", "slow", delay_ms=1500)]),
    ("malformed JSON on /sync", [rule("/sync", "malformed")]),
    ("malformed JSON on sends", [rule("/send/", "malformed")]),
    ("429 on receipts and typing", [rule("/receipt/", "429_ms", retry_after_ms=200),
                                    rule("/typing/", "500", count=3)]),
]


def counts(answers):
    return [len(replies) for replies in answers]


def main():
    tap = Tap()
    state = os.path.join(tempfile.mkdtemp(prefix="hs-state-"), "hs.state")
    with Homeserver(state_file=state) as hs, Bot(hs) as bot:
        people = iter(range(1, 1000))

        def new_room():
            person = hs.person("person%d" % next(people))
            room = person.create_dm(bot.user_id)
            bot.wait_joined(room, timeout=60)
            return person, room

        person, room = new_room()
        baseline = counts(converse(bot, person, room, CONVERSATION))
        tap.check(all(baseline), "baseline: every message answered", baseline)

        for name, rules in SCENARIOS:
            person, room = new_room()
            applied_before = sum(hs.stats()["faults_applied"].values())
            hs.faults(*rules)
            got = counts(converse(bot, person, room, CONVERSATION, timeout=60))
            applied = sum(hs.stats()["faults_applied"].values()) - applied_before
            hs.control("DELETE", "faults")
            tap.check(got == baseline and applied > 0,
                      "%s: every message answered exactly once" % name,
                      "replies per message %r, baseline %r, faults applied %d"
                      % (got, baseline, applied))

        for name, restart in [("a simulated homeserver restart", lambda: hs.restart(300)),
                              ("the homeserver killed and started again",
                               lambda: (hs.kill(), hs.start()))]:
            person, room = new_room()
            got = []
            for text in CONVERSATION:
                before = len(bot.replies(room))
                event_id = person.send_text(room, text)
                if text == CONVERSATION[1]:
                    restart()
                wait_handled(bot, room, event_id, timeout=60)
                got.append(len(bot.replies(room)) - before)
            tap.check(got == baseline, "%s: every message answered exactly once" % name,
                      "replies per message %r, baseline %r" % (got, baseline))

        # More messages than the sync filter's timeline limit (100) while the bot is down:
        # the sync comes back "limited" and the rest must be fetched with /messages.
        person, room = new_room()
        answers = converse(bot, person, room, CONVERSATION[:2])
        bot.stop()
        for _ in range(148):
            last = person.send_text(room, "!help")
        before = len(bot.replies(room))
        bot.start()
        wait_handled(bot, room, last, timeout=120)
        got = len(bot.replies(room)) - before
        tap.check(counts(answers) == baseline[:2] and got == 148 * baseline[2],
                  "148 messages while the bot was down: all answered once",
                  "replies %d, expected %d" % (got, 148 * baseline[2]))

        tap.check(bot.running(), "the bot is still running", bot.log()[-1500:])
        status = bot.stop()
        tap.check(status == 0, "and stops cleanly (exit %s)" % status, bot.log()[-1500:])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
