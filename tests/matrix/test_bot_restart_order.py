#!/usr/bin/python3
"""After a crash, the replies committed before it go out before the read receipts the last
run still owed for the same messages (matrix_work.c: "receipts and typing-off follow the
replies they belong to"). The bot commits many messages while every reply it sends is
refused with a 500 (so the replies wait in the outbox and the receipts stay owed), is
killed with SIGKILL, and starts again with the homeserver healthy: when its read receipt
reaches the last message, every reply must already be in the room, and none twice.
The order was a race between the core handing those replies back to the adapter (one log
line each) and the adapter's first sync (one log line); here the bot's log is read slowly,
as by a stalled journal, so the hand-back takes seconds and the first sync always comes in
the middle of it, as it did under heavy load. RESTART_ORDER_MESSAGES changes how many
messages wait (default 300). TAP output."""
import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import BIN, ROOT, Bot, Tap, converse, receipt, wait_handled  # noqa: E402
from hs_client import Homeserver, wait_until  # noqa: E402

MESSAGES = int(os.environ.get("RESTART_ORDER_MESSAGES", "300"))


class SlowLogBot(Bot):
    """The bot with its log on a small pipe that, once slow is set, is read 256 bytes every
    10 ms: a thread that logs blocks until its line is read, as with a stalled journal."""
    slow = False

    def start(self):
        self.settings["homeserver"] = self.hs.url
        self.write_config()
        env = dict(os.environ)
        env["SECUREBASE_MATRIX_PASSWORD"] = self.password
        env["SECUREBASE_PICKLE_KEY"] = self.pickle_key
        env.pop("SECUREBASE_MATRIX_TOKEN", None)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        binary = BIN if os.path.isabs(BIN) else os.path.join(ROOT, BIN)
        self.process = subprocess.Popen(
            [binary, "--config", self.config, "--db", self.db, "--dialogs", self.dialogs],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=ROOT, env=env)
        pipe = self.process.stdout
        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 4096)
        threading.Thread(target=self._drain, args=(pipe,), daemon=True).start()
        return self

    def _drain(self, pipe):
        with open(self.log_path, "ab") as log:
            while True:
                data = os.read(pipe.fileno(), 256 if self.slow else 65536)
                if not data:
                    break
                log.write(data)
                log.flush()
                if self.slow:
                    time.sleep(0.01)
        pipe.close()

    def kill(self):
        if self.process:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None


def unsent(bot):
    """Outbox rows the bot committed and has not marked sent (read-only look at its store)."""
    db = sqlite3.connect("file:%s?mode=ro" % bot.db, uri=True, timeout=10)
    try:
        return db.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
    finally:
        db.close()


def main():
    tap = Tap()
    with Homeserver() as hs, SlowLogBot(hs) as bot:
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

        bot.slow = True
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
