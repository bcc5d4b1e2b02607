"""The reconnecting event broker: a failed publish keeps the event, reconnects, then sends everything in order."""

from __future__ import annotations

import asyncio
import json

from services.prod_broker import ReconnectingPikaEventBroker


class Exchange:
    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.sent: list[dict] = []

    async def publish(self, message, routing_key: str) -> None:  # type: ignore[no-untyped-def]
        if self.fail:
            raise ConnectionError("RabbitMQ is stopped")
        self.sent.append(json.loads(message.body))


def test_events_published_during_an_outage_arrive_in_order_after_it() -> None:
    async def scenario() -> tuple[list[dict], int, int]:
        broker = ReconnectingPikaEventBroker("127.0.0.1", "guest", "guest", queues=["q"], retry_delay_in_seconds=0.05,
                                             event_loop=asyncio.get_running_loop())
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
            await broker._publish({"event": "user", "n": n})
        await broker._reconnecting
        await broker._publish({"event": "user", "n": 5})
        return working.sent, len(attempts), len(broker._unpublished_events)

    sent, attempts, left = asyncio.run(scenario())
    assert [e["n"] for e in sent] == [0, 1, 2, 3, 4, 5]
    assert attempts == 3 and left == 0
