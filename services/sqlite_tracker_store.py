"""Rasa's SQL tracker store on a local SQLite file, set up for several Sanic workers at once.

The embedded ``endpoints.yml`` names it::

    tracker_store:
      type: services.sqlite_tracker_store.SQLiteTrackerStore
      db: runtime/trackers.db

Every worker of ``make run`` reads and writes the same conversations, so they must live outside any
one process. The file is switched to write-ahead logging, so reads never wait for another worker's
write, with ``synchronous=NORMAL`` (a commit is not flushed to disk each time; an application crash
loses nothing, a power cut can lose the last commits). Conversations also survive a restart.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

DEFAULT_DB = "runtime/trackers.db"
BUSY_TIMEOUT_MS = 10_000  # how long a write waits for another worker's


def _per_connection(connection: sqlite3.Connection, _: Any) -> None:
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


class SQLiteTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` with ``dialect: sqlite`` on ``db``, in WAL mode."""

    def __init__(self, domain: Domain | None = None, db: str = DEFAULT_DB, event_broker: EventBroker | None = None,
                 **kwargs: Any) -> None:
        kwargs.pop("host", None)  # Rasa passes the endpoint's url; a file needs none
        kwargs.pop("dialect", None)
        path = Path(db)
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA journal_mode=WAL")  # kept in the file, for every later connection
        super().__init__(domain=domain, dialect="sqlite", db=str(path), event_broker=event_broker, **kwargs)
        sa.event.listen(self.engine, "connect", _per_connection)
        self.engine.dispose()
