"""Decode the Kubernetes protobuf request bodies that clients really send us.

Contract: decode(raw) -> dict (the JSON form of the object) for bodies of content type
application/vnd.kubernetes.protobuf whose kind is Secret, ConfigMap or DeleteOptions;
raises ValueError for anything else or malformed input. Only requests need this: helm's
release storage uses client-go typed clients, which send protobuf for core kinds but accept
JSON responses. Field numbers follow k8s.io/api generated.proto.
"""

import base64
import datetime

_MAGIC = b"k8s\x00"


def _varint(buf, i):
    shift = result = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def fields(buf):
    """[(field_number, value)] with varints as int and length-delimited as bytes."""
    out, i = [], 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 2:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                raise ValueError("truncated field")
            v, i = buf[i:i + n], i + n
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        out.append((num, v))
    return out


def _s(b):
    return b.decode("utf-8")


def _map(entries, value=_s):
    d = {}
    for e in entries:
        f = dict(fields(e))
        d[_s(f.get(1, b""))] = value(f.get(2, b""))
    return d


def _time(b):
    f = dict(fields(b))
    t = datetime.datetime.fromtimestamp(f.get(1, 0), datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _object_meta(buf):
    md, labels, annotations, finalizers = {}, [], [], []
    strings = {1: "name", 2: "generateName", 3: "namespace", 5: "uid", 6: "resourceVersion"}
    for num, v in fields(buf):
        if num in strings:
            if v:
                md[strings[num]] = _s(v)
        elif num == 7:
            md["generation"] = v
        elif num == 8:
            md["creationTimestamp"] = _time(v)
        elif num == 11:
            labels.append(v)
        elif num == 12:
            annotations.append(v)
        elif num == 14:
            finalizers.append(_s(v))
    if labels:
        md["labels"] = _map(labels)
    if annotations:
        md["annotations"] = _map(annotations)
    if finalizers:
        md["finalizers"] = finalizers
    return md


def _b64(b):
    return base64.b64encode(b).decode("ascii")


def _secret(buf):
    obj, data, string_data = {"apiVersion": "v1", "kind": "Secret"}, [], []
    for num, v in fields(buf):
        if num == 1:
            obj["metadata"] = _object_meta(v)
        elif num == 2:
            data.append(v)
        elif num == 3:
            obj["type"] = _s(v)
        elif num == 4:
            string_data.append(v)
        elif num == 5:
            obj["immutable"] = bool(v)
    if data:
        obj["data"] = _map(data, _b64)
    if string_data:
        # The server folds stringData into data, as kube's Secret strategy does.
        obj.setdefault("data", {}).update({k: _b64(v.encode()) for k, v in _map(string_data).items()})
    return obj


def _config_map(buf):
    obj, data, binary = {"apiVersion": "v1", "kind": "ConfigMap"}, [], []
    for num, v in fields(buf):
        if num == 1:
            obj["metadata"] = _object_meta(v)
        elif num == 2:
            data.append(v)
        elif num == 3:
            binary.append(v)
        elif num == 4:
            obj["immutable"] = bool(v)
    if data:
        obj["data"] = _map(data)
    if binary:
        obj["binaryData"] = _map(binary, _b64)
    return obj


def _delete_options(buf):
    obj = {"kind": "DeleteOptions", "apiVersion": "v1"}
    for num, v in fields(buf):
        if num == 1:
            obj["gracePeriodSeconds"] = v
        elif num == 2:
            pre = dict(fields(v))
            obj["preconditions"] = {k: _s(pre[n]) for n, k in ((1, "uid"), (2, "resourceVersion"))
                                    if n in pre}
        elif num == 4:
            obj["propagationPolicy"] = _s(v)
        elif num == 5:
            obj.setdefault("dryRun", []).append(_s(v))
    return obj


_DECODERS = {"Secret": _secret, "ConfigMap": _config_map, "DeleteOptions": _delete_options}


def decode(raw):
    if not raw.startswith(_MAGIC):
        raise ValueError("not a kubernetes protobuf envelope")
    unknown = dict(fields(raw[len(_MAGIC):]))
    type_meta = dict(fields(unknown.get(1, b"")))
    kind = _s(type_meta.get(2, b""))
    if kind not in _DECODERS:
        raise ValueError("protobuf bodies of kind %r are not supported; send JSON" % kind)
    return _DECODERS[kind](unknown.get(2, b""))
