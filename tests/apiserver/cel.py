"""A small subset of CEL for CRD x-kubernetes-validations rules.

Contract: evaluate(rule, self_value) -> True/False, or raises CelUnsupported when the rule
uses anything outside the subset (the caller then skips the rule: an unknown construct
must never reject a valid object) and CelError when evaluation fails (e.g. a missing field
without has()). Subset: literals (int, double, string, bool, null, lists), `self`, field
selection, has(), ! - * / % + - < <= > >= == != in && || ?:, size(), and the string
methods startsWith/endsWith/contains/matches/size. Rules mentioning oldSelf (transition
rules) are unsupported: writes here are not compared with the previous object.
"""

import re

_TOKEN = re.compile(r"""\s*(?:
    (?P<num>\d+\.\d+|\d+)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op>&&|\|\||==|!=|<=|>=|[!<>+\-*/%().,\[\]?:])
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
)""", re.X)


class CelUnsupported(Exception):
    pass


class CelError(Exception):
    pass


def _tokens(src):
    out, i = [], 0
    src = src.strip()
    while i < len(src):
        m = _TOKEN.match(src, i)
        if not m or m.end() == i:
            raise CelUnsupported("cannot tokenize %r" % src[i:])
        i = m.end()
        kind = m.lastgroup
        text = m.group(kind)
        if kind == "num":
            out.append(("lit", float(text) if "." in text else int(text)))
        elif kind == "str":
            out.append(("lit", bytes(text[1:-1], "utf-8").decode("unicode_escape")))
        elif kind == "id" and text in ("true", "false", "null"):
            out.append(("lit", {"true": True, "false": False, "null": None}[text]))
        elif kind == "id" and text == "in":
            out.append(("op", "in"))
        else:
            out.append((kind, text))
    out.append(("end", None))
    return out


class _Parser:
    def __init__(self, src):
        self.t = _tokens(src)
        self.i = 0

    def peek(self):
        return self.t[self.i]

    def take(self, text=None):
        tok = self.t[self.i]
        if text is not None and tok[1] != text:
            raise CelUnsupported("expected %r, got %r" % (text, tok[1]))
        self.i += 1
        return tok

    def parse(self):
        e = self.cond()
        if self.peek()[0] != "end":
            raise CelUnsupported("trailing input at %r" % (self.peek()[1],))
        return e

    def cond(self):
        c = self.binary(0)
        if self.peek() == ("op", "?"):
            self.take()
            a = self.cond()
            self.take(":")
            return ("?", c, a, self.cond())
        return c

    _LEVELS = [("||",), ("&&",), ("==", "!=", "<", "<=", ">", ">=", "in"), ("+", "-"), ("*", "/", "%")]

    def binary(self, level):
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in self._LEVELS[level]:
            op = self.take()[1]
            left = (op, left, self.binary(level + 1))
        return left

    def unary(self):
        if self.peek() == ("op", "!"):
            self.take()
            return ("!", self.unary())
        if self.peek() == ("op", "-"):
            self.take()
            return ("neg", self.unary())
        return self.member()

    def args(self):
        self.take("(")
        out = []
        if self.peek() != ("op", ")"):
            out.append(self.cond())
            while self.peek() == ("op", ","):
                self.take()
                out.append(self.cond())
        self.take(")")
        return out

    def member(self):
        e = self.primary()
        while True:
            if self.peek() == ("op", "."):
                self.take()
                kind, name = self.take()
                if kind != "id":
                    raise CelUnsupported("expected a field name")
                if self.peek() == ("op", "("):
                    e = ("call", name, e, self.args())
                else:
                    e = ("sel", e, name)
            elif self.peek() == ("op", "["):
                self.take()
                idx = self.cond()
                self.take("]")
                e = ("index", e, idx)
            else:
                return e

    def primary(self):
        kind, val = self.take()
        if kind == "lit":
            return ("lit", val)
        if kind == "op" and val == "(":
            e = self.cond()
            self.take(")")
            return e
        if kind == "op" and val == "[":
            items = []
            if self.peek() != ("op", "]"):
                items.append(self.cond())
                while self.peek() == ("op", ","):
                    self.take()
                    items.append(self.cond())
            self.take("]")
            return ("list", items)
        if kind == "id":
            if val == "self":
                return ("self",)
            if val == "has" and self.peek() == ("op", "("):
                args = self.args()
                if len(args) != 1 or args[0][0] != "sel":
                    raise CelUnsupported("has() needs a field selection")
                return ("has", args[0])
            if val == "size" and self.peek() == ("op", "("):
                return ("call", "size", None, self.args())
            raise CelUnsupported("unknown identifier %r" % val)
        raise CelUnsupported("unexpected %r" % (val,))


def _eval(e, self_value):
    op = e[0]
    if op == "lit":
        return e[1]
    if op == "self":
        return self_value
    if op == "list":
        return [_eval(x, self_value) for x in e[1]]
    if op == "sel":
        base = _eval(e[1], self_value)
        if not isinstance(base, dict) or e[2] not in base:
            raise CelError("no such key: %s" % e[2])
        return base[e[2]]
    if op == "has":
        base = _eval(e[1][1], self_value)
        return isinstance(base, dict) and e[1][2] in base
    if op == "index":
        base, idx = _eval(e[1], self_value), _eval(e[2], self_value)
        try:
            return base[idx]
        except (KeyError, IndexError, TypeError):
            raise CelError("no such index: %r" % (idx,))
    if op == "!":
        v = _eval(e[1], self_value)
        if not isinstance(v, bool):
            raise CelError("! needs a bool")
        return not v
    if op == "neg":
        return -_eval(e[1], self_value)
    if op == "?":
        return _eval(e[2] if _eval(e[1], self_value) else e[3], self_value)
    if op == "&&":
        # CEL's && and || are commutative about errors; left-to-right short-circuit suffices
        # for the guarded rules CRDs use.
        return bool(_eval(e[1], self_value)) and bool(_eval(e[2], self_value))
    if op == "||":
        return bool(_eval(e[1], self_value)) or bool(_eval(e[2], self_value))
    if op == "call":
        name, target = e[1], (_eval(e[2], self_value) if e[2] is not None else None)
        args = [_eval(a, self_value) for a in e[3]]
        if name == "size":
            v = target if e[2] is not None else (args[0] if args else None)
            if not isinstance(v, (str, list, dict)):
                raise CelError("size() of %r" % (v,))
            return len(v)
        if not isinstance(target, str) or len(args) != 1 or not isinstance(args[0], str):
            raise CelUnsupported("unsupported call %s" % name)
        if name == "startsWith":
            return target.startswith(args[0])
        if name == "endsWith":
            return target.endswith(args[0])
        if name == "contains":
            return args[0] in target
        if name == "matches":
            return re.search(args[0], target) is not None
        raise CelUnsupported("unsupported function %s" % name)
    a, b = _eval(e[1], self_value), _eval(e[2], self_value)
    try:
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        if op == "in":
            return a in b
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        if op == ">=":
            return a >= b
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a // b if isinstance(a, int) and isinstance(b, int) else a / b
        if op == "%":
            return a % b
    except (TypeError, ZeroDivisionError) as ex:
        raise CelError(str(ex))
    raise CelUnsupported("operator %s" % op)


_CACHE = {}


def evaluate(rule, self_value):
    if "oldSelf" in rule:
        raise CelUnsupported("transition rules are not supported")
    ast = _CACHE.get(rule)
    if ast is None:
        ast = _CACHE[rule] = _Parser(rule).parse()
    result = _eval(ast, self_value)
    if not isinstance(result, bool):
        raise CelError("rule did not evaluate to a bool")
    return result
