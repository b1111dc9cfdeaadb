"""hs_rooms — the in-room endpoints of the test homeserver: sending (idempotent per device
and transaction id), state, typing, receipts, account data, redaction, fetching one event and
paging /messages. Membership, login, filters and sync are in hs_api (ClientApi, the base).
Handlers run with store.lock held and return (status, body) or raise MatrixError.
"""
import json
import time

import hs_sync
from hs_api import MAX_EVENT_BYTES, ClientApi, MatrixError, bad_json, require_type
from hs_state import parse_stream_token, stream_token, now_ms

RECEIPT_TYPES = ("m.read", "m.read.private", "m.fully_read")
SERVER_ACCOUNT_DATA = ("m.fully_read", "m.push_rules")


class RoomApi(ClientApi):
    """ClientApi plus everything that happens inside a room."""

    # ---- sending -------------------------------------------------------------------------
    def _deduplicated(self, request):
        """The event id of an earlier request with the same device, path and txnId, if any."""
        event_id = self.store.txns.get(self._txn_key(request))
        if event_id:
            self.stats.count_duplicate()
        return event_id

    def _check_size(self, content, extra=0):
        if len(json.dumps(content)) + extra > MAX_EVENT_BYTES:
            raise MatrixError(413, "M_TOO_LARGE", "event too large")

    def send(self, request):
        self.stats.count_send()
        body = request.json_object()
        earlier = self._deduplicated(request)
        if earlier:
            return 200, {"event_id": earlier}
        room = self._joined_room(request, request.params["roomId"])
        event_type = request.params["eventType"]
        self._check_power(room, request.user_id, event_type, False)
        self._check_size(body, 512)
        self._ratelimit(request.user_id)
        redacts = None
        if event_type == "m.room.redaction":
            redacts = require_type(body, "redacts", str, required=True)
            body = {key: value for key, value in body.items() if key != "redacts"}
        event = self.store.new_event(room.room_id, request.user_id, event_type, body,
                                     redacts=redacts, txn_key=self._txn_key(request),
                                     txn_id=request.params["txnId"], device_id=request.device_id)
        self.stats.count_new_event()
        return 200, {"event_id": event["event_id"]}

    def redact(self, request):
        body = request.json_object()
        require_type(body, "reason", str)
        earlier = self._deduplicated(request)
        if earlier:
            return 200, {"event_id": earlier}
        room = self._joined_room(request, request.params["roomId"])
        target_id = request.params["eventId"]
        target = self.store.events.get(target_id)
        self._check_power(room, request.user_id, "m.room.redaction", False)
        if target and target["sender"] != request.user_id:
            level, levels = self._power(room, request.user_id)
            if level < levels.get("redact", 50):
                raise MatrixError(403, "M_FORBIDDEN", "You don't have permission to redact "
                                  "events")
        self._ratelimit(request.user_id)
        event = self.store.new_event(room.room_id, request.user_id, "m.room.redaction", body,
                                     redacts=target_id, txn_key=self._txn_key(request),
                                     txn_id=request.params["txnId"], device_id=request.device_id)
        return 200, {"event_id": event["event_id"]}

    def state_put(self, request):
        body = request.json_object()
        room = self._joined_room(request, request.params["roomId"])
        event_type = request.params["eventType"]
        self._check_power(room, request.user_id, event_type, True)
        self._check_size(body, 512)
        state_key = request.params.get("stateKey", "")
        event = self.store.new_event(room.room_id, request.user_id, event_type, body, state_key)
        return 200, {"event_id": event["event_id"]}

    def state_get(self, request):
        room = self._joined_room(request, request.params["roomId"])
        key = (request.params["eventType"], request.params.get("stateKey", ""))
        event_id = room.state.get(key)
        if event_id is None:
            raise MatrixError(404, "M_NOT_FOUND", "Event not found.")
        return 200, self.store.events[event_id]["content"]

    def state_all(self, request):
        room = self._joined_room(request, request.params["roomId"])
        return 200, [self.store.client_event(self.store.events[event_id],
                                             (request.user_id, request.device_id), True)
                     for event_id in room.state.values()]

    # ---- typing and receipts -------------------------------------------------------------
    def typing(self, request):
        body = request.json_object()
        # Spec: typing is a required boolean. Synapse 1.67 took "yes" (transcript 49).
        typing = require_type(body, "typing", bool, required=True)
        timeout = require_type(body, "timeout", int)
        if request.params["userId"] != request.user_id:
            raise MatrixError(403, "M_FORBIDDEN", "Cannot set another user's typing state")
        room = self._joined_room(request, request.params["roomId"])
        was_typing = request.user_id in room.typing
        if typing:
            room.typing[request.user_id] = time.monotonic() + (timeout or 30000) / 1000.0
        else:
            room.typing.pop(request.user_id, None)
        if typing != was_typing:
            room.typing_pos = self.store.bump()
        return 200, {}

    def receipt(self, request):
        body = request.json_object()
        receipt_type = request.params["receiptType"]
        if receipt_type not in RECEIPT_TYPES:
            raise MatrixError(400, "M_INVALID_PARAM", "Receipt type must be 'm.read', "
                              "'m.read.private' or 'm.fully_read'")
        thread_id = body.get("thread_id")
        if "thread_id" in body and (not isinstance(thread_id, str) or not thread_id):
            raise MatrixError(400, "M_INVALID_PARAM", "thread_id field must be a non-empty "
                              "string")
        room = self._joined_room(request, request.params["roomId"])
        event_id = request.params["eventId"]
        if receipt_type == "m.fully_read":
            self.store.commit({"k": "acct", "user_id": request.user_id,
                               "room_id": room.room_id, "type": "m.fully_read",
                               "content": {"event_id": event_id}, "pos": self.store.pos + 1})
            return 200, {}
        earlier = room.receipts.get((receipt_type, request.user_id))
        if earlier and earlier["event_id"] == event_id and \
                earlier.get("thread_id") == thread_id:
            return 200, {}
        record = {"k": "receipt", "room_id": room.room_id, "user_id": request.user_id,
                  "rtype": receipt_type, "event_id": event_id, "ts": now_ms(),
                  "pos": self.store.pos + 1}
        if thread_id:
            record["thread_id"] = thread_id
        self.store.commit(record)
        return 200, {}

    # ---- account data --------------------------------------------------------------------
    def _account_room(self, request):
        room_id = request.params.get("roomId")
        if room_id is not None and not room_id.startswith("!"):
            raise MatrixError(400, "M_INVALID_PARAM", "%s is not a valid room ID" % room_id)
        return room_id or ""

    def account_data_put(self, request):
        self._own_user(request, "Cannot add account data for other users.")
        room_id = self._account_room(request)
        body = request.json_object()
        event_type = request.params["type"]
        if event_type in SERVER_ACCOUNT_DATA:
            raise bad_json("Cannot set %s through this API." % event_type)
        self.store.commit({"k": "acct", "user_id": request.user_id, "room_id": room_id,
                           "type": event_type, "content": body, "pos": self.store.pos + 1})
        return 200, {}

    def account_data_get(self, request):
        self._own_user(request, "Cannot get account data for other users.")
        room_id = self._account_room(request)
        entry = self.store.account_data.get(request.user_id, {}).get(room_id, {}).get(
            request.params["type"])
        if entry is None:
            raise MatrixError(404, "M_NOT_FOUND", "Account data not found")
        return 200, entry["content"]

    # ---- reading events ------------------------------------------------------------------
    def _readable_until(self, request, room):
        """Last stream position this user may read in room; raises 404 if none."""
        membership = room.membership_at(request.user_id)
        if membership == "join":
            return self.store.pos
        if membership in ("leave", "ban"):
            history = room.member_history[request.user_id]
            if any(entry[1] == "join" for entry in history):
                return history[-1][0]
        raise MatrixError(404, "M_NOT_FOUND", "Event not found.")

    def get_event(self, request):
        room = self.store.rooms.get(request.params["roomId"])
        event = self.store.events.get(request.params["eventId"])
        if room is None or event is None or event["room_id"] != room.room_id or \
                event["_pos"] > self._readable_until(request, room):
            raise MatrixError(404, "M_NOT_FOUND", "Event not found.")
        out = self.store.client_event(event, (request.user_id, request.device_id), legacy=True)
        edit = self._latest_edit(room, event)
        if edit is not None and not event.get("_redacted_by"):
            out["unsigned"]["m.relations"] = {"m.replace": {
                "event_id": edit["event_id"], "origin_server_ts": edit["origin_server_ts"],
                "sender": edit["sender"]}}
        return 200, out

    def _latest_edit(self, room, original):
        latest = None
        for event in room.events_between(original["_pos"] + 1, self.store.pos):
            relates = event["content"].get("m.relates_to")
            if isinstance(relates, dict) and relates.get("rel_type") == "m.replace" and \
                    relates.get("event_id") == original["event_id"] and \
                    event["sender"] == original["sender"] and not event.get("_redacted_by"):
                latest = event
        return latest

    def messages(self, request):
        """GET /rooms/{roomId}/messages: pages through the room by stream position; a token
        s<N> stands between the events at positions N and N+1."""
        room = self.store.rooms.get(request.params["roomId"])
        if room is None:
            raise MatrixError(403, "M_FORBIDDEN", "User %s not in room %s (None)" % (
                request.user_id, request.params["roomId"]))
        until = self._readable_until(request, room)
        direction = request.query.get("dir", "b")
        if direction not in ("b", "f"):
            raise MatrixError(400, "M_INVALID_PARAM", "Unknown direction: %s" % direction)
        limit = self._int_param(request.query, "limit", 10) or 10
        start = self._token_param(request, "from",
                                  self.store.pos if direction == "b" else 0)
        stop = self._token_param(request, "to", None)
        filt = None
        if "filter" in request.query:
            try:
                filt = json.loads(request.query["filter"])
            except ValueError:
                raise MatrixError(400, "M_NOT_JSON", "Invalid filter JSON")
            error = hs_sync.check_filter({"room": {"timeline": filt}})
            if error:
                raise bad_json(error)
        if direction == "b":
            low = stop + 1 if stop is not None else 0
            candidates = list(reversed(room.events_between(low, min(start, until))))
        else:
            high = min(stop if stop is not None else self.store.pos, until)
            candidates = room.events_between(start + 1, high)
        chosen = [event for event in candidates
                  if hs_sync.allowed(filt, event["type"], event["sender"], event["content"])]
        more = len(chosen) > limit
        chosen = chosen[:limit]
        viewer = (request.user_id, request.device_id)
        response = {"start": stream_token(start),
                    "chunk": [self.store.client_event(event, viewer, True) for event in chosen]}
        if more and chosen:
            last = chosen[-1]["_pos"]
            response["end"] = stream_token(last - 1 if direction == "b" else last)
        if filt and filt.get("lazy_load_members") and chosen:
            senders = {event["sender"] for event in chosen}
            response["state"] = [self.store.client_event(self.store.events[room.state[(
                "m.room.member", sender)]], viewer, True) for sender in sorted(senders)
                if ("m.room.member", sender) in room.state]
        return 200, response

    def _token_param(self, request, name, default):
        if name not in request.query:
            return default
        position = parse_stream_token(request.query[name])
        if position is None:
            raise MatrixError(400, "M_UNKNOWN", "Invalid pagination token")
        return min(position, self.store.pos)
