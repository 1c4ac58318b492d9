"""Start/stop helpers around etcd and the API server, shared by pytest fixtures and lab/.

Contract:
  Etcd(): .start() / .stop(); .endpoint, .client (EtcdClient), .revision(),
          .compact(revision=None) (None = current revision).
  ApiServerProcess(etcd_endpoint, state_dir, prefix=None, extra_args=()): .start() runs
          run.py as a child process and waits for its READY line; .url, .ca_file, .token,
          .kubeconfig, .state_dir, .request_log; .kubectl(...), .request(...), .watch(...),
          .helm(...), .apply_crds(dir); .stop() terminates it (SIGTERM, then SIGKILL) and is idempotent.
Everything uses Debian's /usr/bin/python3 and the kubectl at /opt/twill-tools/bin (overridable
by TWILL_KUBECTL). Nothing here asserts; failures raise RuntimeError with the child's stderr.
"""

import glob
import http.client
import json
import os
import queue
import select
import ssl
import subprocess
import threading
import time
import uuid

from .etcd import EtcdProcess
from .etcdclient import EtcdClient

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PYTHON = "/usr/bin/python3"
KUBECTL = os.environ.get("TWILL_KUBECTL", "/opt/twill-tools/bin/kubectl")
HELM = os.environ.get("TWILL_HELM", "/opt/twill-tools/bin/helm")


class Etcd:
    def __init__(self):
        self._proc = EtcdProcess()
        self.endpoint = None
        self.client = None

    def start(self):
        self._proc.start()
        self.endpoint = self._proc.endpoint
        self.client = EtcdClient(self.endpoint)
        return self

    def revision(self):
        return self.client.revision()

    def compact(self, revision=None):
        return self.client.compact(revision)

    def stop(self):
        self._proc.stop()


class WatchStream:
    """A raw watch. next_event(timeout) -> event dict, or None on timeout or end of stream.
    A reader thread owns the socket, because http.client buffers and select() would lie."""

    def __init__(self, conn, resp):
        self._conn, self._resp = conn, resp
        self.status = resp.status
        self._q = queue.Queue()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        try:
            while True:
                line = self._resp.readline()
                if not line:
                    break
                line = line.strip()
                if line:
                    self._q.put(json.loads(line))
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass  # AttributeError: http.client racing with close() from another thread
        self._q.put(None)

    def next_event(self, timeout=10.0):
        try:
            ev = self._q.get(timeout=timeout)
        except queue.Empty:
            return None
        if ev is None:
            self._q.put(None)  # keep reporting the end
        return ev

    def close(self):
        try:
            if self._conn.sock is not None:
                self._conn.sock.shutdown(2)
        except OSError:
            pass
        self._conn.close()
        self._t.join(timeout=5)


