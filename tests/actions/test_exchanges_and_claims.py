"""The exchange and warranty claim flows through the actions, with rasa_sdk trackers, on both backends."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select, update

from actions.exchanges import ActionAskExchangeOption, ValidateExchangeForm
from actions.order_requests import ActionDeclineChange, ActionExecuteChange, ActionHandleRequest
from services.store import models as m
from services.store.db import session_scope
from tests.actions.conftest import DOMAIN, make_tracker, run, slot_events, texts
from tests.conftest import TODAY

ALICE = {"identified": True, "customer_id": "C-1001"}
BOB = {"identified": True, "customer_id": "C-1002"}
CARLA = {"identified": True, "customer_id": "C-1003"}
SHOES = "Stridelab Drift Trail Running Shoes"


def user_turn(text: str, intent: str) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.98}, "entities": []}}


def validate_option(text: str, slots: dict[str, Any]) -> tuple[dict[str, Any], list[dict]]:
    """Run the exchange form's validation of ``text``; returns (slot values, messages)."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text=text, intent="exchange_order", slots=slots)
    values = ValidateExchangeForm().validate_exchange_option(text, dispatcher, tracker, DOMAIN)
    return values, dispatcher.messages


def variant(url: str, size: str) -> m.ProductVariant:
    with session_scope(url) as session:
        return session.execute(select(m.ProductVariant).join(m.Product)
                               .where(m.Product.name == SHOES, m.ProductVariant.size == size)).scalar_one()


# --- exchange ---------------------------------------------------------------------------------------


def test_exchange_end_to_end(fresh_store: str) -> None:
    """Bob: which order (the only exchangeable one), which size (stock checked), yes, the exchange RMA."""
    messages, events = run(ActionHandleRequest(), make_tracker(slots={**BOB, "request": "exchange_order", "tone": "reassuring"}))
    assert messages == []
    assert {"event": "followup", "name": "exchange_form", "timestamp": None} in events
    assert slot_events(events) == {"order_number": "100240", "pending_change": "exchange", "request": None,
                                   "exchange_option": None}  # the form starts empty

    in_focus = {**BOB, "order_number": "100240", "pending_change": "exchange"}
    messages, _ = run(ActionAskExchangeOption(), make_tracker(slots=in_focus))
    asked = texts(messages)
    assert asked.startswith("Which size or colour would you like instead? In stock for order 100240:")
    assert f"{SHOES}: size 6" in asked

    ten, eleven = variant(fresh_store, "10"), variant(fresh_store, "11")
    with session_scope(fresh_store) as session:
        session.execute(update(m.ProductVariant).where(m.ProductVariant.id == ten.id).values(stock=3))
        session.execute(update(m.ProductVariant).where(m.ProductVariant.id == eleven.id).values(stock=0))
    values, messages = validate_option("size 11 please", in_focus)
    assert values == {"exchange_option": None}
    assert texts(messages) == "size 11 is out of stock right now. Please choose another one."
    values, messages = validate_option("something comfier", in_focus)
    assert values == {"exchange_option": None} and messages[0]["response"] == "utter_exchange_option_unknown"
    values, messages = validate_option("I'd like a 10", in_focus)
    assert values == {"exchange_option": ten.sku}
    assert texts(messages) == (f"Shall I exchange the {SHOES} from order 100240 for size 10? It's in stock; "
                               "I'll reserve it and email you a free return label for the one you have.")
    with session_scope(fresh_store) as session:
        assert session.execute(select(m.Exchange)).first() is None  # nothing before the yes

    messages, events = run(ActionExecuteChange(), make_tracker(slots={**in_focus, "exchange_option": ten.sku}))
    reply = texts(messages)
    assert reply.startswith("Your exchange is open: EXC-100240. I've reserved size 10 for you")
    assert slot_events(events) == {"pending_change": None, "resolved": True, "new_address": None, "exchange_option": None}
    with session_scope(fresh_store) as session:
        exchange = session.execute(select(m.Exchange)).scalar_one()
        assert (exchange.code, exchange.order_id, exchange.variant_id, exchange.status) == ("EXC-100240", 100240, ten.id, "requested")
        assert session.get(m.ProductVariant, ten.id).stock == 2


