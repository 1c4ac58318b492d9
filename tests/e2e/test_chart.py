"""The Helm chart charts/twill: lint, rendered objects, schema, install, RBAC.

- `helm lint` with the defaults and with one values file per encapsulation mode;
- `helm template` output parsed by `kubectl create --dry-run=client -o json` against the
  test API server (it knows the CRD kinds; no PyYAML), then checked: the DaemonSet (host
  network, tolerations, priority, install-cni, host paths, env, probes, privileges), the
  ConfigMap's conflist, the IPPool per encapsulation mode, BGPConfiguration and BGPPeers;
- the ipam-server container (`twill-ipam serve`): its socket is the conflist's ipam.socket,
  and every host file a twill-ipam child opens is mounted at its host path (kubeconfig,
  token, node name, lock dir, log file's directory); disabled, neither exists;
- the ClusterRole is exactly the table of API calls the C code makes (CODE_API_CALLS,
  each entry naming its source), and it covers every call the node agent was seen making
  in the API server's request logs (the lab's, recorded below, plus any requests.log of
  this pytest session or named by $TWILL_REQUEST_LOGS; those tests are marked `after_labs`
  and run at the end of the session, so a whole-suite run checks the labs it started);
- bad values are rejected by values.schema.json with a message naming the key;
- `helm install` into the test API server creates the IPPool and the BGPConfiguration.

Values files are written as JSON, which is YAML.
"""

import glob
import json
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHART = os.path.join(ROOT, "charts", "twill")
HELM = os.environ.get("HELM", "/opt/twill-tools/bin/helm")
NODE_USER = "system:serviceaccount:kube-system:twill-node"

# (apiGroup, resource) -> verbs, derived from the code. update = the PUT of
# kube_update_cas (lib/kube_client.c), whose GET is the "get". twill-ipam's calls are the
# same whether the plugin makes them or an ipam-server child does: `twill-ipam serve`
# calls nothing itself, its children use the CNI kubeconfig (this same twill-node token).
CODE_API_CALLS = {
    # felix/felix_daemon.c + confgen/twill_confgen_main.c informers (list, watch);
    # ipam/engine_state.c kube_get of the Node; felix/vtep_alloc.c kube_patch_merge.
    ("", "nodes"): {"get", "list", "watch", "patch"},
    # felix/felix_daemon.c informer (all pods: endpoints + policy peers);
    # ipam/twill_ipam_main.c kube_get (pool annotation);
    # cni/pod_annotate.c kube_patch_merge (pod IP annotations).
    ("", "pods"): {"get", "list", "watch", "patch"},
    # ipam/twill_ipam_main.c kube_get (namespace pool annotation);
    # felix/felix_daemon.c informer (NetworkPolicy namespaceSelector).
    ("", "namespaces"): {"get", "list", "watch"},
    # felix/felix_daemon.c informer.
    ("networking.k8s.io", "networkpolicies"): {"list", "watch"},
    # felix, confgen informers; ipam/engine_state.c list_items.
    ("twill.dev", "ippools"): {"list", "watch"},
    # ipam/engine.c + engine_objects.c (get, create, update, delete); felix informer;
    # ipam/snapshot.c (CHECK) list.
    ("twill.dev", "ipamblocks"): {"get", "list", "watch", "create", "update", "delete"},
    # ipam/engine_objects.c (get, create, update, delete); confgen informer (list, watch).
    ("twill.dev", "blockaffinities"): {"get", "list", "watch", "create", "update", "delete"},
    # ipam/engine.c + engine_objects.c.
    ("twill.dev", "ipamhandles"): {"get", "create", "update", "delete"},
    # ipam/engine_state.c kube_get "default".
    ("twill.dev", "ipamconfigs"): {"get"},
    # felix informer.
    ("twill.dev", "felixconfigurations"): {"list", "watch"},
    # confgen informers.
    ("twill.dev", "bgpconfigurations"): {"list", "watch"},
    ("twill.dev", "bgppeers"): {"list", "watch"},
}
# Namespaced in twill-system only (MODEL_TWILL_NAMESPACE): confgen's Secret informer.
CODE_SECRET_CALLS = {"list", "watch"}

# The node agent's calls in the request log of a 2-node lab with BGP on, two pods added
# and one deleted (lab/twill-lab up; pod add; pod del), as (verb, group, resource, namespace).
OBSERVED_LAB_CALLS = [
    ('create', 'twill.dev', 'blockaffinities', None),
    ('create', 'twill.dev', 'ipamblocks', None), ('create', 'twill.dev', 'ipamhandles', None),
    ('delete', 'twill.dev', 'ipamhandles', None), ('get', '', 'namespaces', None),
    ('get', '', 'nodes', None), ('get', '', 'pods', 'default'),
    ('get', 'twill.dev', 'blockaffinities', None), ('get', 'twill.dev', 'ipamblocks', None),
    ('get', 'twill.dev', 'ipamconfigs', None), ('get', 'twill.dev', 'ipamhandles', None),
    ('list', '', 'namespaces', None), ('list', '', 'nodes', None), ('list', '', 'pods', None),
    ('list', '', 'secrets', 'twill-system'),
    ('list', 'networking.k8s.io', 'networkpolicies', None),
    ('list', 'twill.dev', 'bgpconfigurations', None),
    ('list', 'twill.dev', 'bgppeers', None), ('list', 'twill.dev', 'blockaffinities', None),
    ('list', 'twill.dev', 'felixconfigurations', None),
    ('list', 'twill.dev', 'ipamblocks', None), ('list', 'twill.dev', 'ippools', None),
    ('patch', '', 'nodes', None), ('patch', '', 'pods', 'default'),
    ('update', 'twill.dev', 'blockaffinities', None),
    ('update', 'twill.dev', 'ipamblocks', None), ('watch', '', 'namespaces', None),
    ('watch', '', 'nodes', None), ('watch', '', 'pods', None),
    ('watch', '', 'secrets', 'twill-system'),
    ('watch', 'networking.k8s.io', 'networkpolicies', None),
    ('watch', 'twill.dev', 'bgpconfigurations', None),
    ('watch', 'twill.dev', 'bgppeers', None), ('watch', 'twill.dev', 'blockaffinities', None),
    ('watch', 'twill.dev', 'felixconfigurations', None),
    ('watch', 'twill.dev', 'ipamblocks', None), ('watch', 'twill.dev', 'ippools', None),
]

