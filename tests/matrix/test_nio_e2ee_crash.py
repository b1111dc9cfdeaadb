#!/usr/bin/python3
"""Crashes with encryption on (design.md invariant 4, issue 15): matrix-nio as the person in an
encrypted DM while the bot is killed with SIGKILL
- right after the homeserver took its room key share but before the bot heard the answer,
- right after the homeserver took an encrypted reply but before the bot heard the answer,
- at random moments while the person sends message after message.
After each, every message has exactly the replies a person without crashes gets, none twice
(distinct txn ids), nio decrypts every one of them (no Megolm index is used twice, no Olm
session breaks), and later messages still work both ways. TAP output.
E2EE_CRASH_MESSAGES and E2EE_CRASH_SEED change the size and the kill moments."""
import asyncio
import os
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import Bot, Tap, converse, wait_handled  # noqa: E402
from hs_client import Homeserver, wait_until  # noqa: E402
from nio_person import NioPerson  # noqa: E402

TOTAL = int(os.environ.get("E2EE_CRASH_MESSAGES", "40"))
SEED = int(os.environ.get("E2EE_CRASH_SEED", str(int(time.time()))))


def fault_applied(hs, action, before):
    return hs.stats()["faults_applied"].get(action, 0) > before


async def decrypt_all(person, bot, room, tap, label, timeout=90):
    """nio syncs until it has decrypted as many of the bot's events as the room holds."""
    stored = len(bot.encrypted_replies(room))
    try:
        seen = await person.collect(room, bot.user_id, lambda s: len(s) >= person.expect_more(
            stored), timeout)
    except TimeoutError as error:
        seen = None
        print("# " + str(error)[:1500])
    tap.check(seen is not None and not person.undecrypted,
              "%s: nio decrypts all %d of the bot's encrypted events" % (label, stored),
              [e.event_id for _, e in person.undecrypted][:5])
    return seen


class Counting(NioPerson):
    """A NioPerson that remembers how many of the bot's events it decrypted so far."""
    decrypted = 0

    def expect_more(self, stored):
        return stored - self.decrypted

    async def collect(self, room_id, sender, until, timeout=60.0):
        seen = await super().collect(room_id, sender, until, timeout)
        self.decrypted += len(seen)
        return seen


async def crash_during(hs, bot, rule, action, person, room, text):
    """Adds the fault rule, then the person sends text; once the rule holds the bot's request
    the bot is killed and started again. Returns the event id of text."""
    before = hs.stats()["faults_applied"].get(action, 0)
    hs.faults(rule)
    sent = await person.send(room, text)
    wait_until(lambda: fault_applied(hs, action, before), 30, 0.02, "the fault %s" % action)
    bot.kill()
    hs.control("DELETE", "faults")
    bot.start()
    return sent


