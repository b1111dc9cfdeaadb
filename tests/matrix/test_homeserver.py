#!/usr/bin/python3
"""test_homeserver.py — the test homeserver's own tests (TAP): every Synapse transcript replayed
and compared (hs_replay), then what the bot relies on beyond them: long polls that wake early,
txnId scope, filters and limits, each injected fault, restarts and SIGKILL with --state, many
people at once, and matrix-nio (a real client library) using the server end to end. The
end-to-end encryption endpoints are test_homeserver_e2ee.py's.
"""
import asyncio
import http.client
import json
import os
import socket
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hs_client import API, Homeserver, quote, wait_until  # noqa: E402
from hs_replay import TRANSCRIPTS, Replay  # noqa: E402
from hs_tap import BOT, TESTS, bot_login, dm_with_bot, expect, run, test, timeline  # noqa: E402

# ---- long polls, tokens, idempotency -------------------------------------------------------
@test
def long_poll_returns_when_a_message_arrives():
    with Homeserver() as hs:
        alice, bot, room = dm_with_bot(hs)
        result = {}
        poller = threading.Thread(target=lambda: result.update(bot.sync(timeout=20000)))
        poller.start()
        wait_until(lambda: hs.stats()["requests"].get("GET /sync", 0) >= 2, what="the poll")
        alice.send_text(room, "wake up")
        poller.join(15)
        expect(not poller.is_alive(), "the long poll did not return")
        bodies = [event["content"].get("body") for event in timeline(result, room)]
        expect(bodies == ["wake up"], "long poll returned %r" % bodies)


@test
def empty_long_poll_gives_back_its_since_token():
    with Homeserver() as hs:
        bot = bot_login(hs)
        since = bot.sync()["next_batch"]
        answer = bot.sync(timeout=300)
        expect(answer["next_batch"] == since, "next_batch %s, since %s" % (
            answer["next_batch"], since))
        expect("rooms" not in answer and "account_data" not in answer, "not empty: %r" % answer)


@test
def same_txn_id_on_same_device_is_one_event():
    with Homeserver() as hs:
        alice, bot, room = dm_with_bot(hs)
        first = bot.send_text(room, "reply", "m.notice", txn_id="out-1")
        second = bot.send_text(room, "reply", "m.notice", txn_id="out-1")
        expect(first == second, "event ids differ: %s %s" % (first, second))
        again = bot_login(hs, "BOTDEVICE1")  # a new login on the same device keeps the scope
        third = again.send_text(room, "reply", "m.notice", txn_id="out-1")
        expect(third == first, "re-login on the device gave a new event %s" % third)
        other = bot_login(hs, "OTHERDEVICE")
        fourth = other.send_text(room, "reply", "m.notice", txn_id="out-1")
        expect(fourth != first, "another device shared the txn scope")
        events = hs.room_events(room, sender=BOT, type="m.room.message")
        expect(len(events) == 2, "%d bot messages, expected 2" % len(events))
        stats = hs.stats()
        expect(stats["duplicates_dropped"] == 2, "duplicates_dropped %r" % stats)
        expect(events[0]["unsigned"]["transaction_id"] == "out-1", "txn id not recorded")


@test
def filters_limit_types_and_inline_json():
    with Homeserver() as hs:
        alice, bot, room = dm_with_bot(hs)
        since = bot.next_batch
        for number in range(5):
            alice.send_text(room, "m%d" % number)
        alice.send(room, {"body": "x"}, event_type="org.example.custom")
        answer = bot.sync(since=since, filter={"room": {"timeline": {"limit": 3}}})
        block = answer["rooms"]["join"][room]["timeline"]
        expect([e["content"].get("body") for e in block["events"]] == ["m3", "m4", "x"],
               "limit 3 gave %r" % block["events"])
        expect(block["limited"] is True and isinstance(block["prev_batch"], str), "limited?")
        page = bot.ok("GET", "/rooms/%s/messages" % quote(room),
                      query={"from": block["prev_batch"], "dir": "b", "limit": "2"})
        expect([e["content"].get("body") for e in page["chunk"]] == ["m2", "m1"],
               "/messages before the gap gave %r" % page["chunk"])
        uploaded = bot.ok("POST", "/user/%s/filter" % quote(BOT),
                          {"room": {"timeline": {"not_types": ["org.*"], "limit": 50}}})
        answer = bot.sync(since=since, filter=uploaded["filter_id"])
        bodies = [e["content"].get("body") for e in timeline(answer, room)]
        expect(bodies == ["m0", "m1", "m2", "m3", "m4"], "not_types gave %r" % bodies)
        answer = bot.sync(since=since, filter={"room": {"timeline": {"types": ["m.room.*"],
                                                                     "senders": [BOT]}}})
        expect(timeline(answer, room) == [], "senders filter let others through")
        answer = bot.sync(since=since, full_state=True)
        state_types = {e["type"] for e in answer["rooms"]["join"][room]["state"]["events"]}
        expect("m.room.create" in state_types, "full_state lacked m.room.create")


