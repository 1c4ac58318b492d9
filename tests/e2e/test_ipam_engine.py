"""The block IPAM engine (ipam/engine.c) against the test API server with twill's CRDs:
assign/release round trip, exhaustion and no-pool messages, borrowing and strictAffinity,
dual stack, and two processes racing to claim blocks for two nodes. Drives
tests/integration/ipam_engine_cli."""

import ipaddress
import os
import subprocess
import uuid

import pytest

from conftest import build_dir

API = "/apis/twill.dev/v1/"


def prog():
    path = os.path.join(build_dir(), "tests", "integration", "ipam_engine_cli")
    if not os.path.exists(path):
        pytest.skip("%s not built (set TWILL_BUILD_DIR)" % path)
    return path


@pytest.fixture(scope="module")
def api(apiserver):
    apiserver.apply_crds()
    return apiserver


def cli(api, *args, check=True, timeout=300):
    p = subprocess.run([prog(), api.kubeconfig] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=timeout)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def assigned(p):
    """[(ip, block, pool)] from assign/bulk output."""
    rows = []
    for line in p.stdout.splitlines():
        parts = line.split()
        rows.append((parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    return rows


def items(api, plural):
    status, obj = api.request("GET", API + plural)
    assert status == 200, obj
    return obj["items"]


def create(api, plural, name, spec, kind, labels=None):
    body = {"apiVersion": "twill.dev/v1", "kind": kind,
            "metadata": {"name": name, "labels": labels or {}}, "spec": spec}
    status, obj = api.request("POST", API + plural, body)
    assert status == 201, obj


def delete(api, plural, name):
    api.request("DELETE", API + plural + "/" + name)


def make_node(api, name, labels=None):
    body = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels or {}}}
    status, obj = api.request("POST", "/api/v1/nodes", body)
    assert status in (201, 409), obj


@pytest.fixture
def pools(api):
    """Create pools for one test; everything IPAM left behind must be gone at the end
    (the test releases its handles), then the pools are deleted."""
    made = []

    def add(name, cidr, block_size, **extra):
        spec = {"cidr": cidr, "blockSize": block_size}
        spec.update(extra)
        create(api, "ippools", name, spec, "IPPool")
        made.append(name)
        return name

    try:
        yield add
    finally:
        for name in made:
            delete(api, "ippools", name)
        delete(api, "ipamconfigs", "default")


def assert_clean(api):
    assert items(api, "ipamblocks") == []
    assert items(api, "blockaffinities") == []
    assert items(api, "ipamhandles") == []


def test_round_trip_and_rotation(api, pools):
    pools("rt", "10.50.0.0/24", 29)
    make_node(api, "rt-node")
    ips = []
    for i in range(3):
        rows = assigned(cli(api, "assign", "rt-node", "net.rt%d" % i))
        assert len(rows) == 1 and rows[0][1] == "10.50.0.0/29" and rows[0][2] == "rt"
        ips.append(rows[0][0])
    assert ips == ["10.50.0.0", "10.50.0.1", "10.50.0.2"]
    blocks = items(api, "ipamblocks")
    assert len(blocks) == 1 and blocks[0]["spec"]["affinity"] == "host:rt-node"
    affs = items(api, "blockaffinities")
    assert [(a["spec"]["node"], a["spec"]["state"]) for a in affs] == [("rt-node", "confirmed")]
    handles = {h["spec"]["handleID"]: h["spec"]["block"] for h in items(api, "ipamhandles")}
    assert handles["net.rt1"] == {"10.50.0.0/29": 1}

    assert cli(api, "release", "net.rt1").stdout.split() == ["released", "1"]
    # DEL is idempotent
    assert cli(api, "release", "net.rt1").stdout.split() == ["released", "0"]
    # the freed .1 is not handed out next
    rows = assigned(cli(api, "assign", "rt-node", "net.rt3"))
    assert rows[0][0] == "10.50.0.3"
    for h in ("net.rt0", "net.rt2", "net.rt3"):
        cli(api, "release", h)
    assert_clean(api)


