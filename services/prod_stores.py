"""Rasa's SQL tracker store and Redis lock store, made to ride out a database or Redis restart.

Referenced by module path from the production ``endpoints.yml`` (``ops/topology.py``):

- :class:`ResilientSQLTrackerStore` checks a pooled connection before using it (``pool_pre_ping``)
  and retries a read, or the write of a save, once when PostgreSQL dropped the connection
  mid-query, so ``pg_terminate_backend`` or a database restart costs no event (Rasa's own store
  then falls back to memory for that save: the events are lost from PostgreSQL);
- :class:`RetryingRedisLockStore` keeps trying for ``retry_for_s`` seconds (without blocking the
  event loop) when Redis is unreachable or restarted empty, instead of failing the message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import redis
import sqlalchemy as sa
from rasa.core import lock_store as rasa_lock_store
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)
T = TypeVar("T")
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def _dropped_connection(error: DBAPIError) -> bool:
    return bool(error.connection_invalidated)


class ResilientSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose pool pre-pings connections and which retries once on a dropped connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _once_more_if_dropped(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except DBAPIError as error:
            if not _dropped_connection(error):
                raise
            logger.warning("tracker store: PostgreSQL dropped the connection (%s); retrying once", error.orig)
            return await call()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Publish the new events, then write them; the write (one transaction) is retried once."""
        await self.stream_events(tracker)
        try:
            self._write_new_events(tracker)
        except DBAPIError as error:
            if not _dropped_connection(error):
                raise
            logger.warning("tracker store: PostgreSQL dropped the connection while saving (%s); retrying once", error.orig)
            self._write_new_events(tracker)

    def _write_new_events(self, tracker: DialogueStateTracker) -> None:
        # The body of Rasa 3.6's SQLTrackerStore.save after stream_events: the events the database lacks.
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                session.add(self.SQLEvent(
                    sender_id=tracker.sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"), data=json.dumps(data),
                ))
            session.commit()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        parent = super()._retrieve
        return await self._once_more_if_dropped(lambda: parent(sender_id, fetch_events_from_all_sessions))


class RetryingRedisLockStore(RedisLockStore):
    """``RedisLockStore`` that waits for Redis to come back instead of failing the message.

    Extra endpoint keys: ``retry_for_s`` (default 15) and ``retry_delay_s`` (default 0.5).
    """

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        kwargs = dict(endpoint_config.kwargs)
        self.retry_for_s = float(kwargs.pop("retry_for_s", 15))
        self.retry_delay_s = float(kwargs.pop("retry_delay_s", 0.5))
        super().__init__(host=endpoint_config.url or "localhost", **kwargs)

    async def _ticket_and_lock(self, conversation_id: str, lock_lifetime: float, wait_s: float) -> tuple[int, TicketLock]:
        deadline = time.monotonic() + self.retry_for_s
        ticket: int | None = None
        while True:
            try:
                ticket = self.issue_ticket(conversation_id, lock_lifetime)
                return ticket, await self._acquire_lock(conversation_id, ticket, wait_s)
            except (LockError, *REDIS_ERRORS) as error:
                # LockError also means the lock vanished (Redis restarted empty): a new ticket recreates it.
                if time.monotonic() > deadline:
                    raise
                logger.warning("lock store: %s; retrying for conversation %s", error, conversation_id)
                if ticket is not None:
                    self._forget_quietly(conversation_id, ticket)
                    ticket = None
                await asyncio.sleep(self.retry_delay_s)

    def _forget_quietly(self, conversation_id: str, ticket: int) -> None:
        try:
            self.cleanup(conversation_id, ticket)
        except (LockError, *REDIS_ERRORS) as error:
            logger.warning("lock store: could not release ticket %s of %s (%s); it expires by itself", ticket, conversation_id, error)

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float | None = None, wait_time_in_seconds: float = 1
    ) -> AsyncIterator[TicketLock]:
        """Rasa's ticket lock, retried while Redis is unreachable; released best-effort."""
        lifetime = rasa_lock_store.LOCK_LIFETIME if lock_lifetime is None else lock_lifetime
        ticket, lock = await self._ticket_and_lock(conversation_id, lifetime, wait_time_in_seconds)
        try:
            yield lock
        finally:
            self._forget_quietly(conversation_id, ticket)
