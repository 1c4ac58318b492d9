"""Discovery documents, the OpenAPI v3 documents and server-side Table printing.

Contract: pure functions of the registry's current type table. Discovery is the plain
(legacy) JSON form: kubectl 1.31 asks for aggregated discovery first and falls back to it
silently when the response is not an APIGroupDiscoveryList. OpenAPI v3 exists for kubectl's
sake: `apply` checks that PATCH declares the fieldValidation query parameter (otherwise it
falls back to client-side validation) and looks up schemas by x-kubernetes-group-version-kind.
Each group-version document URL carries a content hash so kubectl's cache never serves a
stale schema after a CRD changes.
"""

import datetime
import hashlib
import json

VERSION = {"major": "1", "minor": "31", "gitVersion": "v1.31.0-twill", "gitCommit": "0" * 40,
           "gitTreeState": "clean", "buildDate": "2024-08-13T00:00:00Z", "goVersion": "go1.22.5",
           "compiler": "gc", "platform": "linux/amd64"}


def api_versions(server_address):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": server_address}]}


def _group_doc(group, versions):
    vs = [{"groupVersion": "%s/%s" % (group, v), "version": v} for v in versions]
    return {"name": group, "versions": vs, "preferredVersion": vs[0]}


def api_group_list(registry):
    groups = [_group_doc(g, vs) for g, vs in registry.group_versions().items() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry, group):
    vs = registry.group_versions().get(group)
    if not vs or not group:
        return None
    d = _group_doc(group, vs)
    d.update({"kind": "APIGroup", "apiVersion": "v1"})
    return d


def resource_list(registry, group, version):
    rts = [t for t in registry.all_types() if t.group == group and t.version == version]
    if not rts:
        return None
    resources = []
    for t in sorted(rts, key=lambda t: t.plural):
        resources.append(t.discovery_entry())
        if t.status_subresource:
            resources.append({"name": t.plural + "/status", "singularName": "",
                              "namespaced": t.namespaced, "kind": t.kind,
                              "verbs": ["get", "patch", "update"]})
    gv = "%s/%s" % (group, version) if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": resources}


# --- OpenAPI v3 -------------------------------------------------------------------------------

def _gv_path(group, version):
    return "apis/%s/%s" % (group, version) if group else "api/%s" % version


def _schema_id(rt):
    # kube's reversed-domain ids: io.k8s.api.core.v1.Pod, dev.twill.v1.IPPool
    g = rt.group or "core"
    if rt.schema is None:
        g = "io.k8s.api." + (g.split(".")[0] if g != "core" else "core")
    else:
        g = ".".join(reversed(g.split(".")))
    return "%s.%s.%s" % (g, rt.version, rt.kind)


def _param(name, where="query", required=False):
    return {"name": name, "in": where, "required": required, "schema": {"type": "string"},
            "uniqueItems": True}


_WRITE_PARAMS = [_param("dryRun"), _param("fieldManager"), _param("fieldValidation")]
_LIST_PARAMS = [_param(p) for p in ("allowWatchBookmarks", "continue", "fieldSelector",
                                    "labelSelector", "limit", "resourceVersion",
                                    "resourceVersionMatch", "sendInitialEvents",
                                    "timeoutSeconds", "watch")]
# Deliberately without application/strategic-merge-patch+json: kubectl then computes apply
# patches for built-ins from its compiled-in Go types (correct merge keys) and uses a JSON
# merge patch for custom resources, exactly as against a real server.
_PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json",
                "application/apply-patch+yaml"]
_META_ID = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string", "default": ""}}
_OBJECT_META = {
    "type": "object",
    "properties": {
        "annotations": _STRING_MAP, "labels": _STRING_MAP,
        "name": {"type": "string"}, "generateName": {"type": "string"},
        "namespace": {"type": "string"}, "uid": {"type": "string"},
        "resourceVersion": {"type": "string"}, "generation": {"type": "integer", "format": "int64"},
        "creationTimestamp": {"type": "string", "format": "date-time"},
        "deletionTimestamp": {"type": "string", "format": "date-time"},
        "deletionGracePeriodSeconds": {"type": "integer", "format": "int64"},
        "finalizers": {"type": "array", "items": {"type": "string", "default": ""},
                       "x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge"},
        "ownerReferences": {"type": "array", "items": {"type": "object",
                            "x-kubernetes-preserve-unknown-fields": True},
                            "x-kubernetes-patch-merge-key": "uid",
                            "x-kubernetes-patch-strategy": "merge"},
        "managedFields": {"type": "array", "items": {"type": "object",
                          "x-kubernetes-preserve-unknown-fields": True}},
    },
}


def _op(rt, action, ref, params, body_types=None, list_ref=None):
    gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
    schema = {"$ref": "#/components/schemas/" + (list_ref or ref)}
    op = {"operationId": "%s%s" % (action, rt.kind), "tags": [rt.group or "core"],
          "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk,
          "parameters": params,
          "responses": {"200": {"description": "OK",
                                "content": {"application/json": {"schema": schema}}},
                        "401": {"description": "Unauthorized"}}}
    if body_types:
        op["requestBody"] = {"required": True, "content": {
            t: {"schema": {"$ref": "#/components/schemas/" + ref}} for t in body_types}}
    return op


