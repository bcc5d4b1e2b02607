"""FAQ answers and product questions, with a tone-matched opening."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import shopper_tone
from actions.dialogue.tone import compose
from services.presentation import money
from services.store.catalogue import find_category, find_product
from services.store.db import session_scope

FAQ_OPENERS = {
    "apologetic": "I'm sorry for the trouble. Here's our policy:",
    "empathetic": "I understand. Here's how it works:",
    "reassuring": "Good news, this is straightforward:",
    "stepwise": "Here's how it works:",
    "efficient": "",
    "warm": "Happy to help!",
}


def faq_answer(latest_message: dict) -> str | None:
    """The ResponseSelector's chosen FAQ answer text, if any."""
    selector = (latest_message or {}).get("response_selector", {})
    for key in ("faq", "default"):
        responses = selector.get(key, {}).get("response", {}).get("responses") or []
        if responses and responses[0].get("text"):
            return responses[0]["text"]
    return None


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        answer = faq_answer(tracker.latest_message)
        if answer is None:
            dispatcher.utter_message(response="utter_default")
            return []
        tone = shopper_tone(tracker)
        opener = FAQ_OPENERS.get(tone, "")
        dispatcher.utter_message(text=f"{opener}\n{answer}".strip() if opener else answer)
        return []


def product_answer(session, mentions: list[str], categories: list[str], tone: str) -> str:
    """Stock and price of the mentioned product, or the range of a category."""
    for mention in mentions:
        product = find_product(session, mention)
        if product:
            stock = "in stock" if product.stock > 0 else "out of stock right now (restocks usually take 1-2 weeks)"
            facts = [product.description, f"Tags: {', '.join(product.tag_list)}."]
            return compose(tone, f"The {product.name} costs {money(product.price)} and is {stock}.", facts)
    for mention in categories:
        category = find_category(session, mention)
        if category:
            return compose(tone, f"We carry a range of {category}; ask me for recommendations or name a product for details.")
    return compose(tone, "Which product do you mean? Tell me its name (for example \"Auralis Pulse Wireless Headphones\").", closer=False)


class ActionProductInfo(Action):
    def name(self) -> str:
        return "action_product_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        tone = shopper_tone(tracker)
        with session_scope() as session:
            text = product_answer(
                session,
                [str(v) for v in tracker.get_latest_entity_values("product")],
                [str(v) for v in tracker.get_latest_entity_values("category")],
                tone,
            )
        dispatcher.utter_message(text=text)
        return []
