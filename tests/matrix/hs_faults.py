"""hs_faults.py — the test homeserver's fault rules (POST /_test/faults: drop, delay, cut,
error a request that matches) and its request counters (GET /_test/stats), for this
process only, never persisted. Used by homeserver.py.
"""
import json
import re
import threading

FAULT_ACTIONS = ("429_ms", "429_header", "429_both", "500", "502", "drop", "drop_after",
                 "slow", "slow_after", "malformed")


class Stats:
    """Request counters for GET /_test/stats (this process only; not persisted)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = {}
            self.by_user = {}
            self.send_puts = 0
            self.events_sent = 0
            self.duplicates = 0
            self.faults = {}
            self.restarts = 0

    def count_request(self, key, user_id):
        with self.lock:
            self.requests[key] = self.requests.get(key, 0) + 1
            if user_id:
                per_user = self.by_user.setdefault(user_id, {})
                per_user[key] = per_user.get(key, 0) + 1

    def count_send(self):
        with self.lock:
            self.send_puts += 1

    def count_new_event(self):
        with self.lock:
            self.events_sent += 1

    def count_duplicate(self):
        with self.lock:
            self.duplicates += 1

    def count_fault(self, action):
        with self.lock:
            self.faults[action] = self.faults.get(action, 0) + 1

    def snapshot(self):
        with self.lock:
            return {"requests": dict(self.requests), "by_user": json.loads(json.dumps(
                self.by_user)), "send_puts": self.send_puts, "events_sent": self.events_sent,
                "duplicates_dropped": self.duplicates, "faults_applied": dict(self.faults),
                "restarts": self.restarts}


class Faults:
    """Fault rules from POST /_test/faults, consumed in order by matching requests."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []

    @staticmethod
    def check(rule):
        if not isinstance(rule, dict):
            return "each rule must be an object"
        if rule.get("action") not in FAULT_ACTIONS:
            return "action must be one of %s" % ", ".join(FAULT_ACTIONS)
        try:
            re.compile(rule.get("path_regex", ""))
        except (re.error, TypeError):
            return "path_regex must be a regular expression"
        for name in ("count", "skip", "delay_ms", "retry_after_ms"):
            value = rule.get(name, 0)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                return "%s must be a non-negative integer" % name
        return None

    def add(self, rules):
        with self.lock:
            for rule in rules:
                rule = dict(rule)
                rule.setdefault("count", 1)
                rule.setdefault("skip", 0)
                self.rules.append(rule)

    def take(self, method, path, user_id):
        """The rule that applies to this request (consuming one use), or None."""
        with self.lock:
            for rule in self.rules:
                if rule.get("method") and rule["method"].upper() != method:
                    continue
                if rule.get("user") and rule["user"] != user_id:
                    continue
                if not re.search(rule.get("path_regex", ""), path):
                    continue
                if rule["skip"] > 0:
                    rule["skip"] -= 1
                    continue
                rule["count"] -= 1
                if rule["count"] <= 0:
                    self.rules.remove(rule)
                return rule
        return None

    def listing(self):
        with self.lock:
            return [dict(rule) for rule in self.rules]

    def clear(self):
        with self.lock:
            self.rules = []
