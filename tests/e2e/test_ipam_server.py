"""The node-local IPAM server (`twill-ipam serve`) against the test API server: a plugin
whose config names the socket hands its request to the server, which runs the same plugin
code in a forked child (every cniVersion, CHECK, the error objects); nobody listening, or a
server that refuses, means the plugin does the work itself; a server whose child dies
mid-ADD gives CNI error 11 (it may have assigned) while a DEL is then done directly;
concurrent ADDs through one server never share an address; SIGTERM removes the socket and
lets the requests in flight finish."""

import concurrent.futures
import fcntl
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

from test_ipam_plugin import API, items, plugin, pools  # noqa: F401 (fixture)
from tests.ipamserver import FakeIpamServer, IpamServer

NODE = "srv-node"


class Server(IpamServer):
    def __init__(self, path, log):
        super().__init__(plugin(), path, log, args=["--log-level=debug"])

    def wait_log(self, text, timeout=10):
        deadline = time.time() + timeout
        while text not in self.log():
            assert time.time() < deadline, "%r not in the server log: %s" % (text, self.log())
            time.sleep(0.05)

    def wait_serving(self, lock_path, timeout=30):
        """Until a worker holds lock_path open: the request it serves waits for that lock."""
        deadline = time.time() + timeout
        while True:
            for pid in self.children():
                try:
                    if any(os.readlink("/proc/%d/fd/%s" % (pid, fd)) == lock_path
                           for fd in os.listdir("/proc/%d/fd" % pid)):
                        return pid
                except OSError:
                    continue
            assert time.time() < deadline, "no worker took the request: " + self.log()
            time.sleep(0.02)


@pytest.fixture(scope="module")
def api(apiserver):
    apiserver.apply_crds()
    yield apiserver


@pytest.fixture
def work():
    d = tempfile.mkdtemp(prefix="twill-ipam-srv-")
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def server(work):
    s = Server(os.path.join(work, "ipam.sock"), os.path.join(work, "server.log"))
    try:
        yield s
    finally:
        s.stop()


def netconf(api, work, version="1.0.0", **ipam):
    return {"cniVersion": version, "name": "srvnet", "type": "twill-cni",
            "ipam": dict({"type": "twill-ipam", "kubeconfig": api.kubeconfig,
                          "nodename": NODE, "lock_dir": os.path.join(work, "lock"),
                          "socket": os.path.join(work, "ipam.sock"), "log_level": "info"},
                         **ipam)}


def run(command, conf, container, env_extra=None):
    env = {"PATH": "/usr/bin:/bin", "CNI_COMMAND": command, "CNI_CONTAINERID": container,
           "CNI_NETNS": "/var/run/netns/none", "CNI_IFNAME": "eth0", "CNI_PATH": "/nonexistent"}
    env.update(env_extra or {})
    p = subprocess.run([plugin()], input=json.dumps(conf), capture_output=True, text=True,
                       env=env, timeout=120)
    out = json.loads(p.stdout) if p.stdout.strip() else None
    return p.returncode, out, p.stderr


def held(api, handle):
    return [a for b in items(api, "ipamblocks") for a in b["spec"]["attributes"]
            if a["handle_id"] == handle]


@pytest.mark.parametrize("version", ["0.3.1", "0.4.0", "1.0.0", "1.1.0"])
def test_add_check_del_through_the_server(api, pools, work, server, version):  # noqa: F811
    n = int(version.replace(".", ""))
    pools("srv-%d" % n, "10.70.%d.0/24" % n, 28)
    conf = netconf(api, work, version, ipv4_pools=["srv-%d" % n])
    cid = "s" + uuid.uuid4().hex
    rc, out, err = run("ADD", conf, cid)
    assert rc == 0, (out, err)
    assert out["cniVersion"] == version
    assert ipaddress.ip_interface(out["ips"][0]["address"]).ip in \
        ipaddress.ip_network("10.70.%d.0/24" % n)
    # the server's child did the work (its log line), not the plugin process
    assert "event=add handle=srvnet.%s" % cid in server.log()
    assert "event=add" not in err
    assert len(held(api, "srvnet." + cid)) == 1
    if version >= "0.4.0":
        rc, cout, err = run("CHECK", dict(conf, prevResult=out), cid)
        assert rc == 0, (cout, err)
        bad = json.loads(json.dumps(out))
        bad["ips"][0]["address"] = "10.70.%d.250/32" % n
        rc, cout, err = run("CHECK", dict(conf, prevResult=bad), cid)
        assert rc != 0 and cout["code"] == 999 and "10.70.%d.250" % n in cout["msg"], cout
    for _ in range(2):  # DEL is idempotent through the server too
        rc, out, err = run("DEL", conf, cid)
        assert rc == 0, (out, err)
    assert held(api, "srvnet." + cid) == []
    assert "event=del handle=srvnet.%s" % cid in server.log()


