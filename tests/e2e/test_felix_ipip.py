"""twill-felix and IPIP: tunl0 configured from the datastore, in a node namespace.

Datastore: nodes ip-a (this node, 10.88.0.1/24, twill.dev/ipipTunnelAddr 10.250.1.1) and
ip-b (10.88.0.2/24); pool 10.250.0.0/16 with ipipMode Always; one block per node;
FelixConfiguration programClusterRoutes Enabled (BGP off). Checked: felix brings tunl0 up
with MTU uplink - 20 and the tunnel address /32, routes ip-b's block via its node IP dev
tunl0 onlink; then with the pool switched to ipipMode Never the address is removed (the
fallback device itself stays: it cannot be deleted).

Skips, with the reason, when the kernel cannot make tunl0: `modprobe ipip` fails (or
there is no modprobe) and creating a kind-ipip link in a scratch namespace fails too.
Needs root; namespaces, relay and felix are cleaned up in finally blocks.
"""

import json
import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import REPO, build_dir

API = "/apis/twill.dev/v1/"
FELIX = os.path.join(build_dir(), "felix", "twill-felix")
RELAY = os.path.join(REPO, "lab", "twill_lab", "relay.py")
HEALTH, METRICS = 19299, 19291


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, timeout=60)


def ipip_unavailable():
    """None when this kernel can make tunl0, else the exact reason it cannot."""
    try:
        mp = subprocess.run(["modprobe", "ipip"], capture_output=True, text=True, timeout=30)
        if mp.returncode == 0:
            return None
        why = "modprobe ipip failed (%d): %s" % (mp.returncode, mp.stderr.strip())
    except FileNotFoundError:
        why = "no modprobe"
    # Built in, or autoloaded on request: try it where it harms nothing.
    ns = "twipp-" + uuid.uuid4().hex[:6]
    sh("ip", "netns", "add", ns)
    try:
        if sh("ip", "-n", ns, "link", "show", "tunl0", check=False).returncode == 0:
            return None
        cp = sh("ip", "-n", ns, "link", "add", "name", "tunl0", "type", "ipip", check=False)
        if cp.returncode == 0 or "File exists" in cp.stderr:
            return None
        return "kernel has no ipip module: %s; ip link add type ipip: %s" % (
            why, cp.stderr.strip())
    finally:
        sh("ip", "netns", "del", ns, check=False)


def wait_for(what, fn, timeout=30.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def create(api, path, body):
    status, obj = api.request("POST", path, body)
    assert status in (200, 201), obj


def tunl0(ns):
    cp = sh("ip", "-n", ns, "-j", "addr", "show", "dev", "tunl0", check=False)
    return json.loads(cp.stdout)[0] if cp.returncode == 0 and cp.stdout.strip() else None


def tunl0_v4(ns):
    link = tunl0(ns) or {}
    return ["%s/%d" % (a["local"], a["prefixlen"]) for a in link.get("addr_info", [])
            if a.get("family") == "inet"]


@pytest.fixture(scope="module")
def api(apiserver):
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    why = ipip_unavailable()
    if why:
        pytest.skip(why)
    if not os.access(FELIX, os.X_OK):
        pytest.skip("twill-felix not built (set TWILL_BUILD_DIR)")
    apiserver.apply_crds()
    for name, addr in (("ip-a", "10.88.0.1/24"), ("ip-b", "10.88.0.2/24")):
        ann = {"twill.dev/ipv4Address": addr}
        if name == "ip-a":
            ann["twill.dev/ipipTunnelAddr"] = "10.250.1.1"
        create(apiserver, "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node",
                                            "metadata": {"name": name, "annotations": ann}})
    create(apiserver, API + "ippools", {
        "apiVersion": "twill.dev/v1", "kind": "IPPool", "metadata": {"name": "ip-pool"},
        "spec": {"cidr": "10.250.0.0/16", "ipipMode": "Always", "vxlanMode": "Never"}})
    for cidr, node in (("10.250.1.0/26", "ip-a"), ("10.250.2.0/26", "ip-b")):
        create(apiserver, API + "ipamblocks", {
            "apiVersion": "twill.dev/v1", "kind": "IPAMBlock",
            "metadata": {"name": cidr.replace(".", "-").replace("/", "-")},
            "spec": {"cidr": cidr, "affinity": "host:" + node, "allocations": [None] * 64,
                     "unallocated": list(range(64)), "attributes": []}})
    create(apiserver, API + "felixconfigurations", {
        "apiVersion": "twill.dev/v1", "kind": "FelixConfiguration",
        "metadata": {"name": "default"}, "spec": {"programClusterRoutes": "Enabled"}})
    return apiserver


def test_felix_configures_tunl0(api, tmp_path):
    tag = uuid.uuid4().hex[:6]
    node, up = "twipn-" + tag, "twipu-" + tag
    relay = felix = None
    log_path = str(tmp_path / "felix.log")
    for ns in (node, up):
        sh("ip", "netns", "add", ns)
    try:
        sh("ip", "-n", node, "link", "set", "lo", "up")
        sh("ip", "-n", node, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
           "netns", up)
        sh("ip", "-n", node, "addr", "add", "10.88.0.1/24", "dev", "eth0")
        sh("ip", "-n", node, "link", "set", "eth0", "up")
        sh("ip", "-n", up, "link", "set", "eth0", "up")
        sh("ip", "-n", node, "route", "add", "default", "via", "10.88.0.254")
        port = int(api.url.rsplit(":", 1)[1])
        relay = subprocess.Popen(["/usr/bin/python3", RELAY, "--port", str(port),
                                  "--netns", "/run/netns/" + node],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert relay.stdout.readline().strip() == "READY"
        with open(log_path, "ab") as log:
            felix = subprocess.Popen(
                ["ip", "netns", "exec", node, FELIX, "--node", "ip-a", "--kubeconfig",
                 api.kubeconfig, "--health-port", str(HEALTH), "--metrics-port", str(METRICS),
                 "--refresh", "1s", "--throttle-ms", "50"],
                stdout=log, stderr=log, start_new_session=True)

        link = wait_for("tunl0 up with its address",
                        lambda: tunl0(node) if "10.250.1.1/32" in tunl0_v4(node) and
                        "UP" in (tunl0(node) or {}).get("flags", []) else None)
        assert link["mtu"] == 1500 - 20, link
        route = wait_for("route via tunl0", lambda: [
            r for r in sh("ip", "-n", node, "route", "show", "10.250.2.0/26").stdout.splitlines()
            if "dev tunl0" in r])
        assert "via 10.88.0.2" in route[0] and "onlink" in route[0], route

        status, _ = api.request("PATCH", API + "ippools/ip-pool",
                                {"spec": {"ipipMode": "Never"}},
                                headers={"Content-Type": "application/merge-patch+json"})
        assert status == 200
        wait_for("tunnel address removed", lambda: tunl0_v4(node) == [])
        assert tunl0(node) is not None  # the fallback device stays
    finally:
        if felix is not None and felix.poll() is None:
            os.killpg(felix.pid, signal.SIGKILL)
            felix.wait(timeout=10)
        if relay is not None:
            relay.terminate()
            relay.wait(timeout=10)
            relay.stdout.close()
        for ns in (node, up):
            sh("ip", "netns", "del", ns, check=False)
        if os.path.exists(log_path):
            print("--- felix log ---\n" + open(log_path).read()[-4000:])
