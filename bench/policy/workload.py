"""bench/policy's cluster: N pods in namespaces and P NetworkPolicies, generated from a seed.

The same seed always gives the same objects (random.Random(seed), no other input), so two
runs of the bench compile the same ruleset. The shape follows what real clusters hold, so
that every part of the compiler's set/map machinery is exercised:

- namespaces `team-NN` (one per 50 pods, at least 4) labelled with their name
  (`kubernetes.io/metadata.name`), a `team` and an `env`;
- pods of five apps (web, api, db, cache, worker) with `app`, `tier`, `version` labels and
  named container ports; a web pod's `http` port is 8080 or 80 depending on the pod, so a
  named port resolves per destination pod; addresses from 10.240.0.0/16 handed out in a
  shuffled order (pods of one app are scattered, as pods of many nodes' IPAM blocks are);
- per namespace one default-deny-ingress policy, then a mix of: same-namespace allows with
  matchExpressions (In), cross-namespace allows with namespaceSelector AND podSelector on a
  named port, scraper allows (Exists + namespaceSelector by name, named port), ipBlock with
  except and endPort ranges (TCP and UDP), egress to databases plus the internet minus the
  cluster range, NotIn/DoesNotExist selectors.

One pair of pods carries the iperf3 traffic: the server (a web pod in the first namespace)
admits the client (an api pod in the second) on the named port `iperf` (5201), and the
client's egress policy allows `iperf` to the web pods of the server's namespace (an egress
named port: one element per destination pod). Both are counted among the P policies.
"""

import random

from lab.twill_lab.names import host_veth as iface_name

APPS = ("web", "api", "db", "cache", "worker")
TIERS = {"web": "frontend", "api": "backend", "db": "data", "cache": "data",
         "worker": "backend"}
TEAMS = ("payments", "search", "identity", "media", "platform")
ENVS = ("prod", "staging", "dev")
IPERF_PORT = 5201
POD_CIDR = "10.240.0.0/16"


def container_ports(app, rng):
    ports = {"web": [("http", rng.choice((8080, 80))), ("metrics", 9090),
                     ("iperf", IPERF_PORT)],
             "api": [("http", 8000), ("grpc", 50051), ("metrics", 9090)],
             "db": [("postgres", 5432), ("metrics", 9187)],
             "cache": [("redis", 6379), ("metrics", 9121)],
             "worker": [("metrics", 9090)]}[app]
    return [{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in ports]


def make_pod(ns, name, app, ip, rng):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns,
                         "labels": {"app": app, "tier": TIERS[app],
                                    "version": rng.choice(("v1", "v2", "v3"))}},
            "spec": {"nodeName": "bench-node",
                     "containers": [{"name": app, "ports": container_ports(app, rng)}]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}}


def policy(ns, name, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def sel(**labels):
    return {"matchLabels": labels}


def random_policy(ns, j, namespaces, rng):
    """One ordinary policy of a randomly chosen kind."""
    app = rng.choice(APPS)
    kind = rng.randrange(7)
    other = rng.choice(namespaces)
    if kind == 0:  # same namespace, matchExpressions In, numeric ports
        peers = rng.sample(APPS, 2)
        spec = {"podSelector": sel(app=app), "ingress": [{
            "from": [{"podSelector": {"matchExpressions": [
                {"key": "app", "operator": "In", "values": peers}]}}],
            "ports": [{"port": rng.choice((8080, 8000, 80))}, {"port": 9090}]}]}
    elif kind == 1:  # another team's frontends, AND of selectors, named port
        spec = {"podSelector": sel(app=app), "ingress": [{
            "from": [{"namespaceSelector": sel(team=other["metadata"]["labels"]["team"]),
                      "podSelector": sel(tier="frontend")}],
            "ports": [{"port": "http"}]}]}
    elif kind == 2:  # a scraper namespace's workers, on the named metrics port
        spec = {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
                "ingress": [{"from": [{"namespaceSelector": sel(**{
                    "kubernetes.io/metadata.name": other["metadata"]["name"]}),
                    "podSelector": sel(app="worker")}],
                             "ports": [{"port": "metrics"}]}]}
    elif kind == 3:  # external clients: ipBlock with except, port ranges, UDP
        a = rng.randrange(256)
        spec = {"podSelector": sel(app=app), "ingress": [{
            "from": [{"ipBlock": {"cidr": "192.168.%d.0/24" % a,
                                  "except": ["192.168.%d.%d/28" % (a, 16 * rng.randrange(16))]}},
                     {"ipBlock": {"cidr": "172.%d.0.0/16" % (16 + rng.randrange(16))}}],
            "ports": [{"port": 30000 + rng.randrange(100), "endPort": 30200 + rng.randrange(100)},
                      {"protocol": "UDP", "port": 53}]}]}
    elif kind == 4:  # egress: databases of this namespace, DNS + HTTPS outside the cluster
        spec = {"podSelector": sel(app=app), "policyTypes": ["Egress"], "egress": [
            {"to": [{"podSelector": sel(app="db")}], "ports": [{"port": 5432}]},
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}],
             "ports": [{"protocol": "UDP", "port": 53}, {"port": 443}]}]}
    elif kind == 5:  # NotIn / DoesNotExist
        spec = {"podSelector": {"matchExpressions": [
            {"key": "version", "operator": "NotIn", "values": [rng.choice(("v1", "v2"))]}]},
                "ingress": [{"from": [
                    {"podSelector": {"matchExpressions": [
                        {"key": "canary", "operator": "DoesNotExist"},
                        {"key": "tier", "operator": "In", "values": ["backend"]}]}}],
                    "ports": [{"port": rng.choice((8080, 8000))}]}]}
    else:  # cache clients from another namespace, any port of an app
        spec = {"podSelector": sel(app="cache"), "ingress": [
            {"from": [{"namespaceSelector": sel(**{
                "kubernetes.io/metadata.name": other["metadata"]["name"]}),
                "podSelector": sel(app=app)}], "ports": [{"port": "redis"}]},
            {"from": [{"podSelector": sel(app="api")}]}]}
    return policy(ns, "p%03d-k%d" % (j, kind), spec)


