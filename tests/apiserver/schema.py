"""Structural OpenAPI v3 schema handling for custom resources, the way kube does it on write.

Contract, in the order the registry calls them on every create/update/patch:
  1. prune(schema, obj) -> [unknown field paths]; drops fields the schema does not declare
     (honouring x-kubernetes-preserve-unknown-fields and additionalProperties) and nulls of
     non-nullable fields. The caller rejects instead when fieldValidation=Strict.
  2. apply_defaults(schema, obj) fills absent properties that declare `default` (recursively,
     also inside defaulted values, array items and map values).
  3. validate(schema, obj) -> [cause]; each cause is {field, reason, message} with kube's
     wording so errors.invalid() can render `spec.x: Unsupported value: ...`. CRD CEL rules
     (x-kubernetes-validations) run through cel.py's subset; unsupported rules are skipped.
All functions work in place on obj (prune/default) or read it (validate) and never raise on
bad input. At the root, apiVersion/kind/metadata are always kept and not validated here.
"""

import json
import re

from . import cel

_ROOT_KEEP = ("apiVersion", "kind", "metadata")


def _join(path, key):
    return key if not path else path + "." + key


def _is_object_schema(s):
    return s.get("type") == "object" or "properties" in s or "additionalProperties" in s


def prune(schema, obj, path="", root=True):
    unknown = []
    _prune(schema or {}, obj, path, root, unknown)
    return unknown


def _prune(s, obj, path, root, unknown):
    if s.get("x-kubernetes-preserve-unknown-fields") and "properties" not in s \
            and "additionalProperties" not in s and "items" not in s:
        return
    if isinstance(obj, dict) and (_is_object_schema(s) or root):
        props = s.get("properties")
        addl = s.get("additionalProperties")
        preserve = s.get("x-kubernetes-preserve-unknown-fields", False)
        for k in list(obj.keys()):
            if root and k in _ROOT_KEEP:
                continue
            v = obj[k]
            sub = None
            if props is not None and k in props:
                sub = props[k]
            elif isinstance(addl, dict):
                sub = addl
            elif addl is True or preserve:
                continue
            if sub is None:
                unknown.append(_join(path, k))
                del obj[k]
                continue
            if v is None and not sub.get("nullable"):
                del obj[k]
                continue
            _prune(sub, v, _join(path, k), False, unknown)
    elif isinstance(obj, list) and isinstance(s.get("items"), dict):
        for i, v in enumerate(obj):
            _prune(s["items"], v, "%s[%d]" % (path, i), False, unknown)


def apply_defaults(schema, obj):
    s = schema or {}
    if isinstance(obj, dict):
        props = s.get("properties") or {}
        for k, sub in props.items():
            if k not in obj and "default" in sub:
                obj[k] = json.loads(json.dumps(sub["default"]))
            if k in obj:
                apply_defaults(sub, obj[k])
        addl = s.get("additionalProperties")
        if isinstance(addl, dict):
            for k, v in obj.items():
                if k not in props:
                    apply_defaults(addl, v)
    elif isinstance(obj, list) and isinstance(s.get("items"), dict):
        for v in obj:
            apply_defaults(s["items"], v)
    return obj


