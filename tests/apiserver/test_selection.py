"""Unit tests for selection.py: label and field selector parsing and matching."""

import pytest

from tests.apiserver.selection import parse_field_selector, parse_label_selector

LABELS = {"env": "prod", "tier": "web", "k8s.io/role": "x"}


@pytest.mark.parametrize("sel,want", [
    ("", True), ("env=prod", True), ("env==prod", True), ("env!=prod", False),
    ("env=dev", False), ("missing!=x", True), ("env in (dev, prod)", True),
    ("env notin (dev,prod)", False), ("missing notin (a)", True), ("missing in (a)", False),
    ("env", True), ("!env", False), ("!missing", True), ("missing", False),
    ("env=prod,tier=web", True), ("env=prod,tier=db", False),
    ("k8s.io/role=x", True), ("env in (prod),!missing,tier", True), ("env=", False),
])
def test_label_selector_matches(sel, want):
    assert parse_label_selector(sel).matches(LABELS) is want


def test_label_selector_against_no_labels():
    assert parse_label_selector("!a").matches(None)
    assert not parse_label_selector("a").matches({})
    assert parse_label_selector("a!=b").matches({})


@pytest.mark.parametrize("bad", ["env in (a", "env in a)", "env=a b", "=x", ",", "a b c",
                                 "env in (a,b c)", "-bad=x"])
def test_label_selector_rejects_bad_syntax(bad):
    with pytest.raises(ValueError):
        parse_label_selector(bad)


def test_field_selector():
    pod = {"metadata": {"name": "p", "namespace": "ns"}, "spec": {"nodeName": "n1", "hostNetwork": True}}
    assert parse_field_selector("spec.nodeName=n1").matches(pod)
    assert parse_field_selector("spec.nodeName==n1,metadata.namespace=ns").matches(pod)
    assert not parse_field_selector("spec.nodeName!=n1").matches(pod)
    assert parse_field_selector("spec.hostNetwork=true").matches(pod)
    assert parse_field_selector("status.phase=").matches(pod)  # absent compares as ""
    assert parse_field_selector("metadata.name=p").paths() == {"metadata.name"}
    for bad in ("spec.nodeName", "sp ec=x", "=x"):
        with pytest.raises(ValueError):
            parse_field_selector(bad)
