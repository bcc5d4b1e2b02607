"""Reading the conversation state the actions share (rasa_sdk Tracker in, plain values out)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from rasa_sdk import Tracker

from actions.dialogue.tone import tone_for
from services.settings import get_settings
from services.store.identity import customer_from_metadata
from services.store.order_flows import ORDER_FLOWS

ORDER_REQUESTS: tuple[str, ...] = ("order_status", *ORDER_FLOWS)


def today() -> dt.date:
    """Today's date; ``ASSISTANT_TODAY`` (YYYY-MM-DD) pins it for reproducible tests."""
    pinned = os.environ.get("ASSISTANT_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else dt.date.today()


def metadata_customer(tracker: Tracker) -> str | None:
    """Customer id a trusted channel sent with the latest message (or at session start)."""
    secret = get_settings().identity_secret
    latest = customer_from_metadata((tracker.latest_message or {}).get("metadata"), secret)
    if latest:
        return latest
    return customer_from_metadata(tracker.get_slot("session_started_metadata"), secret)


def current_customer(tracker: Tracker) -> str | None:
    """The shopper's verified customer id, or None (unverified)."""
    return tracker.get_slot("customer_id") if tracker.get_slot("identified") else None


def shopper_tone(tracker: Tracker) -> str:
    """The tone to answer in: the `tone` slot, or the one for the `emotion` slot."""
    return tracker.get_slot("tone") or tone_for(tracker.get_slot("emotion"))


def latest_emotion(tracker: Tracker) -> dict[str, Any]:
    """The classifier output of the latest message (neutral, not confident, when missing)."""
    emotion = (tracker.latest_message or {}).get("emotion")
    if isinstance(emotion, dict) and "label" in emotion:
        return emotion
    label = tracker.get_slot("emotion") or "neutral"
    return {"label": label, "confidence": 0.0, "confident": False}


def emotion_history(tracker: Tracker) -> list[dict]:
    value = tracker.get_slot("emotion_history")
    return list(value) if isinstance(value, list) else []


def transcript(tracker: Tracker, turns: int = 10) -> list[dict]:
    """The last ``turns`` user and bot messages, oldest first, as ``{"role", "text"}``."""
    out: list[dict] = []
    for event in tracker.events:
        if event.get("event") == "user" and event.get("text") is not None:
            out.append({"role": "user", "text": event["text"]})
        elif event.get("event") == "bot" and event.get("text"):
            out.append({"role": "bot", "text": event["text"]})
    return out[-turns:]


def request_text(tracker: Tracker, intent: str) -> str:
    """What the shopper wrote when they made the ``intent`` request (latest such message; "" if none)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and ((event.get("parse_data") or {}).get("intent") or {}).get("name") == intent:
            return event.get("text") or ""
    return ""


def intent_name(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")
