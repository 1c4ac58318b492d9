"""twill-ipam, the CNI IPAM plugin, against the test API server: ADD/CHECK/DEL in every
supported cniVersion, pools from the config and from pod/namespace annotations, DEL
idempotence, the error objects (exhausted, no pool, unreachable, TLS, 401, bad config), the
steady-state request budget of an ADD/DEL (read from the API server's request log) and the
per-node host lock (ipam.lock_dir, a private temporary directory here)."""

import fcntl
import ipaddress
import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse
import uuid

import pytest

from conftest import build_dir

API = "/apis/twill.dev/v1/"


def plugin():
    path = os.path.join(build_dir(), "ipam", "twill-ipam")
    if not os.path.exists(path):
        pytest.skip("%s not built (set TWILL_BUILD_DIR)" % path)
    return path


LOCK_DIR = None  # the module's private ipam.lock_dir


@pytest.fixture(scope="module")
def api(apiserver):
    global LOCK_DIR
    apiserver.apply_crds()
    LOCK_DIR = tempfile.mkdtemp(prefix="twill-ipam-lock-")
    try:
        yield apiserver
    finally:
        shutil.rmtree(LOCK_DIR, ignore_errors=True)


def netconf(kubeconfig, version="1.0.0", **ipam):
    conf = {"cniVersion": version, "name": "testnet", "type": "twill-cni",
            "ipam": dict({"type": "twill-ipam", "kubeconfig": kubeconfig,
                          "nodename": "plug-node", "lock_dir": LOCK_DIR}, **ipam)}
    return conf


def run(command, conf, container, args=None, env_extra=None):
    env = {"PATH": "/usr/bin:/bin", "CNI_COMMAND": command, "CNI_CONTAINERID": container,
           "CNI_NETNS": "/var/run/netns/none", "CNI_IFNAME": "eth0", "CNI_PATH": "/nonexistent"}
    if args:
        env["CNI_ARGS"] = ";".join("%s=%s" % kv for kv in args.items())
    env.update(env_extra or {})
    p = subprocess.run([plugin()], input=json.dumps(conf), capture_output=True, text=True,
                       env=env, timeout=120)
    out = json.loads(p.stdout) if p.stdout.strip() else None
    return p.returncode, out, p.stderr


def create(api, plural, body, ns=None):
    path = ("/api/v1/namespaces/%s/%s" % (ns, plural)) if ns else \
        (("/api/v1/" if plural in ("namespaces", "nodes") else API) + plural)
    status, obj = api.request("POST", path, body)
    assert status in (201, 409), obj


def items(api, plural):
    status, obj = api.request("GET", API + plural)
    assert status == 200, obj
    return obj["items"]


@pytest.fixture
def pools(api):
    made = []

    def add(name, cidr, block_size):
        create(api, "ippools", {"apiVersion": "twill.dev/v1", "kind": "IPPool",
                                "metadata": {"name": name},
                                "spec": {"cidr": cidr, "blockSize": block_size}})
        made.append(name)

    try:
        yield add
    finally:
        for name in made:
            api.request("DELETE", API + "ippools/" + name)


@pytest.mark.parametrize("version", ["0.3.1", "0.4.0", "1.0.0", "1.1.0"])
def test_add_check_del_every_version(api, pools, version):
    pools("plug-%s" % version.replace(".", ""), "10.60.%d.0/24" % int(version.replace(".", "")),
          28)
    conf = netconf(api.kubeconfig, version,
                   ipv4_pools=["plug-%s" % version.replace(".", "")])
    cid = "c" + uuid.uuid4().hex
    rc, out, err = run("ADD", conf, cid)
    assert rc == 0, (out, err)
    assert out["cniVersion"] == version
    assert len(out["ips"]) == 1
    addr = ipaddress.ip_interface(out["ips"][0]["address"])
    assert addr.network.prefixlen == 32
    assert addr.ip in ipaddress.ip_network("10.60.%d.0/24" % int(version.replace(".", "")))
    assert ("version" in out["ips"][0]) == (version < "1.0.0")
    assert out["routes"] == [{"dst": "0.0.0.0/0"}]
    blocks = items(api, "ipamblocks")
    holders = [a["handle_id"] for b in blocks for a in b["spec"]["attributes"]]
    assert holders == ["testnet." + cid]

    if version >= "0.4.0":
        check = dict(conf, prevResult=out)
        rc, cout, err = run("CHECK", check, cid)
        assert rc == 0, (cout, err)
        # CHECK with an address the handle does not hold fails
        bad = json.loads(json.dumps(out))
        bad["ips"][0]["address"] = "10.60.%d.5/32" % int(version.replace(".", ""))
        rc, cout, err = run("CHECK", dict(conf, prevResult=bad), cid)
        assert rc != 0 and "not allocated" in cout["msg"], cout
    else:
        rc, cout, _ = run("CHECK", dict(conf, prevResult=out), cid)
        assert rc != 0 and cout["code"] == 1, cout

    rc, out2, err = run("DEL", conf, cid)
    assert rc == 0 and out2 is None, (out2, err)
    assert items(api, "ipamhandles") == []
    # DEL is idempotent
    rc, out2, err = run("DEL", conf, cid)
    assert rc == 0, (out2, err)