ENCAPSULATIONS = {
    # values encapsulation -> (ipipMode, vxlanMode)
    "Never": ("Never", "Never"),
    "VXLAN": ("Never", "Always"),
    "VXLANCrossSubnet": ("Never", "CrossSubnet"),
    "IPIP": ("Always", "Never"),
    "IPIPCrossSubnet": ("CrossSubnet", "Never"),
}

HOST_PATHS = {"/lib/modules", "/run/xtables.lock", "/var/run/twill", "/var/lib/twill",
              "/opt/cni/bin", "/etc/cni/net.d"}


def helm(*args, home, check=True):
    env = dict(os.environ, KUBECONFIG="/dev/null")
    for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        env[var] = os.path.join(home, var.lower())
    cp = subprocess.run([HELM] + list(args), capture_output=True, text=True, timeout=120,
                        env=env)
    if check:
        assert cp.returncode == 0, "helm %s: %s%s" % (" ".join(args), cp.stdout, cp.stderr)
    return cp


def values_file(tmp_path, values, name="values.json"):
    p = tmp_path / name
    p.write_text(json.dumps(values))
    return str(p)


@pytest.fixture(scope="module")
def server(apiserver):
    apiserver.apply_crds()
    return apiserver


@pytest.fixture
def render(server, tmp_path):
    """render(values) -> {(kind, name): object} of `helm template` output."""
    def _render(values=None, namespace="kube-system"):
        args = ["template", "twill", CHART, "--namespace", namespace]
        if values:
            args += ["-f", values_file(tmp_path, values)]
        out = helm(*args, home=str(tmp_path / "helm")).stdout
        cp = server.kubectl("create", "--dry-run=client", "-o", "json", "-f", "-", input=out)
        objs, dec, text, i = {}, json.JSONDecoder(), cp.stdout, 0
        while True:
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                break
            doc, i = dec.raw_decode(text, i)
            for o in doc["items"] if doc.get("kind") == "List" else [doc]:
                key = (o["kind"], o["metadata"]["name"])
                assert key not in objs, "rendered twice: %s" % (key,)
                objs[key] = o
        return objs
    return _render


def containers(ds):
    spec = ds["spec"]["template"]["spec"]
    return ({c["name"]: c for c in spec["containers"]},
            {c["name"]: c for c in spec.get("initContainers", [])})


def resolved_env(container, objs):
    """Container env with configMapKeyRef / fieldRef resolved (fieldRef as 'field:<path>')."""
    env = {}
    for e in container.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
            continue
        src = e["valueFrom"]
        if "fieldRef" in src:
            env[e["name"]] = "field:" + src["fieldRef"]["fieldPath"]
        else:
            ref = src["configMapKeyRef"]
            env[e["name"]] = objs[("ConfigMap", ref["name"])]["data"][ref["key"]]
    return env


def mounts(container, ds):
    """mountPath -> host path (or the volume kind) of each mount."""
    vols = {v["name"]: v for v in ds["spec"]["template"]["spec"]["volumes"]}
    out = {}
    for m in container.get("volumeMounts", []):
        v = vols[m["name"]]
        out[m["mountPath"]] = v["hostPath"]["path"] if "hostPath" in v else \
            next(k for k in v if k != "name")
    return out


# ---------------------------------------------------------------- lint


@pytest.mark.parametrize("encap", sorted(ENCAPSULATIONS))
def test_helm_lint(tmp_path, encap):
    vf = values_file(tmp_path, {"ipPool": {"encapsulation": encap}})
    cp = helm("lint", "--strict", CHART, "-f", vf, home=str(tmp_path / "helm"))
    assert "1 chart(s) linted, 0 chart(s) failed" in cp.stdout


# ---------------------------------------------------------------- DaemonSet


def test_daemonset_defaults(render):
    objs = render()
    ds = objs[("DaemonSet", "twill-node")]
    assert ds["metadata"]["namespace"] == "kube-system"
    spec = ds["spec"]["template"]["spec"]
    assert spec["hostNetwork"] is True
    assert spec["dnsPolicy"] == "ClusterFirstWithHostNet"
    assert spec["priorityClassName"] == "system-node-critical"
    assert spec["serviceAccountName"] == "twill-node"
    # Tolerates every taint: an operator-Exists toleration with no key and no effect.
    assert {"operator": "Exists"} in spec["tolerations"]
    hostpaths = {v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v}
    assert hostpaths == HOST_PATHS
    ro = [v for v in spec["volumes"] if v.get("hostPath", {}).get("path") == "/lib/modules"]
    main, init = containers(ds)
    assert set(main) == {"felix", "confgen", "bird", "ipam-server"}
    assert set(init) == {"install-cni"}
    assert ro and all(m.get("readOnly") for m in main["felix"]["volumeMounts"]
                      if m["name"] == ro[0]["name"])
    image = "ghcr.io/twill-project/twill-node:0.1.0"
    assert {c["image"] for c in list(main.values()) + list(init.values())} == {image}


