#!/usr/bin/python3
"""One person's odd message never stops the coach for everyone (issue 11, item 1). Bodies
with \\u0000, a lone surrogate (\\ud800, \\udc00) or both are valid JSON that Synapse relays;
jansson alone refuses them, which once made the whole /sync answer a "parse error" retried
for ever. Here each odd message is sent, then a second person writes in their own room in
the same /sync window and must be answered; the odd message itself is answered too (its odd
characters read as U+FFFD). TAP output."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import Bot, Tap, bodies, converse, wait_handled  # noqa: E402
from hs_client import Homeserver  # noqa: E402

ODD = [
    ("a NUL escape", "hi\u0000 there"),
    ("a lone high surrogate", "hello \ud800"),
    ("a lone low surrogate", "\udc00 hey"),
    ("NUL and surrogates together", "\u0000\ud800\udfff\ud83d"),
]


def main():
    tap = Tap()
    state = os.path.join(tempfile.mkdtemp(prefix="hs-state-"), "hs.state")
    with Homeserver(state_file=state) as hs, Bot(hs) as bot:
        bob = hs.person("bob")
        bob_room = bob.create_dm(bot.user_id)
        bot.wait_joined(bob_room, timeout=60)
        first = converse(bot, bob, bob_room, ["hi"])
        tap.check(first[0], "baseline: bob is answered", first)
        for number, (name, text) in enumerate(ODD):
            eve = hs.person("eve%d" % number)
            eve_room = eve.create_dm(bot.user_id)
            bot.wait_joined(eve_room, timeout=60)
            before_eve = len(bot.replies(eve_room))
            before_bob = len(bot.replies(bob_room))
            odd_id = eve.send_text(eve_room, text)
            bob_id = bob.send_text(bob_room, "help")
            try:
                wait_handled(bot, bob_room, bob_id, timeout=30)
                wait_handled(bot, eve_room, odd_id, timeout=30)
                bob_got = bodies(bot.replies(bob_room)[before_bob:])
                eve_got = bodies(bot.replies(eve_room)[before_eve:])
            except Exception as error:  # noqa: BLE001 — a stuck /sync times out here
                bob_got, eve_got = [], ["%s" % error]
            tap.check(bob_got, "%s from one person: the next person is still answered" % name,
                      "bob got %r" % bob_got)
            tap.check(eve_got and bot.running(), "%s: its sender is answered too" % name,
                      "eve got %r" % eve_got)
        log = bot.log()
        tap.check("parse error" not in log, "no /sync answer was refused as a parse error",
                  log[-1500:])
    tap.done()


if __name__ == "__main__":
    main()
