"""The production topology (``make run-prod``) end to end, through nginx, on PostgreSQL, Redis and RabbitMQ.

- every conversation of ``test_rest_flows.py``, unchanged, through nginx with the PostgreSQL tracker store;
- one conversation alternating between the two Rasa servers keeps its state;
- socket.io through nginx, over WebSocket and over long polling (sticky);
- a short Locust load (20 conversations x 3 turns), every message found in the tracker store and the broker;
- the action servers killed under load: one of two changes nothing; both give "I'm having trouble, please
  try again in a moment" within the bound, never silence or an error; restarted, answers come back by themselves.

One topology (2 Rasa servers, 2 action servers) serves the whole module, on its own ports, databases and queue.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import socketio

from bench.load import LoadOptions, run_load
from ops.databases import drop_database
from ops.run_prod import Topology, running_topology
from ops.topology import ProdOptions
from services.trouble_message import TROUBLE_TEXT
from tests.conftest import TODAY
from tests.e2e import test_rest_flows
from tests.e2e.conftest import SECRETS, Assistant

TROUBLE_BOUND_S = 15.0


def free_port_block(n: int) -> int:
    """The first of ``n`` consecutive free loopback ports."""
    for base in range(20000 + (uuid.uuid4().int % 20000), 60000, n):
        socks: list[socket.socket] = []
        try:
            for port in range(base, base + n):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free ports")


def e2e_options(runtime_dir: Path) -> ProdOptions:
    tag = uuid.uuid4().hex[:6]
    base = free_port_block(7)  # nginx, 2 Rasa servers, nginx for the actions, 2 action servers, Redis
    return ProdOptions(runtime_dir=runtime_dir, public_port=base, rasa_base_port=base + 1, actions_lb_port=base + 3,
                       actions_base_port=base + 4, redis_port=base + 6, rasa_instances=2, action_servers=2,
                       tracker_db=f"assistant_e2e_{tag}", store_db=f"assistant_e2e_store_{tag}", event_queue=f"assistant_e2e_{tag}")


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    options = e2e_options(tmp_path_factory.mktemp("prod"))
    env = {**SECRETS, "ASSISTANT_TODAY": TODAY.isoformat()}
    try:
        with running_topology(options, extra_env=env, seed_today=TODAY.isoformat()) as topology:
            yield topology
    finally:
        from bench.load import queue_depth

        for name in (options.tracker_db, options.store_db):
            drop_database(options, name)
        try:
            queue_depth(options, purge=True)
        except Exception:  # noqa: BLE001 (cleanup only)
            pass


@pytest.fixture(scope="module")
def assistant(prod: Topology) -> Assistant:
    """test_rest_flows' fixture name: the same conversations, now through nginx."""
    return Assistant(prod.url, prod.options.store_database_url, f"http://127.0.0.1:{prod.options.actions_lb_port}",
                     logs={name: child.log for name, child in prod.supervisor.children.items()})


# The REST conversations of test_rest_flows.py, collected here again with this module's `assistant`.
for _name in dir(test_rest_flows):
    if _name.startswith("test_"):
        globals()[_name] = getattr(test_rest_flows, _name)


def post(url: str, sender: str, text: str, customer_id: str | None = None, timeout: float = 120) -> requests.Response:
    body: dict = {"sender": sender, "message": text}
    if customer_id:
        from services.store.identity import sign_customer_id

        body["metadata"] = {"customer_id": customer_id, "customer_token": sign_customer_id(SECRETS["IDENTITY_SECRET"], customer_id)}
    return requests.post(f"{url}/webhooks/rest/webhook", json=body, timeout=timeout)


def say(url: str, sender: str, text: str, customer_id: str | None = None) -> str:
    response = post(url, sender, text, customer_id)
    response.raise_for_status()
    return "\n".join(m.get("text", "") for m in response.json())


