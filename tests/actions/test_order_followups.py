"""Follow-ups after an order answer stay on that order (actions/order_followups.py, services/order_followups.py).

Runs the real action on a seeded database (SQLite and PostgreSQL) at the pinned TODAY
(Sunday 22 Nov 2026): Alice C-1001 has 100234 (shipped, due Tue 24 Nov) and 100235 (placed),
Bob C-1002 has 100240 (delivered) and 100241 (due Wed 18 Nov, late), Carla C-1003 only 100250.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from actions.order_followups import ActionAnswerOrderFollowup, last_order_request
from services.order_followups import add_business_days, other_order
from services.store.order_view import OrderView
from tests.actions.conftest import make_tracker, run, slot_events

ACTION = ActionAnswerOrderFollowup()


def known(customer: str, intent: str, text: str, order_number: str | None = None, events: list[dict] | None = None):
    slots = {"identified": True, "customer_id": customer, "order_number": order_number}
    return make_tracker(text=text, intent=intent, slots=slots, events=events)


def order_message(intent: str, text: str) -> dict:
    """An earlier user turn with ``intent``, as it sits in the tracker's events."""
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.99}, "entities": []}}


def followups(events: list[dict]) -> list[str]:
    return [e["name"] for e in events if e.get("event") == "followup"]


def test_business_days_skip_the_weekend() -> None:
    assert add_business_days(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 23)  # Friday -> Monday
    assert add_business_days(dt.date(2026, 11, 22), 3) == dt.date(2026, 11, 25)  # Sunday -> Wednesday


def test_when_exactly_gives_the_expected_day_of_the_order_just_answered(store: str) -> None:
    messages, events = run(ACTION, known("C-1001", "followup_when", "when exactly?", "100234"))
    text = messages[0]["text"]
    assert "Order 100234" in text and "Tue 24 Nov" in text and "in 2 days" in text
    assert "100235" not in text
    assert slot_events(events) == {"order_number": "100234", "resolved": True}


def test_when_exactly_for_an_unshipped_order_gives_the_dispatch_day(store: str) -> None:
    messages, _ = run(ACTION, known("C-1001", "followup_when", "by when?", "100235"))
    assert "hasn't shipped yet" in messages[0]["text"] and "Mon 23 Nov" in messages[0]["text"]


def test_what_to_do_meanwhile_about_a_late_order_is_about_that_order_not_the_return_policy(store: str) -> None:
    messages, events = run(ACTION, known("C-1002", "followup_next_steps", "what should I do in the meantime?", "100241"))
    text = messages[0]["text"]
    assert "order 100241" in text and "Wed 25 Nov" in text and "replacement or a full refund" in text
    assert "return" not in text.lower()
    assert slot_events(events)["order_number"] == "100241"


def test_what_to_do_now_about_a_delivered_order_names_its_return_deadline(store: str) -> None:
    messages, _ = run(ACTION, known("C-1002", "followup_next_steps", "what do I do now?", "100240"))
    assert "return it or exchange" in messages[0]["text"]


def test_the_other_one_after_a_status_answer_is_the_other_orders_status(store: str) -> None:
    earlier = [order_message("order_status", "where is my order 100234?")]
    messages, events = run(ACTION, known("C-1001", "followup_other_order", "and the other one?", "100234", earlier))
    text = messages[0]["text"]
    assert "Order 100235" in text and "hasn't shipped" in text
    assert slot_events(events) == {"order_number": "100235", "resolved": True}


def test_the_other_one_after_a_cancellation_asks_to_cancel_the_other_order(store: str) -> None:
    earlier = [order_message("cancel_order", "cancel my order 100235"), order_message("affirm", "yes")]
    messages, events = run(ACTION, known("C-1001", "followup_other_order", "and the other one?", "100235", earlier))
    assert messages == []  # action_handle_request asks the cancel flow's question about 100234
    assert slot_events(events) == {"order_number": "100234", "request": "cancel_order"}
    assert followups(events) == ["action_handle_request"]


def test_without_an_order_in_context_the_shopper_is_asked_which_one(store: str) -> None:
    messages, events = run(ACTION, known("C-1001", "followup_when", "when exactly?"))
    text = messages[0]["text"]
    assert "Which order do you mean?" in text and "100234" in text and "100235" in text
    assert slot_events(events) == {"order_number": None}


def test_the_other_one_of_a_single_order_customer_says_there_is_no_other(store: str) -> None:
    messages, events = run(ACTION, known("C-1003", "followup_other_order", "and the other one?"))
    assert "100250 is the only recent order" in messages[0]["text"]
    assert events == []


def test_someone_elses_order_number_in_the_slot_is_never_answered(store: str) -> None:
    messages, _ = run(ACTION, known("C-1001", "followup_when", "when exactly?", "100241"))
    text = messages[0]["text"]
    assert "100241" not in text and "Rain Jacket" not in text
    assert "Which order do you mean?" in text


def test_an_unknown_shopper_is_verified_first(store: str) -> None:
    tracker = make_tracker(text="when exactly?", intent="followup_when", slots={"order_number": "100234"})
    messages, events = run(ACTION, tracker)
    assert messages == [] and followups(events) == ["verification_form"] and len(events) == 1


def test_last_order_request_is_the_latest_order_message() -> None:
    events = [order_message("order_status", "where is it"), order_message("cancel_order", "cancel it"),
              order_message("thank", "thanks")]
    assert last_order_request(make_tracker(text="and the other one?", intent="followup_other_order", events=events)) == "cancel_order"
    assert last_order_request(make_tracker(text="hi", intent="greet")) is None


def view(number: int) -> OrderView:
    return OrderView(number=number, status="placed", placed_at=dt.datetime(2026, 11, 20, 12), items=(("Mug", 1),),
                     product_ids=(1,), total=Decimal("9.50"), payment_status="paid", shipping_address="1 Elm St",
                     carrier=None, tracking_number=None, shipment_status=None, promised_date=None, shipped_at=None,
                     delivered_at=None, has_return=False)


@pytest.mark.parametrize("current, expected, asked", [(1, 2, ()), (2, 1, ()), (None, None, (1, 2)), (3, None, (1, 2))])
def test_other_order_is_only_picked_when_unambiguous(current: int | None, expected: int | None, asked: tuple) -> None:
    choice = other_order([view(1), view(2)], current)
    assert (choice.order.number if choice.order else None) == expected
    assert tuple(o.number for o in choice.candidates) == asked
