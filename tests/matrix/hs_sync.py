"""hs_sync — builds /sync responses and checks filters for the test homeserver.

Follows sync.yaml and the filter definitions of the spec, shaped like the Synapse 1.67
recordings: joined rooms always carry timeline/state/account_data/ephemeral/
unread_notifications/summary, empty top-level sections are left out, and (unless quirks are
off) a room joined since the last sync repeats the user's own join event, and a left room has its
leave event in both state and timeline, as Synapse does. Callers hold store.lock.
"""
import re

from hs_state import stream_token

DEFAULT_TIMELINE_LIMIT = 10
MAX_TIMELINE_LIMIT = 10000
PREJOIN_TYPES = ("m.room.topic", "m.room.name", "m.room.encryption", "m.room.join_rules",
                 "m.room.canonical_alias", "m.room.avatar")

# ---- filter checking ---------------------------------------------------------------------
_EVENT_FILTER_LISTS = ("types", "not_types", "senders", "not_senders")
_ROOM_EVENT_FILTER_BOOLS = ("lazy_load_members", "include_redundant_members",
                            "unread_thread_notifications", "contains_url")


def _check_string_list(value, where):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return "%s must be a list of strings" % where
    return None


def _check_event_filter(value, where, room_event):
    if not isinstance(value, dict):
        return "%s must be an object" % where
    if "limit" in value:
        limit = value["limit"]
        if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
            return "%s.limit must be an integer greater than 0" % where
    names = _EVENT_FILTER_LISTS + (("rooms", "not_rooms") if room_event else ())
    for name in names:
        if name in value:
            error = _check_string_list(value[name], "%s.%s" % (where, name))
            if error:
                return error
    if room_event:
        for name in _ROOM_EVENT_FILTER_BOOLS:
            if name in value and not isinstance(value[name], bool):
                return "%s.%s must be a boolean" % (where, name)
    return None


def check_filter(filt):
    """Validates a Filter (sync_filter.yaml); returns an error text, or None if valid."""
    if not isinstance(filt, dict):
        return "filter must be an object"
    if "event_fields" in filt:
        error = _check_string_list(filt["event_fields"], "event_fields")
        if error:
            return error
    if "event_format" in filt and filt["event_format"] not in ("client", "federation"):
        return "event_format must be 'client' or 'federation'"
    for name in ("presence", "account_data"):
        if name in filt:
            error = _check_event_filter(filt[name], name, False)
            if error:
                return error
    room = filt.get("room", {})
    if not isinstance(room, dict):
        return "room must be an object"
    for name in ("rooms", "not_rooms"):
        if name in room:
            error = _check_string_list(room[name], "room." + name)
            if error:
                return error
    if "include_leave" in room and not isinstance(room["include_leave"], bool):
        return "room.include_leave must be a boolean"
    for name in ("ephemeral", "state", "timeline", "account_data"):
        if name in room:
            error = _check_event_filter(room[name], "room." + name, True)
            if error:
                return error
    return None


def _type_matches(patterns, value):
    for pattern in patterns:
        if "*" in pattern:
            if re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), value):
                return True
        elif pattern == value:
            return True
    return False


def allowed(filt, event_type, sender=None, content=None, room_id=None):
    """Whether an event passes an EventFilter/RoomEventFilter (absent lists allow all)."""
    if filt is None:
        return True
    if "not_types" in filt and _type_matches(filt["not_types"], event_type):
        return False
    if "types" in filt and not _type_matches(filt["types"], event_type):
        return False
    if sender is not None:
        if sender in filt.get("not_senders", ()):
            return False
        if "senders" in filt and sender not in filt["senders"]:
            return False
    if room_id is not None:
        if room_id in filt.get("not_rooms", ()):
            return False
        if "rooms" in filt and room_id not in filt["rooms"]:
            return False
    if content is not None and "contains_url" in filt:
        if filt["contains_url"] != ("url" in content):
            return False
    return True


