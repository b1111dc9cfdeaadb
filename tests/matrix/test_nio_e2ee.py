#!/usr/bin/python3
"""End-to-end encryption with a real client as the person (issue 15): matrix-nio with
encryption on opens an encrypted direct chat with the bot and has a whole conversation;
every reply of the coach is decrypted by nio; the homeserver stores no plaintext of either
side; a second device of the person added midway reads the replies too; an event the bot
cannot decrypt is answered once and a key request goes out; a second person in a plain DM
is unaffected; the bot's device keys and one-time keys are signed and stay topped up.
TAP output."""
import asyncio
import json
import os
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import Bot, Tap, converse, wait_handled  # noqa: E402
from hs_client import Homeserver, wait_until  # noqa: E402
from nio_person import NioPerson  # noqa: E402

CONVERSATION = ["hi", "1", "!help", "!journal the lighthouse keeps me calm", "!journal"]
SECRET = "lighthouse"


async def talk(person, bot, room_id, texts, tap, label):
    """Sends each text and waits for the coach's answer; returns the answers per text."""
    answers = []
    for text in texts:
        before = len(bot.encrypted_replies(room_id))
        await person.send(room_id, text)

        def replied():
            return len(bot.encrypted_replies(room_id)) > before
        for _ in range(600):
            if replied():
                break
            await asyncio.sleep(0.05)
        seen = await person.collect(room_id, bot.user_id, lambda s: len(s) >= 1, 30)
        answers.append([body for _, body in seen])
        tap.check(bool(seen), "%s: nio decrypts the coach's answer to %r" % (label, text),
                  person.undecrypted[-3:])
    return answers


async def scenario(hs, bot, tap, folder):
    async with NioPerson(hs, "alice", "alice-password", os.path.join(folder, "alice1"),
                         "alice phone") as alice:
        def uploaded():
            keys = hs.control("GET", "keys")["devices"]
            return keys.get("%s %s" % (bot.user_id, bot_device(bot)))
        try:
            mine = wait_until(uploaded, 30, 0.1, "the bot's keys")
        except TimeoutError:
            mine = None
        keys = hs.control("GET", "keys")["devices"]
        tap.check(mine is not None and mine["one_time_keys"]["signed_curve25519"] >= 50 and
                  mine["unused_fallback"] == ["signed_curve25519"],
                  "the bot uploaded device keys, 50 one-time keys and a fallback key", keys)
        room = await alice.create_encrypted_dm(bot.user_id)
        bot.wait_joined(room)
        await alice.step(0)
        answers = await talk(alice, bot, room, CONVERSATION, tap, "first device")
        tap.check(any("coach" in a.lower() for a in answers[0]),
                  "the coach's first answer reads as it should", answers[0])
        tap.check(any(SECRET in a for a in answers[-1]), "the journal comes back, decrypted",
                  answers[-1])

        # A second device of the same person joins midway and reads what follows.
        async with NioPerson(hs, "alice", "alice-password", os.path.join(folder, "alice2"),
                             "alice laptop") as laptop:
            await laptop.step(0)
            await alice.step(0)
            second = await talk(laptop, bot, room, ["!help"], tap, "second device")
            seen = await alice.collect(room, bot.user_id, lambda s: len(s) >= 1, 30)
            tap.check(bool(seen), "the first device reads the reply to the second one",
                      alice.undecrypted[-3:])
            third = await talk(alice, bot, room, ["!help"], tap, "first device again")
            seen = await laptop.collect(room, bot.user_id, lambda s: len(s) >= 1, 30)
            tap.check(bool(seen) and third[0], "the second device reads replies to the first",
                      laptop.undecrypted[-3:])

        await unreadable(hs, bot, alice, room, tap)
        await forget(hs, bot, alice, room, tap)
        stored = hs.room_events(room)
        text = json.dumps(stored)
        plain = [e for e in stored if e["type"] == "m.room.message"]
        tap.check(not plain and SECRET not in text and "coach" not in text.lower(),
                  "the homeserver stores no plaintext of the encrypted DM",
                  [e["content"] for e in plain][:3])
        return room


