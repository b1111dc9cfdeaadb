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
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("SECUREBASE_BIN", "build/asan/securebase"))
n = 0


def check(what, cond, detail=""):
    global n
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what))
    if not cond and detail:
        for line in str(detail).splitlines()[-25:]:
            print("#   " + line)


class Coach:
    """The console coach on pipes; stdout and stderr gathered by threads."""

    def __init__(self, tmp, dialogs):
        self.out, self.err = [], []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            [BIN, "--console", "--echo", "--user", "sam", "--db", os.path.join(tmp, "x.db"),
             "--dialogs", dialogs], cwd=tmp, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=dict(os.environ, SECUREBASE_LOG="info"))
        for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._gather, args=(stream, sink), daemon=True).start()

    def _gather(self, stream, sink):
        for line in iter(stream.readline, b""):
            with self.lock:
                sink.append(line.decode(errors="replace"))

    def text(self, sink):
        with self.lock:
            return "".join(sink)

    def wait_for(self, sink, pattern, start=0, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if re.search(pattern, self.text(sink)[start:]):
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        return False

    def say(self, line, pattern, timeout=30):
        """Sends line; True when the coach's answer to it matches pattern."""
        start = len(self.text(self.out))
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        marker = "> " + re.escape(line) + "\n"
        if not self.wait_for(self.out, marker, start, timeout):
            return False
        begin = start + re.search(marker, self.text(self.out)[start:]).end()
        return self.wait_for(self.out, pattern, begin, timeout)

    def answer_to_last(self):
        return self.text(self.out)[-600:]

    def reload(self, pattern, timeout=30):
        """SIGHUP; True when stderr then shows pattern."""
        start = len(self.text(self.err))
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
        check("SIGHUP with a good set: swapped in", coach.reload(r"dialogs reloaded"), coach.text(coach.err))
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
        errors_before = len(coach.text(coach.err))
        check("SIGHUP with a broken set: refused", coach.reload(r"reload from .* refused"),
              coach.text(coach.err)[errors_before:])
        check("each problem is logged with its file and state",
              re.search(r"file=zz-broken\.json state=a ", coach.text(coach.err)[errors_before:]),
              coach.text(coach.err)[errors_before:])
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
              coach.text(coach.err))
        check("nobody's words are in the log", "quiet evening" not in coach.text(coach.err)
              and "work, mostly" not in coach.text(coach.err))
    finally:
        if coach.proc.poll() is None:
            coach.proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % n)


if __name__ == "__main__":
    main()
