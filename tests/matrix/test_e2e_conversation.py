#!/usr/bin/python3
"""End to end through the test homeserver: a person invites the bot, it joins, they talk;
replies arrive as m.notice with HTML, idempotent txn ids from the outbox, typing and read
receipts; notices, edits, emotes and the bot's own messages are never answered; the store
holds the person. TAP output."""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import Bot, Tap, bodies, converse, wait_handled  # noqa: E402
from hs_client import Homeserver  # noqa: E402

CONVERSATION = ["hi", "1", "!help", "help"]


def store_mentions(db, text):
    """1 when some text column of some table of the store holds text."""
    connection = sqlite3.connect(db)
    try:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in connection.execute('SELECT * FROM "%s"' % table):
                if any(isinstance(value, str) and text in value for value in row):
                    return True
    finally:
        connection.close()
    return False


def main():
    tap = Tap()
    with Homeserver() as hs, Bot(hs) as bot:
        alice = hs.person("alice")
        room = alice.create_dm(bot.user_id)
        bot.wait_joined(room)
        tap.check(True, "the bot joins the direct chat alice invited it to")

        answers = converse(bot, alice, room, CONVERSATION)
        tap.check(all(answers), "every message of the conversation is answered",
                  list(zip(CONVERSATION, answers)))

        replies = bot.replies(room)
        contents = [event["content"] for event in replies]
        tap.check(replies and all(c.get("msgtype") == "m.notice" for c in contents),
                  "replies are m.notice", contents[:2])
        tap.check(all(c.get("format") == "org.matrix.custom.html" and c.get("formatted_body")
                      for c in contents), "replies carry org.matrix.custom.html formatted_body",
                  contents[:2])
        tap.check(all("<script" not in c["formatted_body"] for c in contents),
                  "no raw HTML in formatted_body")
        txns = [event["unsigned"].get("transaction_id", "") for event in replies]
        tap.check(all(t.startswith("sb") and t[2:].isdigit() for t in txns) and
                  len(set(txns)) == len(txns), "each reply's txnId is sb<outbox id>, all distinct",
                  txns)

        stats = hs.stats()["requests"]
        typing = sum(n for key, n in stats.items() if "/typing/" in key)
        tap.check(typing >= 2, "typing is shown and cleared (%d typing requests)" % typing, stats)
        tap.check(stats.get("POST /keys/upload") == 1 and not bot.encrypted_replies(room),
                  "encryption on (the default): keys uploaded once, this plain DM stays plain",
                  stats)

        help_replies = answers[2]
        # Ignored kinds: after each, "!help" must get as many replies as "!help" alone.
        ignored = [
            ("a notice", {"msgtype": "m.notice", "body": "just a notice"}),
            ("an emote", {"msgtype": "m.emote", "body": "waves"}),
            ("an image", {"msgtype": "m.image", "body": "cat.png", "url": "mxc://test.local/x"}),
            ("an edit", {"msgtype": "m.text", "body": "* hi again",
                         "m.new_content": {"msgtype": "m.text", "body": "hi again"},
                         "m.relates_to": {"rel_type": "m.replace",
                                          "event_id": replies[0]["event_id"]}}),
        ]
        for name, content in ignored:
            before = len(bot.replies(room))
            alice.send(room, content)
            event_id = alice.send_text(room, "!help")
            wait_handled(bot, room, event_id)
            after = bodies(bot.replies(room)[before:])
            tap.check(len(after) == len(help_replies), "%s is not answered" % name,
                      "after it: %r\nfor !help alone: %r" % (after, help_replies))

        # Its own notices are in the room; had it answered them, replies would keep coming.
        before = len(bot.replies(room))
        wait_handled(bot, room, alice.send_text(room, "!help"))
        tap.check(len(bot.replies(room)[before:]) == len(help_replies),
                  "its own messages are never answered")

        tap.check(store_mentions(bot.db, "@alice:test.local"), "the store holds the person")
        status = bot.stop()
        tap.check(status == 0, "SIGTERM stops the bot cleanly (exit %s)" % status,
                  bot.log()[-1500:])
        tap.check("bot-password-not-logged" not in bot.log(), "the password is never logged")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