@test
def lazy_loading_sends_each_member_once():
    lazy = {"room": {"state": {"lazy_load_members": True},
                     "timeline": {"limit": 1, "lazy_load_members": True}}}
    with Homeserver() as hs:
        alice, bot, room = dm_with_bot(hs)
        since = bot.next_batch
        alice.send_text(room, "one")
        alice.send_text(room, "two")
        first = bot.sync(since=since, filter=lazy)
        members = [e["state_key"] for e in first["rooms"]["join"][room]["state"]["events"]
                   if e["type"] == "m.room.member"]
        expect(members == ["@alice:test.local"], "limited sync members %r" % members)
        alice.send_text(room, "three")
        alice.send_text(room, "four")
        second = bot.sync(filter=lazy)
        members = [e for e in second["rooms"]["join"][room]["state"]["events"]
                   if e["type"] == "m.room.member"]
        expect(members == [], "alice's member event sent twice: %r" % members)


@test
def invites_leaves_and_account_data_in_sync():
    with Homeserver() as hs:
        bot = bot_login(hs)
        alice = hs.person("alice")
        since = bot.sync()["next_batch"]
        room = alice.create_dm(BOT)
        invite = bot.sync(since=since)["rooms"]["invite"][room]["invite_state"]["events"]
        own = [e for e in invite if e.get("state_key") == BOT]
        expect(own and own[0]["content"].get("is_direct") is True, "no is_direct invite")
        bot.leave(room)  # rejecting the invite
        left = bot.sync()
        expect(room in left.get("rooms", {}).get("leave", {}), "rejected invite not in leave")
        bot.ok("PUT", "/user/%s/account_data/m.direct" % quote(BOT), {"@alice:test.local": [room]})
        data = bot.sync(filter={"account_data": {"types": ["m.direct"]}})
        expect(data.get("account_data", {}).get("events") == [
            {"type": "m.direct", "content": {"@alice:test.local": [room]}}], "m.direct %r" % data)
        uninvited = hs.request("POST", API + "/join/" + quote(room), {},
                               headers={"Authorization": "Bearer " + bot.token})
        expect(uninvited.status == 403 and uninvited.json["errcode"] == "M_FORBIDDEN",
               "join after rejecting: %r" % uninvited)


@test
def typing_and_receipts_reach_the_other_side():
    with Homeserver() as hs:
        alice, bot, room = dm_with_bot(hs)
        hello = alice.send_text(room, "hello")
        alice.sync()
        bot.ok("PUT", "/rooms/%s/typing/%s" % (quote(room), quote(BOT)),
               {"typing": True, "timeout": 300})
        bot.ok("POST", "/rooms/%s/receipt/m.read/%s" % (quote(room), quote(hello)), {})
        ephemeral = alice.sync()["rooms"]["join"][room]["ephemeral"]["events"]
        kinds = {e["type"]: e["content"] for e in ephemeral}
        expect(kinds.get("m.typing") == {"user_ids": [BOT]}, "typing %r" % ephemeral)
        expect(BOT in kinds.get("m.receipt", {}).get(hello, {}).get("m.read", {}),
               "receipt %r" % ephemeral)

        def typing_stopped():  # the 300 ms typing timeout runs out by itself
            answer = alice.sync(timeout=1000)
            events = answer.get("rooms", {}).get("join", {}).get(room, {}).get(
                "ephemeral", {}).get("events", [])
            return any(e["type"] == "m.typing" and e["content"]["user_ids"] == [] for e in events)
        wait_until(typing_stopped, 10, 0, what="typing to expire")