async def unreadable(hs, bot, alice, room, tap):
    """An event whose key never came: answered once per room, and the key is asked for."""
    raw = hs.person("alice", "alice-password")  # another login of alice, no encryption
    garbage = {"algorithm": "m.megolm.v1.aes-sha2", "sender_key": "A" * 43,
               "ciphertext": "AwgAEnACgAkLmt6qF84IK++J7UDH2Za1YVchHyprqTqsg2yyOwAtHaZTwyNg",
               "session_id": "S" * 43, "device_id": raw.device_id}
    before = len(bot.encrypted_replies(room))
    first = raw.send(room, garbage, "m.room.encrypted")
    wait_handled(bot, room, first)
    seen = await alice.collect(room, bot.user_id, lambda s: len(s) >= 1, 30)
    tap.check([body for _, body in seen] ==
              ["I couldn't read your last message; try sending it again."],
              "an event the bot cannot decrypt is answered: send it again", seen)
    requests = hs.control("GET", "to_device?type=m.room_key_request")["messages"]
    asked = [m for m in requests if m["sender"] == bot.user_id and
             m["content"].get("body", {}).get("session_id") == "S" * 43]
    tap.check(asked and asked[0]["user_id"] == alice.user_id and
              asked[0]["content"]["action"] == "request",
              "and the bot asks the sender's devices for the key", requests)
    second = raw.send(room, dict(garbage, session_id="T" * 43), "m.room.encrypted")
    wait_handled(bot, room, second)
    tap.check(len(bot.encrypted_replies(room)) == before + 1,
              "a second unreadable event is not answered again",
              len(bot.encrypted_replies(room)) - before)
    last = await alice.send(room, "!help")
    wait_handled(bot, room, last)
    seen = await alice.collect(room, bot.user_id, lambda s: len(s) >= 1, 30)
    tap.check(bool(seen), "readable messages are answered as before", seen)


async def forget(hs, bot, alice, room, tap):
    """forget: the room keys the store keeps for alice read nothing she wrote before it, and
    what she writes after is still read (checked by opening the stored pickles with python3-olm
    and the pickle key)."""
    import olm
    before = [e["content"] for e in hs.room_events(room, sender=alice.user_id,
                                                    type="m.room.encrypted")]
    await talk(alice, bot, room, ["forget", "yes"], tap, "forget")
    last = await alice.send(room, "hi again")
    wait_handled(bot, room, last)
    await alice.collect(room, bot.user_id, lambda s: len(s) >= 1, 30)
    after = hs.room_events(room, sender=alice.user_id, type="m.room.encrypted")[-1]["content"]
    connection = sqlite3.connect("file:%s?mode=ro" % bot.db, uri=True)
    rows = connection.execute("SELECT key, value FROM adapter_state WHERE owner = ?",
                              (alice.user_id,)).fetchall()
    connection.close()
    readable_before, readable_after = 0, 0
    for key, value in rows:
        stored = json.loads(value)
        session = olm.InboundGroupSession.from_pickle(stored["pickle"].encode(), bot.pickle_key)
        for content in before + [after]:
            if content.get("session_id") != session.id:
                continue
            try:
                session.decrypt(content["ciphertext"])
                if content is after:
                    readable_after += 1
                else:
                    readable_before += 1
            except olm.OlmGroupSessionError:
                pass
    tap.check(rows and readable_before == 0 and readable_after == 1,
              "after forget the stored keys read nothing alice wrote before, and what follows",
              (len(rows), readable_before, readable_after))


def bot_device(bot):
    for line in bot.log().splitlines():
        if "encryption on device=" in line:
            return line.split("encryption on device=", 1)[1].split()[0]
    return None


def main():
    tap = Tap()
    try:
        import nio  # noqa: F401
        import olm  # noqa: F401
    except ImportError:
        tap.check(False, "python3-matrix-nio and python3-olm are installed (scripts/install-deps)")
        return tap.done()
    folder = tempfile.mkdtemp(prefix="nio-e2ee-")
    with Homeserver() as hs, Bot(hs, extra={"encryption": "yes"}) as bot:
        hs.register("alice", "alice-password")
        bob = hs.person("bob")
        room = asyncio.run(scenario(hs, bot, tap, folder))
        # A second person in a plain DM is unaffected: plain answers, nothing encrypted.
        plain_room = bob.create_dm(bot.user_id)
        bot.wait_joined(plain_room)
        got = converse(bot, bob, plain_room, ["hi", "!help"])
        tap.check(all(got) and not bot.encrypted_replies(plain_room),
                  "a second person in a plain DM gets plain answers", got)
        tap.check(room is not None, "the encrypted room was made")
        status = bot.stop()
        tap.check(status == 0, "the bot stops cleanly (exit %s)" % status, bot.log()[-2000:])
        if os.environ.get("SHOW_BOT_LOG"):
            print("# " + bot.log().replace("\n", "\n# "))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
