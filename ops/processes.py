"""Local server processes for tests, benchmarks and ops scripts: a free port, waiting until up, stopping."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import requests

START_TIMEOUT_S = 480.0  # 3 Sanic workers loading the models at once on 2 slow cores took up to 198 s; a start is not a timed test


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(url: str, process: subprocess.Popen, log: Path, timeout_s: float = START_TIMEOUT_S,
               poll_s: float = 1.0) -> None:
    """Return once ``url`` answers 2xx; fail with the server's log if it exits or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; log:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except (requests.ConnectionError, requests.Timeout):  # with several workers the port is open before they serve
            pass
        time.sleep(poll_s)
    raise RuntimeError(f"{url} not up after {timeout_s} s; log:\n{log.read_text()[-4000:]}")


def stop_processes(processes: Iterable[subprocess.Popen], timeout_s: float = 30.0) -> None:
    """SIGTERM every process, then SIGKILL whichever has not exited within ``timeout_s``."""
    processes = list(processes)
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def embedded_endpoints(workdir: Path, actions_port: int) -> Path:
    """The embedded ``endpoints.yml`` for a server of its own: its action server's port, and its tracker,
    lock and event databases in ``workdir`` instead of ``runtime/``."""
    from services.settings import PROJECT_ROOT

    path = workdir / "endpoints.yml"
    path.write_text((PROJECT_ROOT / "endpoints.yml").read_text().replace("127.0.0.1:5055", f"127.0.0.1:{actions_port}")
                    .replace("db: runtime/", f"db: {workdir}/"))
    return path
