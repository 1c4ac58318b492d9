"""HTTPS front end: authentication, routing, verbs, request log.

Contract: make_server(registry, host, port, tls_context, tokens, request_log) returns a
ThreadingHTTPServer whose handler speaks the Kubernetes REST conventions over HTTP/1.1
keep-alive: every error is a Status object (ApiError), list/get honour Table output when
the client asks for it, watches are chunked JSON lines. One JSON line per request goes to
the request log: time, user, verb, method, path, group, resource, namespace, name, code.
"""

import json
import select
import socket
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import discovery, errors, protobuf, selection
from .errors import ApiError
from .watch import serve_watch

_WRITE_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}
_PATCH_TYPES = ("application/merge-patch+json", "application/strategic-merge-patch+json",
                "application/json-patch+json", "application/apply-patch+yaml")


def _truthy(v):
    return v not in (None, "", "0", "false", "False")


class Route:
    """What a resource path addresses."""
    __slots__ = ("group", "version", "resource", "namespace", "name", "sub", "watch_path")

    def __init__(self):
        self.group = self.version = self.resource = self.namespace = self.name = self.sub = None
        self.watch_path = False


def parse_resource_path(registry, group, version, rest):
    """rest = path segments after the group-version, e.g. ["namespaces","default","pods","x"].
    Returns a Route, or None when nothing is left to address."""
    r = Route()
    r.group, r.version = group, version
    if rest and rest[0] == "watch":
        r.watch_path, rest = True, rest[1:]
    if not rest:
        return None
    if rest[0] == "namespaces" and len(rest) >= 3:
        inner = registry.lookup(group, version, rest[2])
        if inner is not None and inner.namespaced:
            r.namespace, rest = rest[1], rest[2:]
    r.resource = rest[0]
    if len(rest) > 1:
        r.name = rest[1]
    if len(rest) > 2:
        r.sub = "/".join(rest[2:])
    return r


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "twill-test-apiserver"
    sys_version = ""

    # Filled per request for the request log.
    def _reset(self):
        self._log = {"user": None, "verb": None, "group": None, "resource": None,
                     "namespace": None, "name": None, "code": None}
        self._sent = False
        self._logged = False

    def log_message(self, fmt, *args):  # silence the default stderr access log
        pass

    # --- plumbing -------------------------------------------------------------------------

    def _send_json(self, code, obj, headers=None):
        body = json.dumps(obj, separators=(",", ":")).encode()
        # Log before answering: a client that reads the request log right after its
        # response must find the line there (tests count requests between two points).
        self._log["code"] = code
        self._write_log()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (headers or []):
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self._sent = True

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _json_body(self, raw, content_type):
        if not raw:
            raise errors.bad_request("the request body is empty")
        if content_type == "application/vnd.kubernetes.protobuf":
            try:
                return protobuf.decode(raw)
            except (ValueError, UnicodeDecodeError) as e:
                raise ApiError(415, "unsupported protobuf body: %s" % e, "UnsupportedMediaType")
        try:
            return json.loads(raw)
        except ValueError:
            # Only JSON is understood (kubectl sends apply-patch+yaml bodies as JSON, which
            # is YAML); the harness stays stdlib-only, so real YAML bodies are refused.
            raise errors.bad_request("the request body is not valid JSON")

    def _write_log(self):
        if self._logged:
            return
        self._logged = True
        rec = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) +
               ".%03dZ" % (int(time.time() * 1000) % 1000),
               "method": self.command, "path": self.path}
        rec.update(self._log)
        self.server.log_request_json(rec)

    def _client_gone(self):
        """True once the client closed a watch connection (it never sends more on it)."""
        sock = self.connection
        try:
            r, _, _ = select.select([sock], [], [], 0)
            if not r:
                return False
            sock.settimeout(0.05)
            try:
                data = sock.recv(1)
            finally:
                sock.settimeout(None)
            return data == b""
        except (ssl.SSLWantReadError, TimeoutError):
            return False
        except (OSError, ValueError):
            return True

    # --- entry points ------------------------------------------------------------------------

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _dispatch(self):
        self._reset()
        try:
            # Always consume the body first: on a keep-alive connection unread bytes would be
            # parsed as the next request after an early error (401, 404...).
            self._body = self._read_body()
            self._authenticate()
            self._route()
        except ApiError as e:
            if not self._sent:
                self._send_json(e.code, e.status())
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # a bug must become a 500 Status, never a dead connection
            if not self._sent:
                self._send_json(500, errors.status_object(500, "internal error: %r" % e,
                                                          "InternalError"))
            self.server.log_error_line("internal error on %s %s: %r" % (self.command, self.path, e))
        finally:
            self._write_log()

    def _authenticate(self):
        auth = self.headers.get("Authorization", "")
        user = None
        if auth.startswith("Bearer "):
            user = self.server.tokens.get(auth[7:].strip())
        if user is None:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        self._log["user"] = user

    def _route(self):
        u = urllib.parse.urlsplit(self.path)
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query, keep_blank_values=True).items()}
        parts = [urllib.parse.unquote(p) for p in u.path.split("/") if p]
        reg = self.server.registry
        if self.command in ("GET", "HEAD"):
            doc = self._discovery(reg, parts)
            if doc is not None:
                self._log["verb"] = "get"
                return self._send_json(200, doc)
        route = None
        if len(parts) >= 3 and parts[0] == "api" and parts[1] == "v1":
            route = parse_resource_path(reg, "", "v1", parts[2:])
        elif len(parts) >= 4 and parts[0] == "apis":
            route = parse_resource_path(reg, parts[1], parts[2], parts[3:])
        if route is not None:
            return self._resource(reg, route)
        raise ApiError(404, "the server could not find the requested resource", "NotFound",
                       {"causes": [{"reason": "UnexpectedServerResponse", "message": "404 page not found"}]})

    def _discovery(self, reg, parts):
        if parts == ["version"]:
            return discovery.VERSION
        if parts == ["healthz"] or parts == ["readyz"] or parts == ["livez"]:
            return {"status": "ok"}
        if parts == ["api"]:
            return discovery.api_versions(self.server.address_string)
        if parts == ["api", "v1"]:
            return discovery.resource_list(reg, "", "v1")
        if parts == ["apis"]:
            return discovery.api_group_list(reg)
        if len(parts) == 2 and parts[0] == "apis":
            doc = discovery.api_group(reg, parts[1])
            if doc is None:
                raise ApiError(404, "the server could not find the requested resource", "NotFound")
            return doc
        if len(parts) == 3 and parts[0] == "apis":
            doc = discovery.resource_list(reg, parts[1], parts[2])
            if doc is None:
                raise ApiError(404, "the server could not find the requested resource", "NotFound")
            return doc
        if parts == ["openapi", "v3"]:
            return discovery.openapi_index(reg)
        if len(parts) >= 4 and parts[:2] == ["openapi", "v3"]:
            if parts[2] == "api" and len(parts) == 4:
                doc = discovery.openapi_doc(reg, "", parts[3])
            elif parts[2] == "apis" and len(parts) == 5:
                doc = discovery.openapi_doc(reg, parts[3], parts[4])
            else:
                doc = None
            if doc is None:
                raise ApiError(404, "the server could not find the requested resource", "NotFound")
            return doc
        return None

    # --- resources -----------------------------------------------------------------------------

    def _resource(self, reg, route):
        rt = reg.lookup(route.group, route.version, route.resource)
        self._log.update(group=route.group, resource=route.resource, namespace=route.namespace,
                         name=route.name)
        if rt is None:
            raise ApiError(404, "the server could not find the requested resource", "NotFound")
        if route.sub not in (None, "status") or (route.sub == "status" and not rt.status_subresource):
            raise ApiError(404, "the server could not find the requested resource", "NotFound")
        if rt.namespaced and route.namespace is None and (route.name is not None or
                                                           self.command not in ("GET", "HEAD")):
            raise ApiError(404, "the server could not find the requested resource", "NotFound")
        q = self.query
        m = self.command
        watch = route.watch_path or _truthy(q.get("watch"))
        if m in ("GET", "HEAD") and watch and route.sub is None:
            self._log["verb"] = "watch"
            return self._watch(reg, rt, route)
        if m in ("GET", "HEAD"):
            if route.name is None:
                self._log["verb"] = "list"
                return self._list(reg, rt, route)
            self._log["verb"] = "get"
            return self._send_json(200, self._render(rt, reg.get(rt, route.namespace, route.name)))
        dry_run = q.get("dryRun") == "All"
        if q.get("dryRun") not in (None, "", "All"):
            raise errors.bad_request('unsupported dryRun value "%s"' % q.get("dryRun"))
        validation = q.get("fieldValidation") or "Warn"
        if validation not in ("Strict", "Warn", "Ignore"):
            raise errors.bad_request('invalid fieldValidation "%s"' % validation)
        if m == "DELETE":
            return self._delete(reg, rt, route, dry_run)
        ctype = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        raw = self._body
        self._log["verb"] = _WRITE_VERBS[m]
        if m == "POST":
            if route.name is not None:
                raise ApiError(405, "the server does not allow this method on the requested "
                               "resource", "MethodNotAllowed")
            obj = self._json_body(raw, ctype)
            created, warnings = reg.create(rt, route.namespace, obj, dry_run, validation)
            return self._send_json(201, created, self._warning_headers(warnings))
        if route.name is None:
            raise ApiError(405, "the server does not allow this method on the requested "
                           "resource", "MethodNotAllowed")
        if m == "PUT":
            obj = self._json_body(raw, ctype)
            updated, warnings = reg.update(rt, route.namespace, route.name, obj, dry_run,
                                           validation, route.sub)
            return self._send_json(200, updated, self._warning_headers(warnings))
        if ctype not in _PATCH_TYPES:
            raise ApiError(415, 'the body of the request was in an unknown format - accepted '
                           'media types include: ' + ", ".join(_PATCH_TYPES), "UnsupportedMediaType")
        body = self._json_body(raw, ctype)
        if ctype == "application/apply-patch+yaml":
            return self._apply(reg, rt, route, body, dry_run, validation)
        patched, warnings = reg.patch(rt, route.namespace, route.name, ctype, body, dry_run,
                                      validation, route.sub)
        return self._send_json(200, patched, self._warning_headers(warnings))

    def _apply(self, reg, rt, route, body, dry_run, validation):
        """Server-side apply, approximated: create if absent, else merge the applied config."""
        try:
            reg.get(rt, route.namespace, route.name)
        except ApiError as e:
            if e.code != 404:
                raise
            created, warnings = reg.create(rt, route.namespace, body, dry_run, validation)
            return self._send_json(201, created, self._warning_headers(warnings))
        patched, warnings = reg.patch(rt, route.namespace, route.name,
                                      "application/merge-patch+json", body, dry_run, validation,
                                      route.sub)
        return self._send_json(200, patched, self._warning_headers(warnings))

    @staticmethod
    def _warning_headers(warnings):
        return [("Warning", '299 - "%s"' % w.replace('"', '\\"')) for w in warnings]

    def _selectors(self, rt):
        try:
            ls = selection.parse_label_selector(self.query.get("labelSelector"))
            fs = selection.parse_field_selector(self.query.get("fieldSelector"))
        except ValueError as e:
            raise errors.bad_request(str(e))
        for p in fs.paths():
            if p not in rt.fields:
                raise errors.bad_request('field label not supported: %s' % p)
        return (None if ls.empty() else ls), (None if fs.empty() else fs)

    def _wants_table(self):
        accept = self.headers.get("Accept", "")
        first = accept.split(",")[0]
        return "as=Table" in first

    def _render(self, rt, obj):
        if self._wants_table():
            return discovery.table(rt, [obj], obj["metadata"]["resourceVersion"],
                                   self.query.get("includeObject", "Metadata"))
        return obj

    def _list(self, reg, rt, route):
        ls, fs = self._selectors(rt)
        try:
            limit = int(self.query.get("limit") or 0)
        except ValueError:
            raise errors.bad_request("limit must be an integer")
        items, rev, token = reg.list(rt, route.namespace, ls, fs, max(limit, 0),
                                     self.query.get("continue") or None,
                                     self.query.get("resourceVersion"),
                                     self.query.get("resourceVersionMatch"))
        if self._wants_table():
            return self._send_json(200, discovery.table(rt, items, rev, self.query.get(
                "includeObject", "Metadata"), token))
        md = {"resourceVersion": str(rev)}
        if token:
            md["continue"] = token
        return self._send_json(200, {"kind": rt.kind + "List", "apiVersion": rt.group_version,
                                     "metadata": md, "items": items})

    def _delete(self, reg, rt, route, dry_run):
        self._log["verb"] = "delete" if route.name else "deletecollection"
        raw = self._body
        precondition = None
        if raw:
            ctype = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
            opts = self._json_body(raw, ctype)
            rv = ((opts or {}).get("preconditions") or {}).get("resourceVersion")
            if rv:
                try:
                    precondition = int(rv)
                except ValueError:
                    raise errors.bad_request('invalid resourceVersion "%s"' % rv)
            dry_run = dry_run or "All" in ((opts or {}).get("dryRun") or [])
        if route.name is None:
            ls, fs = self._selectors(rt)
            items, _, _ = reg.list(rt, route.namespace, ls, fs)
            deleted = []
            for it in items:
                try:
                    deleted.append(reg.delete(rt, it["metadata"].get("namespace"),
                                              it["metadata"]["name"], None, dry_run))
                except ApiError as e:
                    if e.code != 404:
                        raise
            return self._send_json(200, {"kind": rt.kind + "List", "apiVersion": rt.group_version,
                                         "metadata": {}, "items": deleted})
        obj = reg.delete(rt, route.namespace, route.name, precondition, dry_run)
        return self._send_json(200, obj)

    def _watch(self, reg, rt, route):
        if route.name is not None:
            # Watching a named path is a watch with a metadata.name field selector.
            sel = self.query.get("fieldSelector")
            self.query["fieldSelector"] = "metadata.name=%s%s" % (route.name,
                                                                 "," + sel if sel else "")
        ls, fs = self._selectors(rt)
        q = self.query
        try:
            timeout = float(q.get("timeoutSeconds") or self.server.max_watch_seconds)
        except ValueError:
            raise errors.bad_request("timeoutSeconds must be a number")
        table = self._wants_table()
        include = q.get("includeObject", "Metadata")

        def send(ev):
            if table and ev["type"] in ("ADDED", "MODIFIED", "DELETED"):
                ev = {"type": ev["type"], "object": discovery.table(
                    rt, [ev["object"]], ev["object"]["metadata"]["resourceVersion"], include)}
            data = json.dumps(ev, separators=(",", ":")).encode() + b"\n"
            try:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                return True
            except (OSError, ValueError):
                return False

        # The first event may be far away: send the headers now so clients see the stream open.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()
        self._log["code"] = 200
        self._sent = True
        # Log a watch when it opens, not when it ends: a watch can outlive every
        # reader of the log (audit logs record RequestReceived for the same reason).
        self._write_log()
        try:
            serve_watch(reg, rt, route.namespace, send, ls, fs, q.get("resourceVersion"),
                        timeout, _truthy(q.get("allowWatchBookmarks")),
                        self.server.bookmark_interval, self._client_gone)
        except ApiError as e:
            # Headers are out already: report in-band like kube does.
            send({"type": "ERROR", "object": e.status()})
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, registry, tls_context, tokens, request_log_path,
                 max_watch_seconds=1800.0, bookmark_interval=10.0):
        super().__init__(addr, Handler)
        self.registry = registry
        self.tls_context = tls_context
        self.tokens = tokens
        self.max_watch_seconds = max_watch_seconds
        self.bookmark_interval = bookmark_interval
        self._log_lock = threading.Lock()
        self._log_file = open(request_log_path, "a", buffering=1) if request_log_path else None
        host, port = self.server_address[:2]
        self.address_string = "%s:%d" % (host, port)

    def get_request(self):
        sock, addr = super().get_request()
        # Headers and body go out in separate writes; without NODELAY, Nagle plus the
        # client's delayed ACK adds ~40 ms to every response.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # The TLS handshake runs lazily in the handler thread, so a slow client cannot stall
        # the accept loop.
        return self.tls_context.wrap_socket(sock, server_side=True,
                                            do_handshake_on_connect=False), addr

    def finish_request(self, request, client_address):
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass  # clients disconnecting mid-request are routine here

    def log_request_json(self, rec):
        if self._log_file is None:
            return
        line = json.dumps(rec, separators=(",", ":"))
        with self._log_lock:
            self._log_file.write(line + "\n")

    def log_error_line(self, msg):
        import sys
        sys.stderr.write("apiserver: %s\n" % msg)

    def server_close(self):
        super().server_close()
        if self._log_file:
            self._log_file.close()
            self._log_file = None
