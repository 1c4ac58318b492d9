"""CrossSubnet encapsulation in the lab, proved with packet counts.

A 3-node lab with `--topology two-subnets --encap crosssubnet --bgp off`: node1 and node3
are on 10.99.1.0/24, node2 on 10.99.2.0/24; one pod per node. Felix alone programs the
routes. For each pod pair pinged from node1's pod we count, on node1's uplink (eth0, with
tcpdump) and on vxlan.twill (`ip -s link` packet counters), while the ping runs:

- same subnet (node1 -> node3): the ICMP echo requests leave eth0 as they are (pod
  addresses visible), no UDP 4789 packet at all, and vxlan.twill's tx/rx counters do not
  move;
- other subnet (node1 -> node2): UDP 4789 packets on eth0 (at least one per echo request),
  vxlan.twill's tx counter grows by at least the number of requests, and no bare ICMP
  from the pod is seen on eth0.

The lab has a random name, lives in pytest's tmp dir and is torn down in a finally, as is
every tcpdump started here. Needs root, tcpdump and the built binaries (TWILL_BUILD_DIR).
"""

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from tests.e2e.labcli import LabCli, sh
from test_felix_lab import FELIX, NEEDED, BUILD, proto81

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(not all(os.path.exists(p) for p in NEEDED),
                       reason="needs twill-cni, twill-ipam and twill-felix in " + BUILD),
    pytest.mark.skipif(shutil.which("tcpdump") is None, reason="needs tcpdump"),
]

PINGS = 5
assert FELIX  # the same binaries as test_felix_lab


class Capture:
    """tcpdump on one interface of a namespace; count() stops it and returns the packets."""

    def __init__(self, ns, dev, bpf):
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-n", "-l", "-U",
                                   "-i", dev, bpf], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, start_new_session=True)
        # tcpdump says "listening on" once the filter is attached: from then on it counts.
        deadline = time.monotonic() + 10
        line = ""
        while "listening on" not in line:
            assert self.p.poll() is None, "tcpdump exited: %s" % self.p.stderr.read()
            assert time.monotonic() < deadline, "tcpdump never started listening"
            line = self.p.stderr.readline()

    def count(self):
        time.sleep(0.5)  # let the last replies arrive
        self.stop()
        out = self.p.stdout.read()
        return [ln for ln in out.splitlines() if ln.strip()]

    def stop(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGINT)
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(timeout=10)


def vxlan_counters(ns):
    link = json.loads(sh("ip", "-n", ns, "-s", "-j", "link", "show", "vxlan.twill").stdout)[0]
    st = link["stats64"]
    return st["tx"]["packets"], st["rx"]["packets"]


def measure(lab, ns, src_pod, dst_ip):
    """Ping dst_ip from src_pod; return (udp4789 lines, bare icmp lines, vxlan tx, rx deltas)."""
    src_ip = lab.pod_ip(src_pod)
    caps = []
    try:
        caps.append(Capture(ns, "eth0", "udp port 4789"))
        caps.append(Capture(ns, "eth0", "icmp and src host %s and dst host %s"
                            % (src_ip, dst_ip)))
        tx0, rx0 = vxlan_counters(ns)
        out = lab("exec", src_pod, "--", "ping", "-n", "-i", "0.2", "-c", str(PINGS),
                  "-W", "2", dst_ip).stdout
        assert " 0% packet loss" in out, out
        tx1, rx1 = vxlan_counters(ns)
        udp = caps[0].count()
        icmp = caps[1].count()
    finally:
        for c in caps:
            c.stop()
    return udp, icmp, tx1 - tx0, rx1 - rx0


def test_crosssubnet_encapsulates_only_between_subnets(tmp_path):
    lab = LabCli(tmp_path, "x")
    try:
        lab("up", "--nodes", "3", "--topology", "two-subnets", "--bgp", "off",
            "--encap", "crosssubnet")
        for i in (1, 2, 3):
            lab("pod", "add", "x%d" % i, "--node", "node%d" % i)
        lab.wait_all_reachable()
        nodes = {n["name"]: n for n in lab.status(ping=False)["nodes"]}
        assert nodes["node1"]["subnet"] == nodes["node3"]["subnet"] != nodes["node2"]["subnet"]
        routes = proto81(lab, "node1")
        assert "via %s dev eth0" % nodes["node3"]["ip"] in routes, routes
        assert "dev vxlan.twill" in routes, routes
        ns = lab.node_ns("node1")

        # Same subnet: plain IP on the uplink, the tunnel untouched.
        udp, icmp, dtx, drx = measure(lab, ns, "default/x1", lab.pod_ip("default/x3"))
        assert udp == [], "UDP 4789 seen between same-subnet pods:\n" + "\n".join(udp)
        assert len(icmp) >= PINGS, icmp
        assert (dtx, drx) == (0, 0), "vxlan.twill counters moved: tx+%d rx+%d" % (dtx, drx)

        # Other subnet: VXLAN on the uplink, no bare pod ICMP.
        udp, icmp, dtx, drx = measure(lab, ns, "default/x1", lab.pod_ip("default/x2"))
        assert len(udp) >= 2 * PINGS, "too few UDP 4789 packets: %r" % udp
        assert icmp == [], "bare pod ICMP between subnets:\n" + "\n".join(icmp)
        assert dtx >= PINGS and drx >= PINGS, "vxlan.twill tx+%d rx+%d" % (dtx, drx)
    finally:
        lab.force_clean()
