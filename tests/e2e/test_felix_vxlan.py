"""felix vxlan_mgr over real netlink: two "node" namespaces on one link.

tests/integration/felix_vxlan programs vxlan.twill (VNI 4096, port 4789,
learning off, MAC, MTU, tunnel address /32) and one permanent FDB + neighbour
entry per peer. Checked with iproute2/bridge as witnesses and with traffic:
node A pings node B's tunnel address through the tunnel. Needs root; the
namespaces are removed in a finally.
"""

import os
import subprocess
import uuid

import pytest

from conftest import build_dir

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

PROG = os.path.join(build_dir(), "tests", "integration", "felix_vxlan")
MAC_A, MAC_B = "66:00:00:00:0a:01", "66:00:00:00:0b:01"


def run(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, timeout=60)


def felix_vxlan(ns, *args, expect_rc=0):
    res = run("ip", "netns", "exec", ns, PROG, *args, check=False)
    assert res.returncode == expect_rc, res.stdout + res.stderr
    return dict(kv.split("=", 1) for kv in res.stdout.split())


def program_a(ns, *extra):
    return felix_vxlan(ns, "10.0.0.1", "10.244.0.0", "1450", "mac=" + MAC_A, *extra,
                       MAC_B + ",10.244.1.0,10.0.0.2")


def program_b(ns, *extra):
    return felix_vxlan(ns, "10.0.0.2", "10.244.1.0", "1450", "mac=" + MAC_B, *extra,
                       MAC_A + ",10.244.0.0,10.0.0.1")


@pytest.fixture
def nodes():
    tag = uuid.uuid4().hex[:6]
    a, b = "twvxa-" + tag, "twvxb-" + tag
    run("ip", "netns", "add", a)
    run("ip", "netns", "add", b)
    try:
        run("ip", "-n", a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
            "netns", b)
        for ns, addr in ((a, "10.0.0.1/24"), (b, "10.0.0.2/24")):
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "-n", ns, "link", "set", "eth0", "up")
            run("ip", "-n", ns, "addr", "add", addr, "dev", "eth0")
        yield a, b
    finally:
        run("ip", "netns", "del", a, check=False)
        run("ip", "netns", "del", b, check=False)


def test_device_and_entries(nodes):
    a, _ = nodes
    st = program_a(a)
    assert st["created"] == "1" and st["replaced"] == "2"
    link = run("ip", "-n", a, "-d", "link", "show", "vxlan.twill").stdout
    assert "vxlan id 4096" in link and "dstport 4789" in link and "nolearning" in link
    assert "local 10.0.0.1" in link and "mtu 1450" in link and MAC_A in link
    assert "inet 10.244.0.0/32" in run("ip", "-n", a, "addr", "show", "vxlan.twill").stdout
    neigh = run("ip", "-n", a, "neigh", "show", "dev", "vxlan.twill").stdout
    assert "10.244.1.0 lladdr " + MAC_B + " PERMANENT" in neigh
    fdb = run("bridge", "-n", a, "fdb", "show", "dev", "vxlan.twill").stdout
    assert MAC_B + " dst 10.0.0.2 self permanent" in fdb
    again = program_a(a, "sync")
    assert again["created"] == "0" and again["replaced"] == "0" and again["deleted"] == "0"


def test_traffic_through_tunnel(nodes):
    a, b = nodes
    program_a(a, "sync")
    program_b(b, "sync")
    # The routes route_mgr would install for the remote blocks.
    run("ip", "-n", a, "route", "add", "10.244.1.0/26", "via", "10.244.1.0", "dev", "vxlan.twill",
        "onlink", "proto", "81")
    run("ip", "-n", b, "route", "add", "10.244.0.0/26", "via", "10.244.0.0", "dev", "vxlan.twill",
        "onlink", "proto", "81")
    res = run("ip", "netns", "exec", a, "ping", "-c", "2", "-W", "2", "-I", "10.244.0.0",
              "10.244.1.0", check=False)
    assert res.returncode == 0, res.stdout + res.stderr


def test_drift_and_recreate(nodes):
    a, _ = nodes
    program_a(a, "sync")
    run("ip", "-n", a, "neigh", "del", "10.244.1.0", "dev", "vxlan.twill")
    run("bridge", "-n", a, "fdb", "del", MAC_B, "dev", "vxlan.twill", "dst", "10.0.0.2", "self")
    run("ip", "-n", a, "link", "set", "vxlan.twill", "mtu", "1300")
    st = program_a(a, "sync")
    assert st["created"] == "0" and st["replaced"] == "2"
    assert "mtu 1450" in run("ip", "-n", a, "link", "show", "vxlan.twill").stdout
    # Wrong VNI cannot be fixed in place: recreated, entries back.
    run("ip", "-n", a, "link", "del", "vxlan.twill")
    run("ip", "-n", a, "link", "add", "vxlan.twill", "type", "vxlan", "id", "77", "dstport", "4789")
    st = program_a(a, "sync")
    assert st["created"] == "1"
    assert "vxlan id 4096" in run("ip", "-n", a, "-d", "link", "show", "vxlan.twill").stdout
    assert MAC_B in run("bridge", "-n", a, "fdb", "show", "dev", "vxlan.twill").stdout


def test_removal_waits_for_sync(nodes):
    a, _ = nodes
    program_a(a, "sync")
    # Another device's neighbour entries are never ours.
    run("ip", "-n", a, "neigh", "add", "10.0.0.9", "lladdr", "02:00:00:00:00:09", "dev", "eth0",
        "nud", "permanent")
    st = felix_vxlan(a, "10.0.0.1", "10.244.0.0", "1450", "mac=" + MAC_A)  # no peers, not in sync
    assert st["deferred"] == "2" and st["deleted"] == "0"
    st = felix_vxlan(a, "10.0.0.1", "10.244.0.0", "1450", "mac=" + MAC_A, "sync")
    assert st["deleted"] == "2"
    assert run("ip", "-n", a, "neigh", "show", "dev", "vxlan.twill").stdout.strip() == ""
    st = felix_vxlan(a, "10.0.0.1", "10.244.0.0", "0", "none")
    assert st["deferred"] == "1"
    st = felix_vxlan(a, "10.0.0.1", "10.244.0.0", "0", "none", "sync")
    assert st["deleted_device"] == "1"
    assert run("ip", "-n", a, "link", "show", "vxlan.twill", check=False).returncode != 0
    assert "10.0.0.9" in run("ip", "-n", a, "neigh", "show", "dev", "eth0").stdout
