"""Order queries and changes the actions need, scoped to one customer.

Every function that reveals or changes an order takes the customer it acts for and
treats "no such order" and "someone else's order" alike, so nothing leaks.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from services.store.models import Order, ReturnRequest, utcnow

RETURN_WINDOW_DAYS = 30
MAX_ADDRESS_LENGTH = 400


@dataclass(frozen=True)
class OrderView:
    """What a verified shopper may see of one of their orders."""

    number: int
    status: str
    placed_at: dt.datetime
    items: tuple[tuple[str, int], ...]  # (product name, quantity)
    product_ids: tuple[int, ...]
    total: Decimal
    payment_status: str
    shipping_address: str
    carrier: str | None
    tracking_number: str | None
    shipment_status: str | None
    promised_date: dt.date | None
    shipped_at: dt.datetime | None
    delivered_at: dt.datetime | None
    has_return: bool

    def is_delayed(self, today: dt.date) -> bool:
        """Shipped, not delivered, and past the promised date."""
        return self.status == "shipped" and self.promised_date is not None and today > self.promised_date

    def return_deadline(self) -> dt.date | None:
        return (self.delivered_at.date() + dt.timedelta(days=RETURN_WINDOW_DAYS)) if self.delivered_at else None

    def is_returnable(self, today: dt.date) -> bool:
        deadline = self.return_deadline()
        return self.status == "delivered" and not self.has_return and deadline is not None and today <= deadline

    @property
    def item_summary(self) -> str:
        return ", ".join(f"{q} x {name}" if q > 1 else name for name, q in self.items)


def _view(order: Order) -> OrderView:
    s = order.shipment
    return OrderView(
        number=order.id,
        status=order.status,
        placed_at=order.placed_at,
        items=tuple((i.product.name, i.quantity) for i in order.items),
        product_ids=tuple(i.product_id for i in order.items),
        total=Decimal(order.total),
        payment_status=order.payment_status,
        shipping_address=order.shipping_address,
        carrier=s.carrier if s else None,
        tracking_number=s.tracking_number if s else None,
        shipment_status=s.status if s else None,
        promised_date=s.promised_date if s else None,
        shipped_at=s.shipped_at if s else None,
        delivered_at=s.delivered_at if s else None,
        has_return=bool(order.returns),
    )


def _load(session: Session, order_number: int, customer_id: str) -> Order | None:
    stmt = (
        select(Order)
        .where(Order.id == order_number, Order.customer_id == customer_id)
        .options(selectinload(Order.items), selectinload(Order.shipment), selectinload(Order.returns))
    )
    return session.execute(stmt).scalar_one_or_none()


def get_order(session: Session, customer_id: str, order_number: int) -> OrderView | None:
    """The order if it belongs to ``customer_id``; None otherwise (missing or not theirs)."""
    order = _load(session, order_number, customer_id)
    return _view(order) if order else None


def recent_orders(session: Session, customer_id: str, limit: int = 3) -> list[OrderView]:
    """The customer's newest orders, newest first."""
    stmt = (
        select(Order)
        .where(Order.customer_id == customer_id)
        .order_by(Order.placed_at.desc())
        .limit(limit)
        .options(selectinload(Order.items), selectinload(Order.shipment), selectinload(Order.returns))
    )
    return [_view(o) for o in session.execute(stmt).scalars()]


class Outcome(str, enum.Enum):
    """Result of a change request; the value names the reply to give."""

    DONE = "done"
    NOT_FOUND = "not_found"
    ALREADY_SHIPPED = "already_shipped"
    ALREADY_CANCELLED = "already_cancelled"
    NOT_DELIVERED = "not_delivered"
    WINDOW_CLOSED = "window_closed"
    ALREADY_RETURNED = "already_returned"
    INVALID_ADDRESS = "invalid_address"


def normalise_address(text: str) -> str | None:
    """The address with spacing collapsed, or None if it cannot be a full postal address."""
    address = " ".join(str(text or "").split())
    if not (10 <= len(address) <= MAX_ADDRESS_LENGTH) or not any(ch.isdigit() for ch in address):
        return None
    return address


def _unshipped(order: Order | None) -> Outcome | None:
    """Why an order can no longer be changed before shipping, or None if it still can."""
    if order is None:
        return Outcome.NOT_FOUND
    if order.status == "cancelled":
        return Outcome.ALREADY_CANCELLED
    if order.status != "placed":
        return Outcome.ALREADY_SHIPPED
    return None


def cancel_order(session: Session, customer_id: str, order_number: int) -> Outcome:
    """Cancel an order that has not shipped yet, marking it refunded."""
    order = _load(session, order_number, customer_id)
    refusal = _unshipped(order)
    if refusal:
        return refusal
    now = utcnow()
    order.status, order.payment_status = "cancelled", "refunded"
    order.cancelled_at = order.refunded_at = now
    return Outcome.DONE


def create_return(
    session: Session, customer_id: str, order_number: int, today: dt.date, reason: str = ""
) -> tuple[Outcome, str | None]:
    """Open a return (RMA) for a delivered order within the return window; returns (outcome, RMA code)."""
    order = _load(session, order_number, customer_id)
    if order is None:
        return Outcome.NOT_FOUND, None
    view = _view(order)
    if view.has_return or order.status == "returned":
        return Outcome.ALREADY_RETURNED, None
    if order.status != "delivered":
        return Outcome.NOT_DELIVERED, None
    if not view.is_returnable(today):
        return Outcome.WINDOW_CLOSED, None
    # One return per order (checked above), so the order number makes the code unique.
    ret = ReturnRequest(
        rma_code=f"RMA-{order.id}", order_id=order.id, reason=reason[:400], status="requested",
        refund_amount=order.total, created_at=utcnow(),
    )
    session.add(ret)
    session.flush()
    return Outcome.DONE, ret.rma_code


def change_address(session: Session, customer_id: str, order_number: int, new_address: str) -> Outcome:
    """Change the delivery address of an order that has not shipped yet."""
    address = normalise_address(new_address)
    if address is None:
        return Outcome.INVALID_ADDRESS
    order = _load(session, order_number, customer_id)
    refusal = _unshipped(order)
    if refusal:
        return refusal
    order.shipping_address = address
    return Outcome.DONE
