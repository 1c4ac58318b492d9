"""Start and stop a throw-away etcd for tests and the lab.

Contract: EtcdProcess.start() launches Debian's `etcd` on free loopback client and peer
ports with a fresh temporary data directory and returns once /health answers true;
stop() kills it and removes the data directory, and is safe to call twice. Nothing is
left behind when start() fails half-way. Run as a script it starts etcd, prints
`READY http://127.0.0.1:PORT` and runs until SIGTERM/SIGINT.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    """A loopback TCP port that was free a moment ago (the usual small race applies)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EtcdProcess:
    def __init__(self, binary="etcd", data_dir=None, log_path=None):
        self.binary = binary
        self._own_dir = data_dir is None
        self.data_dir = data_dir
        self.log_path = log_path
        self.proc = None
        self.endpoint = None
        self._log = None

    def start(self, timeout=30.0):
        # Ports can be stolen between free_port() and etcd's bind: retry a few times.
        last = None
        for _ in range(5):
            try:
                self._start_once(timeout)
                return self
            except RuntimeError as e:
                last = e
                self.stop()
        raise RuntimeError("etcd did not start: %s" % last)

    def _start_once(self, timeout):
        if self._own_dir:
            self.data_dir = tempfile.mkdtemp(prefix="twill-etcd-")
        client, peer = free_port(), free_port()
        self.endpoint = "http://127.0.0.1:%d" % client
        peer_url = "http://127.0.0.1:%d" % peer
        log_path = self.log_path or os.path.join(self.data_dir, "etcd.log")
        self._log = open(log_path, "ab")
        args = [self.binary, "--name", "twill-test",
                "--data-dir", os.path.join(self.data_dir, "data"),
                "--listen-client-urls", self.endpoint,
                "--advertise-client-urls", self.endpoint,
                "--listen-peer-urls", peer_url,
                "--initial-advertise-peer-urls", peer_url,
                "--initial-cluster", "twill-test=" + peer_url,
                "--unsafe-no-fsync",  # test data: durability is not worth the fsync latency
                "--log-level", "warn"]
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("etcd exited with %d (log %s)" % (self.proc.returncode, log_path))
            try:
                with urllib.request.urlopen(self.endpoint + "/health", timeout=1) as r:
                    if b'"true"' in r.read():
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("etcd not healthy after %.0fs (log %s)" % (timeout, log_path))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._own_dir and self.data_dir and os.path.isdir(self.data_dir):
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main():
    etcd = EtcdProcess()
    etcd.start()
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    print("READY " + etcd.endpoint, flush=True)
    try:
        while not stop and etcd.proc.poll() is None:
            time.sleep(0.2)
    finally:
        etcd.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
