"""Where one message's time goes in our assistant: each graph component, the action round trips, the tracker store.

    python bench/message_profile.py [--messages 200]

Loads ``models/assistant.tar.gz`` in-process (Rasa's ``Agent``, in-memory tracker store as in
``make run``), with a real action server on a seeded SQLite store, and sends realistic conversations
one message at a time. Every graph node (NLU components and policies, each time it runs), every
remote action call (HTTP round trip, including the action's database queries) and every tracker
store call is timed; the rest of ``handle_message`` is Rasa's own bookkeeping.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from bench.conversation_scripts import build_conversation, load_pools
from bench.throughput import MODEL, _env, free_port, serving
from services.settings import PROJECT_ROOT

Totals = dict[str, float]


def instrument(totals: Totals, counts: dict[str, int]) -> None:
    """Time every GraphNode call (by component) and every RemoteAction run (by action)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.engine.graph import GraphNode

    node_call = GraphNode.__call__

    def timed_node(self, *inputs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return node_call(self, *inputs)
        finally:
            key = f"graph: {self._component_class.__name__}"
            totals[key] += time.perf_counter() - started
            counts[key] += 1

    remote_run = RemoteAction.run

    async def timed_action(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return await remote_run(self, *args, **kwargs)
        finally:
            key = f"action server round trip: {self.name()}"
            totals[key] += time.perf_counter() - started
            counts[key] += 1

    GraphNode.__call__ = timed_node
    RemoteAction.run = timed_action


def timed_store(store, totals: Totals, counts: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    for method in ("retrieve", "save", "retrieve_full_tracker"):
        original = getattr(store, method)

        async def timed(*args, _original=original, _method=method, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return await _original(*args, **kwargs)
            finally:
                totals[f"tracker store: {_method}"] += time.perf_counter() - started
                counts[f"tracker store: {_method}"] += 1

        setattr(store, method, timed)


async def profile(actions_url: str, action_token: str, store_url: str, secret: str, messages: int) -> tuple[Totals, dict, float, int]:
    from rasa.core.agent import Agent
    from rasa.core.channels import CollectingOutputChannel, UserMessage
    from rasa.utils.endpoints import EndpointConfig

    from services.rasa_launcher import install

    install()  # as services.rasa_launcher (make run) does: fallback, the compiled answer check, event-type lookup
    totals: Totals = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    instrument(totals, counts)
    agent = Agent.load(str(MODEL), action_endpoint=EndpointConfig(actions_url, headers={"Authorization": f"Bearer {action_token}"}))
    timed_store(agent.tracker_store, totals, counts)
    pools = load_pools(store_url)
    bodies = []
    n = 0
    while len(bodies) < messages + 20:
        conversation = build_conversation(f"profile-{uuid.uuid4().hex[:6]}-{n}", pools, secret, 10)
        bodies += [conversation.body(i) for i in range(len(conversation.turns))]
        n += 1
    for body in bodies[:20]:  # warm-up
        await agent.handle_message(UserMessage(body["message"], CollectingOutputChannel(), body["sender"], metadata=body.get("metadata")))
    totals.clear()
    counts.clear()
    started = time.perf_counter()
    for body in bodies[20 : 20 + messages]:
        await agent.handle_message(UserMessage(body["message"], CollectingOutputChannel(), body["sender"], metadata=body.get("metadata")))
    return totals, counts, time.perf_counter() - started, messages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args(argv)
    from services.store.seed.run import seed_database

    with tempfile.TemporaryDirectory(prefix="profile-") as tmp:
        workdir = Path(tmp)
        store = f"sqlite:///{workdir / 'store.db'}"
        seed_database(store, progress=False)
        secret, token = uuid.uuid4().hex, uuid.uuid4().hex
        os.environ.update({"IDENTITY_SECRET": secret, "STORE_DATABASE_URL": store})
        port = free_port()
        env = _env(STORE_DATABASE_URL=store, IDENTITY_SECRET=secret, ACTION_SERVER_TOKEN=token)
        argvs = [[sys.executable, "-m", "services.action_server", "--port", str(port)]]
        with serving(argvs, [f"http://127.0.0.1:{port}/health"], PROJECT_ROOT, env, workdir):
            totals, counts, wall, n = asyncio.run(profile(f"http://127.0.0.1:{port}/webhook", token, store, secret, args.messages))
    per_msg = wall / n * 1000
    print(f"\nWhere a message's time goes ({n} messages one at a time, {per_msg:.1f} ms per message on average):")
    print("| part | ms per message | share | calls per message |")
    print("|---|---|---|---|")
    accounted = 0.0
    for key, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        ms = seconds / n * 1000
        accounted += ms
        if ms >= 0.05:
            print(f"| {key} | {ms:.1f} | {ms / per_msg:.0%} | {counts[key] / n:.1f} |")
    rest = per_msg - accounted
    print(f"| Rasa's own bookkeeping (rest of handle_message) | {rest:.1f} | {rest / per_msg:.0%} | |")


if __name__ == "__main__":
    main()
