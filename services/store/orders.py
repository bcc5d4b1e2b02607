"""Order queries and changes the actions need, scoped to one customer.

Every function that reveals or changes an order takes the customer it acts for and
treats "no such order" and "someone else's order" alike, so nothing leaks.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from services.store.models import Order, OrderItem, ProductVariant, ReturnRequest, WarrantyPeriod, utcnow
from services.store.order_rules import Outcome, return_refusal, unshipped_refusal
from services.store.order_view import RETURN_WINDOW_DAYS, OrderLine, OrderView

__all__ = [
    "MAX_ADDRESS_LENGTH", "RETURN_WINDOW_DAYS", "OrderView", "Outcome", "cancel_order", "change_address",
    "create_return", "get_order", "load_order", "normalise_address", "recent_orders", "view_of",
]

MAX_ADDRESS_LENGTH = 400
_ORDER_DETAILS = (
    selectinload(Order.items).joinedload(OrderItem.product),
    selectinload(Order.shipment),
    selectinload(Order.returns),
    selectinload(Order.exchanges),
    selectinload(Order.claims),
)


def _views(session: Session, orders: list[Order]) -> list[OrderView]:
    """Views of ``orders``, with the warranty periods and exchangeable products looked up once."""
    if not orders:
        return []
    warranty = {category: months for category, months in session.execute(select(WarrantyPeriod.category, WarrantyPeriod.months))}
    product_ids = {item.product_id for order in orders for item in order.items}
    with_variants = set(
        session.execute(select(ProductVariant.product_id).where(ProductVariant.product_id.in_(product_ids)).distinct()).scalars()
    )
    return [_view(order, warranty, with_variants) for order in orders]


def _view(order: Order, warranty: dict[str, int], with_variants: set[int]) -> OrderView:
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
        lines=tuple(
            OrderLine(item_id=i.id, product_id=i.product_id, name=i.product.name, quantity=i.quantity,
                      category=i.product.category, warranty_months=warranty.get(i.product.category),
                      has_variants=i.product_id in with_variants)
            for i in order.items
        ),
        has_exchange=bool(order.exchanges),
        has_open_claim=any(c.status != "resolved" for c in order.claims),
    )


def view_of(session: Session, order: Order) -> OrderView:
    """The shopper's view of a loaded order."""
    return _views(session, [order])[0]


def load_order(session: Session, customer_id: str, order_number: int) -> Order | None:
    """The ORM order if it belongs to ``customer_id``; None otherwise (missing or not theirs)."""
    stmt = select(Order).where(Order.id == order_number, Order.customer_id == customer_id).options(*_ORDER_DETAILS)
    return session.execute(stmt).scalar_one_or_none()


def get_order(session: Session, customer_id: str, order_number: int) -> OrderView | None:
    """The order if it belongs to ``customer_id``; None otherwise (missing or not theirs)."""
    order = load_order(session, customer_id, order_number)
    return view_of(session, order) if order else None


def recent_orders(session: Session, customer_id: str, limit: int = 3) -> list[OrderView]:
    """The customer's newest orders, newest first."""
    stmt = (
        select(Order)
        .where(Order.customer_id == customer_id)
        .order_by(Order.placed_at.desc())
        .limit(limit)
        .options(*_ORDER_DETAILS)
    )
    return _views(session, list(session.execute(stmt).scalars()))


def normalise_address(text: str) -> str | None:
    """The address with spacing collapsed, or None if it cannot be a full postal address."""
    address = " ".join(str(text or "").split())
    if not (10 <= len(address) <= MAX_ADDRESS_LENGTH) or not any(ch.isdigit() for ch in address):
        return None
    return address


def cancel_order(session: Session, customer_id: str, order_number: int, today: dt.date | None = None) -> Outcome:
    """Cancel an order that has not shipped yet, marking it refunded."""
    order = load_order(session, customer_id, order_number)
    if order is None:
        return Outcome.NOT_FOUND
    refusal = unshipped_refusal(view_of(session, order), today or utcnow().date())
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
    order = load_order(session, customer_id, order_number)
    if order is None:
        return Outcome.NOT_FOUND, None
    refusal = return_refusal(view_of(session, order), today)
    if refusal:
        return refusal, None
    # One return per order (checked above), so the order number makes the code unique.
    ret = ReturnRequest(
        rma_code=f"RMA-{order.id}", order_id=order.id, reason=reason[:400], status="requested",
        refund_amount=order.total, created_at=utcnow(),
    )
    session.add(ret)
    session.flush()
    return Outcome.DONE, ret.rma_code


def change_address(
    session: Session, customer_id: str, order_number: int, new_address: str, today: dt.date | None = None
) -> Outcome:
    """Change the delivery address of an order that has not shipped yet."""
    address = normalise_address(new_address)
    if address is None:
        return Outcome.INVALID_ADDRESS
    order = load_order(session, customer_id, order_number)
    if order is None:
        return Outcome.NOT_FOUND
    refusal = unshipped_refusal(view_of(session, order), today or utcnow().date())
    if refusal:
        return refusal
    order.shipping_address = address
    return Outcome.DONE
