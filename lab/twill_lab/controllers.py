"""The chart's twill-controllers Deployment, as processes of the lab.

Like node_agent.py for the DaemonSet, and from the same rendered chart
(chart.render's output for the first node: the Deployment does not depend on
the node): each replica of Deployment twill-controllers becomes one process
with the container's command + args ($(VAR) expanded), its env (`value`, and
`fieldRef` metadata.name / metadata.namespace as a pod named
twill-controllers-<i> in kube-system would get), what kubelet gives every
container (PATH, KUBERNETES_SERVICE_HOST/PORT) and /usr/local/bin mapped to
the lab's image directory. Each replica gets a network namespace of its own
(twl-<lab>-ctl<i>, loopback only: a pod's network, so the replicas' metrics
ports do not collide), where a relay (relay.py) provides the API server on
127.0.0.1:PORT. Deliberate difference, as for the node processes: KUBECONFIG
names a kubeconfig with the twill-controllers service account's token
(<lab>/controllers-kubeconfig) instead of the in-cluster files.
"""

import os

from . import chart, control_plane, procs, sh
from .lab import LabError

DEPLOYMENT = ("Deployment", "twill-controllers")
NAMESPACE = "kube-system"


def deployment(lab, state):
    """The rendered Deployment, or None when the chart does not deploy it."""
    first = state["nodes"][0]
    return chart.load(lab, first).get(DEPLOYMENT)


def replica_ns(lab, i):
    return "%sctl%d" % (lab.prefix, i)


def replicas(lab, state):
    dep = deployment(lab, state)
    return 0 if dep is None else int(dep["spec"].get("replicas", 1))


def process(lab, state, i):
    """(argv, env) of replica i, as the lab runs it."""
    dep = deployment(lab, state)
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    pod = "twill-controllers-%d" % i
    cenv = {}
    for e in c.get("env", []):
        if "value" in e:
            cenv[e["name"]] = chart.expand(e["value"], cenv)
            continue
        path = e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
        if path == "metadata.name":
            cenv[e["name"]] = pod
        elif path == "metadata.namespace":
            cenv[e["name"]] = NAMESPACE
        else:
            raise LabError("controllers env %s: source %s is not one the lab provides"
                           % (e["name"], e.get("valueFrom")))
    mounts = {chart.IMAGE_BIN: chart.image_bin(lab)}
    argv = [chart.Node.map_path(chart.expand(a, cenv), mounts) if a.startswith("/")
            else chart.expand(a, cenv) for a in c.get("command", []) + c.get("args", [])]
    env = {"PATH": chart.PATH, "KUBERNETES_SERVICE_HOST": "127.0.0.1",
           "KUBERNETES_SERVICE_PORT": str(state["api"]["port"])}
    env.update(cenv)
    env["KUBECONFIG"] = lab.path("controllers-kubeconfig")  # deliberate difference
    return argv, env


def built():
    from .lab import build_dir
    return os.access(os.path.join(build_dir(), "controllers", "twill-controllers"), os.X_OK)


def start(lab, state, say):
    n = replicas(lab, state)
    if n == 0:
        say("up: the chart deploys no twill-controllers")
        return
    if not built():
        say("up: twill-controllers not built yet, skipped")
        return
    namespaces = []
    for i in range(n):
        ns = replica_ns(lab, i)
        sh.netns_add(ns)
        sh.ip(ns, "link", "set", "lo", "up")
        namespaces.append(ns)
    control_plane.start_relay(lab, state["api"]["port"], namespaces, role="relay-ctl")
    for i in range(n):
        argv, env = process(lab, state, i)
        procs.spawn(lab, "controllers-%d" % i, argv, lab.path("logs", "controllers-%d.log" % i),
                    env=env, netns=replica_ns(lab, i))
    say("up: twill-controllers, %d replicas (Deployment from the chart)" % n)


def status(lab, state):
    """[(replica, 'running'|'exited'|'not started')]."""
    out = []
    for i in range(replicas(lab, state)):
        rec = procs.record(lab, "controllers-%d" % i)
        out.append(("twill-controllers-%d" % i, "not started" if rec is None else
                    "running" if procs.running(rec) else "exited"))
    return out
