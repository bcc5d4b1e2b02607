"""Slack's deduplication keys in a SQLite file, so that a retry reaching another Sanic worker is still caught.

Same contract as ``channels.slack.RecentKeys`` (``first_time(keys)``), for servers with several
workers. The file is made by the server's parent process before Sanic forks (a private temporary
directory, removed when the server stops), so, as with the in-memory keys, a restart forgets them.
Each check-and-record is one ``BEGIN IMMEDIATE`` transaction: two workers receiving the same
delivery at once cannot both see it as new.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path


class SharedRecentKeys:
    """Keys seen in the last ``ttl_s`` seconds by any process using ``path``."""

    def __init__(self, path: Path | None = None, ttl_s: float = 15 * 60) -> None:
        if path is None:
            directory = tempfile.mkdtemp(prefix="slack-seen-")
            owner = os.getpid()
            atexit.register(lambda: os.getpid() == owner and shutil.rmtree(directory, ignore_errors=True))
            path = Path(directory) / "seen.db"
        self.path, self.ttl_s = path, ttl_s
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._conn().execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL)")

    def _conn(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():  # never share a connection across a fork
            self._connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._pid = os.getpid()
        return self._connection

    def first_time(self, keys: tuple[str, ...]) -> bool:
        """True if none of ``keys`` was seen recently; records them all either way."""
        now = time.time()
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM seen WHERE at < ?", (now - self.ttl_s,))
            marks = ",".join("?" * len(keys))
            fresh = conn.execute(f"SELECT COUNT(*) FROM seen WHERE key IN ({marks})", keys).fetchone()[0] == 0
            conn.executemany("INSERT OR REPLACE INTO seen (key, at) VALUES (?, ?)", [(key, now) for key in keys])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return fresh
