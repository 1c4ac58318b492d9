"""NetworkPolicy enforced by twill-felix, end to end, in the lab (lab/twill-lab).

A 2-node lab (flat, BGP off, no encapsulation): twill-felix on each node exactly as the
chart's DaemonSet runs it, against the lab's test API server; pods are network
namespaces added through twill-cni + twill-ipam and registered as Pod objects:
  namespace px: a (node1, app=web), b (node2, app=web);  namespace py: c (node1).
Every pod serves TCP 80 with a tiny listener; a probe is a real TCP connection from one
pod to another that must read the listener's greeting.

Checked, with policies written and changed with kubectl (the lab e2e item of issue #8):
- nothing isolated: every probe connects; felix reports policy metrics;
- a deny-all-ingress policy in px cuts c->a (same node) and c->b, a->b (across nodes:
  node2's felix enforces b's ingress), leaves a->c open;
- an update allowing ingress from namespaces labelled team=blue changes nothing until
  py is relabelled with kubectl, then c->a and c->b connect while a->b stays denied;
  removing the label closes them again;
- deleting the policy opens everything;
- FelixConfiguration policyEnabled=false removes table inet twill, true brings it back;
- restart: felix on node1 is killed (SIGKILL) and started again while the API server is
  stopped (SIGSTOP): the old table stays and keeps denying, the new felix is not ready;
  after SIGCONT it lists, applies and becomes ready, the flow still denied.
Each lab has a random name, lives in pytest's tmp dir and is torn down in a finally,
with the listeners and the felix this test starts itself. Needs root and the built
binaries (TWILL_BUILD_DIR).
"""

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from tests.e2e.labcli import REPO, LabCli, netns_pids_named, sh

BUILD = os.environ.get("TWILL_BUILD_DIR", os.path.join(REPO, "build-release"))
FELIX = os.path.join(BUILD, "felix", "twill-felix")
NEEDED = [os.path.join(BUILD, "cni", "twill-cni"), os.path.join(BUILD, "ipam", "twill-ipam"),
          FELIX]
NFT = shutil.which("nft") or "/usr/sbin/nft"
PY = "/usr/bin/python3"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(not all(os.path.exists(p) for p in NEEDED),
                       reason="needs twill-cni, twill-ipam and twill-felix in " + BUILD),
    pytest.mark.skipif(not os.path.exists(NFT), reason="nft binary not installed"),
]

PODS = {("px", "a"): ("node1", "app=web"), ("px", "b"): ("node2", "app=web"),
        ("py", "c"): ("node1", "app=client")}

LISTENER = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 80))
s.listen(64)
while True:
    c, _ = s.accept()
    try:
        c.sendall(b"twill-ok\\n")
    finally:
        c.close()
"""

PROBE = """
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], 80), timeout=float(sys.argv[2]))
    s.settimeout(float(sys.argv[2]))
    ok = s.recv(16).startswith(b"twill-ok")
except OSError:
    ok = False