def test_one_conversation_goes_on_across_both_rasa_servers(prod: Topology) -> None:
    first, second = (f"http://127.0.0.1:{p}" for p in prod.options.rasa_ports)
    sender = f"e2e-both-{uuid.uuid4().hex[:8]}"
    assert "email" in say(first, sender, "where is my order 100234").lower()
    assert "1Z4A7F390312448861" in say(second, sender, "alice@example.com")
    events = requests.get(f"{prod.url}/conversations/{sender}/tracker", params={"token": SECRETS["RASA_AUTH_TOKEN"]},
                          timeout=30).json()["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == ["where is my order 100234", "alice@example.com"]


def test_the_api_through_nginx_needs_the_token(prod: Topology) -> None:
    assert requests.get(f"{prod.url}/conversations/anyone/tracker", timeout=30).status_code == 401
    assert requests.get(f"{prod.url}/status", params={"token": SECRETS["RASA_AUTH_TOKEN"]}, timeout=30).ok


async def socketio_exchange(url: str, transport: str, text: str) -> list[dict]:
    client = socketio.AsyncClient(reconnection=False)
    replies: asyncio.Queue = asyncio.Queue()
    client.on("bot_uttered", lambda data: replies.put_nowait(data))
    await client.connect(url, socketio_path="socket.io", transports=[transport], wait_timeout=30)
    try:
        session_id = uuid.uuid4().hex
        await client.emit("session_request", {"session_id": session_id})
        await client.emit("user_uttered", {"message": text, "session_id": session_id})
        got = [await asyncio.wait_for(replies.get(), 120)]
        await asyncio.sleep(1)
        while not replies.empty():
            got.append(replies.get_nowait())
        return got
    finally:
        await client.disconnect()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_socketio_through_nginx(prod: Topology, transport: str) -> None:
    replies = asyncio.run(socketio_exchange(prod.url, transport, "what's your return policy?"))
    assert any("return" in r.get("text", "").lower() for r in replies), replies


def test_short_load_loses_nothing(prod: Topology, tmp_path: Path) -> None:
    load = LoadOptions(users=20, turns=3, spawn_rate=10, think="0.1,0.5", max_run_s=900, out_dir=tmp_path)
    result = run_load(prod.url, load, prod.options, SECRETS["IDENTITY_SECRET"])
    s, a = result.summary, result.audit
    assert (s.messages, s.conversations) == (60, 20), s
    assert s.errors == 0 and s.silent == 0 and s.trouble == 0, s
    assert (a.sent, a.stored, a.lost, a.extra) == (60, 60, 0, 0), a
    assert result.queued_events == a.events_total, (result.queued_events, a)


def _outage_turn(url: str, n: int) -> tuple[int, float, str]:
    started = time.monotonic()
    response = post(url, f"e2e-outage-{uuid.uuid4().hex[:8]}-{n}", "where is my order 100234?", customer_id="C-1001", timeout=60)
    text = "\n".join(m.get("text", "") for m in response.json()) if response.ok else response.text
    return response.status_code, time.monotonic() - started, text


def test_action_servers_killed_under_load_then_restarted(prod: Topology) -> None:
    first, *others = prod.action_names()
    prod.kill(first, signal.SIGKILL)  # one of two: nginx moves on to the other, nobody notices
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda n: _outage_turn(prod.url, n), range(6)))
    assert all(status == 200 and "1Z4A7F390312448861" in text for status, _, text in results), results

    for name in others:
        prod.kill(name, signal.SIGKILL)  # all of them: the shopper is told, quickly, never left in silence
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: _outage_turn(prod.url, n), range(8)))
    assert all(status == 200 for status, _, _ in results), results
    assert all(TROUBLE_TEXT in text and "1Z4A7F" not in text for _, _, text in results), results
    assert max(took for _, took, _ in results) < TROUBLE_BOUND_S, results
    assert say(prod.url, f"e2e-outage-{uuid.uuid4().hex[:8]}", "what's your return policy?") != ""

    for name in prod.action_names():
        prod.restart(name)
    deadline = time.monotonic() + 30
    while True:  # nginx retries a server it marked down after fail_timeout (2 s)
        status, _, text = _outage_turn(prod.url, 99)
        if status == 200 and "1Z4A7F390312448861" in text:
            break
        assert time.monotonic() < deadline, text
        time.sleep(1)
