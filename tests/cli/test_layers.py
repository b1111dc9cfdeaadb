#!/usr/bin/env python3
"""test_layers.py — who may include whom (docs/design.md, "Rooms and directions").

Every #include "x.h" in bot/, store/ and adapters/ is resolved to the file it names (rooms are
on the include path, so a name is unique across the tree) and checked against the rules below.
A forbidden include fails with the file, the line and the rule it breaks. The checker is also
run on a temporary copy of the tree with forbidden includes added, and must catch each one:
so this test can fail, and is known to.
"""
import os
import re
import shutil
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Rooms: a file's room is its folder ("bot" is the base: sb.h, text.h, log.h, sb_json.h).
ROOMS = ["bot", "bot/core", "bot/engine", "bot/understand", "bot/dialogs", "bot/nudge",
         "store", "adapters"]
BASE = {"bot"}
# What each room may include: rooms whole, plus single headers of another room.
RULES = {
    "bot": ({"bot"}, set()),
    "bot/understand": ({"bot/understand", "bot/dialogs"} | BASE, set()),
    "bot/engine": ({"bot/engine", "bot/understand", "bot/dialogs"} | BASE, set()),
    "bot/dialogs": ({"bot/dialogs", "bot/understand"} | BASE, set()),
    "bot/nudge": ({"bot/nudge", "bot/dialogs"} | BASE,
                  {"store/store.h", "bot/core/clock.h", "bot/core/metrics.h"}),
    "bot/core": (set(ROOMS), set()),
    # Adapters: the adapter interface, the config reader and the counters; never the store,
    # the engine or the core's insides.
    "adapters": ({"adapters"} | BASE,
                 {"bot/core/adapter.h", "bot/core/config.h", "bot/core/metrics.h"}),
    # The store knows rows, not dialogs.
    "store": ({"store"} | BASE, set()),
}
WHY = {
    "bot/understand": "understand/ includes only itself, dialogs/ and the base",
    "bot/engine": "engine/ includes only itself, understand/, dialogs/ and the base",
    "bot/dialogs": "dialogs/ includes only itself, understand/ and the base",
    "bot/nudge": "nudge/ includes itself, dialogs/, the base, store.h, clock.h and metrics.h only",
    "adapters": "adapters include adapter.h, config.h, metrics.h and the base, "
                "never the store, engine or core internals",
    "store": "store/ knows no dialogs: only itself and the base",
    "bot": "the base (sb.h, text.h, log.h, sb_json.h) includes only the base",
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def sources(root):
    for room in ROOMS:
        folder = os.path.join(root, room)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name.endswith((".c", ".h")):
                yield room, room + "/" + name


def check(root):
    """Returns the problems of the tree under root, one line each."""
    where = {}
    problems = []
    for room, path in sources(root):
        name = os.path.basename(path)
        if name in where:
            problems.append("%s: same name as %s (includes name no room)" % (path, where[name]))
        where[name] = path
    for room, path in sources(root):
        with open(os.path.join(root, path), encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = where.get(m.group(1))
                if target is None:
                    problems.append('%s:%d: "%s" is no header of the tree' % (path, n, m.group(1)))
                    continue
                rooms, headers = RULES[room]
                if os.path.dirname(target) in rooms or target in headers:
                    continue
                problems.append('%s:%d: includes %s: %s' % (path, n, target, WHY.get(room, room)))
    return problems


def with_bad_include(path, header):
    """A copy of the tree with #include "header" added to path; returns its root."""
    tmp = tempfile.mkdtemp(prefix="layers.")
    for room in ROOMS:
        os.makedirs(os.path.join(tmp, room), exist_ok=True)
    for room, p in sources(ROOT):
        shutil.copy(os.path.join(ROOT, p), os.path.join(tmp, p))
    with open(os.path.join(tmp, path), "a", encoding="utf-8") as f:
        f.write('#include "%s"\n' % header)
    return tmp


def main():
    n = 0
    failed = 0

    def report(ok, what, detail=()):
        nonlocal n, failed
        n += 1
        failed += not ok
        print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
        for d in detail:
            print("#   " + d)

    problems = check(ROOT)
    report(not problems, "every include in bot/, store/, adapters/ follows the directions",
           problems)
    # The checker catches what it is there to catch: each line adds one forbidden include.
    bad = [
        ("bot/engine/engine.c", "store.h"),      # the engine is pure: no store
        ("bot/engine/flow.c", "router.h"),       # ... and knows no core
        ("bot/understand/intent.c", "turn.h"),   # understanding never asks the engine
        ("bot/dialogs/dialog.c", "flow.h"),      # the loader knows no engine
        ("adapters/console.c", "store.h"),       # adapters never touch the store
        ("adapters/matrix_work.c", "engine.h"),  # ... nor the engine
        ("adapters/irc.c", "router.h"),          # ... nor core internals
        ("store/store.c", "dialog.h"),           # the store knows no dialogs
        ("bot/nudge/nudge.c", "match.h"),        # nudges know no engine
        ("bot/sb.c", "adapter.h"),               # the base is the base
    ]
    for path, header in bad:
        tmp = with_bad_include(path, header)
        try:
            found = [p for p in check(tmp) if p.startswith(path + ":")]
        finally:
            shutil.rmtree(tmp)
        report(len(found) == 1 and header in found[0],
               'the checker refuses #include "%s" in %s' % (header, path), found)
    # And an allowed one passes: the adapter interface from an adapter.
    tmp = with_bad_include("adapters/console.c", "adapter.h")
    try:
        found = check(tmp)
    finally:
        shutil.rmtree(tmp)
    report(not found, 'the checker allows #include "adapter.h" in adapters/console.c', found)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
