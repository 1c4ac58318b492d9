"""twill-cni with twill-ipam's node-local server (docs/cni.md, docs/ipam.md).

When ipam.type is twill-ipam and the config names ipam.socket, twill-cni sends the IPAM
request to that server itself (no twill-ipam exec) and the Pod annotation patch too (no
libcurl, no TLS handshake in twill-cni). These tests run twill-cni through the CNI protocol
in a node namespace (the fixtures of test_cni.py), with the test API server reachable in it
and `twill-ipam serve` running there as the chart runs it. twill-ipam in CNI_PATH is a
wrapper that records each exec, so a test can tell which path did the work. Every fallback
is covered: nobody listening, a server that refuses (an older one), a server that takes the
annotation request and never answers (error 11 and a full rollback).
"""

import json
import os
import time

import pytest

from tests.e2e.cni_runtime import CniError, CniRuntime
from tests.e2e.test_cni import (TWILL_CNI, api_in_node, leak_check, node,  # noqa: F401
                                pods, rt_for)
from tests.e2e.test_ipam_plugin import items, plugin, pools  # noqa: F401 (fixture)
from tests.e2e.test_ipam_server import api, work  # noqa: F401 (fixtures)
from tests.ipamserver import FakeIpamServer, IpamServer

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(not os.path.exists(TWILL_CNI), reason=f"{TWILL_CNI} not built"),
]

NODE = "cnisrv-node"
TWILL_KEYS = ("twill.dev/podIP", "twill.dev/podIPs", "twill.dev/containerID")


@pytest.fixture
def bin_dir(work):
    """CNI_PATH: twill-cni and a twill-ipam that logs each exec, then runs the real one."""
    d = os.path.join(work, "bin")
    os.mkdir(d)
    os.symlink(TWILL_CNI, os.path.join(d, "twill-cni"))
    wrapper = os.path.join(d, "twill-ipam")
    with open(wrapper, "w") as f:
        f.write('#!/bin/sh\necho "$CNI_COMMAND" >> %s\nexec %s "$@"\n'
                % (os.path.join(work, "execs"), plugin()))
    os.chmod(wrapper, 0o755)
    return d


def execs(work):
    try:
        with open(os.path.join(work, "execs")) as f:
            return f.read().split()
    except FileNotFoundError:
        return []


@pytest.fixture
def api_node(api, api_in_node, node):  # noqa: F811
    """The node namespace, with the API server (CRDs applied) reachable in it."""
    return node


@pytest.fixture
def runtime(bin_dir, api_node):
    return CniRuntime([bin_dir], wrap=["ip", "netns", "exec", api_node.name])


@pytest.fixture
def server(work, api_node):  # noqa: F811
    s = IpamServer(plugin(), os.path.join(work, "ipam.sock"), os.path.join(work, "server.log"),
                   prefix=["nsenter", "--net=" + api_node.path])
    try:
        yield s
    finally:
        s.stop()


def conf(api, work, pool, version="1.0.0"):
    return {"cniVersion": version, "name": "cnisrv", "type": "twill-cni",
            "kubernetes": {"kubeconfig": api.kubeconfig},
            "ipam": {"type": "twill-ipam", "kubeconfig": api.kubeconfig, "nodename": NODE,
                     "ipv4_pools": [pool], "lock_dir": os.path.join(work, "lock"),
                     "socket": os.path.join(work, "ipam.sock")}}


def make_pod(api, name):
    status, doc = api.request("POST", "/api/v1/namespaces/default/pods", {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "annotations": {"keep": "me"}},
        "spec": {"nodeName": NODE, "containers": [{"name": "c", "image": "busybox"}]}})
    assert status == 201, doc


def delete_pod(api, name):
    api.request("DELETE", "/api/v1/namespaces/default/pods/" + name)


def annotations(api, name):
    status, doc = api.request("GET", "/api/v1/namespaces/default/pods/" + name)
    assert status == 200, doc
    return doc["metadata"].get("annotations", {})


def held(api, handle):
    return [a for b in items(api, "ipamblocks") for a in b["spec"]["attributes"]
            if a["handle_id"] == handle]


def assert_nothing_left(api, node, pod, container):
    assert not [n for n in node.links() if n.startswith("tw")]
    assert not [r for r in node.routes() if r.get("protocol") == "81"]
    assert "eth0" not in pod.links()
    assert held(api, "cnisrv." + container) == []


def wait_log(server, text, timeout=10):
    deadline = time.time() + timeout
    while text not in server.log():
        assert time.time() < deadline, "%r not in the server log: %s" % (text, server.log())
        time.sleep(0.05)


