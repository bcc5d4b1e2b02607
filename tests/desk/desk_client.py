"""The demo site as a subprocess, an agent's HTTP client for it, and tickets with conversations behind them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from ops.processes import free_port, stop_processes, wait_until
from services.settings import PROJECT_ROOT
from services.store.db import session_scope
from services.store.tickets import create_ticket
from tests.desk.rasa_double import RasaDouble

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN_TOKEN_RE = re.compile(r'name="login_token" value="([^"]+)"')


@contextmanager
def running_site(workdir: Path, database_url: str, rasa_api_url: str, env: dict[str, str]) -> Iterator[str]:
    """``python -m demo_site.app`` on a free port (log: ``workdir/site.log``); yields its base URL."""
    port = free_port()
    log = workdir / "site.log"
    full_env = {**os.environ, "STORE_DATABASE_URL": database_url, "PYTHONPATH": str(PROJECT_ROOT), **env}
    process = subprocess.Popen([sys.executable, "-m", "demo_site.app", "--port", str(port), "--rasa-url", "http://127.0.0.1:9",
                                "--rasa-api-url", rasa_api_url], cwd=PROJECT_ROOT, env=full_env,
                               stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_until(f"http://127.0.0.1:{port}/health", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_processes([process])


class Agent(requests.Session):
    """An agent's browser, reduced to HTTP: cookies kept, redirects not followed unless asked."""

    def __init__(self, site: str) -> None:
        super().__init__()
        self.site = site

    def get_page(self, path: str, **kwargs) -> requests.Response:
        return self.get(self.site + path, allow_redirects=False, timeout=30, **kwargs)

    def post_form(self, path: str, data: dict, **kwargs) -> requests.Response:
        return self.post(self.site + path, data=data, allow_redirects=False, timeout=30, **kwargs)

    def login(self, username: str, password: str) -> requests.Response:
        form = self.get_page("/desk/login")
        token = LOGIN_TOKEN_RE.search(form.text).group(1)
        return self.post_form("/desk/login", {"login_token": token, "username": username, "password": password})

    def csrf(self, path: str = "/desk/queue") -> str:
        page = self.get_page(path)
        assert page.status_code == 200, page.text[:500]
        return CSRF_RE.search(page.text).group(1)


def logged_in(site: str, username: str, password: str) -> Agent:
    agent = Agent(site)
    response = agent.login(username, password)
    assert response.status_code == 303 and response.headers["Location"] == "/desk/queue", response.text[:500]
    return agent


def open_ticket(database_url: str, double: RasaDouble, channel: str, events: list[dict], reason: str = "requested",
                customer_id: str | None = None, order_id: int | None = None, emotion_history: list[dict] | None = None) -> tuple[int, str]:
    """A ticket in the store and its conversation in the Rasa double; returns (ticket id, sender id)."""
    sender = f"{channel}-{uuid.uuid4().hex}"
    double.add_conversation(sender, channel, events)
    transcript = [{"role": "user" if e["event"] == "user" else "bot", "text": e["text"]} for e in events if e.get("event") in ("user", "bot")]
    history = emotion_history if emotion_history is not None else [
        e["parse_data"]["emotion"] for e in events if e.get("event") == "user" and "emotion" in e.get("parse_data", {})]
    with session_scope(database_url) as session:
        ticket = create_ticket(session, sender, reason, history, transcript, customer_id, order_id)
    return ticket.id, sender
