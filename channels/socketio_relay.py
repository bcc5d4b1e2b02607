"""socket.io emits that reach a web-chat client whichever Sanic worker of the server holds its socket.

With several workers (``make run`` starts one more than the cores), a shopper's WebSocket lives in one worker,
but the desk's reply arrives over Rasa's HTTP API at any worker, which emits ``bot_uttered`` to the
shopper's room. python-socketio solves this with a pub/sub "client manager" (Redis, RabbitMQ); the
embedded default has no such server, so this manager relays between the workers of one machine over
Unix datagram sockets in a private directory (mode 0700, made by ``tempfile.mkdtemp`` in the parent
before Sanic forks). Every emit goes to every listening worker, itself included, and each delivers
it to the clients it holds, exactly as ``AsyncRedisManager`` does. Messages are JSON, never pickle.

A worker starts listening when its first client connects (python-socketio's ``initialize``); a
worker without clients has nothing to deliver. A socket left by a worker that is gone is removed
at the first send that finds it dead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from socketio.asyncio_pubsub_manager import AsyncPubSubManager

from services.shared_sqlite import private_directory

logger = logging.getLogger(__name__)
MAX_DATAGRAM = 200_000  # bytes; Linux's default send buffer for a Unix datagram is 212,992


class SiblingWorkersManager(AsyncPubSubManager):
    """python-socketio client manager: pub/sub among the processes that share ``directory``."""

    name = "sibling-workers"

    def __init__(self, directory: Path | None = None) -> None:
        super().__init__(channel="socketio")
        self.directory = directory or private_directory("sio-")
        self._sender: socket.socket | None = None
        self._sender_pid = 0
        self._listener: socket.socket | None = None

    def _send_socket(self) -> socket.socket:
        if self._sender is None or self._sender_pid != os.getpid():
            self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._sender.setblocking(False)
            self._sender_pid = os.getpid()
        return self._sender

    def _listen_socket(self) -> socket.socket:
        if self._listener is None:
            path = self.directory / f"{os.getpid()}.sock"
            path.unlink(missing_ok=True)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            listener.bind(str(path))
            listener.setblocking(False)
            self._listener = listener
        return self._listener

    async def _publish(self, data: dict[str, Any]) -> None:
        payload = json.dumps(data).encode()
        if len(payload) > MAX_DATAGRAM:
            logger.error("socket.io relay: a %d-byte emit is too large to relay; dropped", len(payload))
            return
        sender = self._send_socket()
        for peer in self.directory.glob("*.sock"):
            try:
                sender.sendto(payload, str(peer))
            except (ConnectionRefusedError, FileNotFoundError):
                peer.unlink(missing_ok=True)  # its worker is gone
            except BlockingIOError:
                logger.warning("socket.io relay: worker %s is not reading; an emit to it was dropped", peer.stem)

    async def _listen(self) -> AsyncIterator[dict[str, Any]]:
        listener = self._listen_socket()
        loop = asyncio.get_running_loop()
        while True:
            raw = await loop.sock_recv(listener, MAX_DATAGRAM)
            try:
                message = json.loads(raw)
            except ValueError:
                logger.warning("socket.io relay: ignored a datagram that is not JSON")
                continue
            if isinstance(message, dict):
                yield message