def test_add_check_del_through_the_server(api, pools, work, runtime, api_node, server, pods):  # noqa: F811
    pools("cnisrv-a", "10.81.0.0/24", 28)
    make_pod(api, "srv-a")
    pod = pods()
    c = conf(api, work, "cnisrv-a")
    rt = rt_for(pod, "srv-a")
    try:
        result = runtime.add(c, rt)
        ip = result["ips"][0]["address"].split("/")[0]
        ann = annotations(api, "srv-a")
        assert (ann["twill.dev/podIP"], ann["twill.dev/podIPs"]) == (ip, ip)
        assert ann["twill.dev/containerID"] == "c-srv-a"
        assert ann["keep"] == "me"
        assert [a["handle_id"] for a in held(api, "cnisrv.c-srv-a")] == ["cnisrv.c-srv-a"]
        wait_log(server, "event=pod_annotations pod=default/srv-a action=set")
        runtime.check(c, rt)
        runtime.delete(c, rt)
        # the server did the IPAM work and the patch: twill-ipam was never exec'd
        assert execs(work) == []
        assert_nothing_left(api, api_node, pod, "c-srv-a")
    finally:
        delete_pod(api, "srv-a")


def test_nobody_listening_means_exec_and_direct_patch(api, pools, work, runtime, api_node,  # noqa: F811
                                                      pods):
    pools("cnisrv-b", "10.81.1.0/24", 28)
    make_pod(api, "srv-b")
    pod = pods()
    c = conf(api, work, "cnisrv-b")
    rt = rt_for(pod, "srv-b")
    try:
        result = runtime.add(c, rt)
        assert annotations(api, "srv-b")["twill.dev/podIP"] == \
            result["ips"][0]["address"].split("/")[0]
        runtime.delete(c, rt)
        assert execs(work) == ["ADD", "DEL"]
        assert_nothing_left(api, api_node, pod, "c-srv-b")
    finally:
        delete_pod(api, "srv-b")


def is_annotation(req):
    return b"TWILL_SERVER_OP=pod-annotations" in req


def test_refusing_server_falls_back(api, pools, work, runtime, api_node, pods):  # noqa: F811
    """An older server refuses both requests: twill-cni execs twill-ipam (which is refused
    too and works directly) and patches the Pod itself."""
    pools("cnisrv-c", "10.81.2.0/24", 28)
    make_pod(api, "srv-c")
    pod = pods()
    c = conf(api, work, "cnisrv-c")
    rt = rt_for(pod, "srv-c")
    fake = FakeIpamServer(c["ipam"]["socket"], lambda req: b"\0refused\n")
    try:
        result = runtime.add(c, rt)
        ip = result["ips"][0]["address"].split("/")[0]
        assert annotations(api, "srv-c")["twill.dev/podIP"] == ip
        assert execs(work) == ["ADD"]
        reqs = fake.requests()
        # twill-cni's IPAM request, the exec'd plugin's, then the annotation request
        assert len(reqs) == 3, reqs
        assert reqs[0][1]["CNI_COMMAND"] == "ADD" and json.loads(reqs[0][2]) == c
        assert reqs[1][1]["CNI_COMMAND"] == "ADD"
        names, env, body = reqs[2]
        assert names == ["TWILL_SERVER_OP"] and env["TWILL_SERVER_OP"] == "pod-annotations"
        assert json.loads(body) == {"kubeconfig": api.kubeconfig, "namespace": "default",
                                    "name": "srv-c", "podIP": ip, "podIPs": ip,
                                    "containerID": "c-srv-c"}
        runtime.delete(c, rt)
        assert_nothing_left(api, api_node, pod, "c-srv-c")
    finally:
        fake.close()
        delete_pod(api, "srv-c")


def test_annotation_taken_without_answer_is_try_again(api, pools, work, runtime, api_node,  # noqa: F811
                                                      pods):
    """The server refuses IPAM (done by the exec'd plugin) but takes the annotation request
    and closes without an answer: ADD fails with 11 naming the socket, and everything it
    made is undone (veth, routes, the allocation, no twill annotation on the Pod)."""
    pools("cnisrv-d", "10.81.3.0/24", 28)
    make_pod(api, "srv-d")
    pod = pods()
    c = conf(api, work, "cnisrv-d")
    fake = FakeIpamServer(c["ipam"]["socket"],
                      lambda req: None if is_annotation(req) else b"\0refused\n")
    try:
        with pytest.raises(CniError) as e:
            runtime.add(c, rt_for(pod, "srv-d"))
        assert e.value.code == 11, e.value
        assert c["ipam"]["socket"] in e.value.msg and "try again" in e.value.msg
        assert "default/srv-d" in e.value.msg
        # the set and, in the rollback, the clear went to the server
        assert sum(1 for r in fake.got if is_annotation(r)) == 2
        assert execs(work) == ["ADD", "DEL"]
        assert not set(TWILL_KEYS) & set(annotations(api, "srv-d"))
        assert_nothing_left(api, api_node, pod, "c-srv-d")
    finally:
        fake.close()
        delete_pod(api, "srv-d")


