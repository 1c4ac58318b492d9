"""The chart's DaemonSet, turned into processes for one lab node.

The lab runs no kubelet and no container runtime, so it does what they would
do with the twill-node pod, from the chart's own output: `helm template`
(values from the lab's options and the node's host directories) parsed by
`kubectl create --dry-run=client -o json` (no YAML parser of our own), then
for each container of DaemonSet twill-node:

  command + args   with $(VAR) expanded from the container's env (Kubernetes'
                   rule: $$ is a literal $, an undefined $(VAR) stays as is),
                   then every container path mapped to the host (below);
  env              `value`, `configMapKeyRef` (ConfigMap twill-config) and
                   `fieldRef spec.nodeName` (the node's name), over what kubelet
                   gives every container (PATH, KUBERNETES_SERVICE_HOST/PORT);
  files            each volumeMount's mountPath maps to its volume on the host:
                   a hostPath under the node's directory stays (the chart was
                   rendered with the node's CNI directories), the host-wide
                   ones (HOST_SHARED) stay, any other hostPath becomes the
                   same path under the node's directory, and an emptyDir or
                   configMap volume the path it is first mounted at, under
                   the node's directory; the image's /usr/local/bin is a directory
                   of links to the build's binaries and the image entrypoint
                   (images/twill-node/twill-node, the same script), and the
                   service account mount is a per-node copy of the node token.

The entrypoint's own container paths (SA_DIR, BIN_SRC, HOST_BIN, ... read
from the script's `VAR=${VAR:-default}` lines) are mapped the same way and
passed as env, since a process here shares the host's filesystem.

Deliberate differences from a cluster, and the only ones: KUBECONFIG is set
to the node's kubeconfig (the chart leaves it unset for in-cluster config,
whose token path is fixed), and the conflist install-cni writes gets two
changes in its ipam section: the node's name (twill-ipam's node-name file is
one fixed host path, which the lab's nodes would share), and ipam.socket, a
host path (the ipam-server container's socket in hostPath /var/run/twill),
mapped by the hostPath rule above to where this node keeps that volume
(<node>/var/run/twill/ipam.sock), where the lab's ipam-server process
listens (its --socket argument is mapped the same way through its mount).
A socket path must fit sun_path: a lab directory so long that it does not
is an error naming the path, never a silently unused socket.
"""

import json
import os
import re

from .lab import REPO, LabError, build_dir
from .sh import run
from .topology import POOL_CIDR

HELM = os.environ.get("TWILL_HELM", "/opt/twill-tools/bin/helm")
CHART = os.path.join(REPO, "charts", "twill")
ENTRYPOINT = os.path.join(REPO, "images", "twill-node", "twill-node")
ENCAP = {"none": "Never", "vxlan": "VXLAN", "crosssubnet": "VXLANCrossSubnet"}
# Host paths every node legitimately shares (read-only modules, a lock file).
HOST_SHARED = ("/lib/modules", "/run/xtables.lock")
SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
IMAGE_BIN = "/usr/local/bin"
# What the image puts in /usr/local/bin: name -> build subdirectory.
IMAGE_BINARIES = {"twill-cni": "cni", "twill-ipam": "ipam", "twill-felix": "felix",
                  "twill-confgen": "confgen", "twill-controllers": "controllers"}
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
# Longest Unix socket path: sun_path is 108 bytes with the terminating NUL.
SUN_PATH_MAX = 107
_SCRIPT_DEFAULT = re.compile(r"^([A-Z_]+)=\$\{\1:-(/[^}]*)\}$", re.M)


def values(lab, node, state):
    """The chart values the lab's options and this node's directories mean."""
    d = lab.node_dir(node["name"])
    return {
        "ipPool": {"cidr": POOL_CIDR, "encapsulation": ENCAP[state["encap"]]},
        "bgp": {"enabled": bool(state["bgp"])},
        "cni": {"binDir": os.path.join(d, "opt", "cni", "bin"),
                "confDir": os.path.join(d, "etc", "cni", "net.d"),
                "logFile": os.path.join(d, "var", "log", "twill", "cni.log")},
    }


