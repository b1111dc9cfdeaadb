#!/usr/bin/python3
"""A long answer on Matrix (issue 11, item 6): a journal bigger than one event (the
homeserver refuses an event over 65536 bytes with 413 M_TOO_LARGE, as Synapse does) arrives
whole, split into several events at paragraph or line boundaries, page by page through
"journal more"; an export of it arrives whole too, and nothing is sent twice. TAP output."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import Bot, Tap, bodies, converse  # noqa: E402
from hs_client import Homeserver  # noqa: E402

ENTRIES = 5
WORDS = 1800  # ~15 KB an entry: two to a page are more than one event can hold


def entry(n):
    return " ".join("e%dw%d" % (n, k) for k in range(WORDS))


def main():
    tap = Tap()
    with Homeserver() as hs, Bot(hs) as bot:
        person = hs.person("longwriter")
        room = person.create_dm(bot.user_id)
        bot.wait_joined(room, timeout=60)
        converse(bot, person, room, ["hi", "1"])
        for n in range(1, ENTRIES + 1):
            converse(bot, person, room, ["!journal " + entry(n)], timeout=60)
        stats_before = hs.stats()
        pages = converse(bot, person, room, ["journal"] + ["journal more"] * ENTRIES,
                         timeout=60)
        seen = " ".join(" ".join(page) for page in pages)
        missing = [n for n in range(1, ENTRIES + 1) if entry(n) not in seen]
        tap.check(not missing, "every journal entry arrives whole across the pages",
                  "missing or cut: %r; events per page %r" % (missing, [len(p) for p in pages]))
        biggest = max(len(b.encode()) for page in pages for b in page) if seen else 0
        tap.check(any(len(page) > 1 for page in pages),
                  "a page too big for one event goes as several events",
                  [len(p) for p in pages])
        tap.check(biggest < 65536, "every event is under the homeserver's limit", biggest)
        tap.check("journal more" in seen, "a page with older entries beyond says 'journal more'")
        tap.check("no older entries" in " ".join(pages[-1]),
                  "'journal more' past the end says there is nothing older", pages[-1])
        log = bot.log()
        tap.check("M_TOO_LARGE" not in log and "giving it up" not in log,
                  "no part is refused or given up", log[-1500:])
        export = converse(bot, person, room, ["export"], timeout=60)
        text = " ".join(export[0])
        tap.check(all(entry(n) in text for n in range(1, ENTRIES + 1)),
                  "an export of the long journal arrives whole", [len(b) for b in export[0]])
        dupes = hs.stats().get("duplicates_dropped", 0) - stats_before.get("duplicates_dropped", 0)
        tap.check(dupes == 0, "no part was sent twice", dupes)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
