"""The lab runs its node processes exactly as the chart's DaemonSet says.

The test renders charts/twill itself (helm template, parsed by kubectl
against the lab's API server) with the values the lab's options mean, and
compares every process the lab started for a node — /proc/PID/cmdline and
/proc/PID/environ — with the DaemonSet's containers after the documented
path mapping (written out here independently of lab/twill_lab/chart.py):
container paths -> the node's directory, the image's /usr/local/bin -> the
lab's image directory, KUBECONFIG -> the node kubeconfig (the one
deliberate env difference). install-cni's output is compared with the
rendered ConfigMap (plus the documented ipam.nodename, and ipam.socket
mapped to the node's var/run/twill, where the ipam-server process
listens). A BGP-off lab runs felix and ipam-server only, felix with backend
none. The pure helpers ($(VAR) expansion, path mapping, the conflist's
host-path mapping and its sun_path limit) are checked without root.
Needs root, helm, kubectl and the twill binaries for the lab parts.
"""

import json
import os
import stat
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "lab"))
from twill_lab import chart  # noqa: E402  (the lab package is not installed)
from twill_lab.lab import LabError  # noqa: E402
from tests.e2e.labcli import LabCli, sh  # noqa: E402

BUILD = os.environ.get("TWILL_BUILD_DIR", os.path.join(REPO, "build-release"))
HELM = "/opt/twill-tools/bin/helm"
KUBECTL = "/opt/twill-tools/bin/kubectl"
NEEDED = [os.path.join(BUILD, sub, name) for sub, name in
          (("cni", "twill-cni"), ("ipam", "twill-ipam"), ("felix", "twill-felix"),
           ("confgen", "twill-confgen"))] + [HELM, KUBECTL, "/usr/sbin/bird"]
# What kubelet (and the lab, standing in for it) gives every container, plus
# the lab's marker and its one deliberate addition.
BASE_ENV = {"PATH", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "KUBECONFIG",
            "TWILL_LAB_OWNER"}
# The entrypoint's container paths, and PWD, which the script's shell exports
# (in the image too) before it execs the daemon.
SCRIPT_VARS = {"SA_DIR", "BIN_SRC", "HOST_BIN", "HOST_NETD", "CONFIG_DIR", "NODENAME_FILE",
               "TOKEN_REFRESH_S", "BIRD_MARKER", "PWD"}

needs_lab = pytest.mark.skipif(
    os.geteuid() != 0 or not all(os.path.exists(p) for p in NEEDED),
    reason="needs root (network namespaces) and " + ", ".join(NEEDED))


# ---------------------------------------------------------------- helpers (no root)

def test_image_bin_links_never_vanish(tmp_path):
    """image_bin() runs for every container started while others exec from it: its links
    must exist at every moment (they were once removed and re-made, and a node's felix
    exec now and then failed with ENOENT in between)."""
    import threading

    class FakeLab:
        def path(self, *parts):
            return os.path.join(str(tmp_path), *parts)

    lab = FakeLab()
    d = chart.image_bin(lab)
    link = os.path.join(d, "twill-node")
    assert os.readlink(link) == chart.ENTRYPOINT
    stop, missing = threading.Event(), []

    def watch():
        while not stop.is_set():
            if not os.path.lexists(link):
                missing.append(1)

    t = threading.Thread(target=watch)
    t.start()
    try:
        for _ in range(2000):
            chart.image_bin(lab)
    finally:
        stop.set()
        t.join()
    assert not missing, "twill-node link missing %d times" % len(missing)
    # a link pointing elsewhere is replaced (atomically) by the right one
    os.unlink(link)
    os.symlink("/nonexistent", link)
    chart.image_bin(lab)
    assert os.readlink(link) == chart.ENTRYPOINT
    assert sorted(n for n in os.listdir(d) if ".new." in n) == []


def test_expand_follows_kubernetes_rules():
    env = {"A": "x", "B": "$(A)"}
    assert chart.expand("--a=$(A)", env) == "--a=x"
    assert chart.expand("$(A)$(A)-$(MISSING)", env) == "xx-$(MISSING)"
    assert chart.expand("$$(A) $$", env) == "$(A) $"
    assert chart.expand("$(B)", env) == "$(A)"  # no second pass


def test_map_path_longest_mount_wins():
    mounts = {"/etc/bird": "/n/etc/bird", "/etc": "/n/other", "/usr/local/bin": "/img"}
    m = chart.Node.map_path
    assert m("/etc/bird/bird.conf", mounts) == "/n/etc/bird/bird.conf"
    assert m("/etc/hosts", mounts) == "/n/other/hosts"
    assert m("/etc/birdx", mounts) == "/n/other/birdx"
    assert m("/usr/sbin/bird", mounts) == "/usr/sbin/bird"
    assert m("/usr/local/bin", mounts) == "/img"


