"""hs_state — the test homeserver's data: users, devices, tokens, filters, rooms and their
events, transaction ids, account data, receipts and typing, behind one lock.

Every persistent change is a JSON record passed to Store.commit(): applied in memory and, when a
state file is given, appended to it (one line, written before the response goes out), so a
server killed with SIGKILL and started again replays the file and has lost nothing. Typing is
ephemeral (not replayed), like on a real server. HTTP, sync and fault injection live elsewhere.
"""
import base64
import bisect
import hashlib
import json
import os
import re
import secrets
import string
import threading
import time

# Content keys a redaction keeps, room versions 1-10 (the recorded server used room version 9).
REDACT_KEEP = {
    "m.room.member": ("membership", "join_authorised_via_users_server"),
    "m.room.create": ("creator",),
    "m.room.join_rules": ("join_rule", "allow"),
    "m.room.power_levels": ("ban", "events", "events_default", "kick", "redact",
                            "state_default", "users", "users_default"),
    "m.room.history_visibility": ("history_visibility",),
}
TOKEN_RE = re.compile(r"^s(\d+)(?:_\d+)*$")


def now_ms():
    return int(time.time() * 1000)


def stream_token(pos):
    """The opaque since/next_batch token for stream position pos (Synapse-like shape)."""
    return "s%d_1_0_0_0_1_1_0_0" % pos


def parse_stream_token(token):
    """Stream position of a token made by stream_token (or any s<N>_... token); None if garbage."""
    match = TOKEN_RE.match(token or "")
    return int(match.group(1)) if match else None


def random_letters(count, alphabet=string.ascii_letters):
    return "".join(secrets.choice(alphabet) for _ in range(count))


class Room:
    """One room: its events in stream order, current state, members' histories, ephemera."""

    def __init__(self, room_id):
        self.room_id = room_id
        self.events = []             # internal event dicts, in stream order
        self.positions = []          # their stream positions (for bisect)
        self.state = {}              # (type, state_key) -> event_id (current state)
        self.member_history = {}     # user_id -> [(pos, membership, event_id)]
        self.typing = {}             # user_id -> monotonic expiry time
        self.typing_pos = 0          # stream position of the last typing change
        self.receipts = {}           # (receipt type, user_id) -> receipt record

    def events_between(self, low, high):
        """Events with low <= stream position <= high, in order."""
        return self.events[bisect.bisect_left(self.positions, low):
                           bisect.bisect_right(self.positions, high)]

    def membership_at(self, user_id, pos=None):
        """Membership of user_id at stream position pos (None: now); None if never a member."""
        result = None
        for entry_pos, membership, _ in self.member_history.get(user_id, ()):
            if pos is not None and entry_pos > pos:
                break
            result = membership
        return result

    def members(self, membership="join"):
        """User ids whose current membership is membership, in order of their member event."""
        found = []
        for user_id, history in self.member_history.items():
            if history and history[-1][1] == membership:
                found.append((history[-1][0], user_id))
        return [user_id for _, user_id in sorted(found)]

    def state_at(self, pos):
        """State map (type, state_key) -> event_id after every event at or before pos."""
        state = {}
        for event in self.events_between(0, pos):
            if "state_key" in event:
                state[(event["type"], event["state_key"])] = event["event_id"]
        return state

    def state_content(self, event_type, state_key, events_by_id):
        event_id = self.state.get((event_type, state_key))
        return events_by_id[event_id]["content"] if event_id else None


