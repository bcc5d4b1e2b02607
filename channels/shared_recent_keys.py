"""Slack's deduplication keys in a SQLite file, so that a retry reaching another Sanic worker is still caught.

Same contract as ``channels.slack.RecentKeys`` (``first_time(keys)``), for servers with several
workers. The file is made by the server's parent process before Sanic forks (a private temporary
directory, removed when the server stops), so, as with the in-memory keys, a restart forgets them.
Each check-and-record is one ``BEGIN IMMEDIATE`` transaction: two workers receiving the same
delivery at once cannot both see it as new.
"""

from __future__ import annotations

import time
from pathlib import Path

from services.shared_sqlite import ForkSafeSQLite, private_directory


class SharedRecentKeys:
    """Keys seen in the last ``ttl_s`` seconds by any process using ``path``."""

    def __init__(self, path: Path | None = None, ttl_s: float = 15 * 60) -> None:
        self.path = path or private_directory("slack-seen-") / "seen.db"
        self.ttl_s = ttl_s
        self._db = ForkSafeSQLite(self.path)
        self._db.connection().execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL)")

    def first_time(self, keys: tuple[str, ...]) -> bool:
        """True if none of ``keys`` was seen recently; records them all either way."""
        now = time.time()
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM seen WHERE at < ?", (now - self.ttl_s,))
            marks = ",".join("?" * len(keys))
            fresh = conn.execute(f"SELECT COUNT(*) FROM seen WHERE key IN ({marks})", keys).fetchone()[0] == 0
            conn.executemany("INSERT OR REPLACE INTO seen (key, at) VALUES (?, ?)", [(key, now) for key in keys])
        return fresh
