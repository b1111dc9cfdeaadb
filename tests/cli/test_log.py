#!/usr/bin/env python3
"""test_log.py — what the coach logs and how: levels ([log] level, SECUREBASE_LOG over it),
key=value fields, the journal's priority prefixes when JOURNAL_STREAM names stderr, and the
events an operator needs (nudges sent and skipped with the reason, replies queued and sent,
crisis answers), never with the person's words."""
import os
import re
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("SECUREBASE_BIN", "build/asan/securebase"))
n = 0
WORDS = "my sister zanzibar never calls"  # words a person says; never in a log


def check(what, cond, detail=""):
    global n
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what))
    if not cond and detail:
        for line in str(detail).splitlines()[-20:]:
            print("#   " + line)


def run(tmp, lines, user="kim", level=None, config=None, journal=False, extra=()):
    """Runs the console coach on lines; returns (exit code, stdout, stderr). stderr goes to a
    file so that JOURNAL_STREAM can name it as systemd would."""
    env = dict(os.environ)
    env.pop("SECUREBASE_LOG", None)
    env.pop("JOURNAL_STREAM", None)
    if level is not None:
        env["SECUREBASE_LOG"] = level
    args = [BIN, "--console", "--user", user, "--db", os.path.join(tmp, "x.db"),
            "--fake-clock", "2026-04-01T10:00:00Z"] + list(extra)
    if config:
        path = os.path.join(tmp, "log.conf")
        with open(path, "w") as f:
            f.write(config)
        args += ["--config", path]
    errpath = os.path.join(tmp, "stderr")
    with open(errpath, "w+b") as err:
        st = os.fstat(err.fileno())
        if journal == "other":
            env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino + 1)
        elif journal:
            env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
        done = subprocess.run(args, input=("\n".join(lines) + "\n").encode(), stdout=subprocess.PIPE,
                              stderr=err, env=env, cwd=tmp, timeout=120)
        err.seek(0)
        return done.returncode, done.stdout.decode(errors="replace"), err.read().decode(errors="replace")


NUDGE_DAY = ["hi", "2", "!timezone UTC", "!nudge 09:00", "/clock 2026-04-02T09:01:00Z",
             "/clock 2026-04-03T08:50:00Z", WORDS, "/clock 2026-04-03T09:01:00Z"]


def main():
    tmp = tempfile.mkdtemp()

    rc, out, err = run(tmp, NUDGE_DAY)
    check("a sent nudge is logged with person, adapter and outbox row",
          re.search(r" info nudge: nudge sent person=#1 adapter=console outbox=\d+ ", err), err)
    check("a skipped nudge is logged with its reason",
          re.search(r" info nudge: nudge skipped person=#1 reason=wrote-recently", err), err)
    check("info lines carry time, level and module", re.match(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ info nudge: ", err), err)
    check("at info, no debug lines", " debug " not in err, err)

    os.remove(os.path.join(tmp, "x.db"))
    rc, out, err = run(tmp, ["hi", "1", WORDS, "i want to kill myself"], user="sam", level="debug")
    check("a crisis answer is logged", re.search(r" info router: crisis answer person=#1 adapter=console", err), err)
    check("debug: where the person waits, as dialog/state",
          re.search(r" debug router: message person=#1 adapter=console state=[a-z-]+/[a-z-]+", err), err)
    check("debug: each reply queued and sent, by outbox row",
          re.search(r"reply queued outbox=1 adapter=console", err)
          and re.search(r"reply sent outbox=1 adapter=console", err), err)
    check("the person's words are never logged, at any level",
          "zanzibar" not in err and "kill myself" not in err, err)

    rc, out, err = run(tmp, ["hi"], user="ana", config="[log]\nlevel = debug\n")
    check("[log] level = debug turns debug lines on", " debug core: " in err, err)
    rc, out, err = run(tmp, ["hi"], user="ana", config="[log]\nlevel = debug\n", level="warn")
    check("SECUREBASE_LOG wins over [log] level", err.strip() == "", err)
    rc, out, err = run(tmp, NUDGE_DAY, user="ben", level="0")
    check("SECUREBASE_LOG=0 still silences information", rc == 0 and " info " not in err, err)
    rc, out, err = run(tmp, ["hi"], config="[log]\nlevel = loud\n")
    check("an unknown [log] level is a configuration error (exit 2)", rc == 2 and "log level" in err, err)
    rc, out, err = run(tmp, ["hi"], level="chatty")
    check("so is an unknown SECUREBASE_LOG", rc == 2, err)

    os.remove(os.path.join(tmp, "x.db"))
    rc, out, err = run(tmp, NUDGE_DAY + ["i want to kill myself"], level="debug", journal=True)
    lines = [l for l in err.splitlines() if l]
    check("under the journal every line starts with a priority", lines and all(
        re.match(r"<[3467]>[a-z]+: ", l) for l in lines), err)
    check("info is <6>, debug <7>", any(l.startswith("<6>nudge: nudge sent person=#1") for l in lines)
          and any(l.startswith("<7>core: reply queued") for l in lines), err)
    check("and no time stamp (the journal adds its own)", not re.search(r"\d{4}-\d\d-\d\dT", err), err)
    rc, out, err = run(tmp, ["hi"], level="debug", journal="other", user="zed")
    check("JOURNAL_STREAM naming another stream is ignored", err and not err.startswith("<"), err)

    bad = os.path.join(tmp, "nowhere")
    rc, out, err = run(tmp, ["hi"], user="zed", extra=["--dialogs", bad])
    rc2, out2, err2 = run(tmp, ["hi"], user="zed", extra=["--dialogs", bad], journal=True)
    check("errors before the log is set up still reach stderr", rc == 1 and rc2 == 1 and bad in err2, err2)
    print("1..%d" % n)


if __name__ == "__main__":
    main()
