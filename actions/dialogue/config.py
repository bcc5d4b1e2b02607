"""Typed access to actions/dialogue/thresholds.yml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from components.emotion.labels import LABELS
from services.settings import get_settings


@dataclass(frozen=True)
class EscalationConfig:
    angry_confidence: float = 0.8
    sustained_frustration_score: float = 0.55
    sustained_min_negative_turns: int = 3
    window: int = 5
    decay: float = 0.7
    nlu_failures: int = 2
    min_confidence: float = 0.5


@dataclass(frozen=True)
class DialogueConfig:
    escalation: EscalationConfig
    offer_recommendations_when: frozenset[str]
    hold_back_recommendations_when: frozenset[str]
    expected_wait: str
    history_turns: int


def load_config(path: Path) -> DialogueConfig:
    """Read and validate the thresholds file; raises ValueError naming the bad key."""
    raw = yaml.safe_load(path.read_text()) or {}
    esc = raw.get("escalation", {})
    unknown = set(esc) - set(EscalationConfig.__dataclass_fields__)
    if unknown:
        raise ValueError(f"{path}: unknown escalation keys {sorted(unknown)}")
    escalation = EscalationConfig(**esc)
    if not 0 < escalation.decay <= 1:
        raise ValueError(f"{path}: escalation.decay must be in (0, 1], got {escalation.decay}")
    rec = raw.get("recommendations", {})
    offer = frozenset(rec.get("offer_when", ["satisfied", "grateful"]))
    hold_back = frozenset(rec.get("hold_back_when", ["angry", "frustrated"]))
    unknown_labels = (offer | hold_back) - set(LABELS)
    if unknown_labels:
        raise ValueError(f"{path}: unknown emotions {sorted(unknown_labels)} in recommendations; expected {list(LABELS)}")
    if offer & hold_back:
        raise ValueError(f"{path}: {sorted(offer & hold_back)} both offered and held back in recommendations")
    return DialogueConfig(
        escalation=escalation,
        offer_recommendations_when=offer,
        hold_back_recommendations_when=hold_back,
        expected_wait=raw.get("handoff", {}).get("expected_wait", "within 2 business hours"),
        history_turns=int(raw.get("history", {}).get("max_turns", 10)),
    )


@lru_cache(maxsize=4)
def _cached(path: str) -> DialogueConfig:
    return load_config(Path(path))


def dialogue_config() -> DialogueConfig:
    """The configured thresholds (read once per path and process)."""
    return _cached(str(get_settings().dialogue_config))
