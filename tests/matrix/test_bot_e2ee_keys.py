#!/usr/bin/python3
"""The bot's encryption keys against the test homeserver (issue 15), without a client:
with encryption off nothing uploads keys; with it on the device keys are signed and uploaded
once, kept across restarts (the same identity), one-time keys are topped up after others
claimed them, a missing or wrong pickle key stops the bot with a message saying what to do,
and a new device_id in the config starts a new identity. TAP output."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import BIN, ROOT, Bot, Tap, converse  # noqa: E402
from hs_client import Homeserver, wait_until  # noqa: E402


def uploads(hs, user):
    return hs.stats()["by_user"].get(user, {}).get("POST /keys/upload", 0)


def bot_keys(hs, bot, device=None):
    devices = hs.control("GET", "keys")["devices"]
    return {k: v for k, v in devices.items()
            if k.startswith(bot.user_id + " ") and (device is None or k.endswith(" " + device))}


def identity(bot):
    """'device=X curve25519=... ed25519=...' of the last start, or None."""
    lines = [line for line in bot.log().splitlines() if "encryption on device=" in line]
    return lines[-1].split("encryption on ", 1)[1] if lines else None


def signature_ok(obj, user, device, device_keys=None):
    """obj's signature by user's device, with its ed25519 key from obj (device keys) or from
    device_keys (for a one-time or fallback key)."""
    import json
    import olm
    signed = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
    text = json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    keys = obj.get("keys", device_keys) or {}
    key = keys.get("ed25519:" + device)
    try:
        olm.ed25519_verify(key, text, obj["signatures"][user]["ed25519:" + device])
        return True
    except olm.OlmVerifyError:
        return False


def run_once(bot, extra_env, timeout=30):
    """Runs the bot binary in the foreground with bot's config; returns (status, output)."""
    bot.write_config()
    env = dict(os.environ)
    env.update({"SECUREBASE_MATRIX_PASSWORD": bot.password})
    env.pop("SECUREBASE_PICKLE_KEY", None)
    env.update(extra_env)
    done = subprocess.run([os.path.join(ROOT, BIN), "--config", bot.config, "--db", bot.db,
                           "--dialogs", bot.dialogs], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    return done.returncode, done.stdout + done.stderr


def main():
    tap = Tap()
    with Homeserver() as hs:
        # Encryption off: no key is ever uploaded (Element then opens plain chats).
        with Bot(hs, extra={"encryption": "no"}) as plain:
            person = hs.person("carol")
            room = person.create_dm(plain.user_id)
            plain.wait_joined(room)
            converse(plain, person, room, ["hi"])
            tap.check(uploads(hs, plain.user_id) == 0 and not bot_keys(hs, plain),
                      "encryption = no: the bot uploads no keys", hs.stats()["by_user"])
            plain.stop()

    with Homeserver() as hs, Bot(hs, extra={"encryption": "yes"}) as bot:
        found = wait_until(lambda: bot_keys(hs, bot), 30, 0.1, "the bot's keys")
        name, entry = next(iter(found.items()))
        device = name.split(" ", 1)[1]
        tap.check(signature_ok(entry["keys"], bot.user_id, device),
                  "the device keys carry a valid self-signature (checked with python3-olm)")
        tap.check(entry["one_time_keys"]["signed_curve25519"] == 50 and
                  entry["unused_fallback"] == ["signed_curve25519"],
                  "50 one-time keys and a fallback key", entry)
        # One answered message first: the state after the upload is committed with a batch,
        # and stopping before any batch would test the race, not the restart.
        carol = hs.person("carol")
        carol_room = carol.create_dm(bot.user_id)
        bot.wait_joined(carol_room)
        converse(bot, carol, carol_room, ["hi"])
        first = identity(bot)
        # A conversation first: what the upload changed is committed with a later batch (a
        # stop before that would upload the same keys again after the restart, harmlessly).
        person = hs.person("dave")
        room = person.create_dm(bot.user_id)
        bot.wait_joined(room)
        converse(bot, person, room, ["hi"])
        count = uploads(hs, bot.user_id)
        bot.stop()
        bot.start()
        wait_until(lambda: identity(bot) and bot.log().count("encryption on ") >= 2, 30, 0.1,
                   "the restart")
        converse(bot, person, room, ["!help"])
        tap.check(identity(bot) == first and uploads(hs, bot.user_id) == count,
                  "a restart keeps the identity and uploads nothing again",
                  (first, identity(bot), count, uploads(hs, bot.user_id)))

        # Others claim 30 one-time keys: the next sync sees 20 and tops them up to 50.
        for _ in range(30):
            person.ok("POST", "/keys/claim", {"one_time_keys": {
                bot.user_id: {device: "signed_curve25519"}}})
        person.send_text(room, "!help")  # wakes the bot's long poll
        topped = wait_until(lambda: bot_keys(hs, bot, device)[name]["one_time_keys"]
                            ["signed_curve25519"] >= 50, 30, 0.1, "the top-up")
        tap.check(bool(topped), "one-time keys claimed by others are topped up to 50")

        # Every one-time key claimed, then the fallback key: the server reports it used, and
        # the bot uploads a new one (and new one-time keys) after its next sync.
        claimed = None
        for _ in range(80):
            got = person.ok("POST", "/keys/claim", {"one_time_keys": {
                bot.user_id: {device: "signed_curve25519"}}})["one_time_keys"]
            key = next(iter(got[bot.user_id][device].items()))
            if key[1].get("fallback"):
                claimed = key
                break
        used = bot_keys(hs, bot, device)[name]
        tap.check(claimed is not None and used["unused_fallback"] == [] and
                  used["one_time_keys"]["signed_curve25519"] == 0,
                  "with every one-time key claimed, the fallback key is handed out", used)
        person.send_text(room, "!help")

        def fresh_fallback():
            entry = bot_keys(hs, bot, device)[name]
            return entry["unused_fallback"] == ["signed_curve25519"] and \
                entry["one_time_keys"]["signed_curve25519"] >= 50
        try:
            wait_until(fresh_fallback, 30, 0.1, "a new fallback key")
            again = next(iter(person.ok("POST", "/keys/claim", {"one_time_keys": {
                bot.user_id: {device: "signed_curve25519"}}})["one_time_keys"][bot.user_id]
                [device].values()))
            replaced = claimed is not None and again["key"] != claimed[1]["key"]
        except TimeoutError:
            replaced = False
        tap.check(replaced and signature_ok(again, bot.user_id, device, entry["keys"]["keys"]),
                  "a used fallback key is replaced by a new, signed one, and one-time keys "
                  "are topped up again", bot_keys(hs, bot, device))
        bot.stop()

        # No pickle key, or the wrong one: stop with a message, touch nothing.
        status, out = run_once(bot, {})
        tap.check(status == 2 and "pickle key" in out and "SECUREBASE_PICKLE_KEY" in out,
                  "without a pickle key the bot refuses to start and says how to set one",
                  (status, out[-800:]))
        wrong = "a different pickle key, 32+ bytes"
        status, out = run_once(bot, {"SECUREBASE_PICKLE_KEY": wrong})
        tap.check(status != 0 and "does not open the stored encryption account" in out and
                  wrong not in out,
                  "a wrong pickle key stops the bot and names the problem", (status, out[-800:]))
        bot.start()
        wait_until(lambda: bot.log().count("encryption on ") >= 3, 30, 0.1, "the restart")
        tap.check(identity(bot) == first, "with the right key again the identity is unchanged")
        bot.stop()

        # A new device in the config: a new identity, uploaded for that device.
        bot.settings["device_id"] = "NEWDEVICE"
        bot.start()
        fresh = wait_until(lambda: bot_keys(hs, bot, "NEWDEVICE"), 30, 0.1, "the new keys")
        tap.check(bool(fresh) and identity(bot).startswith("device=NEWDEVICE ") and
                  identity(bot).split(" ", 1)[1] != first.split(" ", 1)[1],
                  "device_id = NEWDEVICE logs in as it with a new identity", identity(bot))
        converse(bot, person, room, ["!help"])
        status = bot.stop()
        tap.check(status == 0, "the bot stops cleanly (exit %s)" % status, bot.log()[-1500:])
        tap.check(bot.pickle_key not in bot.log(), "the pickle key never reaches the log")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
