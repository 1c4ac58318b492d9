"""Acceptance: real kubectl 1.31 against the test API server with twill's CRD manifests."""

import json
import os
import queue
import threading
import time

import pytest

POOL = """apiVersion: twill.dev/v1
kind: IPPool
metadata:
  name: {name}
  labels: {{tier: {tier}}}
spec:
  cidr: {cidr}
{extra}"""


def _pool(name, cidr, tier="a", extra=""):
    return POOL.format(name=name, cidr=cidr, tier=tier, extra=extra)


def _quiet(cp):
    """kubectl must not print warnings (unknown fields, openapi fallbacks, discovery...)."""
    assert cp.stderr.strip() == "", cp.stderr
    return cp


@pytest.fixture(scope="module")
def crds(apiserver):
    files = apiserver.apply_crds()
    assert files
    return files


def test_crds_are_served_and_established(apiserver, crds):
    out = json.loads(_quiet(apiserver.kubectl("get", "crd", "ippools.twill.dev", "-o", "json")).stdout)
    conds = {c["type"]: c["status"] for c in out["status"]["conditions"]}
    assert conds["Established"] == "True" and conds["NamesAccepted"] == "True"
    res = _quiet(apiserver.kubectl("api-resources", "--api-group=twill.dev", "-o", "name")).stdout
    assert "ippools.twill.dev" in res.split()
    _quiet(apiserver.kubectl("wait", "--for=condition=Established", "crd/ippools.twill.dev",
                             "--timeout=10s"))


def test_apply_get_defaults_and_reapply(apiserver, crds):
    cp = _quiet(apiserver.kubectl("apply", "-f", "-", input=_pool("pool-a", "10.10.0.0/16",
                                  extra="  blockSize: 26\n")))
    assert "ippool.twill.dev/pool-a created" in cp.stdout
    obj = json.loads(_quiet(apiserver.kubectl("get", "ippool", "pool-a", "-o", "json")).stdout)
    spec = obj["spec"]
    assert spec["blockSize"] == 26 and spec["cidr"] == "10.10.0.0/16"
    # Defaults from the CRD schema are applied on write.
    assert spec["ipipMode"] == "Never" and spec["vxlanMode"] == "Never"
    assert spec["natOutgoing"] is False and spec["nodeSelector"] == "all()"
    # Re-applying a changed manifest goes through GET + PATCH with the last-applied annotation.
    cp = _quiet(apiserver.kubectl("apply", "-f", "-", input=_pool(
        "pool-a", "10.10.0.0/16", extra="  blockSize: 27\n  natOutgoing: true\n")))
    assert "configured" in cp.stdout
    obj = json.loads(apiserver.kubectl("get", "ippool", "pool-a", "-o", "json").stdout)
    assert obj["spec"]["blockSize"] == 27 and obj["spec"]["natOutgoing"] is True
    assert obj["metadata"]["generation"] == 2
    cp = _quiet(apiserver.kubectl("apply", "-f", "-", input=_pool(
        "pool-a", "10.10.0.0/16", extra="  blockSize: 27\n  natOutgoing: true\n")))
    assert "unchanged" in cp.stdout
    table = _quiet(apiserver.kubectl("get", "ippools")).stdout
    header = table.splitlines()[0].split()
    assert header[:3] == ["NAME", "CIDR", "BLOCKSIZE"]
    assert any(line.split()[:3] == ["pool-a", "10.10.0.0/16", "27"] for line in table.splitlines())


def test_label_selector(apiserver, crds):
    _quiet(apiserver.kubectl("apply", "-f", "-", input=_pool("sel-1", "10.21.0.0/16", "gold")))
    _quiet(apiserver.kubectl("apply", "-f", "-", input=_pool("sel-2", "10.22.0.0/16", "silver")))
    _quiet(apiserver.kubectl("apply", "-f", "-", input=_pool("sel-3", "10.23.0.0/16", "gold")))
    cp = _quiet(apiserver.kubectl("get", "ippools", "-l", "tier=gold", "-o", "name"))
    assert sorted(cp.stdout.split()) == ["ippool.twill.dev/sel-1", "ippool.twill.dev/sel-3"]
    cp = _quiet(apiserver.kubectl("get", "ippools", "-l", "tier in (silver)", "-o",
                                  "jsonpath={.items[*].metadata.name}"))
    assert cp.stdout.split() == ["sel-2"]
    cp = _quiet(apiserver.kubectl("get", "ippools", "-l", "tier=none", "-o", "name"))
    assert cp.stdout.strip() == ""


