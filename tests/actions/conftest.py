"""Real rasa_sdk trackers and dispatchers for calling actions without a Rasa server."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from services.settings import PROJECT_ROOT
from services.store.seed.run import seed_database
from tests.conftest import TODAY

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
DEFAULT_SLOTS = {name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()}


def make_tracker(
    text: str = "hi",
    intent: str = "greet",
    slots: dict[str, Any] | None = None,
    entities: list[dict] | None = None,
    emotion: dict | None = None,
    metadata: dict | None = None,
    events: list[dict] | None = None,
    sender_id: str = "test-sender",
    active_loop: dict | None = None,
) -> Tracker:
    """A tracker whose latest message is ``text`` with the given parse data and slots."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities or [],
              "metadata": metadata or {}}
    if emotion is not None:
        latest["emotion"] = emotion
    user_event = {"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}}
    return Tracker(sender_id, {**DEFAULT_SLOTS, **(slots or {})}, latest, (events or []) + [user_event], False, None,
                   active_loop or {}, "action_listen")


def run(action: Action, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    """Run ``action`` once; returns (messages sent, events returned)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages, events


PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")


def render(message: dict, tone: str | None = None) -> str:
    """A message as the shopper reads it: a response is rendered like Rasa's NLG does, with the
    variant for ``tone`` (the default variant otherwise) and placeholders from the message's
    keyword arguments (a missing one raises KeyError)."""
    if message.get("text") or not message.get("response"):
        return message.get("text") or ""
    variants = DOMAIN["responses"][message["response"]]
    conditioned = {v["condition"][0]["value"]: v for v in variants if v.get("condition")}
    variant = conditioned.get(tone or "") or next(v for v in variants if not v.get("condition"))
    return PLACEHOLDER.sub(lambda m: str(message[m.group(1)]), variant["text"])


def texts(messages: list[dict], tone: str | None = None) -> str:
    """Every message rendered (see :func:`render`), one per line."""
    return "\n".join(render(m, tone) for m in messages)


def slot_events(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture
def store(seeded_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Actions read STORE_DATABASE_URL: point it at the module's seeded database (read-only tests)."""
    monkeypatch.setenv("STORE_DATABASE_URL", seeded_url)
    yield seeded_url


@pytest.fixture
def fresh_store(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A freshly seeded database per test, for actions that change data."""
    seed_database(db_url, today=TODAY, n_customers=20, progress=False)
    monkeypatch.setenv("STORE_DATABASE_URL", db_url)
    yield db_url
