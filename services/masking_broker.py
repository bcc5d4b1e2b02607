"""Rasa event brokers that mask personal data (``services.pii``) before an event leaves the server.

In ``endpoints.yml``::

    event_broker:
      type: services.masking_broker.MaskingPikaEventBroker   # or MaskingSQLEventBroker
      url: localhost
      username: guest
      password: guest
      queues: [rasa_events]

Rasa loads a broker ``type`` that is a module path with ``class_from_module_path`` and calls its
``from_endpoint_config``; these subclasses keep Rasa's and mask in ``publish``. The tracker store
keeps the unmasked conversation; the broker's consumers (analytics, Rasa X style tools) get
masked user and bot text, message metadata, parse data (entities such as an email) and slot values.
Sender ids, event names, intents and timestamps are kept.

``MaskingSQLEventBroker`` also writes off the event loop: rows go through
``services.sql_event_writer.BatchedEventWriter`` (one transaction per batch instead of Rasa's commit
per event) and Rasa's ``close`` at shutdown writes what is still queued.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rasa.core.brokers.pika import PikaEventBroker
from rasa.core.brokers.sql import SQLEventBroker

from services.pii import mask_value
from services.sql_event_writer import BatchedEventWriter

MASKED_EVENT_KEYS = frozenset({"text", "metadata", "parse_data", "value", "data", "action_text"})


def mask_event(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of a serialised Rasa event with every string under ``MASKED_EVENT_KEYS`` masked."""
    return {key: mask_value(value) if key in MASKED_EVENT_KEYS else value for key, value in event.items()}


class MaskingPikaEventBroker(PikaEventBroker):
    """Rasa's RabbitMQ broker, publishing masked events."""

    def publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().publish(mask_event(event), headers)


class MaskingSQLEventBroker(SQLEventBroker):
    """Rasa's SQL broker (table ``events``), storing masked events in batches from a writer thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # With several Sanic workers the table already exists: services.rasa_launcher creates it before the fork.
        super().__init__(*args, **kwargs)
        self.writer = BatchedEventWriter(self.engine, self.SQLBrokerEvent.__table__)

    def publish(self, event: dict[str, Any]) -> None:
        masked = mask_event(event)
        self.writer.put({"sender_id": masked.get("sender_id"), "data": json.dumps(masked)})

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.writer.close)
