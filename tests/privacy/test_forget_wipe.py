#!/usr/bin/python3
"""After `forget` nothing of the person's words is left, not even in what the coach wrote
after the wipe (issue 11, item 4). With a reflection check waiting, "forget" + "yes" used to
resume the check and post "So, if I'm following you: <their words>" after deleting them.

Drives one console process and, while it still runs (so the -wal file is live), reads the
database file and its -wal byte for byte and the outbox rows, looking for the person's
distinctive words. Prints TAP."""
import os
import select
import sqlite3
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("SECUREBASE_BIN", "build/asan/securebase")
WORDS = [b"zanzibar", b"quokka"]
n = 0
failed = 0


def check(ok, what, detail=""):
    global n, failed
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what))
    if not ok:
        failed += 1
        for line in str(detail).splitlines()[:20]:
            print("#   " + line)


def read_until(proc, needle, timeout=30.0):
    """Output of proc until needle (bytes, lowercase) appears or timeout."""
    out = b""
    end = time.time() + timeout
    while time.time() < end and needle not in out.lower():
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
    return out


def main():
    tmp = tempfile.mkdtemp()
    db = os.path.join(tmp, "f.db")
    proc = subprocess.Popen([BIN, "--console", "--db", db, "--user", "gus",
                             "--fake-clock", "2026-03-02T09:00:00Z"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        def say(line, until):
            proc.stdin.write(line.encode() + b"\n")
            proc.stdin.flush()
            return read_until(proc, until)

        say("hi", b"may i remember")
        say("1", b"")
        say("5", b"")
        say("naming the pattern", b"")
        time.sleep(0.5)
        read_until(proc, b"\x00", 1.0)
        said = say("yes", b"")
        said += say("I went quiet when my sister asked about my zanzibar quokka plans",
                    b"zanzibar")
        check(b"zanzibar" in said.lower(), "the reflection check says the words back first",
              said.decode(errors="replace"))
        say("!journal zanzibar quokka notes", b"journal")
        said = say("forget", b"delete it all now")
        said = say("yes", b"has been deleted")
        check(b"has been deleted" in said.lower(), "forget + yes deletes",
              said.decode(errors="replace"))
        time.sleep(0.5)
        said += read_until(proc, b"\x00", 1.0)
        check(not any(w in said.lower() for w in WORDS),
              "the answer to 'yes' carries none of the person's words",
              said.decode(errors="replace"))
        # The process still runs: its -wal is live.
        for suffix in ("", "-wal"):
            path = db + suffix
            data = open(path, "rb").read() if os.path.exists(path) else b""
            found = [w.decode() for w in WORDS if w in data.lower()]
            check(not found, "the %s file holds none of the person's words" %
                  (os.path.basename(path)), "found: %s" % found)
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        rows = con.execute("SELECT id, text FROM outbox").fetchall()
        con.close()
        bad = [r for r in rows if any(w.decode() in (r[1] or "").lower() for w in WORDS)]
        check(not bad, "no outbox row carries the person's words", bad)
    finally:
        proc.stdin.close()
        rc = proc.wait(timeout=60)
        check(rc == 0, "the console exits 0", "exit %d" % rc)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
