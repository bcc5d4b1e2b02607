"""Prometheus metrics of the Rasa server, as a Rasa input channel (no messages go through it).

credentials.yml::

    channels.metrics.MetricsInput:

Rasa registers every channel's blueprint on its Sanic app; this one serves ``GET /metrics`` on the
Rasa port and, when the server starts, adds ``services/metrics_http.py``'s app-wide middleware, so
every route (REST and socket.io channels, the HTTP API) is counted and timed under
``service="rasa"``. Nothing of Rasa is forked: without this block the server runs as before.
"""

from __future__ import annotations

from asyncio import AbstractEventLoop
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic

from services.metrics_http import METRICS_PATH, add_metrics_middleware, metrics_endpoint

SERVICE = "rasa"


class MetricsInput(InputChannel):
    """Serves ``/metrics`` and instruments the whole Rasa app."""

    @classmethod
    def name(cls) -> str:
        return "metrics"

    def url_prefix(self) -> str:
        return METRICS_PATH  # absolute: Rasa's urljoin("/webhooks/", "/metrics") is "/metrics"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("assistant_metrics", __name__)
        blueprint.add_route(metrics_endpoint, "", methods=["GET"], name="metrics")

        @blueprint.listener("before_server_start")
        async def instrument_app(app: Sanic, _: AbstractEventLoop) -> None:
            add_metrics_middleware(app, SERVICE)

        return blueprint
