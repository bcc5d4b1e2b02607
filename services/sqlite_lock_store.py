"""Rasa's ticket locks in a SQLite file, so that several Sanic workers on one machine share them.

The embedded ``endpoints.yml`` names it::

    lock_store:
      type: services.sqlite_lock_store.SQLiteLockStore
      db: runtime/locks.db

Rasa serializes the messages of one conversation with a ``TicketLock`` kept in the lock store. Its
in-memory store lives in one process, so Rasa refuses more than one Sanic worker with it
(``rasa.core.utils.number_of_sanic_workers``); a custom store lifts that, as Redis does in
production. Unlike Rasa's Redis store, every read-modify-write of a lock (issuing a ticket,
finishing one, removing expired ones) is one ``BEGIN IMMEDIATE`` transaction, so two workers cannot
overwrite each other's tickets. Locks are short-lived: the file is WAL with ``synchronous=OFF``, and
a ticket left by a killed worker expires after Rasa's lock lifetime (60 s by default).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockStore
from rasa.utils.endpoints import EndpointConfig

from services.shared_sqlite import ForkSafeSQLite

DEFAULT_DB = "runtime/locks.db"
BUSY_TIMEOUT_S = 10.0  # how long a transaction waits for another worker's (microseconds long) write


class SQLiteLockStore(LockStore):
    """Ticket locks in the table ``locks(conversation_id, lock)`` of one SQLite file."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, db: str = DEFAULT_DB) -> None:
        configured = endpoint_config.kwargs.get("db") if endpoint_config else None
        self.path = Path(configured or db)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = ForkSafeSQLite(self.path, ("journal_mode=WAL", "synchronous=OFF"), BUSY_TIMEOUT_S)
        with self._transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS locks (conversation_id TEXT PRIMARY KEY, lock TEXT NOT NULL)")
        super().__init__()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._db.transaction()  # nests: cleanup() calls finish_serving() inside its own

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The stored lock of ``conversation_id``, or None."""
        row = self._db.connection().execute("SELECT lock FROM locks WHERE conversation_id = ?", (conversation_id,)).fetchone()
        return TicketLock.from_dict(json.loads(row[0])) if row else None

    def delete_lock(self, conversation_id: str) -> None:
        """Remove the lock of ``conversation_id``."""
        with self._transaction() as conn:
            deleted = conn.execute("DELETE FROM locks WHERE conversation_id = ?", (conversation_id,)).rowcount
        self._log_deletion(conversation_id, deletion_successful=deleted > 0)

    def save_lock(self, lock: TicketLock) -> None:
        """Store ``lock`` (replacing the conversation's previous one)."""
        with self._transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO locks (conversation_id, lock) VALUES (?, ?)", (lock.conversation_id, lock.dumps()))

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Rasa's ``issue_ticket``, as one transaction."""
        with self._transaction():
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        """Rasa's ``update_lock`` (drop expired tickets), as one transaction."""
        with self._transaction():
            super().update_lock(conversation_id)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Rasa's ``finish_serving``, as one transaction."""
        with self._transaction():
            super().finish_serving(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Rasa's ``cleanup`` (finish the ticket, delete the lock if nobody waits), as one transaction."""
        with self._transaction():
            super().cleanup(conversation_id, ticket_number)
