"""The lab's cluster objects: CRDs, default IPPool, BGP and felix settings,
Node objects and the external router's BGPPeers.

Manifests go through real kubectl (the way a user installs twill); Node
objects, which kubelet would register, go through the REST API.
"""

import glob
import os
import re
import time

from .lab import REPO, LabError
from .topology import POOL_CIDR, ROUTER_AS

VXLAN_MODE = {"none": "Never", "vxlan": "Always", "crosssubnet": "CrossSubnet"}


def apply_crds(api, timeout=30.0):
    files = sorted(glob.glob(os.path.join(REPO, "charts", "twill", "crds", "*.yaml")))
    if not files:
        raise LabError("no CRDs in charts/twill/crds")
    for f in files:
        api.kubectl("apply", "-f", f)
    deadline = time.monotonic() + timeout
    for crd in api.list("/apis/apiextensions.k8s.io/v1/customresourcedefinitions") or []:
        spec = crd["spec"]
        for v in spec["versions"]:
            path = "/apis/%s/%s" % (spec["group"], v["name"])
            while True:
                status, doc = api.request("GET", path)
                if status == 200 and any(r["name"] == spec["names"]["plural"]
                                         for r in doc.get("resources", [])):
                    break
                if time.monotonic() > deadline:
                    raise LabError("CRD %s is not served" % crd["metadata"]["name"])
                time.sleep(0.1)
    return len(files)


def _example(name):
    with open(os.path.join(REPO, "examples", name)) as f:
        return f.read()


def apply_defaults(api, encap, bgp):
    """Default IPPool (vxlanMode from --encap), BGPConfiguration, FelixConfiguration."""
    pool = _example("ippool-default.yaml")
    pool = re.sub(r"(?m)^(\s*vxlanMode:).*$", r"\1 " + VXLAN_MODE[encap], pool)
    pool = re.sub(r"(?m)^(\s*cidr:).*$", r"\1 " + POOL_CIDR, pool, count=1)
    api.kubectl("apply", "-f", "-", input=pool)
    api.kubectl("apply", "-f", "-", input=_example("bgpconfiguration-default.yaml"))
    felix = _example("felixconfiguration-default.yaml")
    felix = re.sub(r"(?m)^(\s*programClusterRoutes:).*$",
                   r"\1 " + ("Disabled" if bgp else "Enabled"), felix)
    api.kubectl("apply", "-f", "-", input=felix)


def register_node(api, lab, node):
    body = {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "name": node["name"],
            "labels": {"kubernetes.io/hostname": node["name"], "kubernetes.io/os": "linux",
                       "twill.dev/lab": lab.name, "twill.dev/subnet": node["subnet"].replace(
                           "/", "_")},
            "annotations": {"twill.dev/ipv4Address": "%s/%d" % (node["ip"], node["prefixlen"])},
        },
        "spec": {},
    }
    api.must("POST", "/api/v1/nodes", body)
    api.merge_patch("/api/v1/nodes/%s/status" % node["name"], {"status": {
        "addresses": [{"type": "InternalIP", "address": node["ip"]},
                      {"type": "Hostname", "address": node["name"]}],
        "conditions": [{"type": "Ready", "status": "True", "reason": "TwillLab"}]}})


def add_router_peers(api, nodes):
    """Each node peers with the router at its own subnet's gateway address."""
    for node in nodes:
        api.must("POST", "/apis/twill.dev/v1/bgppeers", {
            "apiVersion": "twill.dev/v1", "kind": "BGPPeer",
            "metadata": {"name": "router-" + node["name"]},
            "spec": {"node": node["name"], "peerIP": node["gateway"], "asNumber": ROUTER_AS},
        })


def ensure_namespace(api, name):
    status, doc = api.request("POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    if status not in (200, 201, 409):
        raise LabError("create namespace %s: HTTP %d: %s" % (name, status, doc.get("message")))
