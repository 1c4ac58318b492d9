"""The benchmarks still work: each bench/*/run --quick produces a well-formed results file.

Never asserts a timing (DESIGN.md 8): only that a bench runs, exits 0, and writes rows that
follow bench/README.md's contract (numbers positive, ratio = figure/reference, pass agrees
with the goal). bench/run's collection and "did not run" reporting is tested with fake
benches, and the statistics helpers with known inputs; those need no root.
"""

import json
import os
import stat
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(REPO, "bench")
sys.path.insert(0, os.path.join(BENCH, "lib"))

import benchlib  # noqa: E402

PYTHON = "/usr/bin/python3"


def benches():
    return [n for n in sorted(os.listdir(BENCH))
            if os.access(os.path.join(BENCH, n, "run"), os.X_OK)
            and os.path.isfile(os.path.join(BENCH, n, "run"))]


def netns_leftovers(prefix):
    try:
        return [n for n in os.listdir("/run/netns") if n.startswith(prefix)]
    except OSError:
        return []


# -- every bench, tiny sizes (root) -----------------------------------------------------------

def run_quick(name, tmp_path, *extra):
    """bench/NAME/run --quick: exits 0 and writes a results file that follows the contract.
    Skips when the bench says it cannot run because something is not built."""
    out = tmp_path / ("%s.json" % name)
    p = subprocess.run([os.path.join(BENCH, name, "run"), "--quick", "--json", str(out)]
                       + list(extra), capture_output=True, text=True, timeout=1200)
    if p.returncode == 2 and "cannot run" in p.stderr and "not built" in p.stderr:
        pytest.skip("bench %s: %s" % (name, p.stderr.strip().splitlines()[-1]))
    assert p.returncode == 0, "bench %s failed:\n%s\n%s" % (name, p.stdout[-3000:],
                                                           p.stderr[-3000:])
    doc = json.loads(out.read_text())
    assert benchlib.validate_doc(doc, bench=name) == []
    for r in doc["rows"]:
        assert r["figure"] > 0, r
        if r["reference"] is not None:
            assert r["reference"] > 0, r
            assert r["ratio"] == pytest.approx(r["figure"] / r["reference"]), r
    assert doc["machine"]["cores"] >= 1 and doc["machine"]["kernel"]
    assert doc["rows"][0]["name"] in p.stdout  # its own table is printed too
    return doc


# -- every bench, tiny sizes (root) -----------------------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="benches need root (netns)")


@needs_root
@pytest.mark.parametrize("name", [n for n in benches() if n != "cni"])
def test_bench_quick_run(name, tmp_path):
    run_quick(name, tmp_path)


@needs_root
def test_cni_rows(tmp_path):
    """The CNI bench (smaller still than --quick): both twill variants (or a note why not)
    vs the reference, the ADD p50 goal, the ready and burst rows, no namespace left."""
    doc = run_quick("cni", tmp_path, "--pods", "4", "--burst", "2")
    names = {r["name"]: r for r in doc["rows"]}
    for variant in ("twill-cni+host-local", "twill-cni+twill-ipam"):
        if not any(n.startswith(variant + ":") for n in names):
            assert any(variant in note for note in doc["notes"]), (variant, doc["notes"])
            continue
        add = names[variant + ": ADD p50"]
        assert add["goal"] == 0.8 and add["goal_op"] == "<=" and add["pass"] in (True, False)
        assert add["reference_name"] == "bridge+host-local"
        for label in ("ADD p99", "DEL p50", "DEL p99", "ADD start -> first ping reply p50",
                      "burst x2 ADD p50", "burst x2 DEL p99"):
            assert variant + ": " + label in names, label
        # dataplane ready cannot come before ADD returned
        assert names[variant + ": ADD start -> first ping reply p50"]["figure"] >= add["figure"]
    assert any(n.startswith("twill-cni+host-local:") for n in names)
    assert doc["config"]["pods"] == 4 and doc["config"]["burst"] == 2
    assert netns_leftovers("twb") == []


# -- bench/run with fake benches (no root) ------------------------------------------------------

GOOD = """#!/bin/sh
# writes a valid result to the path after --json
while [ $# -gt 0 ]; do [ "$1" = --json ] && out=$2; shift; done
echo "good: my own table"
cat > "$out" <<'EOF'
{"bench": "good", "machine": {"cores": 1}, "notes": [],
 "rows": [{"name": "x p50", "unit": "ms", "figure": 2.0, "reference": 4.0,
           "reference_name": "ref", "ratio": 0.5, "goal": 0.8, "goal_op": "<=",
           "pass": true}]}
EOF
"""
FAILS = "#!/bin/sh\necho 'needs a thing we do not have' >&2\nexit 3\n"
SILENT = "#!/bin/sh\nexit 0\n"
MALFORMED = """#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = --json ] && out=$2; shift; done
echo '{"bench": "malformed", "machine": {}, "notes": [], "rows": [{"name": "y",
 "unit": "ms", "figure": 3.0, "reference": 1.0, "reference_name": "r", "ratio": 9.0,
 "goal": null, "goal_op": null, "pass": null}]}' > "$out"
"""


