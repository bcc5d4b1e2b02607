"""validate_verification_form: adversarial identity checks on real databases."""

from __future__ import annotations

import asyncio
import uuid

from rasa_sdk.executor import CollectingDispatcher

from actions.verification import ValidateVerificationForm
from services.store.identity import MAX_VERIFICATION_ATTEMPTS
from tests.actions.conftest import DOMAIN, make_tracker

FORM = ValidateVerificationForm()


def validate_email(email: str, order_number: str | None, sender: str) -> tuple[dict, list[dict]]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"order_number": order_number}, sender_id=sender)
    return FORM.validate_email(email, dispatcher, tracker, DOMAIN), dispatcher.messages


def test_right_pair_identifies_the_owner(store: str) -> None:
    result, messages = validate_email("Alice@Example.com", "100234", f"s-{uuid.uuid4()}")
    assert result == {"order_number": "100234", "email": "alice@example.com", "customer_id": "C-1001", "identified": True}
    assert messages[0]["response"] == "utter_verified"


def test_someone_elses_email_fails_without_saying_why(store: str) -> None:
    wrong_owner, m1 = validate_email("bob@example.com", "100234", f"s-{uuid.uuid4()}")
    no_such_order, m2 = validate_email("alice@example.com", "999999", f"s-{uuid.uuid4()}")
    assert wrong_owner == no_such_order == {"order_number": None, "email": None}
    assert m1 == m2 and m1[0]["response"] == "utter_verification_failed"


def test_sql_like_input_is_just_a_wrong_email(store: str) -> None:
    result, _ = validate_email("x' OR '1'='1", "100234", f"s-{uuid.uuid4()}")
    assert result == {"email": None}


def test_three_failures_lock_the_conversation_even_after_a_restart(store: str) -> None:
    sender = f"s-{uuid.uuid4()}"
    for attempt in range(1, MAX_VERIFICATION_ATTEMPTS):
        result, _ = validate_email("mallory@example.com", str(100233 + attempt), sender)
        assert result == {"order_number": None, "email": None}
    result, messages = validate_email("mallory@example.com", "100240", sender)
    assert result["verification_locked"] is True and "identified" not in result
    assert messages == []
    # A restarted conversation (same sender, empty slots) is still locked: the form asks nothing.
    required = asyncio.run(FORM.required_slots(["order_number", "email"], CollectingDispatcher(), make_tracker(sender_id=sender), DOMAIN))
    assert required == []
    result, _ = validate_email("alice@example.com", "100234", sender)  # even a right pair: no more guessing
    assert result["verification_locked"] is True and "identified" not in result


def test_malformed_order_numbers_are_rejected_with_a_hint(store: str) -> None:
    for value in ("12345", "1234567", "abc", "100234 and 100235", ""):
        dispatcher = CollectingDispatcher()
        assert FORM.validate_order_number(value, dispatcher, make_tracker(), DOMAIN) == {"order_number": None}
        assert dispatcher.messages[0]["response"] == "utter_invalid_order_number"


def test_number_given_after_the_email_is_verified_too(store: str) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"email": "bob@example.com"}, sender_id=f"s-{uuid.uuid4()}")
    assert FORM.validate_order_number("#100241", dispatcher, tracker, DOMAIN)["customer_id"] == "C-1002"


def test_form_steps_aside_for_a_person_or_an_escalation(store: str) -> None:
    for tracker in (make_tracker(text="I want a human", intent="request_human"),
                    make_tracker(text="I'll do a chargeback", intent="provide_order_details", slots={"escalate": True})):
        events = asyncio.run(FORM.run(CollectingDispatcher(), tracker, DOMAIN))
        assert [(e["event"], e["name"]) for e in events] == [("action_execution_rejected", "verification_form")]