ERROR_CASES = [  # (method, path, body or raw bytes, status, errcode)
    ("POST", "/createRoom", b"{nope", 400, "M_NOT_JSON"),
    ("POST", "/createRoom", {"invite": "@alice:test.local"}, 400, "M_BAD_JSON"),
    ("POST", "/createRoom", {"room_version": "1"}, 400, "M_UNSUPPORTED_ROOM_VERSION"),
    ("PUT", "/rooms/{room}/typing/{bot}", {"typing": True, "timeout": "5s"}, 400, "M_BAD_JSON"),
    ("PUT", "/rooms/{room}/typing/@alice:test.local", {"typing": True}, 403, "M_FORBIDDEN"),
    ("PUT", "/rooms/{room}/send/m.room.message/t1", b"", 400, "M_NOT_JSON"),
    ("PUT", "/rooms/{room}/send/m.room.message/t2", b"NaN", 400, "M_NOT_JSON"),
    ("POST", "/rooms/{room}/receipt/m.unread/$x", {}, 400, "M_INVALID_PARAM"),
    ("POST", "/rooms/{room}/join", b"", 400, "M_NOT_JSON"),
    ("PUT", "/user/@alice:test.local/account_data/m.direct", {}, 403, "M_FORBIDDEN"),
    ("PUT", "/user/{bot}/account_data/m.push_rules", {}, 400, "M_BAD_JSON"),
    ("GET", "/user/{bot}/filter/77", None, 404, "M_NOT_FOUND"),
    ("POST", "/user/{bot}/filter", {"room": {"include_leave": "yes"}}, 400, "M_BAD_JSON"),
    ("GET", "/sync?timeout=soon", None, 400, "M_INVALID_PARAM"),
    ("GET", "/sync?filter=%7Bbroken", None, 400, "M_NOT_JSON"),
    ("GET", "/sync?filter=12", None, 404, "M_NOT_FOUND"),
    ("GET", "/sync?full_state=yes", None, 400, "M_INVALID_PARAM"),
    ("GET", "/rooms/{room}/event/$nosuchevent", None, 404, "M_NOT_FOUND"),
    ("POST", "/join/!nosuchroom:test.local", {}, 404, "M_NOT_FOUND"),
    ("PUT", "/rooms/{room}/send/m.room.message/big", {"body": "x" * 70000}, 413, "M_TOO_LARGE"),
    ("POST", "/login", {"type": "m.login.token", "token": "x"}, 400, "M_UNKNOWN"),
    ("PATCH", "/account/whoami", None, 400, "M_UNRECOGNIZED"),
]


@test
def errors_follow_the_spec():
    with Homeserver() as hs:
        alice, bot, room = dm_with_bot(hs)
        for method, path, body, status, errcode in ERROR_CASES:
            path = path.replace("{room}", quote(room)).replace("{bot}", quote(BOT))
            raw = body if isinstance(body, bytes) else None
            answer = hs.request(method, API + path, None if raw is not None else body, raw=raw,
                                headers={"Authorization": "Bearer " + bot.token})
            got = (answer.status, (answer.json or {}).get("errcode"))
            expect(got == (status, errcode), "%s %s: expected %r, got %r" % (
                method, path, (status, errcode), answer))
        both = hs.request("GET", API + "/account/whoami?access_token=" + bot.token,
                          headers={"Authorization": "Bearer " + bot.token})
        expect(both.status == 400 and both.json["errcode"] == "M_MISSING_TOKEN", repr(both))
        legacy = hs.request("GET", API.replace("v3", "r0") + "/account/whoami?access_token="
                            + bot.token)
        expect(legacy.status == 200 and legacy.json["user_id"] == BOT, repr(legacy))
        with socket.create_connection(("127.0.0.1", hs.port), timeout=10) as raw:
            raw.sendall(b"PUT /_matrix/client/v3/createRoom HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Length: lots\r\n\r\n{}")
            status_line = raw.makefile("rb").readline()
        expect(status_line.split()[1:2] == [b"400"], "bad Content-Length: %r" % status_line)


@test
def logout_ends_every_token_of_the_device():
    with Homeserver() as hs:
        first = bot_login(hs)
        second = bot_login(hs)  # same device BOTDEVICE1, second token
        expect(first.ok("GET", "/account/whoami")["device_id"] == "BOTDEVICE1", "device")
        second.ok("POST", "/logout", {})
        for client in (first, second):
            answer = client.call("GET", "/account/whoami")
            expect(answer.status == 401 and answer.json == {
                "errcode": "M_UNKNOWN_TOKEN", "error": "Invalid access token passed.",
                "soft_logout": False}, "after logout: %r" % answer)
        alice = hs.person("alice")
        hs.control("POST", "logout_user", {"user": "alice"})
        expect(alice.call("GET", "/account/whoami").status == 401, "logout_user kept a token")


