"""Parsing broker messages: what a usable Rasa event is, and the fields read from a shopper message."""

from __future__ import annotations

import json

import pytest

from services.analytics.events import BadEvent, agent_of, parse_broker_message, user_turn
from tests.analytics.rasa_events import bot, user


def test_a_user_event_gives_intent_emotion_and_channel() -> None:
    event = parse_broker_message(json.dumps(user("s1", 0, "where is it?!", "order_status", "angry", 0.91, 0.08)).encode())
    turn = user_turn(event)
    assert (event.sender_id, event.type, turn.intent, turn.channel) == ("s1", "user", "order_status", "socketio")
    assert (turn.emotion.label, turn.emotion.confidence, turn.emotion.valence, turn.emotion.polarity) == ("angry", 0.91, 0.08, "negative")


def test_an_unsure_reading_counts_as_neutral_like_the_dialogue() -> None:
    turn = user_turn(parse_broker_message(json.dumps(user("s1", 0, "hm", "greet", "frustrated", 0.41))))
    assert turn.emotion.label == "frustrated" and turn.emotion.dialogue_label == "neutral" and turn.emotion.polarity == "neutral"


def test_without_the_emotion_dict_the_entity_is_used() -> None:
    data = user("s1", 0, "ugh", "order_status", "angry")
    del data["parse_data"]["emotion"]
    assert user_turn(parse_broker_message(json.dumps(data))).emotion.dialogue_label == "angry"


@pytest.mark.parametrize(("body", "error"), [
    (b"{not json", "not JSON"),
    (b"\xff\xfe\x00", "not UTF-8"),
    (b'["a list"]', "expected a JSON object"),
    (b'{"event": "user", "timestamp": 1}', "sender_id"),
    (b'{"sender_id": "s", "timestamp": 1}', "event type"),
    (b'{"sender_id": "s", "event": "user", "timestamp": "yesterday"}', "timestamp"),
    (b'{"sender_id": "s", "event": "user", "timestamp": 1e300}', "out of range"),
    (b" " * 1_000_001, "larger than"),
    (b'{"sender_id": "a\\u0000b", "event": "user", "timestamp": 1}', "NUL"),
])
def test_messages_that_are_not_events_say_why(body: bytes, error: str) -> None:
    with pytest.raises(BadEvent, match=error):
        parse_broker_message(body)


@pytest.mark.parametrize("change", [{"text": 5}, {"parse_data": "x"}, {"parse_data": {"intent": "x"}},
                                    {"parse_data": {"emotion": {"label": "furious"}}}])
def test_user_events_with_a_wrong_shape_are_refused(change: dict) -> None:
    data = {**user("s1", 0, "hi", "greet", "neutral"), **change}
    with pytest.raises(BadEvent):
        user_turn(parse_broker_message(json.dumps(data)))


def test_desk_replies_are_told_from_bot_replies() -> None:
    assert agent_of(parse_broker_message(json.dumps(bot("s1", 1, "Hi, I'm Sue", agent="sue")))) == "sue"
    assert agent_of(parse_broker_message(json.dumps(bot("s1", 1, "Let me check")))) is None
