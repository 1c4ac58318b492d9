"""Unit tests for cel.py and CEL rules inside schema validation."""

import pytest

from tests.apiserver import cel, schema

RULES = {
    "ipip_vxlan": "!(has(self.ipipMode) && self.ipipMode != 'Never' && has(self.vxlanMode) "
                  "&& self.vxlanMode != 'Never')",
    "one_of": "(has(self.peerIP) && self.peerIP != '') != (has(self.peerSelector) && "
              "self.peerSelector != '')",
    "name": "self.metadata.name == 'default' || self.metadata.name.startsWith('node.')",
}


@pytest.mark.parametrize("rule,value,want", [
    ("ipip_vxlan", {}, True), ("ipip_vxlan", {"ipipMode": "Always"}, True),
    ("ipip_vxlan", {"ipipMode": "Always", "vxlanMode": "Never"}, True),
    ("ipip_vxlan", {"ipipMode": "Always", "vxlanMode": "CrossSubnet"}, False),
    ("one_of", {"peerIP": "1.2.3.4"}, True), ("one_of", {"peerSelector": "all()"}, True),
    ("one_of", {}, False), ("one_of", {"peerIP": "1.2.3.4", "peerSelector": "x"}, False),
    ("one_of", {"peerIP": "", "peerSelector": "x"}, True),
    ("name", {"metadata": {"name": "default"}}, True),
    ("name", {"metadata": {"name": "node.a"}}, True),
    ("name", {"metadata": {"name": "other"}}, False),
])
def test_crd_rules(rule, value, want):
    assert cel.evaluate(RULES[rule], value) is want


@pytest.mark.parametrize("rule,want", [
    ("size(self.l) == 3 && self.l.size() > 2", True), ("self.n % 5 == 2 ? true : false", True),
    ("self.n * 2 - 4 >= 10 && -self.n < 0", True), ("'b' in self.l && !('z' in self.l)", True),
    ("self.s.endsWith('lo') && self.s.contains('el') && self.s.matches('^h.*o$')", True),
    ("self.l[0] == 'a' && self.m['k'] == 1.5", True), ("self.s + '!' == \"hello!\"", True),
    ("self.n / 2 == 3", True), ("has(self.missing) || self.n == 7", True),
])
def test_operators(rule, want):
    v = {"l": ["a", "b", "c"], "n": 7, "s": "hello", "m": {"k": 1.5}}
    assert cel.evaluate(rule, v) is want


@pytest.mark.parametrize("rule", ["self.l.all(x, x != '')", "oldSelf == self", "self.s.lowerAscii() == 's'",
                                  "self.n == @", "has(self)", "foo == 1"])
def test_unsupported_is_reported_as_such(rule):
    with pytest.raises(cel.CelUnsupported):
        cel.evaluate(rule, {"l": ["a"], "s": "x", "n": 1})


def test_errors_and_schema_integration():
    with pytest.raises(cel.CelError):
        cel.evaluate("self.missing == 1", {})
    with pytest.raises(cel.CelError):
        cel.evaluate("self.n", {"n": 1})  # not a bool
    s = {"type": "object", "properties": {"spec": {
        "type": "object",
        "x-kubernetes-validations": [
            {"rule": RULES["ipip_vxlan"], "message": "ipipMode and vxlanMode may not both be enabled"},
            {"rule": "self.l.all(x, true)", "message": "unsupported, skipped"}],
        "properties": {"ipipMode": {"type": "string"}, "vxlanMode": {"type": "string"},
                       "l": {"type": "array", "items": {"type": "string"}}}}}}
    assert schema.validate(s, {"spec": {"ipipMode": "Always", "l": []}}) == []
    causes = schema.validate(s, {"spec": {"ipipMode": "Always", "vxlanMode": "Always"}})
    assert causes == [{"field": "spec", "reason": "FieldValueInvalid",
                       "message": 'Invalid value: "object": ipipMode and vxlanMode may not both be enabled'}]
