"""Follow-ups after an order answer: "when exactly?", "what do I do now?", "and the other one?".

The order stays the one in the ``order_number`` slot (set by every order answer); "the other
one" is the shopper's other recent order, asked about in the same flow as the last order request.
"Can you send it to my work address instead?" needs no action of its own: it is a
``change_address`` request, which ``action_handle_request`` applies to the same slot.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import ORDER_REQUESTS, current_customer, intent_name, shopper_tone, today
from actions.dialogue.order_replies import order_status_text
from actions.dialogue.tone import compose
from services.order_followups import delivery_timing, next_steps, other_order
from services.store.db import session_scope
from services.store.identity import parse_order_number
from services.store.order_view import OrderView
from services.store.orders import get_order, recent_orders

FOLLOWUP_INTENTS: tuple[str, ...] = ("followup_next_steps", "followup_when", "followup_other_order")
RECENT_ORDERS_CONSIDERED = 5


def last_order_request(tracker: Tracker) -> str | None:
    """The request of the shopper's latest order message (``order_status``, ``cancel_order``, ...), if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in ORDER_REQUESTS:
                return intent
    return None


def which_order_text(candidates: tuple[OrderView, ...] | list[OrderView], tone: str) -> str:
    listing = [f"{o.number}: {o.item_summary}" for o in candidates[:RECENT_ORDERS_CONSIDERED]]
    return compose(tone, "Which order do you mean?", listing, ["Reply with its order number."], closer=False)


class ActionAnswerOrderFollowup(Action):
    """Answers a follow-up about the order just discussed, for the verified shopper."""

    def name(self) -> str:
        return "action_answer_order_followup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        customer = current_customer(tracker)
        if customer is None:  # data/stories_followups.yml verifies unknown shoppers first; this is the safety net
            return [FollowupAction("verification_form")]
        tone = shopper_tone(tracker)
        day = today()
        number = parse_order_number(tracker.get_slot("order_number"))
        with session_scope() as session:
            history = recent_orders(session, customer, limit=RECENT_ORDERS_CONSIDERED)
            current = get_order(session, customer, number) if number is not None else None
        if current is None and len(history) == 1:
            current = history[0]

        if intent_name(tracker) == "followup_other_order":
            return self._other_order(dispatcher, tracker, history, current, tone)
        if current is None:
            text = which_order_text(history, tone) if history else compose(tone, "I can't see any orders on your account yet.")
            dispatcher.utter_message(text=text)
            return [SlotSet("order_number", None)]
        reply = delivery_timing(current, day) if intent_name(tracker) == "followup_when" else next_steps(current, day)
        dispatcher.utter_message(text=compose(tone, reply.headline, reply.facts, reply.next_steps))
        return [SlotSet("order_number", str(current.number)), SlotSet("resolved", True)]

    @staticmethod
    def _other_order(dispatcher: CollectingDispatcher, tracker: Tracker, history: list[OrderView],
                     current: OrderView | None, tone: str) -> list[EventType]:
        choice = other_order(history, current.number if current else None)
        if choice.order is None:
            if choice.candidates:
                dispatcher.utter_message(text=which_order_text(choice.candidates, tone))
            elif current is not None:
                dispatcher.utter_message(text=compose(tone, f"Order {current.number} is the only recent order on your account."))
            else:
                dispatcher.utter_message(text=compose(tone, "I can't see any orders on your account yet."))
            return []
        other = choice.order
        request = last_order_request(tracker)
        if request not in (None, "order_status"):  # the same request, about the other order ("cancel that one too")
            return [SlotSet("order_number", str(other.number)), SlotSet("request", request),
                    FollowupAction("action_handle_request")]
        dispatcher.utter_message(text=order_status_text(other, today(), tone))
        return [SlotSet("order_number", str(other.number)), SlotSet("resolved", True)]