async def scenario(hs, bot, tap, rng, folder, per_help, opening):
    async with Counting(hs, "alice", "alice-password", os.path.join(folder, "alice")) as alice:
        room = await alice.create_encrypted_dm(bot.user_id)
        bot.wait_joined(room)
        await alice.step(0)
        expected = 0

        # 1. Killed after the homeserver took the room key share, before the bot heard.
        before = hs.stats()["duplicates_dropped"]
        last = await crash_during(hs, bot, {"path_regex": "/sendToDevice/", "method": "PUT",
                                            "user": bot.user_id, "action": "slow_after",
                                            "delay_ms": 4000},
                                  "slow_after", alice, room, "hi")
        wait_handled(bot, room, last, 60)
        expected += opening[0]
        try:
            wait_until(lambda: hs.stats()["duplicates_dropped"] > before, 30, 0.05,
                       "the share sent again")
        except TimeoutError:
            pass
        shares = [m for m in hs.control("GET", "to_device?sender=%s" % bot.user_id)["messages"]
                  if m["type"] == "m.room.encrypted"]
        tap.check(hs.stats()["duplicates_dropped"] > before and
                  len({m["txn"] for m in shares}) == 1,
                  "the room key share sent again after the kill had the same txn id (dropped "
                  "as a duplicate: one share, delivered once)", [m["txn"] for m in shares])
        await decrypt_all(alice, bot, room, tap, "killed after the key share")

        # 2. Killed after the homeserver took an encrypted reply, before the bot heard.
        before = hs.stats()["duplicates_dropped"]
        last = await crash_during(hs, bot, {"path_regex": "/send/m.room.encrypted/",
                                            "method": "PUT", "user": bot.user_id,
                                            "action": "slow_after", "delay_ms": 4000},
                                  "slow_after", alice, room, "1")
        wait_handled(bot, room, last, 60)
        expected += opening[1]
        tap.check(hs.stats()["duplicates_dropped"] > before,
                  "the reply re-sent after the kill was dropped as a duplicate (same txn id)")
        await decrypt_all(alice, bot, room, tap, "killed after an encrypted reply")
        tap.check(len(bot.encrypted_replies(room)) == expected,
                  "no reply lost or doubled by the two kills (%d)" % expected,
                  len(bot.encrypted_replies(room)))

        # 3. Killed at random moments while message after message comes.
        stop = threading.Event()
        kills = [0]

        def killer():
            while not stop.wait(rng.uniform(0.3, 1.5)):
                bot.kill()
                kills[0] += 1
                bot.start()
        thread = threading.Thread(target=killer)
        thread.start()
        try:
            for _ in range(TOTAL):
                last = await alice.send(room, "!help")
                expected += per_help
                await asyncio.sleep(rng.uniform(0.02, 0.2))
        finally:
            stop.set()
            thread.join()
        bot.kill()
        bot.start()
        try:
            wait_handled(bot, room, last, 300)
            caught_up = True
        except (TimeoutError, RuntimeError) as error:
            caught_up = False
            print("# " + str(error).replace("\n", "\n# ")[:3000])
        tap.check(caught_up, "%d messages while the bot was killed %d times: it caught up"
                  % (TOTAL, kills[0] + 1), bot.log()[-2000:])
        replies = bot.encrypted_replies(room)
        tap.check(len(replies) == expected,
                  "every message has its replies, none lost, none twice (%d)" % expected,
                  "got %d" % len(replies))
        txns = [e["unsigned"].get("transaction_id") for e in replies]
        tap.check(len(txns) == len(set(txns)), "no reply was stored twice (distinct txn ids)")
        await decrypt_all(alice, bot, room, tap, "after %d kills" % (kills[0] + 1))

        # 4. Later messages still work both ways.
        last = await alice.send(room, "!help")
        wait_handled(bot, room, last, 60)
        expected += per_help
        seen = await alice.collect(room, bot.user_id, lambda s: len(s) >= per_help, 30)
        tap.check(len(seen) == per_help and not alice.undecrypted,
                  "a later message is read and its answer decrypted", seen)
        tap.check(len(bot.encrypted_replies(room)) == expected, "and answered once")


def main():
    tap = Tap()
    rng = random.Random(SEED)
    print("# seed %d, %d messages" % (SEED, TOTAL), flush=True)
    folder = tempfile.mkdtemp(prefix="nio-e2ee-crash-")
    with Homeserver() as hs, Bot(hs, extra={"encryption": "yes"}) as bot:
        hs.register("alice", "alice-password")
        base = hs.person("baseline")
        base_room = base.create_dm(bot.user_id)
        bot.wait_joined(base_room, timeout=60)
        baseline = [len(r) for r in converse(bot, base, base_room, ["hi", "1", "!help"])]
        tap.check(all(baseline), "baseline: a plain DM answers every message", baseline)
        asyncio.run(scenario(hs, bot, tap, rng, folder, baseline[2], baseline[:2]))
        status = bot.stop()
        tap.check(status == 0, "the last run stops cleanly (exit %s)" % status,
                  bot.log()[-1500:])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