def test_annotations_override_config_and_attributes(api, pools):
    pools("ann-a", "10.61.0.0/24", 28)
    pools("ann-b", "10.61.1.0/24", 28)
    create(api, "namespaces", {"apiVersion": "v1", "kind": "Namespace",
                               "metadata": {"name": "annns", "annotations": {
                                   "twill.dev/ipv4pools": '["ann-b"]'}}})
    create(api, "pods", {"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": "p1", "namespace": "annns"},
                         "spec": {"containers": [{"name": "c", "image": "x"}]}}, ns="annns")
    create(api, "pods", {"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": "p2", "namespace": "annns", "annotations": {
                             "twill.dev/ipv4pools": '["10.61.0.0/24"]'}},
                         "spec": {"containers": [{"name": "c", "image": "x"}]}}, ns="annns")
    conf = netconf(api.kubeconfig, ipv4_pools=["ann-a"])
    got = {}
    for pod in ("p1", "p2"):
        cid = "c" + uuid.uuid4().hex
        rc, out, err = run("ADD", conf, cid, args={"K8S_POD_NAMESPACE": "annns",
                                                   "K8S_POD_NAME": pod})
        assert rc == 0, (out, err)
        got[pod] = (cid, ipaddress.ip_interface(out["ips"][0]["address"]).ip)
    assert got["p1"][1] in ipaddress.ip_network("10.61.1.0/24")   # namespace's
    assert got["p2"][1] in ipaddress.ip_network("10.61.0.0/24")   # pod's own
    attrs = [a for b in items(api, "ipamblocks") for a in b["spec"]["attributes"]]
    sec = {a["handle_id"]: a["secondary"] for a in attrs}
    stamp = sec["testnet." + got["p1"][0]].pop("timestamp")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp), stamp
    assert sec["testnet." + got["p1"][0]] == {"namespace": "annns", "pod": "p1",
                                              "node": "plug-node"}
    for pod in ("p1", "p2"):
        assert run("DEL", conf, got[pod][0])[0] == 0
    # a malformed annotation is an error, never a silent fallback
    create(api, "pods", {"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": "p3", "namespace": "annns", "annotations": {
                             "twill.dev/ipv4pools": 'ann-a'}},
                         "spec": {"containers": [{"name": "c", "image": "x"}]}}, ns="annns")
    rc, out, _ = run("ADD", conf, "c3", args={"K8S_POD_NAMESPACE": "annns", "K8S_POD_NAME": "p3"})
    assert rc != 0 and "twill.dev/ipv4pools" in out["msg"], out
    assert items(api, "ipamhandles") == []


def test_exhausted_and_no_pool_errors(api, pools):
    pools("plug-tiny", "10.62.0.0/31", 31)
    conf = netconf(api.kubeconfig, ipv4_pools=["plug-tiny"])
    for i in range(2):
        assert run("ADD", conf, "ex%d" % i)[0] == 0
    rc, out, _ = run("ADD", conf, "ex2")
    assert rc != 0 and out["code"] == 100, out
    assert 'pool "plug-tiny" (10.62.0.0/31, 2 addresses' in out["msg"]
    assert "2 addresses in use" in out["msg"]
    rc, out, _ = run("ADD", netconf(api.kubeconfig, ipv4_pools=["nosuch"]), "np0")
    assert rc != 0 and out["code"] == 101 and "nosuch" in out["msg"], out
    for i in range(2):
        assert run("DEL", conf, "ex%d" % i)[0] == 0
    assert items(api, "ipamhandles") == []


def write_kubeconfig(api, tmp_path, server=None, token=None, ca=None):
    text = open(api.kubeconfig).read()
    cfg = tmp_path / ("kc-%s" % uuid.uuid4().hex)
    if server:
        text = text.replace(api.url, server)
    if token is not None:
        text = text.replace(api.token, token)
    if ca:
        shutil.copy(ca, tmp_path / "other-ca.crt")
        text = text.replace(api.ca_file, str(tmp_path / "other-ca.crt"))
    cfg.write_text(text)
    return str(cfg)