def test_install_cni(render):
    objs = render()
    ds = objs[("DaemonSet", "twill-node")]
    _, init = containers(ds)
    ic = init["install-cni"]
    assert ic["command"] == ["/usr/local/bin/twill-node", "install-cni"]
    m = mounts(ic, ds)
    assert m["/host/opt/cni/bin"] == "/opt/cni/bin"
    assert m["/host/etc/cni/net.d"] == "/etc/cni/net.d"
    assert m["/var/lib/twill"] == "/var/lib/twill"
    assert m["/etc/twill/config"] == "configMap"
    env = resolved_env(ic, objs)
    assert env["NODENAME"] == "field:spec.nodeName"
    assert env["CNI_CONF_HOST_DIR"] == "/etc/cni/net.d"
    sc = ic["securityContext"]
    assert sc["capabilities"]["drop"] == ["ALL"] and not sc.get("privileged")
    # The conflist it installs (docs/cni.md shape).
    conf = json.loads(objs[("ConfigMap", "twill-config")]["data"]["cni_network_config"])
    assert conf["cniVersion"] == "1.0.0"
    plugin = conf["plugins"][0]
    assert plugin["type"] == "twill-cni"
    assert plugin["mtu"] == 0
    assert plugin["kubernetes"]["kubeconfig"] == "/etc/cni/net.d/twill-kubeconfig"
    assert plugin["ipam"]["type"] == "twill-ipam"
    assert plugin["ipam"]["socket"] == "/var/run/twill/ipam.sock"  # the ipam-server's


def test_felix_container(render):
    objs = render()
    ds = objs[("DaemonSet", "twill-node")]
    main, _ = containers(ds)
    felix = main["felix"]
    env = resolved_env(felix, objs)
    assert env["NODENAME"] == "field:spec.nodeName"
    assert env["TWILL_NETWORKING_BACKEND"] == "bird"
    assert env["TWILL_LOG_LEVEL"] == "info"
    assert env["TWILL_HEALTH_PORT"] == "9099"
    assert env["TWILL_METRICS_PORT"] == "9091"
    assert "KUBECONFIG" not in env  # in-cluster service account
    live, ready = felix["livenessProbe"]["httpGet"], felix["readinessProbe"]["httpGet"]
    assert (live["path"], live["port"]) == ("/liveness", 9099)
    assert (ready["path"], ready["port"]) == ("/readiness", 9099)
    assert {p["containerPort"] for p in felix["ports"]} == {9099, 9091}
    m = mounts(felix, ds)
    for p in ("/lib/modules", "/run/xtables.lock", "/var/run/twill", "/var/lib/twill"):
        assert m[p] == p
    assert m["/host/etc/cni/net.d"] == "/etc/cni/net.d"  # keeps the CNI token fresh
    assert felix["securityContext"]["privileged"] is True


def test_confgen_and_bird(render):
    objs = render()
    ds = objs[("DaemonSet", "twill-node")]
    main, _ = containers(ds)
    cg, bird = main["confgen"], main["bird"]
    assert cg["command"] == ["/usr/local/bin/twill-confgen"]
    args = dict(a[2:].split("=", 1) for a in cg["args"])
    assert args["config"] == "/etc/bird/bird.conf"
    assert args["socket"] == "/run/bird/bird.ctl"
    assert args["bird"] == "/usr/sbin/bird"
    assert args["ready-file"] == "/var/run/twill/confgen.ready"
    env = resolved_env(cg, objs)
    assert env["NODENAME"] == "field:spec.nodeName"
    assert env["CONFGEN_LOG_LEVEL"] == "info" and args["log-level"] == "$(CONFGEN_LOG_LEVEL)"
    assert bird["args"] == ["/usr/sbin/bird", "-f", "-c", "/etc/bird/bird.conf",
                            "-s", "/run/bird/bird.ctl"]
    assert bird["command"][-3:] == ["bird", "/etc/bird/bird.conf", "--"]
    # confgen and bird share the config and the control socket, nothing else of the host
    # but confgen's ready/metrics files.
    assert mounts(cg, ds) == {"/etc/bird": "emptyDir", "/run/bird": "emptyDir",
                              "/var/run/twill": "/var/run/twill"}
    # /var/run/twill: the host tmpfs where the entrypoint marks that BIRD ran on this boot
    assert mounts(bird, ds) == {"/etc/bird": "emptyDir", "/run/bird": "emptyDir",
                                "/var/run/twill": "/var/run/twill"}
    assert cg["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert bird["securityContext"]["capabilities"] == {
        "drop": ["ALL"], "add": ["NET_ADMIN", "NET_BIND_SERVICE"]}
    assert not cg["securityContext"].get("privileged")
    assert not bird["securityContext"].get("privileged")


def test_bgp_disabled(render):
    objs = render({"bgp": {"enabled": False, "peers": [
        {"name": "tor", "peerIP": "192.0.2.1", "asNumber": 64513}]}})
    ds = objs[("DaemonSet", "twill-node")]
    main, _ = containers(ds)
    assert set(main) == {"felix", "ipam-server"}
    assert resolved_env(main["felix"], objs)["TWILL_NETWORKING_BACKEND"] == "none"
    assert ("BGPConfiguration", "default") not in objs
    assert ("BGPPeer", "tor") not in objs
    assert {v["name"] for v in ds["spec"]["template"]["spec"]["volumes"]}.isdisjoint(
        {"bird-conf", "bird-run"})


def test_custom_paths_image_and_resources(render):
    objs = render({"image": {"repository": "registry.example/twill", "tag": "v9",
                             "pullPolicy": "Always"},
                   "cni": {"binDir": "/usr/libexec/cni", "confDir": "/etc/cni/alt", "mtu": 1450},
                   "resources": {"felix": {"limits": {"memory": "1Gi"}}},
                   "tolerations": [{"key": "only-this", "operator": "Exists"}]})
    ds = objs[("DaemonSet", "twill-node")]
    main, init = containers(ds)
    assert main["felix"]["image"] == "registry.example/twill:v9"
    assert main["felix"]["imagePullPolicy"] == "Always"
    assert main["felix"]["resources"] == {"limits": {"memory": "1Gi"},
                                          "requests": {"cpu": "100m", "memory": "64Mi"}}
    m = mounts(init["install-cni"], ds)
    assert m["/host/opt/cni/bin"] == "/usr/libexec/cni"
    assert m["/host/etc/cni/net.d"] == "/etc/cni/alt"
    conf = json.loads(objs[("ConfigMap", "twill-config")]["data"]["cni_network_config"])
    assert conf["plugins"][0]["mtu"] == 1450
    assert conf["plugins"][0]["kubernetes"]["kubeconfig"] == "/etc/cni/alt/twill-kubeconfig"
    assert ds["spec"]["template"]["spec"]["tolerations"] == [
        {"key": "only-this", "operator": "Exists"}]


