"""hs_keys — the end-to-end encryption endpoints of the test homeserver: /keys/upload,
/keys/query, /keys/claim and /sendToDevice (keys.yaml and to_device.yaml in the spec), with
what /sync reports about them (to_device, device_lists, device_one_time_keys_count,
device_unused_fallback_key_types) built by hs_sync from the Store.

Refused like a real server refuses: a body that is not an object, a required key missing
(M_MISSING_PARAM) or of the wrong type (M_BAD_JSON), device keys for another user or device
(the spec: they "must match" the login; 400 M_INVALID_PARAM), and a one-time key id uploaded
again with a different key (Synapse's 400 M_UNKNOWN "One time key ... already exists").
Signatures are not checked, as Synapse does not check them: the clients do.
"""
import json

from hs_api import ClientApi, MatrixError, bad_json

MAX_TO_DEVICE_BYTES = 65536


def missing(name):
    return MatrixError(400, "M_MISSING_PARAM", "Missing params: ['%s']" % name)


def _object(body, key, required):
    if key not in body:
        if required:
            raise missing(key)
        return None
    value = body[key]
    if not isinstance(value, dict):
        raise bad_json("'%s' must be an object" % key)
    return value


def _check_device_keys(keys, user_id, device_id):
    for name, kind in (("user_id", str), ("device_id", str), ("algorithms", list),
                       ("keys", dict), ("signatures", dict)):
        if name not in keys:
            raise missing("device_keys." + name)
        if not isinstance(keys[name], kind):
            raise bad_json("'device_keys.%s' has the wrong type" % name)
    if keys["user_id"] != user_id or keys["device_id"] != device_id:
        raise MatrixError(400, "M_INVALID_PARAM", "device_keys must be for the logged-in user "
                          "%s and device %s" % (user_id, device_id))
    if not all(isinstance(value, str) for value in keys["keys"].values()):
        raise bad_json("'device_keys.keys' values must be strings")


def _check_key_map(keys, what):
    for name, value in keys.items():
        if name.count(":") != 1 or not all(name.split(":")):
            raise bad_json("%s names must look like <algorithm>:<key_id>, not %r" % (what, name))
        if not isinstance(value, (str, dict)):
            raise bad_json("%s values must be strings or objects" % what)


class KeysApi(ClientApi):
    """Key upload, query, claim and send-to-device; mixed into the server's API class."""

    def keys_upload(self, request):
        body = request.json_object()
        store, user_id, device_id = self.store, request.user_id, request.device_id
        device_keys = _object(body, "device_keys", False)
        one_time = _object(body, "one_time_keys", False) or {}
        fallback = _object(body, "fallback_keys", False) or \
            _object(body, "org.matrix.msc2732.fallback_keys", False) or {}
        if device_keys:
            _check_device_keys(device_keys, user_id, device_id)
        _check_key_map(one_time, "one_time_keys")
        _check_key_map(fallback, "fallback_keys")
        held = store.one_time_keys.get((user_id, device_id), {})
        for name, value in one_time.items():
            if name in held and held[name] != value:
                raise MatrixError(400, "M_UNKNOWN", "One time key %s already exists. Old key: "
                                  "%s; new key: %r" % (name, json.dumps(held[name]), value))
        if device_keys and store.device_keys.get(user_id, {}).get(device_id) != device_keys:
            store.commit({"k": "device_keys", "user_id": user_id, "device_id": device_id,
                          "keys": device_keys, "pos": store.pos + 1})
        new = {name: value for name, value in one_time.items() if name not in held}
        if new:
            store.commit({"k": "otk_add", "user_id": user_id, "device_id": device_id,
                          "keys": new})
        if fallback:
            store.commit({"k": "fallback_set", "user_id": user_id, "device_id": device_id,
                          "keys": fallback})
        return 200, {"one_time_key_counts": store.one_time_key_counts(user_id, device_id)}

    def keys_query(self, request):
        body = request.json_object()
        wanted = _object(body, "device_keys", True)
        result = {}
        for user_id, devices in wanted.items():
            if not isinstance(devices, list) or not all(isinstance(d, str) for d in devices):
                raise bad_json("'device_keys' values must be lists of device ids")
            known = self.store.device_keys.get(user_id, {})
            chosen = {}
            for device_id, keys in known.items():
                if devices and device_id not in devices:
                    continue
                if device_id not in self.store.devices.get(user_id, {}):
                    continue
                entry = dict(keys)
                name = self.store.devices[user_id][device_id].get("display_name")
                entry["unsigned"] = {"device_display_name": name} if name else {}
                chosen[device_id] = entry
            if user_id in self.store.users:
                result[user_id] = chosen
        return 200, {"device_keys": result, "failures": {}, "master_keys": {},
                     "self_signing_keys": {}, "user_signing_keys": {}}

    def keys_claim(self, request):
        body = request.json_object()
        wanted = _object(body, "one_time_keys", True)
        store = self.store
        result = {}
        for user_id, devices in wanted.items():
            if not isinstance(devices, dict) or not all(isinstance(a, str)
                                                        for a in devices.values()):
                raise bad_json("'one_time_keys' values must map device ids to algorithms")
            for device_id, algorithm in devices.items():
                key = store.claim_key(user_id, device_id, algorithm)
                if key:
                    result.setdefault(user_id, {})[device_id] = {key[0]: key[1]}
        return 200, {"one_time_keys": result, "failures": {}}

    def send_to_device(self, request):
        body = request.json_object()
        messages = _object(body, "messages", True)
        if self._deduplicated(request):
            return 200, {}
        store = self.store
        deliveries = []
        for user_id, devices in messages.items():
            if not isinstance(devices, dict):
                raise bad_json("'messages' values must map device ids to message contents")
            for device_id, content in devices.items():
                if not isinstance(content, dict):
                    raise bad_json("each to-device message content must be an object")
                if len(json.dumps(content)) > MAX_TO_DEVICE_BYTES:
                    raise MatrixError(413, "M_TOO_LARGE", "to-device message too large")
                targets = list(store.devices.get(user_id, {})) if device_id == "*" else \
                    [device_id] if device_id in store.devices.get(user_id, {}) else []
                for target in targets:
                    deliveries.append((user_id, target, content))
        store.commit({"k": "to_device", "sender": request.user_id,
                      "sender_device": request.device_id, "type": request.params["eventType"],
                      "txn": request.params["txnId"], "txn_key": self._txn_key(request),
                      "deliveries": deliveries, "pos": store.pos + 1})
        return 200, {}
