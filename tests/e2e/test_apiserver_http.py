"""Raw HTTP behaviour of the test API server (tests/apiserver) that twill's C client relies on."""

import json
import time

import pytest

NS_CM = "/api/v1/namespaces/default/configmaps"


def _cm(name, labels=None, data=None):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": labels or {}}, "data": data or {"k": "v"}}


def test_401_without_or_with_bad_token(apiserver):
    for token in ("", "not-a-token"):
        status, body = apiserver.request("GET", "/api/v1/namespaces", token=token)
        assert status == 401
        assert body["kind"] == "Status" and body["reason"] == "Unauthorized" and body["code"] == 401
    assert apiserver.request("GET", "/api/v1/namespaces")[0] == 200


def test_initial_namespaces_and_discovery(apiserver):
    status, body = apiserver.request("GET", "/api/v1/namespaces")
    names = {n["metadata"]["name"] for n in body["items"]}
    assert {"default", "kube-system"} <= names
    status, res = apiserver.request("GET", "/api/v1")
    pods = next(r for r in res["resources"] if r["name"] == "pods")
    assert pods["namespaced"] and pods["kind"] == "Pod" and "watch" in pods["verbs"]
    status, groups = apiserver.request("GET", "/apis")
    assert "networking.k8s.io" in {g["name"] for g in groups["groups"]}
    status, nodes = apiserver.request("GET", "/api/v1")
    assert not next(r for r in nodes["resources"] if r["name"] == "nodes")["namespaced"]


def test_404_status_shape(apiserver):
    status, body = apiserver.request("GET", NS_CM + "/does-not-exist")
    assert status == 404
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": 'configmaps "does-not-exist" not found', "reason": "NotFound",
                    "details": {"name": "does-not-exist", "kind": "configmaps"}, "code": 404}
    status, body = apiserver.request("GET", "/apis/nope.example.com/v1/things")
    assert status == 404 and body["kind"] == "Status"


def test_create_get_update_conflict_delete(apiserver):
    status, created = apiserver.request("POST", NS_CM, _cm("rv-test"))
    assert status == 201
    md = created["metadata"]
    assert md["uid"] and md["creationTimestamp"] and int(md["resourceVersion"]) > 0
    status, again = apiserver.request("POST", NS_CM, _cm("rv-test"))
    assert status == 409 and again["reason"] == "AlreadyExists"

    stale = json.loads(json.dumps(created))
    created["data"] = {"k": "v2"}
    status, updated = apiserver.request("PUT", NS_CM + "/rv-test", created)
    assert status == 200 and updated["data"] == {"k": "v2"}
    assert int(updated["metadata"]["resourceVersion"]) > int(md["resourceVersion"])
    assert updated["metadata"]["uid"] == md["uid"]

    stale["data"] = {"k": "lost update"}
    status, body = apiserver.request("PUT", NS_CM + "/rv-test", stale)
    assert status == 409 and body["reason"] == "Conflict"
    assert "the object has been modified" in body["message"]

    # Without a resourceVersion an update is unconditional.
    del stale["metadata"]["resourceVersion"]
    assert apiserver.request("PUT", NS_CM + "/rv-test", stale)[0] == 200

    status, body = apiserver.request("DELETE", NS_CM + "/rv-test")
    assert status == 200
    assert apiserver.request("GET", NS_CM + "/rv-test")[0] == 404
    assert apiserver.request("DELETE", NS_CM + "/rv-test")[0] == 404


def test_patch_types(apiserver):
    apiserver.request("POST", NS_CM, _cm("patchme", {"a": "1"}, {"x": "1", "y": "2"}))
    status, body = apiserver.request("PATCH", NS_CM + "/patchme", {"data": {"x": None, "z": "3"}},
                                     headers={"Content-Type": "application/merge-patch+json"})
    assert status == 200 and body["data"] == {"y": "2", "z": "3"}
    ops = [{"op": "add", "path": "/metadata/labels/b", "value": "2"},
           {"op": "replace", "path": "/data/y", "value": "22"}]
    status, body = apiserver.request("PATCH", NS_CM + "/patchme", ops,
                                     headers={"Content-Type": "application/json-patch+json"})
    assert status == 200 and body["metadata"]["labels"] == {"a": "1", "b": "2"}
    assert body["data"]["y"] == "22"
    status, body = apiserver.request(
        "PATCH", NS_CM + "/patchme", [{"op": "test", "path": "/data/y", "value": "nope"}],
        headers={"Content-Type": "application/json-patch+json"})
    assert status == 422
    status, body = apiserver.request("PATCH", NS_CM + "/patchme",
                                     {"metadata": {"resourceVersion": "1"}, "data": {"q": "1"}},
                                     headers={"Content-Type": "application/merge-patch+json"})
    assert status == 409 and body["reason"] == "Conflict"


