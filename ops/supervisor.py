"""Child processes of the production topology: start, wait until healthy, kill, restart, stop all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import requests

HealthCheck = Callable[[], bool]


def http_ok(url: str) -> HealthCheck:
    """A health check that GETs ``url`` and wants a 2xx."""
    def check() -> bool:
        try:
            return requests.get(url, timeout=2).ok
        except requests.RequestException:
            return False
    return check


@dataclass
class Child:
    """One supervised process and how to start it again."""

    name: str
    argv: list[str]
    env: Mapping[str, str]
    log: Path
    health: HealthCheck | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    """Starts children with their output in log files and stops them all on exit."""

    def __init__(self, cwd: Path, pids_file: Path) -> None:
        self.cwd = cwd
        self.pids_file = pids_file
        self.children: dict[str, Child] = {}

    def start(self, name: str, argv: list[str], env: Mapping[str, str], log: Path, health: HealthCheck | None = None) -> Child:
        child = self.children.get(name) or Child(name, argv, env, log, health)
        self.children[name] = child
        child.log.parent.mkdir(parents=True, exist_ok=True)
        with child.log.open("a") as out:
            out.write(f"\n=== {time.strftime('%H:%M:%S')} starting {name}: {' '.join(argv)}\n")
            out.flush()
            child.process = subprocess.Popen(argv, cwd=self.cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL)
        self._write_pids()
        return child

    def wait_healthy(self, names: list[str], timeout_s: float = 600) -> None:
        """Wait until every named child passes its health check; raise with its log tail when one dies or times out."""
        deadline = time.monotonic() + timeout_s
        pending = [self.children[n] for n in names]
        while pending:
            for child in list(pending):
                if not child.alive:
                    raise RuntimeError(f"{child.name} exited with {child.process.returncode if child.process else '?'}; "
                                       f"last lines of {child.log}:\n{tail(child.log)}")
                if child.health is None or child.health():
                    pending.remove(child)
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"not healthy after {timeout_s:.0f} s: {[c.name for c in pending]}; "
                                   f"last lines of {pending[0].log}:\n{tail(pending[0].log)}")
            if pending:
                time.sleep(1)

    def signal(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to one child (SIGKILL by default) and reap it when it is a killing signal."""
        child = self.children[name]
        if child.alive and child.process:
            child.process.send_signal(sig)
            if sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):
                child.process.wait(timeout=60)

    def restart(self, name: str, timeout_s: float = 600) -> None:
        """Start a stopped (or killed) child again with the same command and wait until it is healthy."""
        child = self.children[name]
        if child.alive:
            self.signal(name, signal.SIGTERM)
        self.start(name, child.argv, child.env, child.log, child.health)
        self.wait_healthy([name], timeout_s)

    def first_dead(self) -> Child | None:
        return next((c for c in self.children.values() if c.process is not None and not c.alive), None)

    def stop_all(self, timeout_s: float = 30) -> None:
        """SIGTERM every child (last started first), then SIGKILL what is still there after ``timeout_s``."""
        alive = [c for c in reversed(list(self.children.values())) if c.alive]
        for child in alive:
            try:
                child.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout_s
        for child in alive:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))  # type: ignore[union-attr]
            except subprocess.TimeoutExpired:
                child.process.kill()  # type: ignore[union-attr]
                child.process.wait()  # type: ignore[union-attr]
        self.pids_file.unlink(missing_ok=True)

    def _write_pids(self) -> None:
        pids = {n: c.process.pid for n, c in self.children.items() if c.process is not None}
        self.pids_file.parent.mkdir(parents=True, exist_ok=True)
        self.pids_file.write_text(json.dumps({"supervisor": os.getpid(), **pids}, indent=1))


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"
