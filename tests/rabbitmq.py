"""The machine's RabbitMQ for tests: where it is, and reading a test queue back (then deleting it)."""

from __future__ import annotations

import asyncio
import json
import os

import aio_pika

RABBITMQ_HOST = os.environ.get("RABBITMQ_HOST", "127.0.0.1")


async def read_queue(queue_name: str, count: int, timeout_s: float = 20.0) -> list[dict]:
    """Consume ``count`` messages from ``queue_name`` with a connection of our own."""
    connection = await aio_pika.connect_robust(host=RABBITMQ_HOST, login="guest", password="guest")
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        messages: list[dict] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while len(messages) < count and loop.time() < deadline:
            message = await queue.get(fail=False)
            if message is None:
                await asyncio.sleep(0.1)
                continue
            await message.ack()
            messages.append(json.loads(message.body))
        await queue.delete(if_unused=False, if_empty=False)
        return messages
