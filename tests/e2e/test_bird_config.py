"""BIRD accepts what twill-confgen renders.

Every golden file of the renderer's unit tests (tests/unit/data/bird/*.conf) and
a few fresh renders of whole clusters (through tests/integration/bird_render_cli,
which runs the real model parsers, bird_input_build() and bird_render()) must
pass `bird -p -c FILE`, BIRD 2's own parser. A negative control proves the check
can fail. Skipped, with the reason, when `bird` or the CLI is not available.
"""

import base64
import glob
import json
import os
import shutil
import subprocess

import pytest

from conftest import REPO, build_dir

GOLDEN_DIR = os.path.join(REPO, "tests", "unit", "data", "bird")
GOLDEN = sorted(glob.glob(os.path.join(GOLDEN_DIR, "*.conf")))
BIRD = shutil.which("bird") or ("/usr/sbin/bird" if os.path.exists("/usr/sbin/bird") else None)

pytestmark = pytest.mark.skipif(BIRD is None, reason="bird (BIRD 2) is not installed")


def bird_check(path):
    """(ok, message) from BIRD's parser."""
    p = subprocess.run([BIRD, "-p", "-c", str(path)], capture_output=True, text=True, timeout=30)
    return p.returncode == 0, (p.stderr + p.stdout).strip()


def cli():
    path = os.path.join(build_dir(), "tests", "integration", "bird_render_cli")
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} not built (set TWILL_BUILD_DIR to a build directory)")
    return path


def test_golden_files_exist():
    assert len(GOLDEN) >= 20, GOLDEN


@pytest.mark.parametrize("path", GOLDEN, ids=[os.path.basename(p) for p in GOLDEN])
def test_golden_file_parses(path):
    ok, msg = bird_check(path)
    assert ok, f"bird rejected {path}: {msg}"


def test_bird_check_can_fail(tmp_path):
    # A password with a double quote, written naively, ends BIRD's string early;
    # the renderer refuses such passwords, and this shows BIRD would notice.
    text = open(os.path.join(GOLDEN_DIR, "md5.conf")).read()
    bad = tmp_path / "bad.conf"
    bad.write_text(text.replace('password "s3cret-tor";', 'password "s3c"ret";'))
    ok, msg = bird_check(bad)
    assert not ok
    assert "syntax error" in msg


def node(name, v4=None, v6=None, labels=None, asn=None, rr=None):
    ann = {}
    if v4:
        ann["twill.dev/ipv4Address"] = v4
    if v6:
        ann["twill.dev/ipv6Address"] = v6
    if asn:
        ann["twill.dev/asNumber"] = str(asn)
    if rr:
        ann["twill.dev/routeReflectorClusterID"] = rr
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels or {}, "annotations": ann}}


