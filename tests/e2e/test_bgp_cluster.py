"""BGP acceptance with real BIRDs, twill-confgen, twill-cni/twill-ipam and FRR.

One 3-node flat lab (lab/twill-lab, vxlanMode Never so nothing is
encapsulated) with a pod on every node, plus two namespaces of this test
on the lab's bridge: a top-of-rack router running FRR's zebra and bgpd
(AS 65001, 10.99.0.254, MD5) and a host behind it (192.168.77.2). The
tests run in file order and each one puts back what it changed:

- 3-node mesh: every node installs the others' blocks via their addresses
  (proto bird, dev eth0, no tunnel), `twillctl node status` shows two mesh
  sessions Established, pods ping across nodes.
- mesh off + node1 a route reflector: clients have one session (type rr)
  and still reach each other's pods.
- a global BGPPeer to FRR: zebra installs every pod block in the router's
  kernel table, and the host behind it pings a pod on every node.
- a wrong MD5 password: no session, node status exits 1 and names the peer.
- graceful restart: node1's BIRD killed and restarted; the router's kernel
  table never loses node1's block (`ip monitor route` sees no delete).
- bad BGPPeers: rejected by the API schema or by twill's validation with
  a message naming spec.peerIP, and bird.conf stays byte-identical.

Everything lives in namespaces named twl-<lab>-… and under pytest's tmp
dir; the fixture removes the router, the host and the lab in a finally.
Needs root and a build with twill-cni, twill-ipam, twill-confgen, twillctl.
"""

import json
import os
import signal
import shutil
import subprocess
import tempfile
import time

import pytest

from tests.e2e.labcli import REPO, LabCli, sh

BUILD = os.environ.get("TWILL_BUILD_DIR", os.path.join(REPO, "build-release"))
TWILLCTL = os.path.join(BUILD, "ctl", "twillctl")
NEEDED = [os.path.join(BUILD, p) for p in ("cni/twill-cni", "ipam/twill-ipam",
                                           "confgen/twill-confgen", "ctl/twillctl")]
ZEBRA, BGPD, VTYSH = "/usr/lib/frr/zebra", "/usr/lib/frr/bgpd", "/usr/bin/vtysh"

ROUTER_IP, ROUTER_AS, MD5 = "10.99.0.254", 65001, "twill-md5-secret-1"
HOST_NET, ROUTER_HOST_IP, HOST_IP = "192.168.77.0/24", "192.168.77.1", "192.168.77.2"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(not all(os.access(p, os.X_OK) for p in NEEDED),
                       reason="needs twill-cni, twill-ipam, twill-confgen, twillctl in "
                              "$TWILL_BUILD_DIR"),
    pytest.mark.skipif(not (os.access(ZEBRA, os.X_OK) and os.access(BGPD, os.X_OK)),
                       reason="FRR not installed"),
]


