"""Rasa's SQL event broker as a source: its ``events`` table, read incrementally by id.

``event_broker: {type: sql, ...}`` (``rasa.core.brokers.sql.SQLEventBroker``) appends each event
as a row ``(id, sender_id, data)``; this reads the rows after the last id the consumer stored in
``analytics_offsets``, in the same transaction as what it wrote from them.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.analytics.models import AnalyticsOffset
from services.store.models import utcnow

EVENTS = Table("events", MetaData(), Column("id", Integer, primary_key=True), Column("sender_id", String(255)), Column("data", Text))


class SqlEventSource:
    """Reads the ``events`` table of Rasa's SQL event broker at ``url``."""

    def __init__(self, url: str, name: str = "sql:events") -> None:
        self.url = url
        self.name = name
        self.engine: Engine = create_engine(url, future=True, pool_pre_ping=True)

    def ready(self) -> bool:
        """Whether Rasa has created the table yet (it does when the server starts)."""
        return inspect(self.engine).has_table("events")

    def fetch(self, after_id: int, limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` rows with ``id > after_id``, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(EVENTS.c.id, EVENTS.c.data).where(EVENTS.c.id > after_id).order_by(EVENTS.c.id).limit(limit))
            return [(int(i), data or "") for i, data in rows]

    def offset(self, session: Session) -> int:
        row = session.get(AnalyticsOffset, self.name)
        return row.last_id if row else 0

    def save_offset(self, session: Session, last_id: int) -> None:
        row = session.get(AnalyticsOffset, self.name)
        if row is None:
            session.add(AnalyticsOffset(source=self.name, last_id=last_id, updated_at=utcnow()))
        else:
            row.last_id, row.updated_at = last_id, utcnow()

    def close(self) -> None:
        self.engine.dispose()
