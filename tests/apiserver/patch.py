"""JSON merge patch (RFC 7386) and JSON patch (RFC 6902), pure functions.

Contract: merge_patch(target, patch) and json_patch(target, ops) return a new document and
never mutate their inputs; json_patch raises PatchError (-> 400/422 upstream) on a bad
operation, path or failed `test`. Strategic merge patch is served as a merge patch: twill and
kubectl's last-applied flow only need map merging, and list replacement is the safe fallback.
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