def wait_for(what, fn, timeout=60, interval=0.3):
    """fn() until truthy; its last value (or exception) explains a timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
            if last:
                return last
        except (AssertionError, ValueError, subprocess.SubprocessError) as e:
            last = e
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s; last: %r" % (what, last))
        time.sleep(interval)


class Cluster(LabCli):
    def __init__(self, tmp):
        super().__init__(tmp, "b")
        self.tmp = tmp
        self.router_ns = self.prefix + "tor"
        self.host_ns = self.prefix + "host"
        # zebra drops to user frr (it will not stay root: root is not in the
        # frrvty group), so its files live in a directory frr can reach.
        self.router_dir = tempfile.mkdtemp(prefix="twill-bgp-frr-")
        self.router_procs = []
        self.extra_procs = []  # started by a test inside the lab (e.g. a restarted BIRD)
        self.pods = {}

    # -- lab --
    def lab(self, *args, check=True, timeout=180):
        return self(*args, check=check, timeout=timeout)

    def kubectl(self, *args, check=True):
        return self.lab("kubectl", *args, check=check)

    def ns(self, node):
        return self.prefix + node

    def nexec(self, node, *cmd, check=True, timeout=60):
        return sh("ip", "netns", "exec", self.ns(node), *cmd, check=check, timeout=timeout)

    def sock(self, node):
        return os.path.join(self.dir, "nodes", node, "run", "bird", "bird.ctl")

    def bird_conf(self, node):
        with open(os.path.join(self.dir, "nodes", node, "etc", "bird", "bird.conf")) as f:
            return f.read()

    def node_status(self, node):
        """(exit status, sessions from -o json, stderr)."""
        cp = self.nexec(node, TWILLCTL, "node", "status", "--socket", self.sock(node),
                        "-o", "json", check=False)
        assert cp.returncode in (0, 1), cp.stderr
        return cp.returncode, json.loads(cp.stdout) if cp.stdout.strip() else [], cp.stderr

    def routes(self, node):
        return json.loads(self.nexec(node, "ip", "-j", "-4", "route", "show").stdout)

    def ping_from_pod(self, pod, ip, check=True):
        return sh("ip", "netns", "exec", self.prefix + "p-default." + pod,
                  "ping", "-c1", "-W1", ip, check=check)

    # -- the router and the host behind it --
    def start_router(self):
        shutil.chown(self.router_dir, "frr", "frr")
        os.chmod(self.router_dir, 0o755)
        net = self.prefix + "net"
        for ns in (self.router_ns, self.host_ns):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", net, "link", "add", "tor0", "type", "veth", "peer", "name", "eth0",
           "netns", self.router_ns)
        sh("ip", "-n", net, "link", "set", "tor0", "master", "br0", "up")
        sh("ip", "-n", self.router_ns, "addr", "add", ROUTER_IP + "/24", "dev", "eth0")
        sh("ip", "-n", self.router_ns, "link", "set", "eth0", "up")
        sh("ip", "-n", self.router_ns, "link", "add", "host0", "type", "veth", "peer",
           "name", "eth0", "netns", self.host_ns)
        sh("ip", "-n", self.router_ns, "addr", "add", ROUTER_HOST_IP + "/24", "dev", "host0")
        sh("ip", "-n", self.router_ns, "link", "set", "host0", "up")
        sh("ip", "netns", "exec", self.router_ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        sh("ip", "-n", self.host_ns, "addr", "add", HOST_IP + "/24", "dev", "eth0")
        sh("ip", "-n", self.host_ns, "link", "set", "eth0", "up")
        sh("ip", "-n", self.host_ns, "route", "add", "default", "via", ROUTER_HOST_IP)
        neighbors = "".join(
            " neighbor %s peer-group NODES\n" % ip for ip in ("10.99.0.11", "10.99.0.12",
                                                              "10.99.0.13"))
        conf = ("frr defaults datacenter\nhostname twill-tor\n!\n"
                "router bgp %d\n bgp router-id %s\n no bgp ebgp-requires-policy\n"
                " bgp graceful-restart\n bgp graceful-restart preserve-fw-state\n"
                " neighbor NODES peer-group\n neighbor NODES remote-as 64512\n"
                " neighbor NODES password %s\n%s"
                " address-family ipv4 unicast\n  network %s\n  neighbor NODES activate\n"
                " exit-address-family\n!\n" % (ROUTER_AS, ROUTER_IP, MD5, neighbors, HOST_NET))
        conf_path = os.path.join(self.router_dir, "frr.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        zsock = os.path.join(self.router_dir, "zserv.api")
        common = ["-P", "0", "--vty_socket", self.router_dir, "-z", zsock]
        zebra = [ZEBRA, "-u", "frr", "-g", "frr", *common, "-f", os.path.join(self.router_dir, "zebra.conf"),
                 "-i", os.path.join(self.router_dir, "zebra.pid"),
                 "--log", "file:" + os.path.join(self.router_dir, "zebra.log")]
        with open(os.path.join(self.router_dir, "zebra.conf"), "w") as f:
            f.write("hostname twill-tor\n")
        bgpd = [BGPD, "-S", *common, "-f", conf_path, "-i", os.path.join(self.router_dir, "bgpd.pid"),
                "--log", "file:" + os.path.join(self.router_dir, "bgpd.log")]
        for argv, wait_path in ((zebra, zsock), (bgpd, None)):
            out = open(os.path.join(self.router_dir, os.path.basename(argv[0]) + ".out"), "w")
            self.router_procs.append(subprocess.Popen(
                ["ip", "netns", "exec", self.router_ns, *argv], stdout=out, stderr=out))
            out.close()
            if wait_path:
                wait_for("zebra's socket", lambda: os.path.exists(wait_path), timeout=15)
        wait_for("bgpd's vty", lambda: self.vtysh("show bgp summary json", check=False)
                 .returncode == 0, timeout=15)

    def vtysh(self, cmd, check=True):
        return sh(VTYSH, "--vty_socket", self.router_dir, "-c", cmd, check=check, timeout=20)

    def router_peers(self):
        doc = json.loads(self.vtysh("show bgp summary json").stdout or "{}")
        return doc.get("ipv4Unicast", {}).get("peers", {})

    def router_routes(self):
        return json.loads(sh("ip", "-n", self.router_ns, "-j", "-4", "route", "show").stdout)

    def stop_router(self):
        for p in self.router_procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for ns in (self.router_ns, self.host_ns):
            sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree(self.router_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(str(tmp_path_factory.mktemp("bgp")))
    try:
        c.lab("up", "--nodes", "3", "--encap", "none")
        c.start_router()
        for i in (1, 2, 3):
            c.lab("pod", "add", "p%d" % i, "--node", "node%d" % i)
        st = json.loads(c.lab("status", "--json", "--no-ping").stdout)
        c.pods = {p["key"].split("/")[1]: p for p in st["pods"]}
        yield c
    finally:
        c.stop_router()
        c.lab("down", check=False)
        for p in c.extra_procs:
            if p.poll() is None:
                p.kill()
            p.wait()
    assert not [n for n in sh("ip", "netns", "list").stdout.split() if n.startswith(c.prefix)]


def block_of(c, node):
    """The /26 block of node's pod as a string."""
    pod = c.pods["p" + node[-1]]
    a = [int(x) for x in pod["ip"].split(".")]
    return "%d.%d.%d.%d/26" % (a[0], a[1], a[2], a[3] & ~63)