print("open" if ok else "closed")
"""


class Lab(LabCli):
    def __init__(self, tmp_path):
        super().__init__(tmp_path, "p")
        self.tmp = tmp_path
        self.listeners = []

    def kubectl_apply(self, doc):
        return self.apply(json.dumps(doc))

    def pod_ns(self, ns, pod):
        return "%sp-%s.%s" % (self.prefix, ns, pod)

    def state(self):
        with open(os.path.join(self.dir, "lab.json")) as f:
            return json.load(f)

    def pod_ip(self, ns, pod):
        return self.state()["pods"]["%s/%s" % (ns, pod)]["ip"]

    def serve(self, ns, pod):
        self.listeners.append(subprocess.Popen(
            ["ip", "netns", "exec", self.pod_ns(ns, pod), PY, "-c", LISTENER],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))

    def probe(self, src, dst, timeout=1.0):
        out = sh("ip", "netns", "exec", self.pod_ns(*src), PY, "-c", PROBE,
                 self.pod_ip(*dst), timeout, check=False, timeout=30).stdout.strip()
        return out == "open"

    def down(self):
        for p in self.listeners:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        self.force_clean()


def wait_matrix(lab, want, timeout=30):
    """Probe until every (src, dst) -> bool in want holds at once."""
    deadline = time.monotonic() + timeout
    while True:
        got = {k: lab.probe(*k) for k in want}
        if got == want:
            return
        assert time.monotonic() < deadline, "probes %r, wanted %r" % (
            {"%s/%s->%s/%s" % (s + d): v for (s, d), v in got.items()},
            {"%s/%s->%s/%s" % (s + d): v for (s, d), v in want.items()})
        time.sleep(0.5)


A, B, C = ("px", "a"), ("px", "b"), ("py", "c")


def matrix(c_a, c_b, a_b, a_c=True):
    return {(C, A): c_a, (C, B): c_b, (A, B): a_b, (A, C): a_c}


def netpol(spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "px-ingress", "namespace": "px"}, "spec": spec}


def metrics(lab, node):
    probe = ("import urllib.request\n"
             "print(urllib.request.urlopen('http://127.0.0.1:9091/metrics',timeout=3)"
             ".read().decode())\n")
    out = sh("ip", "netns", "exec", lab.node_ns(node), PY, "-c", probe).stdout
    values = {}
    for line in out.splitlines():
        if line.startswith("twill_felix_") and " " in line:
            name, _, v = line.rpartition(" ")
            values[name] = float(v)
    return values


def ready(lab, node):
    probe = ("import urllib.request,sys\n"
             "try:\n urllib.request.urlopen('http://127.0.0.1:9099/readiness',timeout=2)\n"
             "except Exception: sys.exit(1)\n")
    return sh("ip", "netns", "exec", lab.node_ns(node), PY, "-c", probe,
              check=False).returncode == 0


def has_table(lab, node):
    return sh("ip", "netns", "exec", lab.node_ns(node), NFT, "list", "table", "inet", "twill",
              check=False).returncode == 0


def felix_pids(lab, node):
    return netns_pids_named(lab.node_ns(node), "twill-felix")


def apiserver_pid(lab):
    with open(os.path.join(lab.dir, "procs", "apiserver.json")) as f:
        return int(json.load(f)["pid"])


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab = Lab(tmp_path_factory.mktemp("felix-policy"))
    try:
        lab("up", "--nodes", "2", "--topology", "flat", "--bgp", "off", "--encap", "none")
        for (ns, pod), (node, labels) in PODS.items():
            lab("pod", "add", pod, "--node", node, "--namespace", ns, "--labels", labels)
            lab.serve(ns, pod)
        yield lab
    finally:
        lab.down()


def test_kubectl_policy_lifecycle(lab):
    wait_matrix(lab, matrix(True, True, True), timeout=90)
    m = metrics(lab, "node1")
    assert m["twill_felix_policy_enabled"] == 1 and m["twill_felix_policies"] == 0, m
    assert m["twill_felix_policy_chains"] >= 2, m  # forward + input hooks, always there

    lab.kubectl_apply(netpol({"podSelector": {}, "policyTypes": ["Ingress"]}))
    wait_matrix(lab, matrix(False, False, False))
    m = metrics(lab, "node1")
    assert m["twill_felix_policies"] == 1 and m["twill_felix_policy_endpoints"] >= 1, m
    assert m["twill_felix_policy_rules"] > 0 and m["twill_felix_policy_set_elements"] > 0, m
    assert m["twill_felix_policy_apply_errors_total"] == 0, m

    lab.kubectl_apply(netpol({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [
        {"from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}}}]}]}))
    time.sleep(1)
    wait_matrix(lab, matrix(False, False, False))
    lab("kubectl", "label", "namespace", "py", "team=blue")
    wait_matrix(lab, matrix(True, True, False))
    lab("kubectl", "label", "namespace", "py", "team-")
    wait_matrix(lab, matrix(False, False, False))

    lab("kubectl", "delete", "networkpolicy", "-n", "px", "px-ingress")
    wait_matrix(lab, matrix(True, True, True))
    assert metrics(lab, "node2")["twill_felix_policies"] == 0


def test_policy_enabled_false_removes_the_table(lab):
    lab.kubectl_apply(netpol({"podSelector": {}, "policyTypes": ["Ingress"]}))
    wait_matrix(lab, matrix(False, False, False))
    cfg = {"apiVersion": "twill.dev/v1", "kind": "FelixConfiguration",
           "metadata": {"name": "default"}, "spec": {"policyEnabled": False}}
    existing = lab("kubectl", "get", "felixconfiguration", "default", "-o", "json",
                   check=False)
    if existing.returncode == 0:
        cfg["spec"] = dict(json.loads(existing.stdout).get("spec", {}), policyEnabled=False)
    try:
        lab.kubectl_apply(cfg)
        wait_matrix(lab, matrix(True, True, True))
        assert not has_table(lab, "node1") and not has_table(lab, "node2")
        assert metrics(lab, "node1")["twill_felix_policy_enabled"] == 0
    finally:
        cfg["spec"]["policyEnabled"] = True
        lab.kubectl_apply(cfg)
    wait_matrix(lab, matrix(False, False, False))
    assert has_table(lab, "node1") and has_table(lab, "node2")
    lab("kubectl", "delete", "networkpolicy", "-n", "px", "px-ingress")
    wait_matrix(lab, matrix(True, True, True))


def test_restart_keeps_policy_until_the_view_is_complete(lab):
    lab.kubectl_apply(netpol({"podSelector": {}, "policyTypes": ["Ingress"]}))
    wait_matrix(lab, matrix(False, False, False))
    # -s (stateless): without the drop counters, which the probes below move.
    table_before = sh("ip", "netns", "exec", lab.node_ns("node1"), NFT, "-s", "list", "table",
                      "inet", "twill").stdout
    ns = lab.node_ns("node1")
    node_dir = os.path.join(lab.dir, "nodes", "node1")
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NODENAME": "node1",
           "KUBECONFIG": os.path.join(node_dir, "etc", "twill", "kubeconfig"),
           "TWILL_NETWORKING_BACKEND": "none", "TWILL_LOG_LEVEL": "info"}
    api = apiserver_pid(lab)
    mine = None
    stopped = False
    try:
        old = felix_pids(lab, "node1")
        assert old, "the lab's felix is not running on node1"
        for pid in old:
            os.kill(pid, signal.SIGKILL)
        os.kill(api, signal.SIGSTOP)
        stopped = True
        log = open(os.path.join(str(lab.tmp), "felix-restarted.log"), "w")
        mine = subprocess.Popen(["ip", "netns", "exec", ns, FELIX], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        # The new felix has no datastore view: the old table stays and keeps denying.
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            assert mine.poll() is None, "restarted felix exited"
            assert not lab.probe(C, A, timeout=0.5), "policy opened while felix restarted"
            assert lab.probe(A, C, timeout=2.0), "allowed flow cut while felix restarted"
            assert not ready(lab, "node1")
        assert sh("ip", "netns", "exec", ns, NFT, "-s", "list", "table", "inet",
                  "twill").stdout == table_before
        os.kill(api, signal.SIGCONT)
        stopped = False
        deadline = time.monotonic() + 60
        while not ready(lab, "node1"):
            assert mine.poll() is None, "restarted felix exited"
            assert not lab.probe(C, A, timeout=0.5), "policy opened while felix synced"
            assert time.monotonic() < deadline, "restarted felix never became ready"
        wait_matrix(lab, matrix(False, False, False))
        m = metrics(lab, "node1")
        assert m["twill_felix_policies"] == 1 and m["twill_felix_ready"] == 1, m
    finally:
        if stopped:
            os.kill(api, signal.SIGCONT)
        if mine is not None and mine.poll() is None:
            os.killpg(mine.pid, signal.SIGKILL)
            mine.wait(timeout=10)