def render(lab, node, state, api):
    """{(kind, name): object} of the chart rendered for this node."""
    work = lab.path("chart", node["name"])
    os.makedirs(work, exist_ok=True)
    vf = os.path.join(work, "values.json")
    with open(vf, "w") as f:
        json.dump(values(lab, node, state), f, indent=1)
    env = dict(os.environ, KUBECONFIG="/dev/null")
    for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        env[var] = lab.path("chart", "helm", var.lower())
    out = run(HELM, "template", "twill", CHART, "--namespace", "kube-system", "-f", vf,
              env=env).stdout
    with open(os.path.join(work, "rendered.yaml"), "w") as f:
        f.write(out)
    text = api.kubectl("create", "--dry-run=client", "-o", "json", "-f", "-", input=out).stdout
    objs, dec, i = {}, json.JSONDecoder(), 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        doc, i = dec.raw_decode(text, i)
        for o in doc["items"] if doc.get("kind") == "List" else [doc]:
            objs[(o["kind"], o["metadata"]["name"])] = o
    for key in (("DaemonSet", "twill-node"), ("ConfigMap", "twill-config")):
        if key not in objs:
            raise LabError("the chart rendered no %s %s" % key)
    with open(os.path.join(work, "rendered.json"), "w") as f:
        json.dump([objs[k] for k in sorted(objs)], f, indent=1)
    return objs


def load(lab, node):
    """The objects render() saved for this node (for status and tests)."""
    with open(lab.path("chart", node["name"], "rendered.json")) as f:
        return {(o["kind"], o["metadata"]["name"]): o for o in json.load(f)}


def expand(s, env):
    """Kubernetes' $(VAR) expansion of command and args."""
    def sub(m):
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))
    return _VAR_REF.sub(sub, s)


def script_paths():
    """The entrypoint's overridable container paths: {VAR: default}."""
    with open(ENTRYPOINT) as f:
        return dict(_SCRIPT_DEFAULT.findall(f.read()))


def image_bin(lab):
    """The lab's stand-in for the image's /usr/local/bin. Called for every container
    started, while other containers run from it: a link is only ever replaced atomically
    (a new link renamed over it), never removed and re-made, or a process exec'ing it in
    between would fail with ENOENT (it did: a node's felix now and then never started)."""
    d = lab.path("image", "usr", "local", "bin")
    os.makedirs(d, exist_ok=True)
    links = dict({n: os.path.join(build_dir(), sub, n) for n, sub in IMAGE_BINARIES.items()},
                 **{"twill-node": ENTRYPOINT})
    for name, target in links.items():
        p = os.path.join(d, name)
        if not os.path.exists(target):
            if os.path.lexists(p):
                os.unlink(p)
            continue
        if os.path.islink(p) and os.readlink(p) == target:
            continue
        tmp = "%s.new.%d" % (p, os.getpid())
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(target, tmp)
        os.replace(tmp, p)
    return d


