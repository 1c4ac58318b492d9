"""Unit tests for patch.py: RFC 7386 merge patch and RFC 6902 JSON patch."""

import pytest

from tests.apiserver.patch import PatchError, json_patch, merge_patch


def test_merge_patch_rfc7386_examples():
    # From RFC 7386 appendix A.
    cases = [({"a": "b"}, {"a": "c"}, {"a": "c"}), ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
             ({"a": "b"}, {"a": None}, {}), ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
             ({"a": ["b"]}, {"a": "c"}, {"a": "c"}), ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
             ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
             ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}), (["a", "b"], ["c", "d"], ["c", "d"]),
             ({"a": "b"}, ["c"], ["c"]), ({"a": "foo"}, None, None), ({"a": "foo"}, "bar", "bar"),
             ({"e": None}, {"a": 1}, {"e": None, "a": 1}), ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
             ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}})]
    for target, patch, want in cases:
        assert merge_patch(target, patch) == want


def test_merge_patch_does_not_mutate_and_ignores_directives():
    t = {"a": {"b": 1}}
    out = merge_patch(t, {"a": {"c": 2}, "$setElementOrder/x": [1]})
    assert t == {"a": {"b": 1}} and out == {"a": {"b": 1, "c": 2}}


def test_json_patch_operations():
    doc = {"foo": ["bar", "baz"], "o": {"a/b": 1, "m~n": 2}}
    out = json_patch(doc, [
        {"op": "add", "path": "/foo/1", "value": "qux"},
        {"op": "add", "path": "/foo/-", "value": "end"},
        {"op": "remove", "path": "/o/a~1b"},
        {"op": "replace", "path": "/o/m~0n", "value": 3},
        {"op": "copy", "from": "/o", "path": "/p"},
        {"op": "move", "from": "/foo/0", "path": "/first"},
        {"op": "test", "path": "/first", "value": "bar"},
    ])
    assert out == {"foo": ["qux", "baz", "end"], "o": {"m~n": 3}, "p": {"m~n": 3}, "first": "bar"}
    assert doc == {"foo": ["bar", "baz"], "o": {"a/b": 1, "m~n": 2}}


@pytest.mark.parametrize("ops", [
    [{"op": "test", "path": "/a", "value": 2}], [{"op": "remove", "path": "/nope"}],
    [{"op": "replace", "path": "/nope", "value": 1}], [{"op": "add", "path": "/l/9", "value": 1}],
    [{"op": "add", "path": "/l/01", "value": 1}], [{"op": "bogus", "path": "/a"}],
    [{"op": "add", "path": "/a"}], [{"op": "move", "from": "/l", "path": "/l/0"}],
    [{"op": "add", "path": "a", "value": 1}], {"op": "add"},
])
def test_json_patch_errors(ops):
    with pytest.raises(PatchError):
        json_patch({"a": 1, "l": [0]}, ops)


def test_strategic_merge_patch_merges_lists_by_key():
    from tests.apiserver.patch import strategic_merge_patch as smp
    ds = {"spec": {"template": {"spec": {
        "containers": [{"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}],
                        "ports": [{"containerPort": 80}, {"containerPort": 443}]},
                       {"name": "b", "image": "b:1"}],
        "tolerations": [{"key": "t1"}]}}},
        "metadata": {"finalizers": ["f1"], "labels": {"l": "1"}}}
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}, {"name": "c"}],
        "containers": [{"name": "a", "image": "a:2", "env": [{"name": "Y", "value": "2"}],
                        "ports": [{"containerPort": 443, "$patch": "delete"}]},
                       {"name": "c", "image": "c:1"}],
        "tolerations": [{"key": "t2"}]}}},
        "metadata": {"finalizers": ["f2"], "labels": {"l": None, "m": "2"}}}
    out = smp(ds, patch)
    cs = out["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in cs] == ["b", "a", "c"]
    a = cs[1]
    assert a["image"] == "a:2" and [e["name"] for e in a["env"]] == ["X", "Y"]
    assert a["ports"] == [{"containerPort": 80}]
    assert out["spec"]["template"]["spec"]["tolerations"] == [{"key": "t2"}]  # atomic list
    assert out["metadata"] == {"finalizers": ["f1", "f2"], "labels": {"m": "2"}}
    assert ds["spec"]["template"]["spec"]["containers"][0]["image"] == "a:1"  # not mutated


def test_strategic_merge_patch_directives():
    from tests.apiserver.patch import strategic_merge_patch as smp
    t = {"a": {"x": 1, "y": 2}, "b": {"z": 1}, "l": [1, 2, 3], "keep": 1, "drop": 2}
    out = smp(t, {"a": {"$patch": "replace", "x": 9}, "b": {"$patch": "delete"},
                  "$deleteFromPrimitiveList/l": [2], "$retainKeys": ["a", "l", "keep"]})
    assert out == {"a": {"x": 9}, "l": [1, 3], "keep": 1}
    with pytest.raises(PatchError):
        smp(t, [1])
