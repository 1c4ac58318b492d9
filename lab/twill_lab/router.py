"""The external router: FRR's bgpd in the lab's net namespace (the ToR).

It listens at the bridge address(es) with AS 65000 and has every node as a
neighbour (AS from the BGPConfiguration, 64512 by default); the nodes get a
BGPPeer each towards their own subnet's gateway (cluster.add_router_peers).
bgpd runs in the foreground (so the lab records its pid) with -S (stay root:
FRR's vty group is not root's) and -Z (no zebra: the router only needs to
speak BGP; between the two subnets it routes with its connected routes, and
across subnets pods use VXLAN in the default CrossSubnet mode). Its vty
socket lives in <lab>/router, which is where `vtysh --vty_socket` points.
"""

import json
import os

from . import procs, sh
from .topology import ROUTER_AS, gateways

BGPD = "/usr/lib/frr/bgpd"


def vty_dir(lab):
    return lab.path("router")


def config(state, node_as=64512):
    gws = gateways(state["topology"])
    lines = ["frr defaults datacenter", "hostname twill-lab-router", "!",
             "router bgp %d" % ROUTER_AS, " bgp router-id %s" % gws[0][1],
             " no bgp ebgp-requires-policy", " neighbor NODES peer-group",
             " neighbor NODES remote-as %d" % node_as]
    lines += [" neighbor %s peer-group NODES" % n["ip"] for n in state["nodes"]]
    lines += [" address-family ipv4 unicast", "  neighbor NODES activate",
              " exit-address-family", "!"]
    return "\n".join(lines) + "\n"


def start(lab, state):
    if not os.access(BGPD, os.X_OK):
        raise RuntimeError("--router frr: %s not installed" % BGPD)
    d = vty_dir(lab)
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "frr.conf")
    with open(conf, "w") as f:
        f.write(config(state))
    procs.spawn(lab, "router-bgpd", [
        BGPD, "-S", "-Z", "-P", "0", "-f", conf, "-i", os.path.join(d, "bgpd.pid"),
        "--vty_socket", d, "--log", "file:" + os.path.join(d, "bgpd.log")],
        os.path.join(d, "bgpd.out"), netns=lab.net_ns)


def summary(lab):
    cp = sh.run("vtysh", "--vty_socket", vty_dir(lab), "-c", "show bgp summary json",
                check=False, timeout=10)
    if cp.returncode != 0:
        return None
    try:
        return json.loads(cp.stdout)
    except ValueError:
        return None


def sessions(lab, state):
    """(established, total) neighbours of the router, or None if it does not answer."""
    if not procs.running(procs.record(lab, "router-bgpd")):
        return None
    doc = summary(lab)
    if doc is None:
        return None
    peers = doc.get("ipv4Unicast", {}).get("peers", {})
    return sum(1 for p in peers.values() if p.get("state") == "Established"), len(peers)
