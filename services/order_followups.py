"""Follow-up questions about the order the shopper was just told about (no Rasa here).

After an order answer, "when exactly?", "what do I do now?" and "and the other one?" stay about
that order. These functions pick the order and state the facts as (headline, facts, next steps),
which ``actions/order_followups.py`` lays out in the shopper's tone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from services.store.order_view import OrderView

BUSINESS_DAYS_BEFORE_REPLACEMENT = 3  # a late parcel is replaced or refunded after this (order_replies.py says so too)
REFUND_BUSINESS_DAYS = (5, 7)  # refunds reach the statement within this many business days
DISPATCH_BUSINESS_DAYS = 1  # placed orders usually ship within one business day


@dataclass(frozen=True)
class Reply:
    """A follow-up answer before it is laid out for a tone."""

    headline: str
    facts: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class OtherOrder:
    """Which order "the other one" is: ``order``, or, when that is unclear, the ``candidates`` to ask about."""

    order: OrderView | None
    candidates: tuple[OrderView, ...] = ()


def add_business_days(day: dt.date, days: int) -> dt.date:
    """``day`` moved ``days`` working days (Monday to Friday) on."""
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def fmt_day(day: dt.date | dt.datetime) -> str:
    """A date as shoppers read it: ``Tue 24 Nov``."""
    return f"{day.date() if isinstance(day, dt.datetime) else day:%a %d %b}"


def other_order(orders: Sequence[OrderView], current: int | None) -> OtherOrder:
    """The order "the other one" means, given the recent ``orders`` (newest first) and the one discussed.

    Only unambiguous when exactly one recent order is not the current one; otherwise the
    shopper is asked to pick (``candidates``), and with no other order there is nothing to pick.
    """
    others = tuple(o for o in orders if o.number != current)
    if current is not None and len(others) == 1:
        return OtherOrder(others[0])
    return OtherOrder(None, others if len(orders) > 1 or current is not None else ())


def delivery_timing(order: OrderView, today: dt.date) -> Reply:
    """When exactly the order ships, arrives or arrived (the answer to "when exactly?")."""
    n = order.number
    if order.status == "placed":
        ships_by = add_business_days(today, DISPATCH_BUSINESS_DAYS)
        return Reply(f"Order {n} hasn't shipped yet: it was placed on {fmt_day(order.placed_at)} and usually ships "
                     f"within {DISPATCH_BUSINESS_DAYS} business day, so by {fmt_day(ships_by)}.",
                     ("The exact delivery date comes with the tracking number we email you when it ships.",))
    if order.status == "shipped" and order.promised_date is not None:
        if order.is_delayed(today):
            late = (today - order.promised_date).days
            deadline = add_business_days(today, BUSINESS_DAYS_BEFORE_REPLACEMENT)
            return Reply(f"Order {n} was due on {fmt_day(order.promised_date)}, {late} day(s) ago, and is still in transit "
                         f"with {order.carrier} (tracking {order.tracking_number}).",
                         ("The carrier hasn't given a new date yet.",),
                         (f"If it hasn't arrived by {fmt_day(deadline)}, we send a replacement or a full refund, your choice.",))
        days = (order.promised_date - today).days
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
        return Reply(f"Order {n} is expected on {fmt_day(order.promised_date)} ({when}), with {order.carrier}.",
                     (f"Tracking number {order.tracking_number}: the carrier's site shows the delivery window on the day.",))
    if order.status == "shipped":
        return Reply(f"Order {n} is in transit with {order.carrier} (tracking {order.tracking_number}); "
                     "the carrier hasn't given a delivery date yet.")
    if order.status == "delivered" and order.delivered_at is not None:
        deadline = order.return_deadline()
        facts = (f"The return window is open until {fmt_day(deadline)}.",) if deadline and order.is_returnable(today) else ()
        return Reply(f"Order {n} was delivered on {fmt_day(order.delivered_at)}.", facts)
    return _refund_timing(order, today)


def next_steps(order: OrderView, today: dt.date) -> Reply:
    """What the shopper can do now about the order (the answer to "what do I do now?")."""
    n = order.number
    if order.status == "placed":
        return Reply(f"There's nothing you need to do for order {n}: it's being packed.",
                     ("You'll get the tracking number by email as soon as it ships.",),
                     ("Until it ships you can still change the delivery address or cancel it: just tell me.",))
    if order.status == "shipped" and order.is_delayed(today):
        deadline = add_business_days(today, BUSINESS_DAYS_BEFORE_REPLACEMENT)
        return Reply(f"For order {n}, there's nothing you need to do right now: our team is chasing {order.carrier}.",
                     (f"You can follow it with tracking number {order.tracking_number}.",),
                     (f"If it hasn't arrived by {fmt_day(deadline)}, come back here and choose a replacement or a full refund.",
                      "If you'd rather a person looks at it now, say 'agent'."))
    if order.status == "shipped":
        due = f" by {fmt_day(order.promised_date)}" if order.promised_date else ""
        return Reply(f"Order {n} is on its way, so there's nothing you need to do.",
                     (f"You can follow it with tracking number {order.tracking_number} on {order.carrier}'s site.",),
                     (f"If it hasn't arrived{due}, tell me and I'll look into it.",))
    if order.status == "delivered":
        steps = []
        if order.is_returnable(today) and (deadline := order.return_deadline()):
            swap = " or exchange the size or colour" if any(line.has_variants for line in order.lines) else ""
            steps.append(f"If something isn't right, you can return it{swap} until {fmt_day(deadline)}.")
        if order.lines_under_warranty(today):
            steps.append("If an item develops a fault, it's covered by its warranty: say 'warranty claim'.")
        return Reply(f"Order {n} has been delivered, so there's nothing more you need to do.", (), tuple(steps))
    return _refund_timing(order, today)


def _refund_timing(order: OrderView, today: dt.date) -> Reply:
    low, high = REFUND_BUSINESS_DAYS
    what = "cancelled" if order.status == "cancelled" else "returned"
    refunded = order.payment_status == "refunded"
    head = f"Order {order.number} was {what}" + (" and refunded to your original payment method." if refunded else ".")
    return Reply(head, (), (f"There's nothing you need to do: refunds show on your statement within {low}-{high} business days.",))
