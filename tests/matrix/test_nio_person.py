#!/usr/bin/python3
"""A real Matrix client library as the person: matrix-nio (Debian's python3-matrix-nio, which
checks every response against its schemas) logs in, opens a direct chat with the bot, talks
to it and reads the coach's replies (m.notice with HTML) through its own /sync. TAP output."""
import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bot_harness import Bot, Tap  # noqa: E402
from hs_client import Homeserver  # noqa: E402

CONVERSATION = ["hi", "1", "!help"]


async def notices_after(client, room_id, bot_user, since_event_ids, deadline):
    """Syncs until the bot's read receipt covers every message sent and returns the bot's
    notices the client saw; None when the deadline passes."""
    import nio
    seen = []
    loop = asyncio.get_running_loop()
    while loop.time() < deadline:
        answer = await client.sync(timeout=1000)
        if not isinstance(answer, nio.SyncResponse):
            continue
        room = answer.rooms.join.get(room_id)
        if room:
            seen += [e for e in room.timeline.events
                     if isinstance(e, nio.RoomMessageNotice) and e.sender == bot_user]
            for event in room.ephemeral:
                if isinstance(event, nio.ReceiptEvent):
                    for receipt in event.receipts:
                        if receipt.user_id == bot_user and receipt.event_id == since_event_ids[-1]:
                            return seen
    return None


async def run(hs, bot, tap):
    import nio
    config = nio.AsyncClientConfig(encryption_enabled=False)
    client = nio.AsyncClient(hs.url, "@alice:test.local", config=config)
    try:
        login = await client.login("alice-password", device_name="nio test")
        tap.check(isinstance(login, nio.LoginResponse), "nio logs in", login)
        await client.sync(timeout=0)
        created = await client.room_create(is_direct=True, invite=[bot.user_id],
                                           preset=nio.RoomPreset.trusted_private_chat)
        tap.check(isinstance(created, nio.RoomCreateResponse), "nio opens a direct chat with the "
                  "bot", created)
        room_id = created.room_id
        bot.wait_joined(room_id)
        tap.check(True, "the bot joins nio's direct chat")
        loop = asyncio.get_running_loop()
        for text in CONVERSATION:
            sent = await client.room_send(room_id, "m.room.message",
                                          {"msgtype": "m.text", "body": text})
            if not isinstance(sent, nio.RoomSendResponse):
                tap.check(False, "nio sends %r" % text, sent)
                continue
            notices = await notices_after(client, room_id, bot.user_id, [sent.event_id],
                                          loop.time() + 30)
            tap.check(bool(notices), "nio gets the coach's answer to %r" % text, notices)
            if notices:
                tap.check(all(n.format == "org.matrix.custom.html" and n.formatted_body
                              for n in notices),
                          "the answer to %r is a notice with HTML nio can show" % text,
                          [(n.body, n.format) for n in notices])
        room = client.rooms.get(room_id)
        tap.check(room is not None and bot.user_id in room.users and room.member_count == 2,
                  "nio sees a two-person room with the bot in it",
                  room.users if room else None)
    finally:
        await client.close()


def main():
    tap = Tap()
    try:
        import nio  # noqa: F401
    except ImportError:
        tap.check(False, "python3-matrix-nio is installed (scripts/install-deps)")
        return tap.done()
    with Homeserver() as hs, Bot(hs) as bot:
        hs.register("alice", "alice-password")
        asyncio.run(run(hs, bot, tap))
        status = bot.stop()
        tap.check(status == 0, "the bot stops cleanly (exit %s)" % status, bot.log()[-1500:])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