def test_patch_merge_and_delete(apiserver, crds):
    _quiet(apiserver.kubectl("apply", "-f", "-", input=_pool("patched", "10.30.0.0/16")))
    cp = _quiet(apiserver.kubectl("patch", "ippool", "patched", "--type=merge",
                                  "-p", '{"spec":{"disabled":true}}'))
    assert "patched" in cp.stdout
    obj = json.loads(apiserver.kubectl("get", "ippool", "patched", "-o", "json").stdout)
    assert obj["spec"]["disabled"] is True and obj["spec"]["cidr"] == "10.30.0.0/16"
    cp = apiserver.kubectl("patch", "ippool", "patched", "--type=merge",
                           "-p", '{"spec":{"vxlanMode":"Sometimes"}}', check=False)
    assert cp.returncode != 0 and "spec.vxlanMode" in cp.stderr
    _quiet(apiserver.kubectl("delete", "ippool", "patched"))
    cp = apiserver.kubectl("get", "ippool", "patched", check=False)
    assert cp.returncode != 0 and 'ippools.twill.dev "patched" not found' in cp.stderr


@pytest.mark.parametrize("extra,field,words", [
    ("  ipipMode: Sometimes\n", "spec.ipipMode",
     ['Unsupported value: "Sometimes"', '"Never", "Always", "CrossSubnet"']),
    ("  blockSize: 200\n", "spec.blockSize", ["less than or equal to 128"]),
    ("  blockSize: big\n", "spec.blockSize", ["must be of type integer"]),
    ("  ipipMode: Always\n  vxlanMode: Always\n", "spec",
     ["ipipMode and vxlanMode may not both be enabled"]),  # the CRD's CEL rule
])
def test_schema_violation_is_rejected_naming_the_field(apiserver, crds, extra, field, words):
    cp = apiserver.kubectl("apply", "-f", "-", input=_pool("bad", "10.40.0.0/16", extra=extra),
                           check=False)
    assert cp.returncode != 0
    assert 'The IPPool "bad" is invalid' in cp.stderr and field in cp.stderr, cp.stderr
    for w in words:
        assert w in cp.stderr
    assert apiserver.kubectl("get", "ippool", "bad", check=False).returncode != 0


def test_missing_required_and_unknown_field(apiserver, crds):
    cp = apiserver.kubectl("apply", "-f", "-", check=False, input=(
        "apiVersion: twill.dev/v1\nkind: IPPool\nmetadata: {name: nocidr}\nspec: {blockSize: 26}\n"))
    assert cp.returncode != 0 and "spec.cidr: Required value" in cp.stderr
    cp = apiserver.kubectl("apply", "-f", "-", check=False,
                           input=_pool("unknown", "10.50.0.0/16", extra="  bogus: 1\n"))
    assert cp.returncode != 0 and 'unknown field "spec.bogus"' in cp.stderr


def _reader(stream, q):
    for line in stream:
        q.put(line)
    q.put(None)


def test_watch_sees_added_modified_deleted(apiserver, crds):
    proc = apiserver.kubectl_popen("get", "ippools", "--watch", "-o", "json",
                                   "--output-watch-events")
    q = queue.Queue()
    t = threading.Thread(target=_reader, args=(proc.stdout, q), daemon=True)
    t.start()
    try:
        time.sleep(1.0)  # let kubectl list and start watching before the changes
        _quiet(apiserver.kubectl("apply", "-f", "-", input=_pool("watched", "10.60.0.0/16")))
        _quiet(apiserver.kubectl("patch", "ippool", "watched", "--type=merge",
                                 "-p", '{"spec":{"natOutgoing":true}}'))
        _quiet(apiserver.kubectl("delete", "ippool", "watched"))
        events, buf, deadline = [], "", time.monotonic() + 30
        decoder = json.JSONDecoder()
        while time.monotonic() < deadline and not any(e[0] == "DELETED" for e in events):
            try:
                line = q.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            buf += line
            # -o json prints pretty multi-line documents: decode whole ones as they complete.
            while buf.strip():
                try:
                    ev, end = decoder.raw_decode(buf.lstrip())
                except ValueError:
                    break
                buf = buf.lstrip()[end:]
                if ev["object"]["metadata"]["name"] == "watched":
                    events.append((ev["type"], ev["object"]["spec"].get("natOutgoing")))
        assert [e[0] for e in events] == ["ADDED", "MODIFIED", "DELETED"], events
        assert events[1][1] is True
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except Exception:
            proc.kill()
            proc.wait()
        stderr = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    assert stderr.strip() == "", stderr


