"""The demo site without a browser: signing, thumbnails, the socket.io channel's custom payloads."""

from __future__ import annotations

import asyncio

import pytest

from channels.socketio import WebChatOutput
from demo_site.app import create_app, page_config
from demo_site.thumbnails import initials, thumbnail_svg
from services.store.identity import customer_from_metadata


def test_page_config_signs_the_customer_the_backend_chose() -> None:
    config = page_config("http://localhost:5005", "C-1001", "s3cret")
    assert customer_from_metadata(config["identity"], "s3cret") == "C-1001"
    assert customer_from_metadata(config["identity"], "other") is None
    anonymous = page_config("http://localhost:5005", None, "s3cret")
    assert anonymous["identity"] is None and anonymous["sessionKey"] != config["sessionKey"]


def test_site_refuses_to_start_without_a_secret() -> None:
    with pytest.raises(ValueError, match="IDENTITY_SECRET"):
        create_app("http://localhost:5005", "")


def test_thumbnails_are_deterministic_and_escaped() -> None:
    a = thumbnail_svg("Auralis Pulse Wireless Headphones", "headphones")
    assert a == thumbnail_svg("Auralis Pulse Wireless Headphones", "headphones")
    assert a != thumbnail_svg("Auralis Pulse Wireless Headphones", "coffee")
    assert a.startswith("<svg") and ">AP<" in a
    evil = thumbnail_svg('<script>alert(1)</script>', "x")
    assert "<script>" not in evil
    assert initials("  ") == "?"


class RecordingServer:
    """Stands in for python-socketio's AsyncServer: records what would be emitted."""

    def __init__(self) -> None:
        self.emitted: list[tuple] = []

    async def emit(self, event, data=None, room=None, **kwargs):
        if kwargs:
            raise TypeError(f"unexpected keyword arguments {sorted(kwargs)}")  # what python-socketio 5.x does
        self.emitted.append((event, data, room))


def test_custom_payloads_reach_the_room_as_custom() -> None:
    server = RecordingServer()
    payload = {"type": "product_cards", "products": [{"name": "Mug", "price": "$9.00"}]}
    asyncio.run(WebChatOutput(server, "bot_uttered").send_custom_json("session-1", payload))
    assert server.emitted == [("bot_uttered", {"custom": payload}, "session-1")]
