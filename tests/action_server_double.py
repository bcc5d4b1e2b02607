"""A local HTTP server standing in for the action server (real aiohttp, free port), for the action-call tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from ops.processes import free_port

Handler = Callable[[web.Request], Awaitable[web.Response]]


@asynccontextmanager
async def action_server(handler: Handler) -> AsyncIterator[str]:
    """Serve ``handler`` on ``POST /webhook``; yields the webhook URL."""
    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        await runner.cleanup()
