"""A durable queue of events on their way to the event broker: one SQLite file per Rasa server.

An event is written here before it is handed to RabbitMQ and deleted once RabbitMQ confirmed it, so
a Rasa server killed with ``kill -9`` leaves what it had not sent in the file, and sends it when it
starts again. SQLite in WAL mode with ``synchronous=NORMAL`` keeps every committed row across a
crash of the process (not across a power cut) at a few tens of microseconds per event.
Delivery becomes at-least-once: a kill between RabbitMQ's confirm and the delete sends that event
twice.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPOOL_PATH_ENV = "EVENT_SPOOL_PATH"  # where a Rasa server's broker keeps its spool (services.prod_broker)


@dataclass(frozen=True)
class SpooledEvent:
    """One event with the row that holds it (``id`` is None when nothing is spooled)."""

    id: int | None
    event: dict[str, Any]
    headers: dict[str, str] | None = None


class EventSpool:
    """Rows of ``(id, event, headers)`` in publish order; ``path=None`` keeps nothing on disk."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        self._db: sqlite3.Connection | None = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                             "event TEXT NOT NULL, headers TEXT)")

    def add(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> SpooledEvent:
        """Keep ``event`` until :meth:`remove`; returns it with its row id."""
        if self._db is None:
            return SpooledEvent(None, event, headers)
        cursor = self._db.execute("INSERT INTO spool (event, headers) VALUES (?, ?)",
                                  (json.dumps(event), json.dumps(headers) if headers else None))
        return SpooledEvent(cursor.lastrowid, event, headers)

    def remove(self, entry: SpooledEvent) -> None:
        """Forget an event RabbitMQ has confirmed."""
        if self._db is not None and entry.id is not None:
            self._db.execute("DELETE FROM spool WHERE id = ?", (entry.id,))

    def pending(self) -> list[SpooledEvent]:
        """Every event still kept, oldest first (after a crash: what the last run did not send)."""
        if self._db is None:
            return []
        rows = self._db.execute("SELECT id, event, headers FROM spool ORDER BY id").fetchall()
        return [SpooledEvent(row[0], json.loads(row[1]), json.loads(row[2]) if row[2] else None) for row in rows]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
