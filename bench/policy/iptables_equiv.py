"""The linear iptables ruleset equivalent to a loaded `table inet twill` (bench/policy).

Input is what the kernel holds: `nft -j list table inet twill` after twill applied its
compiled ruleset, so the comparison ruleset is derived from exactly what twill enforces, not
from a second implementation of NetworkPolicy. Every set element becomes one rule in one
flat chain per direction, in the table's order (endpoints sorted by interface name):

    *filter
    :TW-EGRESS - [0:0]                     from_pod map: per pod (-i IF) its allowed
    :TW-INGRESS - [0:0]                    destinations -j RETURN, then -i IF -j DROP;
    -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT   to_pod map: per pod
    -A FORWARD -m conntrack --ctstate INVALID -j DROP                 (-o IF) its allowed
    -A FORWARD -j TW-EGRESS                                           sources -j ACCEPT,
    -A FORWARD -j TW-INGRESS                                          then -o IF -j DROP
    -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
    -A INPUT -j TW-EGRESS

The same conntrack-first order as twill's forward chain, so a packet of an established flow
costs the same in both; a new connection walks the chain linearly up to its pod's rules.
IPv4 only: the bench cluster has no IPv6 addresses (ip6 sets stay empty; checked).
"""

NFT_PROTOS = {"tcp": "tcp", "udp": "udp", "sctp": "sctp", 6: "tcp", 17: "udp", 132: "sctp"}


class Unsupported(ValueError):
    """An element shape this translation does not know (the bench then cannot compare)."""


def addr_match(value, direction):
    """-> iptables words matching an nft address element (src for ingress, dst for egress)."""
    flag = "-s" if direction == "src" else "-d"
    if isinstance(value, str):
        return [flag, value]
    if isinstance(value, dict) and "prefix" in value:
        return [flag, "%s/%d" % (value["prefix"]["addr"], value["prefix"]["len"])]
    if isinstance(value, dict) and "range" in value:
        lo, hi = value["range"]
        return ["-m", "iprange", "--%s-range" % direction, "%s-%s" % (lo, hi)]
    raise Unsupported("address element %r" % (value,))


def port_match(proto, port):
    if proto not in NFT_PROTOS:
        raise Unsupported("protocol %r" % (proto,))
    words = ["-p", NFT_PROTOS[proto]]
    if isinstance(port, int):
        return words + ["--dport", str(port)]
    if isinstance(port, dict) and "range" in port:
        return words + ["--dport", "%d:%d" % tuple(port["range"])]
    raise Unsupported("port element %r" % (port,))


def element_value(e):
    """nft -j writes set elements either bare or wrapped in {"elem": {"val": ...}}."""
    if isinstance(e, dict) and "elem" in e:
        return e["elem"]["val"]
    return e


def parse_table(doc):
    """nft -j list table -> (sets {name: [element]}, maps {name: [iface]})."""
    sets, maps = {}, {}
    for obj in doc.get("nftables", []):
        if "set" in obj:
            sets[obj["set"]["name"]] = [element_value(e) for e in obj["set"].get("elem", [])]
        elif "map" in obj:
            ifaces = []
            for e in obj["map"].get("elem", []):
                key = e[0] if isinstance(e, list) else element_value(e)
                ifaces.append(key)
            maps[obj["map"]["name"]] = ifaces
    return sets, maps


def side_rules(sets, iface, prefix, chain, ifflag, direction, verdict):
    rules = []
    for fam in ("v6", "v6p"):
        if sets.get("%s_%s_%s" % (prefix, iface, fam)):
            raise Unsupported("IPv6 elements in %s_%s_%s" % (prefix, iface, fam))
    for v in sets.get("%s_%s_v4" % (prefix, iface), []):
        rules.append(["-A", chain, ifflag, iface] + addr_match(v, direction) + ["-j", verdict])
    for v in sets.get("%s_%s_v4p" % (prefix, iface), []):
        if not (isinstance(v, dict) and "concat" in v and len(v["concat"]) == 3):
            raise Unsupported("element %r of %s_%s_v4p" % (v, prefix, iface))
        a, proto, port = v["concat"]
        rules.append(["-A", chain, ifflag, iface] + addr_match(a, direction)
                     + port_match(proto, port) + ["-j", verdict])
    rules.append(["-A", chain, ifflag, iface, "-j", "DROP"])
    return rules


def ruleset(nft_json):
    """-> (iptables-restore text, {"rules": total, "egress": n, "ingress": n,
    "position": {iface: index of its first TW-INGRESS rule}})."""
    sets, maps = parse_table(nft_json)
    egress, ingress, position = [], [], {}
    for iface in sorted(maps.get("from_pod", [])):
        egress += side_rules(sets, iface, "from", "TW-EGRESS", "-i", "dst", "RETURN")
    for iface in sorted(maps.get("to_pod", [])):
        position[iface] = len(ingress)
        ingress += side_rules(sets, iface, "to", "TW-INGRESS", "-o", "src", "ACCEPT")
    head = [["-A", "FORWARD", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j",
             "ACCEPT"],
            ["-A", "FORWARD", "-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"],
            ["-A", "FORWARD", "-j", "TW-EGRESS"],
            ["-A", "FORWARD", "-j", "TW-INGRESS"],
            ["-A", "INPUT", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j",
             "ACCEPT"],
            ["-A", "INPUT", "-j", "TW-EGRESS"]]
    lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
             ":TW-EGRESS - [0:0]", ":TW-INGRESS - [0:0]"]
    lines += [" ".join(r) for r in head + egress + ingress]
    lines.append("COMMIT")
    stats = {"rules": len(head) + len(egress) + len(ingress), "egress": len(egress),
             "ingress": len(ingress), "position": position}
    return "\n".join(lines) + "\n", stats
