"""Everything the ticket page shows: the shopper, the order, the reason, the conversation, the corrections."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session, selectinload

from demo_site.desk.conversation import Conversation, from_ticket, from_tracker
from demo_site.desk.corrections import corrected_labels
from services.rasa_api import RasaApi, RasaApiError
from services.store.db import session_scope
from services.store.models import Customer, Order, Ticket

REASONS = {
    "requested": "The shopper asked for a person.",
    "threat": "The shopper threatened a chargeback, legal action or a public review.",
    "angry_unresolved": "The shopper stayed angry after the bot's answer.",
    "sustained_frustration": "The shopper was frustrated over several turns.",
    "nlu_failures": "The bot did not understand the shopper twice in a row.",
    "verification_failed": "The shopper could not verify the order (order number and email).",
    "delivery_problem": "A delivery needs chasing.",
    "complaint": "A complaint that needs a person's look.",
    "payment_problem": "A payment problem for the payments team.",
}


@dataclass(frozen=True)
class OrderFacts:
    number: int
    status: str
    placed_at: dt.datetime
    total: str
    payment_status: str
    items: list[str]
    shipping_address: str
    shipment: str | None
    returns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TicketContext:
    ticket: Ticket
    customer: Customer | None
    order: OrderFacts | None
    reason_text: str
    conversation: Conversation
    tracker_error: str | None  # why the live conversation could not be read (the ticket's copy is shown)
    corrections: dict[int, str]


def money(value: Decimal | float) -> str:
    return f"${Decimal(value):,.2f}"


def reason_text(reason: str) -> str:
    return REASONS.get(reason, f"Reason recorded by the bot: {reason}.")


def order_facts(order: Order) -> OrderFacts:
    s = order.shipment
    shipment = None
    if s is not None:
        shipment = f"{s.carrier} {s.tracking_number}: {s.status.replace('_', ' ')}, promised {s.promised_date.isoformat()}"
        if s.delivered_at:
            shipment += f", delivered {s.delivered_at:%Y-%m-%d}"
    return OrderFacts(
        number=order.id, status=order.status, placed_at=order.placed_at, total=money(order.total), payment_status=order.payment_status,
        items=[f"{i.quantity} x {i.product.name} ({money(i.unit_price)})" for i in order.items],
        shipping_address=order.shipping_address, shipment=shipment,
        returns=[f"{r.rma_code}: {r.status}, refund {money(r.refund_amount)}" for r in order.returns],
    )


def load_ticket(session: Session, ticket_id: int) -> Ticket | None:
    return session.get(Ticket, ticket_id)


async def read_conversation(api: RasaApi, ticket: Ticket) -> tuple[Conversation, str | None]:
    """The live conversation from Rasa, or the ticket's copy and why (no database session is held while waiting)."""
    try:
        conversation = from_tracker(await api.tracker(ticket.sender_id))
    except RasaApiError as exc:
        return from_ticket(ticket), f"{exc}. Showing the transcript saved with the ticket."
    if not conversation.turns:
        return from_ticket(ticket), "Rasa has no events for this conversation (restarted?); showing the transcript saved with the ticket."
    return conversation, None


async def ticket_context(database_url: str | None, api: RasaApi, ticket: Ticket) -> TicketContext:
    """The page's content: first the conversation over HTTP, then the store's rows in one short session."""
    conversation, error = await read_conversation(api, ticket)
    with session_scope(database_url) as session:
        customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
        order = None
        if ticket.order_id is not None:
            row = session.get(Order, ticket.order_id, options=[selectinload(Order.items), selectinload(Order.returns)])
            order = order_facts(row) if row is not None else None
        corrections = corrected_labels(session, ticket.sender_id)
    return TicketContext(ticket, customer, order, reason_text(ticket.reason), conversation, error, corrections)


def mark_in_progress(session: Session, ticket_id: int) -> None:
    """An agent is on it: an open ticket becomes in progress (a resolved one stays resolved)."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is not None and ticket.status == "open":
        ticket.status = "in_progress"
