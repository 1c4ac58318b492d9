"""The C Kubernetes client stack (lib/http, kubeconfig, kube_client, informer) against the
test API server: CAS without lost updates, 410 -> re-list with exact diff events, and how
auth / TLS / connection failures are reported. Drives the programs in tests/integration/."""

import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
import uuid

import pytest

from conftest import build_dir

NS = "default"
CM = "/api/v1/namespaces/default/configmaps"


def prog(name):
    path = os.path.join(build_dir(), "tests", "integration", name)
    if not os.path.exists(path):
        pytest.skip("%s not built (set TWILL_BUILD_DIR)" % path)
    return path


def make_cm(apiserver, name, labels=None, data=None):
    body = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": labels or {}}, "data": data or {}}
    status, obj = apiserver.request("POST", CM, body)
    assert status == 201, obj
    return obj


def counter(apiserver, name):
    status, obj = apiserver.request("GET", CM + "/" + name)
    assert status == 200
    return int(obj["data"]["counter"])


def run(args, timeout=120):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


# --- CAS -------------------------------------------------------------------------------

def test_cas_two_concurrent_writers_lose_nothing(apiserver):
    name = "cas-" + uuid.uuid4().hex[:8]
    make_cm(apiserver, name, data={"counter": "0"})
    n = 25
    args = [prog("kube_cas"), apiserver.kubeconfig, NS, name, "increment", str(n)]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    assert counter(apiserver, name) == 2 * n
    conflicts = sum(int(out.split("conflicts=")[1].split()[0]) for out, _ in outs)
    attempts = sum(int(out.split("attempts=")[1].split()[0]) for out, _ in outs)
    # every conflict cost exactly one extra attempt, and the two writers did collide
    assert attempts == 2 * n + conflicts
    assert conflicts > 0


def test_cas_retry_wins_exactly_once(apiserver):
    name = "race-" + uuid.uuid4().hex[:8]
    make_cm(apiserver, name, data={"counter": "10"})
    cp = run([prog("kube_cas"), apiserver.kubeconfig, NS, name, "race"])
    assert cp.returncode == 0, cp.stderr
    # the competing write landed (+1), our first PUT hit 409, the retry applied once (+1)
    assert cp.stdout.strip() == "done increments=1 conflicts=1 attempts=2"
    assert counter(apiserver, name) == 12


# --- informer: compaction -> 410 -> re-list -----------------------------------------------

