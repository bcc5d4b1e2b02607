"""Messages that mention an order go to an order flow, never to a policy answer.

Runs after the FallbackClassifier. When NLU gave up (``nlu_fallback``), or an FAQ or
out-of-scope intent won, but the message names an order (an ``order_number`` entity, or words
such as "order" or "parcel") and an order intent is among the best few, that order intent
wins. Upset shoppers write long, mixed messages ("Where the hell is my order 100241?! You
people are useless!") that split DIET's confidence between order intents and complaints;
without this they would get a policy passage or "I don't know" instead of their order.

For FAQ and out-of-scope winners, which may be real policy questions about orders ("what is
your return policy for orders?"), the message must also name an order number or read as
confidently negative (the emotion entity), as a worried or angry shopper's does.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.emotion.labels import NEGATIVE

ORDER_ENTITY = "order_number"
EMOTION_ENTITY = "emotion"


def rerouted_intent(
    intent: str,
    ranking: list[dict[str, Any]],
    *,
    order_named: bool,
    has_order_number: bool,
    negative: bool,
    order_intents: frozenset[str],
    weak_intents: frozenset[str],
    top_k: int = 3,
    min_confidence: float = 0.15,
) -> dict[str, Any] | None:
    """The ranking entry of the order intent that should win, or None to keep ``intent``.

    ``ranking`` is Rasa's intent ranking (the FallbackClassifier's entry, if any, first).
    ``nlu_fallback`` is overridden whenever an order is named; the ``weak_intents`` (FAQ,
    out of scope) only when there is also an order number or a negative reading.
    """
    if not order_named:
        return None
    if intent != DEFAULT_NLU_FALLBACK_INTENT_NAME:
        if intent not in weak_intents or not (has_order_number or negative):
            return None
    candidates = [r for r in ranking if r.get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME][:top_k]
    for entry in candidates:
        if entry.get(INTENT_NAME_KEY) in order_intents and entry.get("confidence", 0.0) >= min_confidence:
            return entry
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OrderMentionRouter(GraphComponent, IntentClassifier):
    """Gives a message that mentions an order its best order intent when NLU was unsure or chose a policy answer."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Runs after an intent classifier (and, in config.yml, after the FallbackClassifier)."""
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config (see parent class for full docstring)."""
        return {
            # Intents of the order flows; the best-ranked of these within `top_k` wins.
            "order_intents": ["order_status", "delivery_problem", "cancel_order", "return_order",
                              "change_address", "exchange_order", "warranty_claim", "order_contents"],
            # Winners that a message naming an order number or reading as negative may lose
            # (nlu_fallback always may).
            "weak_intents": ["faq", "out_of_scope"],
            # Words that name an order when no order number was extracted (case-insensitive regex).
            "order_words": r"\b(order|orders|parcel|package|delivery|shipment|tracking)\b",
            # How many of the best real intents are searched for an order intent.
            "top_k": 3,
            # An order intent below this confidence is never chosen.
            "min_confidence": 0.15,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        self.component_config = config
        self._pattern = re.compile(config["order_words"], re.IGNORECASE)
        self._order_intents = frozenset(config["order_intents"])
        self._weak_intents = frozenset(config["weak_intents"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OrderMentionRouter:
        """Creates the component (see parent class for full docstring)."""
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Re-routes each message of the batch that names an order (see the module docstring)."""
        for message in messages:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            entities = message.get(ENTITIES) or []
            has_order_number = any(e.get("entity") == ORDER_ENTITY for e in entities)
            chosen = rerouted_intent(
                intent,
                message.get(INTENT_RANKING_KEY) or [],
                order_named=has_order_number or bool(self._pattern.search(message.get(TEXT) or "")),
                has_order_number=has_order_number,
                negative=any(e.get("entity") == EMOTION_ENTITY and e.get("value") in NEGATIVE for e in entities),
                order_intents=self._order_intents,
                weak_intents=self._weak_intents,
                top_k=self.component_config["top_k"],
                min_confidence=self.component_config["min_confidence"],
            )
            if chosen is not None:
                message.set(INTENT, dict(chosen), add_to_output=True)
        return messages
