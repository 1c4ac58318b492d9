"""Running commands and inspecting network namespaces.

Everything the lab does to the kernel goes through `ip`, always with `-n NS`
or `ip netns exec NS`: the lab never changes the machine's root namespace,
so a failed step can leave nothing behind outside the lab's namespaces.
"""

import json
import os
import subprocess


class CommandError(RuntimeError):
    pass


def run(*args, check=True, input=None, env=None, timeout=60):
    """Run a command; raise CommandError with its stderr when check and it fails."""
    try:
        cp = subprocess.run([str(a) for a in args], input=input, env=env, capture_output=True,
                            text=True, timeout=timeout)
    except FileNotFoundError as e:
        raise CommandError("%s: not found" % args[0]) from e
    except subprocess.TimeoutExpired as e:
        raise CommandError("%s: timed out after %ss" % (" ".join(map(str, args)), timeout)) from e
    if check and cp.returncode != 0:
        raise CommandError("%s failed (%d): %s" % (" ".join(map(str, args)), cp.returncode,
                                                   (cp.stderr or cp.stdout).strip()))
    return cp


def ip(ns, *args, check=True):
    """`ip` inside namespace ns (None means the root namespace, used read-only)."""
    base = ["ip"] + (["-n", ns] if ns else [])
    return run(*(base + list(args)), check=check)


def ip_json(ns, *args):
    out = ip(ns, "-j", *args, check=False).stdout.strip()
    try:
        return json.loads(out) if out else []
    except ValueError:
        return []


def netns_exec(ns, *args, check=True, timeout=60):
    return run("ip", "netns", "exec", ns, *args, check=check, timeout=timeout)


def netns_list():
    """Names of the named network namespaces (/run/netns)."""
    out = run("ip", "-j", "netns", "list", check=False).stdout.strip()
    try:
        return [n["name"] for n in json.loads(out)] if out else []
    except ValueError:
        return []


def netns_exists(ns):
    return os.path.exists(os.path.join("/run/netns", ns))


def netns_pids(ns):
    out = run("ip", "netns", "pids", ns, check=False).stdout.split()
    return [int(p) for p in out if p.isdigit()]


def netns_add(ns):
    """A fresh namespace with loopback up."""
    run("ip", "netns", "add", ns)
    ip(ns, "link", "set", "lo", "up")


def netns_del(ns):
    if netns_exists(ns):
        run("ip", "netns", "del", ns, check=False)


def sysctl(ns, key, value):
    netns_exec(ns, "sysctl", "-qw", "%s=%s" % (key, value))


def links(ns):
    return {link["ifname"]: link for link in ip_json(ns, "link", "show")}
