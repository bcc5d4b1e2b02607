"""Order status, cancel, return, change of address and delivery problems, for verified shoppers."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.conversation import current_customer, shopper_tone, today
from actions.dialogue.order_replies import NOT_FOUND, order_status_text, outcome_text, recent_orders_text
from actions.dialogue.order_selection import eligible, pick_order
from actions.dialogue.tone import compose
from services.store.db import session_scope
from services.store.identity import is_locked_out, parse_order_number
from services.store.models import money
from services.store.orders import (
    OrderView,
    Outcome,
    cancel_order,
    change_address,
    create_return,
    get_order,
    normalise_address,
    recent_orders,
)

CONFIRM_QUESTION = {
    "cancel_order": "Shall I cancel order {n} ({items}, {total})? The full amount goes back to your original payment method.",
    "return_order": (
        "Shall I open a return for order {n} ({items}, {total})? You'll get a free return label, "
        "and the refund follows within 5-7 business days of the parcel reaching us."
    ),
    "delivery_problem": "Would you like me to open a ticket so a person from our team chases this with the carrier?",
}
PENDING_OF_REQUEST = {"cancel_order": "cancel", "return_order": "return", "change_address": "address", "delivery_problem": "ticket"}


class ActionHandleRequest(Action):
    """Answers the pending order request (slot ``request``) for the verified shopper."""

    def name(self) -> str:
        return "action_handle_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        request = tracker.get_slot("request") or "order_status"
        customer = current_customer(tracker)
        if customer is None:
            with session_scope() as session:
                locked = tracker.get_slot("verification_locked") or is_locked_out(session, tracker.sender_id)
            if locked:
                dispatcher.utter_message(response="utter_verification_locked")
                return [SlotSet("request", None), SlotSet("verification_locked", True), SlotSet("handoff_reason", "verification_failed")]
            return [FollowupAction("verification_form")]

        tone = shopper_tone(tracker)
        number = parse_order_number(tracker.get_slot("order_number"))
        day = today()
        with session_scope() as session:
            if number is not None:
                order = get_order(session, customer, number)
                if order is None:
                    dispatcher.utter_message(text=compose(tone, NOT_FOUND))
                    return [SlotSet("order_number", None), SlotSet("request", None)]
                others: list[OrderView] = []
            else:
                history = recent_orders(session, customer, limit=5)
                if request == "order_status":
                    dispatcher.utter_message(text=recent_orders_text(history[:3], day, tone))
                    return [SlotSet("request", None), SlotSet("resolved", True)]
                order, others = pick_order(history, request, day)
                if order is None:
                    return self._ask_which(dispatcher, request, others, tone)

        if request == "order_status":
            dispatcher.utter_message(text=order_status_text(order, day, tone))
            return [SlotSet("request", None), SlotSet("order_number", str(order.number)), SlotSet("resolved", True)]
        if not eligible(order, request, day):
            return self._not_possible(dispatcher, request, order, tone, day)
        events: list[EventType] = [SlotSet("order_number", str(order.number)), SlotSet("request", None),
                                   SlotSet("pending_change", PENDING_OF_REQUEST[request])]
        if request == "change_address":
            return events + [FollowupAction("address_form")]
        if request == "delivery_problem":
            dispatcher.utter_message(text=order_status_text(order, day, tone).rsplit("\n", 1)[0])
        dispatcher.utter_message(
            text=CONFIRM_QUESTION[request].format(n=order.number, items=order.item_summary, total=money(order.total)),
            buttons=[{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
        )
        return events

    @staticmethod
    def _ask_which(dispatcher: CollectingDispatcher, request: str, candidates: list[OrderView], tone: str) -> list[EventType]:
        if not candidates:
            what = {"cancel_order": "can still be cancelled (only orders that haven't shipped can be)",
                    "change_address": "can still get a new address (only orders that haven't shipped can)",
                    "return_order": "can be returned (delivered in the last 30 days)",
                    "delivery_problem": "is on its way or recently delivered"}[request]
            dispatcher.utter_message(text=compose(tone, f"None of your recent orders {what}.",
                                                  next_steps=["If you meant a specific order, give me its 6-digit number."]))
            return [SlotSet("request", None)]
        listing = [f"{o.number}: {o.item_summary}" for o in candidates[:5]]
        dispatcher.utter_message(text=compose(tone, "Which order is it about?", listing, ["Reply with the order number."], closer=False))
        return [SlotSet("request", request)]

    @staticmethod
    def _not_possible(dispatcher: CollectingDispatcher, request: str, order: OrderView, tone: str, day) -> list[EventType]:
        if request in ("cancel_order", "change_address"):
            outcome = Outcome.ALREADY_CANCELLED if order.status == "cancelled" else Outcome.ALREADY_SHIPPED
        elif order.has_return or order.status == "returned":
            outcome = Outcome.ALREADY_RETURNED
        elif order.status != "delivered":
            outcome = Outcome.NOT_DELIVERED
        else:
            outcome = Outcome.WINDOW_CLOSED
        if request == "delivery_problem":
            dispatcher.utter_message(text=order_status_text(order, day, tone))
        else:
            dispatcher.utter_message(text=outcome_text(outcome, order.number, tone))
        return [SlotSet("request", None), SlotSet("order_number", str(order.number)), SlotSet("resolved", True)]


class ActionExecuteChange(Action):
    """Carries out the change the shopper just confirmed (slot ``pending_change``)."""

    def name(self) -> str:
        return "action_execute_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        pending = tracker.get_slot("pending_change")
        customer = current_customer(tracker)
        number = parse_order_number(tracker.get_slot("order_number"))
        tone = shopper_tone(tracker)
        done: list[EventType] = [SlotSet("pending_change", None), SlotSet("resolved", True)]
        if pending == "recommend":
            return [SlotSet("pending_change", None), FollowupAction("action_recommend_products")]
        if pending == "ticket":
            return [SlotSet("pending_change", None), SlotSet("handoff_reason", "delivery_problem"), FollowupAction("action_handoff")]
        if customer is None or number is None or pending not in ("cancel", "return", "address"):
            dispatcher.utter_message(response="utter_nothing_pending")
            return [SlotSet("pending_change", None)]
        with session_scope() as session:
            if pending == "cancel":
                outcome = cancel_order(session, customer, number)
                text = f"Done: order {number} is cancelled and the refund is on its way (5-7 business days)."
            elif pending == "return":
                outcome, rma = create_return(session, customer, number, today(), reason="requested in chat")
                text = (f"Your return is open: {rma}. The free return label is on its way to your email. "
                        "Drop the parcel at any carrier point within 14 days.")
            else:
                outcome = change_address(session, customer, number, tracker.get_slot("new_address") or "")
                text = f"Done: order {number} will go to {tracker.get_slot('new_address')}."
        if outcome is Outcome.DONE:
            dispatcher.utter_message(text=compose(tone, text))
        else:
            dispatcher.utter_message(text=outcome_text(outcome, number, tone))
        return done + [SlotSet("new_address", None)]


class ActionDeclineChange(Action):
    """The shopper said no to the pending change: nothing is changed."""

    def name(self) -> str:
        return "action_decline_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        pending = tracker.get_slot("pending_change")
        if pending == "recommend":
            dispatcher.utter_message(response="utter_no_recommendations_ok")
        elif pending == "ticket":
            dispatcher.utter_message(response="utter_no_ticket_ok")
        else:
            dispatcher.utter_message(response="utter_nothing_changed")
        return [SlotSet("pending_change", None), SlotSet("new_address", None)]


class ValidateAddressForm(FormValidationAction):
    def name(self) -> str:
        return "validate_address_form"

    def validate_new_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        address = normalise_address(value)
        if address is None:
            dispatcher.utter_message(response="utter_invalid_address")
            return {"new_address": None}
        dispatcher.utter_message(
            text=f"Just to confirm: send order {tracker.get_slot('order_number')} to {address}?",
            buttons=[{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
        )
        return {"new_address": address}
