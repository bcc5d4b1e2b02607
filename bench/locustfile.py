"""Locust load test: each simulated shopper holds one conversation over the REST channel, then stops.

    locust -f bench/locustfile.py --headless -u 1000 -r 50 -H http://127.0.0.1:5080

Run it through ``bench/load.py``, which sets these variables, then checks the tracker store:
``LOAD_RUN_ID`` (sender ids are ``load-<run id>-<n>``), ``LOAD_TURNS`` (default 10),
``LOAD_LOG`` (one JSON line per message: sender, turn, start, latency, status, replies),
``LOAD_STORE_URL`` (the store database the shoppers are drawn from), ``IDENTITY_SECRET``
(signs the signed-in shoppers' identity) and ``LOAD_THINK_S`` ("min,max" seconds between turns).
When every shopper has finished, Locust quits by itself.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time

import gevent
from locust import HttpUser, events, task
from locust.exception import StopUser

from bench.conversation_scripts import Pools, build_conversation, load_pools
from services.trouble_message import TROUBLE_TEXT

RUN_ID = os.environ.get("LOAD_RUN_ID", "adhoc")
TURNS = int(os.environ.get("LOAD_TURNS", "10"))
THINK = tuple(float(x) for x in os.environ.get("LOAD_THINK_S", "0.5,1.5").split(","))
IDENTITY_SECRET = os.environ.get("IDENTITY_SECRET", "")
REQUEST_TIMEOUT_S = float(os.environ.get("LOAD_REQUEST_TIMEOUT_S", "300"))

_numbers = itertools.count(1)
_finished = itertools.count(1)
_pools: Pools | None = None
_log = open(os.environ.get("LOAD_LOG", os.devnull), "a", buffering=1)  # noqa: SIM115 (open for the whole run)


@events.test_start.add_listener
def _load_pools(environment, **_: object) -> None:  # type: ignore[no-untyped-def]
    global _pools
    _pools = load_pools(os.environ["LOAD_STORE_URL"])


def _record(**fields: object) -> None:
    _log.write(json.dumps(fields) + "\n")


class Shopper(HttpUser):
    """One conversation of ``LOAD_TURNS`` messages, a short think time between turns."""

    wait_time = staticmethod(lambda: 0)

    @task
    def converse(self) -> None:
        assert _pools is not None
        conversation = build_conversation(f"load-{RUN_ID}-{next(_numbers)}", _pools, IDENTITY_SECRET, TURNS)
        try:
            for index in range(len(conversation.turns)):
                self._send(conversation.sender, index, conversation.body(index))
                if index + 1 < len(conversation.turns):
                    time.sleep(random.uniform(*THINK))
        finally:
            if next(_finished) >= self.environment.parsed_options.num_users:
                gevent.spawn_later(0.5, self.environment.runner.quit)
        raise StopUser()

    def _send(self, sender: str, index: int, body: dict) -> None:
        started = time.time()
        status, replies, error = 0, [], ""
        with self.client.post("/webhooks/rest/webhook", json=body, name="REST message", timeout=REQUEST_TIMEOUT_S,
                              catch_response=True) as response:
            status = response.status_code
            try:
                replies = response.json() if status == 200 else []
            except ValueError:
                error = "reply is not JSON"
            if status != 200 or error:
                response.failure(error or f"HTTP {status}")
        texts = [r.get("text", "") for r in replies if isinstance(r, dict)]
        _record(sender=sender, turn=index, start=started, latency=time.time() - started, status=status, error=error,
                replies=len(replies), trouble=any(TROUBLE_TEXT in t for t in texts), text=body["message"],
                reply=" | ".join(texts)[:300])
