"""Shared pytest fixtures: a session etcd, a per-module test API server, build_dir().

Interface (other suites code against exactly this):
  etcd       (session): .endpoint, .compact(revision=None), .revision(), .stop(), .client
  apiserver  (module):  .url, .ca_file, .token, .kubeconfig, .state_dir, .request_log,
                        .kubectl(*args, input=None, check=True) -> CompletedProcess (text),
                        .kubectl_popen(*args) -> Popen (text pipes; caller terminates),
                        .request(method, path, body=None, headers=None, token=<admin>,
                                 full=False) -> (status, json or text)[, headers],
                        .watch(path) -> stream with .next_event(timeout) and .close(),
                        .apply_crds() applies charts/twill/crds/*.yaml and waits until served,
                        .helm(*args, check=True) -> CompletedProcess (helm 3.17, state in state_dir).
  build_dir() -> $TWILL_BUILD_DIR or <repo>/build (where the C programs are).
Each API server gets its own etcd key prefix, so modules share etcd but never see each
other's objects. Everything started here is stopped in finalizers, also when tests fail.
"""

import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from tests.apiserver.harness import ApiServerProcess, Etcd  # noqa: E402


def build_dir():
    return os.environ.get("TWILL_BUILD_DIR", os.path.join(REPO, "build"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "after_labs: reads the request logs other tests' labs leave in this "
        "session's temporary directory; collected last so a whole-suite run (CI) has them")


def pytest_collection_modifyitems(session, config, items):
    """Move `after_labs` tests to the end of the session, keeping every other order."""
    late = [i for i in items if i.get_closest_marker("after_labs")]
    if late:
        items[:] = [i for i in items if not i.get_closest_marker("after_labs")] + late


@pytest.fixture(scope="session")
def etcd():
    e = Etcd()
    e.start()
    try:
        yield e
    finally:
        e.stop()


@pytest.fixture(scope="module")
def apiserver(etcd, tmp_path_factory):
    srv = ApiServerProcess(etcd.endpoint, tmp_path_factory.mktemp("apiserver"))
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
