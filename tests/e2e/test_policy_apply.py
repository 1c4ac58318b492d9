"""policy/ apply through libnftables, in throwaway network namespaces.

Drives tests/integration/policy_apply_cli (model -> compile -> apply, first full then
incremental) and checks with the real `nft`:
  - after a full apply the kernel holds the compiled table;
  - an incremental update touches only elements/sets/chains that changed, and the kernel
    ends up exactly where a fresh full apply of the same state puts it;
  - a rejected batch changes nothing (one transaction);
  - while updates run back and forth, a concurrent reader only ever sees one complete
    ruleset or the other, never a mix.
Needs root, nft and the built CLI ($TWILL_BUILD_DIR, default <repo>/build); skips otherwise.
Every namespace is deleted in a fixture finalizer.
"""

import json
import os
import shutil
import subprocess
import threading
import uuid

import pytest

from conftest import build_dir

CLI = os.path.join(build_dir(), "tests", "integration", "policy_apply_cli")
NFT = shutil.which("nft") or "/usr/sbin/nft"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for ip netns / nft"),
    pytest.mark.skipif(not os.path.exists(NFT), reason="nft binary not installed"),
    pytest.mark.skipif(not os.access(CLI, os.X_OK), reason="policy_apply_cli not built in %s"
                       % build_dir()),
]

NAMESPACES = {"x": {"ns": "x"}, "y": {"ns": "y", "env": "prod"}, "z": {"ns": "z", "env": "dev"}}


def pod(ns, name, ip, labels=None):
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {"pod": name}},
        "spec": {"nodeName": "n1", "containers": [{"name": "app", "ports": [
            {"name": "serve-80-tcp", "containerPort": 80, "protocol": "TCP"},
            {"name": "serve-81-tcp", "containerPort": 81, "protocol": "TCP"},
            {"name": "serve-80-udp", "containerPort": 80, "protocol": "UDP"}]}]},
        "status": {"podIP": ip, "podIPs": [{"ip": ip}]},
    }


def policy(ns, name, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def cluster(policies, pod_ips=None):
    pods = []
    for i, ns in enumerate("xyz"):
        for j, name in enumerate("abc"):
            ip = (pod_ips or {}).get("%s/%s" % (ns, name), "10.0.%d.%d" % (i + 1, j + 10))
            pods.append(pod(ns, name, ip))
    return {
        "namespaces": [{"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": n, "labels": l}} for n, l in NAMESPACES.items()],
        "pods": pods,
        "policies": policies,
        "endpoints": [{"iface": "twx" + p, "namespace": "x", "pod": p} for p in "abc"],
    }


DENY_X = policy("x", "deny-all", {"podSelector": {}})
ALLOW_Y_TO_A = policy("x", "a-from-y", {
    "podSelector": {"matchLabels": {"pod": "a"}},
    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}],
                 "ports": [{"port": 80}]}]})
ALLOW_Y_TO_A_81 = policy("x", "a-from-y", {
    "podSelector": {"matchLabels": {"pod": "a"}},
    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}],
                 "ports": [{"port": 80}, {"port": 81}, {"port": 9000, "endPort": 9100}]}]})