def test_script_paths_are_the_entrypoints():
    paths = chart.script_paths()
    assert paths["BIN_SRC"] == "/usr/local/bin"
    assert paths["SA_DIR"] == "/var/run/secrets/kubernetes.io/serviceaccount"
    assert {"HOST_BIN", "HOST_NETD", "CONFIG_DIR", "NODENAME_FILE"} <= set(paths)


class FakeLab:
    def __init__(self, d):
        self.d = d

    def node_dir(self, node):
        return os.path.join(self.d, "nodes", node)


def fake_node(d):
    """A chart.Node over a hand-written DaemonSet: the chart's hostPath shapes."""
    nd = os.path.join(d, "nodes", "node1")
    vols = [{"name": "var-run-twill", "hostPath": {"path": "/var/run/twill"}},
            {"name": "cni-net-dir", "hostPath": {"path": nd + "/etc/cni/net.d"}},
            {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}},
            {"name": "bird-run", "emptyDir": {}}]
    ds = {"spec": {"template": {"spec": {"volumes": vols, "containers": [
        {"name": "c", "volumeMounts": [{"name": "bird-run", "mountPath": "/run/bird"}]}]}}}}
    return chart.Node(FakeLab(d), {"name": "node1"}, {("DaemonSet", "twill-node"): ds}, 1)


def test_host_path_follows_the_hostpath_volumes():
    n = fake_node("/lab")
    assert n.host_path("/var/run/twill/ipam.sock") == "/lab/nodes/node1/var/run/twill/ipam.sock"
    assert n.host_path("/var/run/twill") == "/lab/nodes/node1/var/run/twill"
    assert n.host_path("/lab/nodes/node1/etc/cni/net.d/x") == "/lab/nodes/node1/etc/cni/net.d/x"
    assert n.host_path("/lib/modules/6.1") == "/lib/modules/6.1"  # host-wide, shared
    assert n.host_path("/var/run/twillx/s") is None  # in no hostPath volume
    assert n.host_path("/run/bird/bird.ctl") is None  # an emptyDir is no host path


def test_node_conflist_sets_nodename_and_maps_the_socket():
    n = fake_node("/lab")
    conf = {"cniVersion": "1.0.0", "plugins": [
        {"type": "twill-cni", "ipam": {"type": "twill-ipam", "socket": "/var/run/twill/ipam.sock",
                                       "log_level": "info"}},
        {"type": "portmap"}]}
    out = json.loads(chart.node_conflist(json.dumps(conf), "node1", n.host_path))
    assert out["plugins"][0]["ipam"] == {
        "type": "twill-ipam", "socket": "/lab/nodes/node1/var/run/twill/ipam.sock",
        "log_level": "info", "nodename": "node1"}
    assert out["plugins"][1] == {"type": "portmap"}
    # no socket (ipamServer.enabled false) stays none
    del conf["plugins"][0]["ipam"]["socket"]
    out = json.loads(chart.node_conflist(json.dumps(conf), "node1", n.host_path))
    assert "socket" not in out["plugins"][0]["ipam"]
    # a socket the lab cannot place, and one too long for sun_path, are errors
    conf["plugins"][0]["ipam"]["socket"] = "/srv/ipam.sock"
    with pytest.raises(LabError, match="no hostPath volume"):
        chart.node_conflist(json.dumps(conf), "node1", n.host_path)
    conf["plugins"][0]["ipam"]["socket"] = "/var/run/twill/ipam.sock"
    longer = fake_node("/" + "d" * 80)
    with pytest.raises(LabError, match="at most 107"):
        chart.node_conflist(json.dumps(conf), "node1", longer.host_path)
    # 107 bytes is still a path
    edge = "/" + "d" * (107 - len("/nodes/node1/var/run/twill/ipam.sock") - 1)
    out = json.loads(chart.node_conflist(json.dumps(conf), "node1", fake_node(edge).host_path))
    assert len(out["plugins"][0]["ipam"]["socket"]) == 107


# ---------------------------------------------------------------- the lab

