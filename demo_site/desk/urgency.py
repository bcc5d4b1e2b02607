"""How urgent a ticket is, and whether it belongs to the senior queue.

Urgency = the strongest recent emotion (severity x confidence, the severities the dialogue uses)
plus a share for time waiting, so a calm ticket that has waited long still rises. Anger and
threats go to the senior queue at once, whatever their score.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from actions.dialogue.escalation import SEVERITY, is_threat

SENIOR_REASONS = frozenset({"threat", "angry_unresolved"})


@dataclass(frozen=True)
class UrgencyPolicy:
    """Weights of the queue order."""

    recent_turns: int = field(default=3, metadata={"help": "How many of the latest emotion readings count."})
    wait_weight: float = field(default=0.5, metadata={"help": "What waiting wait_cap_minutes adds to the score."})
    wait_cap_minutes: float = field(default=120.0, metadata={"help": "Waiting longer than this adds nothing more."})
    senior_anger_confidence: float = field(default=0.5, metadata={"help": "An angry reading this sure sends the ticket to seniors."})


def emotion_urgency(history: list[dict], policy: UrgencyPolicy = UrgencyPolicy()) -> float:
    """The highest severity x confidence among the last ``recent_turns`` readings, in [0, 1]."""
    scores = [SEVERITY.get(str(t.get("label")), 0.0) * _confidence(t) for t in history[-policy.recent_turns:] if isinstance(t, dict)]
    return round(max(scores, default=0.0), 4)


def wait_urgency(waited: dt.timedelta, policy: UrgencyPolicy = UrgencyPolicy()) -> float:
    minutes = max(waited.total_seconds() / 60.0, 0.0)
    return round(policy.wait_weight * min(minutes / policy.wait_cap_minutes, 1.0), 4)


def urgency(history: list[dict], waited: dt.timedelta, policy: UrgencyPolicy = UrgencyPolicy()) -> float:
    """The queue's sort key: emotion plus waiting time (higher first)."""
    return round(emotion_urgency(history, policy) + wait_urgency(waited, policy), 4)


def needs_senior(reason: str, history: list[dict], shopper_texts: Iterable[str] = (), policy: UrgencyPolicy = UrgencyPolicy()) -> bool:
    """Anger (an angry reading at least ``senior_anger_confidence`` sure) or a threat, in the reason or the words."""
    if reason in SENIOR_REASONS:
        return True
    if any(isinstance(t, dict) and t.get("label") == "angry" and _confidence(t) >= policy.senior_anger_confidence for t in history):
        return True
    return any(is_threat(text) for text in shopper_texts)


def _confidence(turn: dict) -> float:
    try:
        return min(max(float(turn.get("confidence", 0.0)), 0.0), 1.0)
    except (TypeError, ValueError):
        return 0.0