def test_errors_are_the_plugins_own(api, pools, work, server):  # noqa: F811
    """Same error objects as the direct path: exhausted pool, no pool, bad config."""
    pools("srv-tiny", "10.71.0.0/31", 31)
    conf = netconf(api, work, ipv4_pools=["srv-tiny"])
    direct = dict(conf, ipam=dict(conf["ipam"], socket=""))
    for i in range(2):
        assert run("ADD", conf, "tiny%d" % i)[0] == 0
    rc, out, _ = run("ADD", conf, "tiny2")
    rc_d, out_d, _ = run("ADD", direct, "tiny2")
    assert rc == rc_d == 1 and out == out_d and out["code"] == 100, (out, out_d)
    rc, out, _ = run("ADD", netconf(api, work, ipv4_pools=["nosuch"]), "np")
    assert rc == 1 and out["code"] == 101 and "nosuch" in out["msg"], out
    rc, out, _ = run("ADD", netconf(api, work, assign_ipv4="yes"), "bad")
    assert rc == 1 and out["code"] == 7 and "ipam.assign_ipv4" in out["msg"], out
    rc, out, _ = run("ADD", netconf(api, work, socket="relative.sock"), "bad2")
    assert rc == 1 and out["code"] == 7 and "ipam.socket" in out["msg"], out
    for i in range(2):
        assert run("DEL", conf, "tiny%d" % i)[0] == 0


def test_nobody_listening_means_direct(api, pools, work):  # noqa: F811
    pools("srv-direct", "10.72.0.0/24", 28)
    conf = netconf(api, work, ipv4_pools=["srv-direct"])
    assert not os.path.exists(conf["ipam"]["socket"])
    rc, out, err = run("ADD", conf, "direct1")
    assert rc == 0, (out, err)
    assert "event=add handle=srvnet.direct1" in err  # done by the plugin itself
    # a stale socket file with no server behind it: the same
    s = socket.socket(socket.AF_UNIX)
    s.bind(conf["ipam"]["socket"])
    s.close()
    rc, out, err = run("DEL", conf, "direct1")
    assert rc == 0, (out, err)
    assert "event=del handle=srvnet.direct1" in err
    assert held(api, "srvnet.direct1") == []


def test_refused_request_falls_back(api, pools, work):  # noqa: F811
    pools("srv-refused", "10.73.0.0/24", 28)
    conf = netconf(api, work, ipv4_pools=["srv-refused"])
    fake = FakeIpamServer(conf["ipam"]["socket"], lambda req: b"\0refused\n")
    rc, out, err = run("ADD", conf, "refused1", env_extra={"SECRET_THING": "x",
                                                          "KUBECONFIG": "/nonexistent"})
    fake.close()
    assert rc == 0, (out, err)
    assert "event=add handle=srvnet.refused1" in err
    # the request carried the CNI_* variables and KUBECONFIG, nothing else
    req = fake.got[0]
    assert req.startswith(b"TWIPAM1\n")
    env_block, _, config = req[8:].partition(b"\0\0")
    names = sorted(e.split(b"=")[0].decode() for e in env_block.split(b"\0"))
    assert names == ["CNI_COMMAND", "CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS",
                     "CNI_PATH", "KUBECONFIG"], names
    assert json.loads(config) == conf
    os.unlink(conf["ipam"]["socket"])
    assert run("DEL", conf, "refused1")[0] == 0


def test_no_answer_is_try_again_for_add_and_direct_for_del(api, pools, work):  # noqa: F811
    pools("srv-dead", "10.74.0.0/24", 28)
    conf = netconf(api, work, ipv4_pools=["srv-dead"])
    fake = FakeIpamServer(conf["ipam"]["socket"], lambda req: b'{"half": ')
    rc, out, err = run("ADD", conf, "dead1")
    fake.close()
    assert rc == 1 and out["code"] == 11, (out, err)
    assert conf["ipam"]["socket"] in out["msg"] and "try again" in out["msg"], out
    assert out["cniVersion"] == "1.0.0"
    os.unlink(conf["ipam"]["socket"])
    assert run("ADD", conf, "dead1")[0] == 0  # directly: nobody listens now
    fake = FakeIpamServer(conf["ipam"]["socket"], lambda req: None)
    rc, out, err = run("DEL", conf, "dead1")
    fake.close()
    assert rc == 0, (out, err)
    assert "event=del handle=srvnet.dead1 released=1" in err  # done directly
    assert held(api, "srvnet.dead1") == []


