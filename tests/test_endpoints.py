"""endpoints.yml as Rasa reads it: the action server's shared secret really reaches the header."""

from __future__ import annotations

from rasa.core.utils import read_endpoints_from_path

from services.settings import PROJECT_ROOT


def test_action_endpoint_sends_the_shared_secret_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "t0ken-from-env")
    action = read_endpoints_from_path(PROJECT_ROOT / "endpoints.yml").action
    assert action.url.startswith("http://127.0.0.1:")
    assert action.headers == {"Authorization": "Bearer t0ken-from-env"}
