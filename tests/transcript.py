#!/usr/bin/python3
"""Runs a transcript test through the console binary and prints TAP.

A transcript reads like the conversation it checks:

    # comment
    @user alice                  the person (--user); after inputs, another person on the
                                 same database, in a new process
    @args --fake-clock 2026-03-28T07:00:00Z   extra arguments for every run
    > what the person types
    < text that must appear (case-insensitive substring) in the replies to that input
    <! text that must not appear in those replies
    <= the whole reply, exactly (runs of white space count as one space); several "<="
                                 lines are the reply's lines, in order
    -- restart                   the process ends; a new one starts on the same database
    -- restart at ISO            ... and the new one starts with its fake clock at ISO, as
                                 after downtime (the nudges due meanwhile were not sent)
    > /clock ISO, > /clock +1d   moves the fake clock of the running process (--fake-clock):
                                 nudges due on the way go out at their instant

Each input with expectations is one TAP test, and every input must have one: an input
without any is an error (a "<!" alone is enough where nothing may be said). The binary is
$SECUREBASE_BIN (default build/asan/securebase); each run must exit 0 with nothing from a
sanitizer. With --show, nothing is checked: every input is printed with the replies it got,
for writing a transcript's expectations.
"""
import os
import re
import subprocess
import sys
import tempfile

BIN = os.environ.get("SECUREBASE_BIN", "build/asan/securebase")


def parse(path):
    args, segments = [], [[]]
    starts = [None]  # per segment: a fake-clock start overriding @args
    users = ["alice"]  # per segment: the person
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("@user "):
                if segments[-1]:
                    segments.append([])
                    starts.append(None)
                    users.append(None)
                users[-1] = line[6:].strip()
            elif line.startswith("@args "):
                args += line[6:].split()
            elif line.strip() == "-- restart":
                segments.append([])
                starts.append(None)
                users.append(users[-1])
            elif line.startswith("-- restart at "):
                segments.append([])
                starts.append(line[len("-- restart at "):].strip())
                users.append(users[-1])
            elif line.startswith("> "):
                segments[-1].append({"say": line[2:], "line": number, "want": [], "not": [],
                                     "exact": None})
            elif line.startswith("<= ") or line.rstrip() == "<=":
                turn = segments[-1][-1]
                turn["exact"] = (turn["exact"] + "\n" if turn["exact"] is not None else "") + line[3:]
            elif line.startswith("<! "):
                segments[-1][-1]["not"].append(line[3:].strip())
            elif line.startswith("< "):
                segments[-1][-1]["want"].append(line[2:].strip())
            else:
                sys.exit(f"{path}:{number}: cannot read line: {line!r}")
    return args, list(zip(segments, starts, users))


def squash(text):
    return re.sub(r"\s+", " ", text).strip().lower()


def spaces(text):
    return re.sub(r"\s+", " ", text).strip()


def run(db, user, args, turns):
    stdin = "".join(t["say"] + "\n" for t in turns)
    cmd = [BIN, "--console", "--echo", "--db", db, "--dialogs", "dialogs", "--user", user] + args
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120)
    # Split stdout at the echo of each input, in order. What a run prints before its first
    # input (replies and nudges re-sent at start) counts towards the first input.
    replies, rest = [], p.stdout
    head = ""
    for t in turns:
        marker = "> " + t["say"] + "\n"
        at = rest.find(marker)
        if at < 0:
            replies.append(None)
            continue
        if replies:
            replies[-1] = (replies[-1] or "") + rest[:at]
        else:
            head = rest[:at]
        rest = rest[at + len(marker):]
        replies.append("")
    if replies:
        replies[-1] = (replies[-1] or "") + rest
        if replies[0] is not None:
            replies[0] = head + replies[0]
    return p, replies


def show(path):
    args, segments = parse(path)
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "t.db")
        for seg, start, user in segments:
            seg_args = list(args)
            if start:
                if "--fake-clock" in seg_args:
                    seg_args[seg_args.index("--fake-clock") + 1] = start
                else:
                    seg_args += ["--fake-clock", start]
            _, replies = run(db, user, seg_args, seg)
            for turn, got in zip(seg, replies):
                print(f"{path}:{turn['line']} > {turn['say']}")
                for line in (got or "(nothing)").strip().split("\n"):
                    print("    " + line)
    return 0


def main():
    if sys.argv[1] == "--show":
        return show(sys.argv[2])
    path = sys.argv[1]
    args, segments = parse(path)
    n = 0
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "t.db")
        for seg, start, user in segments:
            seg_args = list(args)
            if start:
                if "--fake-clock" in seg_args:
                    seg_args[seg_args.index("--fake-clock") + 1] = start
                else:
                    seg_args += ["--fake-clock", start]
            p, replies = run(db, user, seg_args, seg)
            broken = p.returncode != 0 or "Sanitizer" in p.stderr or "runtime error" in p.stderr
            if broken:
                n += 1
                failed += 1
                print(f"not ok {n} - {path}: the run exited {p.returncode}")
                print("# " + p.stderr[-2000:].replace("\n", "\n# "))
            for turn, got in zip(seg, replies):
                n += 1
                text = squash(got or "")
                missing = [w for w in turn["want"] if squash(w) not in text]
                present = [w for w in turn["not"] if squash(w) in text]
                if turn["exact"] is not None and spaces(turn["exact"]) != spaces(got or ""):
                    missing.append("exactly: " + turn["exact"].replace("\n", "\n#     "))
                if not turn["want"] and not turn["not"] and turn["exact"] is None:
                    missing.append("(an expectation: every input has one)")
                if missing or present or got is None:
                    failed += 1
                    print(f"not ok {n} - {path}:{turn['line']} > {turn['say']}")
                    for w in missing:
                        print(f"#   expected: {w}")
                    for w in present:
                        print(f"#   must not say: {w}")
                    print("#   coach said: " + (got or "(nothing)").strip().replace("\n", "\n#   "))
                else:
                    print(f"ok {n} - {path}:{turn['line']} > {turn['say']}")
    print(f"1..{n}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