def node_ip(node):
    return "10.99.0.%d" % (10 + int(node[-1]))


def bird_route(routes, dst, gw):
    return any(r.get("dst") == dst and r.get("gateway") == gw and r.get("protocol") == "bird"
               and r.get("dev") == "eth0" for r in routes)


def mesh_converged(c):
    for node in ("node1", "node2", "node3"):
        routes = c.routes(node)
        for other in ("node1", "node2", "node3"):
            if other != node and not bird_route(routes, block_of(c, other), node_ip(other)):
                return False
    return True


def test_three_node_mesh(cluster):
    c = cluster
    wait_for("mesh routes on every node", lambda: mesh_converged(c), timeout=60)
    for node in ("node1", "node2", "node3"):
        rc, sessions, err = wait_for(
            "node status on " + node, lambda n=node: (lambda r: r if r[0] == 0 else None)(
                c.node_status(n)), timeout=30)
        assert sorted((s["type"], s["name"], s["bgpState"]) for s in sessions) == sorted(
            ("mesh", o, "Established") for o in ("node1", "node2", "node3") if o != node)
        assert all(s["imported"] >= 1 and s["exported"] >= 1 for s in sessions)
    # No encapsulation: the path to another node's pod is plain eth0 via its address.
    get = c.nexec("node1", "ip", "-j", "route", "get", c.pods["p2"]["ip"]).stdout
    assert json.loads(get)[0]["dev"] == "eth0"
    assert json.loads(get)[0]["gateway"] == node_ip("node2")
    for src, dst in (("p1", "p2"), ("p2", "p3"), ("p3", "p1")):
        c.ping_from_pod(src, c.pods[dst]["ip"])
    # Negative control: an address in no block is not reachable.
    assert c.ping_from_pod("p1", "10.244.255.250", check=False).returncode != 0


