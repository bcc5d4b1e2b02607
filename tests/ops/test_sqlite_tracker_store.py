"""The embedded tracker store: what one worker saves, another reads; concurrent workers lose nothing (real SQLite)."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
from pathlib import Path

from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from services.settings import PROJECT_ROOT
from services.sqlite_tracker_store import SQLiteTrackerStore

FORK = multiprocessing.get_context("fork")
DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


def conversation(sender: str, turns: int) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for turn in range(turns):
        tracker.update(UserUttered(f"message {turn}", {"name": "greet", "confidence": 1.0}))
        tracker.update(ActionExecuted("utter_greet"))
        tracker.update(BotUttered(f"reply {turn}"))
        tracker.update(ActionExecuted("action_listen"))
    return tracker


def _save_turn_by_turn(db: str, sender: str, turns: int) -> None:
    store = SQLiteTrackerStore(domain=DOMAIN, db=db)

    async def main() -> None:
        for turn in range(1, turns + 1):
            await store.save(conversation(sender, turn))
    asyncio.run(main())


def test_what_one_store_saves_another_reads(tmp_path: Path) -> None:
    db = str(tmp_path / "trackers.db")
    saved = conversation("shopper-1", 3)
    asyncio.run(SQLiteTrackerStore(domain=DOMAIN, db=db).save(saved))
    read = asyncio.run(SQLiteTrackerStore(domain=DOMAIN, db=db).retrieve("shopper-1"))
    assert [e.as_dict() for e in read.events] == [e.as_dict() for e in saved.events]


def test_the_file_is_in_write_ahead_logging_mode(tmp_path: Path) -> None:
    SQLiteTrackerStore(domain=DOMAIN, db=str(tmp_path / "trackers.db"))
    with sqlite3.connect(tmp_path / "trackers.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_four_processes_saving_at_once_lose_no_event(tmp_path: Path) -> None:
    db = str(tmp_path / "trackers.db")
    SQLiteTrackerStore(domain=DOMAIN, db=db)
    processes = [FORK.Process(target=_save_turn_by_turn, args=(db, f"shopper-{n}", 25)) for n in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    store = SQLiteTrackerStore(domain=DOMAIN, db=db)
    for n in range(4):
        tracker = asyncio.run(store.retrieve(f"shopper-{n}"))
        assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == [f"message {t}" for t in range(25)]


def test_rasa_builds_it_from_the_endpoints_file(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  type: services.sqlite_tracker_store.SQLiteTrackerStore\n  db: {tmp_path / 'sub' / 't.db'}\n")
    store = TrackerStore.create(read_endpoint_config(str(endpoints), "tracker_store"), domain=DOMAIN)
    assert isinstance(store, SQLiteTrackerStore)
    assert (tmp_path / "sub" / "t.db").exists()
