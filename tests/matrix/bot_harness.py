"""bot_harness — runs securebase with a [matrix] section against the test homeserver, for the
end-to-end tests (test_bot_*.py, test_e2e_*.py, test_nio_*.py). Waits on conditions with
deadlines, never blind sleeps; prints TAP.

    with Homeserver() as hs, Bot(hs) as bot:
        alice = hs.person("alice")
        room = alice.create_dm(bot.user_id)
        bot.wait_joined(room)
        alice.send_text(room, "hi")
        replies = bot.wait_replies(room, 1)
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from hs_client import quote, wait_until  # noqa: E402

BIN = os.environ.get("SECUREBASE_BIN", "build/asan/securebase")
BOT_USER = "botuser"
BOT_PASSWORD = "bot-password-not-logged"


class Tap:
    """TAP output: ok/not ok lines, and a plan at the end."""

    def __init__(self):
        self.count = 0
        self.failed = 0

    def check(self, condition, name, detail=""):
        self.count += 1
        if condition:
            print("ok %d - %s" % (self.count, name), flush=True)
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.count, name), flush=True)
            for line in str(detail).splitlines()[:20]:
                print("#   " + line, flush=True)
        return condition

    def done(self):
        print("1..%d" % self.count, flush=True)
        return 1 if self.failed else 0


class Bot:
    """securebase as a child process with a config pointing at hs; restartable, killable."""

    def __init__(self, hs, extra=None, password=BOT_PASSWORD, register=True, dialogs=None,
                 token=None, fake_clock=None):
        self.hs = hs
        self.token = token
        self.dir = tempfile.mkdtemp(prefix="sb-matrix-")
        # fake_clock (an ISO instant): the bot runs with --fake-clock @FILE; set_clock moves it.
        self.clock_path = os.path.join(self.dir, "clock") if fake_clock else None
        if fake_clock:
            self.set_clock(fake_clock)
        self.db = os.path.join(self.dir, "securebase.db")
        self.config = os.path.join(self.dir, "securebase.conf")
        self.log_path = os.path.join(self.dir, "bot.log")
        self.password = password
        self.user_id = "@%s:%s" % (BOT_USER, hs.server_name)
        self.process = None
        self.dialogs = dialogs or os.environ.get("SECUREBASE_DIALOGS",
                                                 os.path.join(ROOT, "dialogs"))
        settings = {"homeserver": hs.url, "user_id": self.user_id, "device_name": "securebase test",
                    "sync_timeout_ms": "2000", "backoff_min_ms": "50", "backoff_max_ms": "400",
                    # typing at once, as tests of the indicator expect; test_bot_requests.py
                    # runs the default delay
                    "typing_delay_ms": "0"}
        settings.update(extra or {})
        self.settings = settings
        # The pickle key of the bot's encryption state: per bot, like a deployment's secret.
        self.pickle_key = "pickle key for " + os.path.basename(self.dir) + " " + "k" * 16
        if register:
            hs.register(BOT_USER, password or "unused-password")

    def write_config(self):
        with open(self.config, "w", encoding="utf-8") as out:
            out.write("[matrix]\n")
            for key, value in self.settings.items():
                if value is not None:
                    out.write("%s = %s\n" % (key, value))

    def start(self):
        self.settings["homeserver"] = self.hs.url  # the port may change after hs.kill/start
        self.write_config()
        env = dict(os.environ)
        env["SECUREBASE_MATRIX_PASSWORD"] = self.password or ""
        if not self.password:
            env.pop("SECUREBASE_MATRIX_PASSWORD")
        env.pop("SECUREBASE_MATRIX_TOKEN", None)
        env["SECUREBASE_PICKLE_KEY"] = self.pickle_key
        if self.token:
            env["SECUREBASE_MATRIX_TOKEN"] = self.token
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        log = open(self.log_path, "ab")
        self.log_from = log.tell()  # where this run's lines begin: the log is kept across runs
        self.process = subprocess.Popen(
            [os.path.join(ROOT, BIN) if not os.path.isabs(BIN) else BIN, "--config", self.config,
             "--db", self.db, "--dialogs", self.dialogs] +
            (["--fake-clock", "@" + self.clock_path] if self.clock_path else []),
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=ROOT, env=env)
        log.close()
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if not exc[0] and not os.environ.get("KEEP_BOT_DIR"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def set_clock(self, iso):
        """Moves the fake clock to iso (e.g. 2026-03-28T08:00:30Z): a temporary file renamed
        over the clock file, so the bot never reads half a time. A running bot notices within
        about 0.1 s; a stopped one starts there."""
        temporary = self.clock_path + ".new"
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(iso + "\n")
        os.replace(temporary, self.clock_path)

    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=20):
        """SIGTERM and wait; returns the exit status (None if it was not running)."""
        if not self.process:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        status = self.process.returncode
        self.process = None
        return status

    def wait_started(self, timeout=60.0):
        """Waits until this run has started its Matrix adapter: from then on its signals are
        handled (a SIGTERM earlier, while the process loads, ends it by the signal's default)."""
        def started():
            if self.process and self.process.poll() is not None:
                raise RuntimeError("the bot exited:\n" + self.log()[-2000:])
            with open(self.log_path, "rb") as stream:
                stream.seek(self.log_from)
                return b"matrix: starting against" in stream.read()
        return wait_until(started, timeout, 0.05, "the bot to start")

    def kill(self):
        """SIGKILL, like a crash or a power cut."""
        if self.process:
            self.process.kill()
            self.process.wait()
        self.process = None

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as stream:
                return stream.read()
        except OSError:
            return ""

    def wait_joined(self, room_id, timeout=20.0):
        def joined():
            if self.process and self.process.poll() is not None:
                raise RuntimeError("the bot exited:\n" + self.log()[-2000:])
            room = self.hs.control("GET", "rooms")["rooms"].get(room_id, {})
            return room.get("members", {}).get(self.user_id) == "join"
        return wait_until(joined, timeout, 0.05, "the bot to join %s" % room_id)

    def replies(self, room_id):
        """The bot's m.room.message events in room_id, in order."""
        return self.hs.room_events(room_id, sender=self.user_id, type="m.room.message")

    def encrypted_replies(self, room_id):
        """The bot's m.room.encrypted events in room_id, in order."""
        return self.hs.room_events(room_id, sender=self.user_id, type="m.room.encrypted")

    def wait_replies(self, room_id, count, timeout=30.0):
        def enough():
            if self.process and self.process.poll() is not None:
                raise RuntimeError("the bot exited:\n" + self.log()[-2000:])
            found = self.replies(room_id)
            return found if len(found) >= count else None
        return wait_until(enough, timeout, 0.05, "%d replies in %s" % (count, room_id))


def bodies(events):
    return [event.get("content", {}).get("body", "") for event in events]


def receipt(hs, room_id, user_id):
    """The event id of user_id's m.read receipt in room_id, or None."""
    answer = hs.control("GET", "room/%s/receipts" % quote(room_id))
    for record in answer["receipts"]:
        if record["user_id"] == user_id and record["type"] == "m.read":
            return record["event_id"]
    return None


def event_ids(hs, room_id):
    return [event["event_id"] for event in hs.room_events(room_id)]


def wait_handled(bot, room_id, event_id, timeout=30.0):
    """Waits until the bot's read receipt in room_id is at event_id or later. The bot sends
    the receipt after the batch is committed and its replies are sent (one ordered queue),
    so from then on every reply to event_id is in the room."""
    def handled():
        if bot.process and bot.process.poll() is not None:
            raise RuntimeError("the bot exited:\n" + bot.log()[-2000:])
        try:
            at = receipt(bot.hs, room_id, bot.user_id)
            ids = event_ids(bot.hs, room_id) if at else []
        except OSError:  # the homeserver is restarting
            return False
        if at is None:
            return False
        return at in ids and event_id in ids and ids.index(at) >= ids.index(event_id)
    return wait_until(handled, timeout, 0.05, "the bot to handle %s" % event_id)


def converse(bot, person, room_id, inputs, timeout=30.0):
    """Sends each input in turn, waits until it is handled and returns, per input, the list
    of reply bodies that followed it."""
    out = []
    for text in inputs:
        before = len(bot.replies(room_id))
        event_id = person.send_text(room_id, text)
        wait_handled(bot, room_id, event_id, timeout)
        out.append(bodies(bot.replies(room_id)[before:]))
    return out