def twill(kind, name, spec):
    return {"apiVersion": "twill.dev/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


def secret(name, data):
    return {"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": "twill-system"},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def cluster(mesh=True):
    items = [
        twill("BGPConfiguration", "default", {
            "asNumber": 64512, "nodeToNodeMeshEnabled": mesh, "listenPort": 179,
            "serviceClusterIPs": [{"cidr": "10.96.0.0/12"}, {"cidr": "fd00:96::/112"}],
            "serviceExternalIPs": [{"cidr": "192.0.2.0/24"}],
            "communities": [{"name": "tagged", "value": "64512:100"}],
            "prefixAdvertisements": [{"cidr": "10.244.0.0/16", "communities": ["tagged", "64512:1:2"]}],
            "nodeMeshMaxRestartTime": "90s",
            "nodeMeshPassword": {"secretKeyRef": {"name": "bgp", "key": "mesh"}}}),
        node("rr-1", "10.0.0.10/24", "fd00::10/64", {"route-reflector": "true"}, rr="224.0.0.1"),
        node("rr-2", "10.0.0.11/24", "fd00::11/64", {"route-reflector": "true"}, rr="224.0.0.1"),
        node("worker-1", "10.0.0.21/24", "fd00::21/64", {"rack": "a"}),
        node("worker-2", "10.1.0.22/24", None, {"rack": "b"}, asn=64700),
        twill("BGPPeer", "to-rr", {"nodeSelector": "!has(route-reflector)",
                                   "peerSelector": "has(route-reflector)"}),
        twill("BGPPeer", "tor-a", {"nodeSelector": "rack == 'a'", "peerIP": "10.0.0.1",
                                   "asNumber": 65001, "keepOriginalNextHop": True,
                                   "maxRestartTime": "2m",
                                   "password": {"secretKeyRef": {"name": "bgp", "key": "tor"}}}),
        twill("BGPPeer", "tor-v6", {"peerIP": "[fd00::1]:1179", "asNumber": 65001}),
        twill("BGPPeer", "evil", {"peerIP": "10.0.0.2", "asNumber": 65002,
                                  "password": {"secretKeyRef": {"name": "bgp", "key": "evil"}}}),
        twill("IPPool", "v4", {"cidr": "10.244.0.0/16", "vxlanMode": "CrossSubnet"}),
        twill("IPPool", "tunnel", {"cidr": "10.250.0.0/16", "ipipMode": "Always"}),
        twill("IPPool", "private", {"cidr": "10.252.0.0/16", "disableBGPExport": True}),
        twill("IPPool", "v6", {"cidr": "fd10::/48"}),
        secret("bgp", {"mesh": "mesh-pw", "tor": "tor\\pw#1",
                       "evil": 'x"; } protocol bgp Injected { neighbor 1.2.3.4 as 1; ipv4; } #'}),
    ]
    for n, blocks in {"rr-1": ["10.244.0.0/26"], "worker-1": ["10.244.0.64/26", "fd10::/122"],
                      "worker-2": ["10.244.0.128/26", "10.252.0.0/26"]}.items():
        for b in blocks:
            items.append(twill("BlockAffinity", f"{n}-{b.replace('/', '-').replace(':', '-')}",
                               {"node": n, "cidr": b, "state": "confirmed"}))
    return {"apiVersion": "v1", "kind": "List", "items": items}


def render(tmp_path, name, objects):
    src = tmp_path / "objects.json"
    src.write_text(json.dumps(objects))
    p = subprocess.run([cli(), name, str(src)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.mark.parametrize("mesh", [True, False], ids=["mesh", "reflectors"])
@pytest.mark.parametrize("name", ["rr-1", "rr-2", "worker-1", "worker-2"])
def test_generated_render_parses(tmp_path, name, mesh):
    text = render(tmp_path, name, cluster(mesh))
    out = tmp_path / "bird.conf"
    out.write_text(text)
    ok, msg = bird_check(out)
    assert ok, f"bird rejected the render for {name}: {msg}\n{text}"
    assert "Injected" not in text
    assert "protocol bgp Peer_10_0_0_2 " not in text  # unusable password: no session
    if mesh:
        assert "protocol bgp Mesh_" in text
    else:
        assert "protocol bgp Mesh_" not in text
        assert "protocol bgp Node_" in text


def test_render_is_byte_identical(tmp_path):
    objects = cluster(False)
    first = render(tmp_path, "worker-1", objects)
    objects["items"].reverse()
    assert render(tmp_path, "worker-1", objects) == first


def test_reflector_and_client_agree(tmp_path):
    rr = render(tmp_path, "rr-1", cluster(False))
    client = render(tmp_path, "worker-1", cluster(False))
    # each side of the pair has the session, and exactly one side is passive
    rr_block = rr.split("protocol bgp Node_10_0_0_21 {", 1)[1].split("\n}\n", 1)[0]
    cl_block = client.split("protocol bgp Node_10_0_0_10 {", 1)[1].split("\n}\n", 1)[0]
    assert "rr client;" in rr_block and "rr client" not in cl_block
    assert ("passive on;" in rr_block) != ("passive on;" in cl_block)


# ---- the twill-confgen daemon against the test API server ----

import signal  # noqa: E402
import stat  # noqa: E402
import time  # noqa: E402


def confgen_bin():
    path = os.path.join(build_dir(), "confgen", "twill-confgen")
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} not built (set TWILL_BUILD_DIR to a build directory)")
    return path


def create(apiserver, obj):
    group = "api/v1" if obj["apiVersion"] == "v1" else "apis/" + obj["apiVersion"]
    plural = {"Node": "nodes", "Secret": "secrets", "IPPool": "ippools", "BGPPeer": "bgppeers",
              "BGPConfiguration": "bgpconfigurations",
              "BlockAffinity": "blockaffinities"}[obj["kind"]]
    ns = obj["metadata"].get("namespace")
    path = f"/{group}/namespaces/{ns}/{plural}" if ns else f"/{group}/{plural}"
    status, body = apiserver.request("POST", path, obj)
    assert status == 201, body
    return path + "/" + obj["metadata"]["name"]


def wait_for(pred, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def metrics(path):
    try:
        text = open(path).read()
    except FileNotFoundError:
        return {}
    return {ln.split()[0]: float(ln.split()[1]) for ln in text.splitlines()
            if ln and not ln.startswith("#")}


@pytest.fixture(scope="module")
def datastore(apiserver):
    apiserver.apply_crds()
    status, body = apiserver.request("POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "twill-system"}})
    assert status in (201, 409), body
    create(apiserver, node("cg-1", "10.9.0.1/24"))
    create(apiserver, node("cg-2", "10.9.0.2/24"))
    create(apiserver, twill("IPPool", "cg-pool", {"cidr": "10.233.0.0/16"}))
    create(apiserver, twill("BlockAffinity", "cg-1-10-233-0-0-26",
                            {"node": "cg-1", "cidr": "10.233.0.0/26", "state": "confirmed"}))
    create(apiserver, secret("cg-bgp", {"tor": "cg-secret"}))
    return apiserver


def test_confgen_once_renders_from_the_api(datastore, tmp_path):
    conf, ready, prom = tmp_path / "bird.conf", tmp_path / "ready", tmp_path / "metrics.prom"
    p = subprocess.run([confgen_bin(), "--once", "--node", "cg-1", "--kubeconfig",
                        datastore.kubeconfig, "--config", str(conf), "--socket", "",
                        "--bird", BIRD, "--debounce-ms", "20", "--ready-file", str(ready),
                        "--metrics-file", str(prom)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    text = conf.read_text()
    assert "protocol bgp Mesh_10_9_0_2 {" in text
    assert "route 10.233.0.0/26 blackhole;" in text
    assert stat.S_IMODE(os.stat(conf).st_mode) == 0o600
    assert ready.exists()
    m = metrics(prom)
    assert m["twill_confgen_applied_total"] == 1 and m["twill_confgen_ready"] == 1
    assert "event=config_applied" in p.stderr


def test_confgen_rejected_render_never_replaces_working_config(datastore, tmp_path):
    # A BIRD stand-in that parses with the real BIRD but refuses any config
    # mentioning 192.0.2.66, as a real BIRD would refuse a config it cannot load.
    picky = tmp_path / "picky-bird"
    picky.write_text("#!/bin/sh\n"
                     "if grep -q 192.0.2.66 \"$3\"; then echo 'bad peer 192.0.2.66' >&2; exit 1; fi\n"
                     f"exec {BIRD} \"$@\"\n")
    picky.chmod(0o755)
    conf, prom = tmp_path / "bird.conf", tmp_path / "metrics.prom"
    proc = subprocess.Popen([confgen_bin(), "--node", "cg-1", "--kubeconfig", datastore.kubeconfig,
                             "--config", str(conf), "--socket", "", "--bird", str(picky),
                             "--debounce-ms", "20", "--metrics-file", str(prom)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    bad = good = None
    try:
        wait_for(lambda: metrics(prom).get("twill_confgen_applied_total", 0) >= 1, "first config")
        working = conf.read_text()
        bad = create(datastore, twill("BGPPeer", "cg-bad", {"peerIP": "192.0.2.66", "asNumber": 65066}))
        wait_for(lambda: metrics(prom).get("twill_confgen_config_rejected_total", 0) >= 1,
                 "the rejection")
        assert conf.read_text() == working
        assert metrics(prom)["twill_confgen_ready"] == 1
        assert [f for f in os.listdir(tmp_path) if ".tmp." in f] == []
        # the next good change goes through (the bad peer removed, another added)
        assert datastore.request("DELETE", bad)[0] == 200
        bad = None
        good = create(datastore, twill("BGPPeer", "cg-good", {
            "peerIP": "10.9.0.254", "asNumber": 65001,
            "password": {"secretKeyRef": {"name": "cg-bgp", "key": "tor"}}}))
        wait_for(lambda: "Peer_10_9_0_254" in conf.read_text(), "the good peer")
        text = conf.read_text()
        assert 'password "cg-secret";' in text and "192.0.2.66" not in text
    finally:
        for path in (bad, good):
            if path:
                datastore.request("DELETE", path)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "event=config_rejected" in err and "bad peer 192.0.2.66" in err
    assert "cg-secret" not in err  # passwords never reach the log


# ---- two real BIRDs in network namespaces, configured only by the renderer ----

def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30, check=check)


@pytest.fixture
def two_node_lab(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    tag = f"tw{os.getpid() % 100000}"
    lab = {"ns": [f"{tag}a", f"{tag}b"], "procs": [], "dir": tmp_path}
    try:
        for ns in lab["ns"]:
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", f"{tag}va", "netns", lab["ns"][0], "type", "veth",
           "peer", "name", f"{tag}vb", "netns", lab["ns"][1])
        for i, (ns, dev) in enumerate(zip(lab["ns"], [f"{tag}va", f"{tag}vb"])):
            sh("ip", "-n", ns, "addr", "add", f"10.9.0.{i + 1}/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
        yield lab
    finally:
        for p in lab["procs"]:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for ns in lab["ns"]:
            sh("ip", "netns", "del", ns, check=False)


def lab_cluster():
    items = [
        twill("BGPConfiguration", "default", {
            "nodeMeshPassword": {"secretKeyRef": {"name": "bgp", "key": "mesh"}},
            "nodeMeshMaxRestartTime": "30s"}),
        node("lab-a", "10.9.0.1/24"), node("lab-b", "10.9.0.2/24"),
        twill("IPPool", "pods", {"cidr": "10.233.0.0/16"}),
        twill("IPPool", "tunnelled", {"cidr": "10.234.0.0/16", "vxlanMode": "Always"}),
        secret("bgp", {"mesh": "lab-md5-secret"}),
    ]
    for n, blocks in {"lab-a": ["10.233.0.0/26", "10.234.0.0/26"],
                      "lab-b": ["10.233.0.64/26"]}.items():
        for b in blocks:
            items.append(twill("BlockAffinity", f"{n}-{b.replace('/', '-')}",
                               {"node": n, "cidr": b, "state": "confirmed"}))
    return {"apiVersion": "v1", "kind": "List", "items": items}


def birdc(sock, *args):
    return sh("birdc", "-s", str(sock), *args, check=False).stdout


def test_two_birds_mesh_and_route_ownership(two_node_lab, tmp_path):
    lab = two_node_lab
    socks = []
    for ns, name in zip(lab["ns"], ["lab-a", "lab-b"]):
        conf = tmp_path / f"{name}.conf"
        conf.write_text(render(tmp_path, name, lab_cluster()))
        sock = tmp_path / f"{name}.ctl"
        lab["procs"].append(subprocess.Popen(
            ["ip", "netns", "exec", ns, BIRD, "-f", "-c", str(conf), "-s", str(sock)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        socks.append(sock)
    # A felix-owned route (protocol twill = 81) on node a must never be advertised.
    sh("ip", "-n", lab["ns"][0], "route", "add", "10.233.0.5/32", "dev", "lo", "proto", "81")

    def established():
        return all("Established" in birdc(s, "show", "protocols", "Mesh_10_9_0_" + peer)
                   for s, peer in zip(socks, ["2", "1"]))
    wait_for(established, "the MD5-protected mesh session", timeout=60)

    def route(ns, prefix):
        return sh("ip", "-n", ns, "route", "show", prefix).stdout.strip()
    wait_for(lambda: route(lab["ns"][1], "10.233.0.0/26") != "", "node a's block on node b")
    assert "via 10.9.0.1" in route(lab["ns"][1], "10.233.0.0/26")
    assert "proto bird" in route(lab["ns"][1], "10.233.0.0/26")
    wait_for(lambda: route(lab["ns"][0], "10.233.0.64/26") != "", "node b's block on node a")
    # own blocks are not learned back; the static blackholes never reach the kernel
    assert route(lab["ns"][0], "10.233.0.0/26") == ""
    # always-tunnelled pool: advertised, but left to felix on the receiving node
    assert "10.234.0.0/26" in birdc(socks[1], "show", "route", "for", "10.234.0.0/26")
    assert route(lab["ns"][1], "10.234.0.0/26") == ""
    # kernel routes of twill/felix never come back as BGP advertisements
    assert "10.233.0.5/32" not in birdc(socks[1], "show", "route", "all")
    assert route(lab["ns"][1], "10.233.0.5/32") == ""


def test_confgen_reconfigures_running_bird(datastore, two_node_lab, tmp_path):
    lab = two_node_lab
    conf, sock, prom = tmp_path / "live.conf", tmp_path / "live.ctl", tmp_path / "m.prom"
    conf.write_text("router id 10.9.0.1;\nprotocol device { }\n")
    lab["procs"].append(subprocess.Popen(
        ["ip", "netns", "exec", lab["ns"][0], BIRD, "-f", "-c", str(conf), "-s", str(sock)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_for(lambda: "device1" in birdc(sock, "show", "protocols"), "BIRD to start")
    assert "Mesh_" not in birdc(sock, "show", "protocols")
    p = subprocess.run([confgen_bin(), "--once", "--node", "cg-1", "--kubeconfig",
                        datastore.kubeconfig, "--config", str(conf), "--socket", str(sock),
                        "--bird", BIRD, "--debounce-ms", "20", "--metrics-file", str(prom)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "reconfigured=true" in p.stderr
    assert metrics(prom)["twill_confgen_reloads_total"] == 1
    assert "Mesh_10_9_0_2" in birdc(sock, "show", "protocols")