# ---- faults --------------------------------------------------------------------------------
def send_raw(hs, client, room, txn):
    return hs.request("PUT", API + "/rooms/%s/send/m.room.message/%s" % (quote(room), txn),
                      {"msgtype": "m.notice", "body": txn},
                      headers={"Authorization": "Bearer " + client.token})


FAULT_CASES = [  # (action, extra rule fields, status, Retry-After, retry_after_ms, handled?)
    ("429_ms", {"retry_after_ms": 250}, 429, None, 250, False),
    ("429_header", {"retry_after_ms": 1500}, 429, "2", None, False),
    ("429_both", {"retry_after_ms": 800}, 429, "1", 800, False),
    ("500", {}, 500, None, None, False),
    ("502", {}, 502, None, None, False),
    ("malformed", {}, 200, None, None, True),
    ("slow", {"delay_ms": 200}, 200, None, None, True),
]


@test
def each_fault_answers_as_documented():
    with Homeserver() as hs:
        alice, bot, room = dm_with_bot(hs)
        for action, extra, status, header, retry_ms, handled in FAULT_CASES:
            rule = {"path_regex": "/send/", "method": "PUT", "user": BOT, "action": action}
            rule.update(extra)
            hs.faults(rule)
            before = len(hs.room_events(room, sender=BOT))
            started = time.monotonic()
            answer = send_raw(hs, bot, room, "f-" + action)
            elapsed_ms = (time.monotonic() - started) * 1000
            where = "fault %s: %r %r" % (action, answer, answer.headers)
            expect(answer.status == status, where)
            expect(answer.headers.get("Retry-After") == header, where)
            if status == 429:
                expect(answer.json["errcode"] == "M_LIMIT_EXCEEDED", where)
                expect(answer.json.get("retry_after_ms") == retry_ms, where)
            if status in (500, 502):
                expect((answer.json is not None) == (status == 500), where)
            if action == "malformed":
                expect(answer.json is None, "malformed body parsed: %r" % answer.raw)
            if action == "slow":
                expect(elapsed_ms >= 200 and answer.json.get("event_id"), where)
            after = len(hs.room_events(room, sender=BOT))
            expect(after - before == (1 if handled else 0), "%s: %d events added" % (
                action, after - before))
            clean = send_raw(hs, bot, room, "f-" + action)  # the rule was used up
            expect(clean.status == 200 and clean.json.get("event_id"), "after %s: %r" % (
                action, clean))
        expect(hs.stats()["faults_applied"] == {case[0]: 1 for case in FAULT_CASES},
               "stats %r" % hs.stats()["faults_applied"])


@test
def drop_loses_the_answer_and_txn_id_saves_the_retry():
    with Homeserver() as hs:
        alice, bot, room = dm_with_bot(hs)
        hs.faults({"path_regex": "/send/", "action": "drop", "user": BOT},
                  {"path_regex": "/send/", "action": "drop_after", "user": BOT})
        for expected_events in (0, 1):
            try:
                answer = send_raw(hs, bot, room, "lost-1")
                raise AssertionError("dropped request answered: %r" % answer)
            except (ConnectionError, OSError) as error:
                if isinstance(error, AssertionError):
                    raise
            count = len(hs.room_events(room, sender=BOT, type="m.room.message"))
            expect(count == expected_events, "%d events after a drop" % count)
        retry = send_raw(hs, bot, room, "lost-1")
        expect(retry.status == 200, "retry: %r" % retry)
        expect(len(hs.room_events(room, sender=BOT, type="m.room.message")) == 1,
               "the retry made a second event")
        expect(hs.stats()["duplicates_dropped"] == 1, "duplicate not counted")


@test
def fault_count_skip_and_filters():
    with Homeserver() as hs:
        alice, bot, room = dm_with_bot(hs)
        hs.faults({"path_regex": "/send/", "action": "500", "count": 2, "skip": 1, "user": BOT})
        alice_answer = send_raw(hs, alice, room, "a-1")  # another user: untouched
        statuses = [send_raw(hs, bot, room, "b-%d" % n).status for n in range(4)]
        expect(alice_answer.status == 200, "alice was faulted")
        expect(statuses == [200, 500, 500, 200], "statuses %r" % statuses)
        expect(hs.control("GET", "faults")["rules"] == [], "rule not used up")
        bad = hs.request("POST", "/_test/faults", [{"action": "explode"}])
        expect(bad.status == 400, "bad rule accepted: %r" % bad)


