#!/usr/bin/python3
"""The Matrix request diet (issue 14): per message the bot sends its reply and one read
receipt per room and sync; the typing indicator (on, then off) shows only when the replies
are not ready within typing_delay_ms. The same conversation runs with the indicator at once
(typing_delay_ms = 0, as before the diet) and with a delay far longer than a reply takes
here; the requests per message of each are printed. TAP output."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import Bot, Tap, converse  # noqa: E402
from hs_client import Homeserver  # noqa: E402

CONVERSATION = ["hi", "1", "!help", "help", "no", "!progress"]


def kinds(requests):
    """Counts of the bot's reply, typing and receipt requests."""
    def count(part):
        return sum(n for key, n in requests.items() if part in key)
    return {"send": count("/send/"), "typing": count("/typing/"), "receipt": count("/receipt/")}


def talk(delay):
    """Requests of the bot while one person has CONVERSATION with it, and the answers."""
    with Homeserver() as hs, Bot(hs, extra={"typing_delay_ms": str(delay)}) as bot:
        alice = hs.person("alice")
        room = alice.create_dm(bot.user_id)
        bot.wait_joined(room)
        before = dict(hs.stats()["by_user"].get(bot.user_id, {}))
        answers = converse(bot, alice, room, CONVERSATION)

        def used():
            after = hs.stats()["by_user"].get(bot.user_id, {})
            return {key: n - before.get(key, 0) for key, n in after.items()
                    if n > before.get(key, 0)}
        # The last typing-off goes after the receipt converse waits for: let it arrive.
        deadline = time.monotonic() + 5
        while (delay == 0 and kinds(used())["typing"] < 2 * len(CONVERSATION) and
               time.monotonic() < deadline):
            time.sleep(0.05)
        if delay:
            time.sleep(1)  # nothing more should come; give it the chance to
        requests = used()
        return answers, kinds(requests), sum(kinds(requests).values())


def main():
    tap = Tap()
    messages = len(CONVERSATION)
    answers, at_once, total_at_once = talk(0)
    tap.check(all(answers) and at_once["typing"] >= 2 * messages,
              "typing_delay_ms = 0: typing on and off for every message", at_once)
    answers, delayed, total_delayed = talk(20000)
    tap.check(all(answers), "with the delay every message is still answered", answers)
    tap.check(delayed["typing"] == 0,
              "replies ready within the delay go without a typing indicator", delayed)
    tap.check(delayed["receipt"] == messages,
              "one read receipt per message (one per room and sync)", delayed)
    print("# replies, typing and receipts per message: %.1f with typing at once (%s), "
          "%.1f with the delay (%s)"
          % (total_at_once / messages, at_once, total_delayed / messages, delayed))
    tap.check(total_delayed < total_at_once, "fewer requests per message with the delay")
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
