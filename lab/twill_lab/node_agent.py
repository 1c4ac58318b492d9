"""What the twill DaemonSet does on each node, done to a node namespace.

Nothing here says how a daemon is run: chart.py renders the chart for the
node and turns each container of DaemonSet twill-node into a command line
and environment. install-cni (the init container, the image's own
entrypoint script) runs to completion first; then felix, ipam-server (the
chart's default) and with BGP on confgen and bird, are started inside the
node namespace (hostNetwork) and recorded as node<N>-<container>
processes. A container whose twill binary is not built yet is skipped and
reported as such, never faked.
"""

import json
import os

from . import chart, procs
from .lab import LabError, build_dir
from .sh import run

# The build output each container needs before it is worth starting (the lab
# reports "not built yet" rather than starting something that cannot work).
NEEDS = {"install-cni": ("twill-cni", "twill-ipam"), "felix": ("twill-felix",),
         "confgen": ("twill-confgen",), "bird": ("twill-confgen",),
         "ipam-server": ("twill-ipam",)}
BGP_ONLY = ("confgen", "bird")


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
        # emptyDir volumes bird-conf (/etc/bird) and bird-run (/run/bird): chart.Node
        "bird_conf": os.path.join(d, "etc", "bird", "bird.conf"),
        "bird_sock": os.path.join(d, "run", "bird", "bird.ctl"),
        "log": os.path.join(d, "var", "log", "twill"),
    }


def _node_token(lab):
    with open(lab.path("apiserver", "tokens.csv")) as f:
        for line in f:
            token, _, user = line.strip().partition(",")
            if user == "system:serviceaccount:kube-system:twill-node":
                return token
    raise LabError("no twill-node token in the API server's tokens.csv")


def _pod(lab, node, state):
    p = node_paths(lab, node)
    pod = chart.Node(lab, node, chart.load(lab, node), state["api"]["port"])
    return pod, p


def processes(lab, node, state):
    """{container: (argv, env)} as the lab runs them (chart.py), in start order."""
    pod, p = _pod(lab, node, state)
    return {name: pod.process(c, p["kubeconfig"]) for name, _init, c in pod.containers()}


def install_cni(lab, node, state, api):
    """Render the chart for the node, prepare its volumes, run install-cni."""
    objs = chart.render(lab, node, state, api)
    pod = chart.Node(lab, node, objs, state["api"]["port"])
    p = node_paths(lab, node)
    missing = [b for b in NEEDS["install-cni"] if binary(b) is None]
    if missing:
        raise LabError("install-cni needs %s built in %s (the image ships them)"
                       % (" and ".join(missing), build_dir()))
    os.makedirs(p["log"], exist_ok=True)
    os.makedirs(os.path.dirname(p["kubeconfig"]), exist_ok=True)
    with open(lab.path("node-kubeconfig"), "rb") as src:
        data = src.read()
    fd = os.open(p["kubeconfig"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    pod.prepare(_node_token(lab), state["api"]["ca"])
    for name, init, c in pod.containers():
        if not init:
            continue
        argv, env = pod.process(c, p["kubeconfig"])
        env[procs.OWNER_VAR] = lab.dir
        cp = run("ip", "netns", "exec", node["ns"], *argv, env=env, check=False)
        with open(os.path.join(p["log"], name + ".log"), "a") as f:
            f.write(cp.stdout + cp.stderr)
        if cp.returncode != 0:
            raise LabError("%s: init container %s failed (%d): %s"
                           % (node["name"], name, cp.returncode, cp.stderr.strip()))
    with open(p["conflist"]) as f:
        ipam = json.load(f)["plugins"][0]["ipam"]["type"]
    return ipam


def daemon_state(lab, node, name, bgp):
    """'running', 'exited', 'off' (BGP off), 'not built yet' or 'not started'."""
    if name not in NEEDS:
        raise KeyError(name)
    if name in BGP_ONLY and not bgp:
        return "off"
    rec = procs.record(lab, "%s-%s" % (node["name"], name))
    if rec is not None:
        return "running" if procs.running(rec) else "exited"
    return "not built yet" if any(binary(b) is None for b in NEEDS[name]) else "not started"


def start_daemons(lab, node, state, say):
    pod, p = _pod(lab, node, state)
    for name, init, c in pod.containers():
        if init:
            continue
        if any(binary(b) is None for b in NEEDS.get(name, ())):
            say("%s: %s not built yet, skipped" % (node["name"], name))
            continue
        argv, env = pod.process(c, p["kubeconfig"])
        procs.spawn(lab, "%s-%s" % (node["name"], name), argv,
                    os.path.join(p["log"], name + ".log"), env=env, netns=node["ns"],
                    cwd=p["root"])
        say("%s: %s started" % (node["name"], name))
