#!/usr/bin/python3
"""homeserver.py — a small Matrix homeserver for securebase's tests (Python 3 stdlib only).

Serves the Client-Server endpoints the bot uses (/_matrix/client/v3, also r0 for older
clients such as matrix-nio 0.20), shaped like the Synapse 1.67 recordings in
tests/matrix/synapse, plus a control API under /_test/ for simulated people, fault
injection, restarts and counting. Endpoint logic is in hs_api/hs_rooms, /sync in hs_sync,
data and persistence in hs_state, the fault rules and request counters in hs_faults.
Usage and the control API: tests/matrix/README.md.
"""
import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hs_api import NOT_JSON, MatrixError, Request  # noqa: E402
from hs_faults import Faults, Stats  # noqa: E402
from hs_keys import KeysApi  # noqa: E402
from hs_rooms import RoomApi  # noqa: E402
from hs_state import Store  # noqa: E402

CLIENT_VERSIONS = ("v3", "r0")
MAX_BODY_BYTES = 1 << 20
UNRECOGNIZED = MatrixError(400, "M_UNRECOGNIZED", "Unrecognized request")

# (method, path after /_matrix/client/<version>/, handler name, needs an access token)
ROUTES = [
    ("GET", "login", "login_flows", False),
    ("POST", "login", "login", False),
    ("POST", "logout", "logout", True),
    ("POST", "logout/all", "logout_all", True),
    ("GET", "account/whoami", "whoami", True),
    ("GET", "profile/{userId}", "profile", True),
    ("POST", "user/{userId}/filter", "filter_create", True),
    ("GET", "user/{userId}/filter/{filterId}", "filter_get", True),
    ("GET", "sync", "sync", True),
    ("POST", "createRoom", "create_room", True),
    ("POST", "join/{roomIdOrAlias}", "join", True),
    ("POST", "rooms/{roomId}/join", "join", True),
    ("POST", "rooms/{roomId}/leave", "leave", True),
    ("POST", "rooms/{roomId}/invite", "invite", True),
    ("GET", "joined_rooms", "joined_rooms", True),
    ("GET", "rooms/{roomId}/joined_members", "joined_members", True),
    ("PUT", "rooms/{roomId}/send/{eventType}/{txnId}", "send", True),
    ("PUT", "rooms/{roomId}/redact/{eventId}/{txnId}", "redact", True),
    ("PUT", "rooms/{roomId}/state/{eventType}", "state_put", True),
    ("PUT", "rooms/{roomId}/state/{eventType}/{stateKey}", "state_put", True),
    ("GET", "rooms/{roomId}/state", "state_all", True),
    ("GET", "rooms/{roomId}/state/{eventType}", "state_get", True),
    ("GET", "rooms/{roomId}/state/{eventType}/{stateKey}", "state_get", True),
    ("PUT", "rooms/{roomId}/typing/{userId}", "typing", True),
    ("POST", "rooms/{roomId}/receipt/{receiptType}/{eventId}", "receipt", True),
    ("GET", "rooms/{roomId}/event/{eventId}", "get_event", True),
    ("GET", "rooms/{roomId}/messages", "messages", True),
    ("PUT", "user/{userId}/account_data/{type}", "account_data_put", True),
    ("GET", "user/{userId}/account_data/{type}", "account_data_get", True),
    ("PUT", "user/{userId}/rooms/{roomId}/account_data/{type}", "account_data_put", True),
    ("GET", "user/{userId}/rooms/{roomId}/account_data/{type}", "account_data_get", True),
    ("POST", "keys/upload", "keys_upload", True),
    ("POST", "keys/query", "keys_query", True),
    ("POST", "keys/claim", "keys_claim", True),
    ("PUT", "sendToDevice/{eventType}/{txnId}", "send_to_device", True),
]


class Api(RoomApi, KeysApi):
    """Every Client-Server endpoint served: rooms (hs_rooms, hs_api) and keys (hs_keys)."""


class DropConnection(Exception):
    """Close the connection without answering (fault "drop", or a simulated restart)."""


