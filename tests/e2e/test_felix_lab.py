"""twill-felix in the lab (lab/twill-lab): multi-node scenarios where felix alone routes.

- 3 flat nodes with BGP off and no encapsulation: felix installs host-gw routes (via the
  other nodes' IPs); pods on all nodes reach each other. Then felix on node1 is killed
  with SIGKILL and started again while a pod on node1 pings a pod on node2 every 50 ms:
  not one packet may be lost (felix never flushes, and a restart converges without
  deleting anything it still wants).
- 2 flat nodes with BGP off and vxlanMode Always: traffic goes through vxlan.twill, whose
  VTEP data felix allocated and published itself.
Each lab has a random name, lives in pytest's tmp dir and is torn down in a finally (plus
the felix this test started itself). Needs root and the built binaries (TWILL_BUILD_DIR).
"""

import os
import signal
import subprocess
import time

import pytest

from tests.e2e.labcli import REPO, TWILL_LAB, LabCli, netns_pids_named, sh

BUILD = os.environ.get("TWILL_BUILD_DIR", os.path.join(REPO, "build-release"))
FELIX = os.path.join(BUILD, "felix", "twill-felix")
NEEDED = [os.path.join(BUILD, "cni", "twill-cni"), os.path.join(BUILD, "ipam", "twill-ipam"),
          FELIX]

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(not all(os.path.exists(p) for p in NEEDED),
                       reason="needs twill-cni, twill-ipam and twill-felix in " + BUILD),
]


def felix_pids(ns):
    return netns_pids_named(ns, "twill-felix")


def felix_ready(ns):
    probe = ("import urllib.request,sys\n"
             "try:\n urllib.request.urlopen('http://127.0.0.1:9099/readiness',timeout=2)\n"
             "except Exception: sys.exit(1)\n")
    return sh("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", probe,
              check=False).returncode == 0


def proto81(lab, node):
    return sh("ip", "-n", lab.node_ns(node), "route", "show", "proto", "81").stdout


def test_host_gw_three_nodes_and_restart_without_loss(tmp_path):
    lab = LabCli(tmp_path, "f")
    mine = None
    try:
        lab("up", "--nodes", "3", "--topology", "flat", "--bgp", "off", "--encap", "none")
        for i in (1, 2, 3):
            lab("pod", "add", "h%d" % i, "--node", "node%d" % i)
        lab.wait_all_reachable()
        ips = {n["name"]: n["ip"] for n in lab.status(ping=False)["nodes"]}
        routes = proto81(lab, "node1")
        assert ("via %s dev eth0" % ips["node2"]) in routes, routes
        assert ("via %s dev eth0" % ips["node3"]) in routes, routes
        assert "vxlan.twill" not in routes

        ns = lab.node_ns("node1")
        target = lab.pod_ip("default/h2")
        ping = subprocess.Popen(
            ["/usr/bin/python3", TWILL_LAB, "--lab", lab.name, "--state-dir", lab.dir, "exec",
             "default/h1", "--", "ping", "-n", "-i", "0.05", "-c", "160", target],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(1)
        old = felix_pids(ns)
        assert old, "the lab's felix is not running on node1"
        for pid in old:
            os.kill(pid, signal.SIGKILL)
        node_dir = os.path.join(lab.dir, "nodes", "node1")
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NODENAME": "node1",
               "KUBECONFIG": os.path.join(node_dir, "etc", "twill", "kubeconfig"),
               "TWILL_NETWORKING_BACKEND": "none", "TWILL_LOG_LEVEL": "info"}
        mine = subprocess.Popen(["ip", "netns", "exec", ns, FELIX], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        deadline = time.monotonic() + 30
        while not felix_ready(ns):
            assert mine.poll() is None, "restarted felix exited"
            assert time.monotonic() < deadline, "restarted felix never became ready"
            time.sleep(0.2)
        out, _ = ping.communicate(timeout=60)
        assert " 0% packet loss" in out, out
        assert proto81(lab, "node1") == routes
    finally:
        if mine is not None and mine.poll() is None:
            os.killpg(mine.pid, signal.SIGKILL)
            mine.wait(timeout=10)
        lab.force_clean()


def test_vxlan_always_with_bgp_off(tmp_path):
    lab = LabCli(tmp_path, "f")
    try:
        lab("up", "--nodes", "2", "--topology", "flat", "--bgp", "off", "--encap", "vxlan")
        lab("pod", "add", "v1", "--node", "node1")
        lab("pod", "add", "v2", "--node", "node2")
        lab.wait_all_reachable()
        routes = proto81(lab, "node1")
        assert "dev vxlan.twill" in routes and "onlink" in routes, routes
        node = lab.kubectl_json("get", "node", "node2")
        ann = node["metadata"]["annotations"]
        fdb = sh("bridge", "-n", lab.node_ns("node1"), "fdb", "show", "dev",
                 "vxlan.twill").stdout
        assert ann["twill.dev/vxlanTunnelMACAddr"] in fdb, (ann, fdb)
    finally:
        lab.force_clean()
