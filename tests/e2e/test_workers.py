"""The embedded Rasa server runs several Sanic workers that behave as one server (the session's assistant).

``make run`` serves with ``services.rasa_launcher.default_workers()`` workers, sharing conversations
(SQLite tracker store), their locks (SQLite lock store) and web-chat emits (the socket.io relay).
Each test below would fail with per-worker state: a lost or interleaved turn, a tracker one worker
does not know, a desk reply emitted by a worker that does not hold the shopper's socket.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import psutil
import requests
import socketio

from services.rasa_launcher import default_workers
from tests.e2e.conftest import SECRETS, Assistant


def sender() -> str:
    return f"workers-{uuid.uuid4().hex[:10]}"


def test_the_server_runs_one_worker_more_than_the_cores(assistant: Assistant) -> None:
    parent = psutil.Process(assistant.pids["rasa"])
    workers = [child for child in parent.children() if child.cmdline() == parent.cmdline()]  # forked by Sanic
    assert len(workers) == default_workers() > 1


def test_the_workers_start_without_racing_for_the_shared_tables(assistant: Assistant) -> None:
    log = assistant.logs["rasa"].read_text()
    assert "Could not create tables" not in log and "already exists" not in log  # the launcher created them before the fork


def test_messages_of_one_conversation_sent_at_once_are_handled_one_turn_at_a_time(assistant: Assistant) -> None:
    s = sender()
    texts = [f"what's your return policy? ({n})" for n in range(6)]
    with ThreadPoolExecutor(len(texts)) as pool:
        replies = list(pool.map(lambda text: assistant.say(s, text), texts))
    assert all(replies), replies
    events = [e for e in assistant.tracker(s)["events"] if e["event"] in ("user", "action", "bot")]
    users = [i for i, e in enumerate(events) if e["event"] == "user"]
    assert sorted(events[i]["text"] for i in users) == sorted(texts)
    for start, end in zip(users, [*users[1:], len(events)]):  # each turn ends in action_listen before the next begins
        turn = events[start:end]
        assert turn[-1] == {**turn[-1], "event": "action", "name": "action_listen"}, turn


def test_every_worker_sees_every_conversation(assistant: Assistant) -> None:
    s = sender()
    assistant.say(s, "hi")
    with ThreadPoolExecutor(4) as pool:  # many requests at once, spread over the workers by the kernel
        counts = list(pool.map(lambda _: len(assistant.tracker(s)["events"]), range(24)))
    assert len(set(counts)) == 1 and counts[0] > 3, counts


async def _web_chat_gets_desk_replies(assistant: Assistant, replies: int) -> list[str]:
    """A shopper in the web chat; the desk appends ``replies`` agent messages through Rasa's HTTP API."""
    session_id, got, confirmed = sender(), [], asyncio.Event()
    client = socketio.AsyncClient()
    client.on("session_confirm", lambda _data: confirmed.set())
    client.on("bot_uttered", lambda data: got.append(data.get("text", "")))
    await client.connect(assistant.base_url, transports=["websocket"])
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 30)
        await client.emit("user_uttered", {"message": "hello", "session_id": session_id})
        for _ in range(300):  # its greeting: the conversation's latest channel is now the web chat
            if got:
                break
            await asyncio.sleep(0.1)
        before = len(got)
        for n in range(replies):
            response = await asyncio.to_thread(
                requests.post, f"{assistant.base_url}/conversations/{session_id}/tracker/events",
                params={"token": SECRETS["RASA_AUTH_TOKEN"], "output_channel": "latest", "execute_side_effects": "true",
                        "include_events": "NONE"},
                json=[{"event": "bot", "text": f"agent reply {n}"}], timeout=30)
            response.raise_for_status()
        for _ in range(100):
            if len(got) - before >= replies:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # and nothing twice
        return got[before:]
    finally:
        await client.disconnect()


def test_desk_replies_reach_the_web_chat_whichever_worker_takes_them(assistant: Assistant) -> None:
    # With 3 workers and no relay, all 8 replies would land on the socket's own worker with probability (1/3)^8.
    got = asyncio.run(_web_chat_gets_desk_replies(assistant, 8))
    assert got == [f"agent reply {n}" for n in range(8)]
