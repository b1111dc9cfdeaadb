#!/usr/bin/python3
"""The access token is kept across restarts (issue 11, item 2). On Synapse before 1.90
transaction ids are scoped to the access token: a bot that logged in again on every start
re-sent a reply whose answer it never saw under a new token, and the server stored it twice.
Here the server scopes by token (--txn-scope token) and holds back the answer to the bot's
reply PUT (it is stored at once); the bot is killed meanwhile and started again. The person
must see the reply once. Also: restarts leave one live token on the bot's device; a typing
indicator left on by a killed bot goes off after its restart; a refused token leads to one
new login, after which the bot goes on answering. TAP output."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import BOT_USER, Bot, Tap, bodies, converse, wait_handled  # noqa: E402
from hs_client import Homeserver, wait_until  # noqa: E402


def typing(hs, room):
    return hs.control("GET", "rooms")["rooms"][room]["typing"]


def live_tokens(hs, bot, device):
    return hs.control("GET", "tokens")["live"].get("%s %s" % (bot.user_id, device), 0)


def main():
    tap = Tap()
    with Homeserver(args=["--txn-scope", "token"]) as hs, Bot(hs) as bot:
        person = hs.person("dana")
        room = person.create_dm(bot.user_id)
        bot.wait_joined(room, timeout=60)
        per_help = len(converse(bot, person, room, ["hi", "!help"])[1])
        device = bot.replies(room)[-1]["unsigned"]["device_id"]
        logins_before = hs.stats()["requests"].get("POST /login", 0)

        for _ in range(3):
            bot.stop()
            bot.start()
        got = converse(bot, person, room, ["!help"])[0]
        logins = hs.stats()["requests"].get("POST /login", 0) - logins_before
        tap.check(len(got) == per_help and logins == 0,
                  "three restarts: no new login, the stored token is used",
                  "logins %d, replies %r" % (logins, got))
        tap.check(live_tokens(hs, bot, device) == 1, "the bot's device holds one live token",
                  hs.control("GET", "tokens"))

        # The answer to the reply's PUT is held back; the bot dies before it learns of it.
        before = len(bot.replies(room))
        hs.faults({"path_regex": "/send/", "action": "slow_after", "delay_ms": 8000,
                   "count": 1, "user": bot.user_id})
        event_id = person.send_text(room, "!help")
        wait_until(lambda: len(bot.replies(room)) > before, 30, 0.05, "the reply to be stored")
        bot.kill()
        hs.control("DELETE", "faults")
        bot.start()
        wait_handled(bot, room, event_id, timeout=60)
        time.sleep(0.5)  # anything re-sent late would show up here
        replies = bot.replies(room)[before:]
        txns = [e["unsigned"].get("transaction_id") for e in replies]
        tap.check(len(replies) == per_help and len(set(txns)) == len(txns),
                  "killed while the reply's answer was held back: the reply arrives once",
                  "%d replies (expected %d): %r" % (len(replies), per_help, bodies(replies)))
        dropped = hs.stats().get("duplicates_dropped")
        tap.check(dropped, "the re-sent reply was recognised as a duplicate", dropped)

        # Killed after answering, before the typing indicator went off (the receipt that goes
        # first is held): after the restart the indicator goes off, long before it expires.
        hs.faults({"path_regex": "/receipt/", "action": "slow_after", "delay_ms": 8000,
                   "count": 1, "user": bot.user_id})
        before = len(bot.replies(room))
        event_id = person.send_text(room, "!help")
        wait_until(lambda: len(bot.replies(room)) >= before + per_help, 30, 0.05, "the replies")
        time.sleep(0.3)  # the receipt PUT is now held; typing-off waits behind it
        typing_on = bot.user_id in typing(hs, room)
        bot.kill()
        hs.control("DELETE", "faults")
        bot.start()
        started = time.monotonic()
        wait_until(lambda: bot.user_id not in typing(hs, room), 20, 0.05, "typing to go off")
        tap.check(typing_on and time.monotonic() - started < 15,
                  "killed with its typing indicator on: it goes off after the restart",
                  "typing was on: %s" % typing_on)
        wait_handled(bot, room, event_id, timeout=30)

        # A refused token: one new login on the same device, then on as before.
        hs.control("POST", "logout_user", {"user": BOT_USER})
        logins_before = hs.stats()["requests"].get("POST /login", 0)
        got = converse(bot, person, room, ["!help"], timeout=60)[0]
        logins = hs.stats()["requests"].get("POST /login", 0) - logins_before
        devices = {e["unsigned"].get("device_id") for e in bot.replies(room)}
        tap.check(len(got) == per_help and logins == 1 and devices == {device},
                  "a refused token: one login on the same device, and answers go on",
                  "logins %d, devices %r, replies %r" % (logins, devices, got))
        log = bot.log()
        token_lines = [line for line in log.splitlines() if "syt_" in line or "token=" in line]
        tap.check(not token_lines, "no access token in the log", token_lines[:3])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
