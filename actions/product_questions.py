"""Product questions from the database: stock, sizes and colours, price, comparisons, "what's in my order"."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import current_customer, intent_name, shopper_tone
from actions.dialogue.order_replies import NOT_FOUND
from actions.dialogue.product_replies import WHICH_PRODUCT, WHICH_TWO, comparison_reply, order_contents_reply, product_reply
from actions.dialogue.tone import compose
from services.store.db import session_scope
from services.store.identity import parse_order_number
from services.store.product_questions import (
    compare_products,
    comparison_mentions,
    latest_order_number,
    order_contents,
    product_facts,
)


class ActionAnswerProductQuestion(Action):
    """Answers ``product_question``, ``compare_products`` and ``order_contents`` from the store database.

    "What's in my order" needs a verified shopper: an unverified one is sent to the
    verification form, after which the order's status (with its items) is answered.
    """

    def name(self) -> str:
        return "action_answer_product_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = intent_name(tracker)
        tone = shopper_tone(tracker)
        text = (tracker.latest_message or {}).get("text") or ""
        mentions = [str(v) for v in tracker.get_latest_entity_values("product")]
        if intent == "order_contents":
            return self._order_contents(dispatcher, tracker, tone)
        with session_scope() as session:
            if intent == "compare_products":
                pair = tuple(mentions[:2]) if len(mentions) >= 2 else comparison_mentions(text)
                comparison = compare_products(session, *pair) if pair else None
                reply = comparison_reply(comparison, tone) if comparison else compose(tone, WHICH_TWO, closer=False)
                dispatcher.utter_message(text=reply)
                return []
            # No product named: the one this conversation is about ("is it in stock?").
            candidates = mentions or [m for m in [tracker.get_slot("product")] if m]
            facts = next((f for f in (product_facts(session, m) for m in candidates) if f), None)
        if facts is None:
            dispatcher.utter_message(text=compose(tone, WHICH_PRODUCT, closer=False))
            return []
        dispatcher.utter_message(text=product_reply(facts, text, tone))
        return [SlotSet("product", facts.name)]

    @staticmethod
    def _order_contents(dispatcher: CollectingDispatcher, tracker: Tracker, tone: str) -> list[EventType]:
        customer = current_customer(tracker)
        if customer is None:
            return [SlotSet("request", "order_status"), FollowupAction("verification_form")]
        number = parse_order_number(tracker.get_slot("order_number"))
        with session_scope() as session:
            number = number if number is not None else latest_order_number(session, customer)
            contents = order_contents(session, customer, number) if number is not None else None
        if contents is None:
            dispatcher.utter_message(text=compose(tone, NOT_FOUND))
            return [SlotSet("order_number", None)]
        dispatcher.utter_message(text=order_contents_reply(contents, tone))
        return [SlotSet("order_number", str(contents.number)), SlotSet("resolved", True)]
