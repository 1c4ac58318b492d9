"""A lab: its name, directory, namespace names and state file.

All of a lab's state lives in one directory (default <repo>/.lab/<name>):
lab.json (topology, nodes, API endpoint, pods), procs/ (one record per
process), logs, the API server's and etcd's data, and one directory per
node laid out like the node's filesystem (etc/cni/net.d, opt/cni/bin, ...).
Every namespace is named `twl-<name>-...`, so `down` finds leftovers by
prefix even when lab.json is gone. Commands that change lab.json take an
exclusive flock on <dir>.lock (outside the directory, so `down` can remove
the directory while holding it).
"""

import fcntl
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
NAME_RE = re.compile(r"^[a-z0-9]{1,8}$")


class LabError(RuntimeError):
    """A user-facing failure: main() prints the message and exits 1."""


def build_dir():
    return os.environ.get("TWILL_BUILD_DIR", os.path.join(REPO, "build-release"))


class Lab:
    def __init__(self, name="lab", state_dir=None):
        if not NAME_RE.match(name):
            raise LabError("lab name %r: use 1-8 characters a-z 0-9 (it is part of "
                           "namespace names)" % name)
        self.name = name
        self.dir = os.path.abspath(state_dir or os.path.join(REPO, ".lab", name))
        self.procs_dir = os.path.join(self.dir, "procs")
        self.state_path = os.path.join(self.dir, "lab.json")
        self.prefix = "twl-%s-" % name
        self._lock_fd = None

    # -- names ------------------------------------------------------------------
    @property
    def net_ns(self):
        """The lab network's namespace: bridge(s), gateway, router (FRR)."""
        return self.prefix + "net"

    def node_ns(self, node):
        return self.prefix + node

    def pod_ns(self, namespace, pod):
        return "%sp-%s.%s" % (self.prefix, namespace, pod)

    def node_dir(self, node):
        return os.path.join(self.dir, "nodes", node)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    # -- the directory -------------------------------------------------------------
    MARK = ".twill-lab"

    def is_lab_dir(self):
        """True if the directory is missing, empty, or made by the lab. `down`
        removes the directory recursively, so a mistyped --state-dir pointing
        at anything else must never qualify."""
        try:
            entries = os.listdir(self.dir)
        except FileNotFoundError:
            return True
        return not entries or self.MARK in entries

    def make_dir(self):
        if not self.is_lab_dir():
            raise LabError("%s exists and is not a lab directory (no %s in it); pick another "
                           "--state-dir" % (self.dir, self.MARK))
        os.makedirs(self.dir, exist_ok=True)
        with open(os.path.join(self.dir, self.MARK), "w") as f:
            f.write("twill-lab %s\n" % self.name)

    # -- state --------------------------------------------------------------------
    def exists(self):
        return os.path.exists(self.state_path)

    def load(self):
        try:
            with open(self.state_path) as f:
                return json.load(f)
        except FileNotFoundError:
            raise LabError("lab %r is not up (no %s); run `twill-lab up`"
                           % (self.name, self.state_path)) from None
        except ValueError as e:
            raise LabError("%s is corrupt (%s); run `twill-lab down`" % (self.state_path, e)) \
                from None

    def save(self, state):
        tmp = self.state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, self.state_path)

    def lock(self):
        """Serialise state changes between concurrent twill-lab commands."""
        os.makedirs(os.path.dirname(self.dir), exist_ok=True)
        fd = os.open(self.dir + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._lock_fd = fd
        return self

    def unlock(self):
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self):
        return self.lock()

    def __exit__(self, *exc):
        self.unlock()
