"""Which order a request is about when the shopper gave no number (pure functions)."""

from __future__ import annotations

import datetime as dt

from services.store.orders import OrderView


def eligible(order: OrderView, request: str, today: dt.date) -> bool:
    """Whether ``request`` can be carried out on ``order`` today."""
    if request in ("cancel_order", "change_address"):
        return order.status == "placed"
    if request == "return_order":
        return order.is_returnable(today)
    if request == "delivery_problem":
        return order.status in ("shipped", "delivered")
    return True


def pick_order(orders: list[OrderView], request: str, today: dt.date) -> tuple[OrderView | None, list[OrderView]]:
    """(the one eligible order, or None; all eligible orders). Orders newest first.

    For a status request the newest order is taken when there is no better clue: a
    delayed shipment first, then the newest order.
    """
    candidates = [o for o in orders if eligible(o, request, today)]
    if request == "delivery_problem":
        delayed = [o for o in candidates if o.is_delayed(today)]
        if delayed:
            return delayed[0], candidates
        return (candidates[0] if candidates else None), candidates
    return (candidates[0] if len(candidates) == 1 else None), candidates
