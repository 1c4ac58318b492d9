"""JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch, pure.

Contract: merge_patch(target, patch), json_patch(target, ops) and
strategic_merge_patch(target, patch) return a new document and never mutate their inputs;
they raise PatchError (-> 422 upstream) on a bad operation, path or failed `test`.
The strategic merge patch knows the merge keys of the built-in lists kubectl and helm patch
(containers by name, container ports by containerPort, ...) from a table keyed by field name
instead of Go struct tags; lists not in the table are replaced, as kube does for atomic lists.
"""

import copy


class PatchError(ValueError):
    pass


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$"):  # strategic-merge directives ($patch, $retainKeys...): ignored
            continue
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


def _unescape(tok):
    return tok.replace("~1", "/").replace("~0", "~")


def _split(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError("invalid JSON pointer %r" % path)
    return [_unescape(t) for t in path[1:].split("/")]


def _index(container, tok, path, allow_end=False):
    if tok == "-" and allow_end:
        return len(container)
    if not tok.isdigit() or (len(tok) > 1 and tok[0] == "0"):
        raise PatchError("invalid array index %r in %r" % (tok, path))
    i = int(tok)
    if i > len(container) or (i == len(container) and not allow_end):
        raise PatchError("array index %d out of range in %r" % (i, path))
    return i


def _parent(doc, path):
    toks = _split(path)
    if not toks:
        return None, None
    cur = doc
    for t in toks[:-1]:
        if isinstance(cur, dict):
            if t not in cur:
                raise PatchError("path %r does not exist" % path)
            cur = cur[t]
        elif isinstance(cur, list):
            cur = cur[_index(cur, t, path)]
        else:
            raise PatchError("path %r does not exist" % path)
    return cur, toks[-1]


def _get(doc, path):
    parent, tok = _parent(doc, path)
    if parent is None:
        return doc
    if isinstance(parent, dict):
        if tok not in parent:
            raise PatchError("path %r does not exist" % path)
        return parent[tok]
    if isinstance(parent, list):
        return parent[_index(parent, tok, path)]
    raise PatchError("path %r does not exist" % path)


def _remove(doc, path):
    parent, tok = _parent(doc, path)
    if parent is None:
        raise PatchError("cannot remove the document root")
    if isinstance(parent, dict):
        if tok not in parent:
            raise PatchError("path %r does not exist" % path)
        return parent.pop(tok)
    if isinstance(parent, list):
        return parent.pop(_index(parent, tok, path))
    raise PatchError("path %r does not exist" % path)


def _add(doc, path, value):
    parent, tok = _parent(doc, path)
    if parent is None:
        return value
    if isinstance(parent, dict):
        parent[tok] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, tok, path, allow_end=True), value)
    else:
        raise PatchError("path %r does not exist" % path)
    return doc


def json_patch(target, ops):
    if not isinstance(ops, list):
        raise PatchError("a JSON patch must be an array of operations")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError("invalid JSON patch operation %r" % (op,))
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError("operation %r needs a value" % kind)
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            _get(doc, path)  # must exist
            if path == "":
                doc = copy.deepcopy(op["value"])
            else:
                _remove(doc, path)
                doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind in ("move", "copy"):
            if "from" not in op:
                raise PatchError("operation %r needs from" % kind)
            if kind == "move" and (path + "/").startswith(op["from"] + "/"):
                raise PatchError("cannot move %r into itself" % op["from"])
            val = _remove(doc, op["from"]) if kind == "move" else copy.deepcopy(_get(doc, op["from"]))
            doc = _add(doc, path, val)
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise PatchError("test operation failed at %r" % path)
        else:
            raise PatchError("unknown JSON patch operation %r" % kind)
    return doc


# Field name -> merge key of the built-in lists with patchStrategy=merge. "ports" depends on
# the element: container ports merge on containerPort, service ports on port.
SMP_MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
    "env": "name", "volumes": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
    "imagePullSecrets": "name", "hostAliases": "ip", "conditions": "type",
    "ownerReferences": "uid", "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name", "ports": None,
}
SMP_PRIMITIVE_SETS = {"finalizers"}


def _merge_key(field, items):
    if field not in SMP_MERGE_KEYS:
        return None
    key = SMP_MERGE_KEYS[field]
    if key is None:  # ports
        sample = next((i for i in items if isinstance(i, dict)), {})
        key = "containerPort" if "containerPort" in sample else "port"
    return key


def strategic_merge_patch(target, patch):
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object")
    return _smp_map(target if isinstance(target, dict) else {}, patch)


def _smp_map(target, patch):
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    result = copy.deepcopy(target)
    retain = patch.get("$retainKeys")
    orders = {}
    for k, v in patch.items():
        if k in ("$patch", "$retainKeys"):
            continue
        if k.startswith("$setElementOrder/"):
            orders[k.split("/", 1)[1]] = v
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            if isinstance(result.get(field), list) and isinstance(v, list):
                result[field] = [x for x in result[field] if x not in v]
            continue
        if k.startswith("$"):
            continue
        if v is None:
            result.pop(k, None)
        elif isinstance(v, dict):
            merged = _smp_map(result.get(k) if isinstance(result.get(k), dict) else {}, v)
            if merged is None:
                result.pop(k, None)
            else:
                result[k] = merged
        elif isinstance(v, list):
            result[k] = _smp_list(k, result.get(k) if isinstance(result.get(k), list) else [], v)
        else:
            result[k] = copy.deepcopy(v)
    for field, order in orders.items():
        if isinstance(result.get(field), list) and isinstance(order, list):
            result[field] = _apply_order(field, result[field], order)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _smp_list(field, target, patch):
    if field in SMP_PRIMITIVE_SETS:
        out = list(target)
        for x in patch:
            if x not in out:
                out.append(copy.deepcopy(x))
        return out
    key = _merge_key(field, target + patch)
    if key is None or not all(isinstance(i, dict) for i in patch):
        if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
            return [copy.deepcopy(i) for i in patch if not (isinstance(i, dict) and "$patch" in i)]
        return copy.deepcopy(patch)
    if any(i.get("$patch") == "replace" for i in patch):
        return [copy.deepcopy(i) for i in patch if "$patch" not in i]
    out = copy.deepcopy(target)
    for item in patch:
        kv = item.get(key)
        idx = next((n for n, t in enumerate(out) if isinstance(t, dict) and t.get(key) == kv), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
            continue
        if idx is None:
            out.append(_smp_map({}, item))
        else:
            out[idx] = _smp_map(out[idx], item)
    return out


def _apply_order(field, items, order):
    key = _merge_key(field, items)
    if key is None:
        pos = {repr(v): n for n, v in enumerate(order)}
        return sorted(items, key=lambda x: pos.get(repr(x), len(order)))
    pos = {o.get(key): n for n, o in enumerate(order) if isinstance(o, dict)}
    return sorted(items, key=lambda x: pos.get(x.get(key) if isinstance(x, dict) else None, len(order)))
