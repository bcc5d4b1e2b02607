"""Start the trained assistant (Rasa server + action server) on a seeded test database.

Uses ``models/assistant.tar.gz`` from ``make train``. Both servers run as subprocesses
on free ports; their logs go to ``<tmp>/rasa.log`` and ``<tmp>/actions.log``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from actions.settings import PROJECT_ROOT
from actions.store.identity import sign_customer_id
from actions.store.seed.run import seed_database
from tests.conftest import TODAY

MODEL = PROJECT_ROOT / "models" / "assistant.tar.gz"
RASA = Path(sys.executable).with_name("rasa")
START_TIMEOUT_S = 240


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; log:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} not up after {START_TIMEOUT_S} s; log:\n{log.read_text()[-4000:]}")


SECRETS = {"RASA_AUTH_TOKEN": "e2e-api-token", "IDENTITY_SECRET": "e2e-identity-secret", "ACTION_SERVER_TOKEN": "e2e-action-token"}


class Assistant:
    """A running assistant, its database URL and the action server's URL."""

    def __init__(self, base_url: str, database_url: str, actions_url: str = "") -> None:
        self.base_url = base_url
        self.database_url = database_url
        self.actions_url = actions_url

    def send(self, sender: str, text: str, customer_id: str | None = None) -> list[dict]:
        """One REST message; ``customer_id`` comes signed, as the store's backend would send it."""
        body: dict = {"sender": sender, "message": text}
        if customer_id:
            body["metadata"] = {"customer_id": customer_id,
                                "customer_token": sign_customer_id(SECRETS["IDENTITY_SECRET"], customer_id)}
        response = requests.post(f"{self.base_url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def say(self, sender: str, text: str, customer_id: str | None = None) -> str:
        """The bot's text replies to one message, joined with newlines."""
        return "\n".join(m.get("text", "") for m in self.send(sender, text, customer_id))

    def tracker(self, sender: str) -> dict:
        response = requests.get(f"{self.base_url}/conversations/{sender}/tracker", timeout=30,
                                headers={"Authorization": f"Bearer {SECRETS['RASA_AUTH_TOKEN']}"})
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first (make test does)")
    workdir = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{workdir / 'store.db'}"
    seed_database(database_url, today=TODAY, n_customers=200, progress=False)
    env = {**os.environ, "STORE_DATABASE_URL": database_url, "ASSISTANT_TODAY": TODAY.isoformat(),
           "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", **SECRETS}
    actions_port, rasa_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text((PROJECT_ROOT / "endpoints.yml").read_text().replace("127.0.0.1:5055", f"127.0.0.1:{actions_port}"))
    logs = {name: workdir / f"{name}.log" for name in ("actions", "rasa")}
    processes = [
        subprocess.Popen([sys.executable, "-m", "services.action_server", "--port", str(actions_port)], cwd=PROJECT_ROOT, env=env,
                         stdout=logs["actions"].open("w"), stderr=subprocess.STDOUT),
        subprocess.Popen([str(RASA), "run", "--model", str(MODEL), "--enable-api", "--auth-token", SECRETS["RASA_AUTH_TOKEN"],
                          "--port", str(rasa_port),
                          "--endpoints", str(endpoints), "--credentials", str(PROJECT_ROOT / "credentials.yml")],
                         cwd=PROJECT_ROOT, env=env, stdout=logs["rasa"].open("w"), stderr=subprocess.STDOUT),
    ]
    try:
        wait_until(f"http://127.0.0.1:{actions_port}/health", processes[0], logs["actions"])
        wait_until(f"http://127.0.0.1:{rasa_port}/status", processes[1], logs["rasa"])
        yield Assistant(f"http://127.0.0.1:{rasa_port}", database_url, f"http://127.0.0.1:{actions_port}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
