"""hs_api — the Client-Server endpoints of the test homeserver (login, filters, sync, rooms,
sending, typing, receipts, account data, redaction, events), checked against the spec's
request schemas and answering with the shapes and errors Synapse 1.67 was recorded with.

Each handler takes a Request and returns (status, body) or raises MatrixError; handlers run
with store.lock held. HTTP parsing, routing, auth lookup and fault injection live in
homeserver.py; the /sync response itself is built by hs_sync.
"""
import json
import math
import time

import hs_sync
from hs_state import parse_stream_token, random_letters

MAX_EVENT_BYTES = 65536
ROOM_VERSIONS = ("9", "10")
NOT_JSON = object()  # Request.body when the bytes were not JSON


class MatrixError(Exception):
    """An error answer: HTTP status, errcode, human text, extra body fields, headers."""

    def __init__(self, status, errcode, error, extra=None, headers=None):
        super().__init__(error)
        self.status = status
        self.body = {"errcode": errcode, "error": error}
        self.body.update(extra or {})
        self.headers = headers or {}


class Request:
    """What a handler needs of one HTTP request (filled in by homeserver.py)."""

    def __init__(self, method, params, query, body, user_id=None, device_id=None, path_key="",
                 access_token=None):
        self.method = method
        self.params = params        # decoded path parameters by name
        self.query = query          # query parameters: name -> last value
        self.body = body            # parsed JSON value, None if no body, NOT_JSON if unparsable
        self.user_id = user_id
        self.device_id = device_id
        self.path_key = path_key    # path after the version prefix, decoded (txn scope)
        self.access_token = access_token

    def json_object(self):
        """The body as a JSON object, as the spec requires of every request body here."""
        if self.body is NOT_JSON or self.body is None:
            raise MatrixError(400, "M_NOT_JSON", "Content not JSON.")
        if not isinstance(self.body, dict):
            raise MatrixError(400, "M_BAD_JSON", "Content must be a JSON object.")
        return self.body


def bad_json(text):
    return MatrixError(400, "M_BAD_JSON", text)


def require_type(body, key, kind, required=False, name=None):
    """Checks body[key] has JSON type kind (str, bool, int, dict, list); returns the value."""
    if key not in body:
        if required:
            raise bad_json("Missing required key '%s'" % key)
        return None
    value = body[key]
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        raise bad_json("'%s' must be %s" % (name or key, {str: "a string", bool: "a boolean",
                                                          int: "an integer", dict: "an object",
                                                          list: "an array"}[kind]))
    return value