def test_exchange_sold_out_between_question_and_yes(fresh_store: str) -> None:
    ten = variant(fresh_store, "10")
    with session_scope(fresh_store) as session:
        session.execute(update(m.ProductVariant).where(m.ProductVariant.id == ten.id).values(stock=0))
    slots = {**BOB, "order_number": "100240", "pending_change": "exchange", "exchange_option": ten.sku, "tone": "apologetic"}
    messages, _ = run(ActionExecuteChange(), make_tracker(slots=slots))
    assert "out of stock" in texts(messages) and "!" not in texts(messages)
    with session_scope(fresh_store) as session:
        assert session.execute(select(m.Exchange)).first() is None


def test_exchange_refusals_and_no_eligible_order(fresh_store: str) -> None:
    messages, events = run(ActionHandleRequest(), make_tracker(slots={**ALICE, "request": "exchange_order", "order_number": "100234"}))
    assert "hasn't been delivered yet" in texts(messages)
    assert "pending_change" not in slot_events(events)
    messages, events = run(ActionHandleRequest(), make_tracker(slots={**CARLA, "request": "exchange_order"}))
    assert [m["response"] for m in messages] == ["utter_no_order_to_exchange"]
    assert slot_events(events) == {"request": None}


def test_exchange_asks_which_order_when_several_qualify(fresh_store: str) -> None:
    add_delivered_order(fresh_store, 100242, "C-1002", "Ridgeline Summit Rain Jacket", days_ago=3)
    messages, events = run(ActionHandleRequest(), make_tracker(slots={**BOB, "request": "exchange_order", "tone": "stepwise"}))
    assert [m["response"] for m in messages] == ["utter_which_order_exchange"]
    reply = texts(messages, "stepwise")
    assert "Step 1" in reply and "100242: Ridgeline Summit Rain Jacket" in reply and f"100240: {SHOES}" in reply
    assert "100241" not in reply  # shipped, not delivered
    assert slot_events(events) == {"request": "exchange_order"}  # kept: the next order number continues it


def test_declining_an_exchange_changes_nothing(fresh_store: str) -> None:
    slots = {**BOB, "order_number": "100240", "pending_change": "exchange", "exchange_option": variant(fresh_store, "10").sku}
    messages, events = run(ActionDeclineChange(), make_tracker(slots=slots))
    assert [m["response"] for m in messages] == ["utter_nothing_changed"]
    assert slot_events(events)["exchange_option"] is None
    with session_scope(fresh_store) as session:
        assert session.execute(select(m.Exchange)).first() is None


# --- warranty claim ---------------------------------------------------------------------------------


def test_warranty_claim_end_to_end(fresh_store: str) -> None:
    said = "the sole of my trail shoes is peeling off after two weeks"
    messages, events = run(ActionHandleRequest(), make_tracker(slots={**BOB, "request": "warranty_claim"}))
    assert [m["response"] for m in messages] == ["utter_confirm_claim"]
    assert texts(messages).startswith(f"Shall I open a warranty claim for order 100240 ({SHOES})?")
    assert slot_events(events).items() >= {"order_number": "100240", "pending_change": "claim"}.items()

    tracker = make_tracker(text="yes", intent="affirm", slots={**BOB, "order_number": "100240", "pending_change": "claim"},
                           events=[user_turn(said, "warranty_claim")])
    messages, _ = run(ActionExecuteChange(), tracker)
    assert texts(messages).startswith("Your warranty claim for order 100240 is open: CLM-100240-1.")
    with session_scope(fresh_store) as session:
        claim = session.execute(select(m.WarrantyClaim)).scalar_one()
        assert (claim.code, claim.order_id, claim.status, claim.description) == ("CLM-100240-1", 100240, "open", said)


