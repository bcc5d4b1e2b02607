"""Which order a request is about when no number was given (actions/dialogue/order_selection.py)."""

from __future__ import annotations

import dataclasses

from actions.dialogue.order_selection import pick_order
from services.store.order_flows import ORDER_FLOWS
from services.store.order_view import OrderView
from tests.store.test_order_rules import TODAY, order


def numbered(number: int, **kwargs: object) -> OrderView:
    return dataclasses.replace(order(**kwargs), number=number)


def test_the_only_eligible_order_is_taken() -> None:
    orders = [numbered(3, status="placed"), numbered(2, status="shipped"), numbered(1)]
    assert pick_order(orders, ORDER_FLOWS["cancel_order"], TODAY) == (orders[0], [orders[0]])
    assert pick_order(orders, ORDER_FLOWS["exchange_order"], TODAY) == (orders[2], [orders[2]])


def test_several_eligible_orders_mean_asking_which() -> None:
    orders = [numbered(2), numbered(1)]
    assert pick_order(orders, ORDER_FLOWS["return_order"], TODAY) == (None, orders)
    assert pick_order([numbered(1, status="placed")], ORDER_FLOWS["return_order"], TODAY) == (None, [])


def test_a_delivery_problem_prefers_the_delayed_shipment() -> None:
    """100241-style: the late parcel is picked even when a delivered order is newer."""
    delivered, late, on_time = numbered(3), numbered(2, status="shipped"), numbered(1, status="shipped")
    on_time = dataclasses.replace(on_time, promised_date=TODAY)
    chosen, candidates = pick_order([delivered, late, on_time], ORDER_FLOWS["delivery_problem"], TODAY)
    assert chosen == late and candidates == [delivered, late, on_time]
    assert pick_order([delivered, on_time], ORDER_FLOWS["delivery_problem"], TODAY) == (None, [delivered, on_time])
