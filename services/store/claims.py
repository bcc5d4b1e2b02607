"""Repair and warranty claims on delivered orders, scoped to the customer like every order query."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.store.models import WarrantyClaim, utcnow
from services.store.order_rules import Outcome, warranty_refusal
from services.store.orders import load_order, view_of

MAX_DESCRIPTION_LENGTH = 400


def create_claim(
    session: Session, customer_id: str, order_number: int, today: dt.date, description: str = ""
) -> tuple[Outcome, str | None]:
    """Open a warranty claim when an item of the order is still under warranty; returns (outcome, claim code).

    One open claim per order; after it is resolved another may follow (``CLM-<order>-<n>``).
    """
    order = load_order(session, customer_id, order_number)
    if order is None:
        return Outcome.NOT_FOUND, None
    refusal = warranty_refusal(view_of(session, order), today)
    if refusal:
        return refusal, None
    previous = session.scalar(select(func.count()).select_from(WarrantyClaim).where(WarrantyClaim.order_id == order.id))
    claim = WarrantyClaim(code=f"CLM-{order.id}-{previous + 1}", order_id=order.id,
                          description=" ".join(description.split())[:MAX_DESCRIPTION_LENGTH], status="open",
                          created_at=utcnow())
    session.add(claim)
    session.flush()
    return Outcome.DONE, claim.code
