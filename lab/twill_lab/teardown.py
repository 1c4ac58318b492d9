"""`down`: remove everything a lab made, whether it exited cleanly or not.

Order matters. First every recorded process (pid + start time, so a reused
pid is never hit), then any root-namespace process whose command line names
the lab directory (records lost in a crash), then, for each namespace named
with the lab's prefix (pods first, the network last), the processes still
inside it (`ip netns pids`) and the namespace itself, which takes its
interfaces, routes and bridge with it. Last the lab directory and its lock.
Each step tolerates its object being gone, so down is idempotent.
"""

import os
import shutil

from . import procs, sh


def leftovers(lab):
    """What down would remove: (namespaces, processes, directory exists)."""
    nss = [n for n in sh.netns_list() if n.startswith(lab.prefix)]
    recs = [r for r in procs.records(lab) if procs.running(r)] if os.path.isdir(lab.dir) else []
    pids = {r["pid"] for r in recs} | {p for p, _ in procs.processes_mentioning(
        lab.dir, by_argv=lab.is_lab_dir())}
    return nss, sorted(pids), os.path.isdir(lab.dir)


def _ns_order(lab, name):
    if name == lab.net_ns:
        return 2
    return 0 if name.startswith(lab.prefix + "p-") else 1


def down(lab, say=print):
    with lab:
        if os.path.isdir(lab.procs_dir):
            recs = procs.records(lab)
            procs.terminate([(r["pid"], r.get("start")) for r in recs])
        # A directory that is not the lab's proves nothing about who names it.
        stray = procs.processes_mentioning(lab.dir, by_argv=lab.is_lab_dir())
        if stray:
            say("down: stopping %d unrecorded process(es) of this lab" % len(stray))
            procs.terminate(stray)
        nss = sorted((n for n in sh.netns_list() if n.startswith(lab.prefix)),
                     key=lambda n: (_ns_order(lab, n), n))
        for ns in nss:
            inside = [(p, procs.start_time(p)) for p in sh.netns_pids(ns)]
            if inside:
                procs.terminate(inside, grace=3.0)
            sh.netns_del(ns)
        left = [n for n in sh.netns_list() if n.startswith(lab.prefix)]
        if lab.is_lab_dir():
            shutil.rmtree(lab.dir, ignore_errors=True)
        else:
            say("down: %s is not a lab directory (no %s); left in place" % (lab.dir, lab.MARK))
        try:
            os.unlink(lab.dir + ".lock")
        except FileNotFoundError:
            pass
    if left:
        raise RuntimeError("namespaces could not be removed: %s" % ", ".join(left))
    return len(nss)
