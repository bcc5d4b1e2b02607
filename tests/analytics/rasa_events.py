"""Hand-written Rasa broker events (the shapes the tracker store publishes), for exact tests."""

from __future__ import annotations

import datetime as dt
import itertools

from components.emotion.labels import polarity

T0 = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.timezone.utc)
_ids = itertools.count(1)


def ts(minutes: float) -> float:
    return (T0 + dt.timedelta(minutes=minutes)).timestamp()


def session_started(sender: str, minutes: float) -> list[dict]:
    return [{"sender_id": sender, "event": "action", "timestamp": ts(minutes), "name": "action_session_start", "policy": None,
             "confidence": 1.0},
            {"sender_id": sender, "event": "session_started", "timestamp": ts(minutes) + 0.01, "metadata": {}}]


def user(sender: str, minutes: float, text: str, intent: str, label: str, confidence: float = 0.9, valence: float | None = None,
         channel: str = "socketio", rating: str | None = None) -> dict:
    confident = confidence >= 0.6
    entities = [{"entity": "emotion", "value": label if confident else "neutral", "confidence_entity": confidence,
                 "extractor": "EmotionClassifier"}]
    if rating is not None:
        entities.append({"entity": "rating", "value": rating, "extractor": "DIETClassifier"})
    message_id = f"m{next(_ids):06d}"
    emotion = {"label": label, "confidence": confidence, "scores": {}, "polarity": polarity(label), "confident": confident,
               "valence": valence if valence is not None else {"negative": 0.15, "neutral": 0.5, "positive": 0.85}[polarity(label)],
               "explanation": []}
    return {"sender_id": sender, "event": "user", "timestamp": ts(minutes), "text": text, "input_channel": channel,
            "message_id": message_id, "metadata": {},
            "parse_data": {"intent": {"name": intent, "confidence": 0.95}, "entities": entities, "text": text,
                           "message_id": message_id, "metadata": {}, "emotion": emotion}}


def action(sender: str, minutes: float, name: str) -> dict:
    return {"sender_id": sender, "event": "action", "timestamp": ts(minutes), "name": name, "policy": "RulePolicy", "confidence": 1.0}


def slot(sender: str, minutes: float, name: str, value: object) -> dict:
    return {"sender_id": sender, "event": "slot", "timestamp": ts(minutes), "name": name, "value": value}


def bot(sender: str, minutes: float, text: str, agent: str | None = None) -> dict:
    metadata = {"source": "desk", "agent": agent} if agent else {"utter_action": "utter_answer"}
    return {"sender_id": sender, "event": "bot", "timestamp": ts(minutes), "text": text, "data": {}, "metadata": metadata}


def handoff(sender: str, minutes: float, reason: str | None) -> list[dict]:
    events = [slot(sender, minutes, "handoff_reason", reason)] if reason else []
    return [*events, action(sender, minutes + 0.01, "action_handoff"), bot(sender, minutes + 0.02, "Passing you to a person."),
            {"sender_id": sender, "event": "pause", "timestamp": ts(minutes + 0.03)}]


def rate(sender: str, minutes: float, rating: str, entity: bool = True) -> list[dict]:
    return [user(sender, minutes, rating, "rate", "neutral", rating=rating if entity else None),
            action(sender, minutes + 0.01, "action_save_csat"), slot(sender, minutes + 0.02, "resolved", False)]
