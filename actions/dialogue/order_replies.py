"""Shopper-facing wording for order facts and outcomes, in the shopper's tone (no Rasa here)."""

from __future__ import annotations

import datetime as dt

from actions.dialogue.tone import compose
from services.store.models import money
from services.store.orders import OrderView, Outcome

CARRIER_TRACKING_HINT = "You can follow it on the carrier's site with that tracking number."


def fmt_date(day: dt.date | dt.datetime | None) -> str:
    if day is None:
        return "unknown"
    if isinstance(day, dt.datetime):
        day = day.date()
    return f"{day:%a %d %b}"


def order_facts(order: OrderView, today: dt.date) -> tuple[str, list[str], list[str]]:
    """(headline, facts, next steps) for one order."""
    head = f"Order {order.number} ({order.item_summary}, {money(order.total)})"
    if order.status == "placed":
        return (f"{head} is confirmed and being packed; it hasn't shipped yet.",
                [f"Placed on {fmt_date(order.placed_at)}."],
                ["You'll get a tracking number by email as soon as it ships, usually within one business day."])
    if order.status == "shipped" and order.is_delayed(today):
        late = (today - order.promised_date).days
        return (f"{head} is running late: it was due on {fmt_date(order.promised_date)}, {late} day(s) ago.",
                [f"It's with {order.carrier}, tracking number {order.tracking_number}, still in transit.",
                 f"It left our warehouse on {fmt_date(order.shipped_at)}."],
                ["I've flagged the delay so our team chases the carrier.",
                 "If it hasn't arrived in 3 business days we send a replacement or a full refund, your choice."])
    if order.status == "shipped":
        return (f"{head} is on its way.",
                [f"Carrier: {order.carrier}, tracking number {order.tracking_number}.",
                 f"Expected delivery: {fmt_date(order.promised_date)}."],
                [CARRIER_TRACKING_HINT])
    if order.status == "delivered":
        steps = []
        deadline = order.return_deadline()
        if order.is_returnable(today) and deadline:
            steps.append(f"You can return it until {fmt_date(deadline)} if anything isn't right.")
        return (f"{head} was delivered on {fmt_date(order.delivered_at)}.",
                [f"Delivered by {order.carrier} (tracking {order.tracking_number})."], steps)
    if order.status == "cancelled":
        refund = " and refunded to your original payment method" if order.payment_status == "refunded" else ""
        return (f"{head} was cancelled{refund}.", [], ["Refunds show on your statement within 5-7 business days."])
    return (f"{head} was returned and refunded.", [], [])


def order_status_text(order: OrderView, today: dt.date, tone: str) -> str:
    head, facts, steps = order_facts(order, today)
    return compose(tone, head, facts, steps)


def recent_orders_text(orders: list[OrderView], today: dt.date, tone: str) -> str:
    if not orders:
        return compose(tone, "I can't see any orders on your account yet.", closer=True)
    lines = [order_facts(o, today)[0] for o in orders]
    head = "Here are your most recent orders:" if len(orders) > 1 else "Here's your most recent order:"
    return compose(tone, head, lines, ["Give me an order number for the full details or to change something."])


NOT_FOUND = "I can't find an order with that number on your account. Please check the 6-digit number in your confirmation email."

OUTCOME_TEXT: dict[Outcome, str] = {
    Outcome.NOT_FOUND: NOT_FOUND,
    Outcome.ALREADY_SHIPPED: (
        "Order {n} has already shipped, so it can't be cancelled or changed any more. "
        "Once it arrives you can return it for free within 30 days."
    ),
    Outcome.ALREADY_CANCELLED: "Order {n} is already cancelled.",
    Outcome.NOT_DELIVERED: (
        "Order {n} hasn't been delivered yet, so there's nothing to return. "
        "If you no longer want it, you can refuse the delivery or return it once it arrives."
    ),
    Outcome.WINDOW_CLOSED: "Order {n} was delivered more than 30 days ago, outside our return window. Items under warranty can still be repaired or replaced.",
    Outcome.ALREADY_RETURNED: "A return for order {n} is already open or completed.",
    Outcome.INVALID_ADDRESS: "That doesn't look like a full address. Please send street and number, city and postcode in one message.",
}


def outcome_text(outcome: Outcome, order_number: int | None, tone: str, **extra: str) -> str:
    """The reply for a change request's outcome (DONE replies are written by the caller)."""
    return compose(tone, OUTCOME_TEXT[outcome].format(n=order_number, **extra))