# ---- sync --------------------------------------------------------------------------------
class SyncBuilder:
    """One /sync computation for one device. since is a stream position or None (initial)."""

    def __init__(self, store, user_id, device_id, filt, since, full_state, quirks):
        self.store = store
        self.user_id = user_id
        self.device_id = device_id
        self.viewer = (user_id, device_id)
        self.filter = filt or {}
        self.room_filter = self.filter.get("room", {})
        self.since = since
        self.full_state = full_state
        self.quirks = quirks
        self.now = store.pos

    def build(self):
        store = self.store
        response = {"next_batch": stream_token(self.now)}
        account_data = self._global_account_data()
        if account_data:
            response["account_data"] = {"events": account_data}
        rooms = {"join": {}, "invite": {}, "leave": {}}
        for room in list(store.rooms.values()):
            if room.membership_at(self.user_id) is None:
                continue
            if not allowed({k: v for k, v in self.room_filter.items()
                            if k in ("rooms", "not_rooms")}, "", room_id=room.room_id):
                continue
            self._room(room, rooms)
        device_lists = self._device_lists()
        if device_lists:
            response["device_lists"] = device_lists
        to_device = store.to_device_events(self.user_id, self.device_id, self.since, self.now)
        if to_device:
            response["to_device"] = {"events": to_device}
        response["device_one_time_keys_count"] = store.one_time_key_counts(self.user_id,
                                                                           self.device_id)
        unused = store.unused_fallback_types(self.user_id, self.device_id)
        response["org.matrix.msc2732.device_unused_fallback_key_types"] = unused
        response["device_unused_fallback_key_types"] = list(unused)
        rooms = {kind: value for kind, value in rooms.items() if value}
        if rooms:
            response["rooms"] = rooms
        return response

    @staticmethod
    def has_news(response):
        return any(key in response for key in ("rooms", "account_data", "device_lists",
                                                "to_device"))

    def _global_account_data(self):
        events = []
        entries = self.store.account_data.get(self.user_id, {}).get("", {})
        for event_type, entry in sorted(entries.items(), key=lambda item: item[1]["pos"]):
            if self.since is not None and entry["pos"] <= self.since:
                continue
            if allowed(self.filter.get("account_data"), event_type):
                events.append({"type": event_type, "content": entry["content"]})
        return events

    def _room_account_data(self, room, newly):
        events = []
        entries = self.store.account_data.get(self.user_id, {}).get(room.room_id, {})
        for event_type, entry in sorted(entries.items(), key=lambda item: item[1]["pos"]):
            if not newly and self.since is not None and entry["pos"] <= self.since:
                continue
            if allowed(self.room_filter.get("account_data"), event_type):
                events.append({"type": event_type, "content": entry["content"]})
        return events

    def _room(self, room, rooms):
        membership = room.membership_at(self.user_id)
        before = room.membership_at(self.user_id, self.since) if self.since is not None else None
        member_event = self.store.events[room.state[("m.room.member", self.user_id)]]
        if membership == "join":
            newly = self.since is None or before != "join"
            joined = self._joined_room(room, newly or self.full_state, newly)
            if joined:
                rooms["join"][room.room_id] = joined
        elif membership == "invite":
            if self.since is None or member_event["_pos"] > self.since:
                rooms["invite"][room.room_id] = {"invite_state": {
                    "events": self._invite_state(room, member_event)}}
        elif membership in ("leave", "ban"):
            if self.since is None:
                if not self.room_filter.get("include_leave"):
                    return
            elif member_event["_pos"] <= self.since:
                return
            rooms["leave"][room.room_id] = self._left_room(room, member_event)

    def _invite_state(self, room, invite_event):
        events = []
        for event_type in PREJOIN_TYPES:
            event_id = room.state.get((event_type, ""))
            if event_id:
                events.append(self.store.stripped(self.store.events[event_id]))
        inviter = room.state.get(("m.room.member", invite_event["sender"]))
        if inviter:
            events.append(self.store.stripped(self.store.events[inviter]))
        create = room.state.get(("m.room.create", ""))
        if create:
            events.append(self.store.stripped(self.store.events[create]))
        full = self.store.client_event(invite_event, self.viewer)
        events.append(full)
        return events

    def _visible_from(self, room):
        """First stream position whose events this user may see (history_visibility)."""
        content = room.state_content("m.room.history_visibility", "", self.store.events) or {}
        if content.get("history_visibility", "shared") in ("shared", "world_readable"):
            return 0
        wanted = ("invite", "join") if content["history_visibility"] == "invited" else ("join",)
        for pos, membership, _ in room.member_history.get(self.user_id, ()):
            if membership in wanted:
                return pos
        return 1 << 62

    def _timeline(self, room, upto, newly, incremental):
        """(events, limited, prev_pos): filtered timeline events up to position upto."""
        timeline_filter = self.room_filter.get("timeline")
        limit = DEFAULT_TIMELINE_LIMIT
        if timeline_filter and "limit" in timeline_filter:
            limit = min(timeline_filter["limit"], MAX_TIMELINE_LIMIT)
        start = self._visible_from(room)
        if self.since is not None and not newly:
            start = max(start, self.since + 1)
        chosen = [event for event in room.events_between(start, upto)
                  if allowed(timeline_filter, event["type"], event["sender"], event["content"])]
        limited = len(chosen) > limit
        chosen = chosen[-limit:] if limit else []
        if newly and incremental:
            limited = True  # Synapse marks every room joined since the last sync as limited
        prev_pos = chosen[0]["_pos"] - 1 if chosen else (self.since if self.since else upto)
        return chosen, limited, prev_pos

    def _state(self, room, timeline, limited, full, lazy_filter):
        """State delta per Synapse's rule: (start | end) - previous - timeline."""
        state_filter = self.room_filter.get("state")
        if not full and not limited:
            wanted = {}
        else:
            if timeline:
                start = room.state_at(timeline[0]["_pos"])
                end = room.state_at(timeline[-1]["_pos"])
            else:
                start = end = room.state_at(self.now)
            previous = {} if full or self.since is None else room.state_at(self.since)
            wanted = dict(start)
            wanted.update(end)
            for key, event_id in previous.items():
                if wanted.get(key) == event_id:
                    del wanted[key]
        in_timeline = {event["event_id"] for event in timeline}
        lazy = bool(lazy_filter and lazy_filter.get("lazy_load_members"))
        if lazy:
            senders = {event["sender"] for event in timeline}
            if full:
                senders.add(self.user_id)
            state_now = room.state_at(timeline[0]["_pos"]) if timeline else room.state
            for key, event_id in list(wanted.items()):
                if key[0] == "m.room.member" and key[1] not in senders:
                    del wanted[key]
            for sender in senders:
                event_id = state_now.get(("m.room.member", sender))
                if event_id:
                    wanted[("m.room.member", sender)] = event_id
            sent = self.store.lazy_sent.setdefault((self.user_id, self.device_id, room.room_id), {})
            if not lazy_filter.get("include_redundant_members") and not full:
                for key, event_id in list(wanted.items()):
                    if key[0] == "m.room.member" and sent.get(key[1]) == event_id:
                        del wanted[key]
        events = []
        for key, event_id in wanted.items():
            if event_id in in_timeline:
                continue
            event = self.store.events[event_id]
            if allowed(state_filter, event["type"], event["sender"], event["content"]):
                events.append(event)
        events.sort(key=lambda event: event["_pos"])
        if lazy:
            for event in events + timeline:
                if event["type"] == "m.room.member":
                    sent[event["state_key"]] = event["event_id"]
        return events

    def _ephemeral(self, room, newly):
        ephemeral_filter = self.room_filter.get("ephemeral")
        events = []
        typing = sorted(room.typing)
        if (newly and typing) or (not newly and self.since is not None
                                  and room.typing_pos > self.since):
            if allowed(ephemeral_filter, "m.typing"):
                events.append({"type": "m.typing", "content": {"user_ids": typing}})
        content = {}
        for (receipt_type, user_id), receipt in sorted(room.receipts.items(),
                                                       key=lambda item: item[1]["pos"]):
            if not newly and self.since is not None and receipt["pos"] <= self.since:
                continue
            if receipt_type == "m.read.private" and user_id != self.user_id:
                continue
            data = {"ts": receipt["ts"]}
            if receipt.get("thread_id"):
                data["thread_id"] = receipt["thread_id"]
            content.setdefault(receipt["event_id"], {}).setdefault(receipt_type, {})[user_id] = data
        if content and allowed(ephemeral_filter, "m.receipt"):
            events.append({"type": "m.receipt", "content": content})
        return events

    def _unread(self, room):
        """Counts like Synapse's default push rules: messages and encrypted events from others
        after this user's read receipt, notices and redacted events excluded; a highlight when
        the body names the user."""
        receipt = room.receipts.get(("m.read", self.user_id)) or \
            room.receipts.get(("m.read.private", self.user_id))
        read_pos = 0
        if receipt and receipt["event_id"] in self.store.events:
            read_pos = self.store.events[receipt["event_id"]]["_pos"]
        own = room.state.get(("m.room.member", self.user_id))
        if own and self.store.events[own]["sender"] == self.user_id:
            read_pos = max(read_pos, self.store.events[own]["_pos"])
        names = {self.user_id[1:].split(":")[0].lower(),
                 self.store.displayname(self.user_id).lower()}
        notes = highlights = 0
        for event in room.events_between(read_pos + 1, self.now):
            if event["sender"] == self.user_id:
                continue
            if event.get("_redacted_by") or "state_key" in event:
                continue
            if event["type"] == "m.room.encrypted":
                notes += 1
            elif event["type"] == "m.room.message" and \
                    event["content"].get("msgtype") != "m.notice":
                notes += 1
                body = event["content"].get("body")
                if isinstance(body, str) and any(
                        re.search(r"(^|\W)%s($|\W)" % re.escape(name), body.lower())
                        for name in names if name):
                    highlights += 1
        return {"notification_count": notes, "highlight_count": highlights}

    def _summary(self, room):
        joined = room.members("join")
        invited = room.members("invite")
        summary = {"m.joined_member_count": len(joined), "m.invited_member_count": len(invited)}
        named = room.state_content("m.room.name", "", self.store.events) or \
            room.state_content("m.room.canonical_alias", "", self.store.events)
        if not named or not (named.get("name") or named.get("alias")):
            heroes = [user for user in joined + invited if user != self.user_id]
            if not heroes:
                heroes = [user for user in room.members("leave") + room.members("ban")
                          if user != self.user_id]
            summary["m.heroes"] = heroes[:5]
        return summary

    def _joined_room(self, room, full, newly):
        incremental = self.since is not None
        timeline, limited, prev_pos = self._timeline(room, self.now, newly, incremental)
        state = self._state(room, timeline, limited, full, self.room_filter.get("state"))
        ephemeral = self._ephemeral(room, full)
        account_data = self._room_account_data(room, full)
        members_changed = incremental and any(
            event["type"] == "m.room.member"
            for event in room.events_between(self.since + 1, self.now))
        if not full and not (timeline or state or ephemeral or account_data):
            return None
        timeline_out = [self.store.client_event(event, self.viewer) for event in timeline]
        if self.quirks and newly and incremental and timeline and \
                timeline[-1]["type"] == "m.room.member" and \
                timeline[-1].get("state_key") == self.user_id:
            timeline_out.append(timeline_out[-1])  # Synapse 1.67 repeats the own join
        return {
            "timeline": {"events": timeline_out, "prev_batch": stream_token(prev_pos),
                         "limited": limited},
            "state": {"events": [self.store.client_event(event, self.viewer) for event in state]},
            "account_data": {"events": account_data},
            "ephemeral": {"events": ephemeral},
            "unread_notifications": self._unread(room),
            "summary": self._summary(room) if full or members_changed else {},
        }

    def _left_room(self, room, leave_event):
        timeline, limited, prev_pos = self._timeline(room, leave_event["_pos"], False,
                                                     self.since is not None)
        state = self._state(room, timeline, limited, False, self.room_filter.get("state"))
        state_out = [self.store.client_event(event, self.viewer) for event in state]
        if self.quirks and not any(e["event_id"] == leave_event["event_id"] for e in state):
            state_out.append(self.store.client_event(leave_event, self.viewer))
        return {
            "timeline": {"events": [self.store.client_event(event, self.viewer)
                                    for event in timeline],
                         "prev_batch": stream_token(prev_pos), "limited": limited},
            "state": {"events": state_out},
            "account_data": {"events": self._room_account_data(room, False)},
        }

    def _device_lists(self):
        """Users whose devices the client should refresh: members of rooms it joined, members
        who joined its rooms, users sharing a room (or itself) whose devices or device keys
        changed (changed); users it no longer shares a room with, because it or they left
        (left)."""
        if self.since is None:
            return {}
        changed, left = set(), set()
        sharing = {self.user_id}
        for room in self.store.rooms.values():
            if room.membership_at(self.user_id) == "join":
                sharing.update(room.members("join"))
        for pos, user_id in reversed(self.store.key_changes):
            if pos <= self.since:
                break
            if pos <= self.now and user_id in sharing:
                changed.add(user_id)
        for room in self.store.rooms.values():
            for event in room.events_between(self.since + 1, self.now):
                if event["type"] != "m.room.member":
                    continue
                membership = event["content"].get("membership")
                who = event["state_key"]
                if who == self.user_id and membership == "join":
                    changed.update(room.members("join"))
                elif who == self.user_id and membership in ("leave", "ban"):
                    left.update(m for m in room.members("join") if m != self.user_id)
                elif membership == "join" and room.membership_at(self.user_id) == "join":
                    changed.add(who)
                elif membership in ("leave", "ban") and \
                        room.membership_at(self.user_id) == "join":
                    left.add(who)  # gone from a room we are in: left unless still shared
        shared = set()
        for room in self.store.rooms.values():
            if room.membership_at(self.user_id) == "join":
                shared.update(room.members("join"))
        left -= shared
        result = {}
        if changed:
            result["changed"] = sorted(changed)
        if left:
            result["left"] = sorted(left)
        return result
