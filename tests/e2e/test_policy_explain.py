"""twillctl policy explain against the test API server: namespaces, pods (with their
status IPs) and NetworkPolicies are created through the API, then the built binary is
asked about connections and must name the deciding policy/rule or the isolating ones.

The binary is $TWILL_BUILD_DIR/ctl/twillctl (default <repo>/build).
"""

import os
import subprocess

import pytest

from conftest import build_dir

TWILLCTL = os.path.join(build_dir(), "ctl", "twillctl")

pytestmark = pytest.mark.skipif(not os.access(TWILLCTL, os.X_OK),
                                reason="twillctl not built in %s" % build_dir())


def twillctl(*args):
    return subprocess.run([TWILLCTL, *args], capture_output=True, text=True, timeout=120)


def _kubeconfig(api):
    for attr in ("kubeconfig", "kubeconfig_path"):
        if getattr(api, attr, None):
            return str(getattr(api, attr))
    pytest.skip("apiserver fixture exposes no kubeconfig path")


def create(api, path, body):
    status, out = api.request("POST", path, body)
    assert status in (200, 201), (status, out)


@pytest.fixture(scope="module")
def cluster(apiserver):
    for ns, labels in (("px", {"ns": "px"}), ("py", {"ns": "py", "env": "prod"})):
        create(apiserver, "/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": labels}})
        for i, p in enumerate("ab"):
            ip = "10.9.%d.%d" % (1 if ns == "px" else 2, 10 + i)
            create(apiserver, "/api/v1/namespaces/%s/pods" % ns, {
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": p, "namespace": ns, "labels": {"pod": p}},
                "spec": {"nodeName": "n1", "containers": [{"name": "app", "image": "app",
                         "ports": [{"name": "http", "containerPort": 8080}]}]},
                "status": {"podIP": ip, "podIPs": [{"ip": ip}]}})
    np = "/apis/networking.k8s.io/v1/namespaces/py/networkpolicies"
    create(apiserver, np, {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "deny-all", "namespace": "py"}, "spec": {"podSelector": {}}})
    create(apiserver, np, {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "a-from-px", "namespace": "py"},
        "spec": {"podSelector": {"matchLabels": {"pod": "a"}},
                 "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "px"}}}],
                              "ports": [{"port": "http"}]}]}})
    return _kubeconfig(apiserver)


def test_allowed_by_named_port_rule(cluster):
    r = twillctl("policy", "explain", "--from", "px/b", "--to", "py/a", "--port", "8080/TCP",
                 "--kubeconfig", cluster)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "verdict: allow"
    assert "ingress: allowed by py/a-from-px rule ingress[0]" in lines


def test_denied_names_isolating_policies(cluster):
    r = twillctl("policy", "explain", "--from", "px/b", "--to", "py/a", "--port", "80",
                 "--kubeconfig", cluster)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("verdict: deny\n")
    assert "isolated by py/a-from-px, py/deny-all" in r.stdout
    r = twillctl("policy", "explain", "--from", "py/a", "--to", "py/b", "--kubeconfig", cluster)
    assert r.stdout.startswith("verdict: deny\n") and "isolated by py/deny-all;" in r.stdout


def test_addresses_and_node(cluster):
    r = twillctl("policy", "explain", "--from", "10.9.1.10", "--to", "py/a", "--port", "8080",
                 "--kubeconfig", cluster)
    assert r.stdout.startswith("verdict: allow\n") and "from: pod px/a (10.9.1.10)" in r.stdout
    r = twillctl("policy", "explain", "--from", "node", "--to", "py/b", "--kubeconfig", cluster)
    assert r.stdout.startswith("verdict: allow\n")
    r = twillctl("policy", "explain", "--from", "py/b", "--to", "px/a", "--kubeconfig", cluster)
    assert r.stdout.startswith("verdict: allow\n")


def test_usage_and_errors(cluster):
    assert twillctl("policy").returncode == 2
    assert twillctl("policy", "explain", "--from", "px/a").returncode == 2
    r = twillctl("policy", "explain", "--from", "px/a", "--to", "py/a", "--port", "80/ICMP",
                 "--kubeconfig", cluster)
    assert r.returncode == 2 and "want PORT" in r.stderr
    r = twillctl("policy", "explain", "--from", "px/a", "--to", "py/zz", "--kubeconfig", cluster)
    assert r.returncode == 1 and "pod py/zz not found" in r.stderr
    r = twillctl("policy", "explain", "--help")
    assert r.returncode == 0 and "usage" in r.stdout