def test_builtin_apply_uses_strategic_merge(apiserver):
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: smp, namespace: default}\n"
          "data: {a: '1', b: '2'}\n")
    _quiet(apiserver.kubectl("apply", "-f", "-", input=cm))
    _quiet(apiserver.kubectl("apply", "-f", "-", input=cm.replace("b: '2'", "c: '3'")))
    out = json.loads(apiserver.kubectl("get", "cm", "smp", "-o", "json").stdout)
    assert out["data"] == {"a": "1", "c": "3"}
    ds = """apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node, namespace: kube-system}
spec:
  selector: {matchLabels: {app: node}}
  template:
    metadata: {labels: {app: node}}
    spec:
      containers:
      - {name: felix, image: "twill:1", env: [{name: A, value: "1"}]}
      - {name: confgen, image: "twill:1"}
"""
    _quiet(apiserver.kubectl("apply", "-f", "-", input=ds))
    ds2 = ds.replace('{name: felix, image: "twill:1", env: [{name: A, value: "1"}]}',
                     '{name: felix, image: "twill:2", env: [{name: A, value: "1"}, {name: B, value: "2"}]}')
    assert "configured" in _quiet(apiserver.kubectl("apply", "-f", "-", input=ds2)).stdout
    out = json.loads(apiserver.kubectl("get", "ds", "-n", "kube-system", "node", "-o", "json").stdout)
    cs = out["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in cs] == [("felix", "twill:2"), ("confgen", "twill:1")]
    assert [e["name"] for e in cs[0]["env"]] == ["A", "B"]


def test_request_log_records_kubectl_verbs(apiserver, crds):
    with open(apiserver.request_log) as f:
        recs = [json.loads(line) for line in f]
    verbs = {(r["verb"], r["resource"]) for r in recs if r["resource"] == "ippools"}
    assert {("create", "ippools"), ("patch", "ippools"), ("delete", "ippools"),
            ("watch", "ippools"), ("list", "ippools"), ("get", "ippools")} <= verbs
    assert all(r["user"] == "admin" for r in recs if r["resource"] == "ippools")
    assert os.path.getsize(apiserver.request_log) > 0


def test_helm_install_upgrade_uninstall(apiserver, crds):
    chart = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "apiserver", "testdata", "tiny-chart")
    cp = apiserver.helm("install", "tiny", chart)
    assert "STATUS: deployed" in cp.stdout
    cp = apiserver.helm("upgrade", "tiny", chart, "--set", "cidr=10.78.0.0/16")
    assert "REVISION: 2" in cp.stdout
    pool = json.loads(apiserver.kubectl("get", "ippool", "tiny-pool", "-o", "json").stdout)
    assert pool["spec"]["cidr"] == "10.78.0.0/16"
    ds = json.loads(apiserver.kubectl("get", "ds", "tiny-ds", "-o", "json").stdout)
    assert ds["spec"]["template"]["spec"]["containers"][0]["image"] == "x:10.78.0.0-16"
    # Helm keeps releases in Secrets, written by client-go in protobuf.
    secrets = apiserver.kubectl("get", "secrets", "-l", "owner=helm,name=tiny", "-o", "name").stdout
    assert sorted(secrets.split()) == ["secret/sh.helm.release.v1.tiny.v1",
                                       "secret/sh.helm.release.v1.tiny.v2"]
    assert "deployed" in apiserver.helm("list").stdout
    apiserver.helm("uninstall", "tiny")
    assert apiserver.kubectl("get", "ippool", "tiny-pool", check=False).returncode != 0
    assert apiserver.kubectl("get", "secrets", "-l", "owner=helm", "-o", "name").stdout.strip() == ""


def test_server_side_apply_and_delete_by_label(apiserver, crds):
    y = _pool("ssa", "10.90.0.0/16", "ssa")
    assert "serverside-applied" in _quiet(apiserver.kubectl("apply", "--server-side", "-f", "-",
                                                            input=y)).stdout
    _quiet(apiserver.kubectl("apply", "--server-side", "-f", "-",
                             input=y.replace("10.90.0.0/16", "10.91.0.0/16")))
    cp = _quiet(apiserver.kubectl("get", "ippool", "ssa", "-o", "jsonpath={.spec.cidr}"))
    assert cp.stdout == "10.91.0.0/16"
    assert 'ippool.twill.dev "ssa" deleted' in \
        _quiet(apiserver.kubectl("delete", "ippools", "-l", "tier=ssa")).stdout
    assert apiserver.kubectl("get", "ippool", "ssa", check=False).returncode != 0
