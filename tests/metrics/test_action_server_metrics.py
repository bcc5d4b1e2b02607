"""The action server's /metrics over real HTTP: requests by status, latency, emotion mix, escalations; masked logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from components.emotion.labels import LABELS
from services.settings import PROJECT_ROOT
from services.store.seed.run import seed_database
from tests.conftest import TODAY
from tests.metrics.helpers import Samples, free_port, scrape, stop_processes, value, wait_until_up

TOKEN = "metrics-test-token"
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
SLOTS = {name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()}


def action_call(action: str, sender: str, text: str = "hi", emotion: dict | None = None, slots: dict | None = None) -> dict:
    """The body Rasa POSTs to /webhook: the action to run and the tracker it runs on."""
    latest = {"text": text, "intent": {"name": "inform", "confidence": 0.9}, "entities": [], "metadata": {}}
    if emotion is not None:
        latest["emotion"] = emotion
    tracker = {"sender_id": sender, "slots": {**SLOTS, **(slots or {})}, "latest_message": latest,
               "events": [{"event": "user", "text": text, "parse_data": latest}], "paused": False,
               "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"}
    return {"next_action": action, "sender_id": sender, "tracker": tracker, "domain": DOMAIN, "version": "3.6.2"}


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    workdir = tmp_path_factory.mktemp("metrics-actions")
    database_url = f"sqlite:///{workdir / 'store.db'}"
    seed_database(database_url, today=TODAY, n_customers=20, progress=False)
    port, log = free_port(), workdir / "actions.log"
    env = {**os.environ, "STORE_DATABASE_URL": database_url, "ASSISTANT_TODAY": TODAY.isoformat(), "PYTHONPATH": str(PROJECT_ROOT),
           "ACTION_SERVER_TOKEN": TOKEN, "IDENTITY_SECRET": "metrics-identity-secret"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen([sys.executable, "-m", "services.action_server", "--port", str(port)], cwd=PROJECT_ROOT,
                               env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", process, log)
        yield f"http://127.0.0.1:{port}", log
    finally:
        stop_processes([process])


@pytest.fixture(scope="module")
def traffic(action_server: tuple[str, Path]) -> Samples:
    """Drive known traffic through the server once, then scrape it."""
    url, _ = action_server
    auth = {"Authorization": f"Bearer {TOKEN}"}

    def post(body: object, headers: dict | None = None) -> int:
        return requests.post(f"{url}/webhook", json=body, headers=auth if headers is None else headers, timeout=60).status_code

    turns = [({"label": "angry", "confidence": 0.93, "confident": True}, "this is useless"),
             ({"label": "frustrated", "confidence": 0.41, "confident": False}, "hmm"),
             ({"label": "neutral", "confidence": 0.88, "confident": True}, "where is my order 100234")]
    statuses = [post(action_call("action_validate_slot_mappings", f"s{i}", text, emotion)) for i, (emotion, text) in enumerate(turns)]
    grateful = action_call("action_validate_slot_mappings", "s3", "thanks!", {"label": "grateful", "confidence": 0.9, "confident": True})
    statuses.append(requests.post(f"{url}/webhook", data=zlib.compress(json.dumps(grateful).encode()), timeout=60,
                                  headers={**auth, "Content-Encoding": "deflate", "Content-Type": "application/json"}).status_code)
    statuses.append(post(action_call("action_validate_slot_mappings", "forged", "x", turns[0][0]), headers={}))  # no token
    statuses.append(post(action_call("action_handoff", "h1", "I'll sue you", slots={"handoff_reason": "threat"})))
    statuses.append(post(action_call("action_handoff", "h2", "a person please")))
    statuses.append(post(action_call("action_mail_alice@example.com", "s9")))  # unknown action, logged by rasa_sdk
    statuses.append(post({**action_call("action_handoff", "s10"), "tracker": "not a tracker"}))  # the action server fails
    assert statuses == [200, 200, 200, 200, 401, 200, 200, 404, 500]
    assert requests.get(f"{url}/health", timeout=10).status_code == 200
    return scrape(url)


def test_metrics_is_served_without_the_token(action_server: tuple[str, Path]) -> None:
    url, _ = action_server
    assert requests.get(f"{url}/metrics", timeout=10).status_code == 200
    assert requests.get(f"{url}/actions", timeout=10).status_code == 401  # everything else still needs it


def test_requests_are_counted_by_route_and_status(traffic: Samples) -> None:
    def requests_with(status: str) -> float:
        return value(traffic, "assistant_http_requests_total", service="actions", method="POST", route="/webhook", status=status)

    assert [requests_with(s) for s in ("200", "401", "404", "500")] == [6, 1, 1, 1]
    assert value(traffic, "assistant_http_requests_total", service="actions", method="GET", route="/health", status="200") >= 1


def test_latency_histograms_cover_every_webhook_call_and_each_action(traffic: Samples) -> None:
    webhook = {"service": "actions", "method": "POST", "route": "/webhook"}
    assert value(traffic, "assistant_http_request_duration_seconds_count", **webhook) == 9
    assert value(traffic, "assistant_http_request_duration_seconds_bucket", **webhook, le="+Inf") == 9
    assert 0 < value(traffic, "assistant_http_request_duration_seconds_sum", **webhook) < 60
    assert value(traffic, "assistant_action_duration_seconds_count", action="action_validate_slot_mappings") == 4
    assert value(traffic, "assistant_action_duration_seconds_count", action="action_handoff") == 2
    assert not [k for k in traffic if dict(k[1]).get("route") == "/metrics" and k[0].startswith("assistant_http_request_duration")]


def test_emotion_mix_counts_confident_readings_of_answered_calls_only(traffic: Samples) -> None:
    assert value(traffic, "assistant_user_messages_total") == 4  # the compressed call too, the refused one not
    mix = {label: value(traffic, "assistant_emotions_total", label=label) for label in LABELS}
    assert mix == {**dict.fromkeys(LABELS, 0.0), "angry": 1.0, "neutral": 1.0, "grateful": 1.0}
    assert all(("assistant_emotions_total", frozenset({("label", label)})) in traffic for label in LABELS)


def test_escalations_are_counted_by_reason(traffic: Samples) -> None:
    assert value(traffic, "assistant_escalations_total", reason="threat") == 1
    assert value(traffic, "assistant_escalations_total", reason="requested") == 1


def test_action_server_logs_are_masked(action_server: tuple[str, Path], traffic: Samples) -> None:
    _, log = action_server
    text = log.read_text()
    assert "No registered action found for name '[EMAIL]'" in text  # the whole token is an address
    assert "alice@example.com" not in text


MULTIPROCESS_SCRIPT = """
import os
from services.metrics import EMOTIONS, HTTP_LATENCY, exposition
pid = os.fork()
EMOTIONS.labels("angry").inc()  # once in each of the two processes
HTTP_LATENCY.labels("rasa", "POST", "/webhooks/rest/webhook").observe(0.2)
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print(exposition()[0].decode())
"""


def test_multiprocess_mode_merges_the_workers_samples(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", MULTIPROCESS_SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert 'assistant_emotions_total{label="angry"} 2.0' in out.stdout
    assert 'assistant_http_request_duration_seconds_count{method="POST",route="/webhooks/rest/webhook",service="rasa"} 2.0' in out.stdout
