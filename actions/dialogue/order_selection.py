"""Which order a request is about when the shopper gave no number (pure functions)."""

from __future__ import annotations

import datetime as dt

from services.store.order_flows import OrderFlow
from services.store.orders import OrderView


def pick_order(orders: list[OrderView], flow: OrderFlow, today: dt.date) -> tuple[OrderView | None, list[OrderView]]:
    """(the order to act on, or None; all orders the flow's rule allows). Orders newest first.

    One eligible order is taken as is. With several, the flow's ``prefer`` (a delayed shipment
    for a delivery problem) picks the first it likes; otherwise the shopper is asked which.
    """
    candidates = [o for o in orders if flow.refusal(o, today) is None]
    if len(candidates) == 1:
        return candidates[0], candidates
    preferred = [o for o in candidates if flow.prefer is not None and flow.prefer(o, today)]
    if preferred:
        return preferred[0], candidates
    return None, candidates
