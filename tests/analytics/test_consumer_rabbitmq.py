"""The consumer on RabbitMQ (127.0.0.1:5672, guest/guest), fed by Rasa's own PikaEventBroker.

Each test has its own exchange and queue, deleted afterwards. RabbitMQ not running is a failure
with what to do, like the PostgreSQL tests.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator

import pika
import pytest
import rasa.shared.core.events  # noqa: F401  (PikaEventBroker uses it without importing it)
from rasa.core.brokers.pika import PikaEventBroker
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from services.analytics.consumer import Consumer, ConsumerOptions
from services.analytics.models import AnalyticsAlert, AnalyticsDeadLetter, AnalyticsMessage
from services.analytics.webhook import SlackWebhook
from services.analytics.writer import AnalyticsWriter
from services.store.db import session_scope
from tests.analytics.event_stream import WORKING_DAY, WORKING_DAY_BASELINE_HOURS, StreamOptions, surge_hours
from tests.analytics.webhook_double import WebhookDouble

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
BAD_BODIES = (b"\x00\x01 binary", b"{truncated", b'{"sender_id": "s", "event": "user"}')


class Rabbit:
    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:10]
        self.exchange, self.queue = f"test-rasa-exchange-{suffix}", f"test_rasa_analytics_{suffix}"

    def publish_with_rasa(self, events: list[dict]) -> None:
        """Publish like a Rasa server does: PikaEventBroker, its exchange and durable queue."""
        async def publish() -> None:
            broker = PikaEventBroker("127.0.0.1", "guest", "guest", queues=[self.queue], exchange_name=self.exchange,
                                     event_loop=asyncio.get_running_loop(), connection_attempts=1, retry_delay_in_seconds=0)
            await broker.connect()
            for event in events:
                broker.publish(event)
            while broker._background_tasks:  # publish() schedules a task per event
                await asyncio.gather(*list(broker._background_tasks))
            await broker.close()
        asyncio.run(publish())

    def publish_raw(self, bodies: tuple[bytes, ...]) -> None:
        connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        channel = connection.channel()
        for body in bodies:
            channel.basic_publish(exchange=self.exchange, routing_key="", body=body)
        connection.close()

    def depth(self) -> int:
        connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        try:
            return connection.channel().queue_declare(queue=self.queue, durable=True, passive=True).method.message_count
        finally:
            connection.close()

    def consumer(self, database_url: str, webhook_url: str | None = None) -> Consumer:
        options = ConsumerOptions(source="rabbitmq", amqp_url=AMQP_URL, queue=self.queue, exchange=self.exchange,
                                  database_url=database_url, once=True, poll_seconds=2.0, baseline_hours=WORKING_DAY_BASELINE_HOURS)
        return Consumer(options, webhook=SlackWebhook(webhook_url))


@pytest.fixture()
def rabbit() -> Iterator[Rabbit]:
    try:
        pika.BlockingConnection(pika.URLParameters(AMQP_URL)).close()
    except pika.exceptions.AMQPConnectionError as exc:
        pytest.fail(f"RabbitMQ at 127.0.0.1:5672 (guest/guest) is unreachable ({exc!r}): start rabbitmq-server", pytrace=False)
    r = Rabbit()
    yield r
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    channel.queue_delete(r.queue)
    channel.exchange_delete(r.exchange)
    connection.close()


def test_the_recorded_stream_over_rabbitmq_fires_and_clears_one_alert(analytics_url: str, rabbit: Rabbit,
                                                                      recorded_stream: list[dict]) -> None:
    half = len(recorded_stream) // 2
    rabbit.publish_with_rasa(recorded_stream[:1])  # declares the exchange and binds the queue, as Rasa does at start-up
    rabbit.publish_raw(BAD_BODIES)
    rabbit.publish_with_rasa(recorded_stream[1:half])
    rabbit.publish_with_rasa(recorded_stream[half:])
    with WebhookDouble() as hook:
        summary = rabbit.consumer(analytics_url, hook.url).run()
    assert (summary.processed, summary.dead_lettered) == (len(recorded_stream), len(BAD_BODIES))
    assert rabbit.depth() == 0  # everything acknowledged
    start, end = surge_hours(StreamOptions(**WORKING_DAY))
    with session_scope(analytics_url) as session:
        alert = session.execute(select(AnalyticsAlert)).scalar_one()
        letters = session.execute(select(AnalyticsDeadLetter.error).order_by(AnalyticsDeadLetter.id)).scalars().all()
        messages = session.execute(select(func.count()).select_from(AnalyticsMessage)).scalar_one()
    assert start < alert.fired_at < start + dt.timedelta(minutes=45) and end < alert.resolved_at
    assert [t.split(":")[0] for t in hook.texts] == ["Negative surge", "Recovered"]
    assert "not UTF-8" in letters[0] or "not JSON" in letters[0]
    assert "not JSON" in letters[1] and "timestamp" in letters[2]
    assert messages == sum(e["event"] == "user" for e in recorded_stream)


def test_nothing_is_acknowledged_while_the_database_is_away(analytics_url: str, rabbit: Rabbit, recorded_stream: list[dict],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    events = recorded_stream[:300]
    rabbit.publish_with_rasa(events)

    def database_away(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("INSERT ...", {}, Exception("server closed the connection unexpectedly"))

    with monkeypatch.context() as patch:
        patch.setattr(AnalyticsWriter, "apply", database_away)
        with pytest.raises(OperationalError):
            rabbit.consumer(analytics_url).run()
    assert rabbit.depth() == len(events)  # given back to the queue, not lost
    summary = rabbit.consumer(analytics_url).run()
    assert summary.processed == len(events) and rabbit.depth() == 0
    with session_scope(analytics_url) as session:
        assert session.execute(select(func.count()).select_from(AnalyticsMessage)).scalar_one() == sum(e["event"] == "user" for e in events)