RR_SETUP = """
apiVersion: twill.dev/v1
kind: BGPConfiguration
metadata: {name: default}
spec: {asNumber: 64512, nodeToNodeMeshEnabled: false}
---
apiVersion: twill.dev/v1
kind: BGPPeer
metadata: {name: clients-to-reflectors}
spec:
  nodeSelector: "!has(route-reflector)"
  peerSelector: has(route-reflector)
"""
MESH_ON = """
apiVersion: twill.dev/v1
kind: BGPConfiguration
metadata: {name: default}
spec: {asNumber: 64512, nodeToNodeMeshEnabled: true}
"""


def test_route_reflector_without_mesh(cluster):
    c = cluster
    try:
        c.kubectl("annotate", "--overwrite", "node", "node1",
                  "twill.dev/routeReflectorClusterID=224.0.0.1")
        c.kubectl("label", "--overwrite", "node", "node1", "route-reflector=true")
        c.apply(RR_SETUP)

        def rr_sessions():
            rc, s, _ = c.node_status("node2")
            return s if rc == 0 and [(x["type"], x["name"]) for x in s] == [
                ("rr", "node1")] else None
        wait_for("node2's single session to the reflector", rr_sessions, timeout=60)
        rc, s1, _ = wait_for("reflector sessions up", lambda: (
            lambda r: r if r[0] == 0 and len(r[1]) == 2 else None)(c.node_status("node1")))
        assert sorted((x["type"], x["name"]) for x in s1) == [("rr", "node2"), ("rr", "node3")]
        assert "rr client;" in c.bird_conf("node1")
        assert "Mesh_" not in c.bird_conf("node2")
        # node2 and node3 have no session with each other, yet learn each
        # other's block (reflected, next hop unchanged) and reach the pods.
        wait_for("reflected routes", lambda: mesh_converged(c), timeout=60)
        c.ping_from_pod("p2", c.pods["p3"]["ip"])
        c.ping_from_pod("p3", c.pods["p2"]["ip"])
        c.ping_from_pod("p1", c.pods["p3"]["ip"])
    finally:
        c.apply(MESH_ON, check=False)
        c.kubectl("delete", "bgppeer", "clients-to-reflectors", "--ignore-not-found", check=False)
        c.kubectl("annotate", "node", "node1", "twill.dev/routeReflectorClusterID-", check=False)
        c.kubectl("label", "node", "node1", "route-reflector-", check=False)
    wait_for("mesh back", lambda: all(
        len(c.node_status(n)[1]) == 2 and c.node_status(n)[0] == 0
        for n in ("node1", "node2", "node3")), timeout=60)


def tor_peer(password_key):
    return """
apiVersion: v1
kind: Namespace
metadata: {name: twill-system}
---
apiVersion: v1
kind: Secret
metadata: {name: bgp-passwords, namespace: twill-system}
stringData: {right: "%s", wrong: "not-the-password"}
---
apiVersion: twill.dev/v1
kind: BGPPeer
metadata: {name: tor}
spec:
  peerIP: %s
  asNumber: %d
  password:
    secretKeyRef: {name: bgp-passwords, key: %s}
  maxRestartTime: 120s
""" % (MD5, ROUTER_IP, ROUTER_AS, password_key)


def router_has_all_blocks(c):
    routes = c.router_routes()
    return all(any(r.get("dst") == block_of(c, n) and r.get("gateway") == node_ip(n)
                   and r.get("protocol") == "bgp" for r in routes)
               for n in ("node1", "node2", "node3"))