EGRESS_C = policy("x", "c-egress", {
    "podSelector": {"matchLabels": {"pod": "c"}}, "policyTypes": ["Egress"],
    "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}]})


@pytest.fixture
def netns_factory():
    made = []

    def make():
        name = "twpol-" + uuid.uuid4().hex[:8]
        subprocess.run(["ip", "netns", "add", name], check=True)
        made.append(name)
        return name

    try:
        yield make
    finally:
        for name in made:
            subprocess.run(["ip", "netns", "del", name], check=False)


def write_states(tmp_path, *states):
    paths = []
    for i, st in enumerate(states):
        p = tmp_path / ("state%d.json" % i)
        p.write_text(json.dumps(st))
        paths.append(str(p))
    return paths


def run_cli(ns, *args):
    r = subprocess.run(["ip", "netns", "exec", ns, CLI, *args], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return [dict(kv.split("=", 1) for kv in line.split()) for line in r.stdout.splitlines()]


def listing(ns):
    return subprocess.run(["ip", "netns", "exec", ns, NFT, "list", "table", "inet", "twill"],
                          capture_output=True, text=True, timeout=60, check=True).stdout


def canonical(text):
    """The listing with its top-level blocks sorted: the kernel lists sets and chains in
    creation order, which differs between an incremental and a full apply."""
    blocks, cur = [], None
    for line in text.splitlines():
        if line.startswith("\t") and not line.startswith("\t\t") and line.strip() != "}":
            cur = [line]
        elif cur is not None:
            cur.append(line)
            if line == "\t}":
                blocks.append("\n".join(cur))
                cur = None
    return "\n".join(sorted(blocks))


def nft_json(ns):
    out = subprocess.run(["ip", "netns", "exec", ns, NFT, "-j", "list", "table", "inet", "twill"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return json.loads(out)["nftables"]


def set_elements(ns, name):
    for item in nft_json(ns):
        for kind in ("set", "map"):
            if kind in item and item[kind]["name"] == name:
                return item[kind].get("elem", [])
    raise KeyError(name)


def test_full_apply_installs_compiled_table(tmp_path, netns_factory):
    ns = netns_factory()
    (p,) = write_states(tmp_path, cluster([DENY_X, ALLOW_Y_TO_A]))
    steps = run_cli(ns, p)
    assert steps[0]["mode"] == "full"
    text = listing(ns)
    assert "hook forward" in text and "hook input" in text
    assert "ct state established,related accept" in text
    vm = str(set_elements(ns, "to_pod"))
    for iface in ("twxa", "twxb", "twxc"):
        assert iface in vm
    assert "from_pod" in text and "twx" not in str(set_elements(ns, "from_pod"))
    v4p = str(set_elements(ns, "to_twxa_v4p"))
    assert "10.0.2.10" in v4p and "10.0.2.12" in v4p and "10.0.3." not in v4p


def test_incremental_equals_full(tmp_path, netns_factory):
    inc, full = netns_factory(), netns_factory()
    states = [cluster([]), cluster([DENY_X, ALLOW_Y_TO_A]),
              cluster([DENY_X, ALLOW_Y_TO_A_81, EGRESS_C], pod_ips={"y/b": "10.0.2.99"}),
              cluster([ALLOW_Y_TO_A_81])]
    paths = write_states(tmp_path, *states)
    steps = run_cli(inc, *paths)
    assert [s["mode"] for s in steps] == ["full", "incremental", "incremental", "incremental"]
    # state 1 -> 2: new chains for x/c egress only; the rest is element churn
    assert steps[2]["chains_added"] == "1" and steps[2]["chains_removed"] == "0"
    assert int(steps[2]["elements_added"]) > 0 and int(steps[2]["elements_removed"]) > 0
    # state 2 -> 3: deny-all and c-egress gone: chains of b, c and c's egress removed
    assert steps[3]["chains_removed"] == "3" and steps[3]["chains_added"] == "0"
    run_cli(full, paths[-1])
    assert canonical(listing(inc)) == canonical(listing(full))
    assert canonical(listing(inc)).count("chain ") == 3  # forward, input, to_twxa


def test_incremental_update_touches_only_changed_elements(tmp_path, netns_factory):
    ns = netns_factory()
    paths = write_states(tmp_path, cluster([DENY_X, ALLOW_Y_TO_A]),
                         cluster([DENY_X, ALLOW_Y_TO_A_81]))
    steps = run_cli(ns, *paths)
    s = steps[1]
    assert (s["sets_added"], s["sets_removed"], s["chains_added"], s["chains_removed"]) == \
        ("0", "0", "0", "0")
    # y's three pods × (80 -> 80-81, + 9000-9100) in to_twxa_v4p only
    assert s["elements_removed"] == "1" and s["elements_added"] == "2"
    assert "[9000, 9100]" in str(set_elements(ns, "to_twxa_v4p"))
    assert set_elements(ns, "to_twxb_v4p") == []


def test_rejected_batch_changes_nothing(tmp_path, netns_factory):
    ns = netns_factory()
    (p,) = write_states(tmp_path, cluster([DENY_X, ALLOW_Y_TO_A]))
    run_cli(ns, p)
    before = listing(ns)
    batch = tmp_path / "bad.nft"
    batch.write_text("add element inet twill to_twxb_v4 { 192.0.2.1 }\n"
                     "delete element inet twill to_pod { \"twxb\" : jump to_twxb }\n"
                     "add element inet twill no_such_set { 192.0.2.2 }\n")
    r = subprocess.run(["ip", "netns", "exec", ns, CLI, "--run", str(batch)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and r.stdout.startswith("error: ")
    assert listing(ns) == before
    assert "192.0.2.1" not in before


def test_concurrent_reader_never_sees_a_mix(tmp_path, netns_factory):
    ns, ref_a, ref_b = netns_factory(), netns_factory(), netns_factory()
    a = cluster([DENY_X, ALLOW_Y_TO_A])
    b = cluster([DENY_X, ALLOW_Y_TO_A_81, EGRESS_C], pod_ips={"y/a": "10.0.2.50"})
    pa, pb = write_states(tmp_path, a, b)
    run_cli(ref_a, pa)
    run_cli(ref_b, pb)
    want = {canonical(listing(ref_a)), canonical(listing(ref_b))}
    assert len(want) == 2
    seen, bad = [], []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            text = canonical(listing(ns))
            if text.strip():
                seen.append(text)
                if text not in want:
                    bad.append(text)

    run_cli(ns, pa)
    t = threading.Thread(target=reader)
    t.start()
    try:
        run_cli(ns, "--loop", "15", pb, pa)
    finally:
        stop.set()
        t.join()
    assert seen, "reader never ran"
    assert not bad, bad[0]
