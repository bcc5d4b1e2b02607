"""Rasa event-broker messages: parse and check them, and read the fields the analytics need.

Rasa publishes every new tracker event as ``{"sender_id": ..., **event.as_dict()}`` (JSON) to the
broker. A shopper message is a ``user`` event whose ``parse_data`` carries the intent and the
emotion the ``EmotionClassifier`` adds (``components/emotion_classifier.py``):
``parse_data.emotion = {label, confidence, confident, valence, polarity, ...}``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

from components.emotion.labels import LABELS, dialogue_label, polarity

MAX_MESSAGE_BYTES = 1_000_000  # Rasa events are a few KB; anything this large is not one
AGENT_METADATA_KEYS = ("agent_id", "agent")  # a bot event with one of these was written by a person at the desk


class BadEvent(ValueError):
    """A broker message that is not a usable Rasa event; the consumer dead-letters it."""


@dataclass(frozen=True)
class BrokerEvent:
    """A checked Rasa event: who, what, when, and the raw dict."""

    sender_id: str
    type: str
    timestamp: dt.datetime  # naive UTC
    data: dict[str, Any]

    @property
    def name(self) -> str | None:
        """The action or slot name of ``action`` / ``slot`` events."""
        value = self.data.get("name")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class EmotionReading:
    label: str | None  # None when the message carried no emotion
    confidence: float | None
    confident: bool
    valence: float | None

    @property
    def dialogue_label(self) -> str:
        """The emotion the dialogue acted on (``neutral`` for unsure or missing readings)."""
        return dialogue_label(self.label, self.confident) if self.label else "neutral"

    @property
    def polarity(self) -> str:
        return polarity(self.dialogue_label)


@dataclass(frozen=True)
class UserTurn:
    message_id: str | None
    channel: str | None
    intent: str | None
    intent_confidence: float | None
    emotion: EmotionReading
    rating_entity: str | None  # the `rating` entity (CSAT buttons send it)
    text: str


def parse_broker_message(body: bytes | str) -> BrokerEvent:
    """Decode one broker message; raises :class:`BadEvent` saying what is wrong with it."""
    if isinstance(body, bytes):
        if len(body) > MAX_MESSAGE_BYTES:
            raise BadEvent(f"message of {len(body)} bytes is larger than {MAX_MESSAGE_BYTES}")
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadEvent(f"not UTF-8: {exc}") from exc
    if len(body) > MAX_MESSAGE_BYTES:
        raise BadEvent(f"message of {len(body)} characters is larger than {MAX_MESSAGE_BYTES}")
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise BadEvent(f"not JSON: {exc}") from exc
    return check_event(data)


def check_event(data: Any) -> BrokerEvent:
    """Check a decoded event has a sender, a type and a timestamp."""
    if not isinstance(data, dict):
        raise BadEvent(f"expected a JSON object, got {type(data).__name__}")
    sender, kind, stamp = data.get("sender_id"), data.get("event"), data.get("timestamp")
    if not isinstance(sender, str) or not sender or len(sender) > 255 or "\x00" in sender:
        raise BadEvent("sender_id missing, not a string, longer than 255 characters or holding a NUL character")
    if not isinstance(kind, str) or not kind:
        raise BadEvent("event type missing")
    if isinstance(stamp, bool) or not isinstance(stamp, (int, float)) or not math.isfinite(stamp) or stamp < 0:
        raise BadEvent(f"timestamp {stamp!r} is not a Unix time")
    try:
        when = dt.datetime.utcfromtimestamp(stamp)
    except (OverflowError, OSError, ValueError) as exc:
        raise BadEvent(f"timestamp {stamp!r} is out of range") from exc
    return BrokerEvent(sender, kind, when, data)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _short(value: Any, limit: int) -> str | None:
    return value.replace("\x00", "")[:limit] if isinstance(value, str) and value else None


def emotion_of(parse_data: dict[str, Any]) -> EmotionReading:
    """The classifier's reading from ``parse_data``, or from its ``emotion`` entity when only that is there."""
    emotion = parse_data.get("emotion")
    if isinstance(emotion, dict) and emotion.get("label") in LABELS:
        return EmotionReading(emotion["label"], _number(emotion.get("confidence")), bool(emotion.get("confident")),
                              _number(emotion.get("valence")))
    if emotion is not None:
        raise BadEvent(f"parse_data.emotion is not a reading with one of the labels {', '.join(LABELS)}")
    for entity in parse_data.get("entities") or []:
        if isinstance(entity, dict) and entity.get("entity") == "emotion" and entity.get("value") in LABELS:
            # The entity already is the dialogue label: confident by construction.
            return EmotionReading(entity["value"], _number(entity.get("confidence_entity")), True, None)
    return EmotionReading(None, None, False, None)


def user_turn(event: BrokerEvent) -> UserTurn:
    """The fields of a ``user`` event; raises :class:`BadEvent` when its shape is wrong."""
    data = event.data
    text = data.get("text")
    parse_data = data.get("parse_data") or {}
    if text is not None and not isinstance(text, str):
        raise BadEvent("user event text is not a string")
    if not isinstance(parse_data, dict):
        raise BadEvent("user event parse_data is not an object")
    intent = parse_data.get("intent") or {}
    if not isinstance(intent, dict):
        raise BadEvent("parse_data.intent is not an object")
    rating = next((e.get("value") for e in parse_data.get("entities") or []
                   if isinstance(e, dict) and e.get("entity") == "rating"), None)
    return UserTurn(
        message_id=_short(data.get("message_id"), 64),
        channel=_short(data.get("input_channel"), 32),
        intent=_short(intent.get("name"), 64),
        intent_confidence=_number(intent.get("confidence")),
        emotion=emotion_of(parse_data),
        rating_entity=str(rating) if rating is not None else None,
        text=text or "",
    )


def agent_of(event: BrokerEvent) -> str | None:
    """The agent who wrote a ``bot`` event (the desk marks its messages in the metadata), else None."""
    metadata = event.data.get("metadata")
    if not isinstance(metadata, dict):
        return None
    for key in AGENT_METADATA_KEYS:
        value = metadata.get(key)
        if isinstance(value, str) and value:
            return value[:64]
        if isinstance(value, dict) and isinstance(value.get("id") or value.get("username"), str):
            return str(value.get("id") or value.get("username"))[:64]
    return None
