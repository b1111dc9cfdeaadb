"""hs_replay — replays the Synapse 1.67 transcripts (tests/matrix/synapse, a copy of
shared/matrix-transcripts so a clone stands alone) against the test homeserver and compares
each answer with the recorded one: status, Content-Type and Retry-After, errcode, and the
body's shape (same keys, same JSON types; room and event ids mapped consistently, user ids
equal, next_batch tokens consistent so an empty long poll must give back its since token).

A fresh server lacks what the recording took for granted, so SETUP lists the exchanges the
recording left out (people's sends that only show up in the bot's syncs, a room made earlier),
written with the recorded ids; their answers teach the id mapping.
"""
import glob
import json
import os
import urllib.parse

from hs_client import API, http_request

TRANSCRIPTS = os.environ.get("MATRIX_TRANSCRIPTS", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "synapse"))
DM = "!SaleGqYWYUjCOXGuyM:test.local"
OLD_DM = "!viNNkfSgUKXEmebOun:test.local"
BOT = "@botuser:test.local"


def _send(actor, room, txn, content, binds=None, event_type="m.room.message"):
    return (actor, "PUT", "/rooms/%s/send/%s/%s" % (room, event_type, txn), content, binds)


def _from_sync(number, index, txn):
    """A step that re-sends event index of the recorded sync number's timeline as its sender."""
    return ("from_sync", number, index, txn)


# Before transcript number: exchanges the recording did not include. Steps are
# (actor, method, path, body, {"room_id"|"event_id"|"redacted_by": recorded id}),
# from_sync(...), or ("control", method, path, body).
SETUP = {
    "02": [  # 08: "The account already had one DM room and an m.direct from earlier test runs"
        ("alice", "POST", "/createRoom", {"is_direct": True, "preset": "trusted_private_chat",
                                          "invite": [BOT]}, {"room_id": OLD_DM}),
        ("bot_setup", "POST", "/join/" + OLD_DM, {}, None),
        _send("alice", OLD_DM, "setup-ping", {"msgtype": "m.text", "body": "hello bot, ping 42"},
              {"event_id": "$4ds7gDhHqZ_IBr2VBJJWQsRc7qi81RquWrPtl3HnA5s"}),
        ("bot_setup", "PUT", "/user/%s/account_data/m.direct" % BOT,
         {"@alice:test.local": ["!EXcAKbTmbxxAQXPaJF:test.local"]}, None),
    ],
    "24": [  # 24 shows alice typing and alice's receipt on the bot's notice
        ("alice", "PUT", "/rooms/%s/typing/@alice:test.local" % DM,
         {"typing": True, "timeout": 30000}, None),
        ("alice", "POST", "/rooms/%s/receipt/m.read/$9J6S37rBjUqyu4Z7osxv71iOWr44DJ0Iaemwv5Jk7X0"
         % DM, {}, None),
    ],
    "25": [  # 25 shows typing stopped, then five events from alice
        ("alice", "PUT", "/rooms/%s/typing/@alice:test.local" % DM, {"typing": False}, None),
        ("bot", "PUT", "/rooms/%s/typing/%s" % (DM, BOT), {"typing": False}, None),
        _from_sync("25", 0, "a-notice"), _from_sync("25", 1, "a-edit"),
        _from_sync("25", 2, "a-reply"), _from_sync("25", 3, "a-emote"),
        _from_sync("25", 4, "a-image"),
    ],
    "27": [  # "after two redactions": a second message, redacted without a reason
        _send("alice", DM, "a-second", {"msgtype": "m.text", "body": "second"},
              {"event_id": "$9Ni0G2ro5XUxONH5FCMbbJddtCGpgdDYdtFISnhL2S4"}),
        ("alice", "PUT", "/rooms/%s/redact/$9Ni0G2ro5XUxONH5FCMbbJddtCGpgdDYdtFISnhL2S4/a-r2" % DM,
         {}, {"event_id": "$oFihM-fMZLqkyATHAEXlvwZUN6O3CfaeoXvqhji-P58"}),
    ],
    # 36 follows alice's key upload (her device keys as 37 reports them) and her message
    "36": [("alice_keys",), _from_sync("36", 0, "a-encrypted")],
    "40": [("bob", "POST", "/join/!BFNmrDPMQuVKwMUsRw:test.local", {}, None)],
    "42": [_from_sync("42", 0, "b-hello"), _from_sync("42", 1, "a-mention")],
    "55": [("alice", "POST", "/createRoom", {"preset": "private_chat"},
            {"room_id": "!icKAYZeBkUwqCIANQo:test.local"})],
    "59": [("control", "POST", "ratelimit", {"user": BOT, "per_second": 0.2, "burst": 2})],
    "62": [("control", "POST", "ratelimit", {"user": BOT, "per_second": 0})],
}
# Where this server answers differently on purpose (README: deviations), or lacks a feature.
EXPECTED_INSTEAD = {
    "49": (400, "M_BAD_JSON"),       # spec: typing is a boolean (Synapse 1.67 took "yes")
    "51": (400, "M_BAD_JSON"),       # spec: limit is an integer (Synapse 1.67 crashed: 500)
}
IGNORED_KEYS = {}
# Values compared exactly, not just by type (booleans are always compared exactly).
EXACT_KEYS = {"type", "membership", "msgtype", "errcode", "rel_type", "join_rule",
              "history_visibility", "guest_access", "algorithm", "format", "room_version",
              "home_server", "device_id", "user_id", "sender", "state_key", "filter_id"}


