"""Network namespaces for the CNI bench: the node, the pods, threads inside them, a pinger.

Every namespace this module creates carries the run's prefix and is recorded, so
NamespaceSet.cleanup() removes exactly ours -- also after a failure or Ctrl-C -- and never
touches anything else on the machine.

Plugins run in the node namespace without a wrapper process: a thread that has called
setns(2) forks children in its own network namespace, so executor threads that enter the
node namespace once (node_executor) run the plugin binaries there directly. Wrapping each
call in `ip netns exec` would add a fork+exec and a /sys remount (several ms) to every
sample, of every variant, and hide the plugins' own cost.

The pinger sends ICMP echo requests from a raw socket created inside the pod's namespace
(a socket stays in the namespace it was created in), so "dataplane ready" is measured
in-process with sub-millisecond resolution instead of by spawning ping(8).
"""

import concurrent.futures
import ctypes
import os
import select
import socket
import struct
import subprocess
import threading
import time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

# the node's uplink, as in tests/e2e/test_cni.py: an address and a default route, so proxy
# ARP for 169.254.1.1 has a route to cover it; pods ping NODE_IP.
NODE_IP = "192.168.250.1"
NODE_CIDR = NODE_IP + "/24"
NODE_GW = "192.168.250.254"


def sh(*args, input=None):
    p = subprocess.run(list(args), input=input, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), (p.stderr or p.stdout).strip()))
    return p.stdout


def enter_netns(path):
    """setns() the calling thread into the network namespace at path."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "setns %s: %s" % (path, os.strerror(err)))
    finally:
        os.close(fd)


def in_netns(path, fn, *args):
    """Run fn(*args) in a throwaway thread inside the namespace; returns its result. The
    thread ends afterwards, so no thread is ever left in a namespace it did not ask for."""
    out = {}

    def body():
        try:
            enter_netns(path)
            out["value"] = fn(*args)
        except BaseException as e:  # re-raised in the caller
            out["error"] = e
    t = threading.Thread(target=body)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def node_executor(node_path, workers):
    return concurrent.futures.ThreadPoolExecutor(
        max_workers=workers, initializer=enter_netns, initargs=(node_path,),
        thread_name_prefix="node")


class NamespaceSet:
    """The namespaces of one bench run, created and deleted in batches (`ip -batch`)."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.names = set()

    @staticmethod
    def path(name):
        return "/run/netns/" + name

    def add(self, names):
        names = list(names)
        # recorded first: a half-done batch is still cleaned up
        self.names.update(names)
        sh("ip", "-batch", "-", input="".join("netns add %s\n" % n for n in names))
        return [self.path(n) for n in names]

    def delete(self, names):
        names = [n for n in names if n in self.names]
        if names:
            existing = set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()
            todo = [n for n in names if n in existing]
            if todo:
                sh("ip", "-force", "-batch", "-",
                   input="".join("netns del %s\n" % n for n in todo))
            self.names.difference_update(names)

    def cleanup(self):
        """Delete every namespace of this run that still exists; returns their names."""
        try:
            existing = os.listdir("/run/netns")
        except OSError:
            existing = []
        ours = [n for n in existing if n.startswith(self.prefix)]
        for n in ours:
            subprocess.run(["ip", "netns", "del", n], capture_output=True)
        self.names.clear()
        return ours


def make_node(nsset, name):
    """A node namespace: lo up, uplink0 (a veth whose peer stays inside) with NODE_CIDR and a
    default route via NODE_GW, forwarding on. Returns its path."""
    (path,) = nsset.add([name])
    sh("ip", "-n", name, "-batch", "-", input=(
        "link set lo up\n"
        "link add uplink0 type veth peer name uplink1\n"
        "addr add %s dev uplink0\n"
        "link set uplink0 up\n"
        "link set uplink1 up\n"
        "route add default via %s\n" % (NODE_CIDR, NODE_GW)))
    sh("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    return path


# -- ICMP echo -----------------------------------------------------------------------------

def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def _echo_request(ident, seq):
    payload = b"twill-bench"
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, _checksum(hdr + payload), ident, seq) + payload


class Pinger:
    """A raw ICMP socket inside one pod namespace, made before the ADD (the namespace exists
    then, its interface does not yet)."""

    def __init__(self, pod_path, ident):
        self.sock = in_netns(pod_path, socket.socket, socket.AF_INET, socket.SOCK_RAW,
                             socket.IPPROTO_ICMP)
        self.sock.setblocking(False)
        self.ident = ident & 0xFFFF

    def wait_reply(self, dst, deadline, interval=0.001):
        """Send an echo request every `interval` s until a matching echo reply arrives;
        returns time.perf_counter() of its arrival, or None at the deadline."""
        seq = 0
        while True:
            now = time.perf_counter()
            if now >= deadline:
                return None
            seq = (seq + 1) & 0xFFFF
            try:
                self.sock.sendto(_echo_request(self.ident, seq), (dst, 0))
            except OSError:
                pass  # no route yet / neighbour not resolved: try again
            end = min(deadline, time.perf_counter() + interval)
            while True:
                left = end - time.perf_counter()
                if left <= 0:
                    break
                r, _, _ = select.select([self.sock], [], [], left)
                if not r:
                    break
                try:
                    pkt, _ = self.sock.recvfrom(2048)
                except OSError:
                    continue
                ihl = (pkt[0] & 0x0F) * 4
                if len(pkt) >= ihl + 8:
                    typ, _code, _ck, ident, _seq = struct.unpack("!BBHHH", pkt[ihl:ihl + 8])
                    if typ == 0 and ident == self.ident:
                        return time.perf_counter()

    def close(self):
        self.sock.close()
