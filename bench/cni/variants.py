"""What the CNI bench compares: plugin configurations and the control plane twill-ipam needs.

Variants (each gets its own, identically built node namespace, so the bridge plugin's cni0
and twill's /32 routes never meet):
  bridge+host-local     the reference: Debian's containernetworking-plugins, as a plain
                        single-node setup would use them (cni0 as the pods' gateway)
  twill-cni+host-local  twill's plugin with the same IPAM as the reference: the difference
                        is the plugin alone
  twill-cni+twill-ipam  twill as deployed: block IPAM through the Kubernetes API plus the
                        pod annotation patch, against the test API server (tests/apiserver)
                        reached from the node through the lab's relay (lab/twill_lab/relay.py),
                        with the node-local IPAM server (`twill-ipam serve`, in the node's
                        namespace) the chart runs and the conflist's ipam.socket naming it

The control plane (etcd + test API server + relay) is started only when the twill-ipam
variant runs, and ControlPlane.stop() is idempotent so the bench's finally can always call it.
"""

import os
import select
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

REF_PLUGINS = "/usr/lib/cni"
PYTHON = "/usr/bin/python3"
RELAY = os.path.join(REPO, "lab", "twill_lab", "relay.py")
NETWORK = "twbench"
CNI_VERSION = "1.0.0"
POOL = {"name": "bench-pool", "cidr": "10.96.0.0/16", "blockSize": 26}
NODE_NAME = "bench-node"


class Variant:
    def __init__(self, name, short, plugin, ipam, needs_api=False):
        self.name = name
        self.short = short      # goes into namespace and pod names
        self.plugin = plugin    # "twill-cni" or "bridge"
        self.ipam = ipam        # "host-local" or "twill-ipam"
        self.needs_api = needs_api
        self.node_path = None
        self.node_name = None
        self.data_dir = None
        self.kubeconfig = None
        self.ipam_socket = None

    def conf(self):
        if self.ipam == "host-local":
            subnet = "10.245.0.0/16" if self.plugin == "bridge" else "10.244.0.0/16"
            # bridge's isDefaultGateway adds the pods' default route itself
            ipam = {"type": "host-local", "subnet": subnet, "dataDir": self.data_dir}
        else:
            ipam = {"type": "twill-ipam", "kubeconfig": self.kubeconfig,
                    "nodename": NODE_NAME, "ipv4_pools": [POOL["name"]]}
            if self.ipam_socket:
                ipam["socket"] = self.ipam_socket
        c = {"cniVersion": CNI_VERSION, "name": NETWORK, "type": self.plugin, "ipam": ipam}
        if self.plugin == "bridge":
            c.update(bridge="cni0", isDefaultGateway=True, ipMasq=False, hairpinMode=False)
        else:
            c["mtu"] = 0
            if self.needs_api:
                c["kubernetes"] = {"kubeconfig": self.kubeconfig}
        return c


REFERENCE = Variant("bridge+host-local", "ref", "bridge", "host-local")
TWILL_HOST_LOCAL = Variant("twill-cni+host-local", "thl", "twill-cni", "host-local")
TWILL_IPAM = Variant("twill-cni+twill-ipam", "tip", "twill-cni", "twill-ipam", needs_api=True)


def binaries(build):
    return {"twill-cni": os.path.join(build, "cni", "twill-cni"),
            "twill-ipam": os.path.join(build, "ipam", "twill-ipam"),
            "bridge": os.path.join(REF_PLUGINS, "bridge"),
            "host-local": os.path.join(REF_PLUGINS, "host-local")}


def make_bin_dir(path, bins):
    """CNI_PATH for every variant: symlinks to the binaries that exist."""
    os.makedirs(path, exist_ok=True)
    for name, src in bins.items():
        if os.path.exists(src):
            os.symlink(src, os.path.join(path, name))
    return path


class ControlPlane:
    """etcd + test API server (CRDs and an IPPool applied) + a relay into the node."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.etcd = None
        self.api = None
        self.relay = None
        self.ipam_server = None

    def start(self):
        from tests.apiserver.harness import ApiServerProcess, Etcd
        self.etcd = Etcd().start()
        self.api = ApiServerProcess(self.etcd.endpoint, os.path.join(self.state_dir, "api"))
        self.api.start()
        self.api.apply_crds()
        status, doc = self.api.request("POST", "/apis/twill.dev/v1/ippools", {
            "apiVersion": "twill.dev/v1", "kind": "IPPool",
            "metadata": {"name": POOL["name"]},
            "spec": {"cidr": POOL["cidr"], "blockSize": POOL["blockSize"]}})
        if status != 201:
            raise RuntimeError("creating IPPool %s: HTTP %d: %s" % (POOL["name"], status, doc))
        return self

    @property
    def kubeconfig(self):
        return self.api.kubeconfig

    def relay_into(self, netns_path):
        """Serve the API server's 127.0.0.1:PORT inside the node namespace too."""
        port = self.api.url.rsplit(":", 1)[1]
        self.relay = subprocess.Popen([PYTHON, RELAY, "--port", port, "--netns", netns_path],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      stdin=subprocess.DEVNULL, text=True,
                                      start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.relay.stdout], [], [], 0.2)
            if r:
                line = self.relay.stdout.readline()
                if line.startswith("READY"):
                    return
                if not line:
                    break
        err = ""
        if self.relay.poll() is not None:
            err = self.relay.stderr.read()
        raise RuntimeError("relay into %s did not start: %s" % (netns_path, err.strip()))

    def start_ipam_server(self, binary, netns_path):
        """`twill-ipam serve` in the node namespace (its children reach the API through the
        relay there); returns the socket path for the conflist's ipam.socket."""
        from tests.ipamserver import IpamServer
        sock = os.path.join(self.state_dir, "ipam.sock")
        self.ipam_server = IpamServer(binary, sock,
                                      os.path.join(self.state_dir, "ipam-server.log"),
                                      prefix=["nsenter", "--net=" + netns_path])
        return sock

    def create_pods(self, names, namespace="default"):
        for name in names:
            status, doc = self.api.request(
                "POST", "/api/v1/namespaces/%s/pods" % namespace,
                {"apiVersion": "v1", "kind": "Pod",
                 "metadata": {"name": name, "namespace": namespace},
                 "spec": {"nodeName": NODE_NAME,
                          "containers": [{"name": "main", "image": "bench/netns"}]}})
            if status != 201:
                raise RuntimeError("creating Pod %s: HTTP %d: %s" % (name, status, doc))

    def stop(self):
        if self.ipam_server is not None:
            self.ipam_server.stop()
            self.ipam_server = None
        if self.relay is not None:
            if self.relay.poll() is None:
                self.relay.terminate()
                try:
                    self.relay.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.relay.kill()
                    self.relay.wait()
            for f in (self.relay.stdout, self.relay.stderr):
                f.close()
            self.relay = None
        if self.api is not None:
            self.api.stop()
            self.api = None
        if self.etcd is not None:
            self.etcd.stop()
            self.etcd = None
