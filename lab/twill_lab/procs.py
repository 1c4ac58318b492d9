"""Detached processes the lab starts, recorded so `down` can find them later.

A record is (pid, start time from /proc/PID/stat, argv) in procs/<role>.json
in the lab directory. The start time makes the record safe after a crash or
reboot: a pid that was reused by an unrelated process has another start time
and is never signalled. Processes run in their own session (setsid), so
`twill-lab up` can exit while they keep running, and their output goes to a
log file in the lab directory, never to a pipe that could fill or break.
"""

import glob
import json
import os
import signal
import subprocess
import time

# Set in the environment of every process the lab starts: the mark `down`
# recognises them by when the records are gone (a plain variable name that
# no user shell has, with the lab directory as its value).
OWNER_VAR = "TWILL_LAB_OWNER"


def start_time(pid):
    """Field 22 of /proc/PID/stat (clock ticks since boot), or None if gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return None
    # comm (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = stat[stat.rfind(")") + 2:].split()
    return int(fields[19])


def alive(pid, started=None):
    st = start_time(pid)
    if st is None:
        return False
    if started is not None and st != started:
        return False
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("State:"):
                    return "Z" not in line.split()[1]
    except OSError:
        return False
    return True


def spawn(lab, role, argv, log_path, env=None, netns=None, cwd=None):
    """Start argv detached (inside netns when given) and record it under role."""
    cmd = (["ip", "netns", "exec", netns] if netns else []) + [str(a) for a in argv]
    env = dict(os.environ if env is None else env)
    env[OWNER_VAR] = lab.dir
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                env=env, cwd=cwd)
    # `ip netns exec` execs the program, so the pid stays the program's.
    rec = {"role": role, "pid": proc.pid, "start": start_time(proc.pid), "argv": cmd,
           "netns": netns, "log": log_path}
    os.makedirs(lab.procs_dir, exist_ok=True)
    with open(os.path.join(lab.procs_dir, role + ".json"), "w") as f:
        json.dump(rec, f)
    proc.returncode = 0  # never reaped here; silence Popen's ResourceWarning on exit
    return rec


def records(lab):
    recs = []
    for path in sorted(glob.glob(os.path.join(lab.procs_dir, "*.json"))):
        try:
            with open(path) as f:
                recs.append(json.load(f))
        except (OSError, ValueError):
            continue
    return recs


def record(lab, role):
    try:
        with open(os.path.join(lab.procs_dir, role + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def running(rec):
    return rec is not None and alive(rec["pid"], rec.get("start"))


def _signal(pid, sig):
    """Signal pid, and its whole process group when it leads one: spawn()
    starts every process in a session of its own, and what it forks (the
    twill-node felix wrapper's token refresher) must go with it, as it would
    with its container."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
            return
    except (ProcessLookupError, PermissionError):
        pass
    os.kill(pid, sig)


def terminate(pids, grace=5.0):
    """SIGTERM each (pid, start) pair, wait up to grace seconds, then SIGKILL."""
    pending = []
    for pid, started in pids:
        if alive(pid, started):
            try:
                _signal(pid, signal.SIGTERM)
                pending.append((pid, started))
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    while pending and time.monotonic() < deadline:
        pending = [(p, s) for p, s in pending if alive(p, s)]
        time.sleep(0.05)
    for pid, started in pending:
        if alive(pid, started):
            try:
                _signal(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and any(alive(p, s) for p, s in pending):
        time.sleep(0.05)


def stop_role(lab, role):
    rec = record(lab, role)
    if rec is not None:
        terminate([(rec["pid"], rec.get("start"))])
        try:
            os.unlink(os.path.join(lab.procs_dir, role + ".json"))
        except OSError:
            pass


def processes_mentioning(text, by_argv=True):
    """(pid, start) of processes with an argument that is the directory text
    or a path under it (by_argv), or whose environment has OWNER_VAR=text.
    Used by `down` after a crash that lost the records: every process the lab
    starts carries OWNER_VAR, inherited by its children (bird -p, birdc), and
    most also name a path in the lab directory in argv."""
    found = []
    spared = _ancestors()
    for d in glob.glob("/proc/[0-9]*"):
        pid = int(os.path.basename(d))
        if pid in spared:
            continue
        try:
            with open(d + "/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        if not (by_argv and any(a == text or a.startswith(text + "/") for a in argv)):
            try:
                with open(d + "/environ", "rb") as f:
                    environ = f.read().split(b"\0")
            except OSError:
                environ = []
            if (OWNER_VAR + "=" + text).encode() not in environ:
                continue
        # The CLI itself (another `twill-lab status` for instance) is not the lab's.
        if not any(os.path.basename(a) == "twill-lab" for a in argv[:2]):
            found.append((pid, start_time(pid)))
    return found


def _ancestors():
    """This process and its ancestors, which must survive a cleanup they run."""
    pids, pid = set(), os.getpid()
    while pid > 1 and pid not in pids:
        pids.add(pid)
        try:
            with open("/proc/%d/stat" % pid) as f:
                stat = f.read()
            pid = int(stat[stat.rfind(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids
