"""The order-mention router: an unsure or FAQ reading of a message that names an order becomes an order intent."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.order_mention_router import OrderMentionRouter

FALLBACK = {"name": "nlu_fallback", "confidence": 0.4}


def message(text: str, intent: str, ranking: list[tuple[str, float]], entities: list[dict] | None = None,
            fallback: bool = False) -> Message:
    entries = [{"name": name, "confidence": conf} for name, conf in ranking]
    if fallback:
        entries.insert(0, dict(FALLBACK))
    top = entries[0]
    assert top["name"] == intent
    return Message(data={TEXT: text, INTENT: dict(top), INTENT_RANKING_KEY: entries, ENTITIES: entities or []})


def routed(msg: Message) -> str:
    router = OrderMentionRouter(OrderMentionRouter.get_default_config())
    return router.process([msg])[0].get(INTENT)["name"]


ORDER_NUMBER = [{"entity": "order_number", "value": "100241", "start": 22, "end": 28}]
ANGRY = [{"entity": "emotion", "value": "angry"}]


def test_an_unsure_reading_of_an_angry_order_message_becomes_order_status() -> None:
    msg = message("Where the hell is my order 100241?! You people are useless!", "nlu_fallback",
                  [("complaint", 0.44), ("order_status", 0.40), ("delivery_problem", 0.1)], ORDER_NUMBER + ANGRY,
                  fallback=True)
    assert routed(msg) == "order_status"
    assert msg.get(INTENT)["confidence"] == pytest.approx(0.40)


def test_order_words_count_without_an_order_number() -> None:
    msg = message("my parcel still hasn't come and I'm so worried", "nlu_fallback",
                  [("faq", 0.3), ("delivery_problem", 0.29)], fallback=True)
    assert routed(msg) == "delivery_problem"


def test_an_unsure_message_without_an_order_keeps_the_fallback() -> None:
    msg = message("what do you think about the weather", "nlu_fallback",
                  [("faq", 0.3), ("order_status", 0.25)], fallback=True)
    assert routed(msg) == "nlu_fallback"


def test_no_order_intent_near_the_top_keeps_the_fallback() -> None:
    msg = message("about my order, I have a question", "nlu_fallback",
                  [("faq", 0.35), ("greet", 0.3), ("thank", 0.2), ("order_status", 0.1)], fallback=True)
    assert routed(msg) == "nlu_fallback"


def test_a_calm_policy_question_about_orders_stays_an_faq() -> None:
    msg = message("what is your return policy for orders?", "faq", [("faq", 0.8), ("return_order", 0.15)])
    assert routed(msg) == "faq"


def test_an_anxious_shopper_naming_an_order_gets_the_order_not_the_faq() -> None:
    msg = message("I'm worried my order was lost, it's a present for Saturday", "faq",
                  [("faq", 0.55), ("order_status", 0.4)], [{"entity": "emotion", "value": "anxious"}])
    assert routed(msg) == "order_status"


def test_a_confident_real_intent_is_never_changed() -> None:
    msg = message("I'm furious, my order 100241 is late", "complaint",
                  [("complaint", 0.9), ("order_status", 0.05)], ORDER_NUMBER + ANGRY)
    assert routed(msg) == "complaint"
