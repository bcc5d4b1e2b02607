"""A forked Sanic worker dies with its server (``services.rasa_launcher.workers_die_with_the_server``).

Real processes: a parent that, like Sanic 21.12's, handles SIGTERM without exiting, registers the
launcher's fork hook and forks a child that sleeps, as a worker still loading the model does. Without
the hook the child inherits the parent's handler and outlives both signals below.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest

from services.settings import PROJECT_ROOT

PARENT = """
import os, signal, sys, time
from services.rasa_launcher import workers_die_with_the_server
signal.signal(signal.SIGTERM, lambda *_: None)  # Sanic's parent handler signals its workers and goes on
if sys.argv[1] == "hook":
    os.register_at_fork(after_in_child=workers_die_with_the_server)
child = os.fork()
if child == 0:
    os.write(1, b"ready\\n")  # after the fork hooks ran; one write each, so the two lines never interleave
    time.sleep(120)
    os._exit(0)
os.write(1, f"{child}\\n".encode())
time.sleep(120)
"""


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture()
def forked(request: pytest.FixtureRequest) -> Iterator[tuple[subprocess.Popen, int]]:
    """(the parent, its forked child's pid); both killed afterwards whatever the test did."""
    parent = subprocess.Popen([sys.executable, "-c", PARENT, request.param], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    child = 0
    try:
        lines = {parent.stdout.readline().strip(), parent.stdout.readline().strip()}  # the child's pid and its "ready", either order
        child = int((lines - {"ready"}).pop())
        yield parent, child
    finally:
        for pid in (child, parent.pid):
            try:
                if pid:
                    os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        parent.wait(timeout=10)


@pytest.mark.parametrize("forked", ["hook"], indirect=True)
def test_a_worker_dies_when_its_server_is_killed(forked: tuple[subprocess.Popen, int]) -> None:
    parent, child = forked
    parent.kill()
    parent.wait(timeout=10)
    assert wait_gone(child)  # PR_SET_PDEATHSIG: no orphan left serving


@pytest.mark.parametrize("forked", ["hook"], indirect=True)
def test_a_worker_obeys_sigterm_before_sanic_sets_its_handler(forked: tuple[subprocess.Popen, int]) -> None:
    parent, child = forked
    os.kill(child, signal.SIGTERM)
    assert wait_gone(child) and parent.poll() is None


@pytest.mark.parametrize("forked", ["none"], indirect=True)
def test_without_the_hook_the_worker_outlives_both(forked: tuple[subprocess.Popen, int]) -> None:
    """The case the hook exists for, so that the two tests above can tell it from a worker that exits anyway."""
    parent, child = forked
    os.kill(child, signal.SIGTERM)
    assert not wait_gone(child, timeout_s=1.0)
    parent.kill()
    parent.wait(timeout=10)
    assert not wait_gone(child, timeout_s=1.0)