# ---- restarts and crashes ------------------------------------------------------------------
@test
def restart_cuts_long_polls_and_keeps_everything():
    with Homeserver() as hs:
        alice, bot, room = dm_with_bot(hs)
        event_id = bot.send_text(room, "before", txn_id="keep-1")
        bot.sync()
        outcome = {}

        def poll():
            try:
                outcome["answer"] = bot.call("GET", "/sync", query={
                    "since": bot.next_batch, "timeout": "20000"})
            except (ConnectionError, OSError) as error:
                outcome["error"] = error
        # The poll is the sync counted after this one (the two above are counted already):
        # restarting before it arrived would test nothing, and it would then live 20 s.
        syncs = hs.stats()["requests"].get("GET /sync", 0)
        poller = threading.Thread(target=poll)
        poller.start()
        wait_until(lambda: hs.stats()["requests"].get("GET /sync", 0) > syncs, what="the poll")
        hs.restart()
        poller.join(10)
        expect("error" in outcome, "long poll survived the restart: %r" % outcome)
        expect(bot.send_text(room, "before", txn_id="keep-1") == event_id, "txn id lost")
        expect(bot.ok("GET", "/account/whoami")["user_id"] == BOT, "token lost")

        def back():
            try:
                return bot.call("GET", "/account/whoami").status == 200
            except (ConnectionError, OSError):
                return False
        # Down for a minute, ended by hand on the connection that asked for the restart
        # (the only one a down server keeps): a request in between is refused whatever the
        # load, with no window to hit in time.
        control = http.client.HTTPConnection("127.0.0.1", hs.port, timeout=30)
        try:
            expect(control_on(control, "restart", {"down_ms": 60000}) == 200, "restart refused")
            try:
                down = hs.request("GET", API + "/account/whoami",
                                  headers={"Authorization": "Bearer " + bot.token})
                raise AssertionError("answered while down: %r" % down)
            except (ConnectionError, OSError) as error:
                if isinstance(error, AssertionError):
                    raise
            expect(control_on(control, "up", {}) == 200, "up refused")
        finally:
            control.close()
        expect(back(), "not back after /_test/up")
        # A short down time ends by itself.
        hs.restart(down_ms=300)
        wait_until(back, 10, what="the server to come back")


def control_on(connection, what, body):
    """POST /_test/<what> on an open connection (kept alive); the status."""
    connection.request("POST", "/_test/" + what, body=json.dumps(body),
                       headers={"Content-Type": "application/json"})
    answer = connection.getresponse()
    answer.read()
    return answer.status


@test
def sigkill_with_state_file_loses_nothing():
    state = os.path.join(tempfile.mkdtemp(prefix="hs-state-"), "state")
    hs = Homeserver(state_file=state).start()
    try:
        alice, bot, room = dm_with_bot(hs)
        bot.ok("POST", "/user/%s/filter" % quote(BOT), {"room": {"timeline": {"limit": 5}}})
        event_id = bot.send_text(room, "sent before the crash", txn_id="crash-1")
        bot.ok("PUT", "/rooms/%s/typing/%s" % (quote(room), quote(BOT)), {"typing": True})
        since = bot.sync()["next_batch"]
        hs.kill()
        hs.start()
        expect(bot.send_text(room, "sent before the crash", txn_id="crash-1") == event_id,
               "txn id forgotten after SIGKILL")
        expect(bot.ok("GET", "/user/%s/filter/0" % quote(BOT)) == {
            "room": {"timeline": {"limit": 5}}}, "filter lost")
        answer = bot.sync(since=since)
        expect(answer["next_batch"] == since or "rooms" in answer, "since token not valid")
        expect(timeline(answer, room) == [], "old events repeated: %r" % timeline(answer, room))
        alice.send_text(room, "after")
        bodies = [e["content"]["body"] for e in timeline(bot.sync(), room)]
        expect(bodies == ["after"], "after restart got %r" % bodies)
        expect(len(hs.room_events(room, sender=BOT, type="m.room.message")) == 1, "dup event")
    finally:
        hs.stop()


