"""When an order flow is refused: one pure function of (order, today) per flow.

Each rule returns the :class:`Outcome` that explains the refusal, or None when the flow may go
ahead. The store operations and the dialogue's choice of order both call these, so a rule is
written once (``services/store/order_flows.py`` names the rule of each flow).
"""

from __future__ import annotations

import datetime as dt
import enum

from services.store.order_view import OrderView


class Outcome(str, enum.Enum):
    """Result of a change request; the value names the reply to give."""

    DONE = "done"
    NOT_FOUND = "not_found"
    ALREADY_SHIPPED = "already_shipped"
    ALREADY_CANCELLED = "already_cancelled"
    NOT_SHIPPED = "not_shipped"
    NOT_DELIVERED = "not_delivered"
    WINDOW_CLOSED = "window_closed"
    ALREADY_RETURNED = "already_returned"
    ALREADY_EXCHANGED = "already_exchanged"
    NOT_EXCHANGEABLE = "not_exchangeable"
    NO_SUCH_OPTION = "no_such_option"
    OUT_OF_STOCK = "out_of_stock"
    WARRANTY_EXPIRED = "warranty_expired"
    ALREADY_CLAIMED = "already_claimed"
    INVALID_ADDRESS = "invalid_address"


def unshipped_refusal(order: OrderView, today: dt.date) -> Outcome | None:
    """Cancelling and changing the address: only before the order ships."""
    if order.status == "cancelled":
        return Outcome.ALREADY_CANCELLED
    if order.status != "placed":
        return Outcome.ALREADY_SHIPPED
    return None


def _after_delivery_refusal(order: OrderView, today: dt.date) -> Outcome | None:
    """Shared by returns and exchanges: delivered, inside the return window, nothing sent back yet."""
    if order.has_return or order.status == "returned":
        return Outcome.ALREADY_RETURNED
    if order.has_exchange:
        return Outcome.ALREADY_EXCHANGED
    if order.status != "delivered":
        return Outcome.NOT_DELIVERED
    deadline = order.return_deadline()
    if deadline is None or today > deadline:
        return Outcome.WINDOW_CLOSED
    return None


def return_refusal(order: OrderView, today: dt.date) -> Outcome | None:
    """A return (refund): delivered within the return window, once per order, not while an exchange is open."""
    return _after_delivery_refusal(order, today)


def exchange_refusal(order: OrderView, today: dt.date) -> Outcome | None:
    """An exchange (another size or colour): a return's conditions, plus an item that comes in other options.

    Stock of the chosen option is checked when the shopper names it (``services/store/exchanges.py``).
    """
    refusal = _after_delivery_refusal(order, today)
    if refusal is not None:
        return refusal
    if not any(line.has_variants for line in order.lines):
        return Outcome.NOT_EXCHANGEABLE
    return None


def warranty_refusal(order: OrderView, today: dt.date) -> Outcome | None:
    """A repair or warranty claim: delivered, not sent back, an item still under its category's warranty, no open claim."""
    if order.has_return or order.status == "returned":  # a return sends (and refunds) the whole order
        return Outcome.ALREADY_RETURNED
    if order.status != "delivered":
        return Outcome.NOT_DELIVERED
    if order.has_open_claim:
        return Outcome.ALREADY_CLAIMED
    if not order.lines_under_warranty(today):
        return Outcome.WARRANTY_EXPIRED
    return None


def delivery_problem_refusal(order: OrderView, today: dt.date) -> Outcome | None:
    """A delivery problem (late, lost, damaged): the order has left the warehouse."""
    return None if order.status in ("shipped", "delivered") else Outcome.NOT_SHIPPED
