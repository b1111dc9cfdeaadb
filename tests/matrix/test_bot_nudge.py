#!/usr/bin/python3
"""Daily nudges through the test homeserver (issue 6): alice asks for a nudge at 09:00
Europe/Berlin in her direct chat, and the bot, on a file-driven fake clock, is moved across
three days and killed with SIGKILL around the due times. Each day's nudge must arrive in her
room exactly once, as m.notice: on time while the bot runs, not again after a kill right
after it was sent, once after a kill between the commit and the delivery, and late (the
< 2 h rule) after being down over the due time. 2026-03-29 is the night Berlin moves to
summer time, so 09:00 there is 08:00 UTC on the 28th and 07:00 UTC from the 29th.
Counts are taken at the homeserver. TAP output."""
import datetime
import os
import re
import subprocess
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bot_harness  # noqa: E402
from bot_harness import Bot, Tap, bodies, converse  # noqa: E402
from hs_client import Homeserver, wait_until  # noqa: E402

ZONE = "Europe/Berlin"
LOCAL_TIME = "09:00"
START = "2026-03-27T10:00:00Z"  # alice's last message is at this time, 22 h before the first nudge
SETUP = ["hi", "1", "!timezone " + ZONE, "!nudge " + LOCAL_TIME]
# The instants the issue names: 09:00 Berlin before and after the change to summer time.
DUE = {"2026-03-28": "2026-03-28T08:00:00Z", "2026-03-29": "2026-03-29T07:00:00Z",
       "2026-03-30": "2026-03-30T07:00:00Z"}
START_TIMEOUT = 90.0  # a bot under ASan logging in and syncing after a (re)start


