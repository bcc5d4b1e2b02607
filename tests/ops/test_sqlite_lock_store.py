"""The embedded lock store: one conversation's messages never overlap, even across processes (real SQLite)."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from pathlib import Path

import pytest
from rasa.core.lock_store import LockError
from rasa.core.utils import number_of_sanic_workers
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from services.sqlite_lock_store import SQLiteLockStore

FORK = multiprocessing.get_context("fork")  # as Sanic starts its workers


def _hold_the_lock(db: str, worker: int, turns: int, log: str) -> None:
    """A worker: ``turns`` messages of one conversation, each a 20 ms critical section written to ``log``."""
    store = SQLiteLockStore(db=db)

    async def main() -> None:
        for turn in range(turns):
            async with store.lock("shopper-1", wait_time_in_seconds=0.005):
                started = time.monotonic()
                await asyncio.sleep(0.02)
                with open(log, "a") as f:
                    f.write(json.dumps([worker, turn, started, time.monotonic()]) + "\n")
    asyncio.run(main())


def _issue(db: str, count: int, out: str) -> None:
    store = SQLiteLockStore(db=db)
    tickets = [store.issue_ticket("shopper-2") for _ in range(count)]
    Path(out).write_text(json.dumps(tickets))


def run_in_processes(target, args_per_process: list[tuple]) -> None:  # noqa: ANN001
    processes = [FORK.Process(target=target, args=args) for args in args_per_process]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0


def test_two_processes_never_hold_one_conversations_lock_at_once(tmp_path: Path) -> None:
    db, log = str(tmp_path / "locks.db"), str(tmp_path / "sections.jsonl")
    SQLiteLockStore(db=db)  # the table exists before the workers race, as Rasa's parent process reads the endpoints first
    run_in_processes(_hold_the_lock, [(db, worker, 15, log) for worker in range(3)])
    sections = sorted(json.loads(line) for line in Path(log).read_text().splitlines())
    assert len(sections) == 45
    spans = sorted((start, end) for _, _, start, end in sections)
    overlaps = [(a, b) for a, b in zip(spans, spans[1:]) if b[0] < a[1]]
    assert not overlaps, f"{len(overlaps)} critical sections overlapped"
    assert SQLiteLockStore(db=db).get_lock("shopper-1") is None  # the last one out deleted the lock


def test_tickets_issued_by_racing_processes_are_all_distinct(tmp_path: Path) -> None:
    db = str(tmp_path / "locks.db")
    SQLiteLockStore(db=db)
    outs = [str(tmp_path / f"tickets-{n}.json") for n in range(4)]
    run_in_processes(_issue, [(db, 50, out) for out in outs])
    tickets = [t for out in outs for t in json.loads(Path(out).read_text())]
    assert sorted(tickets) == list(range(200))  # a lost update would repeat a ticket number


def test_a_ticket_left_by_a_killed_worker_expires(tmp_path: Path) -> None:
    db = str(tmp_path / "locks.db")
    SQLiteLockStore(db=db).issue_ticket("shopper-3", lock_lifetime=0.3)  # its holder never cleans up

    async def next_message() -> float:
        started = time.monotonic()
        async with SQLiteLockStore(db=db).lock("shopper-3", wait_time_in_seconds=0.05):
            return time.monotonic() - started
    waited = asyncio.run(next_message())
    assert 0.2 < waited < 5


def test_an_error_inside_a_transaction_leaves_the_stored_lock_as_it_was(tmp_path: Path) -> None:
    store = SQLiteLockStore(db=str(tmp_path / "locks.db"))
    store.issue_ticket("shopper-4")
    before = store.get_lock("shopper-4").dumps()
    with pytest.raises(LockError):
        store.issue_ticket("shopper-4", lock_lifetime="not a number")  # type: ignore[arg-type]
    assert store.get_lock("shopper-4").dumps() == before
    store.issue_ticket("shopper-4")  # the store is usable afterwards (no transaction left open)


def test_rasa_allows_several_sanic_workers_with_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"lock_store:\n  type: services.sqlite_lock_store.SQLiteLockStore\n  db: {tmp_path / 'locks.db'}\n")
    config = read_endpoint_config(str(endpoints), "lock_store")
    monkeypatch.setenv("SANIC_WORKERS", "2")
    assert number_of_sanic_workers(config) == 2
    assert number_of_sanic_workers(EndpointConfig(type="in_memory")) == 1  # Rasa's own refusal, for contrast
    from rasa.core.lock_store import LockStore

    store = LockStore.create(config)
    assert isinstance(store, SQLiteLockStore) and store.path == tmp_path / "locks.db"