class ApiServerProcess:
    def __init__(self, etcd_endpoint, state_dir, prefix=None, extra_args=()):
        self.etcd_endpoint = etcd_endpoint
        self.state_dir = str(state_dir)
        self.prefix = prefix or "/registry-" + uuid.uuid4().hex[:12]
        self.extra_args = list(extra_args)
        self.proc = None
        self.url = None
        self.ca_file = os.path.join(self.state_dir, "ca.crt")
        self.kubeconfig = os.path.join(self.state_dir, "kubeconfig")
        self.request_log = os.path.join(self.state_dir, "requests.log")
        self.token = None
        self._ssl = None

    def start(self, timeout=30.0):
        os.makedirs(self.state_dir, exist_ok=True)
        self._stderr = open(os.path.join(self.state_dir, "apiserver.stderr"), "ab")
        self.proc = subprocess.Popen(
            [PYTHON, os.path.join(HERE, "run.py"), "--etcd-endpoint", self.etcd_endpoint,
             "--state-dir", self.state_dir, "--port", "0", "--etcd-prefix", self.prefix]
            + self.extra_args,
            stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if r:
                line = self.proc.stdout.readline()
                if line.startswith(b"READY "):
                    break
                if not line:
                    break
            if self.proc.poll() is not None:
                break
        if not line.startswith(b"READY "):
            self.stop()
            err = open(os.path.join(self.state_dir, "apiserver.stderr"), "rb").read()
            raise RuntimeError("apiserver did not start: %s" % err.decode(errors="replace"))
        self.url = line.split()[1].decode()
        self.token = open(os.path.join(self.state_dir, "admin.token")).read().strip()
        self._ssl = ssl.create_default_context(cafile=self.ca_file)
        return self

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc.stdout.close()
            self._stderr.close()
            self.proc = None

    # --- clients -------------------------------------------------------------------------

    def _connect(self, timeout=30.0):
        host, port = self.url[len("https://"):].rsplit(":", 1)
        return http.client.HTTPSConnection(host, int(port), context=self._ssl, timeout=timeout)

    def request(self, method, path, body=None, headers=None, token=None, full=False):
        """-> (status, parsed JSON or text); (status, body, headers) when full=True.
        token=None uses the admin token; token="" sends no Authorization header."""
        hdrs = {"Accept": "application/json"}
        tok = self.token if token is None else token
        if tok:
            hdrs["Authorization"] = "Bearer " + tok
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        conn = self._connect()
        try:
            conn.request(method, path, data, hdrs)
            resp = conn.getresponse()
            raw = resp.read()
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw.decode(errors="replace")
            if full:
                return resp.status, parsed, resp.headers
            return resp.status, parsed
        finally:
            conn.close()

    def watch(self, path, token=None):
        """Open a watch stream on path (include ?watch=1 or a /watch/ path yourself)."""
        conn = self._connect(timeout=None)
        conn.request("GET", path, None, {"Authorization": "Bearer " + (token or self.token),
                                         "Accept": "application/json"})
        return WatchStream(conn, conn.getresponse())

    def kubectl(self, *args, input=None, check=True, timeout=60):
        cmd = [KUBECTL, "--kubeconfig=" + self.kubeconfig,
               "--cache-dir=" + os.path.join(self.state_dir, "kubectl-cache")] + list(args)
        cp = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
        if check and cp.returncode != 0:
            raise RuntimeError("%s failed (%d):\nstdout: %s\nstderr: %s"
                               % (" ".join(cmd), cp.returncode, cp.stdout, cp.stderr))
        return cp

    def helm(self, *args, check=True, timeout=120):
        """helm against this server, with helm's cache/config/data kept in the state dir."""
        env = dict(os.environ)
        for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
            env[var] = os.path.join(self.state_dir, "helm", var.split("_")[1].lower())
        cmd = [HELM, "--kubeconfig", self.kubeconfig] + list(args)
        cp = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        if check and cp.returncode != 0:
            raise RuntimeError("%s failed (%d):\nstdout: %s\nstderr: %s"
                               % (" ".join(cmd), cp.returncode, cp.stdout, cp.stderr))
        return cp

    def kubectl_popen(self, *args):
        """A long-running kubectl (e.g. get --watch); the caller must terminate it."""
        cmd = [KUBECTL, "--kubeconfig=" + self.kubeconfig,
               "--cache-dir=" + os.path.join(self.state_dir, "kubectl-cache")] + list(args)
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.DEVNULL)

    def crd_files(self, crd_dir=None):
        d = crd_dir or os.path.join(REPO, "charts", "twill", "crds")
        files = sorted(glob.glob(os.path.join(d, "*.yaml")))
        if not files:
            files = sorted(glob.glob(os.path.join(HERE, "testdata", "*crd*.yaml")))
        return files

    def apply_crds(self, crd_dir=None, timeout=30.0):
        """kubectl apply every CRD manifest, then wait until each is served. Returns the files."""
        files = self.crd_files(crd_dir)
        for f in files:
            self.kubectl("apply", "-f", f)
        deadline = time.monotonic() + timeout
        status, crds = self.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
        for crd in crds.get("items", []):
            spec = crd["spec"]
            for v in spec["versions"]:
                path = "/apis/%s/%s" % (spec["group"], v["name"])
                while True:
                    st, doc = self.request("GET", path)
                    if st == 200 and any(r["name"] == spec["names"]["plural"]
                                         for r in doc.get("resources", [])):
                        break
                    if time.monotonic() > deadline:
                        raise RuntimeError("CRD %s not served at %s" % (crd["metadata"]["name"], path))
                    time.sleep(0.1)
        return files
