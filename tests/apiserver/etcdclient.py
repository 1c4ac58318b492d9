"""Minimal etcd v3 client over the JSON gRPC gateway (stdlib http.client).

Contract: keys and values are bytes; revisions are ints. Unary calls borrow a keep-alive HTTP
connection from a pool shared by all threads and give it back (the API server runs a thread per
client connection, and a plugin exec is one short connection: a TCP handshake to etcd per
client would dominate; kube-apiserver likewise shares its etcd connections). Every call raises EtcdError on a gateway error and
EtcdCompacted when the requested revision has been compacted. watch() opens its own
connection and yields decoded responses until close() is called from any thread.
"""

import base64
import http.client
import json
import threading
import urllib.parse


class EtcdError(Exception):
    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class EtcdCompacted(EtcdError):
    pass


def _b64(b):
    return base64.b64encode(b).decode("ascii")


def prefix_end(prefix):
    """The smallest key greater than every key starting with prefix (etcd range_end)."""
    b = bytearray(prefix)
    while b:
        if b[-1] < 0xFF:
            b[-1] += 1
            return bytes(b)
        b.pop()
    return b"\0"


class KV:
    __slots__ = ("key", "value", "mod_revision", "create_revision")

    def __init__(self, d):
        self.key = base64.b64decode(d["key"])
        self.value = base64.b64decode(d.get("value", ""))
        self.mod_revision = int(d.get("mod_revision", 0))
        self.create_revision = int(d.get("create_revision", 0))


def _check(resp):
    if "error" in resp or ("code" in resp and "message" in resp and "header" not in resp):
        msg = resp.get("message") or resp.get("error")
        if "compacted" in msg:
            raise EtcdCompacted(msg, resp.get("code"))
        raise EtcdError(msg, resp.get("code"))
    return resp


