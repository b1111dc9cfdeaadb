"""hs_client — helpers for tests that use the test homeserver: start/stop/SIGKILL it as a
subprocess (waiting on its port file, never sleeping blindly), call its control API, and act as
simulated people through the normal Client-Server API (a tiny stdlib client).

    with Homeserver(state_file=path) as hs:
        alice = hs.person("alice")                       # registered, logged in
        room = alice.create_dm("@botuser:test.local")
        alice.send_text(room, "hello")
        replies = alice.wait_for_events(room, lambda e: e["sender"] == "@botuser:test.local")
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "homeserver.py")
API = "/_matrix/client/v3"


def wait_until(condition, timeout=10.0, interval=0.02, what="condition"):
    """Polls condition() until it returns something truthy; raises TimeoutError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for %s" % what)
        time.sleep(interval)


def quote(value):
    return urllib.parse.quote(value, safe="")


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw
        try:
            self.json = json.loads(raw.decode("utf-8")) if raw else None
        except (ValueError, UnicodeDecodeError):
            self.json = None

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.raw[:200])


def http_request(port, method, path, body=None, headers=None, raw=None, timeout=30.0):
    """One HTTP request on a fresh connection; body is JSON-encoded unless raw bytes given."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        all_headers = {"Content-Type": "application/json"} if data is not None else {}
        all_headers.update(headers or {})
        connection.request(method, path, body=data, headers=all_headers)
        answer = connection.getresponse()
        return Response(answer.status, dict(answer.getheaders()), answer.read())
    finally:
        connection.close()


class Homeserver:
    """The test homeserver as a child process on a free port."""

    def __init__(self, state_file=None, server_name="test.local", args=()):
        self.server_name = server_name
        self.state_file = state_file
        self.args = list(args)
        self.process = None
        self.port = None
        self._dir = tempfile.mkdtemp(prefix="hs-")
        self.log_path = os.path.join(self._dir, "homeserver.log")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        port_file = os.path.join(self._dir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        command = [sys.executable, SERVER, "--port", str(self.port or 0), "--port-file",
                   port_file, "--server-name", self.server_name] + self.args
        if self.state_file:
            command += ["--state", self.state_file]
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=log)
        log.close()

        def ready():
            if self.process.poll() is not None:
                raise RuntimeError("homeserver exited; see %s" % self.log_path)
            if os.path.exists(port_file):
                with open(port_file, encoding="ascii") as stream:
                    return stream.read().strip()
            return None
        self.port = int(wait_until(ready, 15.0, what="the homeserver's port file"))
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self):
        """SIGKILL, like a crash; start() again brings it back on the same port."""
        if self.process:
            self.process.kill()
            self.process.wait()
        self.process = None

    def request(self, method, path, body=None, **kwargs):
        return http_request(self.port, method, path, body, **kwargs)

    def control(self, method, path, body=None):
        """Control API call (/_test/...); returns the JSON answer, raises on an error status."""
        answer = self.request(method, "/_test/" + path.lstrip("/"), body)
        if answer.status != 200:
            raise RuntimeError("control %s %s: %r" % (method, path, answer))
        return answer.json

    def register(self, user, password="secret", displayname=None):
        body = {"user": user, "password": password}
        if displayname:
            body["displayname"] = displayname
        return self.control("POST", "register", body)

    def person(self, user, password="secret"):
        """A registered, logged-in simulated person."""
        answer = self.register(user, password)
        return Client(self, answer["access_token"], answer["user_id"], answer["device_id"])

    def faults(self, *rules):
        return self.control("POST", "faults", list(rules))

    def restart(self, down_ms=0):
        return self.control("POST", "restart", {"down_ms": down_ms})

    def stats(self):
        return self.control("GET", "stats")

    def room_events(self, room_id, **filters):
        """Every event in the room (with room_id), optionally by type/sender/msgtype."""
        query = ("?" + urllib.parse.urlencode(filters)) if filters else ""
        return self.control("GET", "room/%s/events%s" % (quote(room_id), query))["events"]


class Client:
    """A minimal Matrix client (one access token) over the normal API."""

    def __init__(self, hs, token, user_id, device_id=None):
        self.hs = hs
        self.token = token
        self.user_id = user_id
        self.device_id = device_id
        self.next_batch = None
        self._txn = 0

    def call(self, method, path, body=None, query=None, raw=None, token=True):
        full = API + path
        if query:
            full += "?" + urllib.parse.urlencode(query)
        headers = {"Authorization": "Bearer " + self.token} if token else {}
        return self.hs.request(method, full, body, headers=headers, raw=raw)

    def ok(self, method, path, body=None, query=None):
        answer = self.call(method, path, body, query)
        if answer.status != 200:
            raise RuntimeError("%s %s: %r" % (method, path, answer))
        return answer.json

    def create_dm(self, invitee, **extra):
        body = {"is_direct": True, "preset": "trusted_private_chat", "invite": [invitee]}
        body.update(extra)
        return self.ok("POST", "/createRoom", body)["room_id"]

    def create_room(self, **body):
        return self.ok("POST", "/createRoom", body)["room_id"]

    def join(self, room_id):
        return self.ok("POST", "/join/" + quote(room_id), {})

    def leave(self, room_id):
        return self.ok("POST", "/rooms/%s/leave" % quote(room_id), {})

    def send(self, room_id, content, event_type="m.room.message", txn_id=None):
        if txn_id is None:
            self._txn += 1
            txn_id = "t%d-%d" % (os.getpid(), self._txn)
        return self.ok("PUT", "/rooms/%s/send/%s/%s" % (quote(room_id), quote(event_type),
                                                        quote(txn_id)), content)["event_id"]

    def send_text(self, room_id, text, msgtype="m.text", txn_id=None):
        return self.send(room_id, {"msgtype": msgtype, "body": text}, txn_id=txn_id)

    def sync(self, timeout=0, filter=None, since=None, full_state=False):
        query = {"timeout": str(timeout)}
        since = since if since is not None else self.next_batch
        if since:
            query["since"] = since
        if filter is not None:
            query["filter"] = filter if isinstance(filter, str) else json.dumps(filter)
        if full_state:
            query["full_state"] = "true"
        answer = self.ok("GET", "/sync", query=query)
        self.next_batch = answer["next_batch"]
        return answer

    def wait_for_events(self, room_id, predicate, count=1, timeout=10.0):
        """Long-polls /sync until count timeline events of room_id satisfy predicate."""
        found = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("%s saw %d of %d events in %s" % (self.user_id, len(found),
                                                                     count, room_id))
            answer = self.sync(timeout=int(min(remaining, 5.0) * 1000))
            room = answer.get("rooms", {}).get("join", {}).get(room_id, {})
            found += [event for event in room.get("timeline", {}).get("events", [])
                      if predicate(event)]
        return found

    def wait_for_invite(self, timeout=10.0):
        """Long-polls /sync until an invite arrives; returns its room id."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = self.sync(timeout=1000)
            invites = answer.get("rooms", {}).get("invite", {})
            if invites:
                return next(iter(invites))
        raise TimeoutError("%s got no invite" % self.user_id)