def match_route(method, segments):
    """(handler name, params, template, needs auth) for a request; raises UNRECOGNIZED."""
    for route_method, template, handler, auth in ROUTES:
        parts = template.split("/")
        if len(parts) != len(segments):
            continue
        params = {}
        for part, segment in zip(parts, segments):
            if part.startswith("{"):
                params[part[1:-1]] = segment
            elif part != segment:
                break
        else:
            if route_method == method:
                return handler, params, template, auth
    raise UNRECOGNIZED


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, store, quirks, txn_scope="device"):
        super().__init__(address, Handler)
        self.store = store
        self.stats = Stats()
        self.faults = Faults()
        self.api = Api(store, self.stats, quirks, txn_scope)
        self.connections = set()
        self.connections_lock = threading.Lock()
        self.down_until = 0.0

    def restart(self, keep, down_ms):
        """Simulated restart: every connection but keep is cut, waiting syncs end without an
        answer, typing and per-connection caches go; persistent data stays."""
        with self.store.lock:
            self.store.generation += 1
            self.store.lazy_sent.clear()
            for room in self.store.rooms.values():
                if room.typing:
                    room.typing.clear()
                    room.typing_pos = self.store.bump()
            self.store.lock.notify_all()
        self.down_until = time.monotonic() + down_ms / 1000.0
        with self.connections_lock:
            victims = [conn for conn in self.connections if conn is not keep]
        for conn in victims:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self.stats.lock:
            self.stats.restarts += 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "securebase-test-homeserver/1"
    # TCP_NODELAY: the headers and the body go out in two writes, and with Nagle's algorithm
    # the body would wait for the client's delayed ACK of the headers (~40 ms per request).
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet; set HS_LOG=1 to see requests
        if os.environ.get("HS_LOG"):
            sys.stderr.write("hs: %s\n" % (fmt % args))

    def setup(self):
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)
        if time.monotonic() < self.server.down_until:
            self._drop()

    def finish(self):
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = \
        lambda self: self._dispatch()

    # ---- plumbing ------------------------------------------------------------------------
    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    raise MatrixError(413, "M_TOO_LARGE", "Request too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise MatrixError(413, "M_TOO_LARGE", "Request too large")
        return self.rfile.read(length) if length else b""

    @staticmethod
    def _parse_json(raw):
        if not raw:
            return None
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError):
            return NOT_JSON

    def _send(self, status, body, headers=None, raw=None, content_type="application/json"):
        data = raw if raw is not None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def _dispatch(self):
        try:
            self._handle()
        except DropConnection:
            self._drop()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _handle(self):
        url = urllib.parse.urlsplit(self.path)
        try:
            raw_body = self._read_body()
        except (MatrixError, ValueError) as error:
            self.close_connection = True  # the body was not read: the stream is out of step
            if not isinstance(error, MatrixError):
                error = MatrixError(400, "M_NOT_JSON", "Content not JSON.")
            self._send(error.status, error.body)
            return
        if url.path.startswith("/_test/"):
            try:
                status, body = self._control(url, raw_body)
            except (AttributeError, TypeError, ValueError, KeyError) as error:
                status, body = 400, {"error": "bad control request: %s" % error}
            self._send(status, body)
            return
        query = {name: values[-1] for name, values in
                 urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        user_id = device_id = token = None
        try:
            handler, params, template, auth, rest = self._route(url.path)
            route_key = "%s /%s" % (self.command, template)
            if auth:
                user_id, device_id, token = self._authenticate(query)
        except MatrixError as error:
            self.server.stats.count_request("%s (rejected)" % self.command, None)
            self._send(error.status, error.body, error.headers)
            return
        self.server.stats.count_request(route_key, user_id)
        rule = self.server.faults.take(self.command, url.path, user_id)
        if rule:
            self.server.stats.count_fault(rule["action"])
            if self._fault_before(rule):
                return
        request = Request(self.command, params, query, self._parse_json(raw_body), user_id,
                          device_id, "/".join(rest), token)
        try:
            with self.server.store.lock:
                generation = self.server.store.generation
                method = getattr(self.server.api, handler)
                if handler == "sync":
                    status, body = method(request, lambda: self._cut_check(generation))
                else:
                    status, body = method(request)
            headers = {}
        except MatrixError as error:
            status, body, headers = error.status, error.body, error.headers
        except DropConnection:
            raise
        except Exception:  # a bug here: answer like Synapse does and say where
            traceback.print_exc()
            status, body, headers = 500, {"errcode": "M_UNKNOWN",
                                          "error": "Internal server error"}, {}
        if rule and rule["action"] == "drop_after":
            raise DropConnection()
        if rule and rule["action"] == "slow_after":  # done, but the answer is held back
            time.sleep(rule.get("delay_ms", 1000) / 1000.0)
        if rule and rule["action"] == "malformed":
            text = json.dumps(body)
            self._send(200, None, raw=text[:max(1, len(text) // 2)].encode() + b"\x00{")
            return
        self._send(status, body, headers)

    def _cut_check(self, generation):
        if self.server.store.generation != generation:
            raise DropConnection()

    def _route(self, path):
        if not path.startswith("/_matrix/client/"):
            raise UNRECOGNIZED
        raw = path[len("/_matrix/client/"):].split("/")
        if raw == ["versions"]:
            if self.command != "GET":
                raise UNRECOGNIZED
            return "versions", {}, "versions", False, raw
        if raw[0] not in CLIENT_VERSIONS:
            raise UNRECOGNIZED
        segments = [urllib.parse.unquote(part) for part in raw[1:]]
        handler, params, template, auth = match_route(self.command, segments)
        return handler, params, template, auth, segments

    def _authenticate(self, query):
        header = self.headers.get("Authorization")
        token = None
        if header is not None:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise MatrixError(401, "M_MISSING_TOKEN", "Invalid Authorization header.")
            if "access_token" in query:
                raise MatrixError(400, "M_MISSING_TOKEN", "Mixing Authorization headers and "
                                  "access_token query parameters.")
            token = value.strip()
        else:
            token = query.get("access_token")  # deprecated, but matrix-nio 0.20 sends it
        if not token:
            raise MatrixError(401, "M_MISSING_TOKEN", "Missing access token")
        with self.server.store.lock:
            owner = self.server.store.tokens.get(token)
        if owner is None:
            raise MatrixError(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.",
                              {"soft_logout": False})
        return owner[0], owner[1], token

    def _fault_before(self, rule):
        """Applies the part of a fault that comes before handling; True if answered."""
        action = rule["action"]
        if action == "slow":
            time.sleep(rule.get("delay_ms", 1000) / 1000.0)
            return False
        if action == "drop":
            raise DropConnection()
        if action.startswith("429"):
            wait_ms = rule.get("retry_after_ms", 1000 if action == "429_header" else 200)
            body = {"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests"}
            headers = {}
            if action in ("429_ms", "429_both"):
                body["retry_after_ms"] = wait_ms
            if action in ("429_header", "429_both"):
                headers["Retry-After"] = str(max(1, (wait_ms + 999) // 1000))
            self._send(429, body, headers)
            return True
        if action == "500":
            self._send(500, {"errcode": "M_UNKNOWN", "error": "Internal server error"})
            return True
        if action == "502":
            page = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 " \
                   b"Bad Gateway</h1></center><hr><center>nginx</center></body></html>\r\n"
            self._send(502, None, raw=page, content_type="text/html")
            return True
        return False  # drop_after, slow_after and malformed act after handling

    # ---- control API ---------------------------------------------------------------------
    def _control(self, url, raw_body):
        body = self._parse_json(raw_body)
        parts = [urllib.parse.unquote(part) for part in url.path.split("/")[2:]]
        query = dict(urllib.parse.parse_qsl(url.query))
        method, server, store = self.command, self.server, self.server.store
        if body is NOT_JSON:
            return 400, {"error": "body is not JSON"}
        if parts == ["health"]:
            return 200, {"ok": True, "server_name": store.server_name}
        if parts == ["register"] and method == "POST":
            return self._control_register(body or {})
        if parts == ["faults"]:
            if method == "GET":
                return 200, {"rules": server.faults.listing()}
            if method == "DELETE":
                server.faults.clear()
                return 200, {}
            rules = body.get("rules") if isinstance(body, dict) else body
            if not isinstance(rules, list):
                return 400, {"error": "send a JSON list of rules (or {\"rules\": [...]})"}
            for rule in rules:
                error = Faults.check(rule)
                if error:
                    return 400, {"error": error, "rule": rule}
            server.faults.add(rules)
            return 200, {"rules": server.faults.listing()}
        if parts == ["restart"] and method == "POST":
            server.restart(self.connection, int((body or {}).get("down_ms", 0)))
            return 200, {}
        if parts == ["up"] and method == "POST":  # a down time ends now
            server.down_until = 0.0
            return 200, {}
        if parts == ["stats"]:
            if method == "DELETE":
                server.stats.reset()
                return 200, {}
            with store.lock:
                snapshot = server.stats.snapshot()
                snapshot["stream_position"] = store.pos
            return 200, snapshot
        if parts == ["ratelimit"] and method == "POST":
            return self._control_ratelimit(body or {})
        if parts == ["logout_user"] and method == "POST":
            with store.lock:
                user_id = store.user_id((body or {}).get("user", ""))
                for token, owner in list(store.tokens.items()):
                    if owner[0] == user_id:
                        store.commit({"k": "token_del", "token": token})
            return 200, {}
        if parts == ["tokens"]:  # live access tokens per user and device (no token values)
            with store.lock:
                live = {}
                for user_id, device_id in store.tokens.values():
                    key = "%s %s" % (user_id, device_id)
                    live[key] = live.get(key, 0) + 1
            return 200, {"live": live}
        if parts == ["to_device"]:  # every to-device message sent, optionally by sender/type
            with store.lock:
                log = [entry for entry in store.to_device_log
                       if all(entry.get(name) == value for name, value in query.items())]
            return 200, {"messages": log, "count": len(log)}
        if parts == ["keys"]:  # uploaded device keys and one-time key counts per device
            with store.lock:
                return 200, {"devices": {
                    "%s %s" % (user_id, device_id): {
                        "keys": keys, "one_time_keys": store.one_time_key_counts(
                            user_id, device_id),
                        "unused_fallback": store.unused_fallback_types(user_id, device_id)}
                    for user_id, devices in store.device_keys.items()
                    for device_id, keys in devices.items()}}
        if parts == ["rooms"]:
            with store.lock:
                return 200, {"rooms": {room_id: {
                    "members": {user: room.membership_at(user) for user in room.member_history},
                    "typing": sorted(room.typing),
                    "events": len(room.events)} for room_id, room in store.rooms.items()}}
        if len(parts) == 3 and parts[0] == "room" and parts[2] in ("events", "messages",
                                                                    "receipts"):
            return self._control_room(parts[1], parts[2], query)
        return 404, {"error": "unknown control endpoint %s %s" % (method, url.path)}

    def _control_register(self, body):
        store = self.server.store
        name, password = body.get("user"), body.get("password")
        if not isinstance(name, str) or not isinstance(password, str) or not name:
            return 400, {"error": "need {\"user\": ..., \"password\": ...}"}
        with store.lock:
            user_id = store.register(name, password, body.get("displayname"))
            token, device_id = store.login(user_id, body.get("device_id") or "TESTDEVICE",
                                           body.get("device_name"))
        return 200, {"user_id": user_id, "access_token": token, "device_id": device_id}

    def _control_ratelimit(self, body):
        store, api = self.server.store, self.server.api
        with store.lock:
            user_id = store.user_id(body.get("user", ""))
            per_second = body.get("per_second")
            if not per_second:
                api.rate_limits.pop(user_id, None)
            else:
                api.rate_limits[user_id] = {"per_second": float(per_second),
                                            "burst": float(body.get("burst", 1)),
                                            "count": 0.0, "start": time.monotonic()}
        return 200, {}

    def _control_room(self, room_id, what, query):
        store = self.server.store
        with store.lock:
            room = store.rooms.get(room_id)
            if room is None:
                return 404, {"error": "unknown room %s" % room_id}
            if what == "receipts":
                return 200, {"receipts": [{"type": key[0], "user_id": key[1],
                                           "event_id": record["event_id"], "ts": record["ts"]}
                                          for key, record in room.receipts.items()]}
            events = []
            for event in room.events:
                if "type" in query and event["type"] != query["type"]:
                    continue
                if "sender" in query and event["sender"] != query["sender"]:
                    continue
                if "msgtype" in query and event["content"].get("msgtype") != query["msgtype"]:
                    continue
                out = store.client_event(event, None, with_room_id=True)
                if event.get("_txn"):
                    out["unsigned"]["transaction_id"] = event["_txn"][1]
                    out["unsigned"]["device_id"] = event["_txn"][0]
                events.append(out)
        return 200, {"events": events, "count": len(events)}


def _reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def typing_reaper(store, stop):
    while not stop.wait(0.25):
        with store.lock:
            store.expire_typing()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Matrix homeserver for securebase's tests")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port-file", help="write the port here once listening")
    parser.add_argument("--server-name", default="test.local")
    parser.add_argument("--state", help="state file: survives SIGKILL and restarts")
    parser.add_argument("--no-quirks", action="store_true",
                        help="leave out Synapse 1.67's duplicate join / leave-in-state quirks")
    parser.add_argument("--txn-scope", choices=("device", "token"), default="device",
                        help="scope of transaction ids: the device (the spec, Synapse >= 1.90) "
                        "or the access token (Synapse before 1.90)")
    args = parser.parse_args(argv)
    store = Store(args.server_name, args.state)
    server = Server((args.host, args.port), store, not args.no_quirks, args.txn_scope)
    stop = threading.Event()
    threading.Thread(target=typing_reaper, args=(store, stop), daemon=True).start()

    def on_signal(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.port_file:
        temporary = args.port_file + ".tmp"
        with open(temporary, "w", encoding="ascii") as stream:
            stream.write("%d\n" % server.server_address[1])
        os.replace(temporary, args.port_file)
    try:
        server.serve_forever(poll_interval=0.02)  # SIGTERM's shutdown waits up to this long
    finally:
        stop.set()
        server.server_close()
        with store.lock:
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
