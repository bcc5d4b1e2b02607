"""State that the processes of one server share on this machine: SQLite files and private directories.

Sanic forks its workers after Rasa has built the channels and read the endpoints, so anything made
then is inherited: a SQLite connection must not cross the fork (one per process, opened on first
use), and a temporary directory belongs to the process that made it (only it removes it at exit).
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def private_directory(prefix: str) -> Path:
    """A new mode-0700 temporary directory, removed when the process that made it exits (not its forks)."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    owner = os.getpid()
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(directory, ignore_errors=True))
    return directory


class ForkSafeSQLite:
    """One autocommit connection to ``path`` per process, and ``BEGIN IMMEDIATE`` transactions that nest."""

    def __init__(self, path: Path, pragmas: tuple[str, ...] = ("journal_mode=WAL",), timeout_s: float = 10.0) -> None:
        self.path, self.pragmas, self.timeout_s = path, pragmas, timeout_s
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._depth = 0  # nesting of transaction(): the outermost one begins and commits

    def connection(self) -> sqlite3.Connection:
        """This process's connection (a new one after a fork)."""
        if self._connection is None or self._pid != os.getpid():
            self._connection = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None)
            for pragma in self.pragmas:
                self._connection.execute(f"PRAGMA {pragma}")
            self._pid, self._depth = os.getpid(), 0
        return self._connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: nothing another process writes comes between its reads and writes."""
        conn = self.connection()
        if self._depth == 0:
            conn.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield conn
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                conn.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            conn.execute("COMMIT")
