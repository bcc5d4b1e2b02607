"""Start the trained assistant (action server, Rasa server, site) on a seeded test database.

Uses ``models/assistant.tar.gz`` from ``make train``. The servers run as subprocesses
on free ports; their logs go to ``<tmp>/{actions,rasa,site}.log`` (``Assistant.logs``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import yaml

from channels.enabled import credentials as enabled_credentials
from ops.processes import embedded_endpoints, free_port, stop_processes, wait_until  # noqa: F401 (free_port: used by other e2e modules)
from services.settings import PROJECT_ROOT
from services.store.identity import sign_customer_id
from services.store.seed.run import seed_database
from tests.conftest import TODAY

MODEL = PROJECT_ROOT / "models" / "assistant.tar.gz"
RASA = Path(sys.executable).with_name("rasa")
# How `make run` starts Rasa: its CLI with the action-server fallback and the compiled answer check installed.
RASA_RUN = [sys.executable, "-m", "services.rasa_launcher", "run"]
SECRETS = {"RASA_AUTH_TOKEN": "e2e-api-token", "IDENTITY_SECRET": "e2e-identity-secret", "ACTION_SERVER_TOKEN": "e2e-action-token"}


class Assistant:
    """A running assistant, its database URL and the action server's URL."""

    def __init__(self, base_url: str, database_url: str, actions_url: str = "", site_url: str = "",
                 logs: dict[str, Path] | None = None, pids: dict[str, int] | None = None) -> None:
        self.base_url = base_url
        self.database_url = database_url
        self.actions_url = actions_url
        self.site_url = site_url
        self.logs = logs or {}
        self.pids = pids or {}  # "actions", "rasa", "site" -> the process started (Rasa's Sanic parent)

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
                                params={"token": SECRETS["RASA_AUTH_TOKEN"]})
        response.raise_for_status()
        return response.json()


@contextmanager
def running_assistant(workdir: Path, extra_env: dict[str, str] | None = None, with_site: bool = True,
                      with_rasa: bool = True, workers: int | None = None) -> Iterator[Assistant]:
    """Seed a SQLite store in ``workdir`` and run the action server, Rasa and the site (each optional but the first) on free ports.

    The channels are those ``channels.enabled`` builds from the environment plus ``extra_env``
    (e.g. ``SLACK_BOT_TOKEN`` and a local API double's URL to enable Slack). Rasa runs ``make run``'s
    Sanic workers unless ``workers`` says otherwise (one starts faster: a module that tests a channel's
    own behaviour, not the workers', can take it).
    """
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first (make test does)")
    database_url = f"sqlite:///{workdir / 'store.db'}"
    seed_database(database_url, today=TODAY, n_customers=200, progress=False)
    env = {**os.environ, "STORE_DATABASE_URL": database_url, "ASSISTANT_TODAY": TODAY.isoformat(),
           "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
           **SECRETS, **(extra_env or {}), **({"SANIC_WORKERS": str(workers)} if workers else {})}
    actions_port, rasa_port, site_port = free_port(), free_port(), free_port()
    endpoints = embedded_endpoints(workdir, actions_port)  # its own action server port, and databases in workdir
    credentials = workdir / "credentials.yml"
    credentials.write_text(yaml.safe_dump(enabled_credentials(env)))
    logs = {name: workdir / f"{name}.log" for name in ("actions", "rasa", "site")}
    started: dict[str, tuple[subprocess.Popen, str]] = {}  # name -> (process, health URL)

    def start(name: str, argv: list[str], health: str) -> None:
        process = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stdout=logs[name].open("w"), stderr=subprocess.STDOUT)
        started[name] = (process, health)

    start("actions", [sys.executable, "-m", "services.action_server", "--port", str(actions_port)],
          f"http://127.0.0.1:{actions_port}/health")
    if with_rasa:
        start("rasa", [*RASA_RUN, "--model", str(MODEL), "--enable-api", "--auth-token", SECRETS["RASA_AUTH_TOKEN"],
                       "--port", str(rasa_port), "--endpoints", str(endpoints), "--credentials", str(credentials)],
              f"http://127.0.0.1:{rasa_port}/status?token={SECRETS['RASA_AUTH_TOKEN']}")
    if with_site:
        start("site", [sys.executable, "-m", "demo_site.app", "--port", str(site_port), "--rasa-url", f"http://127.0.0.1:{rasa_port}"],
              f"http://127.0.0.1:{site_port}/health")
    processes = [process for process, _ in started.values()]
    try:
        for name, (process, health) in started.items():
            wait_until(health, process, logs[name])
        yield Assistant(f"http://127.0.0.1:{rasa_port}" if with_rasa else "", database_url, f"http://127.0.0.1:{actions_port}",
                        f"http://127.0.0.1:{site_port}" if with_site else "", logs,
                        {name: process.pid for name, (process, _) in started.items()})
    finally:
        stop_processes(processes)
