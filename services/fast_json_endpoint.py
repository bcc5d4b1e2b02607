"""Rasa's HTTP endpoint with request bodies serialised by orjson instead of ``json.dumps``.

Every action call sends the whole tracker (all events, with each message's parse data) and the
domain (80 KB here). aiohttp serialises ``json=`` bodies with ``json.dumps``: 6.6% of the embedded
server's CPU under load (py-spy, 2026-12-03). :class:`FastJSONEndpointConfig` is Rasa's
``EndpointConfig`` whose sessions use orjson; the body parses to the same JSON (non-string keys
become strings, as with ``json.dumps``).
"""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig


def dumps(value: Any) -> str:
    """``json.dumps(value)`` as orjson writes it (compact; dict keys that are not strings become strings)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


class FastJSONEndpointConfig(EndpointConfig):
    """``EndpointConfig`` whose ``request(json=...)`` bodies are serialised by :func:`dumps`."""

    @classmethod
    def of(cls, config: EndpointConfig) -> FastJSONEndpointConfig:
        """The same endpoint (URL, params, headers, auth, token, certificate, extra keys) with orjson bodies."""
        if isinstance(config, cls):
            return config
        return cls(url=config.url, params=config.params, headers=config.headers, basic_auth=config.basic_auth,
                   token=config.token, token_name=config.token_name, cafile=config.cafile, type=config.type,
                   **config.kwargs)

    def session(self) -> aiohttp.ClientSession:
        """Rasa's session (headers, basic auth, timeout) with orjson as the JSON serialiser."""
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        return aiohttp.ClientSession(headers=self.headers, auth=auth, json_serialize=dumps,
                                     timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT))