def parse(iso):
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def shift(iso, seconds):
    return (parse(iso) + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def days_elapsed(now_iso):
    """The local days, from the first due one on, whose 09:00 Berlin had passed at now_iso."""
    zone = zoneinfo.ZoneInfo(ZONE)
    now = parse(now_iso).astimezone(zone)
    hour, minute = (int(part) for part in LOCAL_TIME.split(":"))
    first = datetime.date.fromisoformat(min(DUE))
    last = now.date() if (now.hour, now.minute) >= (hour, minute) else \
        now.date() - datetime.timedelta(days=1)
    return max(0, (last - first).days + 1)


class Nudges:
    """alice's nudges as the homeserver holds them: the bot's messages in her direct chat
    after the setup replies (she writes nothing more, so nothing else is answered there)."""

    def __init__(self, bot, room, after):
        self.bot, self.room, self.after = bot, room, after

    def events(self):
        return self.bot.replies(self.room)[self.after:]

    def count(self):
        return len(self.events())

    def wait(self, count, timeout=30.0):
        """Waits until at least count nudges are in the room; False when not by the deadline
        (see wait_nudge_event)."""
        return wait_nudge_event(self.bot, lambda: self.count() >= count, timeout,
                                "%d nudges" % count)


def wait_nudge_event(bot, condition, timeout, what):
    """Polls condition until it holds (True) or the deadline passes (False). Gives up at once
    when the bot has logged that it skipped a nudge: a day's nudge that was skipped never
    comes, and waiting out the deadline would only make a failing run slow."""
    def done():
        if bot.process and bot.process.poll() is not None:
            raise RuntimeError("the bot exited:\n" + bot.log()[-2000:])
        if condition():
            return True
        if SKIPPED in bot.log():
            raise TimeoutError("the bot skipped a nudge")
        return False
    try:
        return wait_until(done, timeout, 0.05, what)
    except TimeoutError:
        return False


def settle(bot, bob, bob_room):
    """Makes sure the bot has acted on the current fake time and delivered what that caused,
    without a blind sleep and without alice writing (which would hold back her nudge for 30
    minutes). Each message of bob's goes through the core, which re-reads the clock file and
    runs a nudge pass after the batch; the Matrix adapter sends one request at a time in
    queue order, so bob's second read receipt comes after any nudge the first pass queued."""
    converse(bot, bob, bob_room, ["!nudge", "!nudge"], timeout=START_TIMEOUT)


def preview(bot, start, end):
    """`--nudge-schedule` on the bot's store (the bot must not be running): the lines
    PERSON UTC-INSTANT, or the failure."""
    binary = bot_harness.BIN if os.path.isabs(bot_harness.BIN) else \
        os.path.join(bot_harness.ROOT, bot_harness.BIN)
    done = subprocess.run([binary, "--nudge-schedule", "--db", bot.db, "--from", start,
                           "--to", end], capture_output=True, text=True, timeout=60,
                          cwd=bot_harness.ROOT, check=False)
    if done.returncode != 0:
        return ["exit %d: %s" % (done.returncode, done.stderr.strip())]
    return done.stdout.split()


SKIPPED = "nudge skipped"  # the bot's log line when it gives up a due nudge

# Symptoms in the bot's log that name a known cause: (symptom, short label, explanation).
KNOWN_CAUSES = [
    ("reason=no-direct-room",
     "KNOWN BUG: the nudge was skipped, the bot forgot alice's direct chat after a restart",
     "After a restart the Matrix adapter announces the room again (SB_IN_ROOM, no person); "
     "router.c apply_batch calls store_room_set(..., person 0), and ST_ROOM_SET (store/db.h) "
     "overwrites rooms.person with NULL; nudge_due.c run_one then finds no direct room, logs "
     "this and moves the schedule on without sending."),
]


def check_nudges(tap, bot, condition, name, detail):
    """tap.check, and when it fails with a known cause's symptom in the bot's log, the
    cause's label on the TAP line itself and its explanation first in the detail."""
    log = bot.log() if not condition else ""
    causes = [(label, why) for symptom, label, why in KNOWN_CAUSES if symptom in log]
    if causes:
        name += " [%s]" % "; ".join(label for label, _ in causes)
        detail = "\n".join([why for _, why in causes] + [str(detail)])
    return tap.check(condition, name, detail)


def room_localpart(room_id):
    return room_id[1:].split(":")[0]


def faults_applied(hs, action):
    return hs.stats().get("faults_applied", {}).get(action, 0)


def main():
    tap = Tap()
    with Homeserver() as hs, Bot(hs, fake_clock=START) as bot:
        alice, bob = hs.person("alice"), hs.person("bob")
        room = alice.create_dm(bot.user_id)
        bob_room = bob.create_dm(bot.user_id)
        bot.wait_joined(room, timeout=START_TIMEOUT)
        bot.wait_joined(bob_room, timeout=START_TIMEOUT)

        # Setup: first contact, zone and time, at 2026-03-27T10:00Z (11:00 in Berlin).
        answers = converse(bot, alice, room, SETUP, timeout=START_TIMEOUT)
        converse(bot, bob, bob_room, ["hi"], timeout=START_TIMEOUT)
        tap.check(any(ZONE in text for text in answers[2]), "!timezone %s is accepted" % ZONE,
                  answers[2])
        said = " ".join(answers[3])
        tap.check("2026-03-28 09:00" in said and "2026-03-28 08:00 UTC" in said,
                  "!nudge %s names the first nudge: 09:00 Berlin = 08:00 UTC on the 28th"
                  % LOCAL_TIME, said)
        nudges = Nudges(bot, room, len(bot.replies(room)))

        # 2026-03-28, the bot running: nothing a minute before the due time, one 30 s after.
        bot.set_clock(shift(DUE["2026-03-28"], -60))
        settle(bot, bob, bob_room)
        tap.check(nudges.count() == 0, "28th: no nudge a minute before 08:00 UTC",
                  bodies(nudges.events()))
        bot.set_clock(shift(DUE["2026-03-28"], 30))
        arrived = nudges.wait(1)
        bot.kill()  # right after it was sent: the outbox row may not be marked sent yet
        events = nudges.events()
        tap.check(arrived and len(events) == 1, "28th: the nudge arrives at 08:00:30 UTC",
                  bot.log()[-1500:])
        tap.check(events and events[0]["content"].get("msgtype") == "m.notice",
                  "the nudge is an m.notice", events[:1])

        # Restarted on the same store still within the 2 h in which a missed nudge is sent
        # late, then 1.5 h after the due time: the nudge of the 28th is never sent again.
        duplicates = hs.stats().get("duplicates_dropped", 0)
        bot.start()
        settle(bot, bob, bob_room)
        bot.set_clock(shift(DUE["2026-03-28"], 90 * 60))
        settle(bot, bob, bob_room)
        tap.check(nudges.count() == 1,
                  "28th: killed right after sending and restarted, it is not sent again",
                  bodies(nudges.events()))
        print("# txnId re-sends the homeserver dropped after that restart: %d"
              % (hs.stats().get("duplicates_dropped", 0) - duplicates), flush=True)

        # 2026-03-29, the change to summer time: nothing at 06:59 UTC (08:59 in Berlin).
        bot.set_clock(shift(DUE["2026-03-29"], -60))
        settle(bot, bob, bob_room)
        tap.check(nudges.count() == 1, "29th: no nudge a minute before 07:00 UTC",
                  bodies(nudges.events()))

        # At 07:00:30 UTC the nudge is committed, but every send to alice's room fails (500);
        # the bot is killed while it retries. After the restart it arrives exactly once.
        hs.faults({"path_regex": "/rooms/[^/]*%s[^/]*/send/" % re.escape(room_localpart(room)),
                   "method": "PUT", "user": bot.user_id, "count": 100000, "action": "500"})
        failed_before = faults_applied(hs, "500")
        bot.set_clock(shift(DUE["2026-03-29"], 30))
        tried = wait_nudge_event(bot, lambda: faults_applied(hs, "500") > failed_before, 30,
                                 "the bot to try to send the nudge of the 29th")
        bot.kill()
        hs.control("DELETE", "faults")
        check_nudges(tap, bot, tried and nudges.count() == 1,
                     "29th: the nudge is due at 07:00 UTC (summer time) and its sends fail",
                     "a failing send to alice's room seen: %s; nudges in her room: %d"
                     % (tried, nudges.count()))
        schedule = preview(bot, shift(DUE["2026-03-29"], 30), "2026-03-31T00:00:00Z")
        tap.check(schedule == [alice.user_id, DUE["2026-03-30"]],
                  "with the bot down, --nudge-schedule shows the 29th done, the 30th next",
                  schedule)
        bot.start()
        arrived = nudges.wait(2, START_TIMEOUT)
        settle(bot, bob, bob_room)
        check_nudges(tap, bot, arrived and nudges.count() == 2,
                     "29th: killed between commit and delivery, the nudge arrives once after "
                     "the restart", bodies(nudges.events()))

        # 2026-03-30: the bot is down over 07:00 UTC and comes back at 08:30 UTC, 1.5 h late:
        # the nudge is sent late, once.
        bot.set_clock(shift(DUE["2026-03-30"], -3600))
        settle(bot, bob, bob_room)
        bot.kill()
        end = shift(DUE["2026-03-30"], 90 * 60)
        bot.set_clock(end)
        bot.start()
        arrived = nudges.wait(3, START_TIMEOUT)
        settle(bot, bob, bob_room)
        check_nudges(tap, bot, arrived and nudges.count() == 3,
                     "30th: down over the due time, back 1.5 h later, the nudge is sent late "
                     "once", bodies(nudges.events()))

        # At the end: one nudge per day elapsed, all notices, each its own outbox row.
        events = nudges.events()
        elapsed = days_elapsed(end)
        check_nudges(tap, bot, len(events) == elapsed == len(DUE),
                     "%d nudges in alice's room for %d days elapsed" % (len(events), elapsed),
                     bodies(events))
        tap.check(all(e["content"].get("msgtype") == "m.notice" for e in events),
                  "every nudge is an m.notice", [e["content"] for e in events])
        txns = [e["unsigned"].get("transaction_id") for e in events]
        tap.check(len(set(txns)) == len(txns) and all(txns),
                  "each nudge has its own txnId", txns)
        tap.check(len(set(bodies(events))) == len(events),
                  "the wording does not repeat from one day to the next", bodies(events))
        status = bot.stop()
        tap.check(status == 0, "the bot stops cleanly (exit %s)" % status, bot.log()[-1500:])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