def test_api_errors_are_clear(api, tmp_path):
    # connection refused: a port nobody listens on
    kc = write_kubeconfig(api, tmp_path, server="https://127.0.0.1:1")
    rc, out, _ = run("ADD", netconf(kc), "e1")
    assert rc != 0 and out["code"] == 11, out
    assert out["msg"].startswith("API server unreachable at https://127.0.0.1:1: "
                                 "connection refused"), out
    # wrong token
    kc = write_kubeconfig(api, tmp_path, token="not-the-token")
    rc, out, _ = run("ADD", netconf(kc), "e2")
    assert rc != 0 and "401 Unauthorized" in out["msg"] and "token" in out["msg"], out
    # a CA that did not sign the server's certificate
    other = tmp_path / "ca-other.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=other", "-keyout", str(tmp_path / "k.pem"), "-out",
                    str(other)], check=True, capture_output=True)
    text = open(api.kubeconfig).read()
    assert api.ca_file in text or "certificate-authority-data" in text
    if api.ca_file in text:
        kc = write_kubeconfig(api, tmp_path, ca=str(other))
        rc, out, _ = run("ADD", netconf(kc), "e3")
        assert rc != 0 and out["msg"].startswith("TLS error talking to "), out
        assert "CA" in out["msg"]


def requests_since(api, offset):
    with open(api.request_log) as f:
        f.seek(offset)
        return [json.loads(line) for line in f if line.strip()]


def test_steady_state_request_budget(api, pools):
    """Once the node holds a block with room, an ADD is 4 requests (list pools, list the
    node's blocks by label, create the handle, one block update) and a DEL 4 (read the
    handle, read and update the block, delete the handle), with no conflict."""
    pools("budget", "10.64.0.0/24", 26)
    conf = netconf(api.kubeconfig, ipv4_pools=["budget"])
    rc, out, err = run("ADD", conf, "budget-0")  # claims the block
    assert rc == 0, (out, err)
    blocks = [b for b in items(api, "ipamblocks") if b["spec"]["cidr"] == "10.64.0.0/26"]
    assert blocks[0]["metadata"]["labels"] == {"twill.dev/node": "plug-node"}
    for i in range(1, 4):
        offset = os.path.getsize(api.request_log)
        rc, out, err = run("ADD", conf, "budget-%d" % i)
        assert rc == 0, (out, err)
        reqs = requests_since(api, offset)
        assert [(r["verb"], r["resource"], r["code"]) for r in reqs] == [
            ("list", "ippools", 200), ("list", "ipamblocks", 200),
            ("create", "ipamhandles", 201), ("update", "ipamblocks", 200)], reqs
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(reqs[1]["path"]).query)
        assert query["labelSelector"] == ["twill.dev/node=plug-node"], reqs[1]
    handle = [h for h in items(api, "ipamhandles") if h["spec"]["handleID"] == "testnet.budget-3"]
    assert handle[0]["metadata"]["annotations"]["twill.dev/assigned-at"].endswith("Z")
    attrs = [a for b in blocks for a in b["spec"]["attributes"]]
    assert attrs and all(a["secondary"]["timestamp"].endswith("Z") for a in attrs), attrs
    for i in range(4):
        offset = os.path.getsize(api.request_log)
        rc, out, err = run("DEL", conf, "budget-%d" % i)
        assert rc == 0, (out, err)
        reqs = requests_since(api, offset)
        verbs = [(r["verb"], r["resource"]) for r in reqs]
        if i < 3:  # the last DEL also gives the emptied block back
            assert verbs == [("get", "ipamhandles"), ("get", "ipamblocks"),
                             ("update", "ipamblocks"), ("delete", "ipamhandles")], reqs
        assert all(r["code"] < 300 for r in reqs), reqs
    assert [b for b in items(api, "ipamblocks") if b["spec"]["cidr"] == "10.64.0.0/26"] == []


