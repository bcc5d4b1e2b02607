"""Personalised recommendations, regulated by mood (the policy: actions/dialogue/upsell.py)."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import current_customer
from actions.dialogue.config import dialogue_config
from actions.dialogue.upsell import may_offer, may_show
from services.recommender.presentation import format_recommendations
from services.recommender.service import get_recommender
from services.store.catalogue import find_category, find_product
from services.store.db import session_scope
from services.store.identity import parse_order_number
from services.store.orders import get_order


def recommendation_context(tracker: Tracker, customer: str | None) -> tuple[list[int], str | None]:
    """(product ids the shopper is talking about, category) from entities and the order in focus."""
    product_ids: list[int] = []
    category = None
    with session_scope() as session:
        for mention in tracker.get_latest_entity_values("product"):
            product = find_product(session, str(mention))
            if product:
                product_ids.append(product.id)
        for mention in tracker.get_latest_entity_values("category"):
            category = find_category(session, str(mention)) or category
        if not product_ids and customer:
            number = parse_order_number(tracker.get_slot("order_number"))
            order = get_order(session, customer, number) if number else None
            if order:
                product_ids = list(order.product_ids)
    return product_ids, category


class ActionRecommendProducts(Action):
    def name(self) -> str:
        return "action_recommend_products"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not may_show(tracker.get_slot("emotion"), dialogue_config()):
            dispatcher.utter_message(response="utter_recommendations_held_back")
            return []
        recommender = get_recommender()
        if recommender is None:
            dispatcher.utter_message(response="utter_recommendations_unavailable")
            return []
        customer = current_customer(tracker)
        product_ids, category = recommendation_context(tracker, customer)
        with session_scope() as session:
            recommender.refresh_stock(session)  # never offer what sold out since training
        recs = recommender.recommend(customer, n=3, context_product_ids=tuple(product_ids), context_category=category)
        if not recs:
            dispatcher.utter_message(response="utter_recommendations_unavailable")
            return []
        text, payload = format_recommendations(recs)
        dispatcher.utter_message(text=f"Here are a few picks for you:\n{text}", json_message=payload)
        return [SlotSet("pending_change", None)]


class ActionOfferRecommendations(Action):
    """After a resolved request, a satisfied or grateful shopper is offered recommendations."""

    def name(self) -> str:
        return "action_offer_recommendations"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not may_offer(tracker.get_slot("emotion"), dialogue_config()) or get_recommender() is None:
            return []
        dispatcher.utter_message(
            response="utter_offer_recommendations",
            buttons=[{"title": "Yes, show me", "payload": "/affirm"}, {"title": "No thanks", "payload": "/deny"}],
        )
        return [SlotSet("pending_change", "recommend")]
