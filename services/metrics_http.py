"""Request rate, latency and status codes of a Sanic app, and its ``/metrics`` route.

``instrument(app, "actions")`` adds two app-wide middlewares: one stamps the start of each
request, the other counts the response and observes its latency under the route template
(``/conversations/<conversation_id:path>/tracker``, never the raw path), so label values stay few.
Requests that match no route count as ``unmatched``. The action server uses it directly; the Rasa
server gets it through ``channels/metrics.py``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from services.metrics import HTTP_LATENCY, HTTP_REQUESTS, exposition

METRICS_PATH = "/metrics"
UNMATCHED_ROUTE = "unmatched"

ResponseHook = Callable[[Request, HTTPResponse, float], Awaitable[None] | None]


def route_template(request: Request) -> str:
    """The template of the route ``request`` matched, or ``unmatched``."""
    route = getattr(request, "route", None)
    return f"/{route.path}".replace("//", "/") if route is not None else UNMATCHED_ROUTE


async def metrics_endpoint(_: Request) -> HTTPResponse:
    """``GET /metrics``: every metric of this process (or of all workers in multiprocess mode)."""
    body, content_type = exposition()
    return response.raw(body, content_type=content_type)


def add_metrics_middleware(app: Sanic, service: str, on_response: ResponseHook | None = None) -> None:
    """Count and time every request of ``app`` under ``service``; ``on_response`` sees each response too."""

    async def stamp_start(request: Request) -> None:
        request.ctx.metrics_started = time.perf_counter()

    async def count_response(request: Request, resp: HTTPResponse) -> None:
        started = getattr(request.ctx, "metrics_started", None)
        if started is None:  # an earlier request middleware answered first (e.g. a CORS preflight)
            started = time.perf_counter()
        elapsed = time.perf_counter() - started
        route = route_template(request)
        status = int(getattr(resp, "status", 500)) if resp is not None else 500  # Rasa answers with HTTPStatus too
        HTTP_REQUESTS.labels(service, request.method, route, str(status)).inc()
        if route != METRICS_PATH:  # scrapes would only dilute the latency of real traffic
            HTTP_LATENCY.labels(service, request.method, route).observe(elapsed)
        if on_response is not None:
            result = on_response(request, resp, elapsed)
            if result is not None:
                await result

    app.register_middleware(stamp_start, "request")
    app.register_middleware(count_response, "response")


def instrument(app: Sanic, service: str, on_response: ResponseHook | None = None) -> None:
    """Metrics middleware on ``app`` plus its ``GET /metrics`` route."""
    add_metrics_middleware(app, service, on_response)
    app.add_route(metrics_endpoint, METRICS_PATH, methods=["GET"], name="metrics")