def test_dry_run_does_not_store(apiserver):
    status, body = apiserver.request("POST", NS_CM + "?dryRun=All", _cm("dry"))
    assert status == 201 and body["metadata"]["name"] == "dry"
    assert apiserver.request("GET", NS_CM + "/dry")[0] == 404


def test_label_and_field_selectors(apiserver):
    for i, env in enumerate(["prod", "prod", "dev", None]):
        labels = {"env": env} if env else {}
        labels["idx"] = str(i)
        assert apiserver.request("POST", NS_CM, _cm("sel-%d" % i, labels))[0] == 201

    def names(q):
        status, body = apiserver.request("GET", NS_CM + "?" + q)
        assert status == 200, body
        return sorted(o["metadata"]["name"] for o in body["items"] if o["metadata"]["name"].startswith("sel-"))

    assert names("labelSelector=env%3Dprod") == ["sel-0", "sel-1"]
    assert names("labelSelector=env%3D%3Ddev") == ["sel-2"]
    assert names("labelSelector=env%21%3Dprod,idx") == ["sel-2", "sel-3"]
    assert names("labelSelector=env%20in%20(dev,prod),idx%20notin%20(0)") == ["sel-1", "sel-2"]
    assert names("labelSelector=%21env,idx") == ["sel-3"]
    assert names("labelSelector=env") == ["sel-0", "sel-1", "sel-2"]
    assert names("fieldSelector=metadata.name%3Dsel-2") == ["sel-2"]
    assert names("fieldSelector=metadata.name%21%3Dsel-2&labelSelector=env") == ["sel-0", "sel-1"]
    status, body = apiserver.request("GET", NS_CM + "?fieldSelector=spec.nodeName%3Dx")
    assert status == 400 and body["reason"] == "BadRequest"
    status, body = apiserver.request("GET", NS_CM + "?labelSelector=env%20in%20(")
    assert status == 400


def test_pod_node_name_field_selector(apiserver):
    for name, node in (("p1", "node-a"), ("p2", "node-b"), ("p3", "node-a")):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
               "spec": {"nodeName": node, "containers": [{"name": "c", "image": "x"}]}}
        assert apiserver.request("POST", "/api/v1/namespaces/default/pods", pod)[0] == 201
    status, body = apiserver.request("GET", "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a")
    assert status == 200
    assert sorted(p["metadata"]["name"] for p in body["items"]) == ["p1", "p3"]


def test_namespaced_vs_cluster_scoped_paths(apiserver):
    assert apiserver.request("POST", "/api/v1/namespaces", {"metadata": {"name": "other"}})[0] == 201
    assert apiserver.request("POST", "/api/v1/namespaces/other/configmaps", _cm("same"))[0] == 201
    assert apiserver.request("POST", NS_CM, _cm("same"))[0] == 201
    status, body = apiserver.request("GET", "/api/v1/configmaps?fieldSelector=metadata.name%3Dsame")
    assert sorted(o["metadata"]["namespace"] for o in body["items"]) == ["default", "other"]
    status, body = apiserver.request("GET", "/api/v1/namespaces/other/configmaps")
    assert [o["metadata"]["name"] for o in body["items"]] == ["same"]
    # Creating in a namespace that does not exist fails like kube.
    status, body = apiserver.request("POST", "/api/v1/namespaces/nope/configmaps", _cm("x"))
    assert status == 404 and body["message"] == 'namespaces "nope" not found'
    # Cluster-scoped objects have no namespace.
    status, node = apiserver.request("POST", "/api/v1/nodes", {"metadata": {"name": "n1"}})
    assert status == 201 and "namespace" not in node["metadata"]
    assert apiserver.request("GET", "/api/v1/nodes/n1")[0] == 200
    # Deleting a namespace deletes what lives in it.
    assert apiserver.request("DELETE", "/api/v1/namespaces/other")[0] == 200
    assert apiserver.request("GET", "/api/v1/namespaces/other/configmaps/same")[0] == 404
    assert apiserver.request("GET", NS_CM + "/same")[0] == 200


