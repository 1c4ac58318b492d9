"""Shared helpers for twill benchmarks (bench/<name>/run); the contract is bench/README.md.

A bench collects samples, turns them into rows with row(), prints them with print_table() and
writes the results file with write_json(). Everything here is pure Python stdlib so a bench
runs on Debian's /usr/bin/python3 without extra packages.

Row semantics: `ratio` is figure / reference (both in `unit`); `goal` bounds the ratio by
default ("goal_on": "ratio"), e.g. goal 0.8 with goal_op "<=" means "at most 0.8x the
reference"; a bench with an absolute goal sets goal_on="figure". A row without a goal has
goal, goal_op and pass all null: it is reported, not judged.
"""

import argparse
import datetime
import json
import math
import os
import platform
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GOAL_OPS = ("<=", ">=")


class BenchError(Exception):
    """The bench cannot run (missing binary, not root, setup failed): exit non-zero."""


# -- statistics ----------------------------------------------------------------------------

def percentile(values, p):
    """The p-th percentile (0..100) by linear interpolation between closest ranks (the same
    definition as numpy's default), so p50 of an even count is the mean of the middle two.
    Raises ValueError on no samples: a row from zero samples would be a lie."""
    if not values:
        raise ValueError("percentile of no samples")
    if not 0 <= p <= 100:
        raise ValueError("percentile %r outside 0..100" % p)
    s = sorted(values)
    pos = (len(s) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def p50(values):
    return percentile(values, 50)


def p99(values):
    return percentile(values, 99)


# -- rows ----------------------------------------------------------------------------------

def judge(figure, reference, goal, goal_op, goal_on="ratio"):
    """-> True/False when there is a goal, None when there is none."""
    if goal is None:
        return None
    if goal_op not in GOAL_OPS:
        raise ValueError("goal_op must be one of %s, not %r" % (GOAL_OPS, goal_op))
    if goal_on == "ratio":
        if reference in (None, 0):
            return None
        value = figure / reference
    else:
        value = figure
    return value <= goal if goal_op == "<=" else value >= goal


def row(name, unit, figure, reference, reference_name, goal=None, goal_op=None,
        goal_on="ratio"):
    """One result row as the contract spells it. `reference` may be None only for a figure
    that has no reference measurement at all (then ratio and pass are None)."""
    figure = float(figure)
    reference = None if reference is None else float(reference)
    ratio = figure / reference if reference else None
    r = {"name": name, "unit": unit, "figure": figure, "reference": reference,
         "reference_name": reference_name, "ratio": ratio, "goal": goal,
         "goal_op": goal_op if goal is not None else None,
         "pass": judge(figure, reference, goal, goal_op, goal_on)}
    if goal is not None and goal_on != "ratio":
        r["goal_on"] = goal_on
    return r


def goal_text(r):
    if r.get("goal") is None:
        return "-"
    if r.get("goal_on", "ratio") == "ratio":
        return "%s %gx" % (r["goal_op"], r["goal"])
    return "%s %g %s" % (r["goal_op"], r["goal"], r.get("unit", ""))


def pass_text(r):
    return {True: "PASS", False: "FAIL", None: "-"}[r.get("pass")]


def fmt_num(v):
    if v is None:
        return "-"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1000:
        return "%.0f" % v
    if a >= 100:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    return "%.3g" % v


def fmt_ratio(v):
    return "-" if v is None else "%.2fx" % v


# -- output --------------------------------------------------------------------------------

def format_table(headers, lines, left=1):
    """A plain aligned text table: the first `left` columns left-aligned, numbers right."""
    widths = [len(h) for h in headers]
    for ln in lines:
        widths = [max(w, len(str(c))) for w, c in zip(widths, ln)]

    def one(cells):
        out = []
        for i, (c, w) in enumerate(zip(cells, widths)):
            out.append(str(c).ljust(w) if i < left else str(c).rjust(w))
        return "  ".join(out).rstrip()
    sep = "  ".join("-" * w for w in widths)
    return "\n".join([one(headers), sep] + [one(ln) for ln in lines])


def rows_table(rows):
    headers = ["row", "figure", "reference", "ratio", "goal", "result"]
    lines = []
    for r in rows:
        unit = r.get("unit", "")
        lines.append([r["name"], "%s %s" % (fmt_num(r["figure"]), unit),
                      "%s %s (%s)" % (fmt_num(r["reference"]), unit, r.get("reference_name"))
                      if r.get("reference") is not None else "-",
                      fmt_ratio(r.get("ratio")), goal_text(r), pass_text(r)])
    return format_table(headers, lines)


def print_table(title, rows, notes=(), out=sys.stdout):
    print("== %s ==" % title, file=out)
    print(rows_table(rows), file=out)
    for n in notes:
        print("note: %s" % n, file=out)
    out.flush()


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_mib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def machine_info():
    u = os.uname()
    return {"cpu_model": _cpu_model(), "cores": os.cpu_count(), "kernel": u.release,
            "arch": u.machine, "memory_mib": _mem_total_mib(), "hostname": u.nodename}


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def results_doc(bench, rows, notes=(), config=None):
    doc = {"bench": bench, "date": now_utc(), "machine": machine_info(), "rows": list(rows),
           "notes": list(notes)}
    if config is not None:
        doc["config"] = config
    return doc


def write_json(path, doc):
    """Write atomically (temp file + rename) so a reader never sees half a results file."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


# -- command line --------------------------------------------------------------------------

def arg_parser(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--quick", action="store_true",
                    help="small sizes: proves the bench works, figures are noisy")
    ap.add_argument("--json", metavar="PATH", help="write the results document here")
    return ap


def build_dir():
    """Where the C programs are: $TWILL_BUILD_DIR, else the first of build-bench (an
    optimised build, see bench/README.md), build-release, build that exists."""
    env = os.environ.get("TWILL_BUILD_DIR")
    if env:
        return env
    for name in ("build-bench", "build-release", "build"):
        d = os.path.join(REPO, name)
        if os.path.isdir(d):
            return d
    return os.path.join(REPO, "build")


def require_root():
    if os.geteuid() != 0:
        raise BenchError("needs root (it creates network namespaces)")


def main_wrapper(bench, fn):
    """Run fn() -> None; turn BenchError/KeyboardInterrupt into a message and exit code."""
    try:
        fn()
    except BenchError as e:
        print("%s: cannot run: %s" % (bench, e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("%s: interrupted" % bench, file=sys.stderr)
        return 130
    return 0


# -- validation (bench/run and the smoke test) ----------------------------------------------

ROW_KEYS = ("name", "unit", "figure", "reference", "reference_name", "ratio", "goal",
            "goal_op", "pass")


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def validate_doc(doc, bench=None):
    """-> list of problems with a results document (empty when it follows the contract)."""
    problems = []
    if not isinstance(doc, dict):
        return ["results document is not a JSON object"]
    for k in ("bench", "machine", "rows", "notes"):
        if k not in doc:
            problems.append("missing key %r" % k)
    if bench is not None and doc.get("bench") != bench:
        problems.append("bench is %r, expected %r" % (doc.get("bench"), bench))
    if not isinstance(doc.get("notes", []), list):
        problems.append("notes is not a list")
    if not isinstance(doc.get("machine", {}), dict):
        problems.append("machine is not an object")
    rows = doc.get("rows")
    if not isinstance(rows, list) or not rows:
        problems.append("rows is empty or not a list")
        return problems
    for i, r in enumerate(rows):
        where = "rows[%d]" % i
        if not isinstance(r, dict):
            problems.append("%s is not an object" % where)
            continue
        missing = [k for k in ROW_KEYS if k not in r]
        if missing:
            problems.append("%s lacks %s" % (where, ", ".join(missing)))
            continue
        where = "rows[%d] (%s)" % (i, r["name"])
        if not isinstance(r["name"], str) or not r["name"]:
            problems.append("%s: name is not a non-empty string" % where)
        if not _num(r["figure"]) or r["figure"] < 0:
            problems.append("%s: figure %r is not a non-negative number" % (where, r["figure"]))
        if r["reference"] is not None:
            if not _num(r["reference"]) or r["reference"] <= 0:
                problems.append("%s: reference %r is not positive" % (where, r["reference"]))
            elif not _num(r["ratio"]) or \
                    abs(r["ratio"] - r["figure"] / r["reference"]) > 1e-9 * max(1.0, r["ratio"]):
                problems.append("%s: ratio %r != figure/reference" % (where, r["ratio"]))
        if r["goal"] is None:
            if r["goal_op"] is not None or r["pass"] is not None:
                problems.append("%s: goal_op/pass set without a goal" % where)
        else:
            if not _num(r["goal"]):
                problems.append("%s: goal %r is not a number" % (where, r["goal"]))
            if r["goal_op"] not in GOAL_OPS:
                problems.append("%s: goal_op %r not in %s" % (where, r["goal_op"], GOAL_OPS))
            elif _num(r["goal"]):
                want = judge(r["figure"], r["reference"], r["goal"], r["goal_op"],
                             r.get("goal_on", "ratio"))
                if r["pass"] is not want:
                    problems.append("%s: pass %r disagrees with the goal (%r)"
                                    % (where, r["pass"], want))
    return problems


def iperf(client_ns, server_ns, dst, seconds):
    """One iperf3 run (one TCP stream) -> received Gbit/s."""
    srv = subprocess.Popen(["ip", "netns", "exec", server_ns, "iperf3", "-s", "-1", "-B", dst],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        for _ in range(50):  # until the server listens
            p = subprocess.run(["ip", "netns", "exec", client_ns, "iperf3", "-c", dst, "-t",
                                str(seconds), "-J"], capture_output=True, text=True,
                               timeout=seconds + 60)
            try:
                doc = json.loads(p.stdout)
            except ValueError:
                doc = {"error": p.stdout[-300:] + p.stderr[-300:]}
            if p.returncode == 0 and "sum_received" in doc.get("end", {}):
                return doc["end"]["sum_received"]["bits_per_second"] / 1e9
            err = str(doc.get("error", ""))
            if "refused" not in err or srv.poll() is not None:
                raise BenchError("iperf3 to %s failed: %s" % (dst, err))
            time.sleep(0.1)
        raise BenchError("iperf3 server on %s never listened" % dst)
    finally:
        if srv.poll() is None:
            os.killpg(srv.pid, signal.SIGKILL)
        srv.wait(timeout=10)
