"""The few Rasa HTTP API calls the desk and the hand-back make, server-side with the API token (agents never see it)."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from typing import Any

import aiohttp

MAX_RESPONSE_BYTES = 32 * 1024 * 1024  # a tracker of thousands of turns is a few MB; beyond this something is wrong


class RasaApiError(RuntimeError):
    """A Rasa API call failed. The message names the call and the status, never the URL (it holds the token)."""


class RasaApi:
    """Async client of ``rasa run --enable-api``: trackers, appended events, executed actions."""

    def __init__(self, base_url: str, token: str = "", timeout_s: float = 30.0, max_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.max_bytes = max_bytes

    def __repr__(self) -> str:
        return f"RasaApi({self.base_url!r})"

    async def tracker(self, sender_id: str) -> dict[str, Any]:
        """The whole tracker (every event, across restarts: turn numbers stay stable)."""
        return await self._call("GET", sender_id, "tracker", params={"include_events": "ALL"})

    async def append_events(self, sender_id: str, events: list[dict], output_channel: str | None = None,
                            side_effects: bool = False) -> dict[str, Any]:
        """Append events; with ``side_effects`` Rasa sends appended bot messages to ``output_channel``."""
        params = {"include_events": "NONE"}
        if output_channel:
            params["output_channel"] = output_channel
        if side_effects:
            params["execute_side_effects"] = "true"
        return await self._call("POST", sender_id, "tracker/events", params=params, body=events)

    async def execute(self, sender_id: str, action: str, output_channel: str | None = None) -> dict[str, Any]:
        """Run ``action`` in the conversation; without ``output_channel`` Rasa returns the messages instead of sending them."""
        params = {"include_events": "NONE", **({"output_channel": output_channel} if output_channel else {})}
        return await self._call("POST", sender_id, "execute", params=params, body={"name": action})

    async def _call(self, method: str, sender_id: str, path: str, params: dict[str, str], body: object = None) -> dict[str, Any]:
        url = f"{self.base_url}/conversations/{urllib.parse.quote(sender_id, safe='')}/{path}"
        query = {**params, **({"token": self._token} if self._token else {})}
        what = f"Rasa API {method} /conversations/<id>/{path}"
        try:
            async with aiohttp.ClientSession(timeout=self.timeout) as http:
                async with http.request(method, url, params=query, json=body) as response:
                    raw = bytearray()
                    async for chunk in response.content.iter_chunked(64 * 1024):
                        raw += chunk
                        if len(raw) > self.max_bytes:
                            raise RasaApiError(f"{what} answered more than {self.max_bytes:,} bytes")
                    if response.status >= 400:
                        raise RasaApiError(f"{what} answered HTTP {response.status}: {_error_message(raw)}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise RasaApiError(f"{what} failed ({type(error).__name__}); is the Rasa server up with --enable-api?") from None
        try:
            data = json.loads(raw or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RasaApiError(f"{what} did not answer JSON") from None
        if not isinstance(data, dict):
            raise RasaApiError(f"{what} did not answer a JSON object")
        return data


def _error_message(raw: bytes) -> str:
    """Rasa's error ``message``, cut; never the raw body (it could echo the request)."""
    try:
        message = json.loads(raw).get("message", "")
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        message = ""
    return str(message)[:200] or "no message"
