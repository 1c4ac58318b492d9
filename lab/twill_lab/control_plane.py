"""The control plane: etcd, the test API server, the relay, and clients.

etcd and the API server (tests/apiserver/run.py: TLS + bearer tokens, CRDs
served from applied manifests) run in the root namespace on 127.0.0.1 with
their data in the lab directory; the relay (relay.py) puts the same
127.0.0.1:PORT into every node namespace. Two tokens exist: `admin` for the
lab tool and kubectl, and `twill-node` for what runs on nodes (the
DaemonSet's service account), each with its own kubeconfig.
"""

import base64
import http.client
import json
import os
import secrets
import socket
import ssl
import time
import urllib.request

from . import procs
from .lab import REPO, LabError
from .sh import run

PYTHON = "/usr/bin/python3"
KUBECTL = os.environ.get("TWILL_KUBECTL", "/opt/twill-tools/bin/kubectl")
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what, ok, timeout, log):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok():
            return
        time.sleep(0.1)
    tail = ""
    try:
        with open(log) as f:
            tail = "".join(f.readlines()[-15:])
    except OSError:
        pass
    raise LabError("%s did not become ready in %ds; last lines of %s:\n%s"
                   % (what, timeout, log, tail))


def start_etcd(lab):
    client, peer = free_port(), free_port()
    url, peer_url = "http://127.0.0.1:%d" % client, "http://127.0.0.1:%d" % peer
    log = lab.path("logs", "etcd.log")
    rec = procs.spawn(lab, "etcd", [
        "etcd", "--name", "twill-lab-etcd", "--data-dir", lab.path("etcd"),
        "--listen-client-urls", url, "--advertise-client-urls", url,
        "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
        "--initial-cluster", "twill-lab-etcd=" + peer_url,
        "--unsafe-no-fsync", "--log-level", "warn"], log)

    def healthy():
        if not procs.running(rec):
            raise LabError("etcd exited; see %s" % log)
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                return b'"true"' in r.read()
        except OSError:
            return False
    _wait("etcd", healthy, 30, log)
    return url


def _ready_line(log):
    try:
        with open(log) as f:
            for line in f:
                if line.startswith("READY"):
                    return line.split()
    except OSError:
        pass
    return None


def start_apiserver(lab, etcd_url):
    sd = lab.path("apiserver")
    os.makedirs(sd, exist_ok=True)
    admin, node, ctl = secrets.token_hex(24), secrets.token_hex(24), secrets.token_hex(24)
    with open(os.path.join(sd, "admin.token"), "w") as f:
        f.write(admin + "\n")
    with open(os.path.join(sd, "tokens.csv"), "w") as f:
        f.write("%s,admin\n%s,system:serviceaccount:kube-system:twill-node\n"
                "%s,system:serviceaccount:kube-system:twill-controllers\n" % (admin, node, ctl))
    log = lab.path("logs", "apiserver.log")
    if os.path.exists(log):
        os.unlink(log)
    rec = procs.spawn(lab, "apiserver", [
        PYTHON, os.path.join(REPO, "tests", "apiserver", "run.py"),
        "--etcd-endpoint", etcd_url, "--state-dir", sd, "--port", str(free_port())], log)

    def ready():
        if not procs.running(rec) and not _ready_line(log):
            raise LabError("API server exited; see %s" % log)
        return _ready_line(log) is not None
    _wait("API server", ready, 60, log)
    url = _ready_line(log)[1]
    write_kubeconfig(lab.path("node-kubeconfig"), url, os.path.join(sd, "ca.crt"), node,
                     "twill-node")
    write_kubeconfig(lab.path("controllers-kubeconfig"), url, os.path.join(sd, "ca.crt"), ctl,
                     "twill-controllers")
    return {"url": url, "port": int(url.rsplit(":", 1)[1]),
            "kubeconfig": os.path.join(sd, "kubeconfig"), "ca": os.path.join(sd, "ca.crt"),
            "token_file": os.path.join(sd, "admin.token"),
            "node_kubeconfig": lab.path("node-kubeconfig")}


def write_kubeconfig(path, url, ca_file, token, user):
    with open(ca_file, "rb") as f:
        ca = base64.b64encode(f.read()).decode()
    text = ("apiVersion: v1\nkind: Config\nclusters:\n- name: twill-lab\n  cluster:\n"
            "    server: %s\n    certificate-authority-data: %s\nusers:\n- name: %s\n"
            "  user:\n    token: %s\ncontexts:\n- name: twill-lab\n  context:\n"
            "    cluster: twill-lab\n    user: %s\ncurrent-context: twill-lab\n"
            % (url, ca, user, token, user))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def start_relay(lab, port, namespaces, role="relay"):
    log = lab.path("logs", role + ".log")
    if os.path.exists(log):
        os.unlink(log)
    argv = [PYTHON, os.path.join(HERE, "relay.py"), "--port", str(port), "--lab", lab.dir]
    for ns in namespaces:
        argv += ["--netns", "/run/netns/" + ns]
    # --lab puts the lab directory on the command line: `down` finds it after a crash.
    rec = procs.spawn(lab, role, argv, log)

    def ready():
        if not procs.running(rec) and not _ready_line(log):
            raise LabError("relay exited; see %s" % log)
        return _ready_line(log) is not None
    _wait("relay", ready, 15, log)


class Api:
    """A minimal Kubernetes REST client (admin token, CA verified)."""

    def __init__(self, api):
        self.url = api["url"]
        with open(api["token_file"]) as f:
            self.token = f.read().strip()
        self.ctx = ssl.create_default_context(cafile=api["ca"])
        self.kubeconfig = api["kubeconfig"]

    def request(self, method, path, body=None, content_type="application/json"):
        host, port = self.url[len("https://"):].rsplit(":", 1)
        conn = http.client.HTTPSConnection(host, int(port), context=self.ctx, timeout=30)
        hdrs = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = content_type
        try:
            conn.request(method, path, data, hdrs)
            resp = conn.getresponse()
            raw = resp.read()
        except OSError as e:
            raise LabError("API server %s: %s" % (self.url, e)) from None
        finally:
            conn.close()
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = {"message": raw.decode(errors="replace")}
        return resp.status, doc

    def must(self, method, path, body=None, ok=(200, 201), **kw):
        status, doc = self.request(method, path, body, **kw)
        if status not in ok:
            raise LabError("%s %s: HTTP %d: %s" % (method, path, status, doc.get("message", doc)))
        return doc

    def list(self, path):
        status, doc = self.request("GET", path)
        return doc.get("items", []) if status == 200 else None

    def merge_patch(self, path, body):
        return self.must("PATCH", path, body, content_type="application/merge-patch+json")

    def kubectl(self, *args, check=True, input=None):
        cache = os.path.join(os.path.dirname(self.kubeconfig), "kubectl-cache")
        return run(KUBECTL, "--kubeconfig=" + self.kubeconfig, "--cache-dir=" + cache, *args,
                   check=check, input=input)
