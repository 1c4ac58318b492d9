"""The policy compiler's golden files are valid nftables: each one is checked with the real
`nft -c -f` (a dry-run transaction through the kernel, so set types, interval overlaps and
chain references are all verified) inside a throwaway network namespace.

Needs root and the nft binary; skips with the reason otherwise. The namespace is deleted in
a finally block whatever happens.
"""

import glob
import os
import shutil
import subprocess
import uuid

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GOLDEN = sorted(glob.glob(os.path.join(ROOT, "tests", "unit", "data", "policy", "*.nft")))

NFT = shutil.which("nft") or ("/usr/sbin/nft" if os.path.exists("/usr/sbin/nft") else None)
pytestmark = [
    pytest.mark.skipif(NFT is None, reason="nft binary not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for ip netns / nft"),
]


@pytest.fixture
def netns():
    name = "twpol-" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def test_golden_files_exist():
    assert len(GOLDEN) >= 3, GOLDEN


@pytest.mark.parametrize("path", GOLDEN, ids=[os.path.basename(p) for p in GOLDEN])
def test_golden_file_is_valid_nft(netns, path):
    r = subprocess.run(["ip", "netns", "exec", netns, NFT, "-c", "-f", path],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("path", GOLDEN, ids=[os.path.basename(p) for p in GOLDEN])
def test_golden_file_loads_and_lists_back(netns, path):
    """Loading for real and listing back keeps every set and chain name."""
    r = subprocess.run(["ip", "netns", "exec", netns, NFT, "-f", path],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    listed = subprocess.run(["ip", "netns", "exec", netns, NFT, "list", "table", "inet", "twill"],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    with open(path) as f:
        for line in f:
            words = line.split()
            if len(words) >= 2 and words[0] in ("set", "map", "chain"):
                assert "%s %s {" % (words[0], words[1]) in listed, words[1]


def test_invalid_text_is_rejected(netns, tmp_path):
    """Guard against a vacuous check: nft -c must fail on an overlapping interval."""
    bad = tmp_path / "bad.nft"
    bad.write_text("table inet twill {\n set s { type ipv4_addr; flags interval;\n"
                   "  elements = { 10.0.0.0/24, 10.0.0.5 } }\n}\n")
    r = subprocess.run(["ip", "netns", "exec", netns, NFT, "-c", "-f", str(bad)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
