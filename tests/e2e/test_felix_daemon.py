"""twill-felix end to end: the daemon against the test API server, programming a node
namespace.

Topology: a "node" namespace (this node, fx-a, 10.88.0.1/24 on eth0, default route via
10.88.0.254) and a "pod" namespace joined to it by the pod's host-side veth tw<sha1>.
Datastore: nodes fx-a, fx-b (same subnet) and fx-c (10.77.0.3, another subnet), all with
VTEPs; pool 10.250.0.0/16 with vxlanMode CrossSubnet; one block per node; a pod of fx-a;
FelixConfiguration default with programClusterRoutes Enabled (BGP off). The lab's relay
makes the API server's 127.0.0.1 port reachable inside the node namespace.

Checked: every route kind (endpoint, blackhole, host-gw direct, VXLAN cross-subnet),
vxlan.twill and its FDB/neighbour entries and MTU (uplink - 50), NAT outgoing table,
proxy_arp, readiness and metrics, steady state writing nothing across resyncs, a foreign
route left alone, drift repaired by the periodic resync, a datastore change applied, and
kill -9 + restart without the routes ever disappearing.
Needs root; namespaces, relay and felix are cleaned up in finalizers.
"""

import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import REPO, build_dir
from lab.twill_lab.names import host_veth as veth_name  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

API = "/apis/twill.dev/v1/"
FELIX = os.path.join(build_dir(), "felix", "twill-felix")
RELAY = os.path.join(REPO, "lab", "twill_lab", "relay.py")
HEALTH, METRICS = 19099, 19091


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, timeout=60)


def wait_for(what, fn, timeout=30.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def http_get(ns, port, path):
    probe = ("import urllib.request,sys\n"
             "try:\n r=urllib.request.urlopen('http://127.0.0.1:%d%s',timeout=2)\n"
             " sys.stdout.write(str(r.status)+'\\n'+r.read().decode())\n"
             "except urllib.error.HTTPError as e: sys.stdout.write(str(e.code)+'\\n')\n"
             "except Exception: sys.stdout.write('0\\n')\n" % (port, path))
    out = sh("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", probe).stdout
    status, _, body = out.partition("\n")
    return int(status), body


def routes(ns):
    return [line.strip() for line in sh("ip", "-n", ns, "route", "show").stdout.splitlines()]


@pytest.fixture(scope="module")
def api(apiserver):
    if not os.access(FELIX, os.X_OK):
        pytest.skip("twill-felix not built (set TWILL_BUILD_DIR)")
    apiserver.apply_crds()
    return apiserver


def create(api, path, body):
    status, obj = api.request("POST", path, body)
    assert status == 201, obj


def node_obj(name, addr, mac, vtep):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "annotations": {
        "twill.dev/ipv4Address": addr, "twill.dev/vxlanTunnelMACAddr": mac,
        "twill.dev/vxlanTunnelAddr": vtep}}}


def block_obj(cidr, node):
    name = cidr.replace(".", "-").replace("/", "-")
    return {"apiVersion": "twill.dev/v1", "kind": "IPAMBlock", "metadata": {"name": name},
            "spec": {"cidr": cidr, "affinity": "host:" + node,
                     "allocations": [None] * 64, "unallocated": list(range(64)),
                     "attributes": []}}


