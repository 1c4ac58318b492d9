"""What the twill DaemonSet does on each node, done to a node namespace.

install-cni: copy the CNI binaries into <node>/opt/cni/bin and write
<node>/etc/cni/net.d/10-twill.conflist plus the kubeconfig it names.
Then the node's long-running containers: twill-felix, twill-confgen and
bird, each started inside the node namespace (hostNetwork) with the node's
files, recorded as node<N>-<daemon> processes. A component that is not built
yet is skipped and reported as such, never faked; while twill-ipam is not
built the conflist uses the reference host-local IPAM with a per-node range,
and status says so.

DAEMONS is the single place that says how each daemon is run; it follows the
chart's DaemonSet (charts/twill/templates) and changes with it.
"""

import json
import os
import shutil
import time

from . import procs
from .lab import build_dir

REF_PLUGINS = "/usr/lib/cni"
BIRD = "/usr/sbin/bird"


def binary(name):
    """Path of a twill binary in the build directory, or None if not built yet."""
    sub = {"twill-cni": "cni", "twill-ipam": "ipam", "twill-felix": "felix",
           "twill-confgen": "confgen", "twillctl": "ctl"}[name]
    p = os.path.join(build_dir(), sub, name)
    return p if os.access(p, os.X_OK) else None


def node_paths(lab, node):
    d = lab.node_dir(node["name"])
    return {
        "root": d,
        "cni_bin": os.path.join(d, "opt", "cni", "bin"),
        "cni_conf_dir": os.path.join(d, "etc", "cni", "net.d"),
        "conflist": os.path.join(d, "etc", "cni", "net.d", "10-twill.conflist"),
        "cni_kubeconfig": os.path.join(d, "etc", "cni", "net.d", "twill-kubeconfig"),
        "kubeconfig": os.path.join(d, "etc", "twill", "kubeconfig"),
        "bird_conf": os.path.join(d, "etc", "bird", "bird.conf"),
        "bird_sock": os.path.join(d, "run", "bird", "bird.ctl"),
        "run": os.path.join(d, "run", "twill"),
        "log": os.path.join(d, "var", "log", "twill"),
        "ipam_data": os.path.join(d, "var", "lib", "cni", "networks"),
    }


def install_cni(lab, node):
    """The install-cni init container. Returns the IPAM type it configured."""
    p = node_paths(lab, node)
    for k in ("cni_bin", "cni_conf_dir", "log", "ipam_data"):
        os.makedirs(p[k], exist_ok=True)
    os.makedirs(os.path.dirname(p["kubeconfig"]), exist_ok=True)
    for name in ("twill-cni", "twill-ipam"):
        src = binary(name)
        if src:
            shutil.copy2(src, os.path.join(p["cni_bin"], name))
    for name in ("host-local", "loopback"):
        src = os.path.join(REF_PLUGINS, name)
        if os.path.exists(src):
            shutil.copy2(src, os.path.join(p["cni_bin"], name))
    for dst in (p["cni_kubeconfig"], p["kubeconfig"]):
        shutil.copy2(lab.path("node-kubeconfig"), dst)
    if binary("twill-ipam"):
        ipam = {"type": "twill-ipam", "kubeconfig": p["cni_kubeconfig"],
                "nodename": node["name"], "log_file": os.path.join(p["log"], "ipam.log")}
    else:
        ipam = {"type": "host-local", "subnet": node["fallback_range"],
                "dataDir": p["ipam_data"]}
    conflist = {
        "cniVersion": "1.0.0", "name": "k8s-pod-network",
        "plugins": [{
            "type": "twill-cni", "mtu": 0, "log_level": "info",
            "log_file": os.path.join(p["log"], "cni.log"),
            "kubernetes": {"kubeconfig": p["cni_kubeconfig"]},
            "ipam": ipam,
        }],
    }
    tmp = p["conflist"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(conflist, f, indent=2)
        f.write("\n")
    os.replace(tmp, p["conflist"])  # runtimes must never read half a conflist
    return ipam["type"]


def _env(node, p, bgp):
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NODENAME": node["name"],
            "KUBECONFIG": p["kubeconfig"], "TWILL_LOG_LEVEL": "info",
            "TWILL_NETWORKING_BACKEND": "bird" if bgp else "none"}


# name -> (binary lookup, argv builder, needs BGP)
DAEMONS = [
    ("felix", lambda: binary("twill-felix"),
     lambda exe, p: [exe], False),
    ("confgen", lambda: binary("twill-confgen"),
     lambda exe, p: [exe, "--kubeconfig", p["kubeconfig"], "--config", p["bird_conf"],
                     "--socket", p["bird_sock"], "--bird", BIRD,
                     "--ready-file", os.path.join(p["run"], "confgen.ready"),
                     "--metrics-file", os.path.join(p["run"], "confgen.prom"),
                     "--log-level", "info"],
     True),
    ("bird", lambda: BIRD if binary("twill-confgen") else None,
     lambda exe, p: [exe, "-f", "-c", p["bird_conf"], "-s", p["bird_sock"]], True),
]


def daemon_state(lab, node, name, bgp):
    """'running', 'exited', 'off' (BGP off), or 'not built yet'."""
    for dname, find, _argv, needs_bgp in DAEMONS:
        if dname != name:
            continue
        if needs_bgp and not bgp:
            return "off"
        rec = procs.record(lab, "%s-%s" % (node["name"], name))
        if rec is not None:
            return "running" if procs.running(rec) else "exited"
        return "not built yet" if find() is None else "not started"
    raise KeyError(name)


def start_daemons(lab, node, bgp, say):
    p = node_paths(lab, node)
    for d in ("bird_conf", "bird_sock"):
        os.makedirs(os.path.dirname(p[d]), exist_ok=True)
    os.makedirs(p["run"], exist_ok=True)
    for name, find, argv, needs_bgp in DAEMONS:
        if needs_bgp and not bgp:
            continue
        exe = find()
        if exe is None:
            say("%s: %s not built yet, skipped" % (node["name"], name))
            continue
        if name == "bird" and not _wait_file(p["bird_conf"], 15):
            say("%s: bird skipped: confgen wrote no %s" % (node["name"], p["bird_conf"]))
            continue
        procs.spawn(lab, "%s-%s" % (node["name"], name), argv(exe, p),
                    os.path.join(p["log"], name + ".log"), env=_env(node, p, bgp),
                    netns=node["ns"], cwd=p["root"])
        say("%s: %s started" % (node["name"], name))


def _wait_file(path, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.1)
    return False