def _fmt(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def _type_name(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _type_ok(t, v):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == "string":
        return isinstance(v, str)
    if t == "boolean":
        return isinstance(v, bool)
    if t == "array":
        return isinstance(v, list)
    if t == "object":
        return isinstance(v, dict)
    return True


def _cause(field, reason, message):
    return {"field": field, "reason": reason, "message": message}


def _invalid(path, v, why):
    return _cause(path, "FieldValueInvalid",
                  "Invalid value: %s: %s in body %s" % (_fmt(v), path or "<root>", why))


def validate(schema, obj, path="", root=True):
    causes = []
    _validate(schema or {}, obj, path, root, causes)
    return causes


def _validate(s, v, path, root, causes):
    if v is None:
        if not s.get("nullable") and s.get("type") and not root:
            causes.append(_cause(path, "FieldValueTypeInvalid",
                                 'Invalid value: "null": %s in body must be of type %s: "null"'
                                 % (path, s["type"])))
        return
    t = s.get("type")
    if s.get("x-kubernetes-int-or-string"):
        if not (isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool))):
            causes.append(_cause(path, "FieldValueTypeInvalid",
                                 "Invalid value: %s: %s in body must be of type integer,string: %s"
                                 % (_fmt(v), path, json.dumps(_type_name(v)))))
            return
    elif t and not _type_ok(t, v):
        causes.append(_cause(path, "FieldValueTypeInvalid",
                             "Invalid value: %s: %s in body must be of type %s: %s"
                             % (json.dumps(_type_name(v)), path, t, json.dumps(_type_name(v)))))
        return
    n_before = len(causes)
    if "enum" in s and v not in s["enum"]:
        causes.append(_cause(path, "FieldValueNotSupported",
                             "Unsupported value: %s: supported values: %s"
                             % (_fmt(v), ", ".join(_fmt(e) for e in s["enum"]))))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "maximum" in s:
            if s.get("exclusiveMaximum") and v >= s["maximum"]:
                causes.append(_invalid(path, v, "should be less than %s" % _fmt(s["maximum"])))
            elif v > s["maximum"]:
                causes.append(_invalid(path, v, "should be less than or equal to %s"
                                       % _fmt(s["maximum"])))
        if "minimum" in s:
            if s.get("exclusiveMinimum") and v <= s["minimum"]:
                causes.append(_invalid(path, v, "should be greater than %s" % _fmt(s["minimum"])))
            elif v < s["minimum"]:
                causes.append(_invalid(path, v, "should be greater than or equal to %s"
                                       % _fmt(s["minimum"])))
        if "multipleOf" in s and s["multipleOf"] and v % s["multipleOf"]:
            causes.append(_invalid(path, v, "should be a multiple of %s" % _fmt(s["multipleOf"])))
    if isinstance(v, str):
        if "maxLength" in s and len(v) > s["maxLength"]:
            causes.append(_cause(path, "FieldValueTooLong", "Too long: may not be more than %d bytes"
                                 % s["maxLength"]))
        if "minLength" in s and len(v) < s["minLength"]:
            causes.append(_invalid(path, v, "should be at least %d chars long" % s["minLength"]))
        if "pattern" in s:
            try:
                ok = re.search(s["pattern"], v) is not None
            except re.error:
                ok = True  # a pattern Python cannot compile is the schema's fault, not the object's
            if not ok:
                causes.append(_invalid(path, v, "should match '%s'" % s["pattern"]))
    if isinstance(v, list):
        if "maxItems" in s and len(v) > s["maxItems"]:
            causes.append(_cause(path, "FieldValueTooMany", "Too many: %d: must have at most %d items"
                                 % (len(v), s["maxItems"])))
        if "minItems" in s and len(v) < s["minItems"]:
            causes.append(_invalid(path, len(v), "should have at least %d items" % s["minItems"]))
        if isinstance(s.get("items"), dict):
            for i, item in enumerate(v):
                _validate(s["items"], item, "%s[%d]" % (path, i), False, causes)
    if isinstance(v, dict):
        props = s.get("properties") or {}
        for req in s.get("required", []):
            if req not in v:
                causes.append(_cause(_join(path, req), "FieldValueRequired", "Required value"))
        for k, item in v.items():
            if root and k in _ROOT_KEEP:
                continue
            if k in props:
                _validate(props[k], item, _join(path, k), False, causes)
            elif isinstance(s.get("additionalProperties"), dict):
                _validate(s["additionalProperties"], item, _join(path, k), False, causes)
        if "maxProperties" in s and len(v) > s["maxProperties"]:
            causes.append(_cause(path, "FieldValueTooMany", "Too many: %d: must have at most %d items"
                                 % (len(v), s["maxProperties"])))
        if "minProperties" in s and len(v) < s["minProperties"]:
            causes.append(_invalid(path, len(v), "should have at least %d properties"
                                   % s["minProperties"]))
    if len(causes) > n_before:
        return
    for sub in s.get("allOf", []):
        _validate(sub, v, path, False, causes)
    if "anyOf" in s and not any(not validate(sub, v, path, False) for sub in s["anyOf"]):
        causes.append(_invalid(path, v, "must validate at least one schema (anyOf)"))
    if "oneOf" in s and sum(1 for sub in s["oneOf"] if not validate(sub, v, path, False)) != 1:
        causes.append(_invalid(path, v, "must validate one and only one schema (oneOf)"))
    if "not" in s and not validate(s["not"], v, path, False):
        causes.append(_invalid(path, v, "must not validate the schema (not)"))
    for rule in s.get("x-kubernetes-validations") or []:
        _check_rule(rule, v, path, causes)


def _check_rule(rule, v, path, causes):
    """One x-kubernetes-validations rule; unsupported CEL is skipped, never a rejection."""
    try:
        ok = cel.evaluate(rule.get("rule", ""), v)
    except cel.CelUnsupported:
        return
    except cel.CelError as e:
        causes.append(_cause(path, "FieldValueInvalid", "Invalid value: %s: rule %r failed: %s"
                             % (json.dumps(_type_name(v)), rule.get("rule"), e)))
        return
    if not ok:
        msg = rule.get("message") or "failed rule: %s" % rule.get("rule")
        field = path
        if rule.get("fieldPath"):
            field = path + rule["fieldPath"] if path else rule["fieldPath"].lstrip(".")
        causes.append(_cause(field, rule.get("reason") or "FieldValueInvalid",
                             "Invalid value: %s: %s" % (json.dumps(_type_name(v)), msg)))
