"""twillctl validate and twillctl get, run as the built binary.

The binary is $TWILL_BUILD_DIR/ctl/twillctl (default /work/main/build). validate runs
offline on the examples and the invalid manifests in testdata/invalid, whose header comments
say which field the problem is in (`# expect-field:`) and who rejects it (`# rejected-by:`:
schema = the API server, model = twillctl validate per object, set = twillctl validate across
documents). get runs against the test API server (fixture `apiserver` from conftest.py).
"""

import glob
import json
import os
import re
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("TWILL_BUILD_DIR", os.path.join(ROOT, "build"))
TWILLCTL = os.path.join(BUILD, "ctl", "twillctl")
EXAMPLES = os.path.join(ROOT, "examples")
INVALID = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata", "invalid")

# FILE: doc N[ item M]: Kind "name": path: message
PROBLEM = re.compile(r'^(?P<file>[^:]+): doc (?P<doc>\d+(?: item \d+)?): (?P<kind>\w+) '
                     r'"(?P<name>[^"]*)": (?P<path>[^ :]+): (?P<msg>.+)$')

pytestmark = pytest.mark.skipif(not os.access(TWILLCTL, os.X_OK),
                                reason="twillctl not built in %s" % BUILD)


def twillctl(*args, input=None):
    return subprocess.run([TWILLCTL, *args], input=input, capture_output=True, text=True,
                          timeout=120)


def problems(stdout):
    return [m.groupdict() for m in map(PROBLEM.match, stdout.splitlines()) if m]


def invalid_cases():
    cases = []
    for path in sorted(glob.glob(os.path.join(INVALID, "*.yaml"))):
        text = open(path).read()
        field = re.search(r"^# expect-field: (\S+)", text, re.M).group(1)
        by = set(re.search(r"^# rejected-by: (.+)$", text, re.M).group(1).split())
        cases.append((path, field, by))
    return cases


# ---------------------------------------------------------------- validate


def test_examples_are_valid():
    r = twillctl("validate", "-f", EXAMPLES)
    assert r.returncode == 0, r.stdout + r.stderr
    n = len(glob.glob(os.path.join(EXAMPLES, "*.yaml")))
    assert r.stdout.strip() == "%d objects in %d files valid" % (n, n)


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(EXAMPLES, "*.yaml"))),
                         ids=os.path.basename)
