"""Kubernetes label and field selectors: parse once, match many.

Contract: parse_label_selector(text) -> LabelSelector with .matches(labels_dict);
parse_field_selector(text) -> FieldSelector with .matches(obj) over dotted paths
(metadata.name, metadata.namespace, spec.nodeName, ...). Both raise ValueError with a
human message on bad syntax (the HTTP layer turns it into 400). Empty text matches all.
Label grammar: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by
commas (commas inside parentheses belong to the set).
"""

import re

_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VAL = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_KEY_RE = re.compile("^" + _KEY + "$")
_VAL_RE = re.compile("^" + _VAL + "$")


def _split_top(text):
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ValueError("unbalanced parenthesis in selector %r" % text)
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if depth:
        raise ValueError("unbalanced parenthesis in selector %r" % text)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _check_key(k, text):
    if not _KEY_RE.match(k):
        raise ValueError("invalid label key %r in selector %r" % (k, text))


def _check_val(v, text):
    if len(v) > 63 or not _VAL_RE.match(v):
        raise ValueError("invalid label value %r in selector %r" % (v, text))


_SET_RE = re.compile(r"^(\S+)\s+(in|notin)\s*\((.*)\)$")


class LabelSelector:
    def __init__(self, reqs):
        self.reqs = reqs  # [(key, op, set_of_values)]

    def matches(self, labels):
        labels = labels or {}
        for key, op, vals in self.reqs:
            present = key in labels
            if op == "in" and not (present and labels[key] in vals):
                return False
            if op == "notin" and present and labels[key] in vals:
                return False
            if op == "exists" and not present:
                return False
            if op == "!exists" and present:
                return False
        return True

    def empty(self):
        return not self.reqs


def parse_label_selector(text):
    text = (text or "").strip()
    reqs = []
    if not text:
        return LabelSelector(reqs)
    for part in _split_top(text):
        if not part:
            raise ValueError("empty requirement in selector %r" % text)
        m = _SET_RE.match(part)
        if m:
            key, op, inner = m.group(1), m.group(2), m.group(3)
            _check_key(key, text)
            vals = {v.strip() for v in inner.split(",")}
            for v in vals:
                _check_val(v, text)
            reqs.append((key, op, vals))
            continue
        for sym, op in (("!=", "notin"), ("==", "in"), ("=", "in")):
            if sym in part:
                key, val = (s.strip() for s in part.split(sym, 1))
                _check_key(key, text)
                _check_val(val, text)
                reqs.append((key, op, {val}))
                break
        else:
            if part.startswith("!"):
                key = part[1:].strip()
                _check_key(key, text)
                reqs.append((key, "!exists", set()))
            else:
                if " " in part:
                    raise ValueError("unable to parse requirement %r in selector %r" % (part, text))
                _check_key(part, text)
                reqs.append((part, "exists", set()))
    return LabelSelector(reqs)


def field_value(obj, path):
    cur = obj
    for p in path.split("."):
        if not isinstance(cur, dict):
            return ""  # kube compares absent fields as the empty string
        cur = cur.get(p)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


class FieldSelector:
    def __init__(self, reqs):
        self.reqs = reqs  # [(path, negate, value)]

    def matches(self, obj):
        for path, negate, val in self.reqs:
            if (field_value(obj, path) == val) == negate:
                return False
        return True

    def paths(self):
        return {p for p, _, _ in self.reqs}

    def empty(self):
        return not self.reqs


def parse_field_selector(text):
    text = (text or "").strip()
    reqs = []
    if not text:
        return FieldSelector(reqs)
    for part in text.split(","):
        part = part.strip()
        for sym, neg in (("!=", True), ("==", False), ("=", False)):
            if sym in part:
                path, val = (s.strip() for s in part.split(sym, 1))
                if not re.match(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$", path):
                    raise ValueError("invalid field path %r in field selector %r" % (path, text))
                reqs.append((path, neg, val))
                break
        else:
            raise ValueError("invalid field selector requirement %r" % part)
    return FieldSelector(reqs)