def generate(pods=1000, policies=500, seed=7):
    """-> dict with namespaces, pods, policies, endpoints (every pod is an endpoint of the
    node under test), plus "server" and "client": {"namespace", "pod", "ip", "iface"}."""
    rng = random.Random(seed)
    n_ns = max(4, pods // 50)
    namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "team-%02d" % k, "labels": {"kubernetes.io/metadata.name": "team-%02d" % k,
                                            "team": TEAMS[k % len(TEAMS)],
                                            "env": ENVS[k % len(ENVS)]}}}
        for k in range(n_ns)]
    hosts = list(range(2, pods + 2))
    rng.shuffle(hosts)
    pod_objs = []
    for i in range(pods):
        ns = namespaces[i % n_ns]["metadata"]["name"]
        # the first two pods are the iperf3 pair: a web server, an api client
        app = "web" if i == 0 else "api" if i == 1 else rng.choice(APPS)
        ip = "10.240.%d.%d" % (hosts[i] // 256, hosts[i] % 256)
        pod_objs.append(make_pod(ns, "%s-%04d" % (app, i), app, ip, rng))
    pol = []
    server, client = pod_objs[0], pod_objs[1]
    sns, cns = server["metadata"]["namespace"], client["metadata"]["namespace"]
    cteam = namespaces[1]["metadata"]["labels"]["team"]
    pol.append(policy(sns, "allow-iperf-in", {
        "podSelector": sel(app="web"), "ingress": [{
            "from": [{"namespaceSelector": sel(team=cteam), "podSelector": sel(app="api")}],
            "ports": [{"port": "iperf"}]}]}))
    pol.append(policy(cns, "allow-iperf-out", {
        "podSelector": sel(app="api"), "policyTypes": ["Egress"], "egress": [{
            "to": [{"namespaceSelector": sel(**{"kubernetes.io/metadata.name": sns}),
                    "podSelector": sel(app="web")}],
            "ports": [{"port": "iperf"}]}]}))
    for k in range(n_ns):
        if len(pol) < policies:
            ns = namespaces[k]["metadata"]["name"]
            pol.append(policy(ns, "default-deny-ingress", {"podSelector": {}}))
    j = 0
    while len(pol) < policies:
        ns = namespaces[j % n_ns]["metadata"]["name"]
        pol.append(random_policy(ns, j, namespaces, rng))
        j += 1
    endpoints = [{"iface": iface_name(p["metadata"]["namespace"], p["metadata"]["name"]),
                  "namespace": p["metadata"]["namespace"], "pod": p["metadata"]["name"]}
                 for p in pod_objs]

    def who(p):
        return {"namespace": p["metadata"]["namespace"], "pod": p["metadata"]["name"],
                "ip": p["status"]["podIP"],
                "iface": iface_name(p["metadata"]["namespace"], p["metadata"]["name"])}
    return {"namespaces": namespaces, "pods": pod_objs, "policies": pol,
            "endpoints": endpoints, "server": who(server), "client": who(client)}


def changed(state, k, seed=7):
    """The k-th "one policy changed" variant of state: one ordinary ingress policy (chosen
    by seed and k) gets one more port in its first rule -> a new state dict (state is not
    modified). Returns (new_state, policy_key)."""
    rng = random.Random("%d-change-%d" % (seed, k))
    candidates = [i for i, p in enumerate(state["policies"])
                  if p["spec"].get("ingress") and p["spec"]["ingress"][0].get("ports")
                  and p["metadata"]["name"].startswith("p")]
    i = rng.choice(candidates)
    new = dict(state)
    new["policies"] = list(state["policies"])
    p = {"apiVersion": state["policies"][i]["apiVersion"],
         "kind": state["policies"][i]["kind"],
         "metadata": dict(state["policies"][i]["metadata"]),
         "spec": dict(state["policies"][i]["spec"])}
    rules = [dict(r) for r in p["spec"]["ingress"]]
    rules[0]["ports"] = list(rules[0]["ports"]) + [{"port": 8443 + k}]
    p["spec"]["ingress"] = rules
    new["policies"][i] = p
    return new, "%s/%s" % (p["metadata"]["namespace"], p["metadata"]["name"])
