"""socket.io emits between two server processes (two Sanic workers, or two Rasa servers through Redis).

Real servers, a real client, real sockets; the Redis case uses the machine's Redis on 127.0.0.1:6379
(a channel of its own per run), as ``make run-prod`` uses its private one.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests
import socketio
from aiohttp import web

from channels.socketio_relay import SiblingWorkersManager
from ops.processes import free_port

FORK = multiprocessing.get_context("fork")
REDIS_URL = "redis://127.0.0.1:6379/0"


def _serve(port: int, relay: str | None) -> None:
    """A socket.io server: clients join the room ``shopper-1``; ``POST /emit`` emits ``bot_uttered`` to it.

    ``relay``: a directory (sibling workers), a ``redis://`` URL, or None (python-socketio's default, no relay).
    """
    if relay is None:
        manager = None
    elif relay.startswith("redis://"):
        url, channel = relay.rsplit("#", 1)
        manager = socketio.AsyncRedisManager(url, channel=channel)
    else:
        manager = SiblingWorkersManager(Path(relay))
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=manager)
    app = web.Application()
    sio.attach(app)

    @sio.event
    async def connect(sid: str, _environ: dict) -> None:
        sio.enter_room(sid, "shopper-1")

    async def emit(request: web.Request) -> web.Response:
        await sio.emit("bot_uttered", {"text": (await request.json())["text"]}, room="shopper-1")
        return web.json_response({"ok": True})

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app.router.add_post("/emit", emit)
    app.router.add_get("/health", health)
    web.run_app(app, host="127.0.0.1", port=port, print=None, handle_signals=True)


def start(port: int, relay: str | None) -> multiprocessing.Process:
    process = FORK.Process(target=_serve, args=(port, relay), daemon=True)
    process.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start")


async def received_after_emit_elsewhere(holder: int, other: int, relay_dir: Path | None) -> list[dict]:
    """Connect to ``holder``, emit from ``other``; what the client got within 3 s."""
    got: list[dict] = []
    client = socketio.AsyncClient()
    client.on("bot_uttered", lambda data: got.append(data))
    await client.connect(f"http://127.0.0.1:{holder}", transports=["websocket"])
    try:
        if relay_dir is not None:  # the holder listens once its first client is connected
            for _ in range(50):
                if any(relay_dir.glob("*.sock")):
                    break
                await asyncio.sleep(0.05)
        else:
            await asyncio.sleep(1)  # the Redis subscription of the holder
        await asyncio.to_thread(requests.post, f"http://127.0.0.1:{other}/emit", json={"text": "an agent's reply"}, timeout=5)
        await asyncio.to_thread(requests.post, f"http://127.0.0.1:{holder}/emit", json={"text": "from its own worker"}, timeout=5)
        await asyncio.sleep(3)
    finally:
        await client.disconnect()
    return got


@pytest.mark.parametrize("relayed", ["sibling workers", "redis", None])
def test_an_emit_in_one_process_reaches_a_client_of_the_other_only_when_relayed(relayed: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="sio-test-") as tmp:
        relay_dir = Path(tmp) if relayed == "sibling workers" else None
        relay = {"sibling workers": tmp, "redis": f"{REDIS_URL}#socketio-test-{uuid.uuid4().hex}", None: None}[relayed]
        ports = free_port(), free_port()
        processes = [start(port, relay) for port in ports]
        try:
            got = asyncio.run(received_after_emit_elsewhere(*ports, relay_dir))
        finally:
            for process in processes:
                process.terminate()
                process.join(10)
    texts = sorted(m["text"] for m in got)
    if relayed:
        assert texts == ["an agent's reply", "from its own worker"]  # each exactly once
    else:  # python-socketio's default manager: the other process's emit is lost (the failure this module fixes)
        assert texts == ["from its own worker"]


def test_a_socket_left_by_a_dead_worker_is_removed_and_the_rest_still_get_emits(tmp_path: Path) -> None:
    import socket

    dead = tmp_path / "999999.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(dead))
    listener.close()  # the file stays, nobody reads it: what a killed worker leaves
    alive = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    alive.bind(str(tmp_path / "1.sock"))
    alive.settimeout(2)
    asyncio.run(SiblingWorkersManager(tmp_path)._publish({"method": "emit", "event": "bot_uttered", "data": {"text": "hi"}}))
    assert not dead.exists()
    assert b'"text": "hi"' in alive.recv(65536)
    alive.close()


@pytest.mark.parametrize(("credentials", "workers", "expected"), [
    ({"client_manager_url": "redis://127.0.0.1:6390/2"}, "1", socketio.AsyncRedisManager),  # make run-prod
    ({}, "2", SiblingWorkersManager),  # make run on 2 cores
    ({}, "1", socketio.AsyncManager),
])
def test_the_web_chat_channel_picks_the_relay(credentials: dict, workers: str, expected: type,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from channels.socketio import WebChatInput

    monkeypatch.setenv("SANIC_WORKERS", workers)
    channel = WebChatInput.from_credentials({"session_persistence": True, **credentials})

    async def ignore(_message) -> None:  # noqa: ANN001
        return None

    channel.blueprint(ignore)
    assert type(channel.sio.manager) is expected
    assert channel.sio.manager.server is channel.sio
