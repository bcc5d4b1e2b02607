"""Order status and every order flow of ``services/store/order_flows.py``, for verified shoppers.

These actions only dispatch: which order, whether the flow's rule allows it, which reply and
which store operation all come from the flow's row.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.conversation import current_customer, request_text, shopper_tone, today
from actions.dialogue.order_replies import NOT_FOUND, order_status_text, outcome_text, recent_orders_text
from actions.dialogue.order_selection import pick_order
from actions.dialogue.tone import compose
from services.presentation import money
from services.store.db import session_scope
from services.store.exchanges import exchange_options
from services.store.identity import is_locked_out, parse_order_number
from services.store.order_flows import ORDER_FLOWS, ChangeRequest, OrderFlow, flow_for_pending
from services.store.orders import OrderView, Outcome, get_order, normalise_address, recent_orders

RECENT_ORDERS_CONSIDERED = 5


def order_fields(order: OrderView) -> dict[str, Any]:
    """The ``{n}``, ``{items}`` and ``{total}`` of an order's replies."""
    return {"n": order.number, "items": order.item_summary, "total": money(order.total)}


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

        flow = ORDER_FLOWS.get(request)  # None: an order status question
        tone = shopper_tone(tracker)
        number = parse_order_number(tracker.get_slot("order_number"))
        day = today()
        with session_scope() as session:
            if number is not None:
                order = get_order(session, customer, number)
                if order is None:
                    dispatcher.utter_message(text=compose(tone, NOT_FOUND))
                    return [SlotSet("order_number", None), SlotSet("request", None)]
            else:
                history = recent_orders(session, customer, limit=RECENT_ORDERS_CONSIDERED)
                if flow is None:
                    dispatcher.utter_message(text=recent_orders_text(history[:3], day, tone))
                    return [SlotSet("request", None), SlotSet("resolved", True)]
                order, candidates = pick_order(history, flow, day)
                if order is None:
                    return self._ask_which(dispatcher, flow, candidates)

        if flow is None:
            dispatcher.utter_message(text=order_status_text(order, day, tone))
            return [SlotSet("request", None), SlotSet("order_number", str(order.number)), SlotSet("resolved", True)]
        refusal = flow.refusal(order, day)
        if refusal is not None:
            text = order_status_text(order, day, tone) if flow.status_first else outcome_text(refusal, order.number, tone)
            dispatcher.utter_message(text=text)
            return [SlotSet("request", None), SlotSet("order_number", str(order.number)), SlotSet("resolved", True)]

        events: list[EventType] = [SlotSet("order_number", str(order.number)), SlotSet("request", None),
                                   SlotSet("pending_change", flow.pending)]
        if flow.form:  # the form asks from scratch (nothing left over from an earlier request); its validation asks flow.confirm
            cleared = [SlotSet(slot, None) for slot in domain.get("forms", {}).get(flow.form, {}).get("required_slots", [])]
            return events + cleared + [FollowupAction(flow.form)]
        if flow.status_first:
            dispatcher.utter_message(text=order_status_text(order, day, tone).rsplit("\n", 1)[0])  # without the closer
        dispatcher.utter_message(response=flow.confirm, **order_fields(order))
        return events

    @staticmethod
    def _ask_which(dispatcher: CollectingDispatcher, flow: OrderFlow, candidates: list[OrderView]) -> list[EventType]:
        if not candidates:
            dispatcher.utter_message(response=flow.none_eligible)
            return [SlotSet("request", None)]
        listing = "\n".join(f"{o.number}: {o.item_summary}" for o in candidates[:RECENT_ORDERS_CONSIDERED])
        dispatcher.utter_message(response=flow.ask_which, orders=listing)
        return [SlotSet("request", flow.intent)]


class ActionExecuteChange(Action):
    """Carries out the change the shopper just confirmed (slot ``pending_change``)."""

    def name(self) -> str:
        return "action_execute_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        pending = tracker.get_slot("pending_change")
        if pending == "recommend":
            return [SlotSet("pending_change", None), FollowupAction("action_recommend_products")]
        flow = flow_for_pending(pending)
        if flow is not None and flow.operation is None:
            return [SlotSet("pending_change", None), SlotSet("handoff_reason", flow.intent), FollowupAction("action_handoff")]
        customer = current_customer(tracker)
        number = parse_order_number(tracker.get_slot("order_number"))
        if customer is None or number is None or flow is None or flow.operation is None:
            dispatcher.utter_message(response="utter_nothing_pending")
            return [SlotSet("pending_change", None)]
        request = ChangeRequest(
            customer_id=customer, order_number=number, today=today(),
            new_address=tracker.get_slot("new_address") or "", option_sku=tracker.get_slot("exchange_option") or "",
            description=request_text(tracker, flow.intent),
        )
        with session_scope() as session:
            outcome, code = flow.operation(session, request)
            options = exchange_options(session, customer, number) if request.option_sku else []
            option = next((o.label for o in options if o.sku == request.option_sku), "")
        if outcome is Outcome.DONE and flow.done:
            dispatcher.utter_message(response=flow.done, n=number, code=code or "", address=request.new_address, option=option)
        else:
            dispatcher.utter_message(text=outcome_text(outcome, number, shopper_tone(tracker)))
        return [SlotSet("pending_change", None), SlotSet("resolved", True), SlotSet("new_address", None),
                SlotSet("exchange_option", None)]


class ActionDeclineChange(Action):
    """The shopper said no to the pending change: nothing is changed."""

    def name(self) -> str:
        return "action_decline_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        pending = tracker.get_slot("pending_change")
        if pending == "recommend":
            dispatcher.utter_message(response="utter_no_recommendations_ok")
        elif (flow := flow_for_pending(pending)) is not None and flow.operation is None:
            dispatcher.utter_message(response="utter_no_ticket_ok")  # the flow's yes would have opened a ticket
        else:
            dispatcher.utter_message(response="utter_nothing_changed")
        return [SlotSet("pending_change", None), SlotSet("new_address", None), SlotSet("exchange_option", None)]


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
        dispatcher.utter_message(response=ORDER_FLOWS["change_address"].confirm, n=tracker.get_slot("order_number"), address=address)
        return {"new_address": address}
