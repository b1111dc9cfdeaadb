#!/usr/bin/python3
"""Signing in: a password login keeps its device across a refused token and a restart (so
re-sent txnIds stay idempotent); an access token alone works until the homeserver refuses it,
then the bot stops with a clear message; a wrong password or an incomplete [matrix] section
stops it at once. Secrets never reach the log. TAP output."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import BIN, ROOT, Bot, Tap, converse  # noqa: E402
from hs_client import Homeserver, wait_until  # noqa: E402


def devices(bot, room):
    return {e["unsigned"].get("device_id") for e in bot.replies(room)}


def exit_status(bot, timeout=30):
    wait_until(lambda: not bot.running(), timeout, 0.05, "the bot to exit")
    return bot.process.returncode


def main():
    tap = Tap()
    with Homeserver() as hs:
        # --- password: re-login on M_UNKNOWN_TOKEN, same device across restarts ---
        with Bot(hs) as bot:
            alice = hs.person("alice")
            room = alice.create_dm(bot.user_id)
            bot.wait_joined(room)
            first = converse(bot, alice, room, ["hi"])
            hs.control("POST", "logout_user", {"user": bot.user_id})
            second = converse(bot, alice, room, ["1", "!help"])
            tap.check(all(first + second), "after its token is refused the bot logs in again "
                      "and goes on answering", first + second)
            tap.check("logging in again" in bot.log(), "the re-login is logged")
            tap.check(len(devices(bot, room)) == 1, "the new login keeps the device",
                      devices(bot, room))
            bot.stop()
            bot.start()
            third = converse(bot, alice, room, ["!help"])
            tap.check(third[0] and len(devices(bot, room)) == 1,
                      "after a restart the stored device id is reused", devices(bot, room))
            bot.stop()
            tap.check(bot.password not in bot.log(), "the password is never logged")

        # --- access token only ---
        login = hs.register("tokenbot", "tokenbot-password")
        token = login["access_token"]
        bot = Bot(hs, password=None, token=token, register=False,
                  extra={"user_id": login["user_id"]})
        bot.user_id = login["user_id"]
        with bot:
            bob = hs.person("bob")
            room = bob.create_dm(bot.user_id)
            bot.wait_joined(room)
            answers = converse(bot, bob, room, ["hi"])
            tap.check(answers[0], "an access token alone signs the bot in", answers)
            hs.control("POST", "logout_user", {"user": bot.user_id})
            status = exit_status(bot)
            tap.check(status != 0 and "access token" in bot.log(),
                      "a refused token without a password stops the bot with a clear message",
                      "exit %s\n%s" % (status, bot.log()[-1000:]))
            tap.check(token not in bot.log(), "the access token is never logged")

        # --- wrong password ---
        with Bot(hs, register=False, password="not-the-password") as bot:
            status = exit_status(bot)
            tap.check(status != 0 and "refused the login" in bot.log(),
                      "a wrong password stops the bot with a clear message",
                      "exit %s\n%s" % (status, bot.log()[-1000:]))
            tap.check("not-the-password" not in bot.log(), "the wrong password is not logged")

    # --- incomplete configuration ---
    cases = [("[matrix]\nuser_id = @bot:test.local\npassword = x\n", "homeserver"),
             ("[matrix]\nhomeserver = http://127.0.0.1:9\nuser_id = @bot:test.local\n",
              "password"),
             ("[matrix]\nhomeserver = http://127.0.0.1:9\npassword = x\n", "user_id"),
             ("[matrix]\nhomeserver = http://127.0.0.1:9\naccess_token = t\nmsgtype = loud\n",
              "msgtype")]
    directory = tempfile.mkdtemp(prefix="sb-matrix-config-")
    for text, word in cases:
        config = os.path.join(directory, "bad.conf")
        with open(config, "w", encoding="utf-8") as out:
            out.write(text)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SECUREBASE_MATRIX")}
        run = subprocess.run([os.path.join(ROOT, BIN), "--config", config, "--db",
                              os.path.join(directory, "db")], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=60, check=False)
        tap.check(run.returncode != 0 and word in run.stderr,
                  "a [matrix] section without a usable %s is refused at start" % word,
                  "exit %d\n%s" % (run.returncode, run.stderr[-800:]))
    shutil.rmtree(directory, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
