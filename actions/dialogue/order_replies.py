"""Shopper-facing wording for order facts and outcomes, in the shopper's tone (no Rasa here)."""

from __future__ import annotations

import datetime as dt

from actions.dialogue.tone import compose
from services.presentation import money
from services.store.orders import RETURN_WINDOW_DAYS, OrderView, Outcome

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
        f"Once it arrives you can return it for free within {RETURN_WINDOW_DAYS} days."
    ),
    Outcome.ALREADY_CANCELLED: "Order {n} is already cancelled.",
    Outcome.NOT_SHIPPED: "Order {n} hasn't left our warehouse yet, so nothing can have gone wrong on the way.",
    Outcome.NOT_DELIVERED: (
        "Order {n} hasn't been delivered yet, so there's nothing to send back or repair. "
        "If you no longer want it, you can refuse the delivery or return it once it arrives."
    ),
    Outcome.WINDOW_CLOSED: (
        f"Order {{n}} was delivered more than {RETURN_WINDOW_DAYS} days ago, outside our return and exchange window. "
        "Items under warranty can still be repaired or replaced: say 'warranty claim' to start one."
    ),
    Outcome.ALREADY_RETURNED: "A return for order {n} is already open or completed.",
    Outcome.ALREADY_EXCHANGED: "An exchange for order {n} is already open, so it can't be returned or exchanged again.",
    Outcome.NOT_EXCHANGEABLE: (
        "The items in order {n} come in one size and colour only, so there's nothing to exchange them for. "
        f"You can return them within {RETURN_WINDOW_DAYS} days of delivery instead."
    ),
    Outcome.NO_SUCH_OPTION: "I couldn't match that to an option of order {n}.",
    Outcome.OUT_OF_STOCK: "Sorry, that option is out of stock right now, so I couldn't reserve it for order {n}.",
    Outcome.WARRANTY_EXPIRED: (
        "The items in order {n} are past their warranty period, so I can't open a warranty claim. "
        "A person from our team can still look at a paid repair."
    ),
    Outcome.ALREADY_CLAIMED: "A warranty claim for order {n} is already open; our team will be in touch about it.",
    Outcome.INVALID_ADDRESS: "That doesn't look like a full address. Please send street and number, city and postcode in one message.",
}


def outcome_text(outcome: Outcome, order_number: int | None, tone: str, **extra: str) -> str:
    """The reply for a change request's outcome (DONE replies are written by the caller)."""
    return compose(tone, OUTCOME_TEXT[outcome].format(n=order_number, **extra))
