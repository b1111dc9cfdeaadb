#!/usr/bin/env python3
"""test_backup.py — `securebase --backup PATH` while the coach is in a conversation: the copy
opens, passes sqlite's integrity check, holds every batch committed before it began (the
reply the person last saw is in it), is made while messages keep coming, ignores the
store's single-process lock, never overwrites a file, and a coach started on the copy
picks up where the person was."""
import fcntl
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import console_coach  # noqa: E402

BIN = console_coach.BIN
n = 0


def check(what, cond, detail=""):
    global n
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what))
    if not cond and detail:
        for line in str(detail).splitlines()[-20:]:
            print("#   " + line)


def backup(db, path, cwd):
    return subprocess.run([BIN, "--backup", path, "--db", db], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def rows(path, sql):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def main():
    tmp = tempfile.mkdtemp()
    db = os.path.join(tmp, "live.db")
    coach = console_coach.Coach(tmp, ["--user", "sam", "--db", db])
    try:
        check("the person agrees that the coach keeps their words", coach.say("hi", "") and
              coach.say("1", r"(?i)thank"), coach.answer_to_last())
        check("and journals something", coach.say("journal the quiet after the call was a relief",
                                                   r"\S"), coach.answer_to_last())
        check("the coach answers the latest message", coach.say("help", r"\d\."), coach.answer_to_last())

        first = os.path.join(tmp, "first.db")
        done = backup(db, first, tmp)
        check("--backup while the coach runs exits 0", done.returncode == 0, done.stderr)
        check("the copy is private (0600)", oct(os.stat(first).st_mode & 0o777) == "0o600")
        check("the copy passes sqlite's integrity check",
              rows(first, "PRAGMA integrity_check") == [("ok",)])
        check("the copy is one file (journal mode delete)",
              rows(first, "PRAGMA journal_mode") == [("delete",)] and
              not os.path.exists(first + "-wal"))
        live = rows(db, "SELECT max(id), count(*) FROM outbox")
        copy = rows(first, "SELECT max(id), count(*) FROM outbox")
        check("it holds the last committed batch: the reply the person last saw", live == copy,
              "live %r copy %r" % (live, copy))
        check("and the journal entry", rows(first, "SELECT count(*) FROM journal") == [(1,)])

        # Backups while messages keep coming: each is whole and holds what was answered first.
        stop = threading.Event()
        sent = [0]

        def talk():
            while not stop.is_set():
                if coach.say("help", r"\d\.", timeout=60):
                    sent[0] += 1

        talker = threading.Thread(target=talk)
        talker.start()
        results = []
        try:
            for i in range(5):
                answered = rows(db, "SELECT count(*) FROM outbox")[0][0]
                path = os.path.join(tmp, "busy%d.db" % i)
                done = backup(db, path, tmp)
                ok = done.returncode == 0 and rows(path, "PRAGMA integrity_check") == [("ok",)]
                have = rows(path, "SELECT count(*) FROM outbox")[0][0] if ok else -1
                results.append((ok, answered, have, done.stderr))
        finally:
            stop.set()
            talker.join(timeout=120)
        check("five backups during a running conversation all succeed and check out",
              all(r[0] for r in results), results)
        check("each holds every reply answered before it began",
              all(r[2] >= r[1] for r in results), results)
        check("the conversation went on meanwhile (%d answers)" % sent[0], sent[0] > 0)

        # The running coach holds the store's single-process lock; a backup must not need it.
        with open(db + ".lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = False
                fcntl.flock(lock, fcntl.LOCK_UN)
            except BlockingIOError:
                held = True
        done = backup(db, os.path.join(tmp, "locked.db"), tmp)
        check("--backup ignores the store's single-process lock (held by the running coach)",
              held and done.returncode == 0, "lock held: %s; %s" % (held, done.stderr))

        before = os.stat(first).st_mtime_ns
        done = backup(db, first, tmp)
        check("an existing file is never overwritten (exit 1, untouched)",
              done.returncode == 1 and "exists" in done.stderr and
              os.stat(first).st_mtime_ns == before, done.stderr)
        done = backup(os.path.join(tmp, "none.db"), os.path.join(tmp, "never.db"), tmp)
        check("no store: an error, and nothing created", done.returncode == 1 and
              not os.path.exists(os.path.join(tmp, "never.db")) and
              not os.path.exists(os.path.join(tmp, "none.db")), done.stderr)
        done = backup(db, os.path.join(tmp, "no-such-folder", "x.db"), tmp)
        check("an unwritable place: an error naming it", done.returncode == 1 and
              "no-such-folder" in done.stderr, done.stderr)
    finally:
        code = coach.stop()
    check("the coach stopped cleanly (exit 0, no leaks)", code == 0, coach.stderr())

    restored = console_coach.Coach(tmp, ["--user", "sam", "--db", first])
    check("a coach started on the copy knows the person and their journal",
          restored.say("journal", "quiet after the call"), restored.answer_to_last())
    check("and stops cleanly", restored.stop() == 0, restored.stderr())
    print("1..%d" % n)


if __name__ == "__main__":
    main()