def router_established(c):
    peers = c.router_peers()
    return sum(1 for p in peers.values() if p.get("state") == "Established")


def test_frr_router_global_peer_and_host_behind_it(cluster):
    c = cluster
    c.apply(tor_peer("right"))
    wait_for("3 sessions on the router", lambda: router_established(c) == 3, timeout=90)
    wait_for("every pod block in the router's kernel table",
             lambda: router_has_all_blocks(c), timeout=30)
    rc, sessions, err = c.node_status("node2")
    assert rc == 0, err
    tor = [s for s in sessions if s["peer"] == ROUTER_IP]
    assert len(tor) == 1 and tor[0]["type"] == "global" and tor[0]["name"] == "tor"
    assert tor[0]["asNumber"] == ROUTER_AS and tor[0]["imported"] == 1
    # The host's subnet reaches the nodes over BGP (gateway in their subnet).
    wait_for("host route on nodes", lambda: all(any(
        r.get("dst") == HOST_NET and r.get("gateway") == ROUTER_IP
        for r in c.routes(n)) for n in ("node1", "node2", "node3")), timeout=30)
    for pod in ("p1", "p2", "p3"):
        sh("ip", "netns", "exec", c.host_ns, "ping", "-c1", "-W1", c.pods[pod]["ip"])


def test_md5_wrong_password(cluster):
    c = cluster
    try:
        c.apply(tor_peer("wrong"))
        wait_for("router sessions gone", lambda: router_established(c) == 0, timeout=60)

        def down():
            rc, s, err = c.node_status("node1")
            tor = [x for x in s if x["peer"] == ROUTER_IP]
            return (rc, tor, err) if rc == 1 and tor and not tor[0]["established"] else None
        rc, tor, err = wait_for("node status reporting the router down", down, timeout=30)
        assert "Peer_10_99_0_254" in err and ROUTER_IP in err and "global tor" in err
        assert "not Established" in err
        print(err)
        # The table names the down peer too, and the summary line counts it.
        cp = c.nexec("node1", TWILLCTL, "node", "status", "--socket", c.sock("node1"),
                     check=False)
        assert cp.returncode == 1
        line = [ln for ln in cp.stdout.splitlines() if ln.startswith(ROUTER_IP)]
        assert len(line) == 1 and line[0].split()[2:4] == ["global", "tor"], cp.stdout
        assert "Established" not in line[0].split()[4], cp.stdout
        assert "2 of 3 BGP sessions Established" in cp.stdout
        print(cp.stdout)
        # Mesh sessions are unaffected.
        rc, s, _ = c.node_status("node1")
        assert [x["established"] for x in s if x["type"] == "mesh"] == [True, True]
        time.sleep(3)  # MD5 mismatch: still no session a while later
        assert router_established(c) == 0
    finally:
        c.apply(tor_peer("right"), check=False)
    wait_for("sessions back with the right password", lambda: router_established(c) == 3,
             timeout=90)
    wait_for("node1 status OK", lambda: c.node_status("node1")[0] == 0, timeout=30)


def bird_record(c, node):
    with open(os.path.join(c.dir, "procs", node + "-bird.json")) as f:
        return json.load(f)