def test_release_ip_checks_owner(api, pools):
    pools("rip", "10.51.0.0/24", 30)
    rows = assigned(cli(api, "assign", "rip-node", "net.rip0", 2))
    assert len(rows) == 2
    p = cli(api, "release-ip", rows[0][0], "net.other", check=False)
    assert p.returncode == 5, p.stderr
    assert cli(api, "release-ip", rows[0][0], "net.rip0").stdout.split() == ["released", "1"]
    assert cli(api, "release-ip", rows[0][0]).stdout.split() == ["released", "0"]
    handles = items(api, "ipamhandles")
    assert [h["spec"]["block"] for h in handles] == [{"10.51.0.0/30": 1}]
    cli(api, "release-ip", rows[1][0])
    assert_clean(api)


def test_exhaustion_names_pool_size_and_usage(api, pools):
    pools("tiny", "10.52.0.0/30", 30)
    for i in range(4):
        cli(api, "assign", "ex-node", "net.ex%d" % i)
    p = cli(api, "assign", "ex-node", "net.ex4", check=False)
    assert p.returncode == 3, p.stderr
    assert 'pool "tiny" (10.52.0.0/30, 4 addresses, blockSize 30) has 4 addresses in use' \
        in p.stderr
    # the failed ADD left no handle behind
    assert len(items(api, "ipamhandles")) == 4
    for i in range(4):
        cli(api, "release", "net.ex%d" % i)
    assert_clean(api)


def test_no_pool_matches_node(api, pools):
    pools("zoned", "10.53.0.0/24", 26, nodeSelector="zone == 'east'")
    make_node(api, "west-node", {"zone": "west"})
    p = cli(api, "assign", "west-node", "net.np0", check=False)
    assert p.returncode == 4, p.stderr
    assert 'node "west-node"' in p.stderr and "zoned: nodeSelector" in p.stderr
    make_node(api, "east-node", {"zone": "east"})
    rows = assigned(cli(api, "assign", "east-node", "net.np1"))
    assert rows[0][2] == "zoned"
    cli(api, "release", "net.np1")
    assert_clean(api)


def test_borrowing_and_strict_affinity(api, pools):
    pools("one-block", "10.54.0.0/28", 28)
    a = assigned(cli(api, "assign", "node-a", "net.ba0"))
    b = assigned(cli(api, "assign", "node-b", "net.bb0"))
    assert a[0][1] == b[0][1] == "10.54.0.0/28"
    blocks = items(api, "ipamblocks")
    assert [x["spec"]["affinity"] for x in blocks] == ["host:node-a"]
    create(api, "ipamconfigs", "default", {"strictAffinity": True}, "IPAMConfig")
    p = cli(api, "assign", "node-b", "net.bb1", check=False)
    assert p.returncode == 3, p.stderr
    assert "strictAffinity forbids borrowing" in p.stderr
    cli(api, "release", "net.ba0")
    cli(api, "release", "net.bb0")
    assert_clean(api)


def test_dual_stack_ipv6_122(api, pools):
    pools("ds4", "10.55.0.0/24", 26)
    pools("ds6", "fd00:55::/120", 122)
    rows = assigned(cli(api, "assign", "ds-node", "net.ds0", 1, 1))
    assert [r[1] for r in rows] == ["10.55.0.0/26", "fd00:55::/122"]
    assert ipaddress.ip_address(rows[1][0]) in ipaddress.ip_network("fd00:55::/122")
    cli(api, "release", "net.ds0")
    assert_clean(api)