def test_child_killed_mid_add(api, pools, work, server):  # noqa: F811
    """The worker serving the ADD waits for the node lock (held here); SIGKILL it: the
    plugin answers 11, nothing was assigned, the pool replaces the worker, and the retried
    ADD goes through the server."""
    pools("srv-kill", "10.75.0.0/24", 28)
    conf = netconf(api, work, ipv4_pools=["srv-kill"], timeout_seconds=60)
    os.makedirs(conf["ipam"]["lock_dir"], exist_ok=True)
    lock = os.path.join(conf["ipam"]["lock_dir"], "ipam.%s.lock" % NODE)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            fut = ex.submit(run, "ADD", conf, "kill1")
            os.kill(server.wait_serving(lock), signal.SIGKILL)
            rc, out, err = fut.result(60)
    finally:
        os.close(fd)
    assert rc == 1 and out["code"] == 11, (out, err)
    assert held(api, "srvnet.kill1") == []
    server.wait_log("event=child_killed")
    rc, out, err = run("ADD", conf, "kill1")
    assert rc == 0, (out, err)
    assert "event=add handle=srvnet.kill1" in server.log()
    assert run("DEL", conf, "kill1")[0] == 0


def test_concurrent_adds_through_one_server(api, pools, work, server):  # noqa: F811
    pools("srv-many", "10.76.0.0/24", 27)
    conf = netconf(api, work, ipv4_pools=["srv-many"])
    cids = ["many%02d" % i for i in range(24)]
    with concurrent.futures.ThreadPoolExecutor(12) as ex:
        res = list(ex.map(lambda c: run("ADD", conf, c), cids))
    assert all(r[0] == 0 for r in res), [r for r in res if r[0]]
    addrs = [r[1]["ips"][0]["address"] for r in res]
    assert len(set(addrs)) == len(addrs) == 24
    held_all = [a for b in items(api, "ipamblocks") for a in b["spec"]["attributes"]
                if a["handle_id"].startswith("srvnet.many")]
    assert len(held_all) == 24
    with concurrent.futures.ThreadPoolExecutor(12) as ex:
        res = list(ex.map(lambda c: run("DEL", conf, c), cids))
    assert all(r[0] == 0 for r in res), [r for r in res if r[0]]
    assert [h for h in items(api, "ipamhandles")
            if h["spec"]["handleID"].startswith("srvnet.many")] == []


def test_sigterm_finishes_requests_in_flight(api, pools, work, server):  # noqa: F811
    pools("srv-term", "10.77.0.0/24", 28)
    conf = netconf(api, work, ipv4_pools=["srv-term"], timeout_seconds=60)
    os.makedirs(conf["ipam"]["lock_dir"], exist_ok=True)
    lock = os.path.join(conf["ipam"]["lock_dir"], "ipam.%s.lock" % NODE)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            fut = ex.submit(run, "ADD", conf, "term1")
            server.wait_serving(lock)
            server.proc.send_signal(signal.SIGTERM)
            deadline = time.time() + 10
            while os.path.exists(server.path):
                assert time.time() < deadline, "socket not removed on SIGTERM"
                time.sleep(0.02)
            assert server.proc.poll() is None  # waits for the worker serving the ADD
            os.close(fd)
            fd = -1
            rc, out, err = fut.result(60)
        assert rc == 0, (out, err)
        try:
            assert server.proc.wait(timeout=30) == 0
        except subprocess.TimeoutExpired:
            raise AssertionError("server still running 30 s after its last request: "
                                 "workers %s\n%s" % (server.children(), server.log()))
        assert "event=stopped" in server.log()
    finally:
        if fd >= 0:
            os.close(fd)
    assert run("DEL", conf, "term1")[0] == 0  # directly now


def test_serve_usage_errors(work):
    p = subprocess.run([plugin(), "serve", "--bogus"], capture_output=True, text=True)
    assert p.returncode == 2 and "unknown argument --bogus" in p.stderr
    p = subprocess.run([plugin(), "serve", "--socket=" + os.path.join(work, "x" * 120)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and "File name too long" in p.stderr, p.stderr
    notsock = os.path.join(work, "file")
    open(notsock, "w").close()
    p = subprocess.run([plugin(), "serve", "--socket=" + notsock], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 1 and "File exists" in p.stderr, p.stderr
