"""Rasa's pika event broker for production: masked, reconnecting, and (with a spool) durable across a crash.

Measured with ``rabbitmqctl stop_app`` / ``start_app`` and ``kill -9`` under load (``bench/faults.py``):
- Rasa 3.6's ``PikaEventBroker`` keeps answering after an outage but never publishes again (aio-pika's
  robust connection does not bring the exchange back), so every later event is lost to the consumers.
- A killed Rasa server loses the events it had not sent yet (6.3 % of a fault run's events), because
  the broker keeps them only in memory.

:class:`ReconnectingPikaEventBroker` masks personal data (``services.masking_broker.mask_event``).
Given a spool path, it also writes each event to an :class:`~services.event_spool.EventSpool` before
publishing it and deletes it once RabbitMQ confirmed it (off in ``make run-prod`` unless
``--event-spool``: see ``docs/results.md``). A failed publish keeps the event, opens a new connection in the
background (retrying every ``retry_delay_in_seconds``), then sends what it kept, in order, before
anything new. On start it first sends what a spool kept from the previous run.

endpoints.yml: ``event_broker: {type: services.prod_broker.ReconnectingPikaEventBroker, ...}`` with
the keys of ``pika``, plus ``publish_timeout_s`` (default 60: bounds one publish while catching up)
and ``spool_path`` (default: the ``EVENT_SPOOL_PATH`` environment variable; unset keeps events in
memory only). Give every Rasa server its own spool file.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Coroutine
from typing import Any

from rasa.core.brokers.pika import PikaEventBroker

from services.event_spool import SPOOL_PATH_ENV, EventSpool, SpooledEvent
from services.masking_broker import mask_event

logger = logging.getLogger(__name__)


class ReconnectingPikaEventBroker(PikaEventBroker):
    """``PikaEventBroker`` that masks, optionally spools each event until RabbitMQ confirms it, and reconnects."""

    def __init__(self, *args: Any, publish_timeout_s: float = 60, spool_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.publish_timeout_s = float(publish_timeout_s)
        self._reconnecting: asyncio.Task | None = None
        self._spool = EventSpool(spool_path or os.environ.get(SPOOL_PATH_ENV) or None)
        leftovers = self._spool.pending()
        if leftovers:
            logger.info("event broker: %d events from the previous run are waiting in %s", len(leftovers), self._spool.path)
        self._unpublished_events: deque[SpooledEvent] = deque(leftovers)  # type: ignore[assignment]

    @property
    def reconnecting(self) -> bool:
        """True while the broker reconnects or sends what it kept (new events queue behind)."""
        return self._reconnecting is not None and not self._reconnecting.done()

    async def connect(self) -> None:
        await super().connect()
        if self._unpublished_events and not self.reconnecting:
            self._catch_up(fresh_connection=False)

    def publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        """Mask ``event``, keep it on disk, then publish it in the background."""
        self._in_background(self._publish_entry(self._spool.add(mask_event(event), headers)))

    async def close(self) -> None:
        await super().close()
        self._spool.close()  # what was not confirmed stays in the file for the next run

    def _in_background(self, coroutine: Coroutine[Any, Any, None]) -> None:
        # As PikaEventBroker.publish does for its _publish; ours must spool before the task exists.
        task = self._loop.create_task(coroutine)
        self._background_tasks.add(task)  # a reference, so the task is not garbage-collected
        task.add_done_callback(self._background_tasks.discard)

    async def _publish_entry(self, entry: SpooledEvent) -> None:
        if self._exchange is None or self.reconnecting:
            self._keep(entry)
            return
        try:
            # No timeout here: a busy event loop (NLU inference) can hold a healthy publish for seconds.
            await self._exchange.publish(self._message(entry.event, entry.headers), "")
        except Exception as error:  # noqa: BLE001 (any failure means: keep it and reconnect)
            logger.warning("event broker: publishing failed (%s: %s); keeping the event and reconnecting", type(error).__name__, error)
            self._keep(entry)
            return
        self._spool.remove(entry)

    def _publish_unpublished_messages(self, *_: Any, **__: Any) -> None:
        # aio-pika's robust connection came back by itself, but not the exchange Rasa declared on it:
        # send what was kept on a new connection.
        if self._unpublished_events and not self.reconnecting:
            self._catch_up(fresh_connection=True)

    def _keep(self, entry: SpooledEvent) -> None:
        self._unpublished_events.append(entry)  # type: ignore[arg-type]
        if not self.reconnecting:
            self._catch_up(fresh_connection=True)

    def _catch_up(self, fresh_connection: bool) -> None:
        self._reconnecting = self._loop.create_task(self._reconnect_and_flush(fresh_connection))

    async def _reconnect_and_flush(self, fresh_connection: bool) -> None:
        while True:
            try:
                if fresh_connection:
                    await self._fresh_connection()
                await self._flush()
                logger.info("event broker: RabbitMQ is reachable; published what was kept")
                return
            except Exception as error:  # noqa: BLE001
                logger.warning("event broker: RabbitMQ still unreachable (%s); %d events kept", error, len(self._unpublished_events))
                fresh_connection = True
                await asyncio.sleep(self._retry_delay_in_seconds)

    async def _fresh_connection(self) -> None:
        old, self._connection, self._exchange = self._connection, None, None
        if old is not None:
            try:
                await asyncio.wait_for(old.close(), self.publish_timeout_s)
            except Exception:  # noqa: BLE001 (the old connection is gone either way)
                pass
        self._connection_attempts = 1  # one try per round: the loop above retries
        await self.connect()

    async def _flush(self) -> None:
        while self._unpublished_events:
            entry: SpooledEvent = self._unpublished_events[0]  # type: ignore[assignment]
            await asyncio.wait_for(self._exchange.publish(self._message(entry.event, entry.headers), ""),  # type: ignore[union-attr]
                                   self.publish_timeout_s)
            self._spool.remove(entry)
            self._unpublished_events.popleft()
