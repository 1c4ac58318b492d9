"""felix route_mgr over real netlink in a throwaway network namespace.

Drives tests/integration/felix_routes (route_mgr + route_netlink) inside a
namespace with one veth pair and checks, with iproute2 as the independent
witness: routes carry protocol 81, a foreign route survives (also one that
holds a prefix felix wants), nothing is deleted before in-sync, re-applies
write nothing, and hand-made drift is repaired. Needs root; the namespace is
removed in a finally.
"""

import os
import subprocess
import uuid

import pytest

from conftest import build_dir

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

PROG = os.path.join(build_dir(), "tests", "integration", "felix_routes")


def ip(ns, *args, check=True):
    return subprocess.run(["ip", "-n", ns, *args], check=check, capture_output=True, text=True)


def apply(ns, count, sync=False):
    args = ["ip", "netns", "exec", ns, PROG, str(count), "veth0", "10.99.0.2"]
    if sync:
        args.append("sync")
    res = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    return dict(kv.split("=", 1) for kv in res.stdout.split())


def routes(ns, *selector):
    out = ip(ns, "route", "show", *selector).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def ours(ns):
    # Unfiltered listing: with "proto 81" as a filter iproute2 omits the field.
    return [r for r in routes(ns) if " proto 81" in r]


@pytest.fixture
def netns():
    name = "twfx-" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        ip(name, "link", "set", "lo", "up")
        ip(name, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
        ip(name, "link", "set", "veth0", "up")
        ip(name, "link", "set", "veth1", "up")
        ip(name, "addr", "add", "10.99.0.1/24", "dev", "veth0")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def test_apply_is_batched_owned_and_idempotent(netns):
    st = apply(netns, 300)
    assert st["rc"] == "0" and st["replaced"] == "304" and st["failed"] == "0"
    v4 = ours(netns)
    assert len(v4) == 302  # 300 endpoints + blackhole + gateway route
    assert "10.200.0.7 dev veth0 proto 81 scope link" in v4
    assert "10.200.1.43 dev veth0 proto 81 scope link" in v4  # index 299
    assert "blackhole 10.201.0.0/24 proto 81" in v4
    assert "10.202.0.0/24 via 10.99.0.2 dev veth0 proto 81" in v4
    v6 = ip(netns, "-6", "route", "show", "proto", "81").stdout
    assert "blackhole fd00:201::/64" in v6 and "fd00:200::5 dev veth0" in v6
    again = apply(netns, 300, sync=True)
    assert again["replaced"] == "0" and again["deleted"] == "0" and again["dumped"] == "304"


def test_foreign_routes_survive(netns):
    ip(netns, "route", "add", "10.203.0.0/24", "via", "10.99.0.3", "proto", "static")
    # A foreign route holding a prefix felix wants is a conflict, not a target.
    ip(netns, "route", "add", "10.200.0.4/32", "via", "10.99.0.7", "proto", "static")
    st = apply(netns, 10, sync=True)
    assert st["conflicts"] == "1"
    assert st["replaced"] == "13"
    static = routes(netns, "proto", "static")
    assert "10.203.0.0/24 via 10.99.0.3 dev veth0" in static
    assert "10.200.0.4 via 10.99.0.7 dev veth0" in static
    # Shrinking the desired set deletes only ours.
    st = apply(netns, 2, sync=True)
    assert st["deleted"] == "7"
    assert len(routes(netns, "proto", "static")) == 2
    assert len(ours(netns)) == 4


def test_no_deletion_before_in_sync(netns):
    apply(netns, 20, sync=True)
    st = apply(netns, 5)  # a restarted felix with a half-loaded datastore
    assert st["deferred"] == "15" and st["deleted"] == "0"
    assert len(ours(netns)) == 22
    st = apply(netns, 5, sync=True)
    assert st["deleted"] == "15"
    assert len(ours(netns)) == 7


def test_drift_repaired(netns):
    apply(netns, 20, sync=True)
    ip(netns, "route", "del", "10.200.0.3/32")
    ip(netns, "route", "replace", "10.202.0.0/24", "via", "10.99.0.9", "proto", "81")
    ip(netns, "route", "del", "blackhole", "10.201.0.0/24")
    st = apply(netns, 20, sync=True)
    assert st["replaced"] == "3" and st["deleted"] == "0"
    v4 = ours(netns)
    assert "10.200.0.3 dev veth0 proto 81 scope link" in v4
    assert "10.202.0.0/24 via 10.99.0.2 dev veth0 proto 81" in v4
    assert "blackhole 10.201.0.0/24 proto 81" in v4


def test_missing_device_fails_only_its_routes(netns):
    ip(netns, "link", "del", "veth0")
    res = subprocess.run(["ip", "netns", "exec", netns, PROG, "4", "veth0", "10.99.0.2", "sync"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 1
    st = dict(kv.split("=", 1) for kv in res.stdout.split())
    # 4 + 1 IPv6 endpoint routes: no device; the gateway is unreachable without veth0.
    assert st["failed"] == "6"
    assert st["replaced"] == "2"  # both blackholes still land
    assert "blackhole 10.201.0.0/24 proto 81" in ours(netns)
