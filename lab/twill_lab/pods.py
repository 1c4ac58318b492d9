"""Pods: a network namespace each, added through the node's CNI setup.

`pod add` does what kubelet and the container runtime do: register the Pod
(labels, nodeName), create the sandbox's network namespace, run the node's
conflist through a CNI runtime that follows the spec (tests/e2e/
cni_runtime.py: CNI_* environment, config on stdin, CNI_PATH = the node's
opt/cni/bin, executed inside the node namespace), then report status.podIP.
Any failure undoes the earlier steps. The ADD result is kept in lab.json as
libcni keeps it in its cache directory, because DEL needs it as prevResult.

With NetworkPolicy on (felix's table `inet twill` exists in the node), a pod
interface felix has not programmed yet passes no new connection (fail
closed), so `pod add` returns only once the node's felix lists the pod's
host veth in the table's `endpoints` set — what Calico's CNI plugin does
when it waits for policy programming. Timeout: TWILL_LAB_POLICY_WAIT seconds
(default 60), then an error naming the node.
"""

import json
import os
import re
import secrets
import time

from . import cluster, sh
from .control_plane import Api
from .lab import REPO, LabError
from .names import host_veth
from .node_agent import node_paths

NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$")


def wait_policy_programmed(node, namespace, name):
    """Returns once felix has the pod's interface in its endpoints set, or at once when
    the node has no policy table (policy off)."""
    iface = host_veth(namespace, name)
    wait_s = os.environ.get("TWILL_LAB_POLICY_WAIT", "60")
    deadline = time.monotonic() + float(wait_s)
    while True:
        p = sh.run("ip", "netns", "exec", node["ns"], "nft", "-j", "list", "set", "inet",
                   "twill", "endpoints", check=False)
        if p.returncode != 0:
            if "No such file or directory" in p.stderr:  # no table: policy off
                return
        else:
            for item in json.loads(p.stdout).get("nftables", []):
                if iface in (item.get("set", {}).get("elem") or []):
                    return
        if time.monotonic() > deadline:
            raise LabError("felix on %s has not programmed policy for %s/%s (interface %s) "
                           "after %s s: is it running? (twill-lab status)"
                           % (node["name"], namespace, name, iface, wait_s))
        time.sleep(0.05)


def _runtime_module():
    import sys
    if REPO not in sys.path:
        sys.path.insert(0, REPO)
    from tests.e2e import cni_runtime
    return cni_runtime


def parse_labels(text):
    labels = {}
    for item in filter(None, (text or "").split(",")):
        k, sep, v = item.partition("=")
        if not sep or not k:
            raise LabError("--labels: %r is not key=value" % item)
        labels[k.strip()] = v.strip()
    return labels


def parse_annotations(items):
    """--annotation KEY=VALUE (repeatable; VALUE may hold commas, e.g. a JSON list)."""
    annotations = {}
    for item in items or []:
        k, sep, v = item.partition("=")
        if not sep or not k.strip():
            raise LabError("--annotation: %r is not KEY=VALUE" % item)
        annotations[k.strip()] = v
    return annotations


def _runtime(lab, node):
    rt_mod = _runtime_module()
    p = node_paths(lab, node)
    with open(p["conflist"]) as f:
        conflist = json.load(f)
    runtime = rt_mod.CniRuntime([p["cni_bin"]], wrap=["ip", "netns", "exec", node["ns"]])
    return rt_mod, runtime, conflist


def _rt_conf(rt_mod, pod):
    return rt_mod.RuntimeConf(
        container_id=pod["container_id"], netns="/run/netns/" + pod["netns"], ifname="eth0",
        args={"IgnoreUnknown": "1", "K8S_POD_NAMESPACE": pod["namespace"],
              "K8S_POD_NAME": pod["name"], "K8S_POD_INFRA_CONTAINER_ID": pod["container_id"]})


def find_node(state, name):
    for node in state["nodes"]:
        if node["name"] == name:
            return node
    raise LabError("no node %r (nodes: %s)" % (name, ", ".join(n["name"] for n in state["nodes"])))


