"""Analytics fixtures: a migrated store database on each backend, Rasa's SQL broker table, the recorded stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.core.brokers.sql import SQLEventBroker

from services.store.migrate import upgrade
from tests.analytics.event_stream import WORKING_DAY, StreamOptions, generate_stream


@pytest.fixture()
def analytics_url(db_url: str) -> str:
    """An empty store database (SQLite file or PostgreSQL schema) with every migration applied."""
    upgrade(db_url)
    return db_url


@pytest.fixture(scope="session")
def recorded_stream() -> list[dict]:
    """A working day of support traffic with a 90-minute negative surge (tests/analytics/event_stream.py)."""
    return generate_stream(StreamOptions(**WORKING_DAY))


class SqlBroker:
    """Rasa's own SQL event broker on a SQLite file: what `event_broker: type: sql` writes."""

    def __init__(self, path: Path) -> None:
        self.broker = SQLEventBroker(dialect="sqlite", db=str(path))
        self.url = f"sqlite:///{path}"

    def publish(self, event: dict) -> None:
        """One event, exactly as Rasa publishes it (a commit per event)."""
        self.broker.publish(event)

    def publish_many(self, events: list[dict]) -> None:
        """Many events in one commit (same rows as `publish`, quicker for long recordings)."""
        table = SQLEventBroker.SQLBrokerEvent.__table__
        with self.broker.engine.begin() as conn:
            conn.execute(table.insert(), [{"sender_id": e.get("sender_id"), "data": json.dumps(e)} for e in events])

    def publish_raw(self, sender_id: str | None, data: str) -> None:
        """A row that is not a Rasa event (a corrupt or foreign writer)."""
        with self.broker.session_scope() as session:
            session.add(SQLEventBroker.SQLBrokerEvent(sender_id=sender_id, data=data))
            session.commit()


@pytest.fixture()
def sql_broker(tmp_path: Path) -> Iterator[SqlBroker]:
    broker = SqlBroker(tmp_path / "events.db")
    yield broker
    broker.broker.engine.dispose()
