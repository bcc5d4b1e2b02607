"""Order number + email check for shoppers the channel does not identify.

A failed check never says which part was wrong, nor whether the order exists. Failures also count
per order number and per customer across conversations (``services/store/enumeration.py``).
After MAX_VERIFICATION_ATTEMPTS failures the form stops asking (the slots are left
filled so the form ends) and ``verification_locked`` makes the next action offer a person.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.conversation import intent_name
from services.store.db import session_scope
from services.store.enumeration import is_backed_off, record_target_failure
from services.store.identity import (
    MAX_VERIFICATION_ATTEMPTS,
    is_locked_out,
    normalise_email,
    parse_order_number,
    record_failed_attempt,
    verify_order_email,
)


class ValidateVerificationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_verification_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Step aside for a person: a request for one, or a due escalation, rejects the form."""
        if tracker.get_slot("escalate") or intent_name(tracker) == "request_human":
            return [ActionExecutionRejected(self.form_name())]
        return await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("identified"):
            return []  # identified meanwhile (e.g. by channel metadata): nothing to ask
        with session_scope() as session:
            if is_locked_out(session, tracker.sender_id):
                return []
        return domain_slots

    def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = parse_order_number(value)
        if number is None:
            dispatcher.utter_message(response="utter_invalid_order_number")
            return {"order_number": None}
        email = normalise_email(tracker.get_slot("email"))
        return self._check(number, email, dispatcher, tracker) if email else {"order_number": str(number)}

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        email = normalise_email(value)
        if email is None:
            dispatcher.utter_message(response="utter_invalid_email")
            return {"email": None}
        number = parse_order_number(tracker.get_slot("order_number"))
        return self._check(number, email, dispatcher, tracker) if number else {"email": email}

    @staticmethod
    def _check(number: int, email: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """Verify the pair; on failure clear both (or, when locked out, keep them so the form ends)."""
        filled = {"order_number": str(number), "email": email}
        with session_scope() as session:
            if is_locked_out(session, tracker.sender_id):
                return {**filled, "verification_locked": True}  # no more guesses, not even right ones
            # An order or customer under back-off fails like a wrong guess: the reply never says which.
            customer = None if is_backed_off(session, number, email) else verify_order_email(session, number, email)
            if customer:
                dispatcher.utter_message(response="utter_verified")
                return {**filled, "customer_id": customer, "identified": True}
            record_target_failure(session, number, email)
            failures = record_failed_attempt(session, tracker.sender_id)
        if failures >= MAX_VERIFICATION_ATTEMPTS:
            return {**filled, "verification_locked": True}
        dispatcher.utter_message(response="utter_verification_failed", attempts_left=MAX_VERIFICATION_ATTEMPTS - failures)
        return {"order_number": None, "email": None}
