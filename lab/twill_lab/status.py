"""`status`: what the lab looks like right now, measured, never assumed.

Nodes (address, AS, BGP sessions Established/total as BIRD reports them,
felix readiness from its :9099/readiness inside the node namespace, the IPAM
server's readiness as its probe sees it: a socket where the conflist says), pools
(blocks, addresses allocated by IPAM / pool size; while host-local stands
in for twill-ipam, pods with an address in the pool), pods (node, IP) and a
reachability matrix: one ping from every pod to every other pod, in parallel. A
component that is not built yet is shown as "not built yet".
"""

import concurrent.futures
import ipaddress
import json
import os
import re
import stat

from . import controllers, node_agent, procs, sh
from .control_plane import Api
from .topology import ROUTER_AS


def bird_sessions(lab, node):
    """(established, total) BGP protocols from birdc, or None if BIRD is not up."""
    rec = procs.record(lab, node["name"] + "-bird")
    if not procs.running(rec):
        return None
    sock = node_agent.node_paths(lab, node)["bird_sock"]
    cp = sh.run("birdc", "-s", sock, "show", "protocols", check=False, timeout=10)
    if cp.returncode != 0:
        return None
    rows = [line.split() for line in cp.stdout.splitlines()]
    bgp = [r for r in rows if len(r) >= 4 and r[1] == "BGP"]
    return sum(1 for r in bgp if "Established" in r), len(bgp)


def felix_ready(lab, node):
    probe = ("import urllib.request,sys\n"
             "try:\n urllib.request.urlopen('http://127.0.0.1:9099/readiness',timeout=2)\n"
             "except Exception: sys.exit(1)\n")
    cp = sh.run("ip", "netns", "exec", node["ns"], "/usr/bin/python3", "-c", probe,
                check=False, timeout=10)
    return cp.returncode == 0


def ipam_server_ready(lab, node):
    """The chart's readinessProbe (test -S) on the socket the node's conflist
    names: what twill-ipam connects to."""
    try:
        with open(node_agent.node_paths(lab, node)["conflist"]) as f:
            sock = json.load(f)["plugins"][0]["ipam"].get("socket")
        return bool(sock) and stat.S_ISSOCK(os.stat(sock).st_mode)
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return False


def _as_number(api, node):
    cfg = None
    status, doc = api.request("GET", "/apis/twill.dev/v1/bgpconfigurations/default")
    if status == 200:
        cfg = doc.get("spec", {}).get("asNumber")
    status, doc = api.request("GET", "/api/v1/nodes/" + node["name"])
    if status == 200:
        own = doc["metadata"].get("annotations", {}).get("twill.dev/asNumber")
        if own:
            return own
    return str(cfg or 64512)


def ping(src_ns, dst_ip):
    cp = sh.run("ip", "netns", "exec", src_ns, "ping", "-n", "-q", "-c", "1", "-W", "1",
                dst_ip, check=False, timeout=10)
    return cp.returncode == 0


def reachability(pods):
    """{src key: {dst key: bool}} for every ordered pair of distinct pods."""
    pairs = [(a, b) for a in pods for b in pods if a != b]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        results = list(ex.map(lambda ab: ping(pods[ab[0]]["netns"], pods[ab[1]]["ip"]), pairs))
    matrix = {k: {} for k in pods}
    for (a, b), ok in zip(pairs, results):
        matrix[a][b] = ok
    return matrix


def collect(lab, state, matrix=True):
    api = Api(state["api"])
    nodes = []
    for node in state["nodes"]:
        felix = node_agent.daemon_state(lab, node, "felix", state["bgp"])
        if felix == "running":
            felix = "ready" if felix_ready(lab, node) else "not ready"
        ipam_server = node_agent.daemon_state(lab, node, "ipam-server", state["bgp"])
        if ipam_server == "running":
            ipam_server = "ready" if ipam_server_ready(lab, node) else "not ready"
        bird = node_agent.daemon_state(lab, node, "bird", state["bgp"])
        bgp = bird
        if bird == "running":
            s = bird_sessions(lab, node)
            bgp = "%d/%d" % s if s else "no answer"
        nodes.append({"name": node["name"], "ip": node["ip"], "subnet": node["subnet"],
                      "as": _as_number(api, node), "bgp": bgp, "felix": felix,
                      "ipam": node.get("ipam", "?"), "ipam_server": ipam_server,
                      "pods": sum(1 for p in state["pods"].values()
                                  if p["node"] == node["name"])})
    pools = []
    blocks = _blocks(api)
    host_local = any(n.get("ipam") == "host-local" for n in state["nodes"])
    for pool in api.list("/apis/twill.dev/v1/ippools") or []:
        spec = pool.get("spec", {})
        net = ipaddress.ip_network(spec.get("cidr", "0.0.0.0/32"), strict=False)
        mine = [b for b in blocks if b[0].subnet_of(net)]
        if host_local:  # host-local's allocations are not in the API: count pods
            used = sum(1 for p in state["pods"].values()
                       if p.get("ip") and ipaddress.ip_address(p["ip"]) in net)
        else:  # IPAM's own count: pods plus VXLAN tunnel addresses
            used = sum(b[1] for b in mine)
        pools.append({"name": pool["metadata"]["name"], "cidr": str(net),
                      "vxlanMode": spec.get("vxlanMode", "Never"),
                      "disabled": bool(spec.get("disabled")), "blocks": len(mine),
                      "used": used, "total": net.num_addresses})
    pods = [{"key": k, "node": p["node"], "ip": p.get("ip"), "labels": p.get("labels", {})}
            for k, p in sorted(state["pods"].items())]
    out = {"lab": lab.name, "topology": state["topology"], "encap": state["encap"],
           "router": _router(lab, state), "nodes": nodes, "pools": pools, "pods": pods,
           "components": {n: bool(node_agent.binary(n)) for n in
                          ("twill-cni", "twill-ipam", "twill-felix", "twill-confgen")}}
    try:
        out["controllers"] = controllers.status(lab, state)
    except (OSError, ValueError, KeyError):
        out["controllers"] = []
    if matrix:
        out["reachability"] = reachability(dict(sorted(state["pods"].items())))
    return out


