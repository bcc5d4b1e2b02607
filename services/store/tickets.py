"""Human-handoff tickets and CSAT ratings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.pii import mask_text
from services.store.models import CsatRating, Customer, Order, Ticket, utcnow

TRANSCRIPT_TURNS = 10
MAX_TURN_CHARS = 500


@dataclass(frozen=True)
class TicketView:
    id: int
    sender_id: str
    customer_id: str | None
    order_id: int | None
    reason: str
    status: str


def create_ticket(
    session: Session,
    sender_id: str,
    reason: str,
    emotion_history: list[dict],
    transcript: list[dict],
    customer_id: str | None = None,
    order_id: int | None = None,
) -> TicketView:
    """Open a ticket; the transcript keeps the last ``TRANSCRIPT_TURNS`` turns, each cut to ``MAX_TURN_CHARS``.

    Turns are masked (``services.pii``): emails, phones, addresses and card numbers become
    placeholders; order and tracking numbers stay. The agent reaches the customer's contact
    details and addresses through ``customer_id`` and ``order_id``.

    ``order_id`` is only kept when it belongs to ``customer_id`` (an agent must not be
    pointed at someone else's order by an unverified shopper).
    """
    if customer_id is not None and session.get(Customer, customer_id) is None:
        customer_id = None
    if order_id is not None:
        order = session.get(Order, order_id)
        if order is None or customer_id is None or order.customer_id != customer_id:
            order_id = None
    turns = [{"role": t["role"], "text": mask_text(str(t.get("text", "")))[:MAX_TURN_CHARS]} for t in transcript[-TRANSCRIPT_TURNS:]]
    ticket = Ticket(
        sender_id=sender_id, customer_id=customer_id, order_id=order_id, reason=reason,
        emotion_history=emotion_history, transcript=turns, status="open",
    )
    session.add(ticket)
    session.flush()
    return _view(ticket)


def open_ticket_for(session: Session, sender_id: str) -> TicketView | None:
    """The newest open or in-progress ticket of a conversation."""
    stmt = (
        select(Ticket)
        .where(Ticket.sender_id == sender_id, Ticket.status != "resolved")
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    ticket = session.execute(stmt).scalar_one_or_none()
    return _view(ticket) if ticket else None


def resolve_tickets(session: Session, sender_id: str) -> list[int]:
    """Mark every unresolved ticket of a conversation resolved; returns their ids."""
    tickets = session.execute(
        select(Ticket).where(Ticket.sender_id == sender_id, Ticket.status != "resolved")
    ).scalars().all()
    for t in tickets:
        t.status, t.updated_at = "resolved", utcnow()
    return [t.id for t in tickets]


def save_csat(
    session: Session, sender_id: str, rating: int, emotion_history: list[dict], customer_id: str | None = None
) -> int:
    """Store a 1-5 rating; raises ValueError outside that range."""
    if not 1 <= rating <= 5:
        raise ValueError(f"CSAT rating must be 1-5, got {rating}")
    if customer_id is not None and session.get(Customer, customer_id) is None:
        customer_id = None
    row = CsatRating(sender_id=sender_id, customer_id=customer_id, rating=rating, emotion_history=emotion_history)
    session.add(row)
    session.flush()
    return row.id


def _view(t: Ticket) -> TicketView:
    return TicketView(t.id, t.sender_id, t.customer_id, t.order_id, t.reason, t.status)
