"""Rasa's pika event broker, made to reconnect by itself after RabbitMQ was stopped and started.

Measured with ``rabbitmqctl stop_app`` / ``start_app`` under load (``bench/faults.py``): Rasa 3.6's
``PikaEventBroker`` keeps answering, but from the outage on it never publishes again (aio-pika's
robust connection does not bring the exchange back), so every later event is lost to the consumers.
:class:`ReconnectingPikaEventBroker` keeps each event that could not be published, opens a new
connection in the background (retrying every ``retry_delay_in_seconds``), then sends what it kept,
in order, before publishing anything new. Events wait in memory meanwhile (lost only if the Rasa
server itself dies during the outage).

endpoints.yml: ``event_broker: {type: services.prod_broker.ReconnectingPikaEventBroker, ...}`` with
the keys of ``pika``; ``publish_timeout_s`` (default 60) bounds one publish while catching up.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa.core.brokers.pika import PikaEventBroker

logger = logging.getLogger(__name__)


class ReconnectingPikaEventBroker(PikaEventBroker):
    """``PikaEventBroker`` that reconnects on a failed publish and then sends the events it kept."""

    def __init__(self, *args: Any, publish_timeout_s: float = 60, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.publish_timeout_s = float(publish_timeout_s)
        self._reconnecting: asyncio.Task | None = None

    @property
    def reconnecting(self) -> bool:
        return self._reconnecting is not None and not self._reconnecting.done()

    async def _publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        if self._exchange is None or self.reconnecting:
            self._keep(event)
            return
        try:
            # No timeout here: a busy event loop (NLU inference) can hold a healthy publish for seconds.
            await self._exchange.publish(self._message(event, headers), "")
        except Exception as error:  # noqa: BLE001 (any failure means: keep it and reconnect)
            logger.warning("event broker: publishing failed (%s: %s); keeping the event and reconnecting", type(error).__name__, error)
            self._keep(event)

    def _keep(self, event: dict[str, Any]) -> None:
        self._unpublished_events.append(event)
        if not self.reconnecting:
            self._reconnecting = self._loop.create_task(self._reconnect_and_flush())

    async def _reconnect_and_flush(self) -> None:
        while True:
            try:
                await self._fresh_connection()
                await self._flush()
                logger.info("event broker: RabbitMQ is back; published what was kept")
                return
            except Exception as error:  # noqa: BLE001
                logger.warning("event broker: RabbitMQ still unreachable (%s); %d events kept", error, len(self._unpublished_events))
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
            event = self._unpublished_events[0]
            await asyncio.wait_for(self._exchange.publish(self._message(event, None), ""), self.publish_timeout_s)  # type: ignore[union-attr]
            self._unpublished_events.popleft()
