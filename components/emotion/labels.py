"""The seven customer-service emotions and their polarity (definitions: data/emotion/DATA_CARD.md)."""

from __future__ import annotations

LABELS: tuple[str, ...] = ("angry", "frustrated", "anxious", "confused", "neutral", "satisfied", "grateful")
LABEL2ID: dict[str, int] = {label: i for i, label in enumerate(LABELS)}

NEGATIVE: frozenset[str] = frozenset({"angry", "frustrated", "anxious"})
POSITIVE: frozenset[str] = frozenset({"satisfied", "grateful"})


def polarity(label: str) -> str:
    """``negative``, ``neutral`` or ``positive`` for an emotion label."""
    if label not in LABEL2ID:
        raise ValueError(f"unknown emotion label {label!r}; expected one of {', '.join(LABELS)}")
    if label in NEGATIVE:
        return "negative"
    if label in POSITIVE:
        return "positive"
    return "neutral"
