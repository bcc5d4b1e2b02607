"""The production event broker: it masks, keeps events through an outage and through a crash of its Rasa server.

The outage test drives the broker's own code against an exchange that fails; the other two publish
through the machine's real RabbitMQ (``RABBITMQ_HOST``, default 127.0.0.1, guest/guest on 5672), each
with its own exchange and queue, deleted afterwards.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from services.event_spool import EventSpool
from services.prod_broker import ReconnectingPikaEventBroker
from tests.rabbitmq import RABBITMQ_HOST, read_queue


class Exchange:
    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.sent: list[dict] = []

    async def publish(self, message, routing_key: str) -> None:  # type: ignore[no-untyped-def]
        if self.fail:
            raise ConnectionError("RabbitMQ is stopped")
        self.sent.append(json.loads(message.body))


def test_events_published_during_an_outage_arrive_in_order_after_it(tmp_path: Path) -> None:
    spool_path = tmp_path / "spool.db"

    async def scenario() -> tuple[list[dict], int, int]:
        broker = ReconnectingPikaEventBroker("127.0.0.1", "guest", "guest", queues=["q"], retry_delay_in_seconds=0.05,
                                             spool_path=str(spool_path), event_loop=asyncio.get_running_loop())
        broken, working = Exchange(fail=True), Exchange(fail=False)
        broker._exchange = broken
        attempts = []

        async def connect() -> None:
            attempts.append(1)
            if len(attempts) < 3:  # still down twice
                raise ConnectionError("refused")
            broker._exchange = working

        broker.connect = connect  # type: ignore[method-assign]
        for n in range(5):
            broker.publish({"event": "user", "n": n})
        await asyncio.sleep(0)
        assert len(EventSpool(spool_path).pending()) == 5  # on disk while RabbitMQ is away
        await broker._reconnecting
        broker.publish({"event": "user", "n": 5})
        await asyncio.gather(*broker._background_tasks)
        return working.sent, len(attempts), len(broker._unpublished_events)

    sent, attempts, left = asyncio.run(scenario())
    assert [e["n"] for e in sent] == [0, 1, 2, 3, 4, 5]
    assert attempts == 3 and left == 0
    assert EventSpool(spool_path).pending() == []  # confirmed events leave the spool


async def connected_broker(queue: str, exchange: str, spool_path: Path) -> ReconnectingPikaEventBroker:
    broker = ReconnectingPikaEventBroker(RABBITMQ_HOST, "guest", "guest", queues=[queue], exchange_name=exchange,
                                         connection_attempts=2, retry_delay_in_seconds=1, spool_path=str(spool_path),
                                         event_loop=asyncio.get_running_loop())
    try:
        await broker.connect()
    except Exception as exc:  # any connection failure: say what to start
        pytest.fail(f"RabbitMQ at {RABBITMQ_HOST}:5672 (guest/guest) is unreachable: {exc}; start it or set RABBITMQ_HOST")
    return broker


async def drop_exchange(broker: ReconnectingPikaEventBroker, exchange: str) -> None:
    channel = await broker._connection.channel()
    await channel.exchange_delete(exchange)
    await broker.close()


def test_events_a_crashed_server_had_not_sent_reach_rabbitmq_when_it_starts_again(tmp_path: Path) -> None:
    suffix = uuid.uuid4().hex[:12]
    queue, exchange, spool_path = f"test-spool-{suffix}", f"test-spool-exchange-{suffix}", tmp_path / "rasa-1.db"
    sent_before_crash = [{"event": "user", "sender_id": "s-1", "text": f"message {n}"} for n in range(40)]

    # The first server accepts 40 events and dies before its event loop ran a single publish (like kill -9).
    crashed = ReconnectingPikaEventBroker(RABBITMQ_HOST, "guest", "guest", queues=[queue], exchange_name=exchange,
                                          spool_path=str(spool_path), event_loop=asyncio.new_event_loop())
    for event in sent_before_crash:
        crashed.publish(event)
    crashed._spool.close()

    async def restarted() -> list[dict]:
        broker = await connected_broker(queue, exchange, spool_path)
        try:
            await broker._reconnecting  # the previous run's events go first
            broker.publish({"event": "user", "sender_id": "s-1", "text": "after the restart"})
            await asyncio.gather(*broker._background_tasks)
            return await read_queue(queue, count=41)
        finally:
            await drop_exchange(broker, exchange)

    received = asyncio.run(restarted())
    assert [e["text"] for e in received] == [e["text"] for e in sent_before_crash] + ["after the restart"]
    assert EventSpool(spool_path).pending() == []


def test_events_reach_rabbitmq_masked(tmp_path: Path) -> None:
    suffix = uuid.uuid4().hex[:12]
    queue, exchange = f"test-prod-mask-{suffix}", f"test-prod-mask-exchange-{suffix}"
    event = {"event": "user", "sender_id": "s-2", "text": "it's alice@example.com, call +44 20 7946 0958",
             "metadata": {"note": "ship to 12 Harbour St"}}

    async def scenario() -> tuple[list[dict], str]:
        broker = await connected_broker(queue, exchange, tmp_path / "spool.db")
        try:
            broker.publish(event)
            on_disk = (tmp_path / "spool.db").read_bytes().decode("latin-1") + \
                (tmp_path / "spool.db-wal").read_bytes().decode("latin-1")
            await asyncio.gather(*broker._background_tasks)
            return await read_queue(queue, count=1), on_disk
        finally:
            await drop_exchange(broker, exchange)

    received, on_disk = asyncio.run(scenario())
    assert received == [{"event": "user", "sender_id": "s-2", "text": "it's [EMAIL], call [PHONE]",
                         "metadata": {"note": "ship to [ADDRESS]"}}]
    assert "alice@example.com" not in on_disk and "[EMAIL]" in on_disk
