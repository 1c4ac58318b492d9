"""Kubernetes Status objects and the ApiError exception that carries them.

Contract: every failure a handler can produce is raised as ApiError(code, reason, message,
details); the HTTP layer serialises err.status() as the response body with err.code.
Helper constructors produce kube's exact message shapes for the common cases.
"""

REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
           405: "MethodNotAllowed", 406: "NotAcceptable", 409: "Conflict", 410: "Expired",
           415: "UnsupportedMediaType", 422: "Invalid", 500: "InternalError"}


class ApiError(Exception):
    def __init__(self, code, message, reason=None, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details

    def status(self):
        return status_object(self.code, self.message, self.reason, self.details)


def status_object(code, message, reason, details=None, success=False):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {},
         "status": "Success" if success else "Failure", "code": code}
    if not success:
        s["message"] = message
        s["reason"] = reason
    if details:
        s["details"] = details
    return s


def _qualified(rt):
    """kube's "resource.group" (or just resource for the core group)."""
    return rt.plural + ("." + rt.group if rt.group else "")


def _details(rt, name):
    d = {"kind": rt.plural}
    if name:
        d["name"] = name
    if rt.group:
        d["group"] = rt.group
    return d


def not_found(rt, name):
    return ApiError(404, '%s "%s" not found' % (_qualified(rt), name), "NotFound",
                    _details(rt, name))


def already_exists(rt, name):
    return ApiError(409, '%s "%s" already exists' % (_qualified(rt), name), "AlreadyExists",
                    _details(rt, name))


def conflict(rt, name):
    return ApiError(409, 'Operation cannot be fulfilled on %s "%s": the object has been modified;'
                    ' please apply your changes to the latest version and try again'
                    % (_qualified(rt), name), "Conflict", _details(rt, name))


def expired(message="too old resource version"):
    return ApiError(410, message, "Expired")


def bad_request(message):
    return ApiError(400, message, "BadRequest")


def invalid(rt, name, causes):
    """422 from a list of {field, reason, message} causes, formatted like kube's
    `Kind.group "name" is invalid: field: message` (bracketed list when several)."""
    kind_q = rt.kind + ("." + rt.group if rt.group else "")
    parts = ["%s: %s" % (c["field"], c["message"]) if c.get("field") else c["message"]
             for c in causes]
    body = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    details = {"name": name or "", "kind": rt.kind, "causes": causes}
    if rt.group:
        details["group"] = rt.group
    return ApiError(422, '%s "%s" is invalid: %s' % (kind_q, name or "", body), "Invalid", details)
