#!/usr/bin/python3
"""The coach as systemd runs it (contrib/securebase.service), against the test homeserver:
the working directory is the state directory and the store lands there by default, the
Matrix password and the encryption pickle key come only as credentials
($CREDENTIALS_DIRECTORY/matrix-password, pickle-key), stderr
is the journal (JOURNAL_STREAM), and systemd's notify socket hears READY=1, watchdog pings,
RELOADING=1/READY=1 around a SIGHUP and STOPPING=1 at SIGTERM; /healthz shows the Matrix
adapter's last sync answer and batch. A person chats throughout. Neither the password nor the pickle key reaches the log."""
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import BIN, BOT_PASSWORD, BOT_USER, ROOT, Tap, bodies, wait_handled  # noqa: E402
from hs_client import Homeserver, wait_until  # noqa: E402


class Notify:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.seen = []

    def drain(self, seconds=0.0):
        end = time.monotonic() + seconds
        while True:
            ready, _, _ = select.select([self.sock], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                return self.seen
            self.seen.append(self.sock.recv(4096).decode())

    def wait(self, prefix, timeout=30.0):
        return wait_until(lambda: any(m.startswith(prefix) for m in self.drain(0.05)), timeout,
                          0.01, prefix)


class Running:
    """What wait_handled needs to know of a bot started here."""

    def __init__(self, hs, user_id, process, log):
        self.hs, self.user_id, self.process, self.log = hs, user_id, process, log


def main():
    tap = Tap()
    tmp = tempfile.mkdtemp(prefix="sb-service-")
    state = os.path.join(tmp, "var-lib-securebase")
    creds = os.path.join(tmp, "credentials")
    os.makedirs(state, mode=0o700)
    os.makedirs(creds, mode=0o700)
    with open(os.path.join(creds, "matrix-password"), "w") as f:
        f.write(BOT_PASSWORD + "\n")
    pickle_key = "service pickle key from the credential store, 32+ bytes"
    with open(os.path.join(creds, "pickle-key"), "w") as f:  # as contrib/securebase.service
        f.write(pickle_key + "\n")
    notify = Notify(os.path.join(tmp, "notify"))
    log_path = os.path.join(tmp, "journal")
    with Homeserver() as hs:
        hs.register(BOT_USER, BOT_PASSWORD)
        user_id = "@%s:%s" % (BOT_USER, hs.server_name)
        conf = os.path.join(tmp, "securebase.conf")
        with open(conf, "w") as f:
            f.write("[matrix]\nhomeserver = %s\nuser_id = %s\nsync_timeout_ms = 2000\n"
                    "backoff_min_ms = 50\nbackoff_max_ms = 400\n\n"
                    "[metrics]\nlisten = 127.0.0.1:0\n" % (hs.url, user_id))
        env = {k: v for k, v in os.environ.items() if not k.startswith("SECUREBASE_")}
        log = open(log_path, "w+b")
        st = os.fstat(log.fileno())
        env.update(NOTIFY_SOCKET=notify.sock.getsockname(), WATCHDOG_USEC="2000000",
                   CREDENTIALS_DIRECTORY=creds, INVOCATION_ID="0123456789abcdef",
                   JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
        binary = BIN if os.path.isabs(BIN) else os.path.join(ROOT, BIN)
        bot = subprocess.Popen([binary, "--config", conf], cwd=state, env=env,
                               stdin=subprocess.DEVNULL, stdout=log, stderr=log)

        def journal():
            log.flush()
            with open(log_path, encoding="utf-8", errors="replace") as stream:
                return stream.read()
        running = Running(hs, user_id, bot, journal)
        try:
            tap.check(notify.wait("READY=1"), "systemd hears READY=1")
            alice = hs.person("alice")
            room = alice.create_dm(user_id)

            def joined():
                if bot.poll() is not None:
                    raise RuntimeError("the bot exited:\n" + journal()[-2000:])
                members = hs.control("GET", "rooms")["rooms"].get(room, {}).get("members", {})
                return members.get(user_id) == "join"
            wait_until(joined, 30, 0.05, "the bot to join")
            event = alice.send_text(room, "hi")
            wait_handled(running, room, event, 30)
            replies = bodies(hs.room_events(room, sender=user_id, type="m.room.message"))
            tap.check(replies and replies[-1], "logged in with the credential alone, the coach answers",
                      journal()[-1500:])
            tap.check(os.path.exists(os.path.join(state, "securebase.db")),
                      "the store is in the state directory (the working directory)", os.listdir(state))
            pings = [m for m in notify.drain(2.5) if m == "WATCHDOG=1"]
            tap.check(len(pings) >= 2, "the watchdog is pinged (%d in 2.5 s at 1 s)" % len(pings))

            port = int(re.search(r"metrics: serving .* on 127\.0\.0\.1:(\d+)", journal()).group(1))
            with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=10) as answer:
                health = json.loads(answer.read())
            matrix = health.get("adapters", {}).get("matrix", {})
            tap.check(health.get("status") == "ok" and 0 <= matrix.get("last_batch_seconds_ago", -1) < 30,
                      "/healthz shows the Matrix adapter's last batch", health)
            tap.check(0 <= matrix.get("last_contact_seconds_ago", -1) < 10,
                      "and its last sync answer (the homeserver is reached)", health)

            notify.seen.clear()
            bot.send_signal(signal.SIGHUP)
            tap.check(notify.wait("RELOADING=1") and notify.wait("READY=1"),
                      "a reload says RELOADING=1, then READY=1", notify.seen)
            event = alice.send_text(room, "!help")
            before = len(replies)
            wait_handled(running, room, event, 30)
            replies = bodies(hs.room_events(room, sender=user_id, type="m.room.message"))
            tap.check(len(replies) > before, "and the coach goes on answering")

            notify.seen.clear()
            bot.send_signal(signal.SIGTERM)
            bot.wait(30)
            tap.check(any(m.startswith("STOPPING=1") for m in notify.drain(0.5)),
                      "SIGTERM says STOPPING=1")
            tap.check(bot.returncode == 0, "and the coach stops cleanly (exit 0, no leaks)",
                      journal()[-2000:])
            lines = [l for l in journal().splitlines() if l.strip()]
            tap.check(lines and all(l.startswith("<") for l in lines),
                      "every log line carries a journal priority", "\n".join(lines[:10]))
            tap.check(BOT_PASSWORD not in journal(), "the password never reaches the log")
            tap.check("encryption on device=" in journal() and pickle_key not in journal(),
                      "encryption runs with the pickle key from the credential, never logged")
        finally:
            if bot.poll() is None:
                bot.kill()
                bot.wait()
            log.close()
    no_adapter = subprocess.run([binary], cwd=state, env=env, stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=60)
    tap.check(no_adapter.returncode == 2 and b"nothing to serve" in no_adapter.stderr,
              "under systemd without [matrix] or [irc] it refuses to start a console on /dev/null",
              no_adapter.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
