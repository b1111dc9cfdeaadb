#!/usr/bin/python3
"""End-to-end encryption beyond one direct chat (issue 15), with matrix-nio as the people:
- Megolm rotation as the room asks (m.room.encryption rotation_period_msgs and
  rotation_period_ms), also across a SIGKILL restart;
- a member who leaves a group room: the bot's next message is in a new session whose key
  the leaver never gets (and the homeserver tells the others device_lists.left);
- an m.forwarded_room_key: a message whose room key the bot never got is answered once with
  "send it again" and a key request, nio forwards the key (its own forwarding code), and the
  next message in that session is read;
- trust on first use: alice's device id uploaded again with other keys is logged, and the
  bot's room keys keep going to her first keys only;
- the pickle key appears neither in the bot's log nor in its database.
TAP output."""
import asyncio
import collections
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import Bot, Tap, wait_handled  # noqa: E402
from hs_client import Homeserver, wait_until  # noqa: E402
from nio_person import NioPerson  # noqa: E402

UNREADABLE = "I couldn't read your last message; try sending it again."


def encryption(**settings):
    return {"type": "m.room.encryption", "state_key": "",
            "content": dict({"algorithm": "m.megolm.v1.aes-sha2"}, **settings)}


async def create_room(person, invite, state, direct=True):
    import nio
    created = await person.client.room_create(
        is_direct=direct, invite=invite, preset=nio.RoomPreset.trusted_private_chat,
        initial_state=[state])
    if not isinstance(created, nio.RoomCreateResponse):
        raise RuntimeError("nio createRoom failed: %r" % created)
    await person.step(0)
    return created.room_id


def sessions(bot, room):
    """The session ids of the bot's encrypted events in room, in order."""
    return [e["content"]["session_id"] for e in bot.encrypted_replies(room)]


async def exchange(person, bot, room, text, timeout=60):
    """person sends text; waits until the bot handled it; returns what person decrypted of
    the bot's answer."""
    before = len(bot.encrypted_replies(room))
    sent = await person.send(room, text)
    wait_handled(bot, room, sent, timeout)
    wanted = len(bot.encrypted_replies(room)) - before
    seen = await person.collect(room, bot.user_id, lambda s: len(s) >= max(wanted, 1), 30)
    return [body for _, body in seen]


async def rotation(hs, bot, alice, tap):
    # By count: a room asking for a new session every 2 messages, with a SIGKILL between.
    room = await create_room(alice, [bot.user_id], encryption(rotation_period_msgs=2))
    bot.wait_joined(room)
    await alice.step(0)
    for number, text in enumerate(["!help", "!help", "!help"]):
        if number == 2:
            bot.kill()
            bot.start()
        got = await exchange(alice, bot, room, text)
        tap.check(bool(got), "rotation by count: nio decrypts the answer to message %d"
                  % (number + 1), alice.undecrypted[-3:])
    used = collections.Counter(sessions(bot, room))
    tap.check(len(used) >= 2 and max(used.values()) <= 2,
              "rotation_period_msgs = 2: no session encrypts more than 2 of the bot's "
              "messages, across a restart", dict(used))

    # By age: a new session once 3 seconds have passed.
    room = await create_room(alice, [bot.user_id], encryption(rotation_period_ms=3000))
    bot.wait_joined(room)
    await alice.step(0)
    first = await exchange(alice, bot, room, "!help")
    early = sessions(bot, room)
    time.sleep(3.5)
    later = await exchange(alice, bot, room, "!help")
    late = sessions(bot, room)[len(early):]
    tap.check(first and later and early and late and early[-1] not in late,
              "rotation_period_ms = 3000: what the bot says 3.5 s later is in a new session "
              "(nio reads both)", (early, late, alice.undecrypted[-3:]))


async def departure(hs, bot, alice, bob, tap):
    room = await create_room(alice, [bot.user_id, bob.user_id], encryption(), direct=False)
    await bob.client.join(room)
    bot.wait_joined(room)
    await alice.step(0)
    await bob.step(0)
    got = await exchange(alice, bot, room, "!help")
    seen = await bob.collect(room, bot.user_id, lambda s: len(s) >= 1, 30)
    before = set(sessions(bot, room))
    tap.check(got and seen and not bob.undecrypted,
              "a group room of three: both people read the bot", bob.undecrypted[-3:])

    await bob.client.room_leave(room)
    answer = await alice.step(0)
    tap.check(bob.user_id in answer.device_list.left,
              "the homeserver tells the others device_lists.left for the leaver",
              answer.device_list)
    mark = len(hs.control("GET", "to_device?sender=%s" % bot.user_id)["messages"])
    got = await exchange(alice, bot, room, "!help")
    after = set(sessions(bot, room)) - before
    shares = hs.control("GET", "to_device?sender=%s" % bot.user_id)["messages"][mark:]
    to_bob = [m for m in shares if m["user_id"] == bob.user_id]
    await bob.step(0)
    bot_curve = bob.client.olm.device_store[bot.user_id][
        bot.encrypted_replies(room)[-1]["content"]["device_id"]].curve25519
    held = [s for s in after if bob.client.olm.inbound_group_store.get(room, bot_curve, s)]
    tap.check(got and after and not set(sessions(bot, room)[-1:]) & before,
              "after a member left, the bot's next message is in a new Megolm session",
              (before, after))
    tap.check(not to_bob and not held and any(m["user_id"] == alice.user_id for m in shares),
              "its key went to the one who stayed, not to the one who left",
              [(m["user_id"], m["type"]) for m in shares])