def test_graceful_restart_keeps_routes_on_router(cluster):
    c = cluster
    wait_for("router converged", lambda: router_established(c) == 3 and
             router_has_all_blocks(c), timeout=90)
    block = block_of(c, "node1")
    mon_path = os.path.join(c.tmp, "ip-monitor.log")
    mon_out = open(mon_path, "w")
    mon = subprocess.Popen(["ip", "-n", c.router_ns, "monitor", "route"], stdout=mon_out,
                           stderr=subprocess.STDOUT)
    bird = None
    try:
        time.sleep(0.5)
        rec = bird_record(c, "node1")
        # A crash: no Cease notification, so the router is a GR helper and keeps
        # node1's routes (stale) until the new session sends End-of-RIB.
        os.kill(rec["pid"], signal.SIGKILL)
        wait_for("router noticed", lambda: router_established(c) == 2, timeout=30)
        assert router_has_all_blocks(c)
        log = open(os.path.join(c.tmp, "bird-restarted.log"), "w")
        # Restart the container's command as kubelet would. The entrypoint finds
        # its marker (BIRD already ran on this "boot": the node's var/run/twill)
        # and starts BIRD with -R (graceful-restart recovery), so the new
        # session's GR capability says forwarding was preserved (R and F bits).
        # Without it the router must drop the stale routes as soon as BIRD is back.
        marker = os.path.join(c.dir, "nodes", "node1", "var", "run", "twill", "bird.started")
        assert os.path.exists(marker), marker
        env = dict(os.environ, BIRD_MARKER=marker)
        bird = subprocess.Popen(list(rec["argv"]), stdout=log, stderr=subprocess.STDOUT, env=env)
        c.extra_procs.append(bird)
        log.close()
        wait_for("session back", lambda: router_established(c) == 3, timeout=90)
        with open("/proc/%d/cmdline" % bird.pid, "rb") as f:
            assert b"\0-R\0" in f.read()  # the entrypoint exec'd BIRD with -R
        wait_for("node1 status OK", lambda: c.node_status("node1")[0] == 0, timeout=60)
        time.sleep(2)  # let End-of-RIB clear the stale flags
        assert router_has_all_blocks(c)
    finally:
        mon.terminate()
        mon.wait()
        mon_out.close()
    with open(mon_path) as f:
        events = f.read()
    deleted = [l for l in events.splitlines() if l.startswith("Deleted") and block in l]
    assert not deleted, events
    # Leave node1 with a BIRD the lab's down will find (it names the lab dir).
    assert bird.poll() is None


def test_bad_bgppeer_rejected_and_bird_keeps_config(cluster, tmp_path):
    c = cluster
    before = {n: c.bird_conf(n) for n in ("node1", "node2", "node3")}
    # IPv4 address in the IPv6 "[addr]:port" form: the API's schema refuses it.
    bad_schema = ("apiVersion: twill.dev/v1\nkind: BGPPeer\nmetadata: {name: bad-family}\n"
                  "spec: {peerIP: '[10.99.0.9]:179', asNumber: 65009}\n")
    cp = c.apply(bad_schema, check=False)
    assert cp.returncode != 0 and "peerIP" in cp.stderr, cp.stderr
    # The same manifest offline: twill's validation names the field and says why.
    f = tmp_path / "bad.yaml"
    f.write_text(bad_schema)
    cp = sh(TWILLCTL, "validate", "-f", str(f), check=False)
    assert cp.returncode == 1
    assert "spec.peerIP" in cp.stdout + cp.stderr and "IP address" in cp.stdout + cp.stderr
    # Valid for the schema's pattern, not an address: confgen leaves it out.
    bad_model = ("apiVersion: twill.dev/v1\nkind: BGPPeer\nmetadata: {name: bad-octet}\n"
                 "spec: {peerIP: '10.99.0.300', asNumber: 65009}\n")
    try:
        cp = c.apply(bad_model, check=False)
        if cp.returncode == 0:
            def logged():
                for n in ("node1", "node2", "node3"):
                    with open(os.path.join(c.dir, "nodes", n, "var", "log", "twill",
                                           "confgen.log")) as lf:
                        if "bad-octet" not in lf.read():
                            return False
                return True
            wait_for("confgen logging the skipped BGPPeer", logged, timeout=20)
            time.sleep(1)  # past the debounce: a render would have happened by now
        else:
            assert "peerIP" in cp.stderr
        for n in ("node1", "node2", "node3"):
            assert c.bird_conf(n) == before[n], n
            assert c.node_status(n)[0] == 0
    finally:
        c.kubectl("delete", "bgppeer", "bad-octet", "bad-family", "--ignore-not-found",
                  check=False)
