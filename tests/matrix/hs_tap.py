"""hs_tap.py — what the test homeserver's TAP programs share (test_homeserver.py,
test_homeserver_e2ee.py): a registry of test functions, expect, the bot's login and a direct
room with it, and running the registered tests as TAP lines.
"""
import sys
import traceback

from hs_client import API, Client

BOT = "@botuser:test.local"
TESTS = []


def test(function):
    TESTS.append(function)
    return function


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def bot_login(hs, device_id="BOTDEVICE1"):
    hs.register("botuser", "botpass")
    answer = hs.request("POST", API + "/login", {
        "type": "m.login.password", "identifier": {"type": "m.id.user", "user": "botuser"},
        "password": "botpass", "device_id": device_id})
    expect(answer.status == 200, "login: %r" % answer)
    return Client(hs, answer.json["access_token"], BOT, answer.json["device_id"])


def dm_with_bot(hs, person="alice"):
    """alice (or person) and the bot in a joined direct room: (alice, bot, room_id)."""
    bot = bot_login(hs)
    alice = hs.person(person)
    room = alice.create_dm(BOT)
    bot.join(room)
    bot.sync()
    return alice, bot, room


def timeline(answer, room_id):
    return answer.get("rooms", {}).get("join", {}).get(room_id, {}).get(
        "timeline", {}).get("events", [])



def run(number=0):
    """Runs TESTS as TAP lines numbered after number; returns how many failed."""
    failed = 0
    for function in TESTS:
        number += 1
        name = function.__name__.replace("_", " ")
        try:
            function()
            print("ok %d - %s" % (number, name))
        except Exception:
            failed += 1
            print("not ok %d - %s" % (number, name))
            for line in traceback.format_exc().splitlines():
                print("# " + line)
        sys.stdout.flush()
    return failed
