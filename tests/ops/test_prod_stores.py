"""The production stores against real servers: PostgreSQL connections cut, Redis restarted."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.exc import OperationalError

from ops.databases import drop_database, ensure_database, terminate_connections
from ops.processes import free_port
from ops.topology import ProdOptions
from services.prod_stores import ResilientSQLTrackerStore, RetryingRedisLockStore

OPTIONS = ProdOptions()


@pytest.fixture()
def tracker_db() -> Iterator[str]:
    name = f"assistant_test_{uuid.uuid4().hex[:10]}"
    ensure_database(OPTIONS, name)
    yield name
    drop_database(OPTIONS, name)


def sql_store(cls: type, db: str) -> SQLTrackerStore:
    return cls(domain=Domain.empty(), dialect="postgresql", host=OPTIONS.pg_host, port=OPTIONS.pg_port,
               db=db, username=OPTIONS.pg_user)


def tracker(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen"), UserUttered("where is my order?")])


def test_tracker_store_survives_cut_connections(tracker_db: str) -> None:
    store = sql_store(ResilientSQLTrackerStore, tracker_db)
    asyncio.run(store.save(tracker("s-1")))
    assert asyncio.run(store.retrieve("s-1")) is not None
    assert terminate_connections(OPTIONS, [tracker_db]) >= 1
    again = asyncio.run(store.retrieve("s-1"))
    assert again is not None and again.latest_message.text == "where is my order?"
    asyncio.run(store.save(tracker("s-2")))
    assert asyncio.run(store.retrieve("s-2")) is not None


def test_rasas_plain_store_fails_once_on_cut_connections(tracker_db: str) -> None:
    """The failure the subclass exists for (if Rasa fixes it, the subclass can go)."""
    store = sql_store(SQLTrackerStore, tracker_db)
    asyncio.run(store.save(tracker("s-1")))
    terminate_connections(OPTIONS, [tracker_db])
    with pytest.raises(OperationalError):
        asyncio.run(store.retrieve("s-1"))


class PrivateRedis:
    """A redis-server on a free port that a test can stop and start."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_timeout=0.5).ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture()
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def lock_store(port: int, **extra: float) -> RetryingRedisLockStore:
    return RetryingRedisLockStore(EndpointConfig(url="127.0.0.1", port=port, db=1, key_prefix="test", **extra))


async def take_lock(store: RedisLockStore, conversation: str) -> float:
    started = time.monotonic()
    async with store.lock(conversation, lock_lifetime=10):
        pass
    return time.monotonic() - started


def test_lock_store_waits_for_a_restarted_redis(private_redis: PrivateRedis) -> None:
    store = lock_store(private_redis.port, retry_for_s=15, retry_delay_s=0.2)
    assert asyncio.run(take_lock(store, "c-1")) < 1
    private_redis.stop()

    async def restart_later() -> None:
        await asyncio.sleep(1.5)
        await asyncio.to_thread(private_redis.start)

    async def scenario() -> float:
        waited, _ = await asyncio.gather(take_lock(store, "c-1"), restart_later())
        return waited

    waited = asyncio.run(scenario())
    assert 1.0 < waited < 10
    assert redis.Redis(port=private_redis.port, db=1).get("testc-1") is None  # released


def test_lock_store_gives_up_after_its_bound(private_redis: PrivateRedis) -> None:
    store = lock_store(private_redis.port, retry_for_s=1, retry_delay_s=0.2)
    private_redis.stop()
    started = time.monotonic()
    with pytest.raises((LockError, redis.exceptions.ConnectionError)):
        asyncio.run(take_lock(store, "c-2"))
    assert time.monotonic() - started < 5


def test_lock_store_serialises_one_conversation(private_redis: PrivateRedis) -> None:
    store = lock_store(private_redis.port)
    order: list[str] = []

    async def hold(name: str, seconds: float) -> None:
        async with store.lock("c-3", lock_lifetime=10, wait_time_in_seconds=0.05):
            order.append(f"{name}-in")
            await asyncio.sleep(seconds)
            order.append(f"{name}-out")

    async def scenario() -> None:
        first = asyncio.create_task(hold("a", 0.3))
        await asyncio.sleep(0.05)
        await asyncio.gather(first, hold("b", 0))

    asyncio.run(scenario())
    assert order == ["a-in", "a-out", "b-in", "b-out"]


def test_save_survives_a_connection_cut_between_its_statements(tracker_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = sql_store(ResilientSQLTrackerStore, tracker_db)
    original = ResilientSQLTrackerStore._additional_events
    cuts = []

    def cut_after_select(self, session, state):  # type: ignore[no-untyped-def]
        events = list(original(self, session, state))
        if not cuts:
            cuts.append(terminate_connections(OPTIONS, [tracker_db]))
        return events

    monkeypatch.setattr(ResilientSQLTrackerStore, "_additional_events", cut_after_select)
    state = tracker("s-3")
    asyncio.run(store.save(state))
    assert cuts and cuts[0] >= 1
    stored = asyncio.run(store.retrieve("s-3"))
    assert stored is not None and len(stored.events) == len(state.events)  # all of them, once