def test_host_lock_timeout_is_clear(api, pools):
    """While another process holds the node's lock, an ADD waits at most timeout_seconds and
    then fails with CNI code 11 naming the lock file; once it is free the ADD goes through."""
    pools("locked", "10.65.0.0/24", 28)
    conf = netconf(api.kubeconfig, ipv4_pools=["locked"], timeout_seconds=1)
    path = os.path.join(LOCK_DIR, "ipam.plug-node.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        rc, out, err = run("ADD", conf, "locked-1")
        assert rc != 0 and out["code"] == 11, (out, err)
        assert path in out["msg"] and "still held" in out["msg"], out
        assert [h for h in items(api, "ipamhandles")
                if h["spec"]["handleID"] == "testnet.locked-1"] == []
    finally:
        os.close(fd)
    rc, out, err = run("ADD", conf, "locked-1")
    assert rc == 0, (out, err)
    rc, out, err = run("DEL", conf, "locked-1")
    assert rc == 0, (out, err)


def test_bad_config_and_version(api):
    rc, out, _ = run("ADD", netconf(api.kubeconfig, assign_ipv4="yes"), "b1")
    assert rc != 0 and out["code"] == 7 and "ipam.assign_ipv4" in out["msg"], out
    rc, out, _ = run("ADD", netconf(api.kubeconfig, ipv4_pools="x"), "b2")
    assert rc != 0 and out["code"] == 7 and "ipam.ipv4_pools" in out["msg"], out
    p = subprocess.run([plugin()], input="", capture_output=True, text=True,
                       env={"CNI_COMMAND": "VERSION"}, timeout=30)
    assert p.returncode == 0
    assert "1.1.0" in json.loads(p.stdout)["supportedVersions"]


def twillctl(api, *args):
    path = os.path.join(build_dir(), "ctl", "twillctl")
    if not os.path.exists(path):
        pytest.skip("twillctl not built")
    return subprocess.run([path, "ipam"] + list(args) + ["--kubeconfig", api.kubeconfig],
                          capture_output=True, text=True, timeout=120)


def test_twillctl_ipam_show_check_gc_release(api, pools):
    pools("ctl-pool", "10.63.0.0/24", 28)
    create(api, "nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "plug-node"}})
    create(api, "namespaces", {"apiVersion": "v1", "kind": "Namespace",
                               "metadata": {"name": "ctlns"}})
    create(api, "pods", {"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": "alive", "namespace": "ctlns"},
                         "spec": {"containers": [{"name": "c", "image": "x"}]}}, ns="ctlns")
    conf = netconf(api.kubeconfig, ipv4_pools=["ctl-pool"])
    ips = {}
    for pod in ("alive", "gone", "manual"):
        rc, out, err = run("ADD", conf, "c-" + pod, args={"K8S_POD_NAMESPACE": "ctlns",
                                                          "K8S_POD_NAME": pod})
        assert rc == 0, (out, err)
        ips[pod] = out["ips"][0]["address"].split("/")[0]
    show = twillctl(api, "show")
    assert show.returncode == 0, show.stderr
    line = [l for l in show.stdout.splitlines() if l.startswith("ctl-pool")][0]
    assert line.split()[1:5] == ["10.63.0.0/24", "3", "256", "1.2%"], line
    assert "plug-node" in show.stdout and "10.63.0.0/28" in show.stdout
    who = twillctl(api, "show", "--ip", ips["alive"])
    assert "handle: testnet.c-alive" in who.stdout and "pod: alive" in who.stdout, who.stdout
    # default grace: the fresh leaks are not counted yet
    chk = twillctl(api, "check")
    assert chk.returncode == 0 and "younger than the grace period" in chk.stdout, chk.stdout
    chk = twillctl(api, "check", "--grace", "0s")
    assert chk.returncode == 1, chk.stdout
    assert "leaked" in chk.stdout and "ip=%s " % ips["gone"] in chk.stdout
    assert "ip=%s " % ips["alive"] not in chk.stdout
    dry = twillctl(api, "gc", "--grace", "0s", "--dry-run")
    assert "would release-handle testnet.c-gone" in dry.stdout, dry.stdout
    assert twillctl(api, "show", "--ip", ips["gone"]).stdout.count("handle: testnet.c-gone") == 1
    # release one address by hand, with a wrong and then the right handle
    rel = twillctl(api, "release", "--ip", ips["manual"], "--handle", "testnet.other")
    assert rel.returncode == 1 and "not held by" in rel.stderr, rel.stderr
    rel = twillctl(api, "release", "--ip", ips["manual"])
    assert rel.returncode == 0 and "released" in rel.stdout, rel.stdout
    gc = twillctl(api, "gc", "--grace", "0s")
    assert gc.returncode == 0 and "release-handle testnet.c-gone" in gc.stdout, gc.stdout
    assert "free" in twillctl(api, "show", "--ip", ips["gone"]).stdout
    chk = twillctl(api, "check", "--grace", "0s")
    assert chk.returncode == 0 and chk.stdout.strip() == "0 problems", chk.stdout
    assert run("DEL", conf, "c-alive")[0] == 0
    assert items(api, "ipamhandles") == []
    api.request("DELETE", "/api/v1/nodes/plug-node")
