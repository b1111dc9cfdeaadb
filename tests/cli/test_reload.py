#!/usr/bin/env python3
"""test_reload.py — SIGHUP reloads the dialogs while the coach keeps talking: a good set is
swapped in between messages, a broken set is refused with each problem logged (file and
state) and the old set keeps answering, and a person waiting in a state that no longer
exists is told and answered rather than stuck. The console coach on a pipe stands in for
any adapter; the test dialogs (tests/dialogs-fixture) mark every text with a tag."""
import json
import os
import re
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import console_coach  # noqa: E402

ROOT = console_coach.ROOT
n = 0


def check(what, cond, detail=""):
    global n
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what))
    if not cond and detail:
        for line in str(detail).splitlines()[-25:]:
            print("#   " + line)


class Coach(console_coach.Coach):
    def __init__(self, tmp, dialogs):
        super().__init__(tmp, ["--user", "sam", "--db", os.path.join(tmp, "x.db"),
                               "--dialogs", dialogs])

    def reload(self, pattern, timeout=30):
        """SIGHUP; True when stderr then shows pattern."""
        start = len(self.stderr())
        self.proc.send_signal(signal.SIGHUP)
        return self.wait_for(self.err, pattern, start, timeout)


def edit(path, change):
    with open(path) as f:
        data = json.load(f)
    change(data)
    with open(path, "w") as f:
        json.dump(data, f)


def main():
    tmp = tempfile.mkdtemp()
    dialogs = os.path.join(tmp, "dialogs")
    shutil.copytree(os.path.join(ROOT, "tests", "dialogs-fixture"), dialogs)
    pattern_file = os.path.join(dialogs, "naming-the-pattern.json")
    coach = Coach(tmp, dialogs)
    try:
        check("the coach answers before any reload", coach.say("hi", "WELCOME"), coach.answer_to_last())
        check("a dialog starts", coach.say("naming the pattern", "INTRO"), coach.answer_to_last())
        check("and waits in a state", coach.say("yes", "SITUATIONS"), coach.answer_to_last())

        # A good set: the waiting state is renamed (so it no longer exists) and a text changes.
        def rename(data):
            states = data["states"]
            states["moments"] = states.pop("situations")
            for choice in states["intro"]["choices"]:
                if choice["next"] == "situations":
                    choice["next"] = "moments"
            states["intro"]["say"] = ["RELOADED_INTRO Shall we look at when you pull away?"]
        edit(pattern_file, rename)
        check("SIGHUP with a good set: swapped in", coach.reload(r"dialogs reloaded"), coach.stderr())
        check("the person whose state went is told and answered, not stuck",
              coach.say("work, mostly", r"RESET I lost my place.*\n(.*\n)*.*\S"), coach.answer_to_last())
        check("new texts are said from then on", coach.say("naming the pattern", "RELOADED_INTRO"),
              coach.answer_to_last())
        check("and the renamed state works", coach.say("yes", "SITUATIONS"), coach.answer_to_last())
        check("the dialog goes on", coach.say("a quiet evening", r"\S"), coach.answer_to_last())
        coach.say("stop", "STOPPED")

        # A broken set: refused, every problem logged with file and state, the old set serves.
        with open(os.path.join(dialogs, "zz-broken.json"), "w") as f:
            json.dump({"kind": "dialog", "id": "zz-broken", "title": "Broken", "start": "a",
                       "states": {"a": {"say": ["Where next?"], "expect": "choice",
                                        "choices": [{"label": "On", "words": ["on"],
                                                     "next": "nowhere"}]}}}, f)
        errors_before = len(coach.stderr())
        check("SIGHUP with a broken set: refused", coach.reload(r"reload from .* refused"),
              coach.stderr()[errors_before:])
        check("each problem is logged with its file and state",
              re.search(r"file=zz-broken\.json state=a ", coach.stderr()[errors_before:]),
              coach.stderr()[errors_before:])
        check("the old set keeps answering", coach.say("naming the pattern", "RELOADED_INTRO"),
              coach.answer_to_last())
        check("the coach is still running", coach.proc.poll() is None)
        coach.say("stop", "STOPPED")

        # Fixed again: accepted again.
        os.remove(os.path.join(dialogs, "zz-broken.json"))
        edit(pattern_file, lambda d: d["states"]["intro"].__setitem__("say", ["THIRD_INTRO Ready?"]))
        check("a fixed set is taken at the next SIGHUP", coach.reload(r"dialogs reloaded"))
        check("and serves", coach.say("naming the pattern", "THIRD_INTRO"), coach.answer_to_last())

        # An unreadable folder is refused too.
        shutil.move(dialogs, dialogs + ".away")
        check("a missing folder is refused", coach.reload(r"reload from .* refused"))
        check("and the set in use goes on", coach.say("stop", "STOPPED"), coach.answer_to_last())
        shutil.move(dialogs + ".away", dialogs)

        coach.proc.send_signal(signal.SIGTERM)
        coach.proc.wait(timeout=30)
        check("the coach stops cleanly after reloads (exit 0, no leaks)", coach.proc.returncode == 0,
              coach.stderr())
        check("nobody's words are in the log", "quiet evening" not in coach.stderr()
              and "work, mostly" not in coach.stderr())
    finally:
        if coach.proc.poll() is None:
            coach.proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % n)


if __name__ == "__main__":
    main()
