"""The lab network: node namespaces on one or two bridges.

  flat          twl-<lab>-net: br0 10.99.0.1/24 ── nodeN: eth0 10.99.0.(10+N)/24
  two-subnets   twl-<lab>-net: br0 10.99.1.1/24 ── odd nodes  10.99.1.(10+N)/24
                               br1 10.99.2.1/24 ── even nodes 10.99.2.(10+N)/24
                               (forwarding on: it is the router between them)

Every node namespace gets loopback up, eth0 (a veth whose peer is created
directly in the net namespace and enslaved to the bridge), a default route
via the bridge address (proxy ARP for the pods' 169.254.1.1 gateway answers
only when a route covers it) and IPv4/IPv6 forwarding on, like a host. The
net namespace also hosts the external router (FRR) when asked for, at the
bridge address(es). Nothing is created in the root namespace.
"""

import ipaddress

from . import sh

ROUTER_AS = 65000
POOL_CIDR = "10.244.0.0/16"
SUBNETS = {"flat": ["10.99.0.0/24"], "two-subnets": ["10.99.1.0/24", "10.99.2.0/24"]}


def plan(lab, count, topology):
    """Node records: name, namespace, address, subnet, gateway, bridge."""
    subnets = [ipaddress.ip_network(s) for s in SUBNETS[topology]]
    nodes = []
    for i in range(1, count + 1):
        k = (i - 1) % len(subnets)
        net = subnets[k]
        name = "node%d" % i
        nodes.append({
            "name": name, "ns": lab.node_ns(name),
            "ip": str(net.network_address + 10 + i), "prefixlen": net.prefixlen,
            "subnet": str(net), "gateway": str(net.network_address + 1), "bridge": "br%d" % k,
        })
    return nodes


def gateways(topology):
    return [(("br%d" % k), str(ipaddress.ip_network(s).network_address + 1),
             ipaddress.ip_network(s).prefixlen) for k, s in enumerate(SUBNETS[topology])]


def create_net(lab, topology):
    ns = lab.net_ns
    sh.netns_add(ns)
    sh.sysctl(ns, "net.ipv4.ip_forward", 1)
    for bridge, gw, plen in gateways(topology):
        sh.ip(ns, "link", "add", bridge, "type", "bridge")
        sh.ip(ns, "addr", "add", "%s/%d" % (gw, plen), "dev", bridge)
        sh.ip(ns, "link", "set", bridge, "up")


def create_node(lab, node):
    ns = node["ns"]
    sh.netns_add(ns)
    sh.ip(ns, "link", "add", "eth0", "type", "veth", "peer", "name", node["name"],
          "netns", lab.net_ns)
    sh.ip(lab.net_ns, "link", "set", node["name"], "master", node["bridge"], "up")
    sh.ip(ns, "addr", "add", "%s/%d" % (node["ip"], node["prefixlen"]), "dev", "eth0")
    sh.ip(ns, "link", "set", "eth0", "up")
    sh.ip(ns, "route", "add", "default", "via", node["gateway"])
    sh.sysctl(ns, "net.ipv4.ip_forward", 1)
    sh.sysctl(ns, "net.ipv6.conf.all.forwarding", 1)
