"""The seven customer-service emotions and their polarity (definitions: data/emotion/DATA_CARD.md)."""

from __future__ import annotations

from collections.abc import Sequence

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


def valence(probabilities: Sequence[float]) -> float:
    """Valence in [0, 1] from probabilities in ``LABELS`` order: ``0.5 + (P(positive) - P(negative)) / 2``.

    1 is the most positive reading, 0 the most negative, 0.5 neutral or balanced.
    """
    if len(probabilities) != len(LABELS):
        raise ValueError(f"expected {len(LABELS)} probabilities in LABELS order, got {len(probabilities)}")
    positive = sum(float(p) for label, p in zip(LABELS, probabilities) if label in POSITIVE)
    negative = sum(float(p) for label, p in zip(LABELS, probabilities) if label in NEGATIVE)
    return min(1.0, max(0.0, 0.5 + (positive - negative) / 2))


def dialogue_label(label: str, confident: bool) -> str:
    """The emotion the dialogue acts on: the label when the reading is confident, else ``neutral``."""
    polarity(label)  # validates
    return label if confident else "neutral"
