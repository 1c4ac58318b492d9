"""Unit tests for schema.py: pruning, defaulting and validation messages."""

from tests.apiserver import schema as S

POOL = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object", "required": ["cidr"],
            "properties": {
                "cidr": {"type": "string", "pattern": r"^[0-9.]+/[0-9]+$", "maxLength": 18},
                "blockSize": {"type": "integer", "minimum": 20, "maximum": 32, "default": 26},
                "ipipMode": {"type": "string", "enum": ["Never", "Always", "CrossSubnet"],
                             "default": "Never"},
                "port": {"x-kubernetes-int-or-string": True},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "peers": {"type": "array", "minItems": 1, "maxItems": 2,
                          "items": {"type": "object", "required": ["ip"],
                                    "properties": {"ip": {"type": "string", "minLength": 3},
                                                   "asn": {"type": "integer", "default": 64512}}}},
                "note": {"type": "string", "nullable": True},
            },
        },
    },
}


def _obj(**spec):
    return {"apiVersion": "twill.dev/v1", "kind": "IPPool", "metadata": {"name": "p", "x": 1},
            "spec": spec}


def _fields(causes):
    return [(c["field"], c["reason"]) for c in causes]


def test_prune_reports_and_drops_unknown_fields_but_keeps_metadata_and_maps():
    o = _obj(cidr="10.0.0.0/8", bogus=1, labels={"a": "b"}, extra={"anything": {"x": 1}},
             peers=[{"ip": "1.2.3.4", "junk": True}])
    o["top"] = 1
    unknown = S.prune(POOL, o)
    assert sorted(unknown) == ["spec.bogus", "spec.peers[0].junk", "top"]
    assert "top" not in o and "bogus" not in o["spec"] and "junk" not in o["spec"]["peers"][0]
    assert o["metadata"] == {"name": "p", "x": 1}
    assert o["spec"]["labels"] == {"a": "b"} and o["spec"]["extra"] == {"anything": {"x": 1}}


def test_prune_drops_null_of_non_nullable_so_default_applies():
    o = _obj(cidr="10.0.0.0/8", blockSize=None, note=None)
    S.prune(POOL, o)
    S.apply_defaults(POOL, o)
    assert o["spec"]["blockSize"] == 26 and o["spec"]["note"] is None


def test_defaults_are_applied_recursively_and_do_not_override():
    o = _obj(cidr="10.0.0.0/8", blockSize=24, peers=[{"ip": "1.1.1.1"}])
    S.apply_defaults(POOL, o)
    assert o["spec"]["blockSize"] == 24 and o["spec"]["ipipMode"] == "Never"
    assert o["spec"]["peers"][0]["asn"] == 64512
    assert S.validate(POOL, o) == []


def test_enum_message_like_kube():
    causes = S.validate(POOL, _obj(cidr="10.0.0.0/8", ipipMode="Sometimes"))
    assert causes == [{"field": "spec.ipipMode", "reason": "FieldValueNotSupported",
                       "message": 'Unsupported value: "Sometimes": supported values: '
                                  '"Never", "Always", "CrossSubnet"'}]


def test_range_type_pattern_length_required():
    assert _fields(S.validate(POOL, _obj(cidr="10.0.0.0/8", blockSize=40))) == \
        [("spec.blockSize", "FieldValueInvalid")]
    c = S.validate(POOL, _obj(cidr="10.0.0.0/8", blockSize=40))[0]
    assert c["message"] == "Invalid value: 40: spec.blockSize in body should be less than or equal to 32"
    assert "greater than or equal to 20" in S.validate(POOL, _obj(cidr="1.0.0.0/8", blockSize=3))[0]["message"]
    c = S.validate(POOL, _obj(cidr="10.0.0.0/8", blockSize="26"))[0]
    assert c["reason"] == "FieldValueTypeInvalid" and "must be of type integer" in c["message"]
    assert S.validate(POOL, _obj(cidr="10.0.0.0/8", blockSize=True))[0]["reason"] == \
        "FieldValueTypeInvalid"
    c = S.validate(POOL, _obj(cidr="nonsense"))[0]
    assert c["field"] == "spec.cidr" and "should match" in c["message"]
    assert _fields(S.validate(POOL, _obj(cidr="100.100.100.100/321"))) == [("spec.cidr", "FieldValueTooLong")]
    assert S.validate(POOL, _obj()) == [{"field": "spec.cidr", "reason": "FieldValueRequired",
                                         "message": "Required value"}]


def test_arrays_maps_int_or_string_nullable():
    assert _fields(S.validate(POOL, _obj(cidr="1.0.0.0/8", peers=[]))) == [("spec.peers", "FieldValueInvalid")]
    assert _fields(S.validate(POOL, _obj(cidr="1.0.0.0/8", peers=[{"ip": "a.b"}] * 3))) == \
        [("spec.peers", "FieldValueTooMany")]
    assert _fields(S.validate(POOL, _obj(cidr="1.0.0.0/8", peers=[{"ip": "ab"}, {}]))) == \
        [("spec.peers[0].ip", "FieldValueInvalid"), ("spec.peers[1].ip", "FieldValueRequired")]
    assert _fields(S.validate(POOL, _obj(cidr="1.0.0.0/8", labels={"a": 1}))) == \
        [("spec.labels.a", "FieldValueTypeInvalid")]
    assert S.validate(POOL, _obj(cidr="1.0.0.0/8", port=80)) == []
    assert S.validate(POOL, _obj(cidr="1.0.0.0/8", port="http")) == []
    assert _fields(S.validate(POOL, _obj(cidr="1.0.0.0/8", port=1.5))) == \
        [("spec.port", "FieldValueTypeInvalid")]
    assert S.validate(POOL, _obj(cidr="1.0.0.0/8", note=None)) == []


def test_combinators():
    s = {"type": "object", "properties": {"v": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
                                          "w": {"type": "integer", "not": {"enum": [0]}}}}
    assert S.validate(s, {"v": 1, "w": 2}) == []
    assert _fields(S.validate(s, {"v": True})) == [("v", "FieldValueInvalid")]
    assert _fields(S.validate(s, {"w": 0})) == [("w", "FieldValueInvalid")]


def test_root_level_is_not_validated_for_metadata():
    o = _obj(cidr="1.0.0.0/8")
    o["metadata"] = {"name": "p", "labels": {"a": "b"}}
    assert S.validate(POOL, o) == []
