"""Driving lab/twill-lab from a test: one command runner, one lab handle, one cleanup.

`LabCli(tmp_dir, letter)` names a lab `<letter><6 hex>` with its directory beside the
test's tmp dir (a pytest tmp_path or mktemp() dir), in the session's base temp dir: a
test's own dir carries up to 30 characters of the test's name, which would leave a node's
Unix socket (`<lab>/nodes/<node>/var/run/twill/ipam.sock`) longer than sun_path allows
(107 bytes; `up` refuses). The random name keeps labs of different tests (and of
parallel runs) apart.
`force_clean()` is for a finally: `down`, then whatever down missed (namespaces with the
lab's prefix, processes mentioning its directory), so a failing test leaves nothing.
"""

import json
import os
import secrets
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TWILL_LAB = os.path.join(REPO, "lab", "twill-lab")


def sh(*args, check=True, timeout=180, input=None, env=None):
    cp = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                        timeout=timeout, input=input, env=env)
    if check and cp.returncode != 0:
        raise AssertionError("%s -> %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(map(str, args)), cp.returncode, cp.stdout, cp.stderr))
    return cp


def netns_list():
    out = sh("ip", "-j", "netns", "list", check=False).stdout.strip()
    return sorted(n["name"] for n in json.loads(out)) if out else []


def netns_pids_named(ns, comm):
    """PIDs in network namespace ns whose command name (/proc/PID/comm) is comm."""
    pids = []
    for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
        try:
            with open("/proc/%s/comm" % pid) as f:
                if f.read().strip() == comm:
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


def processes_mentioning(text):
    """PIDs whose command line mentions text, or which carry TWILL_LAB_OWNER=text."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read()
            with open("/proc/%s/environ" % pid, "rb") as f:
                environ = f.read().split(b"\0")
        except OSError:
            continue
        if text.encode() in cmdline or ("TWILL_LAB_OWNER=" + text).encode() in environ:
            found.append(int(pid))
    return found


class LabCli:
    def __init__(self, tmp_dir, letter="t"):
        self.name = letter + secrets.token_hex(3)
        self.dir = os.path.join(os.path.dirname(os.path.abspath(str(tmp_dir))),
                                "lab-" + self.name)
        self.prefix = "twl-%s-" % self.name

    def __call__(self, *args, check=True, timeout=180, input=None):
        return sh("/usr/bin/python3", TWILL_LAB, "--lab", self.name, "--state-dir", self.dir,
                  *args, check=check, timeout=timeout, input=input)

    def apply(self, text, check=True):
        """kubectl apply -f - (YAML or JSON text)."""
        return self("kubectl", "apply", "-f", "-", input=text, check=check)

    def status(self, ping=True):
        return json.loads(self("status", "--json", *([] if ping else ["--no-ping"])).stdout)

    def kubectl_json(self, *args):
        return json.loads(self("kubectl", *args, "-o", "json").stdout)

    def node_ns(self, node):
        return self.prefix + node

    def pod_ip(self, key):
        return {p["key"]: p["ip"] for p in self.status(ping=False)["pods"]}[key]

    def namespaces(self, pods_and_nodes=False):
        return [n for n in netns_list() if n.startswith(self.prefix) and
                not (pods_and_nodes and n.startswith(self.prefix + "ctl"))]

    def diagnostics(self, logs=("felix", "ipam-server", "confgen"), lines=15):
        """What a failed reachability check needs: each node's routes, VXLAN device, FDB and
        neighbours, and the tails of its daemons' logs (the lab dir goes with teardown)."""
        out = []
        for ns in sorted(n for n in self.namespaces() if n[len(self.prefix):].startswith("node")):
            node = ns[len(self.prefix):]
            out.append("== %s" % node)
            for cmd in (["ip", "route"], ["ip", "-d", "link", "show", "type", "vxlan"],
                        ["bridge", "fdb", "show", "dev", "vxlan.twill"], ["ip", "neigh"]):
                r = sh("ip", "netns", "exec", ns, *cmd, check=False)
                out.append("$ %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
            for name in logs:
                path = os.path.join(self.dir, "nodes", node, "var", "log", "twill", name + ".log")
                try:
                    with open(path, errors="replace") as f:
                        tail = f.read().splitlines()[-lines:]
                except OSError:
                    continue
                out.append("-- %s.log\n%s" % (name, "\n".join(tail)))
        return "\n".join(out)

    def wait_all_reachable(self, timeout=90):
        deadline = time.monotonic() + timeout
        while True:
            m = self.status()["reachability"]
            if all(all(row.values()) for row in m.values()):
                return m
            assert time.monotonic() < deadline, "pods never all reachable: %r\n%s" % (
                m, self.diagnostics())
            time.sleep(2)

    def force_clean(self):
        """Last resort for a finally: down, then anything down missed."""
        self("down", check=False)
        for ns in self.namespaces():
            for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
                sh("kill", "-9", pid, check=False)
            sh("ip", "netns", "del", ns, check=False)
        for pid in processes_mentioning(self.dir):
            sh("kill", "-9", str(pid), check=False)