def test_pagination_limit_continue(apiserver):
    apiserver.request("POST", "/api/v1/namespaces", {"metadata": {"name": "pages"}})
    base = "/api/v1/namespaces/pages/configmaps"
    for i in range(7):
        assert apiserver.request("POST", base, _cm("pg-%02d" % i, {"odd": str(i % 2)}))[0] == 201
    seen, token, pages, rvs = [], None, 0, set()
    while True:
        q = "?limit=3" + ("&continue=" + token if token else "")
        status, body = apiserver.request("GET", base + q)
        assert status == 200
        pages += 1
        rvs.add(body["metadata"]["resourceVersion"])
        seen += [o["metadata"]["name"] for o in body["items"]]
        token = body["metadata"].get("continue")
        if not token:
            break
        # Writes between pages must not show up: the pages are one snapshot.
        apiserver.request("POST", base, _cm("pg-late-%d" % pages))
    assert seen == ["pg-%02d" % i for i in range(7)]
    assert pages == 3 and len(rvs) == 1
    status, body = apiserver.request("GET", base + "?limit=2&labelSelector=odd%3D1")
    assert [o["metadata"]["name"] for o in body["items"]] == ["pg-01", "pg-03"]
    status, body2 = apiserver.request("GET", base + "?limit=2&labelSelector=odd%3D1&continue="
                                      + body["metadata"]["continue"])
    assert [o["metadata"]["name"] for o in body2["items"]] == ["pg-05"]
    assert apiserver.request("GET", base + "?continue=garbage")[0] == 400


def test_watch_events_and_selector_transitions(apiserver):
    apiserver.request("POST", "/api/v1/namespaces", {"metadata": {"name": "watched"}})
    base = "/api/v1/namespaces/watched/configmaps"
    status, lst = apiserver.request("GET", base)
    rv = lst["metadata"]["resourceVersion"]
    w = apiserver.watch(base + "?watch=1&labelSelector=app%3Dx&resourceVersion=" + rv)
    try:
        assert w.status == 200
        apiserver.request("POST", base, _cm("w1", {"app": "x"}))
        apiserver.request("POST", base, _cm("ignored", {"app": "y"}))
        apiserver.request("PATCH", base + "/w1", {"data": {"k": "2"}},
                          headers={"Content-Type": "application/merge-patch+json"})
        apiserver.request("PATCH", base + "/w1", {"metadata": {"labels": {"app": "z"}}},
                          headers={"Content-Type": "application/merge-patch+json"})
        apiserver.request("PATCH", base + "/ignored", {"metadata": {"labels": {"app": "x"}}},
                          headers={"Content-Type": "application/merge-patch+json"})
        apiserver.request("DELETE", base + "/ignored")
        got = []
        for _ in range(5):
            ev = w.next_event(timeout=10)
            assert ev is not None, got
            got.append((ev["type"], ev["object"]["metadata"]["name"]))
        assert got == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1"),
                       ("ADDED", "ignored"), ("DELETED", "ignored")]
    finally:
        w.close()


def test_watch_from_zero_replays_current_objects(apiserver):
    apiserver.request("POST", "/api/v1/namespaces", {"metadata": {"name": "replay"}})
    base = "/api/v1/namespaces/replay/configmaps"
    apiserver.request("POST", base, _cm("r1"))
    w = apiserver.watch("/api/v1/watch/namespaces/replay/configmaps?resourceVersion=0")
    try:
        ev = w.next_event(timeout=10)
        assert ev["type"] == "ADDED" and ev["object"]["metadata"]["name"] == "r1"
        apiserver.request("POST", base, _cm("r2"))
        ev = w.next_event(timeout=10)
        assert ev["type"] == "ADDED" and ev["object"]["metadata"]["name"] == "r2"
    finally:
        w.close()


def test_watch_timeout_ends_stream(apiserver):
    w = apiserver.watch(NS_CM + "?watch=true&timeoutSeconds=1&resourceVersion=%d"
                        % int(apiserver.request("GET", NS_CM)[1]["metadata"]["resourceVersion"]))
    try:
        assert w.next_event(timeout=15) is None  # stream ended by the server, no event
    finally:
        w.close()


def test_410_after_compaction(apiserver, etcd):
    status, lst = apiserver.request("GET", NS_CM)
    old_rv = lst["metadata"]["resourceVersion"]
    apiserver.request("POST", NS_CM, _cm("compact-1"))
    apiserver.request("POST", NS_CM, _cm("compact-2"))
    status, lst2 = apiserver.request("GET", NS_CM + "?limit=1")
    token = lst2["metadata"]["continue"]
    apiserver.request("POST", NS_CM, _cm("compact-3"))  # so the snapshot falls behind
    etcd.compact()
    w = apiserver.watch(NS_CM + "?watch=1&resourceVersion=" + old_rv)
    try:
        ev = w.next_event(timeout=10)
        assert ev is not None and ev["type"] == "ERROR"
        assert ev["object"]["kind"] == "Status" and ev["object"]["code"] == 410
        assert ev["object"]["reason"] == "Expired"
        assert w.next_event(timeout=10) is None  # and the stream ends
    finally:
        w.close()
    status, body = apiserver.request("GET", NS_CM + "?resourceVersion=%s&resourceVersionMatch=Exact"
                                     % old_rv)
    assert status == 410 and body["reason"] == "Expired"
    status, body = apiserver.request("GET", NS_CM + "?limit=1&continue=" + token)
    assert status == 410 and body["reason"] == "Expired"


