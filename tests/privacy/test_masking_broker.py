"""Events leave Rasa masked: the SQL broker into a real SQLite file, the pika broker through a real RabbitMQ queue.

Both brokers are built the way ``rasa run`` builds them, from an ``endpoints.yml`` whose ``type`` is
the class path, and fed by Rasa's own tracker store. RabbitMQ: ``RABBITMQ_HOST`` (default 127.0.0.1),
guest/guest on 5672; each test uses its own exchange and queue and deletes them.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from pathlib import Path

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from services.masking_broker import MaskingPikaEventBroker, MaskingSQLEventBroker, mask_event
from tests.rabbitmq import RABBITMQ_HOST, read_queue

SENDER = "shopper-42"
USER_TEXT = "I'm alice@example.com, order 100234, call +44 20 7946 0958"
SECRETS = ("alice@example.com", "7946 0958", "12 Harbour St", "4111 1111 1111 1111")


def conversation() -> DialogueStateTracker:
    """A turn with PII in the text, the entities, the metadata, a slot and the bot's reply."""
    parse_data = {
        "intent": {"name": "inform", "confidence": 0.98},
        "entities": [{"entity": "email", "value": "alice@example.com", "start": 4, "end": 21}],
        "text": USER_TEXT,
    }
    return DialogueStateTracker.from_events(SENDER, [
        ActionExecuted("action_listen"),
        UserUttered(USER_TEXT, parse_data["intent"], parse_data["entities"], parse_data,
                    metadata={"customer_id": "C-1001", "note": "ship to 12 Harbour St"}, message_id="m-1"),
        SlotSet("email", "alice@example.com"),
        SlotSet("order_number", "100234"),
        BotUttered("Card 4111 1111 1111 1111 is on file; order 100234 is with UPS, 1Z4A7F390312448861."),
    ])


def assert_masked(events: list[dict]) -> None:
    raw = json.dumps(events)
    assert not [s for s in SECRETS if s in raw], raw
    user = next(e for e in events if e["event"] == "user")
    assert user["text"] == "I'm [EMAIL], order 100234, call [PHONE]"
    assert user["parse_data"]["entities"][0]["value"] == "[EMAIL]"
    assert user["parse_data"]["intent"]["name"] == "inform"
    assert user["metadata"] == {"customer_id": "C-1001", "note": "ship to [ADDRESS]"}
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {"email": "[EMAIL]", "order_number": "100234"}
    bot = next(e for e in events if e["event"] == "bot")
    assert bot["text"] == "Card [CARD] is on file; order 100234 is with UPS, 1Z4A7F390312448861."
    assert {e["sender_id"] for e in events} == {SENDER}


def write_endpoints(path: Path, broker: str) -> AvailableEndpoints:
    path.write_text(broker)
    return AvailableEndpoints.read_endpoints(str(path))


def test_mask_event_masks_only_content_keys() -> None:
    event = {"event": "user", "sender_id": "alice@example.com", "text": "alice@example.com", "timestamp": 1.5,
             "input_channel": "rest", "metadata": {"k": ["call 503-555-0123"]}}
    assert mask_event(event) == {**event, "text": "[EMAIL]", "metadata": {"k": ["call [PHONE]"]}}


def test_sql_broker_from_endpoints_writes_masked_events_to_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    endpoints = write_endpoints(tmp_path / "endpoints.yml", f"""
event_broker:
  type: services.masking_broker.MaskingSQLEventBroker
  dialect: sqlite
  db: {db}
""")

    async def scenario() -> None:
        broker = await EventBroker.create(endpoints.event_broker)
        assert isinstance(broker, MaskingSQLEventBroker)
        await InMemoryTrackerStore(Domain.empty(), event_broker=broker).save(conversation())
        await broker.close()  # as Rasa does at shutdown: what the writer thread still holds is written

    asyncio.run(scenario())
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT sender_id, data FROM events ORDER BY id").fetchall()
    assert len(rows) == 5 and {r[0] for r in rows} == {SENDER}
    assert_masked([json.loads(data) for _, data in rows])


def test_pika_broker_from_endpoints_publishes_masked_events_to_rabbitmq(tmp_path: Path) -> None:
    suffix = uuid.uuid4().hex[:12]
    queue, exchange = f"test-masking-{suffix}", f"test-masking-exchange-{suffix}"
    endpoints = write_endpoints(tmp_path / "endpoints.yml", f"""
event_broker:
  type: services.masking_broker.MaskingPikaEventBroker
  url: {RABBITMQ_HOST}
  username: guest
  password: guest
  queues: [{queue}]
  exchange_name: {exchange}
  connection_attempts: 2
  retry_delay_in_seconds: 1
""")

    async def scenario() -> list[dict]:
        try:
            broker = await EventBroker.create(endpoints.event_broker)
        except Exception as exc:  # any connection failure: say what to start
            pytest.fail(f"RabbitMQ at {RABBITMQ_HOST}:5672 (guest/guest) is unreachable: {exc}; start it or set RABBITMQ_HOST")
        assert isinstance(broker, MaskingPikaEventBroker) and broker.is_ready()
        try:
            await InMemoryTrackerStore(Domain.empty(), event_broker=broker).save(conversation())
            events = await read_queue(queue, count=5)
        finally:
            channel = await broker._connection.channel()  # the test's exchange goes with the test
            await channel.exchange_delete(exchange)
            await broker.close()
        return events

    events = asyncio.run(scenario())
    assert len(events) == 5
    assert_masked(events)
