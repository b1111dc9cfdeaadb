#!/usr/bin/python3
"""Rooms other than a plain direct chat: a group room (only "!" commands and mentions are
answered), an encrypted room with encryption = no (one plain-text notice that the bot cannot
read it, however many encrypted messages come, and no keys uploaded; with encryption on see
test_nio_e2ee.py), invites from people who are not allowed (declined), and a room where
everyone else left (the bot leaves too). TAP output."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import Bot, Tap, bodies, wait_handled  # noqa: E402
from hs_client import Homeserver, wait_until  # noqa: E402


def membership(hs, room_id, user_id):
    return hs.control("GET", "rooms")["rooms"].get(room_id, {}).get("members", {}).get(user_id)


def encrypted(person, room_id, n):
    return person.send(room_id, {"algorithm": "m.megolm.v1.aes-sha2", "sender_key": "k" * 43,
                                 "ciphertext": "AwgAEn%d" % n, "session_id": "s" * 43,
                                 "device_id": "ALICEDEV"}, event_type="m.room.encrypted")


def main():
    tap = Tap()
    with Homeserver() as hs, Bot(hs, extra={"allowed_servers": "test.local",
                                            "encryption": "no"}) as bot:
        alice, bob = hs.person("alice"), hs.person("bob")

        # --- group room ---
        group = alice.create_room(preset="private_chat", name="Group",
                                  invite=[bob.user_id, bot.user_id])
        bob.join(group)
        bot.wait_joined(group)
        tap.check(True, "the bot joins a group room it was invited to")
        before = len(bot.replies(group))
        wait_handled(bot, group, alice.send_text(group, "!help"))
        help_count = len(bot.replies(group)) - before
        tap.check(help_count > 0, "a ! command is answered in a group")
        chatter = bob.send_text(group, "hello everyone, how was your weekend?")
        addressed = alice.send_text(group, "botuser: !help")
        wait_handled(bot, group, addressed)
        events = hs.room_events(group)
        ids = [e["event_id"] for e in events]
        after = [e for e in events[ids.index(chatter) + 1:] if e["sender"] == bot.user_id]
        tap.check(len(after) == help_count,
                  "a message among people in a group is not answered; one addressed to the "
                  "bot by name is", bodies(after))
        before = len(bot.replies(group))  # counted before sending: the answer may be quick
        pill = alice.send(group, {"msgtype": "m.text", "body": "what do you think?",
                                  "m.mentions": {"user_ids": [bot.user_id]}})
        wait_handled(bot, group, pill)
        tap.check(len(bot.replies(group)) > before, "an m.mentions mention is answered")

        # --- everyone leaves: the bot leaves too ---
        alice.leave(group)
        bob.leave(group)
        wait_until(lambda: membership(hs, group, bot.user_id) == "leave", 30, 0.05,
                   "the bot to leave the empty group")
        tap.check(True, "the bot leaves a room where it is alone")

        # --- encrypted room ---
        secret = alice.create_dm(bot.user_id, initial_state=[{
            "type": "m.room.encryption", "state_key": "",
            "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
        bot.wait_joined(secret)
        first = encrypted(alice, secret, 1)
        wait_handled(bot, secret, first)
        notices = bot.replies(secret)
        tap.check(len(notices) >= 1, "an encrypted message gets a notice", bodies(notices))
        tap.check(all(n["content"].get("body") for n in notices), "the notice has a plain body")
        for n in range(2, 5):
            last = encrypted(alice, secret, n)
        wait_handled(bot, secret, last)
        tap.check(len(bot.replies(secret)) == len(notices),
                  "the notice is said once per room, not per message",
                  bodies(bot.replies(secret)))
        stats = hs.stats()["requests"]
        tap.check(not any("keys" in key for key in stats), "no device keys are uploaded")

        # --- invites: allowed people only ---
        bot.stop()
        bot.settings["allowed_servers"] = None
        bot.settings["allowed_users"] = alice.user_id
        bot.start()
        mallory = hs.person("mallory")
        declined = mallory.create_dm(bot.user_id)
        wait_until(lambda: membership(hs, declined, bot.user_id) == "leave", 30, 0.05,
                   "the bot to decline mallory's invite")
        tap.check(True, "an invite from someone not in allowed_users is declined")
        welcome = alice.create_dm(bot.user_id)
        bot.wait_joined(welcome)
        tap.check(True, "an invite from an allowed user is accepted")
        status = bot.stop()
        tap.check(status == 0, "the bot stops cleanly (exit %s)" % status, bot.log()[-1500:])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
