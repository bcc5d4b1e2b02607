"""The one upsell policy (actions/dialogue/upsell.py + thresholds.yml), its mirror in data/rules.yml, and the actions."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.recommend as recommend
from actions.dialogue.config import dialogue_config, load_config
from actions.dialogue.upsell import may_offer, may_show
from components.emotion.labels import LABELS
from services.settings import PROJECT_ROOT

# emotion -> (offered unprompted after a resolved request, shown when asked)
POLICY = {
    "angry": (False, False),
    "frustrated": (False, False),
    "anxious": (False, True),  # only when they ask
    "confused": (False, True),
    "neutral": (False, True),
    "satisfied": (True, True),
    "grateful": (True, True),
    None: (False, True),  # no reading yet
}


def test_policy_covers_every_label() -> None:
    assert set(POLICY) - {None} == set(LABELS)


@pytest.mark.parametrize(("emotion", "expected"), POLICY.items())
def test_policy(emotion: str | None, expected: tuple[bool, bool]) -> None:
    config = dialogue_config()
    assert (may_offer(emotion, config), may_show(emotion, config)) == expected


def rule_emotions(action: str, intent: str) -> set[str]:
    """Emotions of the data/rules.yml rules that answer ``intent`` with ``action`` for one emotion."""
    rules = yaml.safe_load((PROJECT_ROOT / "data" / "rules.yml").read_text())["rules"]
    found = set()
    for rule in rules:
        steps = rule["steps"]
        names = [s.get("action") for s in steps]
        if steps[0].get("intent") == intent and action in names:
            found |= {slot["emotion"] for s in steps for slot in s.get("slot_was_set", []) if "emotion" in slot}
    return found


def test_rules_mirror_the_policy() -> None:
    config = dialogue_config()
    assert rule_emotions("utter_recommendations_held_back", "ask_recommendation") == config.hold_back_recommendations_when
    assert rule_emotions("action_offer_recommendations", "thank") == config.offer_recommendations_when


@pytest.mark.parametrize(("body", "message"), [
    ("recommendations: {offer_when: [happy]}", "unknown emotions"),
    ("recommendations: {offer_when: [anxious], hold_back_when: [anxious]}", "both offered and held back"),
])
def test_config_rejects_an_inconsistent_policy(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "thresholds.yml"
    path.write_text(body)
    with pytest.raises(ValueError, match=message):
        load_config(path)


def run(action, emotion: str | None) -> list[dict]:
    tracker = Tracker("s", {"emotion": emotion, "identified": False}, {"text": "any picks?"}, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages


@pytest.mark.parametrize("emotion", list(LABELS))
def test_actions_follow_the_policy(emotion: str, monkeypatch: pytest.MonkeyPatch) -> None:
    offered, shown = POLICY[emotion]
    monkeypatch.setattr(recommend, "get_recommender", lambda: None)  # no model: "unavailable" instead of picks
    asked = [m["response"] for m in run(recommend.ActionRecommendProducts(), emotion)]
    assert asked == (["utter_recommendations_unavailable"] if shown else ["utter_recommendations_held_back"])
    monkeypatch.setattr(recommend, "get_recommender", lambda: object())
    offers = [m["response"] for m in run(recommend.ActionOfferRecommendations(), emotion)]
    assert offers == (["utter_offer_recommendations"] if offered else [])
