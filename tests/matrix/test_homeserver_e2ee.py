#!/usr/bin/python3
"""test_homeserver_e2ee.py — the test homeserver's end-to-end encryption endpoints (TAP):
/keys/upload, /keys/query and /keys/claim as the spec says, to-device messages delivered
once and acknowledged by since, and two matrix-nio clients with encryption on talking
through the server without a plaintext event stored.
"""
import asyncio
import json
import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hs_client import Homeserver, quote, wait_until  # noqa: E402
from hs_tap import BOT, TESTS, dm_with_bot, expect, run, test  # noqa: E402


# ---- end-to-end encryption: keys and to-device -----------------------------------------
def device_keys(user_id, device_id, curve="C" * 43, ed="E" * 43):
    return {"user_id": user_id, "device_id": device_id,
            "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
            "keys": {"curve25519:" + device_id: curve, "ed25519:" + device_id: ed},
            "signatures": {user_id: {"ed25519:" + device_id: "S" * 86}}}


def one_time_key(name):
    return {"key": name.upper() * 4, "signatures": {"@alice:test.local": {"ed25519:X": "s"}}}


@test
def keys_upload_query_and_claim_follow_the_spec():
    with Homeserver() as hs:
        alice, bot, room = dm_with_bot(hs)
        mine = device_keys(alice.user_id, alice.device_id)
        answer = alice.call("POST", "/keys/upload", {
            "device_keys": mine,
            "one_time_keys": {"signed_curve25519:AAAAAQ": one_time_key("a"),
                              "signed_curve25519:AAAAAg": one_time_key("b")},
            "fallback_keys": {"signed_curve25519:AAAAAw": dict(one_time_key("f"),
                                                                fallback=True)}})
        expect(answer.status == 200 and answer.json == {
            "one_time_key_counts": {"signed_curve25519": 2}}, "upload: %r" % answer)
        # the same key again is fine; another key under the same id is refused (Synapse)
        same = alice.call("POST", "/keys/upload", {
            "one_time_keys": {"signed_curve25519:AAAAAQ": one_time_key("a")}})
        expect(same.status == 200, "re-upload of the same key: %r" % same)
        clash = alice.call("POST", "/keys/upload", {
            "one_time_keys": {"signed_curve25519:AAAAAQ": one_time_key("z")}})
        expect(clash.status == 400 and clash.json["errcode"] == "M_UNKNOWN" and
               "already exists" in clash.json["error"], "clash: %r" % clash)
        for bad, code in ((device_keys(alice.user_id, "OTHERDEVICE"), "M_INVALID_PARAM"),
                          (device_keys(BOT, alice.device_id), "M_INVALID_PARAM"),
                          ({"user_id": alice.user_id}, "M_MISSING_PARAM"),
                          (dict(mine, keys=[]), "M_BAD_JSON")):
            refused = alice.call("POST", "/keys/upload", {"device_keys": bad})
            expect(refused.status == 400 and refused.json["errcode"] == code,
                   "device keys %r: %r" % (bad, refused))
        refused = alice.call("POST", "/keys/upload", {"one_time_keys": {"nocolon": "x"}})
        expect(refused.status == 400 and refused.json["errcode"] == "M_BAD_JSON",
               "key name without algorithm: %r" % refused)
        # the bot sees the change and the keys
        changed = bot.sync(timeout=2000)
        expect(alice.user_id in changed.get("device_lists", {}).get("changed", []),
               "device_lists after alice's upload: %r" % changed.get("device_lists"))
        query = bot.ok("POST", "/keys/query", {"device_keys": {alice.user_id: []}})
        got = query["device_keys"][alice.user_id][alice.device_id]
        expect({k: v for k, v in got.items() if k != "unsigned"} == mine and
               query["failures"] == {}, "query: %r" % query)
        refused = bot.call("POST", "/keys/query", {})
        expect(refused.status == 400 and refused.json["errcode"] == "M_MISSING_PARAM",
               "query without device_keys: %r" % refused)
        # two claims take both one-time keys, oldest first; then the fallback key, reused
        claims = []
        for _ in range(4):
            claimed = bot.ok("POST", "/keys/claim", {"one_time_keys": {
                alice.user_id: {alice.device_id: "signed_curve25519"}}})
            claims.append(list(claimed["one_time_keys"][alice.user_id][alice.device_id]))
        expect(claims == [["signed_curve25519:AAAAAQ"], ["signed_curve25519:AAAAAg"],
                          ["signed_curve25519:AAAAAw"], ["signed_curve25519:AAAAAw"]],
               "claims: %r" % claims)
        synced = alice.sync()
        expect(synced["device_one_time_keys_count"] == {"signed_curve25519": 0} and
               synced["device_unused_fallback_key_types"] == [],
               "alice's counts: %r %r" % (synced["device_one_time_keys_count"],
                                          synced["device_unused_fallback_key_types"]))
        unknown = bot.ok("POST", "/keys/claim", {"one_time_keys": {
            "@nobody:test.local": {"X": "signed_curve25519"}}})
        expect(unknown == {"one_time_keys": {}, "failures": {}}, "unknown: %r" % unknown)