def test_warranty_claim_outside_the_warranty_is_refused(fresh_store: str) -> None:
    with session_scope(fresh_store) as session:
        session.execute(update(m.Shipment).where(m.Shipment.order_id == 100240)
                        .values(delivered_at=dt.datetime.combine(TODAY - dt.timedelta(days=400), dt.time(12))))
    messages, events = run(ActionHandleRequest(), make_tracker(slots={**BOB, "request": "warranty_claim", "order_number": "100240"}))
    assert "past their warranty period" in texts(messages)
    assert "pending_change" not in slot_events(events)
    messages, _ = run(ActionHandleRequest(), make_tracker(slots={**BOB, "request": "warranty_claim"}))
    assert [m["response"] for m in messages] == ["utter_no_order_to_claim"]


# --- identity: the same rules as cancel and return --------------------------------------------------


def test_unverified_shopper_is_verified_first_for_every_new_flow(store: str) -> None:
    for request in ("exchange_order", "warranty_claim"):
        messages, events = run(ActionHandleRequest(), make_tracker(slots={"request": request, "order_number": "100240"}))
        assert messages == [] and events == [{"event": "followup", "name": "verification_form", "timestamp": None}]


def test_someone_elses_order_reads_like_a_missing_one(store: str) -> None:
    for request in ("exchange_order", "warranty_claim"):
        foreign, _ = run(ActionHandleRequest(), make_tracker(slots={**ALICE, "request": request, "order_number": "100240"}))
        missing, _ = run(ActionHandleRequest(), make_tracker(slots={**ALICE, "request": request, "order_number": "999999"}))
        assert foreign == missing and "can't find an order" in texts(foreign)
    messages, _ = run(ActionAskExchangeOption(), make_tracker(slots={**ALICE, "order_number": "100240"}))
    assert SHOES not in texts(messages)  # Alice is not shown the options of Bob's order
    values, _ = validate_option("size 10", {**ALICE, "order_number": "100240"})
    assert values == {"exchange_option": None}


def add_delivered_order(url: str, number: int, customer: str, product_name: str, days_ago: int) -> None:
    noon = dt.datetime.combine(TODAY, dt.time(12))
    with session_scope(url) as session:
        product = session.execute(select(m.Product).where(m.Product.name == product_name)).scalar_one()
        session.add(m.Order(id=number, customer_id=customer, status="delivered", placed_at=noon - dt.timedelta(days=days_ago + 3),
                            shipping_address="48 Pine Rd, Denver, CO 80202", total=product.price, payment_status="paid",
                            updated_at=noon))
        session.flush()
        session.add(m.OrderItem(order_id=number, product_id=product.id, quantity=1, unit_price=product.price))
        session.add(m.Shipment(order_id=number, carrier="UPS", tracking_number=f"1Z{number}", status="delivered",
                               shipped_at=noon - dt.timedelta(days=days_ago + 2), promised_date=TODAY,
                               delivered_at=noon - dt.timedelta(days=days_ago)))


def test_the_exchange_form_steps_aside_for_a_person(store: str) -> None:
    slots = {**BOB, "order_number": "100240", "pending_change": "exchange", "requested_slot": "exchange_option"}
    active = {"name": "exchange_form"}
    messages, events = run(ValidateExchangeForm(), make_tracker(text="get me a human", intent="request_human", slots=slots,
                                                                active_loop=active))
    assert messages == [] and [e["event"] for e in events] == ["action_execution_rejected"]
    _, events = run(ValidateExchangeForm(), make_tracker(text="size 10", intent="exchange_order", slots={**slots, "escalate": True},
                                                         active_loop=active))
    assert [e["event"] for e in events] == ["action_execution_rejected"]
    _, events = run(ValidateExchangeForm(), make_tracker(text="size 10", intent="exchange_order", slots=slots, active_loop=active))
    assert "action_execution_rejected" not in [e["event"] for e in events]
