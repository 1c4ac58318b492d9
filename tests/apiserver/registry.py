"""The registry: which resource types are served, and their storage in etcd.

Contract: Registry(etcd, prefix) serves the built-in types plus every CRD stored under prefix
(loaded at start, updated when CRDs are written through it). Objects live at
<prefix>/<group|core>/<plural>[/<namespace>]/<name> as JSON without resourceVersion; on
read the object's resourceVersion is its etcd mod_revision, a list's is the snapshot
revision. Writes are compare-and-swap transactions, so concurrent writers never lose an
update: create compares create_revision==0 (409 AlreadyExists), writes carrying a
resourceVersion compare mod_revision (409 Conflict), writes without one retry internally.
Every method raises errors.ApiError; nothing here knows about HTTP.
"""

import base64
import binascii
import copy
import datetime
import json
import random
import re
import string
import threading
import uuid

from . import errors, patch as patchlib, schema as schemalib, resources
from .etcdclient import EtcdCompacted, prefix_end

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_CAS_RETRIES = 64
INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
CONTINUE_EXPIRED = ("The provided continue parameter is too old to display a consistent list "
                    "result. You can start a new list without the continue parameter.")


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _content(obj):
    """The part of an object whose change bumps metadata.generation."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class Registry:
    def __init__(self, etcd, prefix="/registry"):
        self.etcd = etcd
        self.prefix = "/" + prefix.strip("/")
        self._lock = threading.Lock()
        self._types = {(rt.group, rt.version, rt.plural): rt for rt in resources.BUILTINS}
        self._crd_rts = {}  # CRD name -> [ResourceType]

    # --- type table ------------------------------------------------------------------

    def bootstrap(self):
        """Create the initial namespaces and register every stored CRD."""
        ns_rt = self.lookup("", "v1", "namespaces")
        for ns in INITIAL_NAMESPACES:
            try:
                self.create(ns_rt, None, {"metadata": {"name": ns}})
            except errors.ApiError as e:
                if e.code != 409:
                    raise
        crd_rt = self.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        items, _, _ = self.list(crd_rt, None)
        for crd in items:
            self._register_crd(crd)

    def lookup(self, group, version, plural):
        return self._types.get((group, version, plural))

    def all_types(self):
        return list(self._types.values())

    def group_versions(self):
        """{group: [versions]} in registration order (first = preferred)."""
        out = {}
        for t in list(self._types.values()):
            vs = out.setdefault(t.group, [])
            if t.version not in vs:
                vs.append(t.version)
        return out

    def _register_crd(self, crd):
        try:
            rts = resources.from_crd(crd)
        except ValueError:
            return
        name = crd["metadata"]["name"]
        with self._lock:
            types = dict(self._types)
            for old in self._crd_rts.get(name, []):
                types.pop((old.group, old.version, old.plural), None)
            for rt in rts:
                types[(rt.group, rt.version, rt.plural)] = rt
            self._crd_rts[name] = rts
            self._types = types  # copy-on-write: readers never see a half-updated table

    def _unregister_crd(self, name):
        with self._lock:
            types = dict(self._types)
            for old in self._crd_rts.pop(name, []):
                types.pop((old.group, old.version, old.plural), None)
            self._types = types

    # --- keys and decoding ------------------------------------------------------------

    def key(self, rt, ns, name):
        parts = [self.prefix, rt.storage_id] + ([ns] if rt.namespaced else []) + [name]
        return "/".join(parts).encode()

    def list_prefix(self, rt, ns):
        parts = [self.prefix, rt.storage_id] + ([ns] if rt.namespaced and ns else [])
        return ("/".join(parts) + "/").encode()

    def decode(self, rt, kv):
        obj = json.loads(kv.value)
        obj["apiVersion"] = rt.group_version
        obj["kind"] = rt.kind
        obj.setdefault("metadata", {})["resourceVersion"] = str(kv.mod_revision)
        return obj

    # --- reads --------------------------------------------------------------------------

    def get(self, rt, ns, name):
        _, kv = self.etcd.get(self.key(rt, ns, name))
        if kv is None:
            raise errors.not_found(rt, name)
        return self.decode(rt, kv)

    def list(self, rt, ns, label_sel=None, field_sel=None, limit=0, cont=None, rv=None,
             rv_match=None):
        """Returns (items, list_revision, continue_token or None)."""
        prefix = self.list_prefix(rt, ns)
        start, end, rev = prefix, prefix_end(prefix), 0
        if cont:
            rev, start = self._decode_continue(cont, prefix)
        elif rv and rv != "0" and rv_match == "Exact":
            try:
                rev = int(rv)
            except ValueError:
                raise errors.bad_request('invalid resourceVersion "%s"' % rv)
        chunk = max(limit, 50) if limit else 0
        items, token = [], None
        while True:
            try:
                hdr, kvs, more = self.etcd.range(start, end, limit=chunk, revision=rev)
            except EtcdCompacted:
                raise errors.expired(CONTINUE_EXPIRED if cont else
                                     "too old resource version: %s" % rev)
            if not rev:
                rev = hdr  # later chunks and continue tokens read the same snapshot
            stopped = None
            for i, kv in enumerate(kvs):
                obj = self.decode(rt, kv)
                if (label_sel is None or label_sel.matches(obj["metadata"].get("labels"))) and \
                        (field_sel is None or field_sel.matches(obj)):
                    items.append(obj)
                    if limit and len(items) >= limit:
                        stopped = i
                        break
            if stopped is not None:
                if stopped < len(kvs) - 1 or more:
                    token = self._encode_continue(rev, kvs[stopped].key + b"\0")
                break
            if not more or not kvs:
                break
            start = kvs[-1].key + b"\0"
        return items, rev, token

    @staticmethod
    def _encode_continue(rev, start):
        raw = json.dumps({"rv": rev, "start": start.hex()}).encode()
        return base64.urlsafe_b64encode(raw).decode()

    @staticmethod
    def _decode_continue(token, prefix):
        try:
            d = json.loads(base64.urlsafe_b64decode(token.encode()))
            rev, start = int(d["rv"]), bytes.fromhex(d["start"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise errors.bad_request("continue key is not valid")
        if not start.startswith(prefix) or rev <= 0:
            raise errors.bad_request("continue key is not valid for this request")
        return rev, start

    # --- writes -------------------------------------------------------------------------

    def _prepare(self, rt, ns, obj, old, validation, name=None, status_write=False):
        """Turn a client's object into the stored form; returns (obj, warnings)."""
        if not isinstance(obj, dict):
            raise errors.bad_request("the request body must be a JSON object")
        if obj.get("kind") not in (None, "", rt.kind):
            raise errors.bad_request('the kind of the object (%s) does not match the request (%s)'
                                     % (obj.get("kind"), rt.kind))
        obj["apiVersion"], obj["kind"] = rt.group_version, rt.kind
        md = obj.get("metadata")
        if md is None:
            md = obj["metadata"] = {}
        if not isinstance(md, dict):
            raise errors.bad_request("metadata must be an object")
        if old is None and not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + "".join(
                random.choice(string.ascii_lowercase + string.digits) for _ in range(5))
        if name is not None and md.get("name") not in (None, name):
            raise errors.bad_request("the name of the object (%s) does not match the name on "
                                     "the URL (%s)" % (md.get("name"), name))
        if name is not None:
            md["name"] = name
        if not md.get("name"):
            raise errors.invalid(rt, "", [{"field": "metadata.name", "reason": "FieldValueRequired",
                                           "message": "Required value: name or generateName is required"}])
        pattern = _DNS_LABEL if rt.plural == "namespaces" else _DNS_SUBDOMAIN
        if not isinstance(md["name"], str) or len(md["name"]) > 253 or not pattern.match(md["name"]):
            raise errors.invalid(rt, str(md["name"]), [{
                "field": "metadata.name", "reason": "FieldValueInvalid",
                "message": 'Invalid value: "%s": a lowercase RFC 1123 %s must consist of lower case '
                           "alphanumeric characters, '-' or '.', and must start and end with an "
                           "alphanumeric character" % (md["name"], "label" if pattern is _DNS_LABEL
                                                       else "subdomain")}])
        if rt.namespaced:
            if md.get("namespace") not in (None, "", ns):
                raise errors.bad_request("the namespace of the provided object does not match the "
                                         "namespace sent on the request")
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        md.pop("resourceVersion", None)
        md.pop("managedFields", None)
        md.pop("selfLink", None)
        if old is None:
            md["uid"] = str(uuid.uuid4())
            md["creationTimestamp"] = _now()
            md["generation"] = 1
            if rt.status_subresource and rt.schema is not None:
                obj.pop("status", None)  # custom resources: status only via /status
        else:
            omd = old["metadata"]
            md["uid"] = omd.get("uid")
            md["creationTimestamp"] = omd.get("creationTimestamp")
            md["generation"] = omd.get("generation", 1)
            if rt.status_subresource and not status_write:
                if "status" in old:
                    obj["status"] = copy.deepcopy(old["status"])
                else:
                    obj.pop("status", None)
            if _content(obj) != _content(old):
                md["generation"] += 1
        warnings = self._check_schema(rt, obj, validation)
        self._type_hooks(rt, obj)
        return obj, warnings

    def _check_schema(self, rt, obj, validation):
        if rt.schema is None:
            return []
        unknown = schemalib.prune(rt.schema, obj)
        warnings = []
        if unknown:
            if validation == "Strict":
                raise errors.bad_request('%s in version "%s" cannot be handled as a %s: strict '
                                         "decoding error: %s" % (rt.kind, rt.version, rt.kind,
                                         ", ".join('unknown field "%s"' % u for u in unknown)))
            if validation != "Ignore":
                warnings = ['unknown field "%s"' % u for u in unknown]
        schemalib.apply_defaults(rt.schema, obj)
        causes = schemalib.validate(rt.schema, obj)
        if causes:
            raise errors.invalid(rt, obj["metadata"]["name"], causes)
        return warnings

    def _type_hooks(self, rt, obj):
        if rt.group == "" and rt.plural == "namespaces":
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj["status"] = {"phase": "Active"}
        elif rt.group == "apiextensions.k8s.io" and rt.plural == "customresourcedefinitions":
            try:
                resources.from_crd(obj)
            except ValueError as e:
                raise errors.invalid(rt, obj["metadata"]["name"], [
                    {"field": "spec", "reason": "FieldValueInvalid", "message": str(e)}])
            spec = obj["spec"]
            expected = "%s.%s" % (spec["names"]["plural"], spec["group"])
            if obj["metadata"]["name"] != expected:
                raise errors.invalid(rt, obj["metadata"]["name"], [{
                    "field": "metadata.name", "reason": "FieldValueInvalid",
                    "message": 'Invalid value: "%s": must be spec.names.plural+"."+spec.group'
                               % obj["metadata"]["name"]}])
            now = _now()
            names = dict(spec["names"])
            names.setdefault("singular", names["kind"].lower())
            names.setdefault("listKind", names["kind"] + "List")
            obj["status"] = {
                "acceptedNames": names,
                "storedVersions": [v["name"] for v in spec.get("versions", []) if v.get("storage")],
                "conditions": [
                    {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                     "message": "no conflicts found", "lastTransitionTime": now},
                    {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                     "message": "the initial names have been accepted", "lastTransitionTime": now}]}

    def _after_write(self, rt, obj):
        if rt.group == "apiextensions.k8s.io" and rt.plural == "customresourcedefinitions":
            self._register_crd(obj)

    def _stored(self, obj):
        return json.dumps(obj, separators=(",", ":"), sort_keys=False).encode()

    def _result(self, obj, rev):
        obj["metadata"]["resourceVersion"] = str(rev)
        return obj

    def create(self, rt, ns, obj, dry_run=False, validation="Strict"):
        """Returns (object, warnings)."""
        if rt.namespaced:
            _, nskv = self.etcd.get(self.key(self.lookup("", "v1", "namespaces"), None, ns))
            if nskv is None:
                raise errors.ApiError(404, 'namespaces "%s" not found' % ns, "NotFound",
                                      {"name": ns, "kind": "namespaces"})
        obj, warnings = self._prepare(rt, ns, copy.deepcopy(obj), None, validation)
        name = obj["metadata"]["name"]
        key = self.key(rt, ns, name)
        if dry_run:
            _, cur = self.etcd.get(key)
            if cur is not None:
                raise errors.already_exists(rt, name)
            return obj, warnings
        ok, rev, _ = self.etcd.create(key, self._stored(obj))
        if not ok:
            raise errors.already_exists(rt, name)
        self._after_write(rt, obj)
        return self._result(obj, rev), warnings

    def _replace(self, rt, ns, name, make_new, precondition, dry_run, validation,
                 subresource=None):
        """CAS loop shared by update and patch. make_new(current_obj) -> desired object."""
        key = self.key(rt, ns, name)
        for _ in range(_CAS_RETRIES):
            _, kv = self.etcd.get(key)
            if kv is None:
                raise errors.not_found(rt, name)
            if precondition is not None and precondition != kv.mod_revision:
                raise errors.conflict(rt, name)
            old = self.decode(rt, kv)
            new = make_new(copy.deepcopy(old))
            if isinstance(new, dict) and isinstance(new.get("metadata"), dict):
                rv = new["metadata"].get("resourceVersion")
                if rv not in (None, "") and str(rv) != str(kv.mod_revision):
                    raise errors.conflict(rt, name)
            new, warnings = self._prepare(rt, ns, new, old, validation, name=name,
                                          status_write=(subresource == "status"))
            if dry_run:
                return self._result(new, kv.mod_revision), warnings
            if self._stored(new) == self._stored(self._strip_rv(old)):
                return old, warnings  # no-op writes do not bump resourceVersion, like kube
            ok, rev, _ = self.etcd.update(key, self._stored(new), kv.mod_revision)
            if ok:
                self._after_write(rt, new)
                return self._result(new, rev), warnings
            if precondition is not None:
                raise errors.conflict(rt, name)
        raise errors.ApiError(409, "too many concurrent writers on %s %s" % (rt.plural, name),
                              "Conflict")

    @staticmethod
    def _strip_rv(obj):
        o = copy.deepcopy(obj)
        o["metadata"].pop("resourceVersion", None)
        return o

    def update(self, rt, ns, name, obj, dry_run=False, validation="Strict", subresource=None):
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata", {}), dict):
            raise errors.bad_request("the request body must be a JSON object")
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        try:
            precondition = int(rv) if rv not in (None, "") else None
        except ValueError:
            raise errors.bad_request('invalid resourceVersion "%s"' % rv)

        def make_new(old):
            if subresource == "status":
                old["status"] = copy.deepcopy(obj.get("status"))
                return old
            new = copy.deepcopy(obj)
            new.setdefault("metadata", {}).pop("resourceVersion", None)
            return new

        return self._replace(rt, ns, name, make_new, precondition, dry_run, validation,
                             subresource)

    def patch(self, rt, ns, name, ptype, body, dry_run=False, validation="Strict",
              subresource=None):
        if ptype == "application/strategic-merge-patch+json" and rt.schema is not None:
            raise errors.ApiError(415, "strategic merge patch is not supported for custom "
                                  "resources; use a merge patch", "UnsupportedMediaType")
        def make_new(old):
            try:
                if ptype == "application/json-patch+json":
                    new = patchlib.json_patch(old, body)
                elif ptype == "application/strategic-merge-patch+json":
                    new = patchlib.strategic_merge_patch(old, body)
                else:
                    new = patchlib.merge_patch(old, body)
            except patchlib.PatchError as e:
                raise errors.ApiError(422, str(e), "Invalid")
            if subresource == "status" and isinstance(new, dict):
                old["status"] = new.get("status")
                return old  # a /status write changes only status
            return new

        precondition = None
        if isinstance(body, dict) and isinstance(body.get("metadata"), dict):
            rv = body["metadata"].get("resourceVersion")
            if rv not in (None, ""):
                try:
                    precondition = int(rv)
                except ValueError:
                    raise errors.bad_request('invalid resourceVersion "%s"' % rv)
        return self._replace(rt, ns, name, make_new, precondition, dry_run, validation,
                             subresource)

    def delete(self, rt, ns, name, precondition=None, dry_run=False):
        key = self.key(rt, ns, name)
        if dry_run:
            return self.get(rt, ns, name)
        ok, rev, kv = self.etcd.delete(key, precondition)
        if not ok:
            if kv is None:
                raise errors.not_found(rt, name)
            raise errors.conflict(rt, name)
        obj = self.decode(rt, kv)
        self._cascade(rt, obj)
        return obj

    def _cascade(self, rt, obj):
        """Deleting a namespace or CRD deletes what lives in it (immediately; no finalizers)."""
        if rt.group == "" and rt.plural == "namespaces":
            seen = set()
            for t in self.all_types():
                if t.namespaced and t.storage_id not in seen:
                    seen.add(t.storage_id)
                    p = self.list_prefix(t, obj["metadata"]["name"])
                    self.etcd.delete_range(p, prefix_end(p))
        elif rt.group == "apiextensions.k8s.io" and rt.plural == "customresourcedefinitions":
            rts = self._crd_rts.get(obj["metadata"]["name"], [])
            self._unregister_crd(obj["metadata"]["name"])
            if rts:
                p = self.list_prefix(rts[0], None)
                self.etcd.delete_range(p, prefix_end(p))
