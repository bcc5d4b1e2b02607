"""Mood over time and the decision to hand a conversation to a person.

The state is small and explainable: the last few ``{"label", "confidence", "confident"}`` turns.
The rolling frustration score is a recency-weighted mean of per-turn severity x confidence.
Only confident readings count: an unsure classifier never drives a handoff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actions.dialogue.config import EscalationConfig
from components.emotion.labels import NEGATIVE

# One weight per label of components/emotion/labels.py (tests/dialogue/test_emotion_vocabulary.py checks).
SEVERITY: dict[str, float] = {
    "angry": 1.0, "frustrated": 0.8, "anxious": 0.4, "confused": 0.2,
    "neutral": 0.0, "satisfied": 0.0, "grateful": 0.0,
}
# A confident angry turn followed by one of these escalates at once ("angry_unresolved").
HOSTILE_AFTER_ANGER: frozenset[str] = frozenset({"angry", "frustrated"})

THREAT_RE = re.compile(
    r"charge\s*back|dispute (?:the|this|it) with|(?:call|contact|tell) my bank|lawyer|attorney|legal action|\bsue\b|"
    r"small claims|(?:take|see) you (?:to|in) court|trading standards|consumer protection|\bbbb\b|better business bureau|"
    r"(?:1|one)[ -]?star|bad review|terrible review|review (?:everywhere|online)|"
    r"post (?:this|it|about)|social media|twitter|tiktok|report you",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Decision:
    escalate: bool
    reason: str | None = None  # threat | angry_unresolved | sustained_frustration | nlu_failures


def is_confident(turn: dict, config: EscalationConfig) -> bool:
    """The turn's ``confident`` flag; older turns without one: confidence >= ``min_confidence``."""
    if "confident" in turn:
        return bool(turn["confident"])
    return float(turn.get("confidence", 0.0)) >= config.min_confidence


def frustration_score(history: list[dict], config: EscalationConfig) -> float:
    """Recency-weighted severity of the last ``config.window`` turns, in [0, 1].

    Each turn is ``{"label": str, "confidence": float, "confident": bool}``, oldest first.
    A turn that is not confident counts as calm.
    """
    turns = history[-config.window :]
    if not turns:
        return 0.0
    num = den = 0.0
    for age, turn in enumerate(reversed(turns)):
        weight = config.decay**age
        if is_confident(turn, config):
            num += weight * SEVERITY.get(turn.get("label", "neutral"), 0.0) * float(turn.get("confidence", 0.0))
        den += weight
    return round(num / den, 4)


def is_threat(text: str | None) -> bool:
    """Chargeback, legal or public-review threats."""
    return bool(text) and bool(THREAT_RE.search(text))


def decide(history: list[dict], text: str | None, nlu_failures: int, config: EscalationConfig) -> Decision:
    """Whether the latest user turn (the last of ``history``) should go to a person, and why."""
    if is_threat(text):
        return Decision(True, "threat")
    if nlu_failures >= config.nlu_failures:
        return Decision(True, "nlu_failures")
    if len(history) >= 2:
        previous, latest = history[-2], history[-1]
        if (
            previous.get("label") == "angry"
            and is_confident(previous, config)
            and float(previous.get("confidence", 0)) >= config.angry_confidence
            and latest.get("label") in HOSTILE_AFTER_ANGER
            and is_confident(latest, config)
        ):
            return Decision(True, "angry_unresolved")
    window = history[-config.window :]
    negative_turns = sum(t.get("label") in NEGATIVE and is_confident(t, config) for t in window)
    if (
        negative_turns >= config.sustained_min_negative_turns
        and frustration_score(history, config) >= config.sustained_frustration_score
    ):
        return Decision(True, "sustained_frustration")
    return Decision(False)