def test_annotation_error_is_the_same_and_rolls_back(api, pools, work, runtime, api_node, server,  # noqa: F811,E501
                                                     pods):
    """No such Pod: the server's patch fails with the error twill-cni's own would give;
    the ADD is rolled back, the IPAM release going through the server too."""
    pools("cnisrv-e", "10.81.4.0/24", 28)
    pod = pods()
    c = conf(api, work, "cnisrv-e")
    with pytest.raises(CniError) as e:
        runtime.add(c, rt_for(pod, "srv-none"))
    assert e.value.code == 999, e.value
    assert e.value.msg.startswith("kubernetes: patching Pod default/srv-none failed"), e.value
    assert execs(work) == []
    assert_nothing_left(api, api_node, pod, "c-srv-none")


def test_concurrent_adds_and_dels_through_the_server(api, pools, work, runtime, api_node, server,  # noqa: F811,E501
                                                     pods):
    import concurrent.futures
    pools("cnisrv-f", "10.81.5.0/24", 28)
    names = ["srv-f%d" % i for i in range(12)]
    for n in names:
        make_pod(api, n)
    ps = [pods() for _ in names]
    c = conf(api, work, "cnisrv-f")
    try:
        with concurrent.futures.ThreadPoolExecutor(len(names)) as ex:
            results = list(ex.map(lambda a: runtime.add(c, rt_for(a[0], a[1])), zip(ps, names)))
        ips = [r["ips"][0]["address"].split("/")[0] for r in results]
        assert len(set(ips)) == len(names)
        assert [annotations(api, n)["twill.dev/podIP"] for n in names] == ips
        with concurrent.futures.ThreadPoolExecutor(len(names)) as ex:
            list(ex.map(lambda a: runtime.delete(c, rt_for(a[0], a[1])), zip(ps, names)))
        assert execs(work) == []
        for p, n in zip(ps, names):
            assert_nothing_left(api, api_node, p, "c-" + n)
    finally:
        for n in names:
            delete_pod(api, n)


def test_server_without_the_kubeconfig_means_direct_patch(api, pools, work, runtime,  # noqa: F811
                                                          api_node, pods):
    """The server answers the annotation request with 7 (it cannot use kubernetes.kubeconfig,
    e.g. a path not mounted in its container): twill-cni patches the Pod itself."""
    pools("cnisrv-g", "10.81.6.0/24", 28)
    make_pod(api, "srv-g")
    pod = pods()
    c = conf(api, work, "cnisrv-g")
    rt = rt_for(pod, "srv-g")
    seven = b'{"code":7,"msg":"kubernetes.kubeconfig: /x: No such file or directory"}\n\x001\n'
    fake = FakeIpamServer(c["ipam"]["socket"],
                      lambda req: seven if is_annotation(req) else b"\0refused\n")
    try:
        result = runtime.add(c, rt)
        assert annotations(api, "srv-g")["twill.dev/podIP"] == \
            result["ips"][0]["address"].split("/")[0]
        assert sum(1 for r in fake.got if is_annotation(r)) == 1
        runtime.delete(c, rt)
        assert_nothing_left(api, api_node, pod, "c-srv-g")
    finally:
        fake.close()
        delete_pod(api, "srv-g")


def test_cut_api_connection_is_reopened(api, pools, work, runtime, api_node, server,  # noqa: F811,E501
                                        pods):
    """After an ADD the serving workers keep their API connections open; cut them (an API
    server restart, a load balancer's idle timeout): the next ADD and DEL still work, on
    fresh connections."""
    pools("cnisrv-h", "10.81.7.0/24", 28)
    names = ["srv-h0", "srv-h1"]
    for n in names:
        make_pod(api, n)
    ps = [pods() for _ in names]
    c = conf(api, work, "cnisrv-h")
    port = api.url.rsplit(":", 1)[1]
    try:
        runtime.add(c, rt_for(ps[0], names[0]))
        # the workers kept their connections (the relay's end is the local port)
        kept = api_node.run("ss", "-H", "-t", "state", "established", "dport", "=",
                            ":" + port).stdout.strip()
        assert kept, "no worker kept an API connection after the ADD"
        cut = api_node.run("ss", "-K", "-t", "state", "established", "dport", "=", ":" + port,
                           check=False)
        if cut.returncode != 0:
            pytest.skip("ss -K cannot destroy sockets here (needs CONFIG_INET_DIAG_DESTROY): "
                        + cut.stderr.strip())
        left = api_node.run("ss", "-H", "-t", "state", "established", "dport", "=",
                            ":" + port).stdout.strip()
        assert left == "", "connections to the API survived ss -K: " + left
        result = runtime.add(c, rt_for(ps[1], names[1]))
        assert annotations(api, names[1])["twill.dev/podIP"] == \
            result["ips"][0]["address"].split("/")[0]
        for p, n in zip(ps, names):
            runtime.delete(c, rt_for(p, n))
        assert execs(work) == []
        for p, n in zip(ps, names):
            assert_nothing_left(api, api_node, p, "c-" + n)
    finally:
        for n in names:
            delete_pod(api, n)
