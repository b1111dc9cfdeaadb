#!/usr/bin/python3
"""After a crash, the replies committed before it go out before the read receipts the last
run still owed for the same messages (matrix_work.c: "receipts and typing-off follow the
replies they belong to"). The bot commits many messages while every reply it sends is
refused with a 500 (so the replies wait in the outbox and the receipts stay owed), is
killed with SIGKILL, and starts again with the homeserver healthy: when its read receipt
reaches the last message, every reply must already be in the room, and none twice.
The order depended on a race between the core handing those replies back to the adapter
and the adapter's first sync; with many replies waiting the adapter often won (1 run in 2
with 1,500 under load before the fix; now the receipts wait for the core's word).
RESTART_ORDER_MESSAGES changes how many messages wait (default 1000). TAP output."""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import Bot, Tap, converse, receipt, wait_handled  # noqa: E402
from hs_client import Homeserver, wait_until  # noqa: E402

MESSAGES = int(os.environ.get("RESTART_ORDER_MESSAGES", "1000"))


def unsent(bot):
    """Outbox rows the bot committed and has not marked sent (read-only look at its store)."""
    db = sqlite3.connect("file:%s?mode=ro" % bot.db, uri=True, timeout=10)
    try:
        return db.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
    finally:
        db.close()


def main():
    tap = Tap()
    with Homeserver() as hs, Bot(hs) as bot:
        person = hs.person("waiting")
        room = person.create_dm(bot.user_id)
        bot.wait_joined(room, timeout=60)
        baseline = [len(r) for r in converse(bot, person, room, ["hi", "1", "!help"])]
        per_help = baseline[2]
        tap.check(all(baseline), "baseline: every message answered", baseline)

        # Every reply the bot sends is refused for now: the first one is retried at the head
        # of its queue, the rest (and the receipts behind them) wait.
        hs.faults({"path_regex": "/send/", "method": "PUT", "user": bot.user_id,
                   "action": "500", "count": 1000000})
        before = len(bot.replies(room))
        last = None
        for _ in range(MESSAGES):
            last = person.send_text(room, "!help")
        wait_until(lambda: unsent(bot) >= MESSAGES, 180, 0.2,
                   "the bot to commit %d replies" % MESSAGES)
        owed = receipt(hs, room, bot.user_id)
        bot.kill()
        hs.control("DELETE", "faults")
        tap.check(owed != last and len(bot.replies(room)) == before,
                  "%d messages committed, their replies and receipt not sent when the bot is "
                  "killed" % MESSAGES, "receipt %r, last %r" % (owed, last))

        bot.start()
        wait_handled(bot, room, last, timeout=180)
        at_receipt = len(bot.replies(room)) - before
        tap.check(at_receipt == MESSAGES * per_help,
                  "after the restart the receipt for the last message follows every reply",
                  "replies in the room when the receipt came: %d of %d"
                  % (at_receipt, MESSAGES * per_help))
        try:
            wait_until(lambda: len(bot.replies(room)) - before >= MESSAGES * per_help, 120,
                       0.2, "every reply")
        except TimeoutError:
            pass
        replies = bot.replies(room)[before:]
        txns = [event["unsigned"].get("transaction_id") for event in replies]
        tap.check(len(replies) == MESSAGES * per_help and len(set(txns)) == len(txns),
                  "every reply delivered once", "%d replies, %d distinct txnIds, expected %d"
                  % (len(replies), len(set(txns)), MESSAGES * per_help))
        status = bot.stop()
        tap.check(status == 0, "the bot stops cleanly (exit %s)" % status, bot.log()[-1500:])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