@test
def to_device_messages_arrive_once_and_are_acknowledged_by_since():
    state = os.path.join(tempfile.mkdtemp(prefix="hs-state-"), "hs.state")
    with Homeserver(state_file=state) as hs:
        alice, bot, room = dm_with_bot(hs)
        alice.sync()
        since = alice.next_batch
        result = {}
        poller = threading.Thread(target=lambda: result.update(alice.sync(timeout=20000)))
        poller.start()
        wait_until(lambda: hs.stats()["requests"].get("GET /sync", 0) >= 3, what="the poll")
        path = "/sendToDevice/m.room.encrypted/td-1"
        body = {"messages": {alice.user_id: {"*": {"ciphertext": "x"}}}}
        for _ in range(2):  # the same txnId twice is one message
            answer = bot.call("PUT", path, body)
            expect(answer.status == 200 and answer.json == {}, "sendToDevice: %r" % answer)
        poller.join(15)
        expect(not poller.is_alive(), "the long poll did not wake for a to-device message")
        events = result.get("to_device", {}).get("events", [])
        expect(events == [{"type": "m.room.encrypted", "sender": BOT,
                           "content": {"ciphertext": "x"}}], "to_device: %r" % events)
        # until a sync with a later since, the message comes again (after a crash too)
        hs.kill()
        hs.start()
        again = alice.sync(since=since)
        expect(len(again.get("to_device", {}).get("events", [])) == 1,
               "not acknowledged yet: %r" % again.get("to_device"))
        later = alice.sync()
        expect("to_device" not in later, "acknowledged by since: %r" % later.get("to_device"))
        repeat = bot.call("PUT", path, body)
        expect(repeat.status == 200 and "to_device" not in alice.sync(),
               "a repeated txnId after a restart was delivered again")
        for bad, code in (({}, "M_MISSING_PARAM"), ({"messages": []}, "M_BAD_JSON"),
                          ({"messages": {alice.user_id: {"*": "text"}}}, "M_BAD_JSON")):
            refused = bot.call("PUT", "/sendToDevice/m.dummy/bad-%d" % len(str(bad)), bad)
            expect(refused.status == 400 and refused.json["errcode"] == code,
                   "%r: %r" % (bad, refused))
        log = hs.control("GET", "to_device?sender=" + quote(BOT))
        expect(log["count"] == 1 and log["messages"][0]["txn"] == "td-1", "log: %r" % log)


@test
def matrix_nio_with_encryption_talks_to_matrix_nio():
    from nio_person import NioPerson

    async def conversation(hs, folder):
        async with NioPerson(hs, "alice", "alicepass", os.path.join(folder, "a")) as alice, \
                NioPerson(hs, "bob", "bobpass", os.path.join(folder, "b")) as bob:
            room = await alice.create_encrypted_dm(bob.user_id)
            await bob.step(0)
            await bob.client.join(room)
            await bob.step(0)
            await alice.step(0)
            await alice.send(room, "encrypted hello")
            seen = await bob.collect(room, alice.user_id, lambda s: len(s) >= 1, 20)
            expect([body for _, body in seen] == ["encrypted hello"], "bob read %r" % seen)
            await bob.send(room, "encrypted answer")
            seen = await alice.collect(room, bob.user_id, lambda s: len(s) >= 1, 20)
            expect([body for _, body in seen] == ["encrypted answer"], "alice read %r" % seen)
        stored = hs.room_events(room)
        expect(all(e["type"] != "m.room.message" for e in stored) and
               "encrypted hello" not in json.dumps(stored), "plaintext stored: %r" % stored)

    with Homeserver() as hs:
        hs.register("alice", "alicepass")
        hs.register("bob", "bobpass")
        asyncio.run(conversation(hs, tempfile.mkdtemp(prefix="nio-e2ee-")))


def main():
    print("1..%d" % len(TESTS))
    return 1 if run(0) else 0


if __name__ == "__main__":
    sys.exit(main())