class Store:
    """All server data. Callers hold self.lock (a Condition) while reading or changing it."""

    def __init__(self, server_name, state_path=None):
        self.server_name = server_name
        self.lock = threading.Condition(threading.RLock())
        self.pos = 0
        self.users = {}          # user_id -> {"password", "displayname"}
        self.devices = {}        # user_id -> {device_id: {"display_name"}}
        self.tokens = {}         # access token -> (user_id, device_id)
        self.filters = {}        # user_id -> [filter JSON], the index is the filter id
        self.rooms = {}          # room_id -> Room
        self.events = {}         # event_id -> internal event
        self.txns = {}           # transaction key -> event_id
        self.account_data = {}   # user_id -> {room_id or "": {type: {"content", "pos"}}}
        self.lazy_sent = {}      # (user_id, device_id, room_id) -> {member: event_id}, not saved
        self.device_keys = {}    # user_id -> {device_id: DeviceKeys as uploaded}
        self.one_time_keys = {}  # (user_id, device_id) -> {"alg:id": key}, in upload order
        self.fallback_keys = {}  # (user_id, device_id) -> {alg: {"name", "key", "used"}}
        self.key_changes = []    # (stream position, user_id): device list changes, in order
        self.to_device = {}      # (user_id, device_id) -> [{"pos", "sender", "type", "content"}]
        self.to_device_log = []  # every to-device message sent, for tests (GET /_test/to_device)
        self.generation = 0      # bumped by a simulated restart: cuts waiting long polls
        self._journal = None
        if state_path:
            self._replay(state_path)
            self._journal = open(state_path, "a", encoding="utf-8")

    # ---- persistence -------------------------------------------------------------------
    def _replay(self, path):
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as stream:
            for line in stream:
                try:
                    record = json.loads(line)
                except ValueError:
                    break  # a line cut short by SIGKILL mid-write: everything before it counts
                self._apply(record)

    def commit(self, record):
        """Applies one change record, appends it to the state file, wakes waiting syncs."""
        self._apply(record)
        if self._journal:
            self._journal.write(json.dumps(record, separators=(",", ":")) + "\n")
            self._journal.flush()
        self.lock.notify_all()

    def bump(self):
        """Advances the stream for an ephemeral change (typing); the position itself is saved
        so that a since token handed out before a crash is never ahead of the stream."""
        self.commit({"k": "pos", "pos": self.pos + 1})
        return self.pos

    def close(self):
        if self._journal:
            self._journal.close()
            self._journal = None

    def _apply(self, record):
        kind = record["k"]
        if "pos" in record:
            self.pos = max(self.pos, record["pos"])
        if kind == "user":
            self.users[record["user_id"]] = {"password": record["password"],
                                             "displayname": record["displayname"]}
            self.devices.setdefault(record["user_id"], {})
        elif kind == "device":
            self.devices.setdefault(record["user_id"], {})[record["device_id"]] = {
                "display_name": record.get("display_name")}
            if "pos" in record:
                self.key_changes.append((record["pos"], record["user_id"]))
        elif kind == "device_del":
            user_id, device_id = record["user_id"], record["device_id"]
            self.devices.get(user_id, {}).pop(device_id, None)
            for token, owner in list(self.tokens.items()):
                if owner == (user_id, device_id):
                    del self.tokens[token]
            self.device_keys.get(user_id, {}).pop(device_id, None)
            for table in (self.one_time_keys, self.fallback_keys, self.to_device):
                table.pop((user_id, device_id), None)
            if "pos" in record:
                self.key_changes.append((record["pos"], user_id))
        elif kind in ("device_keys", "otk_add", "otk_claim", "fallback_set", "fallback_used",
                      "to_device", "to_device_ack"):
            self._apply_keys(kind, record)
        elif kind == "token":
            self.tokens[record["token"]] = (record["user_id"], record["device_id"])
        elif kind == "token_del":
            self.tokens.pop(record["token"], None)
        elif kind == "filter":
            self.filters.setdefault(record["user_id"], []).append(record["filter"])
        elif kind == "event":
            self._apply_event(record["event"], record.get("txn"))
        elif kind == "acct":
            per_room = self.account_data.setdefault(record["user_id"], {})
            per_room.setdefault(record.get("room_id") or "", {})[record["type"]] = {
                "content": record["content"], "pos": record["pos"]}
        elif kind == "receipt":
            room = self.rooms.get(record["room_id"])
            if room:
                room.receipts[(record["rtype"], record["user_id"])] = record

    def _apply_keys(self, kind, record):
        device = (record.get("user_id"), record.get("device_id"))
        if kind == "device_keys":
            self.device_keys.setdefault(device[0], {})[device[1]] = record["keys"]
            self.key_changes.append((record["pos"], device[0]))
        elif kind == "otk_add":
            self.one_time_keys.setdefault(device, {}).update(record["keys"])
        elif kind == "otk_claim":
            self.one_time_keys.get(device, {}).pop(record["name"], None)
        elif kind == "fallback_set":
            held = self.fallback_keys.setdefault(device, {})
            for name, key in record["keys"].items():
                held[name.split(":")[0]] = {"name": name, "key": key, "used": False}
        elif kind == "fallback_used":
            entry = self.fallback_keys.get(device, {}).get(record["algorithm"])
            if entry:
                entry["used"] = True
        elif kind == "to_device":
            for user_id, device_id, content in record["deliveries"]:
                self.to_device.setdefault((user_id, device_id), []).append({
                    "pos": record["pos"], "sender": record["sender"], "type": record["type"],
                    "content": content})
                self.to_device_log.append({
                    "sender": record["sender"], "sender_device": record["sender_device"],
                    "type": record["type"], "txn": record["txn"], "user_id": user_id,
                    "device_id": device_id, "content": content})
            self.txns[record["txn_key"]] = "to-device"
        elif kind == "to_device_ack":
            inbox = self.to_device.get(device, [])
            inbox[:] = [message for message in inbox if message["pos"] > record["upto"]]

    # ---- keys (hs_keys) ----------------------------------------------------------------
    def one_time_key_counts(self, user_id, device_id):
        counts = {"signed_curve25519": 0}
        for name in self.one_time_keys.get((user_id, device_id), {}):
            algorithm = name.split(":")[0]
            counts[algorithm] = counts.get(algorithm, 0) + 1
        return counts

    def unused_fallback_types(self, user_id, device_id):
        return sorted(algorithm for algorithm, entry in
                      self.fallback_keys.get((user_id, device_id), {}).items()
                      if not entry["used"])

    def claim_key(self, user_id, device_id, algorithm):
        """(name, key) of the oldest one-time key of algorithm for the device, taken; else its
        fallback key (kept, marked used); else None."""
        for name, key in self.one_time_keys.get((user_id, device_id), {}).items():
            if name.split(":")[0] == algorithm:
                self.commit({"k": "otk_claim", "user_id": user_id, "device_id": device_id,
                             "name": name})
                return name, key
        entry = self.fallback_keys.get((user_id, device_id), {}).get(algorithm)
        if entry:
            if not entry["used"]:
                self.commit({"k": "fallback_used", "user_id": user_id, "device_id": device_id,
                             "algorithm": algorithm})
            return entry["name"], entry["key"]
        return None

    def ack_to_device(self, user_id, device_id, upto):
        """A sync with since=upto: the device has every to-device message up to there."""
        inbox = self.to_device.get((user_id, device_id), [])
        if any(message["pos"] <= upto for message in inbox):
            self.commit({"k": "to_device_ack", "user_id": user_id, "device_id": device_id,
                         "upto": upto})

    def to_device_events(self, user_id, device_id, since, upto):
        return [{"type": message["type"], "sender": message["sender"],
                 "content": message["content"]}
                for message in self.to_device.get((user_id, device_id), [])
                if (since is None or message["pos"] > since) and message["pos"] <= upto]

    def _apply_event(self, event, txn_key):
        self.pos = max(self.pos, event["_pos"])
        room = self.rooms.get(event["room_id"])
        if room is None:
            room = self.rooms[event["room_id"]] = Room(event["room_id"])
        room.events.append(event)
        room.positions.append(event["_pos"])
        self.events[event["event_id"]] = event
        if "state_key" in event:
            key = (event["type"], event["state_key"])
            room.state[key] = event["event_id"]
            if event["type"] == "m.room.member":
                membership = event["content"].get("membership")
                room.member_history.setdefault(event["state_key"], []).append(
                    (event["_pos"], membership, event["event_id"]))
        if event["type"] == "m.room.redaction":
            target = self.events.get(event.get("redacts", ""))
            if target and target["room_id"] == room.room_id and "_redacted_by" not in target:
                target["_redacted_by"] = event["event_id"]
        if txn_key:
            self.txns[txn_key] = event["event_id"]

    # ---- users, devices, tokens --------------------------------------------------------
    def user_id(self, name):
        """Full user id for a localpart or a full id."""
        return name if name.startswith("@") else "@%s:%s" % (name, self.server_name)

    def register(self, name, password, displayname=None):
        user_id = self.user_id(name)
        record = {"k": "user", "user_id": user_id, "password": password,
                  "displayname": displayname or user_id[1:].split(":")[0]}
        self.commit(record)
        return user_id

    def login(self, user_id, device_id=None, display_name=None):
        """Makes (or reuses) device_id for user_id and issues a new token for it."""
        if not device_id:
            device_id = random_letters(10, string.ascii_uppercase)
        if device_id not in self.devices.get(user_id, {}):
            self.commit({"k": "device", "user_id": user_id, "device_id": device_id,
                         "display_name": display_name, "pos": self.pos + 1})
        localpart = user_id[1:].split(":")[0]
        token = "syt_%s_%s_%s" % (base64.urlsafe_b64encode(localpart.encode()).decode().rstrip("="),
                                  random_letters(20), random_letters(6))
        self.commit({"k": "token", "token": token, "user_id": user_id, "device_id": device_id})
        return token, device_id

    # ---- events ------------------------------------------------------------------------
    def new_event(self, room_id, sender, event_type, content, state_key=None, redacts=None,
                  txn_key=None, txn_id=None, device_id=None):
        """Creates, stores and returns one event (internal form)."""
        pos = self.pos + 1
        seed = "%s|%d|%s" % (room_id, pos, secrets.token_hex(16))
        event_id = "$" + base64.urlsafe_b64encode(
            hashlib.sha256(seed.encode()).digest()).decode().rstrip("=")
        event = {"type": event_type, "room_id": room_id, "sender": sender, "content": content,
                 "origin_server_ts": now_ms(), "event_id": event_id, "_pos": pos}
        if state_key is not None:
            event["state_key"] = state_key
            room = self.rooms.get(room_id)
            previous_id = room.state.get((event_type, state_key)) if room else None
            if previous_id:
                previous = self.events[previous_id]
                event["_prev"] = {"replaces_state": previous_id,
                                  "prev_content": previous["content"],
                                  "prev_sender": previous["sender"]}
        if redacts is not None:
            event["redacts"] = redacts
        if txn_id is not None:
            event["_txn"] = [device_id, txn_id]
        self.commit({"k": "event", "event": event, "txn": txn_key})
        return event

    def redacted_content(self, event):
        keep = REDACT_KEEP.get(event["type"], ())
        return {key: value for key, value in event["content"].items() if key in keep}

    def client_event(self, event, viewer=None, with_room_id=False, legacy=False, now=None):
        """An event as clients see it (ClientEvent / ClientEventWithoutRoomID); viewer is the
        (user_id, device_id) receiving it, for unsigned.transaction_id. legacy adds the top-level
        room_id/user_id/age/redacted_because that Synapse's GET /event carries."""
        now = now if now is not None else now_ms()
        out = {"type": event["type"]}
        if with_room_id or legacy:
            out["room_id"] = event["room_id"]
        out["sender"] = event["sender"]
        redacted_by = event.get("_redacted_by")
        out["content"] = self.redacted_content(event) if redacted_by else event["content"]
        if "state_key" in event:
            out["state_key"] = event["state_key"]
        if "redacts" in event:
            out["redacts"] = event["redacts"]
        out["origin_server_ts"] = event["origin_server_ts"]
        unsigned = {}
        if redacted_by:
            unsigned["redacted_by"] = redacted_by
            unsigned["redacted_because"] = self.client_event(
                self.events[redacted_by], viewer, with_room_id, legacy, now)
        elif "_prev" in event:
            unsigned.update(event["_prev"])
        unsigned["age"] = max(0, now - event["origin_server_ts"])
        txn = event.get("_txn")
        if txn and viewer and viewer == (event["sender"], txn[0]):
            unsigned["transaction_id"] = txn[1]
        out["unsigned"] = unsigned
        out["event_id"] = event["event_id"]
        if legacy:
            out["user_id"] = event["sender"]
            out["age"] = unsigned["age"]
            for key in ("redacted_because", "replaces_state", "prev_content"):
                if key in unsigned:
                    out[key] = unsigned[key]
        return out

    def stripped(self, event):
        return {"type": event["type"], "state_key": event["state_key"],
                "content": event["content"], "sender": event["sender"]}

    def displayname(self, user_id):
        user = self.users.get(user_id)
        return user["displayname"] if user else user_id[1:].split(":")[0]

    # ---- typing ------------------------------------------------------------------------
    def expire_typing(self):
        """Drops typing notices whose timeout passed; returns True if any changed."""
        now = time.monotonic()
        changed = False
        for room in self.rooms.values():
            expired = [user for user, until in room.typing.items() if until <= now]
            for user in expired:
                del room.typing[user]
            if expired:
                room.typing_pos = self.bump()
                changed = True
        return changed