class Lab(LabCli):
    def __init__(self, tmp, *up_args):
        super().__init__(tmp, "c")
        self.up_args = up_args

    def node_dir(self, node):
        return os.path.join(self.dir, "nodes", node)

    def render(self, tmp, node, bgp=True, encap="VXLANCrossSubnet"):
        """The chart, rendered by the test, for one node of this lab."""
        d = self.node_dir(node)
        values = {"bgp": {"enabled": bgp}, "ipPool": {"cidr": "10.244.0.0/16",
                                                      "encapsulation": encap},
                  "cni": {"binDir": d + "/opt/cni/bin", "confDir": d + "/etc/cni/net.d",
                          "logFile": d + "/var/log/twill/cni.log"}}
        vf = tmp / ("values-%s.json" % node)
        vf.write_text(json.dumps(values))
        env = dict(os.environ, KUBECONFIG="/dev/null", HELM_CACHE_HOME=str(tmp / "hc"),
                   HELM_CONFIG_HOME=str(tmp / "hcf"), HELM_DATA_HOME=str(tmp / "hd"))
        out = sh(HELM, "template", "twill", os.path.join(REPO, "charts", "twill"),
                 "--namespace", "kube-system", "-f", vf, env=env).stdout
        text = sh(KUBECTL, "--kubeconfig", os.path.join(self.dir, "apiserver", "kubeconfig"),
                  "create", "--dry-run=client", "-o", "json", "-f", "-", input=out).stdout
        objs, dec, i = {}, json.JSONDecoder(), 0
        while i < len(text):
            if text[i].isspace():
                i += 1
                continue
            doc, i = dec.raw_decode(text, i)
            for o in doc["items"] if doc.get("kind") == "List" else [doc]:
                objs[(o["kind"], o["metadata"]["name"])] = o
        return objs

    def proc(self, role):
        with open(os.path.join(self.dir, "procs", role + ".json")) as f:
            pid = json.load(f)["pid"]
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv = f.read().decode().split("\0")[:-1]
        with open("/proc/%d/environ" % pid, "rb") as f:
            env = dict(e.split("=", 1) for e in f.read().decode().split("\0") if "=" in e)
        return argv, env

    def mapping(self, node):
        """Container path -> host path, as docs/lab.md states it."""
        d = self.node_dir(node)
        return {"/etc/bird": d + "/etc/bird", "/run/bird": d + "/run/bird",
                "/var/run/twill": d + "/var/run/twill", "/var/lib/twill": d + "/var/lib/twill",
                "/usr/local/bin": os.path.join(self.dir, "image", "usr", "local", "bin")}


def containers(objs):
    spec = objs[("DaemonSet", "twill-node")]["spec"]["template"]["spec"]
    return ({c["name"]: c for c in spec["containers"]},
            {c["name"]: c for c in spec.get("initContainers", [])})


