"""One `twill-ipam serve` process for tests and benches (the node-local IPAM server,
docs/ipam.md): started with its log in a file, ready once its socket exists, its workers
listed from /proc, stopped with SIGTERM (SIGKILL after `timeout`). FakeIpamServer stands in
for one where a test needs an answer no real server gives."""

import os
import signal
import socket
import subprocess
import threading
import time


class IpamServer:
    def __init__(self, binary, socket, log, args=(), prefix=(), timeout=30):
        """prefix: argv before the binary (e.g. nsenter into a node namespace)."""
        self.path, self.log_path, self.timeout = socket, log, timeout
        with open(log, "w") as f:
            self.proc = subprocess.Popen(list(prefix) + [binary, "serve", "--socket=" + socket] +
                                         list(args), stdout=f, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not os.path.exists(socket):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("twill-ipam serve did not start: " + self.log())
            time.sleep(0.02)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def children(self):
        """The worker pids (none once the server has gone)."""
        pid = self.proc.pid
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                return [int(p) for p in f.read().split()]
        except FileNotFoundError:
            return []

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class FakeIpamServer:
    """A stand-in for the server on a Unix socket: reads each request to EOF, records it
    (.got) and answers answer(request bytes) -> reply bytes, or None to close without a
    word. close() stops it (the socket file stays; unlink it to make room)."""

    def __init__(self, path, answer):
        self.ls = socket.socket(socket.AF_UNIX)
        self.ls.bind(path)
        self.ls.listen(16)
        self.answer = answer
        self.got = []
        self.t = threading.Thread(target=self.serve, daemon=True)
        self.t.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.ls.accept()
            except OSError:
                return
            data = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            self.got.append(data)
            reply = self.answer(data)
            if reply:
                conn.sendall(reply)
            conn.close()

    def close(self):
        try:
            self.ls.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.ls.close()
        self.t.join(10)

    def requests(self):
        """(env names, env dict, body) of each request."""
        out = []
        for req in self.got:
            assert req.startswith(b"TWIPAM1\n"), req[:40]
            env_block, _, body = req[8:].partition(b"\0\0")
            env = dict(e.decode().split("=", 1) for e in env_block.split(b"\0") if e)
            out.append((sorted(env), env, body))
        return out