class ClientApi:
    """Endpoint handlers over one Store; options come from the command line."""

    def __init__(self, store, stats, quirks=True, txn_scope="device"):
        self.store = store
        self.stats = stats
        self.quirks = quirks
        self.txn_scope = txn_scope
        self.rate_limits = {}    # user_id -> {"per_second", "burst", "count", "start"}

    # ---- session ---------------------------------------------------------------------------
    def versions(self, request):
        return 200, {"versions": ["r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0",
                                  "r0.6.0", "r0.6.1", "v1.1", "v1.2"],
                     "unstable_features": {
                         "org.matrix.label_based_filtering": True,
                         "org.matrix.e2e_cross_signing": True, "org.matrix.msc2432": True,
                         "uk.half-shot.msc2666.mutual_rooms": True,
                         "io.element.e2ee_forced.public": False,
                         "io.element.e2ee_forced.private": False,
                         "io.element.e2ee_forced.trusted_private": False,
                         "org.matrix.msc3026.busy_presence": False,
                         "org.matrix.msc2285.stable": True, "org.matrix.msc3827.stable": True,
                         "org.matrix.msc2716": False, "org.matrix.msc3030": False,
                         "org.matrix.msc3440.stable": True, "fi.mau.msc2815": False}}

    def login_flows(self, request):
        return 200, {"flows": [{"type": "m.login.password"},
                               {"type": "m.login.application_service"}]}

    def login(self, request):
        body = request.json_object()
        login_type = require_type(body, "type", str, required=True)
        if login_type != "m.login.password":
            raise MatrixError(400, "M_UNKNOWN", "Unknown login type %s" % login_type)
        identifier = require_type(body, "identifier", dict)
        if identifier is not None:
            if identifier.get("type") != "m.id.user":
                raise MatrixError(400, "M_UNKNOWN", "Unknown login identifier type")
            if "user" not in identifier:
                raise MatrixError(400, "M_UNKNOWN", "User identifier is missing 'user' key")
            name = require_type(identifier, "user", str, name="identifier.user")
        else:
            name = require_type(body, "user", str)
            if name is None:
                raise MatrixError(400, "M_UNKNOWN", "Invalid login submission")
        password = require_type(body, "password", str, required=True)
        device_id = require_type(body, "device_id", str)
        display_name = require_type(body, "initial_device_display_name", str)
        user_id = self.store.user_id(name)
        user = self.store.users.get(user_id)
        if user is None or user["password"] != password:
            raise MatrixError(403, "M_FORBIDDEN", "Invalid username or password")
        token, device_id = self.store.login(user_id, device_id, display_name)
        return 200, {"user_id": user_id, "access_token": token,
                     "home_server": self.store.server_name, "device_id": device_id}

    def logout(self, request):
        self.store.commit({"k": "device_del", "user_id": request.user_id,
                           "device_id": request.device_id, "pos": self.store.pos + 1})
        return 200, {}

    def logout_all(self, request):
        for device_id in list(self.store.devices.get(request.user_id, {})):
            self.store.commit({"k": "device_del", "user_id": request.user_id,
                               "device_id": device_id, "pos": self.store.pos + 1})
        return 200, {}

    def whoami(self, request):
        return 200, {"user_id": request.user_id, "is_guest": False,
                     "device_id": request.device_id}

    def profile(self, request):
        user_id = request.params["userId"]
        if user_id not in self.store.users:
            raise MatrixError(404, "M_NOT_FOUND", "Profile was not found")
        return 200, {"displayname": self.store.displayname(user_id)}

    # ---- filters -------------------------------------------------------------------------
    def _own_user(self, request, text):
        if request.params["userId"] != request.user_id:
            raise MatrixError(403, "M_FORBIDDEN", text)

    def filter_create(self, request):
        self._own_user(request, "Can only create filters for local users")
        body = request.json_object()
        error = hs_sync.check_filter(body)
        if error:
            raise bad_json(error)  # Synapse 1.67 answers a mistyped limit with 500 (transcript 51)
        self.store.commit({"k": "filter", "user_id": request.user_id, "filter": body})
        return 200, {"filter_id": str(len(self.store.filters[request.user_id]) - 1)}

    def filter_get(self, request):
        self._own_user(request, "Cannot get filters for other users")
        filters = self.store.filters.get(request.user_id, [])
        filter_id = request.params["filterId"]
        if not filter_id.isdigit() or int(filter_id) >= len(filters):
            raise MatrixError(404, "M_NOT_FOUND", "No such filter")
        return 200, filters[int(filter_id)]

    # ---- sync ----------------------------------------------------------------------------
    def _sync_filter(self, request):
        value = request.query.get("filter")
        if value is None:
            return None
        if value.startswith("{"):
            try:
                filt = json.loads(value)
            except ValueError:
                raise MatrixError(400, "M_NOT_JSON", "Invalid filter JSON")
            error = hs_sync.check_filter(filt)
            if error:
                raise bad_json(error)
            return filt
        filters = self.store.filters.get(request.user_id, [])
        if not value.isdigit():
            raise MatrixError(400, "M_INVALID_PARAM", "Filter ID must be an integer or JSON")
        if int(value) >= len(filters):
            raise MatrixError(404, "M_NOT_FOUND", "No such filter")
        return filters[int(value)]

    def sync(self, request, cut_check):
        """GET /sync; waits (long poll) up to timeout ms for news. cut_check() raises when a
        simulated restart must cut this request."""
        query = request.query
        timeout = self._int_param(query, "timeout", 0)
        full_state = self._bool_param(query, "full_state")
        presence = query.get("set_presence")
        if presence is not None and presence not in ("offline", "online", "unavailable"):
            raise MatrixError(400, "M_INVALID_PARAM",
                              "Query parameter \"set_presence\" must be one of "
                              "['offline', 'online', 'unavailable']")
        filt = self._sync_filter(request)
        since = None
        if "since" in query:
            since = parse_stream_token(query["since"])
            if since is None:
                raise MatrixError(400, "M_UNKNOWN", "Invalid stream token")
            since = min(since, self.store.pos)
            self.store.ack_to_device(request.user_id, request.device_id, since)
        deadline = time.monotonic() + timeout / 1000.0
        while True:
            builder = hs_sync.SyncBuilder(self.store, request.user_id, request.device_id, filt,
                                          since, full_state, self.quirks)
            response = builder.build()
            remaining = deadline - time.monotonic()
            if since is None or full_state or remaining <= 0 or builder.has_news(response):
                return 200, response
            position = self.store.pos
            while self.store.pos == position and remaining > 0:
                self.store.lock.wait(min(remaining, 0.5))
                cut_check()
                remaining = deadline - time.monotonic()

    @staticmethod
    def _int_param(query, name, default):
        if name not in query:
            return default
        try:
            value = int(query[name])
        except ValueError:
            value = -1
        if value < 0:
            raise MatrixError(400, "M_INVALID_PARAM",
                              "Query parameter \"%s\" must be an integer" % name)
        return value

    @staticmethod
    def _bool_param(query, name):
        value = query.get(name, "false")
        if value not in ("true", "false"):
            raise MatrixError(400, "M_INVALID_PARAM", "Boolean query parameter \"%s\" must be "
                              "one of ['true', 'false']" % name)
        return value == "true"

    # ---- rooms: helpers ------------------------------------------------------------------
    def _room(self, room_id, status=403, text="Unknown room"):
        room = self.store.rooms.get(room_id)
        if room is None:
            raise MatrixError(status, "M_FORBIDDEN" if status == 403 else "M_NOT_FOUND", text)
        return room

    def _joined_room(self, request, room_id):
        room = self._room(room_id)
        membership = room.membership_at(request.user_id)
        if membership != "join":
            raise MatrixError(403, "M_FORBIDDEN", "User %s not in room %s (%s)" % (
                request.user_id, room_id, membership))
        return room

    def _power(self, room, user_id):
        levels = room.state_content("m.room.power_levels", "", self.store.events) or {}
        return levels.get("users", {}).get(user_id, levels.get("users_default", 0)), levels

    def _check_power(self, room, user_id, event_type, is_state):
        level, levels = self._power(room, user_id)
        needed = levels.get("events", {}).get(
            event_type, levels.get("state_default", 50) if is_state else
            levels.get("events_default", 0))
        if level < needed:
            raise MatrixError(403, "M_FORBIDDEN", "You don't have permission to post that to "
                              "the room. user_level (%d) < send_level (%d)" % (level, needed))

    def _member_content(self, user_id, membership, is_direct=False):
        content = {"is_direct": True} if is_direct else {}
        content["membership"] = membership
        if membership in ("join", "invite"):
            content["displayname"] = self.store.displayname(user_id)
        return content

    def _ratelimit(self, user_id):
        limit = self.rate_limits.get(user_id)
        if not limit:
            return
        now = time.monotonic()
        count = max(0.0, limit["count"] - (now - limit["start"]) * limit["per_second"])
        if count + 1 > limit["burst"]:
            wait_ms = int(math.ceil((count + 1 - limit["burst"]) / limit["per_second"] * 1000))
            raise MatrixError(429, "M_LIMIT_EXCEEDED", "Too Many Requests",
                              {"retry_after_ms": wait_ms})
        limit["count"], limit["start"] = count + 1, now

    def _txn_key(self, request):
        """Transaction ids are scoped to the device (the spec; Synapse from 1.90 on) or, with
        --txn-scope token, to the access token as Synapse before 1.90 did (MSC3970): there a
        client that logs in again re-sends into a new scope and the server stores it twice."""
        scope = request.device_id if self.txn_scope == "device" else "token " + request.access_token
        return "\x00".join((request.user_id, scope, request.path_key))

    # ---- rooms: membership ---------------------------------------------------------------
    def create_room(self, request):
        body = request.json_object()
        visibility = require_type(body, "visibility", str)
        if visibility not in (None, "public", "private"):
            raise bad_json("'visibility' must be 'public' or 'private'")
        preset = require_type(body, "preset", str) or (
            "public_chat" if visibility == "public" else "private_chat")
        if preset not in ("private_chat", "public_chat", "trusted_private_chat"):
            raise bad_json("'preset' must be private_chat, public_chat or trusted_private_chat")
        invite = require_type(body, "invite", list) or []
        for user_id in invite:
            if not isinstance(user_id, str) or not user_id.startswith("@"):
                raise bad_json("'invite' must be a list of user IDs")
            if user_id not in self.store.users:
                raise MatrixError(400, "M_INVALID_PARAM", "Unknown user %s" % user_id)
        name = require_type(body, "name", str)
        topic = require_type(body, "topic", str)
        is_direct = bool(require_type(body, "is_direct", bool))
        creation = require_type(body, "creation_content", dict) or {}
        override = require_type(body, "power_level_content_override", dict) or {}
        version = require_type(body, "room_version", str) or "9"
        if version not in ROOM_VERSIONS:
            raise MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION",
                              "Your homeserver does not support this room version")
        initial = require_type(body, "initial_state", list) or []
        for item in initial:
            if not isinstance(item, dict) or not isinstance(item.get("type"), str) or \
                    not isinstance(item.get("content"), dict) or \
                    not isinstance(item.get("state_key", ""), str):
                raise bad_json("'initial_state' items need a string type, an object content "
                               "and a string state_key")
        require_type(body, "room_alias_name", str)
        store, creator = self.store, request.user_id
        self._ratelimit(creator)
        room_id = "!%s:%s" % (random_letters(18), store.server_name)
        content = dict(creation)
        content.update({"room_version": version, "creator": creator})
        store.new_event(room_id, creator, "m.room.create", content, "")
        store.new_event(room_id, creator, "m.room.member", self._member_content(creator, "join"),
                        creator)
        users = {creator: 100}
        if preset == "trusted_private_chat":
            users.update({user_id: 100 for user_id in invite})
        levels = {"users": users, "users_default": 0,
                  "events": {"m.room.name": 50, "m.room.power_levels": 100,
                             "m.room.history_visibility": 100, "m.room.canonical_alias": 50,
                             "m.room.avatar": 50, "m.room.tombstone": 100,
                             "m.room.server_acl": 100, "m.room.encryption": 100},
                  "events_default": 0, "state_default": 50, "ban": 50, "kick": 50,
                  "redact": 50, "invite": 0, "historical": 100}
        levels.update(override)
        store.new_event(room_id, creator, "m.room.power_levels", levels, "")
        public = preset == "public_chat"
        store.new_event(room_id, creator, "m.room.join_rules",
                        {"join_rule": "public" if public else "invite"}, "")
        store.new_event(room_id, creator, "m.room.history_visibility",
                        {"history_visibility": "shared"}, "")
        store.new_event(room_id, creator, "m.room.guest_access",
                        {"guest_access": "forbidden" if public else "can_join"}, "")
        for item in initial:
            if name is not None and item["type"] == "m.room.name":
                continue
            if topic is not None and item["type"] == "m.room.topic":
                continue
            store.new_event(room_id, creator, item["type"], item["content"],
                            item.get("state_key", ""))
        if name is not None:
            store.new_event(room_id, creator, "m.room.name", {"name": name}, "")
        if topic is not None:
            store.new_event(room_id, creator, "m.room.topic", {"topic": topic}, "")
        for user_id in invite:
            store.new_event(room_id, creator, "m.room.member",
                            self._member_content(user_id, "invite", is_direct), user_id)
        return 200, {"room_id": room_id}

    def join(self, request):
        request.json_object()
        room_id = request.params["roomIdOrAlias"] if "roomIdOrAlias" in request.params \
            else request.params["roomId"]
        if room_id.startswith("#"):
            raise MatrixError(404, "M_NOT_FOUND", "Room alias %s not found" % room_id)
        room = self._room(room_id, 404, "No known servers")
        membership = room.membership_at(request.user_id)
        if membership == "join":
            return 200, {"room_id": room_id}
        if membership == "ban":
            raise MatrixError(403, "M_FORBIDDEN", "You are banned from this room")
        rule = (room.state_content("m.room.join_rules", "", self.store.events) or {}).get(
            "join_rule")
        if membership != "invite" and rule != "public":
            raise MatrixError(403, "M_FORBIDDEN", "You are not invited to this room.")
        self.store.new_event(room_id, request.user_id, "m.room.member",
                             self._member_content(request.user_id, "join"), request.user_id)
        return 200, {"room_id": room_id}

    def leave(self, request):
        body = request.json_object()
        reason = require_type(body, "reason", str)
        room_id = request.params["roomId"]
        room = self._room(room_id, 404, "Unknown room")
        membership = room.membership_at(request.user_id)
        if membership in ("leave", "ban"):
            return 200, {}
        if membership is None:
            raise MatrixError(403, "M_FORBIDDEN", "User %s not in room %s (None)" % (
                request.user_id, room_id))
        content = {"membership": "leave"}
        if reason:
            content["reason"] = reason
        self.store.new_event(room_id, request.user_id, "m.room.member", content, request.user_id)
        return 200, {}

    def invite(self, request):
        body = request.json_object()
        target = require_type(body, "user_id", str, required=True)
        room = self._joined_room(request, request.params["roomId"])
        level, levels = self._power(room, request.user_id)
        if level < levels.get("invite", 0):
            raise MatrixError(403, "M_FORBIDDEN", "You don't have permission to invite users")
        if target not in self.store.users:
            raise MatrixError(404, "M_NOT_FOUND", "Unknown user %s" % target)
        membership = room.membership_at(target)
        if membership == "invite":
            return 200, {}
        if membership in ("join", "ban"):
            raise MatrixError(403, "M_FORBIDDEN", "%s is already in the room." % target
                              if membership == "join" else "%s is banned from the room" % target)
        self.store.new_event(room.room_id, request.user_id, "m.room.member",
                             self._member_content(target, "invite"), target)
        return 200, {}

    def joined_rooms(self, request):
        return 200, {"joined_rooms": [room_id for room_id, room in self.store.rooms.items()
                                      if room.membership_at(request.user_id) == "join"]}

    def joined_members(self, request):
        room = self._joined_room(request, request.params["roomId"])
        return 200, {"joined": {user_id: {"display_name": self.store.displayname(user_id),
                                          "avatar_url": None}
                                for user_id in room.members("join")}}
