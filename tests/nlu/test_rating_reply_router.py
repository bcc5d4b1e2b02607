"""Bare ratings: the shared parser and the router that makes "5" the rate intent whatever DIET said."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.rating_reply_router import RatingReplyRouter
from services.ratings import bare_rating, parse_rating


@pytest.mark.parametrize(("text", "rating"), [
    ("5", 5), (" 4 stars ", 4), ("Five!", 5), ("3/5", 3), ("2 out of 5", 2), ("1 star.", 1),
    ("⭐⭐⭐", 3), ("5 ⭐", 5), ("four", 4),
])
def test_a_whole_message_that_is_a_rating_is_read(text: str, rating: int) -> None:
    assert bare_rating(text) == rating


@pytest.mark.parametrize("text", [
    "", None, "6", "0", "35", "3 4", "100241", "umm 3", "order 3 of 5 is late", "I bought 2 of them",
    "five stars would be a lie",
])
def test_anything_more_than_a_rating_is_not_a_bare_rating(text: str | None) -> None:
    assert bare_rating(text) is None


@pytest.mark.parametrize(("text", "rating"), [("I'd give it a 3", 3), ("umm 3", 3), ("two stars", 2), ("⭐⭐", 2)])
def test_the_action_s_looser_parse_reads_ratings_inside_sentences(text: str, rating: int) -> None:
    assert parse_rating(text) == rating


@pytest.mark.parametrize("text", ["3 or 4", "nothing", "7 stars", None])
def test_the_action_s_parse_refuses_no_rating_or_two(text: str | None) -> None:
    assert parse_rating(text) is None


def message(text: str, ranking: list[tuple[str, float]], entities: list[dict] | None = None) -> Message:
    entries = [{"name": name, "confidence": conf} for name, conf in ranking]
    return Message(data={TEXT: text, INTENT: dict(entries[0]), INTENT_RANKING_KEY: entries, ENTITIES: entities or []})


def route(msg: Message) -> Message:
    return RatingReplyRouter(RatingReplyRouter.get_default_config()).process([msg])[0]


def test_a_bare_five_under_the_fallback_threshold_becomes_a_rating() -> None:
    msg = route(message("5", [("nlu_fallback", 0.4), ("rate", 0.31), ("affirm", 0.2)]))
    assert msg.get(INTENT) == {"name": "rate", "confidence": 1.0}
    assert [r["name"] for r in msg.get(INTENT_RANKING_KEY)] == ["rate", "nlu_fallback", "affirm"]
    assert [(e["entity"], e["value"]) for e in msg.get(ENTITIES)] == [("rating", "5")]


def test_a_word_rating_replaces_a_misread_rating_entity_and_keeps_the_others() -> None:
    emotion = {"entity": "emotion", "value": "neutral"}
    msg = route(message("four stars", [("thank", 0.6)], [{"entity": "rating", "value": "fou"}, emotion]))
    assert msg.get(INTENT)["name"] == "rate"
    assert sorted((e["entity"], e["value"]) for e in msg.get(ENTITIES)) == [("emotion", "neutral"), ("rating", "4")]


def test_a_sentence_with_a_digit_keeps_diet_s_reading() -> None:
    msg = route(message("I bought 2 of them and one broke", [("complaint", 0.7), ("rate", 0.1)]))
    assert msg.get(INTENT) == {"name": "complaint", "confidence": 0.7}
    assert msg.get(ENTITIES) == []