class Node:
    """The twill-node pod of one lab node: volumes on the host and processes."""

    def __init__(self, lab, node, objs, api_port):
        self.lab, self.node, self.objs = lab, node, objs
        self.dir = lab.node_dir(node["name"])
        self.ds = objs[("DaemonSet", "twill-node")]
        self.spec = self.ds["spec"]["template"]["spec"]
        self.api_port = api_port
        first_mount = {}
        for _name, _init, c in self.containers():
            for vm in c.get("volumeMounts", []):
                first_mount.setdefault(vm["name"], vm["mountPath"])
        self.volumes = {v["name"]: self._volume_dir(v, first_mount.get(v["name"]))
                        for v in self.spec.get("volumes", [])}

    def _volume_dir(self, v, mount_path):
        if "hostPath" in v:
            p = v["hostPath"]["path"]
            if p == self.dir or p.startswith(self.dir + "/") or p in HOST_SHARED:
                return p
            return self.dir + p
        # Pod volumes sit where the container sees them, under the node's
        # directory: short paths (BIRD's control socket must fit sun_path).
        return self.dir + (mount_path or "/volumes/" + v["name"])

    def containers(self):
        """[(name, is_init, container)] in start order."""
        return ([(c["name"], True, c) for c in self.spec.get("initContainers", [])] +
                [(c["name"], False, c) for c in self.spec.get("containers", [])])

    def container(self, name):
        for cname, _init, c in self.containers():
            if cname == name:
                return c
        return None

    def mounts(self, c):
        """mountPath -> host path for this container (plus the implicit ones)."""
        m = {SA_MOUNT: os.path.join(self.dir, "var", "run", "secrets", "serviceaccount"),
             IMAGE_BIN: image_bin(self.lab)}
        for vm in c.get("volumeMounts", []):
            m[vm["mountPath"]] = self.volumes[vm["name"]]
        return m

    @staticmethod
    def map_path(path, mounts):
        best = None
        for mp in mounts:
            if (path == mp or path.startswith(mp.rstrip("/") + "/")) and \
                    (best is None or len(mp) > len(best)):
                best = mp
        return path if best is None else mounts[best] + path[len(best):]

    def host_path(self, path):
        """Where a host path the chart names lives on this lab node: through the
        hostPath volume that holds it (longest match), as its mounts map it; None
        when no hostPath volume of the DaemonSet holds it."""
        hostpaths = {v["hostPath"]["path"]: self.volumes[v["name"]]
                     for v in self.spec.get("volumes", []) if "hostPath" in v}
        for hp in hostpaths:
            if path == hp or path.startswith(hp.rstrip("/") + "/"):
                return self.map_path(path, hostpaths)
        return None

    def map_arg(self, a, mounts):
        if a.startswith("/"):
            return self.map_path(a, mounts)
        k, sep, v = a.partition("=")
        if sep and v.startswith("/"):
            return k + sep + self.map_path(v, mounts)
        return a

    def env(self, c):
        cm = self.objs[("ConfigMap", "twill-config")]["data"]
        out = {}
        for e in c.get("env", []):
            if "value" in e:
                out[e["name"]] = expand(e["value"], out)
                continue
            src = e.get("valueFrom", {})
            if "fieldRef" in src and src["fieldRef"]["fieldPath"] == "spec.nodeName":
                out[e["name"]] = self.node["name"]
            elif "configMapKeyRef" in src and src["configMapKeyRef"]["name"] == "twill-config":
                out[e["name"]] = cm[src["configMapKeyRef"]["key"]]
            else:
                raise LabError("container %s env %s: source %s is not one the lab provides"
                               % (c["name"], e["name"], json.dumps(src)))
        return out

    def process(self, c, kubeconfig):
        """(argv, env) of a container, as the lab runs it."""
        cenv = self.env(c)
        mounts = self.mounts(c)
        argv = [self.map_arg(expand(a, cenv), mounts)
                for a in c.get("command", []) + c.get("args", [])]
        env = {"PATH": PATH, "KUBERNETES_SERVICE_HOST": "127.0.0.1",
               "KUBERNETES_SERVICE_PORT": str(self.api_port)}
        env.update(cenv)
        if argv and os.path.basename(argv[0]) == "twill-node":
            for var, default in script_paths().items():
                env.setdefault(var, self.map_path(default, mounts))
        env["KUBECONFIG"] = kubeconfig  # deliberate difference (module comment)
        return argv, env

    def prepare(self, token, ca_file):
        """Create every volume directory, the service account and config files."""
        for d in self.volumes.values():
            if d.startswith(self.dir + "/"):
                os.makedirs(d, exist_ok=True)
        sa = os.path.join(self.dir, "var", "run", "secrets", "serviceaccount")
        os.makedirs(sa, exist_ok=True)
        fd = os.open(os.path.join(sa, "token"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token)
        with open(ca_file, "rb") as src, open(os.path.join(sa, "ca.crt"), "wb") as dst:
            dst.write(src.read())
        with open(os.path.join(sa, "namespace"), "w") as f:
            f.write("kube-system")
        cm = self.objs[("ConfigMap", "twill-config")]["data"]
        for v in self.spec.get("volumes", []):
            if v.get("configMap", {}).get("name") != "twill-config":
                continue
            for key, text in cm.items():
                if key == "cni_network_config":
                    text = node_conflist(text, self.node["name"], self.host_path)
                with open(os.path.join(self.volumes[v["name"]], key), "w") as f:
                    f.write(text)


def node_conflist(conflist_text, nodename, host_path):
    """The chart's conflist for a lab node: ipam.nodename set, ipam.socket (if
    any) mapped by host_path(path) -> lab path or None (deliberate differences)."""
    doc = json.loads(conflist_text)
    for plugin in doc.get("plugins", []):
        ipam = plugin.get("ipam")
        if not isinstance(ipam, dict) or ipam.get("type") != "twill-ipam":
            continue
        ipam["nodename"] = nodename
        if ipam.get("socket"):
            sock = host_path(ipam["socket"])
            if sock is None:
                raise LabError("ipam.socket %s is in no hostPath volume of DaemonSet twill-node, "
                               "so the lab cannot place it on the node" % ipam["socket"])
            if len(os.fsencode(sock)) > SUN_PATH_MAX:
                raise LabError("ipam.socket on %s would be %s, %d bytes: a Unix socket path "
                               "has at most %d; use a shorter lab directory (--state-dir)"
                               % (nodename, sock, len(os.fsencode(sock)), SUN_PATH_MAX))
            ipam["socket"] = sock
    return json.dumps(doc, indent=2) + "\n"