def openapi_doc(registry, group, version):
    rts = [t for t in registry.all_types() if t.group == group and t.version == version]
    if not rts:
        return None
    paths, schemas = {}, {_META_ID: _OBJECT_META}
    base = "/" + _gv_path(group, version)
    for rt in sorted(rts, key=lambda t: t.plural):
        sid = _schema_id(rt)
        lid = sid + "List"
        gvk = [{"group": rt.group, "version": rt.version, "kind": rt.kind}]
        s = json.loads(json.dumps(rt.schema)) if rt.schema is not None else \
            {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        s.setdefault("properties", {})
        s["properties"]["metadata"] = {"allOf": [{"$ref": "#/components/schemas/" + _META_ID}],
                                       "default": {}}
        s["properties"].setdefault("apiVersion", {"type": "string"})
        s["properties"].setdefault("kind", {"type": "string"})
        s["x-kubernetes-group-version-kind"] = gvk
        schemas[sid] = s
        schemas[lid] = {"type": "object", "required": ["items"],
                        "properties": {"apiVersion": {"type": "string"},
                                       "kind": {"type": "string"},
                                       "items": {"type": "array",
                                                 "items": {"$ref": "#/components/schemas/" + sid}},
                                       "metadata": {"type": "object"}},
                        "x-kubernetes-group-version-kind": [dict(gvk[0], kind=rt.kind + "List")]}
        coll = base + ("/namespaces/{namespace}/" if rt.namespaced else "/") + rt.plural
        scope = [_param("namespace", "path", True)] if rt.namespaced else []
        name_p = [_param("name", "path", True)]
        paths[coll] = {
            "get": _op(rt, "list", sid, scope + _LIST_PARAMS, list_ref=lid),
            "post": _op(rt, "post", sid, scope + _WRITE_PARAMS, ["application/json"]),
            "delete": _op(rt, "deletecollection", sid, scope + _LIST_PARAMS + [_param("dryRun")]),
        }
        paths[coll + "/{name}"] = {
            "get": _op(rt, "get", sid, scope + name_p),
            "put": _op(rt, "put", sid, scope + name_p + _WRITE_PARAMS, ["application/json"]),
            "patch": _op(rt, "patch", sid, scope + name_p + _WRITE_PARAMS + [_param("force")],
                         _PATCH_TYPES),
            "delete": _op(rt, "delete", sid, scope + name_p + [_param("dryRun")]),
        }
        if rt.status_subresource:
            paths[coll + "/{name}/status"] = {
                "get": _op(rt, "get", sid, scope + name_p),
                "put": _op(rt, "put", sid, scope + name_p + _WRITE_PARAMS, ["application/json"]),
                "patch": _op(rt, "patch", sid, scope + name_p + _WRITE_PARAMS, _PATCH_TYPES),
            }
        if rt.namespaced:
            paths[base + "/" + rt.plural] = {"get": _op(rt, "list", sid, _LIST_PARAMS, list_ref=lid)}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes (twill test API server)",
                                          "version": VERSION["gitVersion"]},
            "paths": paths, "components": {"schemas": schemas}}


def openapi_index(registry):
    paths = {}
    for group, versions in registry.group_versions().items():
        for v in versions:
            doc = openapi_doc(registry, group, v)
            h = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32].upper()
            paths[_gv_path(group, v)] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s"
                                         % (_gv_path(group, v), h)}
    return {"paths": paths}


# --- Table ------------------------------------------------------------------------------------

def _jsonpath(obj, path):
    cur = obj
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    for part in [p for p in path.lstrip(".").split(".") if p]:
        idx = None
        if part.endswith("]") and "[" in part:
            part, idx = part[:-1].split("[", 1)
        if isinstance(cur, dict):
            cur = cur.get(part) if part else cur
        else:
            return None
        if idx is not None:
            if not isinstance(cur, list) or not idx.isdigit() or int(idx) >= len(cur):
                return None
            cur = cur[int(idx)]
    return cur


def _columns(rt):
    cols = [{"name": "Name", "type": "string", "format": "name", "priority": 0,
             "description": "Name must be unique within a namespace."}]
    if rt.columns:
        for c in rt.columns:
            cols.append({"name": c.get("name", ""), "type": c.get("type", "string"),
                         "format": c.get("format", ""), "priority": c.get("priority", 0),
                         "description": c.get("description", "")})
    else:
        cols.append({"name": "Age", "type": "date", "format": "", "priority": 0,
                     "description": "CreationTimestamp is a timestamp representing the server "
                                    "time when this object was created."})
    return cols


def human_age(ts):
    """kube's HumanDuration of now - ts (RFC 3339), as shown in AGE columns."""
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return "<unknown>"
    s = int((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())
    if s < 0:
        return "0s"
    if s < 120:
        return "%ds" % s
    m = s // 60
    if m < 10:
        return "%dm%ds" % (m, s % 60) if s % 60 else "%dm" % m
    if m < 180:
        return "%dm" % m
    h = m // 60
    if h < 8:
        return "%dh%dm" % (h, m % 60) if m % 60 else "%dh" % h
    if h < 48:
        return "%dh" % h
    if h < 192:
        return "%dd%dh" % (h // 24, h % 24) if h % 24 else "%dd" % (h // 24)
    if h < 24 * 365 * 2:
        return "%dd" % (h // 24)
    return "%dy" % (h // (24 * 365))


def _cell(v, typ):
    if v is None:
        return None
    if typ == "date":
        return human_age(v)
    if typ in ("integer", "number", "boolean") or isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"))


def _row(rt, obj, include):
    cells = [obj["metadata"].get("name")]
    if rt.columns:
        for c in rt.columns:
            cells.append(_cell(_jsonpath(obj, c.get("jsonPath", "")), c.get("type")))
    else:
        cells.append(human_age(obj["metadata"].get("creationTimestamp")))
    row = {"cells": cells}
    if include == "Object":
        row["object"] = obj
    elif include != "None":
        row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                         "metadata": obj["metadata"]}
    return row


def table(rt, objs, resource_version, include="Metadata", cont=None):
    md = {"resourceVersion": str(resource_version)}
    if cont:
        md["continue"] = cont
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": md,
            "columnDefinitions": _columns(rt), "rows": [_row(rt, o, include) for o in objs]}


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
