"""Every order flow's refusal rule, table-driven on plain order views (no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from services.store.order_flows import ORDER_FLOWS
from services.store.order_rules import Outcome
from services.store.order_view import RETURN_WINDOW_DAYS, OrderLine, OrderView, add_months

TODAY = dt.date(2026, 11, 22)
NOON = dt.time(12, 0)
SHOES = OrderLine(1, 10, "Stridelab Drift Trail Running Shoes", 1, "running shoes", 12, has_variants=True)
HEADPHONES = OrderLine(2, 20, "Auralis Pulse Wireless Headphones", 1, "headphones", 24, has_variants=True)
SERUM = OrderLine(3, 30, "Dewbloom Vale Face Serum", 1, "skincare", 12, has_variants=False)
UNCOVERED = OrderLine(4, 40, "Gift Card", 1, "gift cards", None, has_variants=False)


def order(status: str = "delivered", delivered_days_ago: int | None = 5, lines: tuple[OrderLine, ...] = (SHOES,),
          **flags: bool) -> OrderView:
    """An order view; ``delivered_days_ago`` only counts for delivered (or returned) orders."""
    delivered = status in ("delivered", "returned") and delivered_days_ago is not None
    delivered_at = dt.datetime.combine(TODAY - dt.timedelta(days=delivered_days_ago), NOON) if delivered else None
    return OrderView(
        number=123456, status=status, placed_at=dt.datetime.combine(TODAY - dt.timedelta(days=40), NOON),
        items=tuple((line.name, line.quantity) for line in lines), product_ids=tuple(line.product_id for line in lines),
        total=Decimal("129.99"), payment_status="refunded" if status in ("cancelled", "returned") else "paid",
        shipping_address="1 Main St, Springfield, IL 62701", carrier=None if status in ("placed", "cancelled") else "UPS",
        tracking_number=None, shipment_status=None, promised_date=TODAY - dt.timedelta(days=2) if status == "shipped" else None,
        shipped_at=None, delivered_at=delivered_at, has_return=flags.get("has_return", False), lines=lines,
        has_exchange=flags.get("has_exchange", False), has_open_claim=flags.get("has_open_claim", False),
    )


LAST_RETURN_DAY = RETURN_WINDOW_DAYS  # delivered this many days ago: still inside the window
# Delivered on TODAY - N days, where the 12-month warranty of SHOES ends exactly today (inclusive).
TWELVE_MONTHS_AGO = (TODAY - add_months(TODAY, -12)).days

# (flow, order, expected refusal); None = the flow may go ahead.
CASES: list[tuple[str, OrderView, Outcome | None]] = [
    # cancel: only before shipping
    ("cancel_order", order("placed"), None),
    ("cancel_order", order("shipped"), Outcome.ALREADY_SHIPPED),
    ("cancel_order", order("delivered"), Outcome.ALREADY_SHIPPED),
    ("cancel_order", order("returned"), Outcome.ALREADY_SHIPPED),
    ("cancel_order", order("cancelled"), Outcome.ALREADY_CANCELLED),
    # change of address: the same rule as cancelling
    ("change_address", order("placed"), None),
    ("change_address", order("shipped"), Outcome.ALREADY_SHIPPED),
    ("change_address", order("cancelled"), Outcome.ALREADY_CANCELLED),
    # return: delivered, inside the window (inclusive), once, not while an exchange is open
    ("return_order", order(), None),
    ("return_order", order(delivered_days_ago=LAST_RETURN_DAY), None),
    ("return_order", order(delivered_days_ago=LAST_RETURN_DAY + 1), Outcome.WINDOW_CLOSED),
    ("return_order", order(lines=(SERUM,)), None),  # returns need no size or colour
    ("return_order", order("placed"), Outcome.NOT_DELIVERED),
    ("return_order", order("shipped"), Outcome.NOT_DELIVERED),
    ("return_order", order("cancelled"), Outcome.NOT_DELIVERED),
    ("return_order", order(has_return=True), Outcome.ALREADY_RETURNED),
    ("return_order", order("returned"), Outcome.ALREADY_RETURNED),
    ("return_order", order(has_exchange=True), Outcome.ALREADY_EXCHANGED),
    # exchange: a return's conditions, plus an item that comes in other sizes or colours
    ("exchange_order", order(), None),
    ("exchange_order", order(delivered_days_ago=LAST_RETURN_DAY), None),
    ("exchange_order", order(delivered_days_ago=LAST_RETURN_DAY + 1), Outcome.WINDOW_CLOSED),
    ("exchange_order", order(lines=(SERUM, HEADPHONES)), None),  # one exchangeable item is enough
    ("exchange_order", order(lines=(SERUM,)), Outcome.NOT_EXCHANGEABLE),
    ("exchange_order", order("placed"), Outcome.NOT_DELIVERED),
    ("exchange_order", order("shipped"), Outcome.NOT_DELIVERED),
    ("exchange_order", order(has_exchange=True), Outcome.ALREADY_EXCHANGED),
    ("exchange_order", order(has_return=True), Outcome.ALREADY_RETURNED),
    ("exchange_order", order("returned"), Outcome.ALREADY_RETURNED),
    # warranty claim: delivered, an item inside its category's warranty (inclusive), no open claim
    ("warranty_claim", order(), None),
    ("warranty_claim", order(delivered_days_ago=200), None),  # outside the return window, inside the warranty
    ("warranty_claim", order(delivered_days_ago=TWELVE_MONTHS_AGO), None),
    ("warranty_claim", order(delivered_days_ago=TWELVE_MONTHS_AGO + 1), Outcome.WARRANTY_EXPIRED),
    ("warranty_claim", order(delivered_days_ago=TWELVE_MONTHS_AGO + 1, lines=(HEADPHONES,)), None),  # 24 months
    ("warranty_claim", order(delivered_days_ago=800, lines=(HEADPHONES,)), Outcome.WARRANTY_EXPIRED),
    ("warranty_claim", order(delivered_days_ago=400, lines=(SERUM, HEADPHONES)), None),  # one covered item is enough
    ("warranty_claim", order(lines=(UNCOVERED,)), Outcome.WARRANTY_EXPIRED),  # a category without a warranty
    ("warranty_claim", order(has_open_claim=True), Outcome.ALREADY_CLAIMED),
    ("warranty_claim", order("shipped"), Outcome.NOT_DELIVERED),
    ("warranty_claim", order("placed"), Outcome.NOT_DELIVERED),
    ("warranty_claim", order("cancelled"), Outcome.NOT_DELIVERED),
    ("warranty_claim", order("returned"), Outcome.ALREADY_RETURNED),
    ("warranty_claim", order(has_return=True), Outcome.ALREADY_RETURNED),  # a return sends the whole order back
    # delivery problem: the order has left the warehouse
    ("delivery_problem", order("shipped"), None),
    ("delivery_problem", order("delivered"), None),
    ("delivery_problem", order("placed"), Outcome.NOT_SHIPPED),
    ("delivery_problem", order("cancelled"), Outcome.NOT_SHIPPED),
    ("delivery_problem", order("returned"), Outcome.NOT_SHIPPED),
]


@pytest.mark.parametrize(("flow", "view", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_refusal_rule(flow: str, view: OrderView, expected: Outcome | None) -> None:
    assert ORDER_FLOWS[flow].refusal(view, TODAY) is expected


def test_every_flow_has_allowed_and_refused_cases() -> None:
    for intent in ORDER_FLOWS:
        outcomes = [expected for flow, _, expected in CASES if flow == intent]
        assert None in outcomes and any(o is not None for o in outcomes), intent


def test_rules_are_pure_functions_of_order_and_day() -> None:
    """The same order is allowed one day and refused the next: only ``today`` changed."""
    view = order(delivered_days_ago=0)
    deadline = view.return_deadline()
    assert deadline == TODAY + dt.timedelta(days=RETURN_WINDOW_DAYS)
    for intent in ("return_order", "exchange_order"):
        assert ORDER_FLOWS[intent].refusal(view, deadline) is None
        assert ORDER_FLOWS[intent].refusal(view, deadline + dt.timedelta(days=1)) is Outcome.WINDOW_CLOSED
    assert view == dataclasses.replace(view)  # nothing was mutated


@pytest.mark.parametrize(("day", "months", "expected"), [
    (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
    (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
    (dt.date(2026, 11, 22), 12, dt.date(2027, 11, 22)),
    (dt.date(2026, 11, 22), 24, dt.date(2028, 11, 22)),
    (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),
    (dt.date(2026, 3, 31), -1, dt.date(2026, 2, 28)),
])
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_warranty_deadline_per_line() -> None:
    view = order(delivered_days_ago=10, lines=(SHOES, HEADPHONES, UNCOVERED))
    delivered = TODAY - dt.timedelta(days=10)
    assert view.warranty_deadline(SHOES) == add_months(delivered, 12)
    assert view.warranty_deadline(HEADPHONES) == add_months(delivered, 24)
    assert view.warranty_deadline(UNCOVERED) is None
    assert view.lines_under_warranty(add_months(delivered, 12) + dt.timedelta(days=1)) == (HEADPHONES,)
    assert order("shipped").warranty_deadline(SHOES) is None