async def forwarded(hs, bot, alice, tap):
    room = await create_room(alice, [bot.user_id], encryption())
    bot.wait_joined(room)
    await alice.step(0)
    got = await exchange(alice, bot, room, "hi")
    tap.check(bool(got), "a new encrypted DM answers", alice.undecrypted[-3:])

    # alice's client starts a session it does not share with the bot (as when a key share
    # gets lost): her next message cannot be read.
    machine = alice.client.olm
    machine.create_outbound_group_session(room)
    withheld = machine.outbound_group_sessions[room]
    withheld.mark_as_shared()
    got = await exchange(alice, bot, room, "!help")
    tap.check(got == [UNREADABLE], "a message whose key never came is answered: send it again",
              got)
    def requests():
        return [m for m in hs.control("GET", "to_device?type=m.room_key_request")["messages"]
                if m["sender"] == bot.user_id and
                m["content"]["body"]["session_id"] == withheld.id]
    try:
        asked = wait_until(requests, 30, 0.05, "the key request")
    except TimeoutError:
        asked = []
    tap.check(len(asked) >= 1 and all(m["user_id"] == alice.user_id for m in asked) and
              asked[0]["content"]["action"] == "request" and
              asked[0]["content"]["body"]["room_id"] == room,
              "and an m.room_key_request for that session goes to the sender", asked)

    # nio forwards the key with its own code (m.forwarded_room_key over Olm).
    bot_device = bot.encrypted_replies(room)[-1]["content"]["device_id"]
    device = machine.device_store[bot.user_id][bot_device]
    group = machine.inbound_group_store.get(room, machine.account.identity_keys["curve25519"],
                                            withheld.id)
    olm_session = machine.session_store.get(device.curve25519)
    message = machine._encrypt_forwarding_key(room, group, olm_session, device)
    await alice.client.to_device(message)
    got = await exchange(alice, bot, room, "!help")
    tap.check(got and UNREADABLE not in got and
              sessions(bot, room) and "forwarded room key received" in bot.log(),
              "with the forwarded key the next message in that session is read and answered",
              got)
    events = hs.room_events(room, sender=alice.user_id, type="m.room.encrypted")
    tap.check(events[-1]["content"]["session_id"] == withheld.id,
              "(that message was in the forwarded session)")


async def changed_keys(hs, bot, alice, tap):
    """alice's device id shows up on the homeserver with other keys (a homeserver or someone
    with her token swapping them): the bot keeps the keys it saw first, logs the change, and
    shares nothing with the new ones; alice's real device still reads it."""
    import olm
    impostor = olm.Account()
    ids = impostor.identity_keys
    device = alice.device_id
    keys = {"user_id": alice.user_id, "device_id": device,
            "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
            "keys": {"curve25519:" + device: ids["curve25519"],
                     "ed25519:" + device: ids["ed25519"]}}
    text = json.dumps(keys, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    keys["signatures"] = {alice.user_id: {"ed25519:" + device: impostor.sign(text)}}
    answer = hs.request("POST", "/_matrix/client/v3/keys/upload", {"device_keys": keys},
                        headers={"Authorization": "Bearer " + alice.client.access_token})
    tap.check(answer.status == 200, "(the homeserver took other keys for alice's device)",
              answer)
    mark = len(hs.control("GET", "to_device?sender=%s" % bot.user_id)["messages"])
    # A new room: the bot must share a new room key with alice's devices.
    room = await create_room(alice, [bot.user_id], encryption())
    bot.wait_joined(room)
    await alice.step(0)
    got = await exchange(alice, bot, room, "!help")
    shares = hs.control("GET", "to_device?sender=%s" % bot.user_id)["messages"][mark:]
    targets = [curve for m in shares if m["user_id"] == alice.user_id
               for curve in m["content"].get("ciphertext", {})]
    tap.check("a device changed its keys" in bot.log() and
              ("device=%s" % device) in bot.log(),
              "a device whose keys changed is logged (trust stays with the first keys)",
              [line for line in bot.log().splitlines() if "changed its keys" in line])
    tap.check(got and targets and ids["curve25519"] not in targets and
              alice.client.olm.account.identity_keys["curve25519"] in targets,
              "the new room key goes to alice's first keys only, and she reads the answer",
              (targets, got))


async def scenario(hs, bot, tap, folder):
    async with NioPerson(hs, "alice", "alice-password", os.path.join(folder, "alice")) as alice, \
            NioPerson(hs, "bob", "bob-password", os.path.join(folder, "bob")) as bob:
        await rotation(hs, bot, alice, tap)
        await departure(hs, bot, alice, bob, tap)
        await forwarded(hs, bot, alice, tap)
        await changed_keys(hs, bot, alice, tap)


def main():
    tap = Tap()
    try:
        import nio  # noqa: F401
        import olm  # noqa: F401
    except ImportError:
        tap.check(False, "python3-matrix-nio and python3-olm are installed (scripts/install-deps)")
        return tap.done()
    folder = tempfile.mkdtemp(prefix="nio-e2ee-rooms-")
    with Homeserver() as hs, Bot(hs, extra={"encryption": "yes"}) as bot:
        hs.register("alice", "alice-password")
        hs.register("bob", "bob-password")
        asyncio.run(scenario(hs, bot, tap, folder))
        status = bot.stop()
        tap.check(status == 0, "the bot stops cleanly (exit %s)" % status, bot.log()[-2000:])
        stored = b""
        for suffix in ("", "-wal"):
            if os.path.exists(bot.db + suffix):
                with open(bot.db + suffix, "rb") as f:
                    stored += f.read()
        key = bot.pickle_key
        tap.check(key not in bot.log() and key.encode() not in stored and
                  json.dumps(key)[1:-1].encode() not in stored,
                  "the pickle key is neither in the bot's log nor in its database")
        if os.environ.get("SHOW_BOT_LOG"):
            print("# " + bot.log().replace("\n", "\n# "))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
