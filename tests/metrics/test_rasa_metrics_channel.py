"""The Rasa server's /metrics: ``rasa run`` loads channels.metrics.MetricsInput from credentials and every route is timed.

The server runs without a trained model (an empty model directory): the channel, the REST
webhook and the HTTP API are served all the same, which is all these metrics need.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from services.settings import PROJECT_ROOT
from tests.metrics.helpers import Samples, free_port, scrape, stop_processes, value, wait_until_up

RASA = Path(sys.executable).with_name("rasa")
API_TOKEN = "metrics-api-token"
ORIGIN = "http://localhost:8080"


@pytest.fixture(scope="module")
def rasa_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    workdir = tmp_path_factory.mktemp("metrics-rasa")
    (workdir / "models").mkdir()
    (workdir / "endpoints.yml").write_text("{}\n")
    (workdir / "credentials.yml").write_text(yaml.safe_dump({"rest": None, "channels.metrics.MetricsInput": None}))
    port, log = free_port(), workdir / "rasa.log"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen(
        [str(RASA), "run", "--model", str(workdir / "models"), "--enable-api", "--auth-token", API_TOKEN, "--cors", ORIGIN,
         "--port", str(port), "--credentials", str(workdir / "credentials.yml"), "--endpoints", str(workdir / "endpoints.yml"),
         "--logging-config-file", str(PROJECT_ROOT / "services" / "logging.yml")],
        cwd=workdir, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", process, log)
        yield f"http://127.0.0.1:{port}", log
    finally:
        stop_processes([process])


@pytest.fixture(scope="module")
def traffic(rasa_server: tuple[str, Path]) -> Samples:
    url, _ = rasa_server
    statuses = [
        requests.post(f"{url}/webhooks/rest/webhook", json={"sender": "m1", "message": "hi"}, timeout=30).status_code,
        requests.post(f"{url}/webhooks/rest/webhook", json={"sender": "m2", "message": "hello"}, timeout=30).status_code,
        requests.get(f"{url}/conversations/m1/tracker", params={"token": API_TOKEN}, timeout=30).status_code,  # no model: 409
        requests.get(f"{url}/conversations/m1/tracker", timeout=30).status_code,  # no token
        requests.get(f"{url}/no/such/route", timeout=30).status_code,
        requests.options(f"{url}/webhooks/rest/webhook", timeout=30,
                         headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}).status_code,
    ]
    assert statuses[:5] == [200, 200, 409, 401, 404]
    return scrape(url)


def test_rest_webhook_is_counted_and_timed(traffic: Samples) -> None:
    webhook = {"service": "rasa", "method": "POST", "route": "/webhooks/rest/webhook"}
    assert value(traffic, "assistant_http_requests_total", **webhook, status="200") == 2
    assert value(traffic, "assistant_http_request_duration_seconds_count", **webhook) == 2
    assert value(traffic, "assistant_http_request_duration_seconds_bucket", **webhook, le="10.0") == 2


def test_api_errors_are_counted_under_the_route_template_with_their_status(traffic: Samples) -> None:
    tracker = {"service": "rasa", "method": "GET", "route": "/conversations/<conversation_id:path>/tracker"}
    assert value(traffic, "assistant_http_requests_total", **tracker, status="409") == 1
    assert value(traffic, "assistant_http_requests_total", **tracker, status="401") == 1
    assert value(traffic, "assistant_http_requests_total", service="rasa", method="GET", route="unmatched", status="404") == 1
    assert not [k for k in traffic if "m1" in str(k) or "no/such" in str(k)]  # raw paths never become labels


def test_cors_preflight_is_counted(traffic: Samples) -> None:
    preflights = [v for (name, labels), v in traffic.items()
                  if name == "assistant_http_requests_total" and ("method", "OPTIONS") in labels]
    assert sum(preflights) == 1