def chart_env(c, objs, node):
    cm = objs[("ConfigMap", "twill-config")]["data"]
    env = {}
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        elif "fieldRef" in e["valueFrom"]:
            assert e["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
            env[e["name"]] = node
        else:
            env[e["name"]] = cm[e["valueFrom"]["configMapKeyRef"]["key"]]
    return env


def mapped(args, env, mapping):
    out = []
    for a in args:
        for k, v in env.items():
            a = a.replace("$(%s)" % k, v)
        assert "$(" not in a, a
        for cpath in sorted(mapping, key=len, reverse=True):
            if a.startswith(cpath):
                a = mapping[cpath] + a[len(cpath):]
                break
            if "=" + cpath in a:
                a = a.replace("=" + cpath, "=" + mapping[cpath], 1)
                break
        out.append(a)
    return out


def check_env(lab, node, c, objs, env, script):
    want = chart_env(c, objs, node)
    for k, v in want.items():
        assert env.get(k) == v, (c["name"], k, env.get(k), v)
    assert env["KUBECONFIG"] == os.path.join(lab.node_dir(node), "etc", "twill", "kubeconfig")
    assert env["KUBERNETES_SERVICE_HOST"] == "127.0.0.1"
    extra = set(env) - set(want) - BASE_ENV - (SCRIPT_VARS if script else set())
    assert not extra, "%s has env the chart does not give it: %s" % (c["name"], sorted(extra))


def check_ipam_server(lab, node, c, objs, mapping):
    """The ipam-server process is the container's command + args, mapped, and it
    listens where the node's conflist says (its readinessProbe's test -S, bounded)."""
    argv, env = lab.proc(node + "-ipam-server")
    assert c["command"] == ["/usr/local/bin/twill-ipam", "serve"]
    assert argv == mapped(c["command"] + c["args"], chart_env(c, objs, node), mapping)
    sock = lab.node_dir(node) + "/var/run/twill/ipam.sock"
    assert "--socket=" + sock in argv
    check_env(lab, node, c, objs, env, script=False)
    with open(lab.node_dir(node) + "/etc/cni/net.d/10-twill.conflist") as f:
        assert json.load(f)["plugins"][0]["ipam"]["socket"] == sock
    deadline = time.monotonic() + 30
    while not os.path.exists(sock) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stat.S_ISSOCK(os.stat(sock).st_mode), sock


@pytest.fixture(scope="module")
def bgp_lab(tmp_path_factory):
    lab = Lab(tmp_path_factory.mktemp("chartlab"))
    try:
        lab("up", "--nodes", "2", "--topology", "flat", "--encap", "crosssubnet")
        yield lab
    finally:
        lab("down", check=False)


@needs_lab
@pytest.mark.parametrize("node", ["node1", "node2"])
def test_processes_match_daemonset(bgp_lab, node, tmp_path):
    objs = bgp_lab.render(tmp_path, node)
    conts, inits = containers(objs)
    assert sorted(conts) == ["bird", "confgen", "felix", "ipam-server"]
    assert list(inits) == ["install-cni"]
    mapping = bgp_lab.mapping(node)

    # felix: the entrypoint's `felix` command execs $BIN_SRC/twill-felix with the rest.
    c = conts["felix"]
    argv, env = bgp_lab.proc(node + "-felix")
    assert c["command"][:2] == ["/usr/local/bin/twill-node", "felix"]
    assert env["BIN_SRC"] == mapping["/usr/local/bin"]
    assert argv == [env["BIN_SRC"] + "/twill-felix"] + c["command"][2:] + c.get("args", [])
    vols = {v["name"]: v for v in
            objs[("DaemonSet", "twill-node")]["spec"]["template"]["spec"]["volumes"]}
    assert env["HOST_NETD"] == vols["cni-net-dir"]["hostPath"]["path"]
    check_env(bgp_lab, node, c, objs, env, script=True)
    assert env["TWILL_NETWORKING_BACKEND"] == "bird"

    # confgen: command + args, $(VAR) expanded, container paths mapped.
    c = conts["confgen"]
    argv, env = bgp_lab.proc(node + "-confgen")
    assert argv == mapped(c["command"] + c["args"], chart_env(c, objs, node), mapping)
    assert "--config=%s/etc/bird/bird.conf" % bgp_lab.node_dir(node) in argv
    check_env(bgp_lab, node, c, objs, env, script=False)

    # bird: `bird CONF -- CMD` execs CMD (the container's args) once CONF exists; a
    # fresh lab is a fresh boot, so without -R.
    c = conts["bird"]
    # Until confgen writes bird.conf the process is still the entrypoint's shell:
    # wait (bounded) for the exec before comparing, as kubelet's probes would.
    deadline = time.monotonic() + 90
    argv, env = bgp_lab.proc(node + "-bird")
    while argv[:1] != [mapped(c["args"], {}, mapping)[0]] and time.monotonic() < deadline:
        time.sleep(0.5)
        argv, env = bgp_lab.proc(node + "-bird")
    assert c["command"][1:] == ["bird", "/etc/bird/bird.conf", "--"]
    assert argv == mapped(c["args"], {}, mapping)
    check_env(bgp_lab, node, c, objs, env, script=True)

    # ipam-server: twill-ipam serve, its socket in the node's var/run/twill.
    check_ipam_server(bgp_lab, node, conts["ipam-server"], objs, mapping)

    # install-cni: what it left on the node is the rendered ConfigMap's.
    d = bgp_lab.node_dir(node)
    conflist = json.loads(objs[("ConfigMap", "twill-config")]["data"]["cni_network_config"])
    ipam = conflist["plugins"][0]["ipam"]
    ipam["nodename"] = node  # the documented additions: the node's name, and the socket's
    assert ipam["socket"] == "/var/run/twill/ipam.sock"  # host path mapped to the node's
    ipam["socket"] = d + "/var/run/twill/ipam.sock"
    with open(d + "/etc/cni/net.d/10-twill.conflist") as f:
        assert json.load(f) == conflist
    with open(d + "/var/lib/twill/nodename") as f:
        assert f.read() == node + "\n"
    for b, sub in (("twill-cni", "cni"), ("twill-ipam", "ipam")):
        with open(os.path.join(d, "opt", "cni", "bin", b), "rb") as f1, \
                open(os.path.join(BUILD, sub, b), "rb") as f2:
            assert f1.read() == f2.read(), b
    with open(d + "/etc/cni/net.d/twill-token") as f1, \
            open(d + "/var/run/secrets/serviceaccount/token") as f2:
        assert f1.read() == f2.read()


@needs_lab
def test_bgp_off_runs_felix_and_ipam_server(tmp_path):
    lab = Lab(tmp_path)
    try:
        lab("up", "--nodes", "1", "--bgp", "off", "--encap", "vxlan")
        objs = lab.render(tmp_path, "node1", bgp=False, encap="VXLAN")
        conts, _ = containers(objs)
        assert list(conts) == ["felix", "ipam-server"]
        roles = sorted(f[:-5] for f in os.listdir(os.path.join(lab.dir, "procs"))
                       if f.startswith("node1-"))
        assert roles == ["node1-felix", "node1-ipam-server"]
        argv, env = lab.proc("node1-felix")
        check_env(lab, "node1", conts["felix"], objs, env, script=True)
        assert env["TWILL_NETWORKING_BACKEND"] == "none"
        check_ipam_server(lab, "node1", conts["ipam-server"], objs, lab.mapping("node1"))
    finally:
        lab("down", check=False)
