"""action_handle_request / action_execute_change / action_decline_change on real databases."""

from __future__ import annotations

from actions.order_requests import ActionDeclineChange, ActionExecuteChange, ActionHandleRequest, ValidateAddressForm
from services.store.db import session_scope
from services.store.models import Order, ReturnRequest
from tests.actions.conftest import make_tracker, run, slot_events, texts

ALICE = {"identified": True, "customer_id": "C-1001"}
BOB = {"identified": True, "customer_id": "C-1002"}


def test_status_for_the_owner_has_carrier_tracking_and_date(store: str) -> None:
    messages, events = run(ActionHandleRequest(), make_tracker(slots={**ALICE, "request": "order_status", "order_number": "100234"}))
    reply = texts(messages)
    assert "UPS" in reply and "1Z4A7F390312448861" in reply and "Expected delivery" in reply
    assert slot_events(events)["resolved"] is True


def test_known_customer_without_a_number_gets_recent_orders(store: str) -> None:
    messages, _ = run(ActionHandleRequest(), make_tracker(slots={**ALICE, "request": "order_status"}))
    reply = texts(messages)
    assert reply.index("100235") < reply.index("100234")  # newest first


def test_unverified_shopper_is_sent_to_verification_and_told_nothing(store: str) -> None:
    messages, events = run(ActionHandleRequest(), make_tracker(slots={"request": "order_status", "order_number": "100234"}))
    assert messages == []
    assert events == [{"event": "followup", "name": "verification_form", "timestamp": None}]


def test_someone_elses_order_reads_exactly_like_a_missing_one(store: str) -> None:
    foreign, _ = run(ActionHandleRequest(), make_tracker(slots={**ALICE, "request": "order_status", "order_number": "100240"}))
    missing, _ = run(ActionHandleRequest(), make_tracker(slots={**ALICE, "request": "order_status", "order_number": "999999"}))
    assert foreign == missing
    assert "can't find an order" in texts(foreign) and "FedEx" not in texts(foreign)


def test_tone_changes_the_layout_not_the_facts(store: str) -> None:
    slots = {**BOB, "request": "order_status", "order_number": "100241"}
    calm, _ = run(ActionHandleRequest(), make_tracker(slots={**slots, "tone": "efficient"}))
    steps, _ = run(ActionHandleRequest(), make_tracker(slots={**slots, "tone": "stepwise"}))
    worried, _ = run(ActionHandleRequest(), make_tracker(slots={**slots, "tone": "reassuring"}))
    for messages in (calm, steps, worried):
        assert "running late" in texts(messages) and "FX771200902247" in texts(messages)
    assert "1. " in texts(steps) and "1. " not in texts(calm)
    assert "What happens next" in texts(worried)


def test_cancel_picks_the_only_cancellable_order_and_asks_first(fresh_store: str) -> None:
    messages, events = run(ActionHandleRequest(), make_tracker(slots={**ALICE, "request": "cancel_order"}))
    assert [m["response"] for m in messages] == ["utter_confirm_cancel"]
    assert "Shall I cancel order 100235 (Vertex Orbit Phone Case, $" in texts(messages)
    assert slot_events(events).items() >= {"pending_change": "cancel", "order_number": "100235"}.items()
    with session_scope(fresh_store) as session:
        assert session.get(Order, 100235).status == "placed"  # nothing changes before the yes

    messages, events = run(ActionExecuteChange(), make_tracker(slots={**ALICE, "pending_change": "cancel", "order_number": "100235"}))
    assert [m["response"] for m in messages] == ["utter_cancel_done"]
    assert "order 100235 is cancelled" in texts(messages)
    with session_scope(fresh_store) as session:
        assert session.get(Order, 100235).status == "cancelled"
    assert slot_events(events)["pending_change"] is None


def test_cancel_of_a_shipped_order_is_refused(fresh_store: str) -> None:
    messages, events = run(ActionHandleRequest(), make_tracker(slots={**ALICE, "request": "cancel_order", "order_number": "100234"}))
    assert "already shipped" in texts(messages)
    assert "pending_change" not in slot_events(events)


def test_declined_change_changes_nothing(fresh_store: str) -> None:
    messages, events = run(ActionDeclineChange(), make_tracker(slots={**ALICE, "pending_change": "cancel", "order_number": "100235"}))
    assert [m["response"] for m in messages] == ["utter_nothing_changed"]
    assert slot_events(events)["pending_change"] is None
    with session_scope(fresh_store) as session:
        assert session.get(Order, 100235).status == "placed"


def test_return_opens_an_rma_after_confirmation(fresh_store: str) -> None:
    messages, events = run(ActionHandleRequest(), make_tracker(slots={**BOB, "request": "return_order"}))
    assert "Shall I open a return for order 100240" in texts(messages)
    request = {"event": "user", "text": "these shoes are too small, I want my money back",
               "parse_data": {"intent": {"name": "return_order"}}}
    messages, _ = run(ActionExecuteChange(), make_tracker(slots={**BOB, "pending_change": "return", "order_number": "100240"},
                                                          events=[request]))
    assert "Your return is open: RMA-100240" in texts(messages)
    with session_scope(fresh_store) as session:
        stored = session.query(ReturnRequest).filter_by(order_id=100240).one()
        assert (stored.status, stored.reason) == ("requested", "these shoes are too small, I want my money back")


def test_change_address_goes_through_the_form_and_confirmation(fresh_store: str) -> None:
    _, events = run(ActionHandleRequest(), make_tracker(slots={**ALICE, "request": "change_address"}))
    assert {"event": "followup", "name": "address_form", "timestamp": None} in events
    tracker = make_tracker(slots={**ALICE, "order_number": "100235", "pending_change": "address"})
    form = ValidateAddressForm()
    assert form.validate_new_address("nowhere", *_form_args(tracker)) == {"new_address": None}
    dispatcher, *rest = _form_args(tracker)
    assert form.validate_new_address("5 Elm St, Austin, TX 78701", dispatcher, *rest) == {"new_address": "5 Elm St, Austin, TX 78701"}
    assert texts(dispatcher.messages) == "Just to confirm: send order 100235 to 5 Elm St, Austin, TX 78701?"
    run(ActionExecuteChange(), make_tracker(slots={**ALICE, "pending_change": "address", "order_number": "100235",
                                                   "new_address": "5 Elm St, Austin, TX 78701"}))
    with session_scope(fresh_store) as session:
        assert session.get(Order, 100235).shipping_address == "5 Elm St, Austin, TX 78701"


def test_delivery_problem_finds_the_delayed_order_and_offers_a_ticket(store: str) -> None:
    messages, events = run(ActionHandleRequest(), make_tracker(slots={**BOB, "request": "delivery_problem", "tone": "apologetic"}))
    reply = texts(messages, "apologetic")
    assert "100241" in reply and "running late" in reply and "open a ticket" in reply
    assert "!" not in reply
    assert messages[-1]["response"] == "utter_offer_delivery_ticket"
    assert slot_events(events)["pending_change"] == "ticket"


def test_execute_without_anything_pending_changes_nothing(fresh_store: str) -> None:
    messages, _ = run(ActionExecuteChange(), make_tracker(slots={**ALICE}))
    assert messages[0]["response"] == "utter_nothing_pending"


def _form_args(tracker):
    from rasa_sdk.executor import CollectingDispatcher

    from tests.actions.conftest import DOMAIN

    return CollectingDispatcher(), tracker, DOMAIN