def test_request_log(apiserver):
    apiserver.request("GET", NS_CM + "/logged-missing")
    time.sleep(0.1)
    with open(apiserver.request_log) as f:
        recs = [json.loads(line) for line in f]
    rec = [r for r in recs if r["path"] == NS_CM + "/logged-missing"][-1]
    assert rec["user"] == "admin" and rec["verb"] == "get" and rec["code"] == 404
    assert rec["resource"] == "configmaps" and rec["namespace"] == "default"
    assert rec["name"] == "logged-missing" and rec["method"] == "GET" and rec["group"] == ""


@pytest.mark.parametrize("path", ["/api/v1/namespaces/default/configmaps/x"])
def test_post_to_named_path_is_405(apiserver, path):
    status, body = apiserver.request("POST", path, _cm("x"))
    assert status == 405 and body["reason"] == "MethodNotAllowed"


def test_watch_named_path(apiserver):
    apiserver.request("POST", NS_CM, _cm("named-a"))
    apiserver.request("POST", NS_CM, _cm("named-b"))
    w = apiserver.watch("/api/v1/watch/namespaces/default/configmaps/named-b")
    try:
        ev = w.next_event(timeout=10)
        assert (ev["type"], ev["object"]["metadata"]["name"]) == ("ADDED", "named-b")
        apiserver.request("DELETE", NS_CM + "/named-a")
        apiserver.request("DELETE", NS_CM + "/named-b")
        ev = w.next_event(timeout=10)
        assert (ev["type"], ev["object"]["metadata"]["name"]) == ("DELETED", "named-b")
    finally:
        w.close()


def test_bookmarks_and_restart_keep_state(etcd, tmp_path):
    """A second server on the same prefix sees the first one's objects and CRDs; bookmarks
    arrive at the configured interval and carry the latest delivered revision."""
    from tests.apiserver.harness import ApiServerProcess
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.example.com"},
           "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                        "openAPIV3Schema": {"type": "object", "properties": {"spec": {
                            "type": "object", "properties": {"size": {"type": "integer",
                                                                      "default": 3}}}}}}}]}}
    first = ApiServerProcess(etcd.endpoint, tmp_path / "a", extra_args=["--bookmark-interval", "0.3"])
    first.start()
    try:
        assert first.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)[0] == 201
        status, w1 = first.request("POST", "/apis/example.com/v1/namespaces/default/widgets",
                                   {"metadata": {"name": "w1"}, "spec": {}})
        assert status == 201 and w1["spec"]["size"] == 3
        rv = w1["metadata"]["resourceVersion"]
        w = first.watch("/apis/example.com/v1/namespaces/default/widgets?watch=1"
                        "&allowWatchBookmarks=true&resourceVersion=" + rv)
        try:
            first.request("PATCH", "/apis/example.com/v1/namespaces/default/widgets/w1",
                          {"spec": {"size": 5}},
                          headers={"Content-Type": "application/merge-patch+json"})
            ev = w.next_event(timeout=10)
            assert ev["type"] == "MODIFIED"
            ev = w.next_event(timeout=10)
            assert ev["type"] == "BOOKMARK"
            assert ev["object"]["metadata"]["resourceVersion"] == \
                first.request("GET", "/apis/example.com/v1/namespaces/default/widgets/w1")[1][
                    "metadata"]["resourceVersion"]
        finally:
            w.close()
    finally:
        first.stop()
    second = ApiServerProcess(etcd.endpoint, tmp_path / "b", prefix=first.prefix)
    second.start()
    try:
        status, got = second.request("GET", "/apis/example.com/v1/namespaces/default/widgets/w1")
        assert status == 200 and got["spec"]["size"] == 5
        status, body = second.request("GET", "/apis/example.com/v1")
        assert [r["name"] for r in body["resources"]] == ["widgets"]
        assert second.request("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                              "widgets.example.com")[0] == 200
        assert second.request("GET", "/apis/example.com/v1")[0] == 404
    finally:
        second.stop()