def add(lab, name, node_name, namespace="default", labels=None, annotations=None):
    if not NAME_RE.match(name) or not NAME_RE.match(namespace):
        raise LabError("pod and namespace names: lowercase letters, digits and '-', "
                       "at most 32 characters")
    with lab:
        state = lab.load()
        key = "%s/%s" % (namespace, name)
        if key in state["pods"]:
            raise LabError("pod %s exists (on %s)" % (key, state["pods"][key]["node"]))
        node = find_node(state, node_name)
        api = Api(state["api"])
        pod = {"name": name, "namespace": namespace, "node": node_name,
               "netns": lab.pod_ns(namespace, name), "labels": labels or {},
               "annotations": annotations or {},
               "container_id": "twl" + secrets.token_hex(16)}
        cluster.ensure_namespace(api, namespace)
        api.must("POST", "/api/v1/namespaces/%s/pods" % namespace, {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": pod["labels"],
                         "annotations": pod["annotations"]},
            "spec": {"nodeName": node_name,
                     "containers": [{"name": "main", "image": "twill-lab/netns"}]}})
        done = ["object"]
        try:
            sh.netns_add(pod["netns"])
            done.append("netns")
            rt_mod, runtime, conflist = _runtime(lab, node)
            try:
                result = runtime.add_list(conflist, _rt_conf(rt_mod, pod))
            except rt_mod.CniError as e:
                raise LabError("CNI ADD for %s on %s failed: %s%s" % (
                    key, node_name, e, ("\n" + e.stderr.strip()) if e.stderr.strip() else ""))
            ips = [i["address"].split("/")[0] for i in result.get("ips", [])]
            if not ips:
                raise LabError("CNI ADD for %s returned no IP" % key)
            pod.update(ip=ips[0], ips=ips, result=result)
            api.merge_patch("/api/v1/namespaces/%s/pods/%s/status" % (namespace, name), {
                "status": {"phase": "Running", "hostIP": node["ip"], "podIP": ips[0],
                           "podIPs": [{"ip": i} for i in ips]}})
            wait_policy_programmed(node, namespace, name)
        except BaseException:
            _undo(lab, api, state, pod, done + (["cni"] if "netns" in done else []))
            raise
        state["pods"][key] = pod
        lab.save(state)
        return pod


def _undo(lab, api, state, pod, done):
    """Remove what exists of a pod; each step tolerates the thing being gone."""
    errors = []
    if "cni" in done:
        try:
            node = find_node(state, pod["node"])
            rt_mod, runtime, conflist = _runtime(lab, node)
            if pod.get("result") is not None:
                runtime.cache[(conflist["name"], pod["container_id"], "eth0")] = pod["result"]
            runtime.del_list(conflist, _rt_conf(rt_mod, pod))
        except Exception as e:  # keep going: the namespace and object must still go
            errors.append("CNI DEL: %s" % e)
    if "netns" in done:
        for pid in sh.netns_pids(pod["netns"]):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        sh.netns_del(pod["netns"])
    if "object" in done:
        status, doc = api.request("DELETE", "/api/v1/namespaces/%s/pods/%s"
                                  % (pod["namespace"], pod["name"]))
        if status not in (200, 202, 404):
            errors.append("delete Pod: HTTP %d %s" % (status, doc.get("message")))
    return errors


def delete(lab, name, namespace="default"):
    with lab:
        state = lab.load()
        key = "%s/%s" % (namespace, name)
        pod = state["pods"].get(key)
        if pod is None:
            raise LabError("no pod %s" % key)
        errors = _undo(lab, Api(state["api"]), state, pod, ["cni", "netns", "object"])
        del state["pods"][key]
        lab.save(state)
    if errors:
        raise LabError("pod %s removed, with errors: %s" % (key, "; ".join(errors)))


def resolve(state, lab, target):
    """exec target -> namespace name: a pod ([ns/]name), a node, or `router`/`net`."""
    if target in ("router", "net"):
        return lab.net_ns
    for node in state["nodes"]:
        if node["name"] == target:
            return node["ns"]
    key = target if "/" in target else "default/" + target
    if key in state["pods"]:
        return state["pods"][key]["netns"]
    matches = [p for k, p in state["pods"].items() if k.split("/", 1)[1] == target]
    if len(matches) == 1:
        return matches[0]["netns"]
    raise LabError("no pod or node %r" % target)
