"""The embedded event broker's writer: batched, in order, nothing lost while the database is locked (real SQLite)."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import create_engine

from services.masking_broker import MaskingSQLEventBroker
from services.settings import PROJECT_ROOT
from services.sql_event_writer import BatchedEventWriter

TABLE = SQLEventBroker.SQLBrokerEvent.__table__


def rows_in(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT sender_id, data FROM events ORDER BY id").fetchall()


def writer_on(db: Path, **kwargs: float) -> BatchedEventWriter:
    engine = create_engine(f"sqlite:///{db}", connect_args={"timeout": 0.05})
    TABLE.metadata.create_all(engine, tables=[TABLE])
    return BatchedEventWriter(engine, TABLE, **kwargs)


def test_rows_from_many_threads_arrive_in_each_threads_order(tmp_path: Path) -> None:
    writer = writer_on(tmp_path / "events.db")

    def publish(sender: str) -> None:
        for i in range(300):
            writer.put({"sender_id": sender, "data": json.dumps({"i": i})})

    threads = [threading.Thread(target=publish, args=(f"s{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert writer.flush(10)
    rows = rows_in(tmp_path / "events.db")
    assert len(rows) == 1200
    for n in range(4):
        assert [json.loads(data)["i"] for sender, data in rows if sender == f"s{n}"] == list(range(300))


def test_a_locked_database_delays_rows_but_loses_none(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = writer_on(db, retry_s=0.02, max_retry_s=0.1)
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # as another process writing a long transaction
    for i in range(50):
        writer.put({"sender_id": "s", "data": str(i)})
    assert not writer.flush(0.5)  # held back while the lock lasts
    blocker.execute("COMMIT")
    blocker.close()
    assert writer.flush(10)
    assert [data for _, data in rows_in(db)] == [str(i) for i in range(50)]


def test_close_writes_what_is_queued_and_a_later_put_starts_again(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    writer = writer_on(db)
    for i in range(200):
        writer.put({"sender_id": "s", "data": str(i)})
    writer.close()
    assert len(rows_in(db)) == 200
    writer.put({"sender_id": "s", "data": "after"})
    writer.close()
    assert rows_in(db)[-1] == ("s", "after")


def test_max_batch_below_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_batch"):
        writer_on(tmp_path / "events.db", max_batch=0)


def test_masking_broker_publish_returns_before_the_write_and_close_drains(tmp_path: Path) -> None:
    db = tmp_path / "events.db"

    async def scenario() -> float:
        broker = await EventBroker.create(EndpointConfig(type="services.masking_broker.MaskingSQLEventBroker", dialect="sqlite", db=str(db)))
        assert isinstance(broker, MaskingSQLEventBroker)
        blocker = sqlite3.connect(db, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        started = time.perf_counter()
        for i in range(20):
            broker.publish({"event": "user", "sender_id": "s", "text": f"mail me at bob{i}@example.com"})
        took = time.perf_counter() - started
        blocker.execute("COMMIT")
        blocker.close()
        await broker.close()
        return took

    took = asyncio.run(scenario())
    assert took < 0.5, f"publish waited for the locked database ({took:.2f} s): it must not block the event loop"
    texts = [json.loads(data)["text"] for _, data in rows_in(db)]
    assert texts == ["mail me at [EMAIL]"] * 20


def test_events_queued_when_the_process_exits_are_written(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    script = f"""
from sqlalchemy import create_engine
from rasa.core.brokers.sql import SQLEventBroker
from services.sql_event_writer import BatchedEventWriter
table = SQLEventBroker.SQLBrokerEvent.__table__
engine = create_engine("sqlite:///{db}")
table.metadata.create_all(engine, tables=[table])
writer = BatchedEventWriter(engine, table)
for i in range(500):
    writer.put({{"sender_id": "s", "data": str(i)}})
"""  # exits right after queueing: no flush, no close
    subprocess.run([sys.executable, "-c", script], check=True, cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert [data for _, data in rows_in(db)] == [str(i) for i in range(500)]
