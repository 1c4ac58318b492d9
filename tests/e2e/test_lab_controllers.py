"""A node deleted in the lab (issue #8): its blocks and handles are collected by
twill-controllers and its routes disappear from the other nodes.

A 3-node flat lab with BGP (vxlanMode Never: node-to-node routes are BIRD's, via each
node's address), started by lab/twill-lab, which runs the chart's twill-controllers
Deployment (2 replicas, one holding the Lease). node3 "dies" (its felix, confgen and BIRD
are killed, as a crashed machine's would be), then is deleted with kubectl, then its pods
are deleted with kubectl as Kubernetes' pod garbage collector would (no CNI DEL ever runs).
Then: no IPAMBlock, BlockAffinity or IPAMHandle of node3 is left, `twillctl ipam check` is
clean, node1 and node2 have no route to node3's block, and pods on node1 and node2 keep
their addresses and reach each other. The lab is removed in a finally.
Needs root and a build with twill-cni, twill-ipam, twill-confgen, twill-controllers,
twillctl.
"""

import glob
import json
import os
import secrets
import shutil
import signal
import subprocess
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TWILL_LAB = os.path.join(REPO, "lab", "twill-lab")
BUILD = os.environ.get("TWILL_BUILD_DIR", os.path.join(REPO, "build-release"))
TWILLCTL = os.path.join(BUILD, "ctl", "twillctl")
NEEDED = [os.path.join(BUILD, p) for p in (
    "cni/twill-cni", "ipam/twill-ipam", "confgen/twill-confgen", "felix/twill-felix",
    "controllers/twill-controllers", "ctl/twillctl")]
API = "/apis/twill.dev/v1/"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(not all(os.access(p, os.X_OK) for p in NEEDED),
                       reason="needs twill-cni, twill-ipam, twill-confgen, twill-felix, "
                              "twill-controllers and twillctl in $TWILL_BUILD_DIR"),
]


def sh(*args, check=True, timeout=240, input=None):
    cp = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                        timeout=timeout, input=input)
    if check and cp.returncode != 0:
        raise AssertionError("%s -> %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(map(str, args)), cp.returncode, cp.stdout, cp.stderr))
    return cp


def wait_for(what, fn, timeout=90, interval=0.5):
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s; last: %r" % (what, last))
        time.sleep(interval)


class Lab:
    def __init__(self, tmp):
        self.name = "c" + secrets.token_hex(3)
        self.dir = os.path.join(tmp, "lab")
        self.prefix = "twl-%s-" % self.name

    def lab(self, *args, check=True, timeout=240):
        return sh("/usr/bin/python3", TWILL_LAB, "--lab", self.name, "--state-dir", self.dir,
                  *args, check=check, timeout=timeout)

    def kubectl(self, *args, check=True):
        return self.lab("kubectl", *args, check=check)

    def get(self, path):
        cp = self.kubectl("get", "--raw", path, check=False)
        return json.loads(cp.stdout) if cp.returncode == 0 else None

    def items(self, plural):
        return self.get(API + plural)["items"]

    def routes(self, node):
        return json.loads(sh("ip", "netns", "exec", self.prefix + node, "ip", "-j", "-4",
                             "route", "show").stdout)

    def state(self):
        with open(os.path.join(self.dir, "lab.json")) as f:
            return json.load(f)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    c = Lab(str(tmp_path_factory.mktemp("labctl")))
    try:
        c.lab("up", "--nodes", "3", "--encap", "none")
        for pod, node in (("w1", "node1"), ("w2", "node2"), ("g1", "node3"), ("g2", "node3")):
            c.lab("pod", "add", pod, "--node", node)
        yield c
    finally:
        # keep the API request log: test_chart.py checks every call of the controllers'
        # (and the node agent's) service account against the chart's roles
        log = os.path.join(c.dir, "apiserver", "requests.log")
        if os.path.exists(log):
            shutil.copy(log, str(tmp_path_factory.mktemp("labctl-requests") / "requests.log"))
        c.lab("down", check=False)


def controller_logs(lab):
    """The tail of each replica's log, for a failure message (the lab dir goes at teardown)."""
    out = {}
    for name in sorted(glob.glob(os.path.join(lab.dir, "logs", "controllers-*.log"))):
        with open(name, errors="replace") as f:
            out[os.path.basename(name)] = f.read()[-3000:]
    return out


def block_of(lab, node):
    return [b["spec"]["cidr"] for b in lab.items("ipamblocks")
            if b["spec"].get("affinity") == "host:" + node]


def routes_to(routes, cidr):
    return [r for r in routes if r.get("dst") == cidr]


def test_node_deleted_in_lab_is_collected(lab):
    st = json.loads(lab.lab("status", "--json", "--no-ping").stdout)
    assert [r[1] for r in st["controllers"]] == ["running", "running"], (
        st["controllers"], controller_logs(lab))
    lease = wait_for("a leader", lambda: (lab.get(
        "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/twill-controllers") or
        {}).get("spec", {}).get("holderIdentity"))
    assert lease.startswith("twill-controllers-")
    gone_blocks = wait_for("node3's block", lambda: block_of(lab, "node3"))
    for node in ("node1", "node2"):
        wait_for("%s routes node3's block" % node,
                 lambda n=node: all(routes_to(lab.routes(n), b) for b in gone_blocks))
    pods = lab.state()["pods"]
    g_handles = {h["spec"]["handleID"] for h in lab.items("ipamhandles")}
    assert len(g_handles) >= 4
    # node3 crashes: its daemons die with it
    for pid in sh("ip", "netns", "pids", lab.prefix + "node3").stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    lab.kubectl("delete", "node", "node3")
    # its pods still exist: nothing of theirs is released yet
    time.sleep(3)
    assert block_of(lab, "node3") == gone_blocks
    # the pod garbage collector's part
    lab.kubectl("delete", "pod", "g1", "g2")
    wait_for("node3's IPAM state collected", lambda: not block_of(lab, "node3") and not [
        a for a in lab.items("blockaffinities") if a["spec"]["node"] == "node3"], timeout=120)
    left = {h["spec"]["handleID"] for h in lab.items("ipamhandles")}
    assert len(left) == len(g_handles) - 2
    for node in ("node1", "node2"):
        wait_for("%s drops node3's routes" % node,
                 lambda n=node: not any(routes_to(lab.routes(n), b) for b in gone_blocks))
    cp = sh(TWILLCTL, "ipam", "check", "--grace", "0s", "--kubeconfig",
            os.path.join(lab.dir, "apiserver", "kubeconfig"), check=False)
    assert cp.returncode == 0 and cp.stdout.strip().endswith("0 problems"), cp.stdout
    # the other pods keep their addresses and reach each other
    w1, w2 = pods["default/w1"]["ip"], pods["default/w2"]["ip"]
    sh("ip", "netns", "exec", lab.prefix + "p-default.w1", "ping", "-c1", "-W2", w2)
    sh("ip", "netns", "exec", lab.prefix + "p-default.w2", "ping", "-c1", "-W2", w1)
    # the leader's log names what it did
    logs = "".join(open(os.path.join(lab.dir, "logs", "controllers-%d.log" % i)).read()
                   for i in (0, 1))
    assert "event=node_cleaned node=node3" in logs
