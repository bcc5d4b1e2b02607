"""Rasa's socket.io channel with custom payloads that reach the browser.

Rasa 3.6's ``SocketIOOutput.send_custom_json`` calls ``sio.emit(event, **json_message)``: a payload
such as ``{"type": "product_cards", ...}`` becomes keyword arguments and python-socketio raises
``emit() got an unexpected keyword argument 'type'``, so the shopper sees nothing. Here custom
payloads are sent as ``{"custom": payload}``, the shape the REST channel uses.

A desk reply arrives over Rasa's HTTP API at any worker or server, but the shopper's socket is held
by one. So emits are relayed: between servers through Redis when ``client_manager_url`` is set
(python-socketio's ``AsyncRedisManager``; ``make run-prod`` sets it), else between the Sanic workers
of one server when there are several (``channels.socketio_relay``).

credentials.yml: ``channels.socketio.WebChatInput`` with the same keys as ``socketio``, plus the
optional ``client_manager_url: redis://host:port/db``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint
from socketio import AsyncRedisManager

from channels.socketio_relay import SiblingWorkersManager
from services.rasa_launcher import several_workers


class WebChatOutput(SocketIOOutput):
    """Sends custom JSON as ``{"custom": payload}`` to the shopper's room."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class WebChatInput(SocketIOInput):
    """Rasa's socket.io input whose replies go through :class:`WebChatOutput`."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    client_manager_url: str | None = None

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebChatInput:
        channel = super().from_credentials(credentials)
        channel.client_manager_url = (credentials or {}).get("client_manager_url") or None
        return channel

    def get_output_channel(self) -> WebChatOutput | None:
        return WebChatOutput(self.sio, self.bot_message_evt) if self.sio is not None else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        manager = (AsyncRedisManager(self.client_manager_url) if self.client_manager_url
                   else SiblingWorkersManager() if several_workers() else None)
        if manager is not None:  # set before any client connects: python-socketio initialises it then
            sio.manager = manager
            manager.set_server(sio)

        async def handle_message(sid: str, data: dict) -> None:
            # Rasa's handler, with WebChatOutput instead of SocketIOOutput.
            if not isinstance(data, dict):
                return
            if self.session_persistence:
                if not data.get("session_id"):
                    return  # Rasa warns and ignores such messages too
                sender_id = data["session_id"]
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except json.JSONDecodeError:
                    metadata = {}
            if not isinstance(metadata, dict):
                metadata = {}
            text = data.get("message", "")
            if not isinstance(text, str):
                return
            message = UserMessage(text[:MAX_MESSAGE_CHARS], WebChatOutput(sio, self.bot_message_evt), sender_id,
                                  input_channel=self.name(), metadata=metadata)
            await on_new_message(message)

        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)  # replaces Rasa's handler
        return blueprint


MAX_MESSAGE_CHARS = 5000  # a pasted novel costs the classifier and DIET; the bot still answers
