#!/usr/bin/env python3
"""test_heldout_clean.py — the crisis check's held-out and dev sets are never trained on.

make eval measures the crisis classifier on tests/crisis/heldout.tsv (never read to tune)
and tests/crisis/dev.tsv (read to tune, never trained on). A training line of
dialogs/safety/*.txt that says one of those lines again (the same words, or three quarters
of them, accents and case aside) makes the figure a memory test. Each such training line is
reported by file and line only: the held-out text is not printed. The checker is also run
with a held-out line slipped into the training lines, and must catch it.
"""
import glob
import os
import re
import sys
import unicodedata

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OVERLAP = 0.75  # shared words / all words of the two lines


def words(text):
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return frozenset(re.findall(r"[a-z0-9]+", folded))


def measured(name):
    with open(os.path.join(ROOT, "tests", "crisis", name), encoding="utf-8") as f:
        return [words(line.rstrip("\n").split("\t")[-1]) for line in f
                if line.strip() and not line.startswith("#")]


def training():
    lines = []
    for path in sorted(glob.glob(os.path.join(ROOT, "dialogs", "safety", "*.txt"))):
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip() and not line.startswith("#"):
                    lines.append(("%s:%d" % (os.path.relpath(path, ROOT), n), words(line)))
    return lines


def repeats(train, sets):
    """The training lines (by place) that say a line of sets again."""
    found = []
    for place, w in train:
        if w and any(s and len(w & s) >= OVERLAP * len(w | s) for s in sets):
            found.append(place)
    return found


def main():
    n = 0
    failed = 0

    def report(ok, what, detail=None):
        nonlocal n, failed
        n += 1
        failed += not ok
        print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
        if not ok and detail:
            print("# " + str(detail)[:2000])

    train = training()
    heldout, dev = measured("heldout.tsv"), measured("dev.tsv")
    found = repeats(train, heldout)
    report(not found, "no training line of dialogs/safety says a held-out line again "
           "(%d training lines, %d held-out)" % (len(train), len(heldout)), found)
    found = repeats(train, dev)
    report(not found, "no training line of dialogs/safety says a dev line again (%d dev)"
           % len(dev), found)
    heldout2 = measured("heldout2.tsv")
    found = repeats(train, heldout2)
    report(not found, "no training line of dialogs/safety says a line of the second held-out "
           "set again (%d lines)" % len(heldout2), found)
    fresh = measured("fresh.tsv")
    found = repeats(train, fresh)
    report(not found, "no training line of dialogs/safety says a line of the fresh set again "
           "(%d fresh)" % len(fresh), found)
    slipped = train + [("slipped", heldout[len(heldout) // 2])]
    report("slipped" in repeats(slipped, heldout),
           "the checker catches a held-out line slipped into the training lines")
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
