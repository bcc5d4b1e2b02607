"""Escalation scoring and decisions with the configured thresholds."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.dialogue.config import EscalationConfig, load_config
from actions.dialogue.escalation import decide, frustration_score, is_threat
from services.settings import PROJECT_ROOT

CONFIG = load_config(PROJECT_ROOT / "actions" / "dialogue" / "thresholds.yml").escalation


def turn(label: str, confidence: float = 0.9) -> dict:
    return {"label": label, "confidence": confidence}


def test_score_is_zero_for_calm_and_one_for_sustained_confident_anger() -> None:
    assert frustration_score([], CONFIG) == 0.0
    assert frustration_score([turn("neutral")] * 4, CONFIG) == 0.0
    assert frustration_score([turn("angry", 1.0)] * 5, CONFIG) == 1.0


def test_recent_turns_weigh_more() -> None:
    calming = [turn("angry"), turn("angry"), turn("neutral")]
    worsening = [turn("neutral"), turn("angry"), turn("angry")]
    assert frustration_score(worsening, CONFIG) > frustration_score(calming, CONFIG)


def test_only_confident_readings_count() -> None:
    sure, unsure = [turn("frustrated", 0.9)], [turn("frustrated", 0.4)]
    assert frustration_score(unsure, CONFIG) == 0.0
    assert frustration_score(sure, CONFIG) == pytest.approx(0.8 * 0.9)
    flagged = [{"label": "frustrated", "confidence": 0.9, "confident": False}]
    assert frustration_score(flagged, CONFIG) == 0.0  # the classifier's own flag wins over the number


def test_unconfident_negative_readings_never_escalate() -> None:
    unsure = {"label": "angry", "confidence": 0.95, "confident": False}
    assert decide([unsure, unsure], "where is it", 0, CONFIG).escalate is False
    assert decide([turn("angry", 0.95), {**unsure, "label": "frustrated"}], "hm", 0, CONFIG).escalate is False
    assert decide([{**unsure, "label": "frustrated"}] * 5, "still waiting", 0, CONFIG).escalate is False


def test_first_angry_message_does_not_escalate_but_a_second_negative_one_does() -> None:
    assert decide([turn("angry", 0.95)], "where is my parcel", 0, CONFIG).escalate is False
    decision = decide([turn("angry", 0.95), turn("frustrated")], "still nothing", 0, CONFIG)
    assert (decision.escalate, decision.reason) == (True, "angry_unresolved")


def test_low_confidence_anger_followed_by_anger_is_not_enough() -> None:
    assert decide([turn("angry", 0.6), turn("angry", 0.6)], "grr", 0, CONFIG).escalate is False


def test_sustained_frustration_over_several_turns() -> None:
    history = [turn("frustrated"), turn("neutral"), turn("frustrated"), turn("frustrated")]
    decision = decide(history, "this is getting ridiculous", 0, CONFIG)
    assert (decision.escalate, decision.reason) == (True, "sustained_frustration")
    assert decide(history[-2:], "ugh", 0, CONFIG).escalate is False


@pytest.mark.parametrize("text", [
    "I'll file a chargeback with my bank", "my lawyer will hear about this", "enjoy your 1-star review",
    "I'm posting this on social media", "I will SUE you",
])
def test_threats_escalate_at_once(text: str) -> None:
    assert is_threat(text)
    assert decide([turn("neutral")], text, 0, CONFIG).reason == "threat"


@pytest.mark.parametrize("text", ["can I review my order before paying?", "do you sell tennis shoes for the court?", None])
def test_ordinary_text_is_not_a_threat(text) -> None:
    assert not is_threat(text)


def test_repeated_nlu_failures_escalate() -> None:
    assert decide([turn("neutral")], "asdf", CONFIG.nlu_failures, CONFIG).reason == "nlu_failures"
    assert decide([turn("neutral")], "asdf", CONFIG.nlu_failures - 1, CONFIG).escalate is False


def test_thresholds_are_configuration(tmp_path: Path) -> None:
    strict = EscalationConfig(angry_confidence=0.99)
    assert decide([turn("angry", 0.95), turn("angry")], "x", 0, strict).escalate is False
    bad = tmp_path / "t.yml"
    bad.write_text("escalation:\n  angry_confidance: 0.8\n")
    with pytest.raises(ValueError, match="unknown escalation keys"):
        load_config(bad)


@pytest.mark.parametrize("text", ["can I pay from my bank account?", "the tennis court shoes, size 9"])
def test_words_near_threats_are_not_threats(text: str) -> None:
    assert not is_threat(text)