def test_each_example_alone_is_valid(path):
    r = twillctl("validate", "-f", path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("1 object in 1 file valid")


@pytest.mark.parametrize("case", invalid_cases(), ids=lambda c: os.path.basename(c[0]))
def test_invalid_manifest_reported_with_field(case):
    path, field, _ = case
    r = twillctl("validate", "-f", path)
    assert r.returncode == 1, r.stdout + r.stderr
    found = problems(r.stdout)
    assert found, r.stdout
    # every line follows the documented format and names this file
    assert all(p["file"] == path for p in found)
    assert len(found) == len([line for line in r.stdout.splitlines() if line.strip()])
    assert any(field in p["path"] for p in found), r.stdout
    assert "problem" in r.stderr


def test_stdin_and_document_numbers():
    good = open(os.path.join(EXAMPLES, "ippool-default.yaml")).read()
    bad = open(os.path.join(INVALID, "ippool-bad-ipipmode.yaml")).read()
    r = twillctl("validate", "-f", "-", input=good + "---\n" + bad)
    assert r.returncode == 1
    [p] = problems(r.stdout)
    assert (p["file"], p["doc"], p["kind"], p["name"], p["path"]) == \
        ("-", "2", "IPPool", "bad-ipipmode", "spec.ipipMode")
    assert "Sometimes" in p["msg"]


def test_list_document_items():
    items = [{"apiVersion": "twill.dev/v1", "kind": "IPPool", "metadata": {"name": n},
              "spec": {"cidr": c}} for n, c in (("l1", "10.70.0.0/16"), ("l2", "10.70.1.0/24"))]
    doc = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    r = twillctl("validate", "-f", "-", input=doc)
    assert r.returncode == 1
    [p] = problems(r.stdout)
    assert (p["doc"], p["name"], p["path"]) == ("1 item 2", "l2", "spec.cidr")
    items[1]["spec"]["cidr"] = "10.71.0.0/16"
    r = twillctl("validate", "-f", "-", input=json.dumps({"kind": "IPPoolList", "items": items}))
    assert r.returncode == 0, r.stdout
    assert r.stdout.startswith("2 objects in 1 file valid")


def test_every_problem_reported_not_just_the_first():
    manifest = """apiVersion: twill.dev/v1
kind: IPPool
metadata:
  name: many-problems
spec:
  cidr: 10.1.0.0/16
  ipipMode: Sometimes
  vxlanMode: Rarely
  blockSize: 40
"""
    r = twillctl("validate", "-f", "-", input=manifest)
    assert r.returncode == 1
    paths = {p["path"] for p in problems(r.stdout)}
    assert {"spec.ipipMode", "spec.vxlanMode", "spec.blockSize"} <= paths


def test_several_files_only_bad_ones_reported():
    bad = os.path.join(INVALID, "bgppeer-bad-asnumber.yaml")
    r = twillctl("validate", "-f", EXAMPLES, "-f", bad)
    assert r.returncode == 1
    assert {p["file"] for p in problems(r.stdout)} == {bad}


def test_overlap_across_files(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("apiVersion: twill.dev/v1\nkind: IPPool\nmetadata: {name: pool-a}\n"
                 "spec: {cidr: 10.60.0.0/16}\n")
    b.write_text("apiVersion: twill.dev/v1\nkind: IPPool\nmetadata: {name: pool-b}\n"
                 "spec: {cidr: 10.60.7.0/24}\n")
    assert twillctl("validate", "-f", str(a)).returncode == 0
    assert twillctl("validate", "-f", str(b)).returncode == 0
    r = twillctl("validate", "-f", str(a), "-f", str(b))
    assert r.returncode == 1
    [p] = problems(r.stdout)
    assert (p["file"], p["name"], p["path"]) == (str(b), "pool-b", "spec.cidr")
    assert "pool-a" in p["msg"]
    # a disabled pool may overlap
    b.write_text("apiVersion: twill.dev/v1\nkind: IPPool\nmetadata: {name: pool-b}\n"
                 "spec: {cidr: 10.60.7.0/24, disabled: true}\n")
    assert twillctl("validate", "-f", str(a), "-f", str(b)).returncode == 0


def test_peer_family_checked_against_given_nodes(tmp_path):
    node = tmp_path / "node.yaml"
    node.write_text("""apiVersion: v1
kind: Node
metadata:
  name: node-1
  annotations:
    twill.dev/ipv4Address: 10.0.0.2/24
""")
    peer = tmp_path / "peer.yaml"
    peer.write_text("""apiVersion: twill.dev/v1
kind: BGPPeer
metadata:
  name: v6-router
spec:
  peerIP: "fd00::1"
  asNumber: 65001
""")
    assert twillctl("validate", "-f", str(peer)).returncode == 0
    r = twillctl("validate", "-f", str(node), "-f", str(peer))
    assert r.returncode == 1
    [p] = problems(r.stdout)
    assert (p["file"], p["kind"], p["path"]) == (str(peer), "BGPPeer", "spec.peerIP")


def test_json_input(tmp_path):
    doc = {"apiVersion": "twill.dev/v1", "kind": "BGPPeer", "metadata": {"name": "j"},
           "spec": {"peerIP": "192.0.2.1:1179", "asNumber": 65001}}
    f = tmp_path / "peer.json"
    f.write_text(json.dumps(doc))
    r = twillctl("validate", "-f", str(f))
    assert r.returncode == 0, r.stdout
    doc["spec"]["peerIP"] = "192.0.2.1:99999"
    f.write_text(json.dumps(doc))
    r = twillctl("validate", "-f", str(f))
    assert r.returncode == 1
    assert any(p["path"] == "spec.peerIP" for p in problems(r.stdout)), r.stdout


def test_unknown_kind_and_unknown_field(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("apiVersion: twill.dev/v1\nkind: IPPoool\nmetadata: {name: x}\n")
    r = twillctl("validate", "-f", str(f))
    assert r.returncode == 1
    assert "IPPoool" in r.stdout
    # an unknown field is a warning: the API server would prune it silently
    f.write_text("apiVersion: twill.dev/v1\nkind: IPPool\nmetadata: {name: x}\n"
                 "spec: {cidr: 10.7.0.0/16, ipipmode: Always}\n")
    r = twillctl("validate", "-f", str(f))
    assert r.returncode == 0, r.stdout
    assert "ipipmode" in r.stdout and "warning" in r.stdout


def test_bad_input_and_usage(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("apiVersion: twill.dev/v1\nkind: IPPool\nmetadata: {name: [x\n")
    r = twillctl("validate", "-f", str(f))
    assert r.returncode == 1
    assert "not valid YAML" in r.stdout and "line" in r.stdout
    r = twillctl("validate", "-f", str(tmp_path / "missing.yaml"))
    assert r.returncode == 1 and "cannot read" in r.stdout
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n---\n")
    r = twillctl("validate", "-f", str(empty))
    assert r.returncode == 1 and "no documents" in r.stdout
    assert twillctl("validate").returncode == 2
    assert twillctl("validate", "examples").returncode == 2
    assert twillctl("validate", "--bogus").returncode == 2
    r = twillctl("validate", "--help")
    assert r.returncode == 0 and "usage" in r.stdout


# ---------------------------------------------------------------- get


def _kubeconfig(api):
    for attr in ("kubeconfig", "kubeconfig_path"):
        if getattr(api, attr, None):
            return str(getattr(api, attr))
    pytest.skip("apiserver fixture exposes no kubeconfig path")


@pytest.fixture
def cluster(apiserver):
    """API server with the CRDs and all examples applied; removed again afterwards."""
    apiserver.apply_crds()
    r = apiserver.kubectl("apply", "-f", EXAMPLES, check=False)
    assert r.returncode == 0, r.stderr
    try:
        yield apiserver, _kubeconfig(apiserver)
    finally:
        apiserver.kubectl("delete", "--ignore-not-found", "--wait=false", "-f", EXAMPLES,
                          check=False)


def test_get_table_like_kubectl(cluster):
    _, kc = cluster
    r = twillctl("get", "ippools", "--kubeconfig", kc)
    assert r.returncode == 0, r.stderr
    header, *rows = r.stdout.splitlines()
    assert header.split() == ["NAME", "CIDR", "BLOCKSIZE", "IPIP", "VXLAN", "NAT", "DISABLED",
                              "AGE"]
    by_name = {row.split()[0]: row.split() for row in rows}
    assert by_name["default-ipv4-ippool"][1:7] == ["10.244.0.0/16", "26", "Never",
                                                   "CrossSubnet", "true", "false"]
    # schema defaults are shown; blockSize is absent on the v6 pool
    assert by_name["default-ipv6-ippool"][1:4] == ["fd00:10:244::/48", "<none>", "Never"]
    # columns line up: every row has the CIDR column where the header has it
    col = header.index("CIDR")
    assert all(row[col - 1] == " " and row[col] != " " for row in rows)
    r = twillctl("get", "twpool", "-o", "wide", "--kubeconfig", kc)
    assert "NODESELECTOR" in r.stdout.splitlines()[0] and "all()" in r.stdout


def test_get_one_object_json_and_yaml(cluster):
    _, kc = cluster
    r = twillctl("get", "bgppeer", "rack1-tor", "-o", "json", "--kubeconfig", kc)
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["kind"] == "BGPPeer" and obj["spec"]["peerIP"] == "192.0.2.1"
    assert obj["spec"]["sourceAddress"] == "UseNodeIP"  # filled in by the schema default
    r = twillctl("get", "twpeer", "rack1-tor", "-o", "yaml", "--kubeconfig", kc)
    assert r.returncode == 0, r.stderr
    assert "kind: BGPPeer" in r.stdout and "asNumber: 65001" in r.stdout
    # what -o yaml prints validates again, one object or a list
    r2 = twillctl("validate", "-f", "-", input=r.stdout)
    assert r2.returncode == 0, r2.stdout
    r = twillctl("get", "twill", "-o", "yaml", "--kubeconfig", kc)
    assert r.returncode == 0, r.stderr
    r2 = twillctl("validate", "-f", "-", input=r.stdout)
    assert r2.returncode == 0, r2.stdout
    n = len(glob.glob(os.path.join(EXAMPLES, "*.yaml")))
    assert r2.stdout.startswith("%d objects in 1 file valid" % n)


def test_get_list_json_and_category(cluster):
    _, kc = cluster
    r = twillctl("get", "ippools.twill.dev", "-o", "json", "--kubeconfig", kc)
    assert r.returncode == 0, r.stderr
    names = {i["metadata"]["name"] for i in json.loads(r.stdout)["items"]}
    assert names == {"default-ipv4-ippool", "default-ipv6-ippool"}
    r = twillctl("get", "twill", "-o", "name", "--kubeconfig", kc)
    assert r.returncode == 0, r.stderr
    listed = set(r.stdout.split())
    assert "ippool.twill.dev/default-ipv4-ippool" in listed
    assert "ipamblock.twill.dev/10-244-0-0-26" in listed
    assert len(listed) == len(glob.glob(os.path.join(EXAMPLES, "*.yaml")))
    r = twillctl("get", "twill", "--kubeconfig", kc)
    assert r.returncode == 0
    assert "blockaffinity.twill.dev/node-1-10-244-0-0-26" in r.stdout
    assert r.stdout.count("NAME ") == 8  # one table per kind


def test_get_label_selector(cluster):
    api, kc = cluster
    api.kubectl("label", "ippool", "default-ipv6-ippool", "family=v6")
    r = twillctl("get", "ippools", "-l", "family=v6", "-o", "name", "--kubeconfig", kc)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["ippool.twill.dev/default-ipv6-ippool"]
    r = twillctl("get", "ippools", "-l", "family=v4", "--kubeconfig", kc)
    assert r.returncode == 0 and r.stdout == "" and "No resources found" in r.stderr


def test_get_errors(cluster, tmp_path):
    _, kc = cluster
    r = twillctl("get", "ippool", "nope", "--kubeconfig", kc)
    assert r.returncode == 1 and "NotFound" in r.stderr and "nope" in r.stderr
    assert twillctl("get", "pools", "--kubeconfig", kc).returncode == 2
    assert twillctl("get", "ippools", "-o", "toml", "--kubeconfig", kc).returncode == 2
    assert twillctl("get", "--kubeconfig", kc).returncode == 2
    r = twillctl("get", "ippools", "--kubeconfig", str(tmp_path / "missing"))
    assert r.returncode == 1 and r.stderr
