"""Which charts the dashboard has, and how each is drawn from the analytics tables for a date range."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from services.analytics import metrics as m
from services.analytics import plots
from services.analytics.reviews.plots import product_png
from services.analytics.reviews.summary import product_summaries

Render = Callable[[Session, m.DateRange], bytes]

CHARTS: dict[str, tuple[str, Render]] = {
    "emotion_mix": ("Emotion mix over time", lambda db, r: plots.emotion_mix_png(m.emotion_mix(db, r))),
    "negative_timeline": ("Negative share and surge alerts", lambda db, r: plots.negative_timeline_png(*m.negative_timeline(db, r))),
    "escalations": ("Escalation rate by reason", lambda db, r: plots.escalations_png(m.escalation_by_reason(db, r))),
    "deescalation": ("De-escalation: started negative, ended neutral or positive", lambda db, r: plots.deescalation_png(m.deescalation(db, r))),
    "csat": ("CSAT by starting emotion", lambda db, r: plots.csat_png(m.csat_by_starting_emotion(db, r))),
    "satisfaction": ("Satisfaction read from the text, per conversation",
                     lambda db, r: plots.satisfaction_png(m.satisfaction_per_conversation(db, r), r.days())),
    "intents": ("Requests with the highest negative share", lambda db, r: plots.intents_png(m.negative_share_by_intent(db, r))),
    "first_reply": ("Time to first agent reply", lambda db, r: plots.first_reply_png(m.first_reply_times(db, r))),
}


def render(name: str, db: Session, r: m.DateRange) -> bytes:
    return CHARTS[name][1](db, r)


def review_png(db: Session, product_id: int) -> bytes | None:
    """The product's review chart, or None when it has no analysed reviews."""
    summary = next((s for s in product_summaries(db) if s.product_id == product_id), None)
    return product_png(summary) if summary else None
