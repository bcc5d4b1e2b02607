"""The desk's queues: open tickets ordered by urgency, the senior queue for anger and threats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from demo_site.desk.accounts import AgentView
from demo_site.desk.urgency import UrgencyPolicy, needs_senior, urgency
from services.store.models import Customer, Ticket, utcnow

PREVIEW_CHARS = 140
MAX_QUEUE_TICKETS = 500


@dataclass(frozen=True)
class QueueItem:
    ticket_id: int
    sender_id: str
    customer_name: str | None
    reason: str
    status: str
    created_at: dt.datetime
    waited_minutes: int
    urgency: float
    senior: bool
    emotion: str | None  # the latest reading's label
    emotion_confidence: float | None
    preview: str  # the shopper's last words, cut


@dataclass(frozen=True)
class Queues:
    senior: list[QueueItem]  # empty for agents who are not senior
    general: list[QueueItem]


def shopper_texts(ticket: Ticket) -> list[str]:
    return [str(t.get("text", "")) for t in (ticket.transcript or []) if isinstance(t, dict) and t.get("role") == "user"]


def is_senior_ticket(ticket: Ticket, policy: UrgencyPolicy = UrgencyPolicy()) -> bool:
    return needs_senior(ticket.reason, list(ticket.emotion_history or []), shopper_texts(ticket), policy)


def can_see(agent: AgentView, ticket: Ticket, policy: UrgencyPolicy = UrgencyPolicy()) -> bool:
    """Senior agents see every ticket; others only those outside the senior queue."""
    return agent.is_senior or not is_senior_ticket(ticket, policy)


def _item(ticket: Ticket, name: str | None, now: dt.datetime, policy: UrgencyPolicy) -> QueueItem:
    history = [t for t in (ticket.emotion_history or []) if isinstance(t, dict)]
    latest = history[-1] if history else {}
    texts = shopper_texts(ticket)
    waited = now - ticket.created_at
    return QueueItem(
        ticket_id=ticket.id, sender_id=ticket.sender_id, customer_name=name, reason=ticket.reason, status=ticket.status,
        created_at=ticket.created_at, waited_minutes=max(int(waited.total_seconds() // 60), 0),
        urgency=urgency(history, waited, policy), senior=needs_senior(ticket.reason, history, texts, policy),
        emotion=latest.get("label"), emotion_confidence=latest.get("confidence"),
        preview=(texts[-1][:PREVIEW_CHARS] if texts else ""),
    )


def load_queues(session: Session, agent: AgentView, now: dt.datetime | None = None, policy: UrgencyPolicy = UrgencyPolicy()) -> Queues:
    """Unresolved tickets, most urgent first (ties: the one waiting longest); seniors also get the senior queue."""
    now = now or utcnow()
    rows = session.execute(
        select(Ticket, Customer.name).outerjoin(Customer, Customer.id == Ticket.customer_id)
        .where(Ticket.status != "resolved").order_by(Ticket.created_at).limit(MAX_QUEUE_TICKETS)
    ).all()
    items = sorted((_item(t, name, now, policy) for t, name in rows), key=lambda i: (-i.urgency, i.created_at, i.ticket_id))
    senior = [i for i in items if i.senior]
    return Queues(senior=senior if agent.is_senior else [], general=[i for i in items if not i.senior])
