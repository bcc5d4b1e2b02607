"""RabbitMQ as a source (production): a durable queue bound to Rasa's fanout exchange, read with pika.

Rasa's ``PikaEventBroker`` declares the fanout exchange (``rasa-exchange``, not durable) and binds
the durable queues listed under ``queues:`` in ``endpoints.yml``. This declares the same, so either
side may start first. Messages are acknowledged only after the batch they belong to is committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pika
from pika.adapters.blocking_connection import BlockingChannel


@dataclass(frozen=True)
class Delivery:
    tag: int
    body: bytes


class RabbitMqEventSource:
    """Batches of deliveries from ``queue``; :meth:`ack` after the batch is stored."""

    def __init__(self, amqp_url: str, queue: str, exchange: str = "rasa-exchange", prefetch: int = 200) -> None:
        self.name = f"rabbitmq:{queue}"[:64]
        self.queue = queue
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
        self.channel: BlockingChannel = self.connection.channel()
        self.channel.exchange_declare(exchange=exchange, exchange_type="fanout", durable=False)
        self.channel.queue_declare(queue=queue, durable=True)
        self.channel.queue_bind(queue=queue, exchange=exchange)
        self.channel.basic_qos(prefetch_count=prefetch)
        self.prefetch = prefetch
        self._consumer: Iterator | None = None

    def batch(self, wait_seconds: float) -> list[Delivery]:
        """Up to ``prefetch`` deliveries; returns what arrived once the queue has been quiet for ``wait_seconds``."""
        if self._consumer is None:
            self._consumer = self.channel.consume(self.queue, inactivity_timeout=wait_seconds)
        out: list[Delivery] = []
        for method, _properties, body in self._consumer:
            if method is None:
                break
            out.append(Delivery(method.delivery_tag, body))
            if len(out) >= self.prefetch:
                break
        return out

    def ack(self, deliveries: list[Delivery]) -> None:
        if deliveries:
            self.channel.basic_ack(delivery_tag=deliveries[-1].tag, multiple=True)

    def requeue(self, deliveries: list[Delivery]) -> None:
        """Give a batch back (its transaction failed); it is delivered again."""
        if deliveries:
            self.channel.basic_nack(delivery_tag=deliveries[-1].tag, multiple=True, requeue=True)

    def close(self) -> None:
        try:
            if self._consumer is not None:
                self.channel.cancel()
            self.connection.close()
        except pika.exceptions.AMQPError:
            pass
