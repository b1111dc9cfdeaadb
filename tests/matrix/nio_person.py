"""nio_person — a person with a real end-to-end encrypting client: matrix-nio (Debian's
python3-matrix-nio with python3-olm) with encryption on and its own key store, doing between
syncs what nio's sync_forever does (upload, query and claim keys, send queued to-device
messages), so that tests can drive it one step at a time.

    async with NioPerson(hs, "alice", "alice-password", store_dir) as alice:
        room = await alice.create_encrypted_dm(bot_user)
        await alice.send(room, "hi")
        texts = await alice.collect(room, sender=bot_user, until=lambda seen: len(seen) >= 1)
"""
import asyncio
import os

ENCRYPTION_STATE = {"type": "m.room.encryption", "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


class NioPerson:
    """One device of a person, logged in with nio and encryption enabled."""

    def __init__(self, hs, user, password, store_dir, device_name="nio e2ee"):
        self.hs = hs
        self.user_id = "@%s:%s" % (user, hs.server_name)
        self.password = password
        self.store_dir = store_dir
        self.device_name = device_name
        self.client = None
        self.undecrypted = []   # MegolmEvents nio could not decrypt, as (room, event)

    async def __aenter__(self):
        import nio
        os.makedirs(self.store_dir, exist_ok=True)
        config = nio.AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
        self.client = nio.AsyncClient(self.hs.url, self.user_id, store_path=self.store_dir,
                                      config=config)
        login = await self.client.login(self.password, device_name=self.device_name)
        if not isinstance(login, nio.LoginResponse):
            raise RuntimeError("nio login failed: %r" % login)
        await self.step(0)
        return self

    async def __aexit__(self, *exc):
        await self.client.close()

    @property
    def device_id(self):
        return self.client.device_id

    async def keys(self):
        """Uploads, queries and claims keys as nio asks, and sends its to-device queue."""
        client = self.client
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        await client.send_to_device_messages()

    async def step(self, timeout=1000):
        """One sync, then the key work; returns the sync response."""
        import nio
        # A long timeline: a person away for a while still sees every event since (the
        # server's default of 10 would hide older ones behind limited: true).
        answer = await self.client.sync(timeout=timeout, full_state=False,
                                        sync_filter={"room": {"timeline": {"limit": 1000}}})
        if not isinstance(answer, nio.SyncResponse):
            raise RuntimeError("nio sync failed: %r" % answer)
        await self.keys()
        return answer

    async def create_encrypted_dm(self, invitee):
        import nio
        created = await self.client.room_create(
            is_direct=True, invite=[invitee], preset=nio.RoomPreset.trusted_private_chat,
            initial_state=[ENCRYPTION_STATE])
        if not isinstance(created, nio.RoomCreateResponse):
            raise RuntimeError("nio createRoom failed: %r" % created)
        await self.step(0)
        return created.room_id

    async def send(self, room_id, text):
        """Sends text (encrypted when the room is); returns the event id."""
        import nio
        await self.keys()
        sent = await self.client.room_send(room_id, "m.room.message",
                                           {"msgtype": "m.text", "body": text},
                                           ignore_unverified_devices=True)
        if not isinstance(sent, nio.RoomSendResponse):
            raise RuntimeError("nio send failed: %r" % sent)
        return sent.event_id

    async def collect(self, room_id, sender, until, timeout=60.0):
        """Syncs until until(messages) is true; messages are (event_id, body) of the decrypted
        text and notice events from sender in room_id seen by these syncs, in order. Raises
        TimeoutError with what was seen."""
        import nio
        seen = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not until(seen):
            if loop.time() > deadline:
                raise TimeoutError("%s saw %r from %s" % (self.user_id, seen, sender))
            answer = await self.step(1000)
            room = answer.rooms.join.get(room_id)
            for event in room.timeline.events if room else ():
                if event.sender != sender:
                    continue
                if isinstance(event, nio.MegolmEvent):
                    self.undecrypted.append((room_id, event))
                elif isinstance(event, (nio.RoomMessageText, nio.RoomMessageNotice)):
                    seen.append((event.event_id, event.body))
        return seen