def load_transcripts():
    files = sorted(glob.glob(os.path.join(TRANSCRIPTS, "[0-9][0-9]-*.json")))
    result = []
    for path in files:
        with open(path, encoding="utf-8") as stream:
            result.append((os.path.basename(path)[:-5], json.load(stream)))
    return result


def _json_type(value):
    if isinstance(value, bool):
        return "bool"
    return {dict: "object", list: "array", str: "string", int: "integer", float: "number",
            type(None): "null"}[type(value)]


def _is_id(value):
    return isinstance(value, str) and len(value) > 1 and value[0] in "!$@"


class Replay:
    """Runs the transcripts in order against a started Homeserver (hs_client)."""

    def __init__(self, hs):
        self.hs = hs
        self.ids = {}        # recorded room/event id -> this server's
        self.tokens = {}     # recorded next_batch -> this server's
        self.access = {}     # actor -> access token
        self.transcripts = dict(load_transcripts())

    # ---- id mapping ----------------------------------------------------------------------
    def _map_text(self, text):
        for recorded in sorted(self.ids, key=len, reverse=True):
            text = text.replace(recorded, self.ids[recorded])
        return text

    def _map_value(self, value):
        return json.loads(self._map_text(json.dumps(value)))

    def _map_path(self, path):
        parts = [urllib.parse.quote(self._map_text(urllib.parse.unquote(part)), safe="!")
                 for part in path.split("/")]
        return "/".join(parts)

    def _learn(self, recorded, actual, problems, where):
        if recorded in self.ids:
            if self.ids[recorded] != actual:
                problems.append("%s: %s should be %s (as before), got %s" % (
                    where, recorded, self.ids[recorded], actual))
        elif actual in self.ids.values():
            problems.append("%s: %s is already the answer for another recorded id" % (
                where, actual))
        else:
            self.ids[recorded] = actual

    # ---- requests ------------------------------------------------------------------------
    def setup(self):
        for name in ("alice", "bob"):  # alice's device as transcript 37 names it
            self.access[name] = self.hs.control("POST", "register", {
                "user": name, "password": name + "pass",
                "device_id": "ALICEDEV" if name == "alice" else None,
                "device_name": name + " test client"})["access_token"]
        self.access["bot_setup"] = self.hs.register("botuser", "botpass123")["access_token"]

    def call(self, actor, method, path, body=None, raw=None, query=None):
        headers = {}
        if actor:
            headers["Authorization"] = "Bearer " + self.access.get(actor, "syt_unknown_token")
        full = path + ("?" + urllib.parse.urlencode(query) if query else "")
        return http_request(self.hs.port, method, full, body, headers=headers, raw=raw)

    def run_setup(self, number):
        """Runs SETUP[number]; returns a list of problems (empty when all went well)."""
        problems = []
        for step in SETUP.get(number, ()):
            if step[0] == "control":
                self.hs.control(step[1], step[2], step[3])
                continue
            if step[0] == "alice_keys":
                recorded = self.transcripts[self._file("37")]["response"]["body"]
                keys = dict(recorded["device_keys"]["@alice:test.local"]["ALICEDEV"])
                keys.pop("unsigned")
                step = ("alice", "POST", "/keys/upload", {"device_keys": keys}, None)
            if step[0] == "from_sync":
                event = self.transcripts[self._file(step[1])]["response"]["body"]
                event = list(event["rooms"]["join"].values())[0]["timeline"]["events"][step[2]]
                room = list(self.transcripts[self._file(step[1])]["response"]["body"]["rooms"]
                            ["join"])[0]
                step = _send(event["sender"][1:].split(":")[0], room, step[3], event["content"],
                             {"event_id": event["event_id"]}, event["type"])
            actor, method, path, body, binds = step
            answer = self.call(actor, method, API + self._map_path(path), self._map_value(body))
            if answer.status != 200:
                problems.append("setup %s %s: %r" % (method, path, answer))
                continue
            for key, recorded in (binds or {}).items():
                self._learn(recorded, answer.json[key], problems, "setup " + path)
        return problems

    def _file(self, number):
        return next(name for name in self.transcripts if name.startswith(number + "-"))

    def _actor(self, record):
        title = record["title"]
        if "Authorization" not in record["request"]["headers"]:
            return None
        if title.startswith("alice:"):
            return "alice"
        if "unknown token" in title:
            return "nobody"
        return "bot"

    def exchange(self, name):
        """Replays one transcript; returns a list of problems (empty: faithful)."""
        number = name[:2]
        problems = self.run_setup(number)
        record = self.transcripts[name]
        request, recorded = record["request"], record["response"]
        query = {}
        for key, value in request["query"].items():
            if key == "since" and value in self.tokens:
                value = self.tokens[value]
            query[key] = value
        body, raw = request["body"], None
        if isinstance(body, str):
            raw, body = body.encode(), None
        else:
            body = self._map_value(body) if body is not None else None
        answer = self.call(self._actor(record), request["method"],
                           self._map_path(request["path"]), body, raw, query)
        if number == "02" and answer.status == 200:
            self.access["bot"] = answer.json["access_token"]
        instead = EXPECTED_INSTEAD.get(number)
        if instead:
            got = (answer.status, (answer.json or {}).get("errcode"))
            if got != instead:
                problems.append("expected %r (deliberate deviation), got %r" % (instead, got))
            return problems
        if answer.status != recorded["status"]:
            problems.append("status %d, recorded %d: %r" % (answer.status, recorded["status"],
                                                            answer))
            return problems
        if recorded["headers"].get("Content-Type") != answer.headers.get("Content-Type"):
            problems.append("Content-Type %r, recorded %r" % (
                answer.headers.get("Content-Type"), recorded["headers"].get("Content-Type")))
        if ("Retry-After" in recorded["headers"]) != ("Retry-After" in answer.headers):
            problems.append("Retry-After header: recorded %r, got %r" % (
                recorded["headers"].get("Retry-After"), answer.headers.get("Retry-After")))
        if answer.json is None:
            problems.append("body is not JSON: %r" % answer.raw[:200])
            return problems
        ignored = IGNORED_KEYS.get(number, set())
        self.compare(recorded["body"], answer.json, "body", problems, ignored)
        return problems

    # ---- shape comparison ----------------------------------------------------------------
    def compare(self, recorded, actual, where, problems, ignored=frozenset()):
        if len(problems) > 8:
            return
        kind, got = _json_type(recorded), _json_type(actual)
        if kind != got:
            problems.append("%s: recorded %s, got %s" % (where, kind, got))
        elif kind == "bool" and recorded != actual:
            problems.append("%s: recorded %s, got %s" % (where, recorded, actual))
        elif kind == "object":
            self._compare_object(recorded, actual, where, problems, ignored)
        elif kind == "array":
            self._compare_array(recorded, actual, where, problems)
        elif kind == "string" and _is_id(recorded):
            if recorded.startswith("@"):
                if recorded != actual:
                    problems.append("%s: recorded %s, got %s" % (where, recorded, actual))
            elif not _is_id(actual) or actual[0] != recorded[0]:
                problems.append("%s: recorded id %s, got %r" % (where, recorded, actual))
            else:
                self._learn(recorded, actual, problems, where)

    def _compare_object(self, recorded, actual, where, problems, ignored):
        recorded = {k: v for k, v in recorded.items() if k not in ignored}
        actual = {k: v for k, v in actual.items() if k not in ignored}
        if recorded and all(_is_id(key) for key in recorded):
            pairs = self._pair_id_keys(recorded, actual, where, problems)
        else:
            missing = sorted(set(recorded) - set(actual))
            extra = sorted(set(actual) - set(recorded))
            if missing or extra:
                problems.append("%s: keys missing %s, unexpected %s" % (where, missing, extra))
            pairs = [(key, key) for key in recorded if key in actual]
        for recorded_key, actual_key in pairs:
            if recorded_key == "next_batch":
                self._compare_token(recorded[recorded_key], actual[actual_key], where, problems)
            elif recorded_key in EXACT_KEYS and isinstance(recorded[recorded_key], str) and \
                    not _is_id(recorded[recorded_key]) and \
                    recorded[recorded_key] != actual[actual_key]:
                problems.append("%s.%s: recorded %r, got %r" % (
                    where, recorded_key, recorded[recorded_key], actual[actual_key]))
            self.compare(recorded[recorded_key], actual[actual_key],
                         "%s.%s" % (where, recorded_key), problems)

    def _pair_id_keys(self, recorded, actual, where, problems):
        if len(recorded) != len(actual):
            problems.append("%s: %d id keys recorded, got %d" % (where, len(recorded),
                                                                   len(actual)))
            return []
        pairs, free = [], [key for key in actual]
        for key in recorded:
            wanted = key if key.startswith("@") else self.ids.get(key)
            if wanted is None:
                continue
            if wanted not in free:
                problems.append("%s: key %s (here %s) missing" % (where, key, wanted))
                return []
            free.remove(wanted)
            pairs.append((key, wanted))
        for key in recorded:
            if key.startswith("@") or key in self.ids:
                continue
            actual_key = free.pop(0)
            self._learn(key, actual_key, problems, where)
            pairs.append((key, actual_key))
        return pairs

    def _compare_array(self, recorded, actual, where, problems):
        if len(recorded) != len(actual):
            problems.append("%s: %d items recorded, got %d" % (where, len(recorded),
                                                                 len(actual)))
            return
        if all(isinstance(item, str) for item in recorded + actual):
            recorded, actual = sorted(recorded), sorted(actual)  # user lists: order is free
        elif where.endswith("state.events") or where.endswith("invite_state.events"):
            def order(event):  # state is a set: pair events by (type, state_key)
                return (event.get("type", ""), event.get("state_key", ""),
                        "event_id" in event)
            recorded, actual = sorted(recorded, key=order), sorted(actual, key=order)
        for index, (left, right) in enumerate(zip(recorded, actual)):
            self.compare(left, right, "%s[%d]" % (where, index), problems)

    def _compare_token(self, recorded, actual, where, problems):
        if recorded in self.tokens and self.tokens[recorded] != actual:
            problems.append("%s.next_batch: recorded %s again, so expected %s, got %s" % (
                where, recorded, self.tokens[recorded], actual))
        self.tokens.setdefault(recorded, actual)
