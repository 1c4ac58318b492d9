"""`up`: bring a lab from nothing (or from a crashed lab's leftovers) to a
cluster: control plane, CRDs and defaults, network, nodes, node daemons.

lab.json is written before the first process starts and updated as parts
come up, so a failure at any point leaves something `down` can clean; up
itself calls down on failure, and first removes any leftovers of an earlier
lab of the same name (the "recover after an unclean exit" path).
"""

import os
import shutil

from . import cluster, control_plane, controllers, node_agent, procs, teardown, topology
from .control_plane import Api
from .lab import LabError
from .sh import CommandError


def _preflight():
    if os.geteuid() != 0:
        raise LabError("twill-lab needs root (network namespaces)")
    for tool in ("ip", "etcd", control_plane.KUBECTL, control_plane.PYTHON):
        if shutil.which(tool) is None and not os.access(tool, os.X_OK):
            raise LabError("%s not found; run scripts/install-deps" % tool)


def _running(lab):
    """A lab that came up and whose API server still runs is not a leftover."""
    try:
        state = lab.load()
    except LabError:
        return False
    return state.get("phase") == "up" and procs.running(procs.record(lab, "apiserver"))


def up(lab, nodes=3, topology_name="flat", encap="crosssubnet", bgp=True, router=None,
       say=print):
    _preflight()
    if nodes < 1 or nodes > 32:
        raise LabError("--nodes must be 1..32")
    if _running(lab):
        raise LabError("lab %r is already up (%s); `twill-lab --lab %s down` first, or pick "
                       "another --lab name" % (lab.name, lab.dir, lab.name))
    if not lab.is_lab_dir():
        raise LabError("%s exists and is not a lab directory; pick another --state-dir"
                       % lab.dir)
    nss, pids, has_dir = teardown.leftovers(lab)
    if nss or pids or has_dir:
        say("up: removing the leftovers of an earlier lab %r (%d namespaces, %d processes)"
            % (lab.name, len(nss), len(pids)))
        teardown.down(lab, say=say)
    lab.make_dir()
    os.makedirs(lab.path("logs"), exist_ok=True)
    plan = topology.plan(lab, nodes, topology_name)
    state = {"name": lab.name, "dir": lab.dir, "topology": topology_name, "encap": encap,
             "bgp": bgp, "router": router, "nodes": plan, "pods": {}, "api": None,
             "phase": "starting"}
    try:
        with lab:
            lab.save(state)
            _bring_up(lab, state, say)
            state["phase"] = "up"
            lab.save(state)
    except BaseException as e:
        say("up: failed (%s); removing what was started" % (e if str(e) else type(e).__name__))
        try:
            teardown.down(lab, say=say)
        except Exception as e2:  # report the first error, not the cleanup's
            say("up: cleanup also failed: %s" % e2)
        if isinstance(e, CommandError):
            raise LabError(str(e)) from None
        raise
    return state


def _bring_up(lab, state, say):
    say("up: etcd")
    etcd_url = control_plane.start_etcd(lab)
    say("up: API server (TLS, token auth)")
    state["api"] = control_plane.start_apiserver(lab, etcd_url)
    state["etcd"] = etcd_url
    lab.save(state)
    api = Api(state["api"])
    n = cluster.apply_crds(api)
    cluster.apply_defaults(api, state["encap"], state["bgp"])
    say("up: %d CRDs, default IPPool (vxlanMode %s), BGPConfiguration, FelixConfiguration "
        "applied with kubectl" % (n, cluster.VXLAN_MODE[state["encap"]]))
    say("up: network %s (%s)" % (lab.net_ns, state["topology"]))
    topology.create_net(lab, state["topology"])
    for node in state["nodes"]:
        topology.create_node(lab, node)
    control_plane.start_relay(lab, state["api"]["port"], [n["ns"] for n in state["nodes"]])
    for node in state["nodes"]:
        cluster.register_node(api, lab, node)
        ipam = node_agent.install_cni(lab, node, state, api)
        node["ipam"] = ipam
        say("up: %s %s/%d in %s; chart rendered, install-cni done (ipam: %s)" % (
            node["name"], node["ip"], node["prefixlen"], node["ns"], ipam))
    lab.save(state)
    if state["router"] == "frr":
        from . import router
        cluster.add_router_peers(api, state["nodes"])
        router.start(lab, state)
        say("up: FRR router (AS %d) in %s" % (topology.ROUTER_AS, lab.net_ns))
    for node in state["nodes"]:
        node_agent.start_daemons(lab, node, state, say)
    controllers.start(lab, state, say)