# ---------------------------------------------------------------- ipam-server

IPAM_SOCKET = "/var/run/twill/ipam.sock"


def test_ipam_server_container(render):
    objs = render()
    ds = objs[("DaemonSet", "twill-node")]
    main, _ = containers(ds)
    c = main["ipam-server"]
    assert c["command"] == ["/usr/local/bin/twill-ipam", "serve"]
    assert c["args"] == ["--socket=" + IPAM_SOCKET, "--log-level=$(IPAM_SERVER_LOG_LEVEL)"]
    env = resolved_env(c, objs)
    assert env == {"IPAM_SERVER_LOG_LEVEL": "info"}  # no API access, no node name of its own
    assert c["readinessProbe"]["exec"]["command"] == ["test", "-S", IPAM_SOCKET]
    assert not c.get("ports") and not c.get("livenessProbe")
    assert c["resources"] == {"requests": {"cpu": "10m", "memory": "32Mi"},
                              "limits": {"memory": "128Mi"}}
    sc = c["securityContext"]
    assert sc == {"runAsUser": 0, "allowPrivilegeEscalation": False,
                  "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    # Host paths at the same paths: the children open what the CNI config names.
    assert mounts(c, ds) == {"/etc/cni/net.d": "/etc/cni/net.d",
                             "/var/lib/twill": "/var/lib/twill",
                             "/var/run/twill": "/var/run/twill"}
    ro = {m["mountPath"]: bool(m.get("readOnly")) for m in c["volumeMounts"]}
    assert ro == {"/etc/cni/net.d": True, "/var/lib/twill": True, "/var/run/twill": False}
    # values reach it
    objs = render({"ipamServer": {"logLevel": "debug"},
                   "resources": {"ipamServer": {"limits": {"memory": "1Gi"}}}})
    c = containers(objs[("DaemonSet", "twill-node")])[0]["ipam-server"]
    assert resolved_env(c, objs)["IPAM_SERVER_LOG_LEVEL"] == "debug"
    assert c["resources"]["limits"] == {"memory": "1Gi"}


def host_files_of_plugin(objs):
    """{host path: needs write} of every file a twill-ipam child opens, from the
    rendered conflist and what install-cni writes."""
    conf = json.loads(objs[("ConfigMap", "twill-config")]["data"]["cni_network_config"])
    plugin = conf["plugins"][0]
    kubeconfig = plugin["kubernetes"]["kubeconfig"]
    files = {kubeconfig: False,
             # install-cni's tokenFile: $CNI_CONF_HOST_DIR/twill-token
             os.path.join(os.path.dirname(kubeconfig), "twill-token"): False,
             "/var/lib/twill/nodename": False,       # ipam/plugin_config.h
             "/var/run/twill/lock": True}            # ipam/host_lock.h: its lock dir
    if plugin.get("log_file"):
        files[plugin["log_file"]] = True
    return files


@pytest.mark.parametrize("values", [
    {},
    {"cni": {"logFile": "/var/log/twill/cni.log"}},
    {"cni": {"confDir": "/etc/cni/alt", "logFile": "/var/log/cni/plugins/twill.log"}},
    {"cni": {"logFile": "/var/run/twill/cni.log"}},   # in a directory it has already
    {"cni": {"logFile": "/etc/cni/net.d/twill.log"}},  # ... which then is read-write
    {"cni": {"logFile": "/var/lib/twill/twill.log"}},
], ids=["default", "logfile", "confdir", "logfile-in-run", "logfile-in-confdir",
        "logfile-in-lib"])
def test_ipam_server_sees_the_plugins_host_files(render, values):
    """Every host file the plugin opens is, in the ipam-server container, under a
    hostPath mount at its own path, writable when it is written; mount paths unique."""
    objs = render(values)
    ds = objs[("DaemonSet", "twill-node")]
    c = containers(ds)[0]["ipam-server"]
    paths = [m["mountPath"] for m in c["volumeMounts"]]
    assert len(paths) == len(set(paths)), paths
    vols = {v["name"]: v for v in ds["spec"]["template"]["spec"]["volumes"]}
    for f, write in host_files_of_plugin(objs).items():
        best = max((m for m in c["volumeMounts"]
                    if f.startswith(m["mountPath"].rstrip("/") + "/")),
                   key=lambda m: len(m["mountPath"]), default=None)
        assert best is not None, "%s is not mounted in ipam-server" % f
        assert vols[best["name"]]["hostPath"]["path"] == best["mountPath"], best
        assert not (write and best.get("readOnly")), "%s needs write, %s is read-only" % (
            f, best["mountPath"])
    conf = json.loads(objs[("ConfigMap", "twill-config")]["data"]["cni_network_config"])
    assert "--socket=" + conf["plugins"][0]["ipam"]["socket"] in c["args"]
    log_file = values.get("cni", {}).get("logFile")
    own = [v for v in vols.values() if v["name"] == "cni-log-dir"]
    if log_file and os.path.dirname(log_file) not in (
            values["cni"].get("confDir", "/etc/cni/net.d"), "/var/run/twill", "/var/lib/twill"):
        assert own == [{"name": "cni-log-dir", "hostPath": {
            "path": os.path.dirname(log_file), "type": "DirectoryOrCreate"}}]
    else:
        assert not own


def test_ipam_server_disabled(render):
    objs = render({"ipamServer": {"enabled": False},
                   "cni": {"logFile": "/var/log/twill/cni.log"}})
    ds = objs[("DaemonSet", "twill-node")]
    main, _ = containers(ds)
    assert set(main) == {"felix", "confgen", "bird"}
    conf = json.loads(objs[("ConfigMap", "twill-config")]["data"]["cni_network_config"])
    assert "socket" not in conf["plugins"][0]["ipam"]
    assert conf["plugins"][0]["log_file"] == "/var/log/twill/cni.log"
    assert {v["hostPath"]["path"] for v in ds["spec"]["template"]["spec"]["volumes"]
            if "hostPath" in v} == HOST_PATHS


# ---------------------------------------------------------------- pool and BGP


@pytest.mark.parametrize("encap", sorted(ENCAPSULATIONS))
def test_ippool_per_encapsulation(render, encap):
    objs = render({"ipPool": {"encapsulation": encap, "cidr": "10.96.0.0/12",
                              "blockSize": 24, "natOutgoing": False}})
    pool = objs[("IPPool", "default-ipv4")]
    assert pool["apiVersion"] == "twill.dev/v1"
    s = pool["spec"]
    assert (s["ipipMode"], s["vxlanMode"]) == ENCAPSULATIONS[encap]
    assert (s["cidr"], s["blockSize"], s["natOutgoing"]) == ("10.96.0.0/12", 24, False)
    assert s["nodeSelector"] == "all()"


def test_bgp_objects(render):
    objs = render({"bgp": {"asNumber": 4200000001, "nodeToNodeMesh": False, "peers": [
        {"name": "tor-a", "peerIP": "192.0.2.1", "asNumber": 64513,
         "nodeSelector": "rack == 'a'", "password": {"secretKeyRef": {"name": "bgp", "key": "a"}}},
        {"name": "rr", "peerSelector": "route-reflector == 'true'"}]}})
    conf = objs[("BGPConfiguration", "default")]["spec"]
    assert conf == {"asNumber": 4200000001, "nodeToNodeMeshEnabled": False, "listenPort": 179}
    a = objs[("BGPPeer", "tor-a")]["spec"]
    assert a == {"peerIP": "192.0.2.1", "asNumber": 64513, "nodeSelector": "rack == 'a'",
                 "password": {"secretKeyRef": {"name": "bgp", "key": "a"}}}
    assert objs[("BGPPeer", "rr")]["spec"] == {"peerSelector": "route-reflector == 'true'"}


def test_ipv6_pool(render):
    s = render({"ipPool": {"cidr": "fd00:10::/48", "blockSize": 122,
                           "encapsulation": "VXLAN"}})[("IPPool", "default-ipv4")]["spec"]
    assert (s["cidr"], s["blockSize"], s["vxlanMode"]) == ("fd00:10::/48", 122, "Always")


def test_no_pool_when_disabled(render):
    objs = render({"ipPool": {"create": False}})
    assert not [k for k in objs if k[0] == "IPPool"]


# ---------------------------------------------------------------- RBAC


def rules_table(rules):
    table = {}
    for r in rules:
        assert not r.get("resourceNames") and not r.get("nonResourceURLs")
        for g in r["apiGroups"]:
            for res in r["resources"]:
                assert "*" not in (g, res) and "*" not in r["verbs"]
                table.setdefault((g, res), set()).update(r["verbs"])
    return table


def test_clusterrole_is_exactly_the_code_calls(render):
    objs = render()
    assert rules_table(objs[("ClusterRole", "twill-node")]["rules"]) == CODE_API_CALLS
    crb = objs[("ClusterRoleBinding", "twill-node")]
    assert crb["roleRef"]["name"] == "twill-node"
    assert crb["subjects"] == [{"kind": "ServiceAccount", "name": "twill-node",
                                "namespace": "kube-system"}]
    role = objs[("Role", "twill-node-bgp-secrets")]
    assert role["metadata"]["namespace"] == "twill-system"
    assert rules_table(role["rules"]) == {("", "secrets"): CODE_SECRET_CALLS}
    rb = objs[("RoleBinding", "twill-node-bgp-secrets")]
    assert rb["subjects"][0]["namespace"] == "kube-system"
    assert objs[("ServiceAccount", "twill-node")]["metadata"]["namespace"] == "kube-system"


def allowed(objs, verb, group, resource, namespace):
    if (group, resource) == ("", "secrets"):
        return namespace == "twill-system" and verb in CODE_SECRET_CALLS
    cr = rules_table(objs[("ClusterRole", "twill-node")]["rules"])
    return verb in cr.get((group, resource), set())


def test_clusterrole_covers_lab_calls(render):
    objs = render()
    missing = [c for c in OBSERVED_LAB_CALLS if not allowed(objs, *c)]
    assert not missing


def logged_calls(tmp_path_factory, user):
    """(verb, group, resource, namespace) of every API call `user` made in this session's
    request logs and those named by $TWILL_REQUEST_LOGS, one entry per request."""
    paths = glob.glob(os.path.join(str(tmp_path_factory.getbasetemp()), "**", "requests.log"),
                      recursive=True)
    for pat in os.environ.get("TWILL_REQUEST_LOGS", "").split(":"):
        if pat:
            paths += glob.glob(pat, recursive=True)
    calls = []
    for p in paths:
        with open(p) as f:
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if r.get("user") != user or r.get("resource") is None:
                    continue
                calls.append((r["verb"], r["group"] or "", r["resource"], r.get("namespace")))
    return calls


def assert_logged_calls_allowed(render, tmp_path_factory, user, who, is_allowed):
    """Every call `user` made in the request logs passes is_allowed(objs, *call); skips
    when the logs hold none (no lab ran in this session)."""
    objs = render()
    calls = logged_calls(tmp_path_factory, user)
    if not calls:
        pytest.skip("no %s calls in any request log (run after a lab test or set "
                    "TWILL_REQUEST_LOGS)" % who)
    missing = {call for call in calls if not is_allowed(objs, *call)}
    assert not missing, sorted(missing)


@pytest.mark.after_labs
def test_clusterrole_covers_request_logs(render, tmp_path_factory):
    """Every node-agent call in this session's request logs (and $TWILL_REQUEST_LOGS)."""
    assert_logged_calls_allowed(render, tmp_path_factory, NODE_USER, "node-agent", allowed)


# ---------------------------------------------------------------- schema


@pytest.mark.parametrize("values,needle", [
    ({"ipPool": {"encapsulation": "GRE"}}, "encapsulation"),
    ({"ipPool": {"cidr": "10.0.0.0/33"}}, "cidr"),
    ({"ipPool": {"cidr": "not-a-cidr"}}, "cidr"),
    ({"ipPool": {"blockSize": 33}}, "blockSize"),
    ({"ipPool": {"blockSize": 8}}, "blockSize"),
    ({"ipPool": {"cidr": "fd00:10::/48"}}, "blockSize"),  # 26 is an IPv4 block size
    ({"ipPool": {"cidr": "fd00:10::/48", "blockSize": 122, "encapsulation": "IPIP"}},
     "encapsulation"),  # IPIP carries IPv4 only
    ({"bgp": {"asNumber": 0}}, "asNumber"),
    ({"bgp": {"asNumber": 4294967296}}, "asNumber"),
    ({"bgp": {"peers": [{"name": "x", "peerIP": "192.0.2.1"}]}}, "peers"),
    ({"bgp": {"peers": [{"name": "x", "peerIP": "192.0.2.1", "asNumber": 1,
                         "peerSelector": "all()"}]}}, "peers"),
    ({"felix": {"healthPort": 70000}}, "healthPort"),
    ({"felix": {"logLevel": "verbose"}}, "logLevel"),
    ({"image": {"pullPolicy": "Sometimes"}}, "pullPolicy"),
    ({"cni": {"binDir": "relative/bin"}}, "binDir"),
    # ipam-server mounts the log file's directory: a real one, not / or via ..
    ({"cni": {"logFile": "/cni.log"}}, "logFile"),
    ({"cni": {"logFile": "/var/log/twill/"}}, "logFile"),
    ({"cni": {"logFile": "/var/log/../cni.log"}}, "logFile"),
    ({"ipamServer": {"enabled": "yes"}}, "enabled"),
    ({"ipamServer": {"logLevel": "verbose"}}, "logLevel"),
    ({"ipamServer": {"enabled": True, "socket": "/tmp/x.sock"}}, "socket"),
    ({"resources": {"ipamServer": {"limit": {}}}}, "limit"),
    ({"ipPoool": {}}, "ipPoool"),
])
def test_schema_rejects_bad_values(tmp_path, values, needle):
    vf = values_file(tmp_path, values)
    cp = helm("template", "twill", CHART, "-f", vf, home=str(tmp_path / "helm"), check=False)
    assert cp.returncode != 0
    assert "values don't meet the specifications of the schema" in cp.stderr
    assert needle in cp.stderr, cp.stderr


# ---------------------------------------------------------------- install


def test_helm_install(server, tmp_path):
    vf = values_file(tmp_path, {"ipPool": {"encapsulation": "VXLANCrossSubnet",
                                           "cidr": "10.77.0.0/16"},
                                "bgp": {"asNumber": 65010, "peers": [
                                    {"name": "tor", "peerIP": "192.0.2.9", "asNumber": 65011}]}})
    server.kubectl("create", "namespace", "twill-install")
    try:
        cp = server.helm("install", "twill", CHART, "--namespace", "twill-install", "-f", vf)
        assert "STATUS: deployed" in cp.stdout
        pool = json.loads(server.kubectl("get", "ippools.twill.dev", "default-ipv4",
                                         "-o", "json").stdout)
        assert pool["spec"]["cidr"] == "10.77.0.0/16"
        assert pool["spec"]["vxlanMode"] == "CrossSubnet"
        bgp = json.loads(server.kubectl("get", "bgpconfigurations.twill.dev", "default",
                                        "-o", "json").stdout)
        assert bgp["spec"]["asNumber"] == 65010
        assert server.kubectl("get", "bgppeers.twill.dev", "tor", check=False).returncode == 0
        ds = json.loads(server.kubectl("-n", "twill-install", "get", "daemonset", "twill-node",
                                       "-o", "json").stdout)
        assert ds["spec"]["template"]["spec"]["hostNetwork"] is True
        assert server.kubectl("-n", "twill-system", "get", "role",
                              "twill-node-bgp-secrets", check=False).returncode == 0
        # Upgrade with new values changes the pool; uninstall removes the objects but
        # keeps the twill-system namespace (it may hold the operator's Secrets).
        server.helm("upgrade", "twill", CHART, "--namespace", "twill-install", "-f", vf,
                    "--set", "bgp.asNumber=65020")
        bgp = json.loads(server.kubectl("get", "bgpconfigurations.twill.dev", "default",
                                        "-o", "json").stdout)
        assert bgp["spec"]["asNumber"] == 65020
    finally:
        server.helm("uninstall", "twill", "--namespace", "twill-install", check=False)
    assert server.kubectl("get", "ippools.twill.dev", "default-ipv4",
                          check=False).returncode != 0
    assert server.kubectl("get", "namespace", "twill-system", check=False).returncode == 0


# ---------------------------------------------------------------- image entrypoint

ENTRYPOINT = os.path.join(ROOT, "images", "twill-node", "twill-node")


def test_entrypoint_install_cni(render, server, tmp_path):
    """install-cni, run on directories standing in for the host's, writes what the chart says."""
    objs = render()
    conflist = objs[("ConfigMap", "twill-config")]["data"]["cni_network_config"]
    src, sa, cfg = tmp_path / "bin", tmp_path / "sa", tmp_path / "config"
    hbin, hnetd, lib = tmp_path / "host-bin", tmp_path / "host-netd", tmp_path / "lib"
    for d in (src, sa, cfg):
        d.mkdir()
    for b in ("twill-cni", "twill-ipam"):
        (src / b).write_text("#!/bin/sh\necho %s\n" % b)
    (sa / "token").write_text("tok-1")
    (sa / "ca.crt").write_bytes(open(server.ca_file, "rb").read())
    (cfg / "cni_network_config").write_text(conflist)
    env = dict(os.environ, SA_DIR=str(sa), BIN_SRC=str(src), HOST_BIN=str(hbin),
               HOST_NETD=str(hnetd), CONFIG_DIR=str(cfg),
               NODENAME_FILE=str(lib / "nodename"), NODENAME="node-7",
               CNI_CONF_HOST_DIR="/etc/cni/net.d", KUBERNETES_SERVICE_HOST="fd00::1",
               KUBERNETES_SERVICE_PORT="6443")
    cp = subprocess.run([ENTRYPOINT, "install-cni"], env=env, capture_output=True, text=True,
                        timeout=30)
    assert cp.returncode == 0, cp.stderr
    for b in ("twill-cni", "twill-ipam"):
        assert os.access(str(hbin / b), os.X_OK)
    assert json.loads((hnetd / "10-twill.conflist").read_text()) == json.loads(conflist)
    assert (lib / "nodename").read_text() == "node-7\n"
    assert (hnetd / "twill-token").read_text() == "tok-1"
    assert os.stat(str(hnetd / "twill-kubeconfig")).st_mode & 0o077 == 0
    assert os.stat(str(hnetd / "twill-token")).st_mode & 0o077 == 0
    assert not list(hnetd.glob("*.twill-tmp"))
    # kubectl parses the kubeconfig it wrote (the plugin's kubeconfig parser reads the same keys).
    view = json.loads(subprocess.run(
        [os.environ.get("KUBECTL", "/opt/twill-tools/bin/kubectl"), "config", "view", "--raw",
         "-o", "json", "--kubeconfig", str(hnetd / "twill-kubeconfig")],
        capture_output=True, text=True, timeout=30, check=True).stdout)
    assert view["clusters"][0]["cluster"]["server"] == "https://[fd00::1]:6443"
    assert view["users"][0]["user"]["tokenFile"] == "/etc/cni/net.d/twill-token"
    # Missing NODENAME is an error that says so, and writes nothing.
    env.pop("NODENAME")
    env["HOST_NETD"] = str(tmp_path / "other")
    cp = subprocess.run([ENTRYPOINT, "install-cni"], env=env, capture_output=True, text=True,
                        timeout=30)
    assert cp.returncode != 0 and "NODENAME" in cp.stderr
    assert not (tmp_path / "other").exists()


def test_entrypoint_wait_file(tmp_path):
    flag = tmp_path / "bird.conf"
    p = subprocess.Popen([ENTRYPOINT, "wait-file", str(flag), "--", "sh", "-c", "echo started"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            p.wait(timeout=1.5)  # still waiting: the file is not there
        flag.write_text("")
        out, _ = p.communicate(timeout=10)
        assert out == "started\n" and p.returncode == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_entrypoint_bird_restarts_gracefully_on_the_same_boot(tmp_path):
    """`twill-node bird` waits for bird.conf like wait-file; the first start of a boot
    runs BIRD as given, every later one (marker on the host's /var/run) adds -R."""
    conf, marker = tmp_path / "bird.conf", tmp_path / "run" / "bird.started"
    env = dict(os.environ, BIRD_MARKER=str(marker))
    bird = tmp_path / "bird"
    bird.write_text('#!/bin/sh\necho "$*"\n')
    bird.chmod(0o755)
    argv = [ENTRYPOINT, "bird", str(conf), "--", str(bird), "-f", "-c", "x"]
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            p.wait(timeout=1.5)  # still waiting: no config yet
        conf.write_text("")
        out, err = p.communicate(timeout=10)
        assert p.returncode == 0 and out == "-f -c x\n", err
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert marker.exists()
    again = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=10)
    assert again.returncode == 0 and again.stdout == "-R -f -c x\n", again.stderr
    assert "graceful restart" in again.stderr
    marker.unlink()  # a reboot empties /var/run
    third = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=10)
    assert third.stdout == "-f -c x\n"


def test_entrypoint_kubeconfig_works_with_twill_client(server, tmp_path):
    """The kubeconfig install-cni writes (CA data + tokenFile) is accepted by twill's own
    client (lib/kubeconfig.c via twillctl) and reaches the API server."""
    from urllib.parse import urlsplit
    from tests.e2e.conftest import build_dir
    ctl = os.path.join(build_dir(), "ctl", "twillctl")
    if not os.access(ctl, os.X_OK):
        pytest.skip("twillctl not built in %s" % build_dir())
    src, sa, cfg, netd = (tmp_path / n for n in ("bin", "sa", "config", "netd"))
    for d in (src, sa, cfg):
        d.mkdir()
    for b in ("twill-cni", "twill-ipam"):
        (src / b).write_text("")
    (sa / "token").write_text(server.token)
    (sa / "ca.crt").write_bytes(open(server.ca_file, "rb").read())
    (cfg / "cni_network_config").write_text("{}")
    u = urlsplit(server.url)
    env = dict(os.environ, SA_DIR=str(sa), BIN_SRC=str(src), HOST_BIN=str(tmp_path / "hb"),
               HOST_NETD=str(netd), CONFIG_DIR=str(cfg), NODENAME_FILE=str(tmp_path / "nn"),
               NODENAME="n1", CNI_CONF_HOST_DIR=str(netd), KUBERNETES_SERVICE_HOST=u.hostname,
               KUBERNETES_SERVICE_PORT=str(u.port))
    subprocess.run([ENTRYPOINT, "install-cni"], env=env, check=True, capture_output=True,
                   timeout=30)
    cp = subprocess.run([ctl, "get", "ippools", "-o", "json", "--kubeconfig",
                         str(netd / "twill-kubeconfig")], capture_output=True, text=True,
                        timeout=30)
    assert cp.returncode == 0, cp.stderr
    assert "items" in json.loads(cp.stdout)


# ---------------------------------------------------------------- twill-controllers

CONTROLLERS_USER = "system:serviceaccount:kube-system:twill-controllers"
# (apiGroup, resource) -> verbs twill-controllers makes, from the code:
CONTROLLERS_API_CALLS = {
    # controllers/ctrl_daemon.c Node informer (list, watch); controllers/reconcile.c
    # re-reads a deleted node (get); ipam/snapshot.c lists nodes.
    ("", "nodes"): {"get", "list", "watch"},
    # ipam/snapshot.c lists every pod.
    ("", "pods"): {"list"},
    ("twill.dev", "ippools"): {"list"},
    # ipam/snapshot.c lists; releases through ipam/engine*.c (get, CAS update,
    # delete of emptied blocks/affinities/handles); ipam/gc_exec.c deletes and
    # re-homes (CAS update of a block).
    ("twill.dev", "ipamblocks"): {"get", "list", "update", "delete"},
    ("twill.dev", "blockaffinities"): {"get", "list", "update", "delete"},
    ("twill.dev", "ipamhandles"): {"get", "list", "update", "delete"},
}
# lib/leader_elect.c: get, create, update of its Lease, in its own namespace.
CONTROLLERS_LEASE_CALLS = {"get", "create", "update"}


def test_controllers_deployment(render):
    objs = render()
    dep = objs[("Deployment", "twill-controllers")]
    assert dep["metadata"]["namespace"] == "kube-system"
    assert dep["spec"]["replicas"] == 2
    spec = dep["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == "twill-controllers"
    assert not spec.get("hostNetwork")
    (c,) = spec["containers"]
    assert c["command"] == ["/usr/local/bin/twill-controllers"]
    env = resolved_env(c, objs)
    assert env["POD_NAME"] == "field:metadata.name"
    assert env["POD_NAMESPACE"] == "field:metadata.namespace"
    assert env["TWILL_LEAK_INTERVAL"] == "5m" and env["TWILL_LEAK_GRACE"] == "15m"
    assert env["TWILL_LEASE_DURATION"] == "15s" and env["TWILL_RENEW_DEADLINE"] == "10s"
    assert env["TWILL_RETRY_PERIOD"] == "2s"
    assert "--leak-grace=$(TWILL_LEAK_GRACE)" in c["args"]
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 9094}
    assert c["ports"] == [{"name": "metrics", "containerPort": 9094, "protocol": "TCP"}]
    sc = c["securityContext"]
    assert sc["runAsNonRoot"] and not sc["allowPrivilegeEscalation"]
    assert sc["capabilities"] == {"drop": ["ALL"]} and "privileged" not in sc
    sa = objs[("ServiceAccount", "twill-controllers")]
    assert sa["metadata"]["namespace"] == "kube-system"
    # values reach the container
    objs = render({"controllers": {"replicas": 3, "leakGrace": "30m", "metricsPort": 9200}})
    dep = objs[("Deployment", "twill-controllers")]
    assert dep["spec"]["replicas"] == 3
    c = dep["spec"]["template"]["spec"]["containers"][0]
    assert resolved_env(c, objs)["TWILL_LEAK_GRACE"] == "30m"
    assert c["readinessProbe"]["httpGet"]["port"] == 9200


def test_controllers_rbac_is_exactly_the_code_calls(render):
    objs = render()
    assert rules_table(objs[("ClusterRole", "twill-controllers")]["rules"]) == \
        CONTROLLERS_API_CALLS
    crb = objs[("ClusterRoleBinding", "twill-controllers")]
    assert crb["subjects"] == [{"kind": "ServiceAccount", "name": "twill-controllers",
                                "namespace": "kube-system"}]
    role = objs[("Role", "twill-controllers-leader-election")]
    assert role["metadata"]["namespace"] == "kube-system"
    assert rules_table(role["rules"]) == {("coordination.k8s.io", "leases"):
                                          CONTROLLERS_LEASE_CALLS}
    rb = objs[("RoleBinding", "twill-controllers-leader-election")]
    assert rb["roleRef"]["name"] == "twill-controllers-leader-election"
    assert rb["subjects"][0]["name"] == "twill-controllers"
    # the node agent's role is not widened for the controllers
    assert rules_table(objs[("ClusterRole", "twill-node")]["rules"]) == CODE_API_CALLS


def test_controllers_disabled(render):
    objs = render({"controllers": {"enabled": False}})
    assert not [k for k in objs if k[1].startswith("twill-controllers")]
    assert ("DaemonSet", "twill-node") in objs


def controllers_allowed(objs, verb, group, resource, namespace):
    if (group, resource) == ("coordination.k8s.io", "leases"):
        return namespace == "kube-system" and verb in CONTROLLERS_LEASE_CALLS
    cr = rules_table(objs[("ClusterRole", "twill-controllers")]["rules"])
    return verb in cr.get((group, resource), set())


@pytest.mark.after_labs
def test_controllers_role_covers_request_logs(render, tmp_path_factory):
    """Every call twill-controllers (its service account) made in this session's request
    logs (a lab runs it with that token) or $TWILL_REQUEST_LOGS."""
    assert_logged_calls_allowed(render, tmp_path_factory, CONTROLLERS_USER, "twill-controllers",
                                controllers_allowed)


@pytest.mark.parametrize("values,needle", [
    ({"controllers": {"leakGrace": "soon"}}, "leakGrace"),
    ({"controllers": {"replicas": 0}}, "replicas"),
    ({"controllers": {"metricsPort": 0}}, "metricsPort"),
    ({"controllers": {"leaseDurationX": "1s"}}, "leaseDurationX"),
])
def test_controllers_schema_rejects_bad_values(tmp_path, values, needle):
    vf = values_file(tmp_path, values)
    cp = helm("template", "twill", CHART, "-f", vf, home=str(tmp_path / "helm"), check=False)
    assert cp.returncode != 0
    assert needle in cp.stderr, cp.stderr
