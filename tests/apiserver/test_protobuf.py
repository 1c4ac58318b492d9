"""Unit tests for protobuf.py with bodies encoded by a tiny reference encoder."""

import pytest

from tests.apiserver import protobuf


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _f(num, v):
    if isinstance(v, int):
        return _varint(num << 3) + _varint(v)
    if isinstance(v, str):
        v = v.encode()
    return _varint(num << 3 | 2) + _varint(len(v)) + v


def _entry(num, k, v):
    return _f(num, _f(1, k) + _f(2, v))


def _envelope(kind, inner):
    return b"k8s\x00" + _f(1, _f(1, "v1") + _f(2, kind)) + _f(2, inner)


def test_secret_like_helm_sends():
    meta = _f(1, "sh.helm.release.v1.x.v1") + _entry(11, "owner", "helm") + \
        _entry(11, "name", "x") + _entry(12, "a", "b") + _f(14, "fin")
    body = _envelope("Secret", _f(1, meta) + _entry(2, "release", b"\x00\xffdata") +
                     _f(3, "helm.sh/release.v1") + _entry(4, "s", "plain"))
    obj = protobuf.decode(body)
    assert obj == {"apiVersion": "v1", "kind": "Secret",
                   "metadata": {"name": "sh.helm.release.v1.x.v1",
                                "labels": {"owner": "helm", "name": "x"},
                                "annotations": {"a": "b"}, "finalizers": ["fin"]},
                   "type": "helm.sh/release.v1",
                   "data": {"release": "AP9kYXRh", "s": "cGxhaW4="}}


def test_config_map_and_delete_options():
    obj = protobuf.decode(_envelope("ConfigMap", _f(1, _f(1, "cm") + _f(3, "ns")) +
                                    _entry(2, "k", "v") + _f(4, 1)))
    assert obj["metadata"] == {"name": "cm", "namespace": "ns"}
    assert obj["data"] == {"k": "v"} and obj["immutable"] is True
    opts = protobuf.decode(_envelope("DeleteOptions", _f(1, 0) + _f(2, _f(2, "42")) + _f(5, "All")))
    assert opts["preconditions"] == {"resourceVersion": "42"} and opts["dryRun"] == ["All"]


@pytest.mark.parametrize("raw", [b"", b"{}", b"k8s\x00" + _f(1, _f(2, "Pod")),
                                 b"k8s\x00\x0a\xff", b"k8s\x00\x0b"])
def test_rejects_unsupported_or_malformed(raw):
    with pytest.raises(ValueError):
        protobuf.decode(raw)
