#!/usr/bin/env python3
"""test_metrics.py — [metrics] listen serves GET /healthz and GET /metrics on loopback while
the coach talks (here the console coach): the metrics parse with Prometheus' own text parser
(python3-prometheus-client) and count what happened (messages, replies, a crisis answer, a
nudge sent and one skipped, dialog reloads, batch commit latency); /healthz reports the core
alive, the adapter's last batch and the replies pending; neither shows a person's name or
words. Off unless configured; a bad address is a configuration error."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import console_coach  # noqa: E402

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # scripts/install-deps --test installs python3-prometheus-client
    text_string_to_metric_families = None

n = 0


def check(what, cond, detail=""):
    global n
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what))
    if not cond and detail:
        for line in str(detail).splitlines()[-25:]:
            print("#   " + line)


def get(port, path, method="GET"):
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def samples(text):
    """{(name, frozenset(labels)): value} through the Prometheus parser."""
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, frozenset(s.labels.items()))] = s.value
    return found


def value(found, name, **labels):
    return found.get((name, frozenset(labels.items())))


def main():
    check("python3-prometheus-client is installed", text_string_to_metric_families is not None)
    if text_string_to_metric_families is None:
        print("1..%d" % n)
        return
    tmp = tempfile.mkdtemp()
    conf = os.path.join(tmp, "coach.conf")
    with open(conf, "w") as f:
        f.write("[metrics]\nlisten = 127.0.0.1:0\n")
    coach = console_coach.Coach(tmp, ["--config", conf, "--user", "zoe", "--db", os.path.join(tmp, "x.db"),
                                      "--fake-clock", "2026-04-01T10:00:00Z"])
    try:
        check("the listener says where it serves", coach.wait_for(
            coach.err, r"serving /healthz and /metrics on 127\.0\.0\.1:\d+"), coach.stderr())
        port = int(re.search(r"on 127\.0\.0\.1:(\d+)", coach.stderr()).group(1))

        lines = ["hi", "1", "!timezone UTC", "!nudge 09:00", "/clock 2026-04-02T09:01:00Z",
                 "/clock 2026-04-03T08:45:00Z", "my brother zanzibar", "/clock 2026-04-03T09:01:00Z",
                 "help"]
        for line in lines:
            coach.say(line, r"\S" if not line.startswith("/clock") else "")
        coach.say("i want to kill myself", r"\S")
        messages = len([l for l in lines if not l.startswith("/clock")]) + 1
        coach.proc.send_signal(signal.SIGHUP)
        coach.wait_for(coach.err, r"dialogs reloaded", timeout=120)

        status, ctype, text = get(port, "/metrics")
        check("GET /metrics answers 200 in the Prometheus text format",
              status == 200 and ctype.startswith("text/plain; version=0.0.4"), (status, ctype))
        try:
            found = samples(text)
            parsed = True
        except Exception as error:  # the parser's error says what is malformed
            found, parsed = {}, False
            text += "\n" + repr(error)
        check("Prometheus' parser reads all of it", parsed and len(found) > 20, text)
        check("messages received are counted (%d)" % messages,
              value(found, "securebase_messages_received_total", adapter="console") == messages,
              value(found, "securebase_messages_received_total", adapter="console"))
        sent = value(found, "securebase_replies_sent_total", adapter="console")
        check("replies sent are counted (one per message and the nudge)", sent == messages + 1, sent)
        check("nothing pending, nothing given up",
              value(found, "securebase_replies_pending", adapter="console") == 0 and
              value(found, "securebase_replies_given_up_total", adapter="console") == 0)
        check("the crisis answer is counted",
              value(found, "securebase_crisis_answers_total", adapter="console") == 1)
        check("the nudge sent is counted", value(found, "securebase_nudges_sent_total", adapter="console") == 1)
        check("and the one skipped, with its reason",
              value(found, "securebase_nudges_skipped_total", reason="wrote-recently") == 1,
              [k for k in found if k[0] == "securebase_nudges_skipped_total"])
        check("the reload is counted", value(found, "securebase_dialog_reloads_total", result="ok") == 1)
        count = value(found, "securebase_batch_commit_seconds_count")
        inf = value(found, "securebase_batch_commit_seconds_bucket", le="+Inf")
        check("the commit latency histogram has a sample per batch",
              count == inf and count >= messages and value(found, "securebase_batch_commit_seconds_sum") > 0,
              (count, inf))
        check("the dialogs serving are counted", (value(found, "securebase_dialogs") or 0) > 10)
        check("no person's name or words in /metrics", "zoe" not in text and "zanzibar" not in text
              and "kill" not in text)

        status, ctype, body = get(port, "/healthz")
        try:
            health = json.loads(body)
        except ValueError:
            health = {}
        check("GET /healthz answers 200 with JSON", status == 200 and ctype == "application/json"
              and health.get("status") == "ok", (status, body))
        console = health.get("adapters", {}).get("console", {})
        check("it names the console's last committed batch, seconds ago",
              0 <= console.get("last_batch_seconds_ago", -1) < 60, body)
        check("and the replies pending", health.get("replies_pending") == 0, body)
        check("and the core's last turn", 0 <= health.get("core_alive_seconds_ago", -1) < 30, body)
        check("no person's name or words in /healthz", "zoe" not in body and "zanzibar" not in body)
        check("any other path is 404", get(port, "/")[0] == 404 and get(port, "/metrics/x")[0] == 404)
        check("anything but GET is 405", get(port, "/metrics", "POST")[0] == 405)
        check("HTTP keeps working after many scrapes",
              all(get(port, "/metrics")[0] == 200 for _ in range(20)))
    finally:
        code = coach.stop()
    check("the coach stops cleanly with the listener (exit 0, no leaks)", code == 0, coach.stderr())

    plain = subprocess.run([console_coach.BIN, "--console", "--user", "zoe", "--db",
                            os.path.join(tmp, "y.db")], input=b"hi\n", capture_output=True,
                           cwd=tmp, timeout=60)
    check("off unless [metrics] listen is set", plain.returncode == 0 and
          b"serving /healthz" not in plain.stderr, plain.stderr)
    for bad in ("9464", "127.0.0.1:99999", "::1:9464", "127.0.0.1:"):
        with open(conf, "w") as f:
            f.write("[metrics]\nlisten = %s\n" % bad)
        done = subprocess.run([console_coach.BIN, "--console", "--config", conf, "--db",
                               os.path.join(tmp, "z.db")], input=b"hi\n", capture_output=True,
                              cwd=tmp, timeout=60)
        check("listen = %s is a configuration error (exit 2)" % bad,
              done.returncode == 2 and b"listen" in done.stderr, done.stderr)
    print("1..%d" % n)


if __name__ == "__main__":
    main()
