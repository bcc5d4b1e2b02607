"""Agents' corrections of the emotion read in a shopper turn: written by the desk, read by the learning loop."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from components.emotion.labels import LABELS
from demo_site.desk.accounts import AgentView
from demo_site.desk.conversation import Turn
from demo_site.desk.models import Agent, EmotionCorrection

UNREAD = "unknown"  # model_label of a turn the classifier gave no reading for


@dataclass(frozen=True)
class CorrectionView:
    """One correction, as the learning loop consumes it."""

    id: int
    sender_id: str
    ticket_id: int | None
    turn_index: int
    event_timestamp: float | None
    text: str
    model_label: str
    model_confidence: float | None
    corrected_label: str
    agent: str
    created_at: dt.datetime


def record_correction(session: Session, agent: AgentView, sender_id: str, turn: Turn, corrected_label: str,
                      ticket_id: int | None = None) -> int:
    """Store that ``agent`` reads ``turn`` as ``corrected_label``; raises ValueError for an unknown label or a non-shopper turn."""
    if corrected_label not in LABELS:
        raise ValueError(f"unknown emotion {corrected_label!r}; choose one of {', '.join(LABELS)}")
    if turn.role != "shopper" or turn.index is None:
        raise ValueError("only a shopper's turn has an emotion to correct")
    row = EmotionCorrection(ticket_id=ticket_id, sender_id=sender_id, turn_index=turn.index, event_timestamp=turn.timestamp,
                            text=turn.text, model_label=(turn.emotion or UNREAD)[:16], model_confidence=turn.confidence,
                            corrected_label=corrected_label, agent_id=agent.id)
    session.add(row)
    session.flush()
    return row.id


def _view(row: EmotionCorrection, username: str) -> CorrectionView:
    return CorrectionView(row.id, row.sender_id, row.ticket_id, row.turn_index, row.event_timestamp, row.text, row.model_label,
                          row.model_confidence, row.corrected_label, username, row.created_at)


def correction_view(session: Session, correction_id: int) -> CorrectionView:
    """One stored correction as the learning loop reads it; raises LookupError for an unknown id."""
    found = session.execute(select(EmotionCorrection, Agent.username).join(Agent, Agent.id == EmotionCorrection.agent_id)
                            .where(EmotionCorrection.id == correction_id)).first()
    if found is None:
        raise LookupError(f"no emotion correction {correction_id}")
    return _view(*found)


def latest_corrections(session: Session, since: dt.datetime | None = None) -> list[CorrectionView]:
    """The newest correction of every corrected turn (oldest first); a turn corrected twice counts once."""
    stmt = select(EmotionCorrection, Agent.username).join(Agent, Agent.id == EmotionCorrection.agent_id).order_by(EmotionCorrection.id)
    newest: dict[tuple[str, int, float | None], CorrectionView] = {}
    for row, username in session.execute(stmt):
        newest[(row.sender_id, row.turn_index, row.event_timestamp)] = _view(row, username)
    views = sorted(newest.values(), key=lambda v: v.id)
    return [v for v in views if since is None or v.created_at >= since]


def corrected_labels(session: Session, sender_id: str) -> dict[int, str]:
    """Turn number -> the latest corrected label, for one conversation."""
    rows = session.execute(
        select(EmotionCorrection.turn_index, EmotionCorrection.corrected_label)
        .where(EmotionCorrection.sender_id == sender_id).order_by(EmotionCorrection.id)
    ).all()
    return {index: label for index, label in rows}