class EtcdClient:
    def __init__(self, endpoint, timeout=30.0):
        u = urllib.parse.urlsplit(endpoint)
        if u.scheme != "http":
            raise ValueError("only http:// etcd endpoints are supported: %r" % endpoint)
        self.host, self.port = u.hostname, u.port or 2379
        self.timeout = timeout
        self._idle = []  # kept-alive connections not in use
        self._idle_lock = threading.Lock()

    _IDLE_MAX = 16

    def _take(self, fresh=False):
        if not fresh:
            with self._idle_lock:
                if self._idle:
                    return self._idle.pop()
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _give_back(self, c):
        with self._idle_lock:
            if len(self._idle) < self._IDLE_MAX:
                self._idle.append(c)
                return
        c.close()

    def _call(self, path, body):
        data = json.dumps(body).encode()
        for attempt in (0, 1):
            c = self._take(fresh=attempt > 0)
            try:
                c.request("POST", path, data, {"Content-Type": "application/json"})
                r = c.getresponse()
                raw = r.read()
                break
            except (http.client.HTTPException, OSError):
                # A kept-alive connection may have been closed by etcd; retry once fresh.
                c.close()
                if attempt:
                    raise
        self._give_back(c)
        return _check(json.loads(raw))

    # --- unary API -------------------------------------------------------------------

    def range(self, key, range_end=None, limit=0, revision=0, count_only=False):
        """Returns (header_revision, [KV], more)."""
        body = {"key": _b64(key)}
        if range_end is not None:
            body["range_end"] = _b64(range_end)
        if limit:
            body["limit"] = str(limit)
        if revision:
            body["revision"] = str(revision)
        if count_only:
            body["count_only"] = True
        r = self._call("/v3/kv/range", body)
        kvs = [KV(d) for d in r.get("kvs", [])]
        return int(r["header"]["revision"]), kvs, bool(r.get("more", False))

    def get(self, key):
        """Returns (header_revision, KV or None)."""
        rev, kvs, _ = self.range(key)
        return rev, (kvs[0] if kvs else None)

    def revision(self):
        rev, _, _ = self.range(b"\0", count_only=True)
        return rev

    def put(self, key, value):
        r = self._call("/v3/kv/put", {"key": _b64(key), "value": _b64(value)})
        return int(r["header"]["revision"])

    def _txn(self, compare, success, failure_key):
        r = self._call("/v3/kv/txn", {
            "compare": [compare],
            "success": [success],
            "failure": [{"request_range": {"key": _b64(failure_key)}}],
        })
        rev = int(r["header"]["revision"])
        if r.get("succeeded"):
            return True, rev, r.get("responses", [{}])[0]
        cur = r.get("responses", [{}])[0].get("response_range", {}).get("kvs", [])
        return False, rev, (KV(cur[0]) if cur else None)

    def create(self, key, value):
        """Put only if key is absent. Returns (ok, revision, current KV on failure)."""
        ok, rev, extra = self._txn(
            {"key": _b64(key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"},
            {"request_put": {"key": _b64(key), "value": _b64(value)}}, key)
        return ok, rev, (None if ok else extra)

    def update(self, key, value, mod_revision):
        """Put only if key's mod_revision matches. Returns (ok, revision, current KV on failure)."""
        ok, rev, extra = self._txn(
            {"key": _b64(key), "target": "MOD", "result": "EQUAL", "mod_revision": str(mod_revision)},
            {"request_put": {"key": _b64(key), "value": _b64(value)}}, key)
        return ok, rev, (None if ok else extra)

    def delete(self, key, mod_revision=None):
        """Delete key (only at mod_revision when given). Returns (ok, revision, KV).

        On success KV is the deleted value, on failure the current one (None if absent)."""
        if mod_revision is None:
            r = self._call("/v3/kv/deleterange", {"key": _b64(key), "prev_kv": True})
            prev = r.get("prev_kvs", [])
            return bool(prev), int(r["header"]["revision"]), (KV(prev[0]) if prev else None)
        ok, rev, extra = self._txn(
            {"key": _b64(key), "target": "MOD", "result": "EQUAL", "mod_revision": str(mod_revision)},
            {"request_delete_range": {"key": _b64(key), "prev_kv": True}}, key)
        if ok:
            prev = extra.get("response_delete_range", {}).get("prev_kvs", [])
            return True, rev, (KV(prev[0]) if prev else None)
        return False, rev, extra

    def delete_range(self, key, range_end):
        """Delete every key in [key, range_end). Returns the number deleted."""
        r = self._call("/v3/kv/deleterange", {"key": _b64(key), "range_end": _b64(range_end)})
        return int(r.get("deleted", 0))

    def compact(self, revision=None):
        if revision is None:
            revision = self.revision()
        self._call("/v3/kv/compaction", {"revision": str(revision), "physical": True})
        return revision

    def watch(self, key, range_end, start_revision, prev_kv=True):
        return Watch(self, key, range_end, start_revision, prev_kv)


class WatchEvent:
    __slots__ = ("type", "kv", "prev_kv")

    def __init__(self, d):
        self.type = d.get("type", "PUT")
        self.kv = KV(d["kv"])
        self.prev_kv = KV(d["prev_kv"]) if "prev_kv" in d else None


class Watch:
    """One etcd watch stream. Iterate for ("events", revision, [WatchEvent]) tuples; raises
    EtcdCompacted if start_revision is compacted. close() unblocks a reader in another thread."""

    def __init__(self, client, key, range_end, start_revision, prev_kv):
        self._conn = http.client.HTTPConnection(client.host, client.port, timeout=None)
        body = {"create_request": {"key": _b64(key), "range_end": _b64(range_end),
                                   "start_revision": str(start_revision), "prev_kv": prev_kv}}
        self._conn.request("POST", "/v3/watch", json.dumps(body).encode(),
                           {"Content-Type": "application/json"})
        self._resp = self._conn.getresponse()
        self._closed = False

    def __iter__(self):
        # The gateway streams one JSON object per line.
        while not self._closed:
            try:
                line = self._resp.readline()
            except (OSError, ValueError, AttributeError, http.client.HTTPException):
                # AttributeError: http.client racing with close() from the serving thread.
                return
            if not line:
                return
            line = line.strip()
            if not line:
                continue
            msg = json.loads(line)
            if "error" in msg:
                _check(msg["error"] if isinstance(msg["error"], dict) else msg)
            r = msg.get("result", {})
            if r.get("compact_revision") and r.get("canceled"):
                raise EtcdCompacted("required revision has been compacted (compact_revision %s)"
                                    % r["compact_revision"])
            if r.get("canceled"):
                raise EtcdError("watch canceled: %s" % r.get("cancel_reason", ""))
            rev = int(r.get("header", {}).get("revision", 0))
            events = [WatchEvent(e) for e in r.get("events", [])]
            yield rev, events

    def close(self):
        self._closed = True
        try:
            if self._conn.sock is not None:
                self._conn.sock.shutdown(2)
        except OSError:
            pass
        self._conn.close()