def fake_benches(root):
    for name, text in (("good", GOOD), ("fails", FAILS), ("silent", SILENT),
                       ("malformed", MALFORMED)):
        d = root / name
        d.mkdir()
        f = d / "run"
        f.write_text(text)
        f.chmod(f.stat().st_mode | stat.S_IXUSR)
    (root / "lib").mkdir()  # no run: not a bench


def test_bench_run_collects_and_reports_failures(tmp_path):
    root = tmp_path / "benches"
    root.mkdir()
    fake_benches(root)
    out = tmp_path / "results.json"
    p = subprocess.run([PYTHON, os.path.join(BENCH, "run"), "--bench-dir", str(root),
                        "--quick", "--out", str(out)], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 1, p.stdout + p.stderr  # some did not run
    assert "good: my own table" in p.stdout
    table = p.stdout.split("== all benchmarks")[1]
    assert "x p50" in table and "0.50x" in table and "PASS" in table
    doc = json.loads(out.read_text())
    assert list(doc["benches"]) == ["good"]
    assert set(doc["did_not_run"]) == {"fails", "silent", "malformed"}
    assert "exit status 3" in doc["did_not_run"]["fails"]
    assert "needs a thing" in doc["did_not_run"]["fails"]
    assert "no JSON" in doc["did_not_run"]["silent"]
    assert "ratio" in doc["did_not_run"]["malformed"]
    for name in ("fails", "silent", "malformed"):
        assert "did not run" in table.split(name, 1)[1].splitlines()[0]
    assert doc["quick"] is True and doc["machine"]["cores"] >= 1


def test_bench_run_named_only(tmp_path):
    root = tmp_path / "benches"
    root.mkdir()
    fake_benches(root)
    out = tmp_path / "results.json"
    p = subprocess.run([PYTHON, os.path.join(BENCH, "run"), "--bench-dir", str(root),
                        "--out", str(out), "good", "nosuch"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 1
    doc = json.loads(out.read_text())
    assert list(doc["benches"]) == ["good"] and list(doc["did_not_run"]) == ["nosuch"]
    assert "no executable" in doc["did_not_run"]["nosuch"]


# -- benchlib ----------------------------------------------------------------------------------

def test_percentiles():
    assert benchlib.p50([3, 1, 2]) == 2
    assert benchlib.p50([4, 1, 3, 2]) == 2.5
    assert benchlib.percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert benchlib.p99([7]) == 7
    assert benchlib.percentile([1, 2], 0) == 1 and benchlib.percentile([1, 2], 100) == 2
    with pytest.raises(ValueError):
        benchlib.p50([])
    with pytest.raises(ValueError):
        benchlib.percentile([1], 101)


def test_rows_and_validation():
    r = benchlib.row("a", "ms", 6, 10, "ref", goal=0.8, goal_op="<=")
    assert r["ratio"] == pytest.approx(0.6) and r["pass"] is True
    assert benchlib.row("a", "ms", 9, 10, "ref", goal=0.8, goal_op="<=")["pass"] is False
    assert benchlib.row("t", "ops/s", 15, 10, "ref", goal=1.2, goal_op=">=")["pass"] is True
    info = benchlib.row("b", "ms", 5, 10, "ref")
    assert info["goal"] is None and info["goal_op"] is None and info["pass"] is None
    absolute = benchlib.row("c", "ms", 50, 10, "ref", goal=100, goal_op="<=", goal_on="figure")
    assert absolute["pass"] is True and absolute["goal_on"] == "figure"
    doc = benchlib.results_doc("x", [r, info, absolute], ["n"])
    assert benchlib.validate_doc(doc, bench="x") == []
    assert benchlib.validate_doc(doc, bench="y") != []
    bad = json.loads(json.dumps(doc))
    bad["rows"][0]["pass"] = False
    assert any("disagrees" in p for p in benchlib.validate_doc(bad))
    bad = json.loads(json.dumps(doc))
    bad["rows"][1]["ratio"] = 3.0
    assert any("ratio" in p for p in benchlib.validate_doc(bad))
    bad = json.loads(json.dumps(doc))
    del bad["rows"][2]["unit"]
    assert any("unit" in p for p in benchlib.validate_doc(bad))
    assert benchlib.validate_doc(dict(doc, rows=[])) != []
    text = benchlib.rows_table(doc["rows"])
    assert "0.60x" in text and "PASS" in text and "<= 0.8x" in text and "<= 100 ms" in text
