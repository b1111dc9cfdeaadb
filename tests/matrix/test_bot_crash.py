#!/usr/bin/python3
"""Crash test (design.md invariant 4): several people send 1,000 messages in all while the
bot is killed with SIGKILL at random moments and started again on the same store. At the end
every message has exactly as many replies as a person without crashes gets for it (one per
"!help"), counted at the homeserver, and no reply is duplicated; the bot's device holds one
live access token. Run twice: with transaction ids scoped to the device (the spec), then to
the access token (Synapse before 1.90, --txn-scope token). TAP output.
CRASH_MESSAGES and CRASH_SEED change the size and the kill moments."""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import Bot, Tap, converse, wait_handled  # noqa: E402
from hs_client import Homeserver, wait_until  # noqa: E402

PEOPLE = 5
TOTAL = int(os.environ.get("CRASH_MESSAGES", "1000"))
SEED = int(os.environ.get("CRASH_SEED", str(int(time.time()))))
OPENING = ["hi", "1"]


def main():
    tap = Tap()
    rng = random.Random(SEED)
    print("# seed %d, %d messages, %d people" % (SEED, TOTAL, PEOPLE), flush=True)
    # Transaction ids scoped to the device (the spec, Synapse >= 1.90), then to the access
    # token as Synapse before 1.90 does: there a re-send under a new login is stored twice,
    # so the bot must keep its token across restarts.
    for scope, total in (("device", TOTAL), ("token", TOTAL // 2)):
        crash_run(tap, rng, scope, total)
    return tap.done()


def crash_run(tap, rng, scope, total):
    with Homeserver(args=["--txn-scope", scope]) as hs, Bot(hs) as bot:
        # The reply counts of a person who meets no crash.
        base_person = hs.person("baseline")
        base_room = base_person.create_dm(bot.user_id)
        bot.wait_joined(base_room, timeout=60)
        baseline = [len(r) for r in converse(bot, base_person, base_room,
                                             OPENING + ["!help", "!help", "!help"])]
        tap.check(all(baseline) and baseline[2] == baseline[3] == baseline[4],
                  "%s scope: baseline: every message answered, !help always alike" % scope,
                  baseline)
        per_help = baseline[2]

        people = []
        for i in range(PEOPLE):
            person = hs.person("crash%d" % i)
            room = person.create_dm(bot.user_id)
            bot.wait_joined(room, timeout=60)
            people.append((person, room))

        per_person = total // PEOPLE
        scripts = [OPENING + ["!help"] * (per_person - len(OPENING)) for _ in people]
        last_event = {}
        sent = [0]
        errors = []

        def sender():
            try:
                for step in range(per_person):
                    for (person, room), script in zip(people, scripts):
                        last_event[room] = person.send_text(room, script[step])
                        sent[0] += 1
                    time.sleep(rng.uniform(0.02, 0.1))  # a pace, not a wait for anything
            except Exception as error:  # noqa: BLE001 - reported as a test failure
                errors.append(error)

        thread = threading.Thread(target=sender)
        thread.start()
        kills = 0
        while thread.is_alive():
            deadline = time.monotonic() + rng.uniform(0.3, 1.5)
            while thread.is_alive() and time.monotonic() < deadline:
                thread.join(0.05)
            if not thread.is_alive():
                break
            bot.kill()
            kills += 1
            bot.start()
        thread.join()
        tap.check(not errors and sent[0] == per_person * PEOPLE,
                  "%s scope: %d messages sent while the bot was killed %d times"
                  % (scope, sent[0], kills), errors)
        # One last crash right after the last message, then the bot catches up.
        bot.kill()
        bot.start()
        try:
            for person, room in people:
                wait_handled(bot, room, last_event[room], timeout=300)
            caught_up = True
        except (TimeoutError, RuntimeError) as error:
            caught_up = False
            print("# " + str(error).replace("\n", "\n# ")[:3000])
        tap.check(caught_up, "%s scope: the bot caught up after %d kills" % (scope, kills + 1),
                  bot.log()[-2000:])

        expected = baseline[0] + baseline[1] + per_help * (per_person - len(OPENING))
        totals = [len(bot.replies(room)) for _, room in people]
        if totals != [expected] * PEOPLE:  # for the reader: late (after the receipt) or lost?
            try:
                wait_until(lambda: [len(bot.replies(room)) for _, room in people]
                           == [expected] * PEOPLE, 120, 0.5, "the late replies")
            except TimeoutError:
                pass
            print("# replies per person 120 s later: %r" % [len(bot.replies(room))
                                                           for _, room in people], flush=True)
        tap.check(totals == [expected] * PEOPLE,
                  "%s scope: every message has its replies, none lost, none twice (%d per person)"
                  % (scope, expected),
                  "replies per person: %r" % totals)
        txns = [e["unsigned"].get("transaction_id") for _, room in people
                for e in bot.replies(room)]
        tap.check(len(txns) == len(set(txns)),
                  "%s scope: no reply was delivered twice (distinct txnIds)" % scope)
        stats = hs.stats()
        print("# duplicates the homeserver dropped (same txnId re-sent): %s"
              % stats.get("duplicates_dropped"), flush=True)
        devices = {e["unsigned"].get("device_id") for _, room in people
                   for e in bot.replies(room)}
        live = hs.control("GET", "tokens")["live"]
        bot_tokens = sum(live.get("%s %s" % (bot.user_id, d), 0) for d in devices)
        tap.check(len(devices) == 1 and bot_tokens == 1, "%s scope: one live access token after %d starts"
                  % (scope, kills + 2), live)
        bot.wait_started()  # the last run may have nothing to catch up: a stop mid-load is no test
        status = bot.stop()
        tap.check(status == 0, "%s scope: the last run stops cleanly (exit %s)" % (scope, status),
                  bot.log()[-1500:])


if __name__ == "__main__":
    sys.exit(main())
