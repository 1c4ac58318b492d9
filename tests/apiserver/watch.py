"""Watch: turn an etcd watch on a resource's key prefix into Kubernetes watch events.

Contract: serve_watch(...) calls send(event) for every event until the client goes away,
the timeout passes, or the start revision turns out to be compacted (then one ERROR event
carrying a 410 Expired Status is sent). It never raises for those cases.

Semantics follow kube-apiserver: resourceVersion "0"/absent first replays the current
objects as synthetic ADDED events and then streams from the listed revision + 1 (no gap, no
duplicate); an explicit resourceVersion streams changes after it. Selectors are applied to
both the new and previous object (etcd prev_kv), so an object that starts matching arrives
as ADDED and one that stops matching as DELETED. BOOKMARKs carry only the latest revision.
The etcd stream is read by a helper thread into a queue so the serving thread can also wake
up for bookmarks, the deadline and client-disconnect checks.
"""

import queue
import threading
import time

from . import errors
from .etcdclient import EtcdCompacted, EtcdError, prefix_end


def _matches(obj, label_sel, field_sel):
    return (label_sel is None or label_sel.matches(obj["metadata"].get("labels"))) and \
        (field_sel is None or field_sel.matches(obj))


def _expired_event(rev):
    st = errors.expired("too old resource version: %d" % rev).status()
    return {"type": "ERROR", "object": st}


def serve_watch(registry, rt, ns, send, label_sel=None, field_sel=None, resource_version=None,
                timeout=1800.0, bookmarks=False, bookmark_interval=10.0, client_gone=None):
    prefix = registry.list_prefix(rt, ns)
    if resource_version in (None, "", "0"):
        items, rev, _ = registry.list(rt, ns, label_sel, field_sel)
        for obj in items:
            if not send({"type": "ADDED", "object": obj}):
                return
        start = rev + 1
    else:
        try:
            start = int(resource_version) + 1
        except ValueError:
            raise errors.bad_request('invalid resourceVersion "%s"' % resource_version)
    last_rev = start - 1
    try:
        w = registry.etcd.watch(prefix, prefix_end(prefix), start, prev_kv=True)
    except EtcdCompacted:
        send(_expired_event(last_rev))
        return
    q = queue.Queue()

    def reader():
        try:
            for item in w:
                q.put(item)
            q.put(("end", None))
        except EtcdCompacted:
            q.put(("compacted", None))
        except (EtcdError, OSError, ValueError):
            q.put(("end", None))

    t = threading.Thread(target=reader, name="etcd-watch", daemon=True)
    t.start()
    deadline = time.monotonic() + timeout
    next_bookmark = time.monotonic() + bookmark_interval
    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                return
            try:
                rev, events = q.get(timeout=max(0.05, min(1.0, deadline - now)))
            except queue.Empty:
                if client_gone is not None and client_gone():
                    return
                if bookmarks and time.monotonic() >= next_bookmark:
                    next_bookmark = time.monotonic() + bookmark_interval
                    bm = {"type": "BOOKMARK", "object": {
                        "kind": rt.kind, "apiVersion": rt.group_version,
                        "metadata": {"resourceVersion": str(last_rev)}}}
                    if not send(bm):
                        return
                continue
            if rev == "compacted":
                send(_expired_event(last_rev))
                return
            if rev == "end":
                return
            for ev in events:
                if not _send_event(registry, rt, ev, send, label_sel, field_sel):
                    return
                # Only delivered events advance the bookmark revision: the header revision of
                # etcd's "created" message may be ahead of events still to come.
                last_rev = max(last_rev, ev.kv.mod_revision)
    finally:
        w.close()
        t.join(timeout=5)


def _send_event(registry, rt, ev, send, label_sel, field_sel):
    old = registry.decode(rt, ev.prev_kv) if ev.prev_kv is not None and ev.prev_kv.value else None
    old_match = old is not None and _matches(old, label_sel, field_sel)
    if ev.type == "DELETE":
        if not old_match:
            return True
        old["metadata"]["resourceVersion"] = str(ev.kv.mod_revision)
        return send({"type": "DELETED", "object": old})
    new = registry.decode(rt, ev.kv)
    new_match = _matches(new, label_sel, field_sel)
    if new_match and old_match:
        return send({"type": "MODIFIED", "object": new})
    if new_match:
        return send({"type": "ADDED", "object": new})
    if old_match:
        return send({"type": "DELETED", "object": new})
    return True