# ---- many people, a real client --------------------------------------------------------------
@test
def many_people_at_once():
    with Homeserver() as hs:
        bot = bot_login(hs)
        rooms, errors = {}, []

        def person(number):
            try:
                client = hs.person("person%d" % number)
                room = client.create_dm(BOT)
                rooms[room] = client
                for message in range(5):
                    client.send_text(room, "p%d m%d" % (number, message))
            except Exception as error:  # reported below
                errors.append(error)
        threads = [threading.Thread(target=person, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        expect(not errors, "people failed: %r" % errors[:3])
        invited = set()
        wait_until(lambda: invited.update(bot.sync(timeout=500).get("rooms", {}).get(
            "invite", {})) or len(invited) == 16, 15, 0, what="16 invites")
        for room in rooms:
            bot.join(room)
        seen = {}
        deadline = time.monotonic() + 15
        while sum(seen.values()) < 80 and time.monotonic() < deadline:
            for room_id, room in bot.sync(timeout=500).get("rooms", {}).get("join", {}).items():
                seen[room_id] = seen.get(room_id, 0) + sum(
                    1 for e in room["timeline"]["events"] if e["type"] == "m.room.message")
        expect(seen == {room: 5 for room in rooms}, "bot saw %r" % seen)


@test
def matrix_nio_logs_in_creates_a_dm_sends_and_reads_back():
    import nio  # Debian's python3-matrix-nio: validates every response against its schemas

    async def conversation(hs):
        config = nio.AsyncClientConfig(encryption_enabled=False)
        alice = nio.AsyncClient(hs.url, "@alice:test.local", config=config)
        bob = nio.AsyncClient(hs.url, "@bob:test.local", config=config)
        try:
            for client in (alice, bob):
                login = await client.login(client.user.split(":")[0][1:] + "pass")
                expect(isinstance(login, nio.LoginResponse), "nio login: %r" % login)
            first = await bob.sync(timeout=0)
            expect(isinstance(first, nio.SyncResponse), "nio sync: %r" % first)
            created = await alice.room_create(is_direct=True, invite=["@bob:test.local"],
                                              preset=nio.RoomPreset.trusted_private_chat)
            expect(isinstance(created, nio.RoomCreateResponse), "nio createRoom: %r" % created)
            invited = await bob.sync(timeout=5000, since=first.next_batch)
            expect(created.room_id in invited.rooms.invite, "nio saw no invite: %r" % invited)
            joined = await bob.join(created.room_id)
            expect(isinstance(joined, nio.JoinResponse), "nio join: %r" % joined)
            await alice.sync(timeout=0)
            sent = await alice.room_send(created.room_id, "m.room.message",
                                         {"msgtype": "m.text", "body": "hello through nio"})
            expect(isinstance(sent, nio.RoomSendResponse), "nio send: %r" % sent)
            after = await bob.sync(timeout=5000, since=invited.next_batch)
            expect(isinstance(after, nio.SyncResponse), "nio sync: %r" % after)
            texts = [(event.sender, event.body, event.event_id)
                     for event in after.rooms.join[created.room_id].timeline.events
                     if isinstance(event, nio.RoomMessageText)]
            expect(texts == [("@alice:test.local", "hello through nio", sent.event_id)],
                   "nio read %r" % texts)
            room = bob.rooms[created.room_id]
            expect(room.member_count == 2 and "@alice:test.local" in room.users,
                   "nio's room state: %r" % room.users)
        finally:
            await alice.close()
            await bob.close()

    with Homeserver() as hs:
        hs.register("alice", "alicepass")
        hs.register("bob", "bobpass")
        asyncio.run(conversation(hs))


def main():
    number = 0
    failed = 0
    with Homeserver() as hs:
        replay = Replay(hs)
        replay.setup()
        names = sorted(replay.transcripts)
        print("1..%d" % (max(1, len(names)) + len(TESTS)))
        if not names:
            failed += 1
            number += 1
            print("not ok 1 - transcripts found (none in %s; set MATRIX_TRANSCRIPTS)"
                  % os.path.abspath(TRANSCRIPTS))
        for name in names:
            number += 1
            try:
                problems = replay.exchange(name)
            except Exception:  # a crash is a failure of this exchange, reported in full
                problems = [traceback.format_exc()]
            if problems:
                failed += 1
                print("not ok %d - transcript %s" % (number, name))
                for line in "\n".join(problems).splitlines():
                    print("# " + line)
            else:
                print("ok %d - transcript %s" % (number, name))
            sys.stdout.flush()
    failed += run(number)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