def test_two_nodes_racing_never_duplicate(api, pools):
    pools("race", "10.56.0.0/22", 28)
    n = 40
    prefix = "race" + uuid.uuid4().hex[:6]
    procs = [subprocess.Popen([prog(), api.kubeconfig, "bulk", node, prefix + node, str(n)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for node in ("race-a", "race-b")]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    by_node = {}
    for node, (out, _) in zip(("race-a", "race-b"), outs):
        by_node[node] = [line.split() for line in out.splitlines()]
        assert len(by_node[node]) == n
    all_ips = [row[0] for rows in by_node.values() for row in rows]
    assert len(set(all_ips)) == 2 * n, "duplicate address handed out"
    blocks = {b["spec"]["cidr"]: b for b in items(api, "ipamblocks")}
    affs = items(api, "blockaffinities")
    # every block has exactly one affine node, matching its BlockAffinity
    owners = {}
    for a in affs:
        assert a["spec"]["state"] == "confirmed"
        assert a["spec"]["cidr"] not in owners, "two nodes affine to one block"
        owners[a["spec"]["cidr"]] = a["spec"]["node"]
    assert set(owners) == set(blocks)
    for cidr, b in blocks.items():
        assert b["spec"]["affinity"] == "host:" + owners[cidr]
    # no borrowing was needed: each node's addresses are in its own blocks
    for node, rows in by_node.items():
        for ip, block, _pool in rows:
            assert owners[block] == node
    # used addresses in the blocks equal the addresses handed out
    used = sum(1 for b in blocks.values() for x in b["spec"]["allocations"] if x is not None)
    assert used == 2 * n
    for node in ("race-a", "race-b"):
        out = cli(api, "bulk-release", prefix + node, n).stdout.split()
        assert out == ["released", str(n)]
    assert_clean(api)


def test_crash_leftovers_are_repaired(api, pools):
    """States a crash between two writes can leave (docs/ipam.md): an over-counting handle
    (crash after the handle write, before the block write) and stale affinities (crash
    inside a claim or an empty-block release)."""
    pools("crash", "10.57.0.0/24", 26)
    # a pending affinity of ours from a claim that died before creating the block, and a
    # pendingDeletion one of another node whose block was already deleted
    create(api, "blockaffinities", "cr-node-10-57-0-0-26",
           {"state": "pending", "node": "cr-node", "cidr": "10.57.0.0/26"}, "BlockAffinity")
    create(api, "blockaffinities", "gone-node-10-57-0-0-26",
           {"state": "pendingDeletion", "node": "gone-node", "cidr": "10.57.0.0/26"},
           "BlockAffinity")
    rows = assigned(cli(api, "assign", "cr-node", "net.cr0"))
    assert rows[0][1] == "10.57.0.0/26"
    status, aff = api.request("GET", API + "blockaffinities/cr-node-10-57-0-0-26")
    assert status == 200 and aff["spec"]["state"] == "confirmed"
    delete(api, "blockaffinities", "gone-node-10-57-0-0-26")

    # over-count: the handle claims 3 addresses in the block, the block holds 1
    status, h = api.request("GET", API + "ipamhandles/net.cr0")
    assert status == 200
    h["spec"]["block"] = {"10.57.0.0/26": 3}
    status, obj = api.request("PUT", API + "ipamhandles/net.cr0", h)
    assert status == 200, obj
    assert cli(api, "release", "net.cr0").stdout.split() == ["released", "1"]
    assert_clean(api)


def test_same_node_concurrent_adds_share_blocks(api, pools):
    """Two writers for ONE node hit the same block: every write conflicts with the other's,
    so this exercises the 409 re-read path of the block CAS."""
    pools("same", "10.58.0.0/24", 27)
    n = 30
    prefix = "same" + uuid.uuid4().hex[:6]
    procs = [subprocess.Popen([prog(), api.kubeconfig, "bulk", "same-node", prefix + w, str(n)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in ("x", "y")]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    ips = [line.split()[0] for out, _ in outs for line in out.splitlines()]
    assert len(ips) == 2 * n and len(set(ips)) == 2 * n, "duplicate address handed out"
    blocks = items(api, "ipamblocks")
    assert {b["spec"]["affinity"] for b in blocks} == {"host:same-node"}
    # packing: 60 addresses in /27 blocks need exactly two blocks
    assert len(blocks) == 2
    for w in ("x", "y"):
        assert cli(api, "bulk-release", prefix + w, n).stdout.split() == ["released", str(n)]
    assert_clean(api)