@pytest.fixture(scope="module")
def datastore(api):
    create(api, "/api/v1/nodes", node_obj("fx-a", "10.88.0.1/24", "66:00:00:00:aa:01",
                                           "10.250.1.0"))
    create(api, "/api/v1/nodes", node_obj("fx-b", "10.88.0.2/24", "66:00:00:00:bb:01",
                                           "10.250.2.0"))
    create(api, "/api/v1/nodes", node_obj("fx-c", "10.77.0.3/24", "66:00:00:00:cc:01",
                                           "10.250.3.0"))
    create(api, API + "ippools", {
        "apiVersion": "twill.dev/v1", "kind": "IPPool", "metadata": {"name": "fx-pool"},
        "spec": {"cidr": "10.250.0.0/16", "vxlanMode": "CrossSubnet", "natOutgoing": True}})
    for cidr, node in (("10.250.1.0/26", "fx-a"), ("10.250.2.0/26", "fx-b"),
                       ("10.250.3.0/26", "fx-c")):
        create(api, API + "ipamblocks", block_obj(cidr, node))
    create(api, API + "felixconfigurations", {
        "apiVersion": "twill.dev/v1", "kind": "FelixConfiguration",
        "metadata": {"name": "default"}, "spec": {"programClusterRoutes": "Enabled"}})
    create(api, "/api/v1/namespaces/default/pods", {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default",
                     "annotations": {"twill.dev/podIPs": "10.250.1.5"}},
        "spec": {"nodeName": "fx-a", "containers": [{"name": "c", "image": "x"}]}})
    return api


@pytest.fixture
def node_ns(datastore):
    tag = uuid.uuid4().hex[:6]
    node, pod, up = "twfxn-" + tag, "twfxp-" + tag, "twfxu-" + tag
    port = int(datastore.url.rsplit(":", 1)[1])
    relay = None
    for ns in (node, pod, up):
        sh("ip", "netns", "add", ns)
    try:
        sh("ip", "-n", node, "link", "set", "lo", "up")
        sh("ip", "-n", node, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
           "netns", up)
        sh("ip", "-n", node, "addr", "add", "10.88.0.1/24", "dev", "eth0")
        sh("ip", "-n", node, "link", "set", "eth0", "up")
        sh("ip", "-n", up, "addr", "add", "10.88.0.254/24", "dev", "eth0")
        sh("ip", "-n", up, "link", "set", "eth0", "up")
        sh("ip", "-n", node, "route", "add", "default", "via", "10.88.0.254")
        veth = veth_name("default", "web")
        sh("ip", "-n", node, "link", "add", veth, "type", "veth", "peer", "name", "eth0",
           "netns", pod)
        sh("ip", "-n", node, "link", "set", veth, "up")
        sh("ip", "-n", pod, "link", "set", "eth0", "up")  # else the route shows "linkdown"
        relay = subprocess.Popen(["/usr/bin/python3", RELAY,
                                  "--port", str(port), "--netns", "/run/netns/" + node],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert relay.stdout.readline().strip() == "READY"
        yield {"node": node, "pod": pod, "veth": veth, "uplink": up}
    finally:
        if relay is not None:
            relay.terminate()
            relay.wait(timeout=10)
        for ns in (node, pod, up):
            sh("ip", "netns", "del", ns, check=False)


class Felix:
    def __init__(self, api, ns, log_path, node="fx-a"):
        self.api, self.ns, self.log_path, self.node = api, ns, log_path, node
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, FELIX, "--node", self.node,
             "--kubeconfig", self.api.kubeconfig, "--health-port", str(HEALTH),
             "--metrics-port", str(METRICS), "--refresh", "1s", "--throttle-ms", "50"],
            stdout=self.log, stderr=self.log, start_new_session=True)

    def wait_ready(self):
        wait_for("readiness", lambda: http_get(self.ns, HEALTH, "/readiness")[0] == 200)

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=20)
        if self.proc:
            self.log.close()
        self.proc = None


@pytest.fixture
def felix(datastore, node_ns, tmp_path):
    f = Felix(datastore, node_ns["node"], str(tmp_path / "felix.log"))
    try:
        yield f
    finally:
        f.stop(signal.SIGKILL)
        # Shown by pytest only when the test failed.
        print("--- routes ---\n" + "\n".join(routes(node_ns["node"])))
        if os.path.exists(f.log_path):
            print("--- felix log ---\n" + open(f.log_path).read()[-6000:])


