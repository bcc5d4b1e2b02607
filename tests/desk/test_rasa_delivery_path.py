"""The path inside Rasa 3.6 that the desk's web chat replies take, checked without a trained model.

The desk appends ``{"event": "bot", ...}`` with ``output_channel=latest&execute_side_effects=true``.
Rasa's server then picks the output channel of the conversation's latest input channel
(``rasa.server._get_output_channel``) and sends every appended bot message to it
(``MessageProcessor._send_bot_messages``). For the web chat that is ``WebChatOutput``, which emits
``bot_uttered`` to the room named by the conversation id: the room the shopper's socket joined
with ``session_request``. The end-to-end version is tests/e2e/test_desk_browser.py.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.processor import MessageProcessor
from rasa.server import _get_output_channel
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.socketio import WebChatInput, WebChatOutput
from tests.site.test_site import RecordingServer


def web_chat_channel() -> tuple[WebChatInput, RecordingServer]:
    channel = WebChatInput(user_message_evt="user_uttered", bot_message_evt="bot_uttered", session_persistence=True,
                           metadata_key="metadata")

    async def ignore(message) -> None:  # noqa: ANN001
        return None

    channel.blueprint(ignore)  # sets channel.sio, as `rasa run` does
    server = RecordingServer()
    channel.sio = server
    return channel, server


def request(output_channel: str, channels: list) -> SimpleNamespace:
    return SimpleNamespace(args={"output_channel": output_channel}, app=SimpleNamespace(ctx=SimpleNamespace(input_channels=channels)))


def test_an_appended_bot_message_reaches_the_shoppers_socket_room() -> None:
    channel, server = web_chat_channel()
    tracker = DialogueStateTracker.from_events("session-42", [UserUttered("hello?", input_channel="socketio")])
    output = _get_output_channel(request("latest", [channel]), tracker)
    assert isinstance(output, WebChatOutput)
    event = Event.from_parameters({"event": "bot", "text": "Dana (Harbor & Pine team): I'm on it.",
                                   "metadata": {"source": "desk", "agent": "dana"}})
    assert isinstance(event, BotUttered) and event.metadata == {"source": "desk", "agent": "dana"}
    asyncio.run(MessageProcessor._send_bot_messages([event], tracker, output))
    assert server.emitted == [("bot_uttered", {"text": "Dana (Harbor & Pine team): I'm on it."}, "session-42")]


def test_a_rest_conversation_gets_no_pushing_channel() -> None:
    channel, server = web_chat_channel()
    tracker = DialogueStateTracker.from_events("rest-1", [UserUttered("hello?", input_channel="rest")])
    output = _get_output_channel(request("latest", [channel]), tracker)
    assert isinstance(output, CollectingOutputChannel)  # what the desk's "REST cannot push" is about
    assert server.emitted == []
