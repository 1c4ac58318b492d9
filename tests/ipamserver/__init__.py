"""One `twill-ipam serve` process for tests and benches (the node-local IPAM server,
docs/ipam.md): started with its log in a file, ready once its socket exists, its workers
listed from /proc, stopped with SIGTERM (SIGKILL after `timeout`)."""

import os
import signal
import subprocess
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