def test_programs_node_and_stays_converged(datastore, node_ns, felix):
    ns, veth = node_ns["node"], node_ns["veth"]
    sh("ip", "-n", ns, "route", "add", "10.251.0.0/24", "via", "10.88.0.254", "proto", "static")
    felix.start()
    felix.wait_ready()
    want = [
        "10.250.1.5 dev %s proto 81 scope link" % veth,
        "blackhole 10.250.1.0/26 proto 81",
        "10.250.2.0/26 via 10.88.0.2 dev eth0 proto 81",
        "10.250.3.0/26 via 10.250.3.0 dev vxlan.twill proto 81 onlink",
    ]
    wait_for("all routes", lambda: all(w in routes(ns) for w in want))
    assert "10.251.0.0/24 via 10.88.0.254 dev eth0 proto static" in routes(ns)

    # Steady state writes nothing: after a few resyncs (re-dumps) the kernel as
    # felix wrote it still compares equal to what it wants, for every route kind.
    def resyncs():
        status, body = http_get(ns, METRICS, "/metrics")
        for line in body.splitlines():
            if line.startswith("twill_felix_resyncs_total "):
                return int(line.split()[1]) >= 3
        return False
    wait_for("three resyncs", resyncs)
    log = open(felix.log_path).read()
    assert log.count("event=route_apply ") == 1, log
    assert log.count("event=vxlan_apply ") == 1, log

    link = sh("ip", "-n", ns, "-d", "link", "show", "vxlan.twill").stdout
    assert "vxlan id 4096" in link and "mtu 1450" in link and "66:00:00:00:aa:01" in link
    fdb = sh("bridge", "-n", ns, "fdb", "show", "dev", "vxlan.twill").stdout
    assert "66:00:00:00:cc:01 dst 10.77.0.3 self permanent" in fdb
    assert "66:00:00:00:bb:01 dst 10.88.0.2 self permanent" in fdb
    neigh = sh("ip", "-n", ns, "neigh", "show", "dev", "vxlan.twill").stdout
    assert "10.250.3.0 lladdr 66:00:00:00:cc:01 PERMANENT" in neigh
    proxy = sh("ip", "netns", "exec", ns, "cat",
               "/proc/sys/net/ipv4/conf/%s/proxy_arp" % veth).stdout.strip()
    assert proxy == "1"

    nat = sh("ip", "netns", "exec", ns, "nft", "list", "table", "inet", "twill_nat").stdout
    assert "elements = { 10.250.0.0/16 }" in nat
    assert "ip saddr @nat_ip ip daddr != @pools_ip masquerade" in nat

    status, body = http_get(ns, METRICS, "/metrics")
    assert status == 200
    assert "twill_felix_routes 4\n" in body and "twill_felix_ready 1\n" in body
    assert http_get(ns, HEALTH, "/liveness")[0] == 200

    # Drift: the periodic resync puts back what was removed by hand.
    sh("ip", "-n", ns, "route", "del", "10.250.2.0/26")
    sh("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "twill_nat")
    wait_for("drift repair", lambda: want[2] in routes(ns))
    wait_for("NAT table back", lambda: sh("ip", "netns", "exec", ns, "nft", "list", "table",
                                          "inet", "twill_nat", check=False).returncode == 0)

    # A datastore change: fx-b's block goes away, so does its route.
    status, _ = datastore.request("DELETE", API + "ipamblocks/10-250-2-0-26")
    assert status == 200
    wait_for("route removal", lambda: not any("10.250.2.0/26" in r for r in routes(ns)))
    datastore.request("POST", API + "ipamblocks", block_obj("10.250.2.0/26", "fx-b"))
    wait_for("route back", lambda: want[2] in routes(ns))

    # kill -9 and restart: nothing is flushed, the routes never disappear.
    felix.stop(signal.SIGKILL)
    assert all(w in routes(ns) for w in want)
    felix.start()
    deadline = time.monotonic() + 30
    while http_get(ns, HEALTH, "/readiness")[0] != 200:
        assert all(w in routes(ns) for w in want), "a route vanished during restart"
        assert time.monotonic() < deadline, "felix did not become ready after restart"
        time.sleep(0.1)
    assert all(w in routes(ns) for w in want)
    assert "10.251.0.0/24 via 10.88.0.254 dev eth0 proto static" in routes(ns)
    felix.stop()
    log = open(felix.log_path).read()
    assert "event=stop" in log


def test_nat_outgoing_traffic(datastore, node_ns, felix):
    """The pod (10.250.1.5, a natOutgoing pool) reaches 10.88.0.254, which has no route
    back to the pool: only masquerading on the node makes the reply come back."""
    ns, pod = node_ns["node"], node_ns["pod"]
    sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    sh("ip", "-n", pod, "addr", "add", "10.250.1.5/32", "dev", "eth0")
    sh("ip", "-n", pod, "route", "add", "169.254.1.1", "dev", "eth0", "scope", "link")
    sh("ip", "-n", pod, "route", "add", "default", "via", "169.254.1.1", "dev", "eth0")
    # The premise: the far side cannot route to the pool at all.
    assert sh("ip", "-n", node_ns["uplink"], "route", "get", "10.250.1.5",
              check=False).returncode != 0
    ping = ["ip", "netns", "exec", pod, "ping", "-c", "1", "-W", "1", "10.88.0.254"]
    assert sh(*ping, check=False).returncode != 0  # no felix: no route to the pod, no NAT
    felix.start()
    felix.wait_ready()
    wait_for("masqueraded ping", lambda: sh(*ping, check=False).returncode == 0)


def test_allocates_and_publishes_vtep(datastore, node_ns, tmp_path):
    """A node without VTEP annotations gets a MAC and a tunnel address from IPAM."""
    create(datastore, "/api/v1/nodes", {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "fx-d", "annotations": {"twill.dev/ipv4Address": "10.88.0.1/24"}}})
    f = Felix(datastore, node_ns["node"], str(tmp_path / "felix-d.log"), node="fx-d")
    try:
        f.start()

        def annotations():
            status, obj = datastore.request("GET", "/api/v1/nodes/fx-d")
            ann = obj["metadata"].get("annotations", {}) if status == 200 else {}
            return ann if "twill.dev/vxlanTunnelAddr" in ann else None
        ann = wait_for("VTEP annotations", annotations)
        mac, addr = ann["twill.dev/vxlanTunnelMACAddr"], ann["twill.dev/vxlanTunnelAddr"]
        assert addr.startswith("10.250.")
        status, handle = datastore.request("GET", API + "ipamhandles/vxlan-tunnel-addr-fx-d")
        assert status == 200, handle
        wait_for("vxlan.twill with the published MAC", lambda: mac in sh(
            "ip", "-n", node_ns["node"], "link", "show", "vxlan.twill", check=False).stdout)
        assert ("inet %s/32" % addr) in sh("ip", "-n", node_ns["node"], "addr", "show",
                                            "vxlan.twill").stdout
    finally:
        f.stop(signal.SIGKILL)
        datastore.request("DELETE", "/api/v1/nodes/fx-d")


def test_once_exits_after_first_apply(datastore, node_ns):
    ns = node_ns["node"]
    res = subprocess.run(["ip", "netns", "exec", ns, FELIX, "--node", "fx-a", "--kubeconfig",
                          datastore.kubeconfig, "--health-port", "0", "--metrics-port", "0",
                          "--once"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "blackhole 10.250.1.0/26 proto 81" in routes(ns)


def test_bad_usage():
    if not os.access(FELIX, os.X_OK):
        pytest.skip("twill-felix not built")
    res = subprocess.run([FELIX, "--health-port", "99999"], capture_output=True, text=True)
    assert res.returncode == 2
    res = subprocess.run([FELIX, "--refresh", "1m30"], capture_output=True, text=True)
    assert res.returncode == 2