def _blocks(api):
    """[(network, allocated count)] of every IPAMBlock."""
    out = []
    for b in api.list("/apis/twill.dev/v1/ipamblocks") or []:
        spec = b.get("spec", {})
        try:
            net = ipaddress.ip_network(spec.get("cidr", ""), strict=False)
        except ValueError:
            continue
        out.append((net, sum(1 for a in spec.get("allocations") or [] if a is not None)))
    return out


def _router(lab, state):
    if state.get("router") != "frr":
        return None
    from . import router
    return {"as": ROUTER_AS, "sessions": router.sessions(lab, state)}


def converged(st, why=False):
    """Every BGP session Established (nodes with BIRD running, and the router)
    and every pod reaching every other. why=True returns the first reason not."""
    for n in st["nodes"]:
        m = re.match(r"^(\d+)/(\d+)$", n["bgp"])
        if m and (m.group(1) != m.group(2) or m.group(2) == "0"):
            return "%s: %s BGP sessions Established" % (n["name"], n["bgp"]) if why else False
        if n["bgp"] in ("running", "exited", "no answer", "not started"):
            return "%s: BIRD %s" % (n["name"], n["bgp"]) if why else False
    r = st.get("router")
    if r is not None and (not r["sessions"] or r["sessions"][0] != r["sessions"][1]):
        return "router: %s BGP sessions Established" % (r["sessions"],) if why else False
    for src, row in (st.get("reachability") or {}).items():
        for dst, ok in row.items():
            if not ok:
                return "%s cannot reach %s" % (src, dst) if why else False
    return "" if why else True


def _table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    fmt = "  ".join("%%-%ds" % w for w in widths)
    return "\n".join((fmt % tuple(map(str, r))).rstrip() for r in [headers] + list(rows))


def render(st):
    built = ", ".join("%s %s" % (k, "built" if v else "NOT BUILT YET")
                      for k, v in st["components"].items())
    lines = ["lab %s: topology %s, encap %s" % (st["lab"], st["topology"], st["encap"]),
             "components: " + built, ""]
    lines.append(_table(["NODE", "IP", "SUBNET", "AS", "BGP UP/TOTAL", "FELIX", "IPAM",
                         "IPAM SERVER", "PODS"],
                        [[n["name"], n["ip"], n["subnet"], n["as"], n["bgp"], n["felix"],
                          n["ipam"], n["ipam_server"], n["pods"]] for n in st["nodes"]]))
    if st.get("controllers"):
        lines += ["", "controllers: " + ", ".join("%s %s" % r for r in st["controllers"])]
    if st.get("router"):
        s = st["router"]["sessions"]
        lines += ["", "router (FRR, AS %d): %s" % (
            st["router"]["as"], "%d/%d BGP sessions Established" % s if s else "not answering")]
    lines += ["", _table(["POOL", "CIDR", "VXLAN", "BLOCKS", "USED/TOTAL"],
                         [[p["name"], p["cidr"], p["vxlanMode"] + (" (disabled)" if p["disabled"]
                                                                   else ""),
                           p["blocks"], "%d/%d" % (p["used"], p["total"])]
                          for p in st["pools"]])]
    lines += [""]
    if not st["pods"]:
        lines.append("no pods (twill-lab pod add NAME --node NODE)")
        return "\n".join(lines)
    lines.append(_table(["POD", "NODE", "IP", "LABELS"],
                        [[p["key"], p["node"], p["ip"],
                          ",".join("%s=%s" % kv for kv in sorted(p["labels"].items())) or "-"]
                         for p in st["pods"]]))
    m = st.get("reachability")
    if m is not None and len(m) > 1:
        keys = sorted(m)
        short = {k: re.sub(r"^default/", "", k) for k in keys}
        rows = [[short[a]] + [("-" if a == b else ("ok" if m[a][b] else "FAIL")) for b in keys]
                for a in keys]
        ok = sum(v for row in m.values() for v in row.values())
        total = sum(len(row) for row in m.values())
        lines += ["", "reachability (ping from row to column): %d/%d" % (ok, total),
                  _table(["FROM \\ TO"] + [short[k] for k in keys], rows)]
    return "\n".join(lines)