class Informer:
    def __init__(self, apiserver, selector, watch_timeout, compact=False):
        self.p = subprocess.Popen(
            [prog("kube_informer"), apiserver.kubeconfig, NS, selector, str(watch_timeout)]
            + (["compact"] if compact else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.q = queue.Queue()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            self.q.put(line.rstrip("\n"))
        self.q.put(None)

    def line(self, timeout=30):
        try:
            return self.q.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("informer said nothing for %ss; stderr: %s"
                                 % (timeout, self.stderr()))

    def until(self, prefix, timeout=30):
        seen = []
        while True:
            ln = self.line(timeout)
            assert ln is not None, "informer exited; stderr: %s" % self.stderr()
            if ln.startswith(prefix):
                return seen, ln
            seen.append(ln)

    def dump(self):
        self.p.stdin.write("dump\n")
        self.p.stdin.flush()
        events, cache = self.until("CACHE")
        _, stats = self.until("STATS")
        stats = dict(kv.split("=") for kv in stats.split()[1:])
        return events, cache, {k: int(v) for k, v in stats.items()}

    def stderr(self):
        if self.p.poll() is None:
            return "(running)"
        return self.p.stderr.read()

    def close(self):
        if self.p.poll() is None:
            try:
                self.p.send_signal(signal.SIGCONT)
                self.p.stdin.write("quit\n")
                self.p.stdin.flush()
                self.p.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                self.p.kill()
                self.p.wait()
        if self.p.returncode != 0:
            print(self.p.stderr.read())
        return self.p.returncode


def server_cache(apiserver, selector):
    status, lst = apiserver.request("GET", CM + "?labelSelector=" + selector)
    assert status == 200
    items = sorted(lst["items"], key=lambda o: o["metadata"]["name"])
    return "CACHE" + "".join(" %s=%s" % (o["metadata"]["name"], o["metadata"]["resourceVersion"])
                             for o in items)


# compact: the cache keeps objects as JSON text (felix's all-pods informer)
@pytest.mark.parametrize("compact", [False, True], ids=["tree", "compact"])
def test_informer_relists_after_compaction_with_exact_diff(apiserver, etcd, compact):
    label = "inf" + uuid.uuid4().hex[:8]
    selector = "app=" + label
    objs = {n: make_cm(apiserver, "%s-%s" % (label, n), {"app": label}, {"v": "1"})
            for n in ("a", "b", "c", "d")}
    make_cm(apiserver, label + "-other", {"app": "not-" + label})  # filtered out
    inf = Informer(apiserver, selector, watch_timeout=1, compact=compact)
    try:
        events, _ = inf.until("SYNCED")
        assert sorted(events) == sorted("ADD default/%s %s" % (o["metadata"]["name"],
                                                              o["metadata"]["resourceVersion"])
                                        for o in objs.values())
        # Freeze the informer, let its watch expire server-side, change things behind its
        # back and compact etcd past the revision it will resume from.
        inf.p.send_signal(signal.SIGSTOP)
        time.sleep(2.5)  # > watch timeout (1 s): the server closes the stream meanwhile
        b = dict(objs["b"])
        b["data"] = {"v": "2"}
        status, b_new = apiserver.request("PUT", CM + "/" + b["metadata"]["name"], b)
        assert status == 200
        assert apiserver.request("DELETE", CM + "/" + objs["c"]["metadata"]["name"])[0] == 200
        e_new = make_cm(apiserver, label + "-e", {"app": label})
        # d stops matching the selector: for the informer it vanished
        d = dict(objs["d"])
        d["metadata"] = dict(d["metadata"], labels={"app": "moved"})
        assert apiserver.request("PUT", CM + "/" + d["metadata"]["name"], d)[0] == 200
        etcd.compact()
        inf.p.send_signal(signal.SIGCONT)

        expected = {
            "UPDATE default/%s %s %s" % (b["metadata"]["name"], objs["b"]["metadata"]["resourceVersion"],
                                        b_new["metadata"]["resourceVersion"]),
            "DELETE default/%s %s" % (objs["c"]["metadata"]["name"],
                                      objs["c"]["metadata"]["resourceVersion"]),
            "DELETE default/%s %s" % (objs["d"]["metadata"]["name"],
                                      objs["d"]["metadata"]["resourceVersion"]),
            "ADD default/%s %s" % (e_new["metadata"]["name"], e_new["metadata"]["resourceVersion"]),
        }
        got = []
        deadline = time.monotonic() + 60
        while set(got) != expected and time.monotonic() < deadline:
            ln = inf.line(timeout=30)
            assert ln is not None, inf.stderr()
            got.append(ln)
        # exactly the missed changes, each once; nothing for the untouched "a"
        assert sorted(got) == sorted(expected)
        events, cache, stats = inf.dump()
        assert events == []
        assert cache == server_cache(apiserver, selector)
        assert stats["expired"] >= 1 and stats["relists"] >= 1 and stats["lists"] >= 2

        # and after the re-list the watch works again
        f_new = make_cm(apiserver, label + "-f", {"app": label})
        _, ln = inf.until("ADD")
        assert ln == "ADD default/%s %s" % (f_new["metadata"]["name"],
                                            f_new["metadata"]["resourceVersion"])
    finally:
        assert inf.close() == 0


@pytest.mark.parametrize("compact", [False, True], ids=["tree", "compact"])
def test_informer_follows_watch_events(apiserver, compact):
    label = "live" + uuid.uuid4().hex[:8]
    selector = "app=" + label
    inf = Informer(apiserver, selector, watch_timeout=1, compact=compact)
    try:
        events, _ = inf.until("SYNCED")
        assert events == []
        a = make_cm(apiserver, label + "-a", {"app": label})
        assert inf.line() == "ADD default/%s %s" % (a["metadata"]["name"],
                                                    a["metadata"]["resourceVersion"])
        status, patched = apiserver.request(
            "PATCH", CM + "/" + a["metadata"]["name"], {"data": {"x": "y"}},
            headers={"Content-Type": "application/merge-patch+json"})
        assert status == 200
        assert inf.line() == "UPDATE default/%s %s %s" % (
            a["metadata"]["name"], a["metadata"]["resourceVersion"],
            patched["metadata"]["resourceVersion"])
        assert apiserver.request("DELETE", CM + "/" + a["metadata"]["name"])[0] == 200
        assert inf.line().startswith("DELETE default/%s " % a["metadata"]["name"])
        _, cache, stats = inf.dump()
        assert cache == "CACHE"
        # the server ends each watch after 1 s; the informer resumes from its last
        # resourceVersion without re-listing and without missing what happens meanwhile
        deadline = time.monotonic() + 30
        while stats["reconnects"] < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
            _, _, stats = inf.dump()
        assert stats["reconnects"] >= 2
        g = make_cm(apiserver, label + "-g", {"app": label})
        assert inf.line() == "ADD default/%s %s" % (g["metadata"]["name"],
                                                    g["metadata"]["resourceVersion"])
        _, cache, stats = inf.dump()
        assert cache == server_cache(apiserver, selector)
        assert stats["relists"] == 0 and stats["errors"] == 0 and stats["lists"] == 1
    finally:
        assert inf.close() == 0


# --- error reporting ---------------------------------------------------------------------

def probe(apiserver, *extra):
    return run([prog("kube_probe"), apiserver.kubeconfig] + list(extra), timeout=60)


def test_probe_ok(apiserver):
    cp = probe(apiserver)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert cp.stdout.startswith("ok items=")


def test_rotated_token_file_is_reread(apiserver, tmp_path):
    """A service-account token rotated under a running client (kubelet rewrites the
    projected token file; the old token stops working): the client's next request gets
    401, re-reads its tokenFile and retries once with the new token."""
    tokens_csv = os.path.join(apiserver.state_dir, "tokens.csv")
    with open(tokens_csv) as f:
        original = f.read()
    old, new = "rot-old-" + os.urandom(6).hex(), "rot-new-" + os.urandom(6).hex()
    token_file = tmp_path / "token"
    token_file.write_text(old + "\n")
    with open(tokens_csv, "a") as f:
        f.write("%s,rotating-user\n" % old)
    p = subprocess.Popen([prog("kube_probe"), apiserver.kubeconfig, "--token-file",
                          str(token_file), "--again", "1"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().startswith("ok items="), p.stderr.read()
        # rotate: the file holds the new token, the server no longer accepts the old one
        token_file.write_text(new + "\n")
        with open(tokens_csv, "w") as f:
            f.write(original + "%s,rotating-user\n" % new)
        p.stdin.write("\n")
        p.stdin.flush()
        assert p.stdout.readline().startswith("ok items="), p.stderr.read()
        p.stdin.close()
        assert p.wait(timeout=30) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        with open(tokens_csv, "w") as f:
            f.write(original)
    users = [json.loads(line).get("user") for line in open(apiserver.request_log)
             if line.strip()]
    assert users.count("rotating-user") == 2  # the first list and the retry


@pytest.mark.parametrize("args", [["--no-token"], ["--token", "wrong-token"]])
def test_bad_token_reports_401(apiserver, args):
    cp = probe(apiserver, *args)
    assert cp.returncode == 1
    assert cp.stdout.strip() == (
        "error rc=-13 code=401 message=GET /api/v1/namespaces/default/configmaps: "
        "401 Unauthorized: Unauthorized (no valid credentials: check the kubeconfig's user "
        "token or client certificate)")


def test_wrong_ca_reports_tls_error(apiserver, tmp_path):
    other_ca = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "unit", "data", "kubeconfig", "ca.crt")
    cp = probe(apiserver, "--ca", other_ca)
    assert cp.returncode == 1
    out = cp.stdout.strip()
    assert out.startswith("error rc=-71 code=0 message=GET /api/v1/namespaces/default/"
                          "configmaps: TLS error: "), out
    assert "certificate" in out


def test_unreachable_port_reports_connection_refused(apiserver):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    cp = probe(apiserver, "--server", "https://127.0.0.1:%d" % port)
    assert cp.returncode == 1
    assert cp.stdout.startswith("error rc=-111 code=0 message=GET /api/v1/namespaces/default/"
                                "configmaps: connection refused: "), cp.stdout


# --- CRUD and error mapping through kube_crud ---------------------------------------------

def crud(apiserver, res, ns, *args):
    """res = (group, version, plural, namespaced)."""
    group, version, plural, namespaced = res
    cp = run([prog("kube_crud"), apiserver.kubeconfig, group, version, plural,
              "1" if namespaced else "0", ns or "-"] + list(args), timeout=60)
    assert cp.returncode in (0, 1), cp.stderr
    out = cp.stdout.strip()
    if out.startswith("ok {"):
        return json.loads(out[3:])
    return out


CONFIGMAPS = ("", "v1", "configmaps", True)
IPPOOLS = ("twill.dev", "v1", "ippools", False)


def test_crud_and_errno_mapping_on_configmaps(apiserver):
    name = "crud-" + uuid.uuid4().hex[:8]
    body = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": {"crud": name}}, "data": {"a": "1"}}
    created = crud(apiserver, CONFIGMAPS, NS, "create", json.dumps(body))
    assert created["metadata"]["name"] == name and created["data"] == {"a": "1"}
    rv1 = created["metadata"]["resourceVersion"]

    again = crud(apiserver, CONFIGMAPS, NS, "create", json.dumps(body))
    assert again.startswith("error rc=-17 code=409 reason=AlreadyExists message=POST "
                            "/api/v1/namespaces/default/configmaps: 409 AlreadyExists: ")

    missing = crud(apiserver, CONFIGMAPS, NS, "get", name + "-nope")
    assert missing.startswith("error rc=-2 code=404 reason=NotFound message=GET "
                              "/api/v1/namespaces/default/configmaps/%s-nope: 404 NotFound: "
                              % name)

    patched = crud(apiserver, CONFIGMAPS, NS, "patch", name, json.dumps({"data": {"b": "2"}}))
    assert patched["data"] == {"a": "1", "b": "2"}
    rv2 = patched["metadata"]["resourceVersion"]
    assert rv2 != rv1

    stale = dict(created, data={"a": "stale"})  # still carries rv1
    conflict = crud(apiserver, CONFIGMAPS, NS, "update", json.dumps(stale))
    assert conflict.startswith("error rc=-11 code=409 reason=Conflict message=PUT "
                               "/api/v1/namespaces/default/configmaps/%s: 409 Conflict: " % name)
    fresh = dict(patched, data={"a": "fresh"})
    updated = crud(apiserver, CONFIGMAPS, NS, "update", json.dumps(fresh))
    assert updated["data"] == {"a": "fresh"}

    # delete guarded by a stale resourceVersion is refused, the current one succeeds
    assert crud(apiserver, CONFIGMAPS, NS, "delete", name, rv1).startswith(
        "error rc=-11 code=409 reason=Conflict")
    assert crud(apiserver, CONFIGMAPS, NS, "delete", name,
                updated["metadata"]["resourceVersion"]) == {}
    assert crud(apiserver, CONFIGMAPS, NS, "get", name).startswith("error rc=-2 code=404")
    assert crud(apiserver, CONFIGMAPS, NS, "delete", name).startswith("error rc=-2 code=404")


def test_list_pagination_and_selector(apiserver):
    label = "page" + uuid.uuid4().hex[:8]
    for i in range(5):
        make_cm(apiserver, "%s-%d" % (label, i), {"page": label})
    # kube_crud lists with limit=1: five pages merged into one list, each item trimmed
    # (its "data" dropped) by the list's transform as its page arrived, exactly once
    out = crud(apiserver, CONFIGMAPS, NS, "list", "page=" + label)
    assert out.startswith("ok items=5 transformed=5 with_data=0 rv=")
    # the merged list carries the snapshot's resourceVersion (for a watch to start from)
    status, lst = apiserver.request("GET", CM + "?labelSelector=page%3D" + label)
    assert out.split("rv=")[1] == lst["metadata"]["resourceVersion"]
    assert crud(apiserver, CONFIGMAPS, NS, "list", "page in (%s),page!=%s" % (label, label)) \
        == "ok items=0 transformed=0 with_data=0 rv=" + out.split("rv=")[1]
    # all namespaces
    assert crud(apiserver, CONFIGMAPS, None, "list", "page=" + label).startswith("ok items=5 ")


def test_cluster_scoped_crd_ippools(apiserver):
    apiserver.apply_crds()
    name = "pool-" + uuid.uuid4().hex[:8]
    pool = {"apiVersion": "twill.dev/v1", "kind": "IPPool", "metadata": {"name": name},
            "spec": {"cidr": "10.244.0.0/16", "blockSize": 26}}
    created = crud(apiserver, IPPOOLS, None, "create", json.dumps(pool))
    assert created["metadata"]["name"] == name and created["spec"]["cidr"] == "10.244.0.0/16"
    got = crud(apiserver, IPPOOLS, None, "get", name)
    assert got["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    bad = dict(pool, metadata={"name": name + "-bad"}, spec={"cidr": "nope"})
    invalid = crud(apiserver, IPPOOLS, None, "create", json.dumps(bad))
    assert invalid.startswith("error rc=-22 code=422 reason=Invalid message=POST "
                              "/apis/twill.dev/v1/ippools: 422 Invalid: "), invalid
    assert "spec.cidr" in invalid
    assert crud(apiserver, IPPOOLS, None, "delete", name) == {}
